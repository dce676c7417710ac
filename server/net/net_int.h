/*
 * net_int.h - internals of the network layer. The files call downward only: net.c (context,
 * reply routing, tick, drain) calls the handlers net_ws.c (the advice.v1 WebSocket protocol),
 * net_http.c (the HTTP API) and net_oidc.c (the bank-ID endpoints); they call
 * net_http_resp.c (an HTTP transaction's response) and net_conn.c (the connection table,
 * topics, session index, keepalive lists and what else they share). Service thread only.
 */
#ifndef ADVICE_NET_INT_H
#define ADVICE_NET_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "config.h"
#include "core.h"
#include "dispatch.h"
#include "hmap.h"
#include "keepalive.h"
#include "memtrim.h"
#include "net.h"
#include "outq.h"
#include "store.h"
#include "xff.h"

struct ev_loop;

#define NET_PEER_MAX  48
#define NET_TOPIC_MAX 48

/* Where an accepted socket is (net_guard.c): no deadline (a WebSocket, a response being
 * written), reading a request's headers, or reading its body. */
enum { NET_PHASE_NONE, NET_PHASE_HEADERS, NET_PHASE_BODY, NET_PHASES };

struct net_sock;

/* One WebSocket connection, or one HTTP transaction, known by an id that is never reused.
 * Replies from the core find it by id; `wsi` is cleared when lws closes the connection. */
struct net_conn {
	uint64_t id;
	struct hmap_node by_id;	     /* in the connection table */
	struct hmap_node by_session; /* in the session index (WebSockets with a session only) */
	int in_session_index;
	struct lws *wsi;
	int is_ws;
	char peer[NET_PEER_MAX];
	int has_session;
	uint8_t session_hash[STORE_HASH_BYTES];

	/* WebSocket */
	int64_t session_expires_ms; /* 0: unknown */
	struct outq q;
	char *rx; /* message being reassembled */
	size_t rx_len, rx_cap;
	int rx_binary;		   /* the message being reassembled is binary (an attachment chunk) */
	int rx_active;		   /* a message has begun and not yet ended */
	unsigned int rx_frames;	   /* frames of that message so far */
	int64_t rx_started_ms;	   /* when its first frame came */
	unsigned int inflight;	   /* requests submitted, reply not yet seen */
	size_t answer_bytes;	   /* room kept in the queue for their answers (net_ws_update_rx) */
	unsigned int answer_large; /* of them, requests with ADVICE_MAX_REPLY_BYTES kept */
	int rx_paused;
	int close_code; /* close with this code once the queue is flushed (0: none) */
	int culled;	/* killed: ignore everything until CLOSED */
	/* closed with requests still at the core: kept (in the table only) until their replies
	 * are back, so that its session's share counts them (net_fair.c) */
	int retired;
	struct net_share *share; /* its session's share (net_fair.c); NULL: none */
	struct ka_entry ka;	 /* its ping and hang-up deadlines (net_conn_alive, keepalive.h) */
	int ping_due;		 /* write a PING at the next WRITEABLE */
	struct net_sub *subs;	 /* the topics this connection is subscribed to */
	size_t nsubs;

	/* HTTP */
	enum core_req_kind kind;
	size_t body_expected;
	char *body;
	size_t body_len;
	int waiting_core; /* submitted, reply pending */
	int body_done;	  /* the whole request body has been read */
	int discard_body; /* answered already: the rest of the body is thrown away */
	int resp_ready, resp_headers_sent, resp_close;
	int resp_status;
	char *resp_body; /* LWS_PRE headroom, then resp_len bytes */
	size_t resp_len;
	char *resp_cookie;	/* Set-Cookie value or NULL */
	char *resp_cookie2;	/* a second Set-Cookie value or NULL (bank-ID login cookie) */
	char *resp_location;	/* Location header for redirects or NULL */
	const char *resp_allow; /* Allow header value for 405 or NULL */
	int resp_retry_after;	/* Retry-After seconds of a 429, 0: none */
	const char *resp_cache; /* Cache-Control value; NULL: no-store */
	int limit_token;	/* holds a token of the staff login limit (net_limit.c) */
	int role; /* WebSocket: its session's role once welcomed (enum store_role), for /metrics */
};

/* Per-session data of advice.v1: what the handshake carried, kept from
 * FILTER_PROTOCOL_CONNECTION to ESTABLISHED, then the connection. */
