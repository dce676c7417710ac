/*
 * crypto_citizen.c - a citizen's keys that the server cannot mint: the identity (personal
 * keys from a seed made on the first device) signs a device certificate for each device;
 * the recovery code and the recovery box that keeps the identity seed under it; the
 * commitment and comparison code of a device approval (commit, then reveal: a server gets one
 * guess at the code); and the reader's checks (a citizen's envelope
 * counts only through a device certificate of the thread's identity, a newer identity is
 * reported, never followed). Byte layouts: proto/CRYPTO-FORMATS.md.
 */
#include <string.h>

#include <sodium.h>

#include "crypto_int.h"

#define SIG_DEVICE   "QA-v1-device"
#define HASH_COMMIT  "QA-v1-devcommit"
#define HASH_CODE    "QA-v1-devcode"
#define KDF_RECOVERY "QArecov_"

/* Device certificate layout. */
#define D_ID_SIGN  6
#define D_ID_BOX   38
#define D_DEV_SIGN 70
#define D_DEV_BOX  102
#define D_TIME	   134
#define D_SIG	   142

/* Recovery box layout. */
#define R_ID	 6
#define R_TIME	 22
#define R_NONCE	 30
#define R_CT	 54
#define R_AD_LEN (R_NONCE + ADVICE_NONCE_BYTES)

/* Recovery code: 160 secret bits and 15 check bits, 35 base32 symbols in 7 groups of 5. */
#define CODE_SYMBOLS 35
#define CODE_GROUP   5
#define CHECK_BITS   15

static const char base32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

ADVICE_API void advice_identity_id(uint8_t id[ADVICE_KID_BYTES],
				   const uint8_t identity_sign_pk[ADVICE_KEY_BYTES])
{
	advice_kid(id, identity_sign_pk);
}

/* --- Device certificate --- */

ADVICE_API int advice_device_cert_sign(uint8_t out[ADVICE_DEVICE_CERT_BYTES], struct advice_device_cert *c,
				       const struct advice_keys *identity)
{
	memcpy(c->identity_sign_pk, identity->sign_pk, ADVICE_KEY_BYTES);
	memcpy(c->identity_box_pk, identity->box_pk, ADVICE_KEY_BYTES);
	advice__prefix_put(out, ADVICE_OBJ_DEVICE_CERT);
	memcpy(out + D_ID_SIGN, c->identity_sign_pk, ADVICE_KEY_BYTES);
	memcpy(out + D_ID_BOX, c->identity_box_pk, ADVICE_KEY_BYTES);
	memcpy(out + D_DEV_SIGN, c->device_sign_pk, ADVICE_KEY_BYTES);
	memcpy(out + D_DEV_BOX, c->device_box_pk, ADVICE_KEY_BYTES);
	advice__put64(out + D_TIME, c->created_at);
	return advice__sign(out + D_SIG, SIG_DEVICE, out, D_SIG, NULL, 0, identity->sign_sk);
}

ADVICE_API int advice_device_cert_parse(const uint8_t *in, size_t len, struct advice_device_cert *c)
{
	if (len != ADVICE_DEVICE_CERT_BYTES || advice__prefix_check(in, len, ADVICE_OBJ_DEVICE_CERT) != 0)
		return -ADVICE_ERR_INVAL;
	if (c != NULL) {
		memcpy(c->identity_sign_pk, in + D_ID_SIGN, ADVICE_KEY_BYTES);
		memcpy(c->identity_box_pk, in + D_ID_BOX, ADVICE_KEY_BYTES);
		memcpy(c->device_sign_pk, in + D_DEV_SIGN, ADVICE_KEY_BYTES);
		memcpy(c->device_box_pk, in + D_DEV_BOX, ADVICE_KEY_BYTES);
		c->created_at = advice__get64(in + D_TIME);
	}
	return 0;
}

