/*
 * admin_queue.c - the duty-queue commands of advicectl (admin_queue.h), run by the core for
 * the admin socket: unit languages and service hours, queue policy, fallback and deadlines,
 * language routes, closed days and the holiday list, and the roster; and the demo roster of
 * `advicectl init --demo`.
 *
 * Each command checks every argument before it writes; the caller's transaction (the
 * request's savepoint) makes a failed command change nothing.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_out.h"
#include "admin_queue.h"
#include "calendar.h"
#include "roster.h"
#include "routing.h"

struct qa {
	struct store *st;
	struct admin_out *out;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3))) fail(struct qa *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, a->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The unit called (or whose id is) `name`. */
static int find_unit(struct qa *a, const char *name, struct store_unit *u)
{
	if (a->st->ops->unit->find(a->st, name, u->id) != STORE_OK ||
	    a->st->ops->unit->get(a->st, u->id, u) != STORE_OK)
		return fail(a, "no unit '%s'", name);
	return 0;
}

static int find_queue(struct qa *a, const char *category, struct store_queue *q)
{
	if (a->st->ops->queue->by_category(a->st, category, q) != STORE_OK)
		return fail(a, "no queue for category '%s'", category);
	return 0;
}

/* A small non-negative integer argument within lo..hi. 0 or -1. */
static int small_int(struct qa *a, const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < lo || v > hi)
		return fail(a, "'%s' is not a number from %d to %d", s, lo, hi);
	*out = (int)v;
	return 0;
}

static int cmd_unit_langs(struct qa *a, char **argv)
{
	struct store_unit_settings us;
	struct store_unit u;

	if (find_unit(a, argv[1], &u) != 0)
		return -1;
	if (routing_langs_valid(argv[2]) != 0)
		return fail(a, "languages are a comma-separated list of fi, sv, en: '%s'", argv[2]);
	if (a->st->ops->unit->settings_get(a->st, u.id, &us) != STORE_OK)
		return -1;
	snprintf(us.langs, sizeof us.langs, "%s", argv[2]);
	if (a->st->ops->unit->settings_put(a->st, &us) != STORE_OK)
		return -1;
	fprintf(a->out->text, "%s serves in %s\n", u.name, us.langs);
	return 0;
}

static int cmd_unit_hours(struct qa *a, char **argv)
{
	struct store_unit_settings us;
	struct store_unit u;
	int open, close;

	if (find_unit(a, argv[1], &u) != 0)
		return -1;
	if (cal_parse_hhmm(argv[2], &open) != 0 || cal_parse_hhmm(argv[3], &close) != 0 || open >= close)
		return fail(a, "service hours are HH:MM HH:MM (00:00..24:00), opening first, not '%s %s'",
			    argv[2], argv[3]);
	if (a->st->ops->unit->settings_get(a->st, u.id, &us) != STORE_OK)
		return -1;
	us.open_min = open;
	us.close_min = close;
	if (a->st->ops->unit->settings_put(a->st, &us) != STORE_OK)
		return -1;
	fprintf(a->out->text, "%s is open %s-%s on working days (Helsinki time)\n", u.name, argv[2], argv[3]);
	return 0;
}

static int queue_settings(struct qa *a, const char *category, struct store_queue_settings *qs)
{
	struct store_queue q;

	if (find_queue(a, category, &q) != 0)
		return -1;
	return a->st->ops->queue->settings_get(a->st, q.id, qs) == STORE_OK ? 0 : -1;
}

static int cmd_queue_policy(struct qa *a, int argc, char **argv)
{
	struct store_queue_settings qs;
	int policy = routing_policy_parse(argv[2]), cap = 0;

	if (policy < 0)
		return fail(a, "a policy is manual, round-robin or least-loaded, not '%s'", argv[2]);
	if (argc == 4 && small_int(a, argv[3], 0, 1000, &cap) != 0)
		return -1;
	if (queue_settings(a, argv[1], &qs) != 0)
		return -1;
	qs.policy = policy;
	qs.cap = cap;
	if (a->st->ops->queue->settings_put(a->st, &qs) != STORE_OK)
		return -1;
	if (policy == QUEUE_LEAST_LOADED && cap > 0)
		fprintf(a->out->text, "queue %s: least-loaded, at most %d open threads per worker\n", argv[1],
			cap);
	else
		fprintf(a->out->text, "queue %s: %s\n", argv[1],
			routing_policy_name((enum queue_policy)policy));
	return 0;
}

