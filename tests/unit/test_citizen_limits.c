/*
 * test_citizen_limits.c - what one citizen may cost (issue 14): open threads, threads a day
 * and message bytes a day, each refused with 429 rate_limited (retry_after until Helsinki
 * midnight for the daily ones) and free again when a thread closes or the day turns; staff
 * are not limited. The unit's dashboard is computed and pushed only when a supervisor is
 * connected (presence.h). The counters the store keeps with each write equal a full recount
 * of the threads after a random sequence of opens, claims, messages, releases, moves,
 * closes and deadline ticks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "calendar.h"
#include "corefix.h"
#include "presence.h"
#include "testutil.h"

static int64_t L(int y, int m, int d, int hh, int mm)
{
	return cal_local_to_utc(cal_day_from_civil(y, m, d), hh * 60 + mm);
}

static const char *s(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Restarts the fixture's core with these citizen limits and presence set. */
static void restart(struct corefix *fx, int open, int per_day, int64_t bytes, const struct presence *p)
{
	core_free(fx->core);
	fx->cc.citizen_open_threads = open;
	fx->cc.citizen_threads_per_day = per_day;
	fx->cc.citizen_bytes_per_day = bytes;
	fx->cc.presence = p;
	fx->core = core_new(fx->st, &fx->cc);
	assert_non_null(fx->core);
}

/* thread.open of `n` bytes by `c`; returns the reply (caller decrefs). */
static json_t *open_thread(struct corefix *fx, const struct who *c, size_t n)
{
	static int seq;
	char *body = corefix_body(n, 'q');
	json_t *r = corefix_ws(fx, c,
			       "{\"type\":\"thread.open\",\"id\":\"o%d\",\"category\":\"adult-social-work\","
			       "\"body\":\"%s\"}",
			       ++seq, body);

	free(body);
	return r;
}

static json_t *send_msg(struct corefix *fx, const struct who *w, const char *tid, size_t n)
{
	static int seq;
	char *body = corefix_body(n, 'm');
	json_t *r = corefix_ws(fx, w,
			       "{\"type\":\"message.send\",\"id\":\"m%d\",\"thread\":\"%s\",\"body\":\"%s\"}",
			       ++seq, tid, body);

	free(body);
	return r;
}

static json_t *simple(struct corefix *fx, const struct who *w, const char *type, const char *tid)
{
	static int seq;

	return corefix_ws(fx, w, "{\"type\":\"%s\",\"id\":\"s%d\",\"thread\":\"%s\"}", type, ++seq, tid);
}

static void expect_ok(json_t *r)
{
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
}

/* A rate_limited reply; returns its retry_after (-1 when absent). */
static int64_t expect_limited(json_t *r)
{
	json_t *ra = json_object_get(r, "retry_after");
	int64_t v = ra ? json_integer_value(ra) : -1;

	assert_string_equal(corefix_code(r), "rate_limited");
	assert_non_null(s(r, "message"));
	json_decref(r);
	return v;
}

/* Opens a thread and copies its id into `tid`. */
static void opened(struct corefix *fx, const struct who *c, size_t n, char tid[STORE_ID_SIZE])
{
	json_t *r = open_thread(fx, c, n);

	assert_string_equal(corefix_code(r), "ok");
	snprintf(tid, STORE_ID_SIZE, "%s", s(r, "thread"));
	json_decref(r);
}

static void test_open_threads_limit(void **state)
{
	struct corefix *fx = *state;
	char tid[3][STORE_ID_SIZE];
	struct who c, other;

	restart(fx, 3, 0, 0, NULL);
	fx->now = L(2026, 11, 18, 10, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_citizen(fx, "010594Y9043", &other);
	for (int i = 0; i < 3; i++)
		opened(fx, &c, 10, tid[i]);
	assert_int_equal(expect_limited(open_thread(fx, &c, 10)), -1); /* waiting does not help */
	expect_ok(open_thread(fx, &other, 10));			       /* another citizen may */
	expect_ok(send_msg(fx, &c, tid[0], 10));		       /* and c may still write */
	expect_ok(simple(fx, &c, "thread.close", tid[1]));
	expect_ok(open_thread(fx, &c, 10));
	assert_int_equal(expect_limited(open_thread(fx, &c, 10)), -1);
}

static void test_threads_per_day_until_helsinki_midnight(void **state)
{
	struct corefix *fx = *state;
	char tid[STORE_ID_SIZE];
	struct who c;

	restart(fx, 0, 2, 0, NULL);
	fx->now = L(2026, 3, 28, 23, 30); /* the night before summer time: midnight is 22:00 UTC */
	corefix_login_citizen(fx, "010594Y9032", &c);
	opened(fx, &c, 10, tid);
	expect_ok(simple(fx, &c, "thread.close", tid));
	expect_ok(open_thread(fx, &c, 10));
	assert_int_equal(expect_limited(open_thread(fx, &c, 10)), 1800);
	fx->now = L(2026, 3, 28, 23, 59) + 59500;
	assert_int_equal(expect_limited(open_thread(fx, &c, 10)), 1); /* rounded up */
	fx->now = L(2026, 3, 29, 0, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	expect_ok(open_thread(fx, &c, 10));
	expect_ok(open_thread(fx, &c, 10));
	assert_int_equal(expect_limited(open_thread(fx, &c, 10)), 24 * 3600 - 3600); /* 23 h day */
}

static void test_bytes_per_day(void **state)
{
	struct corefix *fx = *state;
	char tid[STORE_ID_SIZE];
	struct who c, anna;
	json_t *r;

	restart(fx, 0, 0, 1000, NULL);
	fx->now = L(2026, 11, 18, 12, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &anna);
	assert_int_equal(expect_limited(open_thread(fx, &c, 1001)), 12 * 3600);
	opened(fx, &c, 600, tid);
	expect_ok(send_msg(fx, &c, tid, 400)); /* exactly the limit */
	assert_int_equal(expect_limited(send_msg(fx, &c, tid, 1)), 12 * 3600);
	/* A refused message was not stored. */
	r = simple(fx, &c, "thread.get", tid);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "summary"), "last_seq")), 2);
	json_decref(r);
	/* Staff are not limited. */
	expect_ok(simple(fx, &anna, "thread.claim", tid));
	expect_ok(send_msg(fx, &anna, tid, 2000));
	fx->now = L(2026, 11, 19, 0, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	expect_ok(send_msg(fx, &c, tid, 1000));
}

