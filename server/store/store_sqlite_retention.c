/*
 * store_sqlite_retention.c - retention and erasure in the SQLite store (struct
 * store_retention_ops): the closed threads retention looks at, the shred marks that carry a
 * thread through its phases (shred.c), and the deletion of a thread's rows. A mark's row stays
 * as the erasure note once the thread is done.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

#define CANDIDATE_COLUMNS                                                                                    \
	"SELECT t.id, t.citizen_id, q.category, t.closed,"                                                   \
	"  EXISTS (SELECT 1 FROM threads o WHERE o.citizen_id = t.citizen_id AND o.state != 4),"             \
	"  (SELECT max(o.closed) FROM threads o WHERE o.citizen_id = t.citizen_id)"                          \
	"  FROM threads t JOIN queues q ON q.id = t.queue_id"

static void candidate_read(sqlite3_stmt *q, struct store_retention_candidate *c)
{
	memset(c, 0, sizeof *c);
	sqs_text(c->thread_id, sizeof c->thread_id, q, 0);
	sqs_text(c->citizen_id, sizeof c->citizen_id, q, 1);
	sqs_text(c->category, sizeof c->category, q, 2);
	c->closed = sqlite3_column_int64(q, 3);
	c->citizen_open = sqlite3_column_int(q, 4);
	c->last_close = sqlite3_column_int64(q, 5);
}

static int candidates(struct store *st, store_retention_candidate_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, CANDIDATE_COLUMNS
				      " WHERE t.state = 4 AND NOT EXISTS"
				      " (SELECT 1 FROM thread_erasures e WHERE e.thread_id = t.id)"
				      " ORDER BY t.closed, t.id");
	struct store_retention_candidate c;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		candidate_read(q, &c);
		if (cb(arg, &c) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	log_err("retention candidates: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

static int candidate_get(struct store *st, const char *thread_id, struct store_retention_candidate *out)
{
	sqlite3_stmt *q = sqs_prepare(st, CANDIDATE_COLUMNS " WHERE t.id = ?1 AND t.state = 4");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	candidate_read(q, out);
	sqlite3_finalize(q);
	return STORE_OK;
}

/* One count(*) (or sum) of a query bound to the thread id. */
static int count_of(struct store *st, const char *sql, const char *thread_id, int64_t *n)
{
	sqlite3_stmt *q = sqs_prepare(st, sql);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
	*n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int counts(struct store *st, const char *thread_id, struct store_shred_counts *out)
{
	memset(out, 0, sizeof *out);
	if (count_of(st, "SELECT count(*) FROM messages WHERE thread_id = ?1", thread_id, &out->messages) ||
	    count_of(st, "SELECT count(*) FROM e2e_files WHERE thread_id = ?1", thread_id, &out->files) ||
	    count_of(st, "SELECT coalesce(sum(size), 0) FROM e2e_files WHERE thread_id = ?1", thread_id,
		     &out->file_bytes) ||
	    count_of(st, "SELECT count(*) FROM e2e_wraps WHERE thread_id = ?1", thread_id, &out->wraps) ||
	    count_of(st, "SELECT count(*) FROM e2e_epochs WHERE thread_id = ?1", thread_id, &out->epochs) ||
	    count_of(st, "SELECT count(*) FROM unit_notes WHERE thread_id = ?1", thread_id, &out->notes) ||
	    count_of(st, "SELECT count(*) FROM thread_identity WHERE thread_id = ?1", thread_id,
		     &out->idboxes))
		return STORE_ERROR;
	return STORE_OK;
}

static int mark(struct store *st, const struct store_shred_mark *m)
{
	sqlite3_stmt *q = sqs_prepare(
		st,
		"INSERT INTO thread_erasures(thread_id, citizen_id, run, phase, erasure, by_user, request,"
		" reason, due, marked, messages, files, file_bytes, wraps, epochs, notes, idboxes)"
		" VALUES(?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, m->thread_id);
	sqs_ref_text(q, 2, m->citizen_id);
	sqs_ref_text(q, 3, m->run);
	sqlite3_bind_int(q, 4, m->erasure);
	sqs_ref_text(q, 5, m->by);
	sqs_ref_text(q, 6, m->request);
	sqs_ref_text(q, 7, m->reason);
	sqlite3_bind_int64(q, 8, m->due);
	sqlite3_bind_int64(q, 9, m->marked);
	sqlite3_bind_int64(q, 10, m->counts.messages);
	sqlite3_bind_int64(q, 11, m->counts.files);
	sqlite3_bind_int64(q, 12, m->counts.file_bytes);
	sqlite3_bind_int64(q, 13, m->counts.wraps);
	sqlite3_bind_int64(q, 14, m->counts.epochs);
	sqlite3_bind_int64(q, 15, m->counts.notes);
	sqlite3_bind_int64(q, 16, m->counts.idboxes);
	return sqs_once_run(st, q);
}

#define MARK_COLUMNS                                                                                         \
	"SELECT thread_id, citizen_id, run, phase, erasure, by_user, request, reason, due, marked, done,"    \
	" messages, files, file_bytes, wraps, epochs, notes, idboxes, other_rows FROM thread_erasures"

static void mark_read(sqlite3_stmt *q, struct store_shred_mark *m)
{
	memset(m, 0, sizeof *m);
	sqs_text(m->thread_id, sizeof m->thread_id, q, 0);
	sqs_text(m->citizen_id, sizeof m->citizen_id, q, 1);
	sqs_text(m->run, sizeof m->run, q, 2);
	m->phase = sqlite3_column_int(q, 3);
	m->erasure = sqlite3_column_int(q, 4);
	sqs_text(m->by, sizeof m->by, q, 5);
	sqs_text(m->request, sizeof m->request, q, 6);
	sqs_text(m->reason, sizeof m->reason, q, 7);
	m->due = sqlite3_column_int64(q, 8);
	m->marked = sqlite3_column_int64(q, 9);
	m->done = sqlite3_column_int64(q, 10);
	m->counts.messages = sqlite3_column_int64(q, 11);
	m->counts.files = sqlite3_column_int64(q, 12);
	m->counts.file_bytes = sqlite3_column_int64(q, 13);
	m->counts.wraps = sqlite3_column_int64(q, 14);
	m->counts.epochs = sqlite3_column_int64(q, 15);
	m->counts.notes = sqlite3_column_int64(q, 16);
	m->counts.idboxes = sqlite3_column_int64(q, 17);
	m->other_rows = sqlite3_column_int64(q, 18);
}

/* Calls cb per mark of query q; finalizes q. */
static int mark_each(struct store *st, sqlite3_stmt *q, store_shred_mark_cb cb, void *arg)
{
	struct store_shred_mark m;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		mark_read(q, &m);
		if (cb(arg, &m) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	log_err("shred marks: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

static int get(struct store *st, const char *thread_id, struct store_shred_mark *out)
{
	sqlite3_stmt *q = sqs_prepare(st, MARK_COLUMNS " WHERE thread_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	mark_read(q, out);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int phase_set(struct store *st, const char *thread_id, int phase, int64_t now, int64_t other_rows)
{
	sqlite3_stmt *q = sqs_prepare(st, "UPDATE thread_erasures SET phase = ?2,"
					  " done = CASE WHEN ?2 = 3 THEN ?3 ELSE done END,"
					  " other_rows = CASE WHEN ?2 = 3 THEN ?4 ELSE other_rows END"
					  " WHERE thread_id = ?1");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqlite3_bind_int(q, 2, phase);
	sqlite3_bind_int64(q, 3, now);
	sqlite3_bind_int64(q, 4, other_rows);
	if (sqs_once_run(st, q) != STORE_OK)
		return STORE_ERROR;
	return sqlite3_changes(store_sqlite_db(st)) > 0 ? STORE_OK : STORE_NOTFOUND;
}

static int pending(struct store *st, int limit, store_shred_mark_cb cb, void *arg)
{
	sqlite3_stmt *q =
		sqs_prepare(st, MARK_COLUMNS " WHERE phase < 3 ORDER BY marked, thread_id LIMIT ?1");

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(q, 1, limit);
	return mark_each(st, q, cb, arg);
}

static int list(struct store *st, const char *run, store_shred_mark_cb cb, void *arg)
{
	sqlite3_stmt *q =
		sqs_prepare(st, MARK_COLUMNS " WHERE ?1 = '' OR run = ?1 ORDER BY marked, thread_id");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, run);
	return mark_each(st, q, cb, arg);
}

static int file_ids(struct store *st, const char *thread_id, store_file_id_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT id FROM e2e_files WHERE thread_id = ?1 ORDER BY id");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (cb(arg, (const char *)sqlite3_column_text(q, 0)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

/* Runs one statement bound to the thread id; *changed gets the rows it deleted. */
static int delete_rows(struct store *st, const char *sql, const char *thread_id, int64_t *changed)
{
	sqlite3_stmt *q = sqs_prepare(st, sql);

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	if (sqs_once_run(st, q) != STORE_OK)
		return STORE_ERROR;
	*changed = sqlite3_changes(store_sqlite_db(st));
	return STORE_OK;
}

/* The tables this file deletes from by name (counted in struct store_shred_counts, or
 * deleted on purpose here); every other table that refers to threads is found by its foreign
 * key. The thread row goes last. */
static const char *const known_tables[] = {
	"messages",	   "e2e_wraps",	      "e2e_epochs",    "e2e_files",	    "unit_notes",
	"thread_identity", "read_state",      "thread_clock",  "thread_departures", "reassignments",
	"threads",	   "thread_erasures", "thread_shreds",
};

static int table_known(const char *name)
{
	for (size_t i = 0; i < sizeof known_tables / sizeof known_tables[0]; i++)
		if (strcmp(name, known_tables[i]) == 0)
			return 1;
	return 0;
}

/* Rows of tables (other parts' tables included) whose foreign key refers to threads(id):
 * deleted, so that the thread row can go. *n adds the rows deleted. */
static int delete_referring(struct store *st, const char *thread_id, int64_t *n)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT m.name, f.\"from\" FROM sqlite_schema m,"
				" pragma_foreign_key_list(m.name) f"
				" WHERE m.type = 'table' AND f.\"table\" = 'threads' ORDER BY m.name");
	char sql[256];
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(q, 0);
		const char *column = (const char *)sqlite3_column_text(q, 1);
		int64_t changed = 0;

		if (table == NULL || column == NULL || table_known(table))
			continue;
		snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE \"%s\" = ?1", table, column);
		if (delete_rows(st, sql, thread_id, &changed) != STORE_OK) {
			sqlite3_finalize(q);
			return STORE_ERROR;
		}
		*n += changed;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

static int rows_delete(struct store *st, const char *thread_id, int64_t *other)
{
	/* Closed first, so that the counting triggers (queues, loads, citizens' open threads)
	 * and the deadline clock's count let go of a thread erased while open. */
	static const char *const counted[] = {
		"UPDATE threads SET state = 4 WHERE id = ?1 AND state != 4",
		"DELETE FROM thread_clock WHERE thread_id = ?1",
		"DELETE FROM messages WHERE thread_id = ?1",
		"DELETE FROM e2e_wraps WHERE thread_id = ?1",
		"DELETE FROM e2e_epochs WHERE thread_id = ?1",
		"DELETE FROM e2e_files WHERE thread_id = ?1",
		"DELETE FROM unit_notes WHERE thread_id = ?1",
		"DELETE FROM thread_identity WHERE thread_id = ?1",
	};
	static const char *const others[] = {
		"DELETE FROM read_state WHERE thread_id = ?1",
		"DELETE FROM thread_departures WHERE thread_id = ?1",
		"DELETE FROM reassignments WHERE thread_id = ?1",
	};
	int64_t changed;

	*other = 0;
	for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++)
		if (delete_rows(st, counted[i], thread_id, &changed) != STORE_OK)
			return STORE_ERROR;
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		if (delete_rows(st, others[i], thread_id, &changed) != STORE_OK)
			return STORE_ERROR;
		*other += changed;
	}
	if (delete_referring(st, thread_id, other) != STORE_OK)
		return STORE_ERROR;
	return delete_rows(st, "DELETE FROM threads WHERE id = ?1", thread_id, &changed);
}

const struct store_retention_ops store_sqlite_retention_ops = {
	.candidates = candidates,
	.candidate_get = candidate_get,
	.counts = counts,
	.mark = mark,
	.get = get,
	.phase_set = phase_set,
	.pending = pending,
	.list = list,
	.file_ids = file_ids,
	.rows_delete = rows_delete,
};
