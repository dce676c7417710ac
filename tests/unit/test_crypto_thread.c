/*
 * test_crypto_thread.c - libadvice's thread verifier and staff certificate look-up
 * (advice_thread.h) beyond the shared scenarios of proto/vectors/thread.json: bad input gets
 * a verdict, not a crash; a writer's next sequence and prev hash follow what it accepted;
 * a staff sender is found only through a chain to the pinned root, never through a
 * certificate the server made under a key of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "advice_crypto.h"
#include "advice_thread.h"

#define NOW 1770000000000ULL

static void keys_new(struct advice_keys *k)
{
	uint8_t seed[32];

	advice_random(seed, sizeof seed);
	assert_int_equal(advice_keys_personal(k, seed), 0);
}

/* An envelope of thread tid by sender with the given sequence and prev hash; its length. */
static size_t envelope(uint8_t *out, const uint8_t tid[16], const struct advice_keys *sender, uint64_t seq,
		       const uint8_t prev[32])
{
	uint8_t key[32] = { 1 }, share[32] = { 2 }, mkey[32], content[16];
	struct advice_envelope_hdr h;
	size_t clen = 0, len = 0;

	memset(&h, 0, sizeof h);
	memcpy(h.thread_id, tid, 16);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	h.sender_seq = seq;
	memcpy(h.prev_hash, prev, 32);
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, NULL, 0, "hei", 3), 0);
	assert_int_equal(advice_thread_msg_key(mkey, key, tid, 0, share), 0);
	assert_int_equal(
		advice_envelope_seal(out, ADVICE_ENVELOPE_MIN_BYTES, &len, &h, mkey, content, clen, sender),
		0);
	return len;
}

static int only_sender(void *arg, const struct advice_envelope_hdr *h, uint8_t sign_pk[32])
{
	const struct advice_keys *k = arg;
	uint8_t kid[16];

	advice_kid(kid, k->sign_pk);
	if (memcmp(kid, h->sender_kid, 16) != 0)
		return -1;
	memcpy(sign_pk, k->sign_pk, 32);
	return 0;
}

static void test_bad_input_gets_a_verdict(void **state)
{
	uint8_t tid[16] = { 7 }, zero[32] = { 0 }, env[ADVICE_ENVELOPE_MIN_BYTES];
	struct advice_keys k;
	struct advice_thread *t, *nobody;
	size_t len;

	(void)state;
	keys_new(&k);
	t = advice_thread_new(tid, only_sender, &k);
	nobody = advice_thread_new(tid, NULL, NULL);
	assert_non_null(t);
	assert_non_null(nobody);
	assert_int_equal(advice_thread_add(t, NULL, 0, NULL), ADVICE_THREAD_MALFORMED);
	assert_int_equal(advice_thread_add(t, (const uint8_t *)"QA", 2, NULL), ADVICE_THREAD_MALFORMED);
	len = envelope(env, tid, &k, 1, zero);
	assert_int_equal(advice_thread_add(t, env, len - 1, NULL), ADVICE_THREAD_MALFORMED);
	/* Without a callback nobody may write. */
	assert_int_equal(advice_thread_add(nobody, env, len, NULL), ADVICE_THREAD_UNTRUSTED_SENDER);
	assert_int_equal(advice_thread_add(t, env, len, NULL), ADVICE_THREAD_OK);
	assert_int_equal(advice_thread_count(t), 1);
	assert_string_equal(advice_thread_verdict_name(ADVICE_THREAD_OK), "ok");
	assert_string_equal(advice_thread_verdict_name(ADVICE_THREAD_MALFORMED), "malformed");
	assert_null(advice_thread_verdict_name(-1));
	assert_null(advice_thread_verdict_name(ADVICE_THREAD__COUNT));
	assert_true(ADVICE_THREAD_ACCEPTED(ADVICE_THREAD_FORK));
	assert_false(ADVICE_THREAD_ACCEPTED(ADVICE_THREAD_REPLAY));
	advice_thread_free(t);
	advice_thread_free(nobody);
	advice_thread_free(NULL);
}

