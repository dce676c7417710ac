/*
 * test_staff_tools.c - the staff app's server side in the core, with an injected clock: the
 * collision guard (thread.presence: entries, events, lapse, logout, a move away, the bound),
 * the roster and a unit's own closed days (roster.get, roster.set, closed.set: rights,
 * validation, the access log, and the closed days counting for the unit's queues only), and
 * the supervisors' access-log queries (audit.query: units, filters, paging, the chain). Every
 * reply and event is checked against the protocol schema (corefix).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "calendar.h"
#include "corefix.h"

#define CITIZEN "010594Y9032"

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

/* A staff account with a membership, logged in. */
static void add_staff(struct corefix *fx, const char *name, const char *unit, enum store_role role,
		      struct who *out)
{
	struct store_worker w = { .opslimit = 1, .memlimit = 8192 };
	uint8_t key[ADVICE_AUTH_KEY_BYTES], raw[ADVICE_ID_HEX / 2];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(w.user_id, sizeof w.user_id, raw, sizeof raw);
	snprintf(w.username, sizeof w.username, "%s", name);
	randombytes_buf(w.salt, sizeof w.salt);
	corefix_worker_key(name, key);
	core_keyed_hash(fx->cc.pepper, "auth key", key, sizeof key, w.auth_hash);
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->staff->worker_insert(fx->st, &w, fx->now), STORE_OK);
	assert_int_equal(fx->st->ops->staff->membership_add(fx->st, w.user_id, unit, role), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	corefix_login_worker(fx, name, out);
}

/* Calls and returns the whole reply (events in rep->pushes); *j gets the parsed reply. */
static struct core_reply *call_ws(struct corefix *fx, const struct who *w, json_t **j, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static struct core_reply *call_ws(struct corefix *fx, const struct who *w, json_t **j, const char *fmt, ...)
{
	char body[8192];
	va_list ap;
	int rc;
	struct core_reply *rep;

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, w, body, &rc, j);
	assert_int_equal(rc, 0);
	return rep;
}

/* Runs a tick at fx->now; returns the reply. */
static struct core_reply *tick(struct corefix *fx)
{
	struct core_request *req = core_request_new(CORE_REQ_TICK, 0, "", 0);
	struct core_reply *rep = calloc(1, sizeof *rep);

	req->now_ms = fx->now;
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(core_handle(fx->core, req, rep), 0);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	assert_int_equal(core_reply_render(rep), 0);
	core_request_free(req);
	return rep;
}

/* The last push of `event` to `topic` (parsed; NULL when none). */
static json_t *last_push(const struct core_reply *rep, const char *topic, const char *event)
{
	json_t *found = NULL;

	for (size_t i = 0; i < rep->npush; i++) {
		json_t *j = rep->pushes[i].json ? json_loads(rep->pushes[i].json, 0, NULL)
						: json_incref(rep->pushes[i].event);

		if (strcmp(rep->pushes[i].topic, topic) == 0 && strcmp(s(j, "event"), event) == 0) {
			json_decref(found);
			found = j;
		} else {
			json_decref(j);
		}
	}
	return found;
}

static int count_pushes(const struct core_reply *rep, const char *event)
{
	int n = 0;

	for (size_t i = 0; i < rep->npush; i++) {
		json_t *j = rep->pushes[i].json ? json_loads(rep->pushes[i].json, 0, NULL)
						: json_incref(rep->pushes[i].event);

		n += strcmp(s(j, "event"), event) == 0;
		json_decref(j);
	}
	return n;
}

static void topic_of(const char *unit, char out[48])
{
	snprintf(out, 48, "unit:%s", unit);
}

/* A thread of the adult unit opened by the citizen; its id into tid. */
static void open_thread(struct corefix *fx, struct who *c, const char *category, char tid[STORE_ID_SIZE],
			json_t **reply)
{
	static int n;
	char *body = corefix_body(20, 'q');
	json_t *r = corefix_ws(
		fx, c, "{\"type\":\"thread.open\",\"id\":\"o%d\",\"category\":\"%s\",\"body\":\"%s\"}", ++n,
		category, body);

	free(body);
	assert_string_equal(corefix_code(r), "ok");
	snprintf(tid, STORE_ID_SIZE, "%s", s(r, "thread"));
	if (reply != NULL)
		*reply = r;
	else
		json_decref(r);
}

