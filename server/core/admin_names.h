/*
 * admin_names.h - advicectl's commands for the names staff and citizens see, run by the core
 * (core_admin.c):
 *
 *   worker-name USERNAME NAME [TITLE]   the worker's display name and title ("" NAME: none)
 *   unit-name-style UNIT full|first     what the unit's citizens see of the name: the full
 *                                       name or the first name, with the title
 *
 * Names are shown as they are written: 1..128 bytes of UTF-8 without control characters.
 */
#ifndef ADVICE_ADMIN_NAMES_H
#define ADVICE_ADMIN_NAMES_H

#include <stdio.h>

#include "admin_out.h"
#include "store.h"

/*
 * Runs command argv[0] inside the caller's transaction, printing results to `out`. Returns
 * 0 when done, 1 when argv[0] (with that many arguments) is not a names command, -1 with a
 * reason in `err` when it failed (the caller rolls back).
 */
int admin_names_run(struct store *st, int argc, char **argv, struct admin_out *out, char *err, size_t errlen);

/* Whether `text` may be shown as a name or title: valid UTF-8, no control characters, at most
 * `max` bytes, and (when `required`) not empty and not starting with a space. */
int admin_names_valid(const char *text, size_t max, int required);

/* Inside the caller's transaction: the demo accounts' names and titles; adult social work
 * shows citizens full names, the other units first names. 0 or -1. */
int admin_names_seed_demo(struct store *st, char *err, size_t errlen);

#endif
