/*
 * core_thread.c - the thread requests: open, list, get, read, read.set, claim, send, close.
 *
 * Each handler loads what it needs, asks the policy, writes, and adds live events. Events to
 * staff carry metadata only; content reaches staff only through thread.read, which writes
 * the access log first. thread.list pages through every thread (latest activity first) or
 * through what changed after a value of the store's change counter (PROTOCOL.md §6.3).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "advice_crypto.h"
#include "core_internal.h"
#include "core_retention.h"
#include "jose.h"
#include "log.h"

#define DEFAULT_LIMIT 50

/* Decodes the request's "body" (base64url ciphertext). 0 with *out (freed by caller), or 0
 * with ctx->err set, or -1 when out of memory. */
static int read_body(struct ctx *x, uint8_t **out, size_t *len)
{
	const char *b64 = json_string_value(json_object_get(x->msg, "body"));
	size_t n = b64 ? strlen(b64) : 0;

	*out = NULL;
	if (x->req->parsed.body != NULL) { /* decoded on the submitting thread (core_request_prepare) */
		if ((*out = malloc(x->req->parsed.body_len)) == NULL)
			return -1;
		memcpy(*out, x->req->parsed.body, x->req->parsed.body_len);
		*len = x->req->parsed.body_len;
		return 0;
	}
	if (n == 0 || n > ADVICE_MAX_BODY_B64)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "body must be 1..%d base64url characters",
				 ADVICE_MAX_BODY_B64);
	/* Ciphertext: no need for libsodium's constant-time decoder, which is several times slower. */
	if (jose_b64url_decode(b64, n, out, len) != 0 || *len == 0 || *len > ADVICE_MAX_BODY_BYTES) {
		free(*out);
		*out = NULL;
		snprintf(x->err_field, sizeof x->err_field, "/body");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "body is not base64url");
	}
	return 0;
}

/* Takes the message id of a body that is an envelope (any body may be one in test mode,
 * where bodies need not be envelopes): the store keeps it unique in the thread. */
static void take_message_id(struct store_message *m)
{
	struct advice_envelope_hdr h;

	m->has_message_id = advice_envelope_parse(m->body, m->body_len, &h) == 0;
	if (m->has_message_id)
		memcpy(m->message_id, h.message_id, sizeof m->message_id);
}

static const char *req_str(struct ctx *x, const char *name)
{
	return json_string_value(json_object_get(x->msg, name));
}

static int req_int(struct ctx *x, const char *name, int def)
{
	json_t *v = json_object_get(x->msg, name);

	return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

/* Tells about a new message: with the body to the citizen, metadata only to the unit. */
/* The message.new event with the body, as JSON text. Written directly rather than through
 * jansson, whose encoder checks the body character by character: every value is a number,
 * a name of ours, a hex id, or the body, which read_body has decoded as strict base64url, so
 * nothing needs escaping. NULL when out of memory. */
static char *message_new_text(const struct ctx *x, const struct store_thread *t, int64_t seq,
			      enum store_role role, const char *body_b64)
{
	size_t n = strlen(body_b64) + 256;
	char *text = malloc(n);

	if (text != NULL)
		snprintf(text, n,
			 "{\"type\":\"event\",\"event\":\"message.new\",\"thread\":\"%s\",\"seq\":%lld,"
			 "\"role\":\"%s\",\"time\":%lld,\"body\":\"%s\"}",
			 t->id, (long long)seq,
			 core_role_name(role == ROLE_CITIZEN ? ROLE_CITIZEN : ROLE_WORKER), (long long)x->now,
			 body_b64);
	return text;
}

static int push_message_new(struct ctx *x, const struct store_thread *t, int64_t seq, enum store_role role,
			    const char *body_b64)
{
	char topic[48];
	json_t *ev = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I}", "type", "event", "event", "message.new",
			       "thread", t->id, "seq", (json_int_t)seq, "role",
			       core_role_name(role == ROLE_CITIZEN ? ROLE_CITIZEN : ROLE_WORKER), "time",
			       (json_int_t)x->now);

	if (ev == NULL)
		return -1;
	snprintf(topic, sizeof topic, "unit:%s", t->unit_id);
	if (core_push(x, topic, ev) != 0)
		return -1;
	snprintf(topic, sizeof topic, "u:%s", t->citizen_id);
	return core_push_text(x, topic, message_new_text(x, t, seq, role, body_b64));
}

