/*
 * advice_ws.c - libadvice's WebSocket connections (subprotocol advice.v1): the upgrade with
 * Origin and session cookie, the welcome event, requests matched to replies by id (advice_call
 * gives a request its type and a random id), queued events, raw frames for tests, and the
 * close code the server sent.
 *
 * Incoming messages are reassembled and queued in arrival order, each parsed once on arrival
 * for the id it answers (so that looking for a reply does not parse the unclaimed events
 * again on every turn of the loop); outgoing frames wait in a queue written one frame per
 * CLIENT_WRITEABLE, with LWS_PRE headroom. A request refused with rate_limited and a
 * retry_after is sent again, with its id, after the wait (at most ADVICE_RATE_RETRIES times).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "advice_int.h"

#define ADVICE_WS_MAX_MESSAGE (16 * 1024 * 1024)

struct advice_msg {
	struct advice_msg *next;
	char *json;
	char *reply_id; /* the "id" of an "ok" or "error" reply; NULL for anything else */
};

struct advice_frame {
	struct advice_frame *next;
	int flags;
	size_t len;
	unsigned char buf[]; /* LWS_PRE headroom, then len bytes */
};

struct advice_conn {
	enum advice_op_kind kind; /* ADVICE_OP_WS: first member */
	struct advice_client *cl;
	struct advice_conn *next; /* the client's list */
	struct lws *wsi;
	int open, ended, err, close_code, want_close;
	char *welcome;
	char origin[256];
	char *cookie;
	char *rx;
	size_t rx_len;
	struct advice_msg *in_head, *in_tail;
	struct advice_frame *out_head, *out_tail;
};

/* The error a refused upgrade means, from lws's text and the HTTP status. */
static int advice__ws_refusal(struct lws *wsi, const char *why)
{
	unsigned int status = wsi ? lws_http_client_http_response(wsi) : 0;

	if (status == 401 || (why != NULL && strstr(why, "unauthorized") != NULL))
		return -ADVICE_ERR_UNAUTHENTICATED;
	if (status == 403)
		return -ADVICE_ERR_FORBIDDEN;
	if (status == 503)
		return -ADVICE_ERR_UNAVAILABLE;
	return -ADVICE_ERR_IO;
}

static int advice__ws_headers(struct lws *wsi, struct advice_conn *k, void *in, size_t len)
{
	unsigned char **p = in, *end = *p + len;

	if (k->origin[0] != '\0' &&
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"origin:",
					(const unsigned char *)k->origin, (int)strlen(k->origin), p, end))
		return -1;
	if (k->cookie != NULL &&
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cookie:",
					(const unsigned char *)k->cookie, (int)strlen(k->cookie), p, end))
		return -1;
	return 0;
}

/* The id of `json` when it is a reply ("ok" or "error" with a string id), malloc'd; else
 * NULL (also when out of memory: the message then stays an unclaimed one). */
static char *advice__reply_id(const char *json)
{
	json_t *root = json_loads(json, 0, NULL);
	const char *id = json_string_value(json_object_get(root, "id"));
	const char *type = json_string_value(json_object_get(root, "type"));
	char *out = NULL;

	if (id != NULL && type != NULL && (strcmp(type, "ok") == 0 || strcmp(type, "error") == 0))
		out = strdup(id);
	json_decref(root);
	return out;
}

static void advice__msg_free(struct advice_msg *m)
{
	free(m->json);
	free(m->reply_id);
	free(m);
}

static void advice__ws_queue_in(struct advice_conn *k, char *json)
{
	struct advice_msg *m = malloc(sizeof(*m));

	if (m == NULL) {
		free(json);
		return;
	}
	m->next = NULL;
	m->json = json;
	m->reply_id = advice__reply_id(json);
	if (k->in_tail != NULL)
		k->in_tail->next = m;
	else
		k->in_head = m;
	k->in_tail = m;
}

