/*
 * test_retention_crash.c - the retention run against a real adviced, killed at random points
 * (issue 18, item 8). Threads are seeded closed into the data folder (messages, wraps, an
 * epoch, an attachment record with its blob on disk, the shred share), in groups; each round
 * makes one more group due, starts `advicectl retention-run --at +60 days` and SIGKILLs
 * adviced after a random delay (the seed is printed; ADVICE_TEST_SEED repeats a run), starts
 * it again and runs retention-run once more. After every round each thread is either whole
 * (every row, its message bodies byte for byte, its share, its blob) or fully shredded (no
 * row of it, no share, no blob, and an erasure note counting what went); the access log's
 * chain still verifies. Last, a copy of the main database taken before the first run,
 * opened with the shred store as it is now, holds every shredded thread's ciphertext and
 * no share to open it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"
#include "itest.h"

#define GROUPS	    4  /* one round per group */
#define PER_GROUP   24 /* threads in a group */
#define MESSAGES    3
#define DAY_MS	    86400000LL
#define KILL_MAX_US 300000 /* the kill comes within this long after the run's first mark */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void thread_id(int g, int i, char out[33])
{
	snprintf(out, 33, "%08x%08x%016x", 0x5e7e0000u + (unsigned)g, (unsigned)i, 0xabcu);
}

static void body_of(const char *thread, int seq, char *out, size_t size)
{
	snprintf(out, size, "ciphertext of %s message %d", thread, seq);
}

static sqlite3 *db_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : "?");
}

/* Runs `sql` with ?1 = text a; returns the first column of the first row as an integer, or
 * -1 when there is no row. */
