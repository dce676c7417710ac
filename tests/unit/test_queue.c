/*
 * test_queue.c - the duty queues in the core, on a real SQLite file with an injected clock:
 * routing by category and language, fallback, assignment policies, the acknowledgement,
 * duty on/off, reassignment and release permissions and their access log, deadlines with
 * warnings, escalation and pauses (CORE_REQ_TICK), dashboards, notification contacts and
 * outbox rows. Every reply and event is checked against the protocol schema.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "calendar.h"
#include "corefix.h"
#include "roster.h"
#include "routing.h"

#define DAY CAL_DAY_MS

static int64_t L(int y, int m, int d, int hh, int mm)
{
	return cal_local_to_utc(cal_day_from_civil(y, m, d), hh * 60 + mm);
}

static const char *s(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void user_id_of(struct corefix *fx, const char *name, char out[STORE_ID_SIZE])
{
	struct store_worker w;

	assert_int_equal(fx->st->ops->staff->worker_get(fx->st, name, &w), STORE_OK);
	snprintf(out, STORE_ID_SIZE, "%s", w.user_id);
}

static void roster_add(struct corefix *fx, const char *name, const char *unit, const char *days,
		       const char *from, const char *to)
{
	struct store_roster r = { 0 };
	struct roster_shift sh;

	assert_int_equal(roster_parse_shift(days, from, to, &sh), 0);
	user_id_of(fx, name, r.user_id);
	snprintf(r.unit_id, sizeof r.unit_id, "%s", unit);
	r.days = sh.days;
	r.start_min = sh.start_min;
	r.end_min = sh.end_min;
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->duty->roster_add(fx->st, &r), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
}

static void queue_policy(struct corefix *fx, const char *category, int policy, int cap, const char *fallback)
{
	struct store_queue q, fq;
	struct store_queue_settings qs;

	assert_int_equal(fx->st->ops->queue->by_category(fx->st, category, &q), STORE_OK);
	assert_int_equal(fx->st->ops->queue->settings_get(fx->st, q.id, &qs), STORE_OK);
	qs.policy = policy;
	qs.cap = cap;
	if (fallback != NULL) {
		assert_int_equal(fx->st->ops->queue->by_category(fx->st, fallback, &fq), STORE_OK);
		snprintf(qs.fallback_id, sizeof qs.fallback_id, "%s", fq.id);
	}
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->queue->settings_put(fx->st, &qs), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
}

/* Opens a thread; returns the reply (caller decrefs). */
static json_t *open_thread(struct corefix *fx, const struct who *c, const char *category, const char *lang)
{
	static int n;
	char *body = corefix_body(20, 'q');
	char langf[32] = "";
	json_t *r;

	if (lang != NULL)
		snprintf(langf, sizeof langf, ",\"lang\":\"%s\"", lang);
	r = corefix_ws(fx, c,
		       "{\"type\":\"thread.open\",\"id\":\"o%d\",\"category\":\"%s\",\"body\":\"%s\"%s}", ++n,
		       category, body, langf);
	free(body);
	assert_string_equal(corefix_code(r), "ok");
	return r;
}

static json_t *send_msg(struct corefix *fx, const struct who *w, const char *thread, int await)
{
	static int n;
	char *body = corefix_body(10, 'a');
	json_t *r = corefix_ws(
		fx, w, "{\"type\":\"message.send\",\"id\":\"m%d\",\"thread\":\"%s\",\"body\":\"%s\"%s}", ++n,
		thread, body, await ? ",\"await_reply\":true" : "");

	free(body);
	return r;
}

/* Runs a tick at fx->now; returns the reply (events in rep->pushes), events checked. */
static struct core_reply *tick(struct corefix *fx)
{
	struct core_request *req = core_request_new(CORE_REQ_TICK, 0, "", 0);
	struct core_reply *rep = calloc(1, sizeof *rep);
	char why[256], field[256], def[96];

	req->now_ms = fx->now;
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(core_handle(fx->core, req, rep), 0);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	assert_int_equal(core_reply_render(rep), 0);
	assert_null(rep->json);
	for (size_t i = 0; i < rep->npush; i++) {
		json_t *j = json_loads(rep->pushes[i].json, 0, NULL);

		snprintf(def, sizeof def, "event.%s", s(j, "event"));
		if (schema_check_def(fx->schema, def, j, why, sizeof why, field, sizeof field) != ADVICE_OK)
			fail_msg("event %s breaks the schema at %s: %s", rep->pushes[i].json, field, why);
		json_decref(j);
	}
	free(req);
	return rep;
}