static int count_pushes(const struct core_reply *rep, const char *topic, const char *event)
{
	int n = 0;

	for (size_t i = 0; i < rep->npush; i++) {
		json_t *j = json_loads(rep->pushes[i].json, 0, NULL);

		if (strcmp(rep->pushes[i].topic, topic) == 0 && strcmp(s(j, "event"), event) == 0)
			n++;
		json_decref(j);
	}
	return n;
}

/* thread.open pushes the dashboard to sara only while she is connected. */
static void test_dashboard_only_for_connected_supervisors(void **state)
{
	struct corefix *fx = *state;
	struct presence *p = presence_new();
	struct core_reply *rep;
	char topic[48], *body = corefix_body(10, 'd'), req[256];
	struct who c, sara;
	int rc;

	assert_non_null(p);
	restart(fx, 0, 0, 0, p);
	fx->now = L(2026, 11, 18, 10, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "sara", &sara);
	snprintf(topic, sizeof topic, "u:%s", sara.user_id);
	for (int connected = 0; connected < 2; connected++) {
		if (connected)
			assert_int_equal(presence_add(p, topic), 0);
		snprintf(req, sizeof req,
			 "{\"type\":\"thread.open\",\"id\":\"p%d\",\"category\":\"adult-social-work\","
			 "\"body\":\"%s\"}",
			 connected, body);
		rep = corefix_call(fx, CORE_REQ_MESSAGE, &c, req, &rc, NULL);
		assert_non_null(rep);
		assert_int_equal(count_pushes(rep, topic, "dashboard.changed"), connected);
		core_reply_free(rep);
	}
	presence_remove(p, topic);
	assert_int_equal(presence_has(p, topic), 0);
	assert_int_equal(presence_has(NULL, topic), 1);
	restart(fx, 0, 0, 0, NULL);
	presence_free(p);
	free(body);
}

/* The statistics as the store keeps them and as a full recount finds them (the query the
 * dashboard ran before the counters). */
