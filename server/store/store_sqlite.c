/*
 * store_sqlite.c - the store (store.h) on one SQLite file: opening it, its migrations, the
 * transactions, closing it, and the table that gathers each domain's operations
 * (store_sqlite_<domain>.c).
 *
 * WAL journal with synchronous=FULL: a committed transaction survives power loss, which
 * is what an acknowledgement promises. Migrations are numbered SQL scripts
 * (store_sqlite_schema.c) run at open; the table schema_migrations records which ids ran,
 * so features may add theirs in any order. Statements are prepared once and kept.
 *
 * The shred shares live in a second file, the shred store, attached to the writer as
 * `shred` (its own backup policy: deleting a share there makes every copy of the main
 * database unreadable for that thread). It keeps a rollback journal that is deleted after
 * each commit, and both files zero what is deleted (secure_delete), so a deleted share stays
 * in no file of the store. SQLite commits the main database before an attached one, so a
 * crash between the two is completed at the next open: a share whose thread was shredded in
 * the main database is deleted then.
 */
#include <pthread.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_sqlite_checkpoint.h"
#include "store_sqlite_int.h"

/* Page cache of the writing connection, in KiB (a negative cache_size): one group-committed
 * batch of thousands of messages must fit, or SQLite spills dirty pages to the WAL in the
 * middle of the transaction and writes them again at the commit. temp_store = MEMORY keeps
 * the savepoint journal (one savepoint per request) in memory: otherwise SQLite writes every
 * page a request changes to an unlinked file in /var/tmp as well. */
#define STORE_SQLITE_CACHE_KIB "-65536"

/* The WAL's bound and the idle time before it is emptied, until store_sqlite_set_wal_limits
 * says otherwise (the configuration's defaults: wal_limit_mb, wal_idle_s). */
#define STORE_SQLITE_WAL_LIMIT	 (64LL << 20)
#define STORE_SQLITE_WAL_IDLE_MS 10000

/* Transactions */

enum tx_stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_CHANGE_SAVE,
	STMT__COUNT
};

static const char *const stmt_sql[STMT__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT request",
	[S_RELEASE] = "RELEASE request",
	[S_ROLLBACK_TO] = "ROLLBACK TO request",
	[S_CHANGE_SAVE] = "UPDATE change_counter SET value = ?1 WHERE id = 1",
};

static struct store_sqlite *sq(struct store *st)
{
	return (struct store_sqlite *)st;
}

/* The kept statement `id`, reset and unbound; NULL (logged) when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum tx_stmt id)
{
	return sqs_kept(st, SQS_TX, stmt_sql, STMT__COUNT, (int)id);
}

/* Transactions */

static int sq_begin(struct store *st)
{
	return sqs_run(st, stmt(st, S_BEGIN));
}

/* The change counter (store.h) lives in memory and is written with the commit of a batch
 * that used it, so that after a restart it goes on above every value a committed batch has
 * given or shown; values of a batch that did not commit were never shown. */
