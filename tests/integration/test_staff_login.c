/*
 * test_staff_login.c - the social workers' login against the real adviced through libadvice:
 * the demo accounts' published second factor (advicectl demo-totp agrees), a login without the
 * code refused, a new account's first login with advicectl's setup code (password set, second
 * factor enrolled), unknown names answered exactly like an account through backoff and lock,
 * and an account end and a role end set with advicectl closing the open WebSocket with 4001
 * within the check interval (session_check_s = 1 here) and refusing the next login.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"
#include "totp.h"

#define CLOSE_WITHIN_MS 5000  /* the check runs every second; allow for a slow machine */
#define BACKOFF_WAIT_MS 10000 /* backoff_max_s = 1 here; allow for a slow machine */

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	assert_int_equal(harness_start_with(h, 1,
					    "session_check_s = 1\n"
					    "backoff_after = 1\n"
					    "lock_after = 3\n"
					    "backoff_max_s = 1\n"),
			 0);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;
	int rc;

	if (h == NULL)
		return 0;
	rc = harness_stop(h);
	free(h);
	return rc;
}

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The latest end of a login backoff adviced has recorded, for accounts and unknown names
 * alike (ms since the epoch, adviced's clock; 0 when none). */
static long long latest_backoff_end(struct harness *h)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *q;
	long long end = -1;

	snprintf(path, sizeof(path), "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT max(coalesce((SELECT max(locked_until) FROM workers), 0),"
					    " coalesce((SELECT max(locked_until) FROM login_ghosts), 0))",
					    -1, &q, NULL),
			 SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		end = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	assert_true(end >= 0);
	return end;
}

/* Polls until every backoff adviced recorded has ended, serving the client meanwhile; fails
 * when that takes much longer than backoff_max_s (1 here) allows. */
static void wait_backoff(struct harness *h)
{
	long long deadline = monotonic_ms() + BACKOFF_WAIT_MS;

	while (realtime_ms() < latest_backoff_end(h)) {
		if (monotonic_ms() > deadline)
			fail_msg("a login backoff outlasted backoff_max_s");
		advice_client_service(h->client, 20);
	}
}

/* Logs `name` in with the demo second factor and opens a WebSocket. */
static struct advice_conn *worker_socket(struct harness *h, const char *name)
{
	char *session = NULL;
	struct advice_conn *k;

	assert_int_equal(harness_login_worker(h, name, &session), 0);
	k = harness_connect(h, session);
	assert_non_null(k);
	free(session);
	return k;
}

static void ctl(struct harness *h, const char *const args[])
{
	char *out = NULL;

	assert_int_equal(harness_ctl(h, args, &out), 0);
	free(out);
}

/* The socket closes with 4001 within CLOSE_WITHIN_MS; returns how long it took. */
static long long expect_closed(struct advice_conn *k)
{
	long long t0 = monotonic_ms();

	assert_int_equal(advice_wait_closed(k, CLOSE_WITHIN_MS), 0);
	assert_int_equal(advice_conn_close_code(k), ADVICE_CLOSE_SESSION_ENDED);
	return monotonic_ms() - t0;
}

