/*
 * crypto_rekey_vectors.c - the known-answer vectors of re-keying (proto/vectors/unitlog.json
 * and epoch.json): a unit log of four entries (generation, member added, certificate revoked,
 * renewal) with the state a reader keeps, and two chained thread epoch events. Every "random"
 * input is rnd(i, n) = crypto_kdf_derive_from_key(n, i, "QAvector", seed), as in
 * crypto_vectors.c.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "advice_crypto.h"
#include "crypto_tool.h"

static void rnd(uint8_t *out, size_t n, uint64_t i, const uint8_t seed[32])
{
	crypto_kdf_derive_from_key(out, n, i, "QAvector", seed);
}

static uint64_t get_u64(json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

/* A copy of the case's literal inputs; its seed in seed. */
static json_t *case_copy(json_t *in, uint8_t seed[32])
{
	memset(seed, 0, 32);
	tool_get_hex(in, "seed", seed, 32);
	return json_deep_copy(in);
}

/* --- unit log: generation 1, member added, certificate revoked, renewal; the reader's state --- */
json_t *vec_unitlog(json_t *in)
{
	static const uint8_t kinds[4] = { ADVICE_ULOG_GENERATION, ADVICE_ULOG_MEMBER_ADD, ADVICE_ULOG_REVOKE,
					  ADVICE_ULOG_RENEW };
	uint8_t seed[32], s[32], event[64], entries[4][ADVICE_ULOG_BYTES], admin_pk[1][32];
	const uint8_t *list[4];
	size_t lens[4];
	struct advice_keys admin;
	struct advice_ulog_entry e;
	struct advice_ulog_state st;
	json_t *o = case_copy(in, seed), *arr = json_array();
	uint64_t at = get_u64(in, "at"), validity = get_u64(in, "validity_ms");

	rnd(s, 32, 1, seed);
	advice_keys_personal(&admin, s);
	memcpy(admin_pk[0], admin.sign_pk, 32);
	tool_put_hex(o, "admin_seed", s, 32);
	memset(&e, 0, sizeof e);
	rnd(e.unit_id, 16, 2, seed);
	tool_put_hex(o, "unit_id", e.unit_id, 16);
	rnd(event, sizeof event, 3, seed); /* stands for the unit event of generation 1 */
	tool_put_hex(o, "event", event, sizeof event);
	for (uint32_t i = 0; i < 4; i++) {
		json_t *h = json_object();

		e.seq = i + 1;
		e.kind = kinds[i];
		e.generation = 1;
		memset(e.subject, 0, sizeof e.subject);
		if (e.kind == ADVICE_ULOG_GENERATION) {
			advice_hash(e.subject, event, sizeof event);
		} else if (e.kind != ADVICE_ULOG_RENEW) {
			rnd(e.subject, 16, 4 + 2 * i, seed);	  /* a user id */
			rnd(e.subject + 16, 16, 5 + 2 * i, seed); /* a kid */
		}
		e.at = at + 1000 * i;
		e.valid_until = e.at + validity;
		if (i > 0)
			advice_hash(e.prev_hash, entries[i - 1], ADVICE_ULOG_BYTES);
		advice_ulog_sign(entries[i], &e, &admin);
		tool_put_hex(h, "entry", entries[i], ADVICE_ULOG_BYTES);
		json_array_append_new(arr, h);
		list[i] = entries[i];
		lens[i] = ADVICE_ULOG_BYTES;
	}
	json_object_set_new(o, "entries", arr);
	memset(&st, 0, sizeof st);
	if (advice_ulog_check(&st, e.unit_id, list, lens, 4, admin_pk, 1, NULL, event, sizeof event, at) !=
	    0) {
		json_object_set_new(o, "error", json_string("the log does not check"));
		return o;
	}
	json_object_set_new(o, "state_seq", json_integer(st.seq));
	tool_put_hex(o, "state_head", st.head, 32);
	json_object_set_new(o, "state_generation", json_integer(st.generation));
	json_object_set_new(o, "state_valid_until", json_integer((json_int_t)st.valid_until));
	return o;
}

/* --- thread epochs: event 1 (a unit rotated), event 2 (reassigned) chained to it --- */
json_t *vec_epoch(json_t *in)
{
	uint8_t seed[32], s[32], ev1[ADVICE_EPOCH_EVENT_MAX_BYTES], ev2[ADVICE_EPOCH_EVENT_MAX_BYTES];
	size_t n1 = 0, n2 = 0, n = (size_t)get_u64(in, "recipients");
	struct advice_keys signer;
	struct advice_epoch_event ev;
	json_t *o = case_copy(in, seed);

	if (n < 1 || n > ADVICE_EPOCH_MAX_RECIPIENTS)
		n = 1;
	rnd(s, 32, 1, seed);
	advice_keys_personal(&signer, s);
	tool_put_hex(o, "signer_seed", s, 32);
	memset(&ev, 0, sizeof ev);
	rnd(ev.thread_id, 16, 2, seed);
	tool_put_hex(o, "thread_id", ev.thread_id, 16);
	ev.epoch = 1;
	ev.reason = ADVICE_EPOCH_UNIT_ROTATED;
	ev.created_at = get_u64(in, "created_at");
	ev.n_recipients = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		rnd(ev.recipients[i], 16, 10 + i, seed);
	advice_epoch_event_sign(ev1, sizeof ev1, &n1, &ev, &signer);
	ev.epoch = 2;
	ev.prev_epoch = 1;
	ev.reason = ADVICE_EPOCH_REASSIGNED;
	ev.created_at += 60000;
	advice_hash(ev.prev_hash, ev1, n1);
	rnd(ev.recipients[0], 16, 30, seed); /* the other unit's generation */
	advice_epoch_event_sign(ev2, sizeof ev2, &n2, &ev, &signer);
	tool_put_hex(o, "event1", ev1, n1);
	tool_put_hex(o, "event2", ev2, n2);
	if (advice_epoch_event_verify(ev2, n2, ev.thread_id, signer.sign_pk, ev1, n1, NULL) != 0 ||
	    advice_epoch_event_verify(ev1, n1, ev.thread_id, signer.sign_pk, NULL, 0, NULL) != 0)
		json_object_set_new(o, "error", json_string("the events do not verify"));
	return o;
}
