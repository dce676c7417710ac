/*
 * totp.c - HOTP/TOTP codes (RFC 4226, RFC 6238) with OpenSSL's HMAC, compared in constant
 * time, and base32 for enrolment. The core keeps the secret sealed at rest (staff.c).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "totp.h"

static const EVP_MD *totp_md(enum totp_hash hash)
{
	switch (hash) {
	case TOTP_SHA1: return EVP_sha1();
	case TOTP_SHA256: return EVP_sha256();
	case TOTP_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

long totp_hotp(const uint8_t *key, size_t keylen, enum totp_hash hash, uint64_t counter, int digits)
{
	static const long mod[] = { 1000000L, 10000000L, 100000000L };
	const EVP_MD *md = totp_md(hash);
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	uint32_t bin;
	int off;

	if (md == NULL || key == NULL || keylen == 0 || keylen > TOTP_SECRET_MAX || digits < 6 || digits > 8)
		return -1;
	for (int i = 0; i < 8; i++)
		msg[i] = (uint8_t)(counter >> (56 - 8 * i));
	if (HMAC(md, key, (int)keylen, msg, sizeof msg, mac, &maclen) == NULL || maclen < 20)
		return -1;
	off = mac[maclen - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	OPENSSL_cleanse(mac, sizeof mac);
	return (long)(bin % (uint32_t)mod[digits - 6]);
}

int totp_check(const uint8_t *key, size_t keylen, const char *code, int64_t now_s, int64_t *last_step)
{
	char want[24];
	int64_t step;
	int found = -1;

	if (code == NULL || last_step == NULL || now_s < 0 || strlen(code) != TOTP_DIGITS ||
	    strspn(code, "0123456789") != TOTP_DIGITS)
		return -1;
	step = now_s / TOTP_STEP_S;
	/* Every candidate is computed and compared, so the time taken does not tell which matched. */
	for (int64_t s = step - TOTP_WINDOW; s <= step + TOTP_WINDOW; s++) {
		long v = s < 0 ? -1 : totp_hotp(key, keylen, TOTP_SHA1, (uint64_t)s, TOTP_DIGITS);

		snprintf(want, sizeof want, "%0*ld", TOTP_DIGITS, v < 0 ? 0 : v);
		if (v >= 0 && CRYPTO_memcmp(want, code, TOTP_DIGITS) == 0 && s > *last_step && found < 0)
			found = (int)(s - step + TOTP_WINDOW);
	}
	OPENSSL_cleanse(want, sizeof want);
	if (found < 0)
		return -1;
	*last_step = step - TOTP_WINDOW + found;
	return 0;
}

int totp_base32(const uint8_t *in, size_t len, char *out, size_t outsz)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	if (out == NULL || outsz < (len * 8 + 4) / 5 + 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}
