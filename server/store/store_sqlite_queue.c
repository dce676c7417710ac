/*
 * store_sqlite_queue.c - the duty-queue operations of the SQLite store (store.h): unit and
 * queue settings, language routes, closed days, roster and duty, deadline clocks,
 * dashboard statistics, reassignments, notification contacts and the outbox.
 *
 * Statements are prepared on first use and kept in a cache that the store frees on close.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_sqlite_int.h"
#include "store_sqlite_queue.h"

const char store_sqlite_queue_migration[] =
	"CREATE TABLE unit_settings(unit_id TEXT PRIMARY KEY REFERENCES units(id),"
	"  langs TEXT NOT NULL, open_min INTEGER NOT NULL, close_min INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE queue_settings(queue_id TEXT PRIMARY KEY REFERENCES queues(id),"
	"  policy INTEGER NOT NULL, cap INTEGER NOT NULL, fallback_id TEXT REFERENCES queues(id),"
	"  first_days INTEGER NOT NULL, follow_days INTEGER NOT NULL, warn_pct INTEGER NOT NULL,"
	"  rr_last TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE routes(category TEXT NOT NULL, lang TEXT NOT NULL,"
	"  queue_id TEXT NOT NULL REFERENCES queues(id), PRIMARY KEY(category, lang)) WITHOUT ROWID;"
	"CREATE TABLE closed_days(day INTEGER PRIMARY KEY, name TEXT NOT NULL);"
	"CREATE TABLE roster(id INTEGER PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	"  unit_id TEXT NOT NULL REFERENCES units(id), days INTEGER NOT NULL, start_min INTEGER NOT NULL,"
	"  end_min INTEGER NOT NULL, on_holidays INTEGER NOT NULL);"
	"CREATE INDEX roster_by_unit ON roster(unit_id, user_id);"
	"CREATE TABLE duty(user_id TEXT PRIMARY KEY REFERENCES users(id), mode INTEGER NOT NULL,"
	"  until INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE thread_clock(thread_id TEXT PRIMARY KEY REFERENCES threads(id), lang TEXT NOT NULL,"
	"  kind INTEGER NOT NULL, state INTEGER NOT NULL, level INTEGER NOT NULL, start INTEGER NOT NULL,"
	"  used INTEGER NOT NULL, budget INTEGER NOT NULL, warn_at INTEGER NOT NULL, due INTEGER NOT NULL)"
	"  WITHOUT ROWID;"
	"CREATE INDEX thread_clock_running ON thread_clock(state, warn_at);"
	"CREATE INDEX threads_by_assignee ON threads(assignee_id, state);"
	"CREATE TABLE reassignments(id INTEGER PRIMARY KEY, thread_id TEXT NOT NULL REFERENCES threads(id),"
	"  by_user TEXT NOT NULL, from_user TEXT NOT NULL, to_user TEXT NOT NULL, from_queue TEXT NOT NULL,"
	"  to_queue TEXT NOT NULL, reason TEXT NOT NULL, audit_row INTEGER NOT NULL, time INTEGER NOT NULL);"
	"CREATE TABLE notify_contacts(citizen_id TEXT PRIMARY KEY REFERENCES users(id),"
	"  email TEXT NOT NULL, phone TEXT NOT NULL, lang TEXT NOT NULL, updated INTEGER NOT NULL)"
	"  WITHOUT ROWID;"
	"CREATE TABLE notify_outbox(id TEXT PRIMARY KEY, citizen_id TEXT NOT NULL REFERENCES users(id),"
	"  channel INTEGER NOT NULL, state INTEGER NOT NULL, attempts INTEGER NOT NULL,"
	"  next_at INTEGER NOT NULL, attempt_id TEXT NOT NULL, created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE INDEX notify_outbox_due ON notify_outbox(state, next_at);"
	"CREATE INDEX notify_outbox_citizen ON notify_outbox(citizen_id, channel, state);";

enum qstmt {
	Q_UNIT_SET_GET,
	Q_UNIT_SET_PUT,
	Q_QUEUE_GET,
	Q_QUEUE_SET_GET,
	Q_QUEUE_SET_PUT,
	Q_ROUTE_GET,
	Q_ROUTE_PUT,
	Q_ROUTE_DEL,
	Q_CLOSED_PUT,
	Q_CLOSED_DEL,
	Q_CLOSED_LIST,
	Q_ROSTER_ADD,
	Q_ROSTER_DEL,
	Q_ROSTER_LIST,
	Q_DUTY_GET,
	Q_DUTY_PUT,
	Q_DUTY_DEL,
	Q_MEMBERS,
	Q_CLOCK_GET,
	Q_CLOCK_PUT,
	Q_CLOCK_DUE,
	Q_QUEUE_STATS,
	Q_REASSIGN,
	Q_CONTACT_GET,
	Q_CONTACT_PUT,
	Q_CONTACT_DEL,
	Q_OUTBOX_CANCEL,
	Q_OUTBOX_UNSENT,
	Q_OUTBOX_ADD,
	Q_OUTBOX_NEXT,
	Q_OUTBOX_GET,
	Q_OUTBOX_UPDATE,
	Q_OUTBOX_RECOVER,
	Q__COUNT
};

#define CLOCK_COLUMNS  "thread_id, lang, kind, state, level, start, used, budget, warn_at, due"
#define OUTBOX_COLUMNS "id, citizen_id, channel, state, attempts, next_at, attempt_id, created, updated"

static const char *const qsql[Q__COUNT] = {
	[Q_UNIT_SET_GET] = "SELECT langs, open_min, close_min FROM unit_settings WHERE unit_id = ?1",
	[Q_UNIT_SET_PUT] = "INSERT OR REPLACE INTO unit_settings(unit_id, langs, open_min, close_min)"
			   " VALUES(?1, ?2, ?3, ?4)",
	[Q_QUEUE_GET] = "SELECT id, unit_id, category, name FROM queues WHERE id = ?1",
	[Q_QUEUE_SET_GET] = "SELECT policy, cap, ifnull(fallback_id, ''), first_days, follow_days, warn_pct,"
			    " rr_last FROM queue_settings WHERE queue_id = ?1",
	[Q_QUEUE_SET_PUT] = "INSERT OR REPLACE INTO queue_settings(queue_id, policy, cap, fallback_id,"
			    " first_days, follow_days, warn_pct, rr_last)"
			    " VALUES(?1, ?2, ?3, nullif(?4, ''), ?5, ?6, ?7, ?8)",
	[Q_ROUTE_GET] = "SELECT queue_id FROM routes WHERE category = ?1 AND lang = ?2",
	[Q_ROUTE_PUT] = "INSERT OR REPLACE INTO routes(category, lang, queue_id) VALUES(?1, ?2, ?3)",
	[Q_ROUTE_DEL] = "DELETE FROM routes WHERE category = ?1 AND lang = ?2",
	[Q_CLOSED_PUT] = "INSERT OR REPLACE INTO closed_days(day, name) VALUES(?1, ?2)",
	[Q_CLOSED_DEL] = "DELETE FROM closed_days WHERE day = ?1",
	[Q_CLOSED_LIST] = "SELECT day FROM closed_days ORDER BY day",
	[Q_ROSTER_ADD] = "INSERT INTO roster(user_id, unit_id, days, start_min, end_min, on_holidays)"
			 " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_ROSTER_DEL] = "DELETE FROM roster WHERE id = ?1",
	[Q_ROSTER_LIST] = "SELECT id, user_id, unit_id, days, start_min, end_min, on_holidays FROM roster"
			  " WHERE (?1 = '' OR unit_id = ?1) AND (?2 IS NULL OR user_id = ?2)"
			  " ORDER BY unit_id, user_id, id",
	[Q_DUTY_GET] = "SELECT mode, until, updated FROM duty WHERE user_id = ?1",
	[Q_DUTY_PUT] = "INSERT OR REPLACE INTO duty(user_id, mode, until, updated) VALUES(?1, ?2, ?3, ?4)",
	[Q_DUTY_DEL] = "DELETE FROM duty WHERE user_id = ?1",
	[Q_MEMBERS] = "SELECT m.user_id, w.username, m.role,"
		      " (SELECT count(*) FROM threads t WHERE t.assignee_id = m.user_id AND t.state != 4)"
		      " FROM memberships m JOIN workers w ON w.user_id = m.user_id"
		      " WHERE m.unit_id = ?1 ORDER BY m.user_id",
	[Q_CLOCK_GET] = "SELECT " CLOCK_COLUMNS " FROM thread_clock WHERE thread_id = ?1",
	[Q_CLOCK_PUT] = "INSERT OR REPLACE INTO thread_clock(" CLOCK_COLUMNS ")"
			" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[Q_CLOCK_DUE] = "SELECT " CLOCK_COLUMNS " FROM thread_clock WHERE state = 1"
			" AND ((level = 0 AND warn_at <= ?1) OR (level < 2 AND due <= ?1))"
			" ORDER BY due LIMIT ?2",
	[Q_QUEUE_STATS] = "SELECT q.id, q.category,"
			  " count(t.id) FILTER (WHERE t.state = 0),"
			  " ifnull(min(t.created) FILTER (WHERE t.state = 0), 0),"
			  " count(c.thread_id) FILTER (WHERE c.state = 1 AND c.level = 1),"
			  " count(c.thread_id) FILTER (WHERE c.state = 1 AND c.level = 2),"
			  " count(t.id) FILTER (WHERE t.state != 4)"
			  " FROM queues q LEFT JOIN threads t ON t.queue_id = q.id"
			  " LEFT JOIN thread_clock c ON c.thread_id = t.id"
			  " WHERE q.unit_id = ?1 GROUP BY q.id ORDER BY q.category",
	[Q_REASSIGN] = "INSERT INTO reassignments(thread_id, by_user, from_user, to_user, from_queue,"
		       " to_queue, reason, audit_row, time) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_CONTACT_GET] = "SELECT email, phone, lang, updated FROM notify_contacts WHERE citizen_id = ?1",
	[Q_CONTACT_PUT] = "INSERT OR REPLACE INTO notify_contacts(citizen_id, email, phone, lang, updated)"
			  " VALUES(?1, ?2, ?3, ?4, ?5)",
	[Q_CONTACT_DEL] = "DELETE FROM notify_contacts WHERE citizen_id = ?1",
	[Q_OUTBOX_CANCEL] = "UPDATE notify_outbox SET state = 4 WHERE citizen_id = ?1 AND state = 0",
	[Q_OUTBOX_UNSENT] = "SELECT 1 FROM notify_outbox WHERE citizen_id = ?1 AND channel = ?2"
			    " AND state = 0 LIMIT 1", /* not into one being sent: it may be out already */
	[Q_OUTBOX_ADD] =
		"INSERT INTO notify_outbox(" OUTBOX_COLUMNS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_OUTBOX_NEXT] = "SELECT " OUTBOX_COLUMNS " FROM notify_outbox WHERE state = 0 AND next_at <= ?1"
			  " ORDER BY next_at, created LIMIT 1",
	[Q_OUTBOX_GET] = "SELECT " OUTBOX_COLUMNS " FROM notify_outbox WHERE id = ?1",
	[Q_OUTBOX_UPDATE] =
		"UPDATE notify_outbox SET state = ?2, attempts = ?3, next_at = ?4, attempt_id = ?5,"
		" updated = ?6 WHERE id = ?1",
	[Q_OUTBOX_RECOVER] = "UPDATE notify_outbox SET state = 0, next_at = ?1, updated = ?1 WHERE state = 1",
};