int core_thread_open(struct ctx *x)
{
	struct store_thread t = { .state = THREAD_NEW, .created = x->now, .updated = x->now, .last_seq = 1 };
	struct store_message m = { .seq = 1, .sender_role = ROLE_CITIZEN, .created = x->now };
	struct store_queue q;
	uint8_t *body;
	int rc;

	if ((rc = read_body(x, &body, &m.body_len)) != 0 || x->err)
		return rc;
	if ((rc = core_limits_admit(x, 1, m.body_len)) != 0 || x->err) {
		free(body);
		return rc;
	}
	rc = x->st->ops->queue->by_category(x->st, req_str(x, "category"), &q);
	if (rc != STORE_OK) {
		free(body);
		if (rc != STORE_NOTFOUND)
			return -1;
		snprintf(x->err_field, sizeof x->err_field, "/category");
		return core_fail(x, ADVICE_ERR_NOT_FOUND, "no such category");
	}
	if (core_queue_route(x, &q, req_str(x, "lang") ? req_str(x, "lang") : "fi") != 0) {
		free(body);
		return -1;
	}
	if ((rc = core_keys_thread_id(x, t.id, body, m.body_len)) != 0 || x->err) {
		free(body);
		return rc;
	}
	snprintf(t.citizen_id, sizeof t.citizen_id, "%s", x->sess.user_id);
	snprintf(t.queue_id, sizeof t.queue_id, "%s", q.id);
	snprintf(t.unit_id, sizeof t.unit_id, "%s", q.unit_id);
	snprintf(t.category, sizeof t.category, "%s", q.category);
	snprintf(m.thread_id, sizeof m.thread_id, "%s", t.id);
	snprintf(m.sender_id, sizeof m.sender_id, "%s", x->sess.user_id);
	m.body = body;
	take_message_id(&m);
	rc = x->st->ops->thread->insert(x->st, &t) == STORE_OK &&
			     x->st->ops->thread->message_insert(x->st, &m) == STORE_OK
		     ? 0
		     : -1;
	free(body);
	if (rc != 0 || core_limits_count(x, 1, m.body_len) != 0 ||
	    core_queue_opened(x, &t, req_str(x, "lang") ? req_str(x, "lang") : "fi") != 0 ||
	    core_identity_opened(x, &t) != 0)
		return -1;
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "seq", json_integer(1));
	json_object_set_new(x->result, "state", json_string(core_state_name(t.state)));
	if (push_message_new(x, &t, 1, ROLE_CITIZEN, req_str(x, "body")) != 0)
		return -1;
	return core_thread_changed(x, &t);
}

/* thread.list */

#define CURSOR_MAX 96 /* "<change>.<updated>.<thread id>" */

/* The filters of a request (the schema has checked their values): state mask and assignee. */
static void read_filters(struct ctx *x, struct store_thread_query *q)
{
	json_t *states = json_object_get(x->msg, "state"), *v;
	const char *who = req_str(x, "assignee");
	size_t i;

	json_array_foreach (states, i, v)
		for (int s = THREAD_NEW; s <= THREAD_CLOSED; s++)
			if (strcmp(json_string_value(v), core_state_name((enum thread_state)s)) == 0)
				q->state_mask |= 1u << s;
	q->assignee = who == NULL || strcmp(who, "anyone") == 0 ? STORE_ASSIGNEE_ANY
		      : strcmp(who, "me") == 0			? STORE_ASSIGNEE_ME
								: STORE_ASSIGNEE_NOBODY;
}

/* Whether a thread passes the filters of `q`. */
static int passes_filters(const struct store_thread_query *q, const struct store_thread *t)
{
	if (q->state_mask != 0 && !(q->state_mask & (1u << t->state)))
		return 0;
	if (q->assignee == STORE_ASSIGNEE_ME)
		return strcmp(t->assignee_id, q->user_id) == 0;
	if (q->assignee == STORE_ASSIGNEE_NOBODY)
		return t->assignee_id[0] == '\0';
	return 1;
}

