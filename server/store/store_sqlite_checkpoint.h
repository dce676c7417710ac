/*
 * store_sqlite_checkpoint.h - WAL checkpoints of the SQLite store on their own thread.
 *
 * By default SQLite copies the WAL back into the database inside the commit that crosses
 * 1,000 pages, on the committing (core) thread. Here the commit only signals a thread of
 * its own, which runs a PASSIVE checkpoint over a second connection while the core thread
 * goes on writing. A checkpoint that fails leaves the WAL as it was (nothing acknowledged
 * depends on it) and is tried again at the next signal.
 *
 * The WAL is bounded: past its limit the committing thread checkpoints by itself (under a
 * steady flood the checkpointer never catches up with the writer, and SQLite can start the
 * WAL over only when every frame has been copied back), and the writer's journal_size_limit
 * cuts the file back to the limit when it starts over. When no commit has come for the idle
 * time, the thread runs a TRUNCATE checkpoint, which empties the file.
 */
#ifndef ADVICE_STORE_SQLITE_CHECKPOINT_H
#define ADVICE_STORE_SQLITE_CHECKPOINT_H

#include <stdint.h>

#include <sqlite3.h>

/* WAL pages after which a commit asks for a checkpoint (fewer when the limit is small). */
#define SQCK_PAGES 1000

struct sqck;

/*
 * Starts the checkpointer of the database file `path`, whose writing connection is
 * `writer` (its WAL hook is replaced), with a WAL limit of `limit_bytes` (>= 64 KiB) and a
 * truncating checkpoint after `idle_ms` without commits (0: none). Returns NULL when the
 * thread or its connection cannot be set up: then `writer` keeps SQLite's automatic
 * checkpoint.
 */
struct sqck *sqck_start(sqlite3 *writer, const char *path, int64_t limit_bytes, int64_t idle_ms);
/* Changes the limit and the idle time (as sqck_start's); safe while the thread runs. */
void sqck_set_limits(struct sqck *k, int64_t limit_bytes, int64_t idle_ms);
/* Stops the thread and closes its connection; call before closing the writer. NULL is fine. */
void sqck_stop(struct sqck *k);
/* The checkpointer's own connection (tests check its settings); NULL for NULL. */
sqlite3 *sqck_db(const struct sqck *k);

#endif