/* CLIENT_RECEIVE: reassembles; a whole message joins the queue. 0, or -1 to close. */
static int advice__ws_receive(struct lws *wsi, struct advice_conn *k, const void *in, size_t len)
{
	char *n;

	if (k->rx_len + len > ADVICE_WS_MAX_MESSAGE)
		return -1;
	n = realloc(k->rx, k->rx_len + len + 1);
	if (n == NULL)
		return -1;
	k->rx = n;
	memcpy(k->rx + k->rx_len, in, len);
	k->rx_len += len;
	k->rx[k->rx_len] = '\0';
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0)
		return 0;
	advice__ws_queue_in(k, k->rx);
	k->rx = NULL;
	k->rx_len = 0;
	return 0;
}

/* CLIENT_WRITEABLE: one frame. 0, or -1 to close. */
static int advice__ws_writeable(struct lws *wsi, struct advice_conn *k)
{
	struct advice_frame *f = k->out_head;
	enum lws_write_protocol wp;
	int w;

	if (f == NULL) {
		if (k->want_close) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		return 0;
	}
	k->out_head = f->next;
	if (k->out_head == NULL)
		k->out_tail = NULL;
	wp = (enum lws_write_protocol)lws_write_ws_flags(
		(f->flags & ADVICE_FRAME_BINARY) ? LWS_WRITE_BINARY : LWS_WRITE_TEXT,
		!(f->flags & ADVICE_FRAME_CONTINUATION), !(f->flags & ADVICE_FRAME_NO_FIN));
	w = lws_write(wsi, f->buf + LWS_PRE, f->len, wp);
	free(f);
	if (w < 0)
		return -1;
	if (k->out_head != NULL || k->want_close)
		lws_callback_on_writable(wsi);
	return 0;
}

static void advice__ws_ended(struct advice_conn *k)
{
	k->open = 0;
	k->ended = 1;
	k->wsi = NULL;
	if (k->close_code == 0)
		k->close_code = LWS_CLOSE_STATUS_ABNORMAL_CLOSE;
}

int advice__ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *in, size_t len)
{
	struct advice_conn *k = lws_get_opaque_user_data(wsi);
	const unsigned char *b = in;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: return advice__ws_headers(wsi, k, in, len);
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		k->wsi = wsi;
		k->open = 1;
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		k->err = advice__ws_refusal(wsi, in);
		advice__ws_ended(k);
		k->close_code = 0;
		lws_set_opaque_user_data(wsi, NULL);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE: return advice__ws_receive(wsi, k, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE: return advice__ws_writeable(wsi, k);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2)
			k->close_code = (b[0] << 8) | b[1];
		else
			k->close_code = LWS_CLOSE_STATUS_NO_STATUS;
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		advice__ws_ended(k);
		lws_set_opaque_user_data(wsi, NULL);
		return 0;
	default: return 0;
	}
}

/* The welcome, or the error that stands in its place. 0 or a negative advice_err. */
static int advice__ws_take_welcome(struct advice_conn *k)
{
	struct advice_msg *m = k->in_head;
	json_t *root;
	const char *type, *event;
	int rc = -ADVICE_ERR_PROTOCOL;

	k->in_head = m->next;
	if (k->in_head == NULL)
		k->in_tail = NULL;
	root = json_loads(m->json, 0, NULL);
	type = json_string_value(json_object_get(root, "type"));
	event = json_string_value(json_object_get(root, "event"));
	if (type != NULL && strcmp(type, "event") == 0 && event != NULL && strcmp(event, "welcome") == 0) {
		k->welcome = m->json;
		m->json = NULL;
		rc = 0;
	} else if (type != NULL && strcmp(type, "error") == 0) {
		rc = advice__error_code(m->json);
	}
	json_decref(root);
	advice__msg_free(m);
	return rc;
}

static void advice__ws_unlink(struct advice_conn *k)
{
	struct advice_conn **pp;

	if (k->cl == NULL)
		return;
	for (pp = &k->cl->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	}
}

/* Forgets the wsi: later callbacks for it find nothing. */
static void advice__ws_detach(struct advice_conn *k)
{
	if (k->wsi != NULL) {
		lws_set_opaque_user_data(k->wsi, NULL);
		k->wsi = NULL;
	}
	k->open = 0;
	k->ended = 1;
}

void advice__ws_detach_all(struct advice_client *c)
{
	struct advice_conn *k;

	while ((k = c->conns) != NULL) {
		c->conns = k->next;
		advice__ws_detach(k);
		k->cl = NULL;
	}
}

