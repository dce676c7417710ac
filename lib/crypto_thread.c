/*
 * crypto_thread.c - the thread verifier of advice_thread.h: a reader's record of the
 * envelopes it accepted in one thread, which catches a server that replays, reorders or
 * drops messages (sender sequences, prev hashes, message ids), and the look-up of a staff
 * sender's certificate chain. Pure: no I/O, no clock; rules in proto/CRYPTO-FORMATS.md.
 */
#include <stdlib.h>
#include <string.h>

#include "advice_thread.h"
#include "crypto_int.h"

/* One accepted message. */
struct accepted {
	uint8_t hash[ADVICE_HASH_BYTES]; /* H(whole envelope) */
	uint8_t message_id[ADVICE_OID_BYTES];
	uint8_t sender_kid[ADVICE_KID_BYTES];
	uint64_t seq;
};

/* A prev hash that named a message not (yet) accepted. */
struct missing {
	uint8_t hash[ADVICE_HASH_BYTES];
};

struct advice_thread {
	uint8_t thread_id[ADVICE_OID_BYTES];
	advice_thread_sender_fn sender;
	void *arg;
	struct accepted *msgs; /* in the order accepted; the index is the position */
	size_t n, cap;
	struct missing *miss;
	size_t nmiss, capmiss;
};

static const uint8_t zero_hash[ADVICE_HASH_BYTES];

static const char *const verdict_names[ADVICE_THREAD__COUNT] = {
	[ADVICE_THREAD_OK] = "ok",
	[ADVICE_THREAD_GAP] = "gap",
	[ADVICE_THREAD_LATE] = "late",
	[ADVICE_THREAD_FORK] = "fork",
	[ADVICE_THREAD_REPLAY] = "replay",
	[ADVICE_THREAD_DUPLICATE_ID] = "duplicate_id",
	[ADVICE_THREAD_WRONG_THREAD] = "wrong_thread",
	[ADVICE_THREAD_UNTRUSTED_SENDER] = "untrusted_sender",
	[ADVICE_THREAD_BAD_SIGNATURE] = "bad_signature",
	[ADVICE_THREAD_MALFORMED] = "malformed",
};

ADVICE_API const char *advice_thread_verdict_name(int verdict)
{
	return verdict >= 0 && verdict < ADVICE_THREAD__COUNT ? verdict_names[verdict] : NULL;
}

ADVICE_API struct advice_thread *advice_thread_new(const uint8_t thread_id[ADVICE_OID_BYTES],
						   advice_thread_sender_fn sender, void *arg)
{
	struct advice_thread *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	memcpy(t->thread_id, thread_id, ADVICE_OID_BYTES);
	t->sender = sender;
	t->arg = arg;
	return t;
}

ADVICE_API void advice_thread_free(struct advice_thread *t)
{
	if (t == NULL)
		return;
	free(t->msgs);
	free(t->miss);
	free(t);
}

ADVICE_API size_t advice_thread_count(const struct advice_thread *t)
{
	return t->n;
}

/* The position of the accepted message with this hash, or -1. */
static long find_hash(const struct advice_thread *t, const uint8_t hash[ADVICE_HASH_BYTES])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->msgs[i].hash, hash, ADVICE_HASH_BYTES) == 0)
			return (long)i;
	return -1;
}

static int has_message_id(const struct advice_thread *t, const uint8_t id[ADVICE_OID_BYTES])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->msgs[i].message_id, id, ADVICE_OID_BYTES) == 0)
			return 1;
	return 0;
}

/* What the thread holds of one sender around sequence `seq`. */
struct sender_view {
	long same;	  /* a message with this sequence, or -1 */
	long before;	  /* the message with the highest sequence below it, or -1 */
	int has_previous; /* a message with sequence seq - 1 */
	int has_later;	  /* a message with a higher sequence */
};

static struct sender_view sender_view(const struct advice_thread *t, const uint8_t kid[ADVICE_KID_BYTES],
				      uint64_t seq)
{
	struct sender_view v = { .same = -1, .before = -1 };

	for (size_t i = 0; i < t->n; i++) {
		const struct accepted *m = &t->msgs[i];

		if (memcmp(m->sender_kid, kid, ADVICE_KID_BYTES) != 0)
			continue;
		if (m->seq == seq)
			v.same = (long)i;
		else if (m->seq > seq)
			v.has_later = 1;
		else if (v.before < 0 || m->seq > t->msgs[v.before].seq)
			v.before = (long)i;
		v.has_previous |= m->seq + 1 == seq;
	}
	return v;
}

