/*
 * bench_hist.h - the latency histogram and clocks shared by the benchmark's load generators
 * (tests/bench/). A histogram of 10 us buckets up to 1 s; quantiles in milliseconds.
 * Header-only (static inline): each generator is one C file.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#define HIST_BUCKETS 100000 /* 10 us each: up to 1 s */
#define HIST_US	     10

struct hist {
	uint64_t n, over;
	uint64_t b[HIST_BUCKETS];
};

/* Microseconds on the monotonic clock. */
static inline int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CPU seconds (user + system) this process has used so far. */
static inline double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Counts one latency of `us` microseconds (negative counts as 0, beyond 1 s as "over"). */
static inline void hist_add(struct hist *h, int64_t us)
{
	int64_t i = us / HIST_US;

	h->n++;
	if (i < 0)
		i = 0;
	if (i >= HIST_BUCKETS)
		h->over++;
	else
		h->b[i]++;
}

/* Adds the counts of `from` to `to`. */
static inline void hist_merge(struct hist *to, const struct hist *from)
{
	to->n += from->n;
	to->over += from->over;
	for (int i = 0; i < HIST_BUCKETS; i++)
		to->b[i] += from->b[i];
}

/* The q-quantile in milliseconds (the upper edge of its bucket); -1 when empty, 1000 when it
 * lies beyond the last bucket. */
static inline double hist_quantile(const struct hist *h, double q)
{
	uint64_t want = (uint64_t)(q * (double)h->n), seen = 0;

	if (h->n == 0)
		return -1;
	for (int i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen > want)
			return (i + 1) * HIST_US / 1000.0;
	}
	return 1000.0;
}

#endif
