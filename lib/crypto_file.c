/*
 * crypto_file.c - attachments of libadvice's end-to-end encryption: a file key and stream
 * header drive crypto_secretstream_xchacha20poly1305 over 64 KiB chunks; the first chunk's
 * associated data binds the thread and file ids; the reader insists on TAG_FINAL and
 * refuses anything after it; both sides hash every chunk's ciphertext (BLAKE2b-256) for the
 * hash the signed message carries.
 *
 * The state is set up with init_pull even for writing: for a given header it is the same
 * state init_push makes, so a chosen header gives reproducible chunks.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto_int.h"

#define FILE_AD_CTX "QA-v1-file"
#define FILE_AD_LEN (sizeof(FILE_AD_CTX) - 1 + 2 * ADVICE_OID_BYTES)

struct advice_file_stream {
	crypto_secretstream_xchacha20poly1305_state st;
	crypto_generichash_state hash;
	uint8_t ad[FILE_AD_LEN];
	uint64_t chunks;
	int push;
	int done;   /* the final chunk went through */
	int failed; /* a chunk failed: the stream is unusable */
};

ADVICE_API struct advice_file_stream *advice_file_stream_new(int push, const uint8_t key[ADVICE_KEY_BYTES],
							     const uint8_t header[ADVICE_STREAM_HEADER_BYTES],
							     const uint8_t thread_id[ADVICE_OID_BYTES],
							     const uint8_t file_id[ADVICE_OID_BYTES])
{
	struct advice_file_stream *s = aligned_alloc(64, (sizeof(*s) + 63) & ~(size_t)63);

	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->push = push;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&s->st, header, key) != 0) {
		free(s);
		return NULL;
	}
	crypto_generichash_init(&s->hash, NULL, 0, ADVICE_HASH_BYTES);
	memcpy(s->ad, FILE_AD_CTX, sizeof(FILE_AD_CTX) - 1);
	memcpy(s->ad + sizeof(FILE_AD_CTX) - 1, thread_id, ADVICE_OID_BYTES);
	memcpy(s->ad + sizeof(FILE_AD_CTX) - 1 + ADVICE_OID_BYTES, file_id, ADVICE_OID_BYTES);
	return s;
}

ADVICE_API void advice_file_stream_free(struct advice_file_stream *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, sizeof(*s));
	free(s);
}

/*
 * Encrypts one chunk into out (len + 17 bytes): every chunk but the last holds exactly
 * ADVICE_FILE_CHUNK_BYTES; the last (final != 0) at most that. Returns 0 or
 * -ADVICE_ERR_INVAL (wrong size, a reader, or after the final chunk).
 */
ADVICE_API int advice_file_push(struct advice_file_stream *s, const uint8_t *plain, size_t len, int final,
				uint8_t *out, size_t *outlen)
{
	unsigned long long clen = 0;
	uint8_t tag = final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
			    : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;

	if (!s->push || s->done || s->failed || len > ADVICE_FILE_CHUNK_BYTES ||
	    (!final && len != ADVICE_FILE_CHUNK_BYTES))
		return -ADVICE_ERR_INVAL;
	if (crypto_secretstream_xchacha20poly1305_push(&s->st, out, &clen, plain, len,
						       s->chunks == 0 ? s->ad : NULL,
						       s->chunks == 0 ? FILE_AD_LEN : 0, tag) != 0) {
		s->failed = 1;
		return -ADVICE_ERR_INTERNAL;
	}
	crypto_generichash_update(&s->hash, out, (size_t)clen);
	s->chunks++;
	s->done = final != 0;
	*outlen = (size_t)clen;
	return 0;
}

/*
 * Decrypts one chunk into out (room for ADVICE_FILE_CHUNK_BYTES). Returns 0 with *final set,
 * -ADVICE_ERR_INVAL (a size no chunk can have, a writer, after the final chunk) or
 * -ADVICE_ERR_FORBIDDEN (the chunk does not authenticate, a middle chunk of the wrong size,
 * or an unknown tag); after a failure the stream refuses everything.
 */
ADVICE_API int advice_file_pull(struct advice_file_stream *s, const uint8_t *in, size_t len, uint8_t *out,
				size_t *outlen, int *final)
{
	unsigned long long mlen = 0;
	unsigned char tag = 0;

	if (s->push || s->done || s->failed || len < ADVICE_FILE_CHUNK_OVERHEAD ||
	    len > ADVICE_FILE_CHUNK_MAX_CIPHER)
		return -ADVICE_ERR_INVAL;
	if (crypto_secretstream_xchacha20poly1305_pull(&s->st, out, &mlen, &tag, in, len,
						       s->chunks == 0 ? s->ad : NULL,
						       s->chunks == 0 ? FILE_AD_LEN : 0) != 0)
		goto bad;
	if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
		s->done = 1;
	else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE || mlen != ADVICE_FILE_CHUNK_BYTES)
		goto bad;
	crypto_generichash_update(&s->hash, in, len);
	s->chunks++;
	*outlen = (size_t)mlen;
	*final = s->done;
	return 0;
bad:
	sodium_memzero(out, ADVICE_FILE_CHUNK_BYTES);
	s->failed = 1;
	return -ADVICE_ERR_FORBIDDEN;
}

ADVICE_API int advice_file_hash(struct advice_file_stream *s, uint8_t out[ADVICE_HASH_BYTES])
{
	crypto_generichash_state copy;

	if (!s->done || s->failed)
		return -ADVICE_ERR_INVAL;
	copy = s->hash;
	crypto_generichash_final(&copy, out, ADVICE_HASH_BYTES);
	return 0;
}
