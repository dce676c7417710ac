/*
 * admin_queue.h - advicectl's duty-queue commands, run by the core (core_admin.c):
 *
 *   unit-langs UNIT fi,sv,en            languages the unit serves
 *   unit-hours UNIT HH:MM HH:MM         service hours on working days (out-of-hours notice)
 *   queue-policy CATEGORY manual|round-robin|least-loaded [CAP]
 *   queue-fallback CATEGORY FALLBACK|-  queue used when nobody is on duty
 *   queue-deadlines CATEGORY FIRST FOLLOW WARN%   in working days
 *   route-add CATEGORY LANG TARGET      threads of CATEGORY in LANG go to TARGET's queue
 *   route-del CATEGORY LANG
 *   closed-add YYYY-MM-DD NAME / closed-del YYYY-MM-DD    extra closed days
 *   holidays YEAR                       public holidays and closed days of a year
 *   roster-add USER UNIT DAYS HH:MM HH:MM [--holidays] / roster-del ID / roster-list [UNIT]
 */
#ifndef ADVICE_ADMIN_QUEUE_H
#define ADVICE_ADMIN_QUEUE_H

#include <stdio.h>

#include "admin_out.h"
#include "store.h"

/*
 * Runs command argv[0] with its arguments inside the caller's transaction, printing results
 * to `out`. Returns 0 when done, 1 when argv[0] (with that many arguments) is not a
 * duty-queue command, -1 with a reason in `err` when it failed (the caller rolls back).
 */
int admin_queue_run(struct store *st, int argc, char **argv, struct admin_out *out, char *err, size_t errlen);

/* Inside the caller's transaction: the demo data's duty queues: languages, a roster with anna and sara (adult
 * social work) and ben on duty on working days 08-16; manual claiming in adult social work, round-robin in
 * children and families, disability services falling back to adult social work. 0 or -1. */
int admin_queue_seed_demo(struct store *st, char *err, size_t errlen);

#endif