ADVICE_API int advice_client_set_source(struct advice_client *c, const char *address)
{
	if (c == NULL || (address != NULL && strlen(address) >= sizeof(c->source)))
		return -ADVICE_ERR_INVAL;
	snprintf(c->source, sizeof(c->source), "%s", address != NULL ? address : "");
	return 0;
}

ADVICE_API struct advice_conn *advice_connect(struct advice_client *c, const char *base_url,
					      const char *origin, const char *session, int timeout_ms,
					      int *err)
{
	struct lws_client_connect_info i;
	struct advice_conn *k;
	struct advice_url u;
	char path[ADVICE_PATH_MAX + 8];
	int64_t deadline = advice__now_ms() + timeout_ms;
	int rc = 0, dummy;

	if (err == NULL)
		err = &dummy;
	if (c == NULL || advice__url_parse(base_url, &u) != 0 || (u.tls && !c->tls) ||
	    (origin != NULL && strlen(origin) >= sizeof(k->origin))) {
		*err = -ADVICE_ERR_INVAL;
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		*err = -ADVICE_ERR_NOMEM;
		return NULL;
	}
	c->error_message[0] = '\0'; /* a TLS refusal of this call's connection comes here */
	k->kind = ADVICE_OP_WS;
	k->cl = c;
	if (origin != NULL)
		snprintf(k->origin, sizeof(k->origin), "%s", origin);
	if (session != NULL && asprintf(&k->cookie, "%s=%s", ADVICE_SESSION_COOKIE, session) < 0) {
		k->cookie = NULL;
		free(k);
		*err = -ADVICE_ERR_NOMEM;
		return NULL;
	}
	k->next = c->conns;
	c->conns = k;
	snprintf(path, sizeof(path), "%s%s", u.prefix, ADVICE_WS_PATH);

	memset(&i, 0, sizeof(i));
	i.context = c->ctx;
	i.address = u.host;
	i.port = u.port;
	i.ssl_connection = u.tls ? LCCSCF_USE_SSL : 0;
	i.path = path;
	i.host = u.hosthdr;
	i.protocol = ADVICE_SUBPROTOCOL;
	i.opaque_user_data = k;
	i.iface = c->source[0] != '\0' ? c->source : NULL;
	k->wsi = lws_client_connect_via_info(&i);
	if (k->wsi == NULL && !k->ended) {
		rc = -ADVICE_ERR_IO;
		goto fail;
	}
	while (!k->ended && k->in_head == NULL && advice__now_ms() < deadline)
		if (advice__pump(c, deadline) != 0)
			break;
	if (k->in_head != NULL) {
		rc = advice__ws_take_welcome(k);
		if (rc == 0) {
			*err = 0;
			return k;
		}
	} else if (k->ended) {
		rc = k->err ? k->err : -ADVICE_ERR_IO;
	} else {
		rc = -ADVICE_ERR_TIMEOUT;
	}
fail:
	advice_conn_free(k);
	*err = rc;
	return NULL;
}

ADVICE_API const char *advice_conn_welcome(struct advice_conn *k)
{
	return k ? k->welcome : NULL;
}

/* Queues one frame for writing. 0 or a negative advice_err. */
static int advice__ws_queue_out(struct advice_conn *k, const void *data, size_t len, int flags)
{
	struct advice_frame *f;

	if (k == NULL || (data == NULL && len > 0))
		return -ADVICE_ERR_INVAL;
	if (!k->open || k->wsi == NULL)
		return -ADVICE_ERR_IO;
	f = malloc(sizeof(*f) + LWS_PRE + len + 1);
	if (f == NULL)
		return -ADVICE_ERR_NOMEM;
	f->next = NULL;
	f->flags = flags;
	f->len = len;
	if (len > 0)
		memcpy(f->buf + LWS_PRE, data, len);
	if (k->out_tail != NULL)
		k->out_tail->next = f;
	else
		k->out_head = f;
	k->out_tail = f;
	lws_callback_on_writable(k->wsi);
	return 0;
}

ADVICE_API int advice_send(struct advice_conn *k, const char *json_text)
{
	if (json_text == NULL)
		return -ADVICE_ERR_INVAL;
	return advice__ws_queue_out(k, json_text, strlen(json_text), ADVICE_FRAME_TEXT);
}

