/*
 * metrics.c - the process's counters and their Prometheus text (metrics.h). Counters and
 * histograms are relaxed atomics (a scrape may see one batch's count before its sum: the
 * format allows it); the core's snapshot of queues is copied under a mutex.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

/* Upper bounds of the histograms' buckets (+Inf follows). */
static const double batch_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256 };
static const double seconds_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					 0.1,	 0.25,	0.5,	1,     2.5,  5 };
#define NBATCH	 (sizeof batch_bounds / sizeof batch_bounds[0])
#define NSECONDS (sizeof seconds_bounds / sizeof seconds_bounds[0])

struct histogram {
	atomic_ullong bucket[NSECONDS + 1]; /* not cumulative; the last is +Inf */
	atomic_ullong count;
	atomic_ullong sum; /* in the unit of the observations (requests, microseconds) */
};

static struct {
	const char *version;
	int64_t start_unix; /* seconds */
	const char *const *types, *const *outcomes;
	size_t ntypes, noutcomes;
	atomic_ullong requests[METRICS_MAX_TYPES][METRICS_MAX_OUTCOMES];
	struct histogram batch_size, commit_time;
	atomic_ullong commit_failures, websockets_opened;
	atomic_llong last_batch_ms; /* monotonic: when the last batch ended (or the start) */
	atomic_int last_batch_failed;

	atomic_int refresh_wanted;
	atomic_llong refreshed_ms; /* monotonic: when the core last published */
	pthread_mutex_t lock;	   /* guards the snapshot below */
	struct metrics_queue queues[METRICS_MAX_QUEUES];
	size_t nqueues;
	int64_t notify_backlog; /* -1: not known yet */
} m = { .lock = PTHREAD_MUTEX_INITIALIZER, .notify_backlog = -1 };

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void histogram_reset(struct histogram *h)
{
	for (size_t i = 0; i <= NSECONDS; i++)
		atomic_store_explicit(&h->bucket[i], 0, memory_order_relaxed);
	atomic_store_explicit(&h->count, 0, memory_order_relaxed);
	atomic_store_explicit(&h->sum, 0, memory_order_relaxed);
}

void metrics_start(const char *version)
{
	m.version = version;
	m.start_unix = (int64_t)time(NULL);
	for (size_t t = 0; t < METRICS_MAX_TYPES; t++)
		for (size_t o = 0; o < METRICS_MAX_OUTCOMES; o++)
			atomic_store_explicit(&m.requests[t][o], 0, memory_order_relaxed);
	histogram_reset(&m.batch_size);
	histogram_reset(&m.commit_time);
	atomic_store(&m.commit_failures, 0);
	atomic_store(&m.websockets_opened, 0);
	atomic_store(&m.last_batch_ms, mono_ms());
	atomic_store(&m.last_batch_failed, 0);
	atomic_store(&m.refresh_wanted, 0);
	atomic_store(&m.refreshed_ms, 0);
	pthread_mutex_lock(&m.lock);
	m.nqueues = 0;
	m.notify_backlog = -1;
	pthread_mutex_unlock(&m.lock);
}

int metrics_set_request_labels(const char *const *types, size_t ntypes, const char *const *outcomes,
			       size_t noutcomes)
{
	if (ntypes > METRICS_MAX_TYPES || noutcomes > METRICS_MAX_OUTCOMES)
		return -1;
	m.types = types;
	m.ntypes = ntypes;
	m.outcomes = outcomes;
	m.noutcomes = noutcomes;
	return 0;
}

void metrics_request(size_t type, size_t outcome)
{
	if (type < m.ntypes && outcome < m.noutcomes)
		atomic_fetch_add_explicit(&m.requests[type][outcome], 1, memory_order_relaxed);
}

/* Counts `value` into the first bucket whose bound holds it (`scale` turns the value into the
 * bounds' unit). */
