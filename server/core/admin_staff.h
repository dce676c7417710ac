/*
 * admin_staff.h - advicectl's staff-account commands, run by the core (core_admin.c):
 *
 *   worker-end USERNAME WHEN         the account ends (login refused, sessions closed)
 *   role-end USERNAME UNIT WHEN      the membership in UNIT ends
 *   worker-reset USERNAME            a new one-time setup code; password and second factor
 *                                    cleared, sessions revoked (a forgotten password)
 *   totp-reset USERNAME              the second factor cleared: the next login enrols again
 *   demo-totp USERNAME               test mode only: the current code of the account
 *
 * WHEN is YYYY-MM-DD (the last day: the end is the following midnight in Helsinki), "now",
 * "+SECONDS", or "none" (no end).
 */
#ifndef ADVICE_ADMIN_STAFF_H
#define ADVICE_ADMIN_STAFF_H

#include <stdio.h>

#include "admin_out.h"
#include "staff.h"
#include "store.h"

/*
 * Runs command argv[0] inside the caller's transaction, printing results to `out`. Returns
 * 0 when done, 1 when argv[0] (with that many arguments) is not a staff command, -1 with a
 * reason in `err` when it failed (the caller rolls back).
 */
int admin_staff_run(struct store *st, const uint8_t pepper[32], int test_mode, int argc, char **argv,
		    struct admin_out *out, char *err, size_t errlen);

/* Inside the caller's transaction: a new one-time setup code for the account (valid
 * STAFF_SETUP_VALID_MS from now_ms); its password and second factor are cleared. 0 or -1. */
int admin_staff_setup_code(struct store *st, const uint8_t pepper[32], const char *user_id, int64_t now_ms,
			   char code[STAFF_SETUP_CODE_SIZE]);
/* Inside the caller's transaction: records that the account's password was set at now_ms
 * and, when `demo_totp`, enrols the published demo secret (STAFF_DEMO_SECRET). 0 or -1. */
int admin_staff_password_set(struct store *st, const uint8_t pepper[32], const char *user_id, int64_t now_ms,
			     int demo_totp);
/* Parses WHEN (above) at now_ms into *out (0: no end). 0 or -1. */
int admin_staff_parse_when(const char *text, int64_t now_ms, int64_t *out);

#endif
