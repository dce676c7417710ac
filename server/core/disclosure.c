/*
 * disclosure.c - hash chain of the disclosure log (see disclosure.h).
 */
#include <string.h>

#include <sodium.h>

#include "disclosure.h"

static void hash_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t b[8];

	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)(v & 0xff);
	crypto_generichash_update(h, b, sizeof b);
}

static void hash_str(crypto_generichash_state *h, const char *s)
{
	size_t n = strlen(s);

	hash_u64(h, n);
	crypto_generichash_update(h, (const unsigned char *)s, n);
}

void disclosure_hash(const struct store_disclosure *d, uint8_t out[STORE_HASH_BYTES])
{
	crypto_generichash_state h;
	static const char domain[] = "advice disclosure log v1";

	crypto_generichash_init(&h, NULL, 0, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)domain, sizeof domain);
	crypto_generichash_update(&h, d->prev, STORE_HASH_BYTES);
	hash_u64(&h, (uint64_t)d->row);
	hash_u64(&h, (uint64_t)d->time);
	hash_u64(&h, (uint64_t)d->role);
	hash_str(&h, d->user_id);
	hash_str(&h, d->unit_id);
	hash_str(&h, d->client);
	hash_str(&h, d->object);
	hash_str(&h, d->recipient);
	hash_str(&h, d->basis);
	hash_str(&h, d->dataset);
	hash_str(&h, d->method);
	hash_str(&h, d->outcome);
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

struct verify_state {
	uint8_t prev[STORE_HASH_BYTES];
	int64_t expect_row, rows, first_bad;
};

static int verify_row(void *arg, const struct store_disclosure *d)
{
	struct verify_state *v = arg;
	uint8_t h[STORE_HASH_BYTES];

	disclosure_hash(d, h);
	if (d->row != v->expect_row || memcmp(d->prev, v->prev, STORE_HASH_BYTES) != 0 ||
	    memcmp(h, d->hash, STORE_HASH_BYTES) != 0) {
		v->first_bad = d->row;
		return 1;
	}
	memcpy(v->prev, d->hash, STORE_HASH_BYTES);
	v->expect_row++;
	v->rows++;
	return 0;
}

int disclosure_verify(struct store *st, int64_t *rows, int64_t *first_bad)
{
	struct verify_state v = { .expect_row = 1 };

	if (st->ops->disclosure->scan(st, 1, verify_row, &v) != STORE_OK)
		return -1;
	*rows = v.rows;
	*first_bad = v.first_bad;
	return v.first_bad != 0 ? 1 : 0;
}
