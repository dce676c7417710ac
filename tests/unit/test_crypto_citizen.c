/*
 * test_crypto_citizen.c - libadvice's citizen keys (lib/crypto_citizen.c) against what a
 * malicious server can try: a device key it made up (no certificate of the identity, a forged
 * one, one of another identity) is refused by the reader; a swapped identity is reported as
 * new and nothing is re-wrapped until a staff client does it explicitly; a mistyped or wrong
 * recovery code fails with a distinct error; at approval, keys substituted after the existing
 * device's challenge do not open the new device's commitment, and keys the server committed
 * to itself give another comparison code. Known answers are in proto/vectors/citizen.json (crypto_tool).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "advice.h"
#include "advice_crypto.h"

static void keys_new(struct advice_keys *k, uint8_t seed_out[32])
{
	uint8_t seed[32];

	advice_random(seed, sizeof seed);
	assert_int_equal(advice_keys_personal(k, seed), 0);
	if (seed_out != NULL)
		memcpy(seed_out, seed, 32);
}

static void cert_for(uint8_t out[ADVICE_DEVICE_CERT_BYTES], const struct advice_keys *identity,
		     const struct advice_keys *dev, uint64_t at)
{
	struct advice_device_cert c = { .created_at = at };

	memcpy(c.device_sign_pk, dev->sign_pk, 32);
	memcpy(c.device_box_pk, dev->box_pk, 32);
	assert_int_equal(advice_device_cert_sign(out, &c, identity), 0);
}

/* An envelope of `text` in thread tid under mkey, signed by sender; its length in *len. */
static void envelope(uint8_t *out, size_t *len, const uint8_t tid[16], const uint8_t mkey[32],
		     const struct advice_keys *sender, const char *text)
{
	struct advice_envelope_hdr h = { .created_at = 1770000000000ULL };
	uint8_t content[256];
	size_t clen = 0;

	memcpy(h.thread_id, tid, 16);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, NULL, 0, text, strlen(text)),
			 0);
	assert_int_equal(
		advice_envelope_seal(out, ADVICE_ENVELOPE_MAX_BYTES, len, &h, mkey, content, clen, sender),
		0);
}

static void test_device_cert(void **state)
{
	struct advice_keys id, dev;
	struct advice_device_cert c;
	uint8_t cert[ADVICE_DEVICE_CERT_BYTES];

	(void)state;
	keys_new(&id, NULL);
	keys_new(&dev, NULL);
	cert_for(cert, &id, &dev, 42);
	assert_int_equal(advice_device_cert_verify(cert, sizeof cert, &c), 0);
	assert_memory_equal(c.identity_sign_pk, id.sign_pk, 32);
	assert_memory_equal(c.identity_box_pk, id.box_pk, 32);
	assert_memory_equal(c.device_box_pk, dev.box_pk, 32);
	assert_int_equal(c.created_at, 42);
	for (size_t i = 0; i < sizeof cert; i++) {
		cert[i] ^= 0x10;
		assert_int_not_equal(advice_device_cert_verify(cert, sizeof cert, &c), 0);
		cert[i] ^= 0x10;
	}
	assert_int_equal(advice_device_cert_verify(cert, sizeof cert - 1, &c), -ADVICE_ERR_INVAL);
	cert[3] = ADVICE_OBJ_CERT;
	assert_int_equal(advice_device_cert_parse(cert, sizeof cert, &c), -ADVICE_ERR_INVAL);
}

