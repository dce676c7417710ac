/*
 * core_roster.c - the roster and a unit's own closed days over the WebSocket (PROTOCOL.md
 * §11.9): roster.get for the unit's staff, roster.set and closed.set for its supervisors
 * (each write logged and followed by dashboard.changed). The calendar of a unit's queues, with
 * its own closed days, is core_unit_calendar.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "core_internal.h"
#include "log.h"
#include "roster.h"

#define ROSTER_MAX	 200 /* shifts of a unit that roster.set takes and roster.get shows */
#define CLOSED_AHEAD_MAX 200 /* a unit's closed days from today on */
#define CLOSED_PAST_DAYS 366 /* a unit's past closed days that its calendar still counts */
#define CLOSED_YEARS	 2   /* closed days are set from today to this many years ahead */

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

/* Closed days */

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

/* The unit of a request, and the caller's right to it */

int core_unit_audit(struct ctx *x, const char *unit_id, const char *action, const char *client,
		    const char *outcome)
{
	struct store_audit a = { .time = x->now };

	snprintf(a.user_id, sizeof a.user_id, "%s", x->sess.user_id);
	a.role = core_role_in_unit(x, unit_id);
	snprintf(a.unit_id, sizeof a.unit_id, "%s", unit_id);
	snprintf(a.client, sizeof a.client, "%s", client);
	snprintf(a.object, sizeof a.object, "unit:%s", unit_id);
	snprintf(a.action, sizeof a.action, "%s", action);
	snprintf(a.outcome, sizeof a.outcome, "%s", outcome);
	if (audit_append(x->st, &a) != STORE_OK) {
		log_err("access log write failed: nothing is shown");
		return -1;
	}
	return 0;
}

int core_unit_for(struct ctx *x, const char *unit_id, enum policy_action action, int supervise)
{
	struct store_unit u;
	int rc;

	for (size_t i = 0; i < x->nunits; i++)
		if (strcmp(x->units[i].unit_id, unit_id) == 0 &&
		    (!supervise || x->units[i].role == ROLE_SUPERVISOR))
			return 0;
	rc = x->st->ops->unit->get(x->st, unit_id, &u);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND) {
		snprintf(x->err_field, sizeof x->err_field, "/unit");
		return core_fail(x, ADVICE_ERR_NOT_FOUND, "no such unit");
	}
	if (core_unit_audit(x, unit_id, policy_action_name(action), "", "denied") != 0)
		return -1;
	log_notice("denied %s to user %s", policy_action_name(action), x->sess.user_id);
	return core_fail(x, ADVICE_ERR_FORBIDDEN, "not allowed");
}

/* Replies */

/* Minutes 0..1440 as "HH:MM". */
static void format_hhmm(int minute, char out[6])
{
	unsigned m = minute < 0 ? 0u : minute > 1440 ? 1440u : (unsigned)minute;

	snprintf(out, 6, "%02u:%02u", (m / 60) % 100, m % 60);
}

struct shift_acc {
	struct store_roster *s;
	size_t n;
};

static int add_shift(void *arg, const struct store_roster *r)
{
	struct shift_acc *a = arg;

	if (a->n == ROSTER_MAX)
		return 1;
	a->s[a->n++] = *r;
	return 0;
}

/* One shift as the wire shows it; NULL when the store failed or memory ran out. */
static json_t *shift_json(struct ctx *x, const struct store_roster *r)
{
	struct store_worker w;
	char start[6], end[6];
	json_t *days = json_array(), *name = NULL;
	int rc = x->st->ops->staff->worker_by_id(x->st, r->user_id, &w);

	if (days == NULL || rc == STORE_ERROR || core_name_for_staff(x, r->user_id, &name) != 0) {
		json_decref(days);
		return NULL;
	}
	if (rc == STORE_NOTFOUND)
		snprintf(w.username, sizeof w.username, "unknown");
	for (int d = 0; d < 7; d++)
		if (r->days & (1u << d))
			json_array_append_new(days, json_string(day_names[d]));
	format_hhmm(r->start_min, start);
	format_hhmm(r->end_min, end);
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:s, s:b}", "shift", (json_int_t)r->id, "user",
			 r->user_id, "username", w.username, "name", name, "days", days, "start", start,
			 "end", end, "on_holidays", r->on_holidays);
}

