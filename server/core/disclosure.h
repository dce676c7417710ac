/*
 * disclosure.h - the disclosure log: which client's data was given out of the service, to
 * whom, on what basis, what data and how (906/2019 17 §, 703/2023 11 §).
 *
 * Beside the access log (audit.h) and chained the same way with its own chain from zeros:
 * each row's hash covers its fields and the previous row's hash, so a changed, removed or
 * reordered row breaks the chain from that row on. Rows are written in the same transaction
 * as the disclosure they record.
 */
#ifndef ADVICE_DISCLOSURE_H
#define ADVICE_DISCLOSURE_H

#include <stdint.h>

#include "store.h"

/* Appends `d` (time, user, role, unit, client, object, recipient, basis, dataset, method and
 * outcome filled by the caller, in the caller's transaction): sets d->row, d->prev and
 * d->hash. STORE_OK or STORE_ERROR. */
int disclosure_append(struct store *st, struct store_disclosure *d);

/* The hash of a row: BLAKE2b-256 over a domain string, prev and the row's fields, each
 * length-prefixed. */
void disclosure_hash(const struct store_disclosure *d, uint8_t out[STORE_HASH_BYTES]);

/*
 * Walks the whole chain. Returns 0 when intact (*rows = number of rows), 1 when broken
 * (*first_bad = the first row whose hash or link does not hold), -1 when the store failed.
 */
int disclosure_verify(struct store *st, int64_t *rows, int64_t *first_bad);

#endif