struct net_ws_pss {
	struct net_conn *c;
	int checked;
	char peer[NET_PEER_MAX]; /* the client address (net_client_address) */
	uint8_t session_hash[STORE_HASH_BYTES];
	int64_t session_expires_ms;
};

/* Per-session data of the "http" protocol: the current API transaction, if any. */
struct net_http_pss {
	struct net_conn *c;
};

/* One subscription of a connection: the topic, and where the connection sits in its member
 * array (so that leaving is O(1) whatever the number of subscribers). */
struct net_sub {
	struct net_topic *t;
	size_t pos;
};

/* A topic's member: the connection and the index of the subscription in its `subs`. */
struct net_member {
	struct net_conn *c;
	size_t sub;
};

struct net_topic {
	struct hmap_node node; /* in the topic table, by name */
	char name[NET_TOPIC_MAX];
	struct net_member *members;
	size_t n, cap;
};

/* Why net_fair.c refused, for its counts in the log. */
enum net_fair_refusal {
	NET_FAIR_SHARE,
	NET_FAIR_SESSION_RATE,
	NET_FAIR_ADDRESS_RATE,
	NET_FAIR_CONNECTIONS,
	NET_FAIR_REASONS
};

struct net {
	const struct config *cfg;
	uint8_t pepper[32];
	struct store *ro;
	struct dispatch *d;
	struct lws_context *ctx;

	volatile sig_atomic_t stop_requested;
	volatile sig_atomic_t reload_requested; /* net_request_reload(): run reload_fn */
	void (*reload_fn)(void *arg);
	void *reload_arg;
	int draining, closing_all, done;
	int64_t drain_deadline_ms;

	uint64_t last_id;
	struct hmap conns; /* by id */
	size_t nws;
	struct hmap topics;   /* by name */
	struct hmap sessions; /* WebSockets by session hash, for ending a session */
	struct ev_loop *loop; /* the epoll loop lws runs on (libev, created here) */

	/* The topics with a subscriber, kept for the core (presence.h); or NULL. */
	struct presence *presence;

	/* The WebSockets' ping and hang-up deadlines (keepalive.h), on the monotonic clock. */
	struct ka_wheel ka;
	/* The earliest session end set on a WebSocket since the last look (0: none): the tick
	 * looks for ended sessions only once it has passed (net_expire_sessions). */
	int64_t expiry_due_ms;

	lws_sorted_usec_list_t sul;
	int tick_inflight; /* a CORE_REQ_TICK is with the core (one at a time) */
	struct lws_protocols protocols[3];
	struct lws_http_mount mount_api, mount_root;
	struct lws_protocol_vhost_options mimes[6];
	lws_retry_bo_t retry;

	/* bank-ID login (net_oidc.c); NULL when not configured */
	struct oidc_config *oidc;
	struct oidc_worker *oidc_worker;
	char *oidc_jwks;	      /* our public keys, served as is */
	struct ratelimit *oidc_limit; /* per client address, on /start and /callback */
	struct hmap oidc_used;	      /* login cookies whose callback went to the back channel */
	struct net_oidc_used *used_head, *used_tail; /* the same, oldest first */
	unsigned long long oidc_limited, oidc_busy;  /* 429s and 503s since the last report */
	int64_t oidc_refused_logged_ms;

	/* the per-address limit of staff logins (net_limit.c); NULL when off */
	struct ratelimit *staff_limit;
	unsigned long long staff_refused; /* refusals since the last report in the log */
	int64_t staff_refused_logged_ms;

	struct memtrim trim; /* free memory back to the system after peaks (net_tick) */

	/* net_guard.c: sockets per address, phase deadlines, rests when out of descriptors */
	struct hmap addrs; /* struct net_addr by address key */
	struct net_sock *socks_head[NET_PHASES], *socks_tail[NET_PHASES];
	struct lws *listener; /* the listening socket, known from its first accept */
	lws_sorted_usec_list_t accept_sul;
	unsigned long long refused_per_addr, closed_headers, closed_body, closed_shed, accept_failed;
	struct xff_trusted trusted;	  /* trusted_proxies: their X-Forwarded-For is believed */
	unsigned long long xff_malformed; /* such headers that named no client, since the last report */
	int64_t guard_logged_ms, accept_logged_ms;
	int shed_pending; /* a closing is due on the loop's next turn */

	/* the public front page's data (net_service.c): its per-address limit and the core's
	 * last answer, reused until service_until_ms (monotonic) */
	struct ratelimit *service_limit;
	char *service_json;
	size_t service_len;
	int64_t service_until_ms;
	unsigned long long service_refused; /* refusals since the last report in the log */
	int64_t service_refused_logged_ms;

