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
	int len;

	len = snprintf(json, sizeof(json),
		       "{\"type\":\"error\",\"id\":null,\"code\":\"%s\",\"message\":\"%s\"}",
		       advice_err_name(code), message);
	if (close)
		net_http_close_after(c);
	return net_http_respond(c, status, json, (size_t)len);
}
