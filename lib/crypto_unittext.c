/*
 * crypto_unittext.c - the unit text (type 14): a staff member's text for the members of a
 * unit, an internal note on a thread or a canned answer, sealed to one unit key generation
 * and signed by its author. Byte layout: proto/CRYPTO-FORMATS.md.
 */
#include <string.h>

#include <sodium.h>

#include "crypto_int.h"

#define SIG_UNITTEXT "QA-v1-unittext"

/* Unit text layout. */
#define T_KIND	 6
#define T_UNIT	 7
#define T_GEN	 23
#define T_SCOPE	 27
#define T_AUTHOR 43
#define T_TIME	 59
#define T_SEALED ADVICE_UNIT_TEXT_HEADER_BYTES
/* The sealed record: the header (bytes 0 .. T_SEALED - 1), then the padded text. */
#define T_SEAL_OVERHEAD crypto_box_SEALBYTES

static int kind_valid(uint8_t kind)
{
	return kind == ADVICE_UNIT_TEXT_NOTE || kind == ADVICE_UNIT_TEXT_CANNED;
}

/* The padded text's length in an object of len bytes (the format holds). */
static size_t padded_len(size_t len)
{
	return len - T_SEALED - T_SEAL_OVERHEAD - T_SEALED - ADVICE_SIG_BYTES;
}

ADVICE_API int advice_unit_text_seal(uint8_t *out, size_t cap, size_t *outlen,
				     const struct advice_unit_text_info *t, const uint8_t *text,
				     size_t text_len, const uint8_t unit_box_pk[ADVICE_KEY_BYTES],
				     const uint8_t eph_seed[ADVICE_KEY_BYTES],
				     const struct advice_keys *author)
{
	size_t padded, rec_len, total;
	uint8_t *rec;
	int rc;

	if (!kind_valid(t->kind) || text_len > ADVICE_UNIT_TEXT_MAX_PLAIN || (text_len > 0 && text == NULL) ||
	    !advice__utf8_valid(text, text_len, 0))
		return -ADVICE_ERR_INVAL;
	padded = (text_len / ADVICE_PAD_BLOCK + 1) * ADVICE_PAD_BLOCK;
	rec_len = T_SEALED + padded;
	total = T_SEALED + T_SEAL_OVERHEAD + rec_len + ADVICE_SIG_BYTES;
	if (cap < total)
		return -ADVICE_ERR_INVAL;
	advice__prefix_put(out, ADVICE_OBJ_UNIT_TEXT);
	out[T_KIND] = t->kind;
	memcpy(out + T_UNIT, t->unit_id, ADVICE_OID_BYTES);
	advice__put32(out + T_GEN, t->generation);
	memcpy(out + T_SCOPE, t->scope_id, ADVICE_OID_BYTES);
	advice_kid(out + T_AUTHOR, author->sign_pk);
	advice__put64(out + T_TIME, t->created);
	if ((rec = sodium_malloc(rec_len)) == NULL)
		return -ADVICE_ERR_NOMEM;
	memcpy(rec, out, T_SEALED);
	if (text_len > 0)
		memcpy(rec + T_SEALED, text, text_len);
	rc = sodium_pad(&padded, rec + T_SEALED, text_len, ADVICE_PAD_BLOCK, rec_len - T_SEALED) == 0
		     ? advice_seal(out + T_SEALED, rec, rec_len, unit_box_pk, eph_seed)
		     : -ADVICE_ERR_INVAL;
	sodium_free(rec);
	if (rc != 0)
		return rc;
	*outlen = total;
	return advice__sign(out + total - ADVICE_SIG_BYTES, SIG_UNITTEXT, out, total - ADVICE_SIG_BYTES, NULL,
			    0, author->sign_sk);
}

ADVICE_API int advice_unit_text_parse(const uint8_t *in, size_t len, struct advice_unit_text_info *info)
{
	if (len < ADVICE_UNIT_TEXT_MIN_BYTES || len > ADVICE_UNIT_TEXT_MAX_BYTES ||
	    advice__prefix_check(in, len, ADVICE_OBJ_UNIT_TEXT) != 0 ||
	    padded_len(len) % ADVICE_PAD_BLOCK != 0 || !kind_valid(in[T_KIND]))
		return -ADVICE_ERR_INVAL;
	if (info != NULL) {
		info->kind = in[T_KIND];
		memcpy(info->unit_id, in + T_UNIT, ADVICE_OID_BYTES);
		info->generation = advice__get32(in + T_GEN);
		memcpy(info->scope_id, in + T_SCOPE, ADVICE_OID_BYTES);
		memcpy(info->author_kid, in + T_AUTHOR, ADVICE_KID_BYTES);
		info->created = advice__get64(in + T_TIME);
	}
	return 0;
}

ADVICE_API int advice_unit_text_verify(const uint8_t *in, size_t len,
				       const uint8_t author_pk[ADVICE_KEY_BYTES])
{
	uint8_t kid[ADVICE_KID_BYTES];
	int rc;

	if ((rc = advice_unit_text_parse(in, len, NULL)) != 0)
		return rc;
	advice_kid(kid, author_pk);
	if (sodium_memcmp(kid, in + T_AUTHOR, ADVICE_KID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	return advice__verify(in + len - ADVICE_SIG_BYTES, SIG_UNITTEXT, in, len - ADVICE_SIG_BYTES, NULL, 0,
			      author_pk);
}

ADVICE_API int advice_unit_text_open(uint8_t *text, size_t cap, size_t *text_len, const uint8_t *in,
				     size_t len, uint8_t kind, const uint8_t unit_id[ADVICE_OID_BYTES],
				     const uint8_t scope_id[ADVICE_OID_BYTES], const struct advice_keys *unit,
				     const uint8_t author_pk[ADVICE_KEY_BYTES])
{
	size_t rec_len, unpadded = 0;
	uint8_t *rec;
	int rc;

	if ((rc = advice_unit_text_verify(in, len, author_pk)) != 0)
		return rc;
	/* A text of another kind, unit or scope than the caller asked for (a note moved to
	 * another thread, a canned answer served as a note) opens nothing. */
	if (in[T_KIND] != kind || memcmp(in + T_UNIT, unit_id, ADVICE_OID_BYTES) != 0 ||
	    memcmp(in + T_SCOPE, scope_id, ADVICE_OID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	rec_len = T_SEALED + padded_len(len);
	if ((rec = sodium_malloc(rec_len)) == NULL)
		return -ADVICE_ERR_NOMEM;
	rc = -ADVICE_ERR_FORBIDDEN;
	/* The record repeats the header: the sealed box, which has no associated data, is bound
	 * to the kind, unit, generation, scope, author and time the signature covers. */
	if (crypto_box_seal_open(rec, in + T_SEALED, rec_len + T_SEAL_OVERHEAD, unit->box_pk, unit->box_sk) ==
		    0 &&
	    sodium_memcmp(rec, in, T_SEALED) == 0 &&
	    sodium_unpad(&unpadded, rec + T_SEALED, rec_len - T_SEALED, ADVICE_PAD_BLOCK) == 0) {
		rc = unpadded <= ADVICE_UNIT_TEXT_MAX_PLAIN && unpadded <= cap &&
				     advice__utf8_valid(rec + T_SEALED, unpadded, 0)
			     ? 0
			     : -ADVICE_ERR_INVAL;
		if (rc == 0) {
			memcpy(text, rec + T_SEALED, unpadded);
			*text_len = unpadded;
		}
	}
	sodium_free(rec);
	return rc;
}
