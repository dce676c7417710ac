/*
 * net_limit.c - the per-address limit of the staff login endpoints (worker login start and
 * finish, enrolment, password change; the records connector's challenge and login): a token bucket per client
 * address (ratelimit.h) that only failed attempts drain. A request takes a token before it goes to the core
 * and gets it back when the core's reply is not a counted failure, so a correct login costs nothing and many
 * workers behind one address share only the allowance for their mistakes. Holding the token while the request
 * is in flight keeps parallel guesses from one address within the limit too. An address whose bucket is empty
 * gets 429 rate_limited with retry_after before its request reaches any account. Service thread only.
 */
#include <time.h>

#include "log.h"
#include "net_int.h"
#include "ratelimit.h"

#define NET_LIMIT_SOURCES   65536 /* addresses remembered; the least recently seen go first */
#define NET_LIMIT_REPORT_MS 60000 /* refusals are logged as a count at most once a minute */

static int64_t net_limit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int net_limit_init(struct net *n)
{
	if (n->cfg->staff_login_per_minute <= 0) {
		log_notice("no per-address limit on staff logins (staff_login_per_minute = 0)");
		return 0;
	}
	n->staff_limit =
		ratelimit_new(NET_LIMIT_SOURCES, n->cfg->staff_login_per_minute, n->cfg->staff_login_burst);
	if (n->staff_limit == NULL) {
		log_err("out of memory for the staff login limit");
		return -1;
	}
	return 0;
}

void net_limit_free(struct net *n)
{
	ratelimit_free(n->staff_limit);
	n->staff_limit = NULL;
}

/* Whether requests of `kind` are staff logins under the limit. */
static int net_limit_applies(enum core_req_kind kind)
{
	return kind == CORE_REQ_LOGIN_START || kind == CORE_REQ_LOGIN_WORKER ||
	       kind == CORE_REQ_LOGIN_ENROL || kind == CORE_REQ_LOGIN_CONNECTOR_START ||
	       kind == CORE_REQ_LOGIN_CONNECTOR;
}

/* Logs the refusals as a count, at most once every NET_LIMIT_REPORT_MS: a flood does not
 * flood the log. */
static void net_limit_report(struct net *n, const struct net_conn *c, int64_t now)
{
	n->staff_refused++;
	if (n->staff_refused_logged_ms != 0 && now - n->staff_refused_logged_ms < NET_LIMIT_REPORT_MS)
		return;
	log_notice("staff login refused (429, too many failed attempts from the address) peer %s; %llu "
		   "refused since the last report",
		   c->peer, (unsigned long long)n->staff_refused);
	n->staff_refused = 0;
	n->staff_refused_logged_ms = now;
}

int net_limit_staff_refuse(struct net *n, struct net_conn *c)
{
	struct ratelimit_key key;
	int64_t now;
	int wait_s;

	if (n->staff_limit == NULL || !net_limit_applies(c->kind))
		return 0;
	ratelimit_key_of(c->peer, &key);
	now = net_limit_now_ms();
	wait_s = ratelimit_take(n->staff_limit, &key, now);
	if (wait_s == 0) {
		c->limit_token = 1;
		return 0;
	}
	net_limit_report(n, c, now);
	if (c->body_expected == 0)
		c->body_done = 1;
	net_http_error_retry(c, 429, ADVICE_ERR_RATE_LIMITED, "too many failed logins from this address",
			     wait_s);
	return 1;
}

void net_limit_staff_settle(struct net *n, struct net_conn *c, const struct core_reply *rep)
{
	struct ratelimit_key key;

	if (!c->limit_token)
		return;
	c->limit_token = 0;
	if (rep != NULL && rep->login_failed)
		return;
	ratelimit_key_of(c->peer, &key);
	ratelimit_refund(n->staff_limit, &key);
}