static int save_change(struct store *st)
{
	struct store_sqlite *s = sq(st);
	sqlite3_stmt *q;

	if (s->change == s->change_saved)
		return STORE_OK;
	if ((q = stmt(st, S_CHANGE_SAVE)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, s->change);
	return sqs_run(st, q);
}

static int sq_commit(struct store *st)
{
	int64_t change = sq(st)->change;

	if (save_change(st) != STORE_OK || sqs_run(st, stmt(st, S_COMMIT)) != STORE_OK) {
		sqs_gen_bump_all(sq(st)); /* whatever the caller does next, caches start over */
		return STORE_ERROR;
	}
	sq(st)->change_saved = change;
	return STORE_OK;
}

static int sq_savepoint(struct store *st)
{
	return sqs_run(st, stmt(st, S_SAVEPOINT));
}

static int sq_release(struct store *st)
{
	return sqs_run(st, stmt(st, S_RELEASE));
}

static int sq_rollback(struct store *st)
{
	sqs_gen_bump_all(sq(st)); /* what the caches read in the batch may be undone */
	if (sqlite3_get_autocommit(sq(st)->db))
		return STORE_OK; /* SQLite already rolled back (for example after an I/O error) */
	return sqs_run(st, stmt(st, S_ROLLBACK));
}

static int sq_in_transaction(struct store *st)
{
	return !sqlite3_get_autocommit(sq(st)->db);
}

static int sq_rollback_to(struct store *st)
{
	int rc = sqs_run(st, stmt(st, S_ROLLBACK_TO));

	sqs_gen_bump_all(sq(st)); /* what the caches read in the request may be undone */

	return rc == STORE_OK ? sqs_run(st, stmt(st, S_RELEASE)) : rc;
}

static const struct store_tx_ops sqlite_tx_ops = {
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.in_transaction = sq_in_transaction,
	.generation = sqs_generation,
};

/* Opening, migrations, closing */

static void sq_close(struct store *st)
{
	struct store_sqlite *s = sq(st);

	if (s == NULL)
		return;
	sqck_stop(s->checkpointer); /* before the writer closes, which checkpoints the rest */
	if (s->db != NULL)
		sqlite3_wal_hook(s->db, NULL, NULL);
	sqs_kept_free(s);
	sqlite3_close(s->db);
	free(s);
}

static const struct store_ops sqlite_ops = {
	.close = sq_close,
	.tx = &sqlite_tx_ops,
	.session = &store_sqlite_session_ops,
	.identity = &store_sqlite_identity_ops,
	.staff = &store_sqlite_staff_ops,
	.unit = &store_sqlite_unit_ops,
	.queue = &store_sqlite_queue_ops,
	.duty = &store_sqlite_duty_ops,
	.thread = &store_sqlite_thread_ops,
	.request = &store_sqlite_request_ops,
	.audit = &store_sqlite_audit_ops,
	.notify = &store_sqlite_notify_ops,
	.keys = &store_sqlite_keys_ops,
	.rekey = &store_sqlite_rekey_ops,
	.file = &store_sqlite_file_ops,
	.citizen = &store_sqlite_citizen_ops,
	.unit_days = &store_sqlite_unit_days_ops,
	.monitor = &store_sqlite_monitor_ops,
	.idbox = &store_sqlite_idbox_ops,
	.note = &store_sqlite_note_ops,
	.retention = &store_sqlite_retention_ops,
	.rights = &store_sqlite_rights_ops,
	.disclosure = &store_sqlite_disclosure_ops,
	.consent = &store_sqlite_consent_ops,
	.backup = &store_sqlite_backup_ops,
};

sqlite3 *store_sqlite_checkpoint_db(struct store *st)
{
	return sqck_db(sq(st)->checkpointer);
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_err("%s", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Whether migration `id` is known to this program. */
static int migration_known(int id)
{
	for (size_t i = 0; i < store_sqlite_nmigrations; i++)
		if (store_sqlite_migrations[i].id == id)
			return 1;
	return 0;
}

/*
 * Checks the applied migrations: 0 when every one is known to this program, -1 when the file
 * was migrated by a newer program. *applied gets how many known ones ran; *latest the
 * highest id.
 */
static int migrations_applied(sqlite3 *db, size_t *applied, int *latest)
{
	sqlite3_stmt *q;
	int rc = 0;

	*applied = 0;
	*latest = 0;
	if (sqlite3_prepare_v2(db, "SELECT id FROM schema_migrations", -1, &q, NULL) != SQLITE_OK)
		return 0; /* no table yet: nothing applied */
	while (sqlite3_step(q) == SQLITE_ROW) {
		int id = sqlite3_column_int(q, 0);

		if (!migration_known(id)) {
			log_err("database has migration %d, unknown to this program (newer?)", id);
			rc = -1;
		}
		(*applied)++;
		if (id > *latest)
			*latest = id;
	}
	sqlite3_finalize(q);
	return rc;
}

static int migration_done(sqlite3 *db, int id)
{
	sqlite3_stmt *q;
	int done = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM schema_migrations WHERE id = ?1", -1, &q, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int(q, 1, id);
	done = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return done;
}

/* Records migration `m` as applied. 0 or -1. */
static int migration_record(sqlite3 *db, const struct sqs_migration *m)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO schema_migrations(id, name, applied) VALUES(?1, ?2, ?3)", -1,
			       &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int(q, 1, m->id);
	sqlite3_bind_text(q, 2, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(q);
	return rc;
}

/* Runs one migration and records it, in one transaction. */
static int migration_run(sqlite3 *db, const struct sqs_migration *m)
{
	if (exec_sql(db, "BEGIN IMMEDIATE") != 0)
		return -1;
	if (exec_sql(db, m->sql) != 0 || migration_record(db, m) != 0) {
		exec_sql(db, "ROLLBACK");
		log_err("migration %d (%s) failed", m->id, m->name);
		return -1;
	}
	if (exec_sql(db, "COMMIT") != 0)
		return -1;
	log_info("database migration %d applied: %s", m->id, m->name);
	return 0;
}

/* Runs every migration not yet applied, in the order of the table. */
static int migrate(sqlite3 *db)
{
	size_t applied;
	int latest;

	if (exec_sql(db, "CREATE TABLE IF NOT EXISTS schema_migrations(id INTEGER PRIMARY KEY,"
			 " name TEXT NOT NULL, applied INTEGER NOT NULL)") != 0 ||
	    migrations_applied(db, &applied, &latest) != 0)
		return -1;
	for (size_t i = 0; i < store_sqlite_nmigrations; i++) {
		int done = migration_done(db, store_sqlite_migrations[i].id);

		if (done < 0 || (!done && migration_run(db, &store_sqlite_migrations[i]) != 0))
			return -1;
	}
	return 0;
}

/* Before SQLite initialises: no memory statistics, which cost a global mutex on every
 * allocation (sqlite3_config refuses once SQLite is initialised; then nothing changes). */
static pthread_once_t tuned = PTHREAD_ONCE_INIT;

static void tune_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Reads the change counter's stored value. 0 or -1. */
static int load_change(struct store_sqlite *s)
{
	sqlite3_stmt *q;
	int rc = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT value FROM change_counter WHERE id = 1", -1, &q, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW) {
		s->change = s->change_saved = sqlite3_column_int64(q, 0);
		rc = 0;
	}
	sqlite3_finalize(q);
	if (rc != 0)
		log_err("the change counter cannot be read");
	return rc;
}

/* The writer's journal_size_limit: the size SQLite cuts the WAL file back to when it starts
 * the WAL over. 0 or -1 (logged). */
static int set_journal_limit(sqlite3 *db, int64_t bytes)
{
	char sql[64];

	snprintf(sql, sizeof sql, "PRAGMA journal_size_limit = %lld", (long long)bytes);
	return exec_sql(db, sql);
}

int store_sqlite_set_wal_limits(struct store *st, int64_t limit_bytes, int64_t idle_ms)
{
	struct store_sqlite *s = sq(st);

	if (sqlite3_db_readonly(s->db, "main") != 0 || set_journal_limit(s->db, limit_bytes) != 0)
		return -1;
	sqck_set_limits(s->checkpointer, limit_bytes, idle_ms);
	return 0;
}

/* The shred store's schema, made where it is missing (the file has no migrations of its own). */
#define SHRED_SCHEMA                                                                                         \
	"CREATE TABLE IF NOT EXISTS shred.shares(thread_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL,"        \
	"  share BLOB NOT NULL, created INTEGER NOT NULL, opened INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;" \
	"CREATE INDEX IF NOT EXISTS shred.shares_pending ON shares(owner_id, opened);"

/* Whether the main database has table `name`: 1, 0, or -1 on error. */
static int main_has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?1", -1,
			       &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Attaches the shred store at `path` to the writer's connection (created, mode 600, when
 * missing) and copies in the shares an older database kept in its own table, in a
 * transaction that writes the shred store only: migration 16 then drops that table from the
 * main database, after the copy is durable. 0 or -1 (logged).
 */
static int shred_attach(sqlite3 *db, const char *path)
{
	struct stat sb;
	sqlite3_stmt *q;
	int rc, old;

	/* A database that had its shred store needs that one: an empty one in its place would
	 * leave every thread unreadable, and shares made anew would not open old messages. */
	if (strcmp(path, ":memory:") != 0 && stat(path, &sb) != 0 &&
	    main_has_table(db, "thread_shreds") != 0) {
		log_err("the shred store %s is missing: restore it from its backup (no thread can be read "
			"without it); only if it is lost for good, create it empty (touch it, mode 600)",
			path);
		return -1;
	}
	if (sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS shred", -1, &q, NULL) != SQLITE_OK) {
		log_err("cannot attach the shred store: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		log_err("cannot open the shred store %s: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	if (exec_sql(db,
		     "PRAGMA shred.journal_mode = DELETE; PRAGMA shred.synchronous = FULL;"
		     " PRAGMA shred.secure_delete = ON; PRAGMA main.secure_delete = ON;" SHRED_SCHEMA) != 0)
		return -1;
	if (strcmp(path, ":memory:") != 0 && chmod(path, 0600) != 0)
		log_warn("%s: cannot make it readable by its owner only: %s", path, strerror(errno));
	if ((old = main_has_table(db, "e2e_shares")) <= 0)
		return old;
	return exec_sql(db, "BEGIN IMMEDIATE; INSERT OR IGNORE INTO shred.shares"
			    "  SELECT thread_id, owner_id, share, created, opened FROM main.e2e_shares;"
			    " COMMIT");
}

/* Completes shreds that a crash cut between the main database's commit and the shred
 * store's: their shares go. 0 or -1 (logged). */
static int shred_reconcile(sqlite3 *db)
{
	return exec_sql(db, "DELETE FROM shred.shares WHERE thread_id IN"
			    " (SELECT thread_id FROM main.thread_shreds)");
}

void store_sqlite_shred_path(const char *db_path, char *out, size_t size)
{
	size_t n = strlen(db_path);

	if (strcmp(db_path, ":memory:") == 0)
		snprintf(out, size, ":memory:");
	else if (n > 3 && strcmp(db_path + n - 3, ".db") == 0)
		snprintf(out, size, "%.*s-shred.db", (int)(n - 3), db_path);
	else
		snprintf(out, size, "%s-shred.db", db_path);
}

struct store *store_sqlite_open(const char *path, enum store_mode mode)
{
	char shred[1024];

	store_sqlite_shred_path(path, shred, sizeof shred);
	return store_sqlite_open_shred(path, shred, mode);
}

struct store *store_sqlite_open_shred(const char *path, const char *shred_path, enum store_mode mode)
{
	struct store_sqlite *s = calloc(1, sizeof *s);
	int flags =
		mode == STORE_READWRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	char *uri = NULL;

	if (s == NULL)
		return NULL;
	pthread_once(&tuned, tune_sqlite);
	s->base.ops = &sqlite_ops;
	if (mode == STORE_IMMUTABLE) { /* no -wal or -shm: a URI with immutable=1 */
		uri = sqlite3_mprintf("file:%s?immutable=1", path);
		if (uri == NULL || strpbrk(path, "?#%") != NULL) {
			log_err("cannot open %s read-only: a path without ?, # and %%", path);
			sqlite3_free(uri);
			free(s);
			return NULL;
		}
		flags |= SQLITE_OPEN_URI;
	}
	if (sqlite3_open_v2(uri ? uri : path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_free(uri);
		log_err("cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_free(uri);
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_extended_result_codes(s->db, 1);
	if (exec_sql(s->db, "PRAGMA foreign_keys = ON") != 0)
		goto fail;
	if (mode == STORE_READWRITE) {
		if (exec_sql(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
				    " PRAGMA cache_size = " STORE_SQLITE_CACHE_KIB
				    "; PRAGMA temp_store = MEMORY") != 0 ||
		    shred_attach(s->db, shred_path) != 0 || migrate(s->db) != 0 ||
		    shred_reconcile(s->db) != 0 || load_change(s) != 0 || sqs_watch_install(s) != 0 ||
		    set_journal_limit(s->db, STORE_SQLITE_WAL_LIMIT) != 0)
			goto fail;
		s->checkpointer = sqck_start(s->db, path, STORE_SQLITE_WAL_LIMIT, STORE_SQLITE_WAL_IDLE_MS);
	} else {
		size_t applied;
		int latest;

		if (migrations_applied(s->db, &applied, &latest) != 0 ||
		    applied != store_sqlite_nmigrations) {
			log_err("%s: the database is not migrated for this program", path);
			goto fail;
		}
	}
	return &s->base;
fail:
	sq_close(&s->base);
	return NULL;
}

int store_sqlite_schema_version(struct store *st)
{
	size_t applied;
	int latest;

	return migrations_applied(sq(st)->db, &applied, &latest) == 0 ? latest : -1;
}