/* Parses a cursor "<change>.<updated>.<thread id>" of a full list. 0, or 0 with ctx->err. */
static int read_cursor(struct ctx *x, const char *cursor, int64_t *first_change, struct store_thread_query *q,
		       char id[STORE_ID_SIZE])
{
	long long change, updated;
	int n = -1;

	if (sscanf(cursor, "%lld.%lld.%32[0-9a-f]%n", &change, &updated, id, &n) != 3 || n < 0 ||
	    cursor[n] != '\0' || strlen(id) != ADVICE_ID_HEX || change < 0 || updated < 0) {
		snprintf(x->err_field, sizeof x->err_field, "/cursor");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "not a cursor of thread.list");
	}
	*first_change = change;
	q->before_updated = updated;
	q->before_id = id;
	return 0;
}

static const char *const deadline_kinds[] = { "first_answer", "first_answer", "follow_up" };
static const char *const deadline_states[] = { "stopped", "running", "paused" };
static const char *const deadline_levels[] = { "ok", "at_risk", "missed" };

/* The deadline of a summary: staff see the clock (as deadline.changed announces it); citizens
 * and threads without a clock get null. */
static json_t *deadline_json(const struct ctx *x, const struct store_thread_view *v)
{
	const struct store_clock *c = &v->clock;

	if (!v->has_clock || x->sess.role == ROLE_CITIZEN || c->kind < 0 || c->kind > 2 || c->state < 0 ||
	    c->state > 2 || c->level < 0 || c->level > 2)
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:I, s:I}", "kind", deadline_kinds[c->kind], "state",
			 deadline_states[c->state], "level", deadline_levels[c->level], "due",
			 (json_int_t)c->due, "warn_at", (json_int_t)c->warn_at);
}

/* "retention_until" of a summary (§14.10): when the thread's retention ends, null while it is
 * open or without a register. 0 or -1. */
static int retention_summary(const struct ctx *x, const struct store_thread *t, json_t *obj)
{
	int64_t until = 0;

	if (retention_until(x->st, x->c->cfg.reg, t->id, &until) != 0)
		return -1;
	return json_object_set_new(obj, "retention_until", until > 0 ? json_integer(until) : json_null());
}