static void test_recovery_code(void **state)
{
	uint8_t secret[ADVICE_RECOVERY_SECRET_BYTES], back[ADVICE_RECOVERY_SECRET_BYTES], seed[32], got[32],
		key[32], nonce[24], box[ADVICE_RECOVERY_BOX_BYTES], other[ADVICE_RECOVERY_BOX_BYTES], iid[16];
	char code[ADVICE_RECOVERY_CODE_SIZE], typed[64], wrong[ADVICE_RECOVERY_CODE_SIZE];
	struct advice_keys id;
	size_t o = 0;

	(void)state;
	/* A fixed secret: every single-character typo below is caught by its 15-bit check. */
	for (size_t i = 0; i < sizeof secret; i++)
		secret[i] = (uint8_t)(7 * i + 3);
	advice_random(nonce, sizeof nonce);
	keys_new(&id, seed);
	advice_recovery_code_format(code, secret);
	assert_int_equal(strlen(code), ADVICE_RECOVERY_CODE_SIZE - 1);
	assert_int_equal(advice_recovery_code_parse(back, code), 0);
	assert_memory_equal(back, secret, sizeof secret);
	/* Lower case, spaces, O for 0 and L for 1 read the same. */
	for (const char *p = code; *p; p++)
		typed[o++] = *p == '-' ? ' ' : *p == '0' ? 'o' : *p == '1' ? 'l' : (char)(*p | 0x20);
	typed[o] = '\0';
	assert_int_equal(advice_recovery_code_parse(back, typed), 0);
	assert_memory_equal(back, secret, sizeof secret);

	assert_int_equal(advice_recovery_key(key, secret), 0);
	assert_int_equal(advice_recovery_box_seal(box, seed, 1770000000000ULL, key, nonce), 0);
	assert_int_equal(advice_recovery_box_parse(box, sizeof box, iid, NULL), 0);
	advice_identity_id(back, id.sign_pk);
	assert_memory_equal(iid, back, 16);
	assert_int_equal(advice_recovery_box_open(got, box, sizeof box, typed), 0);
	assert_memory_equal(got, seed, 32);

	/* A typo is caught by the check (inval), before any decryption. */
	for (size_t i = 0; i < strlen(code); i++) {
		char keep = code[i];

		if (keep == '-')
			continue;
		code[i] = keep == 'Z' ? 'Y' : keep == '9' ? 'A' : (char)(keep + 1);
		if (code[i] == 'I' || code[i] == 'L' || code[i] == 'O' || code[i] == 'U')
			code[i]++;
		assert_int_equal(advice_recovery_box_open(got, box, sizeof box, code), -ADVICE_ERR_INVAL);
		code[i] = keep;
	}
	assert_int_equal(advice_recovery_box_open(got, box, sizeof box, "ABCDE-FGHJK"), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_recovery_box_open(got, box, sizeof box, ""), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_recovery_box_open(got, box, sizeof box, NULL), -ADVICE_ERR_INVAL);
	/* Another well-formed code: forbidden (does not decrypt). */
	advice_random(back, sizeof back);
	advice_recovery_code_format(wrong, back);
	assert_int_equal(advice_recovery_box_open(got, box, sizeof box, wrong), -ADVICE_ERR_FORBIDDEN);
	/* A box of another identity relabelled with this identity's id does not open. */
	keys_new(&id, seed);
	assert_int_equal(advice_recovery_box_seal(other, seed, 1, key, nonce), 0);
	memcpy(other + 6, iid, 16);
	assert_int_equal(advice_recovery_box_open(got, other, sizeof other, typed), -ADVICE_ERR_FORBIDDEN);
	box[3] = ADVICE_OBJ_CHAIN;
	assert_int_equal(advice_recovery_box_open(got, box, sizeof box, typed), -ADVICE_ERR_INVAL);
}

/* The honest approval: commit, challenge, reveal; both devices show the same code, and every
 * input changes it. */
