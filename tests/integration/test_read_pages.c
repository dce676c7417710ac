/*
 * test_read_pages.c - a thread of full-size messages, more than the default outbound queue
 * holds (30 of some 43.8 KB: 1.3 MB against 1 MiB), read through libadvice over the real
 * adviced with thread.read limit 100 (PROTOCOL.md §6.4): the replies come in pages of at most
 * ADVICE_MAX_REPLY_BYTES, so the connection is not closed with 4008; paging by after_seq
 * yields every message once. (tests/unit/test_thread_read.c reads 100 of them in the core.)
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

#include "advice.h"
#include "harness.h"
#include "itest.h"

#define CITIZEN	  "010594Y9032"
#define NMESSAGES 30 /* the thread.open message and 29 sends */

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);

	assert_non_null(h);
	assert_int_equal(harness_start(h), 0);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	int rc = harness_stop(*state);

	free(*state);
	return rc;
}

/* Writes the thread as the citizen on `k`; its id goes to `thread`. */
static void write_thread(struct advice_conn *k, char thread[64])
{
	uint8_t *raw = malloc(ADVICE_MAX_BODY_BYTES);
	char *body;
	json_t *r;

	assert_non_null(raw);
	memset(raw, 'f', ADVICE_MAX_BODY_BYTES);
	body = itest_b64(raw, ADVICE_MAX_BODY_BYTES);
	assert_int_equal(strlen(body), ADVICE_MAX_BODY_B64);
	r = itest_request(
		k, "ok",
		"{\"type\":\"thread.open\",\"id\":\"o\",\"category\":\"adult-social-work\",\"body\":\"%s\"}",
		body);
	snprintf(thread, 64, "%s", itest_str(r, "thread"));
	json_decref(r);
	for (int i = 2; i <= NMESSAGES; i++)
		json_decref(itest_request(
			k, "ok",
			"{\"type\":\"message.send\",\"id\":\"s%d\",\"thread\":\"%s\",\"body\":\"%s\"}", i,
			thread, body));
	free(body);
	free(raw);
}

static void test_full_thread_read_is_paged_not_cut(void **state)
{
	struct harness *h = *state;
	struct advice_conn *writer = itest_citizen(h, CITIZEN), *reader;
	char thread[64], req[256];
	long long after = 0;
	int more = 1, pages = 0;

	write_thread(writer, thread);
	reader = itest_citizen(h, CITIZEN); /* the citizen's other device */
	while (more) {
		char *reply = NULL;
		json_t *r, *m;
		size_t i;

		snprintf(req, sizeof req,
			 "{\"type\":\"thread.read\",\"id\":\"r%lld\",\"thread\":\"%s\",\"after_seq\":%lld,"
			 "\"limit\":100}",
			 after, thread, after);
		assert_int_equal(advice_request(reader, req, &reply, HARNESS_TIMEOUT_MS), 0);
		assert_true(strlen(reply) <= ADVICE_MAX_REPLY_BYTES);
		r = json_loads(reply, 0, NULL);
		assert_non_null(r);
		assert_true(json_array_size(json_object_get(r, "messages")) >= 1);
		json_array_foreach (json_object_get(r, "messages"), i, m) {
			assert_int_equal(json_integer_value(json_object_get(m, "seq")), after + 1);
			after++;
		}
		more = json_is_true(json_object_get(r, "more"));
		json_decref(r);
		free(reply);
		assert_true(++pages <= NMESSAGES);
	}
	assert_int_equal(after, NMESSAGES);
	assert_true(pages > 1);
	/* The connection is still open and served. */
	json_decref(itest_request(reader, "ok", "{\"type\":\"thread.list\",\"id\":\"after\"}"));
	advice_conn_free(reader);
	advice_conn_free(writer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_thread_read_is_paged_not_cut, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