	/* the register document (net_register.c): its bytes, made once, and its limit */
	struct ratelimit *register_limit;
	char *register_json;
	size_t register_len;
	unsigned long long register_refused;
	int64_t register_refused_logged_ms;

	/* one session's or address's part of the service (net_fair.c) */
	/* the health and metrics listener (net_metrics.c); NULL when metrics_port is 0 */
	struct lws_vhost *metrics_vhost;
	struct lws_protocols metrics_protocols[2];

	struct hmap shares;				   /* struct net_share by session hash */
	struct ratelimit *session_rate;			   /* messages per session; NULL when off */
	struct ratelimit *address_rate;			   /* messages per client address; NULL when off */
	unsigned long long fair_refused[NET_FAIR_REASONS]; /* since the last report in the log */
	int64_t fair_logged_ms;
};

/* net_conn.c */
struct net *net_from_wsi(struct lws *wsi);
/* Milliseconds of the real-time clock (session expiry, the drain's deadline). */
int64_t net_now_ms(void);
/* A new connection record with a fresh id, in the table. NULL when out of memory. */
struct net_conn *net_conn_new(struct net *n, struct lws *wsi, int is_ws);
/* The connection with this id, or NULL when it has gone. */
struct net_conn *net_conn_find(struct net *n, uint64_t id);
/* Unlinks the connection from the table, the session index, the keepalive lists and its
 * topics (an emptied topic is freed) and frees it. */
void net_conn_free(struct net *n, struct net_conn *c);
/* A WebSocket that lws closed while requests of it are at the core: unlinked from everything
 * but the table (no longer counted as open), its queues freed, kept as `retired` until
 * net_ws_reply has seen its last reply. */
void net_conn_retire(struct net *n, struct net_conn *c);
/* Whether `origin` equals one of the configured origins (case-insensitive). */
int net_origin_allowed(const struct net *n, const char *origin);
/* The cookie `name` of the request: its length (> 0), 0 when absent or empty, -1 when too
 * long. */
int net_cookie_get(struct lws *wsi, const char *name, char *out, size_t outsz);
/* Subscribes the connection to `topic` (once). 0, or -1 when the name is too long or
 * memory ran out. */
int net_conn_subscribe(struct net *n, struct net_conn *c, const char *topic);
/* The WebSocket was heard from (opened, a message or a pong): pinged after between half of
 * ping_interval_s and ping_interval_s more of silence, at its own phase (keepalive.h). O(1). */
void net_conn_alive(struct net *n, struct net_conn *c);
/* Pings the WebSockets whose ping is due and hangs up on those that have said nothing for
 * idle_timeout_s since (the one-second tick). */
void net_keepalive(struct net *n);
/* Milliseconds of the monotonic clock (keepalive deadlines). */
int64_t net_mono_ms(void);
/* Gives the WebSocket its session (hash) and indexes it by the session. */
void net_conn_set_session(struct net *n, struct net_conn *c, const uint8_t hash[STORE_HASH_BYTES]);
/* Sets when the session ends (it closes with 4001 then) on every WebSocket of the session, so
 * that activity on one connection keeps the others of the same session open. */
void net_conn_session_expires(struct net *n, const uint8_t hash[STORE_HASH_BYTES], int64_t ms);
/* Sets when the session of WebSocket `c` ends (`ms`, 0: unknown), for net_expire_sessions. */
void net_conn_set_expiry(struct net *n, struct net_conn *c, int64_t ms);
/* Hands the connection's request (`kind`, body) to the core thread with its session and
 * peer. 0 with *answer_room (NULL: not wanted) the queue bytes its answers may take
 * (core_request_answer_room), or -1 when out of memory or the queue is full (the caller
 * answers "busy"). */
int net_submit(struct net *n, struct net_conn *c, enum core_req_kind kind, const char *body, size_t len,
	       size_t *answer_room);

/* net.c */
/* Takes every finished reply from the dispatcher and routes it, oldest first. */
void net_take_replies(struct net *n);

/* net_ws.c */
int net_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
/* Queues a message for the connection; a full queue disconnects it (slow consumer). */
void net_ws_enqueue(struct net *n, struct net_conn *c, struct outq_msg *m);
void net_ws_enqueue_text(struct net *n, struct net_conn *c, const char *json, size_t len);
/* Closes the connection with `code` once its queue has been written. */
void net_ws_close_after_flush(struct net_conn *c, int code);
void net_ws_reply(struct net *n, struct net_conn *c, struct core_reply *rep);