static void test_compare_code(void **state)
{
	struct advice_keys id, real, other;
	uint8_t nn[32], no[32], commit[32], x[32];
	char a[ADVICE_COMPARE_CODE_SIZE], b[ADVICE_COMPARE_CODE_SIZE];

	(void)state;
	keys_new(&id, NULL);
	keys_new(&real, NULL);
	keys_new(&other, NULL);
	advice_random(nn, sizeof nn);
	advice_device_commit(commit, real.sign_pk, real.box_pk, nn);
	advice_random(no, sizeof no); /* chosen by the existing device after it saw commit */
	advice_compare_code(a, id.sign_pk, real.sign_pk, real.box_pk, nn, no);
	assert_int_equal(strlen(a), 14);
	assert_true(a[4] == ' ' && a[9] == ' ');
	assert_int_equal(
		advice_compare_code_checked(b, commit, id.sign_pk, real.sign_pk, real.box_pk, nn, no), 0);
	assert_string_equal(a, b);
	/* Another identity, either nonce: another code. */
	advice_compare_code(b, other.sign_pk, real.sign_pk, real.box_pk, nn, no);
	assert_string_not_equal(a, b);
	advice_random(x, sizeof x);
	advice_compare_code(b, id.sign_pk, real.sign_pk, real.box_pk, x, no);
	assert_string_not_equal(a, b);
	advice_compare_code(b, id.sign_pk, real.sign_pk, real.box_pk, nn, x);
	assert_string_not_equal(a, b);
}

/* A server that relayed the new device's commitment and then, knowing nonce_old, reveals keys
 * of its own (any half, any nonce): the commitment does not open, no code is shown. */
static void test_compare_code_substituted_after_challenge(void **state)
{
	struct advice_keys id, real, server;
	uint8_t nn[32], no[32], commit[32], ns[32];
	char b[ADVICE_COMPARE_CODE_SIZE];

	(void)state;
	keys_new(&id, NULL);
	keys_new(&real, NULL);
	keys_new(&server, NULL);
	advice_random(nn, sizeof nn);
	advice_random(no, sizeof no);
	advice_device_commit(commit, real.sign_pk, real.box_pk, nn);
	for (int i = 0; i < 64; i++) {
		advice_random(ns, sizeof ns);
		assert_int_equal(advice_compare_code_checked(b, commit, id.sign_pk, server.sign_pk,
							     server.box_pk, ns, no),
				 -ADVICE_ERR_FORBIDDEN);
		assert_string_equal(b, "");
	}
	assert_int_equal(
		advice_compare_code_checked(b, commit, id.sign_pk, server.sign_pk, server.box_pk, nn, no),
		-ADVICE_ERR_FORBIDDEN);
	assert_int_equal(
		advice_compare_code_checked(b, commit, id.sign_pk, real.sign_pk, server.box_pk, nn, no),
		-ADVICE_ERR_FORBIDDEN);
	assert_int_equal(
		advice_compare_code_checked(b, commit, id.sign_pk, server.sign_pk, real.box_pk, nn, no),
		-ADVICE_ERR_FORBIDDEN);
	/* The real device's reveal with another nonce_new does not open it either. */
	ns[0] = (uint8_t)(nn[0] ^ 1);
	memcpy(ns + 1, nn + 1, sizeof ns - 1);
	assert_int_equal(
		advice_compare_code_checked(b, commit, id.sign_pk, real.sign_pk, real.box_pk, ns, no),
		-ADVICE_ERR_FORBIDDEN);
}

/* A server that commits to a key of its own (before it learns nonce_old, as it must) opens its
 * commitment, but its code is not the one the real new device shows, whatever challenge the
 * server hands the new device. */
static void test_compare_code_server_commitment(void **state)
{
	struct advice_keys id, real, server;
	uint8_t nn[32], ns[32], no[32], fake_no[32], commit_real[32], commit_server[32];
	char shown_new[ADVICE_COMPARE_CODE_SIZE], shown_old[ADVICE_COMPARE_CODE_SIZE];

	(void)state;
	keys_new(&id, NULL);
	keys_new(&real, NULL);
	keys_new(&server, NULL);
	advice_random(nn, sizeof nn);
	advice_random(ns, sizeof ns);
	advice_device_commit(commit_real, real.sign_pk, real.box_pk, nn);
	advice_device_commit(commit_server, server.sign_pk, server.box_pk, ns);
	assert_memory_not_equal(commit_real, commit_server, 32);
	advice_random(no, sizeof no); /* the existing device's answer to the server's commitment */
	assert_int_equal(advice_compare_code_checked(shown_old, commit_server, id.sign_pk, server.sign_pk,
						     server.box_pk, ns, no),
			 0);
	/* The new device gets the real challenge, or one the server picked. */
	advice_compare_code(shown_new, id.sign_pk, real.sign_pk, real.box_pk, nn, no);
	assert_string_not_equal(shown_new, shown_old);
	for (int i = 0; i < 64; i++) {
		advice_random(fake_no, sizeof fake_no);
		advice_compare_code(shown_new, id.sign_pk, real.sign_pk, real.box_pk, nn, fake_no);
		assert_string_not_equal(shown_new, shown_old);
	}
}

