/*
 * test_round_trip.c - the first question-and-answer round trip against the real adviced:
 * a citizen asks, a worker claims, reads and answers, the citizen gets the answer live and
 * again after reconnecting (no gap, no duplicate); a worker of another unit is refused and
 * the refusal is in the access log; a kill -9 right after acknowledgements loses nothing;
 * advicectl verifies the access-log chain and names a broken row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "advice.h"
#include "harness.h"
#include "itest.h"

#define TIMEOUT_MS 10000
#define CITIZEN	   "010594Y9032"

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);

	assert_non_null(h);
	assert_int_equal(harness_start(h), 0);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;
	int rc = harness_stop(h);

	free(h);
	return rc;
}

/* The next event named `event`, skipping others; fails after the timeout. */
static json_t *next_event(struct advice_conn *k, const char *event)
{
	for (;;) {
		char *text = NULL;
		json_t *j;

		if (advice_next_message(k, &text, TIMEOUT_MS) != 0)
			fail_msg("no '%s' event arrived", event);
		j = json_loads(text, 0, NULL);
		free(text);
		if (j != NULL && itest_str(j, "event") != NULL && strcmp(itest_str(j, "event"), event) == 0)
			return j;
		json_decref(j);
	}
}

static char *user_of(struct advice_conn *k)
{
	json_t *w = json_loads(advice_conn_welcome(k), 0, NULL);
	char *id;

	assert_non_null(w);
	id = strdup(itest_str(w, "user"));
	json_decref(w);
	return id;
}

static struct advice_conn *login_citizen(struct harness *h, char **session)
{
	struct advice_conn *k;

	assert_int_equal(harness_login_citizen(h, CITIZEN, session), 0);
	k = harness_connect(h, *session);
	assert_non_null(k);
	return k;
}

static struct advice_conn *login_worker(struct harness *h, const char *name, char **session)
{
	struct advice_conn *k;

	assert_int_equal(harness_login_worker(h, name, session), 0);
	k = harness_connect(h, *session);
	assert_non_null(k);
	return k;
}

static void test_question_answer_live_and_after_reconnect(void **state)
{
	struct harness *h = *state;
	char *cs, *ws, thread[64];
	struct advice_conn *citizen = login_citizen(h, &cs);
	struct advice_conn *anna = login_worker(h, "anna", &ws);
	json_t *r, *ev, *msgs;

	r = itest_request(citizen, "ok",
			  "{\"type\":\"thread.open\",\"id\":\"q1\",\"category\":\"adult-social-work\","
			  "\"body\":\"cXVlc3Rpb24tY2lwaGVydGV4dA\"}");
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	assert_int_equal(itest_num(r, "seq"), 1);
	json_decref(r);

	/* The worker's dashboard hears of the new thread, without content. */
	ev = next_event(anna, "thread.changed");
	assert_string_equal(itest_str(ev, "thread"), thread);
	assert_string_equal(itest_str(ev, "state"), "new");
	json_decref(ev);

	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.claim\",\"id\":\"w1\",\"thread\":\"%s\"}",
				  thread));
	r = itest_request(anna, "ok", "{\"type\":\"thread.read\",\"id\":\"w2\",\"thread\":\"%s\"}", thread);
	assert_string_equal(itest_str(json_array_get(json_object_get(r, "messages"), 0), "body"),
			    "cXVlc3Rpb24tY2lwaGVydGV4dA");
	json_decref(r);
	json_decref(itest_request(
		anna, "ok",
		"{\"type\":\"message.send\",\"id\":\"w3\",\"thread\":\"%s\",\"body\":\"YW5zd2Vy\"}", thread));

	/* Live: the citizen's socket receives the answer. */
	for (;;) {
		ev = next_event(citizen, "message.new");
		if (itest_num(ev, "seq") == 2)
			break;
		json_decref(ev);
	}
	assert_string_equal(itest_str(ev, "body"), "YW5zd2Vy");
	assert_string_equal(itest_str(ev, "role"), "worker");
	json_decref(ev);

	/* After reconnecting: resume from the last seen sequence number. */
	advice_conn_free(citizen);
	citizen = harness_connect(h, cs);
	assert_non_null(citizen);
	r = itest_request(citizen, "ok",
			  "{\"type\":\"thread.read\",\"id\":\"c2\",\"thread\":\"%s\",\"after_seq\":1}",
			  thread);
	msgs = json_object_get(r, "messages");
	assert_int_equal(json_array_size(msgs), 1);
	assert_int_equal(itest_num(json_array_get(msgs, 0), "seq"), 2);
	assert_string_equal(itest_str(r, "state"), "answered");
	json_decref(r);
	r = itest_request(citizen, "ok",
			  "{\"type\":\"thread.read\",\"id\":\"c3\",\"thread\":\"%s\",\"after_seq\":0}",
			  thread);
	msgs = json_object_get(r, "messages");
	assert_int_equal(json_array_size(msgs), 2);
	assert_int_equal(itest_num(json_array_get(msgs, 0), "seq"), 1);
	assert_int_equal(itest_num(json_array_get(msgs, 1), "seq"), 2);
	json_decref(r);

	advice_conn_free(citizen);
	advice_conn_free(anna);
	free(cs);
	free(ws);
}

