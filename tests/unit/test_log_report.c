/*
 * test_log_report.c - log.report, the citizen's log report (703/2023 11 §, L7): exactly the
 * rows about the caller by others (staff with their units, roles and display names,
 * administrators without a name, connectors by their name), the disclosures done, in the
 * window asked for; two years back at most; the request itself logged; a long report cut at
 * one moment and continued from it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit.h"
#include "calendar.h"
#include "corefix.h"
#include "disclosure.h"
#include "log_report.h"

#define CITIZEN	 "010594Y9032"
#define CITIZEN2 "020594X903P"
#define DAY_MS	 (24LL * 3600 * 1000)

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

static void open_thread(struct corefix *fx, struct who *c, char tid[STORE_ID_SIZE])
{
	static int n;
	char *body = corefix_body(20, 'q');
	json_t *r = corefix_ws(fx, c,
			       "{\"type\":\"thread.open\",\"id\":\"o%d\",\"category\":\"adult-social-work\","
			       "\"body\":\"%s\"}",
			       ++n, body);

	free(body);
	assert_string_equal(corefix_code(r), "ok");
	snprintf(tid, STORE_ID_SIZE, "%s", s(r, "thread"));
	json_decref(r);
}

/* An access-log row written directly (rows the requests here do not make). */
static void access_row(struct corefix *fx, const char *user, enum store_role role, const char *client,
		       const char *action, int64_t time)
{
	struct store_audit a = { .time = time, .role = role };

	snprintf(a.user_id, sizeof a.user_id, "%s", user);
	snprintf(a.client, sizeof a.client, "%s", client);
	snprintf(a.object, sizeof a.object, "request");
	snprintf(a.action, sizeof a.action, "%s", action);
	snprintf(a.outcome, sizeof a.outcome, "ok");
	assert_int_equal(audit_append(fx->st, &a), STORE_OK);
}

static void disclosure_row(struct corefix *fx, const char *client, const char *tid, const char *outcome,
			   int64_t time)
{
	struct store_disclosure d = { .time = time, .role = ROLE_CONNECTOR };

	snprintf(d.user_id, sizeof d.user_id, "connector");
	snprintf(d.client, sizeof d.client, "%s", client);
	snprintf(d.object, sizeof d.object, "thread:%s", tid);
	snprintf(d.recipient, sizeof d.recipient, "Client record system");
	snprintf(d.basis, sizeof d.basis, "the client's consent");
	snprintf(d.dataset, sizeof d.dataset, "messages and attachments");
	snprintf(d.method, sizeof d.method, "directory");
	snprintf(d.outcome, sizeof d.outcome, "%s", outcome);
	assert_int_equal(disclosure_append(fx->st, &d), STORE_OK);
}

static json_t *report(struct corefix *fx, const struct who *w, const char *fields)
{
	static int n;

	return corefix_ws(fx, w, "{\"type\":\"log.report\",\"id\":\"lr%d\"%s}", ++n, fields);
}

/* The access rows of a report by `role`; the last one into *last. */
static int count_role(json_t *r, const char *role, json_t **last)
{
	json_t *o;
	size_t i;
	int n = 0;

	json_array_foreach (json_object_get(r, "accesses"), i, o)
		if (strcmp(s(o, "role"), role) == 0) {
			n++;
			*last = o;
		}
	return n;
}

