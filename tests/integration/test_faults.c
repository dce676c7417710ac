/*
 * test_faults.c - the store under a failing disk (R: durability). A write or fsync fails at
 * a counted point (ADVICE_FAULT_INJECT, server/store_fault.c): the affected message is never
 * acknowledged, the server stops (exit 74) instead of retrying, and after the fault is gone
 * every acknowledged message is there, the unacknowledged one at most once, and a resend
 * with the same request id creates no duplicate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "advice.h"
#include "harness.h"

#define MAX_MESSAGES 400

/* Starts a server whose store fails as `spec` says. */
static struct harness *start_faulty(const char *spec)
{
	struct harness *h = calloc(1, sizeof *h);

	assert_non_null(h);
	setenv("ADVICE_FAULT_INJECT", spec, 1);
	assert_int_equal(harness_start(h), 0);
	unsetenv("ADVICE_FAULT_INJECT");
	return h;
}

static json_int_t seq_of(const char *reply)
{
	json_t *j = json_loads(reply, 0, NULL);
	json_int_t seq = json_integer_value(json_object_get(j, "seq"));

	json_decref(j);
	return seq;
}

/* Counts messages of the thread whose body is `body`. */
static int count_body(const char *read_reply, const char *body)
{
	json_t *j = json_loads(read_reply, 0, NULL), *m;
	size_t i;
	int n = 0;

	json_array_foreach (json_object_get(j, "messages"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "body")), body) == 0)
			n++;
	json_decref(j);
	return n;
}

static void run_until_failure(const char *spec)
{
	struct harness *h = start_faulty(spec);
	char *session = NULL, *reply = NULL, req[512], thread[64], body[32];
	struct advice_conn *k;
	json_t *j;
	int acked = 0, rc = 0;

	assert_int_equal(harness_login_citizen(h, "010594Y9032", &session), 0);
	k = harness_connect(h, session);
	assert_non_null(k);
	assert_int_equal(
		advice_request(k,
			       "{\"type\":\"thread.open\",\"id\":\"t\",\"category\":\"adult-social-work\","
			       "\"body\":\"AAAA\"}",
			       &reply, HARNESS_TIMEOUT_MS),
		0);
	j = json_loads(reply, 0, NULL);
	snprintf(thread, sizeof thread, "%s", json_string_value(json_object_get(j, "thread")));
	json_decref(j);
	free(reply);

	/* Send until the disk fails; count the acknowledgements. */
	for (int i = 1; i <= MAX_MESSAGES; i++) {
		snprintf(body, sizeof body, "QUJD%04d", i);
		snprintf(req, sizeof req,
			 "{\"type\":\"message.send\",\"id\":\"m%d\",\"thread\":\"%s\",\"body\":\"%s\"}", i,
			 thread, body);
		reply = NULL;
		rc = advice_request(k, req, &reply, HARNESS_TIMEOUT_MS);
		if (rc != 0) {
			free(reply);
			break;
		}
		assert_int_equal(seq_of(reply), i + 1);
		acked = i;
		free(reply);
	}
	assert_true(rc != 0);	 /* the fault came */
	assert_true(acked >= 1); /* and not before the first message */
	print_message("%s: %d messages acknowledged before the fault\n", spec, acked);
	advice_conn_free(k);

	/* The server stopped by itself, with the store-failure status. */
	assert_int_equal(harness_wait_exit(h, HARNESS_TIMEOUT_MS), 74);
	assert_true(harness_log_contains(h, "the store failed"));

	/* The disk is fine again: every acknowledged message is there. */
	assert_int_equal(harness_start_again(h), 0);
	k = harness_connect(h, session);
	assert_non_null(k);
	snprintf(req, sizeof req,
		 "{\"type\":\"message.send\",\"id\":\"m%d\",\"thread\":\"%s\",\"body\":\"QUJD%04d\"}",
		 acked + 1, thread, acked + 1);
	assert_int_equal(advice_request(k, req, &reply, HARNESS_TIMEOUT_MS), 0); /* the resend */
	free(reply);
	for (int from = 0; from <= acked + 1; from += 100) {
		snprintf(req, sizeof req,
			 "{\"type\":\"thread.read\",\"id\":\"r%d\",\"thread\":\"%s\",\"after_seq\":%d,"
			 "\"limit\":100}",
			 from, thread, from);
		assert_int_equal(advice_request(k, req, &reply, HARNESS_TIMEOUT_MS), 0);
		for (int i = from; i < from + 100 && i <= acked + 1; i++) {
			if (i == 0)
				continue; /* seq 1 is the thread's first message */
			snprintf(body, sizeof body, "QUJD%04d", i);
			assert_int_equal(count_body(reply, body), 1); /* present, exactly once */
		}
		free(reply);
	}
	advice_conn_free(k);
	free(session);
	assert_int_equal(harness_stop(h), 0);
	free(h);
}

static void test_fsync_error(void **state)
{
	(void)state;
	run_until_failure("sync:60:eio");
}

static void test_disk_full(void **state)
{
	(void)state;
	run_until_failure("write:120:enospc");
}

static void test_integrity_after_faults(void **state)
{
	struct harness *h = start_faulty("sync:50:eio");
	char path[512], *session = NULL;
	sqlite3 *db;
	sqlite3_stmt *q;

	(void)state;
	/* Log in and let the server die at the fault; then check the file itself. */
	for (int i = 0; i < 50 && harness_login_citizen(h, "010594Y9032", &session) == 0; i++) {
		free(session);
		session = NULL;
	}
	free(session);
	harness_kill9(h);
	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	sqlite3_close(db);
	assert_int_equal(harness_stop(h), 0);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsync_error),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_integrity_after_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
