/*
 * core_authcache.h - what the core reads on every request about who sends it, kept in memory:
 * sessions with their staff memberships, keyed by session hash, and each citizen's device
 * signing keys, keyed by user id. Bounded (a slot per key hash; a newcomer takes a taken slot).
 *
 * An entry is current only at the store generation it was read at (store_tx_ops generation:
 * every write to sessions, memberships, role ends, users or devices, and every rollback, bumps
 * it), so whatever ends, expires, revokes or changes them makes the entry a miss; the caller
 * reads the store again. The clock is the caller's to check on every use (sessions' idle and
 * absolute ends, devices' last use). The core thread reads and writes; the network thread may
 * read a user's device keys by session hash as a hint (core_request_prepare): all under one
 * lock.
 */
#ifndef ADVICE_CORE_AUTHCACHE_H
#define ADVICE_CORE_AUTHCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define AUTHCACHE_DEVICES_MAX 16 /* devices kept per user (core_devices.c allows as many) */

struct authcache_device {
	uint8_t kid[STORE_KID_BYTES];
	uint8_t sign_pk[STORE_KEY_BYTES];
	int64_t last_used; /* as stored */
};

/* A user's signing keys as the store lists them: a citizen's devices, or the keys of a staff
 * member's certificates (kid of the certificate's key; last_used AUTHCACHE_NEVER). */
#define AUTHCACHE_NEVER INT64_MAX
struct authcache_devices {
	char user_id[STORE_ID_SIZE];
	size_t n;
	struct authcache_device d[AUTHCACHE_DEVICES_MAX];
};

struct authcache;

/* NULL when out of memory. */
struct authcache *authcache_new(void);
void authcache_free(struct authcache *ac);

/* Session `hash` read at generation `gen`: 1 with *s and its memberships (at most max, count
 * into *n) when the cache holds it at that generation, else 0. */
int authcache_session_get(struct authcache *ac, uint64_t gen, const uint8_t hash[STORE_HASH_BYTES],
			  struct store_session *s, struct store_membership *units, size_t max, size_t *n);
/* Keeps session s and its n memberships as read at generation gen (0: nothing is kept). */
void authcache_session_put(struct authcache *ac, uint64_t gen, const struct store_session *s,
			   const struct store_membership *units, size_t n);
/* The session's last_seen was written as `now` (a touch, which bumps no generation). */
void authcache_session_touched(struct authcache *ac, const uint8_t hash[STORE_HASH_BYTES], int64_t now);

/* The devices of `user_id` read at generation `gen`: 1 with *out, or 0. */
int authcache_devices_get(struct authcache *ac, uint64_t gen, const char *user_id,
			  struct authcache_devices *out);
/* Keeps a user's devices as read at generation gen (0: nothing is kept). */
void authcache_devices_put(struct authcache *ac, uint64_t gen, const struct authcache_devices *d);
/* Device `kid` of the user was marked used at `now` (device_touch, which bumps no generation). */
void authcache_device_touched(struct authcache *ac, const char *user_id, const uint8_t kid[STORE_KID_BYTES],
			      int64_t now);

struct core_parsed;
/* Which key of d signed `env`: the one core_request_prepare found (p) if it verified these very
 * bytes (their BLAKE2b-256) and d still has its kid with its key, else the first that verifies.
 * Its index, or -1 when none. */
int authcache_signer(const struct authcache_devices *d, const struct core_parsed *p, const uint8_t *env,
		     size_t len);

/* A hint for another thread: the devices last kept for the user of the session last kept
 * under `hash`, whatever their generation. 1 with *out, or 0. Nothing may be granted on it
 * alone: the core thread checks what it verified against its current entry. */
int authcache_devices_of_session(struct authcache *ac, const uint8_t hash[STORE_HASH_BYTES],
				 struct authcache_devices *out);

#endif
