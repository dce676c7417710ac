/*
 * test_crypto_checks.c - libadvice's checks against a malicious server beyond the formats: a
 * wrap of another thread, epoch, kind or unit opens nothing; a unit seed that is not its signed
 * event's is refused; attachment padding is added, checked and stripped (the server sees the
 * bucket only); passwords are hashed in Unicode NFKC and refused when not UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "advice.h"
#include "advice_crypto.h"

static void keys_new(struct advice_keys *k)
{
	uint8_t seed[32];

	advice_random(seed, 32);
	assert_int_equal(advice_keys_personal(k, seed), 0);
}

static void wrap_make(uint8_t out[ADVICE_WRAP_BYTES], uint8_t kind, const uint8_t scope[16], uint32_t epoch,
		      const uint8_t box_pk[32], const uint8_t key[32], const struct advice_keys *signer)
{
	uint8_t eph[32];

	advice_random(eph, 32);
	assert_int_equal(advice_wrap_seal(out, kind, scope, epoch, box_pk, key, eph, signer), 0);
}

static void test_wrap_open_checks_what_the_caller_expects(void **state)
{
	struct advice_keys signer, r;
	struct advice_wrap_info wi;
	uint8_t tid[16], other[16], key[32], out[32], w[ADVICE_WRAP_BYTES], w2[ADVICE_WRAP_BYTES];

	(void)state;
	keys_new(&signer);
	keys_new(&r);
	advice_random(tid, 16);
	advice_random(other, 16);
	advice_random(key, 32);
	wrap_make(w, ADVICE_WRAP_THREAD_KEY, tid, 3, r.box_pk, key, &signer);
	assert_int_equal(
		advice_wrap_open(out, &wi, w, sizeof w, ADVICE_WRAP_THREAD_KEY, tid, 3, &r, signer.sign_pk),
		0);
	assert_memory_equal(out, key, 32);
	/* The server hands out the wrap of another thread, epoch or kind: nothing opens. */
	assert_int_equal(
		advice_wrap_open(out, &wi, w, sizeof w, ADVICE_WRAP_THREAD_KEY, other, 3, &r, signer.sign_pk),
		-ADVICE_ERR_FORBIDDEN);
	assert_int_equal(
		advice_wrap_open(out, &wi, w, sizeof w, ADVICE_WRAP_THREAD_KEY, tid, 2, &r, signer.sign_pk),
		-ADVICE_ERR_FORBIDDEN);
	assert_int_equal(
		advice_wrap_open(out, &wi, w, sizeof w, ADVICE_WRAP_UNIT_SEED, tid, 3, &r, signer.sign_pk),
		-ADVICE_ERR_FORBIDDEN);
	/* A genuine wrap of another thread of the same recipient, passed off as this thread's. */
	wrap_make(w2, ADVICE_WRAP_THREAD_KEY, other, 3, r.box_pk, key, &signer);
	assert_int_equal(
		advice_wrap_open(out, &wi, w2, sizeof w2, ADVICE_WRAP_THREAD_KEY, tid, 3, &r, signer.sign_pk),
		-ADVICE_ERR_FORBIDDEN);
}

/* A signed event of generation g of unit_id for the keys of seed. */
static void event_for(struct advice_unit_event *ev, const uint8_t unit_id[16], uint32_t g,
		      const uint8_t seed[32], const struct advice_keys *admin)
{
	struct advice_keys k;
	uint8_t buf[ADVICE_UNIT_EVENT_MAX_BYTES];
	size_t len = 0;

	memset(ev, 0, sizeof *ev);
	assert_int_equal(advice_keys_unit(&k, NULL, seed), 0);
	memcpy(ev->unit_id, unit_id, 16);
	ev->generation = g;
	memcpy(ev->box_pk, k.box_pk, 32);
	memcpy(ev->sign_pk, k.sign_pk, 32);
	assert_int_equal(advice_unit_event_sign(buf, sizeof buf, &len, ev, admin), 0);
}

