/*
 * store_sqlite_checkpoint.c - the checkpointer thread (store_sqlite_checkpoint.h).
 */
#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "store_sqlite_checkpoint.h"

struct sqck {
	sqlite3 *db; /* the checkpointer's own connection */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wanted, stopping;
};

/* One PASSIVE checkpoint over `db`; a failure is logged and left for the next one. */
static void sqck_run(sqlite3 *db)
{
	int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_err("WAL checkpoint failed: %s", sqlite3_errstr(rc));
}

/* The writer's WAL hook, after each commit: signals the thread, or checkpoints at once when
 * the WAL has grown past the hard limit. */
static int sqck_hook(void *arg, sqlite3 *writer, const char *name, int pages)
{
	struct sqck *k = arg;

	(void)name;
	if (pages >= SQCK_PAGES_HARD) {
		sqck_run(writer);
	} else if (pages >= SQCK_PAGES) {
		pthread_mutex_lock(&k->lock);
		k->wanted = 1;
		pthread_cond_signal(&k->cond);
		pthread_mutex_unlock(&k->lock);
	}
	return SQLITE_OK;
}

static void *sqck_main(void *arg)
{
	struct sqck *k = arg;

	pthread_mutex_lock(&k->lock);
	for (;;) {
		while (!k->wanted && !k->stopping)
			pthread_cond_wait(&k->cond, &k->lock);
		if (k->stopping)
			break;
		k->wanted = 0;
		pthread_mutex_unlock(&k->lock);
		sqck_run(k->db);
		pthread_mutex_lock(&k->lock);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

struct sqck *sqck_start(sqlite3 *writer, const char *path)
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
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->cond, NULL);
	if (pthread_create(&k->thread, NULL, sqck_main, k) != 0) {
		log_err("cannot start the checkpoint thread");
		pthread_mutex_destroy(&k->lock);
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
	pthread_cond_destroy(&k->cond);
	sqlite3_close(k->db);
	free(k);
}

sqlite3 *sqck_db(const struct sqck *k)
{
	return k != NULL ? k->db : NULL;
}
