/*
 * store_sqlite_thread.c - threads and their messages in the SQLite store (struct
 * store_thread_ops). A thread's unit and category are read from its queue. Each insert and
 * update of a thread, and each raised read state, takes the next value of the change counter
 * (sqs_change_next); a trigger of migration 6 records the departures of threads from units.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

enum thread_stmt {
	S_THREAD_INSERT,
	S_THREAD_GET,
	S_THREAD_UPDATE,
	S_THREAD_POSTED,
	S_THREAD_POSTED_STATE,
	S_VIEW_CITIZEN_ALL,
	S_VIEW_MEMBER_ALL,
	S_VIEW_CITIZEN_CHANGED,
	S_VIEW_MEMBER_CHANGED,
	S_VIEW_ONE,
	S_DEPARTURES,
	S_READ_SET,
	S_MESSAGE_INSERT,
	S_MESSAGE_LIST,
	S_USAGE_GET,
	S_USAGE_ADD,
	STMT__COUNT
};

#define THREAD_COLUMNS                                                                                       \
	"t.id, t.citizen_id, t.queue_id, q.unit_id, q.category, ifnull(t.assignee_id, ''), "                 \
	"t.state, t.created, t.updated, t.last_seq"

/* A thread as user ?1 sees it: THREAD_COLUMNS (0..9), then change, read_seq, unread (10..12),
 * then the clock's kind, state, level, due, warn_at (13..17; NULL when none). */
#define VIEW_SELECT                                                                                          \
	"SELECT " THREAD_COLUMNS ", max(t.change_no, ifnull(r.change_no, 0)) AS ch,"                         \
	" ifnull(r.read_seq, 0), (SELECT count(*) FROM messages m WHERE m.thread_id = t.id"                  \
	" AND m.seq > ifnull(r.read_seq, 0) AND m.sender_id != ?1),"                                         \
	" c.kind, c.state, c.level, c.due, c.warn_at"                                                        \
	" FROM threads t JOIN queues q ON q.id = t.queue_id"                                                 \
	" LEFT JOIN read_state r ON r.user_id = ?1 AND r.thread_id = t.id"                                   \
	" LEFT JOIN thread_clock c ON c.thread_id = t.id"
#define VIEW_MEMBER " JOIN memberships ms ON ms.unit_id = q.unit_id AND ms.user_id = ?1"
/* ?2 state mask, ?3 assignee filter, ?4/?5 the (id, updated) the page comes after (?5 -1: none). */
#define VIEW_FILTER                                                                                          \
	"(?2 = 0 OR (?2 >> t.state) & 1) AND (?3 = 0 OR (?3 = 1 AND t.assignee_id = ?1)"                     \
	" OR (?3 = 2 AND t.assignee_id IS NULL))"                                                            \
	" AND (?5 < 0 OR t.updated < ?5 OR (t.updated = ?5 AND t.id < ?4))"
#define VIEW_BY_ACTIVITY " ORDER BY t.updated DESC, t.id DESC LIMIT ?6"
/* ?2 the change after which; the read states of ?1 changed since count too. */
#define VIEW_CHANGED                                                                                         \
	"(t.change_no > ?2 OR t.id IN (SELECT thread_id FROM read_state"                                     \
	" WHERE user_id = ?1 AND change_no > ?2))"
#define VIEW_BY_CHANGE " ORDER BY ch, t.id LIMIT ?6"

