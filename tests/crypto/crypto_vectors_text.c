/*
 * crypto_vectors_text.c - the vectors of the rules libadvice and client-web share beyond the
 * byte formats: text.json (whether bytes are plain text for the attachment sniff, and whether
 * they may be a message's text: strict UTF-8) and pad.json (the size bucket of an attachment,
 * its chunks and the plaintext length of its last chunk).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "advice_crypto.h"
#include "crypto_tool.h"

/* The case's bytes: `prefix_a` bytes 'a' (to fill the sniff's window), then hex `data`. */
static uint8_t *text_bytes(json_t *in, size_t *len)
{
	const char *hex = json_string_value(json_object_get(in, "data"));
	size_t pre = (size_t)json_integer_value(json_object_get(in, "prefix_a")), n;
	uint8_t *b;

	if (hex == NULL || strlen(hex) % 2 != 0)
		return NULL;
	n = strlen(hex) / 2;
	if ((b = malloc(pre + n + 1)) == NULL)
		return NULL;
	memset(b, 'a', pre);
	if (advice_unhex(b + pre, n, hex) != 0) {
		free(b);
		return NULL;
	}
	*len = pre + n;
	return b;
}

json_t *vec_text(json_t *in)
{
	json_t *o = json_deep_copy(in);
	size_t len = 0, nf = 0, tlen = 0;
	uint8_t *b = text_bytes(in, &len), *content;
	struct advice_file_ref files[ADVICE_CONTENT_MAX_FILES];
	const uint8_t *text;
	int media;

	if (b == NULL || (content = malloc(len + 2)) == NULL) {
		free(b);
		json_object_set_new(o, "error", json_string("bad inputs"));
		return o;
	}
	media = advice_media_sniff(b, len);
	json_object_set_new(o, "media", json_integer(media));
	/* The same bytes as a message's text: content version 1, no files. */
	content[0] = 1;
	content[1] = 0;
	memcpy(content + 2, b, len);
	json_object_set_new(
		o, "message_text_ok",
		json_boolean(advice_content_decode(content, len + 2, files, &nf, &text, &tlen) == 0));
	free(content);
	free(b);
	return o;
}

json_t *vec_pad(json_t *in)
{
	json_t *o = json_deep_copy(in);
	uint64_t size = (uint64_t)json_integer_value(json_object_get(in, "size"));
	uint64_t padded = advice_file_padded_size(size), chunks = advice_file_chunk_count(padded);

	json_object_set_new(o, "padded", json_integer((json_int_t)padded));
	json_object_set_new(o, "chunks", json_integer((json_int_t)chunks));
	json_object_set_new(o, "last_chunk",
			    json_integer((json_int_t)(padded - (chunks - 1) * ADVICE_FILE_CHUNK_BYTES)));
	json_object_set_new(o, "cipher_bytes",
			    json_integer((json_int_t)(padded + chunks * ADVICE_FILE_CHUNK_OVERHEAD)));
	return o;
}
