/*
 * net_conn.c - what the network layer's handlers (net_ws.c, net_http.c, net_oidc.c) share,
 * below them and below net.c: the clocks, the connection table (id -> connection), topic
 * subscriptions, the session index, the keepalive lists, the origin allowlist, the cookie
 * reader and the submission of a connection's request to the core. It calls no handler.
 * Service thread only.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "log.h"
#include "metrics.h"
#include "net_int.h"
#include "presence.h"

int64_t net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t net_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct net *net_from_wsi(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* ---- connection table ---- */

/*
 * A new connection record with a fresh id, inserted into the table. Returns NULL when out
 * of memory.
 */
struct net_conn *net_conn_new(struct net *n, struct lws *wsi, int is_ws)
{
	struct net_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->id = ++n->last_id;
	c->wsi = wsi;
	c->is_ws = is_ws;
	if (wsi != NULL)
		lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
	if (is_ws) {
		outq_init(&c->q, (size_t)n->cfg->outq_max_messages, (size_t)n->cfg->outq_max_bytes);
		n->nws++;
		metrics_websocket_opened();
	}
	hmap_insert(&n->conns, c);
	return c;
}

struct net_conn *net_conn_find(struct net *n, uint64_t id)
{
	return hmap_find(&n->conns, &id);
}

/* ---- topics ---- */

/* The topic named `name`, created (empty) when absent. NULL when out of memory. */
static struct net_topic *net_topic_get(struct net *n, const char *name)
{
	struct net_topic *t = hmap_find(&n->topics, name);

	if (t != NULL)
		return t;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	strcpy(t->name, name);
	hmap_insert(&n->topics, t);
	if (n->presence != NULL)
		presence_add(n->presence, name); /* a failure makes every topic present */
	return t;
}

/* Unlinks an empty topic from the table and frees it. */
static void net_topic_drop(struct net *n, struct net_topic *t)
{
	hmap_remove(&n->topics, t);
	if (n->presence != NULL)
		presence_remove(n->presence, t->name);
	free(t->members);
	free(t);
}

void net_set_presence(struct net *n, struct presence *p)
{
	n->presence = p;
}

/*
 * Subscribes the connection to `topic` (once). Returns 0, or -1 when the name is too long
 * or memory ran out (the connection is then not subscribed; an empty topic is dropped).
 */
int net_conn_subscribe(struct net *n, struct net_conn *c, const char *topic)
{
	struct net_topic *t;
	struct net_sub *nsubs;

	if (strlen(topic) >= NET_TOPIC_MAX)
		return -1;
	for (size_t i = 0; i < c->nsubs; i++)
		if (strcmp(c->subs[i].t->name, topic) == 0)
			return 0;
	if ((t = net_topic_get(n, topic)) == NULL)
		return -1;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 4;
		struct net_member *nm = realloc(t->members, ncap * sizeof(*nm));

		if (nm == NULL)
			goto fail;
		t->members = nm;
		t->cap = ncap;
	}
	nsubs = realloc(c->subs, (c->nsubs + 1) * sizeof(*nsubs));
	if (nsubs == NULL)
		goto fail;
	c->subs = nsubs;
	c->subs[c->nsubs].t = t;
	c->subs[c->nsubs].pos = t->n;
	t->members[t->n].c = c;
	t->members[t->n].sub = c->nsubs;
	t->n++;
	c->nsubs++;
	return 0;
fail:
	if (t->n == 0)
		net_topic_drop(n, t);
	return -1;
}

/* Removes the connection's subscription `i` from its topic in O(1): the topic's last member
 * takes its place. Frees the topic when no subscriber is left. */
static void net_topic_leave(struct net *n, struct net_conn *c, size_t i)
{
	struct net_topic *t = c->subs[i].t;
	size_t pos = c->subs[i].pos;
	struct net_member last = t->members[--t->n];

	if (pos != t->n) {
		t->members[pos] = last;
		last.c->subs[last.sub].pos = pos;
	}
	if (t->n == 0)
		net_topic_drop(n, t);
}

