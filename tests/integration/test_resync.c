/*
 * test_resync.c - a dashboard's resynchronisation through libadvice over the real adviced
 * (PROTOCOL.md §6.3, §7.4): anna lists her unit's threads in full, pages of two; while she is
 * disconnected the citizen writes, a colleague claims, the supervisor moves a thread to another
 * unit and anna reads a thread on her other device; after reconnecting, a list by change fetches
 * each changed thread once, reports the moved one as gone, and yields the full list's content.
 * read.set on one device reaches the other as read.changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice.h"
#include "harness.h"
#include "itest.h"

#define TIMEOUT_MS 10000
#define NTHREADS   5

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
	int rc = harness_stop(*state);

	free(*state);
	return rc;
}

static struct advice_conn *login(struct harness *h, const char *who, int citizen)
{
	char *session;
	struct advice_conn *k;

	if (citizen)
		assert_int_equal(harness_login_citizen(h, who, &session), 0);
	else
		assert_int_equal(harness_login_worker(h, who, &session), 0);
	k = harness_connect(h, session);
	assert_non_null(k);
	free(session);
	return k;
}

/* The thread summaries of a whole list, keyed by thread id: a full list (since < 0) or a list
 * by change; *change gets where to resume, *gone the number of "gone" removals (the last one's
 * thread into gone_id). A thread listed twice fails the test. */
static json_t *list_all(struct advice_conn *k, long long since, long long *change, int *gone, char *gone_id)
{
	json_t *all = json_object();
	char cursor[128] = "";
	int more = 1;

	*gone = 0;
	while (more) {
		json_t *r, *e;
		size_t i;

		if (since >= 0)
			r = itest_request(k, "ok",
					  "{\"type\":\"thread.list\",\"id\":\"c%lld\",\"limit\":2,\"changed_"
					  "since\":%lld}",
					  since, since);
		else if (cursor[0])
			r = itest_request(
				k, "ok",
				"{\"type\":\"thread.list\",\"id\":\"f\",\"limit\":2,\"cursor\":\"%s\"}",
				cursor);
		else
			r = itest_request(k, "ok", "{\"type\":\"thread.list\",\"id\":\"f\",\"limit\":2}");
		json_array_foreach (json_object_get(r, "threads"), i, e) {
			assert_null(json_object_get(all, itest_str(e, "thread")));
			json_object_set(all, itest_str(e, "thread"), e);
		}
		json_array_foreach (json_object_get(r, "removed"), i, e) {
			if (strcmp(itest_str(e, "reason"), "gone") == 0) {
				(*gone)++;
				snprintf(gone_id, 33, "%s", itest_str(e, "thread"));
			}
		}
		more = json_is_true(json_object_get(r, "more"));
		*change = itest_num(r, "change");
		if (since >= 0)
			since = *change;
		snprintf(cursor, sizeof cursor, "%s", more && since < 0 ? itest_str(r, "cursor") : "");
		json_decref(r);
	}
	return all;
}

/* Waits for the read.changed event about `thread` on `k`. */
static json_t *wait_read_changed(struct advice_conn *k, const char *thread)
{
	for (;;) {
		char *text = NULL;
		json_t *j;

		if (advice_next_message(k, &text, TIMEOUT_MS) != 0)
			fail_msg("no read.changed for %s", thread);
		j = json_loads(text, 0, NULL);
		free(text);
		if (j && itest_str(j, "event") && strcmp(itest_str(j, "event"), "read.changed") == 0 &&
		    strcmp(itest_str(j, "thread"), thread) == 0)
			return j;
		json_decref(j);
	}
}

