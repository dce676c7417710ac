/*
 * admin_keys.h - the store side of advicectl's end-to-end key commands (root-install,
 * admin-certify, worker-certify, unit-key-rotate, unit-member-add, unit-member-remove,
 * unit-log-renew, cert-revoke, connector-add, connector-unit-add).
 *
 * Those commands sign with the admin's private key, which never leaves the admin's machine:
 * advicectl reads what it needs, signs and seals there (tools/keys_admin.c), and sends the
 * resulting records. The core writes them in the request's transaction, all or none:
 *
 *   {"op": "root_put", "pk": HEX, "at": MS}
 *   {"op": "cert_put", "subject": ID, "role": N, "kid": HEX, "cert": HEX, "at": MS}
 *   {"op": "bundle_put", "user": ID, "bundle": HEX, "at": MS}
 *   {"op": "unit_gen_put", "unit": ID, "gen": N, "kid": HEX, "event": HEX, "chain": HEX, "at": MS}
 *   {"op": "unit_seed_put", "unit": ID, "gen": N, "kid": HEX, "holder": ID, "wrap": HEX}
 *   {"op": "unit_log_put", "unit": ID, "seq": N, "entry": HEX, "at": MS}
 *   {"op": "member_add", "user": ID, "unit": ID, "role": N}
 *   {"op": "member_remove", "user": ID, "unit": ID}
 *   {"op": "connector_put", "id": ID, "name": TEXT, "kid": HEX, "sign_kid": HEX, "at": MS}
 *   {"op": "connector_unit_add", "connector": ID, "unit": ID, "at": MS}
 *
 * Records hold only public or sealed bytes, which the store never interprets.
 */
#ifndef ADVICE_ADMIN_KEYS_H
#define ADVICE_ADMIN_KEYS_H

#include <stddef.h>

#include "store.h"

struct json_t;

/* Whether `command` is one of the key commands above. */
int admin_keys_command(const char *command);

/* Writes every record of the array `records` inside the caller's transaction. 0, or -1 with
 * a reason in `err` (the caller rolls back). */
int admin_keys_apply(struct store *st, const struct json_t *records, char *err, size_t errlen);

#endif
