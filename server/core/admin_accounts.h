/*
 * admin_accounts.h - advicectl's unit, queue and account commands, run by the core
 * (core_admin.c) inside the caller's transaction:
 *
 *   unit-add NAME                       a unit (its id in the data: advicectl --json)
 *   queue-add UNIT CATEGORY NAME        the unit's queue for CATEGORY
 *   worker-add USERNAME [--unit UNIT [--supervisor]] [--password-stdin]
 *                                       an account with a one-time setup code (printed), or
 *                                       with the authentication key advicectl derived from the
 *                                       password (struct admin_auth: the password never leaves
 *                                       the admin's machine)
 *   member-add USERNAME UNIT [--supervisor]
 *                                       a membership, or a member's new role
 *   unlock USERNAME                     clears failed logins, backoff and lock
 *
 * `advicectl init --demo` calls them directly, offline, on a store nobody else has open.
 */
#ifndef ADVICE_ADMIN_ACCOUNTS_H
#define ADVICE_ADMIN_ACCOUNTS_H

#include <stdio.h>

#include "admin_out.h"
#include "advice_proto.h"
#include "store.h"

/* Exit status advicectl gives when the access or disclosure log is broken (audit-verify,
 * admin_logs.h). */
#define ADMIN_EXIT_AUDIT_BROKEN 3

/* A password's login material, derived by advicectl (Argon2id, advice_worker_auth_key). */
struct admin_auth {
	int set; /* 0: no password; the account gets a setup code */
	uint8_t salt[ADVICE_SALT_BYTES];
	uint64_t opslimit, memlimit;
	uint8_t key[ADVICE_AUTH_KEY_BYTES];
	int demo_totp; /* init --demo: enrol the published demo second factor */
};

/* The Argon2id parameters of new accounts: fast ones in test mode. */
void admin_auth_params(int test_mode, uint64_t *opslimit, uint64_t *memlimit);

/*
 * Runs command argv[0] inside the caller's transaction, answering in `out`; `auth`
 * (may be NULL) is worker-add's password material. Returns 0 when done, 1 when argv[0] (with
 * that many arguments) is not one of these commands, -1 with a reason in `err` when it failed
 * (the caller rolls back). *exit_status is what advicectl exits with (0).
 */
int admin_accounts_run(struct store *st, const uint8_t pepper[32], int test_mode, int argc, char **argv,
		       const struct admin_auth *auth, struct admin_out *out, int *exit_status, char *err,
		       size_t errlen);

#endif
