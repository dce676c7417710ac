/*
 * admin_connector.h - advicectl's commands about the records connector and the register
 * keeper's export orders, run by the core (core_admin.c); the key commands connector-add and
 * connector-unit-add are admin_keys.h's:
 *
 *   connector-list                    the connectors: name, key id, units, state
 *   connector-end NAME                ends the connector: its sessions end, no login and no
 *                                     consent to it from now on
 *   export-order CITIZEN --recipient TEXT --basis TEXT
 *                                     an export order of every thread of CITIZEN (a pseudonym)
 *                                     for the connector to produce; prints the order's id
 */
#ifndef ADVICE_ADMIN_CONNECTOR_H
#define ADVICE_ADMIN_CONNECTOR_H

#include <stdint.h>

#include "admin_out.h"
#include "store.h"

/* Runs command argv[0] at `now_ms` inside the caller's transaction, printing to `out`. 0 when
 * done, 1 when argv[0] (with those arguments) is none of these, -1 with a reason in `err`. */
int admin_connector_run(struct store *st, int64_t now_ms, int argc, char **argv, struct admin_out *out,
			char *err, size_t errlen);

#endif
