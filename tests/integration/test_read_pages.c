/*
 * test_read_pages.c - a thread of full-size messages, more than the default outbound queue
 * holds (30 of some 43.8 KB: 1.3 MB against 1 MiB), read through libadvice over the real
 * adviced with thread.read limit 100 (PROTOCOL.md §6.4): the replies come in pages of at most
 * ADVICE_MAX_REPLY_BYTES, so the connection is not closed with 4008; paging by after_seq
 * yields every message once. And 16 such reads of a thread of 100 full-size messages sent at
 * once (4 MiB of replies against the 1 MiB queue): the server reads them only as the queue
 * has room for their replies (§2.1), so every one is answered and the connection stays open.
 * (tests/unit/test_thread_read.c reads 100 of them in the core.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice.h"
#include "harness.h"
#include "itest.h"

#define CITIZEN	  "010594Y9032"
#define NMESSAGES 30  /* the thread.open message and 29 sends */
#define NBIG	  100 /* the thread read by pipelined reads */
#define NREADS	  16  /* thread.reads sent at once */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* Writes a thread of `count` full-size messages as the citizen on `k`; its id goes to
 * `thread`. */
static void write_thread(struct advice_conn *k, char thread[64], int count)
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
	for (int i = 2; i <= count; i++)
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

	write_thread(writer, thread, NMESSAGES);
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

/* Sends NREADS full-page thread.reads at once, then takes every message: each read is
 * answered (ok, at least one message, within the reply bound) and nothing closes. */
static void test_pipelined_reads_are_not_cut(void **state)
{
	struct harness *h = *state;
	struct advice_conn *writer = itest_citizen(h, CITIZEN), *reader;
	int answered[NREADS] = { 0 }, nanswered = 0;
	char thread[64], req[256];
	int64_t t0;

	t0 = now_ms();
	write_thread(writer, thread, NBIG);
	printf("# %d full-size messages written in %lld ms\n", NBIG, (long long)(now_ms() - t0));
	reader = itest_citizen(h, CITIZEN);
	for (int i = 0; i < NREADS; i++) {
		snprintf(req, sizeof req,
			 "{\"type\":\"thread.read\",\"id\":\"p%d\",\"thread\":\"%s\",\"after_seq\":%d,"
			 "\"limit\":100}",
			 i, thread, i);
		assert_int_equal(advice_send(reader, req), 0);
	}
	while (nanswered < NREADS) {
		char *msg = NULL;
		json_t *r;
		const char *id;
		int i;

		if (advice_next_message(reader, &msg, HARNESS_TIMEOUT_MS) != 0)
			fail_msg("%d of %d reads answered, then nothing (close code %d)", nanswered, NREADS,
				 advice_conn_close_code(reader));
		assert_true(strlen(msg) <= ADVICE_MAX_REPLY_BYTES);
		r = json_loads(msg, 0, NULL);
		assert_non_null(r);
		id = json_string_value(json_object_get(r, "id"));
		if (id != NULL && sscanf(id, "p%d", &i) == 1 && i >= 0 && i < NREADS) {
			assert_string_equal(itest_str(r, "type"), "ok");
			assert_false(answered[i]);
			assert_true(json_array_size(json_object_get(r, "messages")) >= 1);
			assert_int_equal(json_integer_value(json_object_get(
						 json_array_get(json_object_get(r, "messages"), 0), "seq")),
					 i + 1);
			answered[i] = 1;
			nanswered++;
		}
		json_decref(r);
		free(msg);
	}
	assert_true(advice_conn_is_open(reader));
	json_decref(itest_request(reader, "ok", "{\"type\":\"thread.list\",\"id\":\"after\"}"));
	advice_conn_free(reader);
	advice_conn_free(writer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_thread_read_is_paged_not_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_reads_are_not_cut, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
