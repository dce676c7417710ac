/*
 * test_calendar.c - Finnish holidays for any year, Helsinki local time against the system
 * tz database, and working-time arithmetic across weekends, holidays, closed days and DST.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendar.h"

#define H (3600000LL)

static int32_t D(int y, int m, int d)
{
	return cal_day_from_civil(y, m, d);
}

/* UTC ms of a Helsinki local time. */
static int64_t L(int y, int m, int d, int hh, int mm)
{
	return cal_local_to_utc(D(y, m, d), hh * 60 + mm);
}

static void test_civil_roundtrip(void **state)
{
	(void)state;
	assert_int_equal(D(1970, 1, 1), 0);
	assert_int_equal(cal_weekday(0), 3); /* Thursday */
	assert_int_equal(cal_weekday(D(2026, 11, 20)), 4);
	for (int32_t day = D(1900, 1, 1); day < D(2400, 1, 1); day += 13) {
		int y, m, d;

		cal_civil_from_day(day, &y, &m, &d);
		assert_true(cal_date_valid(y, m, d));
		assert_int_equal(D(y, m, d), day);
	}
}

static void test_easter(void **state)
{
	static const int known[][3] = {
		{ 1900, 4, 15 }, { 1961, 4, 2 },  { 2000, 4, 23 }, { 2008, 3, 23 },
		{ 2011, 4, 24 }, { 2019, 4, 21 }, { 2024, 3, 31 }, { 2025, 4, 20 },
		{ 2026, 4, 5 },	 { 2038, 4, 25 }, { 2285, 3, 22 }, { 2400, 4, 16 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		assert_int_equal(cal_easter(known[i][0]), D(known[i][0], known[i][1], known[i][2]));
	/* Always a Sunday between 22 March and 25 April. */
	for (int y = CAL_MIN_YEAR; y <= 3000; y++) {
		int32_t e = cal_easter(y);

		assert_int_equal(cal_weekday(e), 6);
		assert_true(e >= D(y, 3, 22) && e <= D(y, 4, 25));
	}
}

static int has(const struct cal_holiday *h, int n, int32_t day, const char *en)
{
	for (int i = 0; i < n; i++)
		if (h[i].day == day && strcmp(h[i].en, en) == 0)
			return 1;
	return 0;
}

static void test_holidays(void **state)
{
	struct cal_holiday h[CAL_MAX_HOLIDAYS];
	const char *name = NULL;
	int n;

	(void)state;
	n = cal_holidays(2026, h);
	assert_int_equal(n, 15);
	assert_true(has(h, n, D(2026, 1, 1), "New Year's Day"));
	assert_true(has(h, n, D(2026, 1, 6), "Epiphany"));
	assert_true(has(h, n, D(2026, 4, 3), "Good Friday"));
	assert_true(has(h, n, D(2026, 4, 6), "Easter Monday"));
	assert_true(has(h, n, D(2026, 5, 1), "May Day"));
	assert_true(has(h, n, D(2026, 5, 14), "Ascension Day"));
	assert_true(has(h, n, D(2026, 6, 19), "Midsummer Eve"));
	assert_true(has(h, n, D(2026, 6, 20), "Midsummer Day"));
	assert_true(has(h, n, D(2026, 10, 31), "All Saints' Day"));
	assert_true(has(h, n, D(2026, 12, 6), "Independence Day"));
	assert_true(has(h, n, D(2026, 12, 24), "Christmas Eve"));
	assert_true(has(h, n, D(2026, 12, 26), "Boxing Day"));
	n = cal_holidays(2025, h);
	assert_true(has(h, n, D(2025, 6, 20), "Midsummer Eve"));
	assert_true(has(h, n, D(2025, 6, 21), "Midsummer Day"));
	assert_true(has(h, n, D(2025, 11, 1), "All Saints' Day"));
	assert_true(has(h, n, D(2025, 5, 29), "Ascension Day"));
	/* Easter on 22 March: Ascension Day (30 April) comes before May Day, order kept. */
	n = cal_holidays(2285, h);
	assert_true(has(h, n, D(2285, 4, 30), "Ascension Day"));
	for (int i = 1; i < n; i++)
		assert_true(h[i - 1].day < h[i].day);
	/* Every year: Midsummer Eve a Friday 19-25 June, All Saints' a Saturday 31 Oct-6 Nov. */
	for (int y = CAL_MIN_YEAR; y <= CAL_MAX_YEAR; y += 7) {
		n = cal_holidays(y, h);
		assert_int_equal(n, 15);
		for (int i = 0; i < n; i++) {
			if (strcmp(h[i].en, "Midsummer Eve") == 0) {
				assert_int_equal(cal_weekday(h[i].day), 4);
				assert_true(h[i].day >= D(y, 6, 19) && h[i].day <= D(y, 6, 25));
			}
			if (strcmp(h[i].en, "All Saints' Day") == 0) {
				assert_int_equal(cal_weekday(h[i].day), 5);
				assert_true(h[i].day >= D(y, 10, 31) && h[i].day <= D(y, 11, 6));
			}
		}
	}
	assert_int_equal(cal_holidays(CAL_MIN_YEAR - 1, h), -1);
	assert_int_equal(cal_holidays(CAL_MAX_YEAR + 1, h), -1);
	assert_true(cal_is_holiday(D(2026, 12, 25), &name));
	assert_string_equal(name, "Christmas Day");
	assert_false(cal_is_holiday(D(2026, 12, 23), NULL));
}

/* The coded rule agrees with the system's tz database for every hour of 1996-2037. */
static void test_offset_matches_tzdata(void **state)
{
	struct tm tm;
	time_t jan = 1767225600; /* 2026-01-01 */

	(void)state;
	setenv("TZ", "Europe/Helsinki", 1);
	tzset();
	/* No tz data is a broken test machine (deploy/dev/deps.sh installs tzdata), not a pass. */
	if (localtime_r(&jan, &tm) == NULL || tm.tm_gmtoff != 7200)
		fail_msg("no tz data for Europe/Helsinki (install tzdata)");
	for (time_t t = 820454400; t < 2145916800; t += 3600) { /* 1996 .. 2038 */
		int64_t ms = (int64_t)t * 1000;

		localtime_r(&t, &tm);
		if (cal_offset_min(ms) * 60 != tm.tm_gmtoff)
			fail_msg("offset differs at %lld", (long long)t);
		/* And around each change, to the second. */
		if (cal_offset_min(ms) != cal_offset_min(ms + 3600000)) {
			for (time_t s = t; s < t + 3600; s++) {
				localtime_r(&s, &tm);
				assert_int_equal(cal_offset_min((int64_t)s * 1000) * 60, tm.tm_gmtoff);
			}
		}
	}
}

static void test_local_times_at_dst(void **state)
{
	struct cal_local l;

	(void)state;
	/* 29 March 2026: 03:00 EET becomes 04:00 EEST at 01:00 UTC. */
	assert_int_equal(cal_day_start(D(2026, 3, 29)), L(2026, 3, 28, 0, 0) + 24 * H);
	assert_int_equal(cal_day_start(D(2026, 3, 30)) - cal_day_start(D(2026, 3, 29)), 23 * H);
	assert_int_equal(L(2026, 3, 29, 2, 59),
			 (int64_t)D(2026, 3, 29) * CAL_DAY_MS + 59 * 60000); /* 00:59Z */
	/* A skipped time is the instant after the gap. */
	cal_local(L(2026, 3, 29, 3, 30), &l);
	assert_int_equal(l.minute, 4 * 60 + 30);
	assert_int_equal(l.offset_min, 180);
	/* 25 October 2026: 04:00 EEST becomes 03:00 EET; the day has 25 hours. */
	assert_int_equal(cal_day_start(D(2026, 10, 26)) - cal_day_start(D(2026, 10, 25)), 25 * H);
	/* The repeated hour is taken at its first occurrence. */
	cal_local(L(2026, 10, 25, 3, 30), &l);
	assert_int_equal(l.offset_min, 180);
	assert_int_equal(l.minute, 3 * 60 + 30);
	cal_local(L(2026, 10, 25, 3, 30) + H, &l);
	assert_int_equal(l.offset_min, 120);
	assert_int_equal(l.minute, 3 * 60 + 30);
	cal_local(L(2026, 11, 20, 15, 0), &l);
	assert_int_equal(l.wday, 4);
	assert_int_equal(l.mday, 20);
	assert_int_equal(l.minute, 15 * 60);
}

static void test_working_days(void **state)
{
	int32_t closed[] = { D(2026, 11, 23) };
	struct calendar cal = { closed, 1 };

	(void)state;
	assert_true(cal_is_working_day(NULL, D(2026, 11, 20)));
	assert_false(cal_is_working_day(NULL, D(2026, 11, 21))); /* Saturday */
	assert_false(cal_is_working_day(NULL, D(2026, 12, 24)));
	assert_false(cal_is_working_day(NULL, D(2026, 6, 19))); /* Midsummer Eve */
	assert_false(cal_is_working_day(&cal, D(2026, 11, 23)));
	assert_true(cal_is_working_day(NULL, D(2026, 11, 23)));
}

static void test_working_arithmetic(void **state)
{
	int32_t closed[] = { D(2026, 11, 23) };
	struct calendar cal = { closed, 1 };
	struct cal_local l;
	int64_t from;

	(void)state;
	/* Friday 15:00 + 3 working days = Wednesday 15:00. */
	assert_int_equal(cal_add_working_ms(NULL, L(2026, 11, 20, 15, 0), 3 * CAL_DAY_MS),
			 L(2026, 11, 25, 15, 0));
	/* With Monday closed: Thursday 15:00. */
	assert_int_equal(cal_add_working_ms(&cal, L(2026, 11, 20, 15, 0), 3 * CAL_DAY_MS),
			 L(2026, 11, 26, 15, 0));
	/* Saturday: the clock starts Monday 00:00, due at the end of Wednesday. */
	assert_int_equal(cal_add_working_ms(NULL, L(2026, 11, 21, 10, 0), 3 * CAL_DAY_MS),
			 L(2026, 11, 26, 0, 0));
	/* Over Christmas: 24, 25, 26 and the weekend do not count. */
	assert_int_equal(cal_add_working_ms(NULL, L(2026, 12, 23, 10, 0), 3 * CAL_DAY_MS),
			 L(2026, 12, 30, 10, 0));
	/* Over Easter 2026: Good Friday and Easter Monday. */
	assert_int_equal(cal_add_working_ms(NULL, L(2026, 4, 2, 12, 0), CAL_DAY_MS), L(2026, 4, 7, 12, 0));
	/* Over the autumn DST change (Sunday): Friday 12:00 + 1 = Monday 12:00 local. */
	cal_local(cal_add_working_ms(NULL, L(2026, 10, 23, 12, 0), CAL_DAY_MS), &l);
	assert_int_equal(l.mday, 26);
	assert_int_equal(l.minute, 12 * 60);
	cal_local(cal_add_working_ms(NULL, L(2026, 3, 27, 12, 0), CAL_DAY_MS), &l);
	assert_int_equal(l.mday, 30);
	assert_int_equal(l.minute, 12 * 60);
	/* Over Midsummer 2026 (Friday 19 June closed). */
	assert_int_equal(cal_add_working_ms(NULL, L(2026, 6, 18, 9, 0), CAL_DAY_MS), L(2026, 6, 22, 9, 0));
	/* Zero and inverse. */
	assert_int_equal(cal_add_working_ms(NULL, L(2026, 11, 21, 10, 0), 0), L(2026, 11, 21, 10, 0));
	assert_int_equal(cal_working_ms(NULL, L(2026, 11, 20, 15, 0), L(2026, 11, 25, 15, 0)),
			 3 * CAL_DAY_MS);
	assert_int_equal(cal_working_ms(NULL, L(2026, 11, 21, 0, 0), L(2026, 11, 23, 0, 0)), 0);
	assert_int_equal(cal_working_ms(NULL, L(2026, 11, 25, 0, 0), L(2026, 11, 20, 0, 0)), 0);
	from = L(2026, 1, 1, 0, 0);
	for (int i = 0; i < 2000; i++) {
		int64_t start = from + (int64_t)i * 4421117, ms = (int64_t)(i % 17) * 7777777;
		int64_t end = cal_add_working_ms(&cal, start, ms);

		assert_true(end >= start);
		assert_int_equal(cal_working_ms(&cal, start, end), ms);
	}
	/* Beyond the scan limit. */
	assert_int_equal(cal_add_working_ms(NULL, from, (int64_t)CAL_MAX_SCAN_DAYS * CAL_DAY_MS), -1);
	assert_int_equal(cal_working_ms(NULL, from, from + (int64_t)(CAL_MAX_SCAN_DAYS + 5) * CAL_DAY_MS),
			 -1);
}

static void test_parsers(void **state)
{
	int32_t day;
	int minute;
	char buf[11];

	(void)state;
	assert_int_equal(cal_parse_date("2024-02-29", &day), 0);
	assert_int_equal(day, D(2024, 2, 29));
	cal_format_date(day, buf);
	assert_string_equal(buf, "2024-02-29");
	assert_int_equal(cal_parse_date("2026-02-29", &day), -1);
	assert_int_equal(cal_parse_date("2026-13-01", &day), -1);
	assert_int_equal(cal_parse_date("2026-1-01", &day), -1);
	assert_int_equal(cal_parse_date("2026-01-01x", &day), -1);
	assert_int_equal(cal_parse_date("+026-01-01", &day), -1);
	assert_int_equal(cal_parse_date("1899-12-31", &day), -1);
	assert_int_equal(cal_parse_date("", &day), -1);
	assert_int_equal(cal_parse_date(NULL, &day), -1);
	assert_int_equal(cal_parse_hhmm("08:30", &minute), 0);
	assert_int_equal(minute, 510);
	assert_int_equal(cal_parse_hhmm("24:00", &minute), 0);
	assert_int_equal(minute, 1440);
	assert_int_equal(cal_parse_hhmm("24:01", &minute), -1);
	assert_int_equal(cal_parse_hhmm("12:60", &minute), -1);
	assert_int_equal(cal_parse_hhmm("8:30", &minute), -1);
	assert_int_equal(cal_parse_hhmm("08-30", &minute), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil_roundtrip),	   cmocka_unit_test(test_easter),
		cmocka_unit_test(test_holidays),	   cmocka_unit_test(test_offset_matches_tzdata),
		cmocka_unit_test(test_local_times_at_dst), cmocka_unit_test(test_working_days),
		cmocka_unit_test(test_working_arithmetic), cmocka_unit_test(test_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
