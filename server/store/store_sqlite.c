/*
 * store_sqlite.c - the store (store.h) on one SQLite file.
 *
 * WAL journal with synchronous=FULL: a committed transaction survives power loss, which
 * is what an acknowledgement promises. Migrations are numbered SQL scripts run at open;
 * the table schema_migrations records which ids ran, so features may add theirs in any
 * order. Statements are prepared once and kept.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_sqlite_checkpoint.h"
#include "store_sqlite_int.h"
#include "store_sqlite_identity.h"
#include "store_sqlite_keys.h"
#include "store_sqlite_queue.h"

/* Page cache of the writing connection, in KiB (a negative cache_size): one group-committed
 * batch of thousands of messages must fit, or SQLite spills dirty pages to the WAL in the
 * middle of the transaction and writes them again at the commit. temp_store = MEMORY keeps
 * the savepoint journal (one savepoint per request) in memory: otherwise SQLite writes every
 * page a request changes to an unlinked file in /var/tmp as well. */
#define STORE_SQLITE_CACHE_KIB "-65536"

/* Migrations, run in this order where not yet applied. Never edit one that has shipped;
 * add a new one with the next unused id. */
struct migration {
	int id;
	const char *name;
	const char *sql;
};

static const struct migration migrations[] = {
	{ 1, "users, units, queues, sessions, threads, messages, idempotency, access log",
	  "CREATE TABLE users(id TEXT PRIMARY KEY, kind INTEGER NOT NULL, created INTEGER NOT NULL);"
	  "CREATE TABLE citizens(user_id TEXT PRIMARY KEY REFERENCES users(id),"
	  "  hetu_hash BLOB NOT NULL UNIQUE);"
	  "CREATE TABLE workers(user_id TEXT PRIMARY KEY REFERENCES users(id),"
	  "  username TEXT NOT NULL UNIQUE, salt BLOB NOT NULL, opslimit INTEGER NOT NULL,"
	  "  memlimit INTEGER NOT NULL, auth_hash BLOB NOT NULL,"
	  "  failures INTEGER NOT NULL DEFAULT 0, locked_until INTEGER NOT NULL DEFAULT 0,"
	  "  disabled INTEGER NOT NULL DEFAULT 0);"
	  "CREATE TABLE units(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	  "CREATE TABLE queues(id TEXT PRIMARY KEY, unit_id TEXT NOT NULL REFERENCES units(id),"
	  "  category TEXT NOT NULL UNIQUE, name TEXT NOT NULL);"
	  "CREATE TABLE memberships(user_id TEXT NOT NULL REFERENCES users(id),"
	  "  unit_id TEXT NOT NULL REFERENCES units(id), role INTEGER NOT NULL,"
	  "  PRIMARY KEY(user_id, unit_id)) WITHOUT ROWID;"
	  "CREATE TABLE sessions(hash BLOB PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	  "  role INTEGER NOT NULL, created INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	  "  idle_ms INTEGER NOT NULL, expires INTEGER NOT NULL,"
	  "  revoked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	  "CREATE TABLE threads(id TEXT PRIMARY KEY, citizen_id TEXT NOT NULL REFERENCES users(id),"
	  "  queue_id TEXT NOT NULL REFERENCES queues(id), assignee_id TEXT REFERENCES users(id),"
	  "  state INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL,"
	  "  last_seq INTEGER NOT NULL);"
	  "CREATE INDEX threads_by_citizen ON threads(citizen_id, id);"
	  "CREATE INDEX threads_by_queue ON threads(queue_id, id);"
	  "CREATE TABLE messages(thread_id TEXT NOT NULL REFERENCES threads(id), seq INTEGER NOT NULL,"
	  "  sender_id TEXT NOT NULL REFERENCES users(id), sender_role INTEGER NOT NULL,"
	  "  created INTEGER NOT NULL, body BLOB NOT NULL, UNIQUE(thread_id, seq));"
	  "CREATE TABLE requests(user_id TEXT NOT NULL, request_id TEXT NOT NULL,"
	  "  reply TEXT NOT NULL, created INTEGER NOT NULL,"
	  "  PRIMARY KEY(user_id, request_id)) WITHOUT ROWID;"
	  "CREATE TABLE access_log(row INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	  "  user_id TEXT NOT NULL, role INTEGER NOT NULL, unit_id TEXT NOT NULL,"
	  "  client TEXT NOT NULL, object TEXT NOT NULL, action TEXT NOT NULL,"
	  "  outcome TEXT NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL);"
	  "CREATE TRIGGER access_log_append_only_u BEFORE UPDATE ON access_log"
	  "  BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;"
	  "CREATE TRIGGER access_log_append_only_d BEFORE DELETE ON access_log"
	  "  BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;" },
	{ 2,
	  "duty queues: settings, routes, closed days, roster, duty, deadline clocks, reassignments,"
	  " notification contacts and outbox",
	  store_sqlite_queue_migration },
	{ 3, "identity: single-use bank-ID logins", store_sqlite_identity_migration },
	{ 4, "end-to-end encryption: root key, certificates, devices, unit keys, wraps, bundles, shares",
	  store_sqlite_keys_migration },
	{ 5, "staff accounts: second factor, setup codes, end dates, role ends, unknown-name failures",
	  store_sqlite_staff_migration },
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])

/* Every statement the store runs, prepared on first use and kept. */
enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_SESSION_INSERT,
	S_SESSION_GET,
	S_SESSION_TOUCH,
	S_SESSION_REVOKE,
	S_USER_INSERT,
	S_CITIZEN_GET,
	S_CITIZEN_INSERT,
	S_WORKER_INSERT,
	S_WORKER_GET,
	S_WORKER_SET_LOGIN,
	S_MEMBER_ADD,
	S_MEMBER_LIST,
	S_UNIT_INSERT,
	S_UNIT_FIND,
	S_QUEUE_INSERT,
	S_QUEUE_BY_CATEGORY,
	S_QUEUE_LIST,
	S_THREAD_INSERT,
	S_THREAD_GET,
	S_THREAD_UPDATE,
	S_THREAD_LIST_CITIZEN,
	S_THREAD_LIST_MEMBER,
	S_MESSAGE_INSERT,
	S_MESSAGE_LIST,
	S_REQUEST_GET,
	S_REQUEST_PUT,
	S_AUDIT_LAST,
	S_AUDIT_INSERT,
	S_AUDIT_SCAN,
	S__COUNT
};