static int cmd_queue_fallback(struct qa *a, char **argv)
{
	struct store_queue_settings qs;
	struct store_queue fq;

	if (queue_settings(a, argv[1], &qs) != 0)
		return -1;
	if (strcmp(argv[2], "-") == 0) {
		qs.fallback_id[0] = '\0';
	} else {
		if (find_queue(a, argv[2], &fq) != 0)
			return -1;
		if (strcmp(fq.id, qs.queue_id) == 0)
			return fail(a, "a queue cannot be its own fallback (%s)", argv[2]);
		snprintf(qs.fallback_id, sizeof qs.fallback_id, "%s", fq.id);
	}
	if (a->st->ops->queue->settings_put(a->st, &qs) != STORE_OK)
		return -1;
	if (qs.fallback_id[0] == '\0')
		fprintf(a->out->text, "queue %s: no fallback\n", argv[1]);
	else
		fprintf(a->out->text, "queue %s: while nobody is on duty, threads go to %s\n", argv[1],
			argv[2]);
	return 0;
}

static int cmd_queue_deadlines(struct qa *a, char **argv)
{
	struct store_queue_settings qs;
	int first = 0, follow = 0, warn = 0;

	if (small_int(a, argv[2], 1, 60, &first) != 0 || small_int(a, argv[3], 1, 60, &follow) != 0 ||
	    small_int(a, argv[4], 1, 99, &warn) != 0 || queue_settings(a, argv[1], &qs) != 0)
		return -1;
	qs.first_days = first;
	qs.follow_days = follow;
	qs.warn_pct = warn;
	if (a->st->ops->queue->settings_put(a->st, &qs) != STORE_OK)
		return -1;
	fprintf(a->out->text,
		"queue %s: first answer within %d working days, each later one within %d; supervisors "
		"warned at %d%%\n",
		argv[1], first, follow, warn);
	return 0;
}

static int cmd_route(struct qa *a, int add, char **argv)
{
	struct store_queue q, target;
	int rc;

	if (find_queue(a, argv[1], &q) != 0)
		return -1;
	if (!routing_lang_known(argv[2]))
		return fail(a, "a language is fi, sv or en, not '%s'", argv[2]);
	if (add && find_queue(a, argv[3], &target) != 0)
		return -1;
	rc = a->st->ops->queue->route_put(a->st, argv[1], argv[2], add ? target.id : "");
	if (rc == STORE_NOTFOUND)
		return fail(a, "no route for '%s' in that language", argv[1]);
	if (rc != STORE_OK)
		return -1;
	if (add)
		fprintf(a->out->text, "threads of %s in %s go to %s\n", argv[1], argv[2], argv[3]);
	else
		fprintf(a->out->text, "route of %s in %s removed: they stay in %s\n", argv[1], argv[2],
			argv[1]);
	return 0;
}

static int cmd_closed(struct qa *a, int add, char **argv)
{
	int32_t day;
	int rc;

	if (cal_parse_date(argv[1], &day) != 0)
		return fail(a, "a date is YYYY-MM-DD, not '%s'", argv[1]);
	if (add && (strlen(argv[2]) == 0 || strlen(argv[2]) > 128))
		return fail(a, "a closed day's name is 1..128 bytes (%s)", argv[1]);
	if (add && cal_is_holiday(day, NULL))
		admin_warn(a->out, "%s is a public holiday already", argv[1]);
	rc = add ? a->st->ops->duty->closed_day_put(a->st, day, argv[2])
		 : a->st->ops->duty->closed_day_delete(a->st, day);
	if (rc == STORE_NOTFOUND)
		return fail(a, "%s is not a closed day", argv[1]);
	if (rc != STORE_OK)
		return -1;
	if (add)
		fprintf(a->out->text, "%s is a closed day: %s\n", argv[1], argv[2]);
	else
		fprintf(a->out->text, "%s is no longer a closed day\n", argv[1]);
	return 0;
}

