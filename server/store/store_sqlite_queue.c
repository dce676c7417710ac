/*
 * store_sqlite_queue.c - queues in the SQLite store (struct store_queue_ops): queues and their
 * settings, language routes, the deadline clocks of threads, dashboard statistics and the
 * record of reassignments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

enum queue_stmt {
	S_QUEUE_INSERT,
	S_QUEUE_BY_CATEGORY,
	S_QUEUE_LIST,
	Q_QUEUE_GET,
	Q_QUEUE_SET_GET,
	Q_QUEUE_SET_PUT,
	Q_ROUTE_GET,
	Q_ROUTE_PUT,
	Q_ROUTE_DEL,
	Q_ROUTE_LIST,
	Q_CLOCK_GET,
	Q_CLOCK_PUT,
	Q_CLOCK_DUE,
	Q_QUEUE_STATS,
	Q_REASSIGN,
	Q_CLOCK_CHANGE,
	STMT__COUNT
};

#define CLOCK_COLUMNS "thread_id, lang, kind, state, level, start, used, budget, warn_at, due"

static const char *const stmt_sql[STMT__COUNT] = {
	[S_QUEUE_INSERT] = "INSERT INTO queues(id, unit_id, category, name) VALUES(?1, ?2, ?3, ?4)",
	[S_QUEUE_BY_CATEGORY] = "SELECT id, unit_id, category, name FROM queues WHERE category = ?1",
	[S_QUEUE_LIST] = "SELECT id, unit_id, category, name FROM queues ORDER BY category",
	[Q_QUEUE_GET] = "SELECT id, unit_id, category, name FROM queues WHERE id = ?1",
	[Q_QUEUE_SET_GET] = "SELECT policy, cap, ifnull(fallback_id, ''), first_days, follow_days, warn_pct,"
			    " rr_last FROM queue_settings WHERE queue_id = ?1",
	[Q_QUEUE_SET_PUT] = "INSERT OR REPLACE INTO queue_settings(queue_id, policy, cap, fallback_id,"
			    " first_days, follow_days, warn_pct, rr_last)"
			    " VALUES(?1, ?2, ?3, nullif(?4, ''), ?5, ?6, ?7, ?8)",
	[Q_ROUTE_GET] = "SELECT queue_id FROM routes WHERE category = ?1 AND lang = ?2",
	[Q_ROUTE_PUT] = "INSERT OR REPLACE INTO routes(category, lang, queue_id) VALUES(?1, ?2, ?3)",
	[Q_ROUTE_DEL] = "DELETE FROM routes WHERE category = ?1 AND lang = ?2",
	[Q_ROUTE_LIST] = "SELECT category, lang, queue_id FROM routes ORDER BY category, lang",
	[Q_CLOCK_GET] = "SELECT " CLOCK_COLUMNS " FROM thread_clock WHERE thread_id = ?1",
	/* An upsert, not a REPLACE: the counters' update trigger must see the old row. */
	[Q_CLOCK_PUT] = "INSERT INTO thread_clock(" CLOCK_COLUMNS ")"
			" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(thread_id) DO UPDATE"
			" SET lang = excluded.lang, kind = excluded.kind, state = excluded.state,"
			" level = excluded.level, start = excluded.start, used = excluded.used,"
			" budget = excluded.budget, warn_at = excluded.warn_at, due = excluded.due",
	[Q_CLOCK_DUE] = "SELECT " CLOCK_COLUMNS " FROM thread_clock WHERE state = 1"
			" AND ((level = 0 AND warn_at <= ?1) OR (level < 2 AND due <= ?1))"
			" ORDER BY due LIMIT ?2",
	/* From the counters that migration 10's triggers keep, and the oldest waiting thread by
	 * its index: no count of the unit's threads (issue 14). */
	[Q_QUEUE_STATS] = "SELECT q.id, q.category, c.waiting,"
			  " ifnull((SELECT min(w.created) FROM threads w"
			  "  WHERE w.queue_id = q.id AND w.state = 0), 0),"
			  " c.at_risk, c.missed, c.open"
			  " FROM queues q JOIN queue_counts c ON c.queue_id = q.id"
			  " WHERE q.unit_id = ?1 ORDER BY q.category",
	/* A new state of a deadline clock is a change of its thread's lists (store.h). */
	[Q_CLOCK_CHANGE] = "UPDATE threads SET change_no = ?2 WHERE id = ?1",
	[Q_REASSIGN] = "INSERT INTO reassignments(thread_id, by_user, from_user, to_user, from_queue,"
		       " to_queue, reason, audit_row, time) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
};

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum queue_stmt id)
{
	return sqs_kept(st, SQS_QUEUE, stmt_sql, STMT__COUNT, (int)id);
}

