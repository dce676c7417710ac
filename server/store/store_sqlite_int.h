/*
 * store_sqlite_int.h - what the SQLite store's files share (store_sqlite.c and the
 * store_sqlite_<feature>.c files): the connection and small statement helpers. Not for use
 * outside the store.
 */
#ifndef ADVICE_STORE_SQLITE_INT_H
#define ADVICE_STORE_SQLITE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* The store's connection. */
sqlite3 *store_sqlite_db(struct store *st);
/* The checkpointer's connection (store_sqlite_checkpoint.h), for tests; NULL when none. */
sqlite3 *store_sqlite_checkpoint_db(struct store *st);

/* The store result of a finished sqlite3_step(): STORE_OK (done), STORE_EXISTS (a unique or
 * primary key taken) or STORE_ERROR (logged). */
int sqs_status(struct store *st, int rc);
/* Prepares `sql` for one use (the caller finalizes); NULL, logged, on failure. */
sqlite3_stmt *sqs_prepare(struct store *st, const char *sql);
/* Steps a kept statement that returns no rows and resets it: as sqs_status; STORE_ERROR for NULL. */
int sqs_run(struct store *st, sqlite3_stmt *q);
/* Like sqs_run, but STORE_NOTFOUND when no row changed. */
int sqs_run_change(struct store *st, sqlite3_stmt *q);
/* Steps a kept one-row query: SQLITE_ROW (the caller reads, then resets), or STORE_NOTFOUND /
 * STORE_ERROR after resetting it. */
int sqs_one(struct store *st, sqlite3_stmt *q);
/* Resets a kept statement after a row loop ended with `rc`: STORE_OK or STORE_ERROR. */
int sqs_done(sqlite3_stmt *q, int rc);
/* Copies a text column ("" for NULL) into dst, truncated to size. */
void sqs_text(char *dst, size_t size, sqlite3_stmt *q, int col);
/* Copies a blob column into dst, zero-filled and truncated to size. */
void sqs_blob(uint8_t *dst, size_t size, sqlite3_stmt *q, int col);
/* Binds a copy of a string, or of `n` bytes. */
void sqs_bind_text(sqlite3_stmt *q, int i, const char *s);
void sqs_bind_blob(sqlite3_stmt *q, int i, const void *b, size_t n);

#endif