static const char *const stmt_sql[STMT__COUNT] = {
	[S_THREAD_INSERT] = "INSERT INTO threads(id, citizen_id, queue_id, assignee_id, state,"
			    " created, updated, last_seq, change_no)"
			    " VALUES(?1, ?2, ?3, nullif(?4, ''), ?5, ?6, ?7, ?8, ?9)",
	/* THREAD_COLUMNS, then whether it is restricted and its clock's state (-1: none). */
	[S_THREAD_GET] = "SELECT " THREAD_COLUMNS ", ifnull(r.restricted, 0), ifnull(c.state, -1)"
			 " FROM threads t JOIN queues q ON q.id = t.queue_id"
			 " LEFT JOIN thread_restrictions r ON r.thread_id = t.id"
			 " LEFT JOIN thread_clock c ON c.thread_id = t.id WHERE t.id = ?1",
	[S_THREAD_UPDATE] = "UPDATE threads SET state = ?2, assignee_id = nullif(?3, ''),"
			    " updated = ?4, last_seq = ?5, queue_id = ?6, change_no = ?7 WHERE id = ?1",
	/* A new message: without state (the common case) no trigger runs and only the change
	 * index is rewritten. */
	[S_THREAD_POSTED] = "UPDATE threads SET updated = ?2, last_seq = ?3, change_no = ?4 WHERE id = ?1",
	[S_THREAD_POSTED_STATE] = "UPDATE threads SET updated = ?2, last_seq = ?3, change_no = ?4, state = ?5"
				  " WHERE id = ?1",
	[S_VIEW_CITIZEN_ALL] = VIEW_SELECT " WHERE t.citizen_id = ?1 AND " VIEW_FILTER VIEW_BY_ACTIVITY,
	[S_VIEW_MEMBER_ALL] = VIEW_SELECT VIEW_MEMBER " WHERE " VIEW_FILTER VIEW_BY_ACTIVITY,
	[S_VIEW_CITIZEN_CHANGED] = VIEW_SELECT " WHERE t.citizen_id = ?1 AND " VIEW_CHANGED VIEW_BY_CHANGE,
	[S_VIEW_MEMBER_CHANGED] = VIEW_SELECT VIEW_MEMBER " WHERE " VIEW_CHANGED VIEW_BY_CHANGE,
	[S_VIEW_ONE] = VIEW_SELECT " WHERE t.id = ?2",
	[S_DEPARTURES] = "SELECT d.thread_id, max(d.change_no) AS ch FROM thread_departures d"
			 " JOIN memberships m ON m.unit_id = d.unit_id AND m.user_id = ?1"
			 " WHERE d.change_no > ?2 AND NOT EXISTS (SELECT 1 FROM threads t"
			 " JOIN queues q ON q.id = t.queue_id"
			 " JOIN memberships n ON n.unit_id = q.unit_id AND n.user_id = ?1"
			 " WHERE t.id = d.thread_id)"
			 " GROUP BY d.thread_id ORDER BY ch LIMIT ?3",
	[S_READ_SET] =
		"INSERT INTO read_state(user_id, thread_id, read_seq, change_no) VALUES(?1, ?2, ?3, ?4)"
		" ON CONFLICT(user_id, thread_id) DO UPDATE SET read_seq = excluded.read_seq,"
		" change_no = excluded.change_no WHERE excluded.read_seq > read_state.read_seq",
	[S_MESSAGE_INSERT] = "INSERT INTO messages(thread_id, seq, sender_id, sender_role, created,"
			     " body, msg_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_MESSAGE_LIST] = "SELECT thread_id, seq, sender_id, sender_role, created, body"
			   " FROM messages WHERE thread_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
	/* A citizen's counts (migration 10): open threads from the triggers; the day's threads and
	 * bytes count for day ?2 only, and a later day starts them from zero. */
	[S_USAGE_GET] = "SELECT open, iif(day = ?2, threads, 0), iif(day = ?2, bytes, 0)"
			" FROM citizen_usage WHERE citizen_id = ?1",
	[S_USAGE_ADD] = "INSERT INTO citizen_usage VALUES(?1, 0, ?2, ?3, ?4) ON CONFLICT(citizen_id)"
			" DO UPDATE SET threads = iif(day = ?2, threads, 0) + ?3,"
			" bytes = iif(day = ?2, bytes, 0) + ?4, day = ?2",
};

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum thread_stmt id)
{
	return sqs_kept(st, SQS_THREAD, stmt_sql, STMT__COUNT, (int)id);
}

/* Threads */

static int thread_insert(struct store *st, const struct store_thread *t)
{
	sqlite3_stmt *q = stmt(st, S_THREAD_INSERT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, t->id);
	sqs_bind_text(q, 2, t->citizen_id);
	sqs_bind_text(q, 3, t->queue_id);
	sqs_bind_text(q, 4, t->assignee_id);
	sqlite3_bind_int(q, 5, t->state);
	sqlite3_bind_int64(q, 6, t->created);
	sqlite3_bind_int64(q, 7, t->updated);
	sqlite3_bind_int64(q, 8, t->last_seq);
	sqlite3_bind_int64(q, 9, sqs_change_next(st));
	return sqs_run(st, q);
}

