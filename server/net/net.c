/*
 * net.c - the lws context of adviced: creation from the configuration, routing of the core's
 * replies and pushes, the one-second housekeeping timer (keepalive, session expiry, the
 * core's tick) and the drain on shutdown. lws runs on an epoll event loop (libev) that this
 * file creates, runs and ends.
 *
 * The WebSocket protocol is in net_ws.c, the HTTP API in net_http.c and net_oidc.c; what
 * they share (connection table, topics, sessions, keepalive lists) is in net_conn.c, below
 * them. net.c calls them and they never call it. All of this runs on the lws service
 * thread; only net_wake(), net_request_stop() and net_request_reload() are called elsewhere.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <ev.h>
#include <sodium.h>

#include "log.h"
#include "net_int.h"

#define NET_TICK_US	     (1000 * LWS_US_PER_MS)
#define NET_DRAIN_TICK_US    (50 * LWS_US_PER_MS)
#define NET_CONN_BUCKETS0    256
#define NET_TOPIC_BUCKETS0   1024
#define NET_SESSION_BUCKETS0 256

/* ---- replies from the core ---- */

/* Marks every WebSocket of the session to close with 4001 after its queue is written
 * (found through the session index: no scan of all connections). */
static void net_end_session(struct net *n, const uint8_t hash[STORE_HASH_BYTES])
{
	for (struct net_conn *c = hmap_find(&n->sessions, hash); c != NULL;
	     c = hmap_find_next(&n->sessions, c)) {
		if (!c->is_ws || c->wsi == NULL)
			continue;
		log_info("conn %llu: session ended", (unsigned long long)c->id);
		net_ws_close_after_flush(c, ADVICE_CLOSE_SESSION_ENDED);
	}
}

/* Sends one push to every subscriber of its topic, sharing one buffer. */
static void net_push(struct net *n, const struct core_push *p)
{
	struct net_topic *t = hmap_find(&n->topics, p->topic);
	struct outq_msg *m;

	if (t == NULL || t->n == 0 || p->json == NULL)
		return;
	m = outq_msg_new(p->json, p->len, LWS_PRE);
	if (m == NULL) {
		log_err("out of memory for a push to %s", p->topic);
		return;
	}
	/* net_ws_enqueue never unlinks a connection from a topic (that waits for CLOSED). */
	for (size_t i = 0; i < t->n; i++)
		if (p->except_conn == 0 || t->members[i].c->id != p->except_conn)
			net_ws_enqueue(n, t->members[i].c, m);
	outq_msg_unref(m);
}

static int net_kind_is_http(enum core_req_kind kind)
{
	return kind == CORE_REQ_LOGIN_CITIZEN || kind == CORE_REQ_LOGIN_START ||
	       kind == CORE_REQ_LOGIN_WORKER || kind == CORE_REQ_LOGOUT || kind == CORE_REQ_LOGIN_BANK ||
	       kind == CORE_REQ_LOGIN_ENROL || kind == CORE_REQ_SERVICE ||
	       kind == CORE_REQ_LOGIN_CONNECTOR_START || kind == CORE_REQ_LOGIN_CONNECTOR;
}

static void net_route_reply(struct net *n, struct core_reply *rep)
{
	struct net_conn *c = net_conn_find(n, rep->conn_id);

	if (rep->kind == CORE_REQ_TICK)
		n->tick_inflight = 0;

	if (net_kind_is_http(rep->kind)) {
		if (c != NULL && !c->is_ws)
			net_http_reply(n, c, rep);
	} else if (c != NULL && c->is_ws) {
		net_ws_reply(n, c, rep);
	}
	if (rep->end_session)
		net_end_session(n, rep->session_hash);
	for (size_t i = 0; i < rep->nended; i++)
		net_end_session(n, rep->ended[i]);
	for (size_t i = 0; i < rep->npush; i++)
		net_push(n, &rep->pushes[i]);
}

static void net_drain_begin(struct net *n);

