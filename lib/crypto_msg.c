/*
 * crypto_msg.c - thread message keys, the signed and padded message envelope, and the
 * message content (text plus attachment references) of libadvice's end-to-end encryption.
 * Byte layouts: proto/CRYPTO-FORMATS.md.
 */
#include <string.h>

#include <sodium.h>

#include "crypto_int.h"

#define SIG_MSG "QA-v1-msg"

/* Envelope header layout. */
#define E_THREAD 6
#define E_MSG	 22
#define E_EPOCH	 38
#define E_SENDER 42
#define E_SEQ	 58
#define E_PREV	 66
#define E_TIME	 98
#define E_NONCE	 106
#define E_CT	 ADVICE_ENVELOPE_HEADER_BYTES
#define E_ABYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

/* Content layout. */
#define CONTENT_VERSION	  1
#define CONTENT_VERSION_2 2
/* Version 2: version, kind, ref, u16 big-endian note length, note, then as version 1. */
#define C2_KIND	    1
#define C2_REF	    2
#define C2_NOTE_LEN 18
#define C2_NOTE	    20
#define F_ID	    0
#define F_KEY	    16
#define F_HEADER    48
#define F_SIZE	    72
#define F_MEDIA	    80
#define F_HASH	    81

/*
 * TK = BLAKE2b-256("QA\x01TK" || thread_id || u32le(epoch) || share, key = thread key);
 * k_msg = kdf(32, 1, "QAmsg___", TK). Returns 0 or -ADVICE_ERR_INTERNAL.
 */
ADVICE_API int advice_thread_msg_key(uint8_t msg_key[ADVICE_KEY_BYTES],
				     const uint8_t thread_key[ADVICE_KEY_BYTES],
				     const uint8_t thread_id[ADVICE_OID_BYTES], uint32_t epoch,
				     const uint8_t share[ADVICE_KEY_BYTES])
{
	static const uint8_t label[5] = { 'Q', 'A', 1, 'T', 'K' };
	uint8_t in[sizeof(label) + ADVICE_OID_BYTES + 4 + ADVICE_KEY_BYTES], tk[ADVICE_KEY_BYTES];
	int rc = 0;

	memcpy(in, label, sizeof(label));
	memcpy(in + 5, thread_id, ADVICE_OID_BYTES);
	advice__put32(in + 21, epoch);
	memcpy(in + 25, share, ADVICE_KEY_BYTES);
	crypto_generichash(tk, sizeof(tk), in, sizeof(in), thread_key, ADVICE_KEY_BYTES);
	if (crypto_kdf_derive_from_key(msg_key, ADVICE_KEY_BYTES, 1, "QAmsg___", tk) != 0)
		rc = -ADVICE_ERR_INTERNAL;
	sodium_memzero(tk, sizeof(tk));
	sodium_memzero(in, sizeof(in));
	return rc;
}

static void envelope_header_put(uint8_t *out, const struct advice_envelope_hdr *h)
{
	advice__prefix_put(out, ADVICE_OBJ_MESSAGE);
	memcpy(out + E_THREAD, h->thread_id, ADVICE_OID_BYTES);
	memcpy(out + E_MSG, h->message_id, ADVICE_OID_BYTES);
	advice__put32(out + E_EPOCH, h->epoch);
	memcpy(out + E_SENDER, h->sender_kid, ADVICE_KID_BYTES);
	advice__put64(out + E_SEQ, h->sender_seq);
	memcpy(out + E_PREV, h->prev_hash, ADVICE_HASH_BYTES);
	advice__put64(out + E_TIME, h->created_at);
	memcpy(out + E_NONCE, h->nonce, ADVICE_NONCE_BYTES);
}

/* BLAKE2b-512 of the ciphertext, the part of it the signature covers. */
static void envelope_ct_hash(uint8_t out[64], const uint8_t *ct, size_t len)
{
	crypto_generichash(out, 64, ct, len, NULL, 0);
}

