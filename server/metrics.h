/*
 * metrics.h - the process's counters for /metrics and /healthz: plain C with atomics, so that
 * every layer may bump them (the core counts requests, the dispatcher its batches, the
 * network layer its connections) and the network thread reads them when it is scraped.
 *
 * One set per process (a scrape describes the process). Counters only grow; gauges the
 * core computes from the store (queues, notifier backlog) are a snapshot it refreshes on its
 * tick after a scrape asked for one (metrics_refresh_due), so that nobody pays for them when
 * nobody scrapes. No label carries personal data or ids of people or threads: request types
 * and outcomes come from fixed tables, queues are named by their category.
 */
#ifndef ADVICE_METRICS_H
#define ADVICE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_TYPES    256 /* request types (metrics_set_request_labels) */
#define METRICS_MAX_OUTCOMES 32	 /* outcomes: 0 is "ok", the others error names */
#define METRICS_MAX_QUEUES   256 /* queues in a snapshot; more are left out */
#define METRICS_QUEUE_NAME   129 /* bytes of a queue's label with its NUL */
/* How long the core thread may go without finishing a batch before /healthz?ready says it is
 * not answering: its tick comes every second, so a healthy core finishes one at least then. */
#define METRICS_CORE_BOUND_MS 5000

/* Starts the clock of the process: its start time and version (a constant string). Resets
 * every counter; call once, before the threads start (tests may call it again). */
void metrics_start(const char *version);

/* The labels of advice_requests_total: `types` and `outcomes` (constant strings, which must
 * outlive the process's use of them; outcome 0 is the success). Call before the threads
 * start. 0, or -1 when there are more than METRICS_MAX_TYPES or METRICS_MAX_OUTCOMES. */
int metrics_set_request_labels(const char *const *types, size_t ntypes, const char *const *outcomes,
			       size_t noutcomes);
/* Counts one request of `type` with `outcome` (indexes into the tables above; out of range
 * is ignored). Any thread. */
void metrics_request(size_t type, size_t outcome);

/* One group commit: `size` requests, `commit_us` microseconds from its BEGIN to the end of its
 * COMMIT, and whether it committed (0: BEGIN or COMMIT failed). Any thread. */
void metrics_batch(size_t size, int64_t commit_us, int committed);

/* A WebSocket was opened. Any thread. */
void metrics_websocket_opened(void);

/* One queue's facts in the core's snapshot. */
struct metrics_queue {
	char name[METRICS_QUEUE_NAME]; /* the queue's category: not personal data */
	int waiting;		       /* threads waiting for a worker */
	int open;		       /* threads not closed */
	int at_risk;		       /* running deadline clocks past their warning */
	int missed;		       /* running deadline clocks past their deadline */
};

/* Whether a scrape asked for a fresh snapshot since the last one and the last is at least a
 * second old (the core's tick asks). Any thread. */
int metrics_refresh_due(void);
/* Publishes the core's snapshot: `n` queues (copied; past METRICS_MAX_QUEUES left out) and
 * the notifications not yet sent (-1: unknown). Any thread. */
void metrics_publish(const struct metrics_queue *queues, size_t n, int64_t notify_backlog);

/* The roles a WebSocket's session may have, in enum store_role's order (0: not yet known). */
#define METRICS_ROLES 6

/* What the network thread knows at the moment of a scrape. */
struct metrics_live {
	long websockets;	     /* WebSockets open */
	long by_role[METRICS_ROLES]; /* of them, by their session's role */
	long http;		     /* HTTP transactions open */
	long dispatch_pending;	     /* requests submitted to the core thread, replies not yet taken */
	int stopping;		     /* draining for a stop */
};

/*
 * Whether the service is ready: 1, or 0 with *reason a constant sentence ("stopping", "the
 * store failed its last commit", "the core thread has not finished a batch for N s").
 * `live` may be NULL. Any thread.
 */
int metrics_ready(const struct metrics_live *live, const char **reason);

/*
 * The Prometheus text exposition (format 0.0.4) of every metric, with `live`'s gauges: a
 * malloc'd NUL-terminated text and its length in *len, or NULL when out of memory. Asks the
 * core for a fresh snapshot (metrics_refresh_due). Any thread.
 */
char *metrics_render(const struct metrics_live *live, size_t *len);

#endif