/* Takes every finished reply from the dispatcher and routes it, oldest first. */
void net_take_replies(struct net *n)
{
	struct core_reply *rep, *next;

	net_oidc_take(n);
	if (n->d != NULL) {
		for (rep = dispatch_take(n->d); rep != NULL; rep = next) {
			next = rep->next;
			rep->next = NULL;
			net_route_reply(n, rep);
			core_reply_free(rep);
		}
	}
	if (n->stop_requested && !n->draining)
		net_drain_begin(n);
	if (n->reload_requested && !n->draining) {
		n->reload_requested = 0;
		if (n->reload_fn != NULL)
			n->reload_fn(n->reload_arg);
	}
}

/* ---- housekeeping and shutdown ---- */

/* Closes WebSockets whose session has passed its end. */
static void net_expire_sessions(struct net *n, int64_t now)
{
	struct hmap_iter it;
	struct net_conn *c;

	if (n->expiry_due_ms == 0 || n->expiry_due_ms > now)
		return; /* no session set on a WebSocket has ended since the last look */
	n->expiry_due_ms = 0;
	hmap_iter_init(&it, &n->conns);
	while ((c = hmap_iter_next(&it)) != NULL) {
		if (!c->is_ws || c->wsi == NULL || c->close_code != 0 || c->culled ||
		    c->session_expires_ms == 0)
			continue;
		if (c->session_expires_ms > now) {
			net_conn_set_expiry(n, c, c->session_expires_ms); /* the next one due */
			continue;
		}
		log_info("conn %llu peer %s: session expired", (unsigned long long)c->id, c->peer);
		net_ws_close_after_flush(c, ADVICE_CLOSE_SESSION_ENDED);
	}
}

/* Whether every reply has been routed and every queue written. */
static int net_flushed(struct net *n)
{
	struct hmap_iter it;
	struct net_conn *c;

	if (n->d != NULL && dispatch_pending(n->d) > 0)
		return 0;
	hmap_iter_init(&it, &n->conns);
	while ((c = hmap_iter_next(&it)) != NULL) {
		if (c->wsi == NULL || c->culled)
			continue;
		if (c->is_ws && outq_count(&c->q) > 0)
			return 0;
		if (!c->is_ws && (c->waiting_core || c->resp_ready))
			return 0;
	}
	return 1;
}

static void net_close_all(struct net *n)
{
	struct hmap_iter it;
	struct net_conn *c;

	n->closing_all = 1;
	hmap_iter_init(&it, &n->conns);
	while ((c = hmap_iter_next(&it)) != NULL)
		if (c->is_ws && c->wsi != NULL && !c->culled)
			net_ws_close_after_flush(c, LWS_CLOSE_STATUS_GOINGAWAY);
}

static void net_tick(lws_sorted_usec_list_t *sul);

/* The core's periodic work (deadline warnings and escalations): one tick at a time, on the
 * one-second timer; its events are routed like any reply's. */
static void net_submit_tick(struct net *n)
{
	struct core_request *req;

	if (n->d == NULL || n->tick_inflight || (req = core_request_new(CORE_REQ_TICK, 0, "", 0)) == NULL)
		return;
	if (dispatch_submit(n->d, req) != 0) {
		free(req);
		return;
	}
	n->tick_inflight = 1;
}

static void net_drain_begin(struct net *n)
{
	n->draining = 1;
	n->drain_deadline_ms = net_now_ms() + (int64_t)n->cfg->shutdown_grace_s * 1000;
	log_notice("stopping: draining %zu connections (at most %d s)", n->conns.count,
		   n->cfg->shutdown_grace_s);
	/* From now on the tick runs every 50 ms and drives the drain. */
	lws_sul_schedule(n->ctx, 0, &n->sul, net_tick, 1);
}

