/*
 * core_rights.c - the citizen's rights requests (PROTOCOL.md §14.6-§14.7): rights.request,
 * rights.list, rights.decide.
 *
 * A request (correction, restriction, objection, erasure) and a decision are messages of the
 * thread, made as message.send makes them (core_thread_post): their content (content version
 * 2, kinds 2 and 3) is encrypted by the clients and never read here. The server keeps what the
 * register keeper must track: the kind, the state, the deadline (one month, extended once by two
 * more, GDPR 12(3)), who decided and when. A granted restriction restricts the thread
 * (core_restrict.c); a granted erasure is recorded, and carried out by the register keeper with
 * advicectl; it is refused for a thread handed over to the client record (a client document
 * whose retention runs, GDPR 17(3)(b)).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "advice_crypto.h"
#include "calendar.h"
#include "core_internal.h"
#include "core_retention.h"

#define RIGHTS_LIST_MAX 500 /* requests in one rights.list reply (the schema's maxItems) */

static const char *const kind_names[] = { "", "correction", "restriction", "objection", "erasure" };
static const char *const state_names[] = { "open", "granted", "refused", "extended" };

static int kind_of(const char *name)
{
	for (int k = RIGHTS_CORRECTION; k <= RIGHTS_ERASURE; k++)
		if (name != NULL && strcmp(name, kind_names[k]) == 0)
			return k;
	return 0;
}

static const char *req_str(struct ctx *x, const char *name)
{
	return json_string_value(json_object_get(x->msg, name));
}

static int fail_field(struct ctx *x, int code, const char *field, const char *why)
{
	snprintf(x->err_field, sizeof x->err_field, "%s", field);
	return core_fail(x, code, "%s", why);
}

/* `utc_ms` moved on by `months` calendar months: the same day of the month at the same time of
 * day (UTC), or the last day of a shorter month (31 January + 1 month: 28 or 29 February). */
static int64_t add_months(int64_t utc_ms, int months)
{
	int32_t day = (int32_t)(utc_ms / CAL_DAY_MS);
	int64_t in_day = utc_ms - (int64_t)day * CAL_DAY_MS;
	int year, month, mday, last;

	cal_civil_from_day(day, &year, &month, &mday);
	month += months;
	year += (month - 1) / 12;
	month = (month - 1) % 12 + 1;
	last = (int)(cal_day_from_civil(month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1, 1) -
		     cal_day_from_civil(year, month, 1));
	if (mday > last)
		mday = last;
	return (int64_t)cal_day_from_civil(year, month, mday) * CAL_DAY_MS + in_day;
}

/* Whether thread `t` was handed over to the client record system: then it is a client document
 * whose retention runs, and erasure is refused. 0 with *handed set, or -1. */
static int thread_handed_over(struct ctx *x, const struct store_thread *t, int *handed)
{
	return retention_handed_over(x->st, t->id, handed);
}

/* The name of who decided, as the caller sees staff names (citizens: by the unit's style). */
static int decider_json(struct ctx *x, const struct store_rights_request *r, json_t **out)
{
	json_t *person = NULL, *name;

	*out = NULL;
	if (r->decided_by[0] == '\0')
		return (*out = json_null()) != NULL ? 0 : -1;
	if ((x->sess.role == ROLE_CITIZEN ? core_name_for_citizen(x, r->unit_id, r->decided_by, &person)
					  : core_name_for_staff(x, r->decided_by, &person)) != 0)
		return -1;
	name = json_object_get(person, "name");
	*out = json_is_string(name) ? json_incref(name) : json_null();
	json_decref(person);
	return *out != NULL ? 0 : -1;
}

static json_t *id_or_null(const char *id)
{
	return id[0] != '\0' ? json_string(id) : json_null();
}

/* A RightsRequest object (schema rights_request) into *out; staff get its unit too. 0 or -1. */
static int request_json(struct ctx *x, const struct store_rights_request *r, json_t **out)
{
	json_t *decider;

	*out = NULL;
	if (decider_json(x, r, &decider) != 0)
		return -1;
	*out = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:s, s:o}", "id", r->id, "thread",
			 r->thread_id, "kind", kind_names[r->kind], "state", state_names[r->state], "made",
			 (json_int_t)r->made, "due", (json_int_t)r->due, "decided",
			 r->decided ? json_integer(r->decided) : json_null(), "decided_by", decider,
			 "message", r->message_id, "decision_message", id_or_null(r->decision_message_id));
	if (*out != NULL && x->sess.role != ROLE_CITIZEN)
		json_object_set_new(*out, "unit", json_string(r->unit_id));
	return *out != NULL ? 0 : -1;
}

static int result_request(struct ctx *x, const struct store_rights_request *r)
{
	json_t *o;

	if (request_json(x, r, &o) != 0)
		return -1;
	return json_object_set_new(x->result, "request", o) == 0 ? 0 : -1;
}

