/*
 * store_sqlite_backup.c - backups of the SQLite store (struct store_backup_ops): SQLite's
 * online backup API on a connection of the backup's own, the attachment records of the same
 * snapshot, and the integrity checks a restore runs.
 *
 * The main database is in WAL mode, so the backup's read transaction holds no writer back: the
 * core thread goes on committing while the copy is made, and the copy is the database as one
 * commit left it. The shred store keeps a rollback journal; it is a few pages, copied in one
 * step, and its writer waits that long at most.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

/* Copies database `name` of connection `src` into the new file `dest` in one step (within
 * the read transaction src has open, if any). STORE_OK or STORE_ERROR (logged). */
static int copy_into(sqlite3 *src, const char *name, const char *dest)
{
	struct stat sb;
	sqlite3 *out = NULL;
	sqlite3_backup *b;
	int rc;

	if (lstat(dest, &sb) == 0 || errno != ENOENT) {
		log_err("backup: %s exists already", dest);
		return STORE_ERROR;
	}
	if (sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		log_err("backup: cannot create %s: %s", dest, out ? sqlite3_errmsg(out) : "out of memory");
		sqlite3_close(out);
		return STORE_ERROR;
	}
	if ((b = sqlite3_backup_init(out, "main", src, name)) == NULL) {
		log_err("backup: cannot start the copy into %s: %s", dest, sqlite3_errmsg(out));
		sqlite3_close(out);
		return STORE_ERROR;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		log_err("backup: copy into %s failed: %s", dest, sqlite3_errstr(rc));
	if (sqlite3_close(out) != SQLITE_OK) {
		log_err("backup: cannot close %s", dest);
		rc = SQLITE_ERROR;
	}
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

/* Calls cb for every attachment record, in id order. STORE_OK, or STORE_ERROR when the store
 * failed or cb stopped it. */
static int list_files(struct store *st, store_backup_file_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT id, thread_id, chunks, received, complete FROM e2e_files"
					  " ORDER BY id");
	int rc, stopped = 0;

	if (q == NULL)
		return STORE_ERROR;
	while (!stopped && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_backup_file f = { 0 };

		sqs_text(f.id, sizeof f.id, q, 0);
		sqs_text(f.thread_id, sizeof f.thread_id, q, 1);
		f.chunks = sqlite3_column_int64(q, 2);
		f.received = sqlite3_column_int64(q, 3);
		f.complete = sqlite3_column_int(q, 4);
		stopped = cb(arg, &f) != 0;
	}
	sqlite3_finalize(q);
	if (stopped)
		return STORE_ERROR;
	return rc == SQLITE_DONE ? STORE_OK : sqs_status(st, rc);
}

static int backup_copy(struct store *st, const char *dest, store_backup_file_cb cb, void *arg)
{
	sqlite3 *db = store_sqlite_db(st);
	int rc;

	if (!sqlite3_get_autocommit(db)) {
		log_err("backup: the store is inside a transaction");
		return STORE_ERROR;
	}
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		log_err("backup: cannot begin a read: %s", sqlite3_errmsg(db));
		return STORE_ERROR;
	}
	/* The first read fixes the snapshot; the copy below reads within the same transaction. */
	rc = list_files(st, cb, arg);
	if (rc == STORE_OK)
		rc = copy_into(db, "main", dest);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

static int backup_copy_file(struct store *st, const char *src, const char *dest)
{
	sqlite3 *in = NULL;
	int rc;

	(void)st;
	if (sqlite3_open_v2(src, &in, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_err("backup: cannot open %s: %s", src, in ? sqlite3_errmsg(in) : "out of memory");
		sqlite3_close(in);
		return STORE_ERROR;
	}
	sqlite3_busy_timeout(in, 5000);
	rc = copy_into(in, "main", dest);
	sqlite3_close(in);
	return rc;
}

/* PRAGMA <schema>.integrity_check: STORE_OK on "ok", else STORE_ERROR with its first row. */
static int check_one(struct store *st, const char *schema, char *why, size_t size)
{
	char sql[64];
	sqlite3_stmt *q;
	int rc;

	snprintf(sql, sizeof sql, "PRAGMA %s.integrity_check", schema);
	if ((q = sqs_prepare(st, sql)) == NULL) {
		snprintf(why, size, "%s: the integrity check cannot run", schema);
		return STORE_ERROR;
	}
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 0), "ok") == 0) {
		sqlite3_finalize(q);
		return STORE_OK;
	}
	snprintf(why, size, "%s: %s", schema,
		 rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : sqlite3_errstr(rc));
	sqlite3_finalize(q);
	return STORE_ERROR;
}

static int backup_check(struct store *st, char *why, size_t size)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT 1 FROM pragma_database_list WHERE name = 'shred'");
	int shred;

	if (q == NULL) {
		snprintf(why, size, "the store cannot be read");
		return STORE_ERROR;
	}
	shred = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	if (check_one(st, "main", why, size) != STORE_OK)
		return STORE_ERROR;
	return shred ? check_one(st, "shred", why, size) : STORE_OK;
}

/* 1 when the shred store at `shred_path` holds a share of thread_id, 0 when not, -1 on
 * error (a connection of its own, read-only). */
static int has_share(const char *shred_path, const char *thread_id)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int rc = -1;

	if (sqlite3_open_v2(shred_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT 1 FROM shares WHERE thread_id = ?1", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, thread_id, -1, SQLITE_STATIC);
		sqlite3_busy_timeout(db, 5000);
		rc = sqlite3_step(q);
		rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
	}
	if (rc < 0)
		log_err("backup: cannot read the shred store %s: %s", shred_path,
			db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_finalize(q);
	sqlite3_close(db);
	return rc;
}

static int backup_blob_may_be_gone(struct store *st, const char *shred_path,
				   const struct store_backup_file *f)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT NOT EXISTS (SELECT 1 FROM e2e_files WHERE id = ?1),"
					  " EXISTS (SELECT 1 FROM thread_erasures WHERE thread_id = ?2)"
					  "  OR EXISTS (SELECT 1 FROM thread_shreds WHERE thread_id = ?2),"
					  " EXISTS (SELECT 1 FROM threads WHERE id = ?2)");
	int deleted, shredding, has_row;

	if (q == NULL)
		return -1;
	sqs_ref_text(q, 1, f->id);
	sqs_ref_text(q, 2, f->thread_id);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_finalize(q);
		return -1;
	}
	deleted = sqlite3_column_int(q, 0);
	shredding = sqlite3_column_int(q, 1);
	has_row = sqlite3_column_int(q, 2);
	sqlite3_finalize(q);
	if (deleted || shredding)
		return 1;
	if (has_row)
		return 0;
	return has_share(shred_path, f->thread_id) == 0 ? 1 : 0;
}

const struct store_backup_ops store_sqlite_backup_ops = {
	.copy = backup_copy,
	.copy_file = backup_copy_file,
	.check = backup_check,
	.files = list_files,
	.blob_may_be_gone = backup_blob_may_be_gone,
};