static void net_tick(lws_sorted_usec_list_t *sul)
{
	struct net *n = lws_container_of(sul, struct net, sul);
	int64_t now = net_now_ms();

	if (n->stop_requested && !n->draining)
		net_drain_begin(n);
	if (!n->draining) {
		net_keepalive(n);
		net_guard_tick(n);
		net_expire_sessions(n, now);
		net_submit_tick(n);
		/* Idle: the core holds nothing of ours (the tick just submitted aside). */
		memtrim_tick(&n->trim, n->d != NULL && dispatch_pending(n->d) <= (size_t)n->tick_inflight,
			     now);
		lws_sul_schedule(n->ctx, 0, &n->sul, net_tick, NET_TICK_US);
		return;
	}
	net_take_replies(n);
	if (!n->closing_all && (net_flushed(n) || now >= n->drain_deadline_ms))
		net_close_all(n);
	if (n->closing_all && (n->nws == 0 || now >= n->drain_deadline_ms + 1000)) {
		n->done = 1;
		ev_break(n->loop, EVBREAK_ALL);
		return;
	}
	lws_sul_schedule(n->ctx, 0, &n->sul, net_tick, NET_DRAIN_TICK_US);
}

/* ---- lws logging ---- */

/* The net whose listener lws's accept failures are about (lws's log callback is global). */
static struct net *net_log_owner;

/* lws logs a failed accept ("accept: errno 24") and leaves its listener polled: the failure
 * goes to net_guard.c, which rests the listener, instead of to the log. 1 when it was one. */
static int net_lws_accept_failure(int level, const char *line)
{
	static const char prefix[] = "accept: errno ";

	if (!(level & LLL_ERR) || strncmp(line, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	if (net_log_owner != NULL)
		net_guard_accept_failed(net_log_owner, atoi(line + sizeof(prefix) - 1));
	return 1;
}

static void net_lws_log(int level, const char *line)
{
	char buf[512];
	size_t len;
	enum log_level l;

	if (net_lws_accept_failure(level, line))
		return;
	len = strlen(line);
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (level & LLL_ERR)
		l = LOG_ERR;
	else if (level & LLL_WARN)
		l = LOG_WARN;
	else if (level & LLL_NOTICE)
		l = LOG_NOTICE;
	else if (level & LLL_INFO)
		l = LOG_INFO;
	else
		l = LOG_DEBUG;
	log_msg(l, "lws", "%s", buf);
}

/* lws's errors and warnings; its notices only at debug level: the libev plugin of lws 4.1.6
 * logs every watcher change at notice level (a line per socket event). */
static void net_set_lws_logging(void)
{
	int levels = LLL_ERR | LLL_WARN;

	if (log_get_level() >= LOG_DEBUG)
		levels |= LLL_NOTICE | LLL_INFO;
	lws_set_log_level(levels, net_lws_log);
}

/* ---- context ---- */

static void net_setup_mounts(struct net *n)
{
	static const char *const mimes[][2] = {
		{ ".mjs", "text/javascript" },
		{ ".map", "application/json" },
		{ ".webmanifest", "application/manifest+json" },
		{ ".wasm", "application/wasm" },
		{ ".svg", "image/svg+xml" },
		{ ".woff2", "font/woff2" },
	};
	size_t nm = sizeof(mimes) / sizeof(mimes[0]);

	for (size_t i = 0; i < nm; i++) {
		n->mimes[i].next = i + 1 < nm ? &n->mimes[i + 1] : NULL;
		n->mimes[i].name = mimes[i][0];
		n->mimes[i].value = mimes[i][1];
	}
	/* /api is ours (LWS_CALLBACK_HTTP on the "http" protocol); the rest is static files. */
	n->mount_api.mount_next = &n->mount_root;
	n->mount_api.mountpoint = "/api";
	n->mount_api.mountpoint_len = 4;
	n->mount_api.origin = "http";
	n->mount_api.origin_protocol = LWSMPRO_CALLBACK;

	n->mount_root.mountpoint = "/";
	n->mount_root.mountpoint_len = 1;
	n->mount_root.origin = n->cfg->web_root;
	n->mount_root.def = "index.html";
	n->mount_root.origin_protocol = LWSMPRO_FILE;
	n->mount_root.extra_mimetypes = n->mimes;
	/* Bound to our "http" protocol so that lws asks net_http.c for the files' headers. */
	n->mount_root.protocol = "http";
}

/*
 * The advice.v1 protocol's callback. A wake-up of the loop (net_wake() from the core thread,
 * net_request_stop()) takes the core's replies here, so that net_ws.c never calls up into
 * this file; every other reason is net_ws.c's.
 */
static int net_ws_protocol(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			   size_t len)
{
	if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
		net_take_replies(net_from_wsi(wsi));
		return 0;
	}
	return net_ws_callback(wsi, reason, user, in, len);
}

static void net_setup_protocols(struct net *n)
{
	n->protocols[0].name = "http";
	n->protocols[0].callback = net_http_callback;
	n->protocols[0].per_session_data_size = sizeof(struct net_http_pss);
	n->protocols[0].rx_buffer_size = 0;

	n->protocols[1].name = ADVICE_SUBPROTOCOL;
	n->protocols[1].callback = net_ws_protocol;
	n->protocols[1].per_session_data_size = sizeof(struct net_ws_pss);
	n->protocols[1].rx_buffer_size = 16384;
	/* protocols[2] stays zeroed: the terminator. */
}

/* Descriptors lws may use: the configured connections plus room for HTTP and the store,
 * never more than the process limit. */
static unsigned int net_fd_limit(const struct config *cfg)
{
	struct rlimit rl;
	unsigned long want = (unsigned long)cfg->max_connections + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    want > (unsigned long)rl.rlim_cur)
		want = (unsigned long)rl.rlim_cur;
	return (unsigned int)want;
}

