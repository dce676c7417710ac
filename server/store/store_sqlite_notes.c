/*
 * store_sqlite_notes.c - internal notes and canned answers in the SQLite store (struct
 * store_note_ops): unit texts sealed to a unit key generation. The store keeps the bytes and
 * never interprets them; the core checks their format first.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

/* Runs a query whose columns are (id, thread_id, unit_id, generation, author_id, time,
 * copy_of, box) and calls cb per row; a non-zero return of cb stops early. Finalizes q.
 * STORE_OK or STORE_ERROR. */
static int text_each(struct store *st, sqlite3_stmt *q, store_unit_text_cb cb, void *arg)
{
	struct store_unit_text t;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&t, 0, sizeof t);
		sqs_text(t.id, sizeof t.id, q, 0);
		sqs_text(t.thread_id, sizeof t.thread_id, q, 1);
		sqs_text(t.unit_id, sizeof t.unit_id, q, 2);
		t.generation = sqlite3_column_int64(q, 3);
		sqs_text(t.author_id, sizeof t.author_id, q, 4);
		t.time = sqlite3_column_int64(q, 5);
		sqs_text(t.copy_of, sizeof t.copy_of, q, 6);
		t.box = sqlite3_column_blob(q, 7);
		t.box_len = (size_t)sqlite3_column_bytes(q, 7);
		if (cb(arg, &t) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

/* A query of two integers (count, bytes) bound to text ?1 and ?2. Finalizes q. */
static int usage_of(struct store *st, sqlite3_stmt *q, const char *a, const char *b, int64_t *count,
		    int64_t *bytes)
{
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, a);
	if (b != NULL)
		sqs_ref_text(q, 2, b);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
	*count = sqlite3_column_int64(q, 0);
	*bytes = sqlite3_column_int64(q, 1);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int note_add(struct store *st, const struct store_unit_text *n)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO unit_notes(id, thread_id, unit_id, generation, author_id,"
				" created, copy_of, box) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, n->id);
	sqs_ref_text(q, 2, n->thread_id);
	sqs_ref_text(q, 3, n->unit_id);
	sqlite3_bind_int64(q, 4, n->generation);
	sqs_ref_text(q, 5, n->author_id);
	sqlite3_bind_int64(q, 6, n->time);
	if (n->copy_of[0] != '\0')
		sqs_ref_text(q, 7, n->copy_of);
	sqs_ref_blob(q, 8, n->box, n->box_len);
	return sqs_once_run(st, q);
}

static int note_in_thread(struct store *st, const char *thread_id, const char *id)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT 1 FROM unit_notes WHERE id = ?1 AND thread_id = ?2");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, id);
	sqs_ref_text(q, 2, thread_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	sqlite3_finalize(q);
	return STORE_OK;
}

static int note_list(struct store *st, const char *thread_id, store_unit_text_cb cb, void *arg)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT id, thread_id, unit_id, generation, author_id, created, copy_of,"
				" box FROM unit_notes WHERE thread_id = ?1 ORDER BY seq");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	return text_each(st, q, cb, arg);
}

static int note_usage(struct store *st, const char *thread_id, int64_t *count, int64_t *bytes)
{
	return usage_of(st,
			sqs_prepare(st, "SELECT count(*), coalesce(sum(length(box)), 0) FROM unit_notes"
					" WHERE thread_id = ?1"),
			thread_id, NULL, count, bytes);
}

static int note_delete_thread(struct store *st, const char *thread_id, int64_t *n)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM unit_notes WHERE thread_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	rc = sqlite3_step(q);
	*n = rc == SQLITE_DONE ? sqlite3_changes(store_sqlite_db(st)) : 0;
	rc = sqs_status(st, rc);
	sqlite3_finalize(q);
	return rc;
}

static int canned_put(struct store *st, const struct store_unit_text *a)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO canned_answers(id, unit_id, generation, author_id, updated,"
				" box) VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET"
				" generation = excluded.generation, author_id = excluded.author_id,"
				" updated = excluded.updated, box = excluded.box");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, a->id);
	sqs_ref_text(q, 2, a->unit_id);
	sqlite3_bind_int64(q, 3, a->generation);
	sqs_ref_text(q, 4, a->author_id);
	sqlite3_bind_int64(q, 5, a->time);
	sqs_ref_blob(q, 6, a->box, a->box_len);
	return sqs_once_run(st, q);
}

static int canned_unit(struct store *st, const char *id, char unit_id[STORE_ID_SIZE])
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT unit_id FROM canned_answers WHERE id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	sqs_text(unit_id, STORE_ID_SIZE, q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int canned_list(struct store *st, const char *unit_id, store_unit_text_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT id, '', unit_id, generation, author_id, updated, NULL, box"
					  " FROM canned_answers WHERE unit_id = ?1 ORDER BY updated, id");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, unit_id);
	return text_each(st, q, cb, arg);
}

static int canned_usage(struct store *st, const char *unit_id, const char *except, int64_t *count,
			int64_t *bytes)
{
	return usage_of(st,
			sqs_prepare(st, "SELECT count(*), coalesce(sum(length(box)), 0) FROM canned_answers"
					" WHERE unit_id = ?1 AND id != ?2"),
			unit_id, except, count, bytes);
}

static int canned_delete(struct store *st, const char *id)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM canned_answers WHERE id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, id);
	rc = sqs_status(st, sqlite3_step(q));
	if (rc == STORE_OK && sqlite3_changes(store_sqlite_db(st)) == 0)
		rc = STORE_NOTFOUND;
	sqlite3_finalize(q);
	return rc;
}

const struct store_note_ops store_sqlite_note_ops = {
	.note_add = note_add,
	.note_in_thread = note_in_thread,
	.note_list = note_list,
	.note_usage = note_usage,
	.note_delete_thread = note_delete_thread,
	.canned_put = canned_put,
	.canned_unit = canned_unit,
	.canned_list = canned_list,
	.canned_usage = canned_usage,
	.canned_delete = canned_delete,
};
