/*
 * net_oidc.c - the bank-ID login's HTTP endpoints (oidc.h) on the network thread:
 *
 *   GET /api/v1/auth/bank/start     302 to the identity provider with a signed request
 *                                   object, made by the signing thread (oidc_signer.c) while
 *                                   the request waits; sets the __Host- login cookie
 *                                   (SameSite=Lax, so it comes back on the cross-site return)
 *   GET /api/v1/auth/bank/callback  checks cookie and state, hands code and PKCE verifier
 *                                   to the oidc worker thread (back channel); the checked
 *                                   identity goes to the core (CORE_REQ_LOGIN_BANK), whose
 *                                   reply becomes a 303 to the app with the session cookie
 *   GET /api/v1/auth/jwks           our public signing and encryption keys
 *
 * The back channel is the scarce resource, so it is spent only on a callback whose state
 * matches a live login cookie the browser sends, and once per cookie: the first such
 * callback marks the cookie used (in a bounded table, until the cookie has expired anyway),
 * and another with it is refused here. /start and /callback are limited per client address
 * (ratelimit.h), answered 429 beyond; a full signing queue answers /start 503 with
 * retry_after. Refusals are logged as counts, at most once a minute. The browser waits at most
 * OIDC_BROWSER_TIMEOUT_S, longer than the back channel may take, so it hears how its login ended.
 *
 * The browser never holds the ID token or the identity code. Nothing logged here carries a
 * code, token or identity code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "jose.h"
#include "log.h"
#include "net_int.h"
#include "oidc.h"
#include "ratelimit.h"

#define NET_OIDC_START	     "/api/v1/auth/bank/start"
#define NET_OIDC_CALLBACK    "/api/v1/auth/bank/callback"
#define NET_OIDC_JWKS	     "/api/v1/auth/jwks"
#define NET_OIDC_SOURCES_MAX 65536 /* client addresses the rate limit remembers */
#define NET_OIDC_USED_MAX    65536 /* used login cookies remembered (their lifetime) */
#define NET_OIDC_REPORT_MS   60000 /* refusals are logged as counts at most once a minute */

_Static_assert(OIDC_BROWSER_TIMEOUT_S >= OIDC_HTTP_TIMEOUT_S + 5,
	       "the browser outwaits the back channel, with time for the core to answer");

/* A login cookie whose callback went to the back channel (by its keyed hash). */
struct net_oidc_used {
	struct hmap_node node;
	uint8_t hash[OIDC_HASH_BYTES];
	int64_t used_s;
	struct net_oidc_used *next; /* the next used after it */
};

/* Forgets every used login cookie. */
static void net_oidc_used_clear(struct net *n)
{
	struct net_oidc_used *u, *next;

	for (u = n->used_head; u != NULL; u = next) {
		next = u->next;
		hmap_remove(&n->oidc_used, u);
		free(u);
	}
	n->used_head = n->used_tail = NULL;
}

void net_oidc_free(struct net *n)
{
	net_oidc_used_clear(n);
	if (n->oidc_used.buckets != NULL)
		hmap_destroy(&n->oidc_used);
	memset(&n->oidc_used, 0, sizeof n->oidc_used);
	ratelimit_free(n->oidc_limit);
	n->oidc_limit = NULL;
	free(n->oidc_jwks);
	n->oidc_jwks = NULL;
}

int net_set_oidc(struct net *n, struct oidc_config *cfg, struct oidc_worker *w)
{
	net_oidc_free(n);
	n->oidc = NULL;
	n->oidc_worker = NULL;
	if (cfg == NULL)
		return 0;
	n->oidc_jwks = oidc_jwks_text(cfg);
	n->oidc_limit =
		ratelimit_new(NET_OIDC_SOURCES_MAX, n->cfg->oidc_rate_per_minute, n->cfg->oidc_rate_burst);
	if (n->oidc_jwks == NULL || n->oidc_limit == NULL ||
	    hmap_init(&n->oidc_used, 1024, offsetof(struct net_oidc_used, node),
		      offsetof(struct net_oidc_used, hash), OIDC_HASH_BYTES) != 0) {
		net_oidc_free(n);
		return -1;
	}
	n->oidc = cfg;
	n->oidc_worker = w;
	return 0;
}

/*
 * Marks the login (by its cookie's hash) used at now_s, forgetting marks older than a login
 * cookie lives (and, when the table is full, the oldest). 1 when it was marked just now, 0
 * when it was used already, -1 when out of memory.
 */