static void test_demo_second_factor(void **state)
{
	struct harness *h = *state;
	const char *const args[] = { "demo-totp", "sara", NULL };
	char *out = NULL, *session = NULL, code[3][8];
	time_t now = time(NULL);
	struct advice_conn *k;

	/* advicectl demo-totp prints the code of the published demo secret. */
	assert_int_equal(harness_ctl(h, args, &out), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(harness_demo_code(now + (i - 1) * TOTP_STEP_S, code[i]), 0);
	assert_true(strncmp(out, code[0], 6) == 0 || strncmp(out, code[1], 6) == 0 ||
		    strncmp(out, code[2], 6) == 0);
	free(out);

	/* Without the code: the key is right, the second factor is asked for. */
	assert_int_equal(advice_login_worker(h->client, h->base_url, h->origin, "sara", "sara-demo", &session,
					     HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_TOTP_REQUIRED);
	assert_int_equal(advice_login_worker_totp(h->client, h->base_url, h->origin, "sara", "sara-demo",
						  "000000", &session, HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_BAD_CREDENTIALS);
	wait_backoff(h);
	k = worker_socket(h, "sara");
	assert_non_null(strstr(advice_conn_welcome(k), "\"supervisor\""));
	advice_conn_free(k);
	assert_true(harness_log_contains(h, "with a second factor"));
}

/* RFC 4648 base32 to bytes. */
static size_t base32_decode(const char *in, uint8_t *out, size_t cap)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in; in++) {
		const char *p = strchr(alphabet, *in);

		assert_non_null(p);
		acc = (acc << 5) | (uint32_t)(p - alphabet);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			assert_true(n < cap);
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

static void test_first_login_with_setup_code(void **state)
{
	struct harness *h = *state;
	const char *const add[] = { "worker-add", "uusi.tyontekija", "--unit", "Adult social work", NULL };
	char *out = NULL, *secret = NULL, *session = NULL, setup[32], code[8];
	uint8_t key[TOTP_SECRET_MAX];
	const char *p;
	struct advice_conn *k;
	size_t len;
	long v;

	assert_int_equal(harness_ctl(h, add, &out), 0);
	p = strstr(out, "setup code of uusi.tyontekija: ");
	assert_non_null(p);
	p += strlen("setup code of uusi.tyontekija: ");
	assert_int_equal(sscanf(p, "%19s", setup), 1);
	free(out);

	/* The first login: enrol with the setup code, then log in with the new password's key,
	 * the setup code and a code of the new secret. */
	assert_int_equal(advice_login_worker(h->client, h->base_url, h->origin, "uusi.tyontekija",
					     "an old guess", &session, HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_BAD_CREDENTIALS);
	wait_backoff(h);
	assert_int_equal(advice_worker_enrol(h->client, h->base_url, h->origin, "uusi.tyontekija", NULL,
					     setup, &secret, HARNESS_TIMEOUT_MS),
			 0);
	len = base32_decode(secret, key, sizeof(key));
	v = totp_hotp(key, len, TOTP_SHA1, (uint64_t)(time(NULL) / TOTP_STEP_S), TOTP_DIGITS);
	assert_true(v >= 0 && v <= 999999);
	snprintf(code, sizeof(code), "%06d", (int)v);
	assert_int_equal(advice_login_worker_with(h->client, h->base_url, h->origin, "uusi.tyontekija",
						  "a long new passphrase", code, setup, NULL, &session,
						  HARNESS_TIMEOUT_MS),
			 0);
	k = harness_connect(h, session);
	assert_non_null(k);
	assert_non_null(strstr(advice_conn_welcome(k), "\"worker\""));
	advice_conn_free(k);
	free(session);
	session = NULL;
	/* The setup code is spent; the password works (the code asked for next). */
	assert_int_equal(advice_login_worker_with(h->client, h->base_url, h->origin, "uusi.tyontekija",
						  "a long new passphrase", "000000", setup, NULL, &session,
						  HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_BAD_CREDENTIALS);
	wait_backoff(h);
	assert_int_equal(advice_login_worker(h->client, h->base_url, h->origin, "uusi.tyontekija",
					     "a long new passphrase", &session, HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_TOTP_REQUIRED);
	assert_true(harness_log_contains(h, "second factor enrolled"));
	assert_false(harness_log_contains(h, setup));
	assert_false(harness_log_contains(h, secret));
	free(secret);
}

/* One raw login attempt with a wrong key: the status and the body. */
static int raw_attempt(struct harness *h, const char *name, char **body)
{
	char req[200];

	snprintf(req, sizeof(req), "{\"username\":\"%s\",\"auth_key\":\"%s\"}", name,
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	return advice_http_post(h->client, h->base_url, "/api/v1/login/worker", h->origin, NULL, req, body,
				NULL, HARNESS_TIMEOUT_MS);
}

/* The answer with its digits masked: two locks that began a second apart say the same, but for
 * their end time and retry_after. */
static void mask_digits(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= '0' && *s <= '9')
			*s = '#';
}

static void test_unknown_names_lock_like_accounts(void **state)
{
	struct harness *h = *state;
	int statuses[8];

	/* backoff_after 1, lock_after 3, backoff_max_s 1: 401, 423 (wait), 401, 423 (wait), 401,
	 * then 423 locked (for lock_s, 15 minutes by default); the same for an account and a name
	 * without one. */
	for (int i = 0; i < 8; i++) {
		char *a = NULL, *b = NULL;
		int sa = raw_attempt(h, "ben", &a), sb = raw_attempt(h, "no.such.worker", &b);

		assert_int_equal(sa, sb);
		mask_digits(a);
		mask_digits(b);
		assert_string_equal(a, b);
		statuses[i] = sa;
		if (sa == 423 && strstr(a, "retry_after") != NULL)
			wait_backoff(h);
		free(a);
		free(b);
	}
	assert_int_equal(statuses[0], 401);
	assert_int_equal(statuses[1], 423);
	assert_int_equal(statuses[2], 401);
	assert_int_equal(statuses[3], 423);
	assert_int_equal(statuses[4], 401);
	assert_int_equal(statuses[5], 423);
	assert_int_equal(statuses[7], 423);
	assert_true(harness_log_contains(h, "an unknown name locked after 3 failed logins"));
}

static void test_account_and_role_end_close_sockets(void **state)
{
	struct harness *h = *state;
	const char *const end_anna[] = { "worker-end", "anna", "now", NULL };
	const char *const end_role[] = { "role-end", "ben", "Children and families", "now", NULL };
	struct advice_conn *anna, *ben;
	char *session = NULL, code[8];
	long long took;

	ctl(h, (const char *const[]){ "unlock", "ben", NULL }); /* locked by the test above */
	anna = worker_socket(h, "anna");
	ben = worker_socket(h, "ben");

	ctl(h, end_anna);
	took = expect_closed(anna);
	fprintf(stderr, "account end: socket closed after %lld ms\n", took);
	assert_true(advice_conn_is_open(ben));
	assert_int_equal(harness_demo_code(time(NULL) + TOTP_STEP_S, code), 0);
	assert_int_equal(advice_login_worker_totp(h->client, h->base_url, h->origin, "anna", "anna-demo",
						  code, &session, HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_FORBIDDEN);

	ctl(h, end_role);
	took = expect_closed(ben);
	fprintf(stderr, "role end: socket closed after %lld ms\n", took);
	assert_int_equal(advice_login_worker_totp(h->client, h->base_url, h->origin, "ben", "ben-demo", code,
						  &session, HARNESS_TIMEOUT_MS),
			 -ADVICE_ERR_FORBIDDEN);
	assert_true(harness_log_contains(h, "role of account"));
	advice_conn_free(anna);
	advice_conn_free(ben);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_second_factor),
		cmocka_unit_test(test_first_login_with_setup_code),
		cmocka_unit_test(test_unknown_names_lock_like_accounts),
		cmocka_unit_test(test_account_and_role_end_close_sockets),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