/* The number of pushes of `event` to `topic` (NULL: any topic). */
static int pushes(const struct core_reply *rep, const char *topic, const char *event)
{
	int n = 0;

	for (size_t i = 0; i < rep->npush; i++) {
		json_t *j = json_loads(rep->pushes[i].json, 0, NULL);

		if ((topic == NULL || strcmp(rep->pushes[i].topic, topic) == 0) &&
		    strcmp(s(j, "event"), event) == 0)
			n++;
		json_decref(j);
	}
	return n;
}

/* Calls and returns the whole reply (for events); *j gets the parsed reply. */
static struct core_reply *call_ws(struct corefix *fx, const struct who *w, const char *body, json_t **j)
{
	int rc;
	struct core_reply *rep = corefix_call(fx, CORE_REQ_MESSAGE, w, body, &rc, j);

	assert_int_equal(rc, 0);
	return rep;
}

static void test_ack_expected_time_and_out_of_hours(void **state)
{
	struct corefix *fx = *state;
	struct who c;
	json_t *r, *ack;

	fx->now = L(2026, 11, 20, 15, 0); /* Friday, in service hours */
	corefix_login_citizen(fx, "010594Y9032", &c);
	r = open_thread(fx, &c, "adult-social-work", "sv");
	ack = json_object_get(r, "ack");
	assert_int_equal(json_integer_value(json_object_get(ack, "expected_by")), L(2026, 11, 25, 15, 0));
	assert_false(json_is_true(json_object_get(ack, "out_of_hours")));
	assert_null(json_object_get(ack, "emergency"));
	assert_string_equal(s(ack, "lang"), "sv");
	assert_non_null(strstr(s(ack, "text"), "25.11.2026"));
	assert_non_null(strstr(s(ack, "text"), "Vi svarar"));
	assert_string_equal(s(r, "state"), "new"); /* manual policy by default */
	json_decref(r);

	fx->now = L(2026, 11, 21, 10, 0); /* Saturday */
	corefix_login_citizen(fx, "010594Y9032", &c);
	r = open_thread(fx, &c, "adult-social-work", NULL);
	ack = json_object_get(r, "ack");
	assert_true(json_is_true(json_object_get(ack, "out_of_hours")));
	assert_string_equal(s(ack, "lang"), "fi");
	assert_non_null(strstr(s(ack, "emergency"), "112"));
	assert_non_null(strstr(s(ack, "emergency"), "sosiaalipäivystyk"));
	/* Due at the end of Wednesday: shown as Wednesday's date. */
	assert_int_equal(json_integer_value(json_object_get(ack, "expected_by")), L(2026, 11, 26, 0, 0));
	assert_non_null(strstr(s(ack, "text"), "25.11.2026"));
	json_decref(r);

	fx->now = L(2026, 11, 20, 16, 0); /* Friday, just after hours */
	corefix_login_citizen(fx, "010594Y9032", &c);
	r = open_thread(fx, &c, "adult-social-work", "en");
	ack = json_object_get(r, "ack");
	assert_true(json_is_true(json_object_get(ack, "out_of_hours")));
	assert_non_null(strstr(s(ack, "emergency"), "social emergency service"));
	json_decref(r);
	/* An unknown language is refused by the schema. */
	r = corefix_ws(fx, &c,
		       "{\"type\":\"thread.open\",\"id\":\"x1\",\"category\":\"adult-social-work\","
		       "\"body\":\"aGVsbG8\",\"lang\":\"de\"}");
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
}

