/*
 * test_proto_consistency.c - the three descriptions of advice.v1 agree: the constants of
 * include/advice_proto.h, the schema proto/advice.v1.schema.json (as embedded in the
 * server) and the specification proto/PROTOCOL.md; and the requests the server keeps the
 * largest reply's room for (core_large_reply, §2.1) are those whose reply has a list or a
 * chunk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice_proto.h"
#include "core.h"
#include "schema.h"
#include "testutil.h"

static json_t *root;   /* the embedded schema as JSON */
static char *protocol; /* the text of proto/PROTOCOL.md */

static int group_setup(void **state)
{
	char path[1024];

	(void)state;
	root = json_loadb(advice_schema_text, advice_schema_text_len, JSON_REJECT_DUPLICATES, NULL);
	protocol = testutil_read_file(testutil_source_path("proto/PROTOCOL.md", path, sizeof path), NULL);
	if (protocol == NULL)
		fprintf(stderr, "cannot read %s (set ADVICE_SOURCE_DIR)\n", path);
	return root != NULL && protocol != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	json_decref(root);
	free(protocol);
	return 0;
}

/* Length of n bytes in base64url without padding. */
static size_t b64_len(size_t n)
{
	return (n * 4 + 2) / 3;
}

static json_t *def_get(const char *name)
{
	json_t *d = json_object_get(json_object_get(root, "$defs"), name);

	if (d == NULL)
		fail_msg("no definition %s", name);
	return d;
}

/* Follows "$ref" until a schema without one. */
static json_t *deref(json_t *s)
{
	for (int i = 0; i < 16 && json_object_get(s, "$ref") != NULL; i++) {
		const char *ref = json_string_value(json_object_get(s, "$ref"));

		assert_non_null(ref);
		assert_memory_equal(ref, "#/$defs/", 8);
		s = def_get(ref + 8);
	}
	return s;
}

/* The schema of property `prop` of definition `def`, with $refs followed. */
static json_t *prop_get(const char *def, const char *prop)
{
	json_t *p = json_object_get(json_object_get(deref(def_get(def)), "properties"), prop);

	if (p == NULL)
		fail_msg("%s has no property %s", def, prop);
	return deref(p);
}

static long long num(json_t *schema, const char *keyword)
{
	json_t *v = json_object_get(schema, keyword);

	if (!json_is_integer(v))
		fail_msg("no integer %s", keyword);
	return json_integer_value(v);
}

static void test_body_limits(void **state)
{
	json_t *body = deref(def_get("body"));

	(void)state;
	assert_int_equal(num(body, "maxLength"), ADVICE_MAX_BODY_B64);
	assert_int_equal(num(body, "minLength"), 1);
	/* The largest body allowed decoded must fit in the character limit. */
	assert_true(b64_len(ADVICE_MAX_BODY_BYTES) <= ADVICE_MAX_BODY_B64);
	assert_true(ADVICE_MAX_BODY_B64 < ADVICE_MAX_MESSAGE_BYTES);
	assert_true(ADVICE_MAX_BODY_B64 + 1024 < ADVICE_MAX_REPLY_BYTES); /* a reply holds a full message */
	assert_ptr_equal(prop_get("request.thread.open", "body"), body);
	assert_ptr_equal(prop_get("request.message.send", "body"), body);
	assert_ptr_equal(prop_get("event.message.new", "body"), body);
	assert_ptr_equal(prop_get("message", "body"), body);
}