/* Whether the request's "body" is an envelope (its message id names the request or decision).
 * 0; 0 with bad_request (field /body) when it is not; -1 when out of memory. */
static int body_is_envelope(struct ctx *x)
{
	const char *b64 = req_str(x, "body");
	size_t n = b64 ? strlen(b64) : 0, len = 0;
	struct advice_envelope_hdr h;
	uint8_t *bin;
	int ok;

	if (n == 0 || n > ADVICE_MAX_BODY_B64)
		return fail_field(x, ADVICE_ERR_BAD_REQUEST, "/body", "body must be an envelope");
	if ((bin = malloc(n)) == NULL)
		return -1;
	ok = sodium_base642bin(bin, n, b64, n, NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
		     0 &&
	     advice_envelope_parse(bin, len, &h) == 0;
	free(bin);
	return ok ? 0
		  : fail_field(x, ADVICE_ERR_BAD_REQUEST, "/body",
			       "the body of a rights request or decision must be an envelope (content "
			       "version 2)");
}

int core_rights_request(struct ctx *x)
{
	struct core_post p = { .action = ACT_RIGHTS_REQUEST, .audit_action = "rights.request", .rights = 1 };
	struct store_rights_request r = { .kind = kind_of(req_str(x, "kind")), .state = RIGHTS_OPEN };
	struct store_thread t;
	char open_id[STORE_ID_SIZE];
	int rc;

	if ((rc = core_thread_for(x, ACT_RIGHTS_REQUEST, &t)) != 0 || x->err)
		return rc;
	if (r.kind == 0)
		return fail_field(x, ADVICE_ERR_BAD_REQUEST, "/kind", "no such kind of request");
	rc = x->st->ops->rights->request_open_of(x->st, t.id, r.kind, open_id);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_OK)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/kind",
				  "the thread has an open request of this kind: it is decided first");
	if ((rc = body_is_envelope(x)) != 0 || x->err || (rc = core_thread_post(x, &t, &p)) != 0 || x->err)
		return rc;
	core_random_id(r.id);
	snprintf(r.thread_id, sizeof r.thread_id, "%s", t.id);
	snprintf(r.citizen_id, sizeof r.citizen_id, "%s", t.citizen_id);
	snprintf(r.unit_id, sizeof r.unit_id, "%s", t.unit_id);
	snprintf(r.message_id, sizeof r.message_id, "%s", p.message_id);
	r.made = x->now;
	r.due = add_months(x->now, 1);
	if (x->st->ops->rights->request_put(x->st, &r) != STORE_OK)
		return -1;
	return result_request(x, &r);
}

/* rights.list */

struct list_acc {
	struct ctx *x;
	json_t *arr, *logged; /* logged: threads whose access-log row is written */
	int failed;
};

/* Staff see clients' metadata: one access-log row per thread listed. 0 or -1. */
static int log_listed(struct list_acc *a, const struct store_rights_request *r)
{
	struct store_thread t = { 0 };

	if (a->x->sess.role == ROLE_CITIZEN || json_object_get(a->logged, r->thread_id) != NULL)
		return 0;
	snprintf(t.id, sizeof t.id, "%s", r->thread_id);
	snprintf(t.unit_id, sizeof t.unit_id, "%s", r->unit_id);
	snprintf(t.citizen_id, sizeof t.citizen_id, "%s", r->citizen_id);
	if (core_audit(a->x, &t, "rights.list", "ok") != 0)
		return -1;
	return json_object_set_new(a->logged, r->thread_id, json_true()) == 0 ? 0 : -1;
}

static int add_request(void *arg, const struct store_rights_request *r)
{
	struct list_acc *a = arg;
	json_t *o;

	if (log_listed(a, r) != 0 || request_json(a->x, r, &o) != 0 ||
	    json_array_append_new(a->arr, o) != 0) {
		a->failed = 1;
		return 1;
	}
	return 0;
}

int core_rights_list(struct ctx *x)
{
	struct store_rights_query q = { .open_only = json_is_true(json_object_get(x->msg, "open_only")),
					.limit = RIGHTS_LIST_MAX };
	struct list_acc a = { .x = x, .arr = json_array(), .logged = json_object() };
	const char *thread = req_str(x, "thread");
	int rc = -1;

	if (a.arr == NULL || a.logged == NULL)
		goto out;
	if (x->sess.role == ROLE_CITIZEN) {
		snprintf(q.citizen_id, sizeof q.citizen_id, "%s", x->sess.user_id);
	} else {
		for (size_t i = 0; i < x->nunits && q.nunits < STORE_QUERY_UNITS; i++)
			if (x->units[i].role == ROLE_SUPERVISOR)
				snprintf(q.units[q.nunits++], STORE_ID_SIZE, "%s", x->units[i].unit_id);
		if (q.nunits == 0) { /* the policy lets in supervisors only: never here */
			rc = core_fail(x, ADVICE_ERR_FORBIDDEN, "not allowed");
			goto out;
		}
	}
	if (thread != NULL)
		snprintf(q.thread_id, sizeof q.thread_id, "%s", thread);
	if (x->st->ops->rights->request_list(x->st, &q, add_request, &a) != STORE_OK || a.failed)
		goto out;
	rc = json_object_set(x->result, "requests", a.arr) == 0 ? 0 : -1;
out:
	json_decref(a.arr);
	json_decref(a.logged);
	return rc;
}

