/*
 * store_sqlite_checkpoint.c - the checkpointer thread (store_sqlite_checkpoint.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "store_sqlite_checkpoint.h"

struct sqck {
	sqlite3 *db; /* the checkpointer's own connection */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_mutex_t running; /* held by whoever checkpoints (the thread, or the writer) */
	pthread_cond_t cond;	 /* on CLOCK_MONOTONIC */
	int wanted, stopping;
	int dirty;	     /* commits since the last truncating checkpoint */
	int64_t last_commit; /* monotonic ms of the latest commit */
	int64_t idle_ms;     /* 0: no truncating checkpoints */
	int page_size;
	int pages_soft, pages_hard; /* signal the thread; checkpoint on the writer */
};

static int64_t sqck_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One checkpoint of `mode` over `db`, after any other of ours has finished; a failure is
 * logged and left for the next one. Returns SQLite's result (SQLITE_BUSY: a reader or the
 * writer was in the way). */
static int sqck_run(struct sqck *k, sqlite3 *db, int mode)
{
	int rc;

	pthread_mutex_lock(&k->running);
	rc = sqlite3_wal_checkpoint_v2(db, "main", mode, NULL, NULL);
	pthread_mutex_unlock(&k->running);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_err("WAL checkpoint failed: %s", sqlite3_errstr(rc));
	return rc;
}

/* The writer's WAL hook, after each commit: notes the commit (the idle clock starts over),
 * signals the thread, or checkpoints at once when the WAL has grown past its limit. */
static int sqck_hook(void *arg, sqlite3 *writer, const char *name, int pages)
{
	struct sqck *k = arg;
	int hard;

	(void)name;
	pthread_mutex_lock(&k->lock);
	hard = pages >= k->pages_hard;
	k->last_commit = sqck_now_ms();
	if (!hard && (pages >= k->pages_soft || !k->dirty)) {
		k->wanted |= pages >= k->pages_soft;
		pthread_cond_signal(&k->cond); /* a first commit arms the idle clock */
	}
	k->dirty = 1;
	pthread_mutex_unlock(&k->lock);
	/* The writer waits for the thread's checkpoint, if one runs, then copies back every
	 * frame: the next transaction starts the WAL over. */
	if (hard)
		sqck_run(k, writer, SQLITE_CHECKPOINT_PASSIVE);
	return SQLITE_OK;
}

/* Waits, under the lock, for a signal or for the idle time after the latest commit. Returns
 * 1 when the store has been idle that long with commits since the last truncation. */
static int sqck_wait(struct sqck *k)
{
	struct timespec ts;
	int64_t due;

	if (!k->dirty || k->idle_ms <= 0) {
		pthread_cond_wait(&k->cond, &k->lock);
		return 0;
	}
	due = k->last_commit + k->idle_ms;
	if (sqck_now_ms() >= due)
		return 1;
	ts.tv_sec = (time_t)(due / 1000);
	ts.tv_nsec = (long)(due % 1000) * 1000000;
	pthread_cond_timedwait(&k->cond, &k->lock, &ts);
	return 0;
}

/* The idle checkpoint: copies everything back and empties the WAL file. When a reader or
 * the writer is in the way it is tried again after another idle time. Under the lock. */
static void sqck_truncate(struct sqck *k)
{
	int rc;

	k->dirty = 0;
	pthread_mutex_unlock(&k->lock);
	rc = sqck_run(k, k->db, SQLITE_CHECKPOINT_TRUNCATE);
	pthread_mutex_lock(&k->lock);
	if (rc != SQLITE_OK && !k->dirty) {
		k->dirty = 1;
		k->last_commit = sqck_now_ms();
	}
}