static void test_id_limits(void **state)
{
	json_t *rid = deref(def_get("request_id")), *hex = deref(def_get("hex_id"));
	static const char *const hex_props[][2] = {
		{ "request.thread.read", "thread" },  { "request.thread.claim", "thread" },
		{ "request.message.send", "thread" }, { "request.thread.close", "thread" },
		{ "request.thread.get", "thread" },   { "event.welcome", "user" },
		{ "request.read.set", "thread" },     { "removal", "thread" },
		{ "http.reply.login", "user" },	      { "thread_summary", "unit" },
		{ "thread_summary", "assignee" },     { "event.thread.changed", "assignee" },
	};

	(void)state;
	assert_int_equal(num(rid, "maxLength"), ADVICE_MAX_REQUEST_ID);
	assert_int_equal(num(prop_get("error", "id"), "maxLength"), ADVICE_MAX_REQUEST_ID);
	assert_string_equal(json_string_value(json_object_get(prop_get("error", "id"), "pattern")),
			    json_string_value(json_object_get(rid, "pattern")));
	assert_int_equal(num(hex, "minLength"), ADVICE_ID_HEX);
	assert_int_equal(num(hex, "maxLength"), ADVICE_ID_HEX);
	for (size_t i = 0; i < sizeof hex_props / sizeof hex_props[0]; i++) {
		json_t *p = prop_get(hex_props[i][0], hex_props[i][1]);

		assert_int_equal(num(p, "minLength"), ADVICE_ID_HEX);
		assert_int_equal(num(p, "maxLength"), ADVICE_ID_HEX);
		assert_string_equal(json_string_value(json_object_get(p, "pattern")), "^[0-9a-f]+$");
	}
	/* Every request's id is the shared request_id. */
	for (void *it = json_object_iter(json_object_get(root, "$defs")); it != NULL;
	     it = json_object_iter_next(json_object_get(root, "$defs"), it)) {
		const char *name = json_object_iter_key(it);

		if (strncmp(name, "request.", 8) == 0 || strncmp(name, "reply.", 6) == 0)
			assert_ptr_equal(prop_get(name, "id"), rid);
	}
}

static void test_list_limits(void **state)
{
	(void)state;
	assert_int_equal(num(deref(def_get("limit")), "maximum"), ADVICE_MAX_LIST);
	assert_int_equal(num(deref(def_get("limit")), "minimum"), 1);
	assert_int_equal(num(prop_get("reply.thread.list", "threads"), "maxItems"), ADVICE_MAX_LIST);
	assert_int_equal(num(prop_get("reply.thread.list", "removed"), "maxItems"), ADVICE_MAX_LIST);
	assert_int_equal(num(prop_get("reply.thread.read", "messages"), "maxItems"), ADVICE_MAX_LIST);
	assert_int_equal(num(prop_get("reply.categories.list", "categories"), "maxItems"), ADVICE_MAX_LIST);
	assert_ptr_equal(prop_get("request.thread.list", "limit"), deref(def_get("limit")));
	assert_ptr_equal(prop_get("request.thread.read", "limit"), deref(def_get("limit")));
}

static void test_login_limits(void **state)
{
	json_t *key = prop_get("http.login.worker", "auth_key");
	json_t *salt = prop_get("http.reply.login.start", "salt");

	(void)state;
	assert_int_equal(num(key, "minLength"), b64_len(ADVICE_AUTH_KEY_BYTES));
	assert_int_equal(num(key, "maxLength"), b64_len(ADVICE_AUTH_KEY_BYTES));
	assert_int_equal(num(salt, "minLength"), b64_len(ADVICE_SALT_BYTES));
	assert_int_equal(num(salt, "maxLength"), b64_len(ADVICE_SALT_BYTES));
	assert_int_equal(ADVICE_SESSION_TOKEN_LEN, b64_len(32));
	assert_string_equal(
		json_string_value(json_object_get(prop_get("event.welcome", "protocol"), "const")),
		ADVICE_SUBPROTOCOL);
}

/* The error reply's text limits hold what schema.c writes. */
static void test_error_limits(void **state)
{
	(void)state;
	assert_int_equal(num(prop_get("error", "field"), "maxLength"), SCHEMA_FIELD_MAX);
	assert_true(num(prop_get("error", "message"), "maxLength") >= SCHEMA_WHY_MAX);
}