/* The unit's shifts (at most ROSTER_MAX) as a JSON array; NULL when the store failed. */
static json_t *shifts_json(struct ctx *x, const char *unit_id)
{
	struct shift_acc a = { .s = malloc(ROSTER_MAX * sizeof *a.s) };
	json_t *arr = json_array(), *o;

	if (a.s == NULL || arr == NULL ||
	    x->st->ops->duty->roster_list(x->st, unit_id, NULL, add_shift, &a) != STORE_OK)
		goto fail;
	for (size_t i = 0; i < a.n; i++)
		if ((o = shift_json(x, &a.s[i])) == NULL || json_array_append_new(arr, o) != 0)
			goto fail;
	free(a.s);
	return arr;
fail:
	free(a.s);
	json_decref(arr);
	return NULL;
}

static int add_closed_json(void *arg, const struct store_unit_day *d)
{
	char date[11];

	cal_format_date(d->day, date);
	return json_array_append_new(arg, json_pack("{s:s, s:o}", "date", date, "note",
						    d->has_note ? json_string(d->note) : json_null()));
}

/* The unit's closed days from today on as a JSON array; NULL when the store failed. */
static json_t *closed_json(struct ctx *x, const char *unit_id)
{
	json_t *arr = json_array();

	if (arr == NULL || x->st->ops->unit_days->list(x->st, unit_id, core_limits_today(x), INT32_MAX,
						       CLOSED_AHEAD_MAX, add_closed_json, arr) != STORE_OK) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static const char *unit_field(struct ctx *x)
{
	return json_string_value(json_object_get(x->msg, "unit"));
}

int core_roster_get(struct ctx *x)
{
	const char *unit = unit_field(x);
	json_t *shifts, *closed;
	int rc;

	if ((rc = core_unit_for(x, unit, ACT_ROSTER_GET, 0)) != 0 || x->err)
		return rc;
	if ((shifts = shifts_json(x, unit)) == NULL)
		return -1;
	if ((closed = closed_json(x, unit)) == NULL) {
		json_decref(shifts);
		return -1;
	}
	json_object_set_new(x->result, "unit", json_string(unit));
	json_object_set_new(x->result, "shifts", shifts);
	json_object_set_new(x->result, "closed_days", closed);
	json_object_set_new(x->result, "time", json_integer(x->now));
	return 0;
}

/* roster.set */

static int add_member_id(void *arg, const struct store_member *m)
{
	return json_object_set_new(arg, m->user_id, json_true());
}

/* Sets a bad_request naming /shifts/<i>/<field>. Returns 0. */
static int bad_shift(struct ctx *x, size_t i, const char *field, const char *msg)
{
	snprintf(x->err_field, sizeof x->err_field, "/shifts/%zu/%s", i, field);
	return core_fail(x, ADVICE_ERR_BAD_REQUEST, "%s", msg);
}

/* Reads shift `i` of the request into r. 0 (ctx->err set when it is not acceptable). */
static int read_shift(struct ctx *x, size_t i, json_t *s, json_t *members, struct store_roster *r)
{
	const char *user = json_string_value(json_object_get(s, "user"));
	json_t *days = json_object_get(s, "days"), *d;
	size_t k;

	memset(r, 0, sizeof *r);
	if (json_object_get(members, user) == NULL)
		return bad_shift(x, i, "user", "not a member of the unit");
	snprintf(r->user_id, sizeof r->user_id, "%s", user);
	json_array_foreach (days, k, d) {
		for (int w = 0; w < 7; w++) {
			if (strcmp(json_string_value(d), day_names[w]) != 0)
				continue;
			if (r->days & (1u << w))
				return bad_shift(x, i, "days", "a day is named twice");
			r->days |= 1u << w;
		}
	}
	if (cal_parse_hhmm(json_string_value(json_object_get(s, "start")), &r->start_min) != 0 ||
	    r->start_min >= 1440)
		return bad_shift(x, i, "start", "not a time of day HH:MM (00:00..23:59)");
	if (cal_parse_hhmm(json_string_value(json_object_get(s, "end")), &r->end_min) != 0 || r->end_min == 0)
		return bad_shift(x, i, "end", "not a time of day HH:MM (00:01..24:00)");
	if (r->end_min == r->start_min)
		return bad_shift(x, i, "end", "a shift must not end when it starts");
	r->on_holidays = json_is_true(json_object_get(s, "on_holidays"));
	return 0;
}

/* Replaces the unit's shifts by the n in `shifts`. 0 or -1. */
static int replace_roster(struct ctx *x, const char *unit_id, struct store_roster *shifts, size_t n)
{
	struct shift_acc old = { .s = malloc(ROSTER_MAX * sizeof *old.s) };
	int rc = -1;

	if (old.s == NULL)
		return -1;
	/* A roster larger than ROSTER_MAX (advicectl roster-add) goes in several rounds. */
	do {
		old.n = 0;
		if (x->st->ops->duty->roster_list(x->st, unit_id, NULL, add_shift, &old) != STORE_OK)
			goto out;
		for (size_t i = 0; i < old.n; i++)
			if (x->st->ops->duty->roster_delete(x->st, old.s[i].id) != STORE_OK)
				goto out;
	} while (old.n == ROSTER_MAX);
	for (size_t i = 0; i < n; i++) {
		snprintf(shifts[i].unit_id, sizeof shifts[i].unit_id, "%s", unit_id);
		if (x->st->ops->duty->roster_add(x->st, &shifts[i]) != STORE_OK)
			goto out;
	}
	rc = 0;
out:
	free(old.s);
	return rc;
}

int core_roster_set(struct ctx *x)
{
	const char *unit = unit_field(x);
	json_t *list = json_object_get(x->msg, "shifts"), *members = NULL, *s, *shifts;
	struct store_roster *r = NULL;
	size_t i;
	int rc;

	if ((rc = core_unit_for(x, unit, ACT_ROSTER_SET, 1)) != 0 || x->err)
		return rc;
	rc = -1;
	if ((members = json_object()) == NULL || (r = calloc(json_array_size(list) + 1, sizeof *r)) == NULL ||
	    x->st->ops->unit->members(x->st, unit, add_member_id, members) != STORE_OK)
		goto out;
	json_array_foreach (list, i, s)
		if (read_shift(x, i, s, members, &r[i]) != 0 || x->err)
			goto done;
	if (replace_roster(x, unit, r, json_array_size(list)) != 0 ||
	    core_unit_audit(x, unit, "roster.set", "", "ok") != 0 || (shifts = shifts_json(x, unit)) == NULL)
		goto out;
	json_object_set_new(x->result, "unit", json_string(unit));
	json_object_set_new(x->result, "shifts", shifts);
	log_notice("roster of unit %s set by %s: %zu shifts", unit, x->sess.user_id, json_array_size(list));
	if (core_queue_dashboard_changed(x, unit) != 0)
		goto out;
done:
	rc = 0;
out:
	json_decref(members);
	free(r);
	return rc;
}

/* closed.set */

/* The last day closed.set accepts: the same date CLOSED_YEARS years after today (28
 * February for 29 February). */
static int32_t last_settable_day(int32_t today)
{
	int y, m, d;

	cal_civil_from_day(today, &y, &m, &d);
	if (m == 2 && d == 29)
		d = 28;
	return cal_day_from_civil(y + CLOSED_YEARS, m, d);
}

/* Reads the date `s` into *day; sets a bad_request naming `field` when it is not a date from
 * today to last. 0. */
static int read_date(struct ctx *x, const char *s, const char *field, int32_t today, int32_t last,
		     int32_t *day)
{
	if (s == NULL || cal_parse_date(s, day) != 0) {
		snprintf(x->err_field, sizeof x->err_field, "%s", field);
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "not a date YYYY-MM-DD");
	}
	if (*day < today || *day > last) {
		snprintf(x->err_field, sizeof x->err_field, "%s", field);
		return core_fail(x, ADVICE_ERR_BAD_REQUEST,
				 "a closed day must be from today to %d years ahead", CLOSED_YEARS);
	}
	return 0;
}

