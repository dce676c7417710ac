/*
 * reqerr.c - the answer to a WebSocket message the network layer refuses (reqerr.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "reqerr.h"

#define REQERR_CHUNK_HEADER 24 /* "QC", version, 0, file id (16), index (u32 LE): §12.4 */

/* Whether `id` has the form of a request id (§9): 1..64 characters of [A-Za-z0-9_-]. */
static int reqerr_id_valid(const char *id, size_t len)
{
	if (len < 1 || len > ADVICE_MAX_REQUEST_ID)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = id[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}

size_t reqerr_id(const char *text, size_t len, char out[ADVICE_MAX_REQUEST_ID + 1])
{
	json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *id;
	size_t n = 0;

	out[0] = '\0';
	if (msg == NULL)
		return 0;
	id = json_object_get(msg, "id");
	if (json_is_string(id) && reqerr_id_valid(json_string_value(id), json_string_length(id))) {
		n = json_string_length(id);
		memcpy(out, json_string_value(id), n);
		out[n] = '\0';
	}
	json_decref(msg);
	return n;
}

/* The ", \"retry_after\": N" member, or "" when no wait is given. */
static void reqerr_retry(char *buf, size_t size, int retry_after_s)
{
	buf[0] = '\0';
	if (retry_after_s > 0)
		snprintf(buf, size, ",\"retry_after\":%d", retry_after_s);
}

/* The file.chunk answer of a binary message: file and index from a chunk header, else a
 * null file (as the core answers a malformed chunk). */
static int reqerr_chunk(char *buf, size_t size, const uint8_t *m, size_t len, const char *code,
			const char *message, const char *retry)
{
	char file[33];
	uint32_t index;

	if (len < REQERR_CHUNK_HEADER || m[0] != 'Q' || m[1] != 'C')
		return snprintf(buf, size,
				"{\"type\":\"event\",\"event\":\"file.chunk\",\"file\":null,\"code\":\"%s\","
				"\"message\":\"%s\"%s}",
				code, message, retry);
	for (size_t i = 0; i < 16; i++)
		snprintf(file + 2 * i, 3, "%02x", m[4 + i]);
	index = (uint32_t)m[20] | (uint32_t)m[21] << 8 | (uint32_t)m[22] << 16 | (uint32_t)m[23] << 24;
	return snprintf(buf, size,
			"{\"type\":\"event\",\"event\":\"file.chunk\",\"file\":\"%s\",\"index\":%lu,\"code\":"
			"\"%s\",\"message\":\"%s\"%s}",
			file, (unsigned long)index, code, message, retry);
}

int reqerr_answer(char *buf, size_t size, const void *msg, size_t len, int binary, int code,
		  const char *message, int retry_after_s)
{
	char retry[32], id[ADVICE_MAX_REQUEST_ID + 1];
	const char *name = advice_err_name(code);
	int n;

	reqerr_retry(retry, sizeof(retry), retry_after_s);
	if (binary)
		n = reqerr_chunk(buf, size, msg, len, name, message, retry);
	else if (reqerr_id(msg, len, id) > 0)
		n = snprintf(buf, size,
			     "{\"type\":\"error\",\"id\":\"%s\",\"code\":\"%s\",\"message\":\"%s\"%s}", id,
			     name, message, retry);
	else
		n = snprintf(buf, size,
			     "{\"type\":\"error\",\"id\":null,\"code\":\"%s\",\"message\":\"%s\"%s}", name,
			     message, retry);
	return n < 0 || (size_t)n >= size ? -1 : n;
}
