/*
 * admin_shred.h - advicectl's crypto-shredding of a thread, run by the core (core_admin.c):
 *
 *   thread-shred THREAD   deletes the thread's shred share from the shred store, so that no
 *                         copy of the database (backups included) opens its messages again,
 *                         and records the thread as shredded (no share is ever made for it
 *                         again; thread.keys answers not_found)
 */
#ifndef ADVICE_ADMIN_SHRED_H
#define ADVICE_ADMIN_SHRED_H

#include <stdint.h>

#include "admin_out.h"
#include "store.h"

/*
 * Runs command argv[0] at `now_ms` inside the caller's transaction, printing results to
 * `out`. Returns 0 when done, 1 when argv[0] (with that many arguments) is not a shred
 * command, -1 with a reason in `err` when it failed (the caller rolls back).
 */
int admin_shred_run(struct store *st, int64_t now_ms, int argc, char **argv, struct admin_out *out, char *err,
		    size_t errlen);

#endif