/* thread.presence as `w`; returns the reply's code, *rep the whole reply (caller frees). */
static const char *presence(struct corefix *fx, const struct who *w, const char *tid, const char *state,
			    struct core_reply **rep, json_t **j)
{
	static int n;
	json_t *r;
	struct core_reply *cr = call_ws(fx, w, &r,
					"{\"type\":\"thread.presence\",\"id\":\"p%d\",\"thread\":\"%s\","
					"\"state\":\"%s\"}",
					++n, tid, state);
	static char code[32];

	snprintf(code, sizeof code, "%s", corefix_code(r));
	if (j != NULL)
		*j = r;
	else
		json_decref(r);
	if (rep != NULL)
		*rep = cr;
	else
		core_reply_free(cr);
	return code;
}

static size_t nviewers(json_t *o)
{
	return json_array_size(json_object_get(o, "viewers"));
}

/* Collision guard */

static void test_presence(void **state)
{
	struct corefix *fx = *state;
	struct who c, anna, anton, ben, sara;
	char tid[STORE_ID_SIZE], adult[48], family[48], anna_id[STORE_ID_SIZE], ben_id[STORE_ID_SIZE];
	struct core_reply *rep;
	struct store_audit last;
	json_t *r, *ev;
	int64_t rows;

	fx->now = L(2026, 11, 18, 10, 0);
	topic_of(fx->unit_adult, adult);
	topic_of(fx->unit_family, family);
	corefix_login_citizen(fx, CITIZEN, &c);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "anton", &anton);
	corefix_login_worker(fx, "ben", &ben);
	corefix_login_worker(fx, "sara", &sara);
	user_id_of(fx, "anna", anna_id);
	user_id_of(fx, "ben", ben_id);
	open_thread(fx, &c, "adult-social-work", tid, NULL);

	/* anna opens it: she is the viewer, and her unit is told. */
	assert_string_equal(presence(fx, &anna, tid, "viewing", &rep, &r), "ok");
	assert_int_equal(nviewers(r), 1);
	assert_string_equal(s(json_array_get(json_object_get(r, "viewers"), 0), "user"), anna_id);
	assert_string_equal(s(json_array_get(json_object_get(r, "viewers"), 0), "state"), "viewing");
	json_decref(r);
	ev = last_push(rep, adult, "thread.presence");
	assert_non_null(ev);
	assert_int_equal(nviewers(ev), 1);
	assert_string_equal(s(ev, "unit"), fx->unit_adult);
	json_decref(ev);
	core_reply_free(rep);
	/* anton too; then anna writes: each a change. A mere refresh is none. */
	fx->now += 1000;
	assert_string_equal(presence(fx, &anton, tid, "viewing", &rep, &r), "ok");
	assert_int_equal(nviewers(r), 2);
	json_decref(r);
	assert_int_equal(count_pushes(rep, "thread.presence"), 1);
	core_reply_free(rep);
	fx->now += 1000;
	assert_string_equal(presence(fx, &anna, tid, "writing", &rep, &r), "ok");
	assert_int_equal(count_pushes(rep, "thread.presence"), 1);
	assert_string_equal(s(json_array_get(json_object_get(r, "viewers"), 1), "state"), "writing");
	json_decref(r);
	core_reply_free(rep);
	assert_string_equal(presence(fx, &anna, tid, "writing", &rep, NULL), "ok");
	assert_int_equal(count_pushes(rep, "thread.presence"), 0);
	core_reply_free(rep);

	/* Staff of another unit: as for no thread; a citizen: forbidden, logged. */
	assert_string_equal(presence(fx, &ben, tid, "viewing", NULL, NULL), "not_found");
	rows = corefix_audit_rows(fx, NULL);
	assert_string_equal(presence(fx, &c, tid, "viewing", NULL, NULL), "forbidden");
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "thread.presence");
	assert_string_equal(last.outcome, "denied");
	/* Presence itself writes nothing to the access log. */
	rows = corefix_audit_rows(fx, NULL);
	assert_string_equal(presence(fx, &anton, tid, "viewing", NULL, NULL), "ok");
	assert_int_equal(corefix_audit_rows(fx, NULL), rows);

	/* anna stops refreshing: 60 s after her last refresh she lapses; anton, who refreshed
	 * 30 s later, stays. */
	fx->now += 30000;
	assert_string_equal(presence(fx, &anton, tid, "viewing", NULL, NULL), "ok");
	fx->now += 29000;
	rep = tick(fx);
	assert_int_equal(count_pushes(rep, "thread.presence"), 0);
	core_reply_free(rep);
	fx->now += 1000;
	rep = tick(fx);
	ev = last_push(rep, adult, "thread.presence");
	assert_non_null(ev);
	assert_int_equal(nviewers(ev), 1);
	json_decref(ev);
	core_reply_free(rep);

	/* anton logs out: gone at once. */
	assert_string_equal(presence(fx, &sara, tid, "viewing", NULL, NULL), "ok");
	r = corefix_ws(fx, &anton, "{\"type\":\"session.logout\",\"id\":\"lo1\"}");
	json_decref(r);
	assert_string_equal(presence(fx, &sara, tid, "viewing", NULL, &r), "ok");
	assert_int_equal(nviewers(r), 1);
	json_decref(r);

	/* "left" removes the caller; leaving twice changes nothing. */
	assert_string_equal(presence(fx, &sara, tid, "left", &rep, &r), "ok");
	assert_int_equal(nviewers(r), 0);
	assert_int_equal(count_pushes(rep, "thread.presence"), 1);
	json_decref(r);
	core_reply_free(rep);
	assert_string_equal(presence(fx, &sara, tid, "left", &rep, NULL), "ok");
	assert_int_equal(count_pushes(rep, "thread.presence"), 0);
	core_reply_free(rep);

	/* A move to another unit: the viewers of the old unit go; both units are told. */
	assert_string_equal(presence(fx, &anna, tid, "viewing", NULL, NULL), "ok");
	rep = call_ws(fx, &sara, &r,
		      "{\"type\":\"thread.reassign\",\"id\":\"ra1\",\"thread\":\"%s\",\"to_category\":"
		      "\"children-and-families\",\"to_user\":\"%s\",\"reason\":\"family matter\"}",
		      tid, ben_id);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	ev = last_push(rep, adult, "thread.presence");
	assert_non_null(ev);
	assert_int_equal(nviewers(ev), 0);
	json_decref(ev);
	ev = last_push(rep, family, "thread.presence");
	assert_non_null(ev);
	assert_int_equal(nviewers(ev), 0);
	json_decref(ev);
	core_reply_free(rep);
	assert_string_equal(presence(fx, &anna, tid, "viewing", NULL, NULL), "not_found");
	assert_string_equal(presence(fx, &ben, tid, "viewing", NULL, &r), "ok");
	assert_int_equal(nviewers(r), 1);
	json_decref(r);
}