ADVICE_API int advice_device_cert_verify(const uint8_t *in, size_t len, struct advice_device_cert *c)
{
	int rc = advice_device_cert_parse(in, len, c);

	if (rc != 0)
		return rc;
	return advice__verify(in + D_SIG, SIG_DEVICE, in, D_SIG, NULL, 0, in + D_ID_SIGN);
}

/* --- Recovery code --- */

/* Bit i (0 = the most significant bit of byte 0) of buf. */
static unsigned bit_at(const uint8_t *buf, size_t i)
{
	return (buf[i / 8] >> (7 - i % 8)) & 1u;
}

static void bit_set(uint8_t *buf, size_t i, unsigned v)
{
	if (v)
		buf[i / 8] |= (uint8_t)(0x80u >> (i % 8));
}

/* secret || the first CHECK_BITS bits of BLAKE2b-256(secret), 22 bytes (the tail unused). */
static void code_bits(uint8_t bits[ADVICE_RECOVERY_SECRET_BYTES + 2],
		      const uint8_t secret[ADVICE_RECOVERY_SECRET_BYTES])
{
	uint8_t h[ADVICE_HASH_BYTES];

	advice_hash(h, secret, ADVICE_RECOVERY_SECRET_BYTES);
	memcpy(bits, secret, ADVICE_RECOVERY_SECRET_BYTES);
	bits[ADVICE_RECOVERY_SECRET_BYTES] = h[0];
	bits[ADVICE_RECOVERY_SECRET_BYTES + 1] = h[1] & 0xfe;
}

ADVICE_API void advice_recovery_code_format(char out[ADVICE_RECOVERY_CODE_SIZE],
					    const uint8_t secret[ADVICE_RECOVERY_SECRET_BYTES])
{
	uint8_t bits[ADVICE_RECOVERY_SECRET_BYTES + 2];
	size_t o = 0;

	code_bits(bits, secret);
	for (size_t s = 0; s < CODE_SYMBOLS; s++) {
		unsigned v = 0;

		if (s > 0 && s % CODE_GROUP == 0)
			out[o++] = '-';
		for (size_t b = 0; b < 5; b++)
			v = v << 1 | bit_at(bits, 5 * s + b);
		out[o++] = base32[v];
	}
	out[o] = '\0';
	sodium_memzero(bits, sizeof bits);
}

/* The value of one base32 character (Crockford's reading), -1 outside the alphabet. */
static int symbol_value(char ch)
{
	const char *p;

	if (ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 'a' + 'A');
	if (ch == 'I' || ch == 'L')
		ch = '1';
	if (ch == 'O')
		ch = '0';
	p = ch != '\0' ? strchr(base32, ch) : NULL;
	return p != NULL ? (int)(p - base32) : -1;
}

ADVICE_API int advice_recovery_code_parse(uint8_t secret[ADVICE_RECOVERY_SECRET_BYTES], const char *code)
{
	uint8_t bits[ADVICE_RECOVERY_SECRET_BYTES + 2] = { 0 }, want[ADVICE_RECOVERY_SECRET_BYTES + 2];
	size_t s = 0;
	int rc = 0;

	if (code == NULL)
		return -ADVICE_ERR_INVAL;
	for (const char *p = code; *p != '\0'; p++) {
		int v;

		if (*p == '-' || *p == ' ')
			continue;
		if ((v = symbol_value(*p)) < 0 || s == CODE_SYMBOLS) {
			rc = -ADVICE_ERR_INVAL;
			break;
		}
		for (size_t b = 0; b < 5; b++)
			bit_set(bits, 5 * s + b, (unsigned)v >> (4 - b) & 1u);
		s++;
	}
	if (rc == 0 && s != CODE_SYMBOLS)
		rc = -ADVICE_ERR_INVAL;
	if (rc == 0) {
		code_bits(want, bits);
		if (sodium_memcmp(want, bits, sizeof want) != 0)
			rc = -ADVICE_ERR_INVAL;
		else
			memcpy(secret, bits, ADVICE_RECOVERY_SECRET_BYTES);
		sodium_memzero(want, sizeof want);
	}
	sodium_memzero(bits, sizeof bits);
	return rc;
}