/* A thread_summary as the caller's lists show it; NULL when out of memory. */
static json_t *view_summary(const struct ctx *x, const struct store_thread_view *v)
{
	json_t *o = core_thread_summary(&v->t);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "read_seq", json_integer(v->read_seq));
	json_object_set_new(o, "unread", json_integer(v->unread));
	json_object_set_new(o, "deadline", deadline_json(x, v));
	json_object_set_new(o, "change", json_integer(v->change));
	if (core_consent_summary(x, &v->t, o) != 0 || retention_summary(x, &v->t, o) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Adds "assignee_name" to a summary as the caller sees its assignee (§11.7): citizens by the
 * unit's name style, staff by display name and title. `seen` (an object) keeps the names
 * looked up for this request, so a page of summaries costs one look-up per assignee (and
 * unit, for citizens). 0, or -1 when the store fails or out of memory. */
static int add_assignee_name(struct ctx *x, json_t *seen, json_t *summary)
{
	const char *assignee = json_string_value(json_object_get(summary, "assignee"));
	const char *unit = json_string_value(json_object_get(summary, "unit"));
	int citizen = x->sess.role == ROLE_CITIZEN;
	char key[2 * STORE_ID_SIZE + 2];
	json_t *name;

	if (assignee == NULL || unit == NULL)
		return json_object_set_new(summary, "assignee_name", json_null());
	snprintf(key, sizeof key, "%s/%s", citizen ? unit : "", assignee);
	name = json_object_get(seen, key);
	if (name == NULL) {
		if ((citizen ? core_name_for_citizen(x, unit, assignee, &name)
			     : core_name_for_staff(x, assignee, &name)) != 0 ||
		    json_object_set_new(seen, key, name) != 0)
			return -1;
	}
	return json_object_set(summary, "assignee_name", name);
}

/* add_assignee_name for every summary of an array, and "restricted" (§14.8). 0 or -1. */
static int add_assignee_names(struct ctx *x, json_t *summaries)
{
	json_t *seen = json_object(), *summary;
	size_t i;
	int rc = seen != NULL ? 0 : -1, restricted = 0;

	json_array_foreach (summaries, i, summary) {
		if (rc == 0)
			rc = add_assignee_name(x, seen, summary);
		if (rc == 0)
			rc = core_restricted(x, json_string_value(json_object_get(summary, "thread")),
					     &restricted);
		if (rc == 0)
			rc = json_object_set_new(summary, "restricted", json_boolean(restricted));
	}
	json_decref(seen);
	return rc;
}

/* The entries of a list by change, gathered from the two store lists before they are merged. */
struct change_acc {
	struct store_thread_view *views;
	int nviews;
	struct {
		char id[STORE_ID_SIZE];
		int64_t change;
	} * gone;
	int ngone, cap;
};

static int add_view(void *arg, const struct store_thread_view *v)
{
	struct change_acc *a = arg;

	if (a->nviews == a->cap)
		return 1;
	a->views[a->nviews++] = *v;
	return 0;
}

static int add_gone(void *arg, const char *thread_id, int64_t change)
{
	struct change_acc *a = arg;

	if (a->ngone == a->cap)
		return 1;
	snprintf(a->gone[a->ngone].id, sizeof a->gone[a->ngone].id, "%s", thread_id);
	a->gone[a->ngone++].change = change;
	return 0;
}

static json_t *removal(const char *thread_id, int64_t change, const char *reason)
{
	return json_pack("{s:s, s:I, s:s}", "thread", thread_id, "change", (json_int_t)change, "reason",
			 reason);
}

/* A page of what changed after q->changed_since: the caller's threads that changed (those that
 * no longer pass the filters as removals, reason "filter") and the threads that left the
 * caller's units (removals, reason "gone"), merged in change order, at most q->limit entries. */
static int list_changed(struct ctx *x, struct store_thread_query *q, const struct store_thread_query *filters,
			json_t *threads, json_t *removed)
{
	struct change_acc a = { .cap = q->limit + 1 };
	int64_t last = q->changed_since, now;
	int i = 0, j = 0, taken = 0, rc = -1;

	a.views = malloc((size_t)a.cap * sizeof *a.views);
	a.gone = malloc((size_t)a.cap * sizeof *a.gone);
	q->limit = a.cap;
	if (a.views == NULL || a.gone == NULL || x->st->ops->thread->change_now(x->st, &now) != STORE_OK ||
	    x->st->ops->thread->list_view(x->st, q, add_view, &a) != STORE_OK ||
	    (!q->citizen && x->st->ops->thread->departures(x->st, q->user_id, q->changed_since, a.cap,
							   add_gone, &a) != STORE_OK))
		goto out;
	for (; taken < a.cap - 1 && (i < a.nviews || j < a.ngone); taken++) {
		if (j >= a.ngone || (i < a.nviews && a.views[i].change < a.gone[j].change)) {
			const struct store_thread_view *v = &a.views[i++];

			last = v->change;
			json_array_append_new(passes_filters(filters, &v->t) ? threads : removed,
					      passes_filters(filters, &v->t)
						      ? view_summary(x, v)
						      : removal(v->t.id, v->change, "filter"));
		} else {
			last = a.gone[j].change;
			json_array_append_new(removed, removal(a.gone[j].id, a.gone[j].change, "gone"));
			j++;
		}
	}
	/* More entries after the page: resume after its last one; else from the counter now. */
	json_object_set_new(x->result, "more", json_boolean(i < a.nviews || j < a.ngone));
	json_object_set_new(x->result, "change", json_integer(i < a.nviews || j < a.ngone ? last : now));
	rc = 0;
out:
	free(a.views);
	free(a.gone);
	return rc;
}

struct full_acc {
	const struct ctx *x;
	json_t *arr;
	int limit, count;
	struct store_thread_view last;
};

static int add_full(void *arg, const struct store_thread_view *v)
{
	struct full_acc *a = arg;

	if (++a->count > a->limit)
		return 1; /* one more than asked: there is more */
	a->last = *v;
	json_array_append_new(a->arr, view_summary(a->x, v));
	return 0;
}

/* A page of every thread of the caller that passes the filters, latest activity first. The
 * cursor carries the counter of the first page, which stays the resume point of the list. */
static int list_full(struct ctx *x, struct store_thread_query *q, json_t *threads)
{
	struct full_acc a = { .x = x, .arr = threads, .limit = q->limit };
	const char *cursor = req_str(x, "cursor");
	char id[STORE_ID_SIZE], next[CURSOR_MAX];
	int64_t first;

	if (cursor != NULL) {
		if (read_cursor(x, cursor, &first, q, id) != 0 || x->err)
			return 0;
	} else if (x->st->ops->thread->change_now(x->st, &first) != STORE_OK) {
		return -1;
	}
	q->limit = a.limit + 1;
	if (x->st->ops->thread->list_view(x->st, q, add_full, &a) != STORE_OK)
		return -1;
	json_object_set_new(x->result, "more", json_boolean(a.count > a.limit));
	json_object_set_new(x->result, "change", json_integer(first));
	if (a.count > a.limit) {
		snprintf(next, sizeof next, "%lld.%lld.%s", (long long)first, (long long)a.last.t.updated,
			 a.last.t.id);
		json_object_set_new(x->result, "cursor", json_string(next));
	}
	return 0;
}

int core_thread_list(struct ctx *x)
{
	struct store_thread_query q = { .user_id = x->sess.user_id,
					.citizen = x->sess.role == ROLE_CITIZEN,
					.changed_since = -1,
					.before_updated = -1,
					.limit = req_int(x, "limit", DEFAULT_LIMIT) };
	struct store_thread_query filters;
	json_t *threads = json_array(), *removed = json_array(),
	       *since = json_object_get(x->msg, "changed_since");
	int rc;

	json_object_set_new(x->result, "threads", threads);
	json_object_set_new(x->result, "removed", removed);
	if (threads == NULL || removed == NULL)
		return -1;
	read_filters(x, &q);
	if (!json_is_integer(since)) {
		if ((rc = list_full(x, &q, threads)) != 0 || x->err)
			return rc;
		return add_assignee_names(x, threads);
	}
	if (req_str(x, "cursor") != NULL) {
		snprintf(x->err_field, sizeof x->err_field, "/cursor");
		return core_fail(
			x, ADVICE_ERR_BAD_REQUEST,
			"a cursor continues a full list; a list by change continues with changed_since");
	}
	/* A list by change is not filtered in the store: what fails the filters is a removal. */
	filters = q;
	q.changed_since = json_integer_value(since);
	q.state_mask = 0;
	q.assignee = STORE_ASSIGNEE_ANY;
	if (list_changed(x, &q, &filters, threads, removed) != 0)
		return -1;
	return add_assignee_names(x, threads);
}

/* thread.get */

int core_thread_get(struct ctx *x)
{
	struct store_thread t;
	struct store_thread_view v;
	json_t *summary, *one;
	int rc;

	if ((rc = core_thread_for(x, ACT_THREAD_GET, &t)) != 0 || x->err)
		return rc;
	/* Metadata of one client's thread, looked up by a staff member: logged before the reply. */
	if (x->sess.role != ROLE_CITIZEN && core_audit(x, &t, "summary", "ok") != 0)
		return -1;
	if (x->st->ops->thread->view(x->st, t.id, x->sess.user_id, &v) != STORE_OK)
		return -1;
	summary = view_summary(x, &v);
	json_object_set_new(x->result, "summary", summary);
	one = summary != NULL ? json_pack("[O]", summary) : NULL;
	rc = one != NULL ? add_assignee_names(x, one) : -1;
	json_decref(one);
	return rc;
}

/* read.set */

int core_read_set(struct ctx *x)
{
	json_int_t seq = json_integer_value(json_object_get(x->msg, "seq"));
	struct store_thread t;
	struct store_thread_view v;
	char topic[48];
	json_t *ev;
	int rc;

	if ((rc = core_thread_for(x, ACT_READ_SET, &t)) != 0 || x->err)
		return rc;
	if (seq > t.last_seq) {
		snprintf(x->err_field, sizeof x->err_field, "/seq");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the thread has no message %lld", (long long)seq);
	}
	if (x->st->ops->thread->read_set(x->st, x->sess.user_id, t.id, seq) != STORE_OK ||
	    x->st->ops->thread->view(x->st, t.id, x->sess.user_id, &v) != STORE_OK)
		return -1;
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "read_seq", json_integer(v.read_seq));
	json_object_set_new(x->result, "unread", json_integer(v.unread));
	/* Every connection of the user learns it, so that the user's other devices follow. */
	ev = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "type", "event", "event", "read.changed", "thread",
		       t.id, "read_seq", (json_int_t)v.read_seq, "unread", (json_int_t)v.unread, "change",
		       (json_int_t)v.change);
	snprintf(topic, sizeof topic, "u:%s", x->sess.user_id);
	return core_push(x, topic, ev);
}

