/*
 * admin_lists.c - the list commands of advicectl (admin_lists.h): what an administrator or a
 * supervisor-admin needs to see of units, queues, accounts and memberships, with names
 * instead of ids and times in Helsinki time.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin_lists.h"
#include "routing.h"

/* A list command's state. */
struct la {
	struct store *st;
	struct admin_out *out;
	json_t *list; /* the data's array being filled */
	int failed;   /* a read inside a list's callback failed (the list itself stops quietly) */
	int64_t now;
	int64_t lock_ms; /* how long a failed-login lock lasts; 0: until unlocked */
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3))) fail(struct la *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, a->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "fi,sv" as a JSON array of strings. */
static json_t *langs_json(const char *langs)
{
	json_t *j = json_array();
	char buf[STORE_LANGS_SIZE], *save = NULL;

	snprintf(buf, sizeof buf, "%s", langs);
	for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
		json_array_append_new(j, json_string(t));
	return j;
}

/* unit-list */

/* The categories of a unit's queues ("a, b"), and their JSON array. */
struct unit_queues {
	const char *unit_id;
	char text[512];
	json_t *json;
};

static int add_unit_queue(void *arg, const struct store_queue *q)
{
	struct unit_queues *uq = arg;
	size_t n = strlen(uq->text);

	if (strcmp(q->unit_id, uq->unit_id) != 0)
		return 0;
	snprintf(uq->text + n, sizeof uq->text - n, "%s%s", n ? ", " : "", q->category);
	json_array_append_new(uq->json, json_string(q->category));
	return 0;
}

static int count_member(void *arg, const struct store_member *m)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

static int print_unit(void *arg, const struct store_unit *u)
{
	struct la *a = arg;
	struct store_unit_settings us;
	struct unit_queues uq = { .unit_id = u->id, .json = json_array() };
	char open[6], close[6];
	int members = 0;

	if (a->st->ops->unit->settings_get(a->st, u->id, &us) != STORE_OK ||
	    a->st->ops->queue->list(a->st, add_unit_queue, &uq) != STORE_OK ||
	    a->st->ops->unit->members(a->st, u->id, count_member, &members) != STORE_OK) {
		json_decref(uq.json);
		a->failed = 1;
		return -1;
	}
	admin_hhmm(us.open_min, open);
	admin_hhmm(us.close_min, close);
	fprintf(a->out->text, "%s: languages %s; open %s-%s on working days; %d member%s; queues %s\n",
		u->name, us.langs[0] ? us.langs : "fi,sv,en (all)", open, close, members,
		members == 1 ? "" : "s", uq.text[0] ? uq.text : "none");
	json_array_append_new(a->list,
			      json_pack("{s:s, s:s, s:o, s:s, s:s, s:i, s:o}", "id", u->id, "name", u->name,
					"langs", langs_json(us.langs[0] ? us.langs : ROUTING_LANGS), "open",
					open, "close", close, "members", members, "queues", uq.json));
	return 0;
}

static int cmd_unit_list(struct la *a)
{
	admin_data_set(a->out, "units", a->list = json_array());
	if (a->st->ops->unit->list(a->st, print_unit, a) != STORE_OK || a->failed)
		return fail(a, "cannot read the units");
	if (json_array_size(a->list) == 0)
		fprintf(a->out->text, "no units (unit-add adds one)\n");
	else
		fprintf(a->out->text, "(hours in Helsinki time)\n");
	return 0;
}

/* queue-list */

/* The routes of one category: "sv to x, en to y" and {"sv": "x"}. */
struct queue_routes {
	struct store *st;
	const char *category;
	char text[256];
	json_t *json;
};

static int add_route(void *arg, const char *category, const char *lang, const char *queue_id)
{
	struct queue_routes *qr = arg;
	struct store_queue target = { .category = "?" };
	size_t n = strlen(qr->text);

	if (strcmp(category, qr->category) != 0)
		return 0;
	qr->st->ops->queue->get(qr->st, queue_id, &target);
	snprintf(qr->text + n, sizeof qr->text - n, "%s%s to %s", n ? ", " : "", lang, target.category);
	json_object_set_new(qr->json, lang, json_string(target.category));
	return 0;
}

static int print_queue(void *arg, const struct store_queue *q)
{
	struct la *a = arg;
	struct store_queue_settings qs;
	struct store_queue fallback = { .category = "" };
	struct store_unit u = { .name = "?" };
	struct queue_routes qr = { .st = a->st, .category = q->category, .json = json_object() };
	const char *policy;

	if (a->st->ops->queue->settings_get(a->st, q->id, &qs) != STORE_OK ||
	    a->st->ops->queue->route_list(a->st, add_route, &qr) != STORE_OK) {
		json_decref(qr.json);
		a->failed = 1;
		return -1;
	}
	a->st->ops->unit->get(a->st, q->unit_id, &u);
	if (qs.fallback_id[0])
		a->st->ops->queue->get(a->st, qs.fallback_id, &fallback);
	policy = routing_policy_name((enum queue_policy)qs.policy);
	fprintf(a->out->text, "%s \"%s\" of %s\n", q->category, q->name, u.name);
	if (qs.policy == QUEUE_LEAST_LOADED && qs.cap > 0)
		fprintf(a->out->text, "  policy least-loaded, at most %d open threads per worker\n", qs.cap);
	else
		fprintf(a->out->text, "  policy %s\n", policy);
	fprintf(a->out->text,
		"  deadlines: first answer %d working days, later ones %d; warning at %d%%\n"
		"  fallback: %s; routes: %s\n",
		qs.first_days, qs.follow_days, qs.warn_pct, fallback.category[0] ? fallback.category : "none",
		qr.text[0] ? qr.text : "none");
	json_array_append_new(a->list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s?, s:i, s:i, s:i, s:o}",
						 "id", q->id, "category", q->category, "name", q->name,
						 "unit", u.name, "policy", policy, "cap", qs.cap, "fallback",
						 fallback.category[0] ? fallback.category : NULL,
						 "first_days", qs.first_days, "follow_days", qs.follow_days,
						 "warn_pct", qs.warn_pct, "routes", qr.json));
	return 0;
}