/* At most 16 viewers of a thread: the 17th is refused with conflict. */
static void test_presence_bound(void **state)
{
	struct corefix *fx = *state;
	struct who c, w[17];
	char tid[STORE_ID_SIZE], name[32];
	json_t *r;

	fx->now = L(2026, 11, 18, 10, 0);
	corefix_login_citizen(fx, CITIZEN, &c);
	open_thread(fx, &c, "adult-social-work", tid, NULL);
	for (int i = 0; i < 17; i++) {
		snprintf(name, sizeof name, "viewer%02d", i);
		add_staff(fx, name, fx->unit_adult, ROLE_WORKER, &w[i]);
	}
	for (int i = 0; i < 16; i++)
		assert_string_equal(presence(fx, &w[i], tid, "viewing", NULL, NULL), "ok");
	assert_string_equal(presence(fx, &w[16], tid, "viewing", NULL, &r), "conflict");
	assert_non_null(strstr(s(r, "message"), "16"));
	json_decref(r);
	/* One leaves: the 17th gets in. */
	assert_string_equal(presence(fx, &w[3], tid, "left", NULL, NULL), "ok");
	assert_string_equal(presence(fx, &w[16], tid, "viewing", NULL, &r), "ok");
	assert_int_equal(nviewers(r), 16);
	json_decref(r);
}

/* Roster */

static json_t *roster_set(struct corefix *fx, const struct who *w, const char *unit, const char *shifts)
{
	static int n;

	return corefix_ws(fx, w, "{\"type\":\"roster.set\",\"id\":\"rs%d\",\"unit\":\"%s\",\"shifts\":%s}",
			  ++n, unit, shifts);
}

/* The error's code and field as "code field". */
static const char *code_field(json_t *r, char out[128])
{
	snprintf(out, 128, "%s %s", corefix_code(r), s(r, "field") ? s(r, "field") : "");
	json_decref(r);
	return out;
}