static void test_identity_seed_wrap(void **state)
{
	struct advice_keys id, dev, newdev, got_id;
	struct advice_wrap_info wi;
	uint8_t seed[32], got[32], eph[32], iid[16], w[ADVICE_WRAP_BYTES];

	(void)state;
	keys_new(&id, seed);
	keys_new(&dev, NULL);
	keys_new(&newdev, NULL);
	advice_random(eph, sizeof eph);
	advice_identity_id(iid, id.sign_pk);
	assert_int_equal(
		advice_wrap_seal(w, ADVICE_WRAP_IDENTITY_SEED, iid, 0, newdev.box_pk, seed, eph, &dev), 0);
	assert_int_equal(advice_wrap_open(got, &wi, w, sizeof w, ADVICE_WRAP_IDENTITY_SEED, iid, 0, &newdev,
					  dev.sign_pk),
			 0);
	assert_int_equal(wi.kind, ADVICE_WRAP_IDENTITY_SEED);
	assert_memory_equal(wi.scope_id, iid, 16);
	assert_int_equal(advice_keys_personal(&got_id, got), 0);
	assert_memory_equal(got_id.sign_pk, id.sign_pk, 32);
	w[6] = 4;
	assert_int_equal(advice_wrap_parse(w, sizeof w, &wi), -ADVICE_ERR_INVAL);
}

/* The server lists a signing key of its own for the citizen: the reader refuses the message. */
static void test_minted_device_refused(void **state)
{
	struct advice_keys id, dev, minted, fake;
	struct advice_device_cert c;
	uint8_t certs[3 * ADVICE_DEVICE_CERT_BYTES], tid[16], mkey[32], pk[32];
	uint8_t env[ADVICE_ENVELOPE_MAX_BYTES], bad[ADVICE_ENVELOPE_MAX_BYTES];
	size_t len = 0, blen = 0;

	(void)state;
	keys_new(&id, NULL);
	keys_new(&dev, NULL);
	keys_new(&minted, NULL);
	keys_new(&fake, NULL);
	advice_random(tid, 16);
	advice_random(mkey, 32);
	cert_for(certs, &id, &dev, 1);
	envelope(env, &len, tid, mkey, &dev, "first");
	assert_int_equal(advice_citizen_thread_identity(&c, env, len, certs, 1), 0);
	assert_memory_equal(c.identity_sign_pk, id.sign_pk, 32);
	assert_int_equal(advice_citizen_sender(pk, env, len, id.sign_pk, certs, 1), 0);
	assert_memory_equal(pk, dev.sign_pk, 32);

	envelope(bad, &blen, tid, mkey, &minted, "from the server");
	/* No certificate at all. */
	assert_int_equal(advice_citizen_sender(pk, bad, blen, id.sign_pk, certs, 1), -ADVICE_ERR_FORBIDDEN);
	/* A certificate naming the identity with a signature the server cannot make. */
	cert_for(certs + ADVICE_DEVICE_CERT_BYTES, &id, &minted, 2);
	certs[ADVICE_DEVICE_CERT_BYTES + 150] ^= 1;
	assert_int_equal(advice_citizen_sender(pk, bad, blen, id.sign_pk, certs, 2), -ADVICE_ERR_FORBIDDEN);
	/* A valid certificate of another identity (one the server made). */
	cert_for(certs + 2 * ADVICE_DEVICE_CERT_BYTES, &fake, &minted, 3);
	assert_int_equal(advice_citizen_sender(pk, bad, blen, id.sign_pk, certs, 3), -ADVICE_ERR_FORBIDDEN);
	/* A certified device's envelope with a broken signature. */
	env[200] ^= 1;
	assert_int_equal(advice_citizen_sender(pk, env, len, id.sign_pk, certs, 3), -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_citizen_sender(pk, env, 10, id.sign_pk, certs, 3), -ADVICE_ERR_INVAL);
}

