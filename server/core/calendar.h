/*
 * calendar.h - the business calendar: Finnish public holidays for any year, local time in
 * Europe/Helsinki (DST-correct, without the process time zone), working days and
 * working-time arithmetic for deadlines.
 *
 * Days are numbered from 1970-01-01 (day 0) in the proleptic Gregorian calendar. A working
 * day is a local calendar day that is Monday to Friday, not a public holiday (including
 * Midsummer Eve and Christmas Eve, closed in practice) and not one of the calendar's extra
 * closed days. Working time is the part of an interval that falls on working days, counted
 * in real milliseconds from local midnight to local midnight; "N working days" of a
 * deadline is N * 24 hours of working time. Pure functions, no allocation, thread-safe.
 */
#ifndef ADVICE_CALENDAR_H
#define ADVICE_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define CAL_DAY_MS	  86400000LL
#define CAL_MAX_HOLIDAYS  16   /* public holidays of one year (15 today) */
#define CAL_MAX_CLOSED	  512  /* extra closed days a calendar holds */
#define CAL_MAX_SCAN_DAYS 3700 /* working-time arithmetic looks at most this far (about 10 years) */
#define CAL_MIN_YEAR	  1900
#define CAL_MAX_YEAR	  9999

struct cal_holiday {
	int32_t day;	/* day number */
	const char *fi; /* Finnish name */
	const char *en; /* English name */
};

/* A local (Europe/Helsinki) moment broken down. */
struct cal_local {
	int year, month, mday; /* 1..12, 1..31 */
	int wday;	       /* 0 = Monday .. 6 = Sunday */
	int minute;	       /* minute of the day, 0..1439 */
	int32_t day;	       /* local day number */
	int offset_min;	       /* 120 (EET) or 180 (EEST) */
};

/* A business calendar: the public holidays plus extra closed days (sorted day numbers,
 * owned by the caller). */
struct calendar {
	const int32_t *closed;
	size_t nclosed;
};

/* Day number of a civil date (no range check). */
int32_t cal_day_from_civil(int year, int month, int mday);
/* Civil date of a day number. */
void cal_civil_from_day(int32_t day, int *year, int *month, int *mday);
/* 0 = Monday .. 6 = Sunday. */
int cal_weekday(int32_t day);
/* Whether year/month/mday is a real date within CAL_MIN_YEAR..CAL_MAX_YEAR. */
int cal_date_valid(int year, int month, int mday);

/* Easter Sunday of `year` (Gregorian computus) as a day number. */
int32_t cal_easter(int year);
/* The Finnish public holidays of `year`, in date order, into `out` (CAL_MAX_HOLIDAYS
 * entries). Returns how many (15), or -1 when the year is outside CAL_MIN_YEAR..CAL_MAX_YEAR. */
int cal_holidays(int year, struct cal_holiday *out);
/* Whether `day` is a Finnish public holiday; *name (may be NULL) gets its English name. */
int cal_is_holiday(int32_t day, const char **name);

/* UTC offset of Helsinki at `utc_ms` in minutes: 180 between the last Sundays of March and
 * October at 01:00 UTC (the EU rule, in force since 1996), else 120. */
int cal_offset_min(int64_t utc_ms);
/* Breaks `utc_ms` down into Helsinki local time. */
void cal_local(int64_t utc_ms, struct cal_local *out);
/*
 * The UTC instant of a Helsinki local time (`minute` of local day `day`, 0..1440). An
 * ambiguous time (the repeated hour in October) is the earlier instant; a time that does
 * not exist (the skipped hour in March) is taken as standard time, which is the instant
 * just after the gap.
 */
int64_t cal_local_to_utc(int32_t day, int minute);
/* UTC instant of the local midnight that starts `day`. */
int64_t cal_day_start(int32_t day);

/* Whether local day `day` is a working day of the calendar (`cal` may be NULL: holidays only). */
int cal_is_working_day(const struct calendar *cal, int32_t day);
/* Working time in [from, to) in ms (0 when to <= from); -1 if the span exceeds
 * CAL_MAX_SCAN_DAYS. */
int64_t cal_working_ms(const struct calendar *cal, int64_t from, int64_t to);
/* The instant when `ms` of working time has passed after `from` (from itself for ms <= 0);
 * -1 when that is more than CAL_MAX_SCAN_DAYS away. */
int64_t cal_add_working_ms(const struct calendar *cal, int64_t from, int64_t ms);

/* Parses "YYYY-MM-DD" (exactly) into a day number. 0, or -1 when not a valid date. */
int cal_parse_date(const char *s, int32_t *day);
/* Writes a day number as "YYYY-MM-DD" (11 bytes). */
void cal_format_date(int32_t day, char out[11]);
/* Parses "HH:MM" (00:00..24:00) into minutes. 0, or -1. */
int cal_parse_hhmm(const char *s, int *minute);

#endif