static void observe(struct histogram *h, const double *bounds, size_t nbounds, uint64_t value, double scale)
{
	size_t i = 0;

	while (i < nbounds && (double)value * scale > bounds[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, value, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

void metrics_batch(size_t size, int64_t commit_us, int committed)
{
	observe(&m.batch_size, batch_bounds, NBATCH, size, 1.0);
	observe(&m.commit_time, seconds_bounds, NSECONDS, commit_us < 0 ? 0 : (uint64_t)commit_us, 1e-6);
	if (!committed)
		atomic_fetch_add_explicit(&m.commit_failures, 1, memory_order_relaxed);
	atomic_store(&m.last_batch_failed, !committed);
	atomic_store(&m.last_batch_ms, mono_ms());
}

void metrics_websocket_opened(void)
{
	atomic_fetch_add_explicit(&m.websockets_opened, 1, memory_order_relaxed);
}

int metrics_refresh_due(void)
{
	return atomic_load(&m.refresh_wanted) && mono_ms() - atomic_load(&m.refreshed_ms) >= 1000;
}

void metrics_publish(const struct metrics_queue *queues, size_t n, int64_t notify_backlog)
{
	if (n > METRICS_MAX_QUEUES)
		n = METRICS_MAX_QUEUES;
	pthread_mutex_lock(&m.lock);
	if (n > 0)
		memcpy(m.queues, queues, n * sizeof *queues);
	m.nqueues = n;
	m.notify_backlog = notify_backlog;
	pthread_mutex_unlock(&m.lock);
	atomic_store(&m.refreshed_ms, mono_ms());
	atomic_store(&m.refresh_wanted, 0);
}

int metrics_ready(const struct metrics_live *live, const char **reason)
{
	int64_t idle = mono_ms() - atomic_load(&m.last_batch_ms);

	if (live != NULL && live->stopping)
		*reason = "stopping";
	else if (atomic_load(&m.last_batch_failed))
		*reason = "the store failed its last transaction";
	else if (idle > METRICS_CORE_BOUND_MS)
		*reason = "the core thread has not finished a batch within the bound";
	else
		return 1;
	return 0;
}

/* ---- the text ---- */

struct text {
	char *buf;
	size_t len, cap;
	int failed; /* out of memory: the text is lost */
};

static void __attribute__((format(printf, 2, 3))) put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = 1;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap * 2 + (size_t)n;
		char *b = realloc(t->buf, cap);

		if (b == NULL) {
			t->failed = 1;
			return;
		}
		t->buf = b;
		t->cap = cap;
	}
}

/* A label value with \, " and newline escaped, as the format wants. */
static void put_label(struct text *t, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\')
			put(t, "\\\\");
		else if (*p == '"')
			put(t, "\\\"");
		else if (*p == '\n')
			put(t, "\\n");
		else
			put(t, "%c", *p);
	}
}

