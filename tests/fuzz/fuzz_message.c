/*
 * fuzz_message.c - fuzz target for one WebSocket text message as the server receives it:
 * schema_parse() then schema_check_request() and schema_request_id().
 *
 * Besides memory errors (found by the sanitizers) it traps when a result breaks the
 * contract of schema.h: an unexpected return code, or a reason or field pointer that the
 * server could not put into its JSON error reply.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schema *fuzz_schema(void)
{
	static struct schema *s;
	char err[256];

	if (s == NULL) {
		s = schema_load(advice_schema_text, advice_schema_text_len, err, sizeof err);
		if (s == NULL)
			__builtin_trap(); /* the embedded schema must load */
	}
	return s;
}

/* Whether the server could send `text` as a JSON string (valid UTF-8, no NUL). */
static int fuzz_sendable(const char *text)
{
	json_t *j = json_string(text);
	int ok = j != NULL;

	json_decref(j);
	return ok;
}

/* The field pointer must be "" or a sequence of "/segment" with ~ escaped. */
static int fuzz_pointer_ok(const char *p)
{
	if (p[0] != '\0' && p[0] != '/')
		return 0;
	for (; *p; p++)
		if (p[0] == '~' && p[1] != '0' && p[1] != '1')
			return 0;
	return fuzz_sendable(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schema *s = fuzz_schema();
	char why[SCHEMA_WHY_MAX], field[SCHEMA_FIELD_MAX];
	json_t *msg;
	int rc;

	if (size > ADVICE_MAX_MESSAGE_BYTES)
		return 0; /* the network layer closes with 1009 before parsing */
	rc = schema_parse((const char *)data, size, &msg, why, sizeof why);
	if (rc != ADVICE_OK) {
		if ((rc != ADVICE_ERR_BAD_JSON && rc != ADVICE_ERR_INTERNAL) || msg != NULL ||
		    why[0] == '\0' || !fuzz_sendable(why))
			__builtin_trap();
		return 0;
	}
	rc = schema_check_request(s, msg, why, sizeof why, field, sizeof field);
	if (rc != ADVICE_OK && rc != ADVICE_ERR_BAD_REQUEST && rc != ADVICE_ERR_UNKNOWN_TYPE)
		__builtin_trap();
	if (rc != ADVICE_OK && (why[0] == '\0' || !fuzz_sendable(why) || !fuzz_pointer_ok(field)))
		__builtin_trap();
	if (rc == ADVICE_OK && schema_request_id(s, msg) == NULL)
		__builtin_trap(); /* a valid request always has a readable id */
	json_decref(msg);
	return 0;
}