/* net_http.c */
int net_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
void net_http_reply(struct net *n, struct net_conn *c, struct core_reply *rep);

/* net_http_resp.c */
/* Sets the response (status, JSON body) and asks for WRITEABLE. 0, or -1 when out of memory. */
int net_http_respond(struct net_conn *c, int status, const char *json, size_t len);
/* An error response of the protocol's shape; with `close`, the connection ends after it
 * (once the rest of the body is read and thrown away). 0, or -1 when out of memory. */
int net_http_error(struct net_conn *c, int status, int code, const char *message, int close);
/* 429 rate_limited with "retry_after" (and the Retry-After header): `retry_after_s` seconds
 * (>= 1) until the source may try again; the connection closes after it
 * (net_http_error_retry). 0, or -1 when out of memory. */
int net_http_rate_limited(struct net_conn *c, int retry_after_s);
/* Refuses a WebSocket upgrade on `wsi` at once (still HTTP/1.1 on the wire) with `status`
 * (400 no subprotocol advice.v1, 401 no valid session, 403 origin, 404 path, 503 busy or
 * stopping) and its http.error body, written in one go; the caller hangs up next.
 * 0, or -1 when it could not be written. */
int net_http_refuse_upgrade(struct lws *wsi, int status);
/* Answers a request on `wsi` at once, before its body is read, with `status` and an http.error
 * of `code` and `message` (a constant without quotes or backslashes), an Allow header when
 * `allow` is not NULL and Connection: close; the caller hangs up next. 0, or -1 when it could
 * not be written. */
int net_http_refuse(struct lws *wsi, int status, int code, const char *message, const char *allow);

/* An error response with "retry_after" in the body and a Retry-After header, closing the
 * connection after it (as net_http_error with `close`). 0, or -1 when out of memory. */
int net_http_error_retry(struct net_conn *c, int status, int code, const char *message, int retry_after_s);

/* net_limit.c: the per-address limit of the staff login endpoints */
/* Makes the limiter from the configuration (none when staff_login_per_minute is 0). 0 or -1. */
/* net_tls.c: the listener's TLS settings into `info` when cfg has a certificate. */
void net_tls_setup(const struct config *cfg, struct lws_context_creation_info *info);

int net_limit_init(struct net *n);
void net_limit_free(struct net *n);
/* Before a request goes to the core: a staff login takes a token of its address. 0 when the
 * request goes on; 1 when the address has none left and 429 is the answer (set here). */
int net_limit_staff_refuse(struct net *n, struct net_conn *c);
/* The core's reply to a request that took a token (NULL: the request never reached the
 * core): the token goes back unless the reply is a counted failure. */
void net_limit_staff_settle(struct net *n, struct net_conn *c, const struct core_reply *rep);

/* net_service.c: GET /api/v1/service, the public front page's data */
/* Makes its per-address limit. 0, or -1 when out of memory. */
int net_service_init(struct net *n);
void net_service_free(struct net *n);
/* Whether `path` is the front page's data. */
int net_service_path(const char *path);
/* Answers GET (or HEAD) of it: 405 for another method, 429 over the address's limit, the kept
 * answer while it is fresh, else the request goes to the core (its reply comes through
 * net_http_reply). 0, or -1 when out of memory. */
int net_service_request(struct net *n, struct net_conn *c, int method);
/* Keeps the core's reply of CORE_REQ_SERVICE (a 200 only) for the next requests. */
void net_service_keep(struct net *n, const struct core_reply *rep);

/* net_register.c: GET /api/v1/register, the register document (net_set_register in net.h) */
void net_register_free(struct net *n);
/* Whether `path` is the register document's. */
int net_register_path(const char *path);
/* Answers GET (or HEAD) of it: 405 for another method, 404 when none was set, 429 over the
 * address's limit, else the document. 0, or -1 when out of memory. */
int net_register_request(struct net *n, struct net_conn *c, int method);

/* net_guard.c: what one client may hold (see the file's comment) */
int net_guard_init(struct net *n);
/* Frees the records lws left (after lws_context_destroy). */
void net_guard_free(struct net *n);
/* FILTER_NETWORK_CONNECTION on `listener`: 0 to accept the socket, 1 when its address holds
 * max_connections_per_address already (lws closes it at once; counted in the log). */