static void test_round_robin_and_duty(void **state)
{
	struct corefix *fx = *state;
	char anna[STORE_ID_SIZE], sara[STORE_ID_SIZE], anton[STORE_ID_SIZE];
	int got_anna = 0, got_sara = 0, got_anton = 0;
	struct who c, a;
	json_t *r;

	roster_add(fx, "anna", fx->unit_adult, "mon-fri", "08:00", "16:00");
	roster_add(fx, "sara", fx->unit_adult, "mon-fri", "08:00", "16:00");
	roster_add(fx, "anton", fx->unit_adult, "mon-fri", "12:00", "16:00");
	queue_policy(fx, "adult-social-work", QUEUE_ROUND_ROBIN, 0, NULL);
	user_id_of(fx, "anna", anna);
	user_id_of(fx, "sara", sara);
	user_id_of(fx, "anton", anton);
	fx->now = L(2026, 11, 18, 9, 0); /* anton not yet on duty */
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &a);
	for (int i = 0; i < 20; i++) {
		r = open_thread(fx, &c, "adult-social-work", NULL);
		assert_string_equal(s(r, "state"), "claimed");
		json_decref(r);
	}
	fx->now = L(2026, 11, 18, 13, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	for (int i = 0; i < 30; i++) {
		struct store_thread t;

		r = open_thread(fx, &c, "adult-social-work", NULL);
		assert_int_equal(fx->st->ops->thread->get(fx->st, s(r, "thread"), &t), STORE_OK);
		got_anna += strcmp(t.assignee_id, anna) == 0;
		got_sara += strcmp(t.assignee_id, sara) == 0;
		got_anton += strcmp(t.assignee_id, anton) == 0;
		json_decref(r);
	}
	assert_int_equal(got_anna, 10);
	assert_int_equal(got_sara, 10);
	assert_int_equal(got_anton, 10);
	/* Saturday: nobody on duty, the thread waits. */
	fx->now = L(2026, 11, 21, 10, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &a);
	r = open_thread(fx, &c, "adult-social-work", NULL);
	assert_string_equal(s(r, "state"), "new");
	json_decref(r);
	/* Anna marks herself on duty until 12:00 and gets the next one. */
	r = corefix_ws(fx, &a, "{\"type\":\"duty.set\",\"id\":\"d1\",\"duty\":\"on\",\"until\":%lld}",
		       (long long)L(2026, 11, 21, 12, 0));
	assert_string_equal(corefix_code(r), "ok");
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(r, "units"), 0), "on_duty")));
	json_decref(r);
	r = open_thread(fx, &c, "adult-social-work", NULL);
	assert_string_equal(s(r, "state"), "claimed");
	json_decref(r);
	fx->now = L(2026, 11, 21, 12, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &a);
	r = open_thread(fx, &c, "adult-social-work", NULL);
	assert_string_equal(s(r, "state"), "new");
	json_decref(r);
	r = corefix_ws(fx, &a, "{\"type\":\"duty.get\",\"id\":\"d2\"}");
	assert_string_equal(s(r, "duty"), "roster");
	json_decref(r);
	/* Off duty in working hours: not chosen. */
	fx->now = L(2026, 11, 23, 13, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &a);
	r = corefix_ws(fx, &a, "{\"type\":\"duty.set\",\"id\":\"d3\",\"duty\":\"off\"}");
	assert_false(
		json_is_true(json_object_get(json_array_get(json_object_get(r, "units"), 0), "on_duty")));
	json_decref(r);
	for (int i = 0; i < 6; i++) {
		struct store_thread t;

		r = open_thread(fx, &c, "adult-social-work", NULL);
		assert_int_equal(fx->st->ops->thread->get(fx->st, s(r, "thread"), &t), STORE_OK);
		assert_string_not_equal(t.assignee_id, anna);
		json_decref(r);
	}
	/* Bad duty requests change nothing. */
	r = corefix_ws(fx, &a, "{\"type\":\"duty.set\",\"id\":\"d4\",\"duty\":\"roster\",\"until\":%lld}",
		       (long long)(fx->now + 1000));
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	r = corefix_ws(fx, &a, "{\"type\":\"duty.set\",\"id\":\"d5\",\"duty\":\"on\",\"until\":%lld}",
		       (long long)(fx->now - 1));
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	r = corefix_ws(fx, &c, "{\"type\":\"duty.set\",\"id\":\"d6\",\"duty\":\"on\"}");
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
}

static void test_least_loaded_cap(void **state)
{
	struct corefix *fx = *state;
	struct who c;
	json_t *r;

	roster_add(fx, "anna", fx->unit_adult, "all", "00:00", "24:00");
	roster_add(fx, "anton", fx->unit_adult, "all", "00:00", "24:00");
	queue_policy(fx, "adult-social-work", QUEUE_LEAST_LOADED, 2, NULL);
	corefix_login_citizen(fx, "010594Y9032", &c);
	for (int i = 0; i < 5; i++) {
		r = open_thread(fx, &c, "adult-social-work", NULL);
		assert_string_equal(s(r, "state"), i < 4 ? "claimed" : "new");
		json_decref(r);
	}
}