/*
 * The event loop lws runs on: libev on epoll, created here ("foreign" to lws) so that
 * net_run() runs it and net_tick() ends it. lws's default poll() loop scans every descriptor
 * on every wakeup, so its cost per event grows with the number of connections; epoll's does
 * not. No signal watchers: SIGTERM and SIGINT stay with main.c's handler. NULL on failure.
 */
static struct ev_loop *net_loop_new(void)
{
	struct ev_loop *loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_NOSIGMASK);

	if (loop == NULL)
		log_err("cannot create the event loop (libev with epoll)");
	return loop;
}

struct net *net_new(const struct config *cfg, const uint8_t pepper[32], struct store *ro_store)
{
	struct lws_context_creation_info info;
	void *loops[1];
	struct net *n;

	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		log_err("out of memory");
		return NULL;
	}
	n->cfg = cfg;
	memcpy(n->pepper, pepper, sizeof(n->pepper));
	n->ro = ro_store;
	if (hmap_init(&n->conns, NET_CONN_BUCKETS0, offsetof(struct net_conn, by_id),
		      offsetof(struct net_conn, id), sizeof(uint64_t)) != 0 ||
	    hmap_init(&n->topics, NET_TOPIC_BUCKETS0, offsetof(struct net_topic, node),
		      offsetof(struct net_topic, name), HMAP_STRING) != 0 ||
	    hmap_init(&n->sessions, NET_SESSION_BUCKETS0, offsetof(struct net_conn, by_session),
		      offsetof(struct net_conn, session_hash), STORE_HASH_BYTES) != 0) {
		log_err("out of memory");
		goto fail;
	}
	if (net_guard_init(n) != 0 ||
	    ka_init(&n->ka, cfg->ping_interval_s, cfg->idle_timeout_s, net_mono_ms()) != 0) {
		log_err("out of memory");
		goto fail;
	}
	if ((n->loop = net_loop_new()) == NULL || net_limit_init(n) != 0 || net_fair_init(n) != 0 ||
	    net_service_init(n) != 0)
		goto fail;
	loops[0] = n->loop;
	net_set_lws_logging();
	net_setup_mounts(n);
	net_setup_protocols(n);
	/* No pings or idle hang-ups by lws (see net_conn.c): net_keepalive() does them. */
	n->retry.secs_since_valid_ping = 0;
	n->retry.secs_since_valid_hangup = 0;

	memset(&info, 0, sizeof(info));
	info.port = cfg->port;
	info.iface = cfg->listen[0] ? cfg->listen : NULL;
	info.protocols = n->protocols;
	info.mounts = &n->mount_api;
	info.vhost_name = "adviced";
	info.user = n;
	info.uid = -1;
	info.gid = -1;
	/* Not lws's security headers (its CSP has no 'wasm-unsafe-eval'): net_http.c adds ours. */
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_LIBEV;
	/* lws loads its libev support as a plugin (libwebsockets-evlib_ev.so) and joins our loop. */
	info.foreign_loops = loops;
	info.retry_and_idle_policy = &n->retry;
	info.timeout_secs = (unsigned int)cfg->handshake_timeout_s;
	info.fd_limit_per_thread = net_fd_limit(cfg);
	info.max_http_header_data = 4096;
	info.pt_serv_buf_size = 16384;
	net_tls_setup(cfg, &info);
	n->ctx = lws_create_context(&info);
	if (n->ctx == NULL) {
		log_err("cannot create the listener on %s port %d (or load lws's libev plugin)",
			cfg->listen[0] ? cfg->listen : "*", cfg->port);
		goto fail;
	}
	net_log_owner = n;
	log_notice("listening on %s port %d%s", cfg->listen[0] ? cfg->listen : "*", cfg->port,
		   cfg->tls_cert[0] ? " (TLS)" : "");
	if (net_metrics_start(n) != 0) {
		net_free(n);
		return NULL;
	}
	return n;
