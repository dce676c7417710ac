/*
 * roster.h - who is on duty when: weekly shifts in Helsinki local time, public holidays and
 * closed days, and a worker's own on/off override.
 *
 * A shift belongs to the local day it starts on: it runs on the days of `days` (bit 0 =
 * Monday .. bit 6 = Sunday) from `start_min` to `end_min` local time; an end at or before
 * the start means the shift runs past midnight into the next day. On a public holiday or
 * closed day a shift does not start unless `on_holidays` is set. Times are converted with
 * calendar.h, so a shift 08:00-16:00 is 08:00-16:00 on both sides of a DST change, and a
 * night shift over the change is an hour shorter or longer. Pure functions.
 */
#ifndef ADVICE_ROSTER_H
#define ADVICE_ROSTER_H

#include <stdint.h>

#include "calendar.h"

#define ROSTER_ALL_DAYS 0x7f
#define ROSTER_WEEKDAYS 0x1f

struct roster_shift {
	unsigned days; /* bit 0 = Monday .. bit 6 = Sunday */
	int start_min; /* 0..1439 */
	int end_min;   /* 1..1440; <= start_min: ends the next day */
	int on_holidays;
};

/* A worker's own duty setting: off, on, or follow the roster. */
enum duty_mode { DUTY_ROSTER = 0, DUTY_ON = 1, DUTY_OFF = 2 };

struct duty_override {
	enum duty_mode mode;
	int64_t until; /* the override ends then (ms); 0: until changed */
};

/* Whether `s` makes its worker on duty at `now` under calendar `cal` (may be NULL). */
int roster_shift_active(const struct roster_shift *s, const struct calendar *cal, int64_t now);
/*
 * Whether a worker is on duty at `now`: an override that has not ended decides; otherwise
 * any of the `n` shifts. `ov` may be NULL.
 */
int roster_on_duty(const struct roster_shift *shifts, size_t n, const struct duty_override *ov,
		   const struct calendar *cal, int64_t now);

/* Parses a day set: "mon-fri", "sat,sun", "mon,wed-fri", "all". 0 with *days, or -1. */
int roster_parse_days(const char *s, unsigned *days);
/* Writes a day set as "mon,tue,..." ("all" for every day); `out` of 32 bytes. */
void roster_format_days(unsigned days, char out[32]);
/* Parses a shift "DAYS HH:MM HH:MM" given as three strings. 0, or -1 (nothing set). */
int roster_parse_shift(const char *days, const char *start, const char *end, struct roster_shift *out);

#endif
