/*
 * test_roster.c - duty shifts at their edges: start and end minutes, midnight, public
 * holidays, the days of the DST changes, and the worker's own override.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "roster.h"

static int64_t L(int y, int m, int d, int hh, int mm)
{
	return cal_local_to_utc(cal_day_from_civil(y, m, d), hh * 60 + mm);
}

static struct roster_shift shift(const char *days, const char *start, const char *end)
{
	struct roster_shift s;

	assert_int_equal(roster_parse_shift(days, start, end, &s), 0);
	return s;
}

static void test_day_shift_edges(void **state)
{
	struct roster_shift s = shift("mon-fri", "08:00", "16:00");

	(void)state;
	assert_false(roster_shift_active(&s, NULL, L(2026, 11, 18, 7, 59)));
	assert_true(roster_shift_active(&s, NULL, L(2026, 11, 18, 8, 0)));
	assert_true(roster_shift_active(&s, NULL, L(2026, 11, 18, 15, 59)));
	assert_false(roster_shift_active(&s, NULL, L(2026, 11, 18, 16, 0)));
	assert_false(roster_shift_active(&s, NULL, L(2026, 11, 21, 10, 0))); /* Saturday */
}

static void test_holidays_and_closed_days(void **state)
{
	struct roster_shift s = shift("mon-fri", "08:00", "16:00");
	int32_t closed[] = { cal_day_from_civil(2026, 11, 23) };
	struct calendar cal = { closed, 1 };

	(void)state;
	assert_false(roster_shift_active(&s, NULL, L(2026, 12, 24, 10, 0)));
	assert_false(roster_shift_active(&s, NULL, L(2026, 6, 19, 10, 0))); /* Midsummer Eve */
	assert_false(roster_shift_active(&s, &cal, L(2026, 11, 23, 10, 0)));
	assert_true(roster_shift_active(&s, NULL, L(2026, 11, 23, 10, 0)));
	s.on_holidays = 1;
	assert_true(roster_shift_active(&s, NULL, L(2026, 12, 24, 10, 0)));
}

static void test_night_shift_over_midnight(void **state)
{
	struct roster_shift s = shift("all", "22:00", "06:00");
	struct roster_shift to_midnight = shift("mon-fri", "20:00", "00:00");

	(void)state;
	assert_false(roster_shift_active(&s, NULL, L(2026, 11, 18, 21, 59)));
	assert_true(roster_shift_active(&s, NULL, L(2026, 11, 18, 22, 0)));
	assert_true(roster_shift_active(&s, NULL, L(2026, 11, 19, 0, 0)));
	assert_true(roster_shift_active(&s, NULL, L(2026, 11, 19, 5, 59)));
	assert_false(roster_shift_active(&s, NULL, L(2026, 11, 19, 6, 0)));
	/* The shift belongs to the day it starts: from 23 December it runs into Christmas Eve;
	 * none starts on Christmas Eve itself. */
	assert_true(roster_shift_active(&s, NULL, L(2026, 12, 24, 3, 0)));
	assert_false(roster_shift_active(&s, NULL, L(2026, 12, 24, 23, 0)));
	assert_false(roster_shift_active(&s, NULL, L(2026, 12, 25, 3, 0)));
	assert_true(roster_shift_active(&to_midnight, NULL, L(2026, 11, 20, 23, 59)));
	assert_false(roster_shift_active(&to_midnight, NULL, L(2026, 11, 21, 0, 0)));
}

static void test_dst_days(void **state)
{
	struct roster_shift night = shift("all", "22:00", "06:00");
	struct roster_shift day = shift("all", "08:00", "16:00");
	int64_t end;

	(void)state;
	/* Saturday 28 March 2026 22:00 EET to Sunday 06:00 EEST: 7 hours. */
	end = L(2026, 3, 29, 6, 0);
	assert_int_equal(end - L(2026, 3, 28, 22, 0), 7 * 3600000LL);
	assert_true(roster_shift_active(&night, NULL, end - 1));
	assert_false(roster_shift_active(&night, NULL, end));
	/* Saturday 24 October 22:00 EEST to Sunday 06:00 EET: 9 hours. */
	end = L(2026, 10, 25, 6, 0);
	assert_int_equal(end - L(2026, 10, 24, 22, 0), 9 * 3600000LL);
	assert_true(roster_shift_active(&night, NULL, end - 1));
	assert_false(roster_shift_active(&night, NULL, end));
	/* A day shift on the change day keeps its local hours. */
	assert_false(roster_shift_active(&day, NULL, L(2026, 3, 29, 7, 59)));
	assert_true(roster_shift_active(&day, NULL, L(2026, 3, 29, 8, 0)));
	assert_false(roster_shift_active(&day, NULL, L(2026, 10, 25, 16, 0)));
	assert_true(roster_shift_active(&day, NULL, L(2026, 10, 25, 15, 59)));
}

static void test_override(void **state)
{
	struct roster_shift s = shift("mon-fri", "08:00", "16:00");
	struct duty_override on = { DUTY_ON, L(2026, 11, 21, 12, 0) };
	struct duty_override off = { DUTY_OFF, 0 };
	struct duty_override roster = { DUTY_ROSTER, 0 };

	(void)state;
	assert_true(roster_on_duty(&s, 1, &on, NULL, L(2026, 11, 21, 11, 59)));
	assert_false(roster_on_duty(&s, 1, &on, NULL, L(2026, 11, 21, 12, 0))); /* ended: roster */
	assert_false(roster_on_duty(&s, 1, &off, NULL, L(2026, 11, 18, 10, 0)));
	assert_true(roster_on_duty(&s, 1, &roster, NULL, L(2026, 11, 18, 10, 0)));
	assert_true(roster_on_duty(&s, 1, NULL, NULL, L(2026, 11, 18, 10, 0)));
	assert_false(roster_on_duty(NULL, 0, NULL, NULL, L(2026, 11, 18, 10, 0)));
}

static void test_parse(void **state)
{
	struct roster_shift s;
	unsigned days;
	char buf[32];

	(void)state;
	assert_int_equal(roster_parse_days("mon-fri", &days), 0);
	assert_int_equal(days, ROSTER_WEEKDAYS);
	assert_int_equal(roster_parse_days("sat,sun", &days), 0);
	assert_int_equal(days, 0x60u);
	assert_int_equal(roster_parse_days("mon,wed-fri", &days), 0);
	assert_int_equal(days, 0x1du);
	roster_format_days(days, buf);
	assert_string_equal(buf, "mon,wed,thu,fri");
	assert_int_equal(roster_parse_days("all", &days), 0);
	roster_format_days(days, buf);
	assert_string_equal(buf, "all");
	assert_int_equal(roster_parse_days("", &days), -1);
	assert_int_equal(roster_parse_days("fri-mon", &days), -1);
	assert_int_equal(roster_parse_days("mon,", &days), -1);
	assert_int_equal(roster_parse_days("mon--fri", &days), -1);
	assert_int_equal(roster_parse_days("monday", &days), -1);
	assert_int_equal(roster_parse_days(NULL, &days), -1);
	assert_int_equal(roster_parse_shift("mon", "08:00", "08:00", &s), -1);
	assert_int_equal(roster_parse_shift("mon", "24:00", "08:00", &s), -1);
	assert_int_equal(roster_parse_shift("mon", "08:00", "25:00", &s), -1);
	assert_int_equal(roster_parse_shift("mon", "08:00", "24:00", &s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_shift_edges),
		cmocka_unit_test(test_holidays_and_closed_days),
		cmocka_unit_test(test_night_shift_over_midnight),
		cmocka_unit_test(test_dst_days),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
