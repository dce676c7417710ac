/*
 * admin_accounts.c - units, queues, worker accounts, memberships, unlocking and the access
 * log's check for advicectl (admin_accounts.h). Store operations only: what needs the admin's
 * machine (reading a password, deriving its key) advicectl has done before the request.
 */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "errfmt.h"
#include "admin_accounts.h"
#include "advice_crypto.h"
#include "admin_out.h"
#include "admin_staff.h"
#include "core.h"

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void random_id(char out[STORE_ID_SIZE])
{
	uint8_t b[ADVICE_ID_HEX / 2];

	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, STORE_ID_SIZE, b, sizeof b);
}

void admin_auth_params(int test_mode, uint64_t *opslimit, uint64_t *memlimit)
{
	(void)test_mode; /* the same in test mode: clients refuse anything below their floor */
	*opslimit = ADVICE_PWHASH_OPS_MIN;
	*memlimit = ADVICE_PWHASH_MEM_MIN;
}

static int find_unit(struct store *st, const char *name, char out[STORE_ID_SIZE], char *err, size_t errlen)
{
	if (st->ops->unit->find(st, name, out) != STORE_OK)
		return err_fail(err, errlen, "no unit '%s'", name);
	return 0;
}

static int unit_add(struct store *st, const char *name, struct admin_out *out, char *err, size_t errlen)
{
	char id[STORE_ID_SIZE];

	random_id(id);
	if (strlen(name) == 0 || strlen(name) >= STORE_NAME_SIZE)
		return err_fail(err, errlen, "a unit name is 1..%d bytes", STORE_NAME_SIZE - 1);
	if (st->ops->unit->find(st, name, id) == STORE_OK)
		return err_fail(err, errlen, "there is a unit '%s' already", name);
	if (st->ops->unit->insert(st, id, name) != STORE_OK)
		return err_fail(err, errlen, "cannot add unit '%s'", name);
	fprintf(out->text, "unit %s added\n", name);
	admin_data_set(out, "unit", json_pack("{s:s, s:s}", "id", id, "name", name));
	return 0;
}

static int valid_category(const char *c)
{
	size_t n = strlen(c);

	if (n == 0 || n > 64)
		return 0;
	return strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static int queue_add(struct store *st, char **argv, struct admin_out *out, char *err, size_t errlen)
{
	struct store_queue q = { 0 };
	struct store_unit u;

	if (!valid_category(argv[2]))
		return err_fail(err, errlen, "a category is 1..64 characters of a-z, 0-9 and -");
	if (strlen(argv[3]) == 0 || strlen(argv[3]) >= STORE_NAME_SIZE)
		return err_fail(err, errlen, "a queue name is 1..%d bytes", STORE_NAME_SIZE - 1);
	random_id(q.id);
	if (find_unit(st, argv[1], q.unit_id, err, errlen) != 0)
		return -1;
	if (st->ops->queue->by_category(st, argv[2], &q) == STORE_OK)
		return err_fail(err, errlen, "category '%s' has a queue already", argv[2]);
	snprintf(q.category, sizeof q.category, "%s", argv[2]);
	snprintf(q.name, sizeof q.name, "%s", argv[3]);
	if (st->ops->queue->insert(st, &q) != STORE_OK || st->ops->unit->get(st, q.unit_id, &u) != STORE_OK)
		return err_fail(err, errlen, "cannot add queue '%s'", argv[2]);
	fprintf(out->text, "queue %s (%s) added to unit %s\n", q.category, q.name, u.name);
	admin_data_set(out, "queue",
		       json_pack("{s:s, s:s, s:s, s:s}", "id", q.id, "category", q.category, "name", q.name,
				 "unit", u.name));
	return 0;
}

static int valid_username(const char *u)
{
	size_t n = strlen(u);

	return n >= 1 && n <= 64 && strspn(u, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* The role `user_id` has in `unit_id` now: ROLE_WORKER, ROLE_SUPERVISOR, ROLE_NONE (not a
 * member), or -1 when the store failed. */
static int role_in(struct store *st, const char *user_id, const char *unit_id)
{
	struct store_membership m[64];
	size_t n;

	if (st->ops->staff->membership_list(st, user_id, m, 64, &n) != STORE_OK)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].unit_id, unit_id) == 0)
			return (int)m[i].role;
	return ROLE_NONE;
}

