/*
 * core_settings.c - the deadline configuration made readable (PROTOCOL.md §11.6): staff read
 * their units' queues (deadlines in working days, warning share, assignment policy, service
 * hours) and the days the service is closed (queue.settings); a citizen sees, for each
 * category of categories.list, the service hours, the answer time in working days and when
 * an answer is due if the thread were opened now; the public front page (GET /api/v1/service)
 * shows the same without a session, with the configured emergency numbers and contacts. Reads
 * only; the calculation is the one thread.open makes (core_queue.c, calendar.c).
 */
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "core_internal.h"
#include "routing.h"

#define CLOSED_AHEAD_DAYS 366 /* queue.settings lists closed days this far ahead */

/* Loads the calendar's extra closed days into `buf`. 0 or -1. */
static int settings_calendar(struct ctx *x, struct calendar *cal, int32_t *buf)
{
	size_t n = 0;

	if (x->st->ops->duty->closed_day_list(x->st, buf, CAL_MAX_CLOSED, &n) != STORE_OK)
		return -1;
	cal->closed = buf;
	cal->nclosed = n;
	return 0;
}

/* "HH:MM" of a minute of the day (0..1440). */
static void format_hhmm(int minute, char out[6])
{
	unsigned m = minute < 0 ? 0 : minute > 1440 ? 1440 : (unsigned)minute;

	out[0] = (char)('0' + m / 600);
	out[1] = (char)('0' + m / 60 % 10);
	out[2] = ':';
	out[3] = (char)('0' + m % 60 / 10);
	out[4] = (char)('0' + m % 10);
	out[5] = '\0';
}

/* {"open": "08:00", "close": "16:00"}; NULL when out of memory. */
static json_t *service_hours(const struct store_unit_settings *us)
{
	char open[6], close[6];

	format_hhmm(us->open_min, open);
	format_hhmm(us->close_min, close);
	return json_pack("{s:s, s:s}", "open", open, "close", close);
}

/* Whether `now` falls in the unit's service hours on a working day. */
static int open_at(const struct calendar *cal, const struct store_unit_settings *us, int64_t now)
{
	struct cal_local l;

	cal_local(now, &l);
	return cal_is_working_day(cal, l.day) && l.minute >= us->open_min && l.minute < us->close_min;
}

/* Categories */

struct category_acc {
	struct ctx *x;
	struct calendar cal;
	int32_t closed[CAL_MAX_CLOSED];
	json_t *list;
	int failed;
	int public_view; /* GET /api/v1/service: without the unit ids */
};

/* One entry of categories.list: the category, its name and unit, and its times. Non-zero
 * stops the list (full, or the store failed: then acc->failed). */
static int add_category(void *arg, const struct store_queue *q)
{
	struct category_acc *a = arg;
	struct store_queue_settings qs;
	struct store_unit_settings us;
	int64_t due;

	if (json_array_size(a->list) == ADVICE_MAX_LIST)
		return 1; /* the protocol's list limit */
	if (a->x->st->ops->queue->settings_get(a->x->st, q->id, &qs) != STORE_OK ||
	    a->x->st->ops->unit->settings_get(a->x->st, q->unit_id, &us) != STORE_OK) {
		a->failed = 1;
		return 1;
	}
	due = cal_add_working_ms(&a->cal, a->x->now, qs.first_days * CAL_DAY_MS);
	json_array_append_new(
		a->list, json_pack("{s:s, s:s, s:s, s:o, s:b, s:i, s:o}", "category", q->category, "name",
				   q->name, "unit", q->unit_id, "service_hours", service_hours(&us),
				   "open_now", open_at(&a->cal, &us, a->x->now), "answer_days", qs.first_days,
				   "expected_by", due > 0 ? json_integer(due) : json_null()));
	if (a->public_view)
		json_object_del(json_array_get(a->list, json_array_size(a->list) - 1), "unit");
	return 0;
}

/* The categories into x->result; 0 or -1. */
static int list_categories(struct ctx *x, int public_view)
{
	struct category_acc a = { .x = x, .list = json_array(), .public_view = public_view };

	json_object_set_new(x->result, "categories", a.list);
	if (a.list == NULL || settings_calendar(x, &a.cal, a.closed) != 0 ||
	    x->st->ops->queue->list(x->st, add_category, &a) != STORE_OK || a.failed)
		return -1;
	return 0;
}

