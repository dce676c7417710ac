/*
 * disclosure.c - hash chain of the disclosure log (see disclosure.h).
 */
#include <string.h>

#include <sodium.h>

#include "disclosure.h"
#include "chain.h"

void disclosure_hash(const struct store_disclosure *d, uint8_t out[STORE_HASH_BYTES])
{
	crypto_generichash_state h;
	static const char domain[] = "advice disclosure log v1";

	crypto_generichash_init(&h, NULL, 0, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)domain, sizeof domain);
	crypto_generichash_update(&h, d->prev, STORE_HASH_BYTES);
	chain_u64(&h, (uint64_t)d->row);
	chain_u64(&h, (uint64_t)d->time);
	chain_u64(&h, (uint64_t)d->role);
	chain_str(&h, d->user_id);
	chain_str(&h, d->unit_id);
	chain_str(&h, d->client);
	chain_str(&h, d->object);
	chain_str(&h, d->recipient);
	chain_str(&h, d->basis);
	chain_str(&h, d->dataset);
	chain_str(&h, d->method);
	chain_str(&h, d->outcome);
	crypto_generichash_final(&h, out, STORE_HASH_BYTES);
}

int disclosure_append(struct store *st, struct store_disclosure *d)
{
	struct store_disclosure last;
	int rc = st->ops->disclosure->last(st, &last);

	if (rc == STORE_OK) {
		memcpy(d->prev, last.hash, STORE_HASH_BYTES);
		d->row = last.row + 1;
	} else if (rc == STORE_NOTFOUND) {
		memset(d->prev, 0, STORE_HASH_BYTES);
		d->row = 1;
	} else {
		return STORE_ERROR;
	}
	disclosure_hash(d, d->hash);
	rc = st->ops->disclosure->insert(st, d);
	return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

static int verify_row(void *arg, const struct store_disclosure *d)
{
	uint8_t h[STORE_HASH_BYTES];

	disclosure_hash(d, h);
	return chain_step(arg, d->row, d->prev, d->hash, h);
}

int disclosure_verify(struct store *st, int64_t *rows, int64_t *first_bad)
{
	struct chain_walk v = { .expect_row = 1 };

	if (st->ops->disclosure->scan(st, 1, verify_row, &v) != STORE_OK)
		return -1;
	*rows = v.rows;
	*first_bad = v.first_bad;
	return v.first_bad != 0 ? 1 : 0;
}
