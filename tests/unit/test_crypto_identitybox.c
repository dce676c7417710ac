/*
 * test_crypto_identitybox.c - libadvice's identity box (lib/crypto_identitybox.c): sealed to a
 * unit generation for a thread, it opens there to the name, identity code and time; it is
 * refused when a server moves it to another thread or unit, relabels its generation, or when
 * another generation's keys read it; every box has one size whatever the name's length; bad
 * names and codes are refused before sealing; a content that is not the format's (made here
 * by sealing other bytes under the box key as CRYPTO-FORMATS.md derives it) is malformed.
 * Known answers are in proto/vectors/identity-box.json (crypto_tool).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "advice.h"
#include "advice_crypto.h"

#define AT 1770000000000ULL

struct fixture {
	struct advice_keys unit, other;
	struct advice_identity_box_hdr h;
	uint8_t box[ADVICE_IDENTITY_BOX_BYTES];
};

static void unit_keys(struct advice_keys *k)
{
	uint8_t seed[32];

	advice_random(seed, sizeof seed);
	assert_int_equal(advice_keys_unit(k, NULL, seed), 0);
}

/* Seals name/hetu for f's thread, unit and generation 3 with fresh randomness. */
static int seal(struct fixture *f, uint8_t *out, const char *name, const char *hetu, uint64_t at)
{
	uint8_t eph[32], nonce[24];

	advice_random(eph, sizeof eph);
	advice_random(nonce, sizeof nonce);
	return advice_identity_box_seal(out, &f->h, name, hetu, at, f->unit.box_pk, eph, nonce);
}

static void fixture_new(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	unit_keys(&f->unit);
	unit_keys(&f->other);
	advice_random(f->h.thread_id, 16);
	advice_random(f->h.unit_id, 16);
	f->h.generation = 3;
	assert_int_equal(seal(f, f->box, "Aino Testinen", "010594Y9032", AT), 0);
}

static int open_as(const uint8_t *box, size_t len, const uint8_t tid[16], const uint8_t uid[16],
		   const struct advice_keys *k, struct advice_identity *id)
{
	return advice_identity_box_open(id, box, len, tid, uid, k);
}

static void test_round_trip(void **state)
{
	struct advice_identity_box_hdr h;
	struct advice_identity id;
	struct fixture f;

	(void)state;
	fixture_new(&f);
	assert_int_equal(advice_identity_box_parse(f.box, sizeof f.box, &h), 0);
	assert_memory_equal(h.thread_id, f.h.thread_id, 16);
	assert_memory_equal(h.unit_id, f.h.unit_id, 16);
	assert_int_equal(h.generation, 3);
	assert_int_equal(open_as(f.box, sizeof f.box, f.h.thread_id, f.h.unit_id, &f.unit, &id), 0);
	assert_string_equal(id.name, "Aino Testinen");
	assert_string_equal(id.hetu, "010594Y9032");
	assert_true(id.verified_at == AT);
	/* A name with quotes, a backslash and letters beyond ASCII comes back as it was. */
	assert_int_equal(seal(&f, f.box, "\xc3\x85sa \"Lotta\" \\ M\xc3\xa4kel\xc3\xa4", "070770-905D", 0),
			 0);
	assert_int_equal(open_as(f.box, sizeof f.box, f.h.thread_id, f.h.unit_id, &f.unit, &id), 0);
	assert_string_equal(id.name, "\xc3\x85sa \"Lotta\" \\ M\xc3\xa4kel\xc3\xa4");
	assert_true(id.verified_at == 0);
}