static void test_fallback_and_language_route(void **state)
{
	struct corefix *fx = *state;
	struct store_queue fam;
	struct who c;
	json_t *r;

	fx->now = L(2026, 11, 18, 10, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	/* Nobody on duty in adult social work, ben on duty in children and families. */
	roster_add(fx, "ben", fx->unit_family, "mon-fri", "08:00", "16:00");
	queue_policy(fx, "adult-social-work", QUEUE_MANUAL, 0, "children-and-families");
	r = open_thread(fx, &c, "adult-social-work", NULL);
	assert_string_equal(s(json_object_get(r, "ack"), "lang"), "fi");
	json_decref(r);
	r = corefix_ws(fx, &c, "{\"type\":\"thread.list\",\"id\":\"l1\"}");
	assert_string_equal(s(json_array_get(json_object_get(r, "threads"), 0), "unit"), fx->unit_family);
	json_decref(r);
	/* Once somebody is on duty in adult social work, threads stay there. */
	roster_add(fx, "anton", fx->unit_adult, "mon-fri", "08:00", "16:00");
	r = open_thread(fx, &c, "adult-social-work", NULL);
	{
		struct store_thread t;

		assert_int_equal(fx->st->ops->thread->get(fx->st, s(r, "thread"), &t), STORE_OK);
		assert_string_equal(t.unit_id, fx->unit_adult);
	}
	json_decref(r);
	/* A Swedish route to the family unit's queue. */
	assert_int_equal(fx->st->ops->queue->by_category(fx->st, "children-and-families", &fam), STORE_OK);
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->queue->route_put(fx->st, "adult-social-work", "sv", fam.id), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	r = open_thread(fx, &c, "adult-social-work", "sv");
	{
		struct store_thread t;

		assert_int_equal(fx->st->ops->thread->get(fx->st, s(r, "thread"), &t), STORE_OK);
		assert_string_equal(t.unit_id, fx->unit_family);
	}
	json_decref(r);
}

/* A thread opened by a citizen and claimed by anna. */
static void claimed_thread(struct corefix *fx, struct who *c, struct who *a, char tid[STORE_ID_SIZE])
{
	json_t *r;

	corefix_login_citizen(fx, "010594Y9032", c);
	corefix_login_worker(fx, "anna", a);
	r = open_thread(fx, c, "adult-social-work", NULL);
	snprintf(tid, STORE_ID_SIZE, "%s", s(r, "thread"));
	json_decref(r);
	r = corefix_ws(fx, a, "{\"type\":\"thread.claim\",\"id\":\"c-%s\",\"thread\":\"%s\"}", tid, tid);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
}

static int first_row(void *arg, const struct store_audit *a)
{
	*(struct store_audit *)arg = *a;
	return 1;
}

static void test_reassign_permissions_and_log(void **state)
{
	struct corefix *fx = *state;
	char tid[STORE_ID_SIZE], ben_id[STORE_ID_SIZE], anton_id[STORE_ID_SIZE], topic[48];
	struct who c, a, sara, ben, anton;
	struct store_audit last;
	struct core_reply *rep;
	int64_t rows;
	json_t *r;

	fx->now = L(2026, 11, 18, 10, 0);
	claimed_thread(fx, &c, &a, tid);
	corefix_login_worker(fx, "sara", &sara);
	corefix_login_worker(fx, "ben", &ben);
	corefix_login_worker(fx, "anton", &anton);
	user_id_of(fx, "ben", ben_id);
	user_id_of(fx, "anton", anton_id);

	/* A worker may not reassign: refused and logged. */
	rows = corefix_audit_rows(fx, NULL);
	r = corefix_ws(fx, &a,
		       "{\"type\":\"thread.reassign\",\"id\":\"ra1\",\"thread\":\"%s\",\"to_user\":\"%s\","
		       "\"reason\":\"x\"}",
		       tid, anton_id);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "thread.reassign");
	assert_string_equal(last.outcome, "denied");
	/* The reason is required, and not only white space. */
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.reassign\",\"id\":\"ra2\",\"thread\":\"%s\",\"to_user\":\"%s\"}",
		       tid, anton_id);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.reassign\",\"id\":\"ra3\",\"thread\":\"%s\",\"to_user\":\"%s\","
		       "\"reason\":\"  \\t \"}",
		       tid, anton_id);
	assert_string_equal(corefix_code(r), "bad_request");
	assert_string_equal(s(r, "field"), "/reason");
	json_decref(r);
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.reassign\",\"id\":\"ra4\",\"thread\":\"%s\",\"reason\":\"r\"}",
		       tid);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	/* A target outside the unit, an unknown category. */
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.reassign\",\"id\":\"ra5\",\"thread\":\"%s\",\"to_user\":\"%s\","
		       "\"reason\":\"r\"}",
		       tid, ben_id);
	assert_string_equal(corefix_code(r), "not_found");
	assert_string_equal(s(r, "field"), "/to_user");
	json_decref(r);
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.reassign\",\"id\":\"ra6\",\"thread\":\"%s\",\"to_category\":"
		       "\"nope\",\"reason\":\"r\"}",
		       tid);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	/* Within the unit to anton: anna can still read (member), not write. */
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.reassign\",\"id\":\"ra7\",\"thread\":\"%s\",\"to_user\":\"%s\","
		       "\"reason\":\"Anna is on leave from tomorrow.\"}",
		       tid, anton_id);
	assert_string_equal(corefix_code(r), "ok");
	assert_string_equal(s(r, "assignee"), anton_id);
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 2);
	assert_string_equal(last.action, "reassign");
	r = send_msg(fx, &a, tid, 0);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 3);
	assert_string_equal(last.action, "message.send");
	assert_string_equal(last.outcome, "denied");
	r = corefix_ws(fx, &a, "{\"type\":\"thread.read\",\"id\":\"rd1\",\"thread\":\"%s\"}", tid);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	/* To the family unit: anna loses access at once, and the refusal is logged. */
	{
		char body[512];

		snprintf(body, sizeof body,
			 "{\"type\":\"thread.reassign\",\"id\":\"ra9\",\"thread\":\"%s\",\"to_category\":"
			 "\"children-and-families\",\"to_user\":\"%s\",\"reason\":\"About day care.\"}",
			 tid, ben_id);
		rep = call_ws(fx, &sara, body, &r);
	}
	assert_string_equal(corefix_code(r), "ok");
	assert_string_equal(s(r, "unit"), fx->unit_family);
	assert_string_equal(s(r, "state"), "claimed");
	snprintf(topic, sizeof topic, "unit:%s", fx->unit_adult);
	assert_int_equal(pushes(rep, topic, "thread.changed"), 1); /* the unit it left */
	snprintf(topic, sizeof topic, "unit:%s", fx->unit_family);
	assert_int_equal(pushes(rep, topic, "thread.changed"), 1);
	json_decref(r);
	core_reply_free(rep);
	rows = corefix_audit_rows(fx, NULL);
	r = corefix_ws(fx, &a, "{\"type\":\"thread.read\",\"id\":\"rd2\",\"thread\":\"%s\"}", tid);
	assert_string_equal(corefix_code(r), "not_found"); /* no longer hers to see (§6) */
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "thread.read");
	assert_string_equal(last.outcome, "denied");
	assert_string_equal(last.object + 7, tid);
	r = corefix_ws(fx, &ben, "{\"type\":\"thread.read\",\"id\":\"rd3\",\"thread\":\"%s\"}", tid);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	/* Sara supervises adult social work only: the thread is out of her sight now (not_found,
	 * §6); ben, a worker of its unit, sees it but may not move it. */
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.reassign\",\"id\":\"ra10\",\"thread\":\"%s\",\"to_category\":"
		       "\"adult-social-work\",\"reason\":\"back\"}",
		       tid);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	r = corefix_ws(fx, &ben,
		       "{\"type\":\"thread.reassign\",\"id\":\"ra11\",\"thread\":\"%s\",\"to_category\":"
		       "\"adult-social-work\",\"reason\":\"back\"}",
		       tid);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	/* The reasons are kept with their access-log rows. */
	{
		sqlite3 *db;
		sqlite3_stmt *q;
		struct store_audit row;

		assert_int_equal(sqlite3_open_v2(fx->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db,
						    "SELECT reason, audit_row, to_user FROM reassignments"
						    " ORDER BY id",
						    -1, &q, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(q, 0),
				    "Anna is on leave from tomorrow.");
		assert_string_equal((const char *)sqlite3_column_text(q, 2), anton_id);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(q, 0), "About day care.");
		row.row = 0;
		{
			int64_t want = sqlite3_column_int64(q, 1);
			assert_int_equal(fx->st->ops->audit->scan(fx->st, want, first_row, &row), STORE_OK);
			assert_int_equal(row.row, want);
			assert_string_equal(row.action, "reassign");
			assert_string_equal(row.unit_id, fx->unit_adult);
			assert_string_equal(row.object + 7, tid);
		}
		assert_true(row.row > 0);
		assert_int_equal(sqlite3_step(q), SQLITE_DONE);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
}

