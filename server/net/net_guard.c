/*
 * net_guard.c - what keeps one client from holding the server's sockets: every accepted
 * socket is counted under its address (at most max_connections_per_address at once, HTTP and
 * WebSocket together; more are closed at accept), its request phases have absolute deadlines
 * that arriving bytes do not extend (the headers within header_timeout_s, a body within
 * body_timeout_s: lws restarts its own timeout on every byte), and when the process runs out
 * of descriptors the listener stops being polled for a moment instead of failing accept in a
 * busy loop, and the few requests that have waited longest for their headers or body are
 * closed so that a new client gets a descriptor at once. Refusals and closings are logged as
 * counts, at most once a minute. Behind trusted reverse proxies (trusted_proxies) a request's
 * client address is the one X-Forwarded-For names (xff.h), and the proxy's sockets are
 * counted under it once the headers are in, not under the proxy. Below the handlers, beside
 * net_conn.c. Service thread only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "net_int.h"
#include "ratelimit.h"

#define NET_GUARD_ADDR_BUCKETS0 256
#define NET_GUARD_REPORT_MS	60000 /* counts go to the log at most once a minute */
#define NET_GUARD_PAUSE_MS	250   /* the listener rests this long when out of descriptors */
#define NET_GUARD_SHED		8     /* requests closed per failed accept, the longest waiting first */
#define NET_GUARD_SHED_PAUSE_MS 5     /* the rest after closing some: their descriptors are free by then */

/* One accepted socket (the wsi's opaque user data): its address's count and its phase. */
struct net_sock {
	struct lws *wsi;
	struct net_addr *addr;
	int phase;	     /* NET_PHASE_* */
	int64_t deadline_ms; /* monotonic; HEADERS and BODY only */
	struct net_sock *prev, *next;
};

/* The sockets open from one address. */
struct net_addr {
	struct hmap_node node;
	struct ratelimit_key key;
	unsigned int count;
};

static int64_t net_guard_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int net_guard_init(struct net *n)
{
	memset(&n->trusted, 0, sizeof n->trusted);
	for (int i = 0; i < n->cfg->ntrusted_proxies; i++)
		if (xff_trust(&n->trusted, n->cfg->trusted_proxies[i]) != 0)
			return -1; /* config.c accepts addresses only, at most XFF_MAX_TRUSTED */
	return hmap_init(&n->addrs, NET_GUARD_ADDR_BUCKETS0, offsetof(struct net_addr, node),
			 offsetof(struct net_addr, key), sizeof(struct ratelimit_key));
}

/* ---- the phase lists: one per phase, each with one fixed delay, hence sorted ---- */

static void net_sock_unlink(struct net *n, struct net_sock *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		n->socks_head[s->phase] = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		n->socks_tail[s->phase] = s->prev;
	s->prev = s->next = NULL;
}

static void net_sock_append(struct net *n, struct net_sock *s, int phase)
{
	s->phase = phase;
	s->prev = n->socks_tail[phase];
	if (n->socks_tail[phase] != NULL)
		n->socks_tail[phase]->next = s;
	else
		n->socks_head[phase] = s;
	n->socks_tail[phase] = s;
}

void net_guard_free(struct net *n)
{
	struct hmap_iter it;
	struct net_addr *a;

	for (int p = 0; p < NET_PHASES; p++) {
		struct net_sock *s, *next;

		for (s = n->socks_head[p]; s != NULL; s = next) {
			next = s->next;
			free(s);
		}
		n->socks_head[p] = n->socks_tail[p] = NULL;
	}
	hmap_iter_init(&it, &n->addrs);
	while ((a = hmap_iter_next(&it)) != NULL) {
		hmap_remove(&n->addrs, a);
		free(a);
	}
	hmap_destroy(&n->addrs);
}

/* ---- the count per address ---- */

/* The address of `sa` as text ("" for any other family). */
static void net_guard_text(const struct sockaddr_storage *sa, char text[INET6_ADDRSTRLEN])
{
	text[0] = '\0';
	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, INET6_ADDRSTRLEN);
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, INET6_ADDRSTRLEN);
}

