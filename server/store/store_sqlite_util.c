/*
 * store_sqlite_util.c - the helpers every file of the SQLite store shares: kept statements,
 * stepping and reading rows, binding, and the users table that citizens and workers share.
 * It calls nothing else of the store.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store_sqlite_int.h"

static struct store_sqlite *sq(struct store *st)
{
	return (struct store_sqlite *)st;
}

sqlite3 *store_sqlite_db(struct store *st)
{
	return sq(st)->db;
}

sqlite3_stmt *sqs_kept(struct store *st, enum sqs_domain d, const char *const *sql, int n, int id)
{
	struct store_sqlite *s = sq(st);
	sqlite3_stmt **kept;

	assert(d >= 0 && d < SQS__DOMAINS && id >= 0 && id < n);
	if (s->kept[d] == NULL) {
		if ((s->kept[d] = calloc((size_t)n, sizeof *s->kept[d])) == NULL)
			return NULL;
		s->nkept[d] = n;
	}
	assert(s->nkept[d] == n);
	kept = s->kept[d];
	if (kept[id] == NULL &&
	    sqlite3_prepare_v3(s->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &kept[id], NULL) != SQLITE_OK) {
		log_err("prepare %d/%d: %s", d, id, sqlite3_errmsg(s->db));
		return NULL;
	}
	sqlite3_reset(kept[id]);
	sqlite3_clear_bindings(kept[id]);
	return kept[id];
}

void sqs_kept_free(struct store_sqlite *s)
{
	for (int d = 0; d < SQS__DOMAINS; d++) {
		for (int i = 0; s->kept[d] != NULL && i < s->nkept[d]; i++)
			sqlite3_finalize(s->kept[d][i]);
		free(s->kept[d]);
		s->kept[d] = NULL;
	}
}

/* Kept statements */

int sqs_status(struct store *st, int rc)
{
	if (rc == SQLITE_DONE)
		return STORE_OK;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return STORE_EXISTS;
	log_err("step: %s", sqlite3_errmsg(sq(st)->db));
	return STORE_ERROR;
}

/* Runs a statement that returns no rows. STORE_OK, STORE_EXISTS on a unique-key clash,
 * STORE_ERROR otherwise. */
int sqs_run(struct store *st, sqlite3_stmt *q)
{
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return sqs_status(st, rc);
}

/* Runs an UPDATE that must change exactly one row: STORE_NOTFOUND when none matched. */
int sqs_run_change(struct store *st, sqlite3_stmt *q)
{
	int rc = sqs_run(st, q);

	if (rc == STORE_OK && sqlite3_changes(sq(st)->db) == 0)
		return STORE_NOTFOUND;
	return rc;
}

/* Steps a query expected to return at most one row: SQLITE_ROW, STORE_NOTFOUND or STORE_ERROR. */
int sqs_one(struct store *st, sqlite3_stmt *q)
{
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		return SQLITE_ROW;
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	log_err("step: %s", sqlite3_errmsg(sq(st)->db));
	return STORE_ERROR;
}

int sqs_done(sqlite3_stmt *q, int rc)
{
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

/* Statements for one use */

sqlite3_stmt *sqs_prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(sq(st)->db, sql, -1, &q, NULL) != SQLITE_OK) {
		log_err("prepare: %s", sqlite3_errmsg(sq(st)->db));
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

/* Steps a write to its end and finalizes. STORE_OK, STORE_EXISTS or STORE_ERROR. */
int sqs_once_run(struct store *st, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	sqlite3_finalize(q);
	return sqs_status(st, rc);
}

/* Steps a single-row lookup: SQLITE_ROW, or STORE_NOTFOUND / STORE_ERROR (finalized then). */
int sqs_once_one(struct store *st, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_ROW)
		return SQLITE_ROW;
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	log_err("step: %s", sqlite3_errmsg(store_sqlite_db(st)));
	return STORE_ERROR;
}

/* Reading and binding */

void sqs_text(char *dst, size_t size, sqlite3_stmt *q, int col)
{
	const unsigned char *t = sqlite3_column_text(q, col);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

void sqs_blob(uint8_t *dst, size_t size, sqlite3_stmt *q, int col)
{
	const void *b = sqlite3_column_blob(q, col);
	size_t n = (size_t)sqlite3_column_bytes(q, col);

	memset(dst, 0, size);
	if (b != NULL)
		memcpy(dst, b, n < size ? n : size);
}

/* Copies a blob column of at most `cap` bytes; a longer one counts as absent. */
size_t sqs_blob_len(sqlite3_stmt *q, int col, uint8_t *out, size_t cap)
{
	int n = sqlite3_column_bytes(q, col);
	const void *b = sqlite3_column_blob(q, col);

	if (b == NULL || n <= 0 || (size_t)n > cap)
		return 0;
	memcpy(out, b, (size_t)n);
	return (size_t)n;
}

void sqs_bind_text(sqlite3_stmt *q, int i, const char *s)
{
	sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
}

void sqs_bind_blob(sqlite3_stmt *q, int i, const void *b, size_t n)
{
	sqlite3_bind_blob(q, i, b, (int)n, SQLITE_TRANSIENT);
}

void sqs_ref_text(sqlite3_stmt *q, int i, const char *s)
{
	sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

void sqs_ref_blob(sqlite3_stmt *q, int i, const void *b, size_t n)
{
	if (b == NULL)
		sqlite3_bind_null(q, i);
	else
		sqlite3_bind_blob(q, i, b, (int)n, SQLITE_STATIC);
}

/* Users */

static const char *const user_sql[] = { "INSERT INTO users(id, kind, created) VALUES(?1, ?2, ?3)" };

int sqs_user_insert(struct store *st, const char *id, enum store_role kind, int64_t now)
{
	sqlite3_stmt *q = sqs_kept(st, SQS_USER, user_sql, 1, 0);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, id);
	sqlite3_bind_int(q, 2, kind);
	sqlite3_bind_int64(q, 3, now);
	return sqs_run(st, q);
}

/* The change counter */

int64_t sqs_change_next(struct store *st)
{
	return ++((struct store_sqlite *)st)->change;
}

int64_t sqs_change_now(struct store *st)
{
	return ((struct store_sqlite *)st)->change;
}
