/*
 * shred.h - crash-safe shredding of a thread (PROTOCOL.md §14.10). A thread goes through
 * phases, each committed before the next begins, so that a crash at any point leaves it
 * marked and the next step (after a restart: the first tick) carries on:
 *
 *   1. marked: a row in the main database says the thread goes, who and why, and what it
 *      holds (counted now, before anything is deleted);
 *   2. share gone: the shred share is deleted from the shred store (the thread is recorded
 *      as shredded first, store_sqlite.c), so no copy of the main database opens it again;
 *   3. done: the attachments' blobs are unlinked, then every row of the thread is deleted
 *      (messages, wraps, epochs, files, notes, identity boxes, read state, ...), the mark
 *      becomes the erasure note, and the access log gets a "shred" row.
 *
 * The core calls these inside its batch's transaction; one shred_step is one phase.
 */
#ifndef ADVICE_SHRED_H
#define ADVICE_SHRED_H

#include <stdint.h>

#include "store.h"

#define SHRED_STEP_MAX 16 /* marks one step advances */

/* Marks a thread (m: thread_id, citizen_id, run, erasure, by, request, reason, due): counts
 * what it holds, phase SHRED_MARKED at `now`. STORE_EXISTS when it has a mark already. */
int shred_mark(struct store *st, struct store_shred_mark *m, int64_t now);

/* The share step alone: the thread recorded as shredded and its share deleted; STORE_OK also
 * when that happened before. (advicectl thread-shred is this step.) */
int shred_share(struct store *st, const char *thread_id, int64_t now);

struct shred_progress {
	int advanced; /* marks moved on a phase */
	int done;     /* of them, marks that reached SHRED_DONE */
	int stuck;    /* marks that could not move (a blob that cannot be removed; logged) */
};

/* Moves up to `limit` marks not done one phase on; blobs live in blob_dir ("" = none).
 * 0, or -1 when the store failed (the caller rolls back). */
int shred_step(struct store *st, const char *blob_dir, int64_t now, int limit, struct shred_progress *p);

/* Whether any mark is not done: 1, 0, or -1 (store failed). */
int shred_pending(struct store *st);

#endif
