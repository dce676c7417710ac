/*
 * dispatch.c - the core thread: group commit of everything that is pending (dispatch.h).
 *
 * The loop: wait for requests; take them all; BEGIN; for each, SAVEPOINT, core_handle,
 * RELEASE (or ROLLBACK TO when the core says the store failed); COMMIT once; then hand the
 * replies over and wake the network thread. If the COMMIT fails, or SQLite ended the batch's
 * transaction by itself after an I/O error, no reply of the batch is an acknowledgement: each
 * becomes "unavailable", and the server stops (fail-stop: after a failed fsync the kernel may
 * have dropped the dirty pages, so retrying could report as written what is not). If BEGIN
 * fails (the file is busy), the batch is answered "unavailable" and the server goes on.
 *
 * Attachment chunks never make a batch wait for their I/O: a chunk the core accepted (its
 * check only reads) leaves the batch before the COMMIT, unanswered, for the chunk writer
 * (chunk_writer.h), which writes and syncs it on its own thread and queues it here again; the
 * core then records it in a later batch and answers it after that batch's commit. If the
 * batch's commit fails, the server stops as for any batch. Stopping waits for every chunk the
 * writer holds to come back and be answered.
 */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "chunk_writer.h"
#include "dispatch.h"
#include "log.h"
#include "metrics.h"

struct dispatch {
	struct core *core;
	struct store *st;
	dispatch_wake_fn wake;
	void *wake_arg;
	size_t max_pending;
	void (*on_store_failure)(void *arg); /* NULL: the process exits */
	void *failure_arg;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct core_request *in_head, *in_tail; /* submitted, not yet taken by the core thread */
	struct core_reply *out_head, *out_tail; /* finished, not yet taken by the network thread */
	size_t pending;				/* submitted and not yet taken as replies */
	int stopping;
	struct dispatch_stats stats;
	pthread_cond_t called; /* a reply for a dispatch_call came */
	struct chunk_writer *writer;
	size_t at_writer; /* chunks the writer holds: they come back as requests, then are answered */
};

/* A caller of dispatch_call waiting for its reply. */
struct waiter {
	struct core_reply *reply;
};

/* A chunk the core meant to hand on that stays in the batch, answered with an error. */
static void chunk_stays(struct dispatch *d, const struct core_request *req, struct core_reply *rep)
{
	if (rep->chunk.step != CHUNK_NEW)
		core_chunk_forget(d->core, req);
	rep->chunk.step = CHUNK_NEW;
}

/* Runs one request inside the batch transaction and fills `rep`. A request whose store work
 * failed is rolled back to its savepoint and answered "unavailable". */
static void run_request(struct dispatch *d, struct core_request *req, struct core_reply *rep)
{
	struct store *st = d->st;

	if (st->ops->tx->savepoint(st) == STORE_OK) {
		int rc = req->kind == CORE_REQ_CHUNK && req->chunk.step != CHUNK_NEW
				 ? core_chunk_record(d->core, req, rep) /* back from the chunk writer */
				 : core_handle(d->core, req, rep);

		if (rc == 0 && st->ops->tx->release(st) == STORE_OK)
			return;
		st->ops->tx->rollback_to(st);
	}
	chunk_stays(d, req, rep);
	rep->conn_id = req->conn_id;
	rep->kind = req->kind;
	rep->end_session = 0;
	rep->close_conn = 0;
	core_reply_set_error(d->core, rep, req, ADVICE_ERR_UNAVAILABLE, "store failed; nothing was changed");
}

/* The store lost a batch: nothing of it was acknowledged. Stops the process unless a test
 * installed its own handler. */
static void store_failed(struct dispatch *d, size_t count)
{
	log_err("the store failed: %zu requests not acknowledged; stopping", count);
	if (d->on_store_failure != NULL) {
		d->on_store_failure(d->failure_arg);
		return;
	}
	_exit(DISPATCH_EXIT_STORE_FAILED);
}

/* Turns every reply of a batch whose commit failed into "unavailable". */
static void fail_batch(struct dispatch *d, struct core_reply *head, struct core_request *reqs)
{
	for (struct core_reply *r = head; r != NULL; r = r->next, reqs = reqs->next) {
		assert(reqs != NULL); /* one reply per request */
		chunk_stays(d, reqs, r);
		core_reply_set_error(d->core, r, reqs, ADVICE_ERR_UNAVAILABLE,
				     "store failed; not acknowledged: resend with the same id");
	}
}

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Takes the chunks the core accepted out of a batch (their requests and replies, which
 * correspond one to one) and gives them to the chunk writer, which writes and syncs them while
 * the batch commits; their replies are dropped, as each is answered when it comes back. */
