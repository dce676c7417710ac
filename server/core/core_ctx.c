/*
 * core_ctx.c - what the handlers (core_*.c) and the dispatcher (core.c) share: errors, the
 * caller's role and relations, the access log, the thread load with its policy check, live
 * events, sessions, ids and key objects as base64url (core_internal.h). It calls no handler
 * and nothing of core.c, so calls in the core go one way: core.c, then the handlers, then
 * this file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "core_internal.h"
#include "log.h"

void core_random_id(char out[STORE_ID_SIZE])
{
	uint8_t b[ADVICE_ID_HEX / 2];

	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, STORE_ID_SIZE, b, sizeof b);
}

void core_keyed_hash(const uint8_t pepper[32], const char *label, const void *data, size_t len,
		     uint8_t out[STORE_HASH_BYTES])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, pepper, 32, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)label, strlen(label) + 1);
	crypto_generichash_update(&h, data, len);
	crypto_generichash_final(&h, out, STORE_HASH_BYTES);
}

void core_session_hash(const uint8_t pepper[32], const char *token, size_t len, uint8_t out[STORE_HASH_BYTES])
{
	crypto_generichash_state h;
	static const char label[] = "session";

	crypto_generichash_init(&h, pepper, 32, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)label, sizeof label);
	crypto_generichash_update(&h, (const unsigned char *)token, len);
	crypto_generichash_final(&h, out, STORE_HASH_BYTES);
}

int core_session_valid(const struct store_session *s, int64_t now_ms)
{
	return !s->revoked && now_ms < s->expires && now_ms < s->last_seen + s->idle_ms;
}

int64_t core_session_end(const struct store_session *s)
{
	int64_t idle_end = s->last_seen + s->idle_ms;

	return idle_end < s->expires ? idle_end : s->expires;
}

void core_session_topic(const uint8_t hash[STORE_HASH_BYTES], char out[48])
{
	memcpy(out, "s:", 2);
	sodium_bin2hex(out + 2, 48 - 2, hash, 16);
}

int core_fail(struct ctx *x, int code, const char *fmt, ...)
{
	va_list ap;

	x->err = code;
	va_start(ap, fmt);
	vsnprintf(x->err_msg, sizeof x->err_msg, fmt, ap);
	va_end(ap);
	return 0;
}

const char *core_state_name(enum thread_state s)
{
	static const char *const names[] = { "new", "claimed", "answered", "waiting", "closed" };

	return s <= THREAD_CLOSED ? names[s] : "unknown";
}

const char *core_role_name(enum store_role r)
{
	static const char *const names[] = {
		"none", "citizen", "worker", "supervisor", "admin", "connector"
	};

	return r <= ROLE_CONNECTOR ? names[r] : "none";
}

enum store_role core_role_in_unit(const struct ctx *x, const char *unit_id)
{
	if (x->sess.role == ROLE_CITIZEN || x->sess.role == ROLE_ADMIN || x->sess.role == ROLE_CONNECTOR)
		return x->sess.role;
	for (size_t i = 0; i < x->nunits; i++)
		if (strcmp(x->units[i].unit_id, unit_id) == 0)
			return x->units[i].role;
	return ROLE_WORKER;
}

/* `consented` while the thread has a live consent to the caller, `ordered` while an open export
 * order covers the thread's citizen. */
unsigned core_connector_relations(const struct ctx *x, const struct store_thread *t)
{
	struct store_consent c;
	unsigned rel = REL_NONE;
	int rc = x->st->ops->consent->get(x->st, t->id, 1, &c);

	if (rc == STORE_OK && strcmp(c.connector_id, x->sess.user_id) == 0)
		rel |= REL_CONSENTED;
	if (rc != STORE_ERROR)
		rc = x->st->ops->consent->order_open_for(x->st, t->citizen_id);
	if (rc == STORE_OK)
		rel |= REL_ORDERED;
	if (rc == STORE_ERROR)
		log_err("the connector's relations to a thread could not be read: none given");
	return rel;
}

unsigned core_relations(const struct ctx *x, const struct store_thread *t)
{
	const char *me = x->sess.user_id;
	unsigned rel = REL_NONE;

	if (x->sess.role == ROLE_CITIZEN)
		return strcmp(t->citizen_id, me) == 0 ? REL_OWNER : REL_NONE;
	if (x->sess.role == ROLE_ADMIN)
		return REL_NONE;
	if (x->sess.role == ROLE_CONNECTOR)
		return core_connector_relations(x, t);
	for (size_t i = 0; i < x->nunits; i++)
		if (strcmp(x->units[i].unit_id, t->unit_id) == 0)
			rel |= REL_MEMBER;
	if (t->assignee_id[0] != '\0' && strcmp(t->assignee_id, me) == 0)
		rel |= REL_ASSIGNEE;
	return rel;
}