ADVICE_API int advice_envelope_seal(uint8_t *out, size_t cap, size_t *outlen, struct advice_envelope_hdr *h,
				    const uint8_t msg_key[ADVICE_KEY_BYTES], const uint8_t *plain,
				    size_t plain_len, const struct advice_keys *sender)
{
	uint8_t cth[64];
	size_t padded = 0, ctlen;
	uint8_t *pt = out + E_CT; /* padded in place, then encrypted in place */

	if (plain_len > ADVICE_ENVELOPE_MAX_PLAIN || (plain_len > 0 && plain == NULL))
		return -ADVICE_ERR_INVAL;
	padded = (plain_len / ADVICE_PAD_BLOCK + 1) * ADVICE_PAD_BLOCK;
	if (cap < E_CT + padded + E_ABYTES + ADVICE_SIG_BYTES)
		return -ADVICE_ERR_INVAL;
	advice_kid(h->sender_kid, sender->sign_pk);
	envelope_header_put(out, h);
	if (plain_len > 0)
		memmove(pt, plain, plain_len);
	if (sodium_pad(&padded, pt, plain_len, ADVICE_PAD_BLOCK, cap - E_CT) != 0)
		return -ADVICE_ERR_INVAL;
	crypto_aead_xchacha20poly1305_ietf_encrypt(pt, NULL, pt, padded, out, E_CT, NULL, h->nonce, msg_key);
	ctlen = padded + E_ABYTES;
	envelope_ct_hash(cth, pt, ctlen);
	*outlen = E_CT + ctlen + ADVICE_SIG_BYTES;
	return advice__sign(out + E_CT + ctlen, SIG_MSG, out, E_CT, cth, sizeof(cth), sender->sign_sk);
}

ADVICE_API int advice_envelope_parse(const uint8_t *in, size_t len, struct advice_envelope_hdr *h)
{
	size_t ctlen;

	if (len < ADVICE_ENVELOPE_MIN_BYTES || len > ADVICE_ENVELOPE_MAX_BYTES ||
	    advice__prefix_check(in, len, ADVICE_OBJ_MESSAGE) != 0)
		return -ADVICE_ERR_INVAL;
	ctlen = len - E_CT - ADVICE_SIG_BYTES;
	if ((ctlen - E_ABYTES) % ADVICE_PAD_BLOCK != 0)
		return -ADVICE_ERR_INVAL;
	if (h != NULL) {
		memcpy(h->thread_id, in + E_THREAD, ADVICE_OID_BYTES);
		memcpy(h->message_id, in + E_MSG, ADVICE_OID_BYTES);
		h->epoch = advice__get32(in + E_EPOCH);
		memcpy(h->sender_kid, in + E_SENDER, ADVICE_KID_BYTES);
		h->sender_seq = advice__get64(in + E_SEQ);
		memcpy(h->prev_hash, in + E_PREV, ADVICE_HASH_BYTES);
		h->created_at = advice__get64(in + E_TIME);
		memcpy(h->nonce, in + E_NONCE, ADVICE_NONCE_BYTES);
	}
	return 0;
}