struct sqq_cache {
	sqlite3_stmt *s[Q__COUNT];
};

void store_sqlite_queue_close(struct sqq_cache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(c->s[i]);
	free(c);
}

/* The prepared statement `id`, reset and unbound; NULL when it cannot be prepared. */
static sqlite3_stmt *qstmt(struct store *st, enum qstmt id)
{
	struct sqq_cache **slot = store_sqlite_queue_slot(st);
	sqlite3 *db = store_sqlite_db(st);

	if (*slot == NULL && (*slot = calloc(1, sizeof **slot)) == NULL)
		return NULL;
	if ((*slot)->s[id] == NULL && sqlite3_prepare_v3(db, qsql[id], -1, SQLITE_PREPARE_PERSISTENT,
							 &(*slot)->s[id], NULL) != SQLITE_OK) {
		log_err("prepare queue statement %d: %s", id, sqlite3_errmsg(db));
		return NULL;
	}
	sqlite3_reset((*slot)->s[id]);
	sqlite3_clear_bindings((*slot)->s[id]);
	return (*slot)->s[id];
}

/* Unit and queue settings */

int sqq_unit_settings_get(struct store *st, const char *unit_id, struct store_unit_settings *out)
{
	sqlite3_stmt *q = qstmt(st, Q_UNIT_SET_GET);
	int rc;

	memset(out, 0, sizeof *out);
	snprintf(out->unit_id, sizeof out->unit_id, "%s", unit_id);
	out->open_min = 8 * 60;
	out->close_min = 16 * 60;
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_OK : rc;
	sqs_text(out->langs, sizeof out->langs, q, 0);
	out->open_min = sqlite3_column_int(q, 1);
	out->close_min = sqlite3_column_int(q, 2);
	sqlite3_reset(q);
	return STORE_OK;
}

