/*
 * test_reqerr.c - unit tests of the answers to refused WebSocket messages
 * (server/net/reqerr.c): the request id read from a message, or none for text that is not
 * JSON, not an object, with no, a non-string, an empty, a too long or a malformed id, a
 * duplicate key, or an "id" only nested deeper; the error with the id and retry_after, with
 * a null id, without retry_after; the file.chunk event of a binary message with its file and
 * index, or a null file for a message without a chunk header; a buffer too small.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "reqerr.h"

static size_t id_of(const char *text, char out[ADVICE_MAX_REQUEST_ID + 1])
{
	return reqerr_id(text, strlen(text), out);
}

static void test_id_read(void **state)
{
	char id[ADVICE_MAX_REQUEST_ID + 1], longest[ADVICE_MAX_REQUEST_ID + 1], text[200];

	(void)state;
	assert_int_equal(id_of("{\"type\":\"thread.list\",\"id\":\"r-1_A\"}", id), 5);
	assert_string_equal(id, "r-1_A");
	memset(longest, 'x', ADVICE_MAX_REQUEST_ID);
	longest[ADVICE_MAX_REQUEST_ID] = '\0';
	snprintf(text, sizeof(text), "{\"id\":\"%s\"}", longest);
	assert_int_equal(id_of(text, id), ADVICE_MAX_REQUEST_ID);
	assert_string_equal(id, longest);
}

static void test_no_id(void **state)
{
	static const char *const texts[] = {
		"not json",
		"[\"id\", \"a\"]",
		"{\"type\":\"thread.list\"}",
		"{\"id\":7}",
		"{\"id\":null}",
		"{\"id\":\"\"}",
		"{\"id\":\"has space\"}",
		"{\"id\":\"quote\\\"\"}",
		"{\"id\":\"a\",\"id\":\"b\"}",
		"{\"x\":{\"id\":\"nested\"}}",
		"{\"id\":\"a\"",
	};
	char id[ADVICE_MAX_REQUEST_ID + 1], text[200];

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		strcpy(id, "left");
		assert_int_equal(id_of(texts[i], id), 0);
		assert_string_equal(id, "");
	}
	memset(text, 0, sizeof(text));
	strcpy(text, "{\"id\":\"");
	memset(text + 7, 'y', ADVICE_MAX_REQUEST_ID + 1);
	strcat(text, "\"}");
	assert_int_equal(id_of(text, id), 0);
}

static void test_error_answers(void **state)
{
	const char *req = "{\"type\":\"thread.list\",\"id\":\"q7\"}";
	const char *bad = "{\"type\":\"thread.list\"";
	char buf[512];
	int n;

	(void)state;
	n = reqerr_answer(buf, sizeof(buf), req, strlen(req), 0, ADVICE_ERR_RATE_LIMITED, "too many", 3);
	assert_string_equal(buf,
			    "{\"type\":\"error\",\"id\":\"q7\",\"code\":\"rate_limited\",\"message\":\"too "
			    "many\",\"retry_after\":3}");
	assert_int_equal(n, (int)strlen(buf));
	n = reqerr_answer(buf, sizeof(buf), bad, strlen(bad), 0, ADVICE_ERR_UNAVAILABLE, "server busy", 0);
	assert_string_equal(
		buf, "{\"type\":\"error\",\"id\":null,\"code\":\"unavailable\",\"message\":\"server busy\"}");
	assert_int_equal(n, (int)strlen(buf));
}

static void test_chunk_answers(void **state)
{
	uint8_t chunk[40] = { 'Q', 'C', 1, 0 };
	char buf[512];

	(void)state;
	for (int i = 0; i < 16; i++)
		chunk[4 + i] = (uint8_t)(0xa0 + i);
	chunk[20] = 0x02; /* index 258 + 2^24, little-endian */
	chunk[21] = 0x01;
	chunk[23] = 0x01;
	assert_true(reqerr_answer(buf, sizeof(buf), chunk, sizeof(chunk), 1, ADVICE_ERR_RATE_LIMITED, "wait",
				  2) > 0);
	assert_string_equal(
		buf, "{\"type\":\"event\",\"event\":\"file.chunk\",\"file\":"
		     "\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\",\"index\":16777474,\"code\":\"rate_limited\","
		     "\"message\":\"wait\",\"retry_after\":2}");
	/* too short for a header, or not one: no file */
	assert_true(reqerr_answer(buf, sizeof(buf), chunk, 23, 1, ADVICE_ERR_RATE_LIMITED, "wait", 0) > 0);
	assert_string_equal(
		buf, "{\"type\":\"event\",\"event\":\"file.chunk\",\"file\":null,\"code\":\"rate_limited\","
		     "\"message\":\"wait\"}");
	chunk[1] = 'X';
	assert_true(reqerr_answer(buf, sizeof(buf), chunk, sizeof(chunk), 1, ADVICE_ERR_RATE_LIMITED, "wait",
				  0) > 0);
	assert_non_null(strstr(buf, "\"file\":null"));
}

static void test_buffer_too_small(void **state)
{
	const char *req = "{\"id\":\"q7\"}";
	uint8_t chunk[24] = { 'Q', 'C', 1, 0 };
	char buf[40];

	(void)state;
	assert_int_equal(
		reqerr_answer(buf, sizeof(buf), req, strlen(req), 0, ADVICE_ERR_RATE_LIMITED, "too many", 1),
		-1);
	assert_int_equal(
		reqerr_answer(buf, sizeof(buf), chunk, sizeof(chunk), 1, ADVICE_ERR_RATE_LIMITED, "x", 1),
		-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_read),		 cmocka_unit_test(test_no_id),
		cmocka_unit_test(test_error_answers),	 cmocka_unit_test(test_chunk_answers),
		cmocka_unit_test(test_buffer_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
