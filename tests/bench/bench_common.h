/*
 * bench_common.h - what the benchmark's load generators (tests/bench/) share: the latency
 * histogram (10 us buckets up to 1 s, then 1 ms buckets up to 60 s; quantiles in milliseconds),
 * clocks, and the collection of
 * the sender processes' results into one JSON line. Header-only (static inline): each
 * generator is one C file.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HIST_BUCKETS	  100000 /* 10 us each: up to 1 s */
#define HIST_US		  10
#define HIST_SLOW_BUCKETS 59000 /* then 1 ms each: up to 60 s */
#define HIST_SLOW_US	  1000

struct hist {
	uint64_t n, over;
	uint64_t b[HIST_BUCKETS];
	uint64_t slow[HIST_SLOW_BUCKETS];
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
	if (i < HIST_BUCKETS) {
		h->b[i]++;
		return;
	}
	i = (us - (int64_t)HIST_BUCKETS * HIST_US) / HIST_SLOW_US;
	if (i >= HIST_SLOW_BUCKETS)
		h->over++;
	else
		h->slow[i]++;
}

/* Adds the counts of `from` to `to`. */
static inline void hist_merge(struct hist *to, const struct hist *from)
{
	to->n += from->n;
	to->over += from->over;
	for (int i = 0; i < HIST_BUCKETS; i++)
		to->b[i] += from->b[i];
	for (int i = 0; i < HIST_SLOW_BUCKETS; i++)
		to->slow[i] += from->slow[i];
}

/* The q-quantile in milliseconds (the upper edge of its bucket); -1 when empty, 60000 when it
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
	for (int i = 0; i < HIST_SLOW_BUCKETS; i++) {
		seen += h->slow[i];
		if (seen > want)
			return ((double)HIST_BUCKETS * HIST_US + (double)(i + 1) * HIST_SLOW_US) / 1000.0;
	}
	return (HIST_BUCKETS * HIST_US + (double)HIST_SLOW_BUCKETS * HIST_SLOW_US) / 1000.0;
}

/* What one sender process measured; sent whole through a pipe to the parent. */
struct send_result {
	uint64_t acks, errors;
	double cpu, wall; /* the process's CPU seconds and measured seconds */
	int ran_out;	  /* its window ended early: a sender used up what it had prepared */
	struct hist h;
};

/* CPU seconds (user + system) of process `pid` so far, from /proc; -1 when unreadable. */
static inline double proc_cpu_seconds(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After the command name's ")": state is field 3, utime and stime are 14 and 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/*
 * The CPU seconds the server under load (the pid in ADVICE_BENCH_SERVER_PID) used in the
 * measured window: called when the senders start, it waits out their warm-up of `warm_s`,
 * then `seconds`. -1 at once when the variable is not set or the process cannot be read.
 */
static inline double server_cpu_window(double warm_s, double seconds)
{
	const char *v = getenv("ADVICE_BENCH_SERVER_PID");
	pid_t pid = v != NULL ? (pid_t)atoi(v) : 0;
	double c0;

	if (pid <= 0)
		return -1;
	usleep((useconds_t)(warm_s * 1e6));
	c0 = proc_cpu_seconds(pid);
	usleep((useconds_t)(seconds * 1e6));
	return c0 < 0 ? -1 : proc_cpu_seconds(pid) - c0;
}

/* Reads exactly len bytes from fd. 0 or -1. */
static inline int read_full(int fd, void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t rd = read(fd, (char *)buf + off, len - off);

		if (rd <= 0)
			return -1;
		off += (size_t)rd;
	}
	return 0;
}

/* Writes exactly len bytes to fd. 0 or -1. */
static inline int write_full(int fd, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, (const char *)buf + off, len - off);

		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/*
 * Reads the results of `procs` sender processes from their pipes, reaps them, and prints the
 * total as one JSON line: acks/s (each process's acks over its measured time, summed), ack
 * p50/p99, the generator's CPU and its busiest process's share of a core, and, when
 * server_cpu >= 0 (server_cpu_window), the server's CPU seconds in the window and per 1,000
 * acknowledged messages. Returns 0, or 1 when a process failed (nothing printed).
 */
static inline int send_collect(const int *fds, const pid_t *pids, int procs, double server_cpu)
{
	static struct send_result total, part;
	double cpu_max = 0, rate = 0, wall = 0;
	int ok = 1, ran_out = 0;

	memset(&total, 0, sizeof total);
	for (int p = 0; p < procs; p++) {
		int st, got = read_full(fds[p], &part, sizeof part);

		close(fds[p]);
		waitpid(pids[p], &st, 0);
		if (got != 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || part.wall <= 0) {
			ok = 0;
			continue;
		}
		total.acks += part.acks;
		total.errors += part.errors;
		total.cpu += part.cpu;
		rate += part.acks / part.wall;
		wall = part.wall > wall ? part.wall : wall;
		ran_out |= part.ran_out;
		if (part.cpu / part.wall > cpu_max)
			cpu_max = part.cpu / part.wall;
		hist_merge(&total.h, &part.h);
	}
	if (!ok)
		return 1;
	printf("{\"acks_per_s\": %.0f, \"acks\": %llu, \"errors\": %llu, \"ack_p50_ms\": %.2f, "
	       "\"ack_p99_ms\": %.2f, \"gen_cpu_s\": %.2f, \"gen_max_core\": %.2f, \"seconds\": %.1f, "
	       "\"pool_ran_out\": %s",
	       rate, (unsigned long long)total.acks, (unsigned long long)total.errors,
	       hist_quantile(&total.h, 0.5), hist_quantile(&total.h, 0.99), total.cpu, cpu_max, wall,
	       ran_out ? "true" : "false");
	if (server_cpu >= 0 && total.acks > 0)
		printf(", \"server_cpu_s\": %.2f, \"server_cpu_s_per_1000\": %.3f", server_cpu,
		       server_cpu * 1000 / (double)total.acks);
	printf("}\n");
	return 0;
}

#endif