int sqq_unit_settings_put(struct store *st, const struct store_unit_settings *s)
{
	sqlite3_stmt *q = qstmt(st, Q_UNIT_SET_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, s->unit_id);
	sqs_bind_text(q, 2, s->langs);
	sqlite3_bind_int(q, 3, s->open_min);
	sqlite3_bind_int(q, 4, s->close_min);
	return sqs_run(st, q);
}

int sqq_queue_get(struct store *st, const char *queue_id, struct store_queue *out)
{
	sqlite3_stmt *q = qstmt(st, Q_QUEUE_GET);
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

int sqq_queue_settings_get(struct store *st, const char *queue_id, struct store_queue_settings *out)
{
	sqlite3_stmt *q = qstmt(st, Q_QUEUE_SET_GET);
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

int sqq_queue_settings_put(struct store *st, const struct store_queue_settings *s)
{
	sqlite3_stmt *q = qstmt(st, Q_QUEUE_SET_PUT);

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

int sqq_route_get(struct store *st, const char *category, const char *lang, char queue_id[STORE_ID_SIZE])
{
	sqlite3_stmt *q = qstmt(st, Q_ROUTE_GET);
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

int sqq_route_put(struct store *st, const char *category, const char *lang, const char *queue_id)
{
	sqlite3_stmt *q = qstmt(st, queue_id[0] ? Q_ROUTE_PUT : Q_ROUTE_DEL);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, category);
	sqs_bind_text(q, 2, lang);
	if (queue_id[0])
		sqs_bind_text(q, 3, queue_id);
	return queue_id[0] ? sqs_run(st, q) : sqs_run_change(st, q);
}

int sqq_closed_day_put(struct store *st, int32_t day, const char *name)
{
	sqlite3_stmt *q = qstmt(st, Q_CLOSED_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(q, 1, day);
	sqs_bind_text(q, 2, name);
	return sqs_run(st, q);
}

int sqq_closed_day_delete(struct store *st, int32_t day)
{
	sqlite3_stmt *q = qstmt(st, Q_CLOSED_DEL);

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(q, 1, day);
	return sqs_run_change(st, q);
}

int sqq_closed_day_list(struct store *st, int32_t *out, size_t max, size_t *n)
{
	sqlite3_stmt *q = qstmt(st, Q_CLOSED_LIST);
	int rc;

	*n = 0;
	if (q == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < max)
		out[(*n)++] = sqlite3_column_int(q, 0);
	return sqs_done(q, rc);
}

/* Roster and duty */

int sqq_roster_add(struct store *st, struct store_roster *r)
{
	sqlite3_stmt *q = qstmt(st, Q_ROSTER_ADD);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, r->user_id);
	sqs_bind_text(q, 2, r->unit_id);
	sqlite3_bind_int(q, 3, (int)r->days);
	sqlite3_bind_int(q, 4, r->start_min);
	sqlite3_bind_int(q, 5, r->end_min);
	sqlite3_bind_int(q, 6, r->on_holidays);
	if ((rc = sqs_run(st, q)) == STORE_OK)
		r->id = sqlite3_last_insert_rowid(store_sqlite_db(st));
	return rc;
}

int sqq_roster_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *q = qstmt(st, Q_ROSTER_DEL);

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, id);
	return sqs_run_change(st, q);
}

int sqq_roster_list(struct store *st, const char *unit_id, const char *user_id, store_roster_cb cb, void *arg)
{
	sqlite3_stmt *q = qstmt(st, Q_ROSTER_LIST);
	struct store_roster r;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id ? unit_id : "");
	if (user_id != NULL)
		sqs_bind_text(q, 2, user_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&r, 0, sizeof r);
		r.id = sqlite3_column_int64(q, 0);
		sqs_text(r.user_id, sizeof r.user_id, q, 1);
		sqs_text(r.unit_id, sizeof r.unit_id, q, 2);
		r.days = (unsigned)sqlite3_column_int(q, 3);
		r.start_min = sqlite3_column_int(q, 4);
		r.end_min = sqlite3_column_int(q, 5);
		r.on_holidays = sqlite3_column_int(q, 6);
		if (cb(arg, &r) != 0)
			break;
	}
	return sqs_done(q, rc);
}

