/*
 * core_queue.c - the duty queues in the core: routing and automatic assignment of new
 * threads, the automatic acknowledgement, duty on/off, the supervisors' dashboard and
 * reassignment, deadline clocks in working days with warnings and escalation (the
 * periodic CORE_REQ_TICK), and the citizen's notification contact and outbox rows.
 *
 * Decisions are made by the pure modules (routing.c, roster.c, calendar.c); this file
 * gathers the facts from the store, applies the decisions and sends live events. Events
 * carry metadata only. The clock is the request's (ctx->now), so tests inject it.
 */
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "core_internal.h"
#include "log.h"
#include "presence.h"
#include "roster.h"
#include "routing.h"

#define MAX_SHIFTS	  32  /* roster shifts considered per worker and unit */
#define MAX_MEMBERS	  256 /* members of a unit considered for assignment and dashboards */
#define TICK_BATCH	  100 /* deadline reports per tick */
#define MAX_TICK_UNITS	  16  /* dashboards refreshed per tick */
#define MAX_DUTY_AHEAD_MS (366LL * CAL_DAY_MS)

/* Built-in texts of the automatic acknowledgement (fi, sv, en); configuration may replace
 * them. "{date}" becomes the expected answer date. */
static const char *const default_ack[3] = {
	"Kiitos viestistäsi. Vastaamme viimeistään {date}.",
	"Tack för ditt meddelande. Vi svarar senast {date}.",
	"Thank you for your message. We will answer by {date} at the latest.",
};
static const char *const default_emergency[3] = {
	"Verkkoneuvonta ei ole tarkoitettu kiireellisiin asioihin. Hätätilanteessa soita 112. "
	"Kiireellisissä sosiaalihuollon asioissa ota yhteys sosiaalipäivystykseen.",
	"Nätrådgivningen är inte avsedd för brådskande ärenden. Ring 112 i nödsituationer. "
	"I brådskande socialvårdsärenden, kontakta socialjouren.",
	"Online advice is not for emergencies. In an emergency, call 112. For urgent social welfare "
	"matters, contact the social emergency service.",
};

static const char *str_field(struct ctx *x, const char *name)
{
	return json_string_value(json_object_get(x->msg, name));
}

static int lang_index(const char *lang)
{
	if (lang != NULL && strcmp(lang, "sv") == 0)
		return 1;
	if (lang != NULL && strcmp(lang, "en") == 0)
		return 2;
	return 0;
}

static const char *lang_code(int i)
{
	static const char *const codes[3] = { "fi", "sv", "en" };

	return codes[i];
}

/* Facts: calendar, duty */

/* Loads the calendar of `unit_id`'s queues (the service's closed days and the unit's own,
 * core_unit_calendar) into `buf`. 0 or -1. */
static int load_calendar(struct ctx *x, const char *unit_id, struct calendar *cal, int32_t *buf)
{
	return core_unit_calendar(x, unit_id, cal, buf);
}

struct shift_acc {
	struct roster_shift s[MAX_SHIFTS];
	size_t n;
};

static int add_shift(void *arg, const struct store_roster *r)
{
	struct shift_acc *a = arg;

	if (a->n == MAX_SHIFTS)
		return 1;
	a->s[a->n].days = r->days;
	a->s[a->n].start_min = r->start_min;
	a->s[a->n].end_min = r->end_min;
	a->s[a->n].on_holidays = r->on_holidays;
	a->n++;
	return 0;
}

/* Whether `user_id` is on duty in `unit_id` now: 1, 0, or -1 when the store failed. */
static int on_duty(struct ctx *x, const struct calendar *cal, const char *unit_id, const char *user_id)
{
	struct shift_acc a = { .n = 0 };
	struct store_duty d;
	struct duty_override ov;

	if (x->st->ops->duty->get(x->st, user_id, &d) != STORE_OK ||
	    x->st->ops->duty->roster_list(x->st, unit_id, user_id, add_shift, &a) != STORE_OK)
		return -1;
	ov.mode = (enum duty_mode)d.mode;
	ov.until = d.until;
	return roster_on_duty(a.s, a.n, &ov, cal, x->now);
}

struct member_acc {
	struct store_member m[MAX_MEMBERS];
	size_t n;
};

static int add_member(void *arg, const struct store_member *m)
{
	struct member_acc *a = arg;

	if (a->n == MAX_MEMBERS)
		return 1;
	a->m[a->n++] = *m;
	return 0;
}

/* The unit's members with their duty state and load, in user id order. *n is set; 0 or -1. */
static int unit_workers(struct ctx *x, const struct calendar *cal, const char *unit_id,
			struct routing_worker *w, struct member_acc *acc, size_t *n)
{
	acc->n = 0;
	*n = 0;
	if (x->st->ops->unit->members(x->st, unit_id, add_member, acc) != STORE_OK)
		return -1;
	for (size_t i = 0; i < acc->n; i++) {
		int d = on_duty(x, cal, unit_id, acc->m[i].user_id);

		if (d < 0)
			return -1;
		snprintf(w[i].user_id, sizeof w[i].user_id, "%s", acc->m[i].user_id);
		w[i].on_duty = d;
		w[i].load = acc->m[i].load;
	}
	*n = acc->n;
	return 0;
}