static void *sqck_main(void *arg)
{
	struct sqck *k = arg;

	pthread_mutex_lock(&k->lock);
	while (!k->stopping) {
		if (k->wanted) {
			k->wanted = 0;
			pthread_mutex_unlock(&k->lock);
			sqck_run(k, k->db, SQLITE_CHECKPOINT_PASSIVE);
			pthread_mutex_lock(&k->lock);
		} else if (sqck_wait(k)) {
			sqck_truncate(k);
		}
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

/* The page thresholds of a limit of `limit_bytes`; under the lock. */
static void sqck_limits(struct sqck *k, int64_t limit_bytes, int64_t idle_ms)
{
	int64_t pages = limit_bytes / k->page_size;

	if (pages < 16)
		pages = 16;
	if (pages > 1 << 30)
		pages = 1 << 30;
	k->pages_hard = (int)pages;
	k->pages_soft = k->pages_hard / 2 < SQCK_PAGES ? k->pages_hard / 2 : SQCK_PAGES;
	k->idle_ms = idle_ms > 0 ? idle_ms : 0;
}

void sqck_set_limits(struct sqck *k, int64_t limit_bytes, int64_t idle_ms)
{
	if (k == NULL)
		return;
	pthread_mutex_lock(&k->lock);
	sqck_limits(k, limit_bytes, idle_ms);
	pthread_cond_signal(&k->cond);
	pthread_mutex_unlock(&k->lock);
}

/* The condition variable on the monotonic clock; 0 or -1. */
static int sqck_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int rc;

	if (pthread_condattr_init(&attr) != 0)
		return -1;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 && pthread_cond_init(cond, &attr) == 0;
	pthread_condattr_destroy(&attr);
	return rc ? 0 : -1;
}

/* The database's page size, read through `db`; 4096 when it cannot be read. */
static int sqck_page_size(sqlite3 *db)
{
	sqlite3_stmt *q;
	int size = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			size = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
	}
	return size > 0 ? size : 4096;
}

struct sqck *sqck_start(sqlite3 *writer, const char *path, int64_t limit_bytes, int64_t idle_ms)
{
	struct sqck *k = calloc(1, sizeof *k);

	if (k == NULL)
		return NULL;
	if (sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_err("cannot open %s for checkpoints: %s", path,
			k->db ? sqlite3_errmsg(k->db) : "out of memory");
		goto fail;
	}
	/* A connection opens the file, and learns it is in WAL mode, at its first statement. A
	 * checkpoint syncs the WAL before copying it and the database before the WAL may be
	 * reused only when synchronous is not OFF: FULL, like the writer, whatever SQLite's
	 * compiled-in default. */
	if (sqlite3_exec(k->db, "PRAGMA synchronous = FULL; SELECT count(*) FROM sqlite_schema", NULL, NULL,
			 NULL) != SQLITE_OK) {
		log_err("cannot read %s for checkpoints: %s", path, sqlite3_errmsg(k->db));
		goto fail;
	}
	k->page_size = sqck_page_size(writer);
	sqck_limits(k, limit_bytes, idle_ms);
	pthread_mutex_init(&k->lock, NULL);
	pthread_mutex_init(&k->running, NULL);
	if (sqck_cond_init(&k->cond) != 0) {
		log_err("cannot set up the checkpoint thread");
		pthread_mutex_destroy(&k->lock);
		pthread_mutex_destroy(&k->running);
		goto fail;
	}
	if (pthread_create(&k->thread, NULL, sqck_main, k) != 0) {
		log_err("cannot start the checkpoint thread");
		pthread_mutex_destroy(&k->lock);
		pthread_mutex_destroy(&k->running);
		pthread_cond_destroy(&k->cond);
		goto fail;
	}
	sqlite3_wal_hook(writer, sqck_hook, k);
	return k;
fail:
	sqlite3_close(k->db);
	free(k);
	return NULL;
}

void sqck_stop(struct sqck *k)
{
	if (k == NULL)
		return;
	pthread_mutex_lock(&k->lock);
	k->stopping = 1;
	pthread_cond_signal(&k->cond);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	pthread_mutex_destroy(&k->lock);
	pthread_mutex_destroy(&k->running);
	pthread_cond_destroy(&k->cond);
	sqlite3_close(k->db);
	free(k);
}

sqlite3 *sqck_db(const struct sqck *k)
{
	return k != NULL ? k->db : NULL;
}
