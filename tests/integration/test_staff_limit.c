/*
 * test_staff_limit.c - the per-address limit of the staff logins and the time-limited lock,
 * against the real adviced. A flood of wrong logins from one address gets 429 rate_limited
 * with retry_after (body and Retry-After header) once its few tokens are spent, before the
 * account is touched: the account is not locked, another address is not limited, and a
 * correct login works once the window has passed; correct logins cost no token. A lock runs
 * out after lock_s (2 s here: polled, not slept), the answer saying until when; a wrong
 * attempt after it locks again at once; advicectl unlock clears it. With lock_s = 0 a lock
 * stays (even one made in 1970) until advicectl unlock.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"

#define WAIT_MS	  15000 /* the longest a window or a lock of these configurations may take */
#define WRONG_KEY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

/* Starts adviced with `conf` appended to its configuration; the harness in *state. */
static int start(void **state, const char *conf)
{
	struct harness *h = calloc(1, sizeof(*h));

	*state = h;
	return h != NULL ? harness_start_with(h, 0, conf) : -1;
}

/* Three failed attempts per address at once, then one every 3 s; the account backs off
 * after 5 failures and locks at 6, so a flood that reached it would lock it. */
static int setup_limit(void **state)
{
	return start(state, "staff_login_burst = 3\n"
			    "staff_login_per_minute = 20\n"
			    "backoff_after = 5\n"
			    "lock_after = 6\n");
}

/* Locks after 3 failures, for 2 s. */
static int setup_timed(void **state)
{
	return start(state, "lock_s = 2\n"
			    "backoff_after = 2\n"
			    "lock_after = 3\n"
			    "backoff_max_s = 1\n");
}