int net_guard_admit(struct net *n, struct lws *listener, const struct lws_filter_network_conn_args *filt);
/* A socket was accepted (SERVER_NEW_CLIENT_INSTANTIATED): counted under its address, in the
 * header phase. 0, or -1 when out of memory (lws closes it). */
int net_guard_open(struct net *n, struct lws *wsi);
/* WSI_DESTROY: the socket's count and record go (nothing for a wsi net_guard_open missed). */
void net_guard_close(struct net *n, struct lws *wsi);
/* The socket enters `phase` (NET_PHASE_*): its deadline is the phase's timeout from now,
 * whatever arrives meanwhile. Entering the phase it is in changes nothing. */
void net_guard_phase(struct net *n, struct lws *wsi, int phase);
/* The one-second tick: closes the sockets past their phase's deadline. */
void net_guard_tick(struct net *n);
/*
 * The client address of the request whose headers `wsi` holds, as text, into `out`: the TCP
 * peer, or when that is one of trusted_proxies the client its X-Forwarded-For names (xff.h).
 * A header from a trusted proxy that names no client is counted in the once-a-minute line,
 * and the proxy is the client then. Every per-address limit keys on this address.
 */
void net_client_address(struct net *n, struct lws *wsi, char out[NET_PEER_MAX]);
/*
 * A request's headers are in (FILTER_HTTP_CONNECTION, CONFIRM_UPGRADE): a socket of a
 * trusted proxy is counted from now on under the client address X-Forwarded-For names
 * (net_client_address), not the proxy's. 0, or -1 when that address holds
 * max_connections_per_address sockets then (hang up; counted in the log).
 */
int net_guard_client(struct net *n, struct lws *wsi);
/* accept() failed with `err` (out of descriptors): the listener rests a moment. */
void net_guard_accept_failed(struct net *n, int err);

/* net_fair.c: a session's share of the queue and of the connections, and the message rate
 * limits per session and per address */
/* The share table and the buckets from the configuration. 0, or -1 when out of memory. */
int net_fair_init(struct net *n);
/* Frees them (after every connection is freed). */
void net_fair_free(struct net *n);
/* At an upgrade with a valid session: 1 when the session has session_max_connections
 * WebSockets open already (refuse with 429), else 0. */
int net_fair_upgrade_refused(struct net *n, const uint8_t hash[STORE_HASH_BYTES]);
/* Counts the new WebSocket (its session hash set) in its session's share. 0, or -1 when out
 * of memory. */
int net_fair_attach(struct net *n, struct net_conn *c);
/* The WebSocket closed: no longer counted as open; its requests still at the core stay
 * counted until their replies (net_fair_replied). */
void net_fair_closed(struct net *n, struct net_conn *c);
/* The connection record is freed: whatever it still counted is given up. */
void net_fair_detach(struct net *n, struct net_conn *c);
/* A request of the connection went to the core (after c->inflight++). */
void net_fair_submitted(struct net_conn *c);
/* A reply for the connection came back (after c->inflight--). */
void net_fair_replied(struct net *n, struct net_conn *c);
/* Before a WebSocket message goes to the core: 0 when it may; else the seconds (>= 1) the
 * client should wait, with *message saying which limit (the session's share of the queue,
 * the session's rate, the address's rate), and no token is kept. */
int net_fair_refuse(struct net *n, struct net_conn *c, const char **message);

/* net_metrics.c: /healthz and /metrics on a listener of their own */
/* Creates the second vhost on metrics_listen:metrics_port (nothing when the port is 0). 0, or
 * -1 when it cannot listen (logged). */
int net_metrics_start(struct net *n);

/* net_oidc.c */
struct oidc_config;
struct oidc_worker;
/* Whether `path` is one of the bank-ID login endpoints. */
int net_oidc_path(const char *path);
/* Answers (or starts) a request on a bank-ID login endpoint. 0, or -1 to hang up. */
int net_oidc_request(struct net *n, struct lws *wsi, struct net_conn *c, const char *path, int method);
/* Frees what the bank-ID endpoints hold (net_free). */
void net_oidc_free(struct net *n);
/* Takes the worker's finished back-channel checks (called when the loop wakes). */
void net_oidc_take(struct net *n);
/* Turns the core's reply to a bank-ID login into the browser's answer (303 to the app). */
void net_oidc_finish(struct net *n, struct net_conn *c, struct core_reply *rep);

#endif