/* Whether anybody of `unit_id` is on duty now: 1, 0, or -1. */
static int unit_staffed(struct ctx *x, const struct calendar *cal, const char *unit_id)
{
	struct member_acc *acc = malloc(sizeof *acc);
	struct routing_worker *w = malloc(MAX_MEMBERS * sizeof *w);
	size_t n;
	int rc = -1;

	if (acc != NULL && w != NULL && unit_workers(x, cal, unit_id, w, acc, &n) == 0) {
		rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = w[i].on_duty;
	}
	free(acc);
	free(w);
	return rc;
}

/* Dashboards */

/* Sets a member's "name" and "title" (null when not set) on `o`, as colleagues see them
 * (PROTOCOL.md §11.7); returns `o`. */
static json_t *name_fields(json_t *o, const struct store_member *m)
{
	json_object_set_new(o, "name", m->name[0] ? json_string(m->name) : json_null());
	json_object_set_new(o, "title", m->title[0] ? json_string(m->title) : json_null());
	return o;
}

static int add_queue_stats(void *arg, const struct store_queue_stats *s)
{
	json_t *arr = arg;

	if (json_array_size(arr) == ADVICE_MAX_LIST)
		return 1;
	json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:o, s:i, s:i, s:i}", "queue", s->queue_id,
					     "category", s->category, "waiting", s->waiting, "oldest_waiting",
					     s->oldest ? json_integer(s->oldest) : json_null(), "at_risk",
					     s->at_risk, "missed", s->missed, "open", s->open));
	return 0;
}

/* The dashboard of a unit as a JSON object, or NULL when the store failed. */
static json_t *dashboard_of(struct ctx *x, const struct calendar *cal, const char *unit_id)
{
	struct member_acc *acc = malloc(sizeof *acc);
	struct routing_worker *w = malloc(MAX_MEMBERS * sizeof *w);
	json_t *queues = json_array(), *workers = json_array(), *o = NULL;
	size_t n;

	if (acc == NULL || w == NULL || queues == NULL || workers == NULL ||
	    x->st->ops->queue->stats(x->st, unit_id, add_queue_stats, queues) != STORE_OK ||
	    unit_workers(x, cal, unit_id, w, acc, &n) != 0)
		goto out;
	for (size_t i = 0; i < n && json_array_size(workers) < ADVICE_MAX_LIST; i++) {
		json_t *wk = json_pack("{s:s, s:s, s:s, s:b, s:i}", "user", acc->m[i].user_id, "username",
				       acc->m[i].username, "role", core_role_name(acc->m[i].role), "on_duty",
				       w[i].on_duty, "load", w[i].load);

		if (wk == NULL)
			goto out;
		json_array_append_new(workers, name_fields(wk, &acc->m[i]));
	}
	o = json_pack("{s:s, s:O, s:O, s:I}", "unit", unit_id, "queues", queues, "workers", workers, "time",
		      (json_int_t)x->now);
out:
	json_decref(queues);
	json_decref(workers);
	free(acc);
	free(w);
	return o;
}

struct supervisor_acc {
	struct ctx *x;
	json_t *topics;
};

/* Adds the topic of a supervisor who is connected now (presence.h). */
static int add_supervisor(void *arg, const struct store_member *m)
{
	struct supervisor_acc *a = arg;
	char topic[48];

	snprintf(topic, sizeof topic, "u:%s", m->user_id);
	if (m->role == ROLE_SUPERVISOR && presence_has(a->x->c->cfg.presence, topic))
		json_array_append_new(a->topics, json_string(topic));
	return 0;
}

/* The topics of the unit's supervisors who are connected now, as a JSON array (empty when
 * none is); NULL when the store failed or memory ran out. */
static json_t *supervisor_topics(struct ctx *x, const char *unit_id)
{
	struct supervisor_acc a = { .x = x, .topics = json_array() };

	if (a.topics == NULL || x->st->ops->unit->members(x->st, unit_id, add_supervisor, &a) != STORE_OK) {
		json_decref(a.topics);
		return NULL;
	}
	return a.topics;
}

/* Sends `ev` (consumed) to every topic of `topics` (consumed). 0 or -1. */
static int push_to_topics(struct ctx *x, json_t *topics, json_t *ev)
{
	json_t *v;
	size_t i;
	int rc = ev != NULL && topics != NULL ? 0 : -1;

	json_array_foreach (topics, i, v)
		if (rc == 0 && core_push(x, json_string_value(v), json_incref(ev)) != 0)
			rc = -1;
	json_decref(topics);
	json_decref(ev);
	return rc;
}

/* Sends `ev` (consumed) to every supervisor of the unit who is connected. 0 or -1. */
static int push_to_supervisors(struct ctx *x, const char *unit_id, json_t *ev)
{
	return push_to_topics(x, supervisor_topics(x, unit_id), ev);
}

/* Sends the unit's dashboard to its supervisors ("dashboard.changed"), computed only when
 * one of them is connected. 0 or -1. */
static int push_dashboard(struct ctx *x, const char *unit_id)
{
	int32_t closed[CORE_CAL_DAYS];
	struct calendar cal;
	json_t *topics = supervisor_topics(x, unit_id), *d;

	if (topics == NULL)
		return -1;
	if (json_array_size(topics) == 0) {
		json_decref(topics);
		return 0;
	}
	if (load_calendar(x, unit_id, &cal, closed) != 0 || (d = dashboard_of(x, &cal, unit_id)) == NULL) {
		json_decref(topics);
		return -1;
	}
	json_object_set_new(d, "type", json_string("event"));
	json_object_set_new(d, "event", json_string("dashboard.changed"));
	return push_to_topics(x, topics, d);
}

