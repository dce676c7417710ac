/*
 * core_consent.c - the citizen's consent to link a thread to the client record (PROTOCOL.md
 * §14.3): consent.give stores the citizen's signed consent event and the thread key of every
 * epoch sealed to the records connector; consent.withdraw ends it together with a new epoch
 * (reason 3) sealed to the unit and the citizen only, and the connector's wraps go. The
 * thread snapshot shows the consent and whether the thread was handed over.
 *
 * The server checks what it can without keys: the consent event's format, thread, connector
 * and epoch, that one of the caller's own keys is named as its signer, and that each wrap is a
 * thread-key wrap of this thread to the connector signed by the caller. The connector checks
 * the signatures again before it hands anything over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "advice_crypto.h"
#include "core_internal.h"

/* The consent event (CRYPTO-FORMATS.md, type 5): its size and the offsets the server reads. */
#define CONSENT_EVENT_BYTES 197
#define CONSENT_OFF_KIND    6
#define CONSENT_OFF_THREAD  7
#define CONSENT_OFF_KID	    23
#define CONSENT_OFF_EPOCH   39
#define CONSENT_OFF_SIGNER  117
#define CONSENT_GIVEN	    1
#define CONSENT_WITHDRAWN   2
#define CONSENT_MAX_EPOCHS  ADVICE_MAX_LIST

struct consent_event {
	uint8_t kind;
	uint8_t thread_id[ADVICE_OID_BYTES];
	uint8_t kid[ADVICE_KID_BYTES];
	uint32_t epoch;
	uint8_t signer_kid[ADVICE_KID_BYTES];
};

/* Reads a consent event's fields after checking its prefix and size. 0, or -1 when malformed. */
static int consent_event_read(const uint8_t *in, size_t len, struct consent_event *e)
{
	static const uint8_t prefix[6] = { 'Q', 'A', 1, ADVICE_OBJ_CONSENT, 1, 0 };

	if (len != CONSENT_EVENT_BYTES || memcmp(in, prefix, sizeof prefix) != 0)
		return -1;
	e->kind = in[CONSENT_OFF_KIND];
	memcpy(e->thread_id, in + CONSENT_OFF_THREAD, sizeof e->thread_id);
	memcpy(e->kid, in + CONSENT_OFF_KID, sizeof e->kid);
	e->epoch = (uint32_t)in[CONSENT_OFF_EPOCH] | (uint32_t)in[CONSENT_OFF_EPOCH + 1] << 8 |
		   (uint32_t)in[CONSENT_OFF_EPOCH + 2] << 16 | (uint32_t)in[CONSENT_OFF_EPOCH + 3] << 24;
	memcpy(e->signer_kid, in + CONSENT_OFF_SIGNER, sizeof e->signer_kid);
	return e->kind == CONSENT_GIVEN || e->kind == CONSENT_WITHDRAWN ? 0 : -1;
}

json_t *core_consent_json(const struct store_consent *c)
{
	char kid[2 * STORE_KID_BYTES + 1];

	sodium_bin2hex(kid, sizeof kid, c->kid, sizeof c->kid);
	return json_pack("{s:s, s:I, s:o, s:I, s:o}", "connector", kid, "given", (json_int_t)c->given,
			 "withdrawn", c->withdrawn ? json_integer(c->withdrawn) : json_null(), "epoch",
			 (json_int_t)c->epoch, "event", core_b64_json(c->event, c->event_len));
}

int core_consent_summary(const struct ctx *x, const struct store_thread *t, json_t *obj)
{
	struct store_consent c;
	int64_t n = 0;
	int rc = x->st->ops->consent->get(x->st, t->id, 0, &c);

	if (rc == STORE_ERROR || x->st->ops->consent->handover_count(x->st, t->id, &n) != STORE_OK)
		return -1;
	if (json_object_set_new(obj, "consent", rc == STORE_OK ? core_consent_json(&c) : json_null()) != 0 ||
	    json_object_set_new(obj, "handed_over", json_boolean(n > 0)) != 0)
		return -1;
	return 0;
}

/* --- Signers and wraps --- */

struct signer_find {
	const uint8_t *kid;
	int found;
};

/* Identities: kid is the identity id, the kid of its signing key. */
static int identity_signer(void *arg, const struct store_key_blob *b)
{
	struct signer_find *f = arg;

	f->found |= memcmp(b->kid, f->kid, STORE_KID_BYTES) == 0;
	return f->found;
}

/* Devices: extra is the device's signing key. */
static int device_signer(void *arg, const struct store_key_blob *b)
{
	struct signer_find *f = arg;
	uint8_t kid[STORE_KID_BYTES];

	if (b->extra_len != ADVICE_KEY_BYTES)
		return 0;
	advice_kid(kid, b->extra);
	f->found |= memcmp(kid, f->kid, STORE_KID_BYTES) == 0;
	return f->found;
}

