/*
 * net_register.c - GET /api/v1/register, the register document (PROTOCOL.md §14.9): the
 * privacy notice's texts, the consent texts and the retention rules from the register file,
 * checked when adviced started. Public, no session, no body, no access-log row (it says
 * nothing about anyone). The bytes are made once (net_set_register) and sent to every client;
 * the browser may keep them NET_REGISTER_CACHE_S (Cache-Control). Each client address is
 * limited as the front page's data is (service_rate_burst at once, then
 * service_rate_per_minute), answered 429 beyond. Service thread only.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "net_int.h"
#include "ratelimit.h"

#define NET_REGISTER_PATH      "/api/v1/register"
#define NET_REGISTER_CACHE_S   300   /* the document changes only with a restart */
#define NET_REGISTER_SOURCES   65536 /* client addresses the limit remembers */
#define NET_REGISTER_REPORT_MS 60000 /* refusals are logged as a count at most once a minute */

#define NET_REGISTER_STR(x)	  #x
#define NET_REGISTER_XSTR(x)	  NET_REGISTER_STR(x)
#define NET_REGISTER_CACHE_HEADER "public, max-age=" NET_REGISTER_XSTR(NET_REGISTER_CACHE_S)

static int64_t net_register_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int net_set_register(struct net *n, const char *json, size_t len)
{
	char *copy = malloc(len);

	if (copy == NULL)
		return -1;
	memcpy(copy, json, len);
	free(n->register_json);
	n->register_json = copy;
	n->register_len = len;
	if (n->register_limit == NULL)
		n->register_limit = ratelimit_new(NET_REGISTER_SOURCES, n->cfg->service_rate_per_minute,
						  n->cfg->service_rate_burst);
	return n->register_limit != NULL ? 0 : -1;
}

void net_register_free(struct net *n)
{
	ratelimit_free(n->register_limit);
	n->register_limit = NULL;
	free(n->register_json);
	n->register_json = NULL;
	n->register_len = 0;
}

int net_register_path(const char *path)
{
	return strcmp(path, NET_REGISTER_PATH) == 0;
}

/* Logs the refusals as a count, at most once every NET_REGISTER_REPORT_MS. */
static void net_register_report(struct net *n, const struct net_conn *c, int64_t now)
{
	n->register_refused++;
	if (n->register_refused_logged_ms != 0 &&
	    now - n->register_refused_logged_ms < NET_REGISTER_REPORT_MS)
		return;
	log_notice("register request refused (429, too many from the address) peer %s; %llu refused "
		   "since the last report",
		   c->peer, n->register_refused);
	n->register_refused = 0;
	n->register_refused_logged_ms = now;
}

int net_register_request(struct net *n, struct net_conn *c, int method)
{
	struct ratelimit_key key;
	int64_t now = net_register_now_ms();
	int wait_s;

	if (method != LWSHUMETH_GET && method != LWSHUMETH_HEAD) {
		c->resp_allow = "GET";
		return net_http_error(c, 405, ADVICE_ERR_BAD_REQUEST, "method not allowed", 1);
	}
	if (n->register_json == NULL)
		return net_http_error(c, 404, ADVICE_ERR_NOT_FOUND, "no register document", 1);
	ratelimit_key_of(c->peer, &key);
	if ((wait_s = ratelimit_take(n->register_limit, &key, now)) != 0) {
		net_register_report(n, c, now);
		return net_http_rate_limited(c, wait_s);
	}
	c->resp_cache = NET_REGISTER_CACHE_HEADER;
	return net_http_respond(c, 200, n->register_json, n->register_len);
}