/* rights.decide */

/* The request `id` of thread `t` as it is, or not_found (field /request). 0, 0 with ctx->err, -1. */
static int request_of_thread(struct ctx *x, const struct store_thread *t, struct store_rights_request *r)
{
	const char *id = req_str(x, "request");
	int rc = id ? x->st->ops->rights->request_get(x->st, id, r) : STORE_NOTFOUND;

	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND || strcmp(r->thread_id, t->id) != 0)
		return fail_field(x, ADVICE_ERR_NOT_FOUND, "/request", "no such request on this thread");
	return 0;
}

/* Whether `outcome` may decide `r`: 0, or 0 with ctx->err set. -1 when the store failed. */
static int decision_allowed(struct ctx *x, const struct store_thread *t, const struct store_rights_request *r,
			    int outcome)
{
	int handed = 0;

	if (r->state == RIGHTS_GRANTED || r->state == RIGHTS_REFUSED)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/request", "the request is decided already");
	if (outcome == RIGHTS_EXTENDED && r->extended)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/outcome",
				  "the deadline was extended once already");
	if (outcome == RIGHTS_REFUSED && req_str(x, "body") == NULL)
		return fail_field(x, ADVICE_ERR_BAD_REQUEST, "/body",
				  "a refusal needs a body with its reason");
	if (outcome == RIGHTS_GRANTED && r->kind == RIGHTS_ERASURE) {
		if (thread_handed_over(x, t, &handed) != 0)
			return -1;
		if (handed)
			return fail_field(
				x, ADVICE_ERR_CONFLICT, "/outcome",
				"the thread was handed over to the client record: a client document whose "
				"retention runs is not erased (GDPR 17(3)(b))");
	}
	return 0;
}

static int outcome_of(const char *name)
{
	for (int s = RIGHTS_GRANTED; s <= RIGHTS_EXTENDED; s++)
		if (name != NULL && strcmp(name, state_names[s]) == 0)
			return s;
	return RIGHTS_OPEN;
}

int core_rights_decide(struct ctx *x)
{
	struct core_post p = { .action = ACT_RIGHTS_DECIDE, .audit_action = "write", .rights = 1 };
	int outcome = outcome_of(req_str(x, "outcome")), changed = 0, rc;
	struct store_rights_request r;
	struct store_thread t;
	char action[32], why[64];

	if ((rc = core_thread_for(x, ACT_RIGHTS_DECIDE, &t)) != 0 || x->err)
		return rc;
	if (outcome == RIGHTS_OPEN)
		return fail_field(x, ADVICE_ERR_BAD_REQUEST, "/outcome", "no such outcome");
	if ((rc = request_of_thread(x, &t, &r)) != 0 || x->err ||
	    (rc = decision_allowed(x, &t, &r, outcome)) != 0 || x->err)
		return rc;
	if (req_str(x, "body") != NULL && ((rc = body_is_envelope(x)) != 0 || x->err))
		return rc;
	/* The decision's message first: it may still be refused (its envelope), before any write. */
	if (req_str(x, "body") != NULL) {
		if ((rc = core_thread_post(x, &t, &p)) != 0 || x->err)
			return rc;
		snprintf(r.decision_message_id, sizeof r.decision_message_id, "%s", p.message_id);
	}
	snprintf(action, sizeof action, "rights.%s", state_names[outcome]);
	snprintf(why, sizeof why, "rights request %s", r.id);
	if (core_audit(x, &t, action, "ok") != 0 ||
	    (outcome == RIGHTS_GRANTED && r.kind == RIGHTS_RESTRICTION &&
	     core_restrict_set(x->st, &t, 1, x->sess.user_id, why, x->now, &changed) != 0) ||
	    (changed && core_thread_changed(x, &t) != 0))
		return -1;
	if (outcome == RIGHTS_EXTENDED) {
		r.state = RIGHTS_EXTENDED;
		r.extended = 1;
		r.due = add_months(r.due, 2);
	} else {
		r.state = outcome;
		r.decided = x->now;
		snprintf(r.decided_by, sizeof r.decided_by, "%s", x->sess.user_id);
	}
	if (x->st->ops->rights->request_update(x->st, &r) != STORE_OK)
		return -1;
	return result_request(x, &r);
}