/* Whether `kid` names a signing key of the caller (an identity or a device): 1, 0, -1. */
static int caller_signs(struct ctx *x, const uint8_t kid[STORE_KID_BYTES])
{
	struct signer_find f = { .kid = kid };

	if (x->st->ops->citizen->identity_list(x->st, x->sess.user_id, identity_signer, &f) != STORE_OK)
		return -1;
	if (!f.found && x->st->ops->keys->device_list(x->st, x->sess.user_id, device_signer, &f) != STORE_OK)
		return -1;
	return f.found;
}

/* Decodes and checks the request's consent event (field `field`): of `kind`, this thread, the
 * connector kid `kid` and epoch `epoch`, signed by one of the caller's keys. 0 (ctx->err set
 * when refused: bad_request, or forbidden logged for another signer), or -1. */
static int event_take(struct ctx *x, const struct store_thread *t, enum policy_action action,
		      const char *field, uint8_t kind, const uint8_t kid[STORE_KID_BYTES], int64_t epoch,
		      uint8_t *ev, size_t *len)
{
	struct consent_event e;
	uint8_t tid[ADVICE_OID_BYTES];
	char path[32];
	int rc;

	snprintf(path, sizeof path, "/%s", field);
	if (core_b64_decode(x, json_string_value(json_object_get(x->msg, field)), path, ev,
			    STORE_CONSENT_EVENT_MAX, len, 0) != 0 ||
	    x->err)
		return 0;
	snprintf(x->err_field, sizeof x->err_field, "%s", path);
	if (consent_event_read(ev, *len, &e) != 0 || e.kind != kind)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "not a consent event of kind %u", kind);
	if (advice_unhex(tid, sizeof tid, t->id) != 0 || memcmp(tid, e.thread_id, sizeof tid) != 0)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the consent event is of another thread");
	if (memcmp(e.kid, kid, STORE_KID_BYTES) != 0)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the consent event names another connector");
	if ((int64_t)e.epoch != epoch)
		return core_fail(
			x, ADVICE_ERR_CONFLICT,
			"the consent event is of epoch %u, it must be of epoch %lld: read the thread's keys",
			(unsigned)e.epoch, (long long)epoch);
	if ((rc = caller_signs(x, e.signer_kid)) <= 0)
		return rc < 0 ? -1 : core_deny(x, action, t);
	x->err_field[0] = '\0';
	return 0;
}

/* The request's wraps: exactly one thread-key wrap of this thread to `kid` for each epoch
 * 0..current, signed by one of the caller's keys, into w (sorted by epoch). 0 (ctx->err set
 * when refused) or -1. */
static int wraps_take(struct ctx *x, const struct store_thread *t, const uint8_t kid[STORE_KID_BYTES],
		      int64_t current, uint8_t (*w)[ADVICE_WRAP_BYTES])
{
	json_t *list = json_object_get(x->msg, "wraps"), *item;
	uint8_t tid[ADVICE_OID_BYTES], buf[ADVICE_WRAP_BYTES];
	struct advice_wrap_info wi;
	char seen[CONSENT_MAX_EPOCHS] = { 0 };
	size_t i, len = 0;
	int rc;

	if (current + 1 > CONSENT_MAX_EPOCHS || (int64_t)json_array_size(list) != current + 1) {
		snprintf(x->err_field, sizeof x->err_field, "/wraps");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "one wrap for each of the thread's %lld epochs",
				 (long long)current + 1);
	}
	advice_unhex(tid, sizeof tid, t->id);
	json_array_foreach (list, i, item) {
		char field[32];

		snprintf(field, sizeof field, "/wraps/%zu", i);
		if (core_b64_decode(x, json_string_value(item), field, buf, sizeof buf, &len, 1) != 0 ||
		    x->err)
			return 0;
		snprintf(x->err_field, sizeof x->err_field, "%s", field);
		if (advice_wrap_parse(buf, len, &wi) != 0 || wi.kind != ADVICE_WRAP_THREAD_KEY ||
		    memcmp(wi.scope_id, tid, sizeof tid) != 0)
			return core_fail(x, ADVICE_ERR_BAD_REQUEST,
					 "wrap %zu is no thread-key wrap of this thread", i);
		if (memcmp(wi.recipient_kid, kid, STORE_KID_BYTES) != 0)
			return core_fail(x, ADVICE_ERR_BAD_REQUEST, "wrap %zu is not sealed to the connector",
					 i);
		if ((int64_t)wi.epoch > current || seen[wi.epoch])
			return core_fail(x, ADVICE_ERR_BAD_REQUEST, "wrap %zu repeats an epoch or names none",
					 i);
		if ((rc = caller_signs(x, wi.signer_kid)) <= 0)
			return rc < 0 ? -1 : core_deny(x, ACT_CONSENT_GIVE, t);
		seen[wi.epoch] = 1;
		memcpy(w[wi.epoch], buf, sizeof buf);
	}
	x->err_field[0] = '\0';
	return 0;
}