/* Counts access-log rows of `user` with `outcome` in the server's database. */
static int count_log(struct harness *h, const char *user, const char *outcome)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *q;
	int n = -1;

	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(db, "SELECT count(*) FROM access_log WHERE user_id = ?1 AND outcome = ?2",
				   -1, &q, NULL),
		SQLITE_OK);
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, outcome, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void test_other_unit_refused_and_logged(void **state)
{
	struct harness *h = *state;
	char *cs, *bs, *ben_id, thread[64];
	struct advice_conn *citizen = login_citizen(h, &cs);
	struct advice_conn *ben = login_worker(h, "ben", &bs);
	json_t *r;

	ben_id = user_of(ben);
	r = itest_request(
		citizen, "ok",
		"{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\",\"body\":"
		"\"AAAA\"}");
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	json_decref(r);
	assert_int_equal(count_log(h, ben_id, "denied"), 0);
	/* Staff of another unit may not see the thread: the answer is that of no such thread. */
	r = itest_request(ben, "not_found", "{\"type\":\"thread.read\",\"id\":\"b1\",\"thread\":\"%s\"}",
			  thread);
	assert_null(json_object_get(r, "messages"));
	json_decref(r);
	json_decref(itest_request(ben, "not_found",
				  "{\"type\":\"thread.claim\",\"id\":\"b2\",\"thread\":\"%s\"}", thread));
	assert_int_equal(count_log(h, ben_id, "denied"), 2);
	assert_int_equal(count_log(h, ben_id, "ok"), 0);
	advice_conn_free(citizen);
	advice_conn_free(ben);
	free(ben_id);
	free(cs);
	free(bs);
}

static void test_kill9_after_ack_loses_nothing(void **state)
{
	struct harness *h = *state;
	enum { N = 40 };
	char *cs, thread[64];
	struct advice_conn *citizen = login_citizen(h, &cs);
	json_t *r, *msgs;

	r = itest_request(
		citizen, "ok",
		"{\"type\":\"thread.open\",\"id\":\"k0\",\"category\":\"adult-social-work\",\"body\":"
		"\"MA\"}");
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	json_decref(r);
	for (int i = 1; i <= N; i++)
		json_decref(itest_request(citizen, "ok",
					  "{\"type\":\"message.send\",\"id\":\"k%d\",\"thread\":\"%s\","
					  "\"body\":\"QUJD%04d\"}",
					  i, thread, i));
	/* Acknowledged means on disk: kill without warning right after the last ack. */
	assert_int_equal(harness_kill9(h), 0);
	advice_conn_free(citizen);
	assert_int_equal(harness_start_again(h), 0);

	citizen = harness_connect(h, cs); /* the session survived too */
	assert_non_null(citizen);
	r = itest_request(citizen, "ok",
			  "{\"type\":\"thread.read\",\"id\":\"after\",\"thread\":\"%s\",\"limit\":100}",
			  thread);
	msgs = json_object_get(r, "messages");
	assert_int_equal(json_array_size(msgs), N + 1);
	for (int i = 0; i <= N; i++)
		assert_int_equal(itest_num(json_array_get(msgs, (size_t)i), "seq"), i + 1);
	json_decref(r);
	/* A resend of an acknowledged write after the crash creates no duplicate. */
	r = itest_request(
		citizen, "ok",
		"{\"type\":\"message.send\",\"id\":\"k%d\",\"thread\":\"%s\",\"body\":\"QUJD%04d\"}", N,
		thread, N);
	assert_int_equal(itest_num(r, "seq"), N + 1);
	json_decref(r);
	advice_conn_free(citizen);
	free(cs);
}