static void test_release(void **state)
{
	struct corefix *fx = *state;
	char tid[STORE_ID_SIZE];
	struct who c, a, sara, anton;
	json_t *r;

	fx->now = L(2026, 11, 18, 10, 0);
	claimed_thread(fx, &c, &a, tid);
	corefix_login_worker(fx, "sara", &sara);
	corefix_login_worker(fx, "anton", &anton);
	r = corefix_ws(fx, &anton, "{\"type\":\"thread.release\",\"id\":\"rl1\",\"thread\":\"%s\"}", tid);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	r = corefix_ws(fx, &a, "{\"type\":\"thread.release\",\"id\":\"rl2\",\"thread\":\"%s\"}", tid);
	assert_string_equal(corefix_code(r), "ok");
	assert_string_equal(s(r, "state"), "new");
	assert_true(json_is_null(json_object_get(r, "assignee")));
	json_decref(r);
	r = corefix_ws(fx, &a, "{\"type\":\"thread.release\",\"id\":\"rl3\",\"thread\":\"%s\"}", tid);
	assert_string_equal(corefix_code(r), "forbidden"); /* no longer the assignee */
	json_decref(r);
	r = corefix_ws(fx, &sara, "{\"type\":\"thread.release\",\"id\":\"rl4\",\"thread\":\"%s\"}", tid);
	assert_string_equal(corefix_code(r), "conflict");
	json_decref(r);
	r = corefix_ws(fx, &anton, "{\"type\":\"thread.claim\",\"id\":\"rl5\",\"thread\":\"%s\"}", tid);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.release\",\"id\":\"rl6\",\"thread\":\"%s\",\"reason\":\"sick\"}",
		       tid);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
}