/* The holidays of a year merged with its closed days, in date order. */
struct year_days {
	struct qa *a;
	struct cal_holiday h[CAL_MAX_HOLIDAYS];
	int n, next; /* holidays, and the first not printed yet */
};

static void print_day(struct qa *a, int32_t day, const char *kind, const char *name, const char *name_fi)
{
	char date[11];
	json_t *j;

	cal_format_date(day, date);
	if (name_fi != NULL)
		fprintf(a->out->text, "%s  %s (%s)\n", date, name_fi, name);
	else
		fprintf(a->out->text, "%s  closed: %s\n", date, name);
	j = json_pack("{s:s, s:s, s:s}", "date", date, "kind", kind, "name", name);
	if (name_fi != NULL)
		json_object_set_new(j, "name_fi", json_string(name_fi));
	json_array_append_new(json_object_get(a->out->data, "days"), j);
}

/* Prints the holidays before `day` (all of them for INT32_MAX). */
static void print_holidays_before(struct year_days *y, int32_t day)
{
	for (; y->next < y->n && y->h[y->next].day < day; y->next++)
		print_day(y->a, y->h[y->next].day, "holiday", y->h[y->next].en, y->h[y->next].fi);
}

static int print_closed(void *arg, int32_t day, const char *name)
{
	struct year_days *y = arg;

	print_holidays_before(y, day);
	print_day(y->a, day, "closed", name, NULL);
	return 0;
}

static int cmd_holidays(struct qa *a, char **argv)
{
	struct year_days y = { .a = a };
	int year = 0;

	if (small_int(a, argv[1], CAL_MIN_YEAR, CAL_MAX_YEAR, &year) != 0)
		return -1;
	admin_data_set(a->out, "days", json_array());
	y.n = cal_holidays(year, y.h);
	if (a->st->ops->duty->closed_day_names(a->st, cal_day_from_civil(year, 1, 1),
					       cal_day_from_civil(year, 12, 31), print_closed,
					       &y) != STORE_OK)
		return -1;
	print_holidays_before(&y, INT32_MAX);
	return 0;
}

/* Whether `user_id` is a member of unit `unit_id` now. */
static int is_member(struct store *st, const char *user_id, const char *unit_id)
{
	struct store_membership m[64];
	size_t n;

	if (st->ops->staff->membership_list(st, user_id, m, 64, &n) != STORE_OK)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].unit_id, unit_id) == 0)
			return 1;
	return 0;
}

/* A shift as people read it, "shift 4: anna in Adult social work, mon,tue 08:00-16:00", and
 * as scripts do. Names come from the store; a missing one is shown as "?". */
struct shift_view {
	char text[2 * STORE_NAME_SIZE + 96];
	json_t *json;
};

static void shift_view(struct store *st, const struct store_roster *r, struct shift_view *v)
{
	struct store_worker w = { .username = "?" };
	struct store_unit u = { .name = "?" };
	char days[32], from[6], to[6];

	st->ops->staff->worker_by_id(st, r->user_id, &w);
	st->ops->unit->get(st, r->unit_id, &u);
	roster_format_days(r->days, days);
	admin_hhmm(r->start_min, from);
	admin_hhmm(r->end_min, to);
	snprintf(v->text, sizeof v->text, "shift %lld: %s in %s, %s %s-%s%s", (long long)r->id, w.username,
		 u.name, days, from, to, r->on_holidays ? ", also on holidays" : "");
	v->json = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)r->id, "username",
			    w.username, "unit", u.name, "days", days, "start", from, "end", to, "on_holidays",
			    r->on_holidays);
}

/* Minutes of the week (0 = Monday 00:00) that two shifts share. */
static int shifts_overlap(const struct store_roster *x, const struct store_roster *y)
{
	const int week = 7 * 1440;
	int xlen = x->end_min > x->start_min ? x->end_min - x->start_min : x->end_min + 1440 - x->start_min;
	int ylen = y->end_min > y->start_min ? y->end_min - y->start_min : y->end_min + 1440 - y->start_min;

	for (int i = 0; i < 7; i++)
		for (int j = 0; j < 7; j++) {
			int a, b;

			if (!(x->days & (1u << i)) || !(y->days & (1u << j)))
				continue;
			a = i * 1440 + x->start_min;
			b = j * 1440 + y->start_min;
			for (int shift = -week; shift <= week; shift += week)
				if (a < b + shift + ylen && b + shift < a + xlen)
					return 1;
		}
	return 0;
}