#define THREAD_COLUMNS                                                                                       \
	"t.id, t.citizen_id, t.queue_id, q.unit_id, q.category, ifnull(t.assignee_id, ''), "                 \
	"t.state, t.created, t.updated, t.last_seq"
#define AUDIT_COLUMNS "row, time, user_id, role, unit_id, client, object, action, outcome, prev, hash"

static const char *const stmt_sql[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT request",
	[S_RELEASE] = "RELEASE request",
	[S_ROLLBACK_TO] = "ROLLBACK TO request",
	[S_SESSION_INSERT] = "INSERT INTO sessions(hash, user_id, role, created, last_seen, idle_ms,"
			     " expires, revoked) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
	[S_SESSION_GET] = "SELECT user_id, role, created, last_seen, idle_ms, expires, revoked"
			  " FROM sessions WHERE hash = ?1",
	[S_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ?2 WHERE hash = ?1",
	[S_SESSION_REVOKE] = "UPDATE sessions SET revoked = 1 WHERE hash = ?1",
	[S_USER_INSERT] = "INSERT INTO users(id, kind, created) VALUES(?1, ?2, ?3)",
	[S_CITIZEN_GET] = "SELECT user_id FROM citizens WHERE hetu_hash = ?1",
	[S_CITIZEN_INSERT] = "INSERT INTO citizens(user_id, hetu_hash) VALUES(?1, ?2)",
	[S_WORKER_INSERT] = "INSERT INTO workers(user_id, username, salt, opslimit, memlimit,"
			    " auth_hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_WORKER_GET] = "SELECT user_id, username, salt, opslimit, memlimit, auth_hash, failures,"
			 " locked_until, disabled FROM workers WHERE username = ?1",
	[S_WORKER_SET_LOGIN] = "UPDATE workers SET failures = ?2, locked_until = ?3, disabled = ?4"
			       " WHERE user_id = ?1",
	[S_MEMBER_ADD] = "INSERT INTO memberships(user_id, unit_id, role) VALUES(?1, ?2, ?3)"
			 " ON CONFLICT(user_id, unit_id) DO UPDATE SET role = excluded.role",
	[S_MEMBER_LIST] = "SELECT unit_id, role FROM memberships WHERE user_id = ?1 ORDER BY unit_id",
	[S_UNIT_INSERT] = "INSERT INTO units(id, name) VALUES(?1, ?2)",
	[S_UNIT_FIND] = "SELECT id FROM units WHERE name = ?1 OR id = ?1",
	[S_QUEUE_INSERT] = "INSERT INTO queues(id, unit_id, category, name) VALUES(?1, ?2, ?3, ?4)",
	[S_QUEUE_BY_CATEGORY] = "SELECT id, unit_id, category, name FROM queues WHERE category = ?1",
	[S_QUEUE_LIST] = "SELECT id, unit_id, category, name FROM queues ORDER BY category",
	[S_THREAD_INSERT] = "INSERT INTO threads(id, citizen_id, queue_id, assignee_id, state,"
			    " created, updated, last_seq) VALUES(?1, ?2, ?3, nullif(?4, ''), ?5, ?6, ?7, ?8)",
	[S_THREAD_GET] = "SELECT " THREAD_COLUMNS " FROM threads t JOIN queues q ON q.id = t.queue_id"
			 " WHERE t.id = ?1",
	[S_THREAD_UPDATE] = "UPDATE threads SET state = ?2, assignee_id = nullif(?3, ''),"
			    " updated = ?4, last_seq = ?5, queue_id = ?6 WHERE id = ?1",
	[S_THREAD_LIST_CITIZEN] = "SELECT " THREAD_COLUMNS " FROM threads t"
				  " JOIN queues q ON q.id = t.queue_id"
				  " WHERE t.citizen_id = ?1 AND t.id > ?2 ORDER BY t.id LIMIT ?3",
	[S_THREAD_LIST_MEMBER] = "SELECT " THREAD_COLUMNS " FROM threads t"
				 " JOIN queues q ON q.id = t.queue_id"
				 " JOIN memberships m ON m.unit_id = q.unit_id AND m.user_id = ?1"
				 " WHERE t.id > ?2 ORDER BY t.id LIMIT ?3",
	[S_MESSAGE_INSERT] = "INSERT INTO messages(thread_id, seq, sender_id, sender_role, created,"
			     " body) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_MESSAGE_LIST] = "SELECT thread_id, seq, sender_id, sender_role, created, body"
			   " FROM messages WHERE thread_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
	[S_REQUEST_GET] = "SELECT reply FROM requests WHERE user_id = ?1 AND request_id = ?2",
	[S_REQUEST_PUT] = "INSERT INTO requests(user_id, request_id, reply, created)"
			  " VALUES(?1, ?2, ?3, ?4)",
	[S_AUDIT_LAST] = "SELECT " AUDIT_COLUMNS " FROM access_log ORDER BY row DESC LIMIT 1",
	[S_AUDIT_INSERT] = "INSERT INTO access_log(time, user_id, role, unit_id, client, object,"
			   " action, outcome, prev, hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_AUDIT_SCAN] = "SELECT " AUDIT_COLUMNS " FROM access_log WHERE row >= ?1 ORDER BY row",
};

struct store_sqlite {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *stmts[S__COUNT];
	struct sqq_cache *queue;   /* statements of store_sqlite_queue.c */
	struct sqck *checkpointer; /* NULL: SQLite checkpoints inside the commits */
};

static struct store_sqlite *sq(struct store *st)
{
	return (struct store_sqlite *)st;
}

/* The prepared statement `id`, reset and unbound; NULL when it cannot be prepared. */
static sqlite3_stmt *stmt(struct store *st, enum stmt_id id)
{
	struct store_sqlite *s = sq(st);

	if (s->stmts[id] == NULL && sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
						       &s->stmts[id], NULL) != SQLITE_OK) {
		log_err("prepare %d: %s", id, sqlite3_errmsg(s->db));
		return NULL;
	}
	sqlite3_reset(s->stmts[id]);
	sqlite3_clear_bindings(s->stmts[id]);
	return s->stmts[id];
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

int sqs_status(struct store *st, int rc)
{
	if (rc == SQLITE_DONE)
		return STORE_OK;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return STORE_EXISTS;
	log_err("step: %s", sqlite3_errmsg(sq(st)->db));
	return STORE_ERROR;
}

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

int sqs_done(sqlite3_stmt *q, int rc)
{
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

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

void sqs_bind_text(sqlite3_stmt *q, int i, const char *s)
{
	sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
}

void sqs_bind_blob(sqlite3_stmt *q, int i, const void *b, size_t n)
{
	sqlite3_bind_blob(q, i, b, (int)n, SQLITE_TRANSIENT);
}

/* Transactions */

static int sq_begin(struct store *st)
{
	return sqs_run(st, stmt(st, S_BEGIN));
}
static int sq_commit(struct store *st)
{
	return sqs_run(st, stmt(st, S_COMMIT));
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

	return rc == STORE_OK ? sqs_run(st, stmt(st, S_RELEASE)) : rc;
}

/* Sessions */

static int sq_session_insert(struct store *st, const struct store_session *s)
{
	sqlite3_stmt *q = stmt(st, S_SESSION_INSERT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_blob(q, 1, s->hash, sizeof s->hash);
	sqs_bind_text(q, 2, s->user_id);
	sqlite3_bind_int(q, 3, s->role);
	sqlite3_bind_int64(q, 4, s->created);
	sqlite3_bind_int64(q, 5, s->last_seen);
	sqlite3_bind_int64(q, 6, s->idle_ms);
	sqlite3_bind_int64(q, 7, s->expires);
	return sqs_run(st, q);
}

static int sq_session_get(struct store *st, const uint8_t hash[STORE_HASH_BYTES], struct store_session *out)
{
	sqlite3_stmt *q = stmt(st, S_SESSION_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_blob(q, 1, hash, STORE_HASH_BYTES);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	memset(out, 0, sizeof *out);
	memcpy(out->hash, hash, STORE_HASH_BYTES);
	sqs_text(out->user_id, sizeof out->user_id, q, 0);
	out->role = (enum store_role)sqlite3_column_int(q, 1);
	out->created = sqlite3_column_int64(q, 2);
	out->last_seen = sqlite3_column_int64(q, 3);
	out->idle_ms = sqlite3_column_int64(q, 4);
	out->expires = sqlite3_column_int64(q, 5);
	out->revoked = sqlite3_column_int(q, 6);
	sqlite3_reset(q);
	return STORE_OK;
}

static int sq_session_touch(struct store *st, const uint8_t hash[STORE_HASH_BYTES], int64_t now)
{
	sqlite3_stmt *q = stmt(st, S_SESSION_TOUCH);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_blob(q, 1, hash, STORE_HASH_BYTES);
	sqlite3_bind_int64(q, 2, now);
	return sqs_run_change(st, q);
}

static int sq_session_revoke(struct store *st, const uint8_t hash[STORE_HASH_BYTES])
{
	sqlite3_stmt *q = stmt(st, S_SESSION_REVOKE);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_blob(q, 1, hash, STORE_HASH_BYTES);
	return sqs_run_change(st, q);
}

/* Users */

static int user_insert(struct store *st, const char *id, enum store_role kind, int64_t now)
{
	sqlite3_stmt *q = stmt(st, S_USER_INSERT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, id);
	sqlite3_bind_int(q, 2, kind);
	sqlite3_bind_int64(q, 3, now);
	return sqs_run(st, q);
}

static int sq_citizen_get_or_create(struct store *st, const uint8_t hetu_hash[STORE_HASH_BYTES],
				    const char *new_id, int64_t now, char out_id[STORE_ID_SIZE])
{
	sqlite3_stmt *q = stmt(st, S_CITIZEN_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_blob(q, 1, hetu_hash, STORE_HASH_BYTES);
	rc = sqs_one(st, q);
	if (rc == SQLITE_ROW) {
		sqs_text(out_id, STORE_ID_SIZE, q, 0);
		sqlite3_reset(q);
		return STORE_OK;
	}
	if (rc != STORE_NOTFOUND)
		return rc;
	if ((rc = user_insert(st, new_id, ROLE_CITIZEN, now)) != STORE_OK)
		return rc;
	if ((q = stmt(st, S_CITIZEN_INSERT)) == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, new_id);
	sqs_bind_blob(q, 2, hetu_hash, STORE_HASH_BYTES);
	if ((rc = sqs_run(st, q)) != STORE_OK)
		return rc;
	snprintf(out_id, STORE_ID_SIZE, "%s", new_id);
	return STORE_OK;
}

static int sq_worker_insert(struct store *st, const struct store_worker *w, int64_t now)
{
	sqlite3_stmt *q;
	int rc;

	if ((rc = user_insert(st, w->user_id, ROLE_WORKER, now)) != STORE_OK)
		return rc;
	if ((q = stmt(st, S_WORKER_INSERT)) == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, w->user_id);
	sqs_bind_text(q, 2, w->username);
	sqs_bind_blob(q, 3, w->salt, sizeof w->salt);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)w->opslimit);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)w->memlimit);
	sqs_bind_blob(q, 6, w->auth_hash, sizeof w->auth_hash);
	return sqs_run(st, q);
}

static int sq_worker_get(struct store *st, const char *username, struct store_worker *out)
{
	sqlite3_stmt *q = stmt(st, S_WORKER_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, username);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	memset(out, 0, sizeof *out);
	sqs_text(out->user_id, sizeof out->user_id, q, 0);
	sqs_text(out->username, sizeof out->username, q, 1);
	sqs_blob(out->salt, sizeof out->salt, q, 2);
	out->opslimit = (uint64_t)sqlite3_column_int64(q, 3);
	out->memlimit = (uint64_t)sqlite3_column_int64(q, 4);
	sqs_blob(out->auth_hash, sizeof out->auth_hash, q, 5);
	out->failures = sqlite3_column_int(q, 6);
	out->locked_until = sqlite3_column_int64(q, 7);
	out->disabled = sqlite3_column_int(q, 8);
	sqlite3_reset(q);
	return STORE_OK;
}

static int sq_worker_set_login_state(struct store *st, const char *user_id, int failures,
				     int64_t locked_until, int disabled)
{
	sqlite3_stmt *q = stmt(st, S_WORKER_SET_LOGIN);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	sqlite3_bind_int(q, 2, failures);
	sqlite3_bind_int64(q, 3, locked_until);
	sqlite3_bind_int(q, 4, disabled);
	return sqs_run_change(st, q);
}

static int sq_membership_add(struct store *st, const char *user_id, const char *unit_id, enum store_role role)
{
	sqlite3_stmt *q = stmt(st, S_MEMBER_ADD);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	sqs_bind_text(q, 2, unit_id);
	sqlite3_bind_int(q, 3, role);
	return sqs_run(st, q);
}

static int sq_membership_list(struct store *st, const char *user_id, struct store_membership *out, size_t max,
			      size_t *n)
{
	sqlite3_stmt *q = stmt(st, S_MEMBER_LIST);
	int rc;

	*n = 0;
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < max) {
		sqs_text(out[*n].unit_id, sizeof out[*n].unit_id, q, 0);
		out[*n].role = (enum store_role)sqlite3_column_int(q, 1);
		(*n)++;
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

/* Units and queues */

static int sq_unit_insert(struct store *st, const char *id, const char *name)
{
	sqlite3_stmt *q = stmt(st, S_UNIT_INSERT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, id);
	sqs_bind_text(q, 2, name);
	return sqs_run(st, q);
}

static int sq_unit_find(struct store *st, const char *name, char out_id[STORE_ID_SIZE])
{
	sqlite3_stmt *q = stmt(st, S_UNIT_FIND);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, name);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	sqs_text(out_id, STORE_ID_SIZE, q, 0);
	sqlite3_reset(q);
	return STORE_OK;
}

static int sq_queue_insert(struct store *st, const struct store_queue *qu)
{
	sqlite3_stmt *q = stmt(st, S_QUEUE_INSERT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, qu->id);
	sqs_bind_text(q, 2, qu->unit_id);
	sqs_bind_text(q, 3, qu->category);
	sqs_bind_text(q, 4, qu->name);
	return sqs_run(st, q);
}

static void read_queue(sqlite3_stmt *q, struct store_queue *out)
{
	sqs_text(out->id, sizeof out->id, q, 0);
	sqs_text(out->unit_id, sizeof out->unit_id, q, 1);
	sqs_text(out->category, sizeof out->category, q, 2);
	sqs_text(out->name, sizeof out->name, q, 3);
}

static int sq_queue_by_category(struct store *st, const char *category, struct store_queue *out)
{
	sqlite3_stmt *q = stmt(st, S_QUEUE_BY_CATEGORY);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, category);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_queue(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

static int sq_queue_list(struct store *st, store_queue_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, S_QUEUE_LIST);
	struct store_queue qu;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_queue(q, &qu);
		if (cb(arg, &qu) != 0)
			break;
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

/* Threads */

static int sq_thread_insert(struct store *st, const struct store_thread *t)
{
	sqlite3_stmt *q = stmt(st, S_THREAD_INSERT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, t->id);
	sqs_bind_text(q, 2, t->citizen_id);
	sqs_bind_text(q, 3, t->queue_id);
	sqs_bind_text(q, 4, t->assignee_id);
	sqlite3_bind_int(q, 5, t->state);
	sqlite3_bind_int64(q, 6, t->created);
	sqlite3_bind_int64(q, 7, t->updated);
	sqlite3_bind_int64(q, 8, t->last_seq);
	return sqs_run(st, q);
}

static void read_thread(sqlite3_stmt *q, struct store_thread *t)
{
	memset(t, 0, sizeof *t);
	sqs_text(t->id, sizeof t->id, q, 0);
	sqs_text(t->citizen_id, sizeof t->citizen_id, q, 1);
	sqs_text(t->queue_id, sizeof t->queue_id, q, 2);
	sqs_text(t->unit_id, sizeof t->unit_id, q, 3);
	sqs_text(t->category, sizeof t->category, q, 4);
	sqs_text(t->assignee_id, sizeof t->assignee_id, q, 5);
	t->state = (enum thread_state)sqlite3_column_int(q, 6);
	t->created = sqlite3_column_int64(q, 7);
	t->updated = sqlite3_column_int64(q, 8);
	t->last_seq = sqlite3_column_int64(q, 9);
}

static int sq_thread_get(struct store *st, const char *id, struct store_thread *out)
{
	sqlite3_stmt *q = stmt(st, S_THREAD_GET);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_thread(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

static int sq_thread_update(struct store *st, const struct store_thread *t)
{
	sqlite3_stmt *q = stmt(st, S_THREAD_UPDATE);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, t->id);
	sqlite3_bind_int(q, 2, t->state);
	sqs_bind_text(q, 3, t->assignee_id);
	sqlite3_bind_int64(q, 4, t->updated);
	sqlite3_bind_int64(q, 5, t->last_seq);
	sqs_bind_text(q, 6, t->queue_id);
	return sqs_run_change(st, q);
}

static int thread_list(struct store *st, enum stmt_id id, const char *key, const char *after_id, int limit,
		       store_thread_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, id);
	struct store_thread t;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, key);
	sqs_bind_text(q, 2, after_id ? after_id : "");
	sqlite3_bind_int(q, 3, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_thread(q, &t);
		if (cb(arg, &t) != 0)
			break;
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

static int sq_thread_list_citizen(struct store *st, const char *citizen_id, const char *after_id, int limit,
				  store_thread_cb cb, void *arg)
{
	return thread_list(st, S_THREAD_LIST_CITIZEN, citizen_id, after_id, limit, cb, arg);
}

static int sq_thread_list_member(struct store *st, const char *user_id, const char *after_id, int limit,
				 store_thread_cb cb, void *arg)
{
	return thread_list(st, S_THREAD_LIST_MEMBER, user_id, after_id, limit, cb, arg);
}

/* Messages */

static int sq_message_insert(struct store *st, const struct store_message *m)
{
	sqlite3_stmt *q = stmt(st, S_MESSAGE_INSERT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, m->thread_id);
	sqlite3_bind_int64(q, 2, m->seq);
	sqs_bind_text(q, 3, m->sender_id);
	sqlite3_bind_int(q, 4, m->sender_role);
	sqlite3_bind_int64(q, 5, m->created);
	sqlite3_bind_blob(q, 6, m->body, (int)m->body_len, SQLITE_STATIC);
	return sqs_run(st, q);
}

static int sq_message_list(struct store *st, const char *thread_id, int64_t after_seq, int limit,
			   store_message_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, S_MESSAGE_LIST);
	struct store_message m;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, thread_id);
	sqlite3_bind_int64(q, 2, after_seq);
	sqlite3_bind_int(q, 3, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&m, 0, sizeof m);
		sqs_text(m.thread_id, sizeof m.thread_id, q, 0);
		m.seq = sqlite3_column_int64(q, 1);
		sqs_text(m.sender_id, sizeof m.sender_id, q, 2);
		m.sender_role = (enum store_role)sqlite3_column_int(q, 3);
		m.created = sqlite3_column_int64(q, 4);
		m.body = sqlite3_column_blob(q, 5);
		m.body_len = (size_t)sqlite3_column_bytes(q, 5);
		if (cb(arg, &m) != 0)
			break;
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

/* Idempotency */

static int sq_request_get(struct store *st, const char *user_id, const char *request_id, char **reply_out)
{
	sqlite3_stmt *q = stmt(st, S_REQUEST_GET);
	int rc;

	*reply_out = NULL;
	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	sqs_bind_text(q, 2, request_id);
	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	*reply_out = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_reset(q);
	return *reply_out ? STORE_OK : STORE_ERROR;
}

static int sq_request_put(struct store *st, const char *user_id, const char *request_id, const char *reply,
			  int64_t now)
{
	sqlite3_stmt *q = stmt(st, S_REQUEST_PUT);

	if (q == NULL)
		return STORE_ERROR;
	sqs_bind_text(q, 1, user_id);
	sqs_bind_text(q, 2, request_id);
	sqs_bind_text(q, 3, reply);
	sqlite3_bind_int64(q, 4, now);
	return sqs_run(st, q);
}

/* Access log */

static void read_audit(sqlite3_stmt *q, struct store_audit *a)
{
	memset(a, 0, sizeof *a);
	a->row = sqlite3_column_int64(q, 0);
	a->time = sqlite3_column_int64(q, 1);
	sqs_text(a->user_id, sizeof a->user_id, q, 2);
	a->role = (enum store_role)sqlite3_column_int(q, 3);
	sqs_text(a->unit_id, sizeof a->unit_id, q, 4);
	sqs_text(a->client, sizeof a->client, q, 5);
	sqs_text(a->object, sizeof a->object, q, 6);
	sqs_text(a->action, sizeof a->action, q, 7);
	sqs_text(a->outcome, sizeof a->outcome, q, 8);
	sqs_blob(a->prev, sizeof a->prev, q, 9);
	sqs_blob(a->hash, sizeof a->hash, q, 10);
}

static int sq_audit_last(struct store *st, struct store_audit *out)
{
	sqlite3_stmt *q = stmt(st, S_AUDIT_LAST);
	int rc;

	if ((rc = sqs_one(st, q)) != SQLITE_ROW)
		return rc;
	read_audit(q, out);
	sqlite3_reset(q);
	return STORE_OK;
}

static int sq_audit_insert(struct store *st, struct store_audit *a)
{
	sqlite3_stmt *q = stmt(st, S_AUDIT_INSERT);
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, a->time);
	sqs_bind_text(q, 2, a->user_id);
	sqlite3_bind_int(q, 3, a->role);
	sqs_bind_text(q, 4, a->unit_id);
	sqs_bind_text(q, 5, a->client);
	sqs_bind_text(q, 6, a->object);
	sqs_bind_text(q, 7, a->action);
	sqs_bind_text(q, 8, a->outcome);
	sqs_bind_blob(q, 9, a->prev, sizeof a->prev);
	sqs_bind_blob(q, 10, a->hash, sizeof a->hash);
	if ((rc = sqs_run(st, q)) == STORE_OK)
		a->row = sqlite3_last_insert_rowid(sq(st)->db);
	return rc;
}

static int sq_audit_scan(struct store *st, int64_t from_row, store_audit_cb cb, void *arg)
{
	sqlite3_stmt *q = stmt(st, S_AUDIT_SCAN);
	struct store_audit a;
	int rc;

	if (q == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(q, 1, from_row);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		read_audit(q, &a);
		if (cb(arg, &a) != 0)
			break;
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

/* Opening, migrations, closing */

static void sq_close(struct store *st)
{
	struct store_sqlite *s = sq(st);

	if (s == NULL)
		return;
	sqck_stop(s->checkpointer); /* before the writer closes, which checkpoints the rest */
	if (s->db != NULL)
		sqlite3_wal_hook(s->db, NULL, NULL);
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	store_sqlite_queue_close(s->queue);
	sqlite3_close(s->db);
	free(s);
}

static const struct store_ops sqlite_ops = {
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.in_transaction = sq_in_transaction,
	.session_insert = sq_session_insert,
	.session_get = sq_session_get,
	.session_touch = sq_session_touch,
	.session_revoke = sq_session_revoke,
	.citizen_get_or_create = sq_citizen_get_or_create,
	.worker_insert = sq_worker_insert,
	.worker_get = sq_worker_get,
	.worker_set_login_state = sq_worker_set_login_state,
	.membership_add = sq_membership_add,
	.membership_list = sq_membership_list,
	.unit_insert = sq_unit_insert,
	.unit_find = sq_unit_find,
	.queue_insert = sq_queue_insert,
	.queue_by_category = sq_queue_by_category,
	.queue_list = sq_queue_list,
	.thread_insert = sq_thread_insert,
	.thread_get = sq_thread_get,
	.thread_update = sq_thread_update,
	.thread_list_citizen = sq_thread_list_citizen,
	.thread_list_member = sq_thread_list_member,
	.message_insert = sq_message_insert,
	.message_list = sq_message_list,
	.request_get = sq_request_get,
	.request_put = sq_request_put,
	.audit_last = sq_audit_last,
	.audit_insert = sq_audit_insert,
	.audit_scan = sq_audit_scan,
	/* Duty queues (store_sqlite_queue.c) */
	.unit_settings_get = sqq_unit_settings_get,
	.unit_settings_put = sqq_unit_settings_put,
	.queue_get = sqq_queue_get,
	.queue_settings_get = sqq_queue_settings_get,
	.queue_settings_put = sqq_queue_settings_put,
	.route_get = sqq_route_get,
	.route_put = sqq_route_put,
	.closed_day_put = sqq_closed_day_put,
	.closed_day_delete = sqq_closed_day_delete,
	.closed_day_list = sqq_closed_day_list,
	.roster_add = sqq_roster_add,
	.roster_delete = sqq_roster_delete,
	.roster_list = sqq_roster_list,
	.duty_get = sqq_duty_get,
	.duty_put = sqq_duty_put,
	.unit_members = sqq_unit_members,
	.clock_get = sqq_clock_get,
	.clock_put = sqq_clock_put,
	.clock_due = sqq_clock_due,
	.queue_stats = sqq_queue_stats,
	.reassign_insert = sqq_reassign_insert,
	.contact_get = sqq_contact_get,
	.contact_put = sqq_contact_put,
	.contact_delete = sqq_contact_delete,
	.outbox_add = sqq_outbox_add,
	.outbox_next = sqq_outbox_next,
	.outbox_get = sqq_outbox_get,
	.outbox_update = sqq_outbox_update,
	.outbox_recover = sqq_outbox_recover,
	/* Identity (store_sqlite_identity.c) */
	.bank_login_use = sqi_bank_login_use,
	/* End-to-end encryption (store_sqlite_keys.c) */
	.e2e_root_get = sqk_root_get,
	.e2e_root_put = sqk_root_put,
	.e2e_cert_put = sqk_cert_put,
	.e2e_cert_list = sqk_cert_list,
	.e2e_bundle_get = sqk_bundle_get,
	.e2e_bundle_put = sqk_bundle_put,
	.e2e_device_put = sqk_device_put,
	.e2e_device_list = sqk_device_list,
	.e2e_unit_gen_put = sqk_unit_gen_put,
	.e2e_unit_gen_list = sqk_unit_gen_list,
	.e2e_unit_gen_by_kid = sqk_unit_gen_by_kid,
	.e2e_unit_seed_put = sqk_unit_seed_put,
	.e2e_unit_seed_list = sqk_unit_seed_list,
	.e2e_wrap_put = sqk_wrap_put,
	.e2e_wrap_list = sqk_wrap_list,
	.e2e_share_put = sqk_share_put,
	.e2e_share_get = sqk_share_get,
	.e2e_share_opened = sqk_share_opened,
	.e2e_share_pending = sqk_share_pending,
	.e2e_member_remove = sqk_member_remove,
	.e2e_file_put = sqk_file_put,
	.e2e_file_get = sqk_file_get,
	.e2e_file_progress = sqk_file_progress,
	.e2e_file_usage = sqk_file_usage,
	/* Staff accounts (store_sqlite_identity.c) */
	.staff_get = sqi_staff_get,
	.staff_put = sqi_staff_put,
	.worker_set_auth = sqi_worker_set_auth,
	.ghost_get = sqi_ghost_get,
	.ghost_put = sqi_ghost_put,
	.role_end_set = sqi_role_end_set,
	.role_expire = sqi_role_expire,
	.role_ended_any = sqi_role_ended_any,
	.session_end_due = sqi_session_end_due,
	.session_revoke_user = sqi_session_revoke_user,
};

sqlite3 *store_sqlite_checkpoint_db(struct store *st)
{
	return sqck_db(sq(st)->checkpointer);
}

sqlite3 *store_sqlite_db(struct store *st)
{
	return sq(st)->db;
}

struct sqq_cache **store_sqlite_queue_slot(struct store *st)
{
	return &sq(st)->queue;
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
	for (size_t i = 0; i < NMIGRATIONS; i++)
		if (migrations[i].id == id)
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
static int migration_record(sqlite3 *db, const struct migration *m)
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
static int migration_run(sqlite3 *db, const struct migration *m)
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
	for (size_t i = 0; i < NMIGRATIONS; i++) {
		int done = migration_done(db, migrations[i].id);

		if (done < 0 || (!done && migration_run(db, &migrations[i]) != 0))
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

struct store *store_sqlite_open(const char *path, enum store_mode mode)
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
		    migrate(s->db) != 0)
			goto fail;
		s->checkpointer = sqck_start(s->db, path);
	} else {
		size_t applied;
		int latest;

		if (migrations_applied(s->db, &applied, &latest) != 0 || applied != NMIGRATIONS) {
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
