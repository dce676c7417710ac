/*
 * crypto_rekey.c - re-keying in libadvice's end-to-end encryption: the signed, numbered,
 * hash-chained unit log (type 11) with its reader checks (continuity, what the client saw
 * before, freshness, the newest generation, revocations), and the signed thread epoch event
 * (type 12) with the writer's and reader's epoch checks. Byte layouts: proto/CRYPTO-FORMATS.md.
 */
#include <string.h>

#include <sodium.h>

#include "crypto_int.h"

#define SIG_ULOG  "QA-v1-ulog"
#define SIG_EPOCH "QA-v1-epoch"

/* Unit log entry layout. */
#define L_UNIT	      6
#define L_SEQ	      22
#define L_PREV	      26
#define L_KIND	      58
#define L_GEN	      59
#define L_SUBJ	      63
#define L_AT	      95
#define L_VALID	      103
#define L_SIGNER      111
#define L_SIG	      127
#define ULOG_KIND_MAX ADVICE_ULOG_RENEW

/* Thread epoch event layout. */
#define P_THREAD 6
#define P_EPOCH	 22
#define P_PREVE	 26
#define P_PREVH	 30
#define P_REASON 62
#define P_TIME	 63
#define P_SIGNER 71
#define P_N	 87
#define P_RECIP	 88

static const uint8_t zero32[32];

/* --- Unit log entries --- */

ADVICE_API int advice_ulog_sign(uint8_t out[ADVICE_ULOG_BYTES], struct advice_ulog_entry *e,
				const struct advice_keys *admin)
{
	if (e->seq == 0 || e->kind == 0 || e->kind > ULOG_KIND_MAX)
		return -ADVICE_ERR_INVAL;
	advice_kid(e->signer_kid, admin->sign_pk);
	advice__prefix_put(out, ADVICE_OBJ_UNIT_LOG);
	memcpy(out + L_UNIT, e->unit_id, ADVICE_OID_BYTES);
	advice__put32(out + L_SEQ, e->seq);
	memcpy(out + L_PREV, e->prev_hash, ADVICE_HASH_BYTES);
	out[L_KIND] = e->kind;
	advice__put32(out + L_GEN, e->generation);
	memcpy(out + L_SUBJ, e->subject, sizeof e->subject);
	advice__put64(out + L_AT, e->at);
	advice__put64(out + L_VALID, e->valid_until);
	memcpy(out + L_SIGNER, e->signer_kid, ADVICE_KID_BYTES);
	return advice__sign(out + L_SIG, SIG_ULOG, out, L_SIG, NULL, 0, admin->sign_sk);
}

ADVICE_API int advice_ulog_parse(const uint8_t *in, size_t len, struct advice_ulog_entry *e)
{
	if (len != ADVICE_ULOG_BYTES || advice__prefix_check(in, len, ADVICE_OBJ_UNIT_LOG) != 0 ||
	    advice__get32(in + L_SEQ) == 0 || in[L_KIND] == 0 || in[L_KIND] > ULOG_KIND_MAX)
		return -ADVICE_ERR_INVAL;
	if (e == NULL)
		return 0;
	memcpy(e->unit_id, in + L_UNIT, ADVICE_OID_BYTES);
	e->seq = advice__get32(in + L_SEQ);
	memcpy(e->prev_hash, in + L_PREV, ADVICE_HASH_BYTES);
	e->kind = in[L_KIND];
	e->generation = advice__get32(in + L_GEN);
	memcpy(e->subject, in + L_SUBJ, sizeof e->subject);
	e->at = advice__get64(in + L_AT);
	e->valid_until = advice__get64(in + L_VALID);
	memcpy(e->signer_kid, in + L_SIGNER, ADVICE_KID_BYTES);
	return 0;
}

ADVICE_API int advice_ulog_verify(const uint8_t *in, size_t len, const uint8_t admin_pk[ADVICE_KEY_BYTES],
				  struct advice_ulog_entry *e)
{
	uint8_t kid[ADVICE_KID_BYTES];
	int rc;