static void test_dashboard_resync(void **state)
{
	struct harness *h = *state;
	struct advice_conn *c = login(h, "010594Y9032", 1), *anna = login(h, "anna", 0),
			   *anna2 = login(h, "anna", 0);
	struct advice_conn *sara = login(h, "sara", 0);
	char t[NTHREADS][33], gone_id[33] = "";
	json_t *board, *delta, *fresh, *r, *v;
	long long change, before;
	const char *key;
	int gone;

	for (int i = 0; i < NTHREADS; i++) {
		r = itest_request(
			c, "ok",
			"{\"type\":\"thread.open\",\"id\":\"o%d\",\"category\":\"adult-social-work\","
			"\"body\":\"b3BlbmluZw\"}",
			i);
		snprintf(t[i], sizeof t[i], "%s", itest_str(r, "thread"));
		json_decref(r);
	}
	board = list_all(anna, -1, &change, &gone, gone_id);
	assert_int_equal(json_object_size(board), NTHREADS);

	/* read.set on one device reaches the other. */
	json_decref(itest_request(
		anna, "ok", "{\"type\":\"read.set\",\"id\":\"rs1\",\"thread\":\"%s\",\"seq\":1}", t[0]));
	r = wait_read_changed(anna2, t[0]);
	assert_int_equal(itest_num(r, "read_seq"), 1);
	assert_int_equal(itest_num(r, "unread"), 0);
	json_decref(r);
	before = change;
	json_decref(board);
	board = list_all(anna, -1, &change, &gone, gone_id);
	assert_true(change > before);

	/* Disconnected; meanwhile a message, a claim by sara, a move to another unit, and a read
	 * on anna's other device. */
	advice_conn_free(anna);
	json_decref(itest_request(
		c, "ok", "{\"type\":\"message.send\",\"id\":\"m1\",\"thread\":\"%s\",\"body\":\"bW9yZQ\"}",
		t[1]));
	json_decref(itest_request(sara, "ok", "{\"type\":\"thread.claim\",\"id\":\"c1\",\"thread\":\"%s\"}",
				  t[2]));
	json_decref(itest_request(sara, "ok",
				  "{\"type\":\"thread.reassign\",\"id\":\"ra\",\"thread\":\"%s\","
				  "\"to_category\":\"children-and-families\",\"reason\":\"wrong unit\"}",
				  t[3]));
	json_decref(itest_request(
		anna2, "ok", "{\"type\":\"read.set\",\"id\":\"rs2\",\"thread\":\"%s\",\"seq\":1}", t[4]));

	/* Reconnected: exactly t1, t2 and t4 are fetched, t3 is gone. */
	anna = login(h, "anna", 0);
	delta = list_all(anna, change, &change, &gone, gone_id);
	assert_int_equal(json_object_size(delta), 3);
	assert_non_null(json_object_get(delta, t[1]));
	assert_non_null(json_object_get(delta, t[2]));
	assert_non_null(json_object_get(delta, t[4]));
	assert_int_equal(gone, 1);
	assert_string_equal(gone_id, t[3]);
	assert_int_equal(itest_num(json_object_get(delta, t[1]), "last_seq"), 2);
	assert_string_equal(itest_str(json_object_get(delta, t[2]), "state"), "claimed");
	assert_int_equal(itest_num(json_object_get(delta, t[4]), "read_seq"), 1);
	json_object_foreach (delta, key, v)
		json_object_set(board, key, v);
	json_object_del(board, t[3]);

	/* What the client built equals a fresh full list; nothing more changed since. */
	fresh = list_all(anna, -1, &before, &gone, gone_id);
	assert_true(json_equal(fresh, board));
	json_decref(list_all(anna, change, &before, &gone, gone_id));
	assert_int_equal(before, change);
	r = itest_request(anna, "ok", "{\"type\":\"thread.get\",\"id\":\"g\",\"thread\":\"%s\"}", t[1]);
	assert_true(json_equal(json_object_get(r, "summary"), json_object_get(board, t[1])));
	json_decref(r);
	json_decref(itest_request(anna, "not_found",
				  "{\"type\":\"thread.get\",\"id\":\"g2\",\"thread\":\"%s\"}", t[3]));

	json_decref(fresh);
	json_decref(delta);
	json_decref(board);
	advice_conn_free(anna);
	advice_conn_free(anna2);
	advice_conn_free(sara);
	advice_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dashboard_resync, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