ADVICE_API int advice_recovery_key(uint8_t key[ADVICE_KEY_BYTES],
				   const uint8_t secret[ADVICE_RECOVERY_SECRET_BYTES])
{
	uint8_t master[crypto_kdf_KEYBYTES] = { 0 };
	int rc;

	/* crypto_kdf takes a 32-byte master key: the 20 secret bytes, then zeros. */
	memcpy(master, secret, ADVICE_RECOVERY_SECRET_BYTES);
	rc = crypto_kdf_derive_from_key(key, ADVICE_KEY_BYTES, 1, KDF_RECOVERY, master);
	sodium_memzero(master, sizeof master);
	return rc == 0 ? 0 : -ADVICE_ERR_INTERNAL;
}

/* --- Recovery box --- */

ADVICE_API int advice_recovery_box_seal(uint8_t out[ADVICE_RECOVERY_BOX_BYTES],
					const uint8_t identity_seed[ADVICE_KEY_BYTES], uint64_t created_at,
					const uint8_t recovery_key[ADVICE_KEY_BYTES],
					const uint8_t nonce[ADVICE_NONCE_BYTES])
{
	struct advice_keys id;
	int rc = advice_keys_personal(&id, identity_seed);

	if (rc != 0)
		return rc;
	advice__prefix_put(out, ADVICE_OBJ_RECOVERY_BOX);
	advice_identity_id(out + R_ID, id.sign_pk);
	advice__put64(out + R_TIME, created_at);
	memcpy(out + R_NONCE, nonce, ADVICE_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + R_CT, NULL, identity_seed, ADVICE_KEY_BYTES, out,
						   R_AD_LEN, NULL, out + R_NONCE, recovery_key);
	sodium_memzero(&id, sizeof id);
	return 0;
}

ADVICE_API int advice_recovery_box_parse(const uint8_t *in, size_t len, uint8_t identity_id[ADVICE_KID_BYTES],
					 uint64_t *created_at)
{
	if (len != ADVICE_RECOVERY_BOX_BYTES || advice__prefix_check(in, len, ADVICE_OBJ_RECOVERY_BOX) != 0)
		return -ADVICE_ERR_INVAL;
	if (identity_id != NULL)
		memcpy(identity_id, in + R_ID, ADVICE_KID_BYTES);
	if (created_at != NULL)
		*created_at = advice__get64(in + R_TIME);
	return 0;
}

ADVICE_API int advice_recovery_box_open(uint8_t identity_seed[ADVICE_KEY_BYTES], const uint8_t *in,
					size_t len, const char *code)
{
	uint8_t secret[ADVICE_RECOVERY_SECRET_BYTES], key[ADVICE_KEY_BYTES], seed[ADVICE_KEY_BYTES],
		id[ADVICE_KID_BYTES];
	struct advice_keys k;
	int rc;

	if ((rc = advice_recovery_box_parse(in, len, NULL, NULL)) != 0 ||
	    (rc = advice_recovery_code_parse(secret, code)) != 0)
		return rc;
	rc = advice_recovery_key(key, secret);
	if (rc == 0 && crypto_aead_xchacha20poly1305_ietf_decrypt(seed, NULL, NULL, in + R_CT,
								  ADVICE_RECOVERY_BOX_BYTES - R_CT, in,
								  R_AD_LEN, in + R_NONCE, key) != 0)
		rc = -ADVICE_ERR_FORBIDDEN;
	/* The seed must give the identity the box names. */
	if (rc == 0 && (rc = advice_keys_personal(&k, seed)) == 0) {
		advice_identity_id(id, k.sign_pk);
		if (sodium_memcmp(id, in + R_ID, ADVICE_KID_BYTES) != 0)
			rc = -ADVICE_ERR_FORBIDDEN;
		else
			memcpy(identity_seed, seed, ADVICE_KEY_BYTES);
		sodium_memzero(&k, sizeof k);
	}
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(key, sizeof key);
	sodium_memzero(seed, sizeof seed);
	return rc;
}

