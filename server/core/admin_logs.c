/*
 * admin_logs.c - advicectl's register duties over the access and disclosure logs
 * (admin_logs.h): both chains verified, the disclosure log listed, the client's log report, a
 * client found by identity code, and the scope of a breach.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "admin_accounts.h"
#include "admin_logs.h"
#include "audit.h"
#include "calendar.h"
#include "core.h"
#include "disclosure.h"
#include "hetu.h"
#include "log_report.h"

#define LIST_MAX      1000 /* rows disclosure-list prints */
#define REASON_MAX    500  /* bytes of a special reason */
#define SCOPE_CLIENTS 100000

struct run {
	struct store *st;
	const struct admin_logs_env *env;
	struct admin_out *out;
	char *err;
	size_t errlen;
};

static int fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Whether `id` has the form of an id: 32 lowercase hex digits. */
static int id_valid(const char *id)
{
	if (strlen(id) != ADVICE_ID_HEX)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

/* DATE (admin_logs.h) as UTC ms: a day's first instant, or with `end` its last. 0, or -1. */
static int parse_when(const char *s, int end, int64_t *out)
{
	char day_text[11];
	int32_t day;
	int minute;

	if (strlen(s) == 10 && cal_parse_date(s, &day) == 0) {
		*out = end ? cal_day_start(day + 1) - 1 : cal_day_start(day);
		return 0;
	}
	if (strlen(s) != 16 || s[10] != 'T')
		return -1;
	memcpy(day_text, s, 10);
	day_text[10] = '\0';
	if (cal_parse_date(day_text, &day) != 0 || cal_parse_hhmm(s + 11, &minute) != 0)
		return -1;
	*out = cal_local_to_utc(day, minute) + (end ? 59999 : 0);
	return 0;
}

/* The value after option argv[*i] (*i moves to it); NULL when there is none. */
static const char *option_value(int argc, char **argv, int *i)
{
	return *i + 1 < argc ? argv[++*i] : NULL;
}

/* An access-log row of the administrator about `client`. 0 or -1. */
static int log_row(struct run *r, const char *client, const char *object, const char *action)
{
	struct store_audit a = { .time = r->env->now, .role = ROLE_ADMIN };

	snprintf(a.user_id, sizeof a.user_id, "os:%s", r->env->os_user);
	snprintf(a.client, sizeof a.client, "%s", client);
	snprintf(a.object, sizeof a.object, "%s", object);
	snprintf(a.action, sizeof a.action, "%s", action);
	snprintf(a.outcome, sizeof a.outcome, "ok");
	return audit_append(r->st, &a) == STORE_OK ? 0 : fail(r, "cannot write the access log");
}

/* audit-verify */

/* One chain's check into text and data[key]; *broken set when it is broken. 0 or -1. */
static int verify_one(struct run *r, const char *key, const char *what, int rc, int64_t rows, int64_t bad,
		      int *broken)
{
	if (rc < 0)
		return fail(r, "cannot read the %s", what);
	if (rc > 0) {
		fprintf(r->out->text, "%s BROKEN at row %lld\n", what, (long long)bad);
		admin_data_set(r->out, key,
			       json_pack("{s:b, s:I}", "intact", 0, "broken_row", (json_int_t)bad));
		*broken = 1;
		return 0;
	}
	fprintf(r->out->text, "%s intact: %lld rows\n", what, (long long)rows);
	admin_data_set(r->out, key, json_pack("{s:b, s:I}", "intact", 1, "rows", (json_int_t)rows));
	return 0;
}

static int cmd_audit_verify(struct run *r, int *exit_status)
{
	int64_t rows = 0, bad = 0;
	int broken = 0, rc;

	rc = audit_verify(r->st, &rows, &bad);
	if (verify_one(r, "audit", "access log", rc, rows, bad, &broken) != 0)
		return -1;
	rows = bad = 0;
	rc = disclosure_verify(r->st, &rows, &bad);
	if (verify_one(r, "disclosure", "disclosure log", rc, rows, bad, &broken) != 0)
		return -1;
	*exit_status = broken ? ADMIN_EXIT_AUDIT_BROKEN : 0;
	return 0;
}

/* disclosure-list */

struct list_state {
	struct run *r;
	json_t *rows;
	int n, failed;
};

static const char *role_word(enum store_role role)
{
	const char *w = log_report_role(role);

	return w != NULL ? w : "none";
}

static int list_row(void *arg, const struct store_disclosure *d)
{
	struct list_state *s = arg;
	char when[ADMIN_TIME_TEXT];
	json_t *o;

	if (++s->n > LIST_MAX)
		return 1;
	admin_time_text(d->time, when);
	fprintf(s->r->out->text,
		"%lld  %s  client %s  %s\n    to %s; basis: %s; data: %s; method: %s; %s; by %s (%s)\n",
		(long long)d->row, when, d->client, d->object, d->recipient, d->basis, d->dataset, d->method,
		d->outcome, d->user_id, role_word(d->role));
	o = json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "row",
		      (json_int_t)d->row, "time", admin_time_json(d->time), "user", d->user_id, "role",
		      role_word(d->role), "unit", d->unit_id, "client", d->client, "object", d->object,
		      "recipient", d->recipient, "basis", d->basis, "dataset", d->dataset, "method",
		      d->method, "outcome", d->outcome);
	if (o == NULL || json_array_append_new(s->rows, o) != 0)
		s->failed = 1;
	return s->failed;
}

