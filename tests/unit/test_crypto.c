/*
 * test_crypto.c - unit tests of libadvice's end-to-end encryption (lib/crypto_*.c): every
 * construction round trips; flipping any byte of an envelope, a wrap, a chain box, a bundle,
 * a certificate, a unit event or a file chunk is detected; unknown versions, suites, types
 * and flags are refused; a message moved into another thread fails; and the flows of the
 * model: rotation when a member leaves (the removed worker cannot open a thread created
 * after it, remaining and new members reach older generations through the chain), the
 * citizen's new device re-wrap, and reassignment to another unit without any server key.
 * The known-answer vectors are checked by `crypto_tool check` (tests/crypto/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "advice_crypto.h"

#define NOW 1770000000000ULL

static void keys_new(struct advice_keys *k)
{
	uint8_t seed[32];

	advice_random(seed, sizeof(seed));
	assert_int_equal(advice_keys_personal(k, seed), 0);
}

/* A unit generation: seed, keys, chain key. */
struct gen {
	uint8_t seed[32];
	uint8_t chain[32];
	struct advice_keys k;
};

static void gen_new(struct gen *g)
{
	advice_random(g->seed, sizeof(g->seed));
	assert_int_equal(advice_keys_unit(&g->k, g->chain, g->seed), 0);
}

static void wrap_to(uint8_t out[ADVICE_WRAP_BYTES], uint8_t kind, const uint8_t scope[16], uint32_t epoch,
		    const uint8_t *box_pk, const uint8_t key[32], const struct advice_keys *signer)
{
	uint8_t eph[32];

	advice_random(eph, sizeof(eph));
	assert_int_equal(advice_wrap_seal(out, kind, scope, epoch, box_pk, key, eph, signer), 0);
}

/* A sealed envelope with text in a thread. */
static size_t envelope_make(uint8_t *out, const uint8_t tid[16], const uint8_t mkey[32],
			    const struct advice_keys *sender, const char *text)
{
	struct advice_envelope_hdr h;
	size_t len = 0;

	memset(&h, 0, sizeof(h));
	memcpy(h.thread_id, tid, 16);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	h.created_at = NOW;
	assert_int_equal(advice_envelope_seal(out, ADVICE_ENVELOPE_MAX_BYTES, &len, &h, mkey,
					      (const uint8_t *)text, strlen(text), sender),
			 0);
	return len;
}

static void test_seal_is_crypto_box_seal(void **state)
{
	struct advice_keys r;
	uint8_t eph[32], msg[50], sealed[98], back[50], kid1[16], kid2[16];

	(void)state;
	keys_new(&r);
	advice_random(eph, 32);
	advice_random(msg, sizeof(msg));
	assert_int_equal(advice_seal(sealed, msg, sizeof(msg), r.box_pk, eph), 0);
	assert_int_equal(crypto_box_seal_open(back, sealed, sizeof(sealed), r.box_pk, r.box_sk), 0);
	assert_memory_equal(back, msg, sizeof(msg));
	sealed[60] ^= 1;
	assert_int_not_equal(crypto_box_seal_open(back, sealed, sizeof(sealed), r.box_pk, r.box_sk), 0);
	advice_kid(kid1, r.box_pk);
	advice_kid(kid2, r.sign_pk);
	assert_memory_not_equal(kid1, kid2, 16);
}

static void test_envelope_round_trip_and_padding(void **state)
{
	struct advice_keys sender, other;
	uint8_t tkey[32], share[32], tid[16], mkey[32], env[ADVICE_ENVELOPE_MAX_BYTES],
		plain[ADVICE_ENVELOPE_MAX_BYTES];
	struct advice_envelope_hdr h;
	size_t len, plen = 0;
	char *big;

	(void)state;
	keys_new(&sender);
	keys_new(&other);
	advice_random(tkey, 32);
	advice_random(share, 32);
	advice_random(tid, 16);
	assert_int_equal(advice_thread_msg_key(mkey, tkey, tid, 0, share), 0);
	len = envelope_make(env, tid, mkey, &sender, "hello");
	assert_int_equal(len, ADVICE_ENVELOPE_MIN_BYTES); /* short texts pad to one 256-byte block */
	assert_int_equal(
		advice_envelope_open(plain, sizeof(plain), &plen, &h, env, len, tid, mkey, sender.sign_pk),
		0);
	assert_int_equal(plen, 5);
	assert_memory_equal(plain, "hello", 5);
	/* Another sender's key does not verify. */
	assert_int_equal(
		advice_envelope_open(plain, sizeof(plain), &plen, &h, env, len, tid, mkey, other.sign_pk),
		-ADVICE_ERR_FORBIDDEN);
	/* 255 bytes fit one block, 256 need two; the largest plaintext fits the body limit. */
	big = malloc(ADVICE_ENVELOPE_MAX_PLAIN + 2);
	memset(big, 'a', ADVICE_ENVELOPE_MAX_PLAIN + 1);
	big[255] = '\0';
	assert_int_equal(envelope_make(env, tid, mkey, &sender, big), ADVICE_ENVELOPE_MIN_BYTES);
	big[255] = 'a';
	big[256] = '\0';
	assert_int_equal(envelope_make(env, tid, mkey, &sender, big), ADVICE_ENVELOPE_MIN_BYTES + 256);
	big[256] = 'a';
	big[ADVICE_ENVELOPE_MAX_PLAIN] = '\0';
	len = envelope_make(env, tid, mkey, &sender, big);
	assert_true(len <= ADVICE_ENVELOPE_MAX_BYTES);
	big[ADVICE_ENVELOPE_MAX_PLAIN] = 'a';
	big[ADVICE_ENVELOPE_MAX_PLAIN + 1] = '\0';
	memset(&h, 0, sizeof(h));
	assert_int_equal(advice_envelope_seal(env, sizeof(env), &len, &h, mkey, (const uint8_t *)big,
					      strlen(big), &sender),
			 -ADVICE_ERR_INVAL);
	free(big);
}

