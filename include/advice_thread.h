/*
 * advice_thread.h - a reader's check of one thread's message envelopes against replay,
 * reordering and dropping by the server, and the staff certificates a reader needs to know
 * who wrote a message (libadvice).
 *
 * A thread verifier is fed the thread's envelopes in the server's order (thread.read, oldest
 * first) and keeps what it accepted. For each envelope it gives a verdict: accepted (ok, or
 * accepted with a warning the user should see: a gap, a late message, a fork) or refused (a
 * replay, a duplicate message id, another thread, an unacceptable sender, a bad signature,
 * a malformed envelope). Who may write is the caller's decision, asked through a callback,
 * so that device certificates, worker certificates and key epochs plug in without the
 * verifier knowing them. The rules are in proto/CRYPTO-FORMATS.md ("Thread order"); the
 * scenarios both implementations pass are in proto/vectors/thread.json. client-web's
 * src/crypto/thread.ts is the same verifier.
 */
#ifndef ADVICE_THREAD_H
#define ADVICE_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "advice_crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

enum advice_thread_verdict {
	/* Accepted: the caller shows the message (decrypting it with the key of its epoch). */
	ADVICE_THREAD_OK = 0,
	ADVICE_THREAD_GAP,  /* earlier messages are missing: a sequence jump, or prev names one not seen */
	ADVICE_THREAD_LATE, /* it comes after messages that follow it: the server reordered the thread */
	ADVICE_THREAD_FORK, /* its sender contradicts itself: a sequence used twice, or a prev hash
			       older than the sender's own previous message */
	/* Refused: the caller does not show the message. */
	ADVICE_THREAD_REPLAY,		/* byte for byte a message accepted already */
	ADVICE_THREAD_DUPLICATE_ID,	/* another accepted message has its message id */
	ADVICE_THREAD_WRONG_THREAD,	/* an envelope of another thread */
	ADVICE_THREAD_UNTRUSTED_SENDER, /* the callback does not accept the sender */
	ADVICE_THREAD_BAD_SIGNATURE,	/* the signature does not verify under the sender's key */
	ADVICE_THREAD_MALFORMED,	/* not an envelope (or sender sequence 0) */
	ADVICE_THREAD__COUNT
};

/* Whether a verdict accepts the message. */
#define ADVICE_THREAD_ACCEPTED(v) ((v) >= ADVICE_THREAD_OK && (v) <= ADVICE_THREAD_FORK)

/*
 * Asked once per envelope that passed the format and thread checks: 0 with the sender's
 * Ed25519 public key in sign_pk when the sender (h->sender_kid, at h->epoch, h->created_at)
 * may write in this thread, anything else to refuse it.
 */
typedef int (*advice_thread_sender_fn)(void *arg, const struct advice_envelope_hdr *h,
				       uint8_t sign_pk[ADVICE_KEY_BYTES]);

struct advice_thread;

/* A verifier of thread `thread_id` with no message yet; NULL when out of memory. */
struct advice_thread *advice_thread_new(const uint8_t thread_id[ADVICE_OID_BYTES],
					advice_thread_sender_fn sender, void *arg);
void advice_thread_free(struct advice_thread *t);

/*
 * Checks the next envelope in the server's order: a verdict (enum advice_thread_verdict,
 * >= 0), or -ADVICE_ERR_NOMEM (nothing changed). An accepted envelope is kept; h (may be NULL)
 * gets its header whenever it parsed.
 */
int advice_thread_add(struct advice_thread *t, const uint8_t *env, size_t len, struct advice_envelope_hdr *h);

/* The verdict's name ("ok", "gap", "late", "fork", "replay", "duplicate_id", "wrong_thread",
 * "untrusted_sender", "bad_signature", "malformed"), or NULL. */
const char *advice_thread_verdict_name(int verdict);

/* 1 when nothing known is missing: every prev hash names a message accepted, and every
 * sender's sequences run 1, 2, … without a hole; else 0. (The server can still withhold the
 * newest messages: nothing after them names them.) */
int advice_thread_complete(const struct advice_thread *t);

/* How many messages were accepted. */
size_t advice_thread_count(const struct advice_thread *t);

/*
 * What a writer puts in its next envelope: *seq = its last sequence + 1 (1 for its first),
 * prev_hash = H(the last accepted message), zeros when none. The writer feeds the thread to
 * its verifier (its own sent messages included, in the server's order) before writing again.
 */
void advice_thread_next(const struct advice_thread *t, const uint8_t sender_kid[ADVICE_KID_BYTES],
			uint64_t *seq, uint8_t prev_hash[ADVICE_HASH_BYTES]);

/*
 * Finds, among n certificates (n * ADVICE_CERT_BYTES bytes at certs, in any order: workers'
 * and their admins', as thread.read gives them), a worker or admin certificate whose
 * signing key has the kid `sign_kid` and whose chain verifies to the pinned root key at
 * now_ms (a worker's issuer must be among the certificates). 0 with *c the leaf, or
 * -ADVICE_ERR_FORBIDDEN when none does.
 */
int advice_cert_find(const uint8_t *certs, size_t n, const uint8_t sign_kid[ADVICE_KID_BYTES],
		     const uint8_t root_pk[ADVICE_KEY_BYTES], uint64_t now_ms, struct advice_cert *c);

#ifdef __cplusplus
}
#endif

#endif
