/*
 * net_metrics.c - the health and metrics listener: a second vhost of the lws context, on
 * metrics_listen:metrics_port (loopback by default), apart from the public port, which never
 * serves these paths. It answers GET (and HEAD) of
 *
 *   /healthz          liveness: "ok" whenever the service loop answers
 *   /healthz?ready    readiness (also /readyz): "ok", or 503 "not ready: <reason>" while
 *                     stopping, after a failed transaction, or when the core thread has not
 *                     finished a batch within METRICS_CORE_BOUND_MS (metrics.h)
 *   /metrics          the Prometheus text format 0.0.4 (metrics.h)
 *
 * and 404 for anything else, 405 for other methods; no WebSocket. The bodies hold no data
 * beyond the figures. Service thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "net_int.h"

_Static_assert(ROLE_CONNECTOR + 1 == METRICS_ROLES, "metrics.h's roles follow enum store_role");

#define TEXT_TYPE    "text/plain; charset=utf-8"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One response being written: its status, type and body (LWS_PRE headroom before it). */
struct net_metrics_pss {
	int status;
	const char *type;
	char *body; /* malloc'd: LWS_PRE bytes, then len bytes */
	size_t len;
	int head; /* HEAD: the headers only */
	int headers_sent;
};

/* What the network thread knows now, for the figures and the readiness. */
static void net_metrics_live(struct net *n, struct metrics_live *live)
{
	struct hmap_iter it;
	struct net_conn *c;
	long http = 0;

	memset(live, 0, sizeof *live);
	hmap_iter_init(&it, &n->conns);
	while ((c = hmap_iter_next(&it)) != NULL) {
		if (c->wsi == NULL)
			continue;
		if (!c->is_ws)
			http++;
		else if (!c->retired)
			live->by_role[c->role >= 0 && c->role < METRICS_ROLES ? c->role : 0]++;
	}
	live->websockets = (long)n->nws;
	live->http = http;
	live->dispatch_pending = n->d != NULL ? (long)dispatch_pending(n->d) : 0;
	live->stopping = n->stop_requested || n->draining;
}

/* Sets the response to `len` bytes of `text` (copied after LWS_PRE). 0, or -1 when out of
 * memory. */
static int net_metrics_set(struct net_metrics_pss *pss, int status, const char *type, const char *text,
			   size_t len)
{
	free(pss->body);
	if ((pss->body = malloc(LWS_PRE + len + 1)) == NULL)
		return -1;
	memcpy(pss->body + LWS_PRE, text, len);
	pss->len = len;
	pss->status = status;
	pss->type = type;
	return 0;
}

/* The health answer: "ok", or for readiness the reason it is not ready (503). */
static int net_metrics_health(struct net *n, struct net_metrics_pss *pss, int readiness)
{
	struct metrics_live live;
	const char *reason;
	char text[160];
	int len;

	net_metrics_live(n, &live);
	if (!readiness || metrics_ready(&live, &reason))
		return net_metrics_set(pss, 200, TEXT_TYPE, "ok\n", 3);
	len = snprintf(text, sizeof text, "not ready: %s\n", reason);
	return net_metrics_set(pss, 503, TEXT_TYPE, text, (size_t)len);
}

static int net_metrics_scrape(struct net *n, struct net_metrics_pss *pss)
{
	struct metrics_live live;
	size_t len;
	char *text;
	int rc;

	net_metrics_live(n, &live);
	if ((text = metrics_render(&live, &len)) == NULL)
		return -1;
	rc = net_metrics_set(pss, 200, METRICS_TYPE, text, len);
	free(text);
	return rc;
}

/* Whether the request's query string is exactly `ready` (as in /healthz?ready). */
static int net_metrics_query_ready(struct lws *wsi)
{
	char arg[32];

	return lws_hdr_copy_fragment(wsi, arg, sizeof arg, WSI_TOKEN_HTTP_URI_ARGS, 0) > 0 &&
	       strcmp(arg, "ready") == 0;
}