static int cmd_queue_list(struct la *a)
{
	admin_data_set(a->out, "queues", a->list = json_array());
	if (a->st->ops->queue->list(a->st, print_queue, a) != STORE_OK || a->failed)
		return fail(a, "cannot read the queues");
	if (json_array_size(a->list) == 0)
		fprintf(a->out->text, "no queues (queue-add adds one)\n");
	return 0;
}

/* worker-list */

static int has_cert(void *arg, const struct store_key_blob *b)
{
	(void)b;
	*(int *)arg = 1;
	return 1;
}

/* The account's state word for scripts, and its phrase for people. */
static const char *worker_state(const struct la *a, const struct store_worker *w, const struct store_staff *s,
				char *text, size_t size)
{
	char t[ADMIN_TIME_TEXT];
	const char *state = "active";
	size_t n;

	if (s->ends > 0 && s->ends <= a->now) {
		admin_time_text(s->ends, t);
		snprintf(text, size, "ended %s", t);
		return "ended";
	}
	if (w->locked_at > 0 && a->lock_ms == 0) {
		state = "locked";
		snprintf(text, size, "locked until unlocked (unlock clears it)");
	} else if (w->locked_at > 0 && w->locked_at + a->lock_ms > a->now) {
		state = "locked";
		admin_time_text(w->locked_at + a->lock_ms, t);
		snprintf(text, size, "locked until %s (unlock clears it)", t);
	} else if (w->locked_until > a->now) {
		state = "locked";
		admin_time_text(w->locked_until, t);
		snprintf(text, size, "failed logins: waiting until %s (unlock clears it)", t);
	} else if (s->has_setup && s->setup_expires > a->now) {
		state = "setup pending";
		admin_time_text(s->setup_expires, t);
		snprintf(text, size, "setup pending (code valid until %s)", t);
	} else if (s->has_setup) {
		state = "setup pending";
		snprintf(text, size, "setup pending (the code expired: worker-reset gives a new one)");
	} else {
		snprintf(text, size, "active");
	}
	if (s->ends > 0 && (n = strlen(text)) < size) {
		admin_time_text(s->ends, t);
		snprintf(text + n, size - n, ", ends %s", t);
	}
	return state;
}

/* The worker's units and roles: "worker of A, supervisor of B (ends ...)" and their JSON. */
static int worker_units(struct la *a, const char *user_id, char *text, size_t size, json_t *units)
{
	struct store_membership m[64];
	size_t n, len = 0;

	text[0] = '\0';
	if (a->st->ops->staff->membership_list(a->st, user_id, m, 64, &n) != STORE_OK)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct store_unit u = { .name = "?" };
		char ends[ADMIN_TIME_TEXT] = "";

		a->st->ops->unit->get(a->st, m[i].unit_id, &u);
		if (m[i].ends > 0)
			admin_time_text(m[i].ends, ends);
		len += (size_t)snprintf(text + len, len < size ? size - len : 0, "%s%s of %s%s%s%s",
					i ? ", " : "", admin_role_name(m[i].role), u.name,
					!ends[0]	      ? ""
					: m[i].ends <= a->now ? " (ended "
							      : " (ends ",
					ends, ends[0] ? ")" : "");
		json_array_append_new(units, json_pack("{s:s, s:s, s:o}", "unit", u.name, "role",
						       admin_role_name(m[i].role), "ends",
						       admin_time_json(m[i].ends)));
	}
	if (n == 0)
		snprintf(text, size, "no units");
	return 0;
}