/* Room kept in a thread.read reply for everything but its messages (type, id, thread, state,
 * more, the brackets): the request id is at most ADVICE_MAX_REQUEST_ID characters. */
#define READ_REPLY_ENVELOPE 512
/* Room kept per staff sender of the page: the certificates of its key and of its issuer,
 * base64url in quotes with a comma (2 x 248). */
#define READ_SENDER_CERTS 496
#define READ_MAX_SENDERS  100 /* the most messages a page holds */

struct read_acc {
	json_t *arr;
	int limit, count;
	size_t bytes;  /* serialised size of the messages in arr and the room for certs */
	int truncated; /* a message was left out for the byte budget */
	uint8_t senders[READ_MAX_SENDERS][16]; /* staff signing kids of the page's envelopes */
	size_t nsenders;
	struct core_corrected corrected; /* the corrections among the page's messages */
};

/* Whether `m` is an envelope of a staff sender not yet among a->senders; fills kid. */
static int new_staff_sender(const struct read_acc *a, const struct store_message *m, uint8_t kid[16])
{
	struct advice_envelope_hdr h;

	if (m->sender_role == ROLE_CITIZEN || advice_envelope_parse(m->body, m->body_len, &h) != 0)
		return 0;
	for (size_t i = 0; i < a->nsenders; i++)
		if (memcmp(a->senders[i], h.sender_kid, 16) == 0)
			return 0;
	memcpy(kid, h.sender_kid, 16);
	return 1;
}

