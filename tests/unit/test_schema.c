/*
 * test_schema.c - tests of server/core/schema.c: the embedded schema loads, every example in
 * proto/examples/ is valid, every kind of bad request is refused with the right code and
 * field pointer, schema_parse refuses what is not a clean JSON object, and the loader
 * refuses schemas that use what the validator does not implement.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "schema.h"
#include "testutil.h"

#define TID "5f0c2a9e81d44b7b9a3e6c1d2f708a41"

static struct schema *schema;
static json_t *schema_json; /* the schema text as JSON, to list definitions */

static int group_setup(void **state)
{
	char err[256];

	(void)state;
	schema = schema_load(advice_schema_text, advice_schema_text_len, err, sizeof err);
	if (schema == NULL) {
		fprintf(stderr, "embedded schema: %s\n", err);
		return -1;
	}
	schema_json = json_loadb(advice_schema_text, advice_schema_text_len, 0, NULL);
	return schema_json != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	schema_free(schema);
	json_decref(schema_json);
	return 0;
}

/* Parses and checks one request text. Returns the first failing code (parse or check). */
static int check_text(const char *text, size_t len, char *field, size_t fieldlen)
{
	char why[SCHEMA_WHY_MAX];
	json_t *msg;
	int rc;

	field[0] = '\0';
	rc = schema_parse(text, len, &msg, why, sizeof why);
	if (rc != ADVICE_OK) {
		assert_null(msg);
		assert_true(why[0] != '\0');
		return rc;
	}
	rc = schema_check_request(schema, msg, why, sizeof why, field, fieldlen);
	if (rc != ADVICE_OK)
		assert_true(why[0] != '\0');
	json_decref(msg);
	return rc;
}

/* Checks a NUL-terminated request text and expects code `want` at pointer `want_field`. */
static void expect(const char *text, int want, const char *want_field)
{
	char field[SCHEMA_FIELD_MAX];
	int rc = check_text(text, strlen(text), field, sizeof field);

	if (rc != want || (want_field != NULL && strcmp(field, want_field) != 0))
		fail_msg("%.200s: got %s at \"%s\", want %s at \"%s\"", text, advice_err_name(rc), field,
			 advice_err_name(want), want_field ? want_field : "(any)");
}

/* printf-style expect(), for texts built around long or varying values. */
__attribute__((format(printf, 3, 4))) static void expectf(int want, const char *want_field, const char *fmt,
							  ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	assert_true(vasprintf(&text, fmt, ap) >= 0);
	va_end(ap);
	expect(text, want, want_field);
	free(text);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Whether a $defs name is a message (has an example) rather than a shared field type. */
static int is_message_def(const char *name)
{
	return strchr(name, '.') != NULL || strcmp(name, "error") == 0;
}

static json_t *load_example(const char *def)
{
	char rel[256], path[1024];
	json_t *v;

	snprintf(rel, sizeof rel, "proto/examples/%s.json", def);
	v = json_load_file(testutil_source_path(rel, path, sizeof path), JSON_REJECT_DUPLICATES, NULL);
	if (v == NULL)
		fail_msg("cannot load %s", path);
	return v;
}

static void test_embedded_schema_loads(void **state)
{
	(void)state;
	assert_non_null(schema);
	assert_true(advice_schema_text_len > 0);
	assert_int_equal(strlen(advice_schema_text), advice_schema_text_len);
}

/* Every file in proto/examples/ is valid for the definition it is named after. */
static void test_examples_valid(void **state)
{
	char path[1024], why[SCHEMA_WHY_MAX], field[SCHEMA_FIELD_MAX];
	struct dirent *e;
	DIR *d;
	int files = 0;

	(void)state;
	d = opendir(testutil_source_path("proto/examples", path, sizeof path));
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name), len;
		char def[256], *text;
		json_t *msg;
		int rc;

		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(def, sizeof def, "%.*s", (int)(n - 5), e->d_name);
		snprintf(path, sizeof path, "%s/proto/examples/%s",
			 getenv("ADVICE_SOURCE_DIR") ? getenv("ADVICE_SOURCE_DIR") : ".", e->d_name);
		text = testutil_read_file(path, &len);
		assert_non_null(text);
		rc = schema_parse(text, len, &msg, why, sizeof why);
		if (rc != ADVICE_OK)
			fail_msg("%s: %s", e->d_name, why);
		rc = schema_check_def(schema, def, msg, why, sizeof why, field, sizeof field);
		if (rc != ADVICE_OK)
			fail_msg("%s: %s at \"%s\" (rc %d)", e->d_name, why, field, rc);
		if (strncmp(def, "request.", 8) == 0) {
			rc = schema_check_request(schema, msg, why, sizeof why, field, sizeof field);
			if (rc != ADVICE_OK)
				fail_msg("%s as request: %s at \"%s\"", e->d_name, why, field);
			assert_string_equal(schema_request_id(schema, msg),
					    json_string_value(json_object_get(msg, "id")));
		}
		json_decref(msg);
		free(text);
		files++;
	}
	closedir(d);
	assert_true(files >= 28);
}

/* Every message definition has its example file. */
static void test_every_message_has_example(void **state)
{
	json_t *defs = json_object_get(schema_json, "$defs"), *v;
	const char *name;

	(void)state;
	json_object_foreach (defs, name, v) {
		if (is_message_def(name))
			json_decref(load_example(name));
	}
}