static void test_rows_of_others_with_names(void **state)
{
	struct corefix *fx = *state;
	struct who c, c2, anna, sara, ben;
	struct store_staff_name name = { .name = "Anna Virtanen", .title = "Social worker" };
	struct store_connector conn = { .kid = { 0xc0 }, .sign_kid = { 0xc1 } };
	struct store_audit last;
	char tid[STORE_ID_SIZE], tid2[STORE_ID_SIZE];
	json_t *r, *o = NULL;

	fx->now = cal_local_to_utc(cal_day_from_civil(2026, 11, 18), 600);
	corefix_login_citizen(fx, CITIZEN, &c);
	corefix_login_citizen(fx, CITIZEN2, &c2);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "sara", &sara);
	corefix_login_worker(fx, "ben", &ben);
	user_id_of(fx, "anna", name.user_id);
	assert_int_equal(fx->st->ops->staff->name_put(fx->st, &name), STORE_OK);
	snprintf(conn.name, sizeof conn.name, "records-connector");
	snprintf(conn.id, sizeof conn.id, "%032x", 0xc0);
	conn.created = fx->now;
	assert_int_equal(fx->st->ops->consent->connector_put(fx->st, &conn), STORE_OK);
	open_thread(fx, &c, tid);
	open_thread(fx, &c2, tid2);
	fx->now += 1000;
	/* Five staff views, two refusals, the citizen's own read, another citizen's thread read. */
	for (int i = 0; i < 3; i++)
		json_decref(corefix_ws(
			fx, &anna, "{\"type\":\"thread.read\",\"id\":\"a%d\",\"thread\":\"%s\"}", i, tid));
	json_decref(corefix_ws(fx, &sara, "{\"type\":\"thread.read\",\"id\":\"s1\",\"thread\":\"%s\"}", tid));
	json_decref(corefix_ws(fx, &sara, "{\"type\":\"thread.get\",\"id\":\"s2\",\"thread\":\"%s\"}", tid));
	json_decref(corefix_ws(fx, &ben, "{\"type\":\"thread.read\",\"id\":\"b1\",\"thread\":\"%s\"}", tid));
	json_decref(corefix_ws(fx, &ben, "{\"type\":\"thread.read\",\"id\":\"b2\",\"thread\":\"%s\"}", tid));
	json_decref(corefix_ws(fx, &c, "{\"type\":\"thread.read\",\"id\":\"c1\",\"thread\":\"%s\"}", tid));
	json_decref(
		corefix_ws(fx, &anna, "{\"type\":\"thread.read\",\"id\":\"a9\",\"thread\":\"%s\"}", tid2));
	access_row(fx, "os:root", ROLE_ADMIN, c.user_id, "log.report", fx->now);
	access_row(fx, conn.id, ROLE_CONNECTOR, c.user_id, "thread.read", fx->now);
	disclosure_row(fx, c.user_id, tid, "ok", fx->now);
	disclosure_row(fx, c.user_id, tid, "failed", fx->now);
	disclosure_row(fx, c2.user_id, tid2, "ok", fx->now);
	fx->now += 1000;

	r = report(fx, &c, "");
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_integer_value(json_object_get(r, "to")), fx->now);
	assert_int_equal(json_integer_value(json_object_get(r, "from")), fx->now - LOG_REPORT_BACK_MS);
	assert_false(json_is_true(json_object_get(r, "more")));
	assert_null(json_object_get(r, "next"));
	/* anna's three reads with her name, sara's two without one, ben's two refusals. */
	assert_int_equal(count_role(r, "worker", &o), 5);
	assert_int_equal(count_role(r, "supervisor", &o), 2);
	assert_true(json_is_null(json_object_get(o, "name")));
	assert_string_equal(s(o, "unit"), fx->unit_adult);
	assert_string_equal(s(o, "unit_name"), "Adult social work");
	assert_string_equal(s(o, "thread"), tid);
	json_t *a, *first = json_array_get(json_object_get(r, "accesses"), 0);
	size_t i, denied = 0, named = 0;
	json_array_foreach (json_object_get(r, "accesses"), i, a) {
		denied += strcmp(s(a, "outcome"), "ok") != 0;
		named += s(a, "name") != NULL && strcmp(s(a, "name"), "Anna Virtanen") == 0;
	}
	assert_int_equal(denied, 2);
	assert_int_equal(named, 3);
	assert_string_equal(s(first, "action"), "read");
	assert_int_equal(count_role(r, "admin", &o), 1);
	assert_true(json_is_null(json_object_get(o, "name")));
	assert_true(json_is_null(json_object_get(o, "unit")));
	assert_int_equal(count_role(r, "connector", &o), 1);
	assert_string_equal(s(o, "name"), "records-connector");
	assert_int_equal(json_array_size(json_object_get(r, "accesses")), 9);
	/* One disclosure done: the failed one and the other citizen's are not shown. */
	assert_int_equal(json_array_size(json_object_get(r, "disclosures")), 1);
	o = json_array_get(json_object_get(r, "disclosures"), 0);
	assert_string_equal(s(o, "recipient"), "Client record system");
	assert_string_equal(s(o, "basis"), "the client's consent");
	assert_string_equal(s(o, "thread"), tid);
	assert_string_equal(s(o, "method"), "directory");
	json_decref(r);
	/* The request is in the access log: the citizen about themself. */
	corefix_audit_rows(fx, &last);
	assert_string_equal(last.action, "log.report");
	assert_string_equal(last.user_id, c.user_id);
	assert_string_equal(last.client, c.user_id);
	assert_int_equal(last.role, ROLE_CITIZEN);
	/* Staff may not ask for it. */
	r = report(fx, &anna, "");
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
}