static int worse(int a, int b)
{
	return a > b ? a : b;
}

/*
 * The order verdict of an envelope that passed every refusal (ok, gap, late or fork), and
 * whether its prev hash names a message not seen (*unknown_prev). Reads the thread only.
 */
static int order_verdict(const struct advice_thread *t, const struct advice_envelope_hdr *h,
			 const uint8_t hash[ADVICE_HASH_BYTES], int *unknown_prev)
{
	struct sender_view v = sender_view(t, h->sender_kid, h->sender_seq);
	int verdict = ADVICE_THREAD_OK;
	long target;

	*unknown_prev = 0;
	if (v.same >= 0)
		verdict = worse(verdict, ADVICE_THREAD_FORK);
	if (v.has_later)
		verdict = worse(verdict, ADVICE_THREAD_LATE);
	if (h->sender_seq > 1 && !v.has_previous)
		verdict = worse(verdict, ADVICE_THREAD_GAP);
	for (size_t i = 0; i < t->nmiss; i++)
		if (memcmp(t->miss[i].hash, hash, ADVICE_HASH_BYTES) == 0)
			verdict = worse(verdict, ADVICE_THREAD_LATE); /* named before it came */
	if (memcmp(h->prev_hash, zero_hash, ADVICE_HASH_BYTES) == 0)
		/* "Seen nothing" after an own earlier message contradicts it. */
		return v.before >= 0 ? worse(verdict, ADVICE_THREAD_FORK) : verdict;
	target = find_hash(t, h->prev_hash);
	if (target < 0) {
		*unknown_prev = 1;
		return worse(verdict, ADVICE_THREAD_GAP);
	}
	/* The sender saw its own previous message, so what it saw last cannot precede it, nor be
	 * one of its own later messages. */
	if ((v.before >= 0 && target < v.before) ||
	    (memcmp(t->msgs[target].sender_kid, h->sender_kid, ADVICE_KID_BYTES) == 0 &&
	     t->msgs[target].seq >= h->sender_seq))
		verdict = worse(verdict, ADVICE_THREAD_FORK);
	return verdict;
}

/* Makes room for one more accepted message and one more missing hash. 0 or -1. */
static int reserve(struct advice_thread *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct accepted *m = realloc(t->msgs, cap * sizeof *m);

		if (m == NULL)
			return -1;
		t->msgs = m;
		t->cap = cap;
	}
	if (t->nmiss == t->capmiss) {
		size_t cap = t->capmiss ? 2 * t->capmiss : 8;
		struct missing *m = realloc(t->miss, cap * sizeof *m);

		if (m == NULL)
			return -1;
		t->miss = m;
		t->capmiss = cap;
	}
	return 0;
}

/* Keeps an accepted message: its hash leaves the missing list, an unknown prev joins it. */
static void keep(struct advice_thread *t, const struct advice_envelope_hdr *h,
		 const uint8_t hash[ADVICE_HASH_BYTES], int unknown_prev)
{
	struct accepted *m = &t->msgs[t->n++];

	memcpy(m->hash, hash, ADVICE_HASH_BYTES);
	memcpy(m->message_id, h->message_id, ADVICE_OID_BYTES);
	memcpy(m->sender_kid, h->sender_kid, ADVICE_KID_BYTES);
	m->seq = h->sender_seq;
	for (size_t i = t->nmiss; i-- > 0;)
		if (memcmp(t->miss[i].hash, hash, ADVICE_HASH_BYTES) == 0)
			t->miss[i] = t->miss[--t->nmiss];
	if (unknown_prev) {
		for (size_t i = 0; i < t->nmiss; i++)
			if (memcmp(t->miss[i].hash, h->prev_hash, ADVICE_HASH_BYTES) == 0)
				return;
		memcpy(t->miss[t->nmiss++].hash, h->prev_hash, ADVICE_HASH_BYTES);
	}
}

ADVICE_API int advice_thread_add(struct advice_thread *t, const uint8_t *env, size_t len,
				 struct advice_envelope_hdr *out)
{
	struct advice_envelope_hdr h;
	uint8_t hash[ADVICE_HASH_BYTES], pk[ADVICE_KEY_BYTES];
	int verdict, unknown_prev = 0;

