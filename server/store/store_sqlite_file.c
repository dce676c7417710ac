/*
 * store_sqlite_file.c - records of encrypted attachments in the SQLite store (struct
 * store_file_ops): who uploads what to which thread, how many chunks are stored, and the bytes
 * a thread and an uploader use. The chunks themselves live in the blob folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

static int file_put(struct store *st, const struct store_file *f)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_files(id, thread_id, owner_id, size, chunks, received,"
				" complete, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, f->id);
	sqs_ref_text(q, 2, f->thread_id);
	sqs_ref_text(q, 3, f->owner_id);
	sqlite3_bind_int64(q, 4, f->size);
	sqlite3_bind_int64(q, 5, f->chunks);
	sqlite3_bind_int64(q, 6, f->received);
	sqlite3_bind_int(q, 7, f->complete);
	sqlite3_bind_int64(q, 8, f->created);
	return sqs_once_run(st, q);
}

static int file_get(struct store *st, const char *file_id, struct store_file *out)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT id, thread_id, owner_id, size, chunks, received, complete, created"
				" FROM e2e_files WHERE id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, file_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(q, 0));
	snprintf(out->thread_id, sizeof out->thread_id, "%s", (const char *)sqlite3_column_text(q, 1));
	snprintf(out->owner_id, sizeof out->owner_id, "%s", (const char *)sqlite3_column_text(q, 2));
	out->size = sqlite3_column_int64(q, 3);
	out->chunks = sqlite3_column_int64(q, 4);
	out->received = sqlite3_column_int64(q, 5);
	out->complete = sqlite3_column_int(q, 6);
	out->created = sqlite3_column_int64(q, 7);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int file_progress(struct store *st, const char *file_id, int64_t received, int complete)
{
	sqlite3_stmt *q = sqs_prepare(st, "UPDATE e2e_files SET received = ?2, complete = ?3 WHERE id = ?1");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, file_id);
	sqlite3_bind_int64(q, 2, received);
	sqlite3_bind_int(q, 3, complete);
	return sqs_once_run(st, q);
}

static int file_usage(struct store *st, const char *thread_id, const char *owner_id, int64_t *thread_bytes,
		      int64_t *owner_bytes)
{
	sqlite3_stmt *q = sqs_prepare(
		st, "SELECT coalesce(sum(CASE WHEN thread_id = ?1 THEN size + 17 * chunks END), 0),"
		    " coalesce(sum(CASE WHEN owner_id = ?2 THEN size + 17 * chunks END), 0)"
		    " FROM e2e_files WHERE thread_id = ?1 OR owner_id = ?2");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqs_ref_text(q, 2, owner_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
	*thread_bytes = sqlite3_column_int64(q, 0);
	*owner_bytes = sqlite3_column_int64(q, 1);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int file_orphans(struct store *st, char (*ids)[STORE_ID_SIZE], size_t max, size_t *n)
{
	sqlite3_stmt *q = sqs_prepare(
		st,
		"SELECT id FROM e2e_files f WHERE NOT EXISTS (SELECT 1 FROM threads WHERE id = f.thread_id)"
		" AND NOT EXISTS (SELECT 1 FROM shred.shares WHERE thread_id = f.thread_id) LIMIT ?1");
	int rc;

	*n = 0;
	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < max)
		sqs_text(ids[(*n)++], STORE_ID_SIZE, q, 0);
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return STORE_OK;
	log_err("file orphans: %s", sqlite3_errstr(rc));
	return STORE_ERROR;
}

static int file_drop(struct store *st, const char *file_id)
{
	sqlite3_stmt *q = sqs_prepare(st, "DELETE FROM e2e_files WHERE id = ?1");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, file_id);
	return sqs_once_run(st, q);
}

const struct store_file_ops store_sqlite_file_ops = {
	.put = file_put,
	.get = file_get,
	.progress = file_progress,
	.usage = file_usage,
	.orphans = file_orphans,
	.drop = file_drop,
};