static void test_moved_or_other_keys(void **state)
{
	uint8_t m[ADVICE_IDENTITY_BOX_BYTES], other_id[16];
	struct advice_identity id;
	struct fixture f;

	(void)state;
	fixture_new(&f);
	advice_random(other_id, 16);
	/* Read for another thread or unit: the header does not match. */
	assert_int_equal(open_as(f.box, sizeof f.box, other_id, f.h.unit_id, &f.unit, &id),
			 -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(open_as(f.box, sizeof f.box, f.h.thread_id, other_id, &f.unit, &id),
			 -ADVICE_ERR_FORBIDDEN);
	assert_string_equal(id.name, "");
	/* Relabelled by a server to another thread, unit or generation: the AD does not match. */
	memcpy(m, f.box, sizeof m);
	memcpy(m + 6, other_id, 16);
	assert_int_equal(open_as(m, sizeof m, other_id, f.h.unit_id, &f.unit, &id), -ADVICE_ERR_FORBIDDEN);
	memcpy(m, f.box, sizeof m);
	memcpy(m + 22, other_id, 16);
	assert_int_equal(open_as(m, sizeof m, f.h.thread_id, other_id, &f.unit, &id), -ADVICE_ERR_FORBIDDEN);
	memcpy(m, f.box, sizeof m);
	m[38] = 4;
	assert_int_equal(open_as(m, sizeof m, f.h.thread_id, f.h.unit_id, &f.unit, &id),
			 -ADVICE_ERR_FORBIDDEN);
	/* Another generation's keys, a flipped bit. */
	assert_int_equal(open_as(f.box, sizeof f.box, f.h.thread_id, f.h.unit_id, &f.other, &id),
			 -ADVICE_ERR_FORBIDDEN);
	memcpy(m, f.box, sizeof m);
	m[200] ^= 1;
	assert_int_equal(open_as(m, sizeof m, f.h.thread_id, f.h.unit_id, &f.unit, &id),
			 -ADVICE_ERR_FORBIDDEN);
	/* Malformed: size, type, generation 0. */
	assert_int_equal(open_as(f.box, sizeof f.box - 1, f.h.thread_id, f.h.unit_id, &f.unit, &id),
			 -ADVICE_ERR_INVAL);
	memcpy(m, f.box, sizeof m);
	m[3] = 14;
	assert_int_equal(advice_identity_box_parse(m, sizeof m, NULL), -ADVICE_ERR_INVAL);
	memcpy(m, f.box, sizeof m);
	memset(m + 38, 0, 4);
	assert_int_equal(advice_identity_box_parse(m, sizeof m, NULL), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_identity_box_parse(NULL, 0, NULL), -ADVICE_ERR_INVAL);
}

static void test_one_size_and_bad_input(void **state)
{
	char longest[ADVICE_IDENTITY_CONTENT_MAX + 2], content[ADVICE_IDENTITY_CONTENT_MAX];
	uint8_t b[ADVICE_IDENTITY_BOX_BYTES];
	struct advice_identity id;
	struct fixture f;
	size_t len = 0, fixed;

	(void)state;
	fixture_new(&f);
	/* The longest name that fits: the content is exactly ADVICE_IDENTITY_CONTENT_MAX bytes. */
	assert_int_equal(advice_identity_content(content, sizeof content, &len, "A", "010594Y9032", AT), 0);
	fixed = len - 1;
	memset(longest, 'a', sizeof longest);
	longest[ADVICE_IDENTITY_CONTENT_MAX - fixed] = '\0';
	assert_int_equal(seal(&f, b, longest, "010594Y9032", AT), 0);
	assert_int_equal(open_as(b, sizeof b, f.h.thread_id, f.h.unit_id, &f.unit, &id), 0);
	assert_int_equal(strlen(id.name), ADVICE_IDENTITY_CONTENT_MAX - fixed);
	longest[ADVICE_IDENTITY_CONTENT_MAX - fixed] = 'a';
	longest[ADVICE_IDENTITY_CONTENT_MAX - fixed + 1] = '\0';
	assert_int_equal(seal(&f, b, longest, "010594Y9032", AT), -ADVICE_ERR_INVAL);
	/* Empty, control characters, not UTF-8, a time past 2^53 - 1, generation 0. */
	assert_int_equal(seal(&f, b, "", "010594Y9032", AT), -ADVICE_ERR_INVAL);
	assert_int_equal(seal(&f, b, "Aino", "", AT), -ADVICE_ERR_INVAL);
	assert_int_equal(seal(&f, b, "Aino\nTestinen", "010594Y9032", AT), -ADVICE_ERR_INVAL);
	assert_int_equal(seal(&f, b, "Aino\x7f", "010594Y9032", AT), -ADVICE_ERR_INVAL);
	assert_int_equal(seal(&f, b, "Aino \xe4", "010594Y9032", AT), -ADVICE_ERR_INVAL);
	assert_int_equal(seal(&f, b, NULL, "010594Y9032", AT), -ADVICE_ERR_INVAL);
	assert_int_equal(seal(&f, b, "Aino", "010594Y9032", ADVICE_IDENTITY_TIME_MAX + 1), -ADVICE_ERR_INVAL);
	f.h.generation = 0;
	assert_int_equal(seal(&f, b, "Aino", "010594Y9032", AT), -ADVICE_ERR_INVAL);
	/* A content that does not fit the caller's buffer. */
	assert_int_equal(advice_identity_content(content, 10, &len, "Aino", "010594Y9032", AT),
			 -ADVICE_ERR_INVAL);
}

/* Seals content (clen bytes) as a box of f's header the way the format derives the key. */
static void seal_raw(uint8_t out[ADVICE_IDENTITY_BOX_BYTES], const struct fixture *f, const char *content)
{
	uint8_t eph_sk[32], shared[32], key[32], padded[ADVICE_IDENTITY_CONTENT_MAX + 1];
	size_t clen = strlen(content), plen = 0;
	crypto_generichash_state st;

	memcpy(out, "QA\x01\x0f\x01\x00", 6);
	memcpy(out + 6, f->h.thread_id, 16);
	memcpy(out + 22, f->h.unit_id, 16);
	out[38] = (uint8_t)f->h.generation, out[39] = out[40] = out[41] = 0;
	advice_random(out + 74, 24);
	crypto_box_keypair(out + 42, eph_sk);
	assert_int_equal(crypto_scalarmult(shared, eph_sk, f->unit.box_pk), 0);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"QA-v1-idbox", 11);
	crypto_generichash_update(&st, shared, 32);
	crypto_generichash_update(&st, out + 42, 32);
	crypto_generichash_update(&st, f->unit.box_pk, 32);
	crypto_generichash_final(&st, key, 32);
	memcpy(padded, content, clen);
	assert_int_equal(sodium_pad(&plen, padded, clen, sizeof padded, sizeof padded), 0);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 98, NULL, padded, sizeof padded, out, 98, NULL,
						   out + 74, key);
}

