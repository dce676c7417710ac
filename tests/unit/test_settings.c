/*
 * test_settings.c - the deadline configuration made readable, on the injected clock (the
 * fixture starts on Wednesday 2026-11-18 at 13:06 Helsinki time): categories.list tells a
 * citizen each category's service hours, whether it is open now, its answer time and the
 * same expected time that thread.open's acknowledgement then gives; queue.settings gives
 * staff their own units' queues (only theirs), the weekdays the service is closed (public
 * holidays and extra closed days, not weekends), and refuses another unit (logged) and
 * citizens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "corefix.h"

#define CITIZEN "010594Y9032"

static const char *str(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

static json_int_t num(json_t *j, const char *name)
{
	return json_integer_value(json_object_get(j, name));
}

/* The entry of `category` in a categories.list reply, or NULL. */
static json_t *category_of(json_t *reply, const char *category)
{
	json_t *e;
	size_t i;

	json_array_foreach (json_object_get(reply, "categories"), i, e)
		if (strcmp(str(e, "category"), category) == 0)
			return e;
	return NULL;
}

/* Writes settings as advicectl would, in a transaction of their own. */
static void set_hours_and_days(struct corefix *fx, int open_min, int close_min, int first_days)
{
	struct store *st = fx->st;
	struct store_unit_settings us;
	struct store_queue_settings qs;
	char queue[STORE_ID_SIZE];

	snprintf(queue, sizeof queue, "%032d", 11); /* adult-social-work */
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->unit->settings_get(st, fx->unit_adult, &us), STORE_OK);
	us.open_min = open_min;
	us.close_min = close_min;
	assert_int_equal(st->ops->unit->settings_put(st, &us), STORE_OK);
	assert_int_equal(st->ops->queue->settings_get(st, queue, &qs), STORE_OK);
	qs.first_days = first_days;
	assert_int_equal(st->ops->queue->settings_put(st, &qs), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
}

static void test_categories_tell_hours_and_answer_time(void **state)
{
	struct corefix *fx = *state;
	struct who c;
	json_t *r, *e, *open;
	char *body = corefix_body(64, 'q');

	corefix_login_citizen(fx, CITIZEN, &c);
	r = corefix_ws(fx, &c, "{\"type\":\"categories.list\",\"id\":\"c1\"}");
	e = category_of(r, "adult-social-work");
	assert_non_null(e);
	/* The defaults: 08:00-16:00, three working days; Wednesday 13:06 is open. */
	assert_string_equal(str(json_object_get(e, "service_hours"), "open"), "08:00");
	assert_string_equal(str(json_object_get(e, "service_hours"), "close"), "16:00");
	assert_true(json_is_true(json_object_get(e, "open_now")));
	assert_int_equal(num(e, "answer_days"), 3);
	/* Three working days from Wednesday 13:06 is Monday 13:06. */
	assert_int_equal(num(e, "expected_by"), fx->now + 5 * CAL_DAY_MS);
	json_decref(r);

	/* Changed settings show at once, and the expected time is thread.open's. */
	set_hours_and_days(fx, 7 * 60 + 30, 12 * 60, 5);
	r = corefix_ws(fx, &c, "{\"type\":\"categories.list\",\"id\":\"c2\"}");
	e = category_of(r, "adult-social-work");
	assert_string_equal(str(json_object_get(e, "service_hours"), "open"), "07:30");
	assert_string_equal(str(json_object_get(e, "service_hours"), "close"), "12:00");
	assert_false(json_is_true(json_object_get(e, "open_now")));
	assert_int_equal(num(e, "answer_days"), 5);
	open = corefix_ws(
		fx, &c,
		"{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\",\"body\":\"%s\"}",
		body);
	assert_string_equal(corefix_code(open), "ok");
	assert_int_equal(num(e, "expected_by"), num(json_object_get(open, "ack"), "expected_by"));
	assert_true(json_is_true(json_object_get(json_object_get(open, "ack"), "out_of_hours")));
	json_decref(open);
	/* The other unit keeps its defaults. */
	e = category_of(r, "children-and-families");
	assert_string_equal(str(json_object_get(e, "service_hours"), "open"), "08:00");
	assert_int_equal(num(e, "answer_days"), 3);
	json_decref(r);
	free(body);
}

/* GET /api/v1/service: without a session, the categories as categories.list gives them but
 * without their units, and the configured numbers and contacts (null when not set); it writes
 * nothing, not even to the access log. */