/* Locks after 2 failures until an administrator unlocks. */
static int setup_for_good(void **state)
{
	return start(state, "lock_s = 0\n"
			    "backoff_after = 1\n"
			    "lock_after = 2\n"
			    "backoff_max_s = 1\n");
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

/* Opens the server's database (read-write, waiting for adviced's writes). */
static sqlite3 *db_open(struct harness *h)
{
	char path[512];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* The login state adviced keeps for the account `name`. */
static void login_state(struct harness *h, const char *name, int *failures, long long *locked_until,
			long long *locked_at)
{
	sqlite3 *db = db_open(h);
	sqlite3_stmt *q;

	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT failures, locked_until, locked_at FROM workers"
					    " WHERE username = ?1",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	*failures = sqlite3_column_int(q, 0);
	*locked_until = sqlite3_column_int64(q, 1);
	*locked_at = sqlite3_column_int64(q, 2);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* One login attempt of `name` with a wrong key, from the client's address: the status, the
 * body in *body. */
static int wrong_attempt(struct harness *h, const char *name, char **body)
{
	char req[200];

	snprintf(req, sizeof(req), "{\"username\":\"%s\",\"auth_key\":\"%s\"}", name, WRONG_KEY);
	return advice_http_post(h->client, h->base_url, "/api/v1/login/worker", h->origin, NULL, req, body,
				NULL, HARNESS_TIMEOUT_MS);
}

/* The same from the address `from` (127.0.0.0/8) over a raw connection: the status, the whole
 * response (headers too) in *resp. */
static int wrong_attempt_from(struct harness *h, const char *from, const char *name, char **resp)
{
	struct sockaddr_in src, dst;
	struct timeval tv = { 5, 0 };
	char body[200], req[600], *buf = calloc(1, 8192);
	size_t len = 0;
	int fd, status = -1;

	assert_non_null(buf);
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"auth_key\":\"%s\"}", name, WRONG_KEY);
	snprintf(req, sizeof(req),
		 "POST /api/v1/login/worker HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 strlen(body), body);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, from, &src.sin_addr), 1);
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst.sin_port = htons((uint16_t)h->port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		ssize_t n = read(fd, buf + len, 8191 - len);

		if (n <= 0 || (len += (size_t)n) >= 8191)
			break;
	}
	close(fd);
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
	*resp = buf;
	return status;
}

/* The integer after "name": in `text`, or -1 when absent. */
static long long number_after(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	return p != NULL ? strtoll(p + strlen(name), NULL, 10) : -1;
}

/* Logs the demo worker `name` in until the answer is not `refusal`, serving the client
 * meanwhile; fails after WAIT_MS. Returns the last answer (0: logged in). */
static int login_when_not(struct harness *h, const char *name, int refusal)
{
	long long deadline = monotonic_ms() + WAIT_MS;
	char *session = NULL;
	int rc;

	while ((rc = harness_login_worker(h, name, &session)) == refusal) {
		if (monotonic_ms() > deadline)
			fail_msg("%s still refused (%s) after %d ms", name, advice_err_name(-refusal),
				 WAIT_MS);
		advice_client_service(h->client, 100);
	}
	free(session);
	return rc;
}

/* Polls until adviced's backoff of `name` has ended. */
static void wait_backoff(struct harness *h, const char *name)
{
	long long deadline = monotonic_ms() + WAIT_MS, until, at;
	int failures;

	for (;;) {
		login_state(h, name, &failures, &until, &at);
		if (realtime_ms() >= until)
			return;
		if (monotonic_ms() > deadline)
			fail_msg("the backoff of %s outlasted backoff_max_s", name);
		advice_client_service(h->client, 20);
	}
}

static void ctl_unlock(struct harness *h, const char *name)
{
	const char *const args[] = { "unlock", name, NULL };

	assert_int_equal(harness_ctl(h, args, NULL), 0);
}

/* Correct logins give their token back: many in a row from one address, all let in. */
static void test_correct_logins_cost_nothing(void **state)
{
	struct harness *h = *state;
	char *session = NULL;

	for (int i = 0; i < 12; i++) {
		assert_int_equal(harness_login_worker(h, "sara", &session), 0);
		free(session);
		session = NULL;
	}
}

static void test_flood_refused_before_the_account(void **state)
{
	struct harness *h = *state;
	int refused = 0, failed = 0, failures;
	long long until, at, retry;
	char *body = NULL;

	/* The flood: the burst (3) gets through, and one more if a token refilled meanwhile. */
	for (int i = 0; i < 20; i++) {
		int status = wrong_attempt(h, "anna", &body);

		if (status == 401) {
			assert_int_equal(refused, 0); /* every refusal comes after the failures */
			failed++;
		} else {
			assert_int_equal(status, 429);
			assert_non_null(strstr(body, "\"code\":\"rate_limited\""));
			retry = number_after(body, "\"retry_after\":");
			assert_true(retry >= 1 && retry <= 3);
			refused++;
		}
		free(body);
		body = NULL;
	}
	assert_true(failed >= 3 && failed <= 4);
	/* The account saw only the failures that got through: not locked, not even backing off. */
	login_state(h, "anna", &failures, &until, &at);
	assert_int_equal(failures, failed);
	assert_int_equal(at, 0);
	assert_int_equal(until, 0);
	/* The limit is per address: another one is answered by the account rules. */
	assert_int_equal(wrong_attempt_from(h, "127.0.0.2", "ben", &body), 401);
	free(body);
	/* The limited address gets the header too, and its correct login waits for the window. */
	assert_int_equal(wrong_attempt_from(h, "127.0.0.1", "anna", &body), 429);
	assert_true(strcasestr(body, "\r\nretry-after: ") != NULL);
	retry = number_after(strcasestr(body, "\r\nretry-after: "), "retry-after: ");
	assert_true(retry >= 1 && retry <= 3);
	free(body);
	assert_int_equal(login_when_not(h, "anna", -ADVICE_ERR_RATE_LIMITED), 0);
	login_state(h, "anna", &failures, &until, &at);
	assert_int_equal(failures, 0);
	assert_true(harness_log_contains(h, "staff login refused (429"));
}

/* Locks anna: lock_after (3) wrong attempts, waiting out the backoff between them. */
static void lock_anna(struct harness *h, int attempts)
{
	char *body = NULL;

	for (int i = 0; i < attempts; i++) {
		wait_backoff(h, "anna");
		assert_int_equal(wrong_attempt(h, "anna", &body), 401);
		free(body);
		body = NULL;
	}
}

static void test_timed_lock_runs_out(void **state)
{
	struct harness *h = *state;
	long long until, at, retry, deadline;
	char *body = NULL;
	int failures;

	lock_anna(h, 3);
	login_state(h, "anna", &failures, &until, &at);
	assert_int_equal(failures, 3);
	assert_true(at > 0);
	/* Locked: whatever key, 423 with the seconds left and the time in the message. */
	assert_int_equal(wrong_attempt(h, "anna", &body), 423);
	retry = number_after(body, "\"retry_after\":");
	assert_true(retry >= 1 && retry <= 2);
	assert_non_null(strstr(body, "locked after too many failed logins until "));
	assert_non_null(strstr(body, " UTC"));
	free(body);
	body = NULL;
	/* The lock runs out by itself and the right password works. */
	assert_int_equal(login_when_not(h, "anna", -ADVICE_ERR_LOCKED), 0);

	/* Locked again; once it has run out, one wrong attempt locks it again at once. */
	lock_anna(h, 3);
	login_state(h, "anna", &failures, &until, &at);
	deadline = monotonic_ms() + WAIT_MS;
	while (realtime_ms() < at + 2000) {
		assert_true(monotonic_ms() < deadline);
		advice_client_service(h->client, 50);
	}
	assert_int_equal(wrong_attempt(h, "anna", &body), 401);
	free(body);
	body = NULL;
	assert_int_equal(wrong_attempt(h, "anna", &body), 423);
	assert_true(number_after(body, "\"retry_after\":") >= 1);
	free(body);
	/* advicectl unlock lifts it at once. */
	ctl_unlock(h, "anna");
	assert_int_equal(login_when_not(h, "anna", -ADVICE_ERR_LOCKED), 0);
}

/* lock_s = 0, the old behaviour: locked until an administrator unlocks, however long ago. */
static void test_lock_for_good(void **state)
{
	struct harness *h = *state;
	char *body = NULL, *session = NULL;
	sqlite3 *db;

	lock_anna(h, 2);
	assert_int_equal(wrong_attempt(h, "anna", &body), 423);
	assert_null(strstr(body, "retry_after"));
	assert_non_null(strstr(body, "ask an administrator"));
	free(body);
	body = NULL;
	db = db_open(h);
	assert_int_equal(sqlite3_exec(db, "UPDATE workers SET locked_at = 1 WHERE username = 'anna'", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(harness_login_worker(h, "anna", &session), -ADVICE_ERR_LOCKED);
	assert_int_equal(wrong_attempt(h, "anna", &body), 423);
	assert_null(strstr(body, "retry_after"));
	free(body);
	ctl_unlock(h, "anna");
	assert_int_equal(harness_login_worker(h, "anna", &session), 0);
	free(session);
}

int main(void)
{
	const struct CMUnitTest limit[] = {
		cmocka_unit_test(test_correct_logins_cost_nothing),
		cmocka_unit_test(test_flood_refused_before_the_account),
	};
	const struct CMUnitTest timed[] = {
		cmocka_unit_test_setup_teardown(test_timed_lock_runs_out, setup_timed, teardown),
		cmocka_unit_test_setup_teardown(test_lock_for_good, setup_for_good, teardown),
	};
	int failed = cmocka_run_group_tests_name("per-address limit", limit, setup_limit, teardown);

	return failed + cmocka_run_group_tests_name("locks", timed, NULL, NULL);
}