/* Checks `msg` as a request and expects `want` at `want_field`. */
static void expect_json(const json_t *msg, int want, const char *want_field, const char *what)
{
	char why[SCHEMA_WHY_MAX], field[SCHEMA_FIELD_MAX];
	int rc = schema_check_request(schema, msg, why, sizeof why, field, sizeof field);

	if (rc != want || strcmp(field, want_field) != 0)
		fail_msg("%s: got %s at \"%s\" (%s), want %s at \"%s\"", what, advice_err_name(rc), field,
			 why, advice_err_name(want), want_field);
}

/* Values of every JSON type, to put where another type is required. */
static json_t *wrong_value(int i)
{
	switch (i) {
	case 0: return json_string("7");
	case 1: return json_integer(7);
	case 2: return json_real(7.5);
	case 3: return json_real(7.0);
	case 4: return json_null();
	case 5: return json_true();
	case 6: return json_object();
	case 7: return json_array();
	default: return NULL;
	}
}

static int same_kind(const json_t *a, const json_t *b)
{
	if (json_is_boolean(a) && json_is_boolean(b))
		return 1;
	return json_typeof(a) == json_typeof(b);
}

/* For each request example: each required field missing, an unknown field, and every
 * field replaced by each value of another JSON type (including 7.0 for integers). */
static void test_requests_generic_negatives(void **state)
{
	json_t *defs = json_object_get(schema_json, "$defs"), *def;
	const char *name;
	int requests = 0;

	(void)state;
	json_object_foreach (defs, name, def) {
		json_t *ex, *req, *m, *copy;
		const char *key;
		char ptr[128], what[256];
		size_t i;

		if (strncmp(name, "request.", 8) != 0)
			continue;
		requests++;
		ex = load_example(name);
		expect_json(ex, ADVICE_OK, "", name);

		req = json_object_get(def, "required");
		json_array_foreach (req, i, m) {
			copy = json_deep_copy(ex);
			json_object_del(copy, json_string_value(m));
			snprintf(ptr, sizeof ptr, "/%s", json_string_value(m));
			snprintf(what, sizeof what, "%s without %s", name, json_string_value(m));
			expect_json(copy, ADVICE_ERR_BAD_REQUEST, ptr, what);
			json_decref(copy);
		}

		copy = json_deep_copy(ex);
		json_object_set_new(copy, "extra", json_integer(1));
		expect_json(copy, ADVICE_ERR_BAD_REQUEST, "/extra", name);
		json_decref(copy);

		json_object_foreach (ex, key, m) {
			json_t *bad;

			for (int w = 0; (bad = wrong_value(w)) != NULL; w++) {
				if (same_kind(bad, m)) {
					json_decref(bad);
					continue;
				}
				copy = json_deep_copy(ex);
				json_object_set_new(copy, key, bad);
				snprintf(ptr, sizeof ptr, "/%s", key);
				snprintf(what, sizeof what, "%s with %s of JSON type %d", name, key, w);
				expect_json(copy, ADVICE_ERR_BAD_REQUEST, ptr, what);
				json_decref(copy);
			}
		}
		json_decref(ex);
	}
	assert_int_equal(requests, json_array_size(json_object_get(schema_json, "oneOf")));
}

static void test_request_ids(void **state)
{
	char *id64 = repeat('a', 64), *id65 = repeat('a', 65);

	(void)state;
	expectf(ADVICE_OK, "", "{\"type\":\"categories.list\",\"id\":\"%s\"}", id64);
	expectf(ADVICE_ERR_BAD_REQUEST, "/id", "{\"type\":\"categories.list\",\"id\":\"%s\"}", id65);
	expect("{\"type\":\"categories.list\",\"id\":\"Az09_-\"}", ADVICE_OK, "");
	expect("{\"type\":\"categories.list\",\"id\":\"\\u0041\"}", ADVICE_OK, "");
	expect("{\"type\":\"categories.list\",\"id\":\"\"}", ADVICE_ERR_BAD_REQUEST, "/id");
	expect("{\"type\":\"categories.list\",\"id\":\"a b\"}", ADVICE_ERR_BAD_REQUEST, "/id");
	expect("{\"type\":\"categories.list\",\"id\":\"a.b\"}", ADVICE_ERR_BAD_REQUEST, "/id");
	expect("{\"type\":\"categories.list\",\"id\":\"a/b\"}", ADVICE_ERR_BAD_REQUEST, "/id");
	expect("{\"type\":\"categories.list\",\"id\":\"a\\nb\"}", ADVICE_ERR_BAD_REQUEST, "/id");
	expect("{\"type\":\"categories.list\",\"id\":\"abc\\n\"}", ADVICE_ERR_BAD_REQUEST, "/id");
	expect("{\"type\":\"categories.list\",\"id\":\"\xc3\xa4\"}", ADVICE_ERR_BAD_REQUEST, "/id");
	expect("{\"type\":\"categories.list\",\"id\":\"a=\"}", ADVICE_ERR_BAD_REQUEST, "/id");
	free(id64);
	free(id65);
}

