/*
 * admin_rights.h - advicectl's register-keeper commands of the citizen's rights, run by the
 * core (core_admin.c):
 *
 *   restrict THREAD --reason TEXT     restricts a thread (GDPR 18): frozen, staff read it only
 *                                     for a legal claim (PROTOCOL.md §14.8)
 *   unrestrict THREAD --reason TEXT   lifts the restriction
 *   requests [--open] [--due-within DAYS]
 *                                     the rights requests with their deadlines: open ones due
 *                                     within 7 days and overdue ones flagged
 */
#ifndef ADVICE_ADMIN_RIGHTS_H
#define ADVICE_ADMIN_RIGHTS_H

#include <stdint.h>

#include "admin_out.h"
#include "store.h"

#define ADMIN_RIGHTS_SOON_DAYS 7    /* an open request due within this many days is flagged */
#define ADMIN_RIGHTS_MAX       2000 /* requests one `requests` lists */

/*
 * Runs command argv[0] at `now_ms` for the OS user `user` inside the caller's transaction,
 * printing results to `out`. Returns 0 when done, 1 when argv[0] (with those arguments) is
 * not a rights command, -1 with a reason in `err` when it failed (the caller rolls back).
 */
int admin_rights_run(struct store *st, int64_t now_ms, const char *user, int argc, char **argv,
		     struct admin_out *out, char *err, size_t errlen);

#endif