static void test_window_and_two_years(void **state)
{
	struct corefix *fx = *state;
	struct who c;
	char f[128];
	json_t *r;
	int64_t now = cal_local_to_utc(cal_day_from_civil(2026, 11, 18), 600);

	fx->now = now - 3 * 365 * DAY_MS;
	corefix_login_citizen(fx, CITIZEN, &c);
	access_row(fx, "os:root", ROLE_ADMIN, c.user_id, "old", now - 3 * 365 * DAY_MS);
	access_row(fx, "os:root", ROLE_ADMIN, c.user_id, "year", now - 365 * DAY_MS);
	access_row(fx, "os:root", ROLE_ADMIN, c.user_id, "week", now - 7 * DAY_MS);
	fx->now = now;
	corefix_login_citizen(fx, CITIZEN, &c);

	r = report(fx, &c, "");
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "accesses")), 2);
	assert_string_equal(s(json_array_get(json_object_get(r, "accesses"), 0), "action"), "year");
	json_decref(r);
	snprintf(f, sizeof f, ",\"from\":%lld,\"to\":%lld", (long long)(now - 400 * DAY_MS),
		 (long long)(now - 30 * DAY_MS));
	r = report(fx, &c, f);
	assert_int_equal(json_array_size(json_object_get(r, "accesses")), 1);
	assert_string_equal(s(json_array_get(json_object_get(r, "accesses"), 0), "action"), "year");
	json_decref(r);
	/* Older than two years: the register keeper's, for a special reason. */
	snprintf(f, sizeof f, ",\"from\":%lld", (long long)(now - 3 * 365 * DAY_MS));
	r = report(fx, &c, f);
	assert_string_equal(corefix_code(r), "bad_request");
	assert_string_equal(s(r, "field"), "/from");
	assert_non_null(strstr(s(r, "message"), "register keeper"));
	json_decref(r);
	snprintf(f, sizeof f, ",\"from\":%lld,\"to\":%lld", (long long)(now - DAY_MS),
		 (long long)(now - 2 * DAY_MS));
	r = report(fx, &c, f);
	assert_string_equal(corefix_code(r), "bad_request");
	assert_string_equal(s(r, "field"), "/to");
	json_decref(r);
}

static void test_long_report_is_cut_at_one_moment(void **state)
{
	struct corefix *fx = *state;
	struct who c;
	char f[64];
	json_t *r;
	int64_t now = cal_local_to_utc(cal_day_from_civil(2026, 11, 18), 600), next;
	size_t first_page;

	fx->now = now;
	corefix_login_citizen(fx, CITIZEN, &c);
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	for (int i = 0; i < 2100; i++)
		access_row(fx, "os:root", ROLE_ADMIN, c.user_id, "many", now - 100000 + i / 2 * 10);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);

	r = report(fx, &c, "");
	assert_string_equal(corefix_code(r), "ok");
	assert_true(json_is_true(json_object_get(r, "more")));
	first_page = json_array_size(json_object_get(r, "accesses"));
	assert_true(first_page <= LOG_REPORT_MAX_ROWS && first_page >= LOG_REPORT_MAX_ROWS - 2);
	next = json_integer_value(json_object_get(r, "next"));
	/* Every row shown is before the cut; rows of one moment are not split. */
	assert_true(json_integer_value(json_object_get(
			    json_array_get(json_object_get(r, "accesses"), first_page - 1), "time")) < next);
	assert_int_equal(first_page % 2, 0);
	json_decref(r);
	snprintf(f, sizeof f, ",\"from\":%lld", (long long)next);
	r = report(fx, &c, f);
	assert_false(json_is_true(json_object_get(r, "more")));
	assert_int_equal(first_page + json_array_size(json_object_get(r, "accesses")), 2100);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows_of_others_with_names, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_window_and_two_years, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_long_report_is_cut_at_one_moment, corefix_setup,
						corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
