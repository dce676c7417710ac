/*
 * test_hetu.c - unit tests of hetu.c: valid codes from research/identity.md §3.2 and every
 * error class, with the boundaries of the date, individual number and character rules.
 * All codes here are either fictional test codes (9xx) or computed examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hetu.h"
#include "testutil.h"

#define TODAY 20261122
#define PROD  0
#define TEST  1

/* hetu_check over a NUL-terminated literal. */
static int check(const char *code, int test_mode)
{
	return hetu_check(code, strlen(code), test_mode, TODAY);
}

/* Completes a 10-character prefix with its check character (written independently of hetu.c). */
static void complete(char out[12], const char *prefix10)
{
	const char *table = "0123456789ABCDEFHJKLMNPRSTUVWXY";
	long n = 0;

	memcpy(out, prefix10, 10);
	for (int i = 0; i < 10; i++)
		if (i != 6)
			n = n * 10 + (prefix10[i] - '0');
	out[10] = table[n % 31];
	out[11] = '\0';
}

static void test_valid_test_codes(void **state)
{
	static const char *const codes[] = {
		"010594Y9032", "020594X903P", "010516B903X", "070770-905D",
		"220750-999Y", "141002A909X", "100190-999P", "210281-9988",
	};

	(void)state;
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		assert_int_equal(check(codes[i], TEST), HETU_OK);
		assert_int_equal(check(codes[i], PROD), HETU_TEST_CODE);
	}
}

static void test_valid_real_codes(void **state)
{
	static const char *const codes[] = { "131052-308T", "290793V6787" };

	(void)state;
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		assert_int_equal(check(codes[i], PROD), HETU_OK);
		assert_int_equal(check(codes[i], TEST), HETU_REAL_CODE);
	}
}

static void test_century_sign_is_identity(void **state)
{
	(void)state;
	/* Same digits and check character, different sign: both valid, different people. */
	assert_int_equal(check("100190-999P", TEST), HETU_OK);
	assert_int_equal(check("100190Y999P", TEST), HETU_OK);
	assert_int_equal(check("100190U999P", TEST), HETU_OK);
	assert_int_not_equal(strcmp("100190-999P", "100190Y999P"), 0);
}

static void test_every_century_sign(void **state)
{
	const char *signs = "+-YXWVUABCDEF";
	char prefix[11], code[12];

	(void)state;
	for (const char *s = signs; *s; s++) {
		memcpy(prefix, "010105-123", 11);
		prefix[6] = *s;
		complete(code, prefix);
		assert_int_equal(check(code, PROD), HETU_OK);
	}
}

static void test_bad_century_signs(void **state)
{
	const char *bad = "*GHZyabc /=0#";
	char code[12];

	(void)state;
	for (const char *s = bad; *s; s++) {
		memcpy(code, "131052-308T", 12);
		code[6] = *s;
		assert_int_equal(check(code, PROD), HETU_BAD_FORMAT);
	}
}

static void test_length(void **state)
{
	(void)state;
	assert_int_equal(hetu_check("131052-308", 10, PROD, TODAY), HETU_BAD_FORMAT);
	assert_int_equal(hetu_check("131052-308TT", 12, PROD, TODAY), HETU_BAD_FORMAT);
	assert_int_equal(hetu_check("131052-308T ", 12, PROD, TODAY), HETU_BAD_FORMAT);
	assert_int_equal(hetu_check(" 131052-308T", 12, PROD, TODAY), HETU_BAD_FORMAT);
	assert_int_equal(hetu_check("", 0, PROD, TODAY), HETU_BAD_FORMAT);
	assert_int_equal(hetu_check(NULL, 11, PROD, TODAY), HETU_BAD_FORMAT);
	/* A longer buffer read only up to len: the first 11 bytes are the code. */
	assert_int_equal(hetu_check("131052-308TXYZ", 11, PROD, TODAY), HETU_OK);
}

static void test_lowercase_refused(void **state)
{
	(void)state;
	assert_int_equal(check("131052-308t", PROD), HETU_BAD_FORMAT);
	assert_int_equal(check("141002a909X", TEST), HETU_BAD_FORMAT);
	assert_int_equal(check("141002A909x", TEST), HETU_BAD_FORMAT);
	assert_int_equal(check("010594y9032", TEST), HETU_BAD_FORMAT);
	assert_int_equal(check("020594x903p", TEST), HETU_BAD_FORMAT);
}

