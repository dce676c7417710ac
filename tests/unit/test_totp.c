/*
 * test_totp.c - TOTP against the test vectors of RFC 6238 Appendix B (SHA-1, SHA-256,
 * SHA-512, 8 digits), HOTP against RFC 4226 Appendix D, and the checks of totp_check:
 * drift window, single use, malformed codes; base32 against RFC 4648 §10.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "totp.h"

static const uint8_t key20[] = "12345678901234567890";
static const uint8_t key32[] = "12345678901234567890123456789012";
static const uint8_t key64[] = "1234567890123456789012345678901234567890123456789012345678901234";

static void test_rfc6238_vectors(void **state)
{
	static const struct {
		int64_t t;
		long sha1, sha256, sha512;
	} v[] = {
		{ 59, 94287082, 46119246, 90693936 },	      { 1111111109, 7081804, 68084774, 25091201 },
		{ 1111111111, 14050471, 67062674, 99943326 }, { 1234567890, 89005924, 91819424, 93441116 },
		{ 2000000000, 69279037, 90698825, 38618901 }, { 20000000000LL, 65353130, 77737706, 47863826 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint64_t step = (uint64_t)(v[i].t / 30);

		assert_int_equal(totp_hotp(key20, 20, TOTP_SHA1, step, 8), v[i].sha1);
		assert_int_equal(totp_hotp(key32, 32, TOTP_SHA256, step, 8), v[i].sha256);
		assert_int_equal(totp_hotp(key64, 64, TOTP_SHA512, step, 8), v[i].sha512);
	}
}

static void test_rfc4226_vectors(void **state)
{
	static const long want[] = { 755224, 287082, 359152, 969429, 338314,
				     254676, 287922, 162583, 399871, 520489 };

	(void)state;
	for (uint64_t c = 0; c < 10; c++)
		assert_int_equal(totp_hotp(key20, 20, TOTP_SHA1, c, 6), want[c]);
}

static void test_hotp_bad_args(void **state)
{
	(void)state;
	assert_int_equal(totp_hotp(key20, 20, TOTP_SHA1, 0, 5), -1);
	assert_int_equal(totp_hotp(key20, 20, TOTP_SHA1, 0, 9), -1);
	assert_int_equal(totp_hotp(key20, 0, TOTP_SHA1, 0, 6), -1);
	assert_int_equal(totp_hotp(NULL, 20, TOTP_SHA1, 0, 6), -1);
	assert_int_equal(totp_hotp(key20, 20, (enum totp_hash)7, 0, 6), -1);
}

/* The 6-digit code at time t, as text. */
static void code_at(int64_t t, char out[8])
{
	snprintf(out, 8, "%06ld", totp_hotp(key20, 20, TOTP_SHA1, (uint64_t)(t / 30), 6));
}

static void test_check_window_and_single_use(void **state)
{
	const int64_t now = 1111111111;
	int64_t last = 0;
	char c[8];

	(void)state;
	code_at(now, c);
	assert_int_equal(totp_check(key20, 20, c, now, &last), 0);
	assert_int_equal(last, now / 30);
	/* the same code again: refused */
	assert_int_equal(totp_check(key20, 20, c, now, &last), -1);
	/* the previous step's code after a newer one was used: refused */
	code_at(now - 30, c);
	assert_int_equal(totp_check(key20, 20, c, now, &last), -1);
	/* the next step's code (clock drift of one step): accepted */
	code_at(now + 30, c);
	assert_int_equal(totp_check(key20, 20, c, now, &last), 0);
	assert_int_equal(last, now / 30 + 1);
	/* two steps away: refused */
	last = 0;
	code_at(now + 60, c);
	assert_int_equal(totp_check(key20, 20, c, now, &last), -1);
	code_at(now - 60, c);
	assert_int_equal(totp_check(key20, 20, c, now, &last), -1);
	/* one step back, fresh: accepted */
	code_at(now - 30, c);
	assert_int_equal(totp_check(key20, 20, c, now, &last), 0);
}

static void test_check_malformed(void **state)
{
	int64_t last = 0;

	(void)state;
	assert_int_equal(totp_check(key20, 20, "12345", 59, &last), -1);
	assert_int_equal(totp_check(key20, 20, "1234567", 59, &last), -1);
	assert_int_equal(totp_check(key20, 20, "12a456", 59, &last), -1);
	assert_int_equal(totp_check(key20, 20, " 12345", 59, &last), -1);
	assert_int_equal(totp_check(key20, 20, NULL, 59, &last), -1);
	assert_int_equal(totp_check(key20, 20, "123456", -1, &last), -1);
	assert_int_equal(last, 0);
}

static void test_base32(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(totp_base32((const uint8_t *)"foobar", 6, out, sizeof out), 0);
	assert_string_equal(out, "MZXW6YTBOI");
	assert_int_equal(totp_base32((const uint8_t *)"f", 1, out, sizeof out), 0);
	assert_string_equal(out, "MY");
	assert_int_equal(totp_base32(key20, 20, out, sizeof out), 0);
	assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_int_equal(totp_base32(key20, 20, out, 32), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors), cmocka_unit_test(test_rfc4226_vectors),
		cmocka_unit_test(test_hotp_bad_args),	cmocka_unit_test(test_check_window_and_single_use),
		cmocka_unit_test(test_check_malformed), cmocka_unit_test(test_base32),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