static void test_service_for_the_front_page(void **state)
{
	struct corefix *fx = *state;
	struct core_reply *rep;
	struct who c;
	json_t *r, *list, *e, *mine;
	int64_t rows;
	int rc;

	core_free(fx->core);
	snprintf(fx->cc.service.exit_url, sizeof fx->cc.service.exit_url, "https://weather.example/");
	snprintf(fx->cc.service.emergency_number, sizeof fx->cc.service.emergency_number, "112");
	snprintf(fx->cc.service.social_emergency_number, sizeof fx->cc.service.social_emergency_number,
		 "0800 12 345");
	snprintf(fx->cc.service.controller_name, sizeof fx->cc.service.controller_name, "Example board");
	fx->core = core_new(fx->st, &fx->cc);
	assert_non_null(fx->core);
	rows = corefix_audit_rows(fx, NULL);

	rep = corefix_call(fx, CORE_REQ_SERVICE, NULL, "", &rc, &r);
	assert_int_equal(rc, 0);
	assert_int_equal(rep->http_status, 200);
	core_reply_free(rep);
	assert_int_equal(corefix_audit_rows(fx, NULL), rows);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(num(r, "time"), fx->now);
	assert_string_equal(str(r, "exit_url"), "https://weather.example/");
	assert_string_equal(str(r, "emergency_number"), "112");
	assert_string_equal(str(r, "social_emergency_number"), "0800 12 345");
	assert_string_equal(str(r, "controller_name"), "Example board");
	assert_true(json_is_null(json_object_get(r, "privacy_contact")));
	assert_true(json_is_null(json_object_get(r, "accessibility_contact")));
	list = json_object_get(r, "categories");
	assert_int_equal(json_array_size(list), 2);
	e = category_of(r, "adult-social-work");
	assert_non_null(e);
	assert_null(json_object_get(e, "unit"));
	assert_string_equal(str(e, "name"), "Adult social work");

	/* The same times as a citizen's categories.list. */
	corefix_login_citizen(fx, CITIZEN, &c);
	mine = corefix_ws(fx, &c, "{\"type\":\"categories.list\",\"id\":\"c1\"}");
	json_object_del(category_of(mine, "adult-social-work"), "unit");
	assert_true(json_equal(e, category_of(mine, "adult-social-work")));
	json_decref(mine);
	json_decref(r);
}

static void test_queue_settings_for_staff(void **state)
{
	struct corefix *fx = *state;
	struct store *st = fx->st;
	struct who anna, c;
	struct store_audit last;
	json_t *r, *q, *days;
	int32_t fri, sat;
	int64_t rows;

	assert_int_equal(cal_parse_date("2026-11-20", &fri), 0);
	assert_int_equal(cal_parse_date("2026-11-21", &sat), 0);
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->duty->closed_day_put(st, fri, "Staff training"), STORE_OK);
	assert_int_equal(st->ops->duty->closed_day_put(st, sat, "Saturday anyway"), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	set_hours_and_days(fx, 9 * 60, 24 * 60, 4);

	corefix_login_worker(fx, "anna", &anna);
	r = corefix_ws(fx, &anna, "{\"type\":\"queue.settings\",\"id\":\"s1\"}");
	assert_string_equal(corefix_code(r), "ok");
	/* Only the queue of anna's unit. */
	assert_int_equal(json_array_size(json_object_get(r, "queues")), 1);
	q = json_array_get(json_object_get(r, "queues"), 0);
	assert_string_equal(str(q, "category"), "adult-social-work");
	assert_string_equal(str(q, "unit"), fx->unit_adult);
	assert_string_equal(str(q, "policy"), "manual");
	assert_true(json_is_null(json_object_get(q, "fallback")));
	assert_int_equal(num(q, "first_answer_days"), 4);
	assert_int_equal(num(q, "follow_up_days"), 3);
	assert_int_equal(num(q, "warn_percent"), 75);
	assert_string_equal(str(json_object_get(q, "service_hours"), "open"), "09:00");
	assert_string_equal(str(json_object_get(q, "service_hours"), "close"), "24:00");
	/* Closed weekdays: the extra Friday first, not the Saturday; then Christmas Eve. */
	days = json_object_get(r, "closed_days");
	/* 2026-12-24, 12-25, 2027-01-01, 01-06, 03-26, 03-29, 05-06, 06-25: the weekday holidays of a year.
	 */
	assert_int_equal(json_array_size(days), 9);
	assert_string_equal(str(json_array_get(days, 0), "date"), "2026-11-20");
	assert_string_equal(str(json_array_get(days, 0), "kind"), "closed");
	assert_string_equal(str(json_array_get(days, 1), "date"), "2026-12-24");
	assert_string_equal(str(json_array_get(days, 1), "kind"), "holiday");
	for (size_t i = 0; i < json_array_size(days); i++) {
		int32_t d;

		assert_int_equal(cal_parse_date(str(json_array_get(days, i), "date"), &d), 0);
		assert_true(cal_weekday(d) < 5);
	}
	assert_int_equal(num(r, "time"), fx->now);
	json_decref(r);

	/* Her own unit by name is the same; another unit is refused and logged. */
	r = corefix_ws(fx, &anna, "{\"type\":\"queue.settings\",\"id\":\"s2\",\"unit\":\"%s\"}",
		       fx->unit_adult);
	assert_int_equal(json_array_size(json_object_get(r, "queues")), 1);
	json_decref(r);
	rows = corefix_audit_rows(fx, NULL);
	r = corefix_ws(fx, &anna, "{\"type\":\"queue.settings\",\"id\":\"s3\",\"unit\":\"%s\"}",
		       fx->unit_family);
	assert_string_equal(corefix_code(r), "forbidden");
	assert_null(json_object_get(r, "queues"));
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.outcome, "denied");

	/* Citizens read categories.list, not this. */
	corefix_login_citizen(fx, CITIZEN, &c);
	r = corefix_ws(fx, &c, "{\"type\":\"queue.settings\",\"id\":\"s4\"}");
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_service_for_the_front_page, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_categories_tell_hours_and_answer_time, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_queue_settings_for_staff, corefix_setup,
						corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