static void test_nul_and_non_ascii(void **state)
{
	(void)state;
	assert_int_equal(hetu_check("131052-308\0", 11, PROD, TODAY), HETU_BAD_FORMAT);
	assert_int_equal(hetu_check("131052\0"
				    "308T",
				    11, PROD, TODAY),
			 HETU_BAD_FORMAT);
	assert_int_equal(hetu_check("\0"
				    "31052-308T",
				    11, PROD, TODAY),
			 HETU_BAD_FORMAT);
	assert_int_equal(hetu_check("131052-30\xc3\x9e", 11, PROD, TODAY), HETU_BAD_FORMAT);
	assert_int_equal(hetu_check("13105\xd9-308T", 11, PROD, TODAY), HETU_BAD_FORMAT);
	/* Unicode minus sign instead of '-' is more bytes and not a sign. */
	assert_int_equal(check("131052\xe2\x88\x92"
			       "308T",
			       PROD),
			 HETU_BAD_FORMAT);
}

static void test_non_digits(void **state)
{
	(void)state;
	assert_int_equal(check("13105A-308T", PROD), HETU_BAD_FORMAT);
	assert_int_equal(check("131052-3O8T", PROD), HETU_BAD_FORMAT);
	assert_int_equal(check("+31052-308T", PROD), HETU_BAD_FORMAT);
	assert_int_equal(check("131052- 08T", PROD), HETU_BAD_FORMAT);
}

static void test_check_character_set(void **state)
{
	const char *not_in_table = "GIOQZ-+ a";
	char code[12];

	(void)state;
	for (const char *c = not_in_table; *c; c++) {
		memcpy(code, "131052-308T", 12);
		code[10] = *c;
		assert_int_equal(check(code, PROD), HETU_BAD_FORMAT);
	}
}

static void test_bad_check(void **state)
{
	(void)state;
	assert_int_equal(check("131052-308U", PROD), HETU_BAD_CHECK);
	assert_int_equal(check("131052-308S", PROD), HETU_BAD_CHECK);
	assert_int_equal(check("131052-3080", PROD), HETU_BAD_CHECK);
	assert_int_equal(check("131052-309T", PROD), HETU_BAD_CHECK);
	assert_int_equal(check("010594Y9033", TEST), HETU_BAD_CHECK);
	/* Swapped digits. */
	assert_int_equal(check("311052-308T", PROD), HETU_BAD_CHECK);
}

static void test_individual_boundaries(void **state)
{
	(void)state;
	assert_int_equal(check("010190-000N", PROD), HETU_BAD_INDIVIDUAL);
	assert_int_equal(check("010100-001F", PROD), HETU_BAD_INDIVIDUAL);
	assert_int_equal(check("010100-001F", TEST), HETU_BAD_INDIVIDUAL);
	assert_int_equal(check("010100+002H", PROD), HETU_OK);
	assert_int_equal(check("010100-899E", PROD), HETU_OK);
	assert_int_equal(check("010100-899E", TEST), HETU_REAL_CODE);
	assert_int_equal(check("010100-900F", PROD), HETU_TEST_CODE);
	assert_int_equal(check("010100-900F", TEST), HETU_OK);
	assert_int_equal(check("220750-999Y", PROD), HETU_TEST_CODE);
	assert_int_equal(check("220750-999Y", TEST), HETU_OK);
}

static void test_leap_days(void **state)
{
	(void)state;
	assert_int_equal(check("290200A002C", PROD), HETU_OK);	     /* 2000: leap */
	assert_int_equal(check("290204A002D", PROD), HETU_OK);	     /* 2004: leap */
	assert_int_equal(check("290296-0025", PROD), HETU_OK);	     /* 1996: leap */
	assert_int_equal(check("290200-002C", PROD), HETU_BAD_DATE); /* 1900: not leap */
	assert_int_equal(check("290200+002C", PROD), HETU_BAD_DATE); /* 1800: not leap */
	assert_int_equal(check("290297-002D", PROD), HETU_BAD_DATE); /* 1997: not leap */
}