static void test_roster(void **state)
{
	struct corefix *fx = *state;
	struct who anna, ben, sara, fiona;
	char anna_id[STORE_ID_SIZE], ben_id[STORE_ID_SIZE], sh[512], cf[128], topic[48];
	struct store_audit last;
	struct core_reply *rep;
	json_t *r, *shifts;
	int64_t rows;

	fx->now = L(2026, 11, 18, 10, 0);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "ben", &ben);
	corefix_login_worker(fx, "sara", &sara);
	add_staff(fx, "fiona", fx->unit_family, ROLE_SUPERVISOR, &fiona);
	user_id_of(fx, "anna", anna_id);
	user_id_of(fx, "ben", ben_id);

	/* Empty at first; a worker of the unit may read it. */
	r = corefix_ws(fx, &anna, "{\"type\":\"roster.get\",\"id\":\"g1\",\"unit\":\"%s\"}", fx->unit_adult);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "shifts")), 0);
	assert_int_equal(json_array_size(json_object_get(r, "closed_days")), 0);
	json_decref(r);
	/* Not a member: forbidden, logged; no such unit: not_found. */
	rows = corefix_audit_rows(fx, NULL);
	r = corefix_ws(fx, &ben, "{\"type\":\"roster.get\",\"id\":\"g2\",\"unit\":\"%s\"}", fx->unit_adult);
	assert_string_equal(code_field(r, cf), "forbidden ");
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "roster.get");
	assert_string_equal(last.outcome, "denied");
	assert_string_equal(last.unit_id, fx->unit_adult);
	r = corefix_ws(fx, &ben, "{\"type\":\"roster.get\",\"id\":\"g3\",\"unit\":\"%032x\"}", 77);
	assert_string_equal(code_field(r, cf), "not_found /unit");

	/* The supervisor sets it: logged, dashboard.changed, the reply as roster.get. */
	snprintf(sh, sizeof sh,
		 "[{\"user\":\"%s\",\"days\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],\"start\":\"08:00\","
		 "\"end\":\"16:00\"},{\"user\":\"%s\",\"days\":[\"sat\"],\"start\":\"22:00\",\"end\":\"24:"
		 "00\","
		 "\"on_holidays\":true}]",
		 anna_id, anna_id);
	rows = corefix_audit_rows(fx, NULL);
	rep = call_ws(fx, &sara, &r, "{\"type\":\"roster.set\",\"id\":\"s1\",\"unit\":\"%s\",\"shifts\":%s}",
		      fx->unit_adult, sh);
	assert_string_equal(corefix_code(r), "ok");
	shifts = json_object_get(r, "shifts");
	assert_int_equal(json_array_size(shifts), 2);
	assert_string_equal(s(json_array_get(shifts, 0), "username"), "anna");
	assert_string_equal(s(json_array_get(shifts, 1), "end"), "24:00");
	assert_true(json_is_true(json_object_get(json_array_get(shifts, 1), "on_holidays")));
	json_decref(r);
	snprintf(topic, sizeof topic, "u:%s", sara.user_id);
	assert_int_equal(count_pushes(rep, "dashboard.changed") > 0, 1);
	core_reply_free(rep);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "roster.set");
	assert_string_equal(last.outcome, "ok");
	/* anna is on duty now (a Wednesday at 10:00) by the roster. */
	r = corefix_ws(fx, &anna, "{\"type\":\"duty.get\",\"id\":\"d1\"}");
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(r, "units"), 0), "on_duty")));
	json_decref(r);
	/* A new roster replaces the old one wholly. */
	snprintf(sh, sizeof sh,
		 "[{\"user\":\"%s\",\"days\":[\"sun\"],\"start\":\"09:00\",\"end\":\"10:00\"}]", anna_id);
	r = roster_set(fx, &sara, fx->unit_adult, sh);
	assert_int_equal(json_array_size(json_object_get(r, "shifts")), 1);
	json_decref(r);
	r = corefix_ws(fx, &anna, "{\"type\":\"roster.get\",\"id\":\"g4\",\"unit\":\"%s\"}", fx->unit_adult);
	assert_int_equal(json_array_size(json_object_get(r, "shifts")), 1);
	json_decref(r);

	/* Refusals: a worker (by role), a supervisor of another unit (logged), bad shifts. */
	r = roster_set(fx, &anna, fx->unit_adult, "[]");
	assert_string_equal(code_field(r, cf), "forbidden ");
	rows = corefix_audit_rows(fx, NULL);
	r = roster_set(fx, &fiona, fx->unit_adult, "[]");
	assert_string_equal(code_field(r, cf), "forbidden ");
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "roster.set");
	assert_string_equal(last.outcome, "denied");
	r = roster_set(fx, &sara, "00000000000000000000000000000099", "[]");
	assert_string_equal(code_field(r, cf), "not_found /unit");
	snprintf(sh, sizeof sh,
		 "[{\"user\":\"%s\",\"days\":[\"mon\"],\"start\":\"08:00\",\"end\":\"16:00\"}]", ben_id);
	assert_string_equal(code_field(roster_set(fx, &sara, fx->unit_adult, sh), cf),
			    "bad_request /shifts/0/user");
	snprintf(sh, sizeof sh,
		 "[{\"user\":\"%s\",\"days\":[\"mon\"],\"start\":\"08:00\",\"end\":\"16:00\"},"
		 "{\"user\":\"%s\",\"days\":[\"mon\",\"mon\"],\"start\":\"08:00\",\"end\":\"16:00\"}]",
		 anna_id, anna_id);
	assert_string_equal(code_field(roster_set(fx, &sara, fx->unit_adult, sh), cf),
			    "bad_request /shifts/1/days");
	snprintf(sh, sizeof sh,
		 "[{\"user\":\"%s\",\"days\":[\"mon\"],\"start\":\"24:00\",\"end\":\"16:00\"}]", anna_id);
	assert_string_equal(code_field(roster_set(fx, &sara, fx->unit_adult, sh), cf),
			    "bad_request /shifts/0/start");
	snprintf(sh, sizeof sh,
		 "[{\"user\":\"%s\",\"days\":[\"mon\"],\"start\":\"8:00x\",\"end\":\"16:00\"}]", anna_id);
	assert_string_equal(code_field(roster_set(fx, &sara, fx->unit_adult, sh), cf),
			    "bad_request /shifts/0/start");
	snprintf(sh, sizeof sh,
		 "[{\"user\":\"%s\",\"days\":[\"mon\"],\"start\":\"08:00\",\"end\":\"00:00\"}]", anna_id);
	assert_string_equal(code_field(roster_set(fx, &sara, fx->unit_adult, sh), cf),
			    "bad_request /shifts/0/end");
	snprintf(sh, sizeof sh,
		 "[{\"user\":\"%s\",\"days\":[\"mon\"],\"start\":\"08:00\",\"end\":\"08:00\"}]", anna_id);
	assert_string_equal(code_field(roster_set(fx, &sara, fx->unit_adult, sh), cf),
			    "bad_request /shifts/0/end");
	snprintf(sh, sizeof sh,
		 "[{\"user\":\"%s\",\"days\":[\"mon\"],\"start\":\"08:00\",\"end\":\"16:60\"}]", anna_id);
	assert_string_equal(code_field(roster_set(fx, &sara, fx->unit_adult, sh), cf),
			    "bad_request /shifts/0/end");
	/* The refusals changed nothing. */
	r = corefix_ws(fx, &anna, "{\"type\":\"roster.get\",\"id\":\"g5\",\"unit\":\"%s\"}", fx->unit_adult);
	assert_int_equal(json_array_size(json_object_get(r, "shifts")), 1);
	json_decref(r);
}