int core_audit(struct ctx *x, const struct store_thread *t, const char *action, const char *outcome)
{
	struct store_audit a = { .time = x->now };

	snprintf(a.user_id, sizeof a.user_id, "%s", x->sess.user_id);
	a.role = t ? core_role_in_unit(x, t->unit_id) : x->sess.role;
	if (t != NULL) {
		snprintf(a.unit_id, sizeof a.unit_id, "%s", t->unit_id);
		snprintf(a.client, sizeof a.client, "%s", t->citizen_id);
		snprintf(a.object, sizeof a.object, "thread:%s", t->id);
	} else {
		snprintf(a.object, sizeof a.object, "request");
	}
	/* A read of a restricted thread for a legal claim names its purpose; the reason goes beside. */
	snprintf(a.action, sizeof a.action, "%s%s", action, x->legal_reason && t ? ":legal_claim" : "");
	snprintf(a.outcome, sizeof a.outcome, "%s", outcome);
	if (audit_append(x->st, &a) != STORE_OK ||
	    (x->legal_reason && t && core_restrict_reason_put(x, a.row) != 0)) {
		log_err("access log write failed: nothing is shown");
		return -1;
	}
	return 0;
}

int core_deny(struct ctx *x, enum policy_action action, const struct store_thread *t)
{
	if (core_audit(x, t, policy_action_name(action), "denied") != 0)
		return -1;
	log_notice("denied %s to user %s", policy_action_name(action), x->sess.user_id);
	return core_fail(x, ADVICE_ERR_FORBIDDEN, "not allowed");
}

int core_thread_visible(const struct ctx *x, const struct store_thread *t)
{
	return (core_relations(x, t) & (REL_OWNER | REL_MEMBER | REL_CONSENTED | REL_ORDERED)) != 0;
}

int core_hide(struct ctx *x, enum policy_action action, const char *object, const struct store_thread *t)
{
	struct store_audit a = { .time = x->now };

	snprintf(a.user_id, sizeof a.user_id, "%s", x->sess.user_id);
	a.role = x->sess.role;
	snprintf(a.object, sizeof a.object, "%s", object);
	if (t != NULL) {
		snprintf(a.unit_id, sizeof a.unit_id, "%s", t->unit_id);
		snprintf(a.client, sizeof a.client, "%s", t->citizen_id);
	}
	snprintf(a.action, sizeof a.action, "%s", policy_action_name(action));
	snprintf(a.outcome, sizeof a.outcome, "%s", t != NULL ? "denied" : "not_found");
	if (audit_append(x->st, &a) != STORE_OK) {
		log_err("access log write failed: nothing is shown");
		return -1;
	}
	if (t != NULL)
		log_notice("denied %s to user %s", policy_action_name(action), x->sess.user_id);
	return 0;
}

/* A restricted thread (core_restrict.c): a refused request is logged (outcome "restricted")
 * and answered `restricted`. 0, 0 with ctx->err set, or -1. */
static int restriction_gate(struct ctx *x, enum policy_action action, const struct store_thread *t)
{
	enum core_restrict_verdict v;

	if (core_restrict_verdict(x, action, t, &v) != 0)
		return -1;
	if (v == RESTRICT_OPEN || v == RESTRICT_LEGAL_CLAIM)
		return 0;
	if (core_audit(x, t, policy_action_name(action), "restricted") != 0)
		return -1;
	if (v == RESTRICT_REFUSED_WRITE)
		return core_fail(x, ADVICE_ERR_RESTRICTED, "the thread is restricted: it is not changed");
	snprintf(x->err_field, sizeof x->err_field, "/purpose");
	return core_fail(x, ADVICE_ERR_RESTRICTED,
			 "the thread is restricted: staff read it only for a legal claim (purpose, reason)");
}

int core_thread_for_id(struct ctx *x, const char *thread_id, enum policy_action action,
		       struct store_thread *t)
{
	char object[STORE_ID_SIZE + 8];
	int rc = x->st->ops->thread->get(x->st, thread_id, t);

	if (rc == STORE_ERROR)
		return -1;
	snprintf(object, sizeof object, "thread:%s", thread_id ? thread_id : "");
	if (rc == STORE_NOTFOUND || !core_thread_visible(x, t)) {
		if (core_hide(x, action, object, rc == STORE_OK ? t : NULL) != 0)
			return -1;
		return core_fail(x, ADVICE_ERR_NOT_FOUND, "no such thread");
	}
	if (!policy_allows(action, core_role_in_unit(x, t->unit_id), core_relations(x, t)))
		return core_deny(x, action, t);
	return restriction_gate(x, action, t);
}

int core_thread_for(struct ctx *x, enum policy_action action, struct store_thread *t)
{
	return core_thread_for_id(x, json_string_value(json_object_get(x->msg, "thread")), action, t);
}

/* A new, empty push for `topic` at the end of the reply's list; NULL when out of memory. */
static struct core_push *push_add(struct core_reply *rep, const char *topic)
{
	struct core_push *p = realloc(rep->pushes, (rep->npush + 1) * sizeof *p);

