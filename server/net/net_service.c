/*
 * net_service.c - GET /api/v1/service, what the public front page shows before login
 * (PROTOCOL.md §4.8): no session, no body. The core computes it (CORE_REQ_SERVICE: the
 * categories with their service hours and answer times, the configured numbers and contacts);
 * the answer is kept here for NET_SERVICE_CACHE_S and sent to every client meanwhile, and the
 * browser may keep it as long (Cache-Control), so that a crowd of front pages costs the core
 * one request every NET_SERVICE_CACHE_S. Each client address is limited (service_rate_burst at
 * once, then service_rate_per_minute), answered 429 beyond. Refusals are logged as a count at
 * most once a minute. Service thread only.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "net_int.h"
#include "ratelimit.h"

#define NET_SERVICE_PATH      "/api/v1/service"
#define NET_SERVICE_CACHE_S   30    /* the answer is reused (and may be cached) this long */
#define NET_SERVICE_SOURCES   65536 /* client addresses the limit remembers */
#define NET_SERVICE_REPORT_MS 60000 /* refusals are logged as a count at most once a minute */

/* "public, max-age=NET_SERVICE_CACHE_S" */
#define NET_SERVICE_STR(x)	 #x
#define NET_SERVICE_XSTR(x)	 NET_SERVICE_STR(x)
#define NET_SERVICE_CACHE_HEADER "public, max-age=" NET_SERVICE_XSTR(NET_SERVICE_CACHE_S)

static int64_t net_service_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int net_service_init(struct net *n)
{
	n->service_limit = ratelimit_new(NET_SERVICE_SOURCES, n->cfg->service_rate_per_minute,
					 n->cfg->service_rate_burst);
	if (n->service_limit == NULL) {
		log_err("out of memory for the front page's limit");
		return -1;
	}
	return 0;
}

void net_service_free(struct net *n)
{
	ratelimit_free(n->service_limit);
	n->service_limit = NULL;
	free(n->service_json);
	n->service_json = NULL;
	n->service_len = 0;
}

int net_service_path(const char *path)
{
	return strcmp(path, NET_SERVICE_PATH) == 0;
}

/* Logs the refusals as a count, at most once every NET_SERVICE_REPORT_MS. */
static void net_service_report(struct net *n, const struct net_conn *c, int64_t now)
{
	n->service_refused++;
	if (n->service_refused_logged_ms != 0 && now - n->service_refused_logged_ms < NET_SERVICE_REPORT_MS)
		return;
	log_notice("front page request refused (429, too many from the address) peer %s; %llu refused "
		   "since the last report",
		   c->peer, n->service_refused);
	n->service_refused = 0;
	n->service_refused_logged_ms = now;
}

int net_service_request(struct net *n, struct net_conn *c, int method)
{
	struct ratelimit_key key;
	int64_t now = net_service_now_ms();
	int wait_s;

	if (method != LWSHUMETH_GET && method != LWSHUMETH_HEAD) {
		c->resp_allow = "GET";
		return net_http_error(c, 405, ADVICE_ERR_BAD_REQUEST, "method not allowed", 1);
	}
	ratelimit_key_of(c->peer, &key);
	if ((wait_s = ratelimit_take(n->service_limit, &key, now)) != 0) {
		net_service_report(n, c, now);
		return net_http_rate_limited(c, wait_s);
	}
	c->kind = CORE_REQ_SERVICE;
	c->resp_cache = NET_SERVICE_CACHE_HEADER;
	if (n->service_json != NULL && now < n->service_until_ms)
		return net_http_respond(c, 200, n->service_json, n->service_len);
	if (n->draining || n->d == NULL || net_submit(n, c, CORE_REQ_SERVICE, "", 0, NULL) != 0) {
		c->resp_cache = NULL;
		return net_http_error(c, 503, ADVICE_ERR_UNAVAILABLE, "server busy", 0);
	}
	c->waiting_core = 1;
	return 0;
}

void net_service_keep(struct net *n, const struct core_reply *rep)
{
	char *copy;

	if (rep->http_status != 200 || rep->json == NULL || (copy = malloc(rep->len)) == NULL)
		return;
	memcpy(copy, rep->json, rep->len);
	free(n->service_json);
	n->service_json = copy;
	n->service_len = rep->len;
	n->service_until_ms = net_service_now_ms() + NET_SERVICE_CACHE_S * 1000;
}