/* Closed days */

static json_t *closed_set(struct corefix *fx, const struct who *w, const char *unit, const char *fields)
{
	static int n;

	return corefix_ws(fx, w, "{\"type\":\"closed.set\",\"id\":\"cs%d\",\"unit\":\"%s\"%s}", ++n, unit,
			  fields);
}

static void test_closed_days(void **state)
{
	struct corefix *fx = *state;
	struct who c, anna, sara, fiona;
	char anna_id[STORE_ID_SIZE], sh[512], cf[128], tid[STORE_ID_SIZE], many[8192];
	int64_t due_adult, due_family, rows;
	struct store_audit last;
	json_t *r, *days;
	size_t pos;
	int32_t service[2] = { cal_day_from_civil(2026, 11, 19), cal_day_from_civil(2026, 11, 23) };
	struct calendar service_cal = { service, 2 };

	fx->now = L(2026, 11, 18, 10, 0); /* a Wednesday */
	corefix_login_citizen(fx, CITIZEN, &c);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "sara", &sara);
	add_staff(fx, "fiona", fx->unit_family, ROLE_SUPERVISOR, &fiona);
	user_id_of(fx, "anna", anna_id);
	snprintf(sh, sizeof sh,
		 "[{\"user\":\"%s\",\"days\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],"
		 "\"start\":\"08:00\",\"end\":\"16:00\"}]",
		 anna_id);
	json_decref(roster_set(fx, &sara, fx->unit_adult, sh));

	/* The service's closed days (advicectl closed-add): Thursday and next Monday. They count
	 * for every unit, merged with each unit's own. */
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->duty->closed_day_put(fx->st, service[0], "Service day"), STORE_OK);
	assert_int_equal(fx->st->ops->duty->closed_day_put(fx->st, service[1], "Service day"), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	/* Deadlines before any closed day of the unit: 3 working days under the service's days. */
	open_thread(fx, &c, "adult-social-work", tid, &r);
	due_adult = json_integer_value(json_object_get(json_object_get(r, "ack"), "expected_by"));
	assert_false(json_is_true(json_object_get(json_object_get(r, "ack"), "out_of_hours")));
	json_decref(r);
	open_thread(fx, &c, "children-and-families", tid, &r);
	due_family = json_integer_value(json_object_get(json_object_get(r, "ack"), "expected_by"));
	json_decref(r);
	assert_int_equal(due_family, cal_add_working_ms(&service_cal, fx->now, 3 * CAL_DAY_MS));
	assert_int_equal(due_adult, due_family);

	/* The adult unit closes on Thursday and today: logged, listed, in order. */
	rows = corefix_audit_rows(fx, NULL);
	r = closed_set(
		fx, &sara, fx->unit_adult,
		",\"add\":[{\"date\":\"2026-11-19\",\"note\":\"Training day\"},{\"date\":\"2026-11-18\"}]");
	assert_string_equal(corefix_code(r), "ok");
	days = json_object_get(r, "closed_days");
	assert_int_equal(json_array_size(days), 2);
	assert_string_equal(s(json_array_get(days, 0), "date"), "2026-11-18");
	assert_true(json_is_null(json_object_get(json_array_get(days, 0), "note")));
	assert_string_equal(s(json_array_get(days, 1), "note"), "Training day");
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "closed.set");

	/* Today is closed for the unit (Thursday is closed already): anna is off duty by the roster,
	 * a new thread is out of hours and its deadline is later by the rest of today; the family
	 * unit is not affected. */
	r = corefix_ws(fx, &anna, "{\"type\":\"duty.get\",\"id\":\"d2\"}");
	assert_false(
		json_is_true(json_object_get(json_array_get(json_object_get(r, "units"), 0), "on_duty")));
	json_decref(r);
	open_thread(fx, &c, "adult-social-work", tid, &r);
	assert_true(json_is_true(json_object_get(json_object_get(r, "ack"), "out_of_hours")));
	assert_true(json_integer_value(json_object_get(json_object_get(r, "ack"), "expected_by")) >
		    due_adult);
	json_decref(r);
	open_thread(fx, &c, "children-and-families", tid, &r);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "ack"), "expected_by")),
			 due_family);
	json_decref(r);

	/* Remove one; roster.get shows the rest. */
	r = closed_set(fx, &sara, fx->unit_adult, ",\"remove\":[\"2026-11-18\",\"2026-12-01\"]");
	assert_int_equal(json_array_size(json_object_get(r, "closed_days")), 1);
	json_decref(r);
	r = corefix_ws(fx, &anna, "{\"type\":\"roster.get\",\"id\":\"g6\",\"unit\":\"%s\"}", fx->unit_adult);
	assert_int_equal(json_array_size(json_object_get(r, "closed_days")), 1);
	json_decref(r);

	/* Refusals. */
	assert_string_equal(code_field(closed_set(fx, &anna, fx->unit_adult, ",\"remove\":[]"), cf),
			    "forbidden ");
	rows = corefix_audit_rows(fx, NULL);
	assert_string_equal(
		code_field(closed_set(fx, &fiona, fx->unit_adult, ",\"remove\":[\"2026-11-19\"]"), cf),
		"forbidden ");
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.outcome, "denied");
	assert_string_equal(code_field(closed_set(fx, &sara, "00000000000000000000000000000099", ""), cf),
			    "not_found /unit");
	assert_string_equal(code_field(closed_set(fx, &sara, fx->unit_adult, ""), cf), "bad_request ");
	assert_string_equal(
		code_field(closed_set(fx, &sara, fx->unit_adult, ",\"add\":[{\"date\":\"2026-02-30\"}]"), cf),
		"bad_request /add/0/date");
	assert_string_equal(
		code_field(closed_set(fx, &sara, fx->unit_adult, ",\"add\":[{\"date\":\"2026-11-17\"}]"), cf),
		"bad_request /add/0/date");
	assert_string_equal(
		code_field(closed_set(fx, &sara, fx->unit_adult, ",\"add\":[{\"date\":\"2028-11-19\"}]"), cf),
		"bad_request /add/0/date");
	json_decref(closed_set(fx, &sara, fx->unit_adult, ",\"add\":[{\"date\":\"2028-11-18\"}]"));
	assert_string_equal(
		code_field(closed_set(fx, &sara, fx->unit_adult, ",\"remove\":[\"11/19/2026\"]"), cf),
		"bad_request /remove/0");
	assert_string_equal(
		code_field(closed_set(fx, &sara, fx->unit_adult,
				      ",\"add\":[{\"date\":\"2026-12-01\"},{\"date\":\"2026-12-01\"}]"),
			   cf),
		"bad_request /add/1/date");
	assert_string_equal(
		code_field(closed_set(fx, &sara, fx->unit_adult,
				      ",\"add\":[{\"date\":\"2026-12-01\"}],\"remove\":[\"2026-12-01\"]"),
			   cf),
		"bad_request /add/0/date");
	/* At most 200 ahead: two are set; 199 more are too many, and change nothing. */
	pos = (size_t)snprintf(many, sizeof many, ",\"add\":[");
	for (int i = 0; i < 199; i++) {
		char d[11];

		cal_format_date(cal_day_from_civil(2027, 1, 1) + i, d);
		pos += (size_t)snprintf(many + pos, sizeof many - pos, "%s{\"date\":\"%s\"}", i ? "," : "",
					d);
	}
	snprintf(many + pos, sizeof many - pos, "]");
	assert_string_equal(code_field(closed_set(fx, &sara, fx->unit_adult, many), cf), "bad_request ");
	r = corefix_ws(fx, &anna, "{\"type\":\"roster.get\",\"id\":\"g7\",\"unit\":\"%s\"}", fx->unit_adult);
	assert_int_equal(json_array_size(json_object_get(r, "closed_days")), 2);
	json_decref(r);
}