static void read_thread(sqlite3_stmt *q, struct store_thread *t)
{
	memset(t, 0, sizeof *t);
	sqs_text(t->id, sizeof t->id, q, 0);
	sqs_text(t->citizen_id, sizeof t->citizen_id, q, 1);
	sqs_text(t->queue_id, sizeof t->queue_id, q, 2);
	sqs_text(t->unit_id, sizeof t->unit_id, q, 3);
	sqs_text(t->category, sizeof t->category, q, 4);
	sqs_text(t->assignee_id, sizeof t->assignee_id, q, 5);
	t->state = (enum thread_state)sqlite3_column_int(q, 6);
	t->created = sqlite3_column_int64(q, 7);
	t->updated = sqlite3_column_int64(q, 8);
	t->last_seq = sqlite3_column_int64(q, 9);
}

static int thread_get(struct store *st, const char *id, struct store_thread *out)
{
	sqlite3_stmt *q = stmt(st, S_THREAD_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_thread(q, out);
	out->has_extras = 1;
	out->restricted = sqlite3_column_int(q, 10) != 0;
	out->clock_state = sqlite3_column_int(q, 11);
	sqlite3_reset(q);
	return STORE_OK;
}

static int thread_update(struct store *st, const struct store_thread *t)
{
	sqlite3_stmt *q = stmt(st, S_THREAD_UPDATE);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, t->id);
	sqlite3_bind_int(q, 2, t->state);
	sqs_bind_text(q, 3, t->assignee_id);
	sqlite3_bind_int64(q, 4, t->updated);
	sqlite3_bind_int64(q, 5, t->last_seq);
	sqs_bind_text(q, 6, t->queue_id);
	sqlite3_bind_int64(q, 7, sqs_change_next(st));
	return sqs_run_change(st, q);
}

static int thread_posted(struct store *st, const struct store_thread *t, int state_changed)
{
	sqlite3_stmt *q = stmt(st, state_changed ? S_THREAD_POSTED_STATE : S_THREAD_POSTED);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, t->id);
	sqlite3_bind_int64(q, 2, t->updated);
	sqlite3_bind_int64(q, 3, t->last_seq);
	sqlite3_bind_int64(q, 4, sqs_change_next(st));
	if (state_changed)
		sqlite3_bind_int(q, 5, t->state);
	return sqs_run_change(st, q);
}

/* Reads a row of VIEW_SELECT. */
static void read_view(sqlite3_stmt *q, struct store_thread_view *v)
{
	memset(v, 0, sizeof *v);
	read_thread(q, &v->t);
	v->change = sqlite3_column_int64(q, 10);
	v->read_seq = sqlite3_column_int64(q, 11);
	v->unread = sqlite3_column_int64(q, 12);
	v->has_clock = sqlite3_column_type(q, 13) != SQLITE_NULL;
	if (!v->has_clock)
		return;
	snprintf(v->clock.thread_id, sizeof v->clock.thread_id, "%s", v->t.id);
	v->clock.kind = sqlite3_column_int(q, 13);
	v->clock.state = sqlite3_column_int(q, 14);
	v->clock.level = sqlite3_column_int(q, 15);
	v->clock.due = sqlite3_column_int64(q, 16);
	v->clock.warn_at = sqlite3_column_int64(q, 17);
}

static int thread_list_view(struct store *st, const struct store_thread_query *qr, store_thread_view_cb cb,
			    void *arg)
{
	int changed = qr->changed_since >= 0;
	enum thread_stmt id = changed ? (qr->citizen ? S_VIEW_CITIZEN_CHANGED : S_VIEW_MEMBER_CHANGED)
				      : (qr->citizen ? S_VIEW_CITIZEN_ALL : S_VIEW_MEMBER_ALL);
	sqlite3_stmt *q = stmt(st, id);
	struct store_thread_view v;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, qr->user_id);
	if (changed) {
		sqlite3_bind_int64(q, 2, qr->changed_since);
	} else {
		sqlite3_bind_int64(q, 2, qr->state_mask);
		sqlite3_bind_int(q, 3, qr->assignee);
		sqs_bind_text(q, 4, qr->before_id ? qr->before_id : "");
		sqlite3_bind_int64(q, 5, qr->before_id ? qr->before_updated : -1);
	}
	sqlite3_bind_int(q, 6, qr->limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_view(q, &v);
		if (cb(arg, &v) != 0)
			break;
	}
	return sqs_done(q, rc);
}