/* The server swaps the citizen's identity: reported as new; the thread key stays where it was. */
static void test_swapped_identity(void **state)
{
	struct advice_keys a, b, adev, bdev, worker;
	struct advice_identity_seen ids[2];
	struct advice_device_cert th;
	struct advice_wrap_info wi;
	uint8_t certs[2 * ADVICE_DEVICE_CERT_BYTES], tid[16], mkey[32], tkey[32], got[32], eph[32], pk[32];
	uint8_t env[ADVICE_ENVELOPE_MAX_BYTES], w[ADVICE_WRAP_BYTES];
	uint64_t since = 0;
	size_t len = 0, newest = 9;

	(void)state;
	keys_new(&a, NULL);
	keys_new(&b, NULL);
	keys_new(&adev, NULL);
	keys_new(&bdev, NULL);
	keys_new(&worker, NULL);
	advice_random(tid, 16);
	advice_random(mkey, 32);
	advice_random(tkey, 32);
	advice_random(eph, 32);
	cert_for(certs, &a, &adev, 1);
	cert_for(certs + ADVICE_DEVICE_CERT_BYTES, &b, &bdev, 2);
	memcpy(ids[0].sign_pk, a.sign_pk, 32);
	memcpy(ids[0].box_pk, a.box_pk, 32);
	ids[0].first_seen = 1000;
	memcpy(ids[1].sign_pk, b.sign_pk, 32);
	memcpy(ids[1].box_pk, b.box_pk, 32);
	ids[1].first_seen = 5000;

	envelope(env, &len, tid, mkey, &adev, "opened under A");
	assert_int_equal(advice_citizen_thread_identity(&th, env, len, certs, 2), 0);
	assert_int_equal(advice_citizen_identity_status(ids, 2, th.identity_sign_pk, &newest, &since), 1);
	assert_int_equal(newest, 1);
	assert_int_equal(since, 5000);
	assert_int_equal(advice_citizen_identity_status(ids, 1, th.identity_sign_pk, NULL, NULL), 0);
	assert_int_equal(advice_citizen_identity_status(ids + 1, 1, th.identity_sign_pk, NULL, NULL),
			 -ADVICE_ERR_FORBIDDEN);
	/* B's device writing in A's thread is not the thread's citizen. */
	envelope(env, &len, tid, mkey, &bdev, "from B");
	assert_int_equal(advice_citizen_sender(pk, env, len, th.identity_sign_pk, certs, 2),
			 -ADVICE_ERR_FORBIDDEN);
	/* Only the explicit re-wrap gives B the thread key. */
	assert_int_equal(advice_citizen_rewrap(w, tid, 0, tkey, &ids[newest], eph, &worker), 0);
	assert_int_equal(
		advice_wrap_open(got, &wi, w, sizeof w, ADVICE_WRAP_THREAD_KEY, tid, 0, &b, worker.sign_pk),
		0);
	assert_memory_equal(got, tkey, 32);
	assert_int_equal(wi.kind, ADVICE_WRAP_THREAD_KEY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_cert),
		cmocka_unit_test(test_recovery_code),
		cmocka_unit_test(test_compare_code),
		cmocka_unit_test(test_compare_code_substituted_after_challenge),
		cmocka_unit_test(test_compare_code_server_commitment),
		cmocka_unit_test(test_identity_seed_wrap),
		cmocka_unit_test(test_minted_device_refused),
		cmocka_unit_test(test_swapped_identity),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