/* Monitoring of use */

static json_t *audit_query(struct corefix *fx, const struct who *w, const char *fields)
{
	static int n;

	return corefix_ws(fx, w, "{\"type\":\"audit.query\",\"id\":\"aq%d\"%s}", ++n, fields);
}

static void test_audit_query(void **state)
{
	struct corefix *fx = *state;
	struct who c, anna, ben, sara, fiona;
	char tid[STORE_ID_SIZE], ftid[STORE_ID_SIZE], f[256], cf[128], anna_id[STORE_ID_SIZE];
	struct store_audit last;
	json_t *r, *rows, *row;
	int64_t newest, before;
	size_t i;

	fx->now = L(2026, 11, 18, 10, 0);
	corefix_login_citizen(fx, CITIZEN, &c);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "ben", &ben);
	corefix_login_worker(fx, "sara", &sara);
	add_staff(fx, "fiona", fx->unit_family, ROLE_SUPERVISOR, &fiona);
	user_id_of(fx, "anna", anna_id);
	open_thread(fx, &c, "adult-social-work", tid, NULL);
	open_thread(fx, &c, "children-and-families", ftid, NULL);
	fx->now += 1000;
	json_decref(
		corefix_ws(fx, &anna, "{\"type\":\"thread.read\",\"id\":\"rd1\",\"thread\":\"%s\"}", tid));
	json_decref(
		corefix_ws(fx, &ben, "{\"type\":\"thread.read\",\"id\":\"rd2\",\"thread\":\"%s\"}", ftid));
	fx->now += 1000;

	/* sara sees her unit's rows, newest first, her own query on top; the chain holds. */
	r = audit_query(fx, &sara, "");
	assert_string_equal(corefix_code(r), "ok");
	rows = json_object_get(r, "rows");
	assert_true(json_array_size(rows) >= 2);
	row = json_array_get(rows, 0);
	assert_string_equal(s(row, "action"), "audit.read");
	assert_string_equal(s(row, "username"), "sara");
	newest = json_integer_value(json_object_get(row, "row"));
	json_array_foreach (rows, i, row) {
		assert_string_equal(s(row, "unit"), fx->unit_adult);
		if (i > 0)
			assert_true(json_integer_value(json_object_get(row, "row")) <
				    json_integer_value(json_object_get(json_array_get(rows, i - 1), "row")));
	}
	assert_string_equal(s(json_object_get(r, "chain"), "state"), "ok");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "chain"), "checked")), newest);
	assert_true(json_is_null(json_object_get(json_object_get(r, "chain"), "first_broken")));
	assert_false(json_is_true(json_object_get(r, "more")));
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), newest);
	assert_string_equal(last.action, "audit.read");

	/* Filters: user, client, time; a client looked up is in the query's own row. */
	snprintf(f, sizeof f, ",\"user\":\"%s\"", anna_id);
	r = audit_query(fx, &sara, f);
	rows = json_object_get(r, "rows");
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(s(json_array_get(rows, 0), "action"), "read");
	assert_string_equal(s(json_array_get(rows, 0), "role"), "worker");
	assert_string_equal(s(json_array_get(rows, 0), "object") + 7, tid);
	json_decref(r);
	snprintf(f, sizeof f, ",\"client\":\"%s\"", c.user_id);
	r = audit_query(fx, &sara, f);
	rows = json_object_get(r, "rows");
	assert_int_equal(json_array_size(rows), 2); /* anna's read and this query */
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), newest + 2);
	assert_string_equal(last.client, c.user_id);
	snprintf(f, sizeof f, ",\"from\":%lld,\"to\":%lld", (long long)fx->now - 1500,
		 (long long)fx->now - 500);
	r = audit_query(fx, &sara, f);
	assert_int_equal(json_array_size(json_object_get(r, "rows")), 1); /* anna's read only */
	json_decref(r);

	/* Paging backwards with before. */
	r = audit_query(fx, &sara, ",\"limit\":1");
	assert_int_equal(json_array_size(json_object_get(r, "rows")), 1);
	assert_true(json_is_true(json_object_get(r, "more")));
	before = json_integer_value(json_object_get(json_array_get(json_object_get(r, "rows"), 0), "row"));
	json_decref(r);
	snprintf(f, sizeof f, ",\"limit\":1,\"before\":%lld", (long long)before);
	r = audit_query(fx, &sara, f);
	assert_true(json_integer_value(
			    json_object_get(json_array_get(json_object_get(r, "rows"), 0), "row")) < before);
	json_decref(r);

	/* The other unit's supervisor sees the other unit's rows only. */
	r = audit_query(fx, &fiona, "");
	json_array_foreach (json_object_get(r, "rows"), i, row)
		assert_string_equal(s(row, "unit"), fx->unit_family);
	assert_true(json_array_size(json_object_get(r, "rows")) >= 2);
	json_decref(r);

	/* Refusals. */
	assert_string_equal(code_field(audit_query(fx, &anna, ""), cf), "forbidden ");
	snprintf(f, sizeof f, ",\"unit\":\"%s\"", fx->unit_family);
	assert_string_equal(code_field(audit_query(fx, &sara, f), cf), "forbidden ");
	assert_int_equal(corefix_audit_rows(fx, &last), corefix_audit_rows(fx, NULL));
	assert_string_equal(last.action, "audit.query");
	assert_string_equal(last.outcome, "denied");
	assert_string_equal(
		code_field(audit_query(fx, &sara, ",\"unit\":\"00000000000000000000000000000099\""), cf),
		"not_found /unit");
	assert_string_equal(code_field(audit_query(fx, &sara, ",\"from\":2000,\"to\":1000"), cf),
			    "bad_request /to");
	snprintf(f, sizeof f, ",\"unit\":\"%s\"", fx->unit_adult);
	r = audit_query(fx, &sara, f);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
}