static int print_worker(void *arg, const struct store_worker *w)
{
	struct la *a = arg;
	struct store_staff s;
	char units[1024], state_text[3 * ADMIN_TIME_TEXT];
	json_t *ju = json_array();
	const char *state;
	int keys = 0;

	if (a->st->ops->staff->get(a->st, w->user_id, &s) != STORE_OK ||
	    worker_units(a, w->user_id, units, sizeof units, ju) != 0 ||
	    a->st->ops->keys->cert_list(a->st, w->user_id, has_cert, &keys) != STORE_OK) {
		json_decref(ju);
		a->failed = 1;
		return -1;
	}
	state = worker_state(a, w, &s, state_text, sizeof state_text);
	fprintf(a->out->text, "%-12s %s; %s\n", w->username, state_text, units);
	json_array_append_new(a->list,
			      json_pack("{s:s, s:s, s:s, s:o, s:o, s:b, s:o}", "username", w->username, "id",
					w->user_id, "state", state, "ends", admin_time_json(s.ends),
					"setup_expires", admin_time_json(s.has_setup ? s.setup_expires : 0),
					"keys", keys, "units", ju));
	memset(&s, 0, sizeof s);
	return 0;
}

static int cmd_worker_list(struct la *a)
{
	admin_data_set(a->out, "workers", a->list = json_array());
	if (a->st->ops->staff->worker_list(a->st, print_worker, a) != STORE_OK || a->failed)
		return fail(a, "cannot read the accounts");
	if (json_array_size(a->list) == 0)
		fprintf(a->out->text, "no workers (worker-add adds one)\n");
	return 0;
}

/* member-list UNIT */

static int print_member(void *arg, const struct store_member *m)
{
	struct la *a = arg;
	char role_ends[ADMIN_TIME_TEXT] = "", account_ends[ADMIN_TIME_TEXT] = "";

	if (m->role_ends > 0)
		admin_time_text(m->role_ends, role_ends);
	if (m->account_ends > 0)
		admin_time_text(m->account_ends, account_ends);
	fprintf(a->out->text, "  %-12s %s, %d open thread%s%s%s%s%s\n", m->username, admin_role_name(m->role),
		m->load, m->load == 1 ? "" : "s",
		!role_ends[0]		 ? ""
		: m->role_ends <= a->now ? "; role ended "
					 : "; role ends ",
		role_ends,
		account_ends[0] ? (m->account_ends <= a->now ? "; account ended " : "; account ends ") : "",
		account_ends);
	json_array_append_new(a->list, json_pack("{s:s, s:s, s:i, s:o, s:o}", "username", m->username, "role",
						 admin_role_name(m->role), "open_threads", m->load,
						 "role_ends", admin_time_json(m->role_ends), "account_ends",
						 admin_time_json(m->account_ends)));
	return 0;
}

static int cmd_member_list(struct la *a, const char *unit)
{
	struct store_unit u;

	if (a->st->ops->unit->find(a->st, unit, u.id) != STORE_OK ||
	    a->st->ops->unit->get(a->st, u.id, &u) != STORE_OK)
		return fail(a, "no unit '%s'", unit);
	a->list = json_array();
	admin_data_set(a->out, "unit", json_string(u.name));
	admin_data_set(a->out, "members", a->list);
	fprintf(a->out->text, "members of %s:\n", u.name);
	if (a->st->ops->unit->members(a->st, u.id, print_member, a) != STORE_OK)
		return fail(a, "cannot read the members");
	if (json_array_size(a->list) == 0)
		fprintf(a->out->text, "  none (member-add adds one)\n");
	return 0;
}

int admin_lists_run(struct store *st, int64_t lock_ms, int argc, char **argv, struct admin_out *out,
		    char *err, size_t errlen)
{
	struct la a = {
		.st = st, .out = out, .now = wall_ms(), .lock_ms = lock_ms, .err = err, .errlen = errlen
	};
	const char *c = argc >= 1 ? argv[0] : "";

	if (strcmp(c, "unit-list") == 0 && argc == 1)
		return cmd_unit_list(&a);
	if (strcmp(c, "queue-list") == 0 && argc == 1)
		return cmd_queue_list(&a);
	if (strcmp(c, "worker-list") == 0 && argc == 1)
		return cmd_worker_list(&a);
	if (strcmp(c, "member-list") == 0 && argc == 2)
		return cmd_member_list(&a, argv[1]);
	return 1;
}
