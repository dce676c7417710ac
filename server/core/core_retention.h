/*
 * core_retention.h - the retention run over the store (PROTOCOL.md §14.10): which closed
 * threads are due at a time, marking them for the shred (shred.h), the hand-over check, and
 * a thread's `retention_until`. The periodic run is core_retention_tick (core_internal.h).
 */
#ifndef ADVICE_CORE_RETENTION_H
#define ADVICE_CORE_RETENTION_H

#include <stdint.h>

#include "register.h"
#include "retention.h"
#include "store.h"

#define RETENTION_EVERY_MS 3600000LL /* the core's run: hourly */
#define RETENTION_BY_TIMER "retention"

/* A closed thread not marked yet, and its verdict. */
struct retention_item {
	struct store_retention_candidate c;
	struct retention_verdict v;
};

/* What a scan at a time found: due threads and held ones (their channel copy would be due,
 * but the thread was not handed over: kept, and said so). malloc'd arrays. */
struct retention_scan {
	struct retention_item *due, *held;
	size_t ndue, nheld;
};

/* Scans every closed thread without a mark at `at`. 0, or -1 (store failed / no memory). */
int retention_scan(struct store *st, const struct register_doc *reg, int64_t at, struct retention_scan *out);
void retention_scan_free(struct retention_scan *s);

/* Marks the due threads of a scan for the shred (run `run`, by `by`) at `now`; *marked gets
 * how many. 0 or -1. */
int retention_mark(struct store *st, const struct retention_scan *s, const char *run, const char *by,
		   int64_t now, int *marked);

/* Whether the thread's current epoch was handed over to the client record. The hand-over
 * table comes with the consent part (migration 24); until then no thread was handed over.
 * 0 or -1. */
int retention_handed_over(struct store *st, const char *thread_id, int *yes);

/* When a thread goes by the rules at present (0: not known yet: not closed, or counted from
 * a relationship that goes on). 0 or -1. */
int retention_until(struct store *st, const struct register_doc *reg, const char *thread_id, int64_t *until);

/* A fresh run id (32 hex digits). */
void retention_run_id(char out[STORE_ID_SIZE]);

#endif
