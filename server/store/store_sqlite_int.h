/*
 * store_sqlite_int.h - what the SQLite store's files share: the store's structure, the
 * statement helpers of store_sqlite_util.c, the migrations (store_sqlite_schema.c) and each
 * domain's table of operations (store_sqlite_<domain>.c). Not for use outside the store.
 *
 * The files call downward only: store_sqlite.c (open, close, transactions) refers to the
 * domain tables; the domain files call store_sqlite_util.c; nothing calls back up.
 */
#ifndef ADVICE_STORE_SQLITE_INT_H
#define ADVICE_STORE_SQLITE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* The owners of kept (prepared once) statements: one slot per domain file. */
enum sqs_domain {
	SQS_TX,
	SQS_USER,
	SQS_SESSION,
	SQS_IDENTITY,
	SQS_STAFF,
	SQS_UNIT,
	SQS_QUEUE,
	SQS_DUTY,
	SQS_THREAD,
	SQS_REQUEST,
	SQS_AUDIT,
	SQS_NOTIFY,
	SQS_NAMES,
	SQS_RIGHTS,
	SQS__DOMAINS
};

struct sqck;

struct store_sqlite {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt **kept[SQS__DOMAINS]; /* each domain's kept statements, allocated on first use */
	int nkept[SQS__DOMAINS];
	struct sqck *checkpointer;	/* NULL: SQLite checkpoints inside the commits */
	int64_t change, change_saved;	/* the change counter of thread lists, and its stored value */
	uint64_t gen[STORE_GEN__COUNT]; /* the change generations (store_sqlite_watch.c); 0: not watched */
};

/* Change generations (store_sqlite_watch.c): the writer's triggers, once at open (0 or -1);
 * every generation bumped (a rollback); the store_tx_ops generation. */
int sqs_watch_install(struct store_sqlite *s);
void sqs_gen_bump_all(struct store_sqlite *s);
uint64_t sqs_generation(struct store *st, enum store_gen which);

/* The store's connection. */
sqlite3 *store_sqlite_db(struct store *st);
/* The checkpointer's connection (store_sqlite_checkpoint.h), for tests; NULL when none. */
sqlite3 *store_sqlite_checkpoint_db(struct store *st);

/* Kept statements: statement `id` of the `n` statements `sql` of domain `d`, prepared on
 * first use and kept until the store closes; returned reset and unbound. NULL (logged) when
 * it cannot be prepared or memory runs out. */
sqlite3_stmt *sqs_kept(struct store *st, enum sqs_domain d, const char *const *sql, int n, int id);
/* Finalizes every kept statement (the store's close). */
void sqs_kept_free(struct store_sqlite *s);

/* The store result of a finished sqlite3_step(): STORE_OK (done), STORE_EXISTS (a unique or
 * primary key taken) or STORE_ERROR (logged). */
int sqs_status(struct store *st, int rc);
/* Steps a kept statement that returns no rows and resets it: as sqs_status; STORE_ERROR for NULL. */
int sqs_run(struct store *st, sqlite3_stmt *q);
/* Like sqs_run, but STORE_NOTFOUND when no row changed. */
int sqs_run_change(struct store *st, sqlite3_stmt *q);
/* Steps a kept one-row query: SQLITE_ROW (the caller reads, then resets), or STORE_NOTFOUND /
 * STORE_ERROR after resetting it. */
int sqs_one(struct store *st, sqlite3_stmt *q);
/* Resets a kept statement after a row loop ended with `rc`: STORE_OK or STORE_ERROR. */
int sqs_done(sqlite3_stmt *q, int rc);

/* Statements for one use: prepared by sqs_prepare (NULL, logged, on failure), finalized by
 * the helper that ends them. */
sqlite3_stmt *sqs_prepare(struct store *st, const char *sql);
/* Steps a statement that returns no rows and finalizes it: as sqs_status. */
int sqs_once_run(struct store *st, sqlite3_stmt *q);
/* Steps a one-row query: SQLITE_ROW (the caller reads, then finalizes), or STORE_NOTFOUND /
 * STORE_ERROR after finalizing it. */
