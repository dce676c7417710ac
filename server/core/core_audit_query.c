/*
 * core_audit_query.c - monitoring of use (PROTOCOL.md §11.10): a supervisor reads the access
 * log of the units they supervise, filtered by user, client pseudonym and time, newest first,
 * with the state of the log's hash chain. The query is itself written to the log (action
 * audit.read) before the reply. The chain is checked incrementally: the core remembers how
 * far it holds (struct core_chain_check) and each query goes on from there for at most
 * CHAIN_STEP rows, so a query's cost is bounded however long the log is.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "core_internal.h"
#include "log.h"

#define QUERY_DEFAULT 100
#define CHAIN_STEP    20000 /* rows of the chain checked by one query at most */

/* The chain check going on from where the core left it */

struct chain_walk {
	struct core_chain_check *cc;
	int64_t left; /* rows this query may still check */
};

static int check_row(void *arg, const struct store_audit *a)
{
	struct chain_walk *w = arg;
	uint8_t h[STORE_HASH_BYTES];
	static const uint8_t zero[STORE_HASH_BYTES];
	const uint8_t *prev = w->cc->row == 0 ? zero : w->cc->hash;

	if (w->left-- <= 0)
		return 1;
	audit_hash(a, h);
	if (a->row != w->cc->row + 1 || memcmp(a->prev, prev, STORE_HASH_BYTES) != 0 ||
	    memcmp(h, a->hash, STORE_HASH_BYTES) != 0) {
		w->cc->first_broken = w->cc->row + 1;
		return 1;
	}
	w->cc->row = a->row;
	memcpy(w->cc->hash, a->hash, STORE_HASH_BYTES);
	return 0;
}

/* Goes on checking the chain for at most CHAIN_STEP rows. What was checked before is taken as
 * it was unless its last row is no longer the one checked (a batch rolled back after the
 * check): then the check starts again from row 1. 0 or -1. */
static int chain_advance(struct ctx *x)
{
	struct core_chain_check *cc = &x->c->chain;
	struct chain_walk w = { .cc = cc, .left = CHAIN_STEP };
	struct store_audit last;
	int rc;

	if (cc->first_broken != 0)
		return 0;
	if (cc->row > 0) {
		rc = x->st->ops->monitor->audit_row(x->st, cc->row, &last);
		if (rc == STORE_ERROR)
			return -1;
		if (rc == STORE_NOTFOUND || memcmp(last.hash, cc->hash, STORE_HASH_BYTES) != 0)
			memset(cc, 0, sizeof *cc);
	}
	return x->st->ops->audit->scan(x->st, cc->row + 1, check_row, &w) == STORE_OK ? 0 : -1;
}

static json_t *chain_json(const struct core_chain_check *cc)
{
	return json_pack("{s:s, s:I, s:o}", "state", cc->first_broken ? "broken" : "ok", "checked",
			 (json_int_t)cc->row, "first_broken",
			 cc->first_broken ? json_integer(cc->first_broken) : json_null());
}

/* The query */

static json_t *str_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

struct rows_acc {
	json_t *rows;
	int limit;
	int more;
	int failed; /* memory ran out */
};

static int add_row(void *arg, const struct store_audit_view *v)
{
	struct rows_acc *a = arg;
	const struct store_audit *r = &v->a;
	json_t *o;

	if ((int)json_array_size(a->rows) == a->limit) {
		a->more = 1;
		return 1;
	}
	o = json_pack("{s:I, s:I, s:o, s:o, s:s, s:o, s:o, s:s, s:s, s:n, s:s, s:o}", "row",
		      (json_int_t)r->row, "time", (json_int_t)r->time, "user", str_or_null(r->user_id),
		      "username", str_or_null(v->username), "role", core_role_name(r->role), "unit",
		      str_or_null(r->unit_id), "client", str_or_null(r->client), "object", r->object,
		      "action", r->action, "purpose", "outcome", r->outcome, "reason",
		      str_or_null(v->reason));
	if (o == NULL || json_array_append_new(a->rows, o) != 0)
		a->failed = 1;
	return a->failed;
}

/* Fills q's units: `unit` when given (one the caller supervises, else forbidden, logged), else
 * every unit the caller supervises. 0 (ctx->err set when refused) or -1. */
static int query_units(struct ctx *x, const char *unit, struct store_audit_query *q)
{
	int rc;

	if (unit != NULL) {
		if ((rc = core_unit_for(x, unit, ACT_AUDIT_QUERY, 1)) != 0 || x->err)
			return rc;
		snprintf(q->units[0], STORE_ID_SIZE, "%s", unit);
		q->nunits = 1;
		return 0;
	}
	for (size_t i = 0; i < x->nunits && q->nunits < STORE_QUERY_UNITS; i++)
		if (x->units[i].role == ROLE_SUPERVISOR)
			snprintf(q->units[q->nunits++], STORE_ID_SIZE, "%s", x->units[i].unit_id);
	if (q->nunits == 0)
		return core_deny(x, ACT_AUDIT_QUERY, NULL); /* the policy let no such caller in */
	return 0;
}

static const char *str_field(struct ctx *x, const char *name)
{
	return json_string_value(json_object_get(x->msg, name));
}

static int64_t int_field(struct ctx *x, const char *name, int64_t dflt)
{
	json_t *v = json_object_get(x->msg, name);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* The access-log row of the query: about the one unit asked for (or the first supervised)
 * and the client looked up, if any. 0 or -1. */
static int log_query(struct ctx *x, const struct store_audit_query *q, const char *unit)
{
	return core_unit_audit(x, unit ? unit : q->units[0], "audit.read", q->client, "ok");
}

int core_audit_query(struct ctx *x)
{
	const char *unit = str_field(x, "unit"), *user = str_field(x, "user"),
		   *client = str_field(x, "client");
	struct store_audit_query q = { .nunits = 0 };
	struct rows_acc a = { .rows = json_array() };
	json_t *chain;
	int rc;

	if (a.rows == NULL)
		return -1;
	json_object_set_new(x->result, "rows", a.rows);
	if ((rc = query_units(x, unit, &q)) != 0 || x->err)
		return rc;
	snprintf(q.user_id, sizeof q.user_id, "%s", user ? user : "");
	snprintf(q.client, sizeof q.client, "%s", client ? client : "");
	q.from = int_field(x, "from", 0);
	q.to = int_field(x, "to", 0);
	q.before = int_field(x, "before", 0);
	if (q.from != 0 && q.to != 0 && q.to < q.from) {
		snprintf(x->err_field, sizeof x->err_field, "/to");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "to is before from");
	}
	a.limit = (int)int_field(x, "limit", QUERY_DEFAULT);
	q.limit = a.limit + 1; /* one more tells whether there is more */
	if (log_query(x, &q, unit) != 0 || chain_advance(x) != 0 ||
	    x->st->ops->monitor->audit_query(x->st, &q, add_row, &a) != STORE_OK || a.failed)
		return -1;
	if ((chain = chain_json(&x->c->chain)) == NULL)
		return -1;
	json_object_set_new(x->result, "more", json_boolean(a.more));
	json_object_set_new(x->result, "chain", chain);
	if (x->c->chain.first_broken != 0)
		log_warn("access log chain broken at row %lld", (long long)x->c->chain.first_broken);
	return 0;
}
