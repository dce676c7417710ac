/*
 * audit.c - hash chain of the access log (see audit.h).
 */
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "chain.h"

void audit_hash(const struct store_audit *a, uint8_t out[STORE_HASH_BYTES])
{
	crypto_generichash_state h;
	static const char domain[] = "advice access log v1";

	crypto_generichash_init(&h, NULL, 0, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)domain, sizeof domain);
	crypto_generichash_update(&h, a->prev, STORE_HASH_BYTES);
	chain_u64(&h, (uint64_t)a->row);
	chain_u64(&h, (uint64_t)a->time);
	chain_u64(&h, (uint64_t)a->role);
	chain_str(&h, a->user_id);
	chain_str(&h, a->unit_id);
	chain_str(&h, a->client);
	chain_str(&h, a->object);
	chain_str(&h, a->action);
	chain_str(&h, a->outcome);
	crypto_generichash_final(&h, out, STORE_HASH_BYTES);
}

int audit_append(struct store *st, struct store_audit *a)
{
	struct store_audit last;
	int rc = st->ops->audit->last(st, &last);

	if (rc == STORE_OK) {
		memcpy(a->prev, last.hash, STORE_HASH_BYTES);
		a->row = last.row + 1;
	} else if (rc == STORE_NOTFOUND) {
		memset(a->prev, 0, STORE_HASH_BYTES);
		a->row = 1;
	} else {
		return STORE_ERROR;
	}
	audit_hash(a, a->hash);
	rc = st->ops->audit->insert(st, a);
	return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

static int verify_row(void *arg, const struct store_audit *a)
{
	uint8_t h[STORE_HASH_BYTES];

	audit_hash(a, h);
	return chain_step(arg, a->row, a->prev, a->hash, h);
}

int audit_verify(struct store *st, int64_t *rows, int64_t *first_bad)
{
	struct chain_walk v = { .expect_row = 1 };

	if (st->ops->audit->scan(st, 1, verify_row, &v) != STORE_OK)
		return -1;
	*rows = v.rows;
	*first_bad = v.first_bad;
	return v.first_bad != 0 ? 1 : 0;
}