	if (p == NULL)
		return NULL;
	rep->pushes = p;
	p = &rep->pushes[rep->npush++];
	memset(p, 0, sizeof *p);
	snprintf(p->topic, sizeof p->topic, "%s", topic);
	return p;
}

int core_push(struct ctx *x, const char *topic, json_t *event)
{
	struct core_push *p = event ? push_add(x->rep, topic) : NULL;

	if (p == NULL) {
		json_decref(event);
		return -1;
	}
	p->event = event;
	return 0;
}

int core_push_text(struct ctx *x, const char *topic, char *text)
{
	struct core_push *p = text ? push_add(x->rep, topic) : NULL;

	if (p == NULL) {
		free(text);
		return -1;
	}
	p->json = text;
	p->len = strlen(text);
	return 0;
}

/* Thread metadata and its event */

static json_t *id_or_null(const char *id)
{
	return id && id[0] ? json_string(id) : json_null();
}

json_t *core_thread_summary(const struct store_thread *t)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:I}", "thread", t->id, "category", t->category,
			 "unit", t->unit_id, "state", core_state_name(t->state), "assignee",
			 id_or_null(t->assignee_id), "created", (json_int_t)t->created, "updated",
			 (json_int_t)t->updated, "last_seq", (json_int_t)t->last_seq);
}

int core_thread_changed(struct ctx *x, const struct store_thread *t)
{
	int restricted = 0;

	if (core_restricted(x, t->id, &restricted) != 0)
		return -1;
	return core_thread_changed_as(x, t, restricted);
}

int core_thread_changed_as(struct ctx *x, const struct store_thread *t, int restricted)
{
	char topic[48];
	json_t *ev = core_thread_summary(t), *for_citizen = NULL, *name = NULL;

	if (ev == NULL)
		return -1;
	json_object_set_new(ev, "type", json_string("event"));
	json_object_set_new(ev, "event", json_string("thread.changed"));
	json_object_del(ev, "created");
	json_object_set_new(ev, "restricted", json_boolean(restricted));
	/* The citizen sees the assignee's name as the unit allows; the unit, as colleagues do. */
	if (core_name_for_citizen(x, t->unit_id, t->assignee_id, &name) != 0 ||
	    (for_citizen = json_deep_copy(ev)) == NULL) {
		json_decref(name);
		json_decref(ev);
		return -1;
	}
	json_object_set_new(for_citizen, "assignee_name", name);
	if (core_name_for_staff(x, t->assignee_id, &name) != 0) {
		json_decref(for_citizen);
		json_decref(ev);
		return -1;
	}
	json_object_set_new(ev, "assignee_name", name);
	snprintf(topic, sizeof topic, "u:%s", t->citizen_id);
	if (core_push(x, topic, for_citizen) != 0) {
		json_decref(ev);
		return -1;
	}
	snprintf(topic, sizeof topic, "unit:%s", t->unit_id);
	return core_push(x, topic, ev);
}

int core_session_create(struct ctx *x, const char *user_id, enum store_role role)
{
	const struct core_config *cfg = &x->c->cfg;
	struct store_session s = { .role = role, .created = x->now, .last_seen = x->now };
	uint8_t raw[32];
	int64_t abs_ms = role == ROLE_CITIZEN ? cfg->citizen_abs_ms : cfg->staff_abs_ms;

	s.idle_ms = role == ROLE_CITIZEN ? cfg->citizen_idle_ms : cfg->staff_idle_ms;
	s.expires = x->now + abs_ms;
	snprintf(s.user_id, sizeof s.user_id, "%s", user_id);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(x->rep->session_token, sizeof x->rep->session_token, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	core_session_hash(cfg->pepper, x->rep->session_token, strlen(x->rep->session_token), s.hash);
	if (x->st->ops->session->insert(x->st, &s) != STORE_OK) {
		x->rep->session_token[0] = '\0';
		return -1;
	}
	x->rep->session_max_age_s = abs_ms / 1000;
	x->sess = s;
	return 0;
}

/* Key objects as base64url (core_keys.c, core_devices.c) */

json_t *core_b64_json(const uint8_t *data, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = malloc(n);
	json_t *j;

	if (s == NULL)
		return NULL;
	sodium_bin2base64(s, n, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	j = json_string(s);
	free(s);
	return j;
}

int core_b64_decode(struct ctx *x, const char *b64, const char *field, uint8_t *out, size_t cap, size_t *len,
		    int exact)
{
	size_t n = b64 ? strlen(b64) : 0;

	if (n == 0 ||
	    sodium_base642bin(out, cap, b64, n, NULL, len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) !=
		    0 ||
	    (exact && *len != cap)) {
		snprintf(x->err_field, sizeof x->err_field, "%s", field);
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "%s is not a valid key object", field + 1);
	}
	return 0;
}