/* The schema's error codes are exactly the codes the server sends. */
static void test_error_codes(void **state)
{
	json_t *codes = json_object_get(deref(def_get("error_code")), "enum"), *c;
	size_t i;

	(void)state;
	assert_int_equal(json_array_size(codes), ADVICE_ERR_INTERNAL - ADVICE_OK);
	for (int code = ADVICE_OK + 1; code <= ADVICE_ERR_INTERNAL; code++) {
		const char *name = advice_err_name(code);
		int found = 0;

		json_array_foreach (codes, i, c)
			found += strcmp(json_string_value(c), name) == 0;
		if (found != 1)
			fail_msg("error code %s appears %d times in the schema", name, found);
		assert_int_equal(advice_err_from_name(name), code);
	}
	assert_ptr_equal(prop_get("error", "code"), prop_get("http.error", "code"));
}

/* examples/error.json is the error the server gives for a body one character over the limit
 * (field, message and all). */
static void test_error_example_is_the_servers(void **state)
{
	char path[1024], why[SCHEMA_WHY_MAX], field[SCHEMA_FIELD_MAX + 1], err[256];
	json_t *example =
		json_load_file(testutil_source_path("proto/examples/error.json", path, sizeof path), 0, NULL);
	struct schema *s = schema_load(advice_schema_text, advice_schema_text_len, err, sizeof err);
	char *body = malloc(ADVICE_MAX_BODY_B64 + 2);
	json_t *msg;

	(void)state;
	assert_non_null(example);
	assert_non_null(s);
	assert_non_null(body);
	memset(body, 'A', ADVICE_MAX_BODY_B64 + 1);
	body[ADVICE_MAX_BODY_B64 + 1] = '\0';
	msg = json_pack("{s:s, s:s, s:s, s:s}", "type", "thread.open", "id", "send_4f9A", "category",
			"adult-social-work", "body", body);
	assert_int_equal(schema_check_request(s, msg, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, json_string_value(json_object_get(example, "field")));
	assert_string_equal(why, json_string_value(json_object_get(example, "message")));
	json_decref(msg);
	json_decref(example);
	schema_free(s);
	free(body);
}

/* PROTOCOL.md names every constant, code, request, event and definition. */
static void test_protocol_text(void **state)
{
	static const long limits[] = {
		ADVICE_MAX_MESSAGE_BYTES,
		ADVICE_MAX_CHUNK_MESSAGE,
		ADVICE_MAX_HTTP_BODY_BYTES,
		ADVICE_MAX_BODY_B64,
		ADVICE_MAX_BODY_BYTES,
		ADVICE_MAX_REQUEST_ID,
		ADVICE_ID_HEX,
		ADVICE_MAX_LIST,
		ADVICE_MAX_REPLY_BYTES,
		ADVICE_SESSION_TOKEN_LEN,
		ADVICE_AUTH_KEY_BYTES,
		ADVICE_SALT_BYTES,
		ADVICE_CLOSE_SESSION_ENDED,
		ADVICE_CLOSE_SLOW_CONSUMER,
		SCHEMA_MAX_DEPTH,
		SCHEMA_FIELD_MAX,
	};
	static const char *const words[] = { ADVICE_SUBPROTOCOL, ADVICE_WS_PATH, ADVICE_SESSION_COOKIE };
	json_t *defs = json_object_get(root, "$defs"), *d;
	const char *name;
	char want[160];

	(void)state;
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		snprintf(want, sizeof want, "| %ld ", limits[i]);
		if (strstr(protocol, want) == NULL)
			fail_msg("PROTOCOL.md has no table cell \"%s\"", want);
	}
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		assert_non_null(strstr(protocol, words[i]));
	for (int code = ADVICE_OK + 1; code <= ADVICE_ERR_INTERNAL; code++) {
		snprintf(want, sizeof want, "| `%s` |", advice_err_name(code));
		if (strstr(protocol, want) == NULL)
			fail_msg("PROTOCOL.md has no error table row for %s", advice_err_name(code));
	}
	json_object_foreach (defs, name, d) {
		if (strchr(name, '.') == NULL && strcmp(name, "error") != 0)
			continue;
		snprintf(want, sizeof want, "`%s`", name);
		if (strstr(protocol, want) == NULL)
			fail_msg("PROTOCOL.md does not mention definition %s", want);
		if (strncmp(name, "request.", 8) == 0 || strncmp(name, "event.", 6) == 0) {
			snprintf(want, sizeof want, "`%s`", strchr(name, '.') + 1);
			if (strstr(protocol, want) == NULL)
				fail_msg("PROTOCOL.md does not describe %s", want);
		}
	}
}

