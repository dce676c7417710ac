/*
 * test_faults.c - the store under a failing disk (R: durability). A write or fsync fails at
 * a counted point (ADVICE_FAULT_INJECT, server/store/store_fault.c): the affected message is never
 * acknowledged, the server stops (exit 74) instead of retrying, and after the fault is gone
 * every acknowledged message is there and a resend with the same request id creates no
 * duplicate.
 *
 * What becomes of the unacknowledged message depends on the fault. A failed write never
 * reached the file, and SQLite writes a transaction's commit record last, so the message is
 * absent. A failed fsync says nothing about what the disk holds: the WAL frames were written
 * before the sync, and here the process died while the machine did not, so the OS cache still
 * has them and the message may be there after the restart. The promise is therefore not
 * "absent" but "never acknowledged, at most once, right after the acknowledged ones, and the
 * resend with the same id answers it": a client treats an unanswered write as unknown and
 * resends it.
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

/* How the unacknowledged message may be found after the restart. */
enum unacked { UNACKED_ABSENT, UNACKED_AT_MOST_ONCE };

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

/* Messages of the thread after seq `after`, as thread.read lists them. */
static size_t messages_after(struct advice_conn *k, const char *thread, int after, char **reply)
{
	char req[256];
	json_t *j;
	size_t n;

	snprintf(req, sizeof req,
		 "{\"type\":\"thread.read\",\"id\":\"after%d\",\"thread\":\"%s\",\"after_seq\":%d,"
		 "\"limit\":100}",
		 after, thread, after);
	assert_int_equal(advice_request(k, req, reply, HARNESS_TIMEOUT_MS), 0);
	j = json_loads(*reply, 0, NULL);
	n = json_array_size(json_object_get(j, "messages"));
	json_decref(j);
	return n;
}

/* The write whose store work failed was not acknowledged: the connection closed with the
 * server (it stops before sending the batch's replies), or the reply is an error. */
static void assert_not_acknowledged(int rc, const char *reply)
{
	assert_true(rc == -ADVICE_ERR_IO || rc == -ADVICE_ERR_UNAVAILABLE);
	if (reply != NULL) {
		assert_null(strstr(reply, "\"type\":\"ok\""));
		assert_non_null(strstr(reply, "\"code\":\"unavailable\""));
	}
}

/* After the restart, before the resend: the unacknowledged message (number `failed`, seq
 * failed + 1) is absent, or (a failed fsync) there once, right after the acknowledged ones. */
static void assert_unacked_after_restart(struct advice_conn *k, const char *thread, int failed,
					 enum unacked expect)
{
	char *reply = NULL, body[32];
	size_t later = messages_after(k, thread, failed, &reply); /* the acknowledged end at seq failed */

	snprintf(body, sizeof body, "QUJD%04d", failed);
	if (expect == UNACKED_ABSENT) {
		assert_int_equal(later, 0);
	} else {
		assert_true(later <= 1);
		assert_int_equal(count_body(reply, body), (int)later);
	}
	print_message("the unacknowledged message is %s after the restart\n", later ? "there" : "absent");
	free(reply);
}

static void run_until_failure(const char *spec, enum unacked expect)
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
			assert_not_acknowledged(rc, reply);
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

	/* The disk is fine again: every acknowledged message is there (below), the one that was
	 * not is as `expect` says, and its resend is answered with the seq right after them. */
	assert_int_equal(harness_start_again(h), 0);
	k = harness_connect(h, session);
	assert_non_null(k);
	assert_unacked_after_restart(k, thread, acked + 1, expect);
	snprintf(req, sizeof req,
		 "{\"type\":\"message.send\",\"id\":\"m%d\",\"thread\":\"%s\",\"body\":\"QUJD%04d\"}",
		 acked + 1, thread, acked + 1);
	assert_int_equal(advice_request(k, req, &reply, HARNESS_TIMEOUT_MS), 0); /* the resend */
	assert_int_equal(seq_of(reply), acked + 2);
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
	run_until_failure("sync:60:eio", UNACKED_AT_MOST_ONCE);
}

static void test_disk_full(void **state)
{
	(void)state;
	run_until_failure("write:120:enospc", UNACKED_ABSENT);
}

static void test_integrity_after_faults(void **state)
{
	struct harness *h = start_faulty("sync:50:eio");
	char path[512], *session = NULL;
	int logins = 0;
	sqlite3 *db;
	sqlite3_stmt *q;

	(void)state;
	/* Log in (a commit each) until the fault stops the server; then check the file itself. */
	while (logins < 500 && harness_login_citizen(h, "010594Y9032", &session) == 0) {
		free(session);
		session = NULL;
		logins++;
	}
	free(session);
	assert_true(logins >= 1 && logins < 500); /* the fault came, and not before the first */
	assert_int_equal(harness_wait_exit(h, HARNESS_TIMEOUT_MS), 74); /* the store-failure stop */
	assert_true(harness_log_contains(h, "the store failed"));
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
