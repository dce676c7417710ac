/*
 * memtrim.h - gives free memory back to the system after a peak.
 *
 * The allocator keeps the memory a flood of requests used once it is freed, so the resident
 * size stays at its high-water mark. memtrim_tick, called on a periodic timer, returns the
 * free memory (malloc_trim) when the server is idle and the resident size has grown by the
 * configured amount since the last return, at most once per interval. The decision is a
 * plain function of the numbers (memtrim_due), tested alone.
 */
#ifndef ADVICE_MEMTRIM_H
#define ADVICE_MEMTRIM_H

#include <stdint.h>

struct memtrim {
	int64_t growth_kb;   /* resident growth that calls for a return; 0: never */
	int64_t interval_ms; /* least time between two returns */
	int64_t base_kb;     /* resident size after the last return (or at the start) */
	int64_t last_ms;     /* time of the last return (or of the start) */
	unsigned long long trims;
};

/* Starts the policy at `now_ms` with the resident size `rss_kb` as its base. */
void memtrim_init(struct memtrim *t, int64_t growth_kb, int64_t interval_ms, int64_t rss_kb, int64_t now_ms);
/* Whether a return is due at `now_ms` with `rss_kb` resident and the server `idle`. */
int memtrim_due(const struct memtrim *t, int64_t rss_kb, int idle, int64_t now_ms);
/* The process's resident size in KiB (/proc/self/statm); -1 when it cannot be read. */
int64_t memtrim_rss_kb(void);
/* Returns free memory when due; the base becomes the size after it. 1 when it did, else 0. */
int memtrim_tick(struct memtrim *t, int idle, int64_t now_ms);

#endif