static int net_oidc_mark_used(struct net *n, const uint8_t hash[OIDC_HASH_BYTES], int64_t now_s)
{
	struct net_oidc_used *u;

	while ((u = n->used_head) != NULL &&
	       (now_s - u->used_s > OIDC_LOGIN_TTL_S + 60 || n->oidc_used.count >= NET_OIDC_USED_MAX)) {
		n->used_head = u->next;
		if (n->used_head == NULL)
			n->used_tail = NULL;
		hmap_remove(&n->oidc_used, u);
		free(u);
	}
	if (hmap_find(&n->oidc_used, hash) != NULL)
		return 0;
	if ((u = calloc(1, sizeof *u)) == NULL)
		return -1;
	memcpy(u->hash, hash, OIDC_HASH_BYTES);
	u->used_s = now_s;
	hmap_insert(&n->oidc_used, u);
	if (n->used_tail != NULL)
		n->used_tail->next = u;
	else
		n->used_head = u;
	n->used_tail = u;
	return 1;
}

static int64_t net_oidc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Counts a refusal (429 when `busy` is 0, else 503) and logs the counts at most once every
 * NET_OIDC_REPORT_MS: a flood does not flood the log. */
static void net_oidc_count_refusal(struct net *n, const struct net_conn *c, int busy, int64_t now)
{
	if (busy)
		n->oidc_busy++;
	else
		n->oidc_limited++;
	if (n->oidc_refused_logged_ms != 0 && now - n->oidc_refused_logged_ms < NET_OIDC_REPORT_MS)
		return;
	log_notice("bank-ID request refused peer %s; since the last report %llu rate limited (429), "
		   "%llu while the login queue was full (503)",
		   c->peer, n->oidc_limited, n->oidc_busy);
	n->oidc_limited = n->oidc_busy = 0;
	n->oidc_refused_logged_ms = now;
}

/* Whether the client's address may make one more /start or /callback now; when not, the
 * 429 answer is set and 0 returned. */
static int net_oidc_rate_ok(struct net *n, struct net_conn *c)
{
	struct ratelimit_key key;
	int64_t now = net_oidc_now_ms();
	int wait;

	ratelimit_key_of(c->peer, &key);
	wait = ratelimit_take(n->oidc_limit, &key, now);
	if (wait == 0)
		return 1;
	net_oidc_count_refusal(n, c, 0, now);
	net_http_rate_limited(c, wait);
	return 0;
}

int net_oidc_path(const char *path)
{
	return strcmp(path, NET_OIDC_START) == 0 || strcmp(path, NET_OIDC_CALLBACK) == 0 ||
	       strcmp(path, NET_OIDC_JWKS) == 0;
}

/* Sets the cookie that ends the login cookie. 0 or -1. */
static int net_oidc_clear_login_cookie(struct net_conn *c)
{
	free(c->resp_cookie2);
	c->resp_cookie2 = strdup(OIDC_LOGIN_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0");
	return c->resp_cookie2 != NULL ? 0 : -1;
}

/* An error answer of the protocol's shape, "prefix: detail", that also ends the login cookie. */
static int net_oidc_fail(struct net_conn *c, int status, int code, const char *prefix, const char *detail)
{
	char msg[200];

	snprintf(msg, sizeof msg, "%s%s%s", prefix, detail[0] ? ": " : "", detail);
	net_oidc_clear_login_cookie(c);
	return net_http_error(c, status, code, msg, 0);
}

/* /start: a new login token and its derived values go to the signing thread, which makes
 * the authorization URL (its request object signed) off this thread; the browser waits for
 * it (net_oidc_take_signed). A full signing queue answers 503 with retry_after. */
static int net_oidc_start(struct net *n, struct net_conn *c)
{
	struct oidc_sign_job job;
	int rc;

	if (!net_oidc_rate_ok(n, c))
		return 0;
	memset(&job, 0, sizeof job);
	job.conn_id = c->id;
	job.now_s = (int64_t)time(NULL);
	oidc_login_token_new(job.now_s, job.token);
	if (oidc_login_derive(n->pepper, job.token, strlen(job.token), job.now_s, &job.login) != OIDC_OK) {
		sodium_memzero(&job, sizeof job);
		return net_http_error(c, 500, ADVICE_ERR_INTERNAL, "cannot start the login", 0);
	}
	rc = oidc_signer_submit(oidc_worker_signer(n->oidc_worker), &job);
	sodium_memzero(&job, sizeof job);
	if (rc != 0) {
		net_oidc_count_refusal(n, c, 1, net_oidc_now_ms());
		return net_http_error_retry(c, 503, ADVICE_ERR_UNAVAILABLE, "server busy", 1);
	}
	c->waiting_core = 1; /* a reply is pending (from the signing thread) */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_HTTP_CONTENT, OIDC_SIGN_TIMEOUT_S);
	return 0;
}

