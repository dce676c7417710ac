/*
 * test_settings_live.c - the deadline configuration over the real adviced: what advicectl
 * sets (unit-hours, queue-deadlines, closed-add) a worker reads back with queue.settings,
 * and a citizen sees the category's service hours, answer time and expected answer time in
 * categories.list before writing, the same time thread.open's acknowledgement then gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice.h"
#include "calendar.h"
#include "harness.h"
#include "itest.h"

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

static void ctl(struct harness *h, const char *const args[])
{
	char *out = NULL;

	assert_int_equal(harness_ctl(h, args, &out), 0);
	free(out);
}

static json_t *adult_entry(json_t *reply)
{
	json_t *e;
	size_t i;

	json_array_foreach (json_object_get(reply, "categories"), i, e)
		if (strcmp(itest_str(e, "category"), "adult-social-work") == 0)
			return e;
	fail_msg("no adult-social-work in categories.list");
	return NULL;
}

/* A weekday at least a week from now, as YYYY-MM-DD. */
static void future_weekday(char out[11])
{
	struct cal_local l;
	int32_t d;

	cal_local((int64_t)time(NULL) * 1000, &l);
	for (d = l.day + 8; cal_weekday(d) >= 5 || cal_is_holiday(d, NULL); d++)
		;
	cal_format_date(d, out);
}

static void test_settings_readable(void **state)
{
	struct harness *h = *state;
	char *session, date[11], *body = "cXVlc3Rpb24";
	struct advice_conn *anna, *citizen;
	json_t *r, *q, *e, *open, *days, *d;
	size_t i;
	int found = 0;

	future_weekday(date);
	ctl(h, (const char *const[]){ "unit-hours", "Adult social work", "07:15", "18:30", NULL });
	ctl(h, (const char *const[]){ "queue-deadlines", "adult-social-work", "4", "2", "60", NULL });
	ctl(h, (const char *const[]){ "closed-add", date, "Training day", NULL });

	assert_int_equal(harness_login_worker(h, "anna", &session), 0);
	anna = harness_connect(h, session);
	assert_non_null(anna);
	free(session);
	r = itest_request(anna, "ok", "{\"type\":\"queue.settings\",\"id\":\"qs\"}");
	q = NULL;
	json_array_foreach (json_object_get(r, "queues"), i, e)
		if (strcmp(itest_str(e, "category"), "adult-social-work") == 0)
			q = e;
	assert_non_null(q);
	assert_int_equal(itest_num(q, "first_answer_days"), 4);
	assert_int_equal(itest_num(q, "follow_up_days"), 2);
	assert_int_equal(itest_num(q, "warn_percent"), 60);
	assert_string_equal(itest_str(json_object_get(q, "service_hours"), "open"), "07:15");
	assert_string_equal(itest_str(json_object_get(q, "service_hours"), "close"), "18:30");
	days = json_object_get(r, "closed_days");
	json_array_foreach (days, i, d)
		if (strcmp(itest_str(d, "date"), date) == 0 && strcmp(itest_str(d, "kind"), "closed") == 0)
			found = 1;
	assert_true(found);
	json_decref(r);

	assert_int_equal(harness_login_citizen(h, "010594Y9032", &session), 0);
	citizen = harness_connect(h, session);
	assert_non_null(citizen);
	free(session);
	json_decref(itest_request(citizen, "forbidden", "{\"type\":\"queue.settings\",\"id\":\"no\"}"));
	r = itest_request(citizen, "ok", "{\"type\":\"categories.list\",\"id\":\"cl\"}");
	e = adult_entry(r);
	assert_string_equal(itest_str(json_object_get(e, "service_hours"), "open"), "07:15");
	assert_string_equal(itest_str(json_object_get(e, "service_hours"), "close"), "18:30");
	assert_int_equal(itest_num(e, "answer_days"), 4);
	assert_true(json_is_boolean(json_object_get(e, "open_now")));
	/* Opened right after, the thread is due when the list said (a clock tick apart at most:
	 * both count from their own request's time). */
	open = itest_request(
		citizen, "ok",
		"{\"type\":\"thread.open\",\"id\":\"op\",\"category\":\"adult-social-work\",\"body\":\"%s\"}",
		body);
	assert_true(itest_num(json_object_get(open, "ack"), "expected_by") >= itest_num(e, "expected_by"));
	assert_true(itest_num(json_object_get(open, "ack"), "expected_by") - itest_num(e, "expected_by") <
		    60000);
	json_decref(open);
	json_decref(r);
	advice_conn_free(anna);
	advice_conn_free(citizen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_settings_readable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
