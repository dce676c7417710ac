/*
 * admin_logs.h - advicectl's register duties over the access and disclosure logs, run by the
 * core (core_admin.c):
 *
 *   audit-verify           walks both hash chains (exit ADMIN_EXIT_AUDIT_BROKEN when either
 *                          is broken)
 *   disclosure-list [--client X]
 *                          the disclosure log, oldest first
 *   log-report CITIZEN [--from DATE] [--to DATE] [--special-reason TEXT]
 *                          the client's log report (703/2023 11 §): beyond two years back only
 *                          with a special reason, which the access-log row keeps
 *   citizen-find           the pseudonym of the identity code given on standard input (sent
 *                          as the request's "stdin", never an argument: it is not logged)
 *   breach-scope [--user NAME] [--unit NAME] --from DATE --to DATE
 *                          the client pseudonyms an account, unit or time window touched
 *                          (GDPR 33, 34), with counts and the kinds of objects
 *
 * DATE is YYYY-MM-DD (a --from day from its start, a --to day to its end) or YYYY-MM-DDTHH:MM,
 * Helsinki time. log-report, citizen-find and breach-scope write an access-log row of their
 * own about the client (or window) they read, beside the command's row.
 */
#ifndef ADVICE_ADMIN_LOGS_H
#define ADVICE_ADMIN_LOGS_H

#include <stdint.h>

#include "admin_out.h"
#include "store.h"

/* The context of a command: the key of identity codes' hashes, test mode (test identity codes
 * only), the time, the OS user who asked ("os:<name>" in the log) and what it sent on standard
 * input (NULL: nothing). */
struct admin_logs_env {
	const uint8_t *pepper;
	int test_mode;
	int64_t now;
	const char *os_user;
	const char *secret;
};

/*
 * Runs command argv[0] inside the caller's transaction, printing results to `out`. Returns 0
 * when done (*exit_status set), 1 when argv[0] (with those arguments) is not one of these
 * commands, -1 with a reason in `err` when it failed (the caller rolls back).
 */
int admin_logs_run(struct store *st, const struct admin_logs_env *env, int argc, char **argv,
		   struct admin_out *out, int *exit_status, char *err, size_t errlen);

#endif
