/*
 * memtrim.c - free memory back to the system after a peak (memtrim.h).
 */
#include <stdio.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "log.h"
#include "memtrim.h"

void memtrim_init(struct memtrim *t, int64_t growth_kb, int64_t interval_ms, int64_t rss_kb, int64_t now_ms)
{
	t->growth_kb = growth_kb;
	t->interval_ms = interval_ms;
	t->base_kb = rss_kb > 0 ? rss_kb : 0;
	t->last_ms = now_ms;
	t->trims = 0;
}

int memtrim_due(const struct memtrim *t, int64_t rss_kb, int idle, int64_t now_ms)
{
	return t->growth_kb > 0 && idle && rss_kb >= 0 && rss_kb - t->base_kb >= t->growth_kb &&
	       now_ms - t->last_ms >= t->interval_ms;
}

int64_t memtrim_rss_kb(void)
{
	long long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "r");
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "%lld %lld", &size, &resident);
	fclose(f);
	if (n != 2 || page <= 0)
		return -1;
	return (int64_t)resident * (page / 1024);
}

int memtrim_tick(struct memtrim *t, int idle, int64_t now_ms)
{
	int64_t before, after;

	if (t->growth_kb <= 0 || !idle || now_ms - t->last_ms < t->interval_ms)
		return 0; /* nothing to read /proc for */
	before = memtrim_rss_kb();
	if (!memtrim_due(t, before, idle, now_ms))
		return 0;
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	after = memtrim_rss_kb();
	t->base_kb = after >= 0 ? after : before;
	t->last_ms = now_ms;
	t->trims++;
	log_notice("memtrim_tick: resident memory %lld kB -> %lld kB", (long long)before, (long long)after);
	return 1;
}
