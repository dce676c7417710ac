/*
 * crypto_identitybox.c - the identity box (type 15): the citizen's name and personal identity
 * code as the bank login gave them, sealed by the server to one key generation of the unit
 * that handles a thread, with the thread, the unit and the generation bound as associated
 * data. The content has one padded size, so the box does not show how long a name is.
 * Layout: proto/CRYPTO-FORMATS.md, "Identity box".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto_int.h"

#define IB_THREAD  6
#define IB_UNIT	   22
#define IB_GEN	   38
#define IB_EPH	   42
#define IB_NONCE   74
#define IB_CT	   98 /* the AD is bytes 0..97 */
#define IB_PADDED  (ADVICE_IDENTITY_CONTENT_MAX + 1)
#define IB_KEY_CTX "QA-v1-idbox"

/* key = BLAKE2b-256("QA-v1-idbox" || X25519(sk, pk) || eph_pk || unit_pk). -ADVICE_ERR_FORBIDDEN
 * when the shared point is degenerate (an ephemeral key of small order). */
static int box_key(uint8_t key[ADVICE_KEY_BYTES], const uint8_t sk[ADVICE_KEY_BYTES],
		   const uint8_t pk[ADVICE_KEY_BYTES], const uint8_t eph_pk[ADVICE_KEY_BYTES],
		   const uint8_t unit_pk[ADVICE_KEY_BYTES])
{
	uint8_t shared[crypto_scalarmult_BYTES];
	crypto_generichash_state st;

	if (crypto_scalarmult(shared, sk, pk) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	crypto_generichash_init(&st, NULL, 0, ADVICE_KEY_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)IB_KEY_CTX, strlen(IB_KEY_CTX));
	crypto_generichash_update(&st, shared, sizeof shared);
	crypto_generichash_update(&st, eph_pk, ADVICE_KEY_BYTES);
	crypto_generichash_update(&st, unit_pk, ADVICE_KEY_BYTES);
	crypto_generichash_final(&st, key, ADVICE_KEY_BYTES);
	sodium_memzero(shared, sizeof shared);
	return 0;
}

/* 1 when s (len bytes) is UTF-8 without control characters (below 0x20, 0x7f), else 0. */
static int field_ok(const char *s, size_t len)
{
	if (len == 0 || !advice__utf8_valid((const uint8_t *)s, len, 0))
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((uint8_t)s[i] < 0x20 || (uint8_t)s[i] == 0x7f)
			return 0;
	return 1;
}

/* Appends s as a JSON string ('"' and '\' escaped, the rest as is) at out + *o; 0, or -1 when
 * it does not fit in cap. */
static int put_string(char *out, size_t cap, size_t *o, const char *s)
{
	if (*o + 1 > cap)
		return -1;
	out[(*o)++] = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			if (*o + 1 > cap)
				return -1;
			out[(*o)++] = '\\';
		}
		if (*o + 1 > cap)
			return -1;
		out[(*o)++] = *s;
	}
	if (*o + 1 > cap)
		return -1;
	out[(*o)++] = '"';
	return 0;
}

ADVICE_API int advice_identity_content(char *out, size_t cap, size_t *len, const char *name, const char *hetu,
				       uint64_t verified_at)
{
	char num[24];
	size_t o = 0;

	if (name == NULL || hetu == NULL || !field_ok(name, strlen(name)) || !field_ok(hetu, strlen(hetu)) ||
	    verified_at > ADVICE_IDENTITY_TIME_MAX)
		return -ADVICE_ERR_INVAL;
	snprintf(num, sizeof num, "%llu", (unsigned long long)verified_at);
#define PUT_LIT(lit)                                                                                         \
	do {                                                                                                 \
		if (o + strlen(lit) > cap)                                                                   \
			return -ADVICE_ERR_INVAL;                                                            \
		memcpy(out + o, lit, strlen(lit));                                                           \
		o += strlen(lit);                                                                            \
	} while (0)
	PUT_LIT("{\"name\":");
	if (put_string(out, cap, &o, name) != 0)
		return -ADVICE_ERR_INVAL;
	PUT_LIT(",\"hetu\":");
	if (put_string(out, cap, &o, hetu) != 0)
		return -ADVICE_ERR_INVAL;
	PUT_LIT(",\"verified_at\":");
	PUT_LIT(num);
	PUT_LIT("}");
#undef PUT_LIT
	*len = o;
	return 0;
}