static int cmd_disclosure_list(struct run *r, int argc, char **argv)
{
	struct list_state s = { .r = r, .rows = json_array() };
	const char *client = "";

	if (argc == 3 && strcmp(argv[1], "--client") == 0)
		client = argv[2];
	else if (argc != 1)
		return 1;
	if (client[0] && !id_valid(client))
		return fail(r, "a client is a pseudonym: 32 lowercase hex digits");
	if (s.rows == NULL)
		return fail(r, "out of memory");
	admin_data_set(r->out, "disclosures", s.rows);
	if (r->st->ops->disclosure->by_client(r->st, client, 0, 0, LIST_MAX + 1, list_row, &s) != STORE_OK ||
	    s.failed)
		return fail(r, "cannot read the disclosure log");
	if (s.n == 0)
		fprintf(r->out->text, "no disclosures%s%s\n", client[0] ? " of client " : "", client);
	if (s.n > LIST_MAX)
		admin_warn(r->out, "only the first %d disclosures are listed", LIST_MAX);
	return 0;
}

/* log-report */

static const char *or_dash(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "-";
}

/* Prints the report's rows and turns their times into ISO text for the data. */
static void print_report(struct run *r, json_t *rep)
{
	json_t *accesses = json_object_get(rep, "accesses"),
	       *disclosures = json_object_get(rep, "disclosures");
	char when[ADMIN_TIME_TEXT];
	size_t i;
	json_t *o;

	fprintf(r->out->text, "processed by (%zu):\n", json_array_size(accesses));
	json_array_foreach (accesses, i, o) {
		admin_time_text(json_integer_value(json_object_get(o, "time")), when);
		fprintf(r->out->text, "  %s  %s  %s  %s  %s  thread %s  %s\n", when,
			or_dash(json_object_get(o, "unit_name")), or_dash(json_object_get(o, "role")),
			or_dash(json_object_get(o, "name")), or_dash(json_object_get(o, "action")),
			or_dash(json_object_get(o, "thread")), or_dash(json_object_get(o, "outcome")));
		json_object_set_new(o, "time",
				    admin_time_json(json_integer_value(json_object_get(o, "time"))));
	}
	fprintf(r->out->text, "disclosed (%zu):\n", json_array_size(disclosures));
	json_array_foreach (disclosures, i, o) {
		admin_time_text(json_integer_value(json_object_get(o, "time")), when);
		fprintf(r->out->text, "  %s  thread %s  to %s; basis: %s; data: %s; method: %s\n", when,
			or_dash(json_object_get(o, "thread")), or_dash(json_object_get(o, "recipient")),
			or_dash(json_object_get(o, "basis")), or_dash(json_object_get(o, "dataset")),
			or_dash(json_object_get(o, "method")));
		json_object_set_new(o, "time",
				    admin_time_json(json_integer_value(json_object_get(o, "time"))));
	}
}

struct report_args {
	const char *client, *reason;
	int64_t from, to;
};