static long long query(sqlite3 *db, const char *sql, const char *a)
{
	sqlite3_stmt *q;
	long long v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (a != NULL)
		sqlite3_bind_text(q, 1, a, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void run(sqlite3 *db, const char *sql, const char *a, const void *b, int blen, long long n)
{
	sqlite3_stmt *q;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_text(q, 1, a, -1, SQLITE_TRANSIENT);
	if (b != NULL)
		sqlite3_bind_blob(q, 2, b, blen, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, n);
	if (sqlite3_step(q) != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(q);
}

static void path_in(const struct harness *h, const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", h->dir, name);
}

/* The seed: every group's threads closed yesterday (not due), each with its rows, its share
 * and its blob. The server is stopped. */
static void seed(struct harness *h)
{
	char path[400], shred[400], t[33], body[96], blob[400];
	sqlite3 *db;
	int64_t now = now_ms();

	path_in(h, "blobs", blob, sizeof blob);
	assert_true(mkdir(blob, 0700) == 0 || errno == EEXIST);
	path_in(h, "advice.db", path, sizeof path);
	path_in(h, "advice-shred.db", shred, sizeof shred);
	db = db_open(path);
	run(db, "ATTACH ?1 AS shred", shred, NULL, 0, 0);
	exec(db, "BEGIN");
	run(db, "INSERT INTO users(id, kind, created) VALUES(?1, 1, ?3)", "c0ffee00000000000000000000000001",
	    NULL, 0, now);
	for (int g = 0; g < GROUPS; g++)
		for (int i = 0; i < PER_GROUP; i++) {
			uint8_t share[32], kid[16];
			FILE *f;

			thread_id(g, i, t);
			memset(share, 0x40 + g, sizeof share);
			memcpy(share, t, 16);
			memcpy(kid, t + 16, 16);
			run(db,
			    "INSERT INTO threads(id, citizen_id, queue_id, state, created, updated, last_seq)"
			    " SELECT ?1, 'c0ffee00000000000000000000000001', id, 1, ?3, ?3, 3 FROM queues"
			    " WHERE category = 'adult-social-work'",
			    t, NULL, 0, now - 2 * DAY_MS);
			run(db, "UPDATE threads SET state = 4, updated = ?3 WHERE id = ?1", t, NULL, 0,
			    now - DAY_MS);
			for (int seq = 1; seq <= MESSAGES; seq++) {
				body_of(t, seq, body, sizeof body);
				run(db,
				    "INSERT INTO messages(thread_id, seq, sender_id, sender_role, created, "
				    "body)"
				    " VALUES(?1, ?3, 'c0ffee00000000000000000000000001', 1, 0, ?2)",
				    t, body, (int)strlen(body), seq);
			}
			run(db,
			    "INSERT INTO e2e_wraps(thread_id, epoch, kid, wrap, writer_id, created)"
			    " VALUES(?1, ?3, ?2, x'00', 'c0ffee00000000000000000000000001', 0)",
			    t, kid, 16, 1);
			run(db,
			    "INSERT INTO e2e_epochs(thread_id, epoch, event, writer_id, created)"
			    " VALUES(?1, ?3, ?2, 'c0ffee00000000000000000000000001', 0)",
			    t, "event", 5, 1);
			run(db,
			    "INSERT INTO e2e_files(id, thread_id, owner_id, size, chunks, received, "
			    "complete, created)"
			    " VALUES(?1, ?1, 'c0ffee00000000000000000000000001', ?3, 1, 1, 1, 0)",
			    t, NULL, 0, 100);
			run(db,
			    "INSERT INTO shred.shares(thread_id, owner_id, share, created, opened)"
			    " VALUES(?1, 'c0ffee00000000000000000000000001', ?2, ?3, 1)",
			    t, share, 32, now);
			snprintf(blob, sizeof blob, "%s/blobs/%s", h->dir, t);
			assert_non_null(f = fopen(blob, "w"));
			fputs("blob bytes", f);
			fclose(f);
		}
	exec(db, "COMMIT");
	sqlite3_close(db);
}

/* Makes group g due within the next 60 days: closed 10 years less 30 days ago. */
static void make_due(struct harness *h, int g)
{
	char path[400], t[33];
	sqlite3 *db;
	int64_t closed = now_ms() - (3652LL - 30) * DAY_MS;

	path_in(h, "advice.db", path, sizeof path);
	db = db_open(path);
	exec(db, "BEGIN");
	for (int i = 0; i < PER_GROUP; i++) {
		thread_id(g, i, t);
		run(db, "UPDATE threads SET closed = ?3 WHERE id = ?1", t, NULL, 0, closed);
	}
	exec(db, "COMMIT");
	sqlite3_close(db);
}

static int blob_exists(const struct harness *h, const char *t)
{
	char blob[400];
	struct stat sb;

	snprintf(blob, sizeof blob, "%s/blobs/%s", h->dir, t);
	return stat(blob, &sb) == 0;
}

/* Whole: every row, the bodies, the share, the blob, no mark. */
static int whole(const struct harness *h, sqlite3 *db, const char *t)
{
	char body[96];
	int ok = query(db, "SELECT count(*) FROM threads WHERE id = ?1", t) == 1 &&
		 query(db, "SELECT count(*) FROM e2e_wraps WHERE thread_id = ?1", t) == 1 &&
		 query(db, "SELECT count(*) FROM e2e_epochs WHERE thread_id = ?1", t) == 1 &&
		 query(db, "SELECT count(*) FROM e2e_files WHERE thread_id = ?1", t) == 1 &&
		 query(db, "SELECT count(*) FROM shred.shares WHERE thread_id = ?1", t) == 1 &&
		 query(db, "SELECT count(*) FROM thread_erasures WHERE thread_id = ?1", t) == 0 &&
		 blob_exists(h, t);

	for (int seq = 1; ok && seq <= MESSAGES; seq++) {
		char sql[200];

		body_of(t, seq, body, sizeof body);
		snprintf(sql, sizeof sql,
			 "SELECT body = CAST('%s' AS BLOB) FROM messages WHERE thread_id = ?1 AND seq = %d",
			 body, seq);
		ok = query(db, sql, t) == 1;
	}
	return ok;
}

/* Fully shredded: nothing but the erasure note (done, with its counts) and the tombstone. */
static int shredded(const struct harness *h, sqlite3 *db, const char *t)
{
	return query(db, "SELECT count(*) FROM threads WHERE id = ?1", t) == 0 &&
	       query(db, "SELECT count(*) FROM messages WHERE thread_id = ?1", t) == 0 &&
	       query(db, "SELECT count(*) FROM e2e_wraps WHERE thread_id = ?1", t) == 0 &&
	       query(db, "SELECT count(*) FROM e2e_epochs WHERE thread_id = ?1", t) == 0 &&
	       query(db, "SELECT count(*) FROM e2e_files WHERE thread_id = ?1", t) == 0 &&
	       query(db, "SELECT count(*) FROM shred.shares WHERE thread_id = ?1", t) == 0 &&
	       query(db, "SELECT count(*) FROM thread_shreds WHERE thread_id = ?1", t) == 1 &&
	       query(db,
		     "SELECT count(*) FROM thread_erasures WHERE thread_id = ?1 AND phase = 3 AND erasure = 0"
		     " AND messages = 3 AND files = 1 AND wraps = 1 AND epochs = 1 AND done > 0",
		     t) == 1 &&
	       !blob_exists(h, t);
}

/* The folder with the server stopped: groups up to `last` shredded, the rest whole. */
static void check_all(struct harness *h, int last)
{
	char path[400], shred[400], t[33];
	sqlite3 *db;

	path_in(h, "advice.db", path, sizeof path);
	path_in(h, "advice-shred.db", shred, sizeof shred);
	db = db_open(path);
	run(db, "ATTACH ?1 AS shred", shred, NULL, 0, 0);
	for (int g = 0; g < GROUPS; g++)
		for (int i = 0; i < PER_GROUP; i++) {
			thread_id(g, i, t);
			if (g <= last ? !shredded(h, db, t) : !whole(h, db, t))
				fail_msg("round %d: thread %s of group %d is %s", last, t, g,
					 g <= last ? "not fully shredded" : "not whole");
		}
	sqlite3_close(db);
}

/* Polls (while the server runs) until the run has marked a thread of group g, for at most
 * 10 s. */
static void wait_marked(struct harness *h, int g)
{
	char path[400], prefix[16];
	sqlite3 *db;

	snprintf(prefix, sizeof prefix, "%08x", 0x5e7e0000u + (unsigned)g);
	path_in(h, "advice.db", path, sizeof path);
	db = db_open(path);
	for (int i = 0; i < 2000; i++) {
		if (query(db, "SELECT count(*) FROM thread_erasures WHERE substr(thread_id, 1, 8) = ?1",
			  prefix) > 0) /* busy: -1, try again */
			break;
		usleep(5000);
	}
	sqlite3_close(db);
}

/* Marks of the server stopped: not done (of them, with the share gone), and done. */
static void marks_count(struct harness *h, long long *pending, long long *share_gone, long long *done)
{
	char path[400];
	sqlite3 *db;

	path_in(h, "advice.db", path, sizeof path);
	db = db_open(path);
	*pending = query(db, "SELECT count(*) FROM thread_erasures WHERE phase < 3", NULL);
	*share_gone = query(db, "SELECT count(*) FROM thread_erasures WHERE phase = 2", NULL);
	*done = query(db, "SELECT count(*) FROM thread_erasures WHERE phase = 3", NULL);
	sqlite3_close(db);
}

/* Starts `advicectl -d DIR retention-run --at +5184000` without waiting. */
static pid_t ctl_spawn(struct harness *h)
{
	const char *ctl = getenv("ADVICECTL");
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(ctl, ctl, "-d", h->dir, "retention-run", "--at", "+5184000", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);

	assert_non_null(h);
	assert_int_equal(harness_start(h), 0);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;
	int rc = harness_stop(h);

	free(h);
	return rc;
}

static void test_killed_runs_leave_whole_or_shredded(void **state)
{
	struct harness *h = *state;
	const char *seed_env = getenv("ADVICE_TEST_SEED");
	unsigned rng =
		seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : (unsigned)time(NULL) ^ (unsigned)getpid();
	char path[400], backup[400], shred[400], t[33], *out = NULL;
	sqlite3 *db;

	fprintf(stderr, "retention kill test: seed %u (ADVICE_TEST_SEED=%u repeats it)\n", rng, rng);
	srand(rng);
	assert_int_equal(harness_kill9(h), 0);
	seed(h);
	path_in(h, "advice.db", path, sizeof path);
	path_in(h, "advice-backup.db", backup, sizeof backup);
	path_in(h, "advice-shred.db", shred, sizeof shred);
	itest_copy_file(path, backup, 0600); /* the old backup: taken with the server stopped, no WAL */
	for (int g = 0; g < GROUPS; g++) {
		int delay = rand() % KILL_MAX_US, status;
		long long pending, gone, done;
		pid_t ctl;

		make_due(h, g);
		assert_int_equal(harness_start_again(h), 0);
		ctl = ctl_spawn(h);
		wait_marked(h, g);
		usleep((useconds_t)delay);
		assert_int_equal(harness_kill9(h), 0);
		assert_int_equal(waitpid(ctl, &status, 0), ctl);
		marks_count(h, &pending, &gone, &done);
		fprintf(stderr,
			"round %d: killed %d us after the first mark; shreds unfinished %lld (share gone "
			"%lld), done %lld\n",
			g, delay, pending, gone, done);
		assert_int_equal(harness_start_again(h), 0);
		assert_int_equal(
			harness_ctl(h, (const char *const[]){ "retention-run", "--at", "+5184000", NULL },
				    &out),
			0);
		free(out);
		assert_int_equal(harness_ctl(h, (const char *const[]){ "audit-verify", NULL }, NULL), 0);
		assert_int_equal(harness_kill9(h), 0);
		check_all(h, g);
	}
	/* The old backup with today's shred store: every ciphertext, no share. */
	db = db_open(backup);
	run(db, "ATTACH ?1 AS shred", shred, NULL, 0, 0);
	for (int g = 0; g < GROUPS; g++)
		for (int i = 0; i < PER_GROUP; i++) {
			thread_id(g, i, t);
			assert_int_equal(query(db, "SELECT count(*) FROM messages WHERE thread_id = ?1", t),
					 MESSAGES);
			assert_int_equal(
				query(db, "SELECT count(*) FROM shred.shares WHERE thread_id = ?1", t), 0);
		}
	sqlite3_close(db);
	assert_int_equal(harness_start_again(h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_killed_runs_leave_whole_or_shredded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