/* What roster-add compares the new shift with. */
struct shift_check {
	struct qa *a;
	const struct store_roster *new;
};

static int warn_overlap(void *arg, const struct store_roster *r)
{
	struct shift_check *c = arg;
	struct shift_view v;

	if (!shifts_overlap(r, c->new))
		return 0;
	shift_view(c->a->st, r, &v);
	json_decref(v.json);
	if (r->days == c->new->days && r->start_min == c->new->start_min && r->end_min == c->new->end_min)
		admin_warn(c->a->out, "the same as %s", v.text);
	else
		admin_warn(c->a->out, "overlaps %s", v.text);
	return 0;
}

static int cmd_roster_add(struct qa *a, int argc, char **argv)
{
	struct store_roster r = { 0 };
	struct shift_check check = { a, &r };
	struct roster_shift sh;
	struct store_worker w;
	struct store_unit u;
	struct shift_view v;

	if (a->st->ops->staff->worker_get(a->st, argv[1], &w) != STORE_OK)
		return fail(a, "no worker '%s'", argv[1]);
	if (find_unit(a, argv[2], &u) != 0)
		return -1;
	if (roster_parse_shift(argv[3], argv[4], argv[5], &sh) != 0)
		return fail(a, "a shift is DAYS (mon-fri, sat,sun, all) HH:MM HH:MM, not '%s %s %s'", argv[3],
			    argv[4], argv[5]);
	if (argc == 7 && strcmp(argv[6], "--holidays") != 0)
		return fail(a, "unknown option '%s'", argv[6]);
	if (!is_member(a->st, w.user_id, u.id))
		return fail(a, "%s is not a member of %s (member-add first)", argv[1], u.name);
	snprintf(r.user_id, sizeof r.user_id, "%s", w.user_id);
	snprintf(r.unit_id, sizeof r.unit_id, "%s", u.id);
	r.days = sh.days;
	r.start_min = sh.start_min;
	r.end_min = sh.end_min;
	r.on_holidays = argc == 7;
	if (a->st->ops->duty->roster_list(a->st, u.id, w.user_id, warn_overlap, &check) != STORE_OK ||
	    a->st->ops->duty->roster_add(a->st, &r) != STORE_OK)
		return -1;
	shift_view(a->st, &r, &v);
	fprintf(a->out->text, "%s (Helsinki time)\n", v.text);
	admin_data_set(a->out, "shift", v.json);
	return 0;
}

static int print_shift(void *arg, const struct store_roster *r)
{
	struct qa *a = arg;
	struct shift_view v;

	shift_view(a->st, r, &v);
	fprintf(a->out->text, "%s\n", v.text);
	json_array_append_new(json_object_get(a->out->data, "shifts"), v.json);
	return 0;
}

static int cmd_roster_list(struct qa *a, int argc, char **argv)
{
	struct store_unit u = { .id = "" };

	if (argc == 2 && find_unit(a, argv[1], &u) != 0)
		return -1;
	admin_data_set(a->out, "shifts", json_array());
	if (a->st->ops->duty->roster_list(a->st, u.id, NULL, print_shift, a) != STORE_OK)
		return -1;
	if (json_array_size(json_object_get(a->out->data, "shifts")) == 0)
		fprintf(a->out->text, "no shifts%s%s (roster-add adds one)\n", argc == 2 ? " in " : "",
			argc == 2 ? u.name : "");
	else
		fprintf(a->out->text, "(times in Helsinki time)\n");
	return 0;
}

/* roster_list's callback that keeps the shift whose id is wanted. */
struct shift_find {
	int64_t id;
	struct store_roster found;
};

static int find_shift(void *arg, const struct store_roster *r)
{
	struct shift_find *f = arg;

	if (r->id != f->id)
		return 0;
	f->found = *r;
	return 1;
}

