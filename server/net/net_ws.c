/*
 * net_ws.c - the advice.v1 WebSocket protocol of adviced: the checks at upgrade (origin,
 * path, session cookie), reassembly of messages under the size cap, submission to the core,
 * the per-connection outbound queue and its writing, and closing.
 *
 * lws rules kept here: headers are read only during the handshake; in SERVER_WRITEABLE, a
 * write only while lws_send_pipe_choked() says the last one went out whole (a ping may also
 * go at once from the keepalive tick, net_conn.c); every queued message has LWS_PRE bytes of
 * headroom; a connection is referred to by our id outside its own callbacks, and its wsi is
 * forgotten at CLOSED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "net_int.h"
#include "reqerr.h"

#define NET_BUSY_JSON	    "{\"type\":\"error\",\"id\":null,\"code\":\"unavailable\",\"message\":\"server busy\"}"
#define NET_BUSY_RETRY_S    1	  /* retry_after of a message the full queue refused */
#define NET_CLOSE_TRY_AGAIN 1013  /* RFC 6455 registry: try again later */
#define NET_RX_KEEP	    16384 /* reassembly buffers larger than this are freed after use */
#define NET_WRITE_BURST	    64	  /* sends in one WRITEABLE at most */
#define NET_GATHER_BYTES    16384 /* frames gathered into one send at most (lws sends 16 KiB at once) */

static const char *net_close_text(int code)
{
	switch (code) {
	case ADVICE_CLOSE_SESSION_ENDED: return "session ended";
	case ADVICE_CLOSE_SLOW_CONSUMER: return "slow consumer";
	case LWS_CLOSE_STATUS_GOINGAWAY: return "server shutting down";
	case LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE: return "message too large";
	case LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE: return "binary frames not accepted";
	case LWS_CLOSE_STATUS_POLICY_VIOLATION: return "message too fragmented or too slow";
	default: return "closing";
	}
}

static void net_ws_set_close_reason(struct lws *wsi, int code)
{
	const char *text = net_close_text(code);

	lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)text, strlen(text));
}

/*
 * The upgrade checks. Returns 0 when the upgrade may proceed (pss filled), else the HTTP
 * status to refuse with; *why names the reason for the log (never a secret).
 */
static int net_ws_check_upgrade(struct net *n, struct lws *wsi, struct net_ws_pss *pss, const char **why)
{
	char buf[512], token[128];
	struct store_session s;
	int len;

	if (n->draining) {
		*why = "shutting down";
		return 503;
	}
	if (n->nws >= (size_t)n->cfg->max_connections) {
		*why = "too many connections";
		return 503;
	}
	len = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_GET_URI);
	if (len <= 0 || strcmp(buf, ADVICE_WS_PATH) != 0) {
		*why = "wrong path";
		return 404;
	}
	len = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_ORIGIN);
	if (len <= 0) {
		*why = len < 0 ? "origin too long" : "no origin";
		return 403;
	}
	if (!net_origin_allowed(n, buf)) {
		*why = "origin not allowed";
		return 403;
	}
	/* Absent and too long both fail here: a too-long cookie is a refusal, not empty. */
	len = net_cookie_get(wsi, ADVICE_SESSION_COOKIE, token, sizeof(token));
	if (len <= 0) {
		*why = len < 0 ? "session cookie too long" : "no session cookie";
		return 401;
	}
	core_session_hash(n->pepper, token, (size_t)len, pss->session_hash);
	sodium_memzero(token, sizeof(token));
	if (n->ro == NULL || n->ro->ops->session->get(n->ro, pss->session_hash, &s) != STORE_OK) {
		*why = "unknown session";
		return 401;
	}
	if (!core_session_valid(&s, net_now_ms())) {
		*why = "session not valid";
		return 401;
	}
	if (net_fair_upgrade_refused(n, pss->session_hash)) {
		*why = "the session has the most WebSockets it may have";
		return 429;
	}
	pss->session_expires_ms = s.expires;
	pss->checked = 1;
	return 0;
}

/* FILTER_PROTOCOL_CONNECTION: refuse with an HTTP status, or let the upgrade go on. */
static int net_ws_filter(struct net *n, struct lws *wsi, struct net_ws_pss *pss)
{
	const char *why = "";
	int status;

	net_client_address(n, wsi, pss->peer);
	status = net_ws_check_upgrade(n, wsi, pss, &why);
	if (status == 0)
		return 0;
	log_notice("upgrade refused (%d, %s) peer %s", status, why, pss->peer);
	/* The connection is still HTTP on the wire: answer with the status, then hang up. */
	net_http_refuse_upgrade(wsi, status);
	return -1;
}