static int queue_insert(struct store *st, const struct store_queue *qu)
{
	sqlite3_stmt *q = stmt(st, S_QUEUE_INSERT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, qu->id);
	sqs_bind_text(q, 2, qu->unit_id);
	sqs_bind_text(q, 3, qu->category);
	sqs_bind_text(q, 4, qu->name);
	return sqs_run(st, q);
}

static void read_queue(sqlite3_stmt *q, struct store_queue *out)
{
	sqs_text(out->id, sizeof out->id, q, 0);
	sqs_text(out->unit_id, sizeof out->unit_id, q, 1);
	sqs_text(out->category, sizeof out->category, q, 2);
	sqs_text(out->name, sizeof out->name, q, 3);
}

static int queue_by_category(struct store *st, const char *category, struct store_queue *out)
{
	sqlite3_stmt *q = stmt(st, S_QUEUE_BY_CATEGORY);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, category);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_queue(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

static int queue_list(struct store *st, store_queue_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, S_QUEUE_LIST);
	struct store_queue qu;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_queue(q, &qu);
		if (cb(arg, &qu) != 0)
			break;
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

static int queue_get(struct store *st, const char *queue_id, struct store_queue *out)
{
	sqlite3_stmt *q = stmt(st, Q_QUEUE_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, queue_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	memset(out, 0, sizeof *out);
	sqs_text(out->id, sizeof out->id, q, 0);
	sqs_text(out->unit_id, sizeof out->unit_id, q, 1);
	sqs_text(out->category, sizeof out->category, q, 2);
	sqs_text(out->name, sizeof out->name, q, 3);
	sqlite3_reset(q);
	return STORE_OK;
}

static int queue_settings_get(struct store *st, const char *queue_id, struct store_queue_settings *out)
{
	sqlite3_stmt *q = stmt(st, Q_QUEUE_SET_GET);
	int rc;

	memset(out, 0, sizeof *out);
	snprintf(out->queue_id, sizeof out->queue_id, "%s", queue_id);
	out->first_days = 3;
	out->follow_days = 3;
	out->warn_pct = 75;
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, queue_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_OK : rc;
	out->policy = sqlite3_column_int(q, 0);
	out->cap = sqlite3_column_int(q, 1);
	sqs_text(out->fallback_id, sizeof out->fallback_id, q, 2);
	out->first_days = sqlite3_column_int(q, 3);
	out->follow_days = sqlite3_column_int(q, 4);
	out->warn_pct = sqlite3_column_int(q, 5);
	sqs_text(out->rr_last, sizeof out->rr_last, q, 6);
	sqlite3_reset(q);
	return STORE_OK;
}

static int queue_settings_put(struct store *st, const struct store_queue_settings *s)
{
	sqlite3_stmt *q = stmt(st, Q_QUEUE_SET_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, s->queue_id);
	sqlite3_bind_int(q, 2, s->policy);
	sqlite3_bind_int(q, 3, s->cap);
	sqs_bind_text(q, 4, s->fallback_id);
	sqlite3_bind_int(q, 5, s->first_days);
	sqlite3_bind_int(q, 6, s->follow_days);
	sqlite3_bind_int(q, 7, s->warn_pct);
	sqs_bind_text(q, 8, s->rr_last);
	return sqs_run(st, q);
}

/* Routes and closed days */

static int route_get(struct store *st, const char *category, const char *lang, char queue_id[STORE_ID_SIZE])
{
	sqlite3_stmt *q = stmt(st, Q_ROUTE_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, category);
	sqs_bind_text(q, 2, lang);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	sqs_text(queue_id, STORE_ID_SIZE, q, 0);
	sqlite3_reset(q);
	return STORE_OK;
}

static int route_put(struct store *st, const char *category, const char *lang, const char *queue_id)
{
	sqlite3_stmt *q = stmt(st, queue_id[0] ? Q_ROUTE_PUT : Q_ROUTE_DEL);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, category);
	sqs_bind_text(q, 2, lang);
	if (queue_id[0])
		sqs_bind_text(q, 3, queue_id);
	return queue_id[0] ? sqs_run(st, q) : sqs_run_change(st, q);
}

static int route_list(struct store *st, store_route_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, Q_ROUTE_LIST);
	char category[STORE_NAME_SIZE], lang[8], queue_id[STORE_ID_SIZE];
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		sqs_text(category, sizeof category, q, 0);
		sqs_text(lang, sizeof lang, q, 1);
		sqs_text(queue_id, sizeof queue_id, q, 2);
		if (cb(arg, category, lang, queue_id) != 0)
			break;
	}
	return sqs_done(q, rc);
}

