/*
 * test_store.c - the SQLite store: migrations, the WAL with synchronous=FULL on the
 * connections that write or checkpoint, durability across reopen, read-only use, unique keys,
 * savepoints inside a batch, the idempotency table, the lists advicectl reads (units, workers,
 * routes, named closed days, memberships with their end dates), that every domain operation
 * is set, and that migration 8 turns the failed-login locks of older databases into locks
 * that began at the upgrade.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "store_sqlite_int.h"
#include "testutil.h"

struct fx {
	char dir[256], db[300];
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_int_equal(testutil_tmpdir(f->dir, sizeof f->dir), 0);
	snprintf(f->db, sizeof f->db, "%s/advice.db", f->dir);
	f->st = store_sqlite_open(f->db, STORE_READWRITE);
	assert_non_null(f->st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->st)
		f->st->ops->close(f->st);
	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

/* The text a PRAGMA returns on the connection `h` (malloc'd), or NULL. */
static char *pragma_text_on(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *q;
	char *out = NULL;

	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		out = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return out;
}

/* The same on a new connection to the file `db`. */
static char *pragma_text(const char *db, const char *sql)
{
	sqlite3 *h;
	char *out;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	out = pragma_text_on(h, sql);
	sqlite3_close(h);
	return out;
}

/* The integer a PRAGMA returns on the connection `db`. */
static int pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	int value;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	value = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return value;
}

static void unit(struct store *st, const char *id, const char *name)
{
	assert_int_equal(st->ops->unit->insert(st, id, name), STORE_OK);
}

static void test_migrations_and_wal(void **state)
{
	struct fx *f = *state;
	char *mode = pragma_text(f->db, "PRAGMA journal_mode");
	int version = store_sqlite_schema_version(f->st);

	assert_true(version >= 1); /* features add migrations with their own ids */
	assert_string_equal(mode, "wal");
	free(mode);
	/* Reopening runs no migration twice. */
	f->st->ops->close(f->st);
	f->st = store_sqlite_open(f->db, STORE_READWRITE);
	assert_non_null(f->st);
	assert_int_equal(store_sqlite_schema_version(f->st), version);
}

static int count_view(void *arg, const struct store_thread_view *v)
{
	int64_t *last = arg;

	assert_true(v->change > last[0]); /* by change, each value once */
	last[0] = v->change;
	last[1]++;
	return 0;
}

static int note_departure(void *arg, const char *thread_id, int64_t change)
{
	snprintf(arg, STORE_ID_SIZE, "%s", thread_id);
	assert_true(change > 0);
	return 0;
}

/* Migration 6 (thread lists) on a database that has threads: they survive, numbered by the
 * change counter in order of their last activity, and every later change takes the next value. */
