/*
 * net_fair.c - one session, or one client address, cannot starve the others. The WebSockets
 * of a session share a bounded part of the core's queue (session_max_pending requests at
 * once, counted until their replies come back, also for connections that closed meanwhile)
 * and a bounded number of connections (session_max_connections); every WebSocket message
 * (text or binary) takes a token of its session's bucket and of its address's bucket
 * (ratelimit.h). A message over any of these is answered at once with 429 rate_limited and
 * retry_after, carrying its id (net_ws.c, reqerr.h), and never queued; the queue's global
 * bound (max_pending) is then reached only by many sessions together. Refusals are logged
 * as counts at most once a minute. Service thread only.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "net_int.h"
#include "ratelimit.h"

#define NET_FAIR_SOURCES   65536 /* sessions and addresses each bucket table remembers */
#define NET_FAIR_BUCKETS0  256
#define NET_FAIR_REPORT_MS 60000 /* refusals are logged as counts at most once a minute */
#define NET_FAIR_PENDING_S 1	 /* retry_after of a message over its session's share */

/* A session's share: its open WebSockets and its requests at the core. */
struct net_share {
	struct hmap_node node; /* in n->shares, by session hash */
	uint8_t hash[STORE_HASH_BYTES];
	unsigned int conns;   /* open WebSockets of the session */
	unsigned int pending; /* requests at the core of its connections, closed ones' included */
};

static int64_t net_fair_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A bucket table of `per_minute` (0: none, *rl stays NULL) and `burst`. 0, or -1 when out
 * of memory. */
static int net_fair_bucket(struct ratelimit **rl, int per_minute, int burst, const char *what)
{
	if (per_minute <= 0) {
		log_notice("no limit on WebSocket messages per %s (0 a minute)", what);
		return 0;
	}
	*rl = ratelimit_new(NET_FAIR_SOURCES, per_minute, burst);
	if (*rl == NULL) {
		log_err("out of memory for the WebSocket message limit per %s", what);
		return -1;
	}
	return 0;
}

int net_fair_init(struct net *n)
{
	const struct config *cfg = n->cfg;

	if (hmap_init(&n->shares, NET_FAIR_BUCKETS0, offsetof(struct net_share, node),
		      offsetof(struct net_share, hash), STORE_HASH_BYTES) != 0) {
		log_err("out of memory");
		return -1;
	}
	if (net_fair_bucket(&n->session_rate, cfg->session_requests_per_minute, cfg->session_request_burst,
			    "session") != 0 ||
	    net_fair_bucket(&n->address_rate, cfg->address_requests_per_minute, cfg->address_request_burst,
			    "address") != 0)
		return -1;
	return 0;
}

void net_fair_free(struct net *n)
{
	struct hmap_iter it;
	struct net_share *s;

	hmap_iter_init(&it, &n->shares);
	while ((s = hmap_iter_next(&it)) != NULL) {
		hmap_remove(&n->shares, s);
		free(s);
	}
	hmap_destroy(&n->shares);
	ratelimit_free(n->session_rate);
	ratelimit_free(n->address_rate);
	n->session_rate = n->address_rate = NULL;
}

/* Logs the refusals as counts, at most once every NET_FAIR_REPORT_MS. */
static void net_fair_report(struct net *n, enum net_fair_refusal why)
{
	int64_t now = net_fair_now_ms();

	n->fair_refused[why]++;
	if (n->fair_logged_ms != 0 && now - n->fair_logged_ms < NET_FAIR_REPORT_MS)
		return;
	log_notice("refused with 429 since the last report: %llu messages over a session's share of the "
		   "queue, %llu over a session's rate, %llu over an address's rate, %llu WebSockets over a "
		   "session's number",
		   n->fair_refused[NET_FAIR_SHARE], n->fair_refused[NET_FAIR_SESSION_RATE],
		   n->fair_refused[NET_FAIR_ADDRESS_RATE], n->fair_refused[NET_FAIR_CONNECTIONS]);
	memset(n->fair_refused, 0, sizeof(n->fair_refused));
	n->fair_logged_ms = now;
}

int net_fair_upgrade_refused(struct net *n, const uint8_t hash[STORE_HASH_BYTES])
{
	const struct net_share *s = hmap_find(&n->shares, hash);

	if (s == NULL || s->conns < (unsigned int)n->cfg->session_max_connections)
		return 0;
	net_fair_report(n, NET_FAIR_CONNECTIONS);
	return 1;
}

int net_fair_attach(struct net *n, struct net_conn *c)
{
	struct net_share *s = hmap_find(&n->shares, c->session_hash);

	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		memcpy(s->hash, c->session_hash, STORE_HASH_BYTES);
		hmap_insert(&n->shares, s);
	}
	s->conns++;
	c->share = s;
	return 0;
}

/* Frees a share that has neither connections nor requests left. */
static void net_fair_put(struct net *n, struct net_share *s)
{
	if (s->conns > 0 || s->pending > 0)
		return;
	hmap_remove(&n->shares, s);
	free(s);
}

void net_fair_closed(struct net *n, struct net_conn *c)
{
	struct net_share *s = c->share;

	if (s == NULL)
		return;
	if (s->conns > 0)
		s->conns--;
	if (c->inflight > 0)
		return; /* the share stays while the connection's requests are at the core */
	c->share = NULL;
	net_fair_put(n, s);
}

void net_fair_detach(struct net *n, struct net_conn *c)
{
	struct net_share *s = c->share;

	if (s == NULL)
		return;
	if (!c->retired && s->conns > 0)
		s->conns--;
	s->pending -= c->inflight < s->pending ? c->inflight : s->pending;
	c->share = NULL;
	net_fair_put(n, s);
}

void net_fair_submitted(struct net_conn *c)
{
	if (c->share != NULL)
		c->share->pending++;
}

void net_fair_replied(struct net *n, struct net_conn *c)
{
	struct net_share *s = c->share;

	if (s == NULL || s->pending == 0)
		return;
	s->pending--;
	if (c->retired && c->inflight == 0) {
		c->share = NULL;
		net_fair_put(n, s);
	}
}

/* The bucket key of a session: the first bytes of its (keyed) hash. */
static void net_fair_session_key(const struct net_conn *c, struct ratelimit_key *key)
{
	key->len = RATELIMIT_KEY_MAX;
	memcpy(key->bytes, c->session_hash, RATELIMIT_KEY_MAX);
}

int net_fair_refuse(struct net *n, struct net_conn *c, const char **message)
{
	struct ratelimit_key skey, akey;
	int64_t now;
	int wait_s;

	if (c->share != NULL && c->share->pending >= (unsigned int)n->cfg->session_max_pending) {
		net_fair_report(n, NET_FAIR_SHARE);
		*message = "too many requests of this session at once";
		return NET_FAIR_PENDING_S;
	}
	now = net_fair_now_ms();
	net_fair_session_key(c, &skey);
	if (n->session_rate != NULL && (wait_s = ratelimit_take(n->session_rate, &skey, now)) != 0) {
		net_fair_report(n, NET_FAIR_SESSION_RATE);
		*message = "too many requests from this session";
		return wait_s;
	}
	ratelimit_key_of(c->peer, &akey);
	if (n->address_rate != NULL && (wait_s = ratelimit_take(n->address_rate, &akey, now)) != 0) {
		if (n->session_rate != NULL)
			ratelimit_refund(n->session_rate, &skey);
		net_fair_report(n, NET_FAIR_ADDRESS_RATE);
		*message = "too many requests from this address";
		return wait_s;
	}
	return 0;
}