/* Answers a /start whose authorization URL is ready: 302 there with the login cookie. */
static void net_oidc_started(struct net_conn *c, struct oidc_sign_job *job)
{
	char cookie[160];

	c->waiting_core = 0;
	if (job->url == NULL) {
		net_http_error(c, 500, ADVICE_ERR_INTERNAL, "cannot start the login", 0);
		return;
	}
	snprintf(cookie, sizeof cookie, "%s=%s; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=%d",
		 OIDC_LOGIN_COOKIE, job->token, OIDC_LOGIN_TTL_S);
	c->resp_cookie = strdup(cookie);
	sodium_memzero(cookie, sizeof cookie);
	if (c->resp_cookie == NULL) {
		net_http_error(c, 500, ADVICE_ERR_INTERNAL, "cannot start the login", 0);
		return;
	}
	c->resp_location = job->url;
	job->url = NULL;
	log_info("bank-ID login started from %s", c->peer);
	net_http_respond(c, 302, "{\"type\":\"ok\"}", 13);
}

/* Takes every authorization URL the signing thread made and answers its browser, if still
 * there. */
static void net_oidc_take_signed(struct net *n)
{
	struct oidc_signer *s = oidc_worker_signer(n->oidc_worker);
	struct oidc_sign_job job;

	while (oidc_signer_take(s, &job)) {
		struct net_conn *c = net_conn_find(n, job.conn_id);

		if (c != NULL && c->wsi != NULL && !c->is_ws && c->waiting_core)
			net_oidc_started(c, &job);
		if (job.url != NULL) {
			sodium_memzero(job.url, strlen(job.url));
			free(job.url);
		}
		sodium_memzero(&job, sizeof job);
	}
}

/* Refuses a callback before any back-channel work: logged, 400 bad_token, the login cookie
 * ended. Returns what net_oidc_fail returns. */
static int net_oidc_refuse(struct net_conn *c, int why)
{
	log_notice("bank-ID login refused from %s: %s", c->peer, oidc_result_text(why));
	return net_oidc_fail(c, 400, ADVICE_ERR_BAD_TOKEN, "bank-ID login refused", oidc_result_text(why));
}

static int net_oidc_callback(struct net *n, struct lws *wsi, struct net_conn *c)
{
	char token[OIDC_LOGIN_TOKEN_MAX + 8], state[96], err[64];
	int64_t now = (int64_t)time(NULL);
	struct oidc_job job;
	const char *v;
	int len, rc;

	if (!net_oidc_rate_ok(n, c))
		return 0;
	memset(&job, 0, sizeof job);
	if (lws_get_urlarg_by_name(wsi, "error=", err, sizeof err) != NULL) {
		log_notice("bank-ID login refused from %s: the identity provider returned an error", c->peer);
		return net_oidc_fail(c, 401, ADVICE_ERR_BAD_TOKEN,
				     "bank-ID login cancelled or refused at the identity provider", "");
	}
	len = net_cookie_get(wsi, OIDC_LOGIN_COOKIE, token, sizeof token);
	rc = len > 0 ? oidc_login_derive(n->pepper, token, (size_t)len, now, &job.login) : OIDC_NO_LOGIN;
	sodium_memzero(token, sizeof token);
	if (rc == OIDC_OK) {
		v = lws_get_urlarg_by_name(wsi, "state=", state, sizeof state);
		if (!oidc_state_matches(&job.login, v))
			rc = OIDC_BAD_STATE;
	}
	if (rc == OIDC_OK &&
	    ((v = lws_get_urlarg_by_name(wsi, "code=", job.code, sizeof job.code)) == NULL || v[0] == '\0'))
		rc = OIDC_NO_LOGIN;
	if (rc == OIDC_OK) {
		switch (net_oidc_mark_used(n, job.login.hash, now)) {
		case 1: break;
		case 0: rc = OIDC_LOGIN_USED; break;
		default: rc = OIDC_NOMEM; break;
		}
	}
	if (rc != OIDC_OK) {
		sodium_memzero(&job, sizeof job);
		return net_oidc_refuse(c, rc);
	}
	memmove(job.code, v, strlen(v) + 1);
	job.conn_id = c->id;
	rc = oidc_worker_submit(n->oidc_worker, &job);
	sodium_memzero(&job, sizeof job);
	if (rc != 0) {
		log_warn("bank-ID login refused from %s: the back channel is full", c->peer);
		return net_oidc_fail(c, 503, ADVICE_ERR_UNAVAILABLE, "server busy", "");
	}
	c->waiting_core = 1; /* a reply is pending (from the worker, then the core) */
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, OIDC_BROWSER_TIMEOUT_S);
	return 0;
}

