/*
 * dispatch.h - the core thread and its group commit.
 *
 * The network thread submits requests; the core thread takes every pending request, runs
 * each through core_handle() inside one store transaction (a savepoint per request), commits
 * once, and only then hands the replies back. An acknowledgement therefore always means the
 * write is on disk. The wake function is called from the core thread when replies are
 * ready; the network layer passes one that calls lws_cancel_service().
 */
#ifndef ADVICE_DISPATCH_H
#define ADVICE_DISPATCH_H

#include <stddef.h>

#include "core.h"

struct dispatch;

/* Most requests in one transaction. Smaller batches let the network thread send one batch's
 * replies while the core thread runs the next, instead of the two taking turns; each batch
 * costs one fsync. */
#define DISPATCH_MAX_BATCH 256

/* Exit status of adviced when the store failed under a batch (dispatch.c: fail-stop). */
#define DISPATCH_EXIT_STORE_FAILED 74

typedef void (*dispatch_wake_fn)(void *arg);

struct dispatch_stats {
	unsigned long long batches, requests, commit_failures;
	size_t max_batch;
};

/* Starts the core thread. `max_pending` bounds the queue of submitted requests. */
struct dispatch *dispatch_start(struct core *core, struct store *st, size_t max_pending,
				dispatch_wake_fn wake, void *wake_arg);

/* Queues a request (ownership passes on success), parsing it first on the calling thread
 * (core_request_prepare). Returns 0, or -1 when the queue is full or the dispatcher is
 * stopping: the caller keeps the request (free() frees it) and answers "unavailable". */
int dispatch_submit(struct dispatch *d, struct core_request *req);
/* dispatch_submit, telling first in *answer_room the queue bytes the request's answers may
 * take (core_request_answer_room), read before the core thread owns the request. */
int dispatch_submit_room(struct dispatch *d, struct core_request *req, size_t *answer_room);

/*
 * Runs one internal request (the admin socket, the notifier) through the core thread and
 * waits for its reply, which the network thread never sees: like every reply, it comes
 * after the batch's commit. Takes ownership of `req` in any case. Returns the reply (free
 * it with core_reply_free), or NULL when the queue is full or the dispatcher is stopping.
 */
struct core_reply *dispatch_call(struct dispatch *d, struct core_request *req);

/* Takes every finished reply, oldest first, as a linked list (NULL if none), its events
 * rendered as text on the calling thread (core_reply_render). Thread-safe. */
struct core_reply *dispatch_take(struct dispatch *d);

/* Number of submitted requests whose replies have not yet been taken. */
size_t dispatch_pending(struct dispatch *d);

/* Replaces the fail-stop exit by a call of `fn` (tests). */
void dispatch_on_store_failure(struct dispatch *d, void (*fn)(void *arg), void *arg);

void dispatch_get_stats(struct dispatch *d, struct dispatch_stats *out);

/* Finishes and commits every submitted request, stops the thread, frees untaken replies. */
void dispatch_stop(struct dispatch *d);

#endif
