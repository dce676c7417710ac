/*
 * ratelimit.h - per-source rate limits: a token bucket per client address, kept in a hash
 * table of bounded size. Each request from a source takes one token; a source's bucket holds
 * at most `burst` tokens and refills at `per_minute` tokens a minute. When the table is full,
 * the source seen least recently gives up its entry (it comes back with a full bucket: the
 * table's bound can only make the limit more lenient, never refuse anyone it should not).
 *
 * Sources are keyed by address: an IPv4 address (also when written as an IPv4-mapped IPv6
 * address), or the /64 prefix of an IPv6 address (one customer's network: a host can choose
 * any address in it). Keys are hashed with a random key, so a client cannot aim collisions.
 *
 * Plain C with no locking: one instance belongs to one thread (the network thread's bank-ID
 * endpoints today). Allocates everything in ratelimit_new, nothing per request.
 */
#ifndef ADVICE_RATELIMIT_H
#define ADVICE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_KEY_MAX 16

/* A source's key: its address's bytes (4 for IPv4, the 8-byte prefix for IPv6). */
struct ratelimit_key {
	uint8_t len;
	uint8_t bytes[RATELIMIT_KEY_MAX];
};

struct ratelimit;

/*
 * A limiter for at most `max_sources` sources (1 .. 2^24), each allowed `burst` requests at
 * once and `per_minute` more a minute (both 1 .. 1000000). NULL when an argument is out of
 * range or memory ran out.
 */
struct ratelimit *ratelimit_new(size_t max_sources, int per_minute, int burst);
/* Frees the limiter; NULL is fine. */
void ratelimit_free(struct ratelimit *rl);

/*
 * The key of the source whose address `peer` is written as text (IPv4 dotted quad or IPv6).
 * Text that is not an address (a Unix socket's "", a name) is keyed by its first bytes, so
 * it is limited like one address. Never fails.
 */
void ratelimit_key_of(const char *peer, struct ratelimit_key *key);

/*
 * Takes one token of `key`'s bucket at monotonic time `now_ms`. 0 when the request may go
 * on; otherwise the whole seconds (>= 1) until a token is there, and nothing is taken.
 */
int ratelimit_take(struct ratelimit *rl, const struct ratelimit_key *key, int64_t now_ms);

/*
 * Gives back one token that ratelimit_take took for a request that turned out not to count
 * (a caller that limits only failures takes a token before the work and refunds it when the
 * work succeeded). The bucket never holds more than `burst`; a source no longer in the table
 * (given up when it was full) is left alone: it comes back with a full bucket anyway.
 */
void ratelimit_refund(struct ratelimit *rl, const struct ratelimit_key *key);

/* How many sources the limiter holds now (for tests). */
size_t ratelimit_count(const struct ratelimit *rl);

#endif