static void test_bad_dates(void **state)
{
	char code[12];

	(void)state;
	complete(code, "000190-123");
	assert_int_equal(check(code, PROD), HETU_BAD_DATE); /* day 00 */
	complete(code, "320190-123");
	assert_int_equal(check(code, PROD), HETU_BAD_DATE); /* day 32 */
	complete(code, "310490-123");
	assert_int_equal(check(code, PROD), HETU_BAD_DATE); /* 31 April */
	complete(code, "300490-123");
	assert_int_equal(check(code, PROD), HETU_OK); /* 30 April */
	complete(code, "010090-123");
	assert_int_equal(check(code, PROD), HETU_BAD_DATE); /* month 00 */
	complete(code, "011390-123");
	assert_int_equal(check(code, PROD), HETU_BAD_DATE); /* month 13 */
	complete(code, "311299+123");
	assert_int_equal(check(code, PROD), HETU_OK); /* 31 Dec 1899 */
	complete(code, "010100+123");
	assert_int_equal(check(code, PROD), HETU_OK); /* 1 Jan 1800 */
}

static void test_future_dates(void **state)
{
	(void)state;
	assert_int_equal(check("221126A002U", PROD), HETU_OK);	     /* born today */
	assert_int_equal(check("231126A002F", PROD), HETU_BAD_DATE); /* tomorrow */
	assert_int_equal(hetu_check("221126A002U", 11, PROD, 20261121), HETU_BAD_DATE);
	/* 2099 is in the future; the same digits in the 1900s are not. */
	{
		char code[12];

		complete(code, "010199F123");
		assert_int_equal(check(code, PROD), HETU_BAD_DATE);
		complete(code, "010199-123");
		assert_int_equal(check(code, PROD), HETU_OK);
	}
}

static void test_error_order(void **state)
{
	(void)state;
	/* Bad date wins over bad check; individual 001 wins over bad check. */
	assert_int_equal(check("310290-0010", PROD), HETU_BAD_DATE);
	assert_int_equal(check("010190-0010", PROD), HETU_BAD_INDIVIDUAL);
	/* A test code with a bad check is a bad check, not a test code. */
	assert_int_equal(check("220750-999X", PROD), HETU_BAD_CHECK);
}

static void test_result_text(void **state)
{
	(void)state;
	for (int r = HETU_OK; r <= HETU_REAL_CODE; r++) {
		assert_non_null(hetu_result_text(r));
		assert_string_not_equal(hetu_result_text(r), "unknown");
	}
	assert_string_equal(hetu_result_text(-1), "unknown");
	assert_string_equal(hetu_result_text(99), "unknown");
}

static void test_birth_ymd(void **state)
{
	(void)state;
	assert_int_equal(hetu_birth_ymd("131052-308T", 11), 19521013);
	assert_int_equal(hetu_birth_ymd("141002A909X", 11), 20021014);
	assert_int_equal(hetu_birth_ymd("010100+002H", 11), 18000101);
	assert_int_equal(hetu_birth_ymd("290200-002C", 11), -1);
	assert_int_equal(hetu_birth_ymd("131052-308", 10), -1);
}

static void test_ymd_from_unix(void **state)
{
	(void)state;
	assert_int_equal(hetu_ymd_from_unix(0), 19700101);
	assert_int_equal(hetu_ymd_from_unix(951782400), 20000229);  /* 2000-02-29T00:00:00Z */
	assert_int_equal(hetu_ymd_from_unix(1795391999), 20261122); /* 2026-11-22T23:59:59Z */
	assert_int_equal(hetu_ymd_from_unix(1795392000), 20261123);
	assert_int_equal(hetu_ymd_from_unix(-1), -1);
	assert_int_equal(hetu_ymd_from_unix(INT64_MAX), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_test_codes),
		cmocka_unit_test(test_valid_real_codes),
		cmocka_unit_test(test_century_sign_is_identity),
		cmocka_unit_test(test_every_century_sign),
		cmocka_unit_test(test_bad_century_signs),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_lowercase_refused),
		cmocka_unit_test(test_nul_and_non_ascii),
		cmocka_unit_test(test_non_digits),
		cmocka_unit_test(test_check_character_set),
		cmocka_unit_test(test_bad_check),
		cmocka_unit_test(test_individual_boundaries),
		cmocka_unit_test(test_leap_days),
		cmocka_unit_test(test_bad_dates),
		cmocka_unit_test(test_future_dates),
		cmocka_unit_test(test_error_order),
		cmocka_unit_test(test_result_text),
		cmocka_unit_test(test_birth_ymd),
		cmocka_unit_test(test_ymd_from_unix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
