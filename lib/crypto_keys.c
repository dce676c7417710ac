/*
 * crypto_keys.c - key objects of libadvice's end-to-end encryption: the worker key bundle,
 * certificates chained to the municipal root key, signed unit key events, the chain box
 * that reaches older unit generations, and signed wraps (a thread key or a unit seed
 * sealed to one recipient). Byte layouts: proto/CRYPTO-FORMATS.md.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto_int.h"

#define SIG_CERT "QA-v1-cert"
#define SIG_UNIT "QA-v1-unit"
#define SIG_WRAP "QA-v1-wrap"

/* Bundle layout. */
#define B_USER	 6
#define B_VER	 22
#define B_ALG	 26
#define B_OPS	 27
#define B_MEM	 31
#define B_SALT	 35
#define B_NONCE	 51
#define B_CT	 75
#define B_AD_LEN B_NONCE

/* Certificate layout. */
#define C_ROLE	 6
#define C_SUBJ	 7
#define C_SIGN	 23
#define C_BOX	 55
#define C_NBF	 87
#define C_NAF	 95
#define C_ISSUER 103
#define C_SIG	 119

/* Unit event layout. */
#define U_UNIT	  6
#define U_GEN	  22
#define U_BOX	  26
#define U_SIGN	  58
#define U_PREV	  90
#define U_TIME	  122
#define U_SIGNER  130
#define U_NMEM	  146
#define U_MEMBERS 148

/* Chain box layout. */
#define H_UNIT	 6
#define H_GEN	 22
#define H_NONCE	 26
#define H_CT	 50
#define H_AD_LEN H_NONCE

/* Wrap layout (outer) and the sealed record (inner). */
#define W_KIND	     6
#define W_SCOPE	     7
#define W_EPOCH	     23
#define W_RECIP	     27
#define W_SIGNER     43
#define W_SEALED     59
#define W_SIG	     182
#define WI_KEY	     43 /* the inner record repeats the outer bytes 0..42, then the key */
#define W_SHARED_LEN 43

