/*
 * store_sqlite_rekey.c - re-keying records of the SQLite store (struct store_rekey_ops): the
 * signed unit log entries admins write and the signed thread epoch events clients write. The
 * store keeps the bytes and never interprets them; the core checks their formats first.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

/* Runs a query whose columns are (owner, n, data) and calls cb per row; a non-zero return of
 * cb stops early. Finalizes q. STORE_OK or STORE_ERROR. */
static int rekey_each(struct store *st, sqlite3_stmt *q, store_key_cb cb, void *arg)
{
	struct store_key_blob b;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&b, 0, sizeof b);
		sqs_text(b.owner, sizeof b.owner, q, 0);
		b.n = sqlite3_column_int64(q, 1);
		b.data = sqlite3_column_blob(q, 2);
		b.len = (size_t)sqlite3_column_bytes(q, 2);
		if (cb(arg, &b) != 0) {
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

static int unit_log_put(struct store *st, const char *unit_id, int64_t seq, const uint8_t *entry, size_t len,
			int64_t now)
{
	sqlite3_stmt *q = sqs_prepare(st, "INSERT INTO e2e_unit_log(unit_id, seq, entry, created)"
					  " VALUES(?1, ?2, ?3, ?4)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, unit_id);
	sqlite3_bind_int64(q, 2, seq);
	sqs_ref_blob(q, 3, entry, len);
	sqlite3_bind_int64(q, 4, now);
	return sqs_once_run(st, q);
}

static int unit_log_list(struct store *st, const char *unit_id, int64_t after, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT unit_id, seq, entry FROM e2e_unit_log"
					  " WHERE unit_id = ?1 AND seq > ?2 ORDER BY seq");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, unit_id);
	sqlite3_bind_int64(q, 2, after);
	return rekey_each(st, q, cb, arg);
}

static int unit_log_head(struct store *st, const char *unit_id, int64_t *seq)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT coalesce(max(seq), 0) FROM e2e_unit_log WHERE unit_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, unit_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
	*seq = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

static int epoch_put(struct store *st, const char *thread_id, int64_t epoch, const uint8_t *event, size_t len,
		     const char *writer_id, int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT INTO e2e_epochs(thread_id, epoch, event, writer_id, created)"
				" VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqlite3_bind_int64(q, 2, epoch);
	sqs_ref_blob(q, 3, event, len);
	sqs_ref_text(q, 4, writer_id);
	sqlite3_bind_int64(q, 5, now);
	return sqs_once_run(st, q);
}

static int epoch_list(struct store *st, const char *thread_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT thread_id, epoch, event FROM e2e_epochs"
					  " WHERE thread_id = ?1 ORDER BY epoch");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	return rekey_each(st, q, cb, arg);
}

static int epoch_current(struct store *st, const char *thread_id, int64_t *epoch)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "SELECT coalesce(max(epoch), 0) FROM e2e_epochs WHERE thread_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
	*epoch = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

const struct store_rekey_ops store_sqlite_rekey_ops = {
	.unit_log_put = unit_log_put,
	.unit_log_list = unit_log_list,
	.unit_log_head = unit_log_head,
	.epoch_put = epoch_put,
	.epoch_list = epoch_list,
	.epoch_current = epoch_current,
};