/* Whether `day` is among the n of `days`. */
static int has_day(const int32_t *days, size_t n, int32_t day)
{
	for (size_t i = 0; i < n; i++)
		if (days[i] == day)
			return 1;
	return 0;
}

struct closed_change {
	int32_t add[CLOSED_AHEAD_MAX], remove[CLOSED_AHEAD_MAX];
	const char *note[CLOSED_AHEAD_MAX]; /* NULL: none */
	size_t nadd, nremove;
};

/* Reads and checks the request's add and remove lists into c. 0 (ctx->err set when not
 * acceptable). */
static int read_changes(struct ctx *x, struct closed_change *c, int32_t today)
{
	json_t *add = json_object_get(x->msg, "add"), *remove = json_object_get(x->msg, "remove"), *v;
	int32_t last = last_settable_day(today);
	char field[64];
	size_t i;

	if (json_array_size(add) == 0 && json_array_size(remove) == 0)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "add or remove is required");
	json_array_foreach (remove, i, v) {
		snprintf(field, sizeof field, "/remove/%zu", i);
		if (read_date(x, json_string_value(v), field, today, last, &c->remove[i]) != 0 || x->err)
			return 0;
		c->nremove++;
	}
	json_array_foreach (add, i, v) {
		json_t *note = json_object_get(v, "note");

		snprintf(field, sizeof field, "/add/%zu/date", i);
		if (read_date(x, json_string_value(json_object_get(v, "date")), field, today, last,
			      &c->add[i]) != 0 ||
		    x->err)
			return 0;
		if (has_day(c->add, i, c->add[i]) || has_day(c->remove, c->nremove, c->add[i])) {
			snprintf(x->err_field, sizeof x->err_field, "%s", field);
			return core_fail(x, ADVICE_ERR_BAD_REQUEST, "a date is named twice");
		}
		c->note[i] = json_is_string(note) ? json_string_value(note) : NULL;
		c->nadd++;
	}
	return 0;
}