/* log-report's arguments; 1 when they are not its, -1 (err) when a value is wrong. */
static int report_args(struct run *r, int argc, char **argv, struct report_args *a)
{
	const char *v;

	if (argc < 2)
		return 1;
	a->client = argv[1];
	a->reason = NULL;
	a->from = r->env->now - LOG_REPORT_BACK_MS;
	a->to = r->env->now;
	for (int i = 2; i < argc; i++) {
		const char *opt = argv[i];

		if ((v = option_value(argc, argv, &i)) == NULL)
			return 1;
		if (strcmp(opt, "--from") == 0 || strcmp(opt, "--to") == 0) {
			int end = opt[2] == 't';

			if (parse_when(v, end, end ? &a->to : &a->from) != 0)
				return fail(r, "%s: a date is YYYY-MM-DD or YYYY-MM-DDTHH:MM, not '%s'", opt,
					    v);
		} else if (strcmp(opt, "--special-reason") == 0) {
			a->reason = v;
		} else {
			return 1;
		}
	}
	if (!id_valid(a->client))
		return fail(r, "a client is a pseudonym: 32 lowercase hex digits (citizen-find gives it)");
	if (a->to < a->from)
		return fail(r, "--to is before --from");
	if (a->reason != NULL && (a->reason[0] == '\0' || strlen(a->reason) > REASON_MAX))
		return fail(r, "a special reason has 1 to %d bytes", REASON_MAX);
	if (a->from < r->env->now - LOG_REPORT_BACK_MS && a->reason == NULL)
		return fail(r, "log data older than two years is given only for a special reason "
			       "(703/2023 11 §): add --special-reason TEXT");
	return 0;
}

static int cmd_log_report(struct run *r, int argc, char **argv)
{
	struct report_args a;
	struct log_report_query q;
	char object[80], from[ADMIN_TIME_TEXT], to[ADMIN_TIME_TEXT];
	json_t *rep;
	int rc = report_args(r, argc, argv, &a);

	if (rc != 0)
		return rc;
	if (a.reason != NULL)
		snprintf(object, sizeof object, "log; special reason: %s", a.reason);
	else
		snprintf(object, sizeof object, "log");
	if (log_row(r, a.client, object, "log.report") != 0)
		return -1;
	q = (struct log_report_query){ .client = a.client, .from = a.from, .to = a.to };
	if ((rep = json_object()) == NULL)
		return fail(r, "out of memory");
	admin_data_set(r->out, "report", rep);
	if (log_report_build(r->st, &q, rep) != 0)
		return fail(r, "cannot read the logs");
	admin_time_text(a.from, from);
	admin_time_text(a.to, to);
	fprintf(r->out->text, "log report of client %s, %s to %s%s%s\n", a.client, from, to,
		a.reason ? "; special reason: " : "", a.reason ? a.reason : "");
	print_report(r, rep);
	if (json_is_true(json_object_get(rep, "more"))) {
		int64_t next = json_integer_value(json_object_get(rep, "next"));

		admin_time_text(next, from);
		admin_warn(r->out, "the report is cut before %s: run again with --from from there", from);
		json_object_set_new(rep, "next", admin_time_json(next));
	}
	json_object_set_new(rep, "client", json_string(a.client));
	json_object_set_new(rep, "from", admin_time_json(a.from));
	json_object_set_new(rep, "to", admin_time_json(a.to));
	json_object_set_new(rep, "special_reason", a.reason ? json_string(a.reason) : json_null());
	return 0;
}

/* citizen-find */

static int cmd_citizen_find(struct run *r)
{
	const char *code = r->env->secret;
	uint8_t hash[STORE_HASH_BYTES];
	char client[STORE_ID_SIZE];
	int rc;

	if (code == NULL || code[0] == '\0')
		return fail(r, "give the identity code on standard input");
	rc = hetu_check(code, strlen(code), r->env->test_mode, hetu_ymd_from_unix(r->env->now / 1000));
	if (rc != HETU_OK)
		return fail(r, "not a usable identity code: %s", hetu_result_text(rc));
	core_keyed_hash(r->env->pepper, "hetu", code, HETU_LEN, hash);
	rc = r->st->ops->identity->citizen_find(r->st, hash, client);
	sodium_memzero(hash, sizeof hash);
	if (rc == STORE_NOTFOUND)
		return fail(r, "no client has that identity code");
	if (rc != STORE_OK)
		return fail(r, "cannot read the clients");
	if (log_row(r, client, "identity", "citizen.find") != 0)
		return -1;
	fprintf(r->out->text, "client %s\n", client);
	admin_data_set(r->out, "client", json_string(client));
	return 0;
}

/* breach-scope */

enum kind { K_THREAD, K_FILE, K_IDENTITY, K_KEYS, K_NOTE, K_LOG, K_ADMIN, K_EXPORT, K_OTHER, K__COUNT };
static const char *const kind_names[K__COUNT] = { "thread", "file",  "identity", "keys", "note",
						  "log",    "admin", "export",	 "other" };