static void test_content_not_the_format(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[1,2,3]",
		"{\"name\":\"Aino\",\"hetu\":\"010594Y9032\"}",
		"{\"name\":\"Aino\",\"hetu\":\"010594Y9032\",\"verified_at\":1,\"more\":1}",
		"{\"name\":\"Aino\",\"hetu\":\"010594Y9032\",\"verified_at\":-1}",
		"{\"name\":\"Aino\",\"hetu\":\"010594Y9032\",\"verified_at\":1.5}",
		"{\"name\":\"Aino\",\"hetu\":\"010594Y9032\",\"verified_at\":9007199254740992}",
		"{\"name\":\"\",\"hetu\":\"010594Y9032\",\"verified_at\":1}",
		"{\"name\":\"A\\u0000b\",\"hetu\":\"010594Y9032\",\"verified_at\":1}",
		"{\"name\":\"A\\nb\",\"hetu\":\"010594Y9032\",\"verified_at\":1}",
		"{\"name\":7,\"hetu\":\"010594Y9032\",\"verified_at\":1}",
		"{\"name\":\"Aino\",\"name\":\"Eino\",\"hetu\":\"010594Y9032\",\"verified_at\":1}",
		"{\"hetu\":\"010594Y9032\",\"name\":\"Aino\",\"verified_at\":1}",
		"{\"name\": \"Aino\",\"hetu\":\"010594Y9032\",\"verified_at\":1}",
		"{\"name\":\"Ain\\u006f\",\"hetu\":\"010594Y9032\",\"verified_at\":1}",
		"{\"name\":\"Aino\",\"hetu\":\"010594Y9032\",\"verified_at\":01}",
	};
	uint8_t b[ADVICE_IDENTITY_BOX_BYTES];
	struct advice_identity id;
	struct fixture f;

	(void)state;
	fixture_new(&f);
	seal_raw(b, &f, "{\"name\":\"Aino\",\"hetu\":\"010594Y9032\",\"verified_at\":1}");
	assert_int_equal(open_as(b, sizeof b, f.h.thread_id, f.h.unit_id, &f.unit, &id), 0);
	assert_string_equal(id.name, "Aino");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		seal_raw(b, &f, bad[i]);
		assert_int_equal(open_as(b, sizeof b, f.h.thread_id, f.h.unit_id, &f.unit, &id),
				 -ADVICE_ERR_INVAL);
		assert_string_equal(id.name, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_moved_or_other_keys),
		cmocka_unit_test(test_one_size_and_bad_input),
		cmocka_unit_test(test_content_not_the_format),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
