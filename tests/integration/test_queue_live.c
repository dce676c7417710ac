/*
 * test_queue_live.c - the duty queues through libadvice over the real adviced: with
 * round-robin set by advicectl and anna on duty (duty.set), a new thread is assigned to
 * her at once and the citizen gets the acknowledgement (expected time, both texts from
 * adviced.conf, the emergency notice exactly when out of hours by the clock and the unit's
 * service hours set with advicectl, and always on a closed day); the supervisor sara
 * sees dashboard.changed and thread.changed live; her reassignment needs a reason, moves
 * the thread to another unit, and from then on anna is refused with the refusal in the
 * access log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "advice.h"
#include "calendar.h"
#include "harness.h"
#include "itest.h"

#define TIMEOUT_MS 10000
/* The service hours this test gives the unit (not the defaults, 08:00-16:00). */
#define OPEN_HHMM  "07:30"
#define CLOSE_HHMM "17:45"
#define OPEN_MIN   (7 * 60 + 30)
#define CLOSE_MIN  (17 * 60 + 45)

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

static int64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the unit is out of hours at `ms`: outside OPEN_MIN..CLOSE_MIN Helsinki time or not a
 * working day (a weekend, a public holiday or a closed day among `closed`, sorted). */
static int out_of_hours_at(int64_t ms, const int32_t *closed, size_t nclosed)
{
	struct calendar cal = { closed, nclosed };
	struct cal_local l;

	cal_local(ms, &l);
	return !(cal_is_working_day(&cal, l.day) && l.minute >= OPEN_MIN && l.minute < CLOSE_MIN);
}

/*
 * Opens a thread as `c` and returns the reply (state "ok"), with in *expected whether it is
 * out of hours by this process's clock read just before and just after; a request that
 * straddles a boundary of the service hours (the two readings differ) is opened again, so
 * the expectation holds for adviced's moment in between.
 */
static json_t *open_thread(struct advice_conn *c, const char *tag, const int32_t *closed, size_t nclosed,
			   int *expected)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int before = out_of_hours_at(realtime_ms(), closed, nclosed), after;
		json_t *r = itest_request(c, "ok",
					  "{\"type\":\"thread.open\",\"id\":\"%s-%d\","
					  "\"category\":\"adult-social-work\",\"lang\":\"en\","
					  "\"body\":\"AAAA\"}",
					  tag, attempt);

		after = out_of_hours_at(realtime_ms(), closed, nclosed);
		if (before == after) {
			*expected = before;
			return r;
		}
		json_decref(r);
	}
	fail_msg("three thread.open requests in a row straddled a boundary of the service hours");
	return NULL;
}

/* The acknowledgement in `r` is in English, from the configured texts, and out of hours (with
 * the emergency notice) exactly when `expected`. */
static void assert_ack(json_t *r, int expected)
{
	json_t *ack = json_object_get(r, "ack");

	assert_non_null(ack);
	assert_string_equal(itest_str(ack, "lang"), "en");
	assert_true(json_integer_value(json_object_get(ack, "expected_by")) > 0);
	/* The texts of the configuration (ack_text_en, emergency_text_en). */
	assert_true(strncmp(itest_str(ack, "text"), "Received. Answer by ", 20) == 0);
	assert_null(strstr(itest_str(ack, "text"), "{date}"));
	assert_true(json_is_boolean(json_object_get(ack, "out_of_hours")));
	assert_int_equal(json_is_true(json_object_get(ack, "out_of_hours")), expected);
	if (expected)
		assert_string_equal(itest_str(ack, "emergency"), "Not for emergencies: call 112.");
	else
		assert_null(json_object_get(ack, "emergency"));
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
	char *anna_id, *sara_id, thread[64], cmd[128], date[11];
	json_t *r, *ev, *dash;
	int32_t closed[2];
	int expected;

	advicectl(h, "queue-policy adult-social-work round-robin");
	advicectl(h, "unit-hours 'Adult social work' " OPEN_HHMM " " CLOSE_HHMM);
	anna = login(h, "anna", 0);
	sara = login(h, "sara", 0);
	c = login(h, "010594Y9032", 1);
	anna_id = user_of(anna);
	sara_id = user_of(sara);
	json_decref(itest_request(anna, "ok", "{\"type\":\"duty.set\",\"id\":\"d1\",\"duty\":\"on\"}"));
	json_decref(itest_request(sara, "ok", "{\"type\":\"duty.set\",\"id\":\"d2\",\"duty\":\"off\"}"));

	/* Assigned to anna at once, acknowledged in the thread's language, out of hours exactly
	 * when the clock is outside the unit's hours (no closed days yet). */
	r = open_thread(c, "o", NULL, 0, &expected);
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	assert_string_equal(itest_str(r, "state"), "claimed");
	assert_ack(r, expected);
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
	json_decref(itest_request(anna, "not_found", /* as for no such thread (§6) */
				  "{\"type\":\"thread.read\",\"id\":\"a3\",\"thread\":\"%s\"}", thread));
	assert_int_equal(count_log(h, anna_id, "thread.read", "denied"), 1);

	/* Today and tomorrow (Helsinki time) closed: out of hours whatever the time of day. */
	{
		struct cal_local l;

		cal_local(realtime_ms(), &l);
		for (int i = 0; i < 2; i++) {
			closed[i] = l.day + i;
			cal_format_date(closed[i], date);
			snprintf(cmd, sizeof cmd, "closed-add %s 'Closed by the test'", date);
			advicectl(h, cmd);
		}
	}
	r = open_thread(c, "closed", closed, 2, &expected);
	assert_int_equal(expected, 1);
	assert_ack(r, 1);
	json_decref(r);

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
