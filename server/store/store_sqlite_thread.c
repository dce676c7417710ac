/*
 * store_sqlite_thread.c - threads and their messages in the SQLite store (struct
 * store_thread_ops). A thread's unit and category are read from its queue.
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
	S_THREAD_LIST_CITIZEN,
	S_THREAD_LIST_MEMBER,
	S_MESSAGE_INSERT,
	S_MESSAGE_LIST,
	STMT__COUNT
};

#define THREAD_COLUMNS                                                                                       \
	"t.id, t.citizen_id, t.queue_id, q.unit_id, q.category, ifnull(t.assignee_id, ''), "                 \
	"t.state, t.created, t.updated, t.last_seq"

static const char *const stmt_sql[STMT__COUNT] = {
	[S_THREAD_INSERT] = "INSERT INTO threads(id, citizen_id, queue_id, assignee_id, state,"
			    " created, updated, last_seq) VALUES(?1, ?2, ?3, nullif(?4, ''), ?5, ?6, ?7, ?8)",
	[S_THREAD_GET] = "SELECT " THREAD_COLUMNS " FROM threads t JOIN queues q ON q.id = t.queue_id"
			 " WHERE t.id = ?1",
	[S_THREAD_UPDATE] = "UPDATE threads SET state = ?2, assignee_id = nullif(?3, ''),"
			    " updated = ?4, last_seq = ?5, queue_id = ?6 WHERE id = ?1",
	[S_THREAD_LIST_CITIZEN] = "SELECT " THREAD_COLUMNS " FROM threads t"
				  " JOIN queues q ON q.id = t.queue_id"
				  " WHERE t.citizen_id = ?1 AND t.id > ?2 ORDER BY t.id LIMIT ?3",
	[S_THREAD_LIST_MEMBER] = "SELECT " THREAD_COLUMNS " FROM threads t"
				 " JOIN queues q ON q.id = t.queue_id"
				 " JOIN memberships m ON m.unit_id = q.unit_id AND m.user_id = ?1"
				 " WHERE t.id > ?2 ORDER BY t.id LIMIT ?3",
	[S_MESSAGE_INSERT] = "INSERT INTO messages(thread_id, seq, sender_id, sender_role, created,"
			     " body) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_MESSAGE_LIST] = "SELECT thread_id, seq, sender_id, sender_role, created, body"
			   " FROM messages WHERE thread_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
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
	return sqs_run_change(st, q);
}

static int thread_list(struct store *st, enum thread_stmt id, const char *key, const char *after_id,
		       int limit, store_thread_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, id);
	struct store_thread t;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, key);
	sqs_bind_text(q, 2, after_id ? after_id : "");
	sqlite3_bind_int(q, 3, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_thread(q, &t);
		if (cb(arg, &t) != 0)
			break;
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

static int thread_list_citizen(struct store *st, const char *citizen_id, const char *after_id, int limit,
			       store_thread_cb cb, void *arg)
{
	return thread_list(st, S_THREAD_LIST_CITIZEN, citizen_id, after_id, limit, cb, arg);
}

static int thread_list_member(struct store *st, const char *user_id, const char *after_id, int limit,
			      store_thread_cb cb, void *arg)
{
	return thread_list(st, S_THREAD_LIST_MEMBER, user_id, after_id, limit, cb, arg);
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

const struct store_thread_ops store_sqlite_thread_ops = {
	.insert = thread_insert,
	.get = thread_get,
	.update = thread_update,
	.list_citizen = thread_list_citizen,
	.list_member = thread_list_member,
	.message_insert = message_insert,
	.message_list = message_list,
};
