/*
 * crypto_file.c - attachments of libadvice's end-to-end encryption: a file key and stream
 * header drive crypto_secretstream_xchacha20poly1305 over 64 KiB chunks; the first chunk's
 * associated data binds the thread and file ids; the reader insists on TAG_FINAL and
 * refuses anything after it; both sides hash every chunk's ciphertext (BLAKE2b-256) for the
 * hash the signed message carries.
 *
 * The plaintext is padded with zeros to its size bucket (advice_file_padded_size, Padmé above
 * one chunk) before encryption, so the server sees only the bucket; the stream knows the real
 * size (the signed file reference carries it), adds the padding when writing, and when
 * reading checks that every chunk has the length the padded size gives and that the padding
 * is zeros, and strips it.
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
	uint8_t buf[ADVICE_FILE_CHUNK_BYTES]; /* a writer's padded chunk */
	uint64_t size;			      /* the real plaintext size */
	uint64_t padded;		      /* its bucket */
	uint64_t chunks;
	int push;
	int done;   /* the final chunk went through */
	int failed; /* a chunk failed: the stream is unusable */
};

ADVICE_API uint64_t advice_file_padded_size(uint64_t size)
{
	unsigned e, bits;
	uint64_t mask;

	if (size <= ADVICE_FILE_PAD_MIN)
		return ADVICE_FILE_PAD_MIN;
	if (size > ADVICE_FILE_PAD_MAX_SIZE)
		return 0;
	e = 63u - (unsigned)__builtin_clzll(size);	/* floor(log2(size)) */
	bits = 63u - (unsigned)__builtin_clzll(e) + 1u; /* floor(log2(e)) + 1 */
	mask = ((uint64_t)1 << (e - bits)) - 1;
	return (size + mask) & ~mask;
}

ADVICE_API uint64_t advice_file_chunk_count(uint64_t padded)
{
	return padded == 0 ? 1 : (padded + ADVICE_FILE_CHUNK_BYTES - 1) / ADVICE_FILE_CHUNK_BYTES;
}

ADVICE_API struct advice_file_stream *advice_file_stream_new(int push, const uint8_t key[ADVICE_KEY_BYTES],
							     const uint8_t header[ADVICE_STREAM_HEADER_BYTES],
							     const uint8_t thread_id[ADVICE_OID_BYTES],
							     const uint8_t file_id[ADVICE_OID_BYTES],
							     uint64_t size)
{
	struct advice_file_stream *s;

	if (size > ADVICE_FILE_PAD_MAX_SIZE)
		return NULL;
	s = aligned_alloc(64, (sizeof(*s) + 63) & ~(size_t)63);
	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->push = push;
	s->size = size;
	s->padded = advice_file_padded_size(size);
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

/* The padded plaintext length of chunk `index` and how many real bytes it holds. */
static void chunk_shape(const struct advice_file_stream *s, uint64_t index, size_t *padded_len,
			size_t *real_len)
{
	uint64_t start = index * ADVICE_FILE_CHUNK_BYTES;
	uint64_t end =
		start + ADVICE_FILE_CHUNK_BYTES < s->padded ? start + ADVICE_FILE_CHUNK_BYTES : s->padded;

	*padded_len = (size_t)(end - start);
	*real_len = s->size <= start ? 0 : (size_t)((s->size < end ? s->size : end) - start);
}

/* 1 when chunk `index` is the last of the padded stream. */
static int chunk_is_last(const struct advice_file_stream *s, uint64_t index)
{
	return index + 1 == advice_file_chunk_count(s->padded);
}

/*
 * Encrypts chunk number s->chunks into out (room for ADVICE_FILE_CHUNK_MAX_CIPHER bytes): plain
 * holds the file's real bytes of that chunk (ADVICE_FILE_CHUNK_BYTES but in the last chunks:
 * what is left of the file, then 0 in chunks of padding only); the stream adds the padding.
 * `final` must be set exactly on the last chunk of the padded stream
 * (advice_file_chunk_count(advice_file_padded_size(size))). Returns 0 or -ADVICE_ERR_INVAL
 * (another length or final flag, a reader, or after the final chunk).
 */
ADVICE_API int advice_file_push(struct advice_file_stream *s, const uint8_t *plain, size_t len, int final,
				uint8_t *out, size_t *outlen)
{
	unsigned long long clen = 0;
	size_t plen, rlen;
	int last;

	if (!s->push || s->done || s->failed)
		return -ADVICE_ERR_INVAL;
	chunk_shape(s, s->chunks, &plen, &rlen);
	last = chunk_is_last(s, s->chunks);
	if (len != rlen || (final != 0) != last || (len > 0 && plain == NULL))
		return -ADVICE_ERR_INVAL;
	if (len > 0)
		memcpy(s->buf, plain, len);
	memset(s->buf + len, 0, plen - len);
	if (crypto_secretstream_xchacha20poly1305_push(
		    &s->st, out, &clen, s->buf, plen, s->chunks == 0 ? s->ad : NULL,
		    s->chunks == 0 ? FILE_AD_LEN : 0,
		    last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
			 : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) != 0) {
		s->failed = 1;
		return -ADVICE_ERR_INTERNAL;
	}
	sodium_memzero(s->buf, plen);
	crypto_generichash_update(&s->hash, out, (size_t)clen);
	s->chunks++;
	s->done = last;
	*outlen = (size_t)clen;
	return 0;
}

/*
 * Decrypts chunk number s->chunks into out (room for ADVICE_FILE_CHUNK_BYTES) and strips the
 * padding: *outlen is the file's real bytes in it. Returns 0 with *final set, -ADVICE_ERR_INVAL
 * (a size no chunk can have, a writer, after the final chunk) or -ADVICE_ERR_FORBIDDEN (the
 * chunk does not authenticate; its length, or its tag, is not what the padded size gives; the
 * padding is not zeros); after a failure the stream refuses everything.
 */
ADVICE_API int advice_file_pull(struct advice_file_stream *s, const uint8_t *in, size_t len, uint8_t *out,
				size_t *outlen, int *final)
{
	unsigned long long mlen = 0;
	unsigned char tag = 0;
	size_t plen, rlen;
	int last;

	if (s->push || s->done || s->failed || len < ADVICE_FILE_CHUNK_OVERHEAD ||
	    len > ADVICE_FILE_CHUNK_MAX_CIPHER)
		return -ADVICE_ERR_INVAL;
	chunk_shape(s, s->chunks, &plen, &rlen);
	last = chunk_is_last(s, s->chunks);
	if (crypto_secretstream_xchacha20poly1305_pull(&s->st, out, &mlen, &tag, in, len,
						       s->chunks == 0 ? s->ad : NULL,
						       s->chunks == 0 ? FILE_AD_LEN : 0) != 0)
		goto bad;
	if (mlen != plen || tag != (last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
					 : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE))
		goto bad;
	if (!sodium_is_zero(out + rlen, plen - rlen))
		goto bad;
	crypto_generichash_update(&s->hash, in, len);
	s->chunks++;
	s->done = last;
	*outlen = rlen;
	*final = last;
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