/* --- Device approval --- */

ADVICE_API void advice_device_commit(uint8_t out[ADVICE_HASH_BYTES],
				     const uint8_t device_sign_pk[ADVICE_KEY_BYTES],
				     const uint8_t device_box_pk[ADVICE_KEY_BYTES],
				     const uint8_t nonce_new[ADVICE_APPROVAL_NONCE_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, ADVICE_HASH_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)HASH_COMMIT, strlen(HASH_COMMIT));
	crypto_generichash_update(&st, device_sign_pk, ADVICE_KEY_BYTES);
	crypto_generichash_update(&st, device_box_pk, ADVICE_KEY_BYTES);
	crypto_generichash_update(&st, nonce_new, ADVICE_APPROVAL_NONCE_BYTES);
	crypto_generichash_final(&st, out, ADVICE_HASH_BYTES);
}

/* 12 decimal digits of v (< 10^12) as "dddd dddd dddd". */
static void code_digits(char out[ADVICE_COMPARE_CODE_SIZE], uint64_t v)
{
	size_t o = 0;

	for (int d = 11; d >= 0; d--) {
		uint64_t p = 1;

		for (int k = 0; k < d; k++)
			p *= 10;
		out[o++] = (char)('0' + (v / p) % 10);
		if (d == 8 || d == 4)
			out[o++] = ' ';
	}
	out[o] = '\0';
}

ADVICE_API void advice_compare_code(char out[ADVICE_COMPARE_CODE_SIZE],
				    const uint8_t identity_sign_pk[ADVICE_KEY_BYTES],
				    const uint8_t device_sign_pk[ADVICE_KEY_BYTES],
				    const uint8_t device_box_pk[ADVICE_KEY_BYTES],
				    const uint8_t nonce_new[ADVICE_APPROVAL_NONCE_BYTES],
				    const uint8_t nonce_old[ADVICE_APPROVAL_NONCE_BYTES])
{
	crypto_generichash_state st;
	uint8_t h[ADVICE_HASH_BYTES];
	uint64_t v = 0;

	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)HASH_CODE, strlen(HASH_CODE));
	crypto_generichash_update(&st, identity_sign_pk, ADVICE_KEY_BYTES);
	crypto_generichash_update(&st, device_sign_pk, ADVICE_KEY_BYTES);
	crypto_generichash_update(&st, device_box_pk, ADVICE_KEY_BYTES);
	crypto_generichash_update(&st, nonce_new, ADVICE_APPROVAL_NONCE_BYTES);
	crypto_generichash_update(&st, nonce_old, ADVICE_APPROVAL_NONCE_BYTES);
	crypto_generichash_final(&st, h, sizeof h);
	/* 40 bits (the first five bytes, little-endian) modulo 10^12. */
	for (int i = 4; i >= 0; i--)
		v = v << 8 | h[i];
	code_digits(out, v % 1000000000000ULL);
}

ADVICE_API int advice_compare_code_checked(char out[ADVICE_COMPARE_CODE_SIZE],
					   const uint8_t commit[ADVICE_HASH_BYTES],
					   const uint8_t identity_sign_pk[ADVICE_KEY_BYTES],
					   const uint8_t device_sign_pk[ADVICE_KEY_BYTES],
					   const uint8_t device_box_pk[ADVICE_KEY_BYTES],
					   const uint8_t nonce_new[ADVICE_APPROVAL_NONCE_BYTES],
					   const uint8_t nonce_old[ADVICE_APPROVAL_NONCE_BYTES])
{
	uint8_t want[ADVICE_HASH_BYTES];

	advice_device_commit(want, device_sign_pk, device_box_pk, nonce_new);
	if (sodium_memcmp(want, commit, ADVICE_HASH_BYTES) != 0) {
		out[0] = '\0';
		return -ADVICE_ERR_FORBIDDEN;
	}
	advice_compare_code(out, identity_sign_pk, device_sign_pk, device_box_pk, nonce_new, nonce_old);
	return 0;
}

