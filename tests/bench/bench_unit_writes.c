/*
 * bench_unit_writes.c - write latency in a unit with many threads (issue 14): thread.open and
 * message.send of one citizen, each in its own committed transaction on a real SQLite file,
 * after the unit's queue was filled with 100, 10,000 and 100,000 threads (one in ten
 * waiting, the others closed, as a flood leaves them). The dashboard is computed on every
 * write (no presence set: every supervisor counts as connected), the worst case.
 * Not a test: built only with -DADVICE_BENCH=ON.
 *
 *   bench_unit_writes [WRITES]     WRITES of each kind per size (default 200)
 *
 * Prints one line per size and kind: the median and the 99th percentile in ms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "corefix.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Adds threads to the adult queue until it holds `total`: every tenth waiting with a
 * running clock, the others closed. Raw SQL, so that filling takes seconds. */
static void fill(struct corefix *fx, int from, int total)
{
	char sql[1024];
	sqlite3 *h;
	char *err = NULL;

	if (sqlite3_open(fx->db, &h) != SQLITE_OK)
		exit(1);
	snprintf(sql, sizeof sql,
		 "BEGIN;"
		 "INSERT OR IGNORE INTO users VALUES('%032d', 1, 0);"
		 "WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
		 " INSERT INTO threads(id, citizen_id, queue_id, assignee_id, state, created, updated,"
		 " last_seq, change_no) SELECT printf('z%%031d', i), '%032d', '%032d', NULL,"
		 " iif(i %% 10 = 0, 0, 4), i, i, 1, 0 FROM n;"
		 "INSERT INTO thread_clock SELECT id, 'fi', 1, 1, 0, 0, 0, 86400000, 9e15, 9e15"
		 " FROM threads WHERE id >= printf('z%%031d', %d) AND id LIKE 'z%%' AND state = 0;"
		 "COMMIT;",
		 99, from + 1, total, 99, 11, from + 1);
	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "fill: %s\n", err);
		exit(1);
	}
	sqlite3_close(h);
}

/* Times `writes` requests of one kind; prints the median and the 99th percentile. */
static void measure(struct corefix *fx, const struct who *c, int size, const char *kind, int writes,
		    const char *tid, const char *body)
{
	double *t = calloc((size_t)writes, sizeof *t);
	static int seq;

	for (int i = 0; i < writes; i++) {
		double start = now_ms();
		json_t *r =
			strcmp(kind, "thread.open") == 0
				? corefix_ws(fx, c,
					     "{\"type\":\"thread.open\",\"id\":\"b%d\",\"category\":"
					     "\"adult-social-work\",\"body\":\"%s\"}",
					     ++seq, body)
				: corefix_ws(fx, c,
					     "{\"type\":\"message.send\",\"id\":\"b%d\",\"thread\":\"%s\","
					     "\"body\":\"%s\"}",
					     ++seq, tid, body);

		t[i] = now_ms() - start;
		if (strcmp(corefix_code(r), "ok") != 0) {
			fprintf(stderr, "%s: %s\n", kind, corefix_code(r));
			exit(1);
		}
		json_decref(r);
	}
	qsort(t, (size_t)writes, sizeof *t, by_value);
	printf("threads %7d  %-12s  median %6.2f ms  p99 %6.2f ms\n", size, kind, t[writes / 2],
	       t[writes * 99 / 100]);
	fflush(stdout);
	free(t);
}

int main(int argc, char **argv)
{
	static const int sizes[] = { 100, 10000, 100000 };
	int writes = argc > 1 ? atoi(argv[1]) : 200, filled = 0;
	void *state = NULL;
	struct corefix *fx;
	char *body = corefix_body(200, 'b'), tid[STORE_ID_SIZE];
	struct who c;
	json_t *r;

	if (writes < 2 || corefix_setup(&state) != 0)
		return 2;
	fx = state;
	fx->now = 1795000000000LL;
	corefix_login_citizen(fx, "010594Y9032", &c);
	r = corefix_ws(fx, &c,
		       "{\"type\":\"thread.open\",\"id\":\"first\",\"category\":\"adult-social-work\","
		       "\"body\":\"%s\"}",
		       body);
	snprintf(tid, sizeof tid, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		fill(fx, filled, sizes[i]);
		filled = sizes[i];
		measure(fx, &c, sizes[i], "thread.open", writes, tid, body);
		measure(fx, &c, sizes[i], "message.send", writes, tid, body);
	}
	free(body);
	return corefix_teardown(&state);
}
