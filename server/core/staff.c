/*
 * staff.c - sealing of the workers' TOTP secrets, setup codes and enrolment URIs (staff.h).
 * The sealing key is derived from the pepper, so a copy of the database alone does not hold
 * the second factor; the user id as associated data keeps a sealed secret from being moved
 * to another account.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "staff.h"

#define SEAL_CONTEXT "advtotp1"
#define SEAL_NONCE   crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define SEAL_TAG     crypto_aead_xchacha20poly1305_ietf_ABYTES

static void seal_key(const uint8_t pepper[32], uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES])
{
	crypto_kdf_derive_from_key(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, 1, SEAL_CONTEXT, pepper);
}

int staff_totp_seal(const uint8_t pepper[32], const char *user_id, const uint8_t *secret, size_t len,
		    uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	unsigned long long clen = 0;

	if (len == 0 || len > TOTP_SECRET_MAX || cap < SEAL_NONCE + len + SEAL_TAG)
		return -1;
	seal_key(pepper, key);
	randombytes_buf(out, SEAL_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + SEAL_NONCE, &clen, secret, len,
						   (const uint8_t *)user_id, strlen(user_id), NULL, out, key);
	sodium_memzero(key, sizeof key);
	*outlen = SEAL_NONCE + (size_t)clen;
	return 0;
}

int staff_totp_open(const uint8_t pepper[32], const char *user_id, const uint8_t *box, size_t boxlen,
		    uint8_t secret[TOTP_SECRET_MAX], size_t *len)
{
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	unsigned long long mlen = 0;
	int rc;

	if (boxlen < SEAL_NONCE + SEAL_TAG + 1 || boxlen > SEAL_NONCE + SEAL_TAG + TOTP_SECRET_MAX)
		return -1;
	seal_key(pepper, key);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(secret, &mlen, NULL, box + SEAL_NONCE,
							boxlen - SEAL_NONCE, (const uint8_t *)user_id,
							strlen(user_id), box, key);
	sodium_memzero(key, sizeof key);
	if (rc != 0)
		return -1;
	*len = (size_t)mlen;
	return 0;
}

void staff_setup_code_new(char out[STAFF_SETUP_CODE_SIZE])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = alphabet[randombytes_uniform(32)];
	}
	out[o] = '\0';
}

void staff_setup_code_hash(const uint8_t pepper[32], const char *code, uint8_t out[STORE_HASH_BYTES])
{
	crypto_generichash_state h;
	static const char label[] = "setup code";

	crypto_generichash_init(&h, pepper, 32, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)label, sizeof label);
	crypto_generichash_update(&h, (const unsigned char *)code, strlen(code));
	crypto_generichash_final(&h, out, STORE_HASH_BYTES);
}

int staff_otpauth_uri(const char *username, const char *secret_b32, char *out, size_t size)
{
	/* Usernames are [a-z0-9._-]: nothing in them needs percent-encoding. */
	int n = snprintf(out, size,
			 "otpauth://totp/Online%%20advice:%s?secret=%s&issuer=Online%%20advice"
			 "&algorithm=SHA1&digits=%d&period=%d",
			 username, secret_b32, TOTP_DIGITS, TOTP_STEP_S);

	return n > 0 && (size_t)n < size ? 0 : -1;
}

int staff_totp_code(const uint8_t pepper[32], const char *user_id, const uint8_t *box, size_t boxlen,
		    int64_t now_s, char out[TOTP_DIGITS + 1])
{
	uint8_t secret[TOTP_SECRET_MAX];
	size_t len = 0;
	long v;

	if (now_s < 0 || staff_totp_open(pepper, user_id, box, boxlen, secret, &len) != 0)
		return -1;
	v = totp_hotp(secret, len, TOTP_SHA1, (uint64_t)(now_s / TOTP_STEP_S), TOTP_DIGITS);
	sodium_memzero(secret, sizeof secret);
	if (v < 0 || v > 999999)
		return -1;
	snprintf(out, TOTP_DIGITS + 1, "%06d", (int)v);
	return 0;
}
