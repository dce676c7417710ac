/*
 * ratelimit.c - per-source token buckets (ratelimit.h). The entries are one array allocated
 * up front; a used entry sits in a hash chain (SipHash of its key, random key) and on a list
 * ordered by last use, whose tail is given up when a new source needs room. Tokens are
 * counted in 1/60000ths, so a millisecond refills exactly `per_minute` of them and no
 * refill is lost to rounding.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ratelimit.h"

#define SCALE		  60000 /* parts of a token: the milliseconds of a minute */
#define RATELIMIT_ARG_MAX 1000000

struct rl_entry {
	struct ratelimit_key key;
	int64_t tokens; /* in 1/SCALE of a token */
	int64_t last_ms;
	struct rl_entry *chain;		/* next in the hash bucket */
	struct rl_entry *newer, *older; /* the list by last use */
};

struct ratelimit {
	struct rl_entry *entries; /* max_sources of them */
	struct rl_entry *unused;  /* entries never used yet, chained by `chain` */
	struct rl_entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t max, count;
	struct rl_entry *newest, *oldest;
	int64_t per_minute, burst;
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
};

struct ratelimit *ratelimit_new(size_t max_sources, int per_minute, int burst)
{
	struct ratelimit *rl;

	if (max_sources < 1 || max_sources > ((size_t)1 << 24) || per_minute < 1 ||
	    per_minute > RATELIMIT_ARG_MAX || burst < 1 || burst > RATELIMIT_ARG_MAX || sodium_init() < 0)
		return NULL;
	rl = calloc(1, sizeof *rl);
	if (rl == NULL)
		return NULL;
	rl->nbuckets = 1;
	while (rl->nbuckets < max_sources)
		rl->nbuckets <<= 1;
	rl->entries = calloc(max_sources, sizeof *rl->entries);
	rl->buckets = calloc(rl->nbuckets, sizeof *rl->buckets);
	if (rl->entries == NULL || rl->buckets == NULL) {
		ratelimit_free(rl);
		return NULL;
	}
	for (size_t i = 0; i < max_sources; i++)
		rl->entries[i].chain = i + 1 < max_sources ? &rl->entries[i + 1] : NULL;
	rl->unused = rl->entries;
	rl->max = max_sources;
	rl->per_minute = per_minute;
	rl->burst = burst;
	randombytes_buf(rl->hash_key, sizeof rl->hash_key);
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->entries);
	free(rl->buckets);
	free(rl);
}

size_t ratelimit_count(const struct ratelimit *rl)
{
	return rl->count;
}

void ratelimit_key_of(const char *peer, struct ratelimit_key *key)
{
	static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	uint8_t a[16];

	memset(key, 0, sizeof *key);
	if (inet_pton(AF_INET, peer, a) == 1) {
		key->len = 4;
		memcpy(key->bytes, a, 4);
	} else if (inet_pton(AF_INET6, peer, a) == 1 && memcmp(a, v4_mapped, sizeof v4_mapped) == 0) {
		key->len = 4;
		memcpy(key->bytes, a + 12, 4);
	} else if (inet_pton(AF_INET6, peer, a) == 1) {
		key->len = 8; /* the /64 prefix */
		memcpy(key->bytes, a, 8);
	} else {
		/* not an address: its first bytes, marked apart from any address's key */
		key->len = RATELIMIT_KEY_MAX;
		key->bytes[0] = 0xff;
		strncpy((char *)key->bytes + 1, peer, RATELIMIT_KEY_MAX - 1);
	}
}

static size_t rl_bucket(const struct ratelimit *rl, const struct ratelimit_key *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, key->bytes, key->len, rl->hash_key);
	memcpy(&v, h, sizeof v);
	return (size_t)v & (rl->nbuckets - 1);
}

static int rl_key_equal(const struct ratelimit_key *a, const struct ratelimit_key *b)
{
	return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* Takes `e` off the list by last use. */
static void rl_list_unlink(struct ratelimit *rl, struct rl_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		rl->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		rl->oldest = e->newer;
	e->newer = e->older = NULL;
}

/* Puts `e` at the newest end of the list by last use. */
static void rl_list_push(struct ratelimit *rl, struct rl_entry *e)
{
	e->older = rl->newest;
	e->newer = NULL;
	if (rl->newest != NULL)
		rl->newest->newer = e;
	else
		rl->oldest = e;
	rl->newest = e;
}

/* Takes `e` out of its hash chain. */
static void rl_chain_unlink(struct ratelimit *rl, struct rl_entry *e)
{
	struct rl_entry **p = &rl->buckets[rl_bucket(rl, &e->key)];

	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	e->chain = NULL;
}

/* The entry of `key`, or NULL when the table holds none. */
static struct rl_entry *rl_find(const struct ratelimit *rl, const struct ratelimit_key *key)
{
	struct rl_entry *e;

	for (e = rl->buckets[rl_bucket(rl, key)]; e != NULL; e = e->chain)
		if (rl_key_equal(&e->key, key))
			return e;
	return NULL;
}

/* The entry of `key`, or a new one with a full bucket (the oldest source's entry when the
 * table is full). */
static struct rl_entry *rl_lookup(struct ratelimit *rl, const struct ratelimit_key *key, int64_t now_ms)
{
	size_t b = rl_bucket(rl, key);
	struct rl_entry *e = rl_find(rl, key);

	if (e != NULL)
		return e;
	if (rl->unused != NULL) {
		e = rl->unused;
		rl->unused = e->chain;
		rl->count++;
	} else {
		e = rl->oldest;
		rl_list_unlink(rl, e);
		rl_chain_unlink(rl, e);
	}
	e->key = *key;
	e->tokens = rl->burst * SCALE;
	e->last_ms = now_ms;
	e->chain = rl->buckets[b];
	rl->buckets[b] = e;
	rl_list_push(rl, e);
	return e;
}

int ratelimit_take(struct ratelimit *rl, const struct ratelimit_key *key, int64_t now_ms)
{
	struct rl_entry *e = rl_lookup(rl, key, now_ms);
	int64_t elapsed = now_ms - e->last_ms, wait_ms;

	/* a clock that went back refills nothing; a long pause at most the whole bucket */
	if (elapsed > 0) {
		if (elapsed > 60000LL * rl->burst)
			elapsed = 60000LL * rl->burst;
		e->tokens += elapsed * rl->per_minute;
		if (e->tokens > rl->burst * SCALE)
			e->tokens = rl->burst * SCALE;
		e->last_ms = now_ms;
	}
	rl_list_unlink(rl, e);
	rl_list_push(rl, e);
	if (e->tokens >= SCALE) {
		e->tokens -= SCALE;
		return 0;
	}
	wait_ms = (SCALE - e->tokens + rl->per_minute - 1) / rl->per_minute;
	return (int)((wait_ms + 999) / 1000);
}

void ratelimit_refund(struct ratelimit *rl, const struct ratelimit_key *key)
{
	struct rl_entry *e = rl_find(rl, key);

	if (e == NULL)
		return;
	e->tokens += SCALE;
	if (e->tokens > rl->burst * SCALE)
		e->tokens = rl->burst * SCALE;
}