/* How many closed days from today on the unit would have after change c. 0 or -1. */
static int count_after(struct ctx *x, const char *unit, const struct closed_change *c, int32_t today, int *n)
{
	int32_t *days = malloc((CLOSED_AHEAD_MAX * 3) * sizeof *days);
	struct day_acc a = { .days = days, .cap = CLOSED_AHEAD_MAX * 3 };
	size_t kept = 0;

	if (days == NULL ||
	    x->st->ops->unit_days->list(x->st, unit, today, INT32_MAX, (int)a.cap, add_day, &a) != STORE_OK) {
		free(days);
		return -1;
	}
	for (size_t i = 0; i < a.n; i++)
		kept += !has_day(c->remove, c->nremove, days[i]) && !has_day(c->add, c->nadd, days[i]);
	*n = (int)(kept + c->nadd);
	free(days);
	return 0;
}

int core_closed_set(struct ctx *x)
{
	const char *unit = unit_field(x);
	struct closed_change *c = NULL;
	int32_t today = core_limits_today(x);
	json_t *closed;
	int rc, n;

	if ((rc = core_unit_for(x, unit, ACT_CLOSED_SET, 1)) != 0 || x->err)
		return rc;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return -1;
	rc = -1;
	if (read_changes(x, c, today) != 0 || x->err) {
		rc = 0;
		goto out;
	}
	if (count_after(x, unit, c, today, &n) != 0)
		goto out;
	if (n > CLOSED_AHEAD_MAX) {
		rc = core_fail(x, ADVICE_ERR_BAD_REQUEST, "a unit has at most %d closed days ahead",
			       CLOSED_AHEAD_MAX);
		goto out;
	}
	for (size_t i = 0; i < c->nremove; i++)
		if (x->st->ops->unit_days->remove(x->st, unit, c->remove[i]) == STORE_ERROR)
			goto out;
	for (size_t i = 0; i < c->nadd; i++)
		if (x->st->ops->unit_days->put(x->st, unit, c->add[i], c->note[i]) != STORE_OK)
			goto out;
	if (core_unit_audit(x, unit, "closed.set", "", "ok") != 0 || (closed = closed_json(x, unit)) == NULL)
		goto out;
	json_object_set_new(x->result, "unit", json_string(unit));
	json_object_set_new(x->result, "closed_days", closed);
	log_notice("closed days of unit %s changed by %s: %zu added, %zu removed", unit, x->sess.user_id,
		   c->nadd, c->nremove);
	rc = core_queue_dashboard_changed(x, unit);
out:
	free(c);
	return rc;
}