int core_queue_dashboard_changed(struct ctx *x, const char *unit_id)
{
	return push_dashboard(x, unit_id);
}

/* Deadline clocks */

static const char *clock_kind_name(int k)
{
	return k == CLOCK_FOLLOW ? "follow_up" : "first_answer";
}

static const char *clock_state_name(int s)
{
	return s == CLOCK_RUNNING ? "running" : s == CLOCK_PAUSED ? "paused" : "stopped";
}

static const char *clock_level_name(int l)
{
	return l == LEVEL_MISSED ? "missed" : l == LEVEL_AT_RISK ? "at_risk" : "ok";
}

/* (Re)starts a clock at now with what is left of its budget. 0, or -1 when the deadline is
 * out of the calendar's reach. */
static int clock_start(struct ctx *x, const struct calendar *cal, struct store_clock *c, int warn_pct)
{
	int64_t warn_budget = c->budget * warn_pct / 100 - c->used;

	c->state = CLOCK_RUNNING;
	c->start = x->now;
	c->due = cal_add_working_ms(cal, x->now, c->budget - c->used);
	c->warn_at = cal_add_working_ms(cal, x->now, warn_budget > 0 ? warn_budget : 0);
	return c->due < 0 || c->warn_at < 0 ? -1 : 0;
}

/* Stops (or pauses) a running clock, keeping the working time used. */
static int clock_halt(const struct calendar *cal, struct store_clock *c, int64_t now, int state)
{
	int64_t used;

	if (c->state == CLOCK_RUNNING) {
		used = cal_working_ms(cal, c->start, now);
		if (used < 0)
			return -1;
		c->used += used;
	}
	c->state = state;
	return 0;
}

/* "deadline.changed" to the thread's unit. 0 or -1. */
static int push_deadline(struct ctx *x, const struct store_thread *t, const struct store_clock *c)
{
	char topic[48];
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "type", "event", "event",
			       "deadline.changed", "thread", t->id, "unit", t->unit_id, "kind",
			       clock_kind_name(c->kind), "state", clock_state_name(c->state), "level",
			       clock_level_name(c->level), "due", (json_int_t)c->due);

	if (ev == NULL)
		return -1;
	snprintf(topic, sizeof topic, "unit:%s", t->unit_id);
	return core_push(x, topic, ev);
}

/* The first-answer clock of a new thread. 0 or -1. */
static int clock_open(struct ctx *x, const struct calendar *cal, const struct store_thread *t,
		      const struct store_queue_settings *qs, const char *lang, struct store_clock *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->thread_id, sizeof c->thread_id, "%s", t->id);
	snprintf(c->lang, sizeof c->lang, "%s", lang);
	c->kind = CLOCK_FIRST;
	c->budget = qs->first_days * CAL_DAY_MS;
	if (clock_start(x, cal, c, qs->warn_pct) != 0)
		return -1;
	return x->st->ops->queue->clock_put(x->st, c) == STORE_OK ? 0 : -1;
}

/* Routing and assignment of a new thread */

/* Loads queue `id` and whether its unit has somebody on duty (under the unit's calendar) into
 * `target`. 0 or -1. */
static int target_of(struct ctx *x, const char *id, struct store_queue *q, struct routing_target *target)
{
	int32_t closed[CORE_CAL_DAYS];
	struct calendar cal;
	int rc, staffed;

	memset(target, 0, sizeof *target);
	if (id == NULL || id[0] == '\0')
		return 0;
	rc = x->st->ops->queue->get(x->st, id, q);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_OK || load_calendar(x, q->unit_id, &cal, closed) != 0 ||
	    (staffed = unit_staffed(x, &cal, q->unit_id)) < 0)
		return -1;
	target->exists = 1;
	target->staffed = staffed;
	return 0;
}

int core_queue_route(struct ctx *x, struct store_queue *q, const char *lang)
{
	struct store_queue lq, fq;
	struct store_queue_settings qs;
	struct routing_target lt, ct, ft;
	char route[STORE_ID_SIZE] = "";
	int rc;

	rc = x->st->ops->queue->route_get(x->st, q->category, lang, route);
	if (rc == STORE_ERROR || target_of(x, route, &lq, &lt) != 0 || target_of(x, q->id, q, &ct) != 0)
		return -1;
	if (x->st->ops->queue->settings_get(x->st, lt.exists ? lq.id : q->id, &qs) != STORE_OK ||
	    target_of(x, qs.fallback_id, &fq, &ft) != 0)
		return -1;
	switch (routing_choose(&lt, &ct, &ft)) {
	case ROUTE_LANGUAGE: *q = lq; break;
	case ROUTE_FALLBACK: *q = fq; break;
	default: break;
	}
	return 0;
}

/* Assigns a new thread under its queue's policy. 0 or -1. */
static int assign_new(struct ctx *x, const struct calendar *cal, struct store_thread *t,
		      struct store_queue_settings *qs)
{
	struct member_acc *acc = malloc(sizeof *acc);
	struct routing_worker *w = malloc(MAX_MEMBERS * sizeof *w);
	size_t n;
	int pick, rc = -1;