static void test_categories(void **state)
{
	char *c64 = repeat('a', 64), *c65 = repeat('a', 65);
	static const char *const bad[] = { "Adult", "adult_work", "adult work", "", "aikuis\xc3\xa4", "a.b" };

	(void)state;
	expectf(ADVICE_OK, "", "{\"type\":\"thread.open\",\"id\":\"1\",\"category\":\"%s\",\"body\":\"AA\"}",
		c64);
	expectf(ADVICE_ERR_BAD_REQUEST, "/category",
		"{\"type\":\"thread.open\",\"id\":\"1\",\"category\":\"%s\",\"body\":\"AA\"}", c65);
	expect("{\"type\":\"thread.open\",\"id\":\"1\",\"category\":\"0-9-a\",\"body\":\"AA\"}", ADVICE_OK,
	       "");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expectf(ADVICE_ERR_BAD_REQUEST, "/category",
			"{\"type\":\"thread.open\",\"id\":\"1\",\"category\":\"%s\",\"body\":\"AA\"}",
			bad[i]);
	free(c64);
	free(c65);
}

static void test_bodies(void **state)
{
	char *max = repeat('A', ADVICE_MAX_BODY_B64), *over = repeat('_', ADVICE_MAX_BODY_B64 + 1);

	(void)state;
	max[0] = '-';
	expectf(ADVICE_OK, "", "{\"type\":\"thread.open\",\"id\":\"1\",\"category\":\"a\",\"body\":\"%s\"}",
		max);
	expectf(ADVICE_OK, "",
		"{\"type\":\"message.send\",\"id\":\"1\",\"thread\":\"" TID "\",\"body\":\"%s\"}", max);
	expectf(ADVICE_ERR_BAD_REQUEST, "/body",
		"{\"type\":\"thread.open\",\"id\":\"1\",\"category\":\"a\",\"body\":\"%s\"}", over);
	expectf(ADVICE_ERR_BAD_REQUEST, "/body",
		"{\"type\":\"message.send\",\"id\":\"1\",\"thread\":\"" TID "\",\"body\":\"%s\"}", over);
	expect("{\"type\":\"thread.open\",\"id\":\"1\",\"category\":\"a\",\"body\":\"\"}",
	       ADVICE_ERR_BAD_REQUEST, "/body");
	expect("{\"type\":\"message.send\",\"id\":\"1\",\"thread\":\"" TID "\",\"body\":\"\"}",
	       ADVICE_ERR_BAD_REQUEST, "/body");
	expect("{\"type\":\"thread.open\",\"id\":\"1\",\"category\":\"a\",\"body\":\"AA==\"}",
	       ADVICE_ERR_BAD_REQUEST, "/body"); /* padding */
	expect("{\"type\":\"thread.open\",\"id\":\"1\",\"category\":\"a\",\"body\":\"A+/B\"}",
	       ADVICE_ERR_BAD_REQUEST, "/body"); /* standard alphabet */
	expect("{\"type\":\"thread.open\",\"id\":\"1\",\"category\":\"a\",\"body\":\"AB CD\"}",
	       ADVICE_ERR_BAD_REQUEST, "/body");
	free(max);
	free(over);
}

static void test_thread_ids(void **state)
{
	static const char *const bad[] = {
		"5f0c2a9e81d44b7b9a3e6c1d2f708a4",   /* 31 */
		"5f0c2a9e81d44b7b9a3e6c1d2f708a41a", /* 33 */
		"5F0C2A9E81D44B7B9A3E6C1D2F708A41",  /* upper case */
		"5f0c2a9e81d44b7b9a3e6c1d2f708a4g",  "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expectf(ADVICE_ERR_BAD_REQUEST, "/thread",
			"{\"type\":\"thread.claim\",\"id\":\"1\",\"thread\":\"%s\"}", bad[i]);
		expectf(ADVICE_ERR_BAD_REQUEST, "/thread",
			"{\"type\":\"thread.get\",\"id\":\"1\",\"thread\":\"%s\"}", bad[i]);
	}
}