ADVICE_API int advice_send_raw(struct advice_conn *k, const void *data, size_t len, int flags)
{
	return advice__ws_queue_out(k, data, len, flags);
}

/* Removes and returns the first queued reply whose "id" is `id`, or NULL. */
static char *advice__ws_take_reply(struct advice_conn *k, const char *id)
{
	struct advice_msg **pp, *m, *prev = NULL;

	for (pp = &k->in_head; (m = *pp) != NULL; prev = m, pp = &m->next) {
		char *json;

		if (m->reply_id == NULL || strcmp(m->reply_id, id) != 0)
			continue;
		*pp = m->next;
		if (k->in_tail == m)
			k->in_tail = prev;
		json = m->json;
		m->json = NULL;
		advice__msg_free(m);
		return json;
	}
	return NULL;
}

/* Pumps until the reply to `id` is queued, the connection ends or `deadline` passes: the
 * reply (malloc'd), or NULL. */
static char *advice__ws_wait_reply(struct advice_conn *k, const char *id, int64_t deadline)
{
	char *reply;

	for (;;) {
		reply = advice__ws_take_reply(k, id);
		if (reply != NULL || k->ended || advice__now_ms() >= deadline)
			return reply;
		if (advice__pump(k->cl, deadline) != 0)
			return NULL;
	}
}

/* When `reply` is rate_limited with a retry_after that ends before `deadline`: pumps (other
 * messages are queued meanwhile) until the wait is over and returns 1 if the connection is
 * still open, so the request is sent again. Else 0: the reply is the answer. */
static int advice__ws_retry_wait(struct advice_conn *k, const char *reply, int64_t deadline)
{
	char message[8];
	int retry_after = 0;
	int64_t until;

	if (advice__error_code(reply) != -ADVICE_ERR_RATE_LIMITED)
		return 0;
	advice__error_details(reply, message, sizeof message, &retry_after);
	until = advice__now_ms() + (int64_t)retry_after * 1000;
	if (retry_after <= 0 || until >= deadline)
		return 0;
	while (!k->ended && advice__now_ms() < until)
		if (advice__pump(k->cl, until) != 0)
			return 0;
	return !k->ended;
}

ADVICE_API int advice_request(struct advice_conn *k, const char *json_request, char **reply_out,
			      int timeout_ms)
{
	int64_t deadline = advice__now_ms() + timeout_ms;
	json_t *root;
	char id[ADVICE_MAX_REQUEST_ID * 4 + 1];
	const char *rid;
	char *reply = NULL;
	int rc;

	if (reply_out != NULL)
		*reply_out = NULL;
	if (k == NULL || json_request == NULL)
		return -ADVICE_ERR_INVAL;
	root = json_loads(json_request, 0, NULL);
	rid = json_string_value(json_object_get(root, "id"));
	if (rid == NULL || strlen(rid) >= sizeof(id)) {
		json_decref(root);
		return -ADVICE_ERR_INVAL;
	}
	snprintf(id, sizeof(id), "%s", rid);
	json_decref(root);
	for (int attempt = 0;; attempt++) {
		rc = advice_send(k, json_request);
		if (rc != 0)
			return rc;
		reply = advice__ws_wait_reply(k, id, deadline);
		if (reply == NULL)
			return k->ended ? -ADVICE_ERR_IO : -ADVICE_ERR_TIMEOUT;
		if (attempt == ADVICE_RATE_RETRIES || !advice__ws_retry_wait(k, reply, deadline))
			break;
		free(reply);
	}
	rc = advice__error_code(reply);
	if (rc == -ADVICE_ERR_PROTOCOL) {
		json_t *r = json_loads(reply, 0, NULL);
		const char *type = json_string_value(json_object_get(r, "type"));

		if (type != NULL && strcmp(type, "ok") == 0)
			rc = 0;
		json_decref(r);
	}
	if (reply_out != NULL)
		*reply_out = reply;
	else
		free(reply);
	return rc;
}

/* The request text of advice_call (malloc'd): `fields_json` with type and a new random id,
 * or NULL with *rc -ADVICE_ERR_INVAL (not such an object) or -ADVICE_ERR_NOMEM. */