	if (acc == NULL || w == NULL || unit_workers(x, cal, t->unit_id, w, acc, &n) != 0)
		goto out;
	rc = 0;
	pick = routing_pick((enum queue_policy)qs->policy, w, n, qs->cap, qs->rr_last);
	if (pick < 0)
		goto out;
	t->state = THREAD_CLAIMED;
	snprintf(t->assignee_id, sizeof t->assignee_id, "%s", w[pick].user_id);
	snprintf(qs->rr_last, sizeof qs->rr_last, "%s", w[pick].user_id);
	if (x->st->ops->thread->update(x->st, t) != STORE_OK ||
	    x->st->ops->queue->settings_put(x->st, qs) != STORE_OK)
		rc = -1;
out:
	free(acc);
	free(w);
	return rc;
}

/* Replaces "{date}" in `tmpl` with `date`. */
static void fill_text(char *out, size_t size, const char *tmpl, const char *date)
{
	const char *p = strstr(tmpl, "{date}");

	if (p == NULL)
		snprintf(out, size, "%s", tmpl);
	else
		snprintf(out, size, "%.*s%s%s", (int)(p - tmpl), tmpl, date, p + 6);
}

/* Whether `now` is inside the unit's service hours on a working day: 1, 0, or -1. */
static int in_service_hours(struct ctx *x, const struct calendar *cal, const char *unit_id)
{
	struct store_unit_settings us;
	struct cal_local l;

	if (x->st->ops->unit->settings_get(x->st, unit_id, &us) != STORE_OK)
		return -1;
	cal_local(x->now, &l);
	return cal_is_working_day(cal, l.day) && l.minute >= us.open_min && l.minute < us.close_min;
}

/* The acknowledgement object of thread.open. NULL when out of memory. */
static json_t *ack_object(struct ctx *x, int64_t due, int out_of_hours, int li)
{
	const struct core_config *cfg = &x->c->cfg;
	const char *ack = cfg->ack_text[li][0] ? cfg->ack_text[li] : default_ack[li];
	const char *emg = cfg->emergency_text[li][0] ? cfg->emergency_text[li] : default_emergency[li];
	char date[32], text[CORE_TEXT_MAX + 32];
	struct cal_local l;
	json_t *o;

	cal_local(due - 1, &l); /* a deadline at midnight is the end of the previous day */
	snprintf(date, sizeof date, "%d.%d.%d", l.mday, l.month, l.year);
	fill_text(text, sizeof text, ack, date);
	o = json_pack("{s:s, s:I, s:b, s:s}", "lang", lang_code(li), "expected_by", (json_int_t)due,
		      "out_of_hours", out_of_hours, "text", text);
	if (o != NULL && out_of_hours)
		json_object_set_new(o, "emergency", json_string(emg));
	return o;
}

int core_queue_opened(struct ctx *x, struct store_thread *t, const char *lang)
{
	struct store_queue_settings qs;
	struct store_clock c;
	int32_t closed[CORE_CAL_DAYS];
	struct calendar cal;
	int hours, li = lang_index(lang);
	json_t *ack;

	if (load_calendar(x, t->unit_id, &cal, closed) != 0 ||
	    x->st->ops->queue->settings_get(x->st, t->queue_id, &qs) != STORE_OK ||
	    assign_new(x, &cal, t, &qs) != 0 || clock_open(x, &cal, t, &qs, lang_code(li), &c) != 0 ||
	    (hours = in_service_hours(x, &cal, t->unit_id)) < 0)
		return -1;
	if ((ack = ack_object(x, c.due, !hours, li)) == NULL)
		return -1;
	json_object_set_new(x->result, "ack", ack);
	if (push_deadline(x, t, &c) != 0)
		return -1;
	return push_dashboard(x, t->unit_id);
}

int core_queue_claimed(struct ctx *x, const struct store_thread *t)
{
	return push_dashboard(x, t->unit_id);
}

/* Notifications: one outbox row per channel the citizen chose. 0 or -1. */
static int enqueue_notifications(struct ctx *x, const struct store_thread *t)
{
	struct store_contact ct;
	struct store_outbox o = {
		.state = OUTBOX_PENDING, .next_at = x->now, .created = x->now, .updated = x->now
	};
	int rc = x->st->ops->notify->contact_get(x->st, t->citizen_id, &ct);

	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_OK)
		return -1;
	snprintf(o.citizen_id, sizeof o.citizen_id, "%s", t->citizen_id);
	for (int ch = CHANNEL_EMAIL; ch <= CHANNEL_SMS; ch++) {
		if ((ch == CHANNEL_EMAIL ? ct.email : ct.phone)[0] == '\0')
			continue;
		o.channel = ch;
		core_random_id(o.id);
		rc = x->st->ops->notify->outbox_add(x->st, &o);
		if (rc != STORE_OK && rc != STORE_EXISTS)
			return -1;
	}
	return 0;
}

