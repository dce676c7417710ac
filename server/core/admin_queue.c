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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "admin_queue.h"
#include "roster.h"
#include "routing.h"

struct qa {
	struct store *st;
	FILE *out;
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

static int find_unit(struct qa *a, const char *name, char id[STORE_ID_SIZE])
{
	if (a->st->ops->unit->find(a->st, name, id) != STORE_OK)
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
		return fail(a, "'%s' is not a number in range", s);
	*out = (int)v;
	return 0;
}

static int cmd_unit_langs(struct qa *a, char **argv)
{
	struct store_unit_settings us;
	char unit[STORE_ID_SIZE];

	if (find_unit(a, argv[1], unit) != 0)
		return -1;
	if (routing_langs_valid(argv[2]) != 0)
		return fail(a, "languages are a comma-separated list of fi, sv, en: '%s'", argv[2]);
	if (a->st->ops->unit->settings_get(a->st, unit, &us) != STORE_OK)
		return -1;
	snprintf(us.langs, sizeof us.langs, "%s", argv[2]);
	return a->st->ops->unit->settings_put(a->st, &us) == STORE_OK ? 0 : -1;
}

static int cmd_unit_hours(struct qa *a, char **argv)
{
	struct store_unit_settings us;
	char unit[STORE_ID_SIZE];
	int open, close;

	if (find_unit(a, argv[1], unit) != 0)
		return -1;
	if (cal_parse_hhmm(argv[2], &open) != 0 || cal_parse_hhmm(argv[3], &close) != 0 || open >= close)
		return fail(a, "service hours are HH:MM HH:MM, opening first (%s)", argv[2]);
	if (a->st->ops->unit->settings_get(a->st, unit, &us) != STORE_OK)
		return -1;
	us.open_min = open;
	us.close_min = close;
	return a->st->ops->unit->settings_put(a->st, &us) == STORE_OK ? 0 : -1;
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
	return a->st->ops->queue->settings_put(a->st, &qs) == STORE_OK ? 0 : -1;
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
	return a->st->ops->queue->settings_put(a->st, &qs) == STORE_OK ? 0 : -1;
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
	return a->st->ops->queue->settings_put(a->st, &qs) == STORE_OK ? 0 : -1;
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
	return rc == STORE_OK ? 0 : -1;
}

static int cmd_closed(struct qa *a, int add, char **argv)
{
	int32_t day;
	int rc;

	if (cal_parse_date(argv[1], &day) != 0)
		return fail(a, "a date is YYYY-MM-DD, not '%s'", argv[1]);
	if (add && (strlen(argv[2]) == 0 || strlen(argv[2]) > 128))
		return fail(a, "a closed day's name is 1..128 bytes (%s)", argv[1]);
	rc = add ? a->st->ops->duty->closed_day_put(a->st, day, argv[2])
		 : a->st->ops->duty->closed_day_delete(a->st, day);
	if (rc == STORE_NOTFOUND)
		return fail(a, "%s is not a closed day", argv[1]);
	return rc == STORE_OK ? 0 : -1;
}

static int cmd_holidays(struct qa *a, char **argv)
{
	struct cal_holiday h[CAL_MAX_HOLIDAYS];
	int32_t closed[CAL_MAX_CLOSED];
	size_t nclosed;
	int year = 0, n;
	char date[11];

	if (small_int(a, argv[1], CAL_MIN_YEAR, CAL_MAX_YEAR, &year) != 0)
		return -1;
	n = cal_holidays(year, h);
	for (int i = 0; i < n; i++) {
		cal_format_date(h[i].day, date);
		fprintf(a->out, "%s  %s (%s)\n", date, h[i].fi, h[i].en);
	}
	if (a->st->ops->duty->closed_day_list(a->st, closed, CAL_MAX_CLOSED, &nclosed) != STORE_OK)
		return -1;
	for (size_t i = 0; i < nclosed; i++) {
		int y, m, d;

		cal_civil_from_day(closed[i], &y, &m, &d);
		if (y != year)
			continue;
		cal_format_date(closed[i], date);
		fprintf(a->out, "%s  closed day\n", date);
	}
	return 0;
}

static int cmd_roster_add(struct qa *a, int argc, char **argv)
{
	struct store_roster r = { 0 };
	struct store_membership m[64];
	struct roster_shift sh;
	struct store_worker w;
	size_t n;
	int member = 0;

	if (a->st->ops->staff->worker_get(a->st, argv[1], &w) != STORE_OK)
		return fail(a, "no worker '%s'", argv[1]);
	if (find_unit(a, argv[2], r.unit_id) != 0)
		return -1;
	if (roster_parse_shift(argv[3], argv[4], argv[5], &sh) != 0)
		return fail(a, "a shift is DAYS (mon-fri, sat,sun, all) HH:MM HH:MM, not '%s ...'", argv[3]);
	if (argc == 7 && strcmp(argv[6], "--holidays") != 0)
		return fail(a, "unknown option '%s'", argv[6]);
	if (a->st->ops->staff->membership_list(a->st, w.user_id, m, 64, &n) != STORE_OK)
		return -1;
	for (size_t i = 0; i < n; i++)
		member |= strcmp(m[i].unit_id, r.unit_id) == 0;
	if (!member)
		return fail(a, "'%s' is not a member of that unit", argv[1]);
	snprintf(r.user_id, sizeof r.user_id, "%s", w.user_id);
	r.days = sh.days;
	r.start_min = sh.start_min;
	r.end_min = sh.end_min;
	r.on_holidays = argc == 7;
	if (a->st->ops->duty->roster_add(a->st, &r) != STORE_OK)
		return -1;
	fprintf(a->out, "%lld\n", (long long)r.id);
	return 0;
}

static int print_shift(void *arg, const struct store_roster *r)
{
	char days[32];

	roster_format_days(r->days, days);
	fprintf(arg, "%lld  user %s  unit %s  %s %02d:%02d-%02d:%02d%s\n", (long long)r->id, r->user_id,
		r->unit_id, days, r->start_min / 60, r->start_min % 60, r->end_min / 60, r->end_min % 60,
		r->on_holidays ? "  also on holidays" : "");
	return 0;
}

static int cmd_roster_list(struct qa *a, int argc, char **argv)
{
	char unit[STORE_ID_SIZE] = "";

	if (argc == 2 && find_unit(a, argv[1], unit) != 0)
		return -1;
	return a->st->ops->duty->roster_list(a->st, unit, NULL, print_shift, a->out) == STORE_OK ? 0 : -1;
}

static int cmd_roster_del(struct qa *a, char **argv)
{
	int id = 0;

	if (small_int(a, argv[1], 1, 2000000000, &id) != 0)
		return -1;
	if (a->st->ops->duty->roster_delete(a->st, id) != STORE_OK)
		return fail(a, "no shift %s", argv[1]);
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

int admin_queue_run(struct store *st, int argc, char **argv, FILE *out, char *err, size_t errlen)
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
	FILE *null = fopen("/dev/null", "w");
	int rc = 0;

	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0] && rc == 0; i++) {
		int argc = 0;

		while (argc < 8 && cmds[i][argc] != NULL)
			argc++;
		rc = admin_queue_run(st, argc, (char **)cmds[i], null ? null : stdout, err, errlen);
	}
	if (null != NULL)
		fclose(null);
	return rc;
}