static void test_integers(void **state)
{
	(void)state;
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"limit\":1}", ADVICE_OK, "");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"limit\":100}", ADVICE_OK, "");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"limit\":0}", ADVICE_ERR_BAD_REQUEST, "/limit");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"limit\":101}", ADVICE_ERR_BAD_REQUEST, "/limit");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"limit\":-1}", ADVICE_ERR_BAD_REQUEST, "/limit");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"limit\":50.0}", ADVICE_ERR_BAD_REQUEST, "/limit");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"limit\":50.5}", ADVICE_ERR_BAD_REQUEST, "/limit");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"limit\":5e1}", ADVICE_ERR_BAD_REQUEST, "/limit");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"limit\":\"50\"}", ADVICE_ERR_BAD_REQUEST, "/limit");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"limit\":null}", ADVICE_ERR_BAD_REQUEST, "/limit");
	/* The filters and the change counter of thread.list (PROTOCOL.md §6.3). */
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"changed_since\":0,\"state\":[\"new\"],"
	       "\"assignee\":\"nobody\"}",
	       ADVICE_OK, "");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"changed_since\":-1}", ADVICE_ERR_BAD_REQUEST,
	       "/changed_since");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"state\":[]}", ADVICE_ERR_BAD_REQUEST, "/state");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"state\":[\"open\"]}", ADVICE_ERR_BAD_REQUEST,
	       "/state/0");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"assignee\":\"you\"}", ADVICE_ERR_BAD_REQUEST,
	       "/assignee");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"after\":\"" TID "\"}", ADVICE_ERR_BAD_REQUEST,
	       "/after");
	expect("{\"type\":\"thread.list\",\"id\":\"1\",\"cursor\":\"1 2\"}", ADVICE_ERR_BAD_REQUEST,
	       "/cursor");
	expect("{\"type\":\"read.set\",\"id\":\"1\",\"thread\":\"" TID "\",\"seq\":0}",
	       ADVICE_ERR_BAD_REQUEST, "/seq");
	expect("{\"type\":\"read.set\",\"id\":\"1\",\"thread\":\"" TID "\"}", ADVICE_ERR_BAD_REQUEST, "/seq");
	expect("{\"type\":\"thread.read\",\"id\":\"1\",\"thread\":\"" TID "\",\"after_seq\":0}", ADVICE_OK,
	       "");
	expect("{\"type\":\"thread.read\",\"id\":\"1\",\"thread\":\"" TID
	       "\",\"after_seq\":9007199254740991}",
	       ADVICE_OK, "");
	expect("{\"type\":\"thread.read\",\"id\":\"1\",\"thread\":\"" TID
	       "\",\"after_seq\":9007199254740992}",
	       ADVICE_ERR_BAD_REQUEST, "/after_seq");
	expect("{\"type\":\"thread.read\",\"id\":\"1\",\"thread\":\"" TID "\",\"after_seq\":-1}",
	       ADVICE_ERR_BAD_REQUEST, "/after_seq");
	expect("{\"type\":\"thread.read\",\"id\":\"1\",\"thread\":\"" TID
	       "\",\"after_seq\":-9223372036854775808}",
	       ADVICE_ERR_BAD_REQUEST, "/after_seq");
	expect("{\"type\":\"thread.read\",\"id\":\"1\",\"thread\":\"" TID "\",\"limit\":1000}",
	       ADVICE_ERR_BAD_REQUEST, "/limit");
	/* Too big for a 64-bit integer: the parser refuses it. */
	expect("{\"type\":\"thread.read\",\"id\":\"1\",\"thread\":\"" TID
	       "\",\"after_seq\":99999999999999999999}",
	       ADVICE_ERR_BAD_JSON, "");
	expect("{\"type\":\"message.send\",\"id\":\"1\",\"thread\":\"" TID
	       "\",\"body\":\"AA\",\"await_reply\":false}",
	       ADVICE_OK, "");
	expect("{\"type\":\"message.send\",\"id\":\"1\",\"thread\":\"" TID
	       "\",\"body\":\"AA\",\"await_reply\":\"true\"}",
	       ADVICE_ERR_BAD_REQUEST, "/await_reply");
	expect("{\"type\":\"message.send\",\"id\":\"1\",\"thread\":\"" TID
	       "\",\"body\":\"AA\",\"await_reply\":1}",
	       ADVICE_ERR_BAD_REQUEST, "/await_reply");
}

static void test_types(void **state)
{
	(void)state;
	expect("{\"type\":\"thread.delete\",\"id\":\"1\"}", ADVICE_ERR_UNKNOWN_TYPE, "/type");
	expect("{\"type\":\"\",\"id\":\"1\"}", ADVICE_ERR_UNKNOWN_TYPE, "/type");
	expect("{\"type\":\"THREAD.OPEN\",\"id\":\"1\"}", ADVICE_ERR_UNKNOWN_TYPE, "/type");
	expect("{\"type\":\"ok\",\"id\":\"1\"}", ADVICE_ERR_UNKNOWN_TYPE, "/type");
	expect("{\"type\":\"request.thread.open\",\"id\":\"1\"}", ADVICE_ERR_UNKNOWN_TYPE, "/type");
	expect("{\"type\":\"categories.list\\u0000\",\"id\":\"1\"}", ADVICE_ERR_BAD_JSON, "");
	expect("{\"type\":5,\"id\":\"1\"}", ADVICE_ERR_BAD_REQUEST, "/type");
	expect("{\"type\":null,\"id\":\"1\"}", ADVICE_ERR_BAD_REQUEST, "/type");
	expect("{\"type\":[\"thread.open\"],\"id\":\"1\"}", ADVICE_ERR_BAD_REQUEST, "/type");
	expect("{\"id\":\"1\"}", ADVICE_ERR_BAD_REQUEST, "/type");
	expect("{}", ADVICE_ERR_BAD_REQUEST, "/type");
	/* An unknown type is reported before any other fault. */
	expect("{\"type\":\"nope\",\"id\":\"\",\"x\":1}", ADVICE_ERR_UNKNOWN_TYPE, "/type");
}