int core_queue_message(struct ctx *x, const struct store_thread *t, int await_reply)
{
	struct store_queue_settings qs;
	struct store_clock c;
	int32_t closed[CORE_CAL_DAYS];
	struct calendar cal;
	int staff = x->sess.role != ROLE_CITIZEN, rc;

	/* The clock's state read with the thread settles the common cases without reading it. */
	if (t->has_extras && t->clock_state < 0) /* a thread from before the duty queues */
		return staff ? enqueue_notifications(x, t) : 0;
	if (t->has_extras && !staff && t->clock_state == CLOCK_RUNNING)
		return 0; /* the clock runs on: the common case, with nothing more to read */
	rc = x->st->ops->queue->clock_get(x->st, t->id, &c);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND) /* a thread from before the duty queues */
		return staff ? enqueue_notifications(x, t) : 0;
	if (!staff && c.state == CLOCK_RUNNING)
		return 0; /* the clock runs on */
	if (load_calendar(x, t->unit_id, &cal, closed) != 0 ||
	    x->st->ops->queue->settings_get(x->st, t->queue_id, &qs) != STORE_OK)
		return -1;
	if (staff) {
		/* An answer meets the deadline; a question to the citizen pauses it. */
		if (c.state == CLOCK_RUNNING &&
		    clock_halt(&cal, &c, x->now, await_reply ? CLOCK_PAUSED : CLOCK_STOPPED) != 0)
			return -1;
		if (c.state == CLOCK_PAUSED && !await_reply)
			c.state = CLOCK_STOPPED;
		if (enqueue_notifications(x, t) != 0)
			return -1;
	} else if (c.state == CLOCK_PAUSED) {
		if (clock_start(x, &cal, &c, qs.warn_pct) != 0)
			return -1;
	} else if (c.state == CLOCK_STOPPED) {
		c.kind = CLOCK_FOLLOW;
		c.level = LEVEL_OK;
		c.used = 0;
		c.budget = qs.follow_days * CAL_DAY_MS;
		if (clock_start(x, &cal, &c, qs.warn_pct) != 0)
			return -1;
	} else {
		return 0; /* the clock runs on */
	}
	if (x->st->ops->queue->clock_put(x->st, &c) != STORE_OK)
		return -1;
	return push_deadline(x, t, &c);
}

int core_queue_closed(struct ctx *x, const struct store_thread *t)
{
	struct store_clock c;
	int32_t closed[CORE_CAL_DAYS];
	struct calendar cal;
	int rc = x->st->ops->queue->clock_get(x->st, t->id, &c);

	if (rc == STORE_ERROR || load_calendar(x, t->unit_id, &cal, closed) != 0)
		return -1;
	if (rc == STORE_OK && c.state != CLOCK_STOPPED) {
		if (clock_halt(&cal, &c, x->now, CLOCK_STOPPED) != 0 ||
		    x->st->ops->queue->clock_put(x->st, &c) != STORE_OK || push_deadline(x, t, &c) != 0)
			return -1;
	}
	return push_dashboard(x, t->unit_id);
}

/* Requests */

/* Whether `user_id` is a member of `unit_id`: 1, 0, or -1. */
static int is_member(struct ctx *x, const char *user_id, const char *unit_id)
{
	struct store_membership m[CORE_MAX_UNITS];
	size_t n;

	if (x->st->ops->staff->membership_list(x->st, user_id, m, CORE_MAX_UNITS, &n) != STORE_OK)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].unit_id, unit_id) == 0)
			return 1;
	return 0;
}

/* A reason with something besides white space; 0 with *out set, or 0 with ctx->err. */
static int read_reason(struct ctx *x, int required, const char **out)
{
	const char *r = str_field(x, "reason");

	*out = r ? r : "";
	if (r != NULL && strspn(r, " \t\r\n") < strlen(r) && strlen(r) <= STORE_REASON_MAX)
		return 0;
	if (r == NULL && !required)
		return 0;
	snprintf(x->err_field, sizeof x->err_field, "/reason");
	return core_fail(x, ADVICE_ERR_BAD_REQUEST, "a reason is required");
}

/* Records a reassignment or release: the access-log row, then the reason referring to it. */
static int record_move(struct ctx *x, const struct store_thread *before, const struct store_thread *after,
		       const char *action, const char *reason)
{
	struct store_reassign r = { .time = x->now };
	struct store_audit last;

	if (core_audit(x, before, action, "ok") != 0 || x->st->ops->audit->last(x->st, &last) != STORE_OK)
		return -1;
	r.audit_row = last.row;
	snprintf(r.thread_id, sizeof r.thread_id, "%s", before->id);
	snprintf(r.by_user, sizeof r.by_user, "%s", x->sess.user_id);
	snprintf(r.from_user, sizeof r.from_user, "%s", before->assignee_id);
	snprintf(r.to_user, sizeof r.to_user, "%s", after->assignee_id);
	snprintf(r.from_queue, sizeof r.from_queue, "%s", before->queue_id);
	snprintf(r.to_queue, sizeof r.to_queue, "%s", after->queue_id);
	snprintf(r.reason, sizeof r.reason, "%s", reason);
	return x->st->ops->queue->reassign_insert(x->st, &r) == STORE_OK ? 0 : -1;
}

/* thread.changed for a unit that the thread left. 0 or -1. */
static int push_moved_away(struct ctx *x, const struct store_thread *t, const char *old_unit)
{
	char topic[48];
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:I}", "type", "event", "event",
			       "thread.changed", "thread", t->id, "state", core_state_name(t->state),
			       "assignee", t->assignee_id[0] ? json_string(t->assignee_id) : json_null(),
			       "unit", t->unit_id, "category", t->category, "last_seq",
			       (json_int_t)t->last_seq, "updated", (json_int_t)t->updated);

	json_t *name = NULL;

	if (ev == NULL || core_name_for_staff(x, t->assignee_id, &name) != 0) {
		json_decref(ev);
		return -1;
	}
	json_object_set_new(ev, "assignee_name", name);
	snprintf(topic, sizeof topic, "unit:%s", old_unit);
	return core_push(x, topic, ev);
}

