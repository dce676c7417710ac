/*
 * test_queue_live.c - the duty queues through libadvice over the real adviced: with
 * round-robin set by advicectl and anna on duty (duty.set), a new thread is assigned to
 * her at once and the citizen gets the acknowledgement (expected time, the emergency
 * notice exactly when out of hours, both texts from adviced.conf); the supervisor sara
 * sees dashboard.changed and thread.changed live; her reassignment needs a reason, moves
 * the thread to another unit, and from then on anna is refused with the refusal in the
 * access log.
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
#include "itest.h"

#define TIMEOUT_MS 10000

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);

	assert_non_null(h);
	assert_int_equal(harness_start_with(h, 0,
					    "ack_text_en = Received. Answer by {date}.\n"
					    "emergency_text_en = Not for emergencies: call 112.\n"),
			 0);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	int rc = harness_stop(*state);

	free(*state);
	return rc;
}

/* Waits for both thread.changed about `thread` and dashboard.changed, in either order. */
static void both_events(struct advice_conn *k, const char *thread, json_t **tc, json_t **dc)
{
	*tc = *dc = NULL;
	while (*tc == NULL || *dc == NULL) {
		char *text = NULL;
		const char *ev;
		json_t *j;

		if (advice_next_message(k, &text, TIMEOUT_MS) != 0)
			fail_msg("thread.changed %s, dashboard.changed %s", *tc ? "arrived" : "missing",
				 *dc ? "arrived" : "missing");
		j = json_loads(text, 0, NULL);
		free(text);
		ev = j ? itest_str(j, "event") : NULL;
		if (ev != NULL && *tc == NULL && strcmp(ev, "thread.changed") == 0 &&
		    itest_str(j, "thread") && strcmp(itest_str(j, "thread"), thread) == 0)
			*tc = j;
		else if (ev != NULL && *dc == NULL && strcmp(ev, "dashboard.changed") == 0)
			*dc = j;
		else
			json_decref(j);
	}
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

static char *user_of(struct advice_conn *k)
{
	json_t *w = json_loads(advice_conn_welcome(k), 0, NULL);
	char *id;

	assert_non_null(w);
	id = strdup(itest_str(w, "user"));
	json_decref(w);
	return id;
}

static void advicectl(struct harness *h, const char *args)
{
	char cmd[1024];
	int st;

	snprintf(cmd, sizeof cmd, "'%s' -d '%s' %s >/dev/null 2>&1", getenv("ADVICECTL"), h->dir, args);
	st = system(cmd);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Access-log rows of `user` with `action` and `outcome`. */
static int count_log(struct harness *h, const char *user, const char *action, const char *outcome)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *q;
	int n = -1;

	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM access_log WHERE user_id = ?1 AND"
					    " action = ?2 AND outcome = ?3",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, outcome, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void test_assign_ack_dashboard_reassign(void **state)
{
	struct harness *h = *state;
	struct advice_conn *anna, *sara, *c;
	char *anna_id, *sara_id, thread[64];
	json_t *r, *ack, *ev, *dash;

	advicectl(h, "queue-policy adult-social-work round-robin");
	anna = login(h, "anna", 0);
	sara = login(h, "sara", 0);
	c = login(h, "010594Y9032", 1);
	anna_id = user_of(anna);
	sara_id = user_of(sara);
	json_decref(itest_request(anna, "ok", "{\"type\":\"duty.set\",\"id\":\"d1\",\"duty\":\"on\"}"));
	json_decref(itest_request(sara, "ok", "{\"type\":\"duty.set\",\"id\":\"d2\",\"duty\":\"off\"}"));

	/* Assigned to anna at once, acknowledged in the thread's language. */
	r = itest_request(
		c, "ok",
		"{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\",\"lang\":\"en\","
		"\"body\":\"AAAA\"}");
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	assert_string_equal(itest_str(r, "state"), "claimed");
	ack = json_object_get(r, "ack");
	assert_non_null(ack);
	assert_string_equal(itest_str(ack, "lang"), "en");
	assert_true(json_integer_value(json_object_get(ack, "expected_by")) > 0);
	/* The texts of the configuration (ack_text_en, emergency_text_en). */
	assert_true(strncmp(itest_str(ack, "text"), "Received. Answer by ", 20) == 0);
	assert_null(strstr(itest_str(ack, "text"), "{date}"));
	assert_int_equal(json_is_true(json_object_get(ack, "out_of_hours")),
			 json_object_get(ack, "emergency") != NULL);
	if (json_object_get(ack, "emergency") != NULL)
		assert_string_equal(itest_str(ack, "emergency"), "Not for emergencies: call 112.");
	json_decref(r);

	/* The supervisor's dashboard hears of it live. */
	both_events(sara, thread, &ev, &dash);
	assert_string_equal(itest_str(ev, "assignee"), anna_id);
	assert_non_null(json_object_get(dash, "queues"));
	assert_non_null(json_object_get(dash, "workers"));
	json_decref(ev);
	json_decref(dash);
	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.read\",\"id\":\"a1\",\"thread\":\"%s\"}",
				  thread));

	/* Reassignment needs a reason; anna cannot reassign at all. */
	json_decref(itest_request(
		sara, "bad_request",
		"{\"type\":\"thread.reassign\",\"id\":\"s1\",\"thread\":\"%s\",\"reason\":\"   \","
		"\"to_category\":\"children-and-families\"}",
		thread));
	json_decref(itest_request(
		anna, "forbidden",
		"{\"type\":\"thread.reassign\",\"id\":\"a2\",\"thread\":\"%s\",\"reason\":\"mine\","
		"\"to_category\":\"children-and-families\"}",
		thread));
	r = itest_request(
		sara, "ok",
		"{\"type\":\"thread.reassign\",\"id\":\"s2\",\"thread\":\"%s\",\"reason\":\"a child "
		"protection matter\",\"to_category\":\"children-and-families\"}",
		thread);
	assert_string_equal(itest_str(r, "category"), "children-and-families");
	json_decref(r);
	assert_int_equal(count_log(h, sara_id, "reassign", "ok"), 1);
	assert_int_equal(count_log(h, anna_id, "thread.reassign", "denied"), 1);

	/* The unit the thread left hears of the move. */
	both_events(sara, thread, &ev, &dash);
	assert_string_equal(itest_str(ev, "category"), "children-and-families");
	json_decref(ev);
	json_decref(dash);

	/* anna has lost access at once, and the refusal is logged. */
	assert_int_equal(count_log(h, anna_id, "thread.read", "denied"), 0);
	json_decref(itest_request(anna, "forbidden",
				  "{\"type\":\"thread.read\",\"id\":\"a3\",\"thread\":\"%s\"}", thread));
	assert_int_equal(count_log(h, anna_id, "thread.read", "denied"), 1);

	advice_conn_free(anna);
	advice_conn_free(sara);
	advice_conn_free(c);
	free(anna_id);
	free(sara_id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_assign_ack_dashboard_reassign, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