static void net_guard_key(const struct sockaddr_storage *sa, struct ratelimit_key *key)
{
	char text[INET6_ADDRSTRLEN];

	net_guard_text(sa, text);
	ratelimit_key_of(text, key);
}

/* Logs what was refused or closed since the last report, at most once a minute. */
static void net_guard_report(struct net *n, int64_t now)
{
	if (n->guard_logged_ms != 0 && now - n->guard_logged_ms < NET_GUARD_REPORT_MS)
		return;
	if (n->refused_per_addr == 0 && n->closed_headers == 0 && n->closed_body == 0 &&
	    n->closed_shed == 0 && n->xff_malformed == 0)
		return;
	log_notice("connections refused over the per-address cap (%d): %llu; closed at the header "
		   "deadline (%d s): %llu, at the body deadline (%d s): %llu, out of descriptors "
		   "(waiting longest for headers or a body): %llu; X-Forwarded-For of a trusted proxy "
		   "naming no client: %llu (since the last report)",
		   n->cfg->max_connections_per_address, (unsigned long long)n->refused_per_addr,
		   n->cfg->header_timeout_s, (unsigned long long)n->closed_headers, n->cfg->body_timeout_s,
		   (unsigned long long)n->closed_body, (unsigned long long)n->closed_shed,
		   (unsigned long long)n->xff_malformed);
	n->refused_per_addr = n->closed_headers = n->closed_body = n->closed_shed = n->xff_malformed = 0;
	n->guard_logged_ms = now;
}

int net_guard_admit(struct net *n, struct lws *listener, const struct lws_filter_network_conn_args *filt)
{
	char text[INET6_ADDRSTRLEN];
	struct ratelimit_key key;
	struct net_addr *a;

	n->listener = listener;
	net_guard_text(&filt->cli_addr, text);
	if (xff_is_trusted(&n->trusted, text))
		return 0; /* its sockets are counted under their clients once the headers are in */
	ratelimit_key_of(text, &key);
	a = hmap_find(&n->addrs, &key);
	if (a == NULL || a->count < (unsigned int)n->cfg->max_connections_per_address)
		return 0;
	n->refused_per_addr++;
	net_guard_report(n, net_guard_now_ms());
	return 1;
}

/* The count of `key`, made when absent (at 0). NULL when out of memory. */
static struct net_addr *net_guard_addr(struct net *n, const struct ratelimit_key *key)
{
	struct net_addr *a = hmap_find(&n->addrs, key);

	if (a == NULL && (a = calloc(1, sizeof *a)) != NULL) {
		a->key = *key;
		hmap_insert(&n->addrs, a);
	}
	return a;
}

/* One socket less under `a` (freed at 0). */
static void net_guard_addr_drop(struct net *n, struct net_addr *a)
{
	if (--a->count == 0) {
		hmap_remove(&n->addrs, a);
		free(a);
	}
}

int net_guard_open(struct net *n, struct lws *wsi)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof sa;
	struct ratelimit_key key;
	struct net_sock *s;
	struct net_addr *a;

	memset(&sa, 0, sizeof sa);
	if (getpeername(lws_get_socket_fd(wsi), (struct sockaddr *)&sa, &salen) != 0)
		sa.ss_family = AF_UNSPEC; /* counted under one key with every other such socket */
	net_guard_key(&sa, &key);
	if ((s = calloc(1, sizeof *s)) == NULL)
		return -1;
	if ((a = net_guard_addr(n, &key)) == NULL) {
		free(s);
		return -1;
	}
	a->count++;
	s->wsi = wsi;
	s->addr = a;
	lws_set_opaque_user_data(wsi, s);
	net_sock_append(n, s, NET_PHASE_NONE);
	net_guard_phase(n, wsi, NET_PHASE_HEADERS);
	return 0;
}

void net_guard_close(struct net *n, struct lws *wsi)
{
	struct net_sock *s = lws_get_opaque_user_data(wsi);

	if (s == NULL)
		return;
	lws_set_opaque_user_data(wsi, NULL);
	net_sock_unlink(n, s);
	net_guard_addr_drop(n, s->addr);
	free(s);
}

