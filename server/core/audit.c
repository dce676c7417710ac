/*
 * audit.c - hash chain of the access log (see audit.h).
 */
#include <string.h>

#include <sodium.h>

#include "audit.h"

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

void audit_hash(const struct store_audit *a, uint8_t out[STORE_HASH_BYTES])
{
	crypto_generichash_state h;
	static const char domain[] = "advice access log v1";

	crypto_generichash_init(&h, NULL, 0, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)domain, sizeof domain);
	crypto_generichash_update(&h, a->prev, STORE_HASH_BYTES);
	hash_u64(&h, (uint64_t)a->row);
	hash_u64(&h, (uint64_t)a->time);
	hash_u64(&h, (uint64_t)a->role);
	hash_str(&h, a->user_id);
	hash_str(&h, a->unit_id);
	hash_str(&h, a->client);
	hash_str(&h, a->object);
	hash_str(&h, a->action);
	hash_str(&h, a->outcome);
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

struct verify_state {
	uint8_t prev[STORE_HASH_BYTES];
	int64_t expect_row, rows, first_bad;
};

static int verify_row(void *arg, const struct store_audit *a)
{
	struct verify_state *v = arg;
	uint8_t h[STORE_HASH_BYTES];

	audit_hash(a, h);
	if (a->row != v->expect_row || memcmp(a->prev, v->prev, STORE_HASH_BYTES) != 0 ||
	    memcmp(h, a->hash, STORE_HASH_BYTES) != 0) {
		v->first_bad = a->row;
		return 1;
	}
	memcpy(v->prev, a->hash, STORE_HASH_BYTES);
	v->expect_row++;
	v->rows++;
	return 0;
}

int audit_verify(struct store *st, int64_t *rows, int64_t *first_bad)
{
	struct verify_state v = { .expect_row = 1 };

	if (st->ops->audit->scan(st, 1, verify_row, &v) != STORE_OK)
		return -1;
	*rows = v.rows;
	*first_bad = v.first_bad;
	return v.first_bad != 0 ? 1 : 0;
}