static int move_reply(struct ctx *x, const struct store_thread *t)
{
	json_t *name;

	json_object_set_new(x->result, "thread", json_string(t->id));
	json_object_set_new(x->result, "state", json_string(core_state_name(t->state)));
	json_object_set_new(x->result, "unit", json_string(t->unit_id));
	json_object_set_new(x->result, "category", json_string(t->category));
	json_object_set_new(x->result, "assignee",
			    t->assignee_id[0] ? json_string(t->assignee_id) : json_null());
	if (core_name_for_staff(x, t->assignee_id, &name) != 0)
		return -1;
	json_object_set_new(x->result, "assignee_name", name);
	return 0;
}

int core_thread_reassign(struct ctx *x)
{
	const char *to_user = str_field(x, "to_user"), *to_cat = str_field(x, "to_category"), *reason;
	struct store_thread t, before;
	struct store_queue q;
	int rc;

	if ((rc = core_thread_for(x, ACT_THREAD_REASSIGN, &t)) != 0 || x->err)
		return rc;
	if (t.state == THREAD_CLOSED)
		return core_fail(x, ADVICE_ERR_CONFLICT, "thread is closed");
	if ((rc = read_reason(x, 1, &reason)) != 0 || x->err)
		return rc;
	if (to_user == NULL && to_cat == NULL)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "to_user or to_category is required");
	before = t;
	if (to_cat != NULL) {
		rc = x->st->ops->queue->by_category(x->st, to_cat, &q);
		if (rc == STORE_ERROR)
			return -1;
		if (rc == STORE_NOTFOUND) {
			snprintf(x->err_field, sizeof x->err_field, "/to_category");
			return core_fail(x, ADVICE_ERR_NOT_FOUND, "no such category");
		}
		snprintf(t.queue_id, sizeof t.queue_id, "%s", q.id);
		snprintf(t.unit_id, sizeof t.unit_id, "%s", q.unit_id);
		snprintf(t.category, sizeof t.category, "%s", q.category);
	}
	if (to_user != NULL) {
		if ((rc = is_member(x, to_user, t.unit_id)) < 0)
			return -1;
		if (rc == 0) {
			snprintf(x->err_field, sizeof x->err_field, "/to_user");
			return core_fail(x, ADVICE_ERR_NOT_FOUND, "no such worker in the unit");
		}
		snprintf(t.assignee_id, sizeof t.assignee_id, "%s", to_user);
		if (t.state == THREAD_NEW)
			t.state = THREAD_CLAIMED;
	} else {
		t.assignee_id[0] = '\0';
		t.state = THREAD_NEW;
	}
	t.updated = x->now;
	if ((rc = core_identity_reassign(x, &before, &t)) != 0 || x->err)
		return rc;
	if (x->st->ops->thread->update(x->st, &t) != STORE_OK ||
	    record_move(x, &before, &t, "reassign", reason))
		return -1;
	log_notice("thread %s reassigned by %s", t.id, x->sess.user_id);
	if (move_reply(x, &t) != 0 || core_thread_changed(x, &t) != 0 || push_dashboard(x, t.unit_id) != 0)
		return -1;
	if (strcmp(before.unit_id, t.unit_id) != 0 &&
	    (push_moved_away(x, &t, before.unit_id) != 0 || push_dashboard(x, before.unit_id) != 0))
		return -1;
	return core_presence_moved(x, &t, before.unit_id);
}

int core_thread_release(struct ctx *x)
{
	struct store_thread t, before;
	const char *reason;
	int rc;

	if ((rc = core_thread_for(x, ACT_THREAD_RELEASE, &t)) != 0 || x->err)
		return rc;
	if (t.state == THREAD_CLOSED)
		return core_fail(x, ADVICE_ERR_CONFLICT, "thread is closed");
	if (t.assignee_id[0] == '\0')
		return core_fail(x, ADVICE_ERR_CONFLICT, "thread is in the queue already");
	if ((rc = read_reason(x, 0, &reason)) != 0 || x->err)
		return rc;
	before = t;
	t.assignee_id[0] = '\0';
	t.state = THREAD_NEW;
	t.updated = x->now;
	if (x->st->ops->thread->update(x->st, &t) != STORE_OK ||
	    record_move(x, &before, &t, "release", reason))
		return -1;
	if (move_reply(x, &t) != 0 || core_thread_changed(x, &t) != 0)
		return -1;
	return push_dashboard(x, t.unit_id);
}

/* duty.set / duty.get */

static const char *duty_name(int mode)
{
	return mode == DUTY_ON ? "on" : mode == DUTY_OFF ? "off" : "roster";
}

/* Who of the unit is on duty now, as colleagues see them: user, username, name, title (the
 * caller too). NULL when the store failed or memory ran out. */