ADVICE_API int advice_identity_box_seal(uint8_t out[ADVICE_IDENTITY_BOX_BYTES],
					const struct advice_identity_box_hdr *h, const char *name,
					const char *hetu, uint64_t verified_at,
					const uint8_t unit_box_pk[ADVICE_KEY_BYTES],
					const uint8_t eph_seed[ADVICE_KEY_BYTES],
					const uint8_t nonce[ADVICE_NONCE_BYTES])
{
	uint8_t padded[IB_PADDED], eph_sk[ADVICE_KEY_BYTES], key[ADVICE_KEY_BYTES];
	size_t clen = 0, plen = 0;
	int rc;

	if (h == NULL || h->generation == 0)
		return -ADVICE_ERR_INVAL;
	if ((rc = advice_identity_content((char *)padded, ADVICE_IDENTITY_CONTENT_MAX, &clen, name, hetu,
					  verified_at)) != 0)
		return rc;
	if (sodium_pad(&plen, padded, clen, IB_PADDED, sizeof padded) != 0 || plen != IB_PADDED) {
		sodium_memzero(padded, sizeof padded);
		return -ADVICE_ERR_INVAL;
	}
	advice__prefix_put(out, ADVICE_OBJ_IDENTITY_BOX);
	memcpy(out + IB_THREAD, h->thread_id, ADVICE_OID_BYTES);
	memcpy(out + IB_UNIT, h->unit_id, ADVICE_OID_BYTES);
	advice__put32(out + IB_GEN, h->generation);
	memcpy(out + IB_NONCE, nonce, ADVICE_NONCE_BYTES);
	rc = crypto_box_seed_keypair(out + IB_EPH, eph_sk, eph_seed) != 0 ? -ADVICE_ERR_INTERNAL : 0;
	if (rc == 0)
		rc = box_key(key, eph_sk, unit_box_pk, out + IB_EPH, unit_box_pk);
	if (rc == 0)
		crypto_aead_xchacha20poly1305_ietf_encrypt(out + IB_CT, NULL, padded, IB_PADDED, out, IB_CT,
							   NULL, out + IB_NONCE, key);
	sodium_memzero(padded, sizeof padded);
	sodium_memzero(eph_sk, sizeof eph_sk);
	sodium_memzero(key, sizeof key);
	return rc;
}

ADVICE_API int advice_identity_box_parse(const uint8_t *in, size_t len, struct advice_identity_box_hdr *h)
{
	if (in == NULL || len != ADVICE_IDENTITY_BOX_BYTES ||
	    advice__prefix_check(in, len, ADVICE_OBJ_IDENTITY_BOX) != 0 || advice__get32(in + IB_GEN) == 0)
		return -ADVICE_ERR_INVAL;
	if (h != NULL) {
		memcpy(h->thread_id, in + IB_THREAD, ADVICE_OID_BYTES);
		memcpy(h->unit_id, in + IB_UNIT, ADVICE_OID_BYTES);
		h->generation = advice__get32(in + IB_GEN);
	}
	return 0;
}

/* Copies the string member key of o into out (cap bytes with the NUL); 0 or -ADVICE_ERR_INVAL. */
static int get_field(char *out, size_t cap, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	size_t n;

	if (!json_is_string(v) || (n = json_string_length(v)) >= cap || !field_ok(json_string_value(v), n) ||
	    strlen(json_string_value(v)) != n)
		return -ADVICE_ERR_INVAL;
	memcpy(out, json_string_value(v), n + 1);
	return 0;
}

/* The content: {"name", "hetu", "verified_at"} in exactly the bytes advice_identity_content
 * makes of them (no other spacing, order, escapes or members). 0 or -ADVICE_ERR_INVAL. */
static int content_parse(struct advice_identity *id, const uint8_t *content, size_t len)
{
	json_t *o = json_loadb((const char *)content, len, JSON_REJECT_DUPLICATES, NULL), *t;
	char again[ADVICE_IDENTITY_CONTENT_MAX];
	size_t alen = 0;
	int rc = -ADVICE_ERR_INVAL;

	if (!json_is_object(o) || json_object_size(o) != 3)
		goto out;
	t = json_object_get(o, "verified_at");
	if (!json_is_integer(t) || json_integer_value(t) < 0 ||
	    (uint64_t)json_integer_value(t) > ADVICE_IDENTITY_TIME_MAX)
		goto out;
	if (get_field(id->name, sizeof id->name, o, "name") != 0 ||
	    get_field(id->hetu, sizeof id->hetu, o, "hetu") != 0)
		goto out;
	id->verified_at = (uint64_t)json_integer_value(t);
	if (advice_identity_content(again, sizeof again, &alen, id->name, id->hetu, id->verified_at) == 0 &&
	    alen == len && memcmp(again, content, len) == 0)
		rc = 0;
	sodium_memzero(again, sizeof again);
out:
	json_decref(o);
	return rc;
}

ADVICE_API int advice_identity_box_open(struct advice_identity *id, const uint8_t *in, size_t len,
					const uint8_t thread_id[ADVICE_OID_BYTES],
					const uint8_t unit_id[ADVICE_OID_BYTES],
					const struct advice_keys *unit)
{
	uint8_t padded[IB_PADDED], key[ADVICE_KEY_BYTES];
	size_t clen = 0;
	int rc;

	memset(id, 0, sizeof *id);
	if ((rc = advice_identity_box_parse(in, len, NULL)) != 0)
		return rc;
	if (sodium_memcmp(in + IB_THREAD, thread_id, ADVICE_OID_BYTES) != 0 ||
	    sodium_memcmp(in + IB_UNIT, unit_id, ADVICE_OID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if ((rc = box_key(key, unit->box_sk, in + IB_EPH, in + IB_EPH, unit->box_pk)) != 0)
		return rc;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(padded, NULL, NULL, in + IB_CT, len - IB_CT, in, IB_CT,
						       in + IB_NONCE, key) != 0)
		rc = -ADVICE_ERR_FORBIDDEN;
	/* Made by a holder of the box key: a content that is not ours is malformed, not forged. */
	else if (sodium_unpad(&clen, padded, IB_PADDED, IB_PADDED) != 0 ||
		 content_parse(id, padded, clen) != 0)
		rc = -ADVICE_ERR_INVAL;
	if (rc != 0)
		sodium_memzero(id, sizeof *id);
	sodium_memzero(padded, sizeof padded);
	sodium_memzero(key, sizeof key);
	return rc;
}