int core_categories_list(struct ctx *x)
{
	return list_categories(x, 0);
}

/* A configured text, or null when it is not set. */
static json_t *text_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

int core_service(struct ctx *x)
{
	const struct core_service_info *s = &x->c->cfg.service;

	if (list_categories(x, 1) != 0)
		return -1;
	json_object_set_new(x->result, "time", json_integer(x->now));
	json_object_set_new(x->result, "emergency_number", json_string(s->emergency_number));
	json_object_set_new(x->result, "social_emergency_number", text_or_null(s->social_emergency_number));
	json_object_set_new(x->result, "exit_url", json_string(s->exit_url));
	json_object_set_new(x->result, "controller_name", text_or_null(s->controller_name));
	json_object_set_new(x->result, "privacy_contact", text_or_null(s->privacy_contact));
	json_object_set_new(x->result, "accessibility_contact", text_or_null(s->accessibility_contact));
	return 0;
}

/* queue.settings */

struct queue_acc {
	struct ctx *x;
	const char *unit; /* only this unit's queues, or NULL: all the caller's units */
	json_t *list;
	int failed;
};

static int caller_in_unit(const struct ctx *x, const char *unit_id)
{
	for (size_t i = 0; i < x->nunits; i++)
		if (strcmp(x->units[i].unit_id, unit_id) == 0)
			return 1;
	return 0;
}

static int add_queue(void *arg, const struct store_queue *q)
{
	struct queue_acc *a = arg;
	struct store_queue_settings qs;
	struct store_unit_settings us;

	if ((a->unit != NULL && strcmp(a->unit, q->unit_id) != 0) || !caller_in_unit(a->x, q->unit_id))
		return 0;
	if (json_array_size(a->list) == ADVICE_MAX_LIST)
		return 1;
	if (a->x->st->ops->queue->settings_get(a->x->st, q->id, &qs) != STORE_OK ||
	    a->x->st->ops->unit->settings_get(a->x->st, q->unit_id, &us) != STORE_OK) {
		a->failed = 1;
		return 1;
	}
	json_array_append_new(
		a->list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:i, s:i, s:o}", "queue", q->id,
				   "category", q->category, "name", q->name, "unit", q->unit_id, "policy",
				   routing_policy_name((enum queue_policy)qs.policy), "fallback",
				   qs.fallback_id[0] ? json_string(qs.fallback_id) : json_null(),
				   "first_answer_days", qs.first_days, "follow_up_days", qs.follow_days,
				   "warn_percent", qs.warn_pct, "service_hours", service_hours(&us)));
	return 0;
}

/* The weekdays from today on (CLOSED_AHEAD_DAYS) that are not working days: public holidays
 * and the service's extra closed days, earliest first, at most ADVICE_MAX_LIST. NULL when out
 * of memory. */
static json_t *closed_days(const struct ctx *x, const struct calendar *cal)
{
	json_t *list = json_array();
	struct cal_local today;
	char date[11];

	cal_local(x->now, &today);
	for (int32_t d = today.day; list != NULL && d < today.day + CLOSED_AHEAD_DAYS; d++) {
		if (cal_weekday(d) >= 5 || cal_is_working_day(cal, d))
			continue;
		if (json_array_size(list) == ADVICE_MAX_LIST)
			break;
		cal_format_date(d, date);
		json_array_append_new(list, json_pack("{s:s, s:s}", "date", date, "kind",
						      cal_is_holiday(d, NULL) ? "holiday" : "closed"));
	}
	return list;
}

int core_queue_settings(struct ctx *x)
{
	int32_t closed[CAL_MAX_CLOSED];
	struct queue_acc a = { .x = x, .unit = json_string_value(json_object_get(x->msg, "unit")) };
	struct calendar cal;
	json_t *days;

	if (a.unit != NULL && !caller_in_unit(x, a.unit))
		return core_deny(x, ACT_QUEUE_SETTINGS, NULL);
	a.list = json_array();
	json_object_set_new(x->result, "queues", a.list);
	if (a.list == NULL || x->st->ops->queue->list(x->st, add_queue, &a) != STORE_OK || a.failed ||
	    settings_calendar(x, &cal, closed) != 0 || (days = closed_days(x, &cal)) == NULL)
		return -1;
	json_object_set_new(x->result, "closed_days", days);
	json_object_set_new(x->result, "time", json_integer(x->now));
	return 0;
}
