/*
 * chain.h - what the hash-chained logs share (the access log, audit.c; the disclosure log,
 * disclosure.c): the length-prefixed fields of a row's hash and the walk that checks a chain.
 */
#ifndef ADVICE_CHAIN_H
#define ADVICE_CHAIN_H

#include <stdint.h>

#include <sodium.h>

#include "store.h"

/* A field of a row's hash: an integer as 8 bytes big-endian; a string as its length so, then its bytes. */
void chain_u64(crypto_generichash_state *h, uint64_t v);
void chain_str(crypto_generichash_state *h, const char *s);

/* A walk over a chain from row 1 on. */
struct chain_walk {
	uint8_t prev[STORE_HASH_BYTES];
	int64_t expect_row, rows, first_bad;
};

/* Checks the next row (its number, stored prev and hash, and the hash computed from its fields):
 * 0 and the walk moves on, or 1 with first_bad set to the row. */
int chain_step(struct chain_walk *w, int64_t row, const uint8_t prev[STORE_HASH_BYTES],
	       const uint8_t hash[STORE_HASH_BYTES], const uint8_t computed[STORE_HASH_BYTES]);

#endif