void net_client_address(struct net *n, struct lws *wsi, char out[NET_PEER_MAX])
{
	char peer[NET_PEER_MAX] = "", xff[1024];
	int len;

	lws_get_peer_simple(wsi, peer, sizeof peer);
	snprintf(out, NET_PEER_MAX, "%s", peer);
	if (!xff_is_trusted(&n->trusted, peer))
		return;
	len = lws_hdr_total_length(wsi, WSI_TOKEN_X_FORWARDED_FOR);
	if (len == 0)
		return;
	if (len >= (int)sizeof xff || lws_hdr_copy(wsi, xff, sizeof xff, WSI_TOKEN_X_FORWARDED_FOR) < 0) {
		n->xff_malformed++; /* too long to be the proxies' list */
		return;
	}
	_Static_assert(XFF_ADDR_MAX <= NET_PEER_MAX, "a client address fits a peer");
	if (xff_client(&n->trusted, peer, xff, strlen(xff), out) == XFF_MALFORMED)
		n->xff_malformed++;
}

int net_guard_client(struct net *n, struct lws *wsi)
{
	struct net_sock *s = lws_get_opaque_user_data(wsi);
	char peer[NET_PEER_MAX] = "", client[NET_PEER_MAX];
	struct ratelimit_key key;
	struct net_addr *a;

	if (s == NULL || n->trusted.n == 0)
		return 0;
	lws_get_peer_simple(wsi, peer, sizeof peer);
	if (!xff_is_trusted(&n->trusted, peer))
		return 0;
	net_client_address(n, wsi, client);
	ratelimit_key_of(client, &key);
	if (key.len == s->addr->key.len && memcmp(key.bytes, s->addr->key.bytes, key.len) == 0)
		return 0;
	if ((a = net_guard_addr(n, &key)) == NULL)
		return -1;
	a->count++;
	net_guard_addr_drop(n, s->addr);
	s->addr = a;
	if (strcmp(client, peer) == 0 || a->count <= (unsigned int)n->cfg->max_connections_per_address)
		return 0; /* the proxy's own requests are not capped */
	n->refused_per_addr++;
	net_guard_report(n, net_guard_now_ms());
	return -1;
}

void net_guard_phase(struct net *n, struct lws *wsi, int phase)
{
	struct net_sock *s = lws_get_opaque_user_data(wsi);
	int64_t now = net_guard_now_ms();

	if (s == NULL || s->phase == phase)
		return;
	net_sock_unlink(n, s);
	net_sock_append(n, s, phase);
	if (phase == NET_PHASE_HEADERS)
		s->deadline_ms = now + (int64_t)n->cfg->header_timeout_s * 1000;
	else if (phase == NET_PHASE_BODY)
		s->deadline_ms = now + (int64_t)n->cfg->body_timeout_s * 1000;
}

