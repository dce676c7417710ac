/*
 * calendar.c - Finnish public holidays, Helsinki local time and working-time arithmetic
 * (calendar.h). The time-zone rule is coded here rather than read from the process time
 * zone, so the core's results do not depend on TZ and the functions stay thread-safe;
 * tests/unit/test_calendar.c checks the rule against the system's tz database.
 */
#include <stdio.h>
#include <string.h>

#include "calendar.h"

#define MIN_MS	60000LL
#define HOUR_MS 3600000LL

int32_t cal_day_from_civil(int year, int month, int mday)
{
	int y = year - (month <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + mday - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int32_t)(era * 146097 + doe - 719468);
}

void cal_civil_from_day(int32_t day, int *year, int *month, int *mday)
{
	int32_t z = day + 719468;
	int32_t era = (z >= 0 ? z : z - 146096) / 146097;
	int32_t doe = z - era * 146097;
	int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int32_t mp = (5 * doy + 2) / 153;
	int32_t m = mp < 10 ? mp + 3 : mp - 9;

	*mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)m;
	*year = (int)(yoe + era * 400 + (m <= 2));
}

int cal_weekday(int32_t day)
{
	/* 1970-01-01 was a Thursday (3 with Monday = 0). */
	int32_t w = (day + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

int cal_date_valid(int year, int month, int mday)
{
	return year >= CAL_MIN_YEAR && year <= CAL_MAX_YEAR && month >= 1 && month <= 12 && mday >= 1 &&
	       mday <= days_in_month(year, month);
}

int32_t cal_easter(int year)
{
	/* The anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
	int a = year % 19, b = year / 100, c = year % 100;
	int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int mday = (h + l - 7 * m + 114) % 31 + 1;

	return cal_day_from_civil(year, month, mday);
}

/* The first day with weekday `wday` on or after `day`. */
static int32_t weekday_on_or_after(int32_t day, int wday)
{
	return day + (wday - cal_weekday(day) + 7) % 7;
}

int cal_holidays(int year, struct cal_holiday *out)
{
	int32_t easter;
	int n = 0;

	if (year < CAL_MIN_YEAR || year > CAL_MAX_YEAR)
		return -1;
	easter = cal_easter(year);
#define ADD(d, f, e) (out[n].day = (d), out[n].fi = (f), out[n].en = (e), n++)
	ADD(cal_day_from_civil(year, 1, 1), "uudenvuodenpäivä", "New Year's Day");
	ADD(cal_day_from_civil(year, 1, 6), "loppiainen", "Epiphany");
	ADD(easter - 2, "pitkäperjantai", "Good Friday");
	ADD(easter, "pääsiäispäivä", "Easter Sunday");
	ADD(easter + 1, "2. pääsiäispäivä", "Easter Monday");
	ADD(cal_day_from_civil(year, 5, 1), "vappu", "May Day");
	ADD(easter + 39, "helatorstai", "Ascension Day");
	ADD(easter + 49, "helluntaipäivä", "Whit Sunday");
	ADD(weekday_on_or_after(cal_day_from_civil(year, 6, 19), 4), "juhannusaatto", "Midsummer Eve");
	ADD(weekday_on_or_after(cal_day_from_civil(year, 6, 20), 5), "juhannuspäivä", "Midsummer Day");
	ADD(weekday_on_or_after(cal_day_from_civil(year, 10, 31), 5), "pyhäinpäivä", "All Saints' Day");
	ADD(cal_day_from_civil(year, 12, 6), "itsenäisyyspäivä", "Independence Day");
	ADD(cal_day_from_civil(year, 12, 24), "jouluaatto", "Christmas Eve");
	ADD(cal_day_from_civil(year, 12, 25), "joulupäivä", "Christmas Day");
	ADD(cal_day_from_civil(year, 12, 26), "tapaninpäivä", "Boxing Day");
#undef ADD
	/* Ascension Day can fall before May Day (Easter on 22 March): keep date order. */
	for (int i = 1; i < n; i++) {
		struct cal_holiday h = out[i];
		int j = i;

		for (; j > 0 && out[j - 1].day > h.day; j--)
			out[j] = out[j - 1];
		out[j] = h;
	}
	return n;
}

int cal_is_holiday(int32_t day, const char **name)
{
	struct cal_holiday h[CAL_MAX_HOLIDAYS];
	int year, month, mday, n;

	cal_civil_from_day(day, &year, &month, &mday);
	n = cal_holidays(year, h);
	for (int i = 0; i < n; i++) {
		if (h[i].day == day) {
			if (name != NULL)
				*name = h[i].en;
			return 1;
		}
	}
	return 0;
}

/* UTC instant of 01:00 UTC on the last Sunday of `month` in `year`. */
static int64_t last_sunday_0100(int year, int month)
{
	int32_t last = cal_day_from_civil(year, month, days_in_month(year, month));
	int32_t sunday = last - (cal_weekday(last) + 1) % 7;

	return (int64_t)sunday * CAL_DAY_MS + HOUR_MS;
}

int cal_offset_min(int64_t utc_ms)
{
	int32_t day = (int32_t)((utc_ms >= 0 ? utc_ms : utc_ms - CAL_DAY_MS + 1) / CAL_DAY_MS);
	int year, month, mday;

	cal_civil_from_day(day, &year, &month, &mday);
	if (utc_ms >= last_sunday_0100(year, 3) && utc_ms < last_sunday_0100(year, 10))
		return 180;
	return 120;
}

static int32_t floor_div_day(int64_t ms)
{
	return (int32_t)((ms >= 0 ? ms : ms - CAL_DAY_MS + 1) / CAL_DAY_MS);
}

void cal_local(int64_t utc_ms, struct cal_local *out)
{
	int off = cal_offset_min(utc_ms);
	int64_t local = utc_ms + off * MIN_MS;
	int32_t day = floor_div_day(local);

	memset(out, 0, sizeof *out);
	out->offset_min = off;
	out->day = day;
	out->minute = (int)((local - (int64_t)day * CAL_DAY_MS) / MIN_MS);
	out->wday = cal_weekday(day);
	cal_civil_from_day(day, &out->year, &out->month, &out->mday);
}

int64_t cal_local_to_utc(int32_t day, int minute)
{
	int64_t naive = (int64_t)day * CAL_DAY_MS + minute * MIN_MS;
	int64_t summer = naive - 180 * MIN_MS, winter = naive - 120 * MIN_MS;

	if (cal_offset_min(summer) == 180)
		return summer; /* also the earlier of an ambiguous pair */
	return winter;	       /* standard time, or just after the spring gap */
}

int64_t cal_day_start(int32_t day)
{
	return cal_local_to_utc(day, 0);
}

static int closed_day(const struct calendar *cal, int32_t day)
{
	size_t lo = 0, hi;

	if (cal == NULL || cal->closed == NULL)
		return 0;
	hi = cal->nclosed;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cal->closed[mid] == day)
			return 1;
		if (cal->closed[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int cal_is_working_day(const struct calendar *cal, int32_t day)
{
	return cal_weekday(day) < 5 && !cal_is_holiday(day, NULL) && !closed_day(cal, day);
}

int64_t cal_working_ms(const struct calendar *cal, int64_t from, int64_t to)
{
	struct cal_local l;
	int64_t sum = 0;

	if (to <= from)
		return 0;
	cal_local(from, &l);
	for (int32_t day = l.day, n = 0;; day++, n++) {
		int64_t start = cal_day_start(day), end = cal_day_start(day + 1);

		if (n > CAL_MAX_SCAN_DAYS)
			return -1;
		if (start >= to)
			break;
		if (cal_is_working_day(cal, day)) {
			int64_t a = start > from ? start : from, b = end < to ? end : to;

			if (b > a)
				sum += b - a;
		}
	}
	return sum;
}

int64_t cal_add_working_ms(const struct calendar *cal, int64_t from, int64_t ms)
{
	struct cal_local l;
	int64_t t = from;

	if (ms <= 0)
		return from;
	cal_local(from, &l);
	for (int32_t day = l.day, n = 0; n <= CAL_MAX_SCAN_DAYS; day++, n++) {
		int64_t end = cal_day_start(day + 1);

		if (cal_is_working_day(cal, day)) {
			if (ms <= end - t)
				return t + ms;
			ms -= end - t;
		}
		t = end;
	}
	return -1;
}

int cal_parse_date(const char *s, int32_t *day)
{
	int y, m, d, n = 0;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || !cal_date_valid(y, m, d))
		return -1;
	*day = cal_day_from_civil(y, m, d);
	return 0;
}

void cal_format_date(int32_t day, char out[11])
{
	int y, m, d;

	cal_civil_from_day(day, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, 11, "0000-00-00");
		return;
	}
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

int cal_parse_hhmm(const char *s, int *minute)
{
	int h, m;

	if (s == NULL || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*minute = h * 60 + m;
	return 0;
}