static void test_unit_seed_checked_against_its_event(void **state)
{
	struct advice_keys admin, worker, got, want;
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	uint8_t unit[16], s1[32], s2[32], seed[32], chain[32], want_chain[32], w[ADVICE_WRAP_BYTES];

	(void)state;
	assert_non_null(ev);
	keys_new(&admin);
	keys_new(&worker);
	advice_random(unit, 16);
	advice_random(s1, 32);
	advice_random(s2, 32);
	event_for(ev, unit, 1, s1, &admin);
	wrap_make(w, ADVICE_WRAP_UNIT_SEED, unit, 1, worker.box_pk, s1, &admin);
	assert_int_equal(advice_unit_seed_open(seed, &got, chain, w, sizeof w, ev, &worker, admin.sign_pk),
			 0);
	assert_memory_equal(seed, s1, 32);
	advice_keys_unit(&want, want_chain, s1);
	assert_memory_equal(got.box_pk, want.box_pk, 32);
	assert_memory_equal(chain, want_chain, 32);
	/* A wrap signed with the admin's key of a seed that is not the event's. */
	wrap_make(w, ADVICE_WRAP_UNIT_SEED, unit, 1, worker.box_pk, s2, &admin);
	memset(seed, 0, 32);
	assert_int_equal(advice_unit_seed_open(seed, &got, chain, w, sizeof w, ev, &worker, admin.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	for (int i = 0; i < 32; i++)
		assert_int_equal(seed[i], 0); /* nothing filled on refusal */
	assert_int_equal(advice_unit_seed_check(s2, ev, &got, NULL), -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(advice_unit_seed_check(s1, ev, &got, NULL), 0);
	/* The wrap of another generation or unit for this event. */
	wrap_make(w, ADVICE_WRAP_UNIT_SEED, unit, 2, worker.box_pk, s1, &admin);
	assert_int_equal(advice_unit_seed_open(seed, &got, NULL, w, sizeof w, ev, &worker, admin.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	advice_random(seed, 16);
	wrap_make(w, ADVICE_WRAP_UNIT_SEED, seed, 1, worker.box_pk, s1, &admin);
	assert_int_equal(advice_unit_seed_open(seed, &got, NULL, w, sizeof w, ev, &worker, admin.sign_pk),
			 -ADVICE_ERR_FORBIDDEN);
	free(ev);
}

/* Encrypts `size` bytes of data (the last one 0x55) into ct (room for 4 chunks). */
static size_t encrypt_file(uint8_t *ct, size_t *lens, const uint8_t *data, size_t size, const uint8_t key[32],
			   const uint8_t hdr[24], const uint8_t tid[16], const uint8_t fid[16])
{
	struct advice_file_stream *s = advice_file_stream_new(1, key, hdr, tid, fid, size);
	uint64_t count = advice_file_chunk_count(advice_file_padded_size(size));
	size_t off = 0, pos = 0;

	assert_non_null(s);
	for (uint64_t i = 0; i < count; i++) {
		size_t n = size - off > ADVICE_FILE_CHUNK_BYTES ? ADVICE_FILE_CHUNK_BYTES : size - off;

		assert_int_equal(advice_file_push(s, data + off, n, i + 1 == count, ct + pos, &lens[i]), 0);
		pos += lens[i];
		off += n;
	}
	advice_file_stream_free(s);
	return (size_t)count;
}

/* Decrypts with the reader told `size`: 0 and the bytes in out, or the first error. */
static int decrypt_file(uint8_t *out, const uint8_t *ct, const size_t *lens, size_t n, uint64_t size,
			const uint8_t key[32], const uint8_t hdr[24], const uint8_t tid[16],
			const uint8_t fid[16])
{
	struct advice_file_stream *s = advice_file_stream_new(0, key, hdr, tid, fid, size);
	uint8_t *pt = malloc(ADVICE_FILE_CHUNK_BYTES);
	size_t pos = 0, off = 0, got = 0;
	int final = 0, rc = 0;

	for (size_t i = 0; i < n && rc == 0; pos += lens[i++]) {
		rc = advice_file_pull(s, ct + pos, lens[i], pt, &got, &final);
		if (rc == 0) {
			memcpy(out + off, pt, got);
			off += got;
		}
	}
	if (rc == 0 && (!final || off != size))
		rc = -ADVICE_ERR_FORBIDDEN;
	advice_file_stream_free(s);
	free(pt);
	return rc;
}

static void test_file_padding(void **state)
{
	enum { SIZE = 70000 };
	uint8_t key[32], hdr[24], tid[16], fid[16];
	uint8_t *data = malloc(SIZE), *out = malloc(SIZE + 1), *ct = malloc(4 * ADVICE_FILE_CHUNK_MAX_CIPHER);
	size_t lens[4], n;

	(void)state;
	advice_random(key, 32);
	advice_random(hdr, 24);
	advice_random(tid, 16);
	advice_random(fid, 16);
	advice_random(data, SIZE);
	data[SIZE - 1] = 0x55;
	/* Buckets: one chunk at least, then Padmé (a multiple of 2048 bytes at this size). */
	assert_int_equal(advice_file_padded_size(0), ADVICE_FILE_PAD_MIN);
	assert_int_equal(advice_file_padded_size(ADVICE_FILE_CHUNK_BYTES), ADVICE_FILE_PAD_MIN);
	assert_int_equal(advice_file_padded_size(SIZE), 71680);
	assert_int_equal(advice_file_padded_size(25u << 20), 25u << 20);
	assert_int_equal(advice_file_padded_size(ADVICE_FILE_PAD_MAX_SIZE + 1), 0);
	assert_null(advice_file_stream_new(1, key, hdr, tid, fid, ADVICE_FILE_PAD_MAX_SIZE + 1));
	n = encrypt_file(ct, lens, data, SIZE, key, hdr, tid, fid);
	assert_int_equal(n, 2);
	assert_int_equal(lens[0] + lens[1],
			 71680 + 2 * ADVICE_FILE_CHUNK_OVERHEAD); /* what the server sees */
	assert_int_equal(decrypt_file(out, ct, lens, n, SIZE, key, hdr, tid, fid), 0);
	assert_memory_equal(out, data, SIZE);
	/* A size one smaller in the same bucket: its padding would hold a file byte. */
	assert_int_equal(decrypt_file(out, ct, lens, n, SIZE - 1, key, hdr, tid, fid), -ADVICE_ERR_FORBIDDEN);
	/* A size of another bucket: the chunks have the wrong length. */
	assert_int_equal(decrypt_file(out, ct, lens, n, 100, key, hdr, tid, fid), -ADVICE_ERR_FORBIDDEN);
	assert_int_equal(decrypt_file(out, ct, lens, n, 200000, key, hdr, tid, fid), -ADVICE_ERR_FORBIDDEN);
	free(data);
	free(out);
	free(ct);
}

static void test_password_nfkc(void **state)
{
	uint8_t salt[16] = { 0 }, a[32], b[32];
	char *n = NULL;

	(void)state;
	/* Ligature, full-width letters, a circled digit, a superscript, the angstrom sign. */
	assert_int_equal(
		advice_password_nfkc("\xef\xac\x81ve \xef\xbc\xab \xe2\x91\xa0\xc2\xb2 \xe2\x84\xab", &n), 0);
	assert_string_equal(n, "five K 12 \xc3\x85");
	free(n);
	/* Decomposed and composed forms give one key. */
	assert_int_equal(
		advice_worker_auth_key("A\xcc\x8a", salt, ADVICE_PWHASH_OPS_MIN, ADVICE_PWHASH_MEM_MIN, a),
		0);
	assert_int_equal(
		advice_worker_auth_key("\xc3\x85", salt, ADVICE_PWHASH_OPS_MIN, ADVICE_PWHASH_MEM_MIN, b), 0);
	assert_memory_equal(a, b, 32);
	/* Not UTF-8 (Latin-1, an overlong form, an encoded surrogate) or too long: refused. */
	assert_int_equal(advice_password_nfkc("caf\xe9", &n), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_password_nfkc("\xc0\xaf", &n), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_password_nfkc("\xed\xa0\x80", &n), -ADVICE_ERR_INVAL);
	assert_int_equal(
		advice_worker_auth_key("caf\xe9", salt, ADVICE_PWHASH_OPS_MIN, ADVICE_PWHASH_MEM_MIN, a),
		-ADVICE_ERR_INVAL);
	{
		char *longpw = malloc(ADVICE_PASSWORD_MAX_BYTES + 2);

		memset(longpw, 'x', ADVICE_PASSWORD_MAX_BYTES + 1);
		longpw[ADVICE_PASSWORD_MAX_BYTES + 1] = '\0';
		assert_int_equal(advice_password_nfkc(longpw, &n), -ADVICE_ERR_INVAL);
		free(longpw);
	}
	/* Below the floor nothing is derived. */
	assert_int_equal(advice_worker_auth_key("pw", salt, 1, 8192, a), -ADVICE_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_open_checks_what_the_caller_expects),
		cmocka_unit_test(test_unit_seed_checked_against_its_event),
		cmocka_unit_test(test_file_padding),
		cmocka_unit_test(test_password_nfkc),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