static void net_ws_established(struct net *n, struct lws *wsi, struct net_ws_pss *pss)
{
	struct net_conn *c;

	if (!pss->checked) {
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	c = net_conn_new(n, wsi, 1);
	if (c == NULL) {
		log_err("out of memory for a connection");
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	pss->c = c;
	if (pss->peer[0] != '\0')
		snprintf(c->peer, sizeof c->peer, "%s", pss->peer);
	net_conn_set_session(n, c, pss->session_hash);
	if (net_fair_attach(n, c) != 0) {
		log_err("out of memory for a connection");
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	net_conn_alive(n, c);
	net_conn_set_expiry(n, c, pss->session_expires_ms);
	log_info("conn %llu open peer %s", (unsigned long long)c->id, c->peer);

	if (net_submit(n, c, CORE_REQ_CONNECT, "", 0, NULL) != 0) {
		log_notice("conn %llu: core busy at connect", (unsigned long long)c->id);
		net_ws_enqueue_text(n, c, NET_BUSY_JSON, strlen(NET_BUSY_JSON));
		net_ws_close_after_flush(c, NET_CLOSE_TRY_AGAIN);
		return;
	}
	c->inflight++;
	net_fair_submitted(c);
}

void net_ws_close_after_flush(struct net_conn *c, int code)
{
	if (c->wsi == NULL || c->culled)
		return;
	if (c->close_code == 0)
		c->close_code = code;
	lws_callback_on_writable(c->wsi);
}

/* Drops the queue and kills the connection at once (it cannot take what we send). */
static void net_ws_cull(struct net_conn *c, int code, const char *what)
{
	log_notice("conn %llu peer %s: %s (%zu queued, %zu bytes), disconnecting", (unsigned long long)c->id,
		   c->peer, what, outq_count(&c->q), outq_bytes(&c->q));
	outq_clear(&c->q);
	c->culled = 1;
	net_ws_set_close_reason(c->wsi, code);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_LAGGING, LWS_TO_KILL_ASYNC);
}

/*
 * Pauses reading from the client while it has max_inflight requests at the core, or its
 * outbound queue is half full, counting as queued already the room kept for the answers to
 * the requests at the core (its own requests must not fill its queue: they wait in TCP
 * instead), and resumes when both are below. The room kept for a request is what its
 * answers may take (core_request_answer_room): ADVICE_MAX_REPLY_BYTES for one whose reply
 * may be large (thread.read, file.get, the lists), else its own size plus CORE_ANSWER_ROOM
 * (a message.send's message.new carries the body back). A request is read only while the
 * queue and the room kept are below half the queue's bytes, and adds at most
 * ADVICE_MAX_REPLY_BYTES, which is at most half of them (config.c): so a client that
 * pipelines any requests and reads its socket is paused before their answers could
 * overflow the queue, never disconnected.
 */
static void net_ws_update_rx(struct net *n, struct net_conn *c)
{
	int pause;

	if (c->wsi == NULL || c->culled)
		return;
	pause = c->inflight >= (unsigned int)n->cfg->max_inflight || outq_count(&c->q) * 2 >= c->q.max_msgs ||
		(outq_bytes(&c->q) + c->answer_bytes) * 2 >= c->q.max_bytes;
	if (pause == c->rx_paused)
		return;
	c->rx_paused = pause;
	lws_rx_flow_control(c->wsi, !pause);
}

void net_ws_enqueue(struct net *n, struct net_conn *c, struct outq_msg *m)
{
	int rc;

	if (c->wsi == NULL || c->culled || c->close_code != 0)
		return;
	rc = outq_push(&c->q, m);
	if (rc == -1) {
		net_ws_cull(c, ADVICE_CLOSE_SLOW_CONSUMER, "outbound queue full");
		return;
	}
	if (rc < 0) {
		net_ws_cull(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
		return;
	}
	net_ws_update_rx(n, c);
	lws_callback_on_writable(c->wsi);
}

void net_ws_enqueue_text(struct net *n, struct net_conn *c, const char *json, size_t len)
{
	struct outq_msg *m = outq_msg_new(json, len, LWS_PRE);

	if (m == NULL) {
		if (c->wsi != NULL && !c->culled)
			net_ws_cull(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
		return;
	}
	net_ws_enqueue(n, c, m);
	outq_msg_unref(m);
}

/*
 * A reply came: one request less at the core, and the room kept for it is given back. Which
 * request it answers is not known here, so the room given back errs on the side of keeping
 * too much: a small request's share (their room divided evenly) while small ones are left,
 * the large bound only after them.
 */
static void net_ws_answered(struct net_conn *c)
{
	unsigned int small;

	if (c->inflight == 0)
		return;
	small = c->inflight - c->answer_large;
	if (small > 0) {
		c->answer_bytes -=
			(c->answer_bytes - (size_t)c->answer_large * ADVICE_MAX_REPLY_BYTES) / small;
	} else {
		c->answer_large--;
		c->answer_bytes -= ADVICE_MAX_REPLY_BYTES;
	}
	if (--c->inflight == 0) {
		c->answer_bytes = 0;
		c->answer_large = 0;
	}
}

/* One reply of the core for this connection (CONNECT or MESSAGE). */
void net_ws_reply(struct net *n, struct net_conn *c, struct core_reply *rep)
{
	net_ws_answered(c);
	net_fair_replied(n, c);
	if (c->retired) { /* closed: it waited only for this count */
		if (c->inflight == 0)
			net_conn_free(n, c);
		return;
	}
	net_ws_update_rx(n, c);
	if (rep->session_expires_ms != 0 && c->in_session_index)
		net_conn_session_expires(n, c->session_hash, rep->session_expires_ms);
	else if (rep->session_expires_ms != 0)
		net_conn_set_expiry(n, c, rep->session_expires_ms);
	if (rep->kind == CORE_REQ_CONNECT) {
		c->role = rep->role;
		for (size_t i = 0; i < rep->ntopics; i++)
			if (net_conn_subscribe(n, c, rep->topics[i]) != 0)
				log_err("conn %llu: cannot subscribe", (unsigned long long)c->id);
	}
	if (rep->json != NULL)
		net_ws_enqueue_text(n, c, rep->json, rep->len);
	if (rep->close_conn)
		net_ws_close_after_flush(c, ADVICE_CLOSE_SESSION_ENDED);
}

/* Answers the whole message in c->rx without the core: an error with its id, or the
 * file.chunk event of a binary message (reqerr.h); retry_after when `retry_after_s` > 0. */
static void net_ws_refuse(struct net *n, struct net_conn *c, int code, const char *message, int retry_after_s)
{
	char json[512];
	int len = reqerr_answer(json, sizeof(json), c->rx, c->rx_len, c->rx_binary, code, message,
				retry_after_s);

	if (len > 0)
		net_ws_enqueue_text(n, c, json, (size_t)len);
}

/*
 * A whole message: to the core; or refused at once, never queued, with 429 rate_limited
 * when its session or address is over a limit (net_fair.c), "unavailable" when the server
 * stops or the queue is full.
 */
static void net_ws_submit(struct net *n, struct net_conn *c)
{
	const char *why = "";
	size_t room = 0;
	int wait_s;

	if (n->draining || n->d == NULL) {
		net_ws_refuse(n, c, ADVICE_ERR_UNAVAILABLE, "server shutting down", 0);
		return;
	}
	if ((wait_s = net_fair_refuse(n, c, &why)) != 0) {
		net_ws_refuse(n, c, ADVICE_ERR_RATE_LIMITED, why, wait_s);
		return;
	}
	if (net_submit(n, c, c->rx_binary ? CORE_REQ_CHUNK : CORE_REQ_MESSAGE, c->rx, c->rx_len, &room) !=
	    0) {
		net_ws_refuse(n, c, ADVICE_ERR_UNAVAILABLE, "server busy", NET_BUSY_RETRY_S);
		return;
	}
	c->inflight++;
	if (room >= ADVICE_MAX_REPLY_BYTES) {
		room = ADVICE_MAX_REPLY_BYTES;
		c->answer_large++;
	}
	c->answer_bytes += room;
	net_fair_submitted(c);
	net_ws_update_rx(n, c);
}

/* Appends to the reassembly buffer, growing it up to the cap. 0, or -1 when out of memory. */
static int net_ws_rx_append(struct net_conn *c, const void *in, size_t len, size_t cap)
{
	if (c->rx_len + len + 1 > c->rx_cap) {
		size_t ncap = c->rx_cap ? c->rx_cap : 1024;
		char *nrx;

		while (ncap < c->rx_len + len + 1)
			ncap *= 2;
		if (ncap > cap + 1)
			ncap = cap + 1;
		nrx = realloc(c->rx, ncap);
		if (nrx == NULL)
			return -1;
		c->rx = nrx;
		c->rx_cap = ncap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	c->rx[c->rx_len] = '\0';
	return 0;
}

/*
 * Counts the frames of the message being received (an empty frame counts too) and holds it
 * to max_fragments frames and message_time_s seconds from its first frame: beyond either the
 * connection closes with 1008. 0, or -1 to close (the close reason is set).
 */
static int net_ws_rx_limits(struct net *n, struct lws *wsi, struct net_conn *c)
{
	int64_t now = net_now_ms();
	const char *over = NULL;

	if (!c->rx_active) {
		c->rx_active = 1;
		c->rx_frames = 0;
		c->rx_started_ms = now;
	}
	if (lws_remaining_packet_payload(wsi) == 0) /* this call ends a frame */
		c->rx_frames++;
	if (c->rx_frames > (unsigned int)n->cfg->max_fragments)
		over = "too many frames";
	else if (now - c->rx_started_ms > n->cfg->message_time_s * 1000LL)
		over = "too slow";
	if (over == NULL)
		return 0;
	log_notice("conn %llu peer %s: a message %s, closing", (unsigned long long)c->id, c->peer, over);
	net_ws_set_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION);
	return -1;
}

/* RECEIVE: returns 0, or -1 to close (the close reason is set). */
static int net_ws_receive(struct net *n, struct lws *wsi, struct net_conn *c, const void *in, size_t len)
{
	size_t cap = (size_t)n->cfg->max_message_bytes;

	if (c == NULL || c->culled)
		return -1;
	net_conn_alive(n, c);
	/* Binary messages are attachment chunks (PROTOCOL.md §12.4), with their own size cap. */
	if (!c->rx_active)
		c->rx_binary = lws_frame_is_binary(wsi);
	if (net_ws_rx_limits(n, wsi, c) != 0)
		return -1;
	if (c->rx_binary)
		cap = ADVICE_MAX_CHUNK_MESSAGE;
	if (len > cap - c->rx_len) {
		log_notice("conn %llu peer %s: message over %zu bytes, closing", (unsigned long long)c->id,
			   c->peer, cap);
		net_ws_set_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
		return -1;
	}
	if (net_ws_rx_append(c, in, len, cap) != 0) {
		net_ws_set_close_reason(wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION);
		return -1;
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0)
		return 0;
	net_ws_submit(n, c);
	c->rx_len = 0;
	c->rx_active = 0;
	if (c->rx_cap > NET_RX_KEEP) {
		free(c->rx);
		c->rx = NULL;
		c->rx_cap = 0;
	}
	return 0;
}

/*
 * Frames for one send: the WebSocket header of each queued message and its payload, one
 * after the other, so that the replies and events that came together go out in one system
 * call, not one each. No WebSocket extension is offered (the context has none), so a frame
 * is its header and the payload as it is. Service thread only; lws copies whatever a send
 * leaves unsent.
 */
static unsigned char net_ws_gather_buf[LWS_PRE + NET_GATHER_BYTES];

/* The header of an unmasked, final text frame of `len` payload bytes (RFC 6455 §5.2) into
 * h[0..10); returns its length. */
static size_t net_ws_frame_header(unsigned char *h, size_t len)
{
	h[0] = 0x80 | 0x1; /* FIN, text */
	if (len < 126) {
		h[1] = (unsigned char)len;
		return 2;
	}
	if (len < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		return 4;
	}
	h[1] = 127;
	for (int i = 0; i < 8; i++)
		h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	return 10;
}

/* Whether the oldest two queued messages fit in one gathered send. */
static int net_ws_gather_worth(const struct outq *q)
{
	struct outq_msg *a = outq_peek_at(q, 0), *b = outq_peek_at(q, 1);

	return a != NULL && b != NULL && a->len + b->len + 20 <= NET_GATHER_BYTES;
}

/*
 * Writes the oldest queued messages that fit in NET_GATHER_BYTES as frames of one send and
 * takes them off the queue. Returns how many, or -1 when the write failed.
 */
static int net_ws_write_gathered(struct lws *wsi, struct net_conn *c)
{
	unsigned char *p = net_ws_gather_buf + LWS_PRE;
	struct outq_msg *m;
	size_t used = 0;
	int frames = 0;

	while ((m = outq_peek(&c->q)) != NULL && used + 10 + m->len <= NET_GATHER_BYTES) {
		used += net_ws_frame_header(p + used, m->len);
		memcpy(p + used, outq_msg_payload(m), m->len);
		used += m->len;
		outq_pop(&c->q);
		frames++;
	}
	if (lws_write(wsi, p, used, LWS_WRITE_RAW) < (int)used)
		return -1;
	return frames;
}

/* Writes the oldest queued message, or several gathered in one send. The number of
 * messages written, or -1 when the write failed. */
static int net_ws_write_next(struct lws *wsi, struct net_conn *c)
{
	struct outq_msg *m;

	if (net_ws_gather_worth(&c->q))
		return net_ws_write_gathered(wsi, c);
	m = outq_peek(&c->q);
	if (lws_write(wsi, outq_msg_payload(m), m->len, LWS_WRITE_TEXT) < (int)m->len)
		return -1;
	outq_pop(&c->q);
	return 1;
}

/*
 * SERVER_WRITEABLE: a due ping, then the queued messages, for as long as the socket takes
 * them (lws_send_pipe_choked: nothing of a write left unsent, the socket writable), at most
 * NET_WRITE_BURST sends; close once the queue is empty if asked to. lws keeps what a send
 * left unsent and writes it first: after that, nothing more is written until the next
 * WRITEABLE.
 */
static int net_ws_writeable(struct net *n, struct lws *wsi, struct net_conn *c)
{
	int sends = 0;

	if (c == NULL || c->culled)
		return c == NULL ? 0 : -1;
	if (c->ping_due) {
		/* One byte of payload: lws 4.1.6 clients do not answer an empty ping. */
		unsigned char ping[LWS_PRE + 1] = { 0 };

		c->ping_due = 0;
		if (lws_write(wsi, ping + LWS_PRE, 1, LWS_WRITE_PING) < 1)
			return -1;
		sends++;
	}
	if (outq_count(&c->q) == 0 && c->close_code != 0 && sends == 0) {
		log_info("conn %llu peer %s: closing with %d", (unsigned long long)c->id, c->peer,
			 c->close_code);
		net_ws_set_close_reason(wsi, c->close_code);
		return -1;
	}
	while (outq_count(&c->q) > 0) {
		if (sends > 0 && (sends >= NET_WRITE_BURST || lws_send_pipe_choked(wsi)))
			break;
		if (net_ws_write_next(wsi, c) < 0) {
			log_notice("conn %llu peer %s: write failed", (unsigned long long)c->id, c->peer);
			return -1;
		}
		sends++;
	}
	if (c->rx_paused)
		net_ws_update_rx(n, c);
	if (outq_count(&c->q) > 0 || c->close_code != 0)
		lws_callback_on_writable(wsi);
	return 0;
}

static void net_ws_closed(struct net *n, struct net_ws_pss *pss)
{
	struct net_conn *c = pss->c;

	if (c == NULL)
		return;
	log_info("conn %llu peer %s closed", (unsigned long long)c->id, c->peer);
	c->wsi = NULL;
	pss->c = NULL;
	if (c->inflight > 0)
		net_conn_retire(n, c); /* its session's share counts its requests until their replies */
	else
		net_conn_free(n, c);
}

int net_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct net_ws_pss *pss = user;
	struct net *n = net_from_wsi(wsi);

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: return net_ws_filter(n, wsi, pss);
	case LWS_CALLBACK_ESTABLISHED: net_ws_established(n, wsi, pss); return 0;
	case LWS_CALLBACK_RECEIVE: return net_ws_receive(n, wsi, pss->c, in, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		if (pss->c != NULL)
			net_conn_alive(n, pss->c);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE: return net_ws_writeable(n, wsi, pss->c);
	case LWS_CALLBACK_CLOSED: net_ws_closed(n, pss); return 0;
	default: return 0;
	}
}