static void test_deadlines_warn_escalate_pause(void **state)
{
	struct corefix *fx = *state;
	char tid[STORE_ID_SIZE], sara_id[STORE_ID_SIZE], topic[48];
	struct who c, a;
	struct store_clock clk;
	struct core_reply *rep;
	json_t *r;

	user_id_of(fx, "sara", sara_id);
	snprintf(topic, sizeof topic, "u:%s", sara_id);
	fx->now = L(2026, 11, 18, 10, 0); /* Wednesday; due Monday 10:00, warning at 75 % */
	claimed_thread(fx, &c, &a, tid);
	assert_int_equal(fx->st->ops->queue->clock_get(fx->st, tid, &clk), STORE_OK);
	assert_int_equal(clk.due, L(2026, 11, 23, 10, 0));
	assert_int_equal(clk.warn_at, L(2026, 11, 20, 16, 0)); /* 2.25 working days */
	fx->now = L(2026, 11, 20, 15, 59);
	rep = tick(fx);
	assert_int_equal(rep->npush, 0);
	core_reply_free(rep);
	fx->now = L(2026, 11, 20, 16, 0);
	rep = tick(fx);
	assert_int_equal(pushes(rep, NULL, "deadline.changed"), 1);
	assert_int_equal(pushes(rep, topic, "deadline.escalation"), 1);
	assert_int_equal(pushes(rep, topic, "dashboard.changed"), 1);
	core_reply_free(rep);
	rep = tick(fx); /* reported once */
	assert_int_equal(rep->npush, 0);
	core_reply_free(rep);
	/* The dashboard shows it at risk. */
	{
		struct who sara;

		corefix_login_worker(fx, "sara", &sara);
		r = corefix_ws(fx, &sara, "{\"type\":\"dashboard.get\",\"id\":\"db1\"}");
		assert_int_equal(
			json_integer_value(json_object_get(
				json_array_get(json_object_get(json_array_get(json_object_get(r, "units"), 0),
							       "queues"),
					       0),
				"at_risk")),
			1);
		json_decref(r);
	}
	/* Anna asks the citizen for more on Friday 17:00, after 55 working hours: the clock
	 * pauses with 17 hours left. */
	fx->now = L(2026, 11, 20, 17, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &a);
	r = send_msg(fx, &a, tid, 1);
	assert_string_equal(s(r, "state"), "waiting");
	json_decref(r);
	assert_int_equal(fx->st->ops->queue->clock_get(fx->st, tid, &clk), STORE_OK);
	assert_int_equal(clk.state, CLOCK_PAUSED);
	fx->now = L(2026, 11, 30, 9, 0); /* long past the old deadline: paused, nothing happens */
	rep = tick(fx);
	assert_int_equal(rep->npush, 0);
	core_reply_free(rep);
	/* The citizen answers on Monday 30th at 9:00: due 17 working hours later, Tuesday 02:00. */
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &a);
	r = send_msg(fx, &c, tid, 0);
	json_decref(r);
	assert_int_equal(fx->st->ops->queue->clock_get(fx->st, tid, &clk), STORE_OK);
	assert_int_equal(clk.state, CLOCK_RUNNING);
	assert_int_equal(clk.due, L(2026, 12, 1, 2, 0));
	fx->now = L(2026, 12, 1, 2, 0);
	rep = tick(fx);
	assert_int_equal(pushes(rep, topic, "deadline.escalation"), 1);
	core_reply_free(rep);
	assert_int_equal(fx->st->ops->queue->clock_get(fx->st, tid, &clk), STORE_OK);
	assert_int_equal(clk.level, LEVEL_MISSED);
	/* The answer stops the clock; the citizen's follow-up starts a new one. */
	fx->now = L(2026, 12, 1, 9, 0);
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &a);
	r = send_msg(fx, &a, tid, 0);
	json_decref(r);
	assert_int_equal(fx->st->ops->queue->clock_get(fx->st, tid, &clk), STORE_OK);
	assert_int_equal(clk.state, CLOCK_STOPPED);
	fx->now = L(2026, 12, 4, 9, 0); /* Friday */
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &a);
	r = send_msg(fx, &c, tid, 0);
	json_decref(r);
	assert_int_equal(fx->st->ops->queue->clock_get(fx->st, tid, &clk), STORE_OK);
	assert_int_equal(clk.kind, CLOCK_FOLLOW);
	assert_int_equal(clk.level, LEVEL_OK);
	assert_int_equal(clk.due, L(2026, 12, 9, 9, 0)); /* Independence Day is a Sunday in 2026 */
	/* Closing stops it. */
	r = corefix_ws(fx, &a, "{\"type\":\"thread.close\",\"id\":\"cl1\",\"thread\":\"%s\"}", tid);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	assert_int_equal(fx->st->ops->queue->clock_get(fx->st, tid, &clk), STORE_OK);
	assert_int_equal(clk.state, CLOCK_STOPPED);
	fx->now = L(2026, 12, 20, 9, 0);
	rep = tick(fx);
	assert_int_equal(rep->npush, 0);
	core_reply_free(rep);
}

