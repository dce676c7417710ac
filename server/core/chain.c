/*
 * chain.c - what the hash-chained logs share (see chain.h).
 */
#include <string.h>

#include "chain.h"

void chain_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t b[8];

	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)(v & 0xff);
	crypto_generichash_update(h, b, sizeof b);
}

void chain_str(crypto_generichash_state *h, const char *s)
{
	size_t n = strlen(s);

	chain_u64(h, n);
	crypto_generichash_update(h, (const unsigned char *)s, n);
}

int chain_step(struct chain_walk *w, int64_t row, const uint8_t prev[STORE_HASH_BYTES],
	       const uint8_t hash[STORE_HASH_BYTES], const uint8_t computed[STORE_HASH_BYTES])
{
	if (row != w->expect_row || memcmp(prev, w->prev, STORE_HASH_BYTES) != 0 ||
	    memcmp(computed, hash, STORE_HASH_BYTES) != 0) {
		w->first_bad = row;
		return 1;
	}
	memcpy(w->prev, hash, STORE_HASH_BYTES);
	w->expect_row++;
	w->rows++;
	return 0;
}