static void test_envelope_every_byte_flip(void **state)
{
	struct advice_keys sender;
	uint8_t tkey[32], share[32], tid[16], mkey[32], env[ADVICE_ENVELOPE_MAX_BYTES],
		plain[ADVICE_ENVELOPE_MAX_BYTES];
	struct advice_envelope_hdr h;
	size_t len, plen = 0;

	(void)state;
	keys_new(&sender);
	advice_random(tkey, 32);
	advice_random(share, 32);
	advice_random(tid, 16);
	advice_thread_msg_key(mkey, tkey, tid, 1, share);
	len = envelope_make(env, tid, mkey, &sender, "canary-envelope");
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			env[i] ^= (uint8_t)(1u << bit);
			int rc = advice_envelope_open(plain, sizeof(plain), &plen, &h, env, len, tid, mkey,
						      sender.sign_pk);
			assert_true(rc == -ADVICE_ERR_FORBIDDEN || rc == -ADVICE_ERR_INVAL);
			env[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* The server's check (signature without the key) agrees. */
	assert_int_equal(advice_envelope_verify(env, len, sender.sign_pk), 0);
	env[len - 1] ^= 1;
	assert_int_equal(advice_envelope_verify(env, len, sender.sign_pk), -ADVICE_ERR_FORBIDDEN);
	env[len - 1] ^= 1;
	env[200] ^= 1;
	assert_int_equal(advice_envelope_verify(env, len, sender.sign_pk), -ADVICE_ERR_FORBIDDEN);
	env[200] ^= 1;
	/* Truncated or extended by a byte: refused by the format check. */
	assert_int_equal(advice_envelope_parse(env, len - 1, NULL), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_envelope_parse(env, len + 1, NULL), -ADVICE_ERR_INVAL);
	assert_int_equal(
		advice_envelope_open(plain, sizeof(plain), &plen, &h, env, len, tid, mkey, sender.sign_pk),
		0);
}

static void test_envelope_moved_to_another_thread(void **state)
{
	struct advice_keys sender;
	uint8_t tkey[32], share[32], tid[16], tid2[16], mkey[32], mkey2[32];
	uint8_t env[ADVICE_ENVELOPE_MAX_BYTES], plain[ADVICE_ENVELOPE_MAX_BYTES];
	struct advice_envelope_hdr h;
	size_t len, plen = 0;

	(void)state;
	keys_new(&sender);
	advice_random(tkey, 32);
	advice_random(share, 32);
	advice_random(tid, 16);
	advice_random(tid2, 16);
	advice_thread_msg_key(mkey, tkey, tid, 0, share);
	advice_thread_msg_key(mkey2, tkey, tid2, 0, share);
	len = envelope_make(env, tid, mkey, &sender, "for thread one");
	/* The reader of thread two refuses it, with either thread's key. */
	assert_int_equal(
		advice_envelope_open(plain, sizeof(plain), &plen, &h, env, len, tid2, mkey2, sender.sign_pk),
		-ADVICE_ERR_FORBIDDEN);
	assert_int_equal(
		advice_envelope_open(plain, sizeof(plain), &plen, &h, env, len, tid2, mkey, sender.sign_pk),
		-ADVICE_ERR_FORBIDDEN);
	/* Rewriting the thread id in the header breaks the signature. */
	memcpy(env + 6, tid2, 16);
	assert_int_equal(
		advice_envelope_open(plain, sizeof(plain), &plen, &h, env, len, tid2, mkey2, sender.sign_pk),
		-ADVICE_ERR_FORBIDDEN);
}

/* Opens `env` (sealed for `tid` by `sender`) with `mkey`: 0 and the text, or the error. */
static int open_text(const uint8_t *env, size_t len, const uint8_t tid[16], const uint8_t mkey[32],
		     const struct advice_keys *sender, char text[64])
{
	uint8_t plain[ADVICE_ENVELOPE_MAX_BYTES];
	struct advice_envelope_hdr h;
	size_t plen = 0;
	int rc = advice_envelope_open(plain, sizeof(plain), &plen, &h, env, len, tid, mkey, sender->sign_pk);

	if (rc == 0) {
		assert_true(plen < 64);
		memcpy(text, plain, plen);
		text[plen] = '\0';
	}
	return rc;
}

/* The message key binds the epoch and the shred share: a key of another epoch, or of the
 * same epoch with another share, does not decrypt (the thread and signature being right). */
static void test_msg_key_binds_epoch_and_share(void **state)
{
	struct advice_keys sender;
	uint8_t tkey[32], share[32], share2[32], tid[16], mkey[32], epoch1[32], other_share[32];
	uint8_t env[ADVICE_ENVELOPE_MAX_BYTES];
	char text[64];
	size_t len;

	(void)state;
	keys_new(&sender);
	advice_random(tkey, 32);
	advice_random(share, 32);
	advice_random(share2, 32);
	advice_random(tid, 16);
	advice_thread_msg_key(mkey, tkey, tid, 0, share);
	advice_thread_msg_key(epoch1, tkey, tid, 1, share);
	advice_thread_msg_key(other_share, tkey, tid, 0, share2);
	len = envelope_make(env, tid, mkey, &sender, "epoch zero");
	assert_int_equal(open_text(env, len, tid, mkey, &sender, text), 0);
	assert_string_equal(text, "epoch zero");
	assert_int_equal(open_text(env, len, tid, epoch1, &sender, text), -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(open_text(env, len, tid, other_share, &sender, text), -ADVICE_ERR_FORBIDDEN);
	assert_memory_not_equal(mkey, epoch1, 32);
	assert_memory_not_equal(mkey, other_share, 32);
}

static void test_unknown_versions_refused(void **state)
{
	struct advice_keys sender, signer, r;
	uint8_t tkey[32], share[32], tid[16], mkey[32], env[ADVICE_ENVELOPE_MAX_BYTES], w[ADVICE_WRAP_BYTES];
	size_t len;
	const size_t fields[] = { 0, 1, 2, 3, 4, 5 };

	(void)state;
	keys_new(&sender);
	keys_new(&signer);
	keys_new(&r);
	advice_random(tkey, 32);
	advice_random(share, 32);
	advice_random(tid, 16);
	advice_thread_msg_key(mkey, tkey, tid, 0, share);
	len = envelope_make(env, tid, mkey, &sender, "x");
	wrap_to(w, ADVICE_WRAP_THREAD_KEY, tid, 0, r.box_pk, tkey, &signer);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		env[fields[i]] ^= 0x02;
		w[fields[i]] ^= 0x02;
		assert_int_equal(advice_envelope_parse(env, len, NULL), -ADVICE_ERR_INVAL);
		assert_int_equal(advice_wrap_parse(w, sizeof(w), NULL), -ADVICE_ERR_INVAL);
		env[fields[i]] ^= 0x02;
		w[fields[i]] ^= 0x02;
	}
	/* An envelope is no wrap and the other way round. */
	assert_int_equal(advice_wrap_parse(env, ADVICE_WRAP_BYTES, NULL), -ADVICE_ERR_INVAL);
	w[6] = 9; /* unknown wrap kind */
	assert_int_equal(advice_wrap_parse(w, sizeof(w), NULL), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_wrap_seal(w, 9, tid, 0, r.box_pk, tkey, tkey, &signer), -ADVICE_ERR_INVAL);
}

static void test_wrap_every_byte_flip(void **state)
{
	struct advice_keys signer, r;
	struct advice_wrap_info wi;
	uint8_t tid[16], key[32], out[32], w[ADVICE_WRAP_BYTES];

	(void)state;
	keys_new(&signer);
	keys_new(&r);
	advice_random(tid, 16);
	advice_random(key, 32);
	wrap_to(w, ADVICE_WRAP_THREAD_KEY, tid, 3, r.box_pk, key, &signer);
	assert_int_equal(
		advice_wrap_open(out, &wi, w, sizeof(w), ADVICE_WRAP_THREAD_KEY, tid, 3, &r, signer.sign_pk),
		0);
	assert_memory_equal(out, key, 32);
	assert_int_equal(wi.epoch, 3);
	assert_memory_equal(wi.scope_id, tid, 16);
	for (size_t i = 0; i < sizeof(w); i++) {
		w[i] ^= 0x01;
		int rc = advice_wrap_open(out, &wi, w, sizeof(w), ADVICE_WRAP_THREAD_KEY, tid, 3, &r,
					  signer.sign_pk);
		assert_true(rc == -ADVICE_ERR_FORBIDDEN || rc == -ADVICE_ERR_INVAL);
		w[i] ^= 0x01;
	}
	/* The wrong recipient or signer is refused. */
	assert_int_equal(advice_wrap_open(out, &wi, w, sizeof(w), ADVICE_WRAP_THREAD_KEY, tid, 3, &signer,
					  signer.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(
		advice_wrap_open(out, &wi, w, sizeof(w), ADVICE_WRAP_THREAD_KEY, tid, 3, &r, r.sign_pk),
		-ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_wrap_parse(w, sizeof(w) - 1, NULL), -ADVICE_ERR_INVAL);
}

/* A wrap whose outer fields were re-signed by the signer but whose sealed record names another thread. */
static void test_wrap_inner_record_binds_thread(void **state)
{
	struct advice_keys signer, r;
	struct advice_wrap_info wi;
	uint8_t tid[16], tid2[16], key[32], out[32], w[ADVICE_WRAP_BYTES], w2[ADVICE_WRAP_BYTES];

	(void)state;
	keys_new(&signer);
	keys_new(&r);
	advice_random(tid, 16);
	advice_random(tid2, 16);
	advice_random(key, 32);
	wrap_to(w, ADVICE_WRAP_THREAD_KEY, tid, 0, r.box_pk, key, &signer);
	wrap_to(w2, ADVICE_WRAP_THREAD_KEY, tid2, 0, r.box_pk, key, &signer);
	/* Splice thread one's sealed record into thread two's signed outer record: the signature fails. */
	memcpy(w2 + 59, w + 59, ADVICE_WRAP_SEALED_BYTES);
	assert_int_equal(advice_wrap_open(out, &wi, w2, sizeof(w2), ADVICE_WRAP_THREAD_KEY, tid2, 0, &r,
					  signer.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
}

static void test_bundle(void **state)
{
	struct advice_bundle_info bi, got;
	uint8_t master[32], key[32], nonce[24], seed[32], out[32], b[ADVICE_BUNDLE_BYTES], other[16];

	(void)state;
	memset(&bi, 0, sizeof(bi));
	advice_random(bi.user_id, 16);
	advice_random(bi.salt, 16);
	advice_random(seed, 32);
	advice_random(nonce, 24);
	bi.version = 1;
	bi.opslimit = ADVICE_PWHASH_OPS_MIN;
	bi.memlimit = ADVICE_PWHASH_MEM_MIN;
	/* Below the floor or above the ceiling nothing is derived. */
	assert_int_equal(advice_password_master(master, "pw", bi.salt, 1, ADVICE_PWHASH_MEM_MIN),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_password_master(master, "pw", bi.salt, 2, ADVICE_PWHASH_MEM_MIN - 1),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_password_master(master, "pw", bi.salt, 17, ADVICE_PWHASH_MEM_MIN),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_password_master(master, "pw", bi.salt, 2, ADVICE_PWHASH_MEM_MAX + 1),
			 -ADVICE_ERR_INVAL);
	bi.opslimit = 1;
	assert_int_equal(advice_bundle_seal(b, &bi, key, nonce, seed), -ADVICE_ERR_INVAL);
	bi.opslimit = ADVICE_PWHASH_OPS_MIN;
	assert_int_equal(advice_password_master(master, "pw", bi.salt, 2, ADVICE_PWHASH_MEM_MIN), 0);
	advice_bundle_key(key, master);
	assert_int_equal(advice_bundle_seal(b, &bi, key, nonce, seed), 0);
	assert_int_equal(advice_bundle_parse(b, sizeof(b), &got), 0);
	assert_int_equal(got.opslimit, ADVICE_PWHASH_OPS_MIN);
	assert_memory_equal(got.salt, bi.salt, 16);
	assert_int_equal(advice_bundle_open(out, b, sizeof(b), bi.user_id, key), 0);
	assert_memory_equal(out, seed, 32);
	advice_random(other, 16);
	assert_int_equal(advice_bundle_open(out, b, sizeof(b), other, key), -ADVICE_ERR_FORBIDDEN);
	for (size_t i = 0; i < sizeof(b); i++) {
		b[i] ^= 0x10;
		assert_int_not_equal(advice_bundle_open(out, b, sizeof(b), bi.user_id, key), 0);
		b[i] ^= 0x10;
	}
	/* A wrong password gives another key. */
	assert_int_equal(advice_password_master(master, "wrong", bi.salt, 2, ADVICE_PWHASH_MEM_MIN), 0);
	advice_bundle_key(key, master);
	assert_int_equal(advice_bundle_open(out, b, sizeof(b), bi.user_id, key), -ADVICE_ERR_FORBIDDEN);
}

static void cert_make(uint8_t out[ADVICE_CERT_BYTES], uint8_t role, const struct advice_keys *subject,
		      const struct advice_keys *issuer)
{
	struct advice_cert c;

	memset(&c, 0, sizeof(c));
	c.role = role;
	advice_random(c.subject_id, 16);
	memcpy(c.sign_pk, subject->sign_pk, 32);
	memcpy(c.box_pk, subject->box_pk, 32);
	c.not_before = NOW - 1000;
	c.not_after = NOW + 1000;
	assert_int_equal(advice_cert_sign(out, &c, issuer), 0);
}

static void test_cert_chain(void **state)
{
	struct advice_keys root, admin, worker, rogue;
	uint8_t ac[ADVICE_CERT_BYTES], wc[ADVICE_CERT_BYTES], rc_[ADVICE_CERT_BYTES], self[ADVICE_CERT_BYTES];
	struct advice_cert c;

	(void)state;
	keys_new(&root);
	keys_new(&admin);
	keys_new(&worker);
	keys_new(&rogue);
	cert_make(ac, ADVICE_ROLE_ADMIN, &admin, &root);
	cert_make(wc, ADVICE_ROLE_WORKER, &worker, &admin);
	assert_int_equal(advice_cert_verify(wc, sizeof(wc), ac, sizeof(ac), root.sign_pk, NOW, &c), 0);
	assert_memory_equal(c.box_pk, worker.box_pk, 32);
	assert_int_equal(advice_cert_verify(ac, sizeof(ac), NULL, 0, root.sign_pk, NOW, NULL), 0);
	/* Expired, not yet valid, another root, no issuer, a worker as issuer, a self-made admin. */
	assert_int_equal(advice_cert_verify(wc, sizeof(wc), ac, sizeof(ac), root.sign_pk, NOW + 1001, NULL),
			 -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_cert_verify(wc, sizeof(wc), ac, sizeof(ac), root.sign_pk, NOW - 1001, NULL),
			 -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_cert_verify(wc, sizeof(wc), ac, sizeof(ac), rogue.sign_pk, NOW, NULL),
			 -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_cert_verify(wc, sizeof(wc), NULL, 0, root.sign_pk, NOW, NULL),
			 -ADVICE_ERR_FORBIDDEN);
	cert_make(rc_, ADVICE_ROLE_WORKER, &rogue, &worker);
	assert_int_equal(advice_cert_verify(rc_, sizeof(rc_), wc, sizeof(wc), root.sign_pk, NOW, NULL),
			 -ADVICE_ERR_FORBIDDEN);
	cert_make(self, ADVICE_ROLE_ADMIN, &rogue, &rogue);
	assert_int_equal(advice_cert_verify(self, sizeof(self), NULL, 0, root.sign_pk, NOW, NULL),
			 -ADVICE_ERR_FORBIDDEN);
	for (size_t i = 0; i < sizeof(wc); i++) {
		wc[i] ^= 0x04;
		assert_int_not_equal(
			advice_cert_verify(wc, sizeof(wc), ac, sizeof(ac), root.sign_pk, NOW, NULL), 0);
		wc[i] ^= 0x04;
	}
	assert_int_equal(advice_cert_parse(wc, sizeof(wc) - 1, NULL), -ADVICE_ERR_INVAL);
}

/* --- Unit flows --- */

struct unit {
	uint8_t id[16];
	uint32_t g;
	struct gen gens[4];
	uint8_t events[4][ADVICE_UNIT_EVENT_MAX_BYTES];
	size_t event_len[4];
	uint8_t chain[4][ADVICE_CHAIN_BYTES];
};

/* Starts generation g + 1 for the members, with its event, chain box and seed wraps. */
static void unit_rotate(struct unit *u, const struct advice_keys *admin, const struct advice_keys *members,
			size_t n, uint8_t wraps[][ADVICE_WRAP_BYTES])
{
	struct advice_unit_event *ev = calloc(1, sizeof(*ev));
	uint32_t g = ++u->g;
	struct gen *cur = &u->gens[g - 1];
	uint8_t nonce[24];

	gen_new(cur);
	memcpy(ev->unit_id, u->id, 16);
	ev->generation = g;
	memcpy(ev->box_pk, cur->k.box_pk, 32);
	memcpy(ev->sign_pk, cur->k.sign_pk, 32);
	if (g > 1)
		advice_hash(ev->prev_hash, u->events[g - 2], u->event_len[g - 2]);
	ev->created_at = NOW + g;
	ev->n_members = (uint16_t)n;
	for (size_t i = 0; i < n; i++) {
		advice_kid(ev->members[i], members[i].box_pk);
		wrap_to(wraps[i], ADVICE_WRAP_UNIT_SEED, u->id, g, members[i].box_pk, cur->seed, admin);
	}
	assert_int_equal(advice_unit_event_sign(u->events[g - 1], ADVICE_UNIT_EVENT_MAX_BYTES,
						&u->event_len[g - 1], ev, admin),
			 0);
	if (g > 1) {
		advice_random(nonce, 24);
		assert_int_equal(
			advice_chain_seal(u->chain[g - 1], u->id, g, cur->chain, nonce, u->gens[g - 2].seed),
			0);
	}
	free(ev);
}

/* What a member's client does: open the seed wrap of generation g and check it against the signed event. */
static int member_open_gen(const struct unit *u, uint32_t g, const uint8_t wrap[ADVICE_WRAP_BYTES],
			   const struct advice_keys *member, const struct advice_keys *admin, struct gen *out)
{
	struct advice_unit_event *ev = calloc(1, sizeof(*ev));
	int rc;

	rc = advice_unit_event_verify(u->events[g - 1], u->event_len[g - 1], admin->sign_pk,
				      g > 1 ? u->events[g - 2] : NULL, g > 1 ? u->event_len[g - 2] : 0, ev);
	if (rc == 0)
		rc = advice_unit_seed_open(out->seed, &out->k, out->chain, wrap, ADVICE_WRAP_BYTES, ev,
					   member, admin->sign_pk);
	free(ev);
	return rc;
}

static void test_rotation_on_removal(void **state)
{
	struct advice_keys admin, m[3], citizen, newcomer;
	struct unit *u = calloc(1, sizeof(*u));
	uint8_t w1[3][ADVICE_WRAP_BYTES], w2[3][ADVICE_WRAP_BYTES], wn[1][ADVICE_WRAP_BYTES];
	uint8_t old_tid[16], new_tid[16], tkey[32], tkey2[32], out[32], tw_old[ADVICE_WRAP_BYTES],
		tw_new[ADVICE_WRAP_BYTES];
	uint8_t prev[32];
	struct gen got, got_old;
	struct advice_wrap_info wi;

	(void)state;
	keys_new(&admin);
	keys_new(&citizen);
	keys_new(&newcomer);
	for (int i = 0; i < 3; i++)
		keys_new(&m[i]);
	advice_random(u->id, 16);
	unit_rotate(u, &admin, m, 3, w1);
	/* A thread created under generation 1. */
	advice_random(old_tid, 16);
	advice_random(tkey, 32);
	wrap_to(tw_old, ADVICE_WRAP_THREAD_KEY, old_tid, 0, u->gens[0].k.box_pk, tkey, &citizen);
	assert_int_equal(member_open_gen(u, 1, w1[2], &m[2], &admin, &got), 0);
	assert_int_equal(advice_wrap_open(out, &wi, tw_old, sizeof(tw_old), ADVICE_WRAP_THREAD_KEY, old_tid,
					  0, &got.k, citizen.sign_pk),
			 0);

	/* Member 2 leaves: generation 2 for members 0 and 1 only. */
	unit_rotate(u, &admin, m, 2, w2);
	advice_unit_event_parse(u->events[1], u->event_len[1], NULL);
	advice_random(new_tid, 16);
	advice_random(tkey2, 32);
	wrap_to(tw_new, ADVICE_WRAP_THREAD_KEY, new_tid, 0, u->gens[1].k.box_pk, tkey2, &citizen);
	/* The removed worker has no seed wrap of generation 2; none of the wraps opens with their key, and
	 * generation 1 (which they hold) does not open the new thread. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(member_open_gen(u, 2, w2[i], &m[2], &admin, &got), -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(member_open_gen(u, 1, w1[2], &m[2], &admin, &got), 0);
	assert_int_equal(advice_wrap_open(out, &wi, tw_new, sizeof(tw_new), ADVICE_WRAP_THREAD_KEY, new_tid,
					  0, &got.k, citizen.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	/* A remaining member reads the new thread, and the old one through the chain box. */
	assert_int_equal(member_open_gen(u, 2, w2[1], &m[1], &admin, &got), 0);
	assert_int_equal(advice_wrap_open(out, &wi, tw_new, sizeof(tw_new), ADVICE_WRAP_THREAD_KEY, new_tid,
					  0, &got.k, citizen.sign_pk),
			 0);
	assert_memory_equal(out, tkey2, 32);
	assert_int_equal(
		advice_chain_open(got_old.seed, u->chain[1], sizeof(u->chain[1]), u->id, 2, got.chain), 0);
	advice_keys_unit(&got_old.k, got_old.chain, got_old.seed);
	assert_int_equal(advice_wrap_open(out, &wi, tw_old, sizeof(tw_old), ADVICE_WRAP_THREAD_KEY, old_tid,
					  0, &got_old.k, citizen.sign_pk),
			 0);
	assert_memory_equal(out, tkey, 32);
	/* A worker added later gets the current seed only and still reaches generation 1 through the chain.
	 */
	wrap_to(wn[0], ADVICE_WRAP_UNIT_SEED, u->id, 2, newcomer.box_pk, u->gens[1].seed, &admin);
	assert_int_equal(member_open_gen(u, 2, wn[0], &newcomer, &admin, &got), 0);
	assert_int_equal(
		advice_chain_open(got_old.seed, u->chain[1], sizeof(u->chain[1]), u->id, 2, got.chain), 0);
	assert_memory_equal(got_old.seed, u->gens[0].seed, 32);
	/* The unit log refuses a gap, a fork and a wrong signer. */
	assert_int_equal(
		advice_unit_event_verify(u->events[1], u->event_len[1], admin.sign_pk, NULL, 0, NULL),
		-ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_unit_event_verify(u->events[1], u->event_len[1], citizen.sign_pk,
						  u->events[0], u->event_len[0], NULL),
			 -ADVICE_ERR_FORBIDDEN);
	memcpy(prev, u->events[0] + 90, 32);
	u->events[0][100] ^= 1; /* the previous event changed after the fact */
	assert_int_equal(advice_unit_event_verify(u->events[1], u->event_len[1], admin.sign_pk, u->events[0],
						  u->event_len[0], NULL),
			 -ADVICE_ERR_FORBIDDEN);
	u->events[0][100] ^= 1;
	for (size_t i = 0; i < u->event_len[1]; i++) {
		u->events[1][i] ^= 0x20;
		assert_int_not_equal(advice_unit_event_verify(u->events[1], u->event_len[1], admin.sign_pk,
							      u->events[0], u->event_len[0], NULL),
				     0);
		u->events[1][i] ^= 0x20;
	}
	for (size_t i = 0; i < ADVICE_CHAIN_BYTES; i++) {
		u->chain[1][i] ^= 0x08;
		assert_int_not_equal(
			advice_chain_open(got_old.seed, u->chain[1], ADVICE_CHAIN_BYTES, u->id, 2, got.chain),
			0);
		u->chain[1][i] ^= 0x08;
	}
	free(u);
}

/* A citizen's new device: a unit member's client re-wraps the thread key to the new device key. */
static void test_new_device_rewrap(void **state)
{
	struct advice_keys old_dev, new_dev, worker;
	struct gen unit;
	uint8_t tid[16], tkey[32], share[32], mkey[32], out[32];
	uint8_t tw_unit[ADVICE_WRAP_BYTES], tw_dev[ADVICE_WRAP_BYTES], env[ADVICE_ENVELOPE_MAX_BYTES];
	uint8_t plain[ADVICE_ENVELOPE_MAX_BYTES];
	struct advice_envelope_hdr h;
	struct advice_wrap_info wi;
	size_t len, plen = 0;

	(void)state;
	keys_new(&old_dev);
	keys_new(&new_dev);
	keys_new(&worker);
	gen_new(&unit);
	advice_random(tid, 16);
	advice_random(tkey, 32);
	advice_random(share, 32);
	wrap_to(tw_unit, ADVICE_WRAP_THREAD_KEY, tid, 0, unit.k.box_pk, tkey, &old_dev);
	advice_thread_msg_key(mkey, tkey, tid, 0, share);
	len = envelope_make(env, tid, mkey, &worker, "an older answer");
	/* The new device cannot open anything yet. */
	assert_int_equal(advice_wrap_open(out, &wi, tw_unit, sizeof(tw_unit), ADVICE_WRAP_THREAD_KEY, tid, 0,
					  &new_dev, old_dev.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	/* The worker's client opens the unit wrap and wraps the key to the new device, signing as itself. */
	assert_int_equal(advice_wrap_open(out, &wi, tw_unit, sizeof(tw_unit), ADVICE_WRAP_THREAD_KEY, tid, 0,
					  &unit.k, old_dev.sign_pk),
			 0);
	wrap_to(tw_dev, ADVICE_WRAP_THREAD_KEY, wi.scope_id, wi.epoch, new_dev.box_pk, out, &worker);
	/* The new device opens it (trusting the worker's certified key) and reads the older message. */
	assert_int_equal(advice_wrap_open(out, &wi, tw_dev, sizeof(tw_dev), ADVICE_WRAP_THREAD_KEY, tid, 0,
					  &new_dev, worker.sign_pk),
			 0);
	advice_thread_msg_key(mkey, out, wi.scope_id, wi.epoch, share);
	assert_int_equal(
		advice_envelope_open(plain, sizeof(plain), &plen, &h, env, len, tid, mkey, worker.sign_pk),
		0);
	assert_memory_equal(plain, "an older answer", plen);
}

/* Reassignment to another unit: the supervisor's client re-wraps to unit B's verified key. */
static void test_reassign_to_other_unit(void **state)
{
	struct advice_keys citizen, supervisor, admin;
	struct gen a, b;
	struct advice_unit_event *ev = calloc(1, sizeof(*ev));
	uint8_t tid[16], tkey[32], out[32], evb[ADVICE_UNIT_EVENT_MAX_BYTES];
	uint8_t tw_a[ADVICE_WRAP_BYTES], tw_b[ADVICE_WRAP_BYTES];
	struct advice_wrap_info wi;
	size_t evlen = 0;

	(void)state;
	keys_new(&citizen);
	keys_new(&supervisor);
	keys_new(&admin);
	gen_new(&a);
	gen_new(&b);
	advice_random(ev->unit_id, 16);
	ev->generation = 1;
	memcpy(ev->box_pk, b.k.box_pk, 32);
	memcpy(ev->sign_pk, b.k.sign_pk, 32);
	assert_int_equal(advice_unit_event_sign(evb, sizeof(evb), &evlen, ev, &admin), 0);
	advice_random(tid, 16);
	advice_random(tkey, 32);
	wrap_to(tw_a, ADVICE_WRAP_THREAD_KEY, tid, 0, a.k.box_pk, tkey, &citizen);
	/* Unit B cannot read before the re-wrap. */
	assert_int_equal(advice_wrap_open(out, &wi, tw_a, sizeof(tw_a), ADVICE_WRAP_THREAD_KEY, tid, 0, &b.k,
					  citizen.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_wrap_open(out, &wi, tw_a, sizeof(tw_a), ADVICE_WRAP_THREAD_KEY, tid, 0, &a.k,
					  citizen.sign_pk),
			 0);
	assert_int_equal(advice_unit_event_verify(evb, evlen, admin.sign_pk, NULL, 0, ev), 0);
	wrap_to(tw_b, ADVICE_WRAP_THREAD_KEY, wi.scope_id, wi.epoch, ev->box_pk, out, &supervisor);
	assert_int_equal(advice_wrap_open(out, &wi, tw_b, sizeof(tw_b), ADVICE_WRAP_THREAD_KEY, tid, 0, &b.k,
					  supervisor.sign_pk),
			 0);
	assert_memory_equal(out, tkey, 32);
	assert_memory_equal(wi.scope_id, tid, 16);
	free(ev);
}

/* --- Attachments --- */

#define FILE_TEST_LEN (2 * ADVICE_FILE_CHUNK_BYTES + 100) /* padded to 33 * 4096 bytes, 3 chunks */

static size_t file_encrypt(uint8_t *ct, size_t *lens, size_t total, const uint8_t key[32],
			   const uint8_t hdr[24], const uint8_t tid[16], const uint8_t fid[16],
			   uint8_t hash[32])
{
	struct advice_file_stream *s = advice_file_stream_new(1, key, hdr, tid, fid, total);
	uint8_t *pt = calloc(1, ADVICE_FILE_CHUNK_BYTES);
	size_t off = 0, n_chunks = 0, pos = 0;

	assert_non_null(s);
	do {
		size_t n = total - off > ADVICE_FILE_CHUNK_BYTES ? ADVICE_FILE_CHUNK_BYTES : total - off;
		memset(pt, 'A' + (int)n_chunks, n);
		assert_int_equal(advice_file_push(s, pt, n, off + n == total, ct + pos, &lens[n_chunks]), 0);
		pos += lens[n_chunks++];
		off += n;
	} while (off < total);
	assert_int_equal(advice_file_hash(s, hash), 0);
	advice_file_stream_free(s);
	free(pt);
	return n_chunks;
}

/* Pulls chunks in the given order; returns 0 when all verified and the last was final. */
static int file_decrypt(const uint8_t *ct, const size_t *lens, const size_t *order, size_t n,
			const uint8_t key[32], const uint8_t hdr[24], const uint8_t tid[16],
			const uint8_t fid[16])
{
	struct advice_file_stream *s = advice_file_stream_new(0, key, hdr, tid, fid, FILE_TEST_LEN);
	uint8_t *pt = malloc(ADVICE_FILE_CHUNK_BYTES), h[32];
	size_t outlen = 0;
	int final = 0, rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t pos = 0;
		for (size_t j = 0; j < order[i]; j++)
			pos += lens[j];
		rc = advice_file_pull(s, ct + pos, lens[order[i]], pt, &outlen, &final);
	}
	if (rc == 0 && !final)
		rc = -ADVICE_ERR_FORBIDDEN; /* truncated: no TAG_FINAL */
	if (rc == 0)
		rc = advice_file_hash(s, h);
	advice_file_stream_free(s);
	free(pt);
	return rc;
}

static void test_file_stream(void **state)
{
	uint8_t key[32], hdr[24], tid[16], fid[16], tid2[16], hash[32];
	size_t lens[4], total = FILE_TEST_LEN, n;
	size_t in_order[] = { 0, 1, 2 }, swapped[] = { 1, 0, 2 }, dup[] = { 0, 0, 1, 2 },
	       extra[] = { 0, 1, 2, 2 };
	uint8_t *ct = malloc(4 * ADVICE_FILE_CHUNK_MAX_CIPHER);
	struct advice_file_stream *s;
	uint8_t pt[16];
	size_t outlen;

	(void)state;
	advice_random(key, 32);
	advice_random(hdr, 24);
	advice_random(tid, 16);
	advice_random(fid, 16);
	advice_random(tid2, 16);
	n = file_encrypt(ct, lens, total, key, hdr, tid, fid, hash);
	assert_int_equal(n, 3);
	assert_int_equal(file_decrypt(ct, lens, in_order, 3, key, hdr, tid, fid), 0);
	assert_int_not_equal(file_decrypt(ct, lens, in_order, 2, key, hdr, tid, fid), 0);  /* truncated */
	assert_int_not_equal(file_decrypt(ct, lens, swapped, 3, key, hdr, tid, fid), 0);   /* reordered */
	assert_int_not_equal(file_decrypt(ct, lens, dup, 4, key, hdr, tid, fid), 0);	   /* duplicated */
	assert_int_not_equal(file_decrypt(ct, lens, extra, 4, key, hdr, tid, fid), 0);	   /* after final */
	assert_int_not_equal(file_decrypt(ct, lens, in_order, 3, key, hdr, tid2, fid), 0); /* other thread */
	/* Flipping bytes of every chunk (a sample of positions per chunk, including both ends) is detected.
	 */
	for (size_t c = 0, pos = 0; c < n; pos += lens[c++]) {
		const size_t at[] = { 0, 1, 16, lens[c] / 2, lens[c] - 17, lens[c] - 1 };
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			ct[pos + at[i]] ^= 0x40;
			assert_int_not_equal(file_decrypt(ct, lens, in_order, 3, key, hdr, tid, fid), 0);
			ct[pos + at[i]] ^= 0x40;
		}
	}
	/* Writer contract: middle chunks are full; nothing after the final chunk; the hash needs the end. */
	s = advice_file_stream_new(1, key, hdr, tid, fid, sizeof(pt));
	assert_int_equal(advice_file_hash(s, hash), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_file_push(s, pt, sizeof(pt), 0, ct, &outlen), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_file_push(s, pt, sizeof(pt) - 1, 1, ct, &outlen), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_file_push(s, pt, sizeof(pt), 1, ct, &outlen), 0);
	assert_int_equal(outlen, ADVICE_FILE_PAD_MIN + ADVICE_FILE_CHUNK_OVERHEAD); /* padded to one chunk */
	assert_int_equal(advice_file_push(s, pt, sizeof(pt), 1, ct, &outlen), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_file_pull(s, ct, outlen, pt, &outlen, &(int){ 0 }), -ADVICE_ERR_INVAL);
	advice_file_stream_free(s);
	free(ct);
}

static void test_content(void **state)
{
	struct advice_file_ref f[ADVICE_CONTENT_MAX_FILES + 1], got[ADVICE_CONTENT_MAX_FILES];
	uint8_t buf[2048];
	const uint8_t *text;
	size_t len = 0, n = 0, tlen = 0;

	(void)state;
	memset(f, 0, sizeof(f));
	for (int i = 0; i <= ADVICE_CONTENT_MAX_FILES; i++) {
		advice_random(&f[i], sizeof(f[i]));
		f[i].media = ADVICE_MEDIA_PNG;
	}
	assert_int_equal(advice_content_encode(buf, sizeof(buf), &len, f, 2, "hi", 2), 0);
	assert_int_equal(len, 2 + 2 * ADVICE_FILE_REF_BYTES + 2);
	assert_int_equal(advice_content_decode(buf, len, got, &n, &text, &tlen), 0);
	assert_int_equal(n, 2);
	assert_int_equal(tlen, 2);
	assert_memory_equal(got[1].hash, f[1].hash, 32);
	assert_int_equal(got[1].size, f[1].size);
	assert_int_equal(
		advice_content_encode(buf, sizeof(buf), &len, f, ADVICE_CONTENT_MAX_FILES + 1, "", 0),
		-ADVICE_ERR_INVAL);
	f[0].media = 0;
	assert_int_equal(advice_content_encode(buf, sizeof(buf), &len, f, 1, "", 0), -ADVICE_ERR_INVAL);
	buf[0] = 2;
	assert_int_equal(advice_content_decode(buf, len, got, &n, &text, &tlen), -ADVICE_ERR_INVAL);
	buf[0] = 1;
	assert_int_equal(advice_content_decode(buf, 2 + ADVICE_FILE_REF_BYTES, got, &n, &text, &tlen),
			 -ADVICE_ERR_INVAL);
}

static void test_media_sniff(void **state)
{
	static const uint8_t pdf[] =
		"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
	static const uint8_t png[] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0,	  0,	0,
				       13,   'I', 'H', 'D', 'R',  0,	0,    0,    1,	  0,	0,
				       0,    1,	  8,   2,   0,	  0,	0,    0x90, 0x77, 0x53, 0xde };
	static const uint8_t jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F',
					0,    1,    1,	  0,	0, 1,  0,   1,	 0,   0 };
	static const uint8_t text[] = "Hyv\xc3\xa4 ty\xc3\xb6ntekij\xc3\xa4, t\xc3\xa4ss\xc3\xa4 liite.\n";
	static const uint8_t elf[] = {
		0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0
	};
	static const uint8_t html[] = "<html><script>alert(1)</script></html>\n";
	static const uint8_t latin1[] = "Hyv\xe4 ty\xf6\n";

	(void)state;
	assert_int_equal(advice_media_sniff(pdf, sizeof(pdf) - 1), ADVICE_MEDIA_PDF);
	assert_int_equal(advice_media_sniff(png, sizeof(png)), ADVICE_MEDIA_PNG);
	assert_int_equal(advice_media_sniff(jpeg, sizeof(jpeg)), ADVICE_MEDIA_JPEG);
	assert_int_equal(advice_media_sniff(text, sizeof(text) - 1), ADVICE_MEDIA_TEXT);
	assert_int_equal(advice_media_sniff(elf, sizeof(elf)), ADVICE_MEDIA_UNKNOWN);
	/* Markup is plain text by the rule client-web shares (shown as text, never rendered);
	 * text that is not UTF-8 is not. */
	assert_int_equal(advice_media_sniff(html, sizeof(html) - 1), ADVICE_MEDIA_TEXT);
	assert_int_equal(advice_media_sniff(latin1, sizeof(latin1) - 1), ADVICE_MEDIA_UNKNOWN);
	assert_int_equal(advice_media_sniff(NULL, 0), ADVICE_MEDIA_UNKNOWN);
	assert_string_equal(advice_media_name(ADVICE_MEDIA_PDF), "application/pdf");
	assert_null(advice_media_name(0));
	assert_null(advice_media_name(ADVICE_MEDIA__COUNT));
}

static void test_hex(void **state)
{
	uint8_t b[4];
	char h[9];

	(void)state;
	assert_int_equal(advice_unhex(b, 4, "00ff10aB"), 0);
	advice_hex(h, b, 4);
	assert_string_equal(h, "00ff10ab");
	assert_int_equal(advice_unhex(b, 4, "00ff10a"), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_unhex(b, 4, "00ff10ag"), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_unhex(b, 4, NULL), -ADVICE_ERR_INVAL);
}

/* A unit text round trips at every size bound; flipping any byte is detected; seal refuses what
 * the format cannot hold. */
static void test_unit_text(void **state)
{
	static uint8_t obj[ADVICE_UNIT_TEXT_MAX_BYTES + 256], text[ADVICE_UNIT_TEXT_MAX_PLAIN + 1],
		out[ADVICE_UNIT_TEXT_MAX_PLAIN];
	struct advice_unit_text_info t = { .kind = ADVICE_UNIT_TEXT_NOTE, .generation = 4, .created = NOW },
				     got;
	struct advice_keys author;
	struct gen unit, other;
	uint8_t eph[32];
	size_t len = 0, n = 0;

	(void)state;
	keys_new(&author);
	gen_new(&unit);
	gen_new(&other);
	advice_random(t.unit_id, 16);
	advice_random(t.scope_id, 16);
	advice_random(eph, 32);
	memset(text, 'a', sizeof(text));
	assert_int_equal(advice_unit_text_seal(obj, sizeof(obj), &len, &t, text, ADVICE_UNIT_TEXT_MAX_PLAIN,
					       unit.k.box_pk, eph, &author),
			 0);
	assert_int_equal(len, ADVICE_UNIT_TEXT_MAX_BYTES);
	assert_int_equal(advice_unit_text_open(out, sizeof(out), &n, obj, len, t.kind, t.unit_id, t.scope_id,
					       &unit.k, author.sign_pk),
			 0);
	assert_int_equal(n, ADVICE_UNIT_TEXT_MAX_PLAIN);
	/* Too little room for the text, the keys of another generation. */
	assert_int_equal(advice_unit_text_open(out, 100, &n, obj, len, t.kind, t.unit_id, t.scope_id, &unit.k,
					       author.sign_pk),
			 -ADVICE_ERR_INVAL);
	assert_int_equal(advice_unit_text_open(out, sizeof(out), &n, obj, len, t.kind, t.unit_id, t.scope_id,
					       &other.k, author.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	/* What seal refuses: a text too long or not UTF-8, another kind, too little room. */
	assert_int_equal(advice_unit_text_seal(obj, sizeof(obj), &len, &t, text,
					       ADVICE_UNIT_TEXT_MAX_PLAIN + 1, unit.k.box_pk, eph, &author),
			 -ADVICE_ERR_INVAL);
	text[3] = 0xc0;
	assert_int_equal(
		advice_unit_text_seal(obj, sizeof(obj), &len, &t, text, 10, unit.k.box_pk, eph, &author),
		-ADVICE_ERR_INVAL);
	text[3] = 'a';
	t.kind = 3;
	assert_int_equal(
		advice_unit_text_seal(obj, sizeof(obj), &len, &t, text, 10, unit.k.box_pk, eph, &author),
		-ADVICE_ERR_INVAL);
	t.kind = ADVICE_UNIT_TEXT_CANNED;
	assert_int_equal(advice_unit_text_seal(obj, ADVICE_UNIT_TEXT_MIN_BYTES - 1, &len, &t, text, 10,
					       unit.k.box_pk, eph, &author),
			 -ADVICE_ERR_INVAL);
	/* The shortest: every byte flipped is refused. */
	assert_int_equal(
		advice_unit_text_seal(obj, sizeof(obj), &len, &t, text, 10, unit.k.box_pk, eph, &author), 0);
	assert_int_equal(len, ADVICE_UNIT_TEXT_MIN_BYTES);
	assert_int_equal(advice_unit_text_parse(obj, len, &got), 0);
	assert_int_equal(got.kind, ADVICE_UNIT_TEXT_CANNED);
	assert_int_equal(got.generation, 4);
	assert_int_equal(advice_unit_text_verify(obj, len, author.sign_pk), 0);
	for (size_t i = 0; i < len; i++) {
		obj[i] ^= 0x01;
		int rc = advice_unit_text_open(out, sizeof(out), &n, obj, len, t.kind, t.unit_id, t.scope_id,
					       &unit.k, author.sign_pk);
		assert_true(rc == -ADVICE_ERR_FORBIDDEN || rc == -ADVICE_ERR_INVAL);
		obj[i] ^= 0x01;
	}
	/* Sizes between the blocks and beyond the bounds do not parse. */
	assert_int_equal(advice_unit_text_parse(obj, len + 1, NULL), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_unit_text_parse(obj, ADVICE_UNIT_TEXT_MAX_BYTES + 256, NULL),
			 -ADVICE_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_is_crypto_box_seal),
		cmocka_unit_test(test_envelope_round_trip_and_padding),
		cmocka_unit_test(test_envelope_every_byte_flip),
		cmocka_unit_test(test_envelope_moved_to_another_thread),
		cmocka_unit_test(test_msg_key_binds_epoch_and_share),
		cmocka_unit_test(test_unknown_versions_refused),
		cmocka_unit_test(test_wrap_every_byte_flip),
		cmocka_unit_test(test_wrap_inner_record_binds_thread),
		cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_cert_chain),
		cmocka_unit_test(test_rotation_on_removal),
		cmocka_unit_test(test_new_device_rewrap),
		cmocka_unit_test(test_reassign_to_other_unit),
		cmocka_unit_test(test_file_stream),
		cmocka_unit_test(test_content),
		cmocka_unit_test(test_media_sniff),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_unit_text),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
