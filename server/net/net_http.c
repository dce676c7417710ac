/*
 * net_http.c - the HTTP API of adviced (mounted at /api, protocol "http"): logins and
 * logout go to the core as requests, health is answered here, the front page's data in
 * net_service.c. Static files under / are
 * served by lws itself from the web root. This callback also refuses, with an http.error,
 * WebSocket upgrades that do not offer the subprotocol advice.v1, API requests whose
 * Content-Type is not JSON, requests with Transfer-Encoding (lws reads no chunked body, so its
 * bytes would be taken for the next request) and bodies sent to the static files, before any
 * body is read. It tells net_guard.c which phase each socket is in.
 *
 * A transaction is a `struct net_conn` with its own id, so a reply arriving after the
 * client went away finds nothing and is just freed. Responses are set by net_http_resp.c
 * and written from HTTP_WRITEABLE here: the headers in one call, the body in the next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "log.h"
#include "net_int.h"

#define NET_API_LOGIN_CITIZEN	"/api/v1/login/citizen"
#define NET_API_LOGIN_START	"/api/v1/login/worker/start"
#define NET_API_LOGIN_WORKER	"/api/v1/login/worker"
#define NET_API_LOGIN_ENROL	"/api/v1/login/worker/enrol"
#define NET_API_CONNECTOR_START "/api/v1/login/connector/start"
#define NET_API_LOGIN_CONNECTOR "/api/v1/login/connector"
#define NET_API_LOGOUT		"/api/v1/logout"
#define NET_API_HEALTH		"/api/v1/health"

/*
 * The security headers of every response, the static files' and the API's. The browser app
 * runs no inline script or style and no eval; 'wasm-unsafe-eval' lets it compile
 * libsodium's WebAssembly (without it libsodium falls back to plain JavaScript, many times
 * slower for Argon2id). Images may also be blob: URLs: the app previews a photo the citizen
 * picked, or an attachment it decrypted, from memory. Only this origin is reached: 'self' covers
 * its ws:/wss: too.
 */
static const char *const net_security_headers[][2] = {
	{ "content-security-policy:",
	  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
	  "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
	  "base-uri 'none'; form-action 'self'" },
	{ "x-content-type-options:", "nosniff" },
	{ "x-frame-options:", "deny" },
	{ "referrer-policy:", "no-referrer" },
};

/* The request's Content-Length: 0 with *out set, 1 when absent, -1 when malformed. */
static int net_http_content_length(struct lws *wsi, size_t *out)
{
	char buf[32];
	char *end;
	unsigned long long v;
	int len = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_CONTENT_LENGTH);

	if (len == 0 && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) == 0)
		return 1;
	if (len <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	v = strtoull(buf, &end, 10);
	if (*end != '\0')
		return -1;
	*out = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
	return 0;
}

/* Skips spaces and tabs (HTTP's optional white space). */
static const char *net_http_skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Whether a Content-Type value is JSON: the media type application/json (any case), with
 * optional parameters; a charset parameter must be utf-8 (quoted or not, any case), since the
 * body is read as UTF-8 whatever it says.
 */
static int net_http_is_json_type(const char *v)
{
	static const char json[] = "application/json";
	const char *p = net_http_skip_ows(v);

	if (strncasecmp(p, json, sizeof(json) - 1) != 0)
		return 0;
	p = net_http_skip_ows(p + sizeof(json) - 1);
	while (*p == ';') {
		const char *name = net_http_skip_ows(p + 1), *value = strchr(name, '=');
		const char *end = strchr(name, ';');
		size_t vlen;

		if (end == NULL)
			end = name + strlen(name);
		if (net_http_skip_ows(name) == end) {
			p = end; /* an empty parameter ("application/json;") */
			continue;
		}
		if (value == NULL || value > end)
			return 0; /* a parameter is name=value */
		if (value - name == 7 && strncasecmp(name, "charset", 7) == 0) {
			value++;
			vlen = (size_t)(end - value);
			while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
				value++;
				vlen -= 2;
			}
			if (vlen != 5 || strncasecmp(value, "utf-8", 5) != 0)
				return 0;
		}
		p = end;
	}
	return *p == '\0';
}

/* Whether the upgrade's Sec-WebSocket-Protocol list names advice.v1 (as lws reads it: at most
 * 127 characters, comma-separated tokens, exact match). */