static int cmd_roster_del(struct qa *a, char **argv)
{
	struct shift_find f = { 0 };
	struct shift_view v;
	int id = 0;

	if (small_int(a, argv[1], 1, 2000000000, &id) != 0)
		return -1;
	f.id = id;
	if (a->st->ops->duty->roster_list(a->st, "", NULL, find_shift, &f) != STORE_OK)
		return -1;
	if (f.found.id != id || a->st->ops->duty->roster_delete(a->st, id) != STORE_OK)
		return fail(a, "no shift %s (roster-list shows them)", argv[1]);
	shift_view(a->st, &f.found, &v);
	json_decref(v.json);
	fprintf(a->out->text, "removed %s\n", v.text);
	return 0;
}

/* Runs one command; 1 when the name and argument count are not one of ours. */
static int dispatch(struct qa *a, int argc, char **argv)
{
	const char *c = argv[0];

	if (strcmp(c, "unit-langs") == 0 && argc == 3)
		return cmd_unit_langs(a, argv);
	if (strcmp(c, "unit-hours") == 0 && argc == 4)
		return cmd_unit_hours(a, argv);
	if (strcmp(c, "queue-policy") == 0 && (argc == 3 || argc == 4))
		return cmd_queue_policy(a, argc, argv);
	if (strcmp(c, "queue-fallback") == 0 && argc == 3)
		return cmd_queue_fallback(a, argv);
	if (strcmp(c, "queue-deadlines") == 0 && argc == 5)
		return cmd_queue_deadlines(a, argv);
	if (strcmp(c, "route-add") == 0 && argc == 4)
		return cmd_route(a, 1, argv);
	if (strcmp(c, "route-del") == 0 && argc == 3)
		return cmd_route(a, 0, argv);
	if (strcmp(c, "closed-add") == 0 && argc == 3)
		return cmd_closed(a, 1, argv);
	if (strcmp(c, "closed-del") == 0 && argc == 2)
		return cmd_closed(a, 0, argv);
	if (strcmp(c, "holidays") == 0 && argc == 2)
		return cmd_holidays(a, argv);
	if (strcmp(c, "roster-add") == 0 && (argc == 6 || argc == 7))
		return cmd_roster_add(a, argc, argv);
	if (strcmp(c, "roster-del") == 0 && argc == 2)
		return cmd_roster_del(a, argv);
	if (strcmp(c, "roster-list") == 0 && (argc == 1 || argc == 2))
		return cmd_roster_list(a, argc, argv);
	return 1;
}

int admin_queue_run(struct store *st, int argc, char **argv, struct admin_out *out, char *err, size_t errlen)
{
	struct qa a = { st, out, err, errlen };
	int rc;

	err[0] = '\0';
	if (argc < 1)
		return 1;
	rc = dispatch(&a, argc, argv);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "the store failed; nothing was changed");
	return rc;
}

int admin_queue_seed_demo(struct store *st, char *err, size_t errlen)
{
	static char *const cmds[][8] = {
		{ "unit-langs", "Adult social work", "fi,sv,en" },
		{ "unit-langs", "Children and families", "fi,sv" },
		{ "unit-langs", "Disability services", "fi" },
		{ "roster-add", "anna", "Adult social work", "mon-fri", "08:00", "16:00" },
		{ "roster-add", "sara", "Adult social work", "mon-fri", "08:00", "16:00" },
		{ "roster-add", "ben", "Children and families", "mon-fri", "08:00", "16:00" },
		{ "queue-policy", "adult-social-work", "manual" },
		{ "queue-policy", "children-and-families", "round-robin" },
		{ "queue-fallback", "disability-services", "adult-social-work" },
		{ "queue-deadlines", "adult-social-work", "3", "3", "75" },
	};
	struct admin_out out;
	int rc = 0;

	if (admin_out_null(&out) != 0)
		return -1;
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0] && rc == 0; i++) {
		int argc = 0;

		while (argc < 8 && cmds[i][argc] != NULL)
			argc++;
		rc = admin_queue_run(st, argc, (char **)cmds[i], &out, err, errlen);
	}
	admin_out_close(&out);
	return rc;
}
