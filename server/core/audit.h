/*
 * audit.h - the access log: who saw or changed which client's data, when, with what outcome.
 *
 * Rows are append-only and hash-chained: each row's hash covers its fields and the previous
 * row's hash, so a changed, removed or reordered row breaks the chain from that row on.
 * Entries are written in the same transaction as the access they record, before the reply.
 */
#ifndef ADVICE_AUDIT_H
#define ADVICE_AUDIT_H

#include <stdint.h>

#include "store.h"

/* Appends `a` (time, user, role, unit, client, object, action, outcome filled by the caller):
 * sets a->prev, a->hash and a->row. STORE_OK or STORE_ERROR. */
int audit_append(struct store *st, struct store_audit *a);

/* The hash of a row: BLAKE2b-256 over prev and the row's fields, each length-prefixed. */
void audit_hash(const struct store_audit *a, uint8_t out[STORE_HASH_BYTES]);

/*
 * Walks the whole chain. Returns 0 when intact (*rows = number of rows), 1 when broken
 * (*first_bad = the first row whose hash or link does not hold), -1 when the store failed.
 */
int audit_verify(struct store *st, int64_t *rows, int64_t *first_bad);

#endif