/* The kind of object an access-log row touched, from its action and object. */
static enum kind access_kind(const char *action, const char *object)
{
	if (strncmp(action, "file.", 5) == 0)
		return K_FILE;
	if (strstr(action, "identity") != NULL || strcmp(action, "citizen.find") == 0)
		return K_IDENTITY;
	if (strcmp(action, "keys") == 0 || strncmp(action, "wrap.", 5) == 0 ||
	    strcmp(action, "thread.rekey") == 0 || strcmp(action, "thread.keys") == 0)
		return K_KEYS;
	if (strncmp(action, "note.", 5) == 0)
		return K_NOTE;
	if (strncmp(action, "audit.", 6) == 0 || strncmp(action, "log.", 4) == 0)
		return K_LOG;
	if (strncmp(action, "admin:", 6) == 0)
		return K_ADMIN;
	if (strncmp(object, "thread:", 7) == 0)
		return K_THREAD;
	return K_OTHER;
}

struct client_scope {
	char client[STORE_ID_SIZE];
	int64_t accesses, denied, disclosures;
	unsigned kinds;
};

struct scope {
	json_t *index; /* client -> position in `c` */
	struct client_scope *c;
	size_t n, cap;
	int failed;
};

/* The entry of `client`, added when new; NULL when memory ran out or there are too many. */
static struct client_scope *scope_entry(struct scope *s, const char *client)
{
	json_t *at = json_object_get(s->index, client);
	struct client_scope *e;

	if (at != NULL)
		return &s->c[json_integer_value(at)];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct client_scope *c = cap <= SCOPE_CLIENTS ? realloc(s->c, cap * sizeof *c) : NULL;

		if (c == NULL)
			return NULL;
		s->c = c;
		s->cap = cap;
	}
	e = &s->c[s->n];
	memset(e, 0, sizeof *e);
	snprintf(e->client, sizeof e->client, "%s", client);
	if (json_object_set_new(s->index, client, json_integer((json_int_t)s->n)) != 0)
		return NULL;
	s->n++;
	return e;
}

static int scope_access(void *arg, const struct store_audit *a)
{
	struct scope *s = arg;
	struct client_scope *e = scope_entry(s, a->client);

	if (e == NULL) {
		s->failed = 1;
		return 1;
	}
	if (strcmp(a->outcome, "ok") != 0) {
		e->denied++;
		return 0;
	}
	e->accesses++;
	e->kinds |= 1u << access_kind(a->action, a->object);
	return 0;
}

static int scope_disclosure(void *arg, const struct store_disclosure *d)
{
	struct scope *s = arg;
	struct client_scope *e = scope_entry(s, d->client);

	if (e == NULL) {
		s->failed = 1;
		return 1;
	}
	e->disclosures++;
	e->kinds |= 1u << (strncmp(d->object, "export:", 7) == 0 ? K_EXPORT : K_THREAD);
	return 0;
}

static int by_client(const void *a, const void *b)
{
	return strcmp(((const struct client_scope *)a)->client, ((const struct client_scope *)b)->client);
}

/* breach-scope's arguments into q (the account and unit resolved); 1 or -1 as report_args. */
static int scope_args(struct run *r, int argc, char **argv, struct store_log_query *q, const char **user,
		      const char **unit)
{
	struct store_worker w;
	const char *v;
	int have_from = 0, have_to = 0, rc;

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if ((v = option_value(argc, argv, &i)) == NULL)
			return 1;
		if (strcmp(opt, "--user") == 0) {
			*user = v;
		} else if (strcmp(opt, "--unit") == 0) {
			*unit = v;
		} else if (strcmp(opt, "--from") == 0 || strcmp(opt, "--to") == 0) {
			int end = opt[2] == 't';

			if (parse_when(v, end, end ? &q->to : &q->from) != 0)
				return fail(r, "%s: a date is YYYY-MM-DD or YYYY-MM-DDTHH:MM, not '%s'", opt,
					    v);
			*(end ? &have_to : &have_from) = 1;
		} else {
			return 1;
		}
	}
	if (!have_from || !have_to)
		return fail(r, "breach-scope needs the window: --from DATE --to DATE");
	if (q->to < q->from)
		return fail(r, "--to is before --from");
	if (*user != NULL) {
		if ((rc = r->st->ops->staff->worker_get(r->st, *user, &w)) == STORE_OK)
			snprintf(q->user_id, sizeof q->user_id, "%s", w.user_id);
		else if (rc == STORE_NOTFOUND && (id_valid(*user) || strncmp(*user, "os:", 3) == 0))
			snprintf(q->user_id, sizeof q->user_id, "%s", *user);
		else
			return rc == STORE_NOTFOUND ? fail(r, "no account '%s'", *user)
						    : fail(r, "cannot read accounts");
	}
	if (*unit != NULL && (rc = r->st->ops->unit->find(r->st, *unit, q->unit_id)) != STORE_OK)
		return rc == STORE_NOTFOUND ? fail(r, "no unit '%s'", *unit) : fail(r, "cannot read units");
	q->only_clients = 1;
	return 0;
}

