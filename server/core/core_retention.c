/*
 * core_retention.c - the retention run (core_retention.h): the scan of closed threads against
 * the register's rules, the marks, and the core's hourly timer (core_retention_tick, on
 * CORE_REQ_TICK), which also carries every pending shred one phase on per tick, so that a
 * restart resumes what a crash cut.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core_internal.h"
#include "core_retention.h"
#include "log.h"
#include "shred.h"

int retention_handed_over(struct store *st, const char *thread_id, int *yes)
{
	int64_t n = 0;

	if (st->ops->consent->handover_count(st, thread_id, &n) != STORE_OK)
		return -1;
	*yes = n > 0;
	return 0;
}

/* Appends an item to a growing array. 0 or -1. */
static int item_push(struct retention_item **a, size_t *n, const struct retention_item *it)
{
	if ((*n & (*n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
		struct retention_item *b = realloc(*a, (*n ? 2 * *n : 1) * sizeof *b);

		if (b == NULL)
			return -1;
		*a = b;
	}
	(*a)[(*n)++] = *it;
	return 0;
}

struct scan_state {
	struct retention_scan *s;
	struct retention_item *all;
	size_t n;
	int failed;
};

static int scan_collect(void *arg, const struct store_retention_candidate *c)
{
	struct scan_state *ss = arg;
	struct retention_item it = { .c = *c };

	if (item_push(&ss->all, &ss->n, &it) != 0) {
		ss->failed = 1;
		return 1;
	}
	return 0;
}

int retention_scan(struct store *st, const struct register_doc *reg, int64_t at, struct retention_scan *out)
{
	struct scan_state ss = { .s = out };
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (st->ops->retention->candidates(st, scan_collect, &ss) != STORE_OK || ss.failed)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < ss.n; i++) {
		struct retention_item *it = &ss.all[i];
		int handed = 0;

		if (retention_handed_over(st, it->c.thread_id, &handed) != 0) {
			rc = -1;
			break;
		}
		retention_judge(reg, &it->c, handed, &it->v);
		if (retention_is_due(&it->v, at))
			rc = item_push(&out->due, &out->ndue, it);
		else if (it->v.held_at != 0 && it->v.held_at <= at)
			rc = item_push(&out->held, &out->nheld, it);
	}
	free(ss.all);
	if (rc != 0)
		retention_scan_free(out);
	return rc;
}

void retention_scan_free(struct retention_scan *s)
{
	free(s->due);
	free(s->held);
	memset(s, 0, sizeof *s);
}

int retention_mark(struct store *st, const struct retention_scan *s, const char *run, const char *by,
		   int64_t now, int *marked)
{
	*marked = 0;
	for (size_t i = 0; i < s->ndue; i++) {
		const struct retention_item *it = &s->due[i];
		struct store_shred_mark m = { .erasure = 0, .due = it->v.due };
		int rc;

		snprintf(m.thread_id, sizeof m.thread_id, "%s", it->c.thread_id);
		snprintf(m.citizen_id, sizeof m.citizen_id, "%s", it->c.citizen_id);
		snprintf(m.run, sizeof m.run, "%s", run);
		snprintf(m.by, sizeof m.by, "%s", by);
		snprintf(m.reason, sizeof m.reason, "%s", it->v.rule);
		if ((rc = shred_mark(st, &m, now)) == STORE_ERROR)
			return -1;
		*marked += rc == STORE_OK;
	}
	return 0;
}

int retention_until(struct store *st, const struct register_doc *reg, const char *thread_id, int64_t *until)
{
	struct store_retention_candidate c;
	struct retention_verdict v;
	int handed = 0, rc;

	*until = 0;
	if (reg == NULL)
		return 0;
	rc = st->ops->retention->candidate_get(st, thread_id, &c);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_OK || retention_handed_over(st, thread_id, &handed) != 0)
		return -1;
	retention_judge(reg, &c, handed, &v);
	*until = v.due;
	return 0;
}

void retention_run_id(char out[STORE_ID_SIZE])
{
	uint8_t b[16];

	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, STORE_ID_SIZE, b, sizeof b);
}

/* The hourly run: the due threads marked by "retention". 0 or -1. */
static int retention_timer(struct ctx *x)
{
	struct retention_scan s;
	char run[STORE_ID_SIZE];
	int marked = 0, rc;

	if (retention_scan(x->st, x->c->cfg.reg, x->now, &s) != 0)
		return -1;
	retention_run_id(run);
	rc = retention_mark(x->st, &s, run, RETENTION_BY_TIMER, x->now, &marked);
	if (rc == 0 && (marked > 0 || s.nheld > 0))
		log_notice("retention: %d threads due and marked for shredding; %zu kept past their "
			   "channel-copy "
			   "time because they were not handed over to the client record",
			   marked, s.nheld);
	retention_scan_free(&s);
	return rc;
}

int core_retention_tick(struct ctx *x)
{
	struct core *c = x->c;
	struct shred_progress p;
	int pending;

	if (c->cfg.reg == NULL)
		return 0;
	if ((pending = shred_pending(x->st)) < 0)
		return -1;
	if (pending && shred_step(x->st, c->cfg.blob_dir, x->now, SHRED_STEP_MAX, &p) != 0)
		return -1;
	if (x->now < c->next_retention)
		return 0;
	c->next_retention = x->now + RETENTION_EVERY_MS;
	return retention_timer(x);
}
