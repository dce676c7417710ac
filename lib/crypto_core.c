/*
 * crypto_core.c - the basics of libadvice's end-to-end encryption: initialisation, random
 * bytes, hex, key ids, key pairs from seeds, the reproducible sealed box, and the shared
 * helpers of crypto_int.h (object prefix, little-endian fields, signatures with a context).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto_int.h"

/* kdf contexts (8 characters) and subkey ids of the key derivations. */
#define CTX_PERSONAL_DH "QApersDH"
#define CTX_PERSONAL_SG "QApersSG"
#define CTX_UNIT_DH	"QAunitDH"
#define CTX_UNIT_SG	"QAunitSG"
#define CTX_UNIT_CH	"QAunitCH"

ADVICE_API int advice_crypto_init(void)
{
	return sodium_init() < 0 ? -ADVICE_ERR_INTERNAL : 0;
}

ADVICE_API void advice_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

ADVICE_API void advice_wipe(void *buf, size_t len)
{
	sodium_memzero(buf, len);
}

ADVICE_API void advice_hex(char *out, const void *data, size_t len)
{
	sodium_bin2hex(out, 2 * len + 1, data, len);
}

ADVICE_API int advice_unhex(void *out, size_t outlen, const char *hex)
{
	size_t got = 0;
	const char *end = NULL;

	if (hex == NULL || strlen(hex) != 2 * outlen)
		return -ADVICE_ERR_INVAL;
	if (sodium_hex2bin(out, outlen, hex, 2 * outlen, NULL, &got, &end) != 0 || got != outlen)
		return -ADVICE_ERR_INVAL;
	return 0;
}

ADVICE_API void advice_kid(uint8_t kid[ADVICE_KID_BYTES], const uint8_t pk[ADVICE_KEY_BYTES])
{
	crypto_generichash(kid, ADVICE_KID_BYTES, pk, ADVICE_KEY_BYTES, NULL, 0);
}

ADVICE_API void advice_hash(uint8_t out[ADVICE_HASH_BYTES], const void *data, size_t len)
{
	crypto_generichash(out, ADVICE_HASH_BYTES, data, len, NULL, 0);
}

/* Box and sign key pairs from seed through two kdf subkeys (ids 1 and 2). */
static int keys_derive(struct advice_keys *k, const uint8_t seed[ADVICE_KEY_BYTES], const char *ctx_dh,
		       const char *ctx_sg)
{
	uint8_t sub[ADVICE_KEY_BYTES];
	int rc = -ADVICE_ERR_INTERNAL;

	if (crypto_kdf_derive_from_key(sub, sizeof(sub), 1, ctx_dh, seed) != 0 ||
	    crypto_box_seed_keypair(k->box_pk, k->box_sk, sub) != 0)
		goto out;
	if (crypto_kdf_derive_from_key(sub, sizeof(sub), 2, ctx_sg, seed) != 0 ||
	    crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, sub) != 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(sub, sizeof(sub));
	return rc;
}

/*
 * Personal keys: box = box_seed_keypair(kdf(seed, 1, "QApersDH")), sign =
 * sign_seed_keypair(kdf(seed, 2, "QApersSG")). Returns 0 or -ADVICE_ERR_INTERNAL.
 */
ADVICE_API int advice_keys_personal(struct advice_keys *k, const uint8_t seed[ADVICE_KEY_BYTES])
{
	return keys_derive(k, seed, CTX_PERSONAL_DH, CTX_PERSONAL_SG);
}

/* Unit keys as personal keys with unit contexts; chain key = kdf(seed, 3, "QAunitCH"). */
ADVICE_API int advice_keys_unit(struct advice_keys *k, uint8_t chain_key[ADVICE_KEY_BYTES],
				const uint8_t seed[ADVICE_KEY_BYTES])
{
	int rc = keys_derive(k, seed, CTX_UNIT_DH, CTX_UNIT_SG);

	if (rc == 0 && chain_key != NULL &&
	    crypto_kdf_derive_from_key(chain_key, ADVICE_KEY_BYTES, 3, CTX_UNIT_CH, seed) != 0)
		rc = -ADVICE_ERR_INTERNAL;
	return rc;
}