/* The scope found, as text and data. 0 or -1. */
static int print_scope(struct run *r, const struct scope *s)
{
	json_t *clients = json_array(), *kinds;

	if (clients == NULL)
		return fail(r, "out of memory");
	admin_data_set(r->out, "clients", clients);
	fprintf(r->out->text, "%zu clients touched\n", s->n);
	for (size_t i = 0; i < s->n; i++) {
		const struct client_scope *e = &s->c[i];

		if ((kinds = json_array()) == NULL)
			return fail(r, "out of memory");
		fprintf(r->out->text,
			"  %s  accesses %lld, denied %lld, disclosures %lld; objects:", e->client,
			(long long)e->accesses, (long long)e->denied, (long long)e->disclosures);
		for (int k = 0; k < K__COUNT; k++)
			if (e->kinds & (1u << k)) {
				fprintf(r->out->text, " %s", kind_names[k]);
				json_array_append_new(kinds, json_string(kind_names[k]));
			}
		fprintf(r->out->text, "%s\n", e->kinds ? "" : " none");
		if (json_array_append_new(clients, json_pack("{s:s, s:I, s:I, s:I, s:o}", "client", e->client,
							     "accesses", (json_int_t)e->accesses, "denied",
							     (json_int_t)e->denied, "disclosures",
							     (json_int_t)e->disclosures, "objects", kinds)) !=
		    0)
			return fail(r, "out of memory");
	}
	return 0;
}

static int cmd_breach_scope(struct run *r, int argc, char **argv)
{
	struct store_log_query q = { .limit = 0 };
	struct scope s = { .index = json_object() };
	const char *user = NULL, *unit = NULL;
	char from[ADMIN_TIME_TEXT], to[ADMIN_TIME_TEXT];
	int rc = scope_args(r, argc, argv, &q, &user, &unit);

	if (rc == 0 && s.index == NULL)
		rc = fail(r, "out of memory");
	if (rc == 0 &&
	    (r->st->ops->disclosure->access(r->st, &q, scope_access, &s) != STORE_OK ||
	     r->st->ops->disclosure->query(r->st, &q, scope_disclosure, &s) != STORE_OK || s.failed))
		rc = fail(r, "cannot read the logs (or too many clients)");
	if (rc == 0) {
		if (s.n > 0)
			qsort(s.c, s.n, sizeof *s.c, by_client);
		admin_time_text(q.from, from);
		admin_time_text(q.to, to);
		fprintf(r->out->text, "breach scope: %s%s%s%s%s, %s to %s\n", user ? "account " : "",
			user ? user : "", user && unit ? ", " : "", unit ? "unit " : "", unit ? unit : "",
			from, to);
		admin_data_set(r->out, "window",
			       json_pack("{s:o, s:o, s:o, s:o}", "from", admin_time_json(q.from), "to",
					 admin_time_json(q.to), "user",
					 user ? json_string(user) : json_null(), "unit",
					 unit ? json_string(unit) : json_null()));
		rc = print_scope(r, &s);
	}
	json_decref(s.index);
	free(s.c);
	return rc;
}

int admin_logs_run(struct store *st, const struct admin_logs_env *env, int argc, char **argv,
		   struct admin_out *out, int *exit_status, char *err, size_t errlen)
{
	struct run r = { .st = st, .env = env, .out = out, .err = err, .errlen = errlen };
	const char *cmd = argc >= 1 ? argv[0] : "";

	*exit_status = 0;
	if (strcmp(cmd, "audit-verify") == 0 && argc == 1)
		return cmd_audit_verify(&r, exit_status);
	if (strcmp(cmd, "disclosure-list") == 0)
		return cmd_disclosure_list(&r, argc, argv);
	if (strcmp(cmd, "log-report") == 0)
		return cmd_log_report(&r, argc, argv);
	if (strcmp(cmd, "citizen-find") == 0 && argc == 1)
		return cmd_citizen_find(&r);
	if (strcmp(cmd, "breach-scope") == 0)
		return cmd_breach_scope(&r, argc, argv);
	return 1;
}