int net_oidc_request(struct net *n, struct lws *wsi, struct net_conn *c, const char *path, int method)
{
	c->body_done = 1;
	if (method != LWSHUMETH_GET) {
		c->resp_allow = "GET";
		return net_http_error(c, 405, ADVICE_ERR_BAD_REQUEST, "method not allowed", 0);
	}
	if (n->oidc == NULL || n->oidc_worker == NULL || n->oidc_limit == NULL)
		return net_http_error(c, 404, ADVICE_ERR_NOT_FOUND, "bank-ID login is not configured", 0);
	if (strcmp(path, NET_OIDC_JWKS) == 0) {
		if (n->oidc_jwks == NULL)
			return net_http_error(c, 500, ADVICE_ERR_INTERNAL, "no keys", 0);
		return net_http_respond(c, 200, n->oidc_jwks, strlen(n->oidc_jwks));
	}
	if (strcmp(path, NET_OIDC_START) == 0)
		return net_oidc_start(n, c);
	return net_oidc_callback(n, wsi, c);
}

/* Hands a checked login to the core; answers the browser when that cannot be done. */
static void net_oidc_submit_login(struct net *n, struct net_conn *c, struct oidc_job *job)
{
	char hex[STORE_HASH_BYTES * 2 + 1];
	json_t *o;
	char *body;

	sodium_bin2hex(hex, sizeof hex, job->login.hash, sizeof job->login.hash);
	o = json_pack("{s:s, s:s, s:s, s:s}", "login", hex, "hetu", job->id.hetu, "acr", job->id.acr, "name",
		      job->id.name);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o); /* jansson does not wipe; the copy lives as long as this request */
	c->kind = CORE_REQ_LOGIN_BANK;
	if (body == NULL || n->draining ||
	    net_submit(n, c, CORE_REQ_LOGIN_BANK, body, strlen(body), NULL) != 0) {
		c->waiting_core = 0;
		net_oidc_fail(c, 503, ADVICE_ERR_UNAVAILABLE, "server busy", "");
	}
	if (body != NULL) {
		sodium_memzero(body, strlen(body));
		free(body);
	}
}

void net_oidc_take(struct net *n)
{
	struct oidc_job job;

	if (n->oidc_worker == NULL)
		return;
	net_oidc_take_signed(n);
	while (oidc_worker_take(n->oidc_worker, &job)) {
		struct net_conn *c = net_conn_find(n, job.conn_id);
		const char *why = job.result == OIDC_DECRYPT ? jose_result_text(job.sub_result)
				  : job.result == OIDC_TOKEN ? token_result_text(job.sub_result)
							     : "";

		if (job.result != OIDC_OK) {
			log_notice("bank-ID login refused from %s: %s%s%s", c ? c->peer : "(gone)",
				   oidc_result_text(job.result), why[0] ? ": " : "", why);
			if (c != NULL && c->wsi != NULL && !c->is_ws) {
				c->waiting_core = 0;
				net_oidc_fail(c, 401, ADVICE_ERR_BAD_TOKEN, "bank-ID login refused",
					      why[0] ? why : oidc_result_text(job.result));
			}
		} else if (c != NULL && c->wsi != NULL && !c->is_ws) {
			net_oidc_submit_login(n, c, &job);
		}
		sodium_memzero(&job, sizeof job);
	}
}

void net_oidc_finish(struct net *n, struct net_conn *c, struct core_reply *rep)
{
	net_oidc_clear_login_cookie(c);
	if (rep->http_status != 200) {
		net_http_respond(c, rep->http_status > 0 ? rep->http_status : 500,
				 rep->json ? rep->json : "{}", rep->json ? rep->len : 2);
		return;
	}
	c->resp_location = strdup(n->cfg->oidc_after_login);
	net_http_respond(c, 303, "{\"type\":\"ok\"}", 13);
}