/*
 * crypto_box_seal with a given ephemeral key pair: eph_pk || box(msg, nonce =
 * BLAKE2b-192(eph_pk || recipient_pk)). Returns 0 or -ADVICE_ERR_INVAL (bad recipient key).
 */
ADVICE_API int advice_seal(uint8_t *out, const uint8_t *msg, size_t len,
			   const uint8_t recipient_pk[ADVICE_KEY_BYTES],
			   const uint8_t eph_seed[ADVICE_KEY_BYTES])
{
	uint8_t eph_sk[crypto_box_SECRETKEYBYTES];
	uint8_t nonce[crypto_box_NONCEBYTES];
	crypto_generichash_state st;
	int rc = -ADVICE_ERR_INVAL;

	if (crypto_box_seed_keypair(out, eph_sk, eph_seed) != 0)
		goto out;
	crypto_generichash_init(&st, NULL, 0, sizeof(nonce));
	crypto_generichash_update(&st, out, crypto_box_PUBLICKEYBYTES);
	crypto_generichash_update(&st, recipient_pk, crypto_box_PUBLICKEYBYTES);
	crypto_generichash_final(&st, nonce, sizeof(nonce));
	if (crypto_box_easy(out + crypto_box_PUBLICKEYBYTES, msg, len, nonce, recipient_pk, eph_sk) != 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(eph_sk, sizeof(eph_sk));
	return rc;
}

void advice__put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void advice__put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t advice__get32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t advice__get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void advice__prefix_put(uint8_t *p, uint8_t type)
{
	p[0] = 'Q';
	p[1] = 'A';
	p[2] = ADVICE_FMT_VERSION;
	p[3] = type;
	p[4] = ADVICE_SUITE_1;
	p[5] = 0;
}

int advice__prefix_check(const uint8_t *p, size_t len, uint8_t type)
{
	if (p == NULL || len < ADVICE_PREFIX_BYTES)
		return -ADVICE_ERR_INVAL;
	if (p[0] != 'Q' || p[1] != 'A' || p[2] != ADVICE_FMT_VERSION || p[3] != type ||
	    p[4] != ADVICE_SUITE_1 || p[5] != 0)
		return -ADVICE_ERR_INVAL;
	return 0;
}

/* The signed message: ctx || data || extra, in one buffer (objects are small). */
static uint8_t *sig_input(const char *ctx, const uint8_t *data, size_t len, const uint8_t *extra,
			  size_t extra_len, size_t *total)
{
	size_t clen = strlen(ctx);
	uint8_t *m = malloc(clen + len + extra_len + 1);

	if (m == NULL)
		return NULL;
	memcpy(m, ctx, clen);
	memcpy(m + clen, data, len);
	if (extra_len > 0)
		memcpy(m + clen + len, extra, extra_len);
	*total = clen + len + extra_len;
	return m;
}

int advice__sign(uint8_t sig[ADVICE_SIG_BYTES], const char *ctx, const uint8_t *data, size_t len,
		 const uint8_t *extra, size_t extra_len, const uint8_t sk[ADVICE_SIGN_SK_BYTES])
{
	size_t total = 0;
	uint8_t *m = sig_input(ctx, data, len, extra, extra_len, &total);

	if (m == NULL)
		return -ADVICE_ERR_NOMEM;
	crypto_sign_detached(sig, NULL, m, total, sk);
	free(m);
	return 0;
}

int advice__verify(const uint8_t sig[ADVICE_SIG_BYTES], const char *ctx, const uint8_t *data, size_t len,
		   const uint8_t *extra, size_t extra_len, const uint8_t pk[ADVICE_KEY_BYTES])
{
	size_t total = 0;
	uint8_t *m = sig_input(ctx, data, len, extra, extra_len, &total);
	int rc;

	if (m == NULL)
		return -ADVICE_ERR_NOMEM;
	rc = crypto_sign_verify_detached(sig, m, total, pk) == 0 ? 0 : -ADVICE_ERR_FORBIDDEN;
	free(m);
	return rc;
}