	if (env == NULL || advice_envelope_parse(env, len, &h) != 0)
		return ADVICE_THREAD_MALFORMED;
	if (out != NULL)
		*out = h;
	if (h.sender_seq == 0)
		return ADVICE_THREAD_MALFORMED;
	if (memcmp(h.thread_id, t->thread_id, ADVICE_OID_BYTES) != 0)
		return ADVICE_THREAD_WRONG_THREAD;
	advice_hash(hash, env, len);
	if (find_hash(t, hash) >= 0)
		return ADVICE_THREAD_REPLAY;
	if (t->sender == NULL || t->sender(t->arg, &h, pk) != 0)
		return ADVICE_THREAD_UNTRUSTED_SENDER;
	if (advice_envelope_verify(env, len, pk) != 0)
		return ADVICE_THREAD_BAD_SIGNATURE;
	if (has_message_id(t, h.message_id))
		return ADVICE_THREAD_DUPLICATE_ID;
	if (reserve(t) != 0)
		return -ADVICE_ERR_NOMEM;
	verdict = order_verdict(t, &h, hash, &unknown_prev);
	keep(t, &h, hash, unknown_prev);
	return verdict;
}

ADVICE_API int advice_thread_complete(const struct advice_thread *t)
{
	if (t->nmiss > 0)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		struct sender_view v = sender_view(t, t->msgs[i].sender_kid, t->msgs[i].seq);

		if (t->msgs[i].seq > 1 && !v.has_previous)
			return 0;
	}
	return 1;
}

ADVICE_API void advice_thread_next(const struct advice_thread *t, const uint8_t sender_kid[ADVICE_KID_BYTES],
				   uint64_t *seq, uint8_t prev_hash[ADVICE_HASH_BYTES])
{
	uint64_t last = 0;

	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->msgs[i].sender_kid, sender_kid, ADVICE_KID_BYTES) == 0 && t->msgs[i].seq > last)
			last = t->msgs[i].seq;
	*seq = last + 1;
	memcpy(prev_hash, t->n > 0 ? t->msgs[t->n - 1].hash : zero_hash, ADVICE_HASH_BYTES);
}

/* --- Staff senders: a certificate by its signing key's kid, chained to the root --- */

/* The certificate at index i whose signing key has kid `kid`, from i = from on; or -1. */
static long cert_with_kid(const uint8_t *certs, size_t n, size_t from, const uint8_t kid[ADVICE_KID_BYTES],
			  struct advice_cert *c)
{
	uint8_t k[ADVICE_KID_BYTES];

	for (size_t i = from; i < n; i++) {
		if (advice_cert_parse(certs + i * ADVICE_CERT_BYTES, ADVICE_CERT_BYTES, c) != 0)
			continue;
		advice_kid(k, c->sign_pk);
		if (memcmp(k, kid, ADVICE_KID_BYTES) == 0)
			return (long)i;
	}
	return -1;
}

/* 0 when the certificate at index `leaf` chains to the root through one of the issuers. */
static int cert_chains(const uint8_t *certs, size_t n, size_t leaf, const struct advice_cert *c,
		       const uint8_t root_pk[ADVICE_KEY_BYTES], uint64_t now_ms)
{
	const uint8_t *in = certs + leaf * ADVICE_CERT_BYTES;
	struct advice_cert issuer;

	if (c->role == ADVICE_ROLE_ADMIN)
		return advice_cert_verify(in, ADVICE_CERT_BYTES, NULL, 0, root_pk, now_ms, NULL);
	if (c->role != ADVICE_ROLE_WORKER)
		return -ADVICE_ERR_FORBIDDEN;
	for (long i = cert_with_kid(certs, n, 0, c->issuer_kid, &issuer); i >= 0;
	     i = cert_with_kid(certs, n, (size_t)i + 1, c->issuer_kid, &issuer))
		if (advice_cert_verify(in, ADVICE_CERT_BYTES, certs + (size_t)i * ADVICE_CERT_BYTES,
				       ADVICE_CERT_BYTES, root_pk, now_ms, NULL) == 0)
			return 0;
	return -ADVICE_ERR_FORBIDDEN;
}

ADVICE_API int advice_cert_find(const uint8_t *certs, size_t n, const uint8_t sign_kid[ADVICE_KID_BYTES],
				const uint8_t root_pk[ADVICE_KEY_BYTES], uint64_t now_ms,
				struct advice_cert *c)
{
	struct advice_cert leaf;

	if (certs == NULL && n > 0)
		return -ADVICE_ERR_INVAL;
	for (long i = cert_with_kid(certs, n, 0, sign_kid, &leaf); i >= 0;
	     i = cert_with_kid(certs, n, (size_t)i + 1, sign_kid, &leaf))
		if (cert_chains(certs, n, (size_t)i, &leaf, root_pk, now_ms) == 0) {
			if (c != NULL)
				*c = leaf;
			return 0;
		}
	return -ADVICE_ERR_FORBIDDEN;
}
