/*
 * roster.c - duty shifts and overrides (roster.h).
 */
#include <stdio.h>
#include <string.h>

#include "roster.h"

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

/* Whether a shift starting on local day `day` covers `now`. */
static int active_from_day(const struct roster_shift *s, const struct calendar *cal, int32_t day, int64_t now)
{
	int64_t start, end;

	if (!(s->days & (1u << cal_weekday(day))))
		return 0;
	if (!s->on_holidays && (cal_is_holiday(day, NULL) ||
				(cal != NULL && cal_weekday(day) < 5 && !cal_is_working_day(cal, day))))
		return 0;
	start = cal_local_to_utc(day, s->start_min);
	end = s->end_min > s->start_min ? cal_local_to_utc(day, s->end_min)
					: cal_local_to_utc(day + 1, s->end_min);
	return now >= start && now < end;
}

int roster_shift_active(const struct roster_shift *s, const struct calendar *cal, int64_t now)
{
	struct cal_local l;

	cal_local(now, &l);
	return active_from_day(s, cal, l.day, now) ||
	       (s->end_min <= s->start_min && active_from_day(s, cal, l.day - 1, now));
}

int roster_on_duty(const struct roster_shift *shifts, size_t n, const struct duty_override *ov,
		   const struct calendar *cal, int64_t now)
{
	if (ov != NULL && ov->mode != DUTY_ROSTER && (ov->until == 0 || now < ov->until))
		return ov->mode == DUTY_ON;
	for (size_t i = 0; i < n; i++)
		if (roster_shift_active(&shifts[i], cal, now))
			return 1;
	return 0;
}

static int day_index(const char *s, size_t len)
{
	for (int i = 0; i < 7; i++)
		if (len == 3 && strncmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

int roster_parse_days(const char *s, unsigned *days)
{
	unsigned set = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return -1;
	if (strcmp(s, "all") == 0) {
		*days = ROSTER_ALL_DAYS;
		return 0;
	}
	while (*s != '\0') {
		size_t len = strcspn(s, ",");
		const char *dash = memchr(s, '-', len);
		int a, b;

		if (dash != NULL) {
			a = day_index(s, (size_t)(dash - s));
			b = day_index(dash + 1, len - (size_t)(dash - s) - 1);
		} else {
			a = b = day_index(s, len);
		}
		if (a < 0 || b < 0 || b < a)
			return -1;
		for (int i = a; i <= b; i++)
			set |= 1u << i;
		s += len;
		if (*s == ',' && *++s == '\0')
			return -1;
	}
	*days = set;
	return 0;
}

void roster_format_days(unsigned days, char out[32])
{
	size_t pos = 0;

	out[0] = '\0';
	if ((days & ROSTER_ALL_DAYS) == ROSTER_ALL_DAYS) {
		snprintf(out, 32, "all");
		return;
	}
	for (int i = 0; i < 7; i++)
		if (days & (1u << i))
			pos += (size_t)snprintf(out + pos, 32 - pos, "%s%s", pos ? "," : "", day_names[i]);
}

int roster_parse_shift(const char *days, const char *start, const char *end, struct roster_shift *out)
{
	struct roster_shift s = { 0 };

	if (roster_parse_days(days, &s.days) != 0 || cal_parse_hhmm(start, &s.start_min) != 0 ||
	    cal_parse_hhmm(end, &s.end_min) != 0 || s.start_min >= 1440 || s.start_min == s.end_min)
		return -1;
	*out = s;
	return 0;
}
