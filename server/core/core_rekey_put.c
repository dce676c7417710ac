/*
 * core_rekey_put.c - the request thread.rekey: a thread's next key epoch, its signed event
 * (type 12) and the new key's wraps, checked before anything is stored: the event starts the
 * next epoch, chains to the current one and is signed by the caller; every wrap qualifies as
 * for wrap.put, is of the new epoch and goes to one recipient of the event. PROTOCOL.md §12.6.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice_crypto.h"
#include "core_internal.h"

#define REKEY_MAX_WRAPS ADVICE_EPOCH_MAX_RECIPIENTS

/* The caller's signing keys that may sign for them: a citizen's devices, staff certificates. */
struct signer_find {
	const uint8_t *kid;
	uint8_t pk[ADVICE_KEY_BYTES];
	int found;
};

static int device_key(void *arg, const struct store_key_blob *b)
{
	struct signer_find *f = arg;
	uint8_t kid[ADVICE_KID_BYTES];

	if (b->extra_len != ADVICE_KEY_BYTES)
		return 0;
	advice_kid(kid, b->extra);
	if (memcmp(kid, f->kid, sizeof kid) != 0)
		return 0;
	memcpy(f->pk, b->extra, ADVICE_KEY_BYTES);
	f->found = 1;
	return 1;
}

static int cert_key(void *arg, const struct store_key_blob *b)
{
	struct signer_find *f = arg;
	struct advice_cert c;

	if (memcmp(b->kid, f->kid, ADVICE_KID_BYTES) != 0 || advice_cert_parse(b->data, b->len, &c) != 0)
		return 0;
	memcpy(f->pk, c.sign_pk, ADVICE_KEY_BYTES);
	f->found = 1;
	return 1;
}

/* The caller's signing key with kid `kid`: 1 found, 0 not, -1 store failure. */
static int caller_key(struct ctx *x, const uint8_t kid[ADVICE_KID_BYTES], uint8_t pk[ADVICE_KEY_BYTES])
{
	struct signer_find f = { .kid = kid };
	int rc;

	if (x->sess.role == ROLE_CITIZEN)
		rc = x->st->ops->keys->device_list(x->st, x->sess.user_id, device_key, &f);
	else
		rc = x->st->ops->keys->cert_list(x->st, x->sess.user_id, cert_key, &f);
	if (rc != STORE_OK)
		return -1;
	memcpy(pk, f.pk, ADVICE_KEY_BYTES);
	return f.found;
}

/* The event: format, this thread, the next epoch, chained to the current event, signed by
 * the caller. 0 (ctx->err set when refused) or -1. */
static int event_check(struct ctx *x, const struct store_thread *t, enum policy_action action,
		       const char *field, const uint8_t *ev, size_t len, struct advice_epoch_event *out)
{
	uint8_t tid[ADVICE_OID_BYTES], pk[ADVICE_KEY_BYTES], *cur = NULL;
	int64_t epoch = 0;
	size_t cur_len = 0;
	int rc;

	if (advice_epoch_event_parse(ev, len, out) != 0 || advice_unhex(tid, sizeof tid, t->id) != 0 ||
	    memcmp(tid, out->thread_id, sizeof tid) != 0) {
		snprintf(x->err_field, sizeof x->err_field, "/%s", field);
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the event is no epoch event of this thread");
	}
	if (core_rekey_current(x, t->id, &epoch, &cur, &cur_len) != 0)
		return -1;
	rc = 0;
	if ((int64_t)out->epoch != epoch + 1) {
		snprintf(x->err_field, sizeof x->err_field, "/%s", field);
		rc = core_fail(
			x, ADVICE_ERR_CONFLICT,
			"the event starts epoch %u, but the thread is at epoch %lld: read the thread's "
			"keys (thread.keys) and start epoch %lld",
			(unsigned)out->epoch, (long long)epoch, (long long)epoch + 1);
	} else if ((rc = caller_key(x, out->signer_kid, pk)) >= 0) {
		if (rc == 0 || advice_epoch_event_verify(ev, len, tid, pk, cur, cur_len, NULL) != 0) {
			snprintf(x->err_field, sizeof x->err_field, "/%s", field);
			rc = core_deny(x, action, t);
		} else {
			rc = 0;
		}
	}
	free(cur);
	return rc;
}

/* Whether kid is among the event's recipients. */
static int is_recipient(const struct advice_epoch_event *ev, const uint8_t kid[ADVICE_KID_BYTES])
{
	for (size_t i = 0; i < ev->n_recipients; i++)
		if (memcmp(ev->recipients[i], kid, ADVICE_KID_BYTES) == 0)
			return 1;
	return 0;
}

/* Every wrap: acceptable as for wrap.put, of the new epoch, one per recipient of the event,
 * signed by the event's signer. 0 (ctx->err set when refused) or -1. */