static int net_http_offers_subprotocol(struct lws *wsi)
{
	char list[128];
	int len = lws_hdr_copy(wsi, list, sizeof(list) - 1, WSI_TOKEN_PROTOCOL);
	const char *p = list;

	if (len <= 0)
		return 0;
	while (*p != '\0') {
		const char *tok = net_http_skip_ows(p), *end = strchr(tok, ',');
		size_t tlen;

		if (end == NULL)
			end = tok + strlen(tok);
		tlen = (size_t)(end - tok);
		while (tlen > 0 && (tok[tlen - 1] == ' ' || tok[tlen - 1] == '\t'))
			tlen--;
		if (tlen == strlen(ADVICE_SUBPROTOCOL) && memcmp(tok, ADVICE_SUBPROTOCOL, tlen) == 0)
			return 1;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* HTTP_CONFIRM_UPGRADE: every WebSocket upgrade passes here before lws picks a subprotocol.
 * One without advice.v1 (none, or only others such as advice.v2) gets 400 and an http.error,
 * instead of lws's default binding or its silent hang-up. 0 to go on, -1 to hang up. */
static int net_http_confirm_upgrade(struct net *n, struct lws *wsi, const char *upgrade)
{
	char peer[NET_PEER_MAX] = "";

	if (upgrade == NULL || strcasecmp(upgrade, "websocket") != 0 || net_http_offers_subprotocol(wsi))
		return 0;
	net_client_address(n, wsi, peer);
	log_notice("upgrade refused (400, no subprotocol %s) peer %s", ADVICE_SUBPROTOCOL, peer);
	net_http_refuse_upgrade(wsi, 400);
	return -1;
}

/* Whether `path` is under the /api mount (lws's rule: the mount point, then '/' or the end). */
static int net_http_is_api_path(const char *path, size_t len)
{
	return len >= 4 && memcmp(path, "/api", 4) == 0 && (len == 4 || path[4] == '/');
}

/* Whether the request announces a body: Content-Length other than 0, or a method that has
 * one (lws then reads up to 100 MiB without a length). */
static int net_http_has_body(struct lws *wsi, int method)
{
	char clen[32];
	int len = lws_hdr_copy(wsi, clen, sizeof(clen), WSI_TOKEN_HTTP_CONTENT_LENGTH);

	if (len != 0)
		return len < 0 || strspn(clen, "0") != (size_t)len;
	return method == LWSHUMETH_POST || method == LWSHUMETH_PUT || method == LWSHUMETH_PATCH;
}

/*
 * FILTER_HTTP_CONNECTION: every HTTP request (not an upgrade) once its headers are in, before
 * lws reads a byte of its body. Transfer-Encoding gets 400 (with Content-Length too, the two
 * could frame the body differently); a static path takes only GET and HEAD without a body
 * (405, or 400 for a body). Otherwise the socket enters the body phase when a body is
 * announced. 0 to go on, -1 to hang up (the refusal written).
 */
static int net_http_filter(struct net *n, struct lws *wsi)
{
	char peer[NET_PEER_MAX] = "";
	char *uri = NULL;
	int ulen = 0, method = lws_http_get_uri_and_method(wsi, &uri, &ulen);
	int body = net_http_has_body(wsi, method);

	net_client_address(n, wsi, peer);
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
		log_info("request refused (400, Transfer-Encoding) peer %s", peer);
		net_http_refuse(wsi, 400, ADVICE_ERR_BAD_REQUEST, "Transfer-Encoding is not accepted", NULL);
		return -1;
	}
	if (method >= 0 && uri != NULL && !net_http_is_api_path(uri, (size_t)ulen)) {
		if (method != LWSHUMETH_GET && method != LWSHUMETH_HEAD) {
			log_info("request refused (405, method on a static file) peer %s", peer);
			net_http_refuse(wsi, 405, ADVICE_ERR_BAD_REQUEST, "method not allowed", "GET, HEAD");
			return -1;
		}
		if (body) {
			log_info("request refused (400, body to a static file) peer %s", peer);
			net_http_refuse(wsi, 400, ADVICE_ERR_BAD_REQUEST, "a request for a file has no body",
					NULL);
			return -1;
		}
	}
	if (net_guard_client(n, wsi) != 0)
		return -1; /* the forwarded client holds its connections already */
	net_guard_phase(n, wsi, body ? NET_PHASE_BODY : NET_PHASE_NONE);
	return 0;
}

/* Reads the session cookie, if any, into the transaction as its hash. */
static void net_http_read_session(struct net *n, struct lws *wsi, struct net_conn *c)
{
	char token[128];
	int len = net_cookie_get(wsi, ADVICE_SESSION_COOKIE, token, sizeof(token));

	if (len <= 0)
		return;
	core_session_hash(n->pepper, token, (size_t)len, c->session_hash);
	sodium_memzero(token, sizeof(token));
	c->has_session = 1;
}

/* Sends the collected body to the core; answers 503 when it cannot take it. */
static void net_http_submit(struct net *n, struct net_conn *c)
{

	if (n->draining || n->d == NULL) {
		net_limit_staff_settle(n, c, NULL);
		net_http_error(c, 503, ADVICE_ERR_UNAVAILABLE, "server shutting down", 1);
		return;
	}
	if (net_submit(n, c, c->kind, c->body ? c->body : "", c->body_len, NULL) != 0) {
		net_limit_staff_settle(n, c, NULL);
		net_http_error(c, 503, ADVICE_ERR_UNAVAILABLE, "server busy", 0);
		return;
	}
	c->waiting_core = 1;
	free(c->body);
	c->body = NULL;
}

/* Maps an API path to the core request it makes; -1 when none. */
static int net_http_api_kind(const char *path)
{
	if (strcmp(path, NET_API_LOGIN_CITIZEN) == 0)
		return CORE_REQ_LOGIN_CITIZEN;
	if (strcmp(path, NET_API_LOGIN_START) == 0)
		return CORE_REQ_LOGIN_START;
	if (strcmp(path, NET_API_LOGIN_WORKER) == 0)
		return CORE_REQ_LOGIN_WORKER;
	if (strcmp(path, NET_API_LOGOUT) == 0)
		return CORE_REQ_LOGOUT;
	if (strcmp(path, NET_API_LOGIN_ENROL) == 0)
		return CORE_REQ_LOGIN_ENROL;
	if (strcmp(path, NET_API_CONNECTOR_START) == 0)
		return CORE_REQ_LOGIN_CONNECTOR_START;
	if (strcmp(path, NET_API_LOGIN_CONNECTOR) == 0)
		return CORE_REQ_LOGIN_CONNECTOR;
	return -1;
}

/* The checks before a body is read; 0 to go on reading, 1 when answered already. */
static int net_http_check_post(struct net *n, struct lws *wsi, struct net_conn *c, int method)
{
	char origin[300], ctype[128];
	size_t clen = 0;
	int len, rc;

	if (method != LWSHUMETH_POST) {
		c->resp_allow = "POST";
		net_http_error(c, 405, ADVICE_ERR_BAD_REQUEST, "method not allowed", 1);
		return 1;
	}
	len = lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN);
	if (len < 0 || (len > 0 && !net_origin_allowed(n, origin))) {
		log_notice("api request refused (403, origin not allowed) peer %s", c->peer);
		net_http_error(c, 403, ADVICE_ERR_FORBIDDEN, "origin not allowed", 1);
		return 1;
	}
	/* Only JSON: a cross-site form (text/plain, urlencoded, multipart) is refused before its
	 * body is read, and a browser sends application/json cross-site only after a preflight,
	 * which this server never grants. */
	len = lws_hdr_copy(wsi, ctype, sizeof(ctype), WSI_TOKEN_HTTP_CONTENT_TYPE);
	if (len <= 0 || !net_http_is_json_type(ctype)) {
		log_notice("api request refused (400, content type) peer %s", c->peer);
		net_http_error(c, 400, ADVICE_ERR_BAD_REQUEST, "Content-Type must be application/json", 1);
		return 1;
	}
	rc = net_http_content_length(wsi, &clen);
	if (rc == 1) {
		net_http_error(c, 411, ADVICE_ERR_BAD_REQUEST, "length required", 1);
		return 1;
	}
	if (rc < 0) {
		net_http_error(c, 400, ADVICE_ERR_BAD_REQUEST, "bad content length", 1);
		return 1;
	}
	if (clen > ADVICE_MAX_HTTP_BODY_BYTES) {
		log_info("api request refused (413) peer %s", c->peer);
		net_http_error(c, 413, ADVICE_ERR_TOO_LARGE, "body too large", 1);
		return 1;
	}
	c->body_expected = clen;
	c->body = malloc(clen + 1);
	if (c->body == NULL) {
		net_http_error(c, 503, ADVICE_ERR_UNAVAILABLE, "out of memory", 1);
		return 1;
	}
	c->body[0] = '\0';
	return 0;
}