/* Makes `username` a member of `unit` with the role; a member already changes role, and one
 * with that role already is refused. Prints what was done. */
static int member_add(struct store *st, const char *username, const char *unit, int supervisor,
		      struct admin_out *out, char *err, size_t errlen)
{
	enum store_role want = supervisor ? ROLE_SUPERVISOR : ROLE_WORKER;
	struct store_worker w;
	struct store_unit u;
	int had;

	if (st->ops->staff->worker_get(st, username, &w) != STORE_OK)
		return err_fail(err, errlen, "no worker '%s'", username);
	if (find_unit(st, unit, u.id, err, errlen) != 0 || st->ops->unit->get(st, u.id, &u) != STORE_OK ||
	    (had = role_in(st, w.user_id, u.id)) < 0)
		return err_fail(err, errlen, "cannot read the unit '%s'", unit);
	if (had == (int)want)
		return err_fail(err, errlen, "%s is already a %s of %s", username, admin_role_name(want),
				u.name);
	if (st->ops->staff->membership_add(st, w.user_id, u.id, want) != STORE_OK)
		return err_fail(err, errlen, "cannot add '%s' to '%s'", username, unit);
	if (had == ROLE_NONE)
		fprintf(out->text, "%s added to %s as %s\n", username, u.name, admin_role_name(want));
	else
		fprintf(out->text, "%s is now a %s of %s (was a %s)\n", username, admin_role_name(want),
			u.name, admin_role_name(had));
	return 0;
}

/* The account with the password material `auth`, or (auth unset) with a setup code printed
 * for the register keeper to hand over. */
static int worker_insert(struct store *st, const uint8_t pepper[32], int test_mode, const char *username,
			 const struct admin_auth *auth, struct admin_out *out, char *err, size_t errlen)
{
	struct store_worker w = { 0 };
	char code[STAFF_SETUP_CODE_SIZE], until[ADMIN_TIME_TEXT];
	int64_t now = wall_ms();
	json_t *j;

	if (!valid_username(username))
		return err_fail(err, errlen, "a username is 1..64 characters of a-z, 0-9, '.', '_' and '-'");
	random_id(w.user_id);
	snprintf(w.username, sizeof w.username, "%s", username);
	if (auth->set) {
		memcpy(w.salt, auth->salt, sizeof w.salt);
		w.opslimit = auth->opslimit;
		w.memlimit = auth->memlimit;
		core_keyed_hash(pepper, "auth key", auth->key, sizeof auth->key, w.auth_hash);
	} else {
		randombytes_buf(w.salt, sizeof w.salt);
		admin_auth_params(test_mode, &w.opslimit, &w.memlimit);
		randombytes_buf(w.auth_hash, sizeof w.auth_hash); /* matches no key */
	}
	if (st->ops->staff->worker_get(st, username, &(struct store_worker){ 0 }) == STORE_OK)
		return err_fail(err, errlen, "there is a worker '%s' already", username);
	if (st->ops->staff->worker_insert(st, &w, now) != STORE_OK)
		return err_fail(err, errlen, "cannot add worker '%s'", username);
	fprintf(out->text, "worker %s added\n", username);
	j = json_pack("{s:s, s:s, s:n, s:n}", "username", username, "id", w.user_id, "setup_code",
		      "setup_expires");
	admin_data_set(out, "worker", j);
	if (auth->set) {
		if (admin_staff_password_set(st, pepper, w.user_id, now, auth->demo_totp) != 0)
			return err_fail(err, errlen, "cannot record the password of '%s'", username);
		return 0;
	}
	if (admin_staff_setup_code(st, pepper, w.user_id, now, code) != 0)
		return err_fail(err, errlen, "cannot record the setup code of '%s'", username);
	admin_time_text(now + STAFF_SETUP_VALID_MS, until);
	fprintf(out->text,
		"setup code of %s: %s (one use, valid until %s; the first login sets the password)\n",
		username, code, until);
	json_object_set_new(j, "setup_code", json_string(code));
	json_object_set_new(j, "setup_expires", admin_time_json(now + STAFF_SETUP_VALID_MS));
	sodium_memzero(code, sizeof code);
	return 0;
}