static void test_dashboard(void **state)
{
	struct corefix *fx = *state;
	struct who c, a, sara;
	json_t *r, *d, *q, *w;

	fx->now = L(2026, 11, 18, 10, 0);
	roster_add(fx, "anna", fx->unit_adult, "mon-fri", "08:00", "16:00");
	corefix_login_citizen(fx, "010594Y9032", &c);
	corefix_login_worker(fx, "anna", &a);
	corefix_login_worker(fx, "sara", &sara);
	r = open_thread(fx, &c, "adult-social-work", NULL);
	json_decref(r);
	fx->now += 60000;
	r = open_thread(fx, &c, "adult-social-work", NULL);
	json_decref(r);
	r = corefix_ws(fx, &sara, "{\"type\":\"dashboard.get\",\"id\":\"db1\"}");
	assert_string_equal(corefix_code(r), "ok");
	d = json_array_get(json_object_get(r, "units"), 0);
	assert_string_equal(s(d, "unit"), fx->unit_adult);
	q = json_array_get(json_object_get(d, "queues"), 0);
	assert_int_equal(json_integer_value(json_object_get(q, "waiting")), 2);
	assert_int_equal(json_integer_value(json_object_get(q, "oldest_waiting")), L(2026, 11, 18, 10, 0));
	assert_int_equal(json_array_size(json_object_get(d, "workers")), 3);
	for (size_t i = 0; i < json_array_size(json_object_get(d, "workers")); i++) {
		w = json_array_get(json_object_get(d, "workers"), i);
		if (strcmp(s(w, "username"), "anna") == 0)
			assert_true(json_is_true(json_object_get(w, "on_duty")));
		else
			assert_false(json_is_true(json_object_get(w, "on_duty")));
	}
	json_decref(r);
	r = corefix_ws(fx, &a, "{\"type\":\"dashboard.get\",\"id\":\"db2\"}");
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	r = corefix_ws(fx, &sara, "{\"type\":\"dashboard.get\",\"id\":\"db3\",\"unit\":\"%s\"}",
		       fx->unit_family);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
}