ADVICE_API int advice_envelope_verify(const uint8_t *in, size_t len,
				      const uint8_t sender_pk[ADVICE_KEY_BYTES])
{
	uint8_t cth[64], kid[ADVICE_KID_BYTES];
	size_t ctlen;
	int rc;

	if ((rc = advice_envelope_parse(in, len, NULL)) != 0)
		return rc;
	ctlen = len - E_CT - ADVICE_SIG_BYTES;
	advice_kid(kid, sender_pk);
	if (sodium_memcmp(kid, in + E_SENDER, ADVICE_KID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	envelope_ct_hash(cth, in + E_CT, ctlen);
	return advice__verify(in + E_CT + ctlen, SIG_MSG, in, E_CT, cth, sizeof(cth), sender_pk);
}

ADVICE_API int advice_envelope_open(uint8_t *plain, size_t cap, size_t *plain_len,
				    struct advice_envelope_hdr *h, const uint8_t *in, size_t len,
				    const uint8_t thread_id[ADVICE_OID_BYTES],
				    const uint8_t msg_key[ADVICE_KEY_BYTES],
				    const uint8_t sender_pk[ADVICE_KEY_BYTES])
{
	uint8_t cth[64], kid[ADVICE_KID_BYTES];
	unsigned long long mlen = 0;
	size_t ctlen, unpadded = 0;
	int rc;

	if ((rc = advice_envelope_parse(in, len, h)) != 0)
		return rc;
	ctlen = len - E_CT - ADVICE_SIG_BYTES;
	if (cap < ctlen - E_ABYTES)
		return -ADVICE_ERR_INVAL;
	advice_kid(kid, sender_pk);
	if (sodium_memcmp(kid, in + E_SENDER, ADVICE_KID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	envelope_ct_hash(cth, in + E_CT, ctlen);
	if ((rc = advice__verify(in + E_CT + ctlen, SIG_MSG, in, E_CT, cth, sizeof(cth), sender_pk)) != 0)
		return rc;
	if (memcmp(in + E_THREAD, thread_id, ADVICE_OID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &mlen, NULL, in + E_CT, ctlen, in, E_CT,
						       in + E_NONCE, msg_key) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if (sodium_unpad(&unpadded, plain, (size_t)mlen, ADVICE_PAD_BLOCK) != 0) {
		sodium_memzero(plain, (size_t)mlen);
		return -ADVICE_ERR_FORBIDDEN;
	}
	*plain_len = unpadded;
	return 0;
}

/* --- Content --- */

/* A file reference's 113 bytes. */
static void file_ref_put(uint8_t *p, const struct advice_file_ref *f)
{
	memcpy(p + F_ID, f->file_id, ADVICE_OID_BYTES);
	memcpy(p + F_KEY, f->key, ADVICE_KEY_BYTES);
	memcpy(p + F_HEADER, f->header, ADVICE_STREAM_HEADER_BYTES);
	advice__put64(p + F_SIZE, f->size);
	p[F_MEDIA] = f->media;
	memcpy(p + F_HASH, f->hash, ADVICE_HASH_BYTES);
}

/* Reads a file reference; -ADVICE_ERR_INVAL for a media type off the allow-list. */
static int file_ref_get(struct advice_file_ref *f, const uint8_t *p)
{
	if (p[F_MEDIA] == ADVICE_MEDIA_UNKNOWN || p[F_MEDIA] >= ADVICE_MEDIA__COUNT)
		return -ADVICE_ERR_INVAL;
	memcpy(f->file_id, p + F_ID, ADVICE_OID_BYTES);
	memcpy(f->key, p + F_KEY, ADVICE_KEY_BYTES);
	memcpy(f->header, p + F_HEADER, ADVICE_STREAM_HEADER_BYTES);
	f->size = advice__get64(p + F_SIZE);
	f->media = p[F_MEDIA];
	memcpy(f->hash, p + F_HASH, ADVICE_HASH_BYTES);
	return 0;
}

static int files_valid(const struct advice_file_ref *files, size_t n_files)
{
	if (n_files > ADVICE_CONTENT_MAX_FILES)
		return 0;
	for (size_t i = 0; i < n_files; i++)
		if (files[i].media == ADVICE_MEDIA_UNKNOWN || files[i].media >= ADVICE_MEDIA__COUNT)
			return 0;
	return 1;
}

ADVICE_API int advice_content_encode(uint8_t *out, size_t cap, size_t *outlen,
				     const struct advice_file_ref *files, size_t n_files, const char *text,
				     size_t text_len)
{
	size_t need = 2 + n_files * ADVICE_FILE_REF_BYTES + text_len;
	uint8_t *p;

	if (!files_valid(files, n_files) || cap < need || (text_len > 0 && text == NULL))
		return -ADVICE_ERR_INVAL;
	out[0] = CONTENT_VERSION;
	out[1] = (uint8_t)n_files;
	p = out + 2;
	for (size_t i = 0; i < n_files; i++, p += ADVICE_FILE_REF_BYTES)
		file_ref_put(p, &files[i]);
	if (text_len > 0)
		memcpy(p, text, text_len);
	*outlen = need;
	return 0;
}

/* The file references and text of a content from p (n, then the references, then the text). */
static int content_files_text(const uint8_t *p, size_t left, struct advice_file_ref *files, size_t *n_files,
			      const uint8_t **text, size_t *text_len)
{
	size_t n;

	if (left < 1 || p[0] > ADVICE_CONTENT_MAX_FILES)
		return -ADVICE_ERR_INVAL;
	n = p[0];
	p++;
	left--;
	if (left < n * ADVICE_FILE_REF_BYTES)
		return -ADVICE_ERR_INVAL;
	for (size_t i = 0; i < n; i++, p += ADVICE_FILE_REF_BYTES)
		if (file_ref_get(&files[i], p) != 0)
			return -ADVICE_ERR_INVAL;
	left -= n * ADVICE_FILE_REF_BYTES;
	if (!advice__utf8_valid(p, left, 0))
		return -ADVICE_ERR_INVAL; /* the text must be UTF-8 (RFC 3629), as in client-web */
	*n_files = n;
	*text = p;
	*text_len = left;
	return 0;
}

ADVICE_API int advice_content_decode(const uint8_t *in, size_t len, struct advice_file_ref *files,
				     size_t *n_files, const uint8_t **text, size_t *text_len)
{
	if (len < 2 || in[0] != CONTENT_VERSION)
		return -ADVICE_ERR_INVAL;
	return content_files_text(in + 1, len - 1, files, n_files, text, text_len);
}

/* --- Content version 2 --- */

static const uint8_t zero_ref[ADVICE_OID_BYTES];

/* The rules of a version 2 content's kind, ref and note (the encoder's and the decoder's). */
static int content_v2_valid(uint8_t kind, const uint8_t *ref, const uint8_t *note, size_t note_len)
{
	int ref_zero = sodium_memcmp(ref, zero_ref, ADVICE_OID_BYTES) == 0;

	if (note_len > ADVICE_CONTENT_NOTE_MAX || !advice__utf8_valid(note, note_len, 0))
		return 0;
	switch (kind) {
	case ADVICE_CONTENT_CORRECTION: return !ref_zero && note_len > 0;
	case ADVICE_CONTENT_RIGHTS_REQUEST: return note_len == 0;
	case ADVICE_CONTENT_RIGHTS_DECISION: return !ref_zero;
	default: return 0;
	}
}

ADVICE_API int advice_content_v2_encode(uint8_t *out, size_t cap, size_t *outlen, uint8_t kind,
					const uint8_t ref[ADVICE_OID_BYTES], const char *note,
					size_t note_len, const struct advice_file_ref *files, size_t n_files,
					const char *text, size_t text_len)
{
	size_t need = C2_NOTE + note_len + 1 + n_files * ADVICE_FILE_REF_BYTES + text_len;
	uint8_t *p;

	if ((note_len > 0 && note == NULL) || (text_len > 0 && text == NULL) || ref == NULL ||
	    !content_v2_valid(kind, ref, (const uint8_t *)note, note_len) || !files_valid(files, n_files) ||
	    !advice__utf8_valid((const uint8_t *)text, text_len, 0) || cap < need)
		return -ADVICE_ERR_INVAL;
	out[0] = CONTENT_VERSION_2;
	out[C2_KIND] = kind;
	memcpy(out + C2_REF, ref, ADVICE_OID_BYTES);
	out[C2_NOTE_LEN] = (uint8_t)(note_len >> 8); /* big-endian, as the format names it */
	out[C2_NOTE_LEN + 1] = (uint8_t)note_len;
	p = out + C2_NOTE;
	if (note_len > 0)
		memcpy(p, note, note_len);
	p += note_len;
	*p++ = (uint8_t)n_files;
	for (size_t i = 0; i < n_files; i++, p += ADVICE_FILE_REF_BYTES)
		file_ref_put(p, &files[i]);
	if (text_len > 0)
		memcpy(p, text, text_len);
	*outlen = need;
	return 0;
}

ADVICE_API int advice_content_v2_decode(const uint8_t *in, size_t len, struct advice_content *c)
{
	size_t note_len;

	memset(c, 0, sizeof *c);
	if (len < 1)
		return -ADVICE_ERR_INVAL;
	if (in[0] == CONTENT_VERSION) {
		c->version = CONTENT_VERSION;
		return advice_content_decode(in, len, c->files, &c->n_files, &c->text, &c->text_len);
	}
	if (in[0] != CONTENT_VERSION_2 || len < C2_NOTE)
		return -ADVICE_ERR_INVAL;
	note_len = (size_t)in[C2_NOTE_LEN] << 8 | in[C2_NOTE_LEN + 1];
	if (len - C2_NOTE < note_len || !content_v2_valid(in[C2_KIND], in + C2_REF, in + C2_NOTE, note_len))
		return -ADVICE_ERR_INVAL;
	c->version = CONTENT_VERSION_2;
	c->kind = in[C2_KIND];
	memcpy(c->ref, in + C2_REF, ADVICE_OID_BYTES);
	c->note = in + C2_NOTE;
	c->note_len = note_len;
	return content_files_text(in + C2_NOTE + note_len, len - C2_NOTE - note_len, c->files, &c->n_files,
				  &c->text, &c->text_len);
}