/* Runs advicectl with arguments; returns its exit status and its output in `out`. */
static int advicectl(const char *dir, const char *cmd, char *out, size_t outlen)
{
	char line[1024];
	FILE *p;
	size_t n = 0;
	int st;

	snprintf(line, sizeof line, "'%s' -d '%s' %s 2>&1", getenv("ADVICECTL"), dir, cmd);
	p = popen(line, "r");
	assert_non_null(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_access_log_chain_verified_by_advicectl(void **state)
{
	struct harness *h = *state;
	char *cs, *ws, thread[64], out[1024], path[512];
	struct advice_conn *citizen = login_citizen(h, &cs);
	struct advice_conn *anna = login_worker(h, "anna", &ws);
	sqlite3 *db;
	json_t *r;

	r = itest_request(
		citizen, "ok",
		"{\"type\":\"thread.open\",\"id\":\"v1\",\"category\":\"adult-social-work\",\"body\":"
		"\"AAAA\"}");
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	json_decref(r);
	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.claim\",\"id\":\"v2\",\"thread\":\"%s\"}",
				  thread));
	for (int i = 0; i < 3; i++)
		json_decref(itest_request(anna, "ok",
					  "{\"type\":\"thread.read\",\"id\":\"v3-%d\",\"thread\":\"%s\"}", i,
					  thread));
	advice_conn_free(citizen);
	advice_conn_free(anna);

	assert_int_equal(advicectl(h->dir, "audit-verify", out, sizeof out), 0);
	assert_non_null(strstr(out, "intact: 4 rows"));

	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TRIGGER access_log_append_only_u;"
				      "UPDATE access_log SET action = 'claim' WHERE row = 3;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(advicectl(h->dir, "audit-verify", out, sizeof out), 3);
	assert_non_null(strstr(out, "BROKEN at row 3"));
	free(cs);
	free(ws);
}

/* Runs adviced with the harness's configuration and extra arguments. */
static int adviced(struct harness *h, const char *conf, const char *args, char *out, size_t outlen)
{
	char line[1024];
	FILE *p;
	size_t n;
	int st;

	snprintf(line, sizeof line, "'%s' -c '%s' %s 2>&1", getenv("ADVICED"), conf, args);
	p = popen(line, "r");
	assert_non_null(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	(void)h;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_check_config(void **state)
{
	struct harness *h = *state;
	char conf[512], bad[600], pepper[600], out[2048];
	FILE *f;

	snprintf(conf, sizeof conf, "%s/adviced.conf", h->dir);
	assert_int_equal(adviced(h, conf, "--check-config", out, sizeof out), 0);
	assert_non_null(strstr(out, "configuration OK"));

	snprintf(bad, sizeof bad, "%s/bad.conf", h->dir);
	f = fopen(bad, "w");
	assert_non_null(f);
	fprintf(f, "port = 8080\nmax_message_bytes = 10\n");
	fclose(f);
	assert_int_equal(adviced(h, bad, "--check-config", out, sizeof out), 1);
	assert_non_null(strstr(out, "line 2: max_message_bytes"));

	snprintf(pepper, sizeof pepper, "%s/secrets/pepper", h->dir);
	assert_int_equal(chmod(pepper, 0644), 0);
	assert_int_equal(adviced(h, conf, "--check-config", out, sizeof out), 1);
	assert_non_null(strstr(out, "readable by its owner only"));
	assert_int_equal(chmod(pepper, 0600), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_question_answer_live_and_after_reconnect, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_unit_refused_and_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_after_ack_loses_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_log_chain_verified_by_advicectl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_config, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