/* One message of a thread.read reply, with the id of the message it corrects (NULL: none), or
 * NULL when out of memory. */
static json_t *message_json(const struct store_message *m, const char *corrects)
{
	size_t n = sodium_base64_encoded_len(m->body_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *b64 = malloc(n);
	json_t *o;

	if (b64 == NULL)
		return NULL;
	sodium_bin2base64(b64, n, m->body, m->body_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	o = json_pack("{s:I, s:s, s:s, s:I, s:s}", "seq", (json_int_t)m->seq, "sender", m->sender_id, "role",
		      core_role_name(m->sender_role == ROLE_CITIZEN ? ROLE_CITIZEN : ROLE_WORKER), "time",
		      (json_int_t)m->created, "body", b64);
	free(b64);
	if (o != NULL && corrects != NULL && json_object_set_new(o, "corrects", json_string(corrects)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * Store callback of thread.read: appends `m` unless the reply already holds `limit` messages
 * or `m` would take it past ADVICE_MAX_REPLY_BYTES (the first message is always taken: a
 * body is far smaller than the budget). Returns 1 to stop the listing.
 */
static int add_message(void *arg, const struct store_message *m)
{
	struct read_acc *a = arg;
	uint8_t kid[16];
	int sender = 0;
	json_t *o;
	size_t len;

	if (++a->count > a->limit)
		return 1;
	if ((o = message_json(m, core_correct_of(&a->corrected, m->seq))) == NULL) {
		a->truncated = 1; /* the client reads on from the last seq it got */
		return 1;
	}
	len = json_dumpb(o, NULL, 0, JSON_COMPACT) + 1; /* the comma before it */
	if (a->nsenders < READ_MAX_SENDERS && new_staff_sender(a, m, kid)) {
		sender = 1;
		len += READ_SENDER_CERTS;
	}
	if (a->count > 1 && READ_REPLY_ENVELOPE + a->bytes + len > ADVICE_MAX_REPLY_BYTES) {
		a->truncated = 1;
		json_decref(o);
		return 1;
	}
	if (sender)
		memcpy(a->senders[a->nsenders++], kid, 16);
	a->bytes += len;
	json_array_append_new(a->arr, o);
	return 0;
}

/* thread.read: the messages after after_seq, oldest first, at most `limit` of them and at
 * most ADVICE_MAX_REPLY_BYTES of reply, so that one reply always fits in the connection's
 * outbound queue; `more` says whether the client should read on from the last seq. With
 * them the certificates of their staff senders and their issuers (`certs`), so that a
 * reader can chain every answer to the root key it pins. */
int core_thread_read(struct ctx *x)
{
	struct read_acc *a = calloc(1, sizeof *a);
	json_t *certs = json_array();
	struct store_thread t;
	json_int_t after = 0;
	int rc = -1;

	if (a == NULL || certs == NULL || (a->arr = json_array()) == NULL)
		goto out;
	a->limit = req_int(x, "limit", DEFAULT_LIMIT);
	if ((rc = core_thread_for(x, ACT_THREAD_READ, &t)) != 0 || x->err)
		goto out;
	if (json_is_integer(json_object_get(x->msg, "after_seq")))
		after = json_integer_value(json_object_get(x->msg, "after_seq"));
	/* No content to staff without an access-log entry first. */
	rc = -1;
	if (x->sess.role != ROLE_CITIZEN && core_audit(x, &t, "read", "ok") != 0)
		goto out;
	if (core_correct_load(x, t.id, after, &a->corrected) != 0)
		goto out;
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "state", json_string(core_state_name(t.state)));
	json_object_set_new(x->result, "messages", json_incref(a->arr));
	json_object_set_new(x->result, "certs", json_incref(certs));
	if (x->st->ops->thread->message_list(x->st, t.id, after, a->limit + 1, add_message, a) != STORE_OK)
		goto out;
	json_object_set_new(x->result, "more", json_boolean(a->truncated || a->count > a->limit));
	rc = core_keys_sender_certs(x, (const uint8_t(*)[16])a->senders, a->nsenders, certs);
out:
	if (a != NULL) {
		json_decref(a->arr);
		core_correct_free(&a->corrected);
	}
	json_decref(certs);
	free(a);
	return rc;
}

int core_thread_claim(struct ctx *x)
{
	struct store_thread t;
	int rc;

	if ((rc = core_thread_for(x, ACT_THREAD_CLAIM, &t)) != 0 || x->err)
		return rc;
	if (t.state != THREAD_NEW)
		return core_fail(x, ADVICE_ERR_CONFLICT, "thread is %s", core_state_name(t.state));
	t.state = THREAD_CLAIMED;
	t.updated = x->now;
	snprintf(t.assignee_id, sizeof t.assignee_id, "%s", x->sess.user_id);
	if (x->st->ops->thread->update(x->st, &t) != STORE_OK || core_audit(x, &t, "claim", "ok") != 0 ||
	    core_queue_claimed(x, &t) != 0)
		return -1;
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "state", json_string(core_state_name(t.state)));
	json_object_set_new(x->result, "assignee", json_string(t.assignee_id));
	return core_thread_changed(x, &t);
}

/* The state after a message from the caller. */
static enum thread_state state_after_message(const struct ctx *x, const struct store_thread *t,
					     int await_reply)
{
	if (x->sess.role != ROLE_CITIZEN)
		return await_reply ? THREAD_WAITING : THREAD_ANSWERED;
	if (t->state == THREAD_ANSWERED || t->state == THREAD_WAITING)
		return THREAD_CLAIMED; /* the citizen's follow-up is back on the worker's desk */
	return t->state;
}

/* The events from pushes[first] on go to every connection of their topics but the one that
 * sent the request: its ok reply tells it the same (PROTOCOL.md §6.6). */
static void skip_sender(struct ctx *x, size_t first)
{
	for (size_t i = first; i < x->rep->npush; i++)
		x->rep->pushes[i].except_conn = x->req->conn_id;
}

int core_thread_post(struct ctx *x, struct store_thread *t, struct core_post *p)
{
	struct store_message m = { .created = x->now };
	enum thread_state before = t->state;
	size_t first;
	uint8_t *body;
	int rc;

	if ((rc = read_body(x, &body, &m.body_len)) != 0 || x->err)
		return rc;
	if ((rc = core_limits_admit(x, 0, m.body_len)) != 0 || x->err ||
	    (rc = core_keys_check_envelope(x, t, p->action, body, m.body_len)) != 0 || x->err) {
		free(body);
		return rc;
	}
	m.seq = t->last_seq + 1;
	m.sender_role = x->sess.role == ROLE_CITIZEN ? ROLE_CITIZEN : core_role_in_unit(x, t->unit_id);
	m.body = body;
	take_message_id(&m);
	snprintf(m.thread_id, sizeof m.thread_id, "%s", t->id);
	snprintf(m.sender_id, sizeof m.sender_id, "%s", x->sess.user_id);
	t->last_seq = m.seq;
	t->updated = x->now;
	if (!p->rights)
		t->state = state_after_message(x, t, p->await_reply);
	/* The first write: a message id the thread holds already (a replayed envelope) changes
	 * nothing. A resend with the same request id never gets here: it has its stored reply. */
	rc = x->st->ops->thread->message_insert(x->st, &m);
	free(body);
	if (rc == STORE_EXISTS) {
		snprintf(x->err_field, sizeof x->err_field, "/body");
		return core_fail(x, ADVICE_ERR_CONFLICT, "the thread has a message with this message id");
	}
	rc = rc == STORE_OK && x->st->ops->thread->posted(x->st, t, t->state != before) == STORE_OK ? 0 : -1;
	if (rc != 0 || core_limits_count(x, 0, m.body_len) != 0 ||
	    (x->sess.role != ROLE_CITIZEN && core_audit(x, t, p->audit_action, "ok") != 0) ||
	    (!p->rights && core_queue_message(x, t, p->await_reply) != 0))
		return -1;
	p->seq = m.seq;
	p->message_id[0] = '\0';
	if (m.has_message_id)
		sodium_bin2hex(p->message_id, sizeof p->message_id, m.message_id, sizeof m.message_id);
	first = x->rep->npush;
	if (push_message_new(x, t, m.seq, m.sender_role, req_str(x, "body")) != 0 ||
	    /* A message does not change the restriction read with the thread. */
	    (t->has_extras ? core_thread_changed_as(x, t, t->restricted) : core_thread_changed(x, t)) != 0)
		return -1;
	if (p->reply_tells)
		skip_sender(x, first);
	return 0;
}

int core_message_send(struct ctx *x)
{
	struct core_post p = { .action = ACT_MESSAGE_SEND, .audit_action = "write", .reply_tells = 1 };
	struct core_correction corr;
	struct store_thread t;
	int rc;

	p.await_reply = json_is_true(json_object_get(x->msg, "await_reply"));
	if ((rc = core_thread_for(x, ACT_MESSAGE_SEND, &t)) != 0 || x->err)
		return rc;
	if (t.state == THREAD_CLOSED)
		return core_fail(x, ADVICE_ERR_THREAD_CLOSED, "thread is closed");
	if (p.await_reply && x->sess.role == ROLE_CITIZEN) {
		snprintf(x->err_field, sizeof x->err_field, "/await_reply");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "await_reply is for staff");
	}
	if ((rc = core_correct_check(x, &t, &corr)) != 0 || x->err ||
	    (rc = core_thread_post(x, &t, &p)) != 0 || x->err)
		return rc;
	if (core_correct_record(x, &t, &corr, p.seq, p.message_id) != 0)
		return -1;
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "seq", json_integer(p.seq));
	json_object_set_new(x->result, "state", json_string(core_state_name(t.state)));
	json_object_set_new(x->result, "time", json_integer(x->now));
	return 0;
}

int core_thread_close(struct ctx *x)
{
	struct store_thread t;
	int rc;

	if ((rc = core_thread_for(x, ACT_THREAD_CLOSE, &t)) != 0 || x->err)
		return rc;
	if (t.state == THREAD_CLOSED)
		return core_fail(x, ADVICE_ERR_CONFLICT, "thread is already closed");
	t.state = THREAD_CLOSED;
	t.updated = x->now;
	if (x->st->ops->thread->update(x->st, &t) != STORE_OK ||
	    (x->sess.role != ROLE_CITIZEN && core_audit(x, &t, "close", "ok") != 0) ||
	    core_queue_closed(x, &t) != 0)
		return -1;
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "state", json_string(core_state_name(t.state)));
	return core_thread_changed(x, &t);
}
