/*
 * core_metrics.c - what the core tells metrics.h: every request it answers, by type and
 * outcome, and on its tick (when a scrape asked) a snapshot of the queues and of the
 * notifier's backlog read from the store. Labels come from fixed tables (the request table,
 * the error codes) and the queues' categories: never from what a client sent.
 */
#include <stdlib.h>
#include <string.h>

#include "advice_proto.h"
#include "core_internal.h"
#include "core_requests.h"
#include "metrics.h"

/* The request kinds that are not WebSocket messages, by their label; then "unknown" (a
 * message whose type is not in the table) and the table's types, in its order. */
static const char *const kind_labels[] = {
	[CORE_REQ_CONNECT] = "connect",
	[CORE_REQ_MESSAGE] = "unknown",
	[CORE_REQ_LOGIN_CITIZEN] = "http.login.citizen",
	[CORE_REQ_LOGIN_START] = "http.login.worker.start",
	[CORE_REQ_LOGIN_WORKER] = "http.login.worker",
	[CORE_REQ_LOGOUT] = "http.logout",
	[CORE_REQ_LOGIN_BANK] = "http.login.bank",
	[CORE_REQ_TICK] = "tick",
	[CORE_REQ_LOGIN_ENROL] = "http.login.worker.enrol",
	[CORE_REQ_CHUNK] = "file.chunk.binary",
	[CORE_REQ_ADMIN] = "admin",
	[CORE_REQ_CALL] = "notifier",
	[CORE_REQ_SERVICE] = "http.service",
	[CORE_REQ_LOGIN_CONNECTOR_START] = "http.login.connector.start",
	[CORE_REQ_LOGIN_CONNECTOR] = "http.login.connector",
};
#define NKINDS (sizeof kind_labels / sizeof kind_labels[0])

static const char *type_labels[METRICS_MAX_TYPES];
static const char *outcome_labels[ADVICE_ERR__COUNT];

int core_metrics_labels(void)
{
	size_t ntypes = NKINDS + core_request_type_count;

	if (ntypes > METRICS_MAX_TYPES)
		return -1;
	for (size_t i = 0; i < NKINDS; i++)
		type_labels[i] = kind_labels[i];
	for (size_t i = 0; i < core_request_type_count; i++)
		type_labels[NKINDS + i] = core_request_types[i].type;
	outcome_labels[ADVICE_OK] = "ok";
	for (int e = 1; e < ADVICE_ERR__COUNT; e++)
		outcome_labels[e] = advice_err_name(e);
	return metrics_set_request_labels(type_labels, ntypes, outcome_labels, ADVICE_ERR__COUNT);
}

/* The label index of the request `x` answered. */
static size_t type_index(const struct ctx *x)
{
	const char *type;

	if (x->req->kind != CORE_REQ_MESSAGE)
		return (size_t)x->req->kind < NKINDS ? (size_t)x->req->kind : CORE_REQ_MESSAGE;
	type = x->msg != NULL ? json_string_value(json_object_get(x->msg, "type")) : NULL;
	for (size_t i = 0; type != NULL && i < core_request_type_count; i++)
		if (strcmp(core_request_types[i].type, type) == 0)
			return NKINDS + i;
	return CORE_REQ_MESSAGE; /* "unknown" */
}

void core_metrics_count(const struct ctx *x, int rc)
{
	size_t outcome = rc < 0 ? ADVICE_ERR_UNAVAILABLE : (size_t)x->err;

	metrics_request(type_index(x), outcome < ADVICE_ERR__COUNT ? outcome : ADVICE_ERR_INTERNAL);
}

/* ---- the tick's snapshot ---- */

struct units {
	char (*ids)[STORE_ID_SIZE];
	size_t n, cap;
};

static int add_unit(void *arg, const struct store_unit *u)
{
	struct units *us = arg;

	if (us->n == us->cap) {
		size_t cap = us->cap ? us->cap * 2 : 16;
		void *p = realloc(us->ids, cap * sizeof *us->ids);

		if (p == NULL)
			return 1; /* stop: the snapshot has what fitted */
		us->ids = p;
		us->cap = cap;
	}
	memcpy(us->ids[us->n++], u->id, STORE_ID_SIZE);
	return 0;
}

struct queues {
	struct metrics_queue q[METRICS_MAX_QUEUES];
	size_t n;
};

static int add_queue(void *arg, const struct store_queue_stats *s)
{
	struct queues *qs = arg;
	struct metrics_queue *q;

	if (qs->n == METRICS_MAX_QUEUES)
		return 1;
	q = &qs->q[qs->n++];
	memcpy(q->name, s->category,
	       sizeof q->name < sizeof s->category ? sizeof q->name : sizeof s->category);
	q->name[sizeof q->name - 1] = '\0';
	q->waiting = s->waiting;
	q->open = s->open;
	q->at_risk = s->at_risk;
	q->missed = s->missed;
	return 0;
}

int core_metrics_tick(struct ctx *x)
{
	struct units us = { NULL, 0, 0 };
	struct queues *qs;
	int64_t backlog = -1;

	if (!metrics_refresh_due())
		return 0;
	if ((qs = calloc(1, sizeof *qs)) == NULL)
		return 0; /* figures are not worth failing the tick: the next scrape asks again */
	if (x->st->ops->unit->list(x->st, add_unit, &us) == STORE_OK)
		for (size_t i = 0; i < us.n; i++)
			if (x->st->ops->queue->stats(x->st, us.ids[i], add_queue, qs) != STORE_OK)
				break;
	if (x->st->ops->notify->outbox_backlog(x->st, &backlog) != STORE_OK)
		backlog = -1;
	metrics_publish(qs->q, qs->n, backlog);
	free(us.ids);
	free(qs);
	return 0;
}