	if ((rc = advice_ulog_parse(in, len, NULL)) != 0)
		return rc;
	advice_kid(kid, admin_pk);
	if (sodium_memcmp(kid, in + L_SIGNER, ADVICE_KID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if ((rc = advice__verify(in + L_SIG, SIG_ULOG, in, L_SIG, NULL, 0, admin_pk)) != 0)
		return rc;
	return e == NULL ? 0 : advice_ulog_parse(in, len, e);
}

/* The admin key among admin_pks whose kid signed the entry, or NULL. */
static const uint8_t *ulog_signer(const uint8_t *in, const uint8_t (*admin_pks)[ADVICE_KEY_BYTES], size_t n)
{
	uint8_t kid[ADVICE_KID_BYTES];

	for (size_t i = 0; i < n; i++) {
		advice_kid(kid, admin_pks[i]);
		if (memcmp(kid, in + L_SIGNER, ADVICE_KID_BYTES) == 0)
			return admin_pks[i];
	}
	return NULL;
}

/* Follows one entry from state s: signed by an admin, next number, same unit, chained, and
 * the generation raised by one by a generation entry and kept by the others. */
static int ulog_follow(struct advice_ulog_state *s, const uint8_t *in, size_t len,
		       const uint8_t (*admin_pks)[ADVICE_KEY_BYTES], size_t n_admins)
{
	const uint8_t *pk;
	struct advice_ulog_entry e;
	int rc;

	if ((rc = advice_ulog_parse(in, len, NULL)) != 0)
		return rc;
	if ((pk = ulog_signer(in, admin_pks, n_admins)) == NULL)
		return -ADVICE_ERR_FORBIDDEN;
	if ((rc = advice_ulog_verify(in, len, pk, &e)) != 0)
		return rc;
	if (e.seq != s->seq + 1 || memcmp(e.unit_id, s->unit_id, ADVICE_OID_BYTES) != 0 ||
	    memcmp(e.prev_hash, s->seq == 0 ? zero32 : s->head, ADVICE_HASH_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if (e.kind == ADVICE_ULOG_GENERATION) {
		if (e.generation != s->generation + 1)
			return -ADVICE_ERR_FORBIDDEN;
		memcpy(s->gen_event, e.subject, ADVICE_HASH_BYTES);
	} else if (e.generation != s->generation) {
		return -ADVICE_ERR_FORBIDDEN;
	}
	s->seq = e.seq;
	s->generation = e.generation;
	s->valid_until = e.valid_until;
	advice_hash(s->head, in, len);
	return 0;
}

/* Where a check starts: from `known` when the entries continue it (or there are none),
 * else from nothing (the entries must then start at number 1). */
static void ulog_start(struct advice_ulog_state *s, const uint8_t unit_id[ADVICE_OID_BYTES],
		       const uint8_t *const *entries, const size_t *lens, size_t n,
		       const struct advice_ulog_state *known)
{
	struct advice_ulog_entry first;

	memset(s, 0, sizeof *s);
	memcpy(s->unit_id, unit_id, ADVICE_OID_BYTES);
	if (known == NULL || known->seq == 0 || memcmp(known->unit_id, unit_id, ADVICE_OID_BYTES) != 0)
		return;
	if (n == 0 || (advice_ulog_parse(entries[0], lens[0], &first) == 0 && first.seq == known->seq + 1))
		*s = *known;
}

ADVICE_API int advice_ulog_check(struct advice_ulog_state *out, const uint8_t unit_id[ADVICE_OID_BYTES],
				 const uint8_t *const *entries, const size_t *lens, size_t n,
				 const uint8_t (*admin_pks)[ADVICE_KEY_BYTES], size_t n_admins,
				 const struct advice_ulog_state *known, const uint8_t *latest_event,
				 size_t latest_len, uint64_t now_ms)
{
	uint8_t h[ADVICE_HASH_BYTES];
	struct advice_ulog_state s;
	int rc;

	ulog_start(&s, unit_id, entries, lens, n, known);
	for (size_t i = 0; i < n; i++) {
		if ((rc = ulog_follow(&s, entries[i], lens[i], admin_pks, n_admins)) != 0)
			return rc;
		if (known != NULL && known->seq == s.seq &&
		    memcmp(known->head, s.head, ADVICE_HASH_BYTES) != 0)
			return -ADVICE_ERR_WITHHELD; /* a fork of what this client saw */
	}
	if (known != NULL && known->seq > s.seq)
		return -ADVICE_ERR_WITHHELD; /* rolled back */
	if (s.seq == 0 || s.valid_until < now_ms)
		return -ADVICE_ERR_WITHHELD; /* newer entries may be held back */
	if (latest_event == NULL) {
		if (s.generation != 0)
			return -ADVICE_ERR_WITHHELD;
	} else {
		advice_hash(h, latest_event, latest_len);
		if (s.generation == 0 || memcmp(h, s.gen_event, ADVICE_HASH_BYTES) != 0)
			return -ADVICE_ERR_WITHHELD;
	}
	*out = s;
	return 0;
}

ADVICE_API int advice_ulog_revoked(const uint8_t *const *entries, const size_t *lens, size_t n,
				   const uint8_t signer_kid[ADVICE_KID_BYTES], uint64_t at)
{
	struct advice_ulog_entry e;

	for (size_t i = 0; i < n; i++)
		if (advice_ulog_parse(entries[i], lens[i], &e) == 0 && e.kind == ADVICE_ULOG_REVOKE &&
		    memcmp(e.subject + ADVICE_OID_BYTES, signer_kid, ADVICE_KID_BYTES) == 0 && e.at <= at)
			return -ADVICE_ERR_REVOKED;
	return 0;
}

/* --- Thread epoch events --- */

ADVICE_API int advice_epoch_event_sign(uint8_t *out, size_t cap, size_t *outlen,
				       struct advice_epoch_event *ev, const struct advice_keys *signer)
{
	size_t body = P_RECIP + ADVICE_KID_BYTES * (size_t)ev->n_recipients;

	if (ev->epoch == 0 || ev->prev_epoch + 1 != ev->epoch || ev->n_recipients == 0 ||
	    ev->n_recipients > ADVICE_EPOCH_MAX_RECIPIENTS || ev->reason == 0 ||
	    ev->reason > ADVICE_EPOCH_CONSENT || cap < body + ADVICE_SIG_BYTES)
		return -ADVICE_ERR_INVAL;
	advice_kid(ev->signer_kid, signer->sign_pk);
	advice__prefix_put(out, ADVICE_OBJ_EPOCH_EVENT);
	memcpy(out + P_THREAD, ev->thread_id, ADVICE_OID_BYTES);
	advice__put32(out + P_EPOCH, ev->epoch);
	advice__put32(out + P_PREVE, ev->prev_epoch);
	memcpy(out + P_PREVH, ev->prev_hash, ADVICE_HASH_BYTES);
	out[P_REASON] = ev->reason;
	advice__put64(out + P_TIME, ev->created_at);
	memcpy(out + P_SIGNER, ev->signer_kid, ADVICE_KID_BYTES);
	out[P_N] = ev->n_recipients;
	for (size_t i = 0; i < ev->n_recipients; i++)
		memcpy(out + P_RECIP + ADVICE_KID_BYTES * i, ev->recipients[i], ADVICE_KID_BYTES);
	*outlen = body + ADVICE_SIG_BYTES;
	return advice__sign(out + body, SIG_EPOCH, out, body, NULL, 0, signer->sign_sk);
}

ADVICE_API int advice_epoch_event_parse(const uint8_t *in, size_t len, struct advice_epoch_event *ev)
{
	unsigned n;

	if (advice__prefix_check(in, len, ADVICE_OBJ_EPOCH_EVENT) != 0 || len < ADVICE_EPOCH_EVENT_BYTES(1))
		return -ADVICE_ERR_INVAL;
	n = in[P_N];
	if (n == 0 || n > ADVICE_EPOCH_MAX_RECIPIENTS || len != ADVICE_EPOCH_EVENT_BYTES(n) ||
	    advice__get32(in + P_EPOCH) == 0 ||
	    advice__get32(in + P_PREVE) + 1 != advice__get32(in + P_EPOCH) || in[P_REASON] == 0 ||
	    in[P_REASON] > ADVICE_EPOCH_CONSENT)
		return -ADVICE_ERR_INVAL;
	if (ev == NULL)
		return 0;
	memcpy(ev->thread_id, in + P_THREAD, ADVICE_OID_BYTES);
	ev->epoch = advice__get32(in + P_EPOCH);
	ev->prev_epoch = advice__get32(in + P_PREVE);
	memcpy(ev->prev_hash, in + P_PREVH, ADVICE_HASH_BYTES);
	ev->reason = in[P_REASON];
	ev->created_at = advice__get64(in + P_TIME);
	memcpy(ev->signer_kid, in + P_SIGNER, ADVICE_KID_BYTES);
	ev->n_recipients = (uint8_t)n;
	for (unsigned i = 0; i < n; i++)
		memcpy(ev->recipients[i], in + P_RECIP + ADVICE_KID_BYTES * i, ADVICE_KID_BYTES);
	return 0;
}

ADVICE_API int advice_epoch_event_verify(const uint8_t *in, size_t len,
					 const uint8_t thread_id[ADVICE_OID_BYTES],
					 const uint8_t signer_pk[ADVICE_KEY_BYTES], const uint8_t *prev,
					 size_t prev_len, struct advice_epoch_event *ev)
{
	uint8_t kid[ADVICE_KID_BYTES], h[ADVICE_HASH_BYTES];
	int rc;

	if ((rc = advice_epoch_event_parse(in, len, NULL)) != 0)
		return rc;
	advice_kid(kid, signer_pk);
	if (sodium_memcmp(kid, in + P_SIGNER, ADVICE_KID_BYTES) != 0 ||
	    memcmp(in + P_THREAD, thread_id, ADVICE_OID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if ((rc = advice__verify(in + len - ADVICE_SIG_BYTES, SIG_EPOCH, in, len - ADVICE_SIG_BYTES, NULL, 0,
				 signer_pk)) != 0)
		return rc;
	if (prev == NULL) {
		if (advice__get32(in + P_EPOCH) != 1 || memcmp(in + P_PREVH, zero32, ADVICE_HASH_BYTES) != 0)
			return -ADVICE_ERR_FORBIDDEN;
	} else {
		if ((rc = advice_epoch_event_parse(prev, prev_len, NULL)) != 0)
			return rc;
		advice_hash(h, prev, prev_len);
		if (memcmp(prev + P_THREAD, in + P_THREAD, ADVICE_OID_BYTES) != 0 ||
		    advice__get32(prev + P_EPOCH) != advice__get32(in + P_PREVE) ||
		    memcmp(h, in + P_PREVH, ADVICE_HASH_BYTES) != 0)
			return -ADVICE_ERR_FORBIDDEN;
	}
	return ev == NULL ? 0 : advice_epoch_event_parse(in, len, ev);
}

ADVICE_API int advice_epoch_writable(uint32_t epoch, uint32_t current,
				     const uint8_t (*holders)[ADVICE_KID_BYTES], size_t n,
				     const uint8_t unit_kid[ADVICE_KID_BYTES])
{
	if (epoch > current)
		return -ADVICE_ERR_INVAL;
	if (epoch < current)
		return -ADVICE_ERR_STALE_EPOCH;
	for (size_t i = 0; i < n; i++)
		if (memcmp(holders[i], unit_kid, ADVICE_KID_BYTES) == 0)
			return 0;
	return -ADVICE_ERR_STALE_EPOCH; /* sealed to an older generation of the unit: re-key first */
}

ADVICE_API int advice_epoch_message_check(const struct advice_envelope_hdr *h,
					  const struct advice_epoch_event *events, size_t n)
{
	const struct advice_epoch_event *next;

	if (h->epoch > n)
		return -ADVICE_ERR_STALE_EPOCH; /* an epoch nobody started */
	if (h->epoch == n)
		return 0;
	next = &events[h->epoch]; /* the event of epoch h->epoch + 1 */
	if (next->epoch != h->epoch + 1 || h->created_at > next->created_at + ADVICE_EPOCH_SKEW_MS)
		return -ADVICE_ERR_STALE_EPOCH;
	return 0;
}
