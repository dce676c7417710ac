/*
 * hetu.h - validation of the Finnish personal identity code (henkilötunnus, "hetu").
 *
 * A code is DDMMYYCZZZQ: birth date, century sign, individual number, check character
 * (decree 128/2010 as amended by 690/2022). The century sign is part of the identity:
 * 100190-999P and 100190Y999P are different people, so codes are compared and stored
 * whole, never with the sign stripped. Only uppercase ASCII is accepted.
 *
 * Individual numbers 900-999 are temporary or test codes. Production refuses them and
 * test mode accepts only them, so that real codes never enter test data.
 *
 * Identity codes are personal data: never log them.
 */
#ifndef ADVICE_HETU_H
#define ADVICE_HETU_H

#include <stddef.h>
#include <stdint.h>

#define HETU_LEN 11 /* bytes, without a terminating NUL */

enum hetu_result {
	HETU_OK = 0,
	HETU_BAD_FORMAT,     /* not 11 bytes, or a byte outside the allowed set for its position */
	HETU_BAD_DATE,	     /* no such calendar date, or born after today */
	HETU_BAD_CHECK,	     /* check character does not match */
	HETU_BAD_INDIVIDUAL, /* individual number 000 or 001 */
	HETU_TEST_CODE,	     /* valid, but a 9xx test/temporary code and not in test mode */
	HETU_REAL_CODE,	     /* valid, but a real (002-899) code in test mode */
};

/*
 * Validates the `len` bytes at `code` (no NUL needed) as an identity code.
 * test_mode = 0: individual numbers 900-999 are refused; non-zero: only 900-999 are
 * accepted. today_ymd (e.g. 20261122) is today's date: a birth date after it is refused.
 * Checks in this order, returning the first failure:
 *   HETU_BAD_FORMAT, HETU_BAD_DATE, HETU_BAD_INDIVIDUAL, HETU_BAD_CHECK,
 *   then HETU_TEST_CODE (production) or HETU_REAL_CODE (test mode);
 * HETU_OK when the code is valid and allowed.
 */
int hetu_check(const char *code, size_t len, int test_mode, int today_ymd);

/* A short English reason for a hetu_result; "unknown" for other values. Never NULL. */
const char *hetu_result_text(int r);

/*
 * The birth date of a code as YYYYMMDD (for cross-checking a birthdate claim), or -1
 * when the code is not HETU_BAD_FORMAT-clean or its date is not a real date.
 * Does not check the check character or the individual number.
 */
int hetu_birth_ymd(const char *code, size_t len);

/* The UTC calendar date of a Unix time as YYYYMMDD, or -1 when out of range. */
int hetu_ymd_from_unix(int64_t t);

#endif