/* Deadline clocks */

static void read_clock(sqlite3_stmt *q, struct store_clock *c)
{
	memset(c, 0, sizeof *c);
	sqs_text(c->thread_id, sizeof c->thread_id, q, 0);
	sqs_text(c->lang, sizeof c->lang, q, 1);
	c->kind = sqlite3_column_int(q, 2);
	c->state = sqlite3_column_int(q, 3);
	c->level = sqlite3_column_int(q, 4);
	c->start = sqlite3_column_int64(q, 5);
	c->used = sqlite3_column_int64(q, 6);
	c->budget = sqlite3_column_int64(q, 7);
	c->warn_at = sqlite3_column_int64(q, 8);
	c->due = sqlite3_column_int64(q, 9);
}

static int clock_get(struct store *st, const char *thread_id, struct store_clock *out)
{
	sqlite3_stmt *q = stmt(st, Q_CLOCK_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, thread_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_clock(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

static int clock_put(struct store *st, const struct store_clock *c)
{
	sqlite3_stmt *q = stmt(st, Q_CLOCK_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, c->thread_id);
	sqs_bind_text(q, 2, c->lang);
	sqlite3_bind_int(q, 3, c->kind);
	sqlite3_bind_int(q, 4, c->state);
	sqlite3_bind_int(q, 5, c->level);
	sqlite3_bind_int64(q, 6, c->start);
	sqlite3_bind_int64(q, 7, c->used);
	sqlite3_bind_int64(q, 8, c->budget);
	sqlite3_bind_int64(q, 9, c->warn_at);
	sqlite3_bind_int64(q, 10, c->due);
	if (sqs_run(st, q) != STORE_OK || (q = stmt(st, Q_CLOCK_CHANGE)) == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, c->thread_id);
	sqlite3_bind_int64(q, 2, sqs_change_next(st));
	return sqs_run(st, q);
}

static int clock_due(struct store *st, int64_t now, int limit, store_clock_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, Q_CLOCK_DUE);
	struct store_clock c;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int(q, 2, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_clock(q, &c);
		if (cb(arg, &c) != 0)
			break;
	}
	return sqs_done(q, rc);
}

static int queue_stats(struct store *st, const char *unit_id, store_queue_stats_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, Q_QUEUE_STATS);
	struct store_queue_stats s;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&s, 0, sizeof s);
		sqs_text(s.queue_id, sizeof s.queue_id, q, 0);
		sqs_text(s.category, sizeof s.category, q, 1);
		s.waiting = sqlite3_column_int(q, 2);
		s.oldest = sqlite3_column_int64(q, 3);
		s.at_risk = sqlite3_column_int(q, 4);
		s.missed = sqlite3_column_int(q, 5);
		s.open = sqlite3_column_int(q, 6);
		if (cb(arg, &s) != 0)
			break;
	}
	return sqs_done(q, rc);
}

static int reassign_insert(struct store *st, const struct store_reassign *r)
{
	sqlite3_stmt *q = stmt(st, Q_REASSIGN);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, r->thread_id);
	sqs_bind_text(q, 2, r->by_user);
	sqs_bind_text(q, 3, r->from_user);
	sqs_bind_text(q, 4, r->to_user);
	sqs_bind_text(q, 5, r->from_queue);
	sqs_bind_text(q, 6, r->to_queue);
	sqs_bind_text(q, 7, r->reason);
	sqlite3_bind_int64(q, 8, r->audit_row);
	sqlite3_bind_int64(q, 9, r->time);
	return sqs_run(st, q);
}

const struct store_queue_ops store_sqlite_queue_ops = {
	.insert = queue_insert,
	.by_category = queue_by_category,
	.list = queue_list,
	.get = queue_get,
	.settings_get = queue_settings_get,
	.settings_put = queue_settings_put,
	.route_get = route_get,
	.route_put = route_put,
	.route_list = route_list,
	.clock_get = clock_get,
	.clock_put = clock_put,
	.clock_due = clock_due,
	.stats = queue_stats,
	.reassign_insert = reassign_insert,
};