static void family(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static unsigned long long get(atomic_ullong *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void put_histogram(struct text *t, const char *name, const char *help, struct histogram *h,
			  const double *bounds, size_t nbounds, double sum_scale)
{
	unsigned long long cum = 0;

	family(t, name, "histogram", help);
	for (size_t i = 0; i < nbounds; i++) {
		cum += get(&h->bucket[i]);
		put(t, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], cum);
	}
	cum += get(&h->bucket[nbounds]);
	put(t, "%s_bucket{le=\"+Inf\"} %llu\n", name, cum);
	/* The count is the +Inf bucket's: both read once, so that they agree. */
	put(t, "%s_sum %.6f\n%s_count %llu\n", name, (double)get(&h->sum) * sum_scale, name, cum);
}

static void put_process(struct text *t)
{
	family(t, "advice_build_info", "gauge", "the version of adviced (always 1)");
	put(t, "advice_build_info{version=\"");
	put_label(t, m.version ? m.version : "");
	put(t, "\"} 1\n");
	family(t, "advice_start_time_seconds", "gauge", "when adviced started, seconds since 1970 UTC");
	put(t, "advice_start_time_seconds %lld\n", (long long)m.start_unix);
}

static void put_live(struct text *t, const struct metrics_live *live)
{
	/* enum store_role's order */
	static const char *const role_names[METRICS_ROLES] = { "unknown",    "citizen", "worker",
							       "supervisor", "admin",	"connector" };
	const char *reason;

	family(t, "advice_ready", "gauge", "1 when /healthz?ready would answer ok, else 0");
	put(t, "advice_ready %d\n", metrics_ready(live, &reason));
	family(t, "advice_websockets_opened_total", "counter", "WebSocket connections opened");
	put(t, "advice_websockets_opened_total %llu\n", get(&m.websockets_opened));
	if (live == NULL)
		return;
	family(t, "advice_connections", "gauge", "connections open now, by kind");
	put(t, "advice_connections{kind=\"websocket\"} %ld\n", live->websockets);
	put(t, "advice_connections{kind=\"http\"} %ld\n", live->http);
	family(t, "advice_websockets", "gauge",
	       "WebSockets open now, by their session's role (unknown: not yet welcomed)");
	for (size_t r = 0; r < METRICS_ROLES; r++)
		put(t, "advice_websockets{role=\"%s\"} %ld\n", role_names[r], live->by_role[r]);
	family(t, "advice_dispatch_pending", "gauge",
	       "requests submitted to the core thread whose replies are not yet taken");
	put(t, "advice_dispatch_pending %ld\n", live->dispatch_pending);
}

static void put_requests(struct text *t)
{
	family(t, "advice_requests_total", "counter",
	       "requests the core thread answered, by type and outcome (ok or the error code)");
	for (size_t i = 0; i < m.ntypes; i++)
		for (size_t o = 0; o < m.noutcomes; o++) {
			unsigned long long n = get(&m.requests[i][o]);

			if (n == 0)
				continue;
			put(t, "advice_requests_total{type=\"");
			put_label(t, m.types[i]);
			put(t, "\",outcome=\"");
			put_label(t, m.outcomes[o]);
			put(t, "\"} %llu\n", n);
		}
}

static void put_queue_family(struct text *t, const char *name, const char *help, size_t field)
{
	family(t, name, "gauge", help);
	for (size_t i = 0; i < m.nqueues; i++) {
		put(t, "%s{queue=\"", name);
		put_label(t, m.queues[i].name);
		put(t, "\"} %d\n", *(const int *)((const char *)&m.queues[i] + field));
	}
}

static void put_snapshot(struct text *t)
{
	int64_t refreshed = atomic_load(&m.refreshed_ms);

	pthread_mutex_lock(&m.lock);
	put_queue_family(t, "advice_queue_waiting_threads", "threads waiting for a worker, by queue",
			 offsetof(struct metrics_queue, waiting));
	put_queue_family(t, "advice_queue_open_threads", "threads not closed, by queue",
			 offsetof(struct metrics_queue, open));
	put_queue_family(t, "advice_queue_at_risk_threads",
			 "threads whose answer deadline is near (past the warning), by queue",
			 offsetof(struct metrics_queue, at_risk));
	put_queue_family(t, "advice_deadline_breaches", "threads past their answer deadline, by queue",
			 offsetof(struct metrics_queue, missed));
	if (m.notify_backlog >= 0) {
		family(t, "advice_notify_backlog", "gauge", "notifications not yet sent (the outbox)");
		put(t, "advice_notify_backlog %lld\n", (long long)m.notify_backlog);
	}
	pthread_mutex_unlock(&m.lock);
	family(t, "advice_snapshot_age_seconds", "gauge",
	       "age of the queue and notifier figures (-1: none yet; the core refreshes them after a "
	       "scrape)");
	if (refreshed == 0)
		put(t, "advice_snapshot_age_seconds -1\n");
	else
		put(t, "advice_snapshot_age_seconds %.3f\n", (double)(mono_ms() - refreshed) / 1000.0);
}

char *metrics_render(const struct metrics_live *live, size_t *len)
{
	struct text t = { NULL, 0, 0, 0 };

	atomic_store(&m.refresh_wanted, 1);
	if ((t.buf = malloc(t.cap = 16384)) == NULL)
		return NULL;
	put_process(&t);
	put_live(&t, live);
	put_requests(&t);
	put_histogram(&t, "advice_batch_size", "requests per group commit", &m.batch_size, batch_bounds,
		      NBATCH, 1.0);
	put_histogram(&t, "advice_commit_seconds",
		      "time of a group commit from its BEGIN to its durable COMMIT", &m.commit_time,
		      seconds_bounds, NSECONDS, 1e-6);
	family(&t, "advice_commit_failures_total", "counter",
	       "group commits that failed (nothing of them acknowledged)");
	put(&t, "advice_commit_failures_total %llu\n", get(&m.commit_failures));
	put_snapshot(&t);
	if (t.failed) {
		free(t.buf);
		return NULL;
	}
	*len = t.len;
	return t.buf;
}
