/*
 * admin_staff.c - advicectl's staff-account commands (admin_staff.h), run by the core for
 * the admin socket: end dates of accounts and roles, setup codes, second-factor resets
 * and, in test mode, the demo accounts' codes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "errfmt.h"
#include "admin_out.h"
#include "admin_staff.h"
#include "calendar.h"

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int admin_staff_parse_when(const char *text, int64_t now_ms, int64_t *out)
{
	char *end;
	long long n;
	int32_t day;

	if (strcmp(text, "none") == 0) {
		*out = 0;
		return 0;
	}
	if (strcmp(text, "now") == 0) {
		*out = now_ms;
		return 0;
	}
	if (text[0] == '+') {
		errno = 0;
		n = strtoll(text + 1, &end, 10);
		if (errno != 0 || end == text + 1 || *end != '\0' || n < 0 || n > 100LL * 366 * 86400)
			return -1;
		*out = now_ms + n * 1000;
		return 0;
	}
	if (cal_parse_date(text, &day) != 0 || day < cal_day_from_civil(2000, 1, 1) ||
	    day > cal_day_from_civil(2999, 12, 31))
		return -1;
	*out = cal_day_start(day + 1); /* the day is the last one: the end is the following midnight */
	return 0;
}

int admin_staff_setup_code(struct store *st, const uint8_t pepper[32], const char *user_id, int64_t now_ms,
			   char code[STAFF_SETUP_CODE_SIZE])
{
	struct store_staff s;
	uint8_t nokey[STORE_HASH_BYTES];

	if (st->ops->staff->get(st, user_id, &s) != STORE_OK)
		return -1;
	staff_setup_code_new(code);
	staff_setup_code_hash(pepper, code, s.setup_hash);
	s.has_setup = 1;
	s.setup_expires = now_ms + STAFF_SETUP_VALID_MS;
	s.totp_len = 0;
	s.totp_pending_len = 0;
	s.totp_last_step = -1;
	s.password_set = 0;
	randombytes_buf(nokey, sizeof nokey); /* no key matches until the first login sets one */
	if (st->ops->staff->worker_set_auth(st, user_id, nokey) != STORE_OK ||
	    st->ops->staff->put(st, &s) != STORE_OK)
		return -1;
	return st->ops->session->revoke_user(st, user_id, NULL, NULL) == STORE_OK ? 0 : -1;
}

int admin_staff_password_set(struct store *st, const uint8_t pepper[32], const char *user_id, int64_t now_ms,
			     int demo_totp)
{
	struct store_staff s;

	if (st->ops->staff->get(st, user_id, &s) != STORE_OK)
		return -1;
	s.password_set = now_ms;
	s.has_setup = 0;
	if (demo_totp && staff_totp_seal(pepper, user_id, (const uint8_t *)STAFF_DEMO_SECRET,
					 strlen(STAFF_DEMO_SECRET), s.totp, sizeof s.totp, &s.totp_len) != 0)
		return -1;
	return st->ops->staff->put(st, &s) == STORE_OK ? 0 : -1;
}

/* The account of `username`, or -1 with a reason. */
static int find_worker(struct store *st, const char *username, struct store_worker *w, char *err,
		       size_t errlen)
{
	if (st->ops->staff->worker_get(st, username, w) != STORE_OK)
		return err_fail(err, errlen, "no worker '%s'", username);
	return 0;
}

/* The end's line: "ends 2026-06-30 at 24:00 Helsinki time" or "has no end", and the past
 * end's warning. */
static void say_end(struct admin_out *out, const char *what, const char *word, int64_t when, int64_t now)
{
	char t[ADMIN_TIME_TEXT];

	if (when == 0) {
		fprintf(out->text, "%s has no end\n", what);
		return;
	}
	admin_time_text(when, t);
	fprintf(out->text, "%s %s %s\n", what, when <= now ? word : "ends", t);
	if (when < now)
		admin_warn(out, "the end (%s) is in the past: it takes effect at once", t);
}

static int cmd_worker_end(struct store *st, char **argv, struct admin_out *out, char *err, size_t errlen)
{
	struct store_worker w;
	struct store_staff s;
	int64_t when, now = wall_ms();

	if (find_worker(st, argv[1], &w, err, errlen) != 0)
		return -1;
	if (admin_staff_parse_when(argv[2], now, &when) != 0)
		return err_fail(err, errlen,
				"WHEN is YYYY-MM-DD (2000..2999), now, +SECONDS or none, not '%s'", argv[2]);
	if (st->ops->staff->get(st, w.user_id, &s) != STORE_OK)
		return err_fail(err, errlen, "cannot read the account");
	s.ends = when;
	if (st->ops->staff->put(st, &s) != STORE_OK)
		return err_fail(err, errlen, "cannot write the account");
	{
		char what[STORE_NAME_SIZE + 16];

		snprintf(what, sizeof what, "account %s", argv[1]);
		say_end(out, what, "ended", when, now);
	}
	admin_data_set(out, "account",
		       json_pack("{s:s, s:o}", "username", argv[1], "ends", admin_time_json(when)));
	return 0;
}