fail:
	if (n->loop != NULL)
		ev_loop_destroy(n->loop);
	hmap_destroy(&n->conns);
	hmap_destroy(&n->topics);
	hmap_destroy(&n->sessions);
	ka_free(&n->ka);
	net_limit_free(n);
	net_guard_free(n);
	net_fair_free(n);
	net_service_free(n);
	net_register_free(n);
	free(n);
	return NULL;
}

void net_wake(void *arg)
{
	struct net *n = arg;

	lws_cancel_service(n->ctx);
}

void net_request_stop(struct net *n)
{
	n->stop_requested = 1;
	lws_cancel_service(n->ctx);
}

void net_request_reload(struct net *n)
{
	n->reload_requested = 1;
	lws_cancel_service(n->ctx);
}

void net_set_reload(struct net *n, void (*fn)(void *arg), void *arg)
{
	n->reload_fn = fn;
	n->reload_arg = arg;
}

int net_run(struct net *n, struct dispatch *d)
{
	int rc = 0;

	n->d = d;
	memtrim_init(&n->trim, (int64_t)n->cfg->memory_trim_mb * 1024, n->cfg->memory_trim_s * 1000LL,
		     memtrim_rss_kb(), net_now_ms());
	lws_sul_schedule(n->ctx, 0, &n->sul, net_tick, NET_TICK_US);
	/* Runs until net_tick() ends the drain with ev_break(); returning earlier means the loop
	 * had nothing left to watch. */
	ev_run(n->loop, 0);
	if (!n->done) {
		log_err("service loop ended unexpectedly");
		rc = -1;
	}
	lws_sul_schedule(n->ctx, 0, &n->sul, NULL, LWS_SET_TIMER_USEC_CANCEL);
	lws_sul_schedule(n->ctx, 0, &n->accept_sul, NULL, LWS_SET_TIMER_USEC_CANCEL);
	/* Replies still untaken are freed by dispatch_stop(). */
	n->d = NULL;
	log_notice("stopped");
	return rc;
}

void net_free(struct net *n)
{
	struct hmap_iter it;
	struct net_conn *c;
	struct net_topic *t;

	if (n == NULL)
		return;
	if (n->ctx != NULL)
		lws_context_destroy(n->ctx);
	if (net_log_owner == n)
		net_log_owner = NULL;
	net_guard_free(n);
	/* Whatever lws did not close (HTTP transactions) is freed here. */
	hmap_iter_init(&it, &n->conns);
	while ((c = hmap_iter_next(&it)) != NULL)
		net_conn_free(n, c); /* removes c, and any topic it leaves empty */
	hmap_iter_init(&it, &n->topics);
	while ((t = hmap_iter_next(&it)) != NULL) {
		free(t->members);
		free(t);
	}
	if (n->loop != NULL)
		ev_loop_destroy(n->loop); /* after lws has stopped its watchers */
	hmap_destroy(&n->conns);
	hmap_destroy(&n->topics);
	hmap_destroy(&n->sessions);
	ka_free(&n->ka);
	net_oidc_free(n);
	net_limit_free(n);
	net_fair_free(n);
	net_service_free(n);
	net_register_free(n);
	sodium_memzero(n->pepper, sizeof(n->pepper));
	free(n);
}