static int wraps_check(struct ctx *x, const struct store_thread *t, enum policy_action action, json_t *list,
		       const struct advice_epoch_event *ev, uint8_t (*w)[ADVICE_WRAP_BYTES])
{
	struct advice_wrap_info wi;
	uint8_t seen[REKEY_MAX_WRAPS][ADVICE_KID_BYTES];
	json_t *item;
	size_t i, len = 0;
	int ok = 0;

	if (json_array_size(list) != ev->n_recipients) {
		snprintf(x->err_field, sizeof x->err_field, "/wraps");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "one wrap for each of the event's %u recipients",
				 (unsigned)ev->n_recipients);
	}
	json_array_foreach (list, i, item) {
		char field[32];

		snprintf(field, sizeof field, "/wraps/%zu", i);
		if (core_b64_decode(x, json_string_value(item), field, w[i], ADVICE_WRAP_BYTES, &len, 1) !=
			    0 ||
		    x->err)
			return 0;
		if (core_keys_wrap_check(x, t, w[i], len, &wi, &ok) != 0)
			return -1;
		snprintf(x->err_field, sizeof x->err_field, "%s", field);
		if (ok < 0)
			return core_fail(x, ADVICE_ERR_BAD_REQUEST, "wrap %zu has an unknown format", i);
		if (!ok || memcmp(wi.signer_kid, ev->signer_kid, ADVICE_KID_BYTES) != 0)
			return core_deny(x, action, t);
		if (wi.epoch != ev->epoch)
			return core_fail(x, ADVICE_ERR_BAD_REQUEST, "wrap %zu is not of epoch %u", i,
					 (unsigned)ev->epoch);
		if (!is_recipient(ev, wi.recipient_kid))
			return core_fail(x, ADVICE_ERR_BAD_REQUEST,
					 "wrap %zu is for no recipient of the event", i);
		for (size_t k = 0; k < i; k++)
			if (memcmp(seen[k], wi.recipient_kid, ADVICE_KID_BYTES) == 0)
				return core_fail(x, ADVICE_ERR_BAD_REQUEST, "wrap %zu repeats a recipient",
						 i);
		memcpy(seen[i], wi.recipient_kid, ADVICE_KID_BYTES);
	}
	x->err_field[0] = '\0';
	return 0;
}

int core_rekey_apply(struct ctx *x, const struct store_thread *t, enum policy_action action,
		     const char *event_field, int reason, uint32_t *epoch)
{
	uint8_t *ev = malloc(ADVICE_EPOCH_EVENT_MAX_BYTES),
		(*w)[ADVICE_WRAP_BYTES] = malloc(REKEY_MAX_WRAPS * sizeof *w);
	json_t *list = json_object_get(x->msg, "wraps");
	struct advice_epoch_event e;
	struct advice_wrap_info wi;
	char field[40];
	size_t len = 0;
	int rc = -1;

	snprintf(field, sizeof field, "/%s", event_field);
	if (ev == NULL || w == NULL)
		goto out;
	if ((rc = core_b64_decode(x, json_string_value(json_object_get(x->msg, event_field)), field, ev,
				  ADVICE_EPOCH_EVENT_MAX_BYTES, &len, 0)) != 0 ||
	    x->err)
		goto out;
	/* Nothing is stored unless the event and every wrap qualify. */
	if ((rc = event_check(x, t, action, event_field, ev, len, &e)) != 0 || x->err)
		goto out;
	if (reason != 0 && e.reason != reason) {
		snprintf(x->err_field, sizeof x->err_field, "%s", field);
		rc = core_fail(x, ADVICE_ERR_BAD_REQUEST, "the epoch event must give reason %d", reason);
		goto out;
	}
	if ((rc = wraps_check(x, t, action, list, &e, w)) != 0 || x->err)
		goto out;
	rc = -1;
	if (x->sess.role != ROLE_CITIZEN && core_audit(x, t, policy_action_name(action), "ok") != 0)
		goto out;
	if (x->st->ops->rekey->epoch_put(x->st, t->id, e.epoch, ev, len, x->sess.user_id, x->now) != STORE_OK)
		goto out;
	for (size_t i = 0; i < e.n_recipients; i++) {
		advice_wrap_parse(w[i], ADVICE_WRAP_BYTES, &wi);
		if (x->st->ops->keys->wrap_put(x->st, t->id, wi.epoch, wi.recipient_kid, w[i],
					       ADVICE_WRAP_BYTES, x->sess.user_id, x->now) == STORE_ERROR)
			goto out;
	}
	*epoch = e.epoch;
	rc = 0;
out:
	free(ev);
	free(w);
	return rc;
}

int core_thread_rekey(struct ctx *x)
{
	struct store_thread t;
	uint32_t epoch = 0;
	int rc;

	if ((rc = core_thread_for(x, ACT_THREAD_REKEY, &t)) != 0 || x->err)
		return rc;
	if ((rc = core_rekey_apply(x, &t, ACT_THREAD_REKEY, "event", 0, &epoch)) != 0 || x->err)
		return rc;
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "epoch", json_integer(epoch));
	return 0;
}