static void test_notify_contact_and_outbox(void **state)
{
	struct corefix *fx = *state;
	char tid[STORE_ID_SIZE];
	struct store_outbox o;
	struct who c, a;
	json_t *r;

	fx->now = L(2026, 11, 18, 10, 0);
	claimed_thread(fx, &c, &a, tid);
	r = corefix_ws(fx, &c, "{\"type\":\"notify.get\",\"id\":\"n0\"}");
	assert_true(json_is_null(json_object_get(r, "email")));
	json_decref(r);
	r = corefix_ws(fx, &c, "{\"type\":\"notify.set\",\"id\":\"n1\",\"email\":\"a@b\",\"lang\":\"fi\"}");
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	r = corefix_ws(fx, &c,
		       "{\"type\":\"notify.set\",\"id\":\"n2\",\"phone\":\"0401234567\",\"lang\":\"fi\"}");
	assert_string_equal(corefix_code(r), "bad_request");
	assert_string_equal(s(r, "field"), "/phone");
	json_decref(r);
	r = corefix_ws(fx, &c, "{\"type\":\"notify.set\",\"id\":\"n3\",\"lang\":\"fi\"}");
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	r = corefix_ws(fx, &c,
		       "{\"type\":\"notify.set\",\"id\":\"n4\",\"email\":\"maija@example.org\","
		       "\"phone\":\"+358401234567\",\"lang\":\"sv\"}");
	assert_string_equal(corefix_code(r), "ok");
	assert_true(json_is_true(json_object_get(r, "email")));
	/* The reply (kept for idempotent replay) names no address. */
	{
		char *text = json_dumps(r, 0);

		assert_null(strstr(text, "example.org"));
		assert_null(strstr(text, "358401234567"));
		free(text);
	}
	json_decref(r);
	r = corefix_ws(fx, &c, "{\"type\":\"notify.get\",\"id\":\"n5\"}");
	assert_string_equal(s(r, "email"), "maija@example.org");
	assert_string_equal(s(r, "phone"), "+358401234567");
	assert_string_equal(s(r, "lang"), "sv");
	json_decref(r);
	r = corefix_ws(fx, &a, "{\"type\":\"notify.get\",\"id\":\"n6\"}");
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	/* A citizen's own message notifies nobody; the answer queues one per channel, once. */
	r = send_msg(fx, &c, tid, 0);
	json_decref(r);
	assert_int_equal(fx->st->ops->notify->outbox_next(fx->st, fx->now, &o), STORE_NOTFOUND);
	r = send_msg(fx, &a, tid, 0);
	json_decref(r);
	r = send_msg(fx, &a, tid, 1);
	json_decref(r);
	{
		int email = 0, sms = 0, rows = 0;

		assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
		while (fx->st->ops->notify->outbox_next(fx->st, fx->now, &o) == STORE_OK && rows++ < 10) {
			assert_string_equal(o.citizen_id, c.user_id);
			assert_int_equal(o.attempts, 0);
			email += o.channel == CHANNEL_EMAIL;
			sms += o.channel == CHANNEL_SMS;
			o.state = OUTBOX_SENT;
			assert_int_equal(fx->st->ops->notify->outbox_update(fx->st, &o), STORE_OK);
		}
		/* Exactly one row per channel: a second answer while they wait adds none. */
		assert_int_equal(email, 1);
		assert_int_equal(sms, 1);
		assert_int_equal(rows, 2);
		assert_int_equal(fx->st->ops->tx->rollback(fx->st), STORE_OK);
	}
	/* Deleting the contact cancels what was not sent. */
	r = corefix_ws(fx, &c, "{\"type\":\"notify.delete\",\"id\":\"n7\"}");
	assert_true(json_is_true(json_object_get(r, "deleted")));
	json_decref(r);
	assert_int_equal(fx->st->ops->notify->outbox_next(fx->st, fx->now, &o), STORE_NOTFOUND);
	r = corefix_ws(fx, &c, "{\"type\":\"notify.delete\",\"id\":\"n8\"}");
	assert_false(json_is_true(json_object_get(r, "deleted")));
	json_decref(r);
	r = send_msg(fx, &a, tid, 0);
	json_decref(r);
	assert_int_equal(fx->st->ops->notify->outbox_next(fx->st, fx->now, &o), STORE_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ack_expected_time_and_out_of_hours, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_round_robin_and_duty, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_least_loaded_cap, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_fallback_and_language_route, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_reassign_permissions_and_log, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_release, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_deadlines_warn_escalate_pause, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_dashboard, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_notify_contact_and_outbox, corefix_setup,
						corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