/* LWS_CALLBACK_HTTP on /api: starts a transaction. Returns 0, or -1 to hang up. */
static int net_http_request(struct net *n, struct lws *wsi, struct net_http_pss *pss)
{
	static const char health[] = "{\"status\":\"ok\"}";
	char path[128];
	char *uri = NULL;
	int ulen = 0, method, kind;
	struct net_conn *c;

	if (pss->c != NULL) {
		net_conn_free(n, pss->c);
		pss->c = NULL;
	}
	c = net_conn_new(n, wsi, 0);
	if (c == NULL)
		return -1;
	pss->c = c;
	net_client_address(n, wsi, c->peer);
	method = lws_http_get_uri_and_method(wsi, &uri, &ulen);
	if (method < 0 || ulen <= 0 || (size_t)ulen >= sizeof(path)) {
		c->body_done = 1;
		return net_http_error(c, 404, ADVICE_ERR_NOT_FOUND, "no such resource", 1) ? -1 : 0;
	}
	memcpy(path, uri, (size_t)ulen);
	path[ulen] = '\0';
	c->body_done = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) == 0;
	if (n->draining)
		return net_http_error(c, 503, ADVICE_ERR_UNAVAILABLE, "server shutting down", 1) ? -1 : 0;
	if (strcmp(path, NET_API_HEALTH) == 0) {
		if (method != LWSHUMETH_GET && method != LWSHUMETH_HEAD) {
			c->resp_allow = "GET";
			return net_http_error(c, 405, ADVICE_ERR_BAD_REQUEST, "method not allowed", 1) ? -1
												       : 0;
		}
		return net_http_respond(c, 200, health, sizeof(health) - 1) ? -1 : 0;
	}
	if (net_oidc_path(path))
		return net_oidc_request(n, wsi, c, path, method) ? -1 : 0;
	if (net_service_path(path))
		return net_service_request(n, c, method) ? -1 : 0;
	if (net_register_path(path))
		return net_register_request(n, c, method) ? -1 : 0;
	kind = net_http_api_kind(path);
	if (kind < 0)
		return net_http_error(c, 404, ADVICE_ERR_NOT_FOUND, "no such resource", 1) ? -1 : 0;
	c->kind = (enum core_req_kind)kind;
	if (net_http_check_post(n, wsi, c, method) != 0 || net_limit_staff_refuse(n, c) != 0)
		return 0;
	if (kind == CORE_REQ_LOGOUT)
		net_http_read_session(n, wsi, c);
	if (c->body_expected == 0) {
		c->body_done = 1;
		net_http_submit(n, c);
	}
	return 0;
}

