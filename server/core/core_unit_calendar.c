/*
 * core_unit_calendar.c - the calendar of a unit's queues: the service's closed days (advicectl
 * closed-add) and the unit's own (closed.set, PROTOCOL.md §11.9) merged, for the duty
 * queues (roster shifts, service hours, deadlines) and the roster requests.
 */
#include <stdint.h>
#include <string.h>

#include "core_internal.h"

#define CLOSED_PAST_DAYS 366 /* a unit's past closed days that its calendar still counts */

struct day_acc {
	int32_t *days;
	size_t n, cap;
};

static int add_day(void *arg, const struct store_unit_day *d)
{
	struct day_acc *a = arg;

	if (a->n == a->cap)
		return 1;
	a->days[a->n++] = d->day;
	return 0;
}

int core_unit_calendar(struct ctx *x, const char *unit_id, struct calendar *cal, int32_t buf[CORE_CAL_DAYS])
{
	int32_t own[CORE_UNIT_CAL_DAYS];
	struct day_acc a = { .days = own, .cap = CORE_UNIT_CAL_DAYS };
	size_t n = 0, i, j, k;
	int32_t today = core_limits_today(x);

	if (x->st->ops->duty->closed_day_list(x->st, buf, CAL_MAX_CLOSED, &n) != STORE_OK)
		return -1;
	if (unit_id != NULL && unit_id[0] != '\0' &&
	    x->st->ops->unit_days->list(x->st, unit_id, today - CLOSED_PAST_DAYS, INT32_MAX,
					CORE_UNIT_CAL_DAYS, add_day, &a) != STORE_OK)
		return -1;
	/* Both lists ascending: merge from the back, in place, each day once. */
	i = n;
	j = a.n;
	k = n + a.n;
	while (j > 0) {
		if (i > 0 && buf[i - 1] >= own[j - 1]) {
			if (buf[i - 1] == own[j - 1])
				j--;
			buf[--k] = buf[--i];
		} else {
			buf[--k] = own[--j];
		}
	}
	/* buf[0..i) stayed in place; the merged rest starts at k, past one slot per day that was
	 * in both lists: close the gap. */
	memmove(buf + i, buf + k, (n + a.n - k) * sizeof *buf);
	cal->closed = buf;
	cal->nclosed = i + (n + a.n - k);
	return 0;
}
