/*
 * core_authcache.c - sessions and device keys kept in memory (core_authcache.h): two tables
 * of slots, each slot the newest entry whose key hashes to it. Session hashes are keyed
 * hashes already, so their first bytes pick the slot; user ids are hashed (FNV-1a).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "advice_crypto.h"
#include "core.h"
#include "core_authcache.h"

#define SESSION_SLOTS 4096 /* powers of two */
#define DEVICE_SLOTS  4096

struct session_entry {
	uint64_t gen;
	struct store_session s;
	size_t n;
	struct store_membership units[]; /* n of them */
};

struct device_entry {
	uint64_t gen;
	struct authcache_devices d;
};

struct authcache {
	pthread_mutex_t lock;
	struct session_entry *sessions[SESSION_SLOTS];
	struct device_entry *devices[DEVICE_SLOTS];
};

struct authcache *authcache_new(void)
{
	struct authcache *ac = calloc(1, sizeof *ac);

	if (ac != NULL && pthread_mutex_init(&ac->lock, NULL) != 0) {
		free(ac);
		return NULL;
	}
	return ac;
}

void authcache_free(struct authcache *ac)
{
	if (ac == NULL)
		return;
	for (size_t i = 0; i < SESSION_SLOTS; i++)
		free(ac->sessions[i]);
	for (size_t i = 0; i < DEVICE_SLOTS; i++)
		free(ac->devices[i]);
	pthread_mutex_destroy(&ac->lock);
	free(ac);
}

static size_t session_slot(const uint8_t hash[STORE_HASH_BYTES])
{
	return ((size_t)hash[0] | (size_t)hash[1] << 8 | (size_t)hash[2] << 16) & (SESSION_SLOTS - 1);
}

static size_t device_slot(const char *user_id)
{
	uint32_t h = 2166136261u;

	for (const char *p = user_id; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h & (DEVICE_SLOTS - 1);
}

/* The entry of session `hash`, or NULL; under the lock. */
static struct session_entry *session_find(struct authcache *ac, const uint8_t hash[STORE_HASH_BYTES])
{
	struct session_entry *e = ac->sessions[session_slot(hash)];

	return e != NULL && memcmp(e->s.hash, hash, STORE_HASH_BYTES) == 0 ? e : NULL;
}

/* The entry of user_id's devices, or NULL; under the lock. */
static struct device_entry *device_find(struct authcache *ac, const char *user_id)
{
	struct device_entry *e = ac->devices[device_slot(user_id)];

	return e != NULL && strcmp(e->d.user_id, user_id) == 0 ? e : NULL;
}

int authcache_session_get(struct authcache *ac, uint64_t gen, const uint8_t hash[STORE_HASH_BYTES],
			  struct store_session *s, struct store_membership *units, size_t max, size_t *n)
{
	struct session_entry *e;
	int hit = 0;

	if (gen == 0)
		return 0;
	pthread_mutex_lock(&ac->lock);
	e = session_find(ac, hash);
	if (e != NULL && e->gen == gen && e->n <= max) {
		*s = e->s;
		memcpy(units, e->units, e->n * sizeof *units);
		*n = e->n;
		hit = 1;
	}
	pthread_mutex_unlock(&ac->lock);
	return hit;
}

void authcache_session_put(struct authcache *ac, uint64_t gen, const struct store_session *s,
			   const struct store_membership *units, size_t n)
{
	struct session_entry *e, *old;
	size_t slot = session_slot(s->hash);

	if (gen == 0 || (e = malloc(sizeof *e + n * sizeof e->units[0])) == NULL)
		return; /* not kept: the next request reads the store */
	e->gen = gen;
	e->s = *s;
	e->n = n;
	memcpy(e->units, units, n * sizeof e->units[0]);
	pthread_mutex_lock(&ac->lock);
	old = ac->sessions[slot];
	ac->sessions[slot] = e;
	pthread_mutex_unlock(&ac->lock);
	free(old);
}

void authcache_session_touched(struct authcache *ac, const uint8_t hash[STORE_HASH_BYTES], int64_t now)
{
	struct session_entry *e;

	pthread_mutex_lock(&ac->lock);
	if ((e = session_find(ac, hash)) != NULL)
		e->s.last_seen = now;
	pthread_mutex_unlock(&ac->lock);
}

int authcache_devices_get(struct authcache *ac, uint64_t gen, const char *user_id,
			  struct authcache_devices *out)
{
	struct device_entry *e;
	int hit = 0;

	if (gen == 0)
		return 0;
	pthread_mutex_lock(&ac->lock);
	e = device_find(ac, user_id);
	if (e != NULL && e->gen == gen) {
		*out = e->d;
		hit = 1;
	}
	pthread_mutex_unlock(&ac->lock);
	return hit;
}

void authcache_devices_put(struct authcache *ac, uint64_t gen, const struct authcache_devices *d)
{
	size_t slot = device_slot(d->user_id);
	struct device_entry *e, *old;

	if (gen == 0 || (e = malloc(sizeof *e)) == NULL)
		return;
	e->gen = gen;
	e->d = *d;
	pthread_mutex_lock(&ac->lock);
	old = ac->devices[slot];
	ac->devices[slot] = e;
	pthread_mutex_unlock(&ac->lock);
	free(old);
}

void authcache_device_touched(struct authcache *ac, const char *user_id, const uint8_t kid[STORE_KID_BYTES],
			      int64_t now)
{
	struct device_entry *e;

	pthread_mutex_lock(&ac->lock);
	if ((e = device_find(ac, user_id)) != NULL)
		for (size_t i = 0; i < e->d.n; i++)
			if (memcmp(e->d.d[i].kid, kid, STORE_KID_BYTES) == 0)
				e->d.d[i].last_used = now;
	pthread_mutex_unlock(&ac->lock);
}

int authcache_devices_of_session(struct authcache *ac, const uint8_t hash[STORE_HASH_BYTES],
				 struct authcache_devices *out)
{
	struct session_entry *s;
	struct device_entry *e = NULL;

	pthread_mutex_lock(&ac->lock);
	if ((s = session_find(ac, hash)) != NULL && (e = device_find(ac, s->s.user_id)) != NULL)
		*out = e->d;
	pthread_mutex_unlock(&ac->lock);
	return e != NULL;
}

/* The key of d that p names, if p verified these very bytes; -1 when not. */
static int prepared_signer(const struct authcache_devices *d, const struct core_parsed *p, const uint8_t *env,
			   size_t len)
{
	uint8_t h[STORE_HASH_BYTES];

	if (p == NULL || !p->done || !p->signer)
		return -1;
	crypto_generichash(h, sizeof h, env, len, NULL, 0);
	if (sodium_memcmp(h, p->signed_hash, sizeof h) != 0)
		return -1;
	for (size_t i = 0; i < d->n; i++)
		if (memcmp(d->d[i].kid, p->signer_kid, STORE_KID_BYTES) == 0 &&
		    memcmp(d->d[i].sign_pk, p->signer_pk, STORE_KEY_BYTES) == 0)
			return (int)i;
	return -1;
}

int authcache_signer(const struct authcache_devices *d, const struct core_parsed *p, const uint8_t *env,
		     size_t len)
{
	int i = prepared_signer(d, p, env, len);

	for (size_t j = 0; i < 0 && j < d->n; j++)
		if (advice_envelope_verify(env, len, d->d[j].sign_pk) == 0)
			i = (int)j;
	return i;
}