int sqs_once_one(struct store *st, sqlite3_stmt *q);

/* Copies a text column ("" for NULL) into dst, truncated to size. */
void sqs_text(char *dst, size_t size, sqlite3_stmt *q, int col);
/* Copies a blob column into dst, zero-filled and truncated to size. */
void sqs_blob(uint8_t *dst, size_t size, sqlite3_stmt *q, int col);
/* Copies a blob column of at most `cap` bytes and returns its length; a longer or empty one
 * counts as absent (0). */
size_t sqs_blob_len(sqlite3_stmt *q, int col, uint8_t *out, size_t cap);
/* Binds a copy of a string, or of `n` bytes. */
void sqs_bind_text(sqlite3_stmt *q, int i, const char *s);
void sqs_bind_blob(sqlite3_stmt *q, int i, const void *b, size_t n);
/* Binds a string, or `n` bytes (NULL binds NULL), without copying: they must outlive the step. */
void sqs_ref_text(sqlite3_stmt *q, int i, const char *s);
void sqs_ref_blob(sqlite3_stmt *q, int i, const void *b, size_t n);

/* The change counter of thread lists (store.h): the next value, given once; the current one. */
int64_t sqs_change_next(struct store *st);
int64_t sqs_change_now(struct store *st);

/* Adds a row to the users table, which citizens and workers share. STORE_EXISTS: id taken. */
int sqs_user_insert(struct store *st, const char *id, enum store_role kind, int64_t now);

/* Staff names and units' name styles (store_sqlite_names.c), in the staff and unit tables. */
int sqs_staff_name_get(struct store *st, const char *user_id, struct store_staff_name *out);
int sqs_staff_name_put(struct store *st, const struct store_staff_name *n);
int sqs_unit_name_style_get(struct store *st, const char *unit_id, int *style);
int sqs_unit_name_style_put(struct store *st, const char *unit_id, int style);

/* Migrations (store_sqlite_schema.c), run in this order where not yet applied. */
struct sqs_migration {
	int id;
	const char *name;
	const char *sql;
};
extern const struct sqs_migration store_sqlite_migrations[];
extern const size_t store_sqlite_nmigrations;

/* Each domain's operations (store_sqlite_<domain>.c); the transactions are store_sqlite.c's. */
extern const struct store_session_ops store_sqlite_session_ops;
extern const struct store_identity_ops store_sqlite_identity_ops;
extern const struct store_staff_ops store_sqlite_staff_ops;
extern const struct store_unit_ops store_sqlite_unit_ops;
extern const struct store_queue_ops store_sqlite_queue_ops;
extern const struct store_duty_ops store_sqlite_duty_ops;
extern const struct store_thread_ops store_sqlite_thread_ops;
extern const struct store_request_ops store_sqlite_request_ops;
extern const struct store_audit_ops store_sqlite_audit_ops;
extern const struct store_notify_ops store_sqlite_notify_ops;
extern const struct store_keys_ops store_sqlite_keys_ops;
extern const struct store_file_ops store_sqlite_file_ops;
extern const struct store_rekey_ops store_sqlite_rekey_ops;
extern const struct store_citizen_ops store_sqlite_citizen_ops;
extern const struct store_unit_days_ops store_sqlite_unit_days_ops;
extern const struct store_monitor_ops store_sqlite_monitor_ops;
extern const struct store_idbox_ops store_sqlite_idbox_ops;
extern const struct store_note_ops store_sqlite_note_ops;
extern const struct store_retention_ops store_sqlite_retention_ops;
extern const struct store_rights_ops store_sqlite_rights_ops;
extern const struct store_disclosure_ops store_sqlite_disclosure_ops;
extern const struct store_consent_ops store_sqlite_consent_ops;
extern const struct store_backup_ops store_sqlite_backup_ops;
/* Runs a query whose columns are (owner, n, kid, data, extra[, m, third]) and calls cb per row
 * (store_sqlite_keys.c); a non-zero return of cb stops early. Finalizes q. STORE_OK or STORE_ERROR. */
int sqs_key_each(struct store *st, sqlite3_stmt *q, store_key_cb cb, void *arg);

#endif
