/*
 * test_dispatch.c - the core thread: requests submitted from another thread are answered in
 * order; requests submitted while a batch runs go into one committed batch (group commit);
 * when a batch's fsync fails, no reply of it is "ok" and the failure is reported; stopping
 * finishes what was submitted (R: durability). An internal caller's request (dispatch_call:
 * the admin socket, the notifier) gets its reply after the commit, and the network's
 * replies never include it; a call that fails is rolled back.
 *
 * The core thread is held at its BEGIN by a gate in front of the store's operations, so
 * what piles up meanwhile is known exactly; the fsync failure comes from the fault layer
 * under SQLite (store_fault.c), armed while the core thread waits at the gate.
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
#include "store_fault.h"

/* Never reached: the fault layer is registered for the whole program but stays quiet until
 * a test arms it (store_fault_arm). */
#define FAULT_NEVER "sync:2000000000:eio"

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
	assert_int_equal(dispatch_pending(d), 0);
	dispatch_stop(d);
	free(body);
}

/* ---- the gate: holds the core thread at the BEGIN of its next batch ---- */

struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int open;
	int arrived; /* BEGINs that reached the gate */
	const struct store_ops *real;
	struct store_ops ops;	/* the real ones, with tx below */
	struct store_tx_ops tx; /* the real ones, BEGIN through the gate */
};

static struct gate gate = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static int gated_begin(struct store *st)
{
	pthread_mutex_lock(&gate.lock);
	gate.arrived++;
	pthread_cond_broadcast(&gate.cond);
	while (!gate.open)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
	return gate.real->tx->begin(st);
}

/* Puts a closed gate in front of the store's BEGIN (the core shares the store, so its
 * thread meets the gate too). */
static void gate_install(struct store *st)
{
	gate.real = st->ops;
	gate.ops = *st->ops;
	gate.tx = *st->ops->tx;
	gate.tx.begin = gated_begin;
	gate.ops.tx = &gate.tx;
	gate.open = 0;
	gate.arrived = 0;
	st->ops = &gate.ops;
}

static void gate_remove(struct store *st)
{
	st->ops = gate.real;
}

/* Waits until `n` BEGINs have reached the gate. */
static void gate_wait_arrived(int n)
{
	pthread_mutex_lock(&gate.lock);
	while (gate.arrived < n)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
}

static void gate_open(void)
{
	pthread_mutex_lock(&gate.lock);
	gate.open = 1;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
}

/* ---- several submitting threads ---- */

enum { SUBMITTERS = 4, PER_SUBMITTER = 50 };

struct submitter {
	pthread_t thread;
	pthread_barrier_t *start;
	struct corefix *fx;
	struct dispatch *d;
	const struct who *citizen;
	int index, refused;
};

/* The connection id of a submitter's i-th request: its order can be checked in the replies. */
static uint64_t submitter_conn(int index, int i)
{
	return (uint64_t)(index + 1) * 1000 + (uint64_t)i;
}

static void *submitter_main(void *arg)
{
	struct submitter *s = arg;

	pthread_barrier_wait(s->start); /* all at once */
	for (int i = 0; i < PER_SUBMITTER; i++) {
		char text[160];
		struct core_request *r;

		snprintf(text, sizeof text,
			 "{\"type\":\"thread.open\",\"id\":\"s%d-%d\",\"category\":\"adult-social-work\","
			 "\"body\":\"c3VibWl0dGVk\"}",
			 s->index, i);
		r = message(s->fx, s->citizen, submitter_conn(s->index, i), text);
		if (dispatch_submit(s->d, r) != 0) {
			free(r);
			s->refused++;
		}
	}
	return NULL;
}

/* Submits SUBMITTERS * PER_SUBMITTER requests from as many threads at once; returns when all
 * are queued. */
static void submit_concurrently(struct corefix *fx, struct dispatch *d, const struct who *citizen)
{
	struct submitter subs[SUBMITTERS];
	pthread_barrier_t start;

	assert_int_equal(pthread_barrier_init(&start, NULL, SUBMITTERS), 0);
	for (int t = 0; t < SUBMITTERS; t++) {
		subs[t] = (struct submitter){
			.start = &start, .fx = fx, .d = d, .citizen = citizen, .index = t
		};
		assert_int_equal(pthread_create(&subs[t].thread, NULL, submitter_main, &subs[t]), 0);
	}
	for (int t = 0; t < SUBMITTERS; t++) {
		pthread_join(subs[t].thread, NULL);
		assert_int_equal(subs[t].refused, 0);
	}
	pthread_barrier_destroy(&start);
}