static json_t *staff_on_duty(struct ctx *x, const struct calendar *cal, const char *unit_id)
{
	struct member_acc *acc = malloc(sizeof *acc);
	struct routing_worker *w = malloc(MAX_MEMBERS * sizeof *w);
	json_t *list = json_array(), *p;
	size_t n;

	if (acc == NULL || w == NULL || list == NULL || unit_workers(x, cal, unit_id, w, acc, &n) != 0)
		goto fail;
	for (size_t i = 0; i < n && json_array_size(list) < ADVICE_MAX_LIST; i++) {
		if (!w[i].on_duty)
			continue;
		p = json_pack("{s:s, s:s}", "user", acc->m[i].user_id, "username", acc->m[i].username);
		if (p == NULL)
			goto fail;
		json_array_append_new(list, name_fields(p, &acc->m[i]));
	}
	free(acc);
	free(w);
	return list;
fail:
	json_decref(list);
	free(acc);
	free(w);
	return NULL;
}

/* The caller's duty reply: mode, until, and per unit whether the caller is on duty now and
 * who is. */
static int duty_reply(struct ctx *x, const struct store_duty *d)
{
	int32_t closed[CORE_CAL_DAYS];
	struct calendar cal;
	json_t *units = json_array();

	if (units == NULL)
		return -1;
	for (size_t i = 0; i < x->nunits; i++) {
		int on = load_calendar(x, x->units[i].unit_id, &cal, closed) != 0
				 ? -1
				 : on_duty(x, &cal, x->units[i].unit_id, x->sess.user_id);
		json_t *staff = on < 0 ? NULL : staff_on_duty(x, &cal, x->units[i].unit_id);

		if (staff == NULL) {
			json_decref(units);
			return -1;
		}
		json_array_append_new(units, json_pack("{s:s, s:b, s:o}", "unit", x->units[i].unit_id,
						       "on_duty", on, "staff_on_duty", staff));
	}
	json_object_set_new(x->result, "duty", json_string(duty_name(d->mode)));
	json_object_set_new(x->result, "until", d->until ? json_integer(d->until) : json_null());
	json_object_set_new(x->result, "units", units);
	return 0;
}

int core_duty_set(struct ctx *x)
{
	struct store_duty d = { .updated = x->now };
	const char *mode = str_field(x, "duty");
	json_t *until = json_object_get(x->msg, "until");

	snprintf(d.user_id, sizeof d.user_id, "%s", x->sess.user_id);
	d.mode = strcmp(mode, "on") == 0 ? DUTY_ON : strcmp(mode, "off") == 0 ? DUTY_OFF : DUTY_ROSTER;
	if (json_is_integer(until)) {
		d.until = json_integer_value(until);
		if (d.mode == DUTY_ROSTER || d.until <= x->now || d.until > x->now + MAX_DUTY_AHEAD_MS) {
			snprintf(x->err_field, sizeof x->err_field, "/until");
			return core_fail(x, ADVICE_ERR_BAD_REQUEST,
					 "until must be in the future, within a year, with on or off");
		}
	}
	if (x->st->ops->duty->put(x->st, &d) != STORE_OK || duty_reply(x, &d) != 0)
		return -1;
	for (size_t i = 0; i < x->nunits; i++)
		if (push_dashboard(x, x->units[i].unit_id) != 0)
			return -1;
	return 0;
}

int core_duty_get(struct ctx *x)
{
	struct store_duty d;

	if (x->st->ops->duty->get(x->st, x->sess.user_id, &d) != STORE_OK)
		return -1;
	if (d.mode != DUTY_ROSTER && d.until != 0 && d.until <= x->now)
		d.mode = DUTY_ROSTER; /* an ended override */
	return duty_reply(x, &d);
}

/* dashboard.get */

int core_dashboard_get(struct ctx *x)
{
	const char *unit = str_field(x, "unit");
	int32_t closed[CORE_CAL_DAYS];
	struct calendar cal;
	json_t *list = json_array();
	int found = 0;

	json_object_set_new(x->result, "units", list);
	if (list == NULL)
		return -1;
	for (size_t i = 0; i < x->nunits; i++) {
		json_t *d;

		if (x->units[i].role != ROLE_SUPERVISOR ||
		    (unit != NULL && strcmp(unit, x->units[i].unit_id)))
			continue;
		found = 1;
		if (load_calendar(x, x->units[i].unit_id, &cal, closed) != 0 ||
		    (d = dashboard_of(x, &cal, x->units[i].unit_id)) == NULL)
			return -1;
		json_array_append_new(list, d);
	}
	if (unit != NULL && !found)
		return core_deny(x, ACT_DASHBOARD_GET, NULL);
	return 0;
}

/* notify.set / notify.get / notify.delete */

/* A plain address: local@domain, printable ASCII without spaces, quotes or angle brackets,
 * so it cannot break the mail header it goes into. */