static void chunks_hand_on(struct dispatch *d, struct core_request **reqs, struct core_reply **replies)
{
	struct core_request *on = NULL, **on_tail = &on;
	size_t n = 0;

	while (*reqs != NULL) {
		struct core_request *req = *reqs;
		struct core_reply *rep = *replies;

		assert(rep != NULL);
		if (rep->chunk.step == CHUNK_NEW) {
			reqs = &req->next;
			replies = &rep->next;
			continue;
		}
		*reqs = req->next;
		*replies = rep->next;
		req->chunk = rep->chunk;
		req->next = NULL;
		*on_tail = req;
		on_tail = &req->next;
		rep->next = NULL;
		core_reply_free(rep);
		n++;
	}
	if (n == 0)
		return;
	pthread_mutex_lock(&d->lock);
	d->at_writer += n;
	pthread_mutex_unlock(&d->lock);
	chunk_writer_submit(d->writer, on);
}

/* Runs a batch of requests in one transaction; returns the replies in order. The chunks the
 * core accepted leave the batch (and *reqs) for the chunk writer before the COMMIT. */
static struct core_reply *run_batch(struct dispatch *d, struct core_request **reqs, size_t *count)
{
	struct core_reply *head = NULL, **tail = &head;
	int64_t started = mono_us();
	int began = d->st->ops->tx->begin(d->st) == STORE_OK;
	int intact = began;

	*count = 0;
	for (struct core_request *r = *reqs; r != NULL; r = r->next) {
		struct core_reply *rep = calloc(1, sizeof *rep);

		if (rep == NULL) {
			log_err("out of memory in the core thread");
			_exit(DISPATCH_EXIT_STORE_FAILED);
		}
		if (intact) {
			run_request(d, r, rep);
			intact = d->st->ops->tx->in_transaction(d->st);
		}
		*tail = rep;
		tail = &rep->next;
		(*count)++;
	}
	assert(*count >= 1 && *count <= DISPATCH_MAX_BATCH);
	if (intact)
		chunks_hand_on(d, reqs, &head);
	if (intact && d->st->ops->tx->commit(d->st) == STORE_OK) {
		metrics_batch(*count, mono_us() - started, 1);
		return head;
	}
	metrics_batch(*count, mono_us() - started, 0);
	d->st->ops->tx->rollback(d->st);
	fail_batch(d, head, *reqs);
	if (began) {
		d->stats.commit_failures++;
		store_failed(d, *count);
	}
	return head;
}

static void free_requests(struct core_request *r)
{
	while (r != NULL) {
		struct core_request *next = r->next;

		core_request_free(r);
		r = next;
	}
}

/* The chunk writer hands written chunks back: they queue again, still pending, to be
 * recorded and answered. */