static int cmd_role_end(struct store *st, char **argv, struct admin_out *out, char *err, size_t errlen)
{
	struct store_worker w;
	struct store_unit u;
	char what[2 * STORE_NAME_SIZE + 16];
	int64_t when, now = wall_ms();
	int rc;

	if (find_worker(st, argv[1], &w, err, errlen) != 0)
		return -1;
	if (st->ops->unit->find(st, argv[2], u.id) != STORE_OK ||
	    st->ops->unit->get(st, u.id, &u) != STORE_OK)
		return err_fail(err, errlen, "no unit '%s'", argv[2]);
	if (admin_staff_parse_when(argv[3], now, &when) != 0)
		return err_fail(err, errlen,
				"WHEN is YYYY-MM-DD (2000..2999), now, +SECONDS or none, not '%s'", argv[3]);
	rc = st->ops->staff->role_end_set(st, w.user_id, u.id, when);
	if (rc == STORE_NOTFOUND)
		return err_fail(err, errlen, "%s is not a member of %s", argv[1], u.name);
	if (rc != STORE_OK)
		return err_fail(err, errlen, "cannot write the role's end");
	snprintf(what, sizeof what, "role of %s in %s", argv[1], u.name);
	say_end(out, what, "ended", when, now);
	admin_data_set(out, "role",
		       json_pack("{s:s, s:s, s:o}", "username", argv[1], "unit", u.name, "ends",
				 admin_time_json(when)));
	return 0;
}

static int cmd_worker_reset(struct store *st, const uint8_t pepper[32], char **argv, struct admin_out *out,
			    char *err, size_t errlen)
{
	struct store_worker w;
	char code[STAFF_SETUP_CODE_SIZE], until[ADMIN_TIME_TEXT];
	int64_t now = wall_ms();

	if (find_worker(st, argv[1], &w, err, errlen) != 0)
		return -1;
	if (admin_staff_setup_code(st, pepper, w.user_id, now, code) != 0)
		return err_fail(err, errlen, "cannot write the setup code");
	admin_time_text(now + STAFF_SETUP_VALID_MS, until);
	fprintf(out->text, "setup code of %s: %s (one use, valid until %s)\n", argv[1], code, until);
	admin_data_set(out, "worker",
		       json_pack("{s:s, s:s, s:o}", "username", argv[1], "setup_code", code, "setup_expires",
				 admin_time_json(now + STAFF_SETUP_VALID_MS)));
	sodium_memzero(code, sizeof code);
	return 0;
}

static int cmd_totp_reset(struct store *st, char **argv, struct admin_out *out, char *err, size_t errlen)
{
	struct store_worker w;
	struct store_staff s;

	if (find_worker(st, argv[1], &w, err, errlen) != 0)
		return -1;
	if (st->ops->staff->get(st, w.user_id, &s) != STORE_OK)
		return err_fail(err, errlen, "cannot read the account");
	s.totp_len = 0;
	s.totp_pending_len = 0;
	s.totp_last_step = -1;
	if (st->ops->staff->put(st, &s) != STORE_OK)
		return err_fail(err, errlen, "cannot write the account");
	fprintf(out->text, "second factor of %s cleared: the next login enrols a new one\n", argv[1]);
	return 0;
}

static int cmd_demo_totp(struct store *st, const uint8_t pepper[32], int test_mode, char **argv,
			 struct admin_out *out, char *err, size_t errlen)
{
	struct store_worker w;
	struct store_staff s;
	char code[TOTP_DIGITS + 1];

	if (!test_mode)
		return err_fail(err, errlen, "demo-totp works only in test mode");
	if (find_worker(st, argv[1], &w, err, errlen) != 0)
		return -1;
	if (st->ops->staff->get(st, w.user_id, &s) != STORE_OK)
		return err_fail(err, errlen, "cannot read the account");
	if (s.totp_len == 0)
		return err_fail(err, errlen, "'%s' has no second factor enrolled", argv[1]);
	if (staff_totp_code(pepper, w.user_id, s.totp, s.totp_len, wall_ms() / 1000, code) != 0)
		return err_fail(err, errlen, "the second factor of '%s' does not open", argv[1]);
	fprintf(out->text, "%s\n", code);
	return 0;
}

/* Runs the command; returns 0, 1 (not ours) or -1. */
static int dispatch_cmd(struct store *st, const uint8_t pepper[32], int test_mode, int argc, char **argv,
			struct admin_out *out, char *err, size_t errlen)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "worker-end") == 0 && argc == 3)
		return cmd_worker_end(st, argv, out, err, errlen);
	if (strcmp(cmd, "role-end") == 0 && argc == 4)
		return cmd_role_end(st, argv, out, err, errlen);
	if (strcmp(cmd, "worker-reset") == 0 && argc == 2)
		return cmd_worker_reset(st, pepper, argv, out, err, errlen);
	if (strcmp(cmd, "totp-reset") == 0 && argc == 2)
		return cmd_totp_reset(st, argv, out, err, errlen);
	if (strcmp(cmd, "demo-totp") == 0 && argc == 2)
		return cmd_demo_totp(st, pepper, test_mode, argv, out, err, errlen);
	return 1;
}

int admin_staff_run(struct store *st, const uint8_t pepper[32], int test_mode, int argc, char **argv,
		    struct admin_out *out, char *err, size_t errlen)
{
	if (argc < 1)
		return 1;
	return dispatch_cmd(st, pepper, test_mode, argc, argv, out, err, errlen);
}
