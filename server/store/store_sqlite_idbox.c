/*
 * store_sqlite_idbox.c - the citizen's identity in the SQLite store (struct store_idbox_ops):
 * the sealed identity a bank login leaves in its session row until the session ends, and the
 * identity boxes of threads per unit and key generation. Migration 22's triggers clear the
 * session's copy when the session is revoked and delete a thread's boxes when it is shredded.
 */
#include <string.h>

#include <sqlite3.h>

#include "store_sqlite_int.h"

static int session_put(struct store *st, const uint8_t hash[STORE_HASH_BYTES], const uint8_t *sealed,
		       size_t len)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "UPDATE sessions SET identity = ?2 WHERE hash = ?1 AND revoked = 0");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_blob(q, 1, hash, STORE_HASH_BYTES);
	sqs_ref_blob(q, 2, sealed, len);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if ((rc = sqs_status(st, rc)) != STORE_OK)
		return rc;
	return sqlite3_changes(store_sqlite_db(st)) > 0 ? STORE_OK : STORE_NOTFOUND;
}

static int session_get(struct store *st, const uint8_t hash[STORE_HASH_BYTES], uint8_t *out, size_t cap,
		       size_t *len)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT identity FROM sessions WHERE hash = ?1 AND revoked = 0"
					  " AND identity IS NOT NULL");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_blob(q, 1, hash, STORE_HASH_BYTES);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	*len = sqs_blob_len(q, 0, out, cap);
	sqlite3_finalize(q);
	return *len > 0 ? STORE_OK : STORE_NOTFOUND;
}

static int box_put(struct store *st, const char *thread_id, const char *unit_id, int64_t generation,
		   const uint8_t *box, size_t len, int64_t now)
{
	sqlite3_stmt *q =
		sqs_prepare(st, "INSERT OR REPLACE INTO thread_identity(thread_id, unit_id, generation,"
				" box, created) VALUES(?1, ?2, ?3, ?4, ?5)");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	sqs_ref_text(q, 2, unit_id);
	sqlite3_bind_int64(q, 3, generation);
	sqs_ref_blob(q, 4, box, len);
	sqlite3_bind_int64(q, 5, now);
	return sqs_once_run(st, q);
}

static int box_list(struct store *st, const char *thread_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT unit_id, generation, NULL, box, NULL FROM thread_identity"
					  " WHERE thread_id = ?1 ORDER BY unit_id, generation");

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	return sqs_key_each(st, q, cb, arg);
}

static int box_count(struct store *st, const char *thread_id, int64_t *n)
{
	sqlite3_stmt *q = sqs_prepare(st, "SELECT count(*) FROM thread_identity WHERE thread_id = ?1");
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_ref_text(q, 1, thread_id);
	if ((rc = sqs_once_one(st, q)) != SQLITE_ROW)
		return rc;
	*n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return STORE_OK;
}

const struct store_idbox_ops store_sqlite_idbox_ops = {
	.session_put = session_put,
	.session_get = session_get,
	.put = box_put,
	.list = box_list,
	.count = box_count,
};
