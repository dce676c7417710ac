/*
 * store_sqlite_checkpoint.h - WAL checkpoints of the SQLite store on their own thread.
 *
 * By default SQLite copies the WAL back into the database inside the commit that crosses
 * 1,000 pages, on the committing (core) thread. Here the commit only signals a thread of
 * its own, which runs a PASSIVE checkpoint over a second connection while the core thread
 * goes on writing. A checkpoint that fails leaves the WAL as it was (nothing acknowledged
 * depends on it) and is tried again at the next signal.
 */
#ifndef ADVICE_STORE_SQLITE_CHECKPOINT_H
#define ADVICE_STORE_SQLITE_CHECKPOINT_H

#include <sqlite3.h>

/* WAL pages after which a commit asks for a checkpoint, and after which the committing
 * thread checkpoints by itself because the checkpointer has fallen behind. */
#define SQCK_PAGES	1000
#define SQCK_PAGES_HARD 65536

struct sqck;

/*
 * Starts the checkpointer of the database file `path`, whose writing connection is
 * `writer` (its WAL hook is replaced). Returns NULL when the thread or its connection cannot
 * be set up: then `writer` keeps SQLite's automatic checkpoint.
 */
struct sqck *sqck_start(sqlite3 *writer, const char *path);
/* Stops the thread and closes its connection; call before closing the writer. NULL is fine. */
void sqck_stop(struct sqck *k);
/* The checkpointer's own connection (tests check its settings); NULL for NULL. */
sqlite3 *sqck_db(const struct sqck *k);

#endif
