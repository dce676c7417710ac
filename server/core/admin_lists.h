/*
 * admin_lists.h - advicectl's list commands, run by the core (core_admin.c); they change
 * nothing:
 *
 *   unit-list                 the units: languages, service hours, queues, member count
 *   queue-list                the queues: unit, policy and cap, deadlines, fallback, routes
 *   worker-list               the accounts: state (setup pending, active, locked, ended),
 *                             end date, units and roles
 *   member-list UNIT          a unit's members: role, open threads, end dates
 *
 * Each fills the text people read and the data scripts read (admin_out.h).
 */
#ifndef ADVICE_ADMIN_LISTS_H
#define ADVICE_ADMIN_LISTS_H

#include "admin_out.h"
#include "store.h"

/* Runs list command argv[0]; `lock_ms` is how long a failed-login lock lasts (0: until
 * unlocked), for the accounts' states. 0 when done, 1 when argv[0] (with that many
 * arguments) is not one of them, -1 with a reason in `err`. */
int admin_lists_run(struct store *st, int64_t lock_ms, int argc, char **argv, struct admin_out *out,
		    char *err, size_t errlen);

#endif