static void test_migration_6_keeps_threads(void **state)
{
	struct fx *f = *state;
	struct store_thread t;
	struct store_thread_view v;
	struct store_thread_query q = { .changed_since = 0, .limit = 10 };
	char gone[STORE_ID_SIZE] = "";
	int64_t now, acc[2] = { 0, 0 };
	sqlite3 *h;

	f->st->ops->close(f->st);
	f->st = NULL;
	remove(f->db);
	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(h,
			     "CREATE TABLE schema_migrations(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
			     " applied INTEGER NOT NULL)",
			     NULL, NULL, NULL),
		SQLITE_OK);
	for (size_t i = 0; i < store_sqlite_nmigrations && store_sqlite_migrations[i].id < 6; i++) {
		char rec[96];

		assert_int_equal(sqlite3_exec(h, store_sqlite_migrations[i].sql, NULL, NULL, NULL),
				 SQLITE_OK);
		snprintf(rec, sizeof rec, "INSERT INTO schema_migrations VALUES(%d, 'old', 0)",
			 store_sqlite_migrations[i].id);
		assert_int_equal(sqlite3_exec(h, rec, NULL, NULL, NULL), SQLITE_OK);
	}
	assert_int_equal(sqlite3_exec(h,
				      "INSERT INTO users VALUES('c0000000000000000000000000000001', 1, 0);"
				      "INSERT INTO users VALUES('a0000000000000000000000000000001', 2, 0);"
				      "INSERT INTO units VALUES('00000000000000000000000000000001', 'one');"
				      "INSERT INTO units VALUES('00000000000000000000000000000002', 'two');"
				      "INSERT INTO memberships VALUES('a0000000000000000000000000000001',"
				      " '00000000000000000000000000000001', 2);"
				      "INSERT INTO queues VALUES('00000000000000000000000000000011',"
				      " '00000000000000000000000000000001', 'one', 'One');"
				      "INSERT INTO queues VALUES('00000000000000000000000000000012',"
				      " '00000000000000000000000000000002', 'two', 'Two');"
				      "INSERT INTO threads VALUES('10000000000000000000000000000001',"
				      " 'c0000000000000000000000000000001', "
				      "'00000000000000000000000000000011', NULL, 0, 1, 30, 1);"
				      "INSERT INTO threads VALUES('10000000000000000000000000000002',"
				      " 'c0000000000000000000000000000001', "
				      "'00000000000000000000000000000011', NULL, 0, 2, 10, 1);"
				      "INSERT INTO threads VALUES('10000000000000000000000000000003',"
				      " 'c0000000000000000000000000000001', "
				      "'00000000000000000000000000000011', NULL, 0, 3, 20, 1);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);

	f->st = store_sqlite_open(f->db, STORE_READWRITE);
	assert_non_null(f->st);
	assert_true(store_sqlite_schema_version(f->st) >= 6);
	assert_int_equal(f->st->ops->thread->change_now(f->st, &now), STORE_OK);
	assert_int_equal(now, 3);
	assert_int_equal(f->st->ops->thread->view(f->st, "10000000000000000000000000000002",
						  "a0000000000000000000000000000001", &v),
			 STORE_OK);
	assert_int_equal(v.change, 1); /* the oldest activity */
	assert_int_equal(v.t.updated, 10);
	assert_int_equal(v.has_clock, 0);
	q.user_id = "a0000000000000000000000000000001";
	assert_int_equal(f->st->ops->thread->list_view(f->st, &q, count_view, acc), STORE_OK);
	assert_int_equal(acc[1], 3);

	/* A move to another unit is a change and a departure from the first unit. */
	assert_int_equal(f->st->ops->thread->get(f->st, "10000000000000000000000000000002", &t), STORE_OK);
	snprintf(t.queue_id, sizeof t.queue_id, "00000000000000000000000000000012");
	assert_int_equal(f->st->ops->tx->begin(f->st), STORE_OK);
	assert_int_equal(f->st->ops->thread->update(f->st, &t), STORE_OK);
	assert_int_equal(f->st->ops->thread->read_set(f->st, "a0000000000000000000000000000001",
						      "10000000000000000000000000000001", 1),
			 STORE_OK);
	assert_int_equal(f->st->ops->tx->commit(f->st), STORE_OK);
	assert_int_equal(f->st->ops->thread->change_now(f->st, &now), STORE_OK);
	assert_int_equal(now, 5);
	assert_int_equal(f->st->ops->thread->departures(f->st, "a0000000000000000000000000000001", 3, 10,
							note_departure, gone),
			 STORE_OK);
	assert_string_equal(gone, "10000000000000000000000000000002");
	acc[0] = 3;
	acc[1] = 0;
	q.changed_since = 3;
	assert_int_equal(f->st->ops->thread->list_view(f->st, &q, count_view, acc), STORE_OK);
	assert_int_equal(acc[1], 1); /* the read state; the moved thread is no longer the member's */
	assert_int_equal(acc[0], 5);

	/* The counter survives a reopen; a batch rolled back spends values, never reuses them. */
	assert_int_equal(f->st->ops->tx->begin(f->st), STORE_OK);
	assert_int_equal(f->st->ops->thread->update(f->st, &t), STORE_OK);
	assert_int_equal(f->st->ops->tx->rollback(f->st), STORE_OK);
	assert_int_equal(f->st->ops->thread->change_now(f->st, &now), STORE_OK);
	assert_int_equal(now, 6);
	f->st->ops->close(f->st);
	f->st = store_sqlite_open(f->db, STORE_READWRITE);
	assert_non_null(f->st);
	assert_int_equal(f->st->ops->thread->change_now(f->st, &now), STORE_OK);
	assert_int_equal(now, 5);
	assert_int_equal(f->st->ops->tx->begin(f->st), STORE_OK);
	assert_int_equal(f->st->ops->thread->update(f->st, &t), STORE_OK);
	assert_int_equal(f->st->ops->tx->commit(f->st), STORE_OK);
	f->st->ops->close(f->st);
	f->st = store_sqlite_open(f->db, STORE_READWRITE);
	assert_non_null(f->st);
	assert_int_equal(f->st->ops->thread->change_now(f->st, &now), STORE_OK);
	assert_int_equal(now, 6);
	assert_int_equal(f->st->ops->thread->view(f->st, t.id, "a0000000000000000000000000000001", &v),
			 STORE_OK);
	assert_int_equal(v.change, 6);
}

/* A commit returns, and so an acknowledgement leaves, only after the WAL is synced
 * (synchronous=FULL; NORMAL would sync only at checkpoints); the checkpointer syncs the WAL
 * before copying it and the database before the WAL is reused. PRAGMA synchronous is per
 * connection and not stored in the file, so it is read on the store's own connections. */
static void test_synchronous_full_on_writing_connections(void **state)
{
	struct fx *f = *state;
	sqlite3 *writer = store_sqlite_db(f->st), *checkpointer = store_sqlite_checkpoint_db(f->st);
	char *mode;

	assert_int_equal(pragma_int(writer, "PRAGMA synchronous"), 2); /* FULL */
	mode = pragma_text_on(writer, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_non_null(checkpointer);
	assert_int_equal(pragma_int(checkpointer, "PRAGMA synchronous"), 2);
	mode = pragma_text_on(checkpointer, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
}

static void test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	sqlite3 *h;

	f->st->ops->close(f->st);
	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(h, "INSERT INTO schema_migrations VALUES(99, 'future', 0)", NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(h);
	f->st = store_sqlite_open(f->db, STORE_READWRITE);
	assert_null(f->st);
}

/* Runs SQL on the raw connection, failing the test on an error. */
static void exec_ok(sqlite3 *h, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : "?");
}

/* Makes `path` a database as a program with migrations 1..`last` left it. */
static void make_version(const char *path, int last)
{
	sqlite3 *h;
	char sql[200];

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	exec_ok(h, "CREATE TABLE schema_migrations(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		   " applied INTEGER NOT NULL)");
	for (size_t i = 0; i < store_sqlite_nmigrations && store_sqlite_migrations[i].id <= last; i++) {
		exec_ok(h, store_sqlite_migrations[i].sql);
		snprintf(sql, sizeof sql, "INSERT INTO schema_migrations VALUES(%d, 'old', 0)",
			 store_sqlite_migrations[i].id);
		exec_ok(h, sql);
	}
	sqlite3_close(h);
}

/* A row of version 5's login_ghosts. */
static void ghost_v5(sqlite3 *h, const uint8_t name_hash[STORE_HASH_BYTES], int failures, int disabled)
{
	sqlite3_stmt *q;

	assert_int_equal(
		sqlite3_prepare_v2(h, "INSERT INTO login_ghosts VALUES(?1, ?2, 0, ?3, 5)", -1, &q, NULL),
		SQLITE_OK);
	sqlite3_bind_blob(q, 1, name_hash, STORE_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, failures);
	sqlite3_bind_int(q, 3, disabled);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
}

static int keep_member(void *arg, const struct store_member *m)
{
	*(struct store_member *)arg = *m;
	return 1;
}

static int has_column(sqlite3 *h, const char *table, const char *column)
{
	char sql[100];
	sqlite3_stmt *q;
	int found = 0;

	snprintf(sql, sizeof sql, "SELECT 1 FROM pragma_table_info('%s') WHERE name = '%s'", table, column);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

/* A lock of version 5 (disabled = 1, for good) becomes a lock that began at the upgrade; a
 * backoff and unlocked rows stay as they were; the old flag is gone. */
static void test_migration_8_keeps_locks(void **state)
{
	struct fx *f = *state;
	char path[320];
	struct store *st;
	struct store_worker w;
	uint8_t locked_name[STORE_HASH_BYTES], open_name[STORE_HASH_BYTES];
	int failures = -1;
	int64_t until = -1, at = -1, before = (int64_t)time(NULL) * 1000, after;
	sqlite3 *h;

	snprintf(path, sizeof path, "%s/old.db", f->dir);
	make_version(path, 5);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	exec_ok(h, "INSERT INTO users VALUES('u1', 2, 0), ('u2', 2, 0);"
		   "INSERT INTO workers(user_id, username, salt, opslimit, memlimit, auth_hash, failures,"
		   "  locked_until, disabled) VALUES('u1', 'locked', x'00', 1, 8192, x'00', 10, 0, 1),"
		   "  ('u2', 'waiting', x'00', 1, 8192, x'00', 4, 123456, 0);");
	memset(locked_name, 0xaa, sizeof locked_name);
	memset(open_name, 0xbb, sizeof open_name);
	ghost_v5(h, locked_name, 10, 1);
	ghost_v5(h, open_name, 2, 0);
	sqlite3_close(h);

	st = store_sqlite_open(path, STORE_READWRITE);
	after = ((int64_t)time(NULL) + 1) * 1000;
	assert_non_null(st);
	assert_true(store_sqlite_schema_version(st) >= 8);
	assert_int_equal(st->ops->staff->worker_get(st, "locked", &w), STORE_OK);
	assert_int_equal(w.failures, 10);
	assert_true(w.locked_at >= before && w.locked_at <= after);
	assert_int_equal(st->ops->staff->worker_get(st, "waiting", &w), STORE_OK);
	assert_int_equal(w.failures, 4);
	assert_int_equal(w.locked_until, 123456);
	assert_int_equal(w.locked_at, 0);
	assert_int_equal(st->ops->staff->ghost_get(st, locked_name, &failures, &until, &at), STORE_OK);
	assert_int_equal(failures, 10);
	assert_true(at >= before && at <= after);
	assert_int_equal(st->ops->staff->ghost_get(st, open_name, &failures, &until, &at), STORE_OK);
	assert_int_equal(failures, 2);
	assert_int_equal(at, 0);
	/* unlocking writes the new column */
	assert_int_equal(st->ops->staff->worker_set_login_state(st, "u1", 0, 0, 0), STORE_OK);
	assert_int_equal(st->ops->staff->worker_get(st, "locked", &w), STORE_OK);
	assert_int_equal(w.locked_at, 0);
	st->ops->close(st);

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_false(has_column(h, "workers", "disabled"));
	assert_false(has_column(h, "login_ghosts", "disabled"));
	assert_true(has_column(h, "workers", "locked_at"));
	sqlite3_close(h);
}

/* The number of rows `sql` counts on the store's connection. */
static int count_rows(struct store *st, const char *sql)
{
	return pragma_int(store_sqlite_db(st), sql);
}

/* Locked unknown names do not stay for ever: a row untouched for longer than any lock and
 * backoff goes, locked or not; and beyond the table's bound the oldest locked rows go once
 * no unlocked one is left. */
static void test_locked_ghosts_are_evicted(void **state)
{
	struct fx *f = *state;
	struct store *st = f->st;
	const int64_t day = 86400LL * 1000, t0 = 1700000000000LL;
	uint8_t old_name[STORE_HASH_BYTES], new_name[STORE_HASH_BYTES];
	int failures;
	int64_t until, at;

	memset(old_name, 0x11, sizeof old_name);
	memset(new_name, 0x22, sizeof new_name);
	assert_int_equal(st->ops->staff->ghost_put(st, old_name, 10, 0, t0, t0), STORE_OK);
	assert_int_equal(st->ops->staff->ghost_put(st, new_name, 10, 0, t0 + 30 * day, t0 + 30 * day),
			 STORE_OK);
	assert_int_equal(st->ops->staff->ghost_get(st, old_name, &failures, &until, &at), STORE_OK);
	assert_int_equal(st->ops->staff->ghost_put(st, new_name, 10, 0, t0 + 32 * day, t0 + 32 * day),
			 STORE_OK);
	assert_int_equal(st->ops->staff->ghost_get(st, old_name, &failures, &until, &at), STORE_NOTFOUND);
	assert_int_equal(st->ops->staff->ghost_get(st, new_name, &failures, &until, &at), STORE_OK);

	/* A full table of locked rows, all older than new_name's: one more put evicts the oldest. */
	exec_ok(store_sqlite_db(st),
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
		" WHERE i < 100000) INSERT INTO login_ghosts(name_hash, failures, locked_until,"
		" locked_at, updated) SELECT randomblob(32), 10, 0, 1, 1700000000000 + 31 * 86400000"
		" + i FROM n");
	assert_int_equal(count_rows(st, "SELECT count(*) FROM login_ghosts"), 100001);
	assert_int_equal(st->ops->staff->ghost_put(st, old_name, 10, 0, t0 + 32 * day, t0 + 32 * day),
			 STORE_OK);
	assert_int_equal(count_rows(st, "SELECT count(*) FROM login_ghosts"), 100000);
	assert_int_equal(count_rows(st, "SELECT count(*) FROM login_ghosts WHERE updated = "
					"1700000000000 + 31 * 86400000 + 1"),
			 0);
	assert_int_equal(count_rows(st, "SELECT count(*) FROM login_ghosts WHERE updated = "
					"1700000000000 + 31 * 86400000 + 2"),
			 0);
	assert_int_equal(st->ops->staff->ghost_get(st, old_name, &failures, &until, &at), STORE_OK);
	assert_int_equal(st->ops->staff->ghost_get(st, new_name, &failures, &until, &at), STORE_OK);
}

static long long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* The WAL stays near its limit while writes go on, and is emptied once they stop. */
static void test_wal_bounded_and_emptied_when_idle(void **state)
{
	struct fx *f = *state;
	struct store *st = f->st;
	const long long limit = 256 * 1024;
	char wal[320];
	long long size, most = 0;
	int polls = 0;

	snprintf(wal, sizeof wal, "%s-wal", f->db);
	assert_int_equal(store_sqlite_set_wal_limits(st, limit, 200), 0);
	/* Writes faster than the idle time: 8 MiB of pages, thirty-two times the limit. */
	exec_ok(store_sqlite_db(st), "CREATE TABLE filler(b BLOB)");
	for (int i = 0; i < 256; i++) {
		assert_int_equal(st->ops->tx->begin(st), STORE_OK);
		exec_ok(store_sqlite_db(st),
			"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
			" WHERE i < 8) INSERT INTO filler SELECT randomblob(4000) FROM n");
		assert_int_equal(st->ops->tx->commit(st), STORE_OK);
		if ((size = file_size(wal)) > most)
			most = size;
	}
	/* The limit, plus the pages of one commit after it (some 20 pages), plus headers. */
	if (most > limit + 128 * 1024)
		fail_msg("the WAL grew to %lld bytes, limit %lld", most, limit);
	assert_true(file_size(wal) > 0);
	while (file_size(wal) != 0 && polls++ < 1000)
		usleep(10000);
	assert_int_equal(file_size(wal), 0);
	/* Nothing was lost to the truncation. */
	assert_int_equal(count_rows(st, "SELECT count(*) FROM filler"), 2048);
	fprintf(stderr, "WAL: at most %lld bytes with a limit of %lld, then emptied\n", most, limit);
	/* A read-only store has no WAL of its own to bound. */
	{
		struct store *ro = store_sqlite_open(f->db, STORE_READONLY);

		assert_non_null(ro);
		assert_int_equal(store_sqlite_set_wal_limits(ro, limit, 200), -1);
		ro->ops->close(ro);
	}
}

/* A queue's statistics from the store (struct store_queue_stats). */
static int keep_stats(void *arg, const struct store_queue_stats *s)
{
	struct store_queue_stats *out = arg;

	out[strcmp(s->category, "a") == 0 ? 0 : 1] = *s;
	return 0;
}

/* Migration 10 counts what a database of version 8 holds: per queue the waiting and open
 * threads (not the closed ones), running clocks at risk and missed (not a stopped one);
 * each worker's open threads; each citizen's open threads. The triggers then keep them. */
static void test_migration_10_counts_existing_threads(void **state)
{
	struct fx *f = *state;
	struct store_queue_stats qs[2];
	struct store_member m[1];
	struct store_usage u;
	struct store_thread t;
	char path[320];
	struct store *st;
	sqlite3 *h;

	snprintf(path, sizeof path, "%s/old8.db", f->dir);
	make_version(path, 8);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	exec_ok(h, "INSERT INTO users VALUES('c1', 1, 0), ('c2', 1, 0), ('w1', 2, 0);"
		   "INSERT INTO workers(user_id, username, salt, opslimit, memlimit, auth_hash)"
		   "  VALUES('w1', 'anna', x'00', 1, 8192, x'00');"
		   "INSERT INTO units VALUES('u1', 'Unit');"
		   "INSERT INTO memberships VALUES('w1', 'u1', 1);"
		   "INSERT INTO queues VALUES('qa', 'u1', 'a', 'A'), ('qb', 'u1', 'b', 'B');"
		   "INSERT INTO threads(id, citizen_id, queue_id, assignee_id, state, created, updated,"
		   "  last_seq) VALUES('t1', 'c1', 'qa', NULL, 0, 50, 50, 1),"
		   "  ('t2', 'c1', 'qa', NULL, 0, 40, 40, 1), ('t3', 'c1', 'qa', 'w1', 1, 30, 30, 1),"
		   "  ('t4', 'c2', 'qa', 'w1', 4, 20, 20, 1), ('t5', 'c2', 'qb', 'w1', 2, 10, 10, 1);"
		   "INSERT INTO thread_clock VALUES('t1', 'fi', 1, 1, 1, 0, 0, 1, 0, 0),"
		   "  ('t2', 'fi', 1, 1, 2, 0, 0, 1, 0, 0), ('t3', 'fi', 1, 0, 2, 0, 0, 1, 0, 0);");
	sqlite3_close(h);

	st = store_sqlite_open(path, STORE_READWRITE);
	assert_non_null(st);
	assert_true(store_sqlite_schema_version(st) >= 10);
	assert_int_equal(st->ops->queue->stats(st, "u1", keep_stats, qs), STORE_OK);
	assert_int_equal(qs[0].waiting, 2);
	assert_int_equal(qs[0].oldest, 40);
	assert_int_equal(qs[0].open, 3);
	assert_int_equal(qs[0].at_risk, 1);
	assert_int_equal(qs[0].missed, 1);
	assert_int_equal(qs[1].waiting, 0);
	assert_int_equal(qs[1].oldest, 0);
	assert_int_equal(qs[1].open, 1);
	assert_int_equal(st->ops->thread->usage_get(st, "c1", 1, &u), STORE_OK);
	assert_int_equal(u.open, 3);
	assert_int_equal(u.threads, 0);
	assert_int_equal(st->ops->thread->usage_get(st, "c2", 1, &u), STORE_OK);
	assert_int_equal(u.open, 1);

	/* From now on the triggers count: t1 is claimed by w1, t5 closed. */
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->thread->get(st, "t1", &t), STORE_OK);
	t.state = THREAD_CLAIMED;
	snprintf(t.assignee_id, sizeof t.assignee_id, "w1");
	assert_int_equal(st->ops->thread->update(st, &t), STORE_OK);
	assert_int_equal(st->ops->thread->get(st, "t5", &t), STORE_OK);
	t.state = THREAD_CLOSED;
	assert_int_equal(st->ops->thread->update(st, &t), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	assert_int_equal(st->ops->queue->stats(st, "u1", keep_stats, qs), STORE_OK);
	assert_int_equal(qs[0].waiting, 1);
	assert_int_equal(qs[0].oldest, 40);
	assert_int_equal(qs[0].at_risk, 1);
	assert_int_equal(qs[1].open, 0);
	memset(m, 0, sizeof m);
	assert_int_equal(st->ops->unit->members(st, "u1", keep_member, m), STORE_OK);
	assert_int_equal(m[0].load, 2); /* t1 and t3 */
	assert_int_equal(st->ops->thread->usage_get(st, "c2", 1, &u), STORE_OK);
	assert_int_equal(u.open, 0);
	st->ops->close(st);
}

/* The hex of an envelope-shaped body (prefix, 16 zero bytes of thread id, the message id
 * `id`, zeros up to the smallest envelope size) into out. */
static void envelope_hex(char out[2 * 466 + 1], const char *id_hex)
{
	memset(out, '0', 2 * 466);
	out[2 * 466] = '\0';
	memcpy(out, "514101010100", 12);
	memcpy(out + 2 * 22, id_hex, 32);
}

static int message_id_of(sqlite3 *h, const char *thread, int seq, char out[33])
{
	char sql[160];
	sqlite3_stmt *q;
	int rc;

	snprintf(sql, sizeof sql,
		 "SELECT hex(msg_id), msg_id IS NOT NULL FROM messages WHERE thread_id = '%s' AND seq = %d",
		 thread, seq);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	snprintf(out, 33, "%s", (const char *)sqlite3_column_text(q, 0));
	rc = sqlite3_column_int(q, 1);
	sqlite3_finalize(q);
	return rc;
}

/* Migration 15 gives the envelope bodies of older databases their message id, the first of
 * a thread's duplicates keeping it (a replay stored earlier stays readable, so that readers
 * refuse it); from then on a thread refuses a message id twice. */
static void test_migration_15_message_ids(void **state)
{
	struct fx *f = *state;
	struct store_message m = { .sender_role = ROLE_CITIZEN, .created = 1 };
	char path[320], sql[4096], env_a[2 * 466 + 1], env_b[2 * 466 + 1], got[33];
	struct store *st;
	sqlite3 *h;

	snprintf(path, sizeof path, "%s/old14.db", f->dir);
	make_version(path, 14);
	envelope_hex(env_a, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	envelope_hex(env_b, "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	snprintf(sql, sizeof sql,
		 "INSERT INTO users VALUES('c1', 1, 0);"
		 "INSERT INTO units VALUES('u1', 'Unit');"
		 "INSERT INTO queues VALUES('qa', 'u1', 'a', 'A');"
		 "INSERT INTO threads(id, citizen_id, queue_id, assignee_id, state, created, updated,"
		 "  last_seq) VALUES('t1', 'c1', 'qa', NULL, 0, 1, 1, 4), ('t2', 'c1', 'qa', NULL, 0, 1, 1, "
		 "0);"
		 "INSERT INTO messages(thread_id, seq, sender_id, sender_role, created, body) VALUES"
		 "  ('t1', 1, 'c1', 1, 1, X'%s'), ('t1', 2, 'c1', 1, 1, X'%s'), ('t1', 3, 'c1', 1, 1, "
		 "X'0000'),"
		 "  ('t1', 4, 'c1', 1, 1, X'%s');",
		 env_a, env_a, env_b);
	exec_ok(h, sql);
	sqlite3_close(h);

	st = store_sqlite_open(path, STORE_READWRITE);
	assert_non_null(st);
	assert_true(store_sqlite_schema_version(st) >= 15);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_true(message_id_of(h, "t1", 1, got));
	assert_string_equal(got, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	assert_false(message_id_of(h, "t1", 2, got)); /* the copy keeps none */
	assert_false(message_id_of(h, "t1", 3, got)); /* no envelope */
	assert_true(message_id_of(h, "t1", 4, got));
	sqlite3_close(h);

	/* A message id the thread has is refused; in another thread it is free. */
	snprintf(m.thread_id, sizeof m.thread_id, "t1");
	snprintf(m.sender_id, sizeof m.sender_id, "c1");
	m.body = (const uint8_t *)"x";
	m.body_len = 1;
	m.has_message_id = 1;
	memset(m.message_id, 0xbb, sizeof m.message_id);
	m.seq = 5;
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->thread->message_insert(st, &m), STORE_EXISTS);
	memset(m.message_id, 0xcc, sizeof m.message_id);
	assert_int_equal(st->ops->thread->message_insert(st, &m), STORE_OK);
	snprintf(m.thread_id, sizeof m.thread_id, "t2");
	m.seq = 1;
	assert_int_equal(st->ops->thread->message_insert(st, &m), STORE_OK);
	/* Bodies without a message id never clash. */
	m.has_message_id = 0;
	m.seq = 2;
	assert_int_equal(st->ops->thread->message_insert(st, &m), STORE_OK);
	m.seq = 3;
	assert_int_equal(st->ops->thread->message_insert(st, &m), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	st->ops->close(st);
}

/* A citizen's daily counts add up within a day and start from zero on the next. */
static void test_usage_counts_per_day(void **state)
{
	struct fx *f = *state;
	struct store *st = f->st;
	struct store_usage u;
	sqlite3 *h;

	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	exec_ok(h, "INSERT INTO users VALUES('c', 1, 0)");
	sqlite3_close(h);
	assert_int_equal(st->ops->thread->usage_get(st, "nobody", 7, &u), STORE_OK);
	assert_int_equal(u.open + u.threads + u.bytes, 0);
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->thread->usage_add(st, "c", 7, 1, 100), STORE_OK);
	assert_int_equal(st->ops->thread->usage_add(st, "c", 7, 0, 50), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	assert_int_equal(st->ops->thread->usage_get(st, "c", 7, &u), STORE_OK);
	assert_int_equal(u.threads, 1);
	assert_int_equal(u.bytes, 150);
	assert_int_equal(st->ops->thread->usage_get(st, "c", 8, &u), STORE_OK);
	assert_int_equal(u.threads + u.bytes, 0);
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->thread->usage_add(st, "c", 8, 0, 10), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	assert_int_equal(st->ops->thread->usage_get(st, "c", 8, &u), STORE_OK);
	assert_int_equal(u.threads, 0);
	assert_int_equal(u.bytes, 10);
}

static void test_commit_survives_reopen_and_rollback_does_not(void **state)
{
	struct fx *f = *state;
	struct store *st = f->st;
	char id[STORE_ID_SIZE];

	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	unit(st, "u1", "Committed");
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	unit(st, "u2", "Rolled back");
	assert_int_equal(st->ops->tx->rollback(st), STORE_OK);
	st->ops->close(st);
	f->st = st = store_sqlite_open(f->db, STORE_READWRITE);
	assert_int_equal(st->ops->unit->find(st, "Committed", id), STORE_OK);
	assert_string_equal(id, "u1");
	assert_int_equal(st->ops->unit->find(st, "Rolled back", id), STORE_NOTFOUND);
}

static void test_savepoint_isolates_one_request(void **state)
{
	struct store *st = ((struct fx *)*state)->st;
	char id[STORE_ID_SIZE];

	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->tx->savepoint(st), STORE_OK);
	unit(st, "a", "First");
	assert_int_equal(st->ops->tx->release(st), STORE_OK);
	assert_int_equal(st->ops->tx->savepoint(st), STORE_OK);
	unit(st, "b", "Second");
	assert_int_equal(st->ops->tx->rollback_to(st), STORE_OK);
	assert_int_equal(st->ops->tx->savepoint(st), STORE_OK);
	unit(st, "c", "Third");
	assert_int_equal(st->ops->tx->release(st), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	assert_int_equal(st->ops->unit->find(st, "First", id), STORE_OK);
	assert_int_equal(st->ops->unit->find(st, "Second", id), STORE_NOTFOUND);
	assert_int_equal(st->ops->unit->find(st, "Third", id), STORE_OK);
}

static void test_unique_keys(void **state)
{
	struct store *st = ((struct fx *)*state)->st;
	struct store_queue q = { .id = "q1", .unit_id = "u1", .category = "adult", .name = "A" };

	unit(st, "u1", "Unit");
	assert_int_equal(st->ops->unit->insert(st, "u2", "Unit"), STORE_EXISTS);
	assert_int_equal(st->ops->queue->insert(st, &q), STORE_OK);
	snprintf(q.id, sizeof q.id, "q2");
	assert_int_equal(st->ops->queue->insert(st, &q), STORE_EXISTS); /* one queue per category */
	snprintf(q.unit_id, sizeof q.unit_id, "no-such-unit");
	snprintf(q.category, sizeof q.category, "other");
	assert_int_equal(st->ops->queue->insert(st, &q), STORE_ERROR); /* foreign key */
}

static void test_requests_idempotency_table(void **state)
{
	struct store *st = ((struct fx *)*state)->st;
	char *reply = NULL;

	assert_int_equal(st->ops->request->get(st, "user", "r1", &reply), STORE_NOTFOUND);
	assert_null(reply);
	assert_int_equal(st->ops->request->put(st, "user", "r1", "{\"type\":\"ok\"}", 1), STORE_OK);
	assert_int_equal(st->ops->request->put(st, "user", "r1", "{}", 2), STORE_EXISTS);
	assert_int_equal(st->ops->request->get(st, "user", "r1", &reply), STORE_OK);
	assert_string_equal(reply, "{\"type\":\"ok\"}");
	free(reply);
	/* Request ids are per user. */
	assert_int_equal(st->ops->request->get(st, "other", "r1", &reply), STORE_NOTFOUND);
}

static void test_read_only_store(void **state)
{
	struct fx *f = *state;
	struct store *ro;
	struct store_session s = { .user_id = "x",
				   .role = ROLE_CITIZEN,
				   .created = 1,
				   .last_seen = 1,
				   .idle_ms = 10,
				   .expires = 20 };
	struct store_session got;

	memset(s.hash, 7, sizeof s.hash);
	assert_int_equal(f->st->ops->tx->begin(f->st), STORE_OK);
	assert_int_equal(f->st->ops->session->insert(f->st, &s), STORE_ERROR); /* user x does not exist */
	assert_int_equal(f->st->ops->tx->rollback(f->st), STORE_OK);
	ro = store_sqlite_open(f->db, STORE_READONLY);
	assert_non_null(ro);
	assert_int_equal(ro->ops->session->get(ro, s.hash, &got), STORE_NOTFOUND);
	assert_int_equal(ro->ops->unit->insert(ro, "z", "Z"), STORE_ERROR); /* read-only */
	ro->ops->close(ro);
}

/* Fails when a domain table of the store, or an operation in it, is missing: a table of
 * function pointers is read as an array of them. */
#define ASSERT_TABLE_FULL(table)                                                                             \
	do {                                                                                                 \
		void (*fns[sizeof *(table) / sizeof(void (*)(void))])(void);                                 \
		assert_non_null(table);                                                                      \
		memcpy(fns, (table), sizeof fns);                                                            \
		for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)                                      \
			assert_non_null(fns[i]);                                                             \
	} while (0)

/* Collects names (units, workers) in the order a list gives them. */
struct names {
	char v[8][STORE_NAME_SIZE];
	size_t n;
};

static int collect_unit(void *arg, const struct store_unit *u)
{
	struct names *n = arg;

	snprintf(n->v[n->n++], STORE_NAME_SIZE, "%s", u->name);
	return 0;
}

static int collect_worker(void *arg, const struct store_worker *w)
{
	struct names *n = arg;

	snprintf(n->v[n->n++], STORE_NAME_SIZE, "%s", w->username);
	return 0;
}

static int collect_route(void *arg, const char *category, const char *lang, const char *queue_id)
{
	struct names *n = arg;

	snprintf(n->v[n->n++], STORE_NAME_SIZE, "%s/%s/%s", category, lang, queue_id);
	return 0;
}

static int collect_closed(void *arg, int32_t day, const char *name)
{
	struct names *n = arg;

	snprintf(n->v[n->n++], STORE_NAME_SIZE, "%d %s", (int)day, name);
	return 0;
}

static int member_ends(void *arg, const struct store_member *m)
{
	int64_t *ends = arg;

	ends[0] = m->role_ends;
	ends[1] = m->account_ends;
	return 0;
}

static void add_worker(struct store *st, const char *id, const char *name)
{
	struct store_worker w = { .opslimit = 1, .memlimit = 8192 };

	snprintf(w.user_id, sizeof w.user_id, "%s", id);
	snprintf(w.username, sizeof w.username, "%s", name);
	assert_int_equal(st->ops->staff->worker_insert(st, &w, 1), STORE_OK);
}

/* The reads advicectl's lists use: in their order, with names and end dates. */
static void test_lists_for_advicectl(void **state)
{
	struct store *st = ((struct fx *)*state)->st;
	struct store_queue q = { .id = "q1", .unit_id = "u2", .category = "adult", .name = "A" };
	struct store_membership m[4];
	struct store_staff staff;
	struct store_worker w;
	struct store_unit u;
	struct names n = { 0 };
	int64_t ends[2] = { -1, -1 };
	size_t count;

	unit(st, "u2", "Zeta unit");
	unit(st, "u1", "Alpha unit");
	assert_int_equal(st->ops->unit->list(st, collect_unit, &n), STORE_OK);
	assert_int_equal(n.n, 2);
	assert_string_equal(n.v[0], "Alpha unit");
	assert_string_equal(n.v[1], "Zeta unit");
	assert_int_equal(st->ops->unit->get(st, "u2", &u), STORE_OK);
	assert_string_equal(u.name, "Zeta unit");
	assert_int_equal(st->ops->unit->get(st, "u9", &u), STORE_NOTFOUND);

	add_worker(st, "w2", "zoe");
	add_worker(st, "w1", "bob");
	n.n = 0;
	assert_int_equal(st->ops->staff->worker_list(st, collect_worker, &n), STORE_OK);
	assert_int_equal(n.n, 2);
	assert_string_equal(n.v[0], "bob");
	assert_string_equal(n.v[1], "zoe");
	assert_int_equal(st->ops->staff->worker_by_id(st, "w2", &w), STORE_OK);
	assert_string_equal(w.username, "zoe");
	assert_int_equal(st->ops->staff->worker_by_id(st, "w9", &w), STORE_NOTFOUND);

	/* A membership's end, and the account's, as the lists show them. */
	assert_int_equal(st->ops->staff->membership_add(st, "w1", "u2", ROLE_SUPERVISOR), STORE_OK);
	assert_int_equal(st->ops->staff->membership_list(st, "w1", m, 4, &count), STORE_OK);
	assert_int_equal(count, 1);
	assert_int_equal(m[0].ends, 0);
	assert_int_equal(st->ops->staff->role_end_set(st, "w1", "u2", 777), STORE_OK);
	assert_int_equal(st->ops->staff->membership_list(st, "w1", m, 4, &count), STORE_OK);
	assert_int_equal(m[0].ends, 777);
	assert_int_equal(st->ops->staff->get(st, "w1", &staff), STORE_OK);
	staff.ends = 999;
	assert_int_equal(st->ops->staff->put(st, &staff), STORE_OK);
	assert_int_equal(st->ops->unit->members(st, "u2", member_ends, ends), STORE_OK);
	assert_int_equal(ends[0], 777);
	assert_int_equal(ends[1], 999);

	assert_int_equal(st->ops->queue->insert(st, &q), STORE_OK);
	assert_int_equal(st->ops->queue->route_put(st, "kids", "sv", "q1"), STORE_OK);
	assert_int_equal(st->ops->queue->route_put(st, "adult", "sv", "q1"), STORE_OK);
	assert_int_equal(st->ops->queue->route_put(st, "adult", "en", "q1"), STORE_OK);
	n.n = 0;
	assert_int_equal(st->ops->queue->route_list(st, collect_route, &n), STORE_OK);
	assert_int_equal(n.n, 3);
	assert_string_equal(n.v[0], "adult/en/q1");
	assert_string_equal(n.v[1], "adult/sv/q1");
	assert_string_equal(n.v[2], "kids/sv/q1");

	assert_int_equal(st->ops->duty->closed_day_put(st, 300, "Later"), STORE_OK);
	assert_int_equal(st->ops->duty->closed_day_put(st, 100, "Early"), STORE_OK);
	assert_int_equal(st->ops->duty->closed_day_put(st, 500, "Outside"), STORE_OK);
	n.n = 0;
	assert_int_equal(st->ops->duty->closed_day_names(st, 100, 300, collect_closed, &n), STORE_OK);
	assert_int_equal(n.n, 2);
	assert_string_equal(n.v[0], "100 Early");
	assert_string_equal(n.v[1], "300 Later");
}

static void test_every_domain_operation_is_set(void **state)
{
	const struct store_ops *ops = ((struct fx *)*state)->st->ops;

	assert_non_null(ops->close);
	ASSERT_TABLE_FULL(ops->tx);
	ASSERT_TABLE_FULL(ops->session);
	ASSERT_TABLE_FULL(ops->identity);
	ASSERT_TABLE_FULL(ops->staff);
	ASSERT_TABLE_FULL(ops->unit);
	ASSERT_TABLE_FULL(ops->queue);
	ASSERT_TABLE_FULL(ops->duty);
	ASSERT_TABLE_FULL(ops->thread);
	ASSERT_TABLE_FULL(ops->request);
	ASSERT_TABLE_FULL(ops->audit);
	ASSERT_TABLE_FULL(ops->notify);
	ASSERT_TABLE_FULL(ops->keys);
	ASSERT_TABLE_FULL(ops->file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_domain_operation_is_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrations_and_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_6_keeps_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_synchronous_full_on_writing_connections, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_8_keeps_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_ghosts_are_evicted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_bounded_and_emptied_when_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_10_counts_existing_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage_counts_per_day, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_15_message_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_survives_reopen_and_rollback_does_not, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_savepoint_isolates_one_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unique_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests_idempotency_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists_for_advicectl, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