/* A changed row breaks the chain from there on: the state says where. */
static void test_audit_chain_broken(void **state)
{
	struct corefix *fx = *state;
	struct who c, anna, sara;
	char tid[STORE_ID_SIZE];
	sqlite3 *db;
	json_t *r, *chain;

	fx->now = L(2026, 11, 18, 10, 0);
	corefix_login_citizen(fx, CITIZEN, &c);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "sara", &sara);
	open_thread(fx, &c, "adult-social-work", tid, NULL);
	json_decref(
		corefix_ws(fx, &anna, "{\"type\":\"thread.read\",\"id\":\"rd1\",\"thread\":\"%s\"}", tid));
	json_decref(
		corefix_ws(fx, &anna, "{\"type\":\"thread.read\",\"id\":\"rd2\",\"thread\":\"%s\"}", tid));
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TRIGGER access_log_append_only_u;"
				      "UPDATE access_log SET action = 'summary' WHERE row = 2;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	r = audit_query(fx, &sara, "");
	assert_string_equal(corefix_code(r), "ok");
	chain = json_object_get(r, "chain");
	assert_string_equal(s(chain, "state"), "broken");
	assert_int_equal(json_integer_value(json_object_get(chain, "first_broken")), 2);
	assert_int_equal(json_integer_value(json_object_get(chain, "checked")), 1);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_presence, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_presence_bound, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_roster, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_closed_days, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_audit_query, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_audit_chain_broken, corefix_setup, corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