/* HTTP_BODY: collects the body within its cap. Returns 0, or -1 to hang up. */
static int net_http_body(struct net_conn *c, const void *in, size_t len)
{
	if (c == NULL)
		return -1;
	if (c->discard_body || c->waiting_core || c->resp_ready)
		return 0;
	if (len > c->body_expected - c->body_len) {
		c->body_done = 1; /* lws would read on past Content-Length: don't wait for it */
		return net_http_error(c, 413, ADVICE_ERR_TOO_LARGE, "body too large", 1) ? -1 : 0;
	}
	memcpy(c->body + c->body_len, in, len);
	c->body_len += len;
	c->body[c->body_len] = '\0';
	return 0;
}

/* HTTP_BODY_COMPLETION. Returns 0, or -1 to hang up (an error answer already written). */
static int net_http_body_done(struct net *n, struct net_conn *c)
{
	if (c == NULL)
		return -1;
	c->body_done = 1;
	if (c->wsi != NULL)
		net_guard_phase(n, c->wsi, NET_PHASE_NONE);
	if (c->discard_body) {
		/* The answer went out (or goes out next); end once it has. */
		return c->resp_ready ? 0 : -1;
	}
	if (c->waiting_core || c->resp_ready)
		return 0;
	net_http_submit(n, c);
	return 0;
}