int sqq_duty_get(struct store *st, const char *user_id, struct store_duty *out)
{
	sqlite3_stmt *q = qstmt(st, Q_DUTY_GET);
	int rc;

	memset(out, 0, sizeof *out);
	snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_OK : rc;
	out->mode = sqlite3_column_int(q, 0);
	out->until = sqlite3_column_int64(q, 1);
	out->updated = sqlite3_column_int64(q, 2);
	sqlite3_reset(q);
	return STORE_OK;
}

int sqq_duty_put(struct store *st, const struct store_duty *d)
{
	sqlite3_stmt *q = qstmt(st, d->mode == 0 ? Q_DUTY_DEL : Q_DUTY_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, d->user_id);
	if (d->mode != 0) {
		sqlite3_bind_int(q, 2, d->mode);
		sqlite3_bind_int64(q, 3, d->until);
		sqlite3_bind_int64(q, 4, d->updated);
	}
	return sqs_run(st, q);
}

int sqq_unit_members(struct store *st, const char *unit_id, store_member_cb cb, void *arg)
{
	sqlite3_stmt *q = qstmt(st, Q_MEMBERS);
	struct store_member m;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, unit_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&m, 0, sizeof m);
		sqs_text(m.user_id, sizeof m.user_id, q, 0);
		sqs_text(m.username, sizeof m.username, q, 1);
		m.role = (enum store_role)sqlite3_column_int(q, 2);
		m.load = sqlite3_column_int(q, 3);
		if (cb(arg, &m) != 0)
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