static int thread_view(struct store *st, const char *thread_id, const char *user_id,
		       struct store_thread_view *out)
{
	sqlite3_stmt *q = stmt(st, S_VIEW_ONE);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	sqs_bind_text(q, 2, thread_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_view(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

static int thread_departures(struct store *st, const char *user_id, int64_t since, int limit,
			     store_departure_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, S_DEPARTURES);
	char id[STORE_ID_SIZE];
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	sqlite3_bind_int64(q, 2, since);
	sqlite3_bind_int(q, 3, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		sqs_text(id, sizeof id, q, 0);
		if (cb(arg, id, sqlite3_column_int64(q, 1)) != 0)
			break;
	}
	return sqs_done(q, rc);
}

static int read_set(struct store *st, const char *user_id, const char *thread_id, int64_t seq)
{
	sqlite3_stmt *q = stmt(st, S_READ_SET);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	sqs_bind_text(q, 2, thread_id);
	sqlite3_bind_int64(q, 3, seq);
	sqlite3_bind_int64(q, 4, sqs_change_next(st)); /* unused when the state does not rise */
	return sqs_run(st, q);
}

static int change_now(struct store *st, int64_t *out)
{
	*out = sqs_change_now(st);
	return STORE_OK;
}

/* Messages */

static int message_insert(struct store *st, const struct store_message *m)
{
	sqlite3_stmt *q = stmt(st, S_MESSAGE_INSERT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, m->thread_id);
	sqlite3_bind_int64(q, 2, m->seq);
	sqs_bind_text(q, 3, m->sender_id);
	sqlite3_bind_int(q, 4, m->sender_role);
	sqlite3_bind_int64(q, 5, m->created);
	sqlite3_bind_blob(q, 6, m->body, (int)m->body_len, SQLITE_STATIC);
	if (m->has_message_id)
		sqlite3_bind_blob(q, 7, m->message_id, sizeof m->message_id, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 7);
	return sqs_run(st, q);
}

static int message_list(struct store *st, const char *thread_id, int64_t after_seq, int limit,
			store_message_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, S_MESSAGE_LIST);
	struct store_message m;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, thread_id);
	sqlite3_bind_int64(q, 2, after_seq);
	sqlite3_bind_int(q, 3, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&m, 0, sizeof m);
		sqs_text(m.thread_id, sizeof m.thread_id, q, 0);
		m.seq = sqlite3_column_int64(q, 1);
		sqs_text(m.sender_id, sizeof m.sender_id, q, 2);
		m.sender_role = (enum store_role)sqlite3_column_int(q, 3);
		m.created = sqlite3_column_int64(q, 4);
		m.body = sqlite3_column_blob(q, 5);
		m.body_len = (size_t)sqlite3_column_bytes(q, 5);
		if (cb(arg, &m) != 0)
			break;
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

static int usage_get(struct store *st, const char *citizen_id, int32_t day, struct store_usage *out)
{
	sqlite3_stmt *q = stmt(st, S_USAGE_GET);
	int rc;

	memset(out, 0, sizeof *out);
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, citizen_id);
	sqlite3_bind_int(q, 2, day);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		out->open = sqlite3_column_int64(q, 0);
		out->threads = sqlite3_column_int64(q, 1);
		out->bytes = sqlite3_column_int64(q, 2);
	}
	return sqs_done(q, rc);
}

static int usage_add(struct store *st, const char *citizen_id, int32_t day, int64_t threads, int64_t bytes)
{
	sqlite3_stmt *q = stmt(st, S_USAGE_ADD);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, citizen_id);
	sqlite3_bind_int(q, 2, day);
	sqlite3_bind_int64(q, 3, threads);
	sqlite3_bind_int64(q, 4, bytes);
	return sqs_run(st, q);
}

const struct store_thread_ops store_sqlite_thread_ops = {
	.insert = thread_insert,
	.get = thread_get,
	.update = thread_update,
	.posted = thread_posted,
	.list_view = thread_list_view,
	.view = thread_view,
	.departures = thread_departures,
	.read_set = read_set,
	.change_now = change_now,
	.message_insert = message_insert,
	.message_list = message_list,
	.usage_get = usage_get,
	.usage_add = usage_add,
};
