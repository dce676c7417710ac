/*
 * net_http_resp.c - the response of an HTTP transaction (a `struct net_conn` of net_http.c or
 * net_oidc.c): its status and JSON body, written from HTTP_WRITEABLE by net_http.c, and the
 * protocol's error shape. Below both endpoints' files, so they do not call each other.
 * Service thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_int.h"

#define NET_DISCARD_TIMEOUT_S 10 /* seconds to read (and throw away) the rest of a refused body */
#define NET_UPGRADE_RETRY_S   5	 /* retry_after of an upgrade over the session's WebSockets */

/* The connection ends after the response, once the rest of the body is read and thrown away
 * (so the client sees the answer). */
static void net_http_close_after(struct net_conn *c)
{
	c->resp_close = 1;
	c->discard_body = 1;
	if (c->wsi != NULL && !c->body_done)
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_HTTP_CONTENT, NET_DISCARD_TIMEOUT_S);
}

/* Sets the response of the transaction and asks for HTTP_WRITEABLE. 0, or -1 when out of
 * memory. */
int net_http_respond(struct net_conn *c, int status, const char *json, size_t len)
{
	free(c->resp_body);
	c->resp_body = malloc(LWS_PRE + len + 1);
	if (c->resp_body == NULL)
		return -1;
	memcpy(c->resp_body + LWS_PRE, json, len);
	c->resp_body[LWS_PRE + len] = '\0';
	c->resp_len = len;
	c->resp_status = status;
	c->resp_ready = 1;
	if (c->wsi != NULL)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* The http.error body of `code` and `message` (a constant without quotes or backslashes) into
 * json; its length. */
static int net_error_json(char *json, size_t size, int code, const char *message)
{
	int len = snprintf(json, size, "{\"type\":\"error\",\"id\":null,\"code\":\"%s\",\"message\":\"%s\"}",
			   advice_err_name(code), message);

	return len < 0 || (size_t)len >= size ? -1 : len;
}

int net_http_error_retry(struct net_conn *c, int status, int code, const char *message, int retry_after_s)
{
	char json[320];
	int len;

	len = snprintf(json, sizeof(json),
		       "{\"type\":\"error\",\"id\":null,\"code\":\"%s\",\"message\":\"%s\","
		       "\"retry_after\":%d}",
		       advice_err_name(code), message, retry_after_s);
	c->resp_retry_after = retry_after_s;
	net_http_close_after(c);
	return net_http_respond(c, status, json, (size_t)len);
}

/* An error response with the protocol's error shape; with `close`, the connection ends
 * after it (and after the rest of the body is read, so the client sees the answer). */
int net_http_error(struct net_conn *c, int status, int code, const char *message, int close)
{
	char json[256];
	int len = net_error_json(json, sizeof(json), code, message);

	if (len < 0)
		return -1;
	if (close)
		net_http_close_after(c);
	return net_http_respond(c, status, json, (size_t)len);
}

int net_http_rate_limited(struct net_conn *c, int retry_after_s)
{
	return net_http_error_retry(c, 429, ADVICE_ERR_RATE_LIMITED, "too many requests; try again later",
				    retry_after_s < 1 ? 1 : retry_after_s);
}

/* The error code and the text a refused upgrade answers with. */
static const char *net_upgrade_refusal(int status, int *code)
{
	switch (status) {
	case 400: *code = ADVICE_ERR_BAD_REQUEST; return "subprotocol " ADVICE_SUBPROTOCOL " required";
	case 401: *code = ADVICE_ERR_UNAUTHENTICATED; return "no valid session";
	case 403: *code = ADVICE_ERR_FORBIDDEN; return "origin not allowed";
	case 404: *code = ADVICE_ERR_NOT_FOUND; return "no such resource";
	case 429: *code = ADVICE_ERR_RATE_LIMITED; return "the session has too many WebSockets open";
	case 503: *code = ADVICE_ERR_UNAVAILABLE; return "server busy";
	default: *code = ADVICE_ERR_INTERNAL; return "internal error";
	}
}

int net_http_refuse(struct lws *wsi, int status, int code, const char *message, const char *allow)
{
	unsigned char buf[LWS_PRE + 2048];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 512;
	char json[320], clen[16], retry[16];
	int len = net_error_json(json, sizeof(json), code, message);

	if (len < 0)
		return -1;
	if (status == 429) /* with retry_after, as every rate_limited (§2.2) */
		len = snprintf(json, sizeof(json),
			       "{\"type\":\"error\",\"id\":null,\"code\":\"%s\",\"message\":\"%s\","
			       "\"retry_after\":%d}",
			       advice_err_name(code), message, NET_UPGRADE_RETRY_S);
	snprintf(clen, sizeof(clen), "%d", len);
	snprintf(retry, sizeof(retry), "%d", NET_UPGRADE_RETRY_S);
	if (lws_add_http_header_status(wsi, (unsigned int)status, &p, end) ||
	    (status == 429 &&
	     lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
					 (const unsigned char *)retry, (int)strlen(retry), &p, end)) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
					 (const unsigned char *)"application/json", 16, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, (const unsigned char *)clen,
					 (int)strlen(clen), &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &p, end) ||
	    (allow != NULL &&
	     lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:", (const unsigned char *)allow,
					 (int)strlen(allow), &p, end)) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &p,
					 end) ||
	    lws_finalize_http_header(wsi, &p, end))
		return -1;
	memcpy(p, json, (size_t)len);
	p += len;
	return lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP) == (int)(p - start) ? 0 : -1;
}

int net_http_refuse_upgrade(struct lws *wsi, int status)
{
	int code;
	const char *message = net_upgrade_refusal(status, &code);

	return net_http_refuse(wsi, status, code, message, NULL);
}