/* Adds the Retry-After header when the response has one. 0, or -1 when it does not fit. */
static int net_http_add_retry_after(struct lws *wsi, struct net_conn *c, unsigned char **p,
				    unsigned char *end)
{
	char v[16];
	int len;

	if (c->resp_retry_after <= 0)
		return 0;
	len = snprintf(v, sizeof(v), "%d", c->resp_retry_after);
	return lws_add_http_header_by_name(
		       wsi, (const unsigned char *)"retry-after:", (const unsigned char *)v, len, p, end)
		       ? -1
		       : 0;
}

/* Adds the security headers. 0, or -1 when they do not fit. */
static int net_http_add_security_headers(struct lws *wsi, unsigned char **p, unsigned char *end)
{
	for (size_t i = 0; i < sizeof(net_security_headers) / sizeof(net_security_headers[0]); i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)net_security_headers[i][0],
						(const unsigned char *)net_security_headers[i][1],
						(int)strlen(net_security_headers[i][1]), p, end))
			return -1;
	return 0;
}

/* ADD_HEADERS of a static file: the security headers. 0, or -1 when they do not fit. */
static int net_http_file_headers(struct lws *wsi, struct lws_process_html_args *args)
{
	unsigned char *p = (unsigned char *)args->p;

	if (net_http_add_security_headers(wsi, &p, p + args->max_len) != 0)
		return -1;
	args->p = (char *)p;
	return 0;
}

/* Adds our headers after the common ones. 0, or -1 when they do not fit. */
static int net_http_add_headers(struct lws *wsi, struct net_conn *c, unsigned char **p, unsigned char *end)
{
	const char *cache = c->resp_cache != NULL ? c->resp_cache : "no-store";

	if (net_http_add_security_headers(wsi, p, end))
		return -1;
	if (lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)cache, (int)strlen(cache), p, end))
		return -1;
	if (c->resp_cookie != NULL && lws_add_http_header_by_name(wsi, (const unsigned char *)"set-cookie:",
								  (const unsigned char *)c->resp_cookie,
								  (int)strlen(c->resp_cookie), p, end))
		return -1;
	if (c->resp_cookie2 != NULL && lws_add_http_header_by_name(wsi, (const unsigned char *)"set-cookie:",
								   (const unsigned char *)c->resp_cookie2,
								   (int)strlen(c->resp_cookie2), p, end))
		return -1;
	if (c->resp_location != NULL && lws_add_http_header_by_name(wsi, (const unsigned char *)"location:",
								    (const unsigned char *)c->resp_location,
								    (int)strlen(c->resp_location), p, end))
		return -1;
	if (c->resp_allow != NULL && lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
								 (const unsigned char *)c->resp_allow,
								 (int)strlen(c->resp_allow), p, end))
		return -1;
	return net_http_add_retry_after(wsi, c, p, end);
}

