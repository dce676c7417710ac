/*
 * totp.h - one-time passwords for the social workers' second factor: HOTP (RFC 4226) and
 * TOTP (RFC 6238) with HMAC-SHA-1, -256 or -512, the base32 form authenticator apps read,
 * and the otpauth:// enrolment URI.
 */
#ifndef ADVICE_TOTP_H
#define ADVICE_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES 20 /* new secrets: 160 bits (RFC 4226 §4 recommends it) */
#define TOTP_SECRET_MAX	  64
#define TOTP_STEP_S	  30
#define TOTP_DIGITS	  6
#define TOTP_WINDOW	  1 /* steps accepted either side of now (clock drift) */

enum totp_hash { TOTP_SHA1 = 0, TOTP_SHA256, TOTP_SHA512 };

/* The HOTP value of `counter` with `digits` (6..8) digits; -1 on a bad argument. */
long totp_hotp(const uint8_t *key, size_t keylen, enum totp_hash hash, uint64_t counter, int digits);

/*
 * Checks `code` (exactly TOTP_DIGITS ASCII digits) at Unix time now_s with SHA-1, 30-second
 * steps and TOTP_WINDOW steps of drift. A step at or before *last_step is refused (one code
 * is good once). Returns 0 and sets *last_step to the matching step, or -1.
 */
int totp_check(const uint8_t *key, size_t keylen, const char *code, int64_t now_s, int64_t *last_step);

/* RFC 4648 base32 without padding, NUL-terminated into out (outsz >= 8*len/5 + 2). 0 or -1. */
int totp_base32(const uint8_t *in, size_t len, char *out, size_t outsz);

#endif