/* A writer that feeds its verifier writes what the next reader accepts as "ok". */
static void test_writer_follows_the_thread(void **state)
{
	uint8_t tid[16] = { 9 }, prev[32], kid[16], env[3][ADVICE_ENVELOPE_MIN_BYTES], h0[32];
	struct advice_keys k;
	struct advice_thread *w, *r;
	size_t len[3];
	uint64_t seq = 0;

	(void)state;
	keys_new(&k);
	advice_kid(kid, k.sign_pk);
	w = advice_thread_new(tid, only_sender, &k);
	r = advice_thread_new(tid, only_sender, &k);
	for (int i = 0; i < 3; i++) {
		advice_thread_next(w, kid, &seq, prev);
		assert_int_equal(seq, (uint64_t)i + 1);
		len[i] = envelope(env[i], tid, &k, seq, prev);
		assert_int_equal(advice_thread_add(w, env[i], len[i], NULL), ADVICE_THREAD_OK);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(advice_thread_add(r, env[i], len[i], NULL), ADVICE_THREAD_OK);
	assert_true(advice_thread_complete(r));
	advice_thread_next(r, kid, &seq, prev);
	assert_int_equal(seq, 4);
	advice_hash(h0, env[2], len[2]);
	assert_memory_equal(prev, h0, 32);
	advice_thread_free(w);
	advice_thread_free(r);
}

static void cert(uint8_t out[ADVICE_CERT_BYTES], uint8_t role, const struct advice_keys *k,
		 const struct advice_keys *issuer, uint64_t not_after)
{
	struct advice_cert c;

	memset(&c, 0, sizeof c);
	c.role = role;
	advice_random(c.subject_id, 16);
	memcpy(c.sign_pk, k->sign_pk, 32);
	memcpy(c.box_pk, k->box_pk, 32);
	c.not_before = NOW - 1000;
	c.not_after = not_after;
	assert_int_equal(advice_cert_sign(out, &c, issuer), 0);
}

static void test_cert_find(void **state)
{
	struct advice_keys root, admin, worker, rogue;
	uint8_t pool[4 * ADVICE_CERT_BYTES], kid[16], akid[16];
	struct advice_cert c;

	(void)state;
	keys_new(&root);
	keys_new(&admin);
	keys_new(&worker);
	keys_new(&rogue);
	advice_kid(kid, worker.sign_pk);
	advice_kid(akid, admin.sign_pk);
	/* Worker first, its admin after it: found. */
	cert(pool, ADVICE_ROLE_WORKER, &worker, &admin, NOW + 1000);
	cert(pool + ADVICE_CERT_BYTES, ADVICE_ROLE_ADMIN, &admin, &root, NOW + 1000);
	assert_int_equal(advice_cert_find(pool, 2, kid, root.sign_pk, NOW, &c), 0);
	assert_memory_equal(c.sign_pk, worker.sign_pk, 32);
	assert_int_equal(advice_cert_find(pool, 2, akid, root.sign_pk, NOW, &c), 0); /* an admin writes */
	/* Without its admin, after the end of validity, under another root: not found. */
	assert_int_equal(advice_cert_find(pool, 1, kid, root.sign_pk, NOW, &c), -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_cert_find(pool, 2, kid, root.sign_pk, NOW + 5000, &c), -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_cert_find(pool, 2, kid, rogue.sign_pk, NOW, &c), -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_cert_find(NULL, 0, kid, root.sign_pk, NOW, &c), -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_cert_find(NULL, 1, kid, root.sign_pk, NOW, &c), -ADVICE_ERR_INVAL);
	/* The server's own "admin" (self-signed) and "worker" certificate for the same key, first
	 * in the list: refused, and the genuine chain after them is still found. */
	cert(pool, ADVICE_ROLE_WORKER, &worker, &rogue, NOW + 1000);
	cert(pool + ADVICE_CERT_BYTES, ADVICE_ROLE_ADMIN, &rogue, &rogue, NOW + 1000);
	assert_int_equal(advice_cert_find(pool, 2, kid, root.sign_pk, NOW, &c), -ADVICE_ERR_FORBIDDEN);
	cert(pool + 2 * ADVICE_CERT_BYTES, ADVICE_ROLE_WORKER, &worker, &admin, NOW + 1000);
	cert(pool + 3 * ADVICE_CERT_BYTES, ADVICE_ROLE_ADMIN, &admin, &root, NOW + 1000);
	assert_int_equal(advice_cert_find(pool, 4, kid, root.sign_pk, NOW, &c), 0);
	/* A worker certificate cannot issue another worker's. */
	cert(pool, ADVICE_ROLE_WORKER, &rogue, &worker, NOW + 1000);
	advice_kid(kid, rogue.sign_pk);
	assert_int_equal(advice_cert_find(pool, 4, kid, root.sign_pk, NOW, &c), -ADVICE_ERR_FORBIDDEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input_gets_a_verdict),
		cmocka_unit_test(test_writer_follows_the_thread),
		cmocka_unit_test(test_cert_find),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