static void compare_with_recount(struct corefix *fx)
{
	static const char *const sql[] = {
		"SELECT q.id, count(t.id) FILTER (WHERE t.state = 0),"
		" ifnull(min(t.created) FILTER (WHERE t.state = 0), 0),"
		" count(c.thread_id) FILTER (WHERE c.state = 1 AND c.level = 1),"
		" count(c.thread_id) FILTER (WHERE c.state = 1 AND c.level = 2),"
		" count(t.id) FILTER (WHERE t.state != 4)"
		" FROM queues q LEFT JOIN threads t ON t.queue_id = q.id"
		" LEFT JOIN thread_clock c ON c.thread_id = t.id GROUP BY q.id ORDER BY q.id",
		"SELECT q.id, c.waiting, ifnull((SELECT min(created) FROM threads w"
		" WHERE w.queue_id = q.id AND w.state = 0), 0), c.at_risk, c.missed, c.open"
		" FROM queues q JOIN queue_counts c ON c.queue_id = q.id ORDER BY q.id",
		"SELECT m.user_id, (SELECT count(*) FROM threads t WHERE t.assignee_id = m.user_id"
		" AND t.state != 4), 0, 0, 0, 0 FROM memberships m ORDER BY m.user_id",
		"SELECT m.user_id, ifnull((SELECT open FROM staff_load l WHERE l.user_id = m.user_id), 0),"
		" 0, 0, 0, 0 FROM memberships m ORDER BY m.user_id",
		"SELECT citizen_id, count(*) FILTER (WHERE state != 4), 0, 0, 0, 0 FROM threads"
		" GROUP BY citizen_id ORDER BY citizen_id",
		"SELECT t.citizen_id, u.open, 0, 0, 0, 0 FROM (SELECT DISTINCT citizen_id FROM threads) t"
		" JOIN citizen_usage u ON u.citizen_id = t.citizen_id ORDER BY t.citizen_id",
	};
	sqlite3 *h;

	assert_int_equal(sqlite3_open_v2(fx->db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (size_t k = 0; k < sizeof sql / sizeof sql[0]; k += 2) {
		sqlite3_stmt *a, *b;
		int ra, rb, rows = 0;

		assert_int_equal(sqlite3_prepare_v2(h, sql[k], -1, &a, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(h, sql[k + 1], -1, &b, NULL), SQLITE_OK);
		while ((ra = sqlite3_step(a)) == SQLITE_ROW) {
			assert_int_equal(rb = sqlite3_step(b), SQLITE_ROW);
			for (int col = 0; col < 6; col++)
				if (strcmp((const char *)sqlite3_column_text(a, col),
					   (const char *)sqlite3_column_text(b, col)) != 0)
					fail_msg("%s row %d column %d: recount %s, kept %s",
						 k == 0	  ? "queues"
						 : k == 2 ? "load"
							  : "citizens",
						 rows, col, sqlite3_column_text(a, col),
						 sqlite3_column_text(b, col));
			rows++;
		}
		assert_int_equal(ra, SQLITE_DONE);
		assert_int_equal(sqlite3_step(b), SQLITE_DONE);
		assert_true(rows > 0);
		sqlite3_finalize(a);
		sqlite3_finalize(b);
	}
	sqlite3_close(h);
}

/* Whether the sequence reached what the counters must follow: clocks at risk or missed,
 * moves between queues, closed and open threads. */
static int sequence_covered(struct corefix *fx)
{
	sqlite3_stmt *q;
	sqlite3 *h;
	int ok;

	assert_int_equal(sqlite3_open_v2(fx->db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(h,
				   "SELECT (SELECT count(*) FROM thread_clock WHERE level > 0),"
				   " (SELECT count(*) FROM reassignments WHERE from_queue != to_queue),"
				   " (SELECT count(*) FROM threads WHERE state = 4),"
				   " (SELECT count(*) FROM threads WHERE state != 4)",
				   -1, &q, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	ok = sqlite3_column_int(q, 0) > 0 && sqlite3_column_int(q, 1) > 0 && sqlite3_column_int(q, 2) > 0 &&
	     sqlite3_column_int(q, 3) > 0;
	sqlite3_finalize(q);
	sqlite3_close(h);
	return ok;
}

static void test_counters_equal_recount(void **state)
{
	static const char *const hetus[] = { "010594Y9032", "010594Y9043", "010594Y9054" };
	static const char *const categories[] = { "adult-social-work", "children-and-families" };
	struct corefix *fx = *state;
	char tids[64][STORE_ID_SIZE];
	struct who c[3], anna, ben, sara;
	size_t n = 0;
	json_t *r;
	int tick_rc;

	/* Sessions that outlast the sequence's simulated days. */
	fx->cc.citizen_idle_ms = fx->cc.citizen_abs_ms = 30 * CAL_DAY_MS;
	fx->cc.staff_idle_ms = fx->cc.staff_abs_ms = 30 * CAL_DAY_MS;
	restart(fx, 0, 0, 0, NULL);
	srand(14);
	fx->now = L(2026, 11, 16, 9, 0);
	for (int i = 0; i < 3; i++)
		corefix_login_citizen(fx, hetus[i], &c[i]);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "ben", &ben);
	corefix_login_worker(fx, "sara", &sara);
	for (int step = 0; step < 400; step++) {
		const char *tid = n ? tids[rand() % (int)n] : NULL;
		int op = n < 3 ? 0 : rand() % 8;

		fx->now += 20 * 60000; /* deadlines come due along the way */
		switch (op) {
		case 0:
			if (n < 64)
				opened(fx, &c[rand() % 3], 10, tids[n++]);
			break;
		case 1: json_decref(simple(fx, rand() % 2 ? &anna : &ben, "thread.claim", tid)); break;
		case 2: json_decref(send_msg(fx, rand() % 2 ? &anna : &ben, tid, 10)); break;
		case 3: json_decref(send_msg(fx, &c[rand() % 3], tid, 10)); break;
		case 4:
			json_decref(simple(fx, rand() % 2 ? &c[rand() % 3] : &anna, "thread.close", tid));
			break;
		case 5: json_decref(simple(fx, &sara, "thread.release", tid)); break;
		case 6:
			r = corefix_ws(fx, &sara,
				       "{\"type\":\"thread.reassign\",\"id\":\"ra%d\",\"thread\":\"%s\","
				       "\"to_category\":\"%s\",\"reason\":\"move\"}",
				       step, tid, categories[rand() % 2]);
			json_decref(r);
			break;
		default: core_reply_free(corefix_call(fx, CORE_REQ_TICK, NULL, "", &tick_rc, NULL)); break;
		}
		if (step % 50 == 49)
			compare_with_recount(fx);
	}
	compare_with_recount(fx);
	assert_true(sequence_covered(fx));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_threads_limit, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_threads_per_day_until_helsinki_midnight, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_bytes_per_day, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_dashboard_only_for_connected_supervisors, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_counters_equal_recount, corefix_setup, corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
