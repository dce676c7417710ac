/*
 * keys_admin.h - advicectl's end-to-end encryption commands, on the admin's machine (the
 * admin's key files never leave it; adviced writes the records they make, admin_keys.h):
 *
 *   root-create FILE                      (offline, no data folder) the municipal root key into
 *                                          a new key file; prints its public key
 *   root-install PUBKEY                   the root public key the server hands out
 *   admin-certify ROOTFILE ADMINFILE      a new admin key into ADMINFILE, certified by the root
 *   worker-certify USERNAME ADMINFILE [FINGERPRINT]
 *                                          shows the fingerprint of the key request the
 *                                          worker's first login made; with the same
 *                                          FINGERPRINT certifies its keys and seals the
 *                                          worker's units' seeds to them
 *   unit-key-rotate UNIT ADMINFILE        the unit's next key generation (the first one too)
 *   unit-member-add USERNAME UNIT ADMINFILE [--supervisor]
 *                                          membership, and the current unit seed sealed to them
 *   unit-member-remove USERNAME UNIT ADMINFILE
 *                                          ends the membership and rotates the unit key
 *   unit-log-renew UNIT ADMINFILE [DAYS]   renews the unit log's validity (run on a schedule)
 *   cert-revoke USERNAME ADMINFILE         revokes the worker's certificates in their units' logs
 *   connector-add NAME --box-pk B --sign-pk S ROOTFILE
 *                                          a records connector's account and its certificate
 *                                          (role 3) signed with the root key
 *   connector-unit-add NAME UNIT ADMINFILE the unit's current seed sealed to the connector
 *                                          (unit-key-rotate seals later ones to it too)
 *
 * The commands that change a unit's keys or members sign the unit log's next entries too.
 */
#ifndef ADVICE_KEYS_ADMIN_H
#define ADVICE_KEYS_ADMIN_H

#include <stdio.h>

#include <jansson.h>

#include "store.h"

/* root-create: writes FILE (mode 600, never overwritten) and prints the public key to out.
 * 0, or -1 with a reason in err. */
int keys_admin_root_create(const char *path, FILE *out, char *err, size_t errlen);

/*
 * Runs key command argv[0] with its arguments: reads `st` (read-only), signs and seals with
 * the key files, prints to `out` what will be done and to `warn` warnings ("warning: ..."
 * lines: members left out of a unit key because their account or role ended), and returns
 * in *records the records for adviced to write (server/core/admin_keys.h; the caller frees
 * them). Returns 0 when done,
 * 1 when argv[0] (with that many arguments) is not a key command, -1 with a reason in `err`
 * when it failed (nothing to write): also for worker-certify or unit-member-add of an ended
 * account, and unit-member-add of a member. worker-certify without FINGERPRINT returns 0
 * with no records (nothing to write).
 */
int keys_admin_run(struct store *st, int argc, char **argv, FILE *out, FILE *warn, json_t **records,
		   char *err, size_t errlen);

/*
 * Demo data only (advicectl init --demo, test mode: the demo passwords are published): what
 * a demo worker's first login and the admin's worker-certify do, both here: a new identity,
 * its bundle under `password`, the admin's certificate and the worker's units' seeds sealed
 * to it. Returns 0 with the records in *records, or -1 with a reason in err.
 */
int keys_admin_demo_worker(struct store *st, const char *username, const char *password,
			   const char *admin_path, FILE *out, json_t **records, char *err, size_t errlen);

#endif