static void test_parse_refusals(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"[]",
		"[{\"type\":\"categories.list\",\"id\":\"1\"}]",
		"\"categories.list\"",
		"5",
		"null",
		"{\"type\":\"categories.list\",\"id\":\"1\"} x",
		"{\"type\":\"categories.list\",\"id\":\"1\"}{}",
		"{\"type\":\"categories.list\",\"id\":\"1\",}",
		"{\"type\":\"categories.list\",\"id\":\"1\",\"id\":\"2\"}",
		"{\"type\":\"categories.list\",\"type\":\"categories.list\",\"id\":\"1\"}",
		"{\"type\":\"categories.list\",\"id\":\"\xff\"}",
		"{\"type\":\"categories.list\",\"id\":\"\xc0\xaf\"}",	  /* overlong */
		"{\"type\":\"categories.list\",\"id\":\"\xed\xa0\x80\"}", /* UTF-8 surrogate */
		"{\"type\":\"categories.list\",\"id\":\"\\ud800\"}",	  /* lone surrogate */
		"{\"type\":\"categories.list\",\"id\":\"a\\u0000\"}",
		"{\"type\":\"categories.list\",\"id\":\"1\",\"x\":NaN}",
		"{'type':'categories.list'}",
		"\xef\xbb\xbf{\"type\":\"categories.list\",\"id\":\"1\"}", /* BOM */
	};
	char field[SCHEMA_FIELD_MAX];
	static const char with_nul[] = "{\"type\":\"categories.list\",\"id\":\"1\"}\0";

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect(bad[i], ADVICE_ERR_BAD_JSON, "");
	assert_int_equal(check_text(with_nul, sizeof with_nul - 1, field, sizeof field), ADVICE_ERR_BAD_JSON);
	assert_int_equal(check_text(with_nul, sizeof with_nul - 2, field, sizeof field), ADVICE_OK);
	/* Surrounding white space is fine. */
	expect(" \n{\"type\":\"categories.list\",\"id\":\"1\"}\r\n ", ADVICE_OK, "");
}

/* Builds `depth` nested objects {"a":{"a":...{}}}. */
static char *nested(int depth, char open, char close)
{
	size_t n = 0;
	char *s = malloc((size_t)depth * 6 + 8);

	assert_non_null(s);
	for (int i = 0; i < depth; i++) {
		if (open == '{')
			n += (size_t)sprintf(s + n, i + 1 < depth ? "{\"a\":" : "{");
		else
			n += (size_t)sprintf(s + n, i == 0 ? "{\"a\":" : "[");
	}
	for (int i = 0; i < depth; i++)
		s[n++] = i + 1 == depth ? '}' : close;
	s[n] = '\0';
	return s;
}

static void test_depth(void **state)
{
	char *ok_obj = nested(SCHEMA_MAX_DEPTH, '{', '}'), *bad_obj = nested(SCHEMA_MAX_DEPTH + 1, '{', '}');
	char *ok_arr = nested(SCHEMA_MAX_DEPTH, '[', ']'), *bad_arr = nested(SCHEMA_MAX_DEPTH + 1, '[', ']');
	char *deep = nested(100000, '[', ']');
	char why[SCHEMA_WHY_MAX];
	json_t *v;

	(void)state;
	assert_int_equal(schema_parse(ok_obj, strlen(ok_obj), &v, why, sizeof why), ADVICE_OK);
	json_decref(v);
	assert_int_equal(schema_parse(ok_arr, strlen(ok_arr), &v, why, sizeof why), ADVICE_OK);
	json_decref(v);
	assert_int_equal(schema_parse(bad_obj, strlen(bad_obj), &v, why, sizeof why), ADVICE_ERR_BAD_JSON);
	assert_null(v);
	assert_int_equal(schema_parse(bad_arr, strlen(bad_arr), &v, why, sizeof why), ADVICE_ERR_BAD_JSON);
	assert_int_equal(schema_parse(deep, strlen(deep), &v, why, sizeof why), ADVICE_ERR_BAD_JSON);
	/* Brackets inside strings do not count. */
	expect("{\"type\":\"categories.list\",\"id\":\"1\",\"x\":\"[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{"
	       "\\\"[[\"}",
	       ADVICE_ERR_BAD_REQUEST, "/x");
	expect("{\"type\":\"categories.list\",\"id\":\"1\",\"x\":{\"a\":{\"b\":[[1]]}}}",
	       ADVICE_ERR_BAD_REQUEST, "/x");
	free(ok_obj);
	free(bad_obj);
	free(ok_arr);
	free(bad_arr);
	free(deep);
}

