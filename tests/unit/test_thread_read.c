/*
 * test_thread_read.c - thread.read replies are bounded by bytes as well as by count: a
 * thread of full-size messages is read in pages of at most ADVICE_MAX_REPLY_BYTES, each
 * saying whether there is more, and paging by after_seq returns every message exactly once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "corefix.h"

#define CITIZEN	  "010594Y9032"
#define NMESSAGES 100 /* the thread.open message and 99 sends */

static const char *str(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

/* Opens a thread of NMESSAGES full-size messages as `c`; its id goes to `thread`. */
static void fill_thread(struct corefix *fx, const struct who *c, char thread[STORE_ID_SIZE])
{
	char *body = corefix_body(ADVICE_MAX_BODY_BYTES, 'f');
	json_t *r;

	assert_int_equal(strlen(body), ADVICE_MAX_BODY_B64);
	r = corefix_ws(
		fx, c,
		"{\"type\":\"thread.open\",\"id\":\"o\",\"category\":\"adult-social-work\",\"body\":\"%s\"}",
		body);
	assert_string_equal(corefix_code(r), "ok");
	snprintf(thread, STORE_ID_SIZE, "%s", str(r, "thread"));
	json_decref(r);
	for (int i = 2; i <= NMESSAGES; i++) {
		r = corefix_ws(fx, c,
			       "{\"type\":\"message.send\",\"id\":\"s%d\",\"thread\":\"%s\",\"body\":\"%s\"}",
			       i, thread, body);
		assert_string_equal(corefix_code(r), "ok");
		assert_int_equal(json_integer_value(json_object_get(r, "seq")), i);
		json_decref(r);
	}
	free(body);
}

/* One thread.read after `after` with limit 100; checks the reply's size. Returns the reply. */
static json_t *read_page(struct corefix *fx, const struct who *w, const char *thread, int64_t after)
{
	char req[256];
	struct core_reply *rep;
	json_t *r;
	int rc;

	snprintf(req, sizeof req,
		 "{\"type\":\"thread.read\",\"id\":\"r%lld\",\"thread\":\"%s\",\"after_seq\":%lld,\"limit\":"
		 "100}",
		 (long long)after, thread, (long long)after);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, w, req, &rc, &r);
	assert_int_equal(rc, 0);
	assert_non_null(rep->json);
	assert_true(rep->len <= ADVICE_MAX_REPLY_BYTES);
	assert_string_equal(corefix_code(r), "ok");
	core_reply_free(rep);
	return r;
}

static void test_full_size_messages_are_read_in_bounded_pages(void **state)
{
	struct corefix *fx = *state;
	struct who citizen, anna;
	char thread[STORE_ID_SIZE];
	int seen[NMESSAGES + 1] = { 0 };
	int64_t after = 0;
	int pages = 0, more = 1;

	corefix_login_citizen(fx, CITIZEN, &citizen);
	corefix_login_worker(fx, "anna", &anna);
	fill_thread(fx, &citizen, thread);
	while (more) {
		json_t *r = read_page(fx, pages % 2 ? &anna : &citizen, thread, after);
		json_t *msgs = json_object_get(r, "messages"), *m;
		size_t i;

		assert_true(json_array_size(msgs) >= 1);
		json_array_foreach (msgs, i, m) {
			int64_t seq = json_integer_value(json_object_get(m, "seq"));

			assert_int_equal(seq, after + 1); /* no gap, no duplicate */
			assert_int_equal(strlen(str(m, "body")), ADVICE_MAX_BODY_B64);
			seen[seq]++;
			after = seq;
		}
		more = json_is_true(json_object_get(r, "more"));
		/* The first page stops at the byte budget, well before the limit of 100. */
		if (pages == 0) {
			assert_true(more);
			assert_true(json_array_size(msgs) < NMESSAGES);
		}
		json_decref(r);
		pages++;
		assert_true(pages <= NMESSAGES);
	}
	assert_int_equal(after, NMESSAGES);
	for (int s = 1; s <= NMESSAGES; s++)
		assert_int_equal(seen[s], 1);
	assert_true(pages > 1);
}

/* Small messages are still bounded by `limit` only: 100 of them come in one reply. */
static void test_small_messages_fill_the_limit(void **state)
{
	struct corefix *fx = *state;
	struct who citizen;
	char *body = corefix_body(16, 's');
	json_t *r;
	char thread[STORE_ID_SIZE];

	corefix_login_citizen(fx, CITIZEN, &citizen);
	r = corefix_ws(
		fx, &citizen,
		"{\"type\":\"thread.open\",\"id\":\"o\",\"category\":\"adult-social-work\",\"body\":\"%s\"}",
		body);
	snprintf(thread, sizeof thread, "%s", str(r, "thread"));
	json_decref(r);
	for (int i = 2; i <= NMESSAGES + 1; i++) {
		r = corefix_ws(fx, &citizen,
			       "{\"type\":\"message.send\",\"id\":\"s%d\",\"thread\":\"%s\",\"body\":\"%s\"}",
			       i, thread, body);
		assert_string_equal(corefix_code(r), "ok");
		json_decref(r);
	}
	r = read_page(fx, &citizen, thread, 0);
	assert_int_equal(json_array_size(json_object_get(r, "messages")), NMESSAGES);
	assert_true(json_is_true(json_object_get(r, "more")));
	json_decref(r);
	r = read_page(fx, &citizen, thread, NMESSAGES);
	assert_int_equal(json_array_size(json_object_get(r, "messages")), 1);
	assert_false(json_is_true(json_object_get(r, "more")));
	json_decref(r);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_size_messages_are_read_in_bounded_pages,
						corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_small_messages_fill_the_limit, corefix_setup,
						corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