/* Submits the request that the core thread takes alone and holds at the gate. */
static void submit_first_and_hold(struct corefix *fx, struct dispatch *d, const struct who *citizen)
{
	assert_int_equal(
		dispatch_submit(d, message(fx, citizen, 1,
					   "{\"type\":\"thread.open\",\"id\":\"first\","
					   "\"category\":\"adult-social-work\",\"body\":\"Zmlyc3Q\"}")),
		0);
	gate_wait_arrived(1);
}

/* Each submitter's replies come in the order it submitted them. */
static void assert_submitter_order(struct core_reply **replies, size_t n)
{
	int next[SUBMITTERS] = { 0 };

	for (size_t i = 0; i < n; i++) {
		uint64_t conn = replies[i]->conn_id;
		int t = (int)(conn / 1000) - 1;

		if (conn == 1)
			continue; /* the first request */
		assert_true(t >= 0 && t < SUBMITTERS);
		assert_int_equal(conn, submitter_conn(t, next[t]));
		next[t]++;
	}
	for (int t = 0; t < SUBMITTERS; t++)
		assert_int_equal(next[t], PER_SUBMITTER);
}

static void free_replies(struct core_reply **replies, size_t n)
{
	for (size_t i = 0; i < n; i++)
		core_reply_free(replies[i]);
}

/* Requests submitted from several threads while the core thread runs a batch are committed
 * together: one batch for the held request, one for everything that came meanwhile. */
static void test_group_commit_of_concurrent_submitters(void **state)
{
	struct corefix *fx = *state;
	struct waker wk = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	enum { N = 1 + SUBMITTERS * PER_SUBMITTER };
	struct core_reply *replies[N];
	struct dispatch_stats stats;
	struct dispatch *d;
	struct who citizen;

	_Static_assert(SUBMITTERS * PER_SUBMITTER <= DISPATCH_MAX_BATCH, "the rest fits one batch");
	corefix_login_citizen(fx, "010594Y9032", &citizen);
	gate_install(fx->st);
	d = dispatch_start(fx->core, fx->st, 10000, wake, &wk);
	assert_non_null(d);
	submit_first_and_hold(fx, d, &citizen);
	submit_concurrently(fx, d, &citizen);
	assert_int_equal(dispatch_pending(d), N); /* nothing answered while held */
	gate_open();
	collect(d, &wk, replies, N);
	assert_int_equal(replies[0]->conn_id, 1);
	for (int i = 0; i < N; i++)
		assert_non_null(strstr(replies[i]->json, "\"type\":\"ok\""));
	assert_submitter_order(replies, N);
	free_replies(replies, N);
	dispatch_get_stats(d, &stats);
	assert_int_equal(stats.requests, N);
	assert_int_equal(stats.batches, 2); /* not N: the concurrent requests shared one commit */
	assert_int_equal(stats.max_batch, SUBMITTERS * PER_SUBMITTER);
	dispatch_stop(d);
	gate_remove(fx->st);
}

/* ---- a failing fsync ---- */

struct failures {
	pthread_mutex_t lock;
	int count;
};

static void on_store_failure(void *arg)
{
	struct failures *f = arg;

	pthread_mutex_lock(&f->lock);
	f->count++;
	pthread_mutex_unlock(&f->lock);
}

/* When the fsync of a batch's commit fails, no reply of the batch is an acknowledgement, and
 * the dispatcher reports the failure (adviced stops there; here the test's handler counts). */