/* Closes `s` soon (lws frees it later): it leaves its phase's list, so it is closed once. */
static void net_guard_kill(struct net *n, struct net_sock *s)
{
	net_sock_unlink(n, s);
	net_sock_append(n, s, NET_PHASE_NONE); /* DESTROY frees it */
	lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Closes the sockets of `phase` whose deadline has passed; how many. */
static unsigned long long net_guard_expire(struct net *n, int phase, int64_t now)
{
	unsigned long long closed = 0;
	struct net_sock *s;

	while ((s = n->socks_head[phase]) != NULL && s->deadline_ms <= now) {
		net_guard_kill(n, s);
		closed++;
	}
	return closed;
}

void net_guard_tick(struct net *n)
{
	int64_t now = net_guard_now_ms();

	n->closed_headers += net_guard_expire(n, NET_PHASE_HEADERS, now);
	n->closed_body += net_guard_expire(n, NET_PHASE_BODY, now);
	net_guard_report(n, now);
}

/* ---- out of descriptors ---- */

/* When the socket at the head of `phase`'s list entered that phase (its deadline less the
 * phase's delay); INT64_MAX when the list is empty. */
static int64_t net_guard_head_since(const struct net *n, int phase)
{
	const struct net_sock *s = n->socks_head[phase];
	int delay_s = phase == NET_PHASE_HEADERS ? n->cfg->header_timeout_s : n->cfg->body_timeout_s;

	return s != NULL ? s->deadline_ms - (int64_t)delay_s * 1000 : INT64_MAX;
}

/*
 * Closes up to NET_GUARD_SHED of the requests that have waited longest for their headers or
 * their body (each list's head is its longest waiting), so that the descriptors they free go
 * to new clients instead of waiting for a deadline. WebSockets and answers being written
 * (NET_PHASE_NONE) are never closed here. Closed at once, so not from within lws.
 */
static void net_guard_shed(struct net *n)
{
	for (int i = 0; i < NET_GUARD_SHED; i++) {
		int64_t headers = net_guard_head_since(n, NET_PHASE_HEADERS);
		int64_t body = net_guard_head_since(n, NET_PHASE_BODY);
		struct net_sock *s;

		if (headers == INT64_MAX && body == INT64_MAX)
			return;
		s = n->socks_head[headers <= body ? NET_PHASE_HEADERS : NET_PHASE_BODY];
		net_sock_unlink(n, s);
		net_sock_append(n, s, NET_PHASE_NONE); /* closed once, even if lws closes it later */
		n->closed_shed++;
		lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC); /* DESTROY frees s */
	}
}

/* The loop's next turn after a failed accept, outside lws: the closing is done at once (lws's
 * timers would run it only at the next tick). */
static void net_guard_shed_now(int revents, void *arg)
{
	struct net *n = arg;

	(void)revents;
	n->shed_pending = 0;
	net_guard_shed(n);
}

static void net_guard_resume(lws_sorted_usec_list_t *sul)
{
	struct net *n = lws_container_of(sul, struct net, accept_sul);

	if (n->listener != NULL)
		lws_rx_flow_control(n->listener, 1);
}

/*
 * The listener failed to accept (`err`: EMFILE, ENFILE or the like), within lws: a few
 * requests waiting longest for headers or a body are closed on the loop's next turn
 * (net_guard_shed_now) and the listener is not polled until then (NET_GUARD_SHED_PAUSE_MS;
 * each closing polls it again), or, with none to close, for NET_GUARD_PAUSE_MS, so the loop
 * sleeps instead of failing accept at full speed. The first failure after a quiet minute is
 * logged; the rest are counted and reported at most once a minute.
 */
void net_guard_accept_failed(struct net *n, int err)
{
	int64_t now = net_guard_now_ms();
	int pause_ms;

	n->accept_failed++;
	if (n->accept_logged_ms == 0 || now - n->accept_logged_ms >= NET_GUARD_REPORT_MS) {
		log_warn("accept failed (%s): out of descriptors; the requests waiting longest for "
			 "headers or a body are closed, %d at a time, and the listener rests %d ms at a "
			 "time until accept succeeds (%llu failed accepts since the last report)",
			 strerror(err), NET_GUARD_SHED, NET_GUARD_PAUSE_MS,
			 (unsigned long long)n->accept_failed);
		n->accept_failed = 0;
		n->accept_logged_ms = now;
	}
	pause_ms = NET_GUARD_PAUSE_MS;
	if (n->socks_head[NET_PHASE_HEADERS] != NULL || n->socks_head[NET_PHASE_BODY] != NULL) {
		pause_ms = NET_GUARD_SHED_PAUSE_MS;
		if (!n->shed_pending) {
			n->shed_pending = 1;
			ev_once(n->loop, -1, 0, 0., net_guard_shed_now, n);
		}
	}
	if (n->listener == NULL)
		return; /* nothing accepted yet: no listener known to rest */
	/* lws polls the listener again when a socket closes: each failure rests it anew. */
	lws_rx_flow_control(n->listener, 0);
	lws_sul_schedule(n->ctx, 0, &n->accept_sul, net_guard_resume, (lws_usec_t)pause_ms * LWS_US_PER_MS);
}