/* LWS_CALLBACK_HTTP: chooses the response and asks to write it. 0, or -1 to hang up. */
static int net_metrics_request(struct net *n, struct lws *wsi, struct net_metrics_pss *pss, const char *path)
{
	int get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
	int head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
	int rc;

	if (!get && !head)
		rc = net_metrics_set(pss, 405, TEXT_TYPE, "method not allowed\n", 19);
	else if (strcmp(path, "/healthz") == 0)
		rc = net_metrics_health(n, pss, net_metrics_query_ready(wsi));
	else if (strcmp(path, "/readyz") == 0)
		rc = net_metrics_health(n, pss, 1);
	else if (strcmp(path, "/metrics") == 0)
		rc = net_metrics_scrape(n, pss);
	else
		rc = net_metrics_set(pss, 404, TEXT_TYPE, "not found\n", 10);
	if (rc != 0) {
		log_err("out of memory for a health or metrics answer");
		return -1;
	}
	pss->head = head;
	lws_callback_on_writable(wsi);
	return 0;
}

/* HTTP_WRITEABLE: the headers, then (next call) the body. 0, or -1 to close. */
static int net_metrics_writeable(struct lws *wsi, struct net_metrics_pss *pss)
{
	unsigned char buf[LWS_PRE + 1024];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	int only_headers = pss->head || pss->len == 0;

	if (pss->body == NULL)
		return 0;
	if (!pss->headers_sent) {
		if (lws_add_http_common_headers(wsi, (unsigned int)pss->status, pss->type, pss->len, &p,
						end) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
						(const unsigned char *)"no-store", 8, &p, end) ||
		    (pss->status == 405 &&
		     lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
						 (const unsigned char *)"GET, HEAD", 9, &p, end)) ||
		    lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		pss->headers_sent = 1;
		if (!only_headers) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else if (lws_write(wsi, (unsigned char *)pss->body + LWS_PRE, pss->len, LWS_WRITE_HTTP_FINAL) <
		   (int)pss->len) {
		return -1;
	}
	free(pss->body);
	pss->body = NULL;
	pss->headers_sent = 0;
	/* A 405 may leave a body unread: the connection ends with it. */
	if (pss->status == 405)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int net_metrics_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
				size_t len)
{
	struct net_metrics_pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (pss == NULL)
			return -1;
		return net_metrics_request(net_from_wsi(wsi), wsi, pss, in != NULL ? in : "");
	case LWS_CALLBACK_HTTP_BODY:
	case LWS_CALLBACK_HTTP_BODY_COMPLETION: return 0; /* a body is not wanted: ignored */
	case LWS_CALLBACK_HTTP_WRITEABLE: return pss != NULL ? net_metrics_writeable(wsi, pss) : 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: return -1; /* no WebSocket here */
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss != NULL) {
			free(pss->body);
			pss->body = NULL;
		}
		return 0;
	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

int net_metrics_start(struct net *n)
{
	struct lws_context_creation_info info;
	const struct config *cfg = n->cfg;

	if (cfg->metrics_port == 0)
		return 0;
	n->metrics_protocols[0].name = "metrics";
	n->metrics_protocols[0].callback = net_metrics_callback;
	n->metrics_protocols[0].per_session_data_size = sizeof(struct net_metrics_pss);
	/* metrics_protocols[1] stays zeroed: the terminator. */
	memset(&info, 0, sizeof info);
	info.port = cfg->metrics_port;
	info.iface = cfg->metrics_listen;
	info.protocols = n->metrics_protocols;
	info.vhost_name = "metrics";
	info.user = n;
	n->metrics_vhost = lws_create_vhost(n->ctx, &info);
	if (n->metrics_vhost == NULL) {
		log_err("cannot create the health and metrics listener on %s port %d", cfg->metrics_listen,
			cfg->metrics_port);
		return -1;
	}
	log_notice("health and metrics on %s port %d", cfg->metrics_listen, cfg->metrics_port);
	return 0;
}