/* ---- keepalive ----
 *
 * lws 4.1.6 can ping and hang up by itself (retry_and_idle_policy), but it keeps each
 * connection's timer in one sorted linked list and re-inserts it, walking the list, on every
 * pong: O(n) per event, most of the server's time with tens of thousands of idle sockets.
 * keepalive.c does it in O(1) on a timing wheel, with each connection's pings at a phase of
 * its own so that connections opened in a burst are not pinged in one.
 */

void net_conn_alive(struct net *n, struct net_conn *c)
{
	if (c->wsi == NULL || c->culled)
		return;
	if (c->ka.head == NULL)
		ka_start(&n->ka, &c->ka, c->id, net_mono_ms());
	else
		ka_alive(&n->ka, &c->ka, net_mono_ms());
}

/*
 * Pings the WebSocket: at once when nothing of it waits to be written (no queued message, no
 * close pending, nothing lws keeps of an earlier send), as one whole control frame that lws
 * keeps if the socket does not take it; else at its next WRITEABLE, before its messages.
 * Written at once, a ping costs one send instead of asking for WRITEABLE and back (two
 * epoll_ctl calls and a turn of the loop).
 */
static void net_ping(struct net_conn *c)
{
	/* One byte of payload: lws 4.1.6 clients do not answer an empty ping. */
	unsigned char ping[LWS_PRE + 1] = { 0 };

	if (c->ping_due || outq_count(&c->q) > 0 || c->close_code != 0 || lws_partial_buffered(c->wsi)) {
		c->ping_due = 1;
		lws_callback_on_writable(c->wsi);
		return;
	}
	if (lws_write(c->wsi, ping + LWS_PRE, 1, LWS_WRITE_PING) < 1) {
		log_notice("conn %llu peer %s: ping failed", (unsigned long long)c->id, c->peer);
		c->culled = 1;
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
}

void net_keepalive(struct net *n)
{
	int64_t now = net_mono_ms();
	enum ka_action action;
	struct ka_entry *e;

	while ((e = ka_next_due(&n->ka, now, &action)) != NULL) {
		struct net_conn *c = lws_container_of(e, struct net_conn, ka);

		if (c->wsi == NULL || c->culled) {
			ka_stop(&n->ka, e);
			continue;
		}
		if (action == KA_HANG_UP) {
			log_notice("conn %llu peer %s: no answer for %d s, hanging up",
				   (unsigned long long)c->id, c->peer, n->cfg->idle_timeout_s);
			c->culled = 1;
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
			continue;
		}
		net_ping(c);
	}
}

/* ---- session index (WebSockets by session, to end a session without a scan) ---- */

void net_conn_set_session(struct net *n, struct net_conn *c, const uint8_t hash[STORE_HASH_BYTES])
{
	if (c->in_session_index && memcmp(c->session_hash, hash, STORE_HASH_BYTES) != 0) {
		hmap_remove(&n->sessions, c); /* indexed under its old hash: move it */
		c->in_session_index = 0;
	}
	c->has_session = 1;
	memcpy(c->session_hash, hash, STORE_HASH_BYTES);
	if (c->in_session_index)
		return;
	hmap_insert(&n->sessions, c);
	c->in_session_index = 1;
}

void net_conn_set_expiry(struct net *n, struct net_conn *c, int64_t ms)
{
	c->session_expires_ms = ms;
	if (ms != 0 && (n->expiry_due_ms == 0 || ms < n->expiry_due_ms))
		n->expiry_due_ms = ms;
}

void net_conn_session_expires(struct net *n, const uint8_t hash[STORE_HASH_BYTES], int64_t ms)
{
	for (struct net_conn *c = hmap_find(&n->sessions, hash); c != NULL;
	     c = hmap_find_next(&n->sessions, c))
		if (c->is_ws)
			net_conn_set_expiry(n, c, ms);
}

static void net_session_unindex(struct net *n, struct net_conn *c)
{
	if (!c->in_session_index)
		return;
	hmap_remove(&n->sessions, c);
	c->in_session_index = 0;
}

/* Unlinks the connection from the session index, the keepalive lists and its topics, and
 * stops counting it as an open WebSocket. */
static void net_conn_unlink(struct net *n, struct net_conn *c)
{
	net_session_unindex(n, c);
	ka_stop(&n->ka, &c->ka);
	for (size_t i = 0; i < c->nsubs; i++)
		net_topic_leave(n, c, i);
	free(c->subs);
	c->subs = NULL;
	c->nsubs = 0;
	if (c->is_ws && !c->retired) {
		assert(n->nws > 0);
		n->nws--;
	}
}

void net_conn_retire(struct net *n, struct net_conn *c)
{
	assert(c->is_ws && c->wsi == NULL && !c->retired);
	net_conn_unlink(n, c);
	net_fair_closed(n, c);
	c->retired = 1;
	outq_clear(&c->q);
	free(c->rx);
	c->rx = NULL;
	c->rx_len = c->rx_cap = 0;
}

void net_conn_free(struct net *n, struct net_conn *c)
{
	if (c == NULL)
		return;
	hmap_remove(&n->conns, c); /* net_conn_new put every connection in the table */
	net_conn_unlink(n, c);
	net_fair_detach(n, c);
	outq_clear(&c->q);
	free(c->rx);
	free(c->body);
	free(c->resp_body);
	free(c->resp_cookie);
	free(c->resp_cookie2);
	free(c->resp_location);
	free(c);
}

/* ---- origins ---- */

/* Whether `origin` equals one of the configured origins (case-insensitive: scheme and host). */
int net_origin_allowed(const struct net *n, const char *origin)
{
	for (int i = 0; i < n->cfg->norigins; i++)
		if (n->cfg->origins[i][0] != '\0' && strcasecmp(n->cfg->origins[i], origin) == 0)
			return 1;
	return 0;
}

/* ---- cookies ---- */

/*
 * Copies the value of cookie `name` from the request into out[0..outsz) (NUL-terminated).
 * Returns the value's length (> 0), 0 when absent or empty, or -1 when the header or the
 * value is too long (a refusal, never an empty value). lws_http_cookie_get() is not used:
 * lws 4.1.6 hexdumps the cookie header at notice level, which would log session tokens.
 */
int net_cookie_get(struct lws *wsi, const char *name, char *out, size_t outsz)
{
	char hdr[2048];
	size_t nlen = strlen(name);
	const char *p;
	int len;

	out[0] = '\0';
	len = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE);
	if (len <= 0)
		return 0;
	if ((size_t)len >= sizeof(hdr) || lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_COOKIE) < 0)
		return -1;
	for (p = hdr; *p != '\0';) {
		size_t vlen;

		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			vlen = strcspn(p, ";");
			while (vlen > 0 && p[vlen - 1] == ' ')
				vlen--;
			if (vlen >= outsz) {
				sodium_memzero(hdr, sizeof(hdr));
				return -1;
			}
			memcpy(out, p, vlen);
			out[vlen] = '\0';
			sodium_memzero(hdr, sizeof(hdr));
			return (int)vlen;
		}
		p += strcspn(p, ";");
	}
	sodium_memzero(hdr, sizeof(hdr));
	return 0;
}

/* ---- requests to the core ---- */

int net_submit(struct net *n, struct net_conn *c, enum core_req_kind kind, const char *body, size_t len,
	       size_t *answer_room)
{
	struct core_request *req;
	size_t room;

	if (n->d == NULL || (req = core_request_new(kind, c->id, body, len)) == NULL)
		return -1;
	req->has_session = c->has_session;
	memcpy(req->session_hash, c->session_hash, STORE_HASH_BYTES);
	snprintf(req->peer, sizeof(req->peer), "%s", c->peer);
	if (dispatch_submit_room(n->d, req, &room) != 0) {
		free(req);
		return -1;
	}
	if (answer_room != NULL)
		*answer_room = room;
	return 0;
}
