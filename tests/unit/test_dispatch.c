/*
 * test_dispatch.c - the core thread: requests submitted from another thread are answered in
 * order, many in one committed batch, every reply after its commit; stopping finishes what
 * was submitted (R: durability).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "corefix.h"
#include "dispatch.h"

struct waker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int woken;
};

static void wake(void *arg)
{
	struct waker *w = arg;

	pthread_mutex_lock(&w->lock);
	w->woken++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static struct core_request *message(struct corefix *fx, const struct who *w, uint64_t conn, const char *text)
{
	struct core_request *r = core_request_new(CORE_REQ_MESSAGE, conn, text, strlen(text));

	r->now_ms = fx->now;
	r->has_session = 1;
	memcpy(r->session_hash, w->hash, STORE_HASH_BYTES);
	return r;
}

/* Collects replies until `n` have arrived; returns them in order in `out`. */
static void collect(struct dispatch *d, struct waker *wk, struct core_reply **out, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct core_reply *r;

		pthread_mutex_lock(&wk->lock);
		while (wk->woken == 0)
			pthread_cond_wait(&wk->cond, &wk->lock);
		wk->woken = 0;
		pthread_mutex_unlock(&wk->lock);
		for (r = dispatch_take(d); r != NULL; r = r->next)
			out[got++] = r;
	}
}

static void test_batches_in_order(void **state)
{
	struct corefix *fx = *state;
	struct waker wk = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	enum { N = 200 };
	struct core_reply *replies[N];
	struct dispatch_stats stats;
	struct dispatch *d;
	struct who citizen;
	char *body = corefix_body(32, 'd');

	corefix_login_citizen(fx, "010594Y9032", &citizen);
	d = dispatch_start(fx->core, fx->st, 10000, wake, &wk);
	assert_non_null(d);
	for (int i = 0; i < N; i++) {
		char text[256];

		snprintf(text, sizeof text,
			 "{\"type\":\"thread.open\",\"id\":\"r%d\",\"category\":\"adult-social-work\","
			 "\"body\":\"%s\"}",
			 i, body);
		assert_int_equal(dispatch_submit(d, message(fx, &citizen, (uint64_t)i + 1, text)), 0);
	}
	collect(d, &wk, replies, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(replies[i]->conn_id, (uint64_t)i + 1);
		assert_non_null(strstr(replies[i]->json, "\"type\":\"ok\""));
	}
	for (int i = 0; i < N; i++)
		core_reply_free(replies[i]); /* one by one: each take returns a list of its own */
	dispatch_get_stats(d, &stats);
	assert_int_equal(stats.requests, N);
	assert_true(stats.batches <= N);
	assert_int_equal(dispatch_pending(d), 0);
	dispatch_stop(d);
	free(body);
}

static void test_queue_bound_and_stop(void **state)
{
	struct corefix *fx = *state;
	struct dispatch *d = dispatch_start(fx->core, fx->st, 16, NULL, NULL);
	struct who nobody = { .token = "" };
	int accepted = 0;

	assert_non_null(d);
	for (int i = 0; i < 1000; i++) {
		struct core_request *r = message(fx, &nobody, 1, "{\"type\":\"thread.list\",\"id\":\"x\"}");

		if (dispatch_submit(d, r) == 0)
			accepted++;
		else
			free(r); /* refused: the caller keeps it */
	}
	assert_true(accepted >= 16);
	assert_true(accepted < 1000); /* the bound held at least once */
	dispatch_stop(d);	      /* finishes what was accepted; frees untaken replies */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batches_in_order, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_queue_bound_and_stop, corefix_setup, corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