static void chunks_written(void *arg, struct core_request *done)
{
	struct dispatch *d = arg;
	struct core_request *last = done;
	size_t n = 1;

	while (last->next != NULL) {
		last = last->next;
		n++;
	}
	pthread_mutex_lock(&d->lock);
	assert(d->at_writer >= n);
	d->at_writer -= n;
	if (d->in_tail)
		d->in_tail->next = done;
	else
		d->in_head = done;
	d->in_tail = last;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* Unlinks the oldest DISPATCH_MAX_BATCH submitted requests (all, if fewer); under the lock. */
static struct core_request *take_batch(struct dispatch *d)
{
	struct core_request *head = d->in_head, *last = head;

	assert(head != NULL && d->in_tail != NULL);
	for (size_t n = 1; n < DISPATCH_MAX_BATCH && last->next != NULL; n++)
		last = last->next;
	d->in_head = last->next;
	if (d->in_head == NULL)
		d->in_tail = NULL;
	last->next = NULL;
	return head;
}

/* Gives each reply whose request has a waiter (dispatch_call) to it; returns the others,
 * in order. Requests and replies correspond one to one. */
static struct core_reply *hand_to_waiters(struct dispatch *d, struct core_request *reqs,
					  struct core_reply *replies)
{
	struct core_reply *head = NULL, **tail = &head;
	int called = 0;

	pthread_mutex_lock(&d->lock);
	while (replies != NULL) {
		struct core_reply *next = replies->next;

		assert(reqs != NULL);
		replies->next = NULL;
		if (reqs->waiter != NULL) {
			((struct waiter *)reqs->waiter)->reply = replies;
			d->pending--;
			called = 1;
		} else {
			*tail = replies;
			tail = &replies->next;
		}
		replies = next;
		reqs = reqs->next;
	}
	if (called)
		pthread_cond_broadcast(&d->called);
	pthread_mutex_unlock(&d->lock);
	return head;
}

static void *dispatch_main(void *arg)
{
	struct dispatch *d = arg;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		struct core_request *batch;
		struct core_reply *replies, *last;
		size_t n;

		/* Stopping waits for the chunks at the writer too: they come back to be answered. */
		while (d->in_head == NULL && (!d->stopping || d->at_writer > 0))
			pthread_cond_wait(&d->cond, &d->lock);
		if (d->in_head == NULL)
			break;
		batch = take_batch(d);
		pthread_mutex_unlock(&d->lock);

		replies = run_batch(d, &batch, &n);
		replies = hand_to_waiters(d, batch, replies);
		free_requests(batch);
		/* No reply leaves before its batch's transaction has ended: committed, or rolled
		 * back with every reply an error. */
		assert(!d->st->ops->tx->in_transaction(d->st));

		pthread_mutex_lock(&d->lock);
		d->stats.batches++;
		d->stats.requests += n;
		if (n > d->stats.max_batch)
			d->stats.max_batch = n;
		for (last = replies; last != NULL && last->next != NULL; last = last->next)
			;
		assert((d->out_head == NULL) == (d->out_tail == NULL));
		if (replies != NULL) {
			if (d->out_tail)
				d->out_tail->next = replies;
			else
				d->out_head = replies;
			d->out_tail = last;
		}
		pthread_mutex_unlock(&d->lock);
		if (d->wake)
			d->wake(d->wake_arg);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

struct dispatch *dispatch_start(struct core *core, struct store *st, size_t max_pending,
				dispatch_wake_fn wake, void *wake_arg)
{
	struct dispatch *d = calloc(1, sizeof *d);

	if (d == NULL)
		return NULL;
	d->core = core;
	d->st = st;
	d->max_pending = max_pending;
	d->wake = wake;
	d->wake_arg = wake_arg;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	pthread_cond_init(&d->called, NULL);
	d->writer = chunk_writer_start(core_blob_dir(core), chunks_written, d);
	if (d->writer == NULL || pthread_create(&d->thread, NULL, dispatch_main, d) != 0) {
		log_err("cannot start the core thread");
		chunk_writer_stop(d->writer);
		pthread_mutex_destroy(&d->lock);
		pthread_cond_destroy(&d->cond);
		pthread_cond_destroy(&d->called);
		free(d);
		return NULL;
	}
	return d;
}

int dispatch_submit(struct dispatch *d, struct core_request *req)
{
	int rc = -1;

	core_request_prepare(d->core, req); /* on failure the core thread parses it */
	pthread_mutex_lock(&d->lock);
	if (!d->stopping && d->pending < d->max_pending) {
		req->next = NULL;
		if (d->in_tail)
			d->in_tail->next = req;
		else
			d->in_head = req;
		d->in_tail = req;
		d->pending++;
		assert(d->pending <= d->max_pending);
		pthread_cond_signal(&d->cond);
		rc = 0;
	}
	pthread_mutex_unlock(&d->lock);
	if (rc != 0) { /* the caller frees the request with free() */
		json_decref(req->parsed.msg);
		free(req->parsed.body);
		memset(&req->parsed, 0, sizeof req->parsed);
	}
	return rc;
}

int dispatch_submit_room(struct dispatch *d, struct core_request *req, size_t *answer_room)
{
	core_request_prepare(d->core, req); /* dispatch_submit does not prepare it twice */
	*answer_room = core_request_answer_room(req);
	return dispatch_submit(d, req);
}

struct core_reply *dispatch_call(struct dispatch *d, struct core_request *req)
{
	struct waiter w = { NULL };

	req->waiter = &w;
	if (dispatch_submit(d, req) != 0) {
		core_request_free(req);
		return NULL;
	}
	pthread_mutex_lock(&d->lock);
	while (w.reply == NULL) /* the core thread runs every submitted request, even when stopping */
		pthread_cond_wait(&d->called, &d->lock);
	pthread_mutex_unlock(&d->lock);
	core_reply_render(w.reply);
	return w.reply;
}

struct core_reply *dispatch_take(struct dispatch *d)
{
	struct core_reply *r;
	size_t n = 0;

	pthread_mutex_lock(&d->lock);
	r = d->out_head;
	d->out_head = d->out_tail = NULL;
	for (struct core_reply *p = r; p != NULL; p = p->next)
		n++;
	assert(n <= d->pending); /* each reply answers one submitted request */
	d->pending -= n < d->pending ? n : d->pending;
	pthread_mutex_unlock(&d->lock);
	for (struct core_reply *p = r; p != NULL; p = p->next)
		core_reply_render(p);
	return r;
}

size_t dispatch_pending(struct dispatch *d)
{
	size_t n;

	pthread_mutex_lock(&d->lock);
	n = d->pending;
	pthread_mutex_unlock(&d->lock);
	return n;
}

void dispatch_on_store_failure(struct dispatch *d, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&d->lock);
	d->on_store_failure = fn;
	d->failure_arg = arg;
	pthread_mutex_unlock(&d->lock);
}

void dispatch_get_stats(struct dispatch *d, struct dispatch_stats *out)
{
	pthread_mutex_lock(&d->lock);
	*out = d->stats;
	pthread_mutex_unlock(&d->lock);
}

void dispatch_stop(struct dispatch *d)
{
	struct core_reply *r;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	assert(d->in_head == NULL && d->at_writer == 0); /* every submitted request was run */
	chunk_writer_stop(d->writer);
	r = dispatch_take(d);
	while (r != NULL) {
		struct core_reply *next = r->next;

		core_reply_free(r);
		r = next;
	}
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	pthread_cond_destroy(&d->called);
	free(d);
}