static void test_failed_sync_acknowledges_nothing(void **state)
{
	struct corefix *fx = *state;
	struct waker wk = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	struct failures failures = { PTHREAD_MUTEX_INITIALIZER, 0 };
	enum { N = 1 + SUBMITTERS * PER_SUBMITTER };
	struct core_reply *replies[N];
	struct dispatch_stats stats;
	struct dispatch *d;
	struct who citizen;

	corefix_login_citizen(fx, "010594Y9032", &citizen);
	gate_install(fx->st);
	d = dispatch_start(fx->core, fx->st, 10000, wake, &wk);
	assert_non_null(d);
	dispatch_on_store_failure(d, on_store_failure, &failures);
	submit_first_and_hold(fx, d, &citizen);
	submit_concurrently(fx, d, &citizen);
	/* The core thread waits at the gate, before any I/O of the batch: the next fsync is the
	 * commit's, and every one after it fails too (a broken disk stays broken). */
	assert_int_equal(store_fault_arm("sync:1:eio"), 0);
	gate_open();
	collect(d, &wk, replies, N);
	for (int i = 0; i < N; i++) {
		assert_null(strstr(replies[i]->json, "\"type\":\"ok\""));
		assert_non_null(strstr(replies[i]->json, "\"code\":\"unavailable\""));
	}
	assert_submitter_order(replies, N);
	free_replies(replies, N);
	dispatch_get_stats(d, &stats);
	assert_int_equal(stats.batches, 2);
	assert_int_equal(stats.max_batch, SUBMITTERS * PER_SUBMITTER); /* a batch of many failed */
	assert_int_equal(stats.commit_failures, 2);
	pthread_mutex_lock(&failures.lock);
	assert_int_equal(failures.count, 2); /* the failure happened, and was reported, per batch */
	pthread_mutex_unlock(&failures.lock);
	dispatch_stop(d);
	gate_remove(fx->st);
}

/* Disarms the fault even when the test failed, so that the next test has a working disk. */
static int fault_teardown(void **state)
{
	int rc = store_fault_arm(FAULT_NEVER);

	return corefix_teardown(state) != 0 || rc != 0 ? -1 : 0;
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

/* A CORE_REQ_CALL's work: adds the unit named by arg; fails afterwards when the name says so. */
static struct store *call_store;

static int add_unit(void *arg)
{
	const char *name = arg;
	char id[STORE_ID_SIZE];

	memset(id, 0, sizeof id);
	memcpy(id,
	       strstr(name, "bad") ? "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" : "cccccccccccccccccccccccccccccccc",
	       32);
	if (call_store->ops->unit->insert(call_store, id, name) != STORE_OK)
		return -1;
	return strstr(name, "bad") ? -1 : 1; /* 1: any result >= 0 commits */
}

static struct core_reply *call(struct dispatch *d, int (*fn)(void *), void *arg)
{
	struct core_request *r = core_request_new(CORE_REQ_CALL, 0, "", 0);

	assert_non_null(r);
	r->call = fn;
	r->call_arg = arg;
	return dispatch_call(d, r);
}

static void test_call_answers_its_caller_only(void **state)
{
	struct corefix *fx = *state;
	struct waker wk = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	struct dispatch *d = dispatch_start(fx->core, fx->st, 16, wake, &wk);
	struct core_reply *rep, *net;
	struct who citizen;
	char id[STORE_ID_SIZE];

	assert_non_null(d);
	call_store = fx->st;
	corefix_login_citizen(fx, "010594Y9032", &citizen);
	assert_int_equal(
		dispatch_submit(d, message(fx, &citizen, 7, "{\"type\":\"thread.list\",\"id\":\"l\"}")), 0);
	rep = call(d, add_unit, "Called unit");
	assert_non_null(rep);
	assert_int_equal(rep->http_status, 200);
	assert_non_null(strstr(rep->json, "\"type\":\"ok\""));
	core_reply_free(rep);
	rep = call(d, add_unit, "bad unit"); /* writes, then fails: rolled back */
	assert_non_null(rep);
	assert_int_equal(rep->http_status, 503);
	assert_non_null(strstr(rep->json, "unavailable"));
	core_reply_free(rep);
	rep = call(d, NULL, NULL);
	assert_non_null(rep);
	assert_int_equal(rep->http_status, 503);
	core_reply_free(rep);
	collect(d, &wk, &net, 1); /* the network sees its own reply, and only that */
	assert_int_equal(net->conn_id, 7);
	assert_null(net->next);
	assert_null(dispatch_take(d));
	core_reply_free(net);
	assert_int_equal(dispatch_pending(d), 0);
	dispatch_stop(d);
	assert_int_equal(fx->st->ops->unit->find(fx->st, "Called unit", id), STORE_OK);
	assert_int_equal(fx->st->ops->unit->find(fx->st, "bad unit", id), STORE_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batches_in_order, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_of_concurrent_submitters, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_failed_sync_acknowledges_nothing, corefix_setup,
						fault_teardown),
		cmocka_unit_test_setup_teardown(test_queue_bound_and_stop, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_call_answers_its_caller_only, corefix_setup,
						corefix_teardown),
	};

	/* Before any store is opened: every connection goes through the fault layer. */
	setenv("ADVICE_FAULT_INJECT", FAULT_NEVER, 1);
	if (store_fault_setup() != 1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