int sqq_clock_get(struct store *st, const char *thread_id, struct store_clock *out)
{
	sqlite3_stmt *q = qstmt(st, Q_CLOCK_GET);
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

int sqq_clock_put(struct store *st, const struct store_clock *c)
{
	sqlite3_stmt *q = qstmt(st, Q_CLOCK_PUT);

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
	return sqs_run(st, q);
}

int sqq_clock_due(struct store *st, int64_t now, int limit, store_clock_cb cb, void *arg)
{
	sqlite3_stmt *q = qstmt(st, Q_CLOCK_DUE);
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

int sqq_queue_stats(struct store *st, const char *unit_id, store_queue_stats_cb cb, void *arg)
{
	sqlite3_stmt *q = qstmt(st, Q_QUEUE_STATS);
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

int sqq_reassign_insert(struct store *st, const struct store_reassign *r)
{
	sqlite3_stmt *q = qstmt(st, Q_REASSIGN);

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

/* Notification contacts and outbox */

int sqq_contact_get(struct store *st, const char *citizen_id, struct store_contact *out)
{
	sqlite3_stmt *q = qstmt(st, Q_CONTACT_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, citizen_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->citizen_id, sizeof out->citizen_id, "%s", citizen_id);
	sqs_text(out->email, sizeof out->email, q, 0);
	sqs_text(out->phone, sizeof out->phone, q, 1);
	sqs_text(out->lang, sizeof out->lang, q, 2);
	out->updated = sqlite3_column_int64(q, 3);
	sqlite3_reset(q);
	return STORE_OK;
}

int sqq_contact_put(struct store *st, const struct store_contact *c)
{
	sqlite3_stmt *q = qstmt(st, Q_CONTACT_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, c->citizen_id);
	sqs_bind_text(q, 2, c->email);
	sqs_bind_text(q, 3, c->phone);
	sqs_bind_text(q, 4, c->lang);
	sqlite3_bind_int64(q, 5, c->updated);
	return sqs_run(st, q);
}

int sqq_contact_delete(struct store *st, const char *citizen_id)
{
	sqlite3_stmt *q = qstmt(st, Q_OUTBOX_CANCEL);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, citizen_id);
	if ((rc = sqs_run(st, q)) != STORE_OK)
		return rc;
	if ((q = qstmt(st, Q_CONTACT_DEL)) == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, citizen_id);
	return sqs_run_change(st, q);
}

int sqq_outbox_add(struct store *st, const struct store_outbox *o)
{
	sqlite3_stmt *q = qstmt(st, Q_OUTBOX_UNSENT);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, o->citizen_id);
	sqlite3_bind_int(q, 2, o->channel);
	rc = sqs_one(st, q);
	if (rc == SQLITE_ROW) {
		sqlite3_reset(q);
		return STORE_EXISTS;
	}
	if (rc != STORE_NOTFOUND)
		return rc;
	if ((q = qstmt(st, Q_OUTBOX_ADD)) == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, o->id);
	sqs_bind_text(q, 2, o->citizen_id);
	sqlite3_bind_int(q, 3, o->channel);
	sqlite3_bind_int(q, 4, o->state);
	sqlite3_bind_int(q, 5, o->attempts);
	sqlite3_bind_int64(q, 6, o->next_at);
	sqs_bind_text(q, 7, o->attempt_id);
	sqlite3_bind_int64(q, 8, o->created);
	sqlite3_bind_int64(q, 9, o->updated);
	return sqs_run(st, q);
}

static void read_outbox(sqlite3_stmt *q, struct store_outbox *o)
{
	memset(o, 0, sizeof *o);
	sqs_text(o->id, sizeof o->id, q, 0);
	sqs_text(o->citizen_id, sizeof o->citizen_id, q, 1);
	o->channel = sqlite3_column_int(q, 2);
	o->state = sqlite3_column_int(q, 3);
	o->attempts = sqlite3_column_int(q, 4);
	o->next_at = sqlite3_column_int64(q, 5);
	sqs_text(o->attempt_id, sizeof o->attempt_id, q, 6);
	o->created = sqlite3_column_int64(q, 7);
	o->updated = sqlite3_column_int64(q, 8);
}

int sqq_outbox_next(struct store *st, int64_t now, struct store_outbox *out)
{
	sqlite3_stmt *q = qstmt(st, Q_OUTBOX_NEXT);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, now);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_outbox(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

int sqq_outbox_get(struct store *st, const char *id, struct store_outbox *out)
{
	sqlite3_stmt *q = qstmt(st, Q_OUTBOX_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_outbox(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

int sqq_outbox_update(struct store *st, const struct store_outbox *o)
{
	sqlite3_stmt *q = qstmt(st, Q_OUTBOX_UPDATE);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, o->id);
	sqlite3_bind_int(q, 2, o->state);
	sqlite3_bind_int(q, 3, o->attempts);
	sqlite3_bind_int64(q, 4, o->next_at);
	sqs_bind_text(q, 5, o->attempt_id);
	sqlite3_bind_int64(q, 6, o->updated);
	return sqs_run_change(st, q);
}

int sqq_outbox_recover(struct store *st, int64_t now)
{
	sqlite3_stmt *q = qstmt(st, Q_OUTBOX_RECOVER);

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, now);
	return sqs_run(st, q);
}