/* worker-add USERNAME [--unit UNIT [--supervisor]] [--password-stdin] */
static int worker_add(struct store *st, const uint8_t pepper[32], int test_mode, int argc, char **argv,
		      const struct admin_auth *auth, struct admin_out *out, char *err, size_t errlen)
{
	static const struct admin_auth none;
	const char *unit = NULL;
	int supervisor = 0, with_password = 0;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--unit") == 0 && i + 1 < argc)
			unit = argv[++i];
		else if (strcmp(argv[i], "--supervisor") == 0 && unit != NULL)
			supervisor = 1;
		else if (strcmp(argv[i], "--password-stdin") == 0)
			with_password = 1;
		else
			return err_fail(
				err, errlen,
				"worker-add USERNAME [--unit UNIT [--supervisor]] [--password-stdin]");
	}
	if (auth == NULL)
		auth = &none;
	if (with_password != auth->set)
		return err_fail(err, errlen,
				"--password-stdin comes with the password's key, and only with it");
	if (worker_insert(st, pepper, test_mode, argv[1], auth, out, err, errlen) != 0)
		return -1;
	if (unit == NULL)
		return 0;
	if (member_add(st, argv[1], unit, supervisor, out, err, errlen) != 0)
		return -1;
	json_object_set_new(json_object_get(out->data, "worker"), "unit", json_string(unit));
	json_object_set_new(json_object_get(out->data, "worker"), "role",
			    json_string(admin_role_name(supervisor ? ROLE_SUPERVISOR : ROLE_WORKER)));
	return 0;
}

static int unlock(struct store *st, const char *username, struct admin_out *out, char *err, size_t errlen)
{
	struct store_worker w;

	if (st->ops->staff->worker_get(st, username, &w) != STORE_OK)
		return err_fail(err, errlen, "no worker '%s'", username);
	if (st->ops->staff->worker_set_login_state(st, w.user_id, 0, 0, 0) != STORE_OK)
		return err_fail(err, errlen, "cannot unlock");
	if (w.locked_at > 0 || w.failures > 0 || w.locked_until > 0)
		fprintf(out->text, "%s unlocked: failed logins cleared\n", username);
	else
		fprintf(out->text, "%s was not locked: nothing to clear\n", username);
	return 0;
}

int admin_accounts_run(struct store *st, const uint8_t pepper[32], int test_mode, int argc, char **argv,
		       const struct admin_auth *auth, struct admin_out *out, int *exit_status, char *err,
		       size_t errlen)
{
	const char *cmd = argc >= 1 ? argv[0] : "";

	*exit_status = 0;
	if (strcmp(cmd, "unit-add") == 0 && argc == 2)
		return unit_add(st, argv[1], out, err, errlen);
	if (strcmp(cmd, "queue-add") == 0 && argc == 4)
		return queue_add(st, argv, out, err, errlen);
	if (strcmp(cmd, "worker-add") == 0 && argc >= 2)
		return worker_add(st, pepper, test_mode, argc, argv, auth, out, err, errlen);
	if (strcmp(cmd, "member-add") == 0 &&
	    (argc == 3 || (argc == 4 && strcmp(argv[3], "--supervisor") == 0)))
		return member_add(st, argv[1], argv[2], argc == 4, out, err, errlen);
	if (strcmp(cmd, "unlock") == 0 && argc == 2)
		return unlock(st, argv[1], out, err, errlen);
	return 1;
}