/* The specification stands alone: it sends a client to no file outside proto/ for what the
 * client needs, and the http.error it describes carries "id": null as the schema says. */
static void test_protocol_needs_no_other_folder(void **state)
{
	json_t *id = prop_get("http.error", "id");

	(void)state;
	if (strstr(protocol, "](../") != NULL || strstr(protocol, "| `../") != NULL)
		fail_msg("PROTOCOL.md points a client outside proto/");
	assert_null(strstr(protocol, "CRYPTO.md"));
	assert_string_equal(json_string_value(json_object_get(id, "type")), "null");
	assert_non_null(strstr(protocol, "{\"type\":\"error\",\"id\":null,\"code\":"));
}

/* Whether the schema `s` allows an array anywhere in it, following "$ref"s to the schema's
 * definitions (at most `depth` deep: the definitions refer to each other without cycles). */
static int has_array(json_t *s, int depth)
{
	json_t *v, *type = json_object_get(s, "type");
	const char *key, *ref;
	size_t i;

	assert_true(depth > 0);
	if (json_is_string(type) && strcmp(json_string_value(type), "array") == 0)
		return 1;
	json_array_foreach (type, i, v)
		if (strcmp(json_string_value(v), "array") == 0)
			return 1;
	ref = json_string_value(json_object_get(s, "$ref"));
	if (ref != NULL && strncmp(ref, "#/$defs/", 8) == 0 && has_array(def_get(ref + 8), depth - 1))
		return 1;
	if (json_is_array(s)) {
		json_array_foreach (s, i, v)
			if (has_array(v, depth - 1))
				return 1;
	}
	json_object_foreach (s, key, v)
		if ((json_is_object(v) || json_is_array(v)) && has_array(v, depth - 1))
			return 1;
	return 0;
}

/* A reply that may hold an array (a page or a list), or file.get's chunk, may come near
 * ADVICE_MAX_REPLY_BYTES: the server keeps that much room for it (§2.1); for no other. */
static void test_large_replies(void **state)
{
	json_t *defs = json_object_get(root, "$defs"), *d;
	const char *name;
	int large = 0;

	(void)state;
	json_object_foreach (defs, name, d) {
		int want;

		if (strncmp(name, "reply.", 6) != 0)
			continue;
		want = has_array(d, 32) || strcmp(name, "reply.file.get") == 0;
		if (core_large_reply(name + 6) != want)
			fail_msg("%s: core_large_reply says %d", name, !want);
		if (want) {
			char quoted[64];

			snprintf(quoted, sizeof quoted, "`%s`", name + 6);
			if (strstr(strstr(protocol, "The room kept for a request whose reply may be"),
				   quoted) == NULL)
				fail_msg("PROTOCOL.md §2.1 does not name %s", quoted);
		}
		large += want;
	}
	assert_int_equal(large, 25);
	assert_false(core_large_reply("no.such.request"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_limits),
		cmocka_unit_test(test_id_limits),
		cmocka_unit_test(test_list_limits),
		cmocka_unit_test(test_login_limits),
		cmocka_unit_test(test_error_limits),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_protocol_text),
		cmocka_unit_test(test_error_example_is_the_servers),
		cmocka_unit_test(test_protocol_needs_no_other_folder),
		cmocka_unit_test(test_large_replies),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
