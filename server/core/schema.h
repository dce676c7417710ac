/*
 * schema.h - validation of advice.v1 messages against proto/advice.v1.schema.json.
 *
 * The schema text is compiled into the server (proto/embed.cmake makes advice_schema_text)
 * and loaded once at start-up into C structures; checking a message then walks those
 * structures, never the schema JSON. The loader implements a small subset of JSON Schema
 * draft 2020-12 exactly and refuses a schema that uses anything else, so the schema file
 * and this validator cannot drift apart (the subset is listed in schema.c and PROTOCOL.md).
 *
 * A loaded schema is immutable: any number of threads may check messages with it at once.
 */
#ifndef ADVICE_SCHEMA_H
#define ADVICE_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

#include "advice_proto.h"

/* Buffer sizes that hold every reason and field pointer the checks write, and that match
 * the "message" and "field" limits of the "error" reply in the schema. */
#define SCHEMA_WHY_MAX	 128
#define SCHEMA_FIELD_MAX 256

/* Deepest nesting of arrays and objects schema_parse accepts (the top object is depth 1). */
#define SCHEMA_MAX_DEPTH 16

struct schema;

/* The schema text, generated from proto/advice.v1.schema.json at build time. */
extern const char advice_schema_text[];
extern const size_t advice_schema_text_len;

/*
 * Parses and compiles a schema. Returns the schema, or NULL with a reason in `err` (the
 * path of the offending keyword and what is wrong) when the text is not JSON, uses a
 * keyword or form that the validator does not implement, has a dangling or cyclic $ref,
 * or when memory runs out.
 */
struct schema *schema_load(const char *text, size_t len, char *err, size_t errlen);

/* Frees a schema from schema_load (NULL is allowed). */
void schema_free(struct schema *s);

/*
 * Validates a parsed request: its "type" must name a request definition
 * ("request.<type>") and the whole object must match that definition.
 * Returns ADVICE_OK; ADVICE_ERR_UNKNOWN_TYPE when "type" is a string that names no
 * request; ADVICE_ERR_BAD_REQUEST for anything else (not an object, "type" missing or not
 * a string, a missing, unknown, mistyped, oversize or out-of-range field). On failure a
 * short English reason goes to `why` and the JSON pointer of the offending value (RFC
 * 6901, "" for the whole message) to `field`; either buffer may be NULL. A pointer that
 * does not fit in `fieldlen` is shortened to that of an enclosing value, so `field` is
 * always a valid pointer in valid UTF-8. Neither text copies client data except object
 * keys inside `field`.
 */
int schema_check_request(const struct schema *s, const json_t *msg, char *why, size_t whylen, char *field,
			 size_t fieldlen);

/*
 * Validates any value against the named definition ("http.login.worker",
 * "reply.thread.open", "event.welcome", "error"). Returns ADVICE_OK or
 * ADVICE_ERR_BAD_REQUEST (with `why` and `field` as for schema_check_request), or -1
 * when the schema has no definition of that name.
 */
int schema_check_def(const struct schema *s, const char *def, const json_t *value, char *why, size_t whylen,
		     char *field, size_t fieldlen);

/*
 * Parses `len` bytes of text (the caller has already capped the size) into a JSON object:
 * UTF-8 only, no NUL characters, no duplicate keys, no nesting deeper than
 * SCHEMA_MAX_DEPTH, nothing after the object. Returns ADVICE_OK and a new reference in
 * *out; ADVICE_ERR_BAD_JSON with *out = NULL and a reason in `why` (NULL allowed) that
 * quotes no input; or ADVICE_ERR_INTERNAL with *out = NULL when the parser ran out of
 * memory (the text may be fine: do not blame the client).
 */
int schema_parse(const char *text, size_t len, json_t **out, char *why, size_t whylen);

/*
 * The request id of a parsed message if it has a valid one (a string matching the
 * "request_id" definition), else NULL. The network layer uses it for the "id" of an error
 * reply: a request whose id cannot be read is answered with "id": null. The pointer
 * belongs to `msg`.
 */
const char *schema_request_id(const struct schema *s, const json_t *msg);

#endif
