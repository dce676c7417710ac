/*
 * core_thread.c - the thread requests: open, list, read, claim, send, close.
 *
 * Each handler loads what it needs, asks the policy, writes, and adds live events. Events to
 * staff carry metadata only; content reaches staff only through thread.read, which writes
 * the access log first.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core_internal.h"
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
	rc = x->st->ops->queue->by_category(x->st, req_str(x, "category"), &q);
	if (rc != STORE_OK) {
		free(body);
		return rc == STORE_NOTFOUND ? core_fail(x, ADVICE_ERR_NOT_FOUND, "no such category") : -1;
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
	rc = x->st->ops->thread->insert(x->st, &t) == STORE_OK &&
			     x->st->ops->thread->message_insert(x->st, &m) == STORE_OK
		     ? 0
		     : -1;
	free(body);
	if (rc != 0 || core_queue_opened(x, &t, req_str(x, "lang") ? req_str(x, "lang") : "fi") != 0)
		return -1;
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "seq", json_integer(1));
	json_object_set_new(x->result, "state", json_string(core_state_name(t.state)));
	if (push_message_new(x, &t, 1, ROLE_CITIZEN, req_str(x, "body")) != 0)
		return -1;
	return core_thread_changed(x, &t);
}

struct list_acc {
	json_t *arr;
	int limit, count;
	char last[STORE_ID_SIZE];
};

static int add_thread(void *arg, const struct store_thread *t)
{
	struct list_acc *a = arg;

	if (++a->count > a->limit)
		return 1; /* one more than asked: there is more */
	json_array_append_new(a->arr, core_thread_summary(t));
	return 0;
}

int core_thread_list(struct ctx *x)
{
	struct list_acc a = { .arr = json_array(), .limit = req_int(x, "limit", DEFAULT_LIMIT) };
	const char *after = req_str(x, "after");
	int rc;

	json_object_set_new(x->result, "threads", a.arr);
	if (x->sess.role == ROLE_CITIZEN)
		rc = x->st->ops->thread->list_citizen(x->st, x->sess.user_id, after, a.limit + 1, add_thread,
						      &a);
	else
		rc = x->st->ops->thread->list_member(x->st, x->sess.user_id, after, a.limit + 1, add_thread,
						     &a);
	json_object_set_new(x->result, "more", json_boolean(a.count > a.limit));
	return rc == STORE_OK ? 0 : -1;
}

struct read_acc {
	json_t *arr;
	int limit, count;
};

static int add_message(void *arg, const struct store_message *m)
{
	struct read_acc *a = arg;
	size_t n = sodium_base64_encoded_len(m->body_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *b64;

	if (++a->count > a->limit)
		return 1;
	if ((b64 = malloc(n)) == NULL)
		return 1;
	sodium_bin2base64(b64, n, m->body, m->body_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	json_array_append_new(
		a->arr,
		json_pack("{s:I, s:s, s:s, s:I, s:s}", "seq", (json_int_t)m->seq, "sender", m->sender_id,
			  "role", core_role_name(m->sender_role == ROLE_CITIZEN ? ROLE_CITIZEN : ROLE_WORKER),
			  "time", (json_int_t)m->created, "body", b64));
	free(b64);
	return 0;
}

int core_thread_read(struct ctx *x)
{
	struct read_acc a = { .arr = json_array(), .limit = req_int(x, "limit", DEFAULT_LIMIT) };
	struct store_thread t;
	json_int_t after = 0;
	int rc;

	if ((rc = core_thread_for(x, ACT_THREAD_READ, &t)) != 0 || x->err) {
		json_decref(a.arr);
		return rc;
	}
	if (json_is_integer(json_object_get(x->msg, "after_seq")))
		after = json_integer_value(json_object_get(x->msg, "after_seq"));
	/* No content to staff without an access-log entry first. */
	if (x->sess.role != ROLE_CITIZEN && core_audit(x, &t, "read", "ok") != 0) {
		json_decref(a.arr);
		return -1;
	}
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "state", json_string(core_state_name(t.state)));
	json_object_set_new(x->result, "messages", a.arr);
	rc = x->st->ops->thread->message_list(x->st, t.id, after, a.limit + 1, add_message, &a);
	json_object_set_new(x->result, "more", json_boolean(a.count > a.limit));
	return rc == STORE_OK ? 0 : -1;
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

int core_message_send(struct ctx *x)
{
	struct store_thread t;
	struct store_message m = { .created = x->now };
	int await_reply = json_is_true(json_object_get(x->msg, "await_reply"));
	uint8_t *body;
	int rc;

	if ((rc = core_thread_for(x, ACT_MESSAGE_SEND, &t)) != 0 || x->err)
		return rc;
	if (t.state == THREAD_CLOSED)
		return core_fail(x, ADVICE_ERR_THREAD_CLOSED, "thread is closed");
	if (await_reply && x->sess.role == ROLE_CITIZEN) {
		snprintf(x->err_field, sizeof x->err_field, "/await_reply");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "await_reply is for staff");
	}
	if ((rc = read_body(x, &body, &m.body_len)) != 0 || x->err)
		return rc;
	if ((rc = core_keys_check_envelope(x, &t, ACT_MESSAGE_SEND, body, m.body_len)) != 0 || x->err) {
		free(body);
		return rc;
	}
	m.seq = t.last_seq + 1;
	m.sender_role = x->sess.role == ROLE_CITIZEN ? ROLE_CITIZEN : core_role_in_unit(x, t.unit_id);
	m.body = body;
	snprintf(m.thread_id, sizeof m.thread_id, "%s", t.id);
	snprintf(m.sender_id, sizeof m.sender_id, "%s", x->sess.user_id);
	t.last_seq = m.seq;
	t.updated = x->now;
	t.state = state_after_message(x, &t, await_reply);
	rc = x->st->ops->thread->message_insert(x->st, &m) == STORE_OK &&
			     x->st->ops->thread->update(x->st, &t) == STORE_OK
		     ? 0
		     : -1;
	free(body);
	if (rc != 0 || (x->sess.role != ROLE_CITIZEN && core_audit(x, &t, "write", "ok") != 0) ||
	    core_queue_message(x, &t, await_reply) != 0)
		return -1;
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "seq", json_integer(m.seq));
	json_object_set_new(x->result, "state", json_string(core_state_name(t.state)));
	if (push_message_new(x, &t, m.seq, m.sender_role, req_str(x, "body")) != 0)
		return -1;
	return core_thread_changed(x, &t);
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