/* --- Readers --- */

/* The certificate among certs whose device signing key has the kid `sender_kid`, or NULL. */
static const uint8_t *cert_of_sender(const uint8_t *certs, size_t n,
				     const uint8_t sender_kid[ADVICE_KID_BYTES])
{
	uint8_t kid[ADVICE_KID_BYTES];

	for (size_t i = 0; i < n; i++) {
		const uint8_t *c = certs + i * ADVICE_DEVICE_CERT_BYTES;

		if (advice_device_cert_parse(c, ADVICE_DEVICE_CERT_BYTES, NULL) != 0)
			continue;
		advice_kid(kid, c + D_DEV_SIGN);
		if (memcmp(kid, sender_kid, ADVICE_KID_BYTES) == 0)
			return c;
	}
	return NULL;
}

ADVICE_API int advice_citizen_thread_identity(struct advice_device_cert *identity, const uint8_t *first_env,
					      size_t env_len, const uint8_t *certs, size_t n)
{
	struct advice_envelope_hdr h;
	struct advice_device_cert dc;
	const uint8_t *c;
	int rc;

	if ((rc = advice_envelope_parse(first_env, env_len, &h)) != 0)
		return rc;
	if ((c = cert_of_sender(certs, n, h.sender_kid)) == NULL ||
	    advice_device_cert_verify(c, ADVICE_DEVICE_CERT_BYTES, &dc) != 0 ||
	    advice_envelope_verify(first_env, env_len, dc.device_sign_pk) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if (identity != NULL)
		*identity = dc;
	return 0;
}

ADVICE_API int advice_citizen_sender(uint8_t sender_pk[ADVICE_KEY_BYTES], const uint8_t *env, size_t env_len,
				     const uint8_t identity_sign_pk[ADVICE_KEY_BYTES], const uint8_t *certs,
				     size_t n)
{
	struct advice_device_cert dc;
	int rc = advice_citizen_thread_identity(&dc, env, env_len, certs, n);

	if (rc != 0)
		return rc;
	if (sodium_memcmp(dc.identity_sign_pk, identity_sign_pk, ADVICE_KEY_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	memcpy(sender_pk, dc.device_sign_pk, ADVICE_KEY_BYTES);
	return 0;
}

ADVICE_API int advice_citizen_identity_status(const struct advice_identity_seen *ids, size_t n,
					      const uint8_t thread_identity_sign_pk[ADVICE_KEY_BYTES],
					      size_t *newest, uint64_t *since)
{
	size_t mine = n, best = n;

	for (size_t i = 0; i < n; i++) {
		if (memcmp(ids[i].sign_pk, thread_identity_sign_pk, ADVICE_KEY_BYTES) == 0)
			mine = i;
		if (best == n || ids[i].first_seen > ids[best].first_seen)
			best = i;
	}
	if (mine == n)
		return -ADVICE_ERR_FORBIDDEN;
	if (ids[best].first_seen <= ids[mine].first_seen)
		return 0;
	if (newest != NULL)
		*newest = best;
	if (since != NULL)
		*since = ids[best].first_seen;
	return 1;
}

ADVICE_API int advice_citizen_rewrap(uint8_t out[ADVICE_WRAP_BYTES],
				     const uint8_t thread_id[ADVICE_OID_BYTES], uint32_t epoch,
				     const uint8_t thread_key[ADVICE_KEY_BYTES],
				     const struct advice_identity_seen *identity,
				     const uint8_t eph_seed[ADVICE_KEY_BYTES],
				     const struct advice_keys *signer)
{
	return advice_wrap_seal(out, ADVICE_WRAP_THREAD_KEY, thread_id, epoch, identity->box_pk, thread_key,
				eph_seed, signer);
}