/* The live connector of the request's "connector" kid. 1 found, 0 not (ctx->err set), -1. */
static int connector_take(struct ctx *x, uint8_t kid[STORE_KID_BYTES], struct store_connector *c)
{
	int rc;

	if (advice_unhex(kid, STORE_KID_BYTES, json_string_value(json_object_get(x->msg, "connector"))) !=
	    0) {
		snprintf(x->err_field, sizeof x->err_field, "/connector");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "connector: a key id of 32 hex digits");
	}
	rc = core_connector_live(x, kid, c);
	if (rc <= 0) {
		snprintf(x->err_field, sizeof x->err_field, "/connector");
		return rc < 0 ? -1 : core_fail(x, ADVICE_ERR_NOT_FOUND, "no such connector");
	}
	return 1;
}

/* The thread's current epoch. 0 or -1. */
static int current_epoch(struct ctx *x, const struct store_thread *t, int64_t *epoch)
{
	return x->st->ops->rekey->epoch_current(x->st, t->id, epoch) == STORE_OK ? 0 : -1;
}

/* The reply and the thread.changed event of a changed consent. 0 or -1. */
static int consent_reply(struct ctx *x, const struct store_thread *t)
{
	struct store_consent c;

	if (x->st->ops->consent->get(x->st, t->id, 0, &c) != STORE_OK ||
	    json_object_set_new(x->result, "consent", core_consent_json(&c)) != 0)
		return -1;
	return core_thread_changed(x, t);
}

int core_consent_give(struct ctx *x)
{
	uint8_t(*w)[ADVICE_WRAP_BYTES] = malloc(CONSENT_MAX_EPOCHS * sizeof *w);
	struct store_consent c = { .given = x->now }, live;
	struct store_connector conn;
	struct store_thread t;
	int64_t epoch = 0;
	int rc = -1;

	if (w == NULL)
		return -1;
	if ((rc = core_thread_for(x, ACT_CONSENT_GIVE, &t)) != 0 || x->err)
		goto out;
	if ((rc = connector_take(x, c.kid, &conn)) <= 0)
		goto out;
	rc = x->st->ops->consent->get(x->st, t.id, 1, &live);
	if (rc == STORE_ERROR) {
		rc = -1;
		goto out;
	}
	if (rc == STORE_OK) {
		rc = core_fail(x, ADVICE_ERR_CONFLICT, "the thread has a consent already: withdraw it first");
		goto out;
	}
	if ((rc = current_epoch(x, &t, &epoch)) != 0)
		goto out;
	if ((rc = event_take(x, &t, ACT_CONSENT_GIVE, "event", CONSENT_GIVEN, c.kid, epoch, c.event,
			     &c.event_len)) != 0 ||
	    x->err)
		goto out;
	if ((rc = wraps_take(x, &t, c.kid, epoch, w)) != 0 || x->err)
		goto out;
	rc = -1;
	snprintf(c.thread_id, sizeof c.thread_id, "%s", t.id);
	snprintf(c.connector_id, sizeof c.connector_id, "%s", conn.id);
	c.epoch = epoch;
	if (x->st->ops->consent->put(x->st, &c) != STORE_OK)
		goto out;
	for (int64_t e = 0; e <= epoch; e++)
		if (x->st->ops->keys->wrap_put(x->st, t.id, e, c.kid, w[e], ADVICE_WRAP_BYTES,
					       x->sess.user_id, x->now) == STORE_ERROR)
			goto out;
	if (core_audit(x, &t, "consent.give", "ok") != 0 || consent_reply(x, &t) != 0)
		goto out;
	rc = 0;
out:
	free(w);
	return rc;
}

int core_consent_withdraw(struct ctx *x)
{
	uint8_t ev[STORE_CONSENT_EVENT_MAX];
	struct store_consent c;
	struct store_thread t;
	int64_t epoch = 0;
	uint32_t started = 0;
	size_t len = 0;
	int rc;

	if ((rc = core_thread_for(x, ACT_CONSENT_WITHDRAW, &t)) != 0 || x->err)
		return rc;
	rc = x->st->ops->consent->get(x->st, t.id, 1, &c);
	if (rc == STORE_NOTFOUND)
		return core_fail(x, ADVICE_ERR_CONFLICT, "the thread has no consent to withdraw");
	if (rc != STORE_OK || current_epoch(x, &t, &epoch) != 0)
		return -1;
	/* The withdrawal names the new epoch; nothing is stored unless it and the epoch qualify. */
	if ((rc = event_take(x, &t, ACT_CONSENT_WITHDRAW, "event", CONSENT_WITHDRAWN, c.kid, epoch + 1, ev,
			     &len)) != 0 ||
	    x->err)
		return rc;
	if ((rc = core_rekey_apply(x, &t, ACT_CONSENT_WITHDRAW, "epoch_event", ADVICE_EPOCH_CONSENT,
				   &started)) != 0 ||
	    x->err)
		return rc;
	if (x->st->ops->consent->withdraw(x->st, t.id, x->now, ev, len) != STORE_OK ||
	    core_audit(x, &t, "consent.withdraw", "ok") != 0)
		return -1;
	return consent_reply(x, &t);
}