static void test_field_pointers(void **state)
{
	char why[SCHEMA_WHY_MAX], field[SCHEMA_FIELD_MAX], small[8];
	json_t *msg = json_pack("{s:s, s:s, s:i}", "type", "categories.list", "id", "1", "a/b~c", 1);
	char *longkey = repeat('k', 300);

	(void)state;
	assert_int_equal(schema_check_request(schema, msg, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "/a~1b~0c");
	assert_string_equal(why, "unknown field");
	/* A pointer that does not fit is shortened to the enclosing value's (here the root). */
	assert_int_equal(schema_check_request(schema, msg, why, sizeof why, small, sizeof small),
			 ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(small, "");
	json_decref(msg);

	msg = json_pack("{s:s, s:s, s:i}", "type", "categories.list", "id", "1", longkey, 1);
	assert_int_equal(schema_check_request(schema, msg, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "");
	json_decref(msg);

	/* NULL buffers are allowed. */
	msg = json_pack("{s:s}", "type", "categories.list");
	assert_int_equal(schema_check_request(schema, msg, NULL, 0, NULL, 0), ADVICE_ERR_BAD_REQUEST);
	json_decref(msg);
	free(longkey);
}

static void test_not_objects(void **state)
{
	char why[SCHEMA_WHY_MAX], field[SCHEMA_FIELD_MAX];
	json_t *arr = json_array(), *str = json_string("x");

	(void)state;
	assert_int_equal(schema_check_request(schema, arr, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "");
	assert_int_equal(schema_check_request(schema, str, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	assert_null(schema_request_id(schema, arr));
	json_decref(arr);
	json_decref(str);
}

static void test_request_id_helper(void **state)
{
	json_t *m;

	(void)state;
	m = json_pack("{s:s, s:s}", "type", "nope", "id", "abc-1");
	assert_string_equal(schema_request_id(schema, m), "abc-1");
	json_decref(m);
	m = json_pack("{s:s, s:s}", "type", "nope", "id", "a b");
	assert_null(schema_request_id(schema, m));
	json_decref(m);
	m = json_pack("{s:s, s:i}", "type", "nope", "id", 5);
	assert_null(schema_request_id(schema, m));
	json_decref(m);
	m = json_pack("{s:s}", "type", "nope");
	assert_null(schema_request_id(schema, m));
	json_decref(m);
}

/* schema_check_def on replies, events and HTTP bodies. */
static void test_check_def(void **state)
{
	char why[SCHEMA_WHY_MAX], field[SCHEMA_FIELD_MAX];
	json_t *v;

	(void)state;
	v = json_object();
	assert_int_equal(schema_check_def(schema, "no.such.def", v, why, sizeof why, field, sizeof field),
			 -1);
	assert_int_equal(schema_check_def(schema, NULL, v, why, sizeof why, field, sizeof field), -1);
	assert_int_equal(schema_check_def(schema, "http.logout", v, why, sizeof why, field, sizeof field),
			 ADVICE_OK);
	json_object_set_new(v, "x", json_true());
	assert_int_equal(schema_check_def(schema, "http.logout", v, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "/x");
	json_decref(v);

	/* Replies and events are open: new fields may be added within v1. */
	v = load_example("reply.thread.open");
	json_object_set_new(v, "future_field", json_integer(1));
	assert_int_equal(
		schema_check_def(schema, "reply.thread.open", v, why, sizeof why, field, sizeof field),
		ADVICE_OK);
	json_object_set_new(v, "state", json_string("open"));
	assert_int_equal(
		schema_check_def(schema, "reply.thread.open", v, why, sizeof why, field, sizeof field),
		ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "/state");
	json_decref(v);

	v = load_example("reply.thread.read");
	json_object_set_new(json_array_get(json_object_get(v, "messages"), 1), "role", json_string("admin"));
	assert_int_equal(
		schema_check_def(schema, "reply.thread.read", v, why, sizeof why, field, sizeof field),
		ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "/messages/1/role");
	json_decref(v);

	v = load_example("error");
	json_object_set_new(v, "id", json_null());
	assert_int_equal(schema_check_def(schema, "error", v, why, sizeof why, field, sizeof field),
			 ADVICE_OK);
	json_object_set_new(v, "code", json_string("ok"));
	assert_int_equal(schema_check_def(schema, "error", v, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "/code");
	json_object_set_new(v, "code", json_string("internal"));
	json_object_set_new(v, "id", json_integer(1));
	assert_int_equal(schema_check_def(schema, "error", v, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(why, "expected string or null");
	json_decref(v);

	v = load_example("event.message.new");
	json_object_del(v, "body"); /* staff get metadata only */
	assert_int_equal(
		schema_check_def(schema, "event.message.new", v, why, sizeof why, field, sizeof field),
		ADVICE_OK);
	json_object_del(v, "seq");
	assert_int_equal(
		schema_check_def(schema, "event.message.new", v, why, sizeof why, field, sizeof field),
		ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "/seq");
	json_decref(v);

	v = load_example("http.login.worker");
	json_object_set_new(v, "auth_key",
			    json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")); /* 42 */
	assert_int_equal(
		schema_check_def(schema, "http.login.worker", v, why, sizeof why, field, sizeof field),
		ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "/auth_key");
	json_object_set_new(v, "auth_key", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	json_object_set_new(v, "username", json_string("Maija"));
	assert_int_equal(
		schema_check_def(schema, "http.login.worker", v, why, sizeof why, field, sizeof field),
		ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "/username");
	json_decref(v);

	v = load_example("event.welcome");
	json_array_append_new(json_object_get(v, "units"), json_pack("{s:s,s:s,s:s}", "unit", TID, "name",
								     "Home care", "role", "citizen"));
	assert_int_equal(schema_check_def(schema, "event.welcome", v, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "/units/1/role");
	json_decref(v);
}

/* A small schema with one request "ping" with a property "x", for loader tests.
 * `one_of` is the top-level list, `extra_defs` goes into $defs (with a trailing comma),
 * `tail` ends request.ping. */
static char *mini_schema_with(const char *one_of, const char *x, const char *extra_defs, const char *tail)
{
	char *text;

	assert_true(
		asprintf(
			&text,
			"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
			"\"oneOf\":[%s],"
			"\"$defs\":{%s"
			"\"request_id\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":8,\"pattern\":\"^["
			"a-z0-9]+$\"},"
			"\"request.ping\":{\"type\":\"object\",\"properties\":{\"type\":{\"const\":\"ping\"},"
			"\"id\":{\"$ref\":\"#/$defs/"
			"request_id\"},\"x\":%s},\"required\":[\"type\",\"id\"]%s}}}",
			one_of, extra_defs, x, tail) >= 0);
	return text;
}

#define PING_REF "{\"$ref\":\"#/$defs/request.ping\"}"

static char *mini_schema(const char *x, const char *extra_defs, const char *tail)
{
	return mini_schema_with(PING_REF, x, extra_defs, tail);
}

#define CLOSED ",\"additionalProperties\":false"

static void expect_load_fails(const char *what, const char *text)
{
	char err[256] = "";
	struct schema *s = schema_load(text, strlen(text), err, sizeof err);

	if (s != NULL) {
		schema_free(s);
		fail_msg("%s: schema loaded", what);
	}
	if (err[0] == '\0')
		fail_msg("%s: no reason", what);
	if (getenv("SCHEMA_TEST_VERBOSE") != NULL)
		printf("%-28s -> %s\n", what, err);
}

static void expect_mini_fails(const char *what, const char *x, const char *extra_defs, const char *tail)
{
	char *text = mini_schema(x, extra_defs, tail);

	expect_load_fails(what, text);
	free(text);
}

static void test_mini_schema_works(void **state)
{
	char *text = mini_schema(
		"{\"type\":[\"integer\",\"null\"],\"minimum\":0,\"maximum\":9}",
		"\"spare\":{\"type\":\"array\",\"maxItems\":2,\"items\":{\"enum\":[true,null,1,\"a\"]}},",
		CLOSED);
	char err[256], why[SCHEMA_WHY_MAX], field[SCHEMA_FIELD_MAX];
	struct schema *s = schema_load(text, strlen(text), err, sizeof err);
	json_t *v;

	(void)state;
	if (s == NULL)
		fail_msg("mini schema: %s", err);
	v = json_pack("{s:s,s:s,s:i}", "type", "ping", "id", "a1", "x", 9);
	assert_int_equal(schema_check_request(s, v, why, sizeof why, field, sizeof field), ADVICE_OK);
	json_object_set_new(v, "x", json_null());
	assert_int_equal(schema_check_request(s, v, why, sizeof why, field, sizeof field), ADVICE_OK);
	json_object_set_new(v, "x", json_integer(10));
	assert_int_equal(schema_check_request(s, v, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	json_decref(v);
	v = json_pack("[b,n,i,s]", 1, 1, "a");
	assert_int_equal(schema_check_def(s, "spare", v, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "");
	assert_string_equal(why, "more than 2 entries");
	json_decref(v);
	v = json_pack("[b,i]", 0, 1);
	assert_int_equal(schema_check_def(s, "spare", v, why, sizeof why, field, sizeof field),
			 ADVICE_ERR_BAD_REQUEST);
	assert_string_equal(field, "/0");
	json_decref(v);
	schema_free(s);
	free(text);
	schema_free(NULL);
}

static void test_loader_refusals(void **state)
{
	(void)state;
	expect_mini_fails("unknown keyword", "{\"type\":\"string\",\"maxLength\":5,\"format\":\"email\"}", "",
			  CLOSED);
	expect_mini_fails("misspelt keyword", "{\"type\":\"string\",\"maxlength\":5}", "", CLOSED);
	expect_mini_fails("anyOf", "{\"anyOf\":[{\"type\":\"null\"}]}", "", CLOSED);
	expect_mini_fails("oneOf inside", "{\"oneOf\":[{\"type\":\"null\"}]}", "", CLOSED);
	expect_mini_fails("dangling $ref", "{\"$ref\":\"#/$defs/nope\"}", "", CLOSED);
	expect_mini_fails("remote $ref", "{\"$ref\":\"other.json#/$defs/request_id\"}", "", CLOSED);
	expect_mini_fails("additionalProperties true", "{\"type\":\"null\"}", "",
			  ",\"additionalProperties\":true");
	expect_mini_fails("additionalProperties schema", "{\"type\":\"null\"}", "",
			  ",\"additionalProperties\":{}");
	expect_mini_fails("open request", "{\"type\":\"null\"}", "", "");
	expect_mini_fails("cyclic $ref", "{\"$ref\":\"#/$defs/a\"}",
			  "\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/a\"},", CLOSED);
	expect_mini_fails("self $ref", "{\"$ref\":\"#/$defs/a\"}", "\"a\":{\"$ref\":\"#/$defs/a\"},", CLOSED);
	expect_mini_fails("$ref with siblings", "{\"$ref\":\"#/$defs/request_id\",\"maxLength\":3}", "",
			  CLOSED);
	expect_mini_fails("unanchored pattern",
			  "{\"type\":\"string\",\"maxLength\":5,\"pattern\":\"[a-z]+\"}", "", CLOSED);
	expect_mini_fails("no $", "{\"type\":\"string\",\"maxLength\":5,\"pattern\":\"^[a-z]+\"}", "",
			  CLOSED);
	expect_mini_fails("general regex", "{\"type\":\"string\",\"maxLength\":5,\"pattern\":\"^a+$\"}", "",
			  CLOSED);
	expect_mini_fails("negated class", "{\"type\":\"string\",\"maxLength\":5,\"pattern\":\"^[^a]+$\"}",
			  "", CLOSED);
	expect_mini_fails("escape in class",
			  "{\"type\":\"string\",\"maxLength\":5,\"pattern\":\"^[\\\\w]+$\"}", "", CLOSED);
	expect_mini_fails("inner dash", "{\"type\":\"string\",\"maxLength\":5,\"pattern\":\"^[a-z-0]+$\"}",
			  "", CLOSED);
	expect_mini_fails("bad range", "{\"type\":\"string\",\"maxLength\":5,\"pattern\":\"^[z-a]+$\"}", "",
			  CLOSED);
	expect_mini_fails("no quantifier", "{\"type\":\"string\",\"maxLength\":5,\"pattern\":\"^[a-z]$\"}",
			  "", CLOSED);
	expect_mini_fails("bad count", "{\"type\":\"string\",\"maxLength\":5,\"pattern\":\"^[a-z]{3,2}$\"}",
			  "", CLOSED);
	expect_mini_fails("two classes",
			  "{\"type\":\"string\",\"maxLength\":5,\"pattern\":\"^[a-z]+[0-9]+$\"}", "", CLOSED);
	expect_mini_fails("string without maxLength", "{\"type\":\"string\"}", "", CLOSED);
	expect_mini_fails("integer without maximum", "{\"type\":\"integer\",\"minimum\":0}", "", CLOSED);
	expect_mini_fails("array without maxItems", "{\"type\":\"array\",\"items\":{\"type\":\"null\"}}", "",
			  CLOSED);
	expect_mini_fails("type number", "{\"type\":\"number\",\"minimum\":0,\"maximum\":1}", "", CLOSED);
	expect_mini_fails("type twice", "{\"type\":[\"null\",\"null\"]}", "", CLOSED);
	expect_mini_fails("real bound", "{\"type\":\"integer\",\"minimum\":0.5,\"maximum\":1}", "", CLOSED);
	expect_mini_fails("negative length", "{\"type\":\"string\",\"maxLength\":-1}", "", CLOSED);
	expect_mini_fails("min above max", "{\"type\":\"string\",\"minLength\":5,\"maxLength\":4}", "",
			  CLOSED);
	expect_mini_fails("keyword of another type",
			  "{\"type\":\"integer\",\"minimum\":0,\"maximum\":1,\"maxLength\":3}", "", CLOSED);
	expect_mini_fails("enum outside type", "{\"type\":\"string\",\"enum\":[1]}", "", CLOSED);
	expect_mini_fails("enum of object", "{\"enum\":[{}]}", "", CLOSED);
	expect_mini_fails("empty enum", "{\"enum\":[]}", "", CLOSED);
	expect_mini_fails("boolean schema", "true", "", CLOSED);
	expect_mini_fails("required undeclared", "{\"type\":\"null\"}",
			  "\"o\":{\"type\":\"object\",\"properties\":{},\"required\":[\"a\"]},", CLOSED);
	expect_mini_fails("prefix items",
			  "{\"type\":\"array\",\"maxItems\":1,\"items\":[{\"type\":\"null\"}]}", "", CLOSED);
	expect_mini_fails("bad def name", "{\"type\":\"null\"}", "\"a/b\":{\"type\":\"null\"},", CLOSED);
	expect_mini_fails(
		"stray request def", "{\"type\":\"null\"}",
		"\"request.pong\":{\"type\":\"object\",\"properties\":{\"type\":{\"const\":\"pong\"},"
		"\"id\":{\"type\":\"null\"}},\"required\":[\"type\",\"id\"],\"additionalProperties\":false},",
		CLOSED);
	expect_mini_fails(
		"request type mismatch", "{\"type\":\"null\"}",
		"\"request.pong\":{\"type\":\"object\",\"properties\":{\"type\":{\"const\":\"ping\"},"
		"\"id\":{\"type\":\"null\"}},\"required\":[\"type\",\"id\"],\"additionalProperties\":false},",
		CLOSED);

	expect_load_fails("not JSON", "{\"$defs\":");
	expect_load_fails("duplicate key", "{\"$defs\":{},\"$defs\":{}}");
	expect_load_fails("not an object", "[]");
	expect_load_fails(
		"draft 7",
		"{\"$schema\":\"http://json-schema.org/draft-07/"
		"schema#\",\"oneOf\":[],\"$defs\":{\"request_id\":{\"type\":\"string\",\"maxLength\":3}}}");
	expect_load_fails("unknown top-level keyword",
			  "{\"definitions\":{},\"oneOf\":[],\"$defs\":{\"request_id\":{\"type\":\"string\","
			  "\"maxLength\":3}}}");
	expect_load_fails("no request_id", "{\"oneOf\":[],\"$defs\":{\"x\":{\"type\":\"null\"}}}");
	expect_load_fails("oneOf entry not a $ref", "{\"oneOf\":[{\"type\":\"null\"}],\"$defs\":{\"request_"
						    "id\":{\"type\":\"string\",\"maxLength\":3}}}");
	{
		char *text = mini_schema_with(PING_REF "," PING_REF, "{\"type\":\"null\"}", "", CLOSED);

		expect_load_fails("request listed twice", text);
		free(text);
		text = mini_schema_with("", "{\"type\":\"null\"}", "", CLOSED);
		expect_load_fails("request missing from oneOf", text);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_schema_loads),
		cmocka_unit_test(test_examples_valid),
		cmocka_unit_test(test_every_message_has_example),
		cmocka_unit_test(test_requests_generic_negatives),
		cmocka_unit_test(test_request_ids),
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_thread_ids),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_field_pointers),
		cmocka_unit_test(test_not_objects),
		cmocka_unit_test(test_request_id_helper),
		cmocka_unit_test(test_check_def),
		cmocka_unit_test(test_mini_schema_works),
		cmocka_unit_test(test_loader_refusals),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