/* HTTP_WRITEABLE: the headers, then (next call) the body. Returns 0, or -1 to close. */
static int net_http_writeable(struct net *n, struct lws *wsi, struct net_http_pss *pss)
{
	unsigned char buf[LWS_PRE + 8192]; /* a redirect to the bank carries a signed request object */
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	struct net_conn *c = pss->c;
	int w, close;

	if (c == NULL || !c->resp_ready)
		return 0;
	if (!c->resp_headers_sent) {
		if (lws_add_http_common_headers(wsi, (unsigned int)c->resp_status, "application/json",
						c->resp_len, &p, end) ||
		    net_http_add_headers(wsi, c, &p, end) ||
		    lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		c->resp_headers_sent = 1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	w = lws_write(wsi, (unsigned char *)c->resp_body + LWS_PRE, c->resp_len, LWS_WRITE_HTTP_FINAL);
	if (w < (int)c->resp_len)
		return -1;
	if (c->resp_close) {
		if (!c->body_done) {
			/* Keep reading (and discarding) the body so the client gets our answer
			 * rather than a reset; HTTP_BODY_COMPLETION or the timeout ends it. */
			c->resp_ready = 0;
			return 0;
		}
		return -1;
	}
	close = 0;
	pss->c = NULL;
	net_conn_free(n, c);
	net_guard_phase(n, wsi, NET_PHASE_HEADERS); /* the next request's, on a kept-alive socket */
	if (lws_http_transaction_completed(wsi))
		close = -1;
	return close;
}

/* Builds the Set-Cookie value of a login or logout reply. 0, or -1 when out of memory. */
static int net_http_reply_cookie(struct net_conn *c, const struct core_reply *rep)
{
	char cookie[256];

	if (rep->session_token[0] != '\0')
		snprintf(cookie, sizeof(cookie),
			 "%s=%s; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=%lld", ADVICE_SESSION_COOKIE,
			 rep->session_token, (long long)rep->session_max_age_s);
	else if (rep->kind == CORE_REQ_LOGOUT && rep->http_status == 200)
		snprintf(cookie, sizeof(cookie), "%s=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0",
			 ADVICE_SESSION_COOKIE);
	else
		return 0;
	c->resp_cookie = strdup(cookie);
	sodium_memzero(cookie, sizeof(cookie));
	return c->resp_cookie != NULL ? 0 : -1;
}

void net_http_reply(struct net *n, struct net_conn *c, struct core_reply *rep)
{
	int status = rep->http_status > 0 ? rep->http_status : 500;

	net_limit_staff_settle(n, c, rep);
	if (rep->kind == CORE_REQ_SERVICE)
		net_service_keep(n, rep);
	if (!c->waiting_core || c->wsi == NULL)
		return;
	c->waiting_core = 0;
	if (status != 200)
		c->resp_cache = NULL;
	if (rep->kind == CORE_REQ_LOGIN_BANK) {
		if (net_http_reply_cookie(c, rep) != 0)
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		else
			net_oidc_finish(n, c, rep);
		return;
	}
	if (net_http_reply_cookie(c, rep) != 0 ||
	    net_http_respond(c, status, rep->json ? rep->json : "{}", rep->json ? rep->len : 2) != 0) {
		log_err("conn %llu: out of memory for a reply", (unsigned long long)c->id);
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
}

static void net_http_closed(struct net *n, struct net_http_pss *pss)
{
	if (pss == NULL || pss->c == NULL)
		return;
	pss->c->wsi = NULL;
	net_conn_free(n, pss->c);
	pss->c = NULL;
}

int net_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct net_http_pss *pss = user;
	struct net *n = net_from_wsi(wsi);
	char peer[NET_PEER_MAX] = "";

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: return net_guard_admit(n, wsi, user);
	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
		if (net_guard_open(n, wsi) != 0)
			return -1;
		break;
	case LWS_CALLBACK_WSI_DESTROY: net_guard_close(n, wsi); break;
	case LWS_CALLBACK_FILTER_HTTP_CONNECTION: return net_http_filter(n, wsi);
	case LWS_CALLBACK_HTTP_FILE_COMPLETION: net_guard_phase(n, wsi, NET_PHASE_HEADERS); break;
	case LWS_CALLBACK_ADD_HEADERS: return net_http_file_headers(wsi, in);
	case LWS_CALLBACK_HTTP:
		if (pss == NULL)
			return -1;
		return net_http_request(n, wsi, pss);
	case LWS_CALLBACK_HTTP_BODY: return net_http_body(pss ? pss->c : NULL, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION: return net_http_body_done(n, pss ? pss->c : NULL);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (pss == NULL || pss->c == NULL)
			break;
		return net_http_writeable(n, wsi, pss);
	case LWS_CALLBACK_CLOSED_HTTP: net_http_closed(n, pss); break;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		if (net_guard_client(n, wsi) != 0)
			return -1; /* the forwarded client holds its connections already */
		net_guard_phase(n, wsi, NET_PHASE_NONE); /* a WebSocket has keepalive instead */
		return net_http_confirm_upgrade(n, wsi, in);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* An upgrade that binds to this protocol (refused at CONFIRM_UPGRADE already). */
		net_client_address(n, wsi, peer);
		log_notice("upgrade refused (400, no subprotocol %s) peer %s", ADVICE_SUBPROTOCOL, peer);
		net_http_refuse_upgrade(wsi, 400);
		return -1;
	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