static char *advice__call_text(const char *type, const char *fields_json, int *rc)
{
	uint8_t rnd[12];
	char id[sizeof(rnd) * 2 + 1];
	json_t *o = json_loads(fields_json ? fields_json : "{}", JSON_REJECT_DUPLICATES, NULL);
	char *text = NULL;

	*rc = -ADVICE_ERR_INVAL;
	if (json_is_object(o) && type != NULL && type[0] != '\0' && json_object_get(o, "type") == NULL &&
	    json_object_get(o, "id") == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(id, sizeof(id), rnd, sizeof(rnd));
		*rc = -ADVICE_ERR_NOMEM;
		if (json_object_set_new(o, "type", json_string(type)) == 0 &&
		    json_object_set_new(o, "id", json_string(id)) == 0)
			text = json_dumps(o, JSON_COMPACT);
	}
	json_decref(o);
	return text;
}

ADVICE_API int advice_call(struct advice_conn *k, const char *type, const char *fields_json, char **reply_out,
			   int timeout_ms)
{
	char *text;
	int rc;

	if (reply_out != NULL)
		*reply_out = NULL;
	if (k == NULL)
		return -ADVICE_ERR_INVAL;
	if ((text = advice__call_text(type, fields_json, &rc)) == NULL)
		return rc;
	rc = advice_request(k, text, reply_out, timeout_ms);
	free(text);
	return rc;
}

ADVICE_API int advice_next_message(struct advice_conn *k, char **json_out, int timeout_ms)
{
	int64_t deadline = advice__now_ms() + timeout_ms;
	struct advice_msg *m;

	if (k == NULL || json_out == NULL)
		return -ADVICE_ERR_INVAL;
	while (k->in_head == NULL && !k->ended && advice__now_ms() < deadline)
		if (advice__pump(k->cl, deadline) != 0)
			break;
	m = k->in_head;
	if (m == NULL)
		return k->ended ? -ADVICE_ERR_IO : -ADVICE_ERR_TIMEOUT;
	k->in_head = m->next;
	if (k->in_head == NULL)
		k->in_tail = NULL;
	*json_out = m->json;
	m->json = NULL;
	advice__msg_free(m);
	return 0;
}

ADVICE_API int advice_conn_is_open(struct advice_conn *k)
{
	return k != NULL && k->open && !k->ended;
}

ADVICE_API int advice_conn_close_code(struct advice_conn *k)
{
	if (k == NULL || !k->ended)
		return 0;
	return k->close_code;
}

ADVICE_API int advice_wait_closed(struct advice_conn *k, int timeout_ms)
{
	int64_t deadline = advice__now_ms() + timeout_ms;

	if (k == NULL)
		return -ADVICE_ERR_INVAL;
	while (!k->ended && k->cl != NULL && advice__now_ms() < deadline)
		if (advice__pump(k->cl, deadline) != 0)
			break;
	return k->ended ? 0 : -ADVICE_ERR_TIMEOUT;
}

ADVICE_API void advice_conn_free(struct advice_conn *k)
{
	struct advice_frame *f;
	struct advice_msg *m;

	if (k == NULL)
		return;
	if (k->wsi != NULL && k->open && k->cl != NULL) {
		/* Ask lws to close with 1000 from the next WRITEABLE, give it a moment. */
		int64_t deadline = advice__now_ms() + 200;

		k->want_close = 1;
		lws_callback_on_writable(k->wsi);
		while (!k->ended && advice__now_ms() < deadline)
			if (advice__pump(k->cl, deadline) != 0)
				break;
		if (!k->ended && k->wsi != NULL)
			lws_set_timeout(k->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
	advice__ws_detach(k);
	advice__ws_unlink(k);
	while ((f = k->out_head) != NULL) {
		k->out_head = f->next;
		free(f);
	}
	while ((m = k->in_head) != NULL) {
		k->in_head = m->next;
		advice__msg_free(m);
	}
	if (k->cookie != NULL) {
		sodium_memzero(k->cookie, strlen(k->cookie));
		free(k->cookie);
	}
	free(k->welcome);
	free(k->rx);
	free(k);
}