ADVICE_API int advice_password_master(uint8_t master[ADVICE_KEY_BYTES], const char *password,
				      const uint8_t salt[ADVICE_SALT_BYTES], uint32_t opslimit,
				      uint32_t memlimit)
{
	char *pw = NULL;
	int rc;

	if (password == NULL || opslimit < ADVICE_PWHASH_OPS_MIN || opslimit > ADVICE_PWHASH_OPS_MAX ||
	    memlimit < ADVICE_PWHASH_MEM_MIN || memlimit > ADVICE_PWHASH_MEM_MAX)
		return -ADVICE_ERR_INVAL;
	if ((rc = advice_password_nfkc(password, &pw)) != 0)
		return rc;
	if (crypto_pwhash(master, ADVICE_KEY_BYTES, pw, strlen(pw), salt, opslimit, memlimit,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		rc = -ADVICE_ERR_NOMEM;
	sodium_memzero(pw, strlen(pw));
	free(pw);
	return rc;
}

ADVICE_API int advice_bundle_key(uint8_t key[ADVICE_KEY_BYTES], const uint8_t master[ADVICE_KEY_BYTES])
{
	return crypto_kdf_derive_from_key(key, ADVICE_KEY_BYTES, 2, "QAwrap__", master) == 0
		       ? 0
		       : -ADVICE_ERR_INTERNAL;
}

/* 0 when the Argon2id13 parameters are inside the bounds a bundle may name. */
static int bundle_params_ok(uint32_t ops, uint32_t mem)
{
	return ops >= ADVICE_PWHASH_OPS_MIN && ops <= ADVICE_PWHASH_OPS_MAX && mem >= ADVICE_PWHASH_MEM_MIN &&
	       mem <= ADVICE_PWHASH_MEM_MAX;
}

ADVICE_API int advice_bundle_seal(uint8_t out[ADVICE_BUNDLE_BYTES], const struct advice_bundle_info *info,
				  const uint8_t bundle_key[ADVICE_KEY_BYTES],
				  const uint8_t nonce[ADVICE_NONCE_BYTES],
				  const uint8_t seed[ADVICE_KEY_BYTES])
{
	if (!bundle_params_ok(info->opslimit, info->memlimit))
		return -ADVICE_ERR_INVAL;
	advice__prefix_put(out, ADVICE_OBJ_BUNDLE);
	memcpy(out + B_USER, info->user_id, ADVICE_OID_BYTES);
	advice__put32(out + B_VER, info->version);
	out[B_ALG] = ADVICE_PWHASH_ALG_ARGON2ID13;
	advice__put32(out + B_OPS, info->opslimit);
	advice__put32(out + B_MEM, info->memlimit);
	memcpy(out + B_SALT, info->salt, ADVICE_SALT_BYTES);
	memcpy(out + B_NONCE, nonce, ADVICE_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + B_CT, NULL, seed, ADVICE_KEY_BYTES, out, B_AD_LEN,
						   NULL, nonce, bundle_key);
	return 0;
}

ADVICE_API int advice_bundle_parse(const uint8_t *in, size_t len, struct advice_bundle_info *info)
{
	if (len != ADVICE_BUNDLE_BYTES || advice__prefix_check(in, len, ADVICE_OBJ_BUNDLE) != 0)
		return -ADVICE_ERR_INVAL;
	if (in[B_ALG] != ADVICE_PWHASH_ALG_ARGON2ID13 ||
	    !bundle_params_ok(advice__get32(in + B_OPS), advice__get32(in + B_MEM)))
		return -ADVICE_ERR_INVAL;
	if (info != NULL) {
		memcpy(info->user_id, in + B_USER, ADVICE_OID_BYTES);
		info->version = advice__get32(in + B_VER);
		info->opslimit = advice__get32(in + B_OPS);
		info->memlimit = advice__get32(in + B_MEM);
		memcpy(info->salt, in + B_SALT, ADVICE_SALT_BYTES);
	}
	return 0;
}

ADVICE_API int advice_bundle_open(uint8_t seed[ADVICE_KEY_BYTES], const uint8_t *in, size_t len,
				  const uint8_t user_id[ADVICE_OID_BYTES],
				  const uint8_t bundle_key[ADVICE_KEY_BYTES])
{
	int rc = advice_bundle_parse(in, len, NULL);

	if (rc != 0)
		return rc;
	if (sodium_memcmp(in + B_USER, user_id, ADVICE_OID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(seed, NULL, NULL, in + B_CT,
						       ADVICE_BUNDLE_BYTES - B_CT, in, B_AD_LEN, in + B_NONCE,
						       bundle_key) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	return 0;
}

/* --- Certificates --- */

ADVICE_API int advice_cert_sign(uint8_t out[ADVICE_CERT_BYTES], struct advice_cert *c,
				const struct advice_keys *issuer)
{
	if (c->role < ADVICE_ROLE_ADMIN || c->role > ADVICE_ROLE_CONNECTOR || c->not_after < c->not_before)
		return -ADVICE_ERR_INVAL;
	advice_kid(c->issuer_kid, issuer->sign_pk);
	advice__prefix_put(out, ADVICE_OBJ_CERT);
	out[C_ROLE] = c->role;
	memcpy(out + C_SUBJ, c->subject_id, ADVICE_OID_BYTES);
	memcpy(out + C_SIGN, c->sign_pk, ADVICE_KEY_BYTES);
	memcpy(out + C_BOX, c->box_pk, ADVICE_KEY_BYTES);
	advice__put64(out + C_NBF, c->not_before);
	advice__put64(out + C_NAF, c->not_after);
	memcpy(out + C_ISSUER, c->issuer_kid, ADVICE_KID_BYTES);
	return advice__sign(out + C_SIG, SIG_CERT, out, C_SIG, NULL, 0, issuer->sign_sk);
}

ADVICE_API int advice_cert_parse(const uint8_t *in, size_t len, struct advice_cert *c)
{
	struct advice_cert tmp;

	if (len != ADVICE_CERT_BYTES || advice__prefix_check(in, len, ADVICE_OBJ_CERT) != 0)
		return -ADVICE_ERR_INVAL;
	if (c == NULL)
		c = &tmp;
	c->role = in[C_ROLE];
	memcpy(c->subject_id, in + C_SUBJ, ADVICE_OID_BYTES);
	memcpy(c->sign_pk, in + C_SIGN, ADVICE_KEY_BYTES);
	memcpy(c->box_pk, in + C_BOX, ADVICE_KEY_BYTES);
	c->not_before = advice__get64(in + C_NBF);
	c->not_after = advice__get64(in + C_NAF);
	memcpy(c->issuer_kid, in + C_ISSUER, ADVICE_KID_BYTES);
	if (c->role < ADVICE_ROLE_ADMIN || c->role > ADVICE_ROLE_CONNECTOR || c->not_after < c->not_before)
		return -ADVICE_ERR_INVAL;
	return 0;
}

/* Checks one link: parsed c, signed by issuer_pk, valid at now_ms. */
static int cert_check_link(const uint8_t *in, const struct advice_cert *c, const uint8_t *issuer_pk,
			   uint64_t now_ms)
{
	uint8_t kid[ADVICE_KID_BYTES];

	advice_kid(kid, issuer_pk);
	if (sodium_memcmp(kid, c->issuer_kid, ADVICE_KID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if (now_ms < c->not_before || now_ms > c->not_after)
		return -ADVICE_ERR_FORBIDDEN;
	return advice__verify(in + C_SIG, SIG_CERT, in, C_SIG, NULL, 0, issuer_pk);
}

ADVICE_API int advice_cert_verify(const uint8_t *in, size_t len, const uint8_t *issuer, size_t issuer_len,
				  const uint8_t root_pk[ADVICE_KEY_BYTES], uint64_t now_ms,
				  struct advice_cert *c)
{
	struct advice_cert leaf, admin;
	int rc;

	if ((rc = advice_cert_parse(in, len, &leaf)) != 0)
		return rc;
	if (leaf.role == ADVICE_ROLE_ADMIN || leaf.role == ADVICE_ROLE_CONNECTOR) {
		rc = cert_check_link(in, &leaf, root_pk, now_ms);
	} else {
		if (issuer == NULL)
			return -ADVICE_ERR_FORBIDDEN;
		if ((rc = advice_cert_parse(issuer, issuer_len, &admin)) != 0)
			return rc;
		if (admin.role != ADVICE_ROLE_ADMIN)
			return -ADVICE_ERR_FORBIDDEN;
		if ((rc = cert_check_link(issuer, &admin, root_pk, now_ms)) != 0)
			return rc;
		rc = cert_check_link(in, &leaf, admin.sign_pk, now_ms);
	}
	if (rc == 0 && c != NULL)
		*c = leaf;
	return rc;
}

/* --- Unit events --- */

ADVICE_API int advice_unit_event_sign(uint8_t *out, size_t cap, size_t *outlen, struct advice_unit_event *ev,
				      const struct advice_keys *admin)
{
	size_t body;

	if (ev->generation == 0 || ev->n_members > ADVICE_UNIT_MAX_MEMBERS)
		return -ADVICE_ERR_INVAL;
	if (cap < ADVICE_UNIT_EVENT_BYTES(ev->n_members))
		return -ADVICE_ERR_INVAL;
	advice_kid(ev->signer_kid, admin->sign_pk);
	advice__prefix_put(out, ADVICE_OBJ_UNIT_EVENT);
	memcpy(out + U_UNIT, ev->unit_id, ADVICE_OID_BYTES);
	advice__put32(out + U_GEN, ev->generation);
	memcpy(out + U_BOX, ev->box_pk, ADVICE_KEY_BYTES);
	memcpy(out + U_SIGN, ev->sign_pk, ADVICE_KEY_BYTES);
	memcpy(out + U_PREV, ev->prev_hash, ADVICE_HASH_BYTES);
	advice__put64(out + U_TIME, ev->created_at);
	memcpy(out + U_SIGNER, ev->signer_kid, ADVICE_KID_BYTES);
	out[U_NMEM] = (uint8_t)(ev->n_members & 0xff);
	out[U_NMEM + 1] = (uint8_t)(ev->n_members >> 8);
	for (size_t i = 0; i < ev->n_members; i++)
		memcpy(out + U_MEMBERS + 16 * i, ev->members[i], ADVICE_KID_BYTES);
	body = U_MEMBERS + 16 * (size_t)ev->n_members;
	*outlen = body + ADVICE_SIG_BYTES;
	return advice__sign(out + body, SIG_UNIT, out, body, NULL, 0, admin->sign_sk);
}

ADVICE_API int advice_unit_event_parse(const uint8_t *in, size_t len, struct advice_unit_event *ev)
{
	unsigned n;

	if (advice__prefix_check(in, len, ADVICE_OBJ_UNIT_EVENT) != 0 || len < ADVICE_UNIT_EVENT_BYTES(0))
		return -ADVICE_ERR_INVAL;
	n = in[U_NMEM] | ((unsigned)in[U_NMEM + 1] << 8);
	if (n > ADVICE_UNIT_MAX_MEMBERS || len != ADVICE_UNIT_EVENT_BYTES(n) ||
	    advice__get32(in + U_GEN) == 0)
		return -ADVICE_ERR_INVAL;
	if (ev == NULL)
		return 0;
	memcpy(ev->unit_id, in + U_UNIT, ADVICE_OID_BYTES);
	ev->generation = advice__get32(in + U_GEN);
	memcpy(ev->box_pk, in + U_BOX, ADVICE_KEY_BYTES);
	memcpy(ev->sign_pk, in + U_SIGN, ADVICE_KEY_BYTES);
	memcpy(ev->prev_hash, in + U_PREV, ADVICE_HASH_BYTES);
	ev->created_at = advice__get64(in + U_TIME);
	memcpy(ev->signer_kid, in + U_SIGNER, ADVICE_KID_BYTES);
	ev->n_members = (uint16_t)n;
	for (unsigned i = 0; i < n; i++)
		memcpy(ev->members[i], in + U_MEMBERS + 16 * i, ADVICE_KID_BYTES);
	return 0;
}

ADVICE_API int advice_unit_event_verify(const uint8_t *in, size_t len,
					const uint8_t admin_pk[ADVICE_KEY_BYTES], const uint8_t *prev,
					size_t prev_len, struct advice_unit_event *ev)
{
	static const uint8_t zero[ADVICE_HASH_BYTES];
	uint8_t kid[ADVICE_KID_BYTES], h[ADVICE_HASH_BYTES];
	int rc;

	if ((rc = advice_unit_event_parse(in, len, NULL)) != 0)
		return rc;
	advice_kid(kid, admin_pk);
	if (sodium_memcmp(kid, in + U_SIGNER, ADVICE_KID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if ((rc = advice__verify(in + len - ADVICE_SIG_BYTES, SIG_UNIT, in, len - ADVICE_SIG_BYTES, NULL, 0,
				 admin_pk)) != 0)
		return rc;
	if (prev == NULL) {
		if (advice__get32(in + U_GEN) != 1 || memcmp(in + U_PREV, zero, ADVICE_HASH_BYTES) != 0)
			return -ADVICE_ERR_FORBIDDEN;
	} else {
		if ((rc = advice_unit_event_parse(prev, prev_len, NULL)) != 0)
			return rc;
		advice_hash(h, prev, prev_len);
		if (memcmp(prev + U_UNIT, in + U_UNIT, ADVICE_OID_BYTES) != 0 ||
		    advice__get32(prev + U_GEN) + 1 != advice__get32(in + U_GEN) ||
		    memcmp(h, in + U_PREV, ADVICE_HASH_BYTES) != 0)
			return -ADVICE_ERR_FORBIDDEN;
	}
	return ev == NULL ? 0 : advice_unit_event_parse(in, len, ev);
}

/* --- Chain boxes --- */

ADVICE_API int advice_chain_seal(uint8_t out[ADVICE_CHAIN_BYTES], const uint8_t unit_id[ADVICE_OID_BYTES],
				 uint32_t g, const uint8_t chain_key[ADVICE_KEY_BYTES],
				 const uint8_t nonce[ADVICE_NONCE_BYTES],
				 const uint8_t prev_seed[ADVICE_KEY_BYTES])
{
	if (g < 2)
		return -ADVICE_ERR_INVAL;
	advice__prefix_put(out, ADVICE_OBJ_CHAIN);
	memcpy(out + H_UNIT, unit_id, ADVICE_OID_BYTES);
	advice__put32(out + H_GEN, g);
	memcpy(out + H_NONCE, nonce, ADVICE_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + H_CT, NULL, prev_seed, ADVICE_KEY_BYTES, out,
						   H_AD_LEN, NULL, nonce, chain_key);
	return 0;
}

ADVICE_API int advice_chain_parse(const uint8_t *in, size_t len, uint8_t unit_id[ADVICE_OID_BYTES],
				  uint32_t *g)
{
	if (len != ADVICE_CHAIN_BYTES || advice__prefix_check(in, len, ADVICE_OBJ_CHAIN) != 0 ||
	    advice__get32(in + H_GEN) < 2)
		return -ADVICE_ERR_INVAL;
	if (unit_id != NULL)
		memcpy(unit_id, in + H_UNIT, ADVICE_OID_BYTES);
	if (g != NULL)
		*g = advice__get32(in + H_GEN);
	return 0;
}

ADVICE_API int advice_chain_open(uint8_t prev_seed[ADVICE_KEY_BYTES], const uint8_t *in, size_t len,
				 const uint8_t unit_id[ADVICE_OID_BYTES], uint32_t g,
				 const uint8_t chain_key[ADVICE_KEY_BYTES])
{
	uint8_t u[ADVICE_OID_BYTES];
	uint32_t gg = 0;
	int rc;

	if ((rc = advice_chain_parse(in, len, u, &gg)) != 0)
		return rc;
	if (memcmp(u, unit_id, ADVICE_OID_BYTES) != 0 || gg != g)
		return -ADVICE_ERR_FORBIDDEN;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(prev_seed, NULL, NULL, in + H_CT,
						       ADVICE_CHAIN_BYTES - H_CT, in, H_AD_LEN, in + H_NONCE,
						       chain_key) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	return 0;
}

/* --- Wraps --- */

ADVICE_API int advice_wrap_seal(uint8_t out[ADVICE_WRAP_BYTES], uint8_t kind,
				const uint8_t scope_id[ADVICE_OID_BYTES], uint32_t epoch,
				const uint8_t recipient_box_pk[ADVICE_KEY_BYTES],
				const uint8_t key[ADVICE_KEY_BYTES], const uint8_t eph_seed[ADVICE_KEY_BYTES],
				const struct advice_keys *signer)
{
	uint8_t inner[ADVICE_WRAP_PLAIN_BYTES];
	int rc;

	if (kind != ADVICE_WRAP_THREAD_KEY && kind != ADVICE_WRAP_UNIT_SEED &&
	    kind != ADVICE_WRAP_IDENTITY_SEED)
		return -ADVICE_ERR_INVAL;
	advice__prefix_put(out, ADVICE_OBJ_WRAP);
	out[W_KIND] = kind;
	memcpy(out + W_SCOPE, scope_id, ADVICE_OID_BYTES);
	advice__put32(out + W_EPOCH, epoch);
	advice_kid(out + W_RECIP, recipient_box_pk);
	memcpy(inner, out, W_SHARED_LEN);
	memcpy(inner + WI_KEY, key, ADVICE_KEY_BYTES);
	advice_kid(out + W_SIGNER, signer->sign_pk);
	rc = advice_seal(out + W_SEALED, inner, sizeof(inner), recipient_box_pk, eph_seed);
	sodium_memzero(inner, sizeof(inner));
	if (rc != 0)
		return rc;
	return advice__sign(out + W_SIG, SIG_WRAP, out, W_SIG, NULL, 0, signer->sign_sk);
}

ADVICE_API int advice_wrap_parse(const uint8_t *in, size_t len, struct advice_wrap_info *info)
{
	if (len != ADVICE_WRAP_BYTES || advice__prefix_check(in, len, ADVICE_OBJ_WRAP) != 0)
		return -ADVICE_ERR_INVAL;
	if (in[W_KIND] != ADVICE_WRAP_THREAD_KEY && in[W_KIND] != ADVICE_WRAP_UNIT_SEED &&
	    in[W_KIND] != ADVICE_WRAP_IDENTITY_SEED)
		return -ADVICE_ERR_INVAL;
	if (info != NULL) {
		info->kind = in[W_KIND];
		memcpy(info->scope_id, in + W_SCOPE, ADVICE_OID_BYTES);
		info->epoch = advice__get32(in + W_EPOCH);
		memcpy(info->recipient_kid, in + W_RECIP, ADVICE_KID_BYTES);
		memcpy(info->signer_kid, in + W_SIGNER, ADVICE_KID_BYTES);
	}
	return 0;
}

ADVICE_API int advice_wrap_open(uint8_t key[ADVICE_KEY_BYTES], struct advice_wrap_info *info,
				const uint8_t *in, size_t len, uint8_t kind,
				const uint8_t scope_id[ADVICE_OID_BYTES], uint32_t epoch,
				const struct advice_keys *recipient,
				const uint8_t signer_pk[ADVICE_KEY_BYTES])
{
	uint8_t inner[ADVICE_WRAP_PLAIN_BYTES], kid[ADVICE_KID_BYTES];
	int rc;

	if ((rc = advice_wrap_parse(in, len, info)) != 0)
		return rc;
	/* A wrap of another kind, thread, unit, epoch or generation than the caller asked for
	 * (a server handing out the wrong one) opens nothing. */
	if (in[W_KIND] != kind || memcmp(in + W_SCOPE, scope_id, ADVICE_OID_BYTES) != 0 ||
	    advice__get32(in + W_EPOCH) != epoch)
		return -ADVICE_ERR_FORBIDDEN;
	advice_kid(kid, signer_pk);
	if (sodium_memcmp(kid, in + W_SIGNER, ADVICE_KID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if ((rc = advice__verify(in + W_SIG, SIG_WRAP, in, W_SIG, NULL, 0, signer_pk)) != 0)
		return rc;
	advice_kid(kid, recipient->box_pk);
	if (sodium_memcmp(kid, in + W_RECIP, ADVICE_KID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if (crypto_box_seal_open(inner, in + W_SEALED, ADVICE_WRAP_SEALED_BYTES, recipient->box_pk,
				 recipient->box_sk) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	rc = 0;
	if (sodium_memcmp(inner, in, W_SHARED_LEN) != 0)
		rc = -ADVICE_ERR_FORBIDDEN;
	else
		memcpy(key, inner + WI_KEY, ADVICE_KEY_BYTES);
	sodium_memzero(inner, sizeof(inner));
	return rc;
}