static int email_valid(const char *e)
{
	const char *at = strchr(e, '@');
	size_t n = strlen(e);

	if (n < 3 || n >= STORE_EMAIL_SIZE || at == NULL || at == e || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (const char *p = e; *p; p++)
		if (*p <= ' ' || *p >= 127 || strchr("\"<>()[],;:\\", *p) != NULL)
			return 0;
	return strchr(at + 1, '.') != NULL;
}

/* An international number: "+" and 7..15 digits (E.164). */
static int phone_valid(const char *p)
{
	size_t n = strlen(p);

	return p[0] == '+' && n >= 8 && n < STORE_PHONE_SIZE && strspn(p + 1, "0123456789") == n - 1;
}

int core_notify_set(struct ctx *x)
{
	struct store_contact c = { .updated = x->now };
	const char *email = str_field(x, "email"), *phone = str_field(x, "phone");

	if (email == NULL && phone == NULL)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST,
				 "email or phone is required (notify.delete removes both)");
	if (email != NULL && !email_valid(email)) {
		snprintf(x->err_field, sizeof x->err_field, "/email");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "not an e-mail address");
	}
	if (phone != NULL && !phone_valid(phone)) {
		snprintf(x->err_field, sizeof x->err_field, "/phone");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "not a phone number in +358... form");
	}
	snprintf(c.citizen_id, sizeof c.citizen_id, "%s", x->sess.user_id);
	snprintf(c.email, sizeof c.email, "%s", email ? email : "");
	snprintf(c.phone, sizeof c.phone, "%s", phone ? phone : "");
	snprintf(c.lang, sizeof c.lang, "%s", lang_code(lang_index(str_field(x, "lang"))));
	if (x->st->ops->notify->contact_put(x->st, &c) != STORE_OK)
		return -1;
	/* The reply is kept for idempotent replay: it names the channels, never the addresses. */
	json_object_set_new(x->result, "email", json_boolean(email != NULL));
	json_object_set_new(x->result, "sms", json_boolean(phone != NULL));
	json_object_set_new(x->result, "lang", json_string(c.lang));
	return 0;
}

int core_notify_get(struct ctx *x)
{
	struct store_contact c;
	int rc = x->st->ops->notify->contact_get(x->st, x->sess.user_id, &c);

	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND)
		memset(&c, 0, sizeof c);
	json_object_set_new(x->result, "email", c.email[0] ? json_string(c.email) : json_null());
	json_object_set_new(x->result, "phone", c.phone[0] ? json_string(c.phone) : json_null());
	json_object_set_new(x->result, "lang", c.lang[0] ? json_string(c.lang) : json_null());
	return 0;
}

int core_notify_delete(struct ctx *x)
{
	int rc = x->st->ops->notify->contact_delete(x->st, x->sess.user_id);

	if (rc == STORE_ERROR)
		return -1;
	json_object_set_new(x->result, "deleted", json_boolean(rc == STORE_OK));
	return 0;
}

/* The periodic tick: warnings and escalations of deadlines */

struct due_acc {
	struct store_clock c[TICK_BATCH];
	size_t n;
};

static int add_due(void *arg, const struct store_clock *c)
{
	struct due_acc *a = arg;

	if (a->n == TICK_BATCH)
		return 1;
	a->c[a->n++] = *c;
	return 0;
}

/* Adds `unit` to the set of units whose dashboards need a refresh. */
static void note_unit(char units[][STORE_ID_SIZE], size_t *n, const char *unit)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(units[i], unit) == 0)
			return;
	if (*n < MAX_TICK_UNITS)
		snprintf(units[(*n)++], STORE_ID_SIZE, "%s", unit);
}

/* Raises one clock's level, tells the unit and escalates to its supervisors. 0 or -1. */
static int report_clock(struct ctx *x, struct store_clock *c, char units[][STORE_ID_SIZE], size_t *nunits)
{
	struct store_thread t;
	json_t *ev, *name = NULL;
	int rc;

	c->level = c->due <= x->now ? LEVEL_MISSED : LEVEL_AT_RISK;
	if (x->st->ops->queue->clock_put(x->st, c) != STORE_OK)
		return -1;
	rc = x->st->ops->thread->get(x->st, c->thread_id, &t);
	if (rc != STORE_OK)
		return -1;
	if (push_deadline(x, &t, c) != 0)
		return -1;
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "type", "event", "event",
		       "deadline.escalation", "thread", t.id, "unit", t.unit_id, "kind",
		       clock_kind_name(c->kind), "level", clock_level_name(c->level), "due",
		       (json_int_t)c->due, "assignee",
		       t.assignee_id[0] ? json_string(t.assignee_id) : json_null());
	if (ev == NULL || core_name_for_staff(x, t.assignee_id, &name) != 0) {
		json_decref(ev);
		return -1;
	}
	json_object_set_new(ev, "assignee_name", name);
	if (push_to_supervisors(x, t.unit_id, ev) != 0)
		return -1;
	log_notice("deadline %s of thread %s: %s", clock_kind_name(c->kind), t.id,
		   clock_level_name(c->level));
	note_unit(units, nunits, t.unit_id);
	return 0;
}

int core_queue_tick(struct ctx *x)
{
	struct due_acc *a = malloc(sizeof *a);
	char units[MAX_TICK_UNITS][STORE_ID_SIZE];
	size_t nunits = 0;
	int rc = -1;

	if (a == NULL)
		return -1;
	a->n = 0;
	if (x->st->ops->queue->clock_due(x->st, x->now, TICK_BATCH, add_due, a) != STORE_OK)
		goto out;
	for (size_t i = 0; i < a->n; i++)
		if (report_clock(x, &a->c[i], units, &nunits) != 0)
			goto out;
	for (size_t i = 0; i < nunits; i++)
		if (push_dashboard(x, units[i]) != 0)
			goto out;
	rc = 0;
out:
	free(a);
	return rc;
}
