/*
 * test_bank_login.c - browserless end-to-end bank-ID login: the real adviced and the real
 * test bank (deploy/testbank, Node + the npm package jose) on free ports, driven by a
 * libcurl client the way a browser would: start -> the bank's page -> a test person ->
 * callback -> session cookie -> WebSocket welcome as a citizen. Also: cancel at the bank,
 * a wrong state, no login cookie, a login cookie used twice, the bank rotating its signing key
 * (refetch of its JWKS on the unknown kid), and no code, token or identity code in the log.
 * The bank answers its back channel 200 ms late: 60 junk callbacks, each with the state and
 * login cookie of a /start of its own, do not hold up a real login; callbacks without a
 * matching live cookie, or with a used one, make no token request at the bank (counted
 * there); and past the per-address limit /start and /callback answer 429 with retry_after.
 * A burst of /start from several addresses at once (each signs a request object) leaves a
 * signed-in citizen's WebSocket requests fast: the signing happens off the network thread,
 * and what its bounded queue cannot take is answered 503 with retry_after.
 * `adviced --check-config --fetch-discovery` against the bank's discovery document: the
 * initial configuration matches it; a wrong issuer or endpoint and an unreachable document
 * are each reported, with exit status 1.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "harness.h"
#include "itest.h"
#include "jose.h"

#define BANK_LATENCY_MS "200"
#define JUNK_LOGINS	60
/* The per-address limit of /start and /callback for this server: room for the flood from one
 * address (two requests a login), not for the 429 test's loop. */
#define RATE_CONF  "oidc_rate_per_minute = 60\noidc_rate_burst = 150\n"
#define RATE_BURST 150
/* The /start burst: addresses, requests from each (within the limit) and at once from each. */
#define FLOOD_ADDRESSES	  8
#define FLOOD_PER_ADDRESS 140
#define FLOOD_PARALLEL	  8 /* 64 at once in all: the signing queue's length */

static struct harness H;
static pid_t bank_pid;
static int bank_port;

struct resp {
	long status;
	long retry_after; /* the Retry-After header, 0 when none */
	char location[4096];
	char cookies[4][256]; /* "name=value" of each Set-Cookie */
	int ncookies;
	char *body;
	size_t len;
};

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;

	if (len > 10 && strncasecmp(buf, "location: ", 10) == 0)
		snprintf(r->location, sizeof r->location, "%.*s", (int)strcspn(buf + 10, "\r\n"), buf + 10);
	if (len > 13 && strncasecmp(buf, "retry-after: ", 13) == 0)
		r->retry_after = strtol(buf + 13, NULL, 10);
	if (len > 12 && strncasecmp(buf, "set-cookie: ", 12) == 0 && r->ncookies < 4)
		snprintf(r->cookies[r->ncookies++], 256, "%.*s", (int)strcspn(buf + 12, ";\r\n"), buf + 12);
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	char *b = realloc(r->body, r->len + size * n + 1);

	if (b == NULL)
		return 0;
	memcpy(b + r->len, buf, size * n);
	r->body = b;
	r->len += size * n;
	b[r->len] = '\0';
	return size * n;
}

/* GET (post NULL) or POST a form, without following redirects, with an optional Cookie,
 * from the source address `from` (NULL: the system's choice, 127.0.0.1 here). */
static void http_from(const char *from, const char *url, const char *post, const char *cookie, struct resp *r)
{
	CURL *c = curl_easy_init();
	char hdr[512];
	struct curl_slist *h = NULL;

	free(r->body);
	memset(r, 0, sizeof *r);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (from != NULL)
		curl_easy_setopt(c, CURLOPT_INTERFACE, from);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (cookie != NULL) {
		snprintf(hdr, sizeof hdr, "Cookie: %s", cookie);
		h = curl_slist_append(h, hdr);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	if (post != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

static void http(const char *url, const char *post, const char *cookie, struct resp *r)
{
	http_from(NULL, url, post, cookie, r);
}

/* The Set-Cookie "name=value" whose name is `name`, or NULL. */
static const char *cookie_named(const struct resp *r, const char *name)
{
	for (int i = 0; i < r->ncookies; i++)
		if (strncmp(r->cookies[i], name, strlen(name)) == 0 && r->cookies[i][strlen(name)] == '=')
			return r->cookies[i];
	return NULL;
}

static void start_bank(void)
{
	char src[512], script[600], env_port[64], env_redir[160], env_jwks[160];
	static char env_latency[] = "TESTBANK_LATENCY_MS=" BANK_LATENCY_MS;

	snprintf(src, sizeof src, "%s", getenv("ADVICE_SOURCE_DIR") ? getenv("ADVICE_SOURCE_DIR") : ".");
	snprintf(script, sizeof script, "%s/deploy/testbank/node_modules/jose", src);
	if (access(script, R_OK) != 0)
		fail_msg("the test bank's npm packages are missing: run `npm ci` in deploy/testbank "
			 "(deploy/dev/test.sh does)");
	snprintf(script, sizeof script, "%s/deploy/testbank/server.js", src);
	snprintf(env_port, sizeof env_port, "TESTBANK_PORT=%d", bank_port);
	snprintf(env_redir, sizeof env_redir,
		 "TESTBANK_REDIRECT_URIS=http://localhost:%d/api/v1/auth/bank/callback", H.port);
	snprintf(env_jwks, sizeof env_jwks, "TESTBANK_RP_JWKS=%s/api/v1/auth/jwks", H.base_url);
	bank_pid = fork();
	assert_true(bank_pid >= 0);
	if (bank_pid == 0) {
		char log[300];
		FILE *f;

		snprintf(log, sizeof log, "%s/testbank.log", H.dir);
		f = freopen(log, "w", stderr);
		(void)f;
		putenv(env_port);
		putenv(env_redir);
		putenv(env_jwks);
		putenv(env_latency);
		execlp("node", "node", script, (char *)NULL);
		_exit(127);
	}
}

/* Polls the bank's health endpoint (10 s at most). */
static void wait_bank(void)
{
	char url[128];
	struct resp r = { 0 };

	snprintf(url, sizeof url, "http://127.0.0.1:%d/health", bank_port);
	for (int i = 0; i < 200; i++) {
		http(url, NULL, NULL, &r);
		if (r.status == 200)
			break;
		usleep(50 * 1000);
	}
	free(r.body);
	assert_int_equal(r.status, 200);
}

static int setup(void **state)
{
	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (harness_start_with(&H, 0, RATE_CONF) != 0)
		return -1;
	bank_port = H.bank_port; /* free when the harness chose it; adviced.conf points at it */
	start_bank();
	wait_bank();
	return 0;
}

static int teardown(void **state)
{
	int rc;

	(void)state;
	if (bank_pid > 0) {
		kill(bank_pid, SIGTERM);
		waitpid(bank_pid, NULL, 0);
	}
	rc = harness_stop(&H);
	curl_global_cleanup();
	return rc;
}

/* A login up to the bank's page: the login cookie in *cookie, the page's auth id in auth. */
static void begin_login(char cookie[256], char auth[64])
{
	char url[128], next[4096];
	struct resp r = { 0 };
	const char *c, *p;

	snprintf(url, sizeof url, "%s/api/v1/auth/bank/start", H.base_url);
	http(url, NULL, NULL, &r);
	assert_int_equal(r.status, 302);
	c = cookie_named(&r, "__Host-advice-login");
	assert_non_null(c);
	snprintf(cookie, 256, "%s", c);
	assert_non_null(strstr(r.location,
			       "/authorize?client_id=advice-dev&response_type=code&scope=openid&request="));
	snprintf(next, sizeof next, "%s", r.location);
	http(next, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "010594Y9032"));
	p = strstr(r.body, "name=\"auth\" value=\"");
	assert_non_null(p);
	p += 19;
	snprintf(auth, 64, "%.*s", (int)strcspn(p, "\""), p);
	free(r.body);
}

/* Chooses a person (or cancels) at the bank; returns the callback URL. */
static void choose(const char *auth, const char *what, char cb[4096])
{
	char url[128], form[200];
	struct resp r = { 0 };

	snprintf(url, sizeof url, "http://127.0.0.1:%d/login", bank_port);
	snprintf(form, sizeof form, "auth=%s&%s", auth, what);
	http(url, form, NULL, &r);
	assert_int_equal(r.status, 302);
	snprintf(cb, 4096, "%s", r.location);
	free(r.body);
}

/* A whole login as person 0: the callback's HTTP status; on 303 the session token
 * (malloc'd) in *session, else NULL there. */
static long login_status(char **session)
{
	char cookie[256], auth[64], cb[4096];
	struct resp r = { 0 };
	const char *s;

	*session = NULL;
	begin_login(cookie, auth);
	choose(auth, "person=0", cb);
	http(cb, NULL, cookie, &r);
	if (r.status == 303) {
		assert_string_equal(r.location, "/");
		s = cookie_named(&r, "__Host-advice");
		assert_non_null(s);
		assert_non_null(cookie_named(&r, "__Host-advice-login")); /* cleared */
		*session = strdup(s + strlen("__Host-advice="));
	}
	free(r.body);
	return r.status;
}

/* A whole login as person 0; returns the session token (malloc'd). */
static char *login_as_citizen(void)
{
	char *session;

	assert_int_equal(login_status(&session), 303);
	assert_non_null(session);
	return session;
}

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_citizen_logs_in_at_the_bank(void **state)
{
	char *session = login_as_citizen();
	struct advice_conn *k;
	json_t *w;

	(void)state;
	assert_int_equal(strlen(session), 43);
	k = harness_connect(&H, session);
	assert_non_null(k);
	w = json_loads(advice_conn_welcome(k), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(w, "role")), "citizen");
	json_decref(w);
	advice_conn_free(k);
	/* the same person again: the same citizen account */
	{
		char *again = login_as_citizen();
		struct advice_conn *k2 = harness_connect(&H, again);
		json_t *w1, *w2;

		assert_non_null(k2);
		k = harness_connect(&H, session);
		w1 = json_loads(advice_conn_welcome(k), 0, NULL);
		w2 = json_loads(advice_conn_welcome(k2), 0, NULL);
		assert_string_equal(json_string_value(json_object_get(w1, "user")),
				    json_string_value(json_object_get(w2, "user")));
		assert_string_not_equal(session, again);
		json_decref(w1);
		json_decref(w2);
		advice_conn_free(k);
		advice_conn_free(k2);
		free(again);
	}
	assert_true(harness_log_contains(&H, "citizen bank-ID login of user"));
	assert_false(harness_log_contains(&H, "010594Y9032"));
	assert_false(harness_log_contains(&H, session));
	/* Nor the name the bank gave, and every line is of the log's key=value format. */
	assert_false(harness_log_contains(&H, "Aino"));
	assert_false(harness_log_contains(&H, "Testinen"));
	itest_log_lines_parse(&H);
	free(session);
}

static void test_cancel_at_the_bank(void **state)
{
	char cookie[256], auth[64], cb[4096];
	struct resp r = { 0 };

	(void)state;
	begin_login(cookie, auth);
	choose(auth, "cancel=1", cb);
	assert_non_null(strstr(cb, "error=access_denied"));
	http(cb, NULL, cookie, &r);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.body, "\"bad_token\""));
	assert_null(cookie_named(&r, "__Host-advice"));
	free(r.body);
	assert_true(harness_log_contains(&H, "the identity provider returned an error"));
}

static void test_wrong_state_and_missing_cookie(void **state)
{
	char cookie[256], auth[64], cb[4096], bad[4200], *st;
	struct resp r = { 0 };

	(void)state;
	begin_login(cookie, auth);
	choose(auth, "person=1", cb);
	st = strstr(cb, "state=");
	assert_non_null(st);
	snprintf(bad, sizeof bad, "%.*sstate=%c%s", (int)(st - cb), cb, st[6] == 'A' ? 'B' : 'A', st + 7);
	http(bad, NULL, cookie, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "state does not match"));
	http(cb, NULL, NULL, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "no login in progress"));
	/* another login's cookie with this state */
	{
		char other[256], auth2[64];

		begin_login(other, auth2);
		http(cb, NULL, other, &r);
		assert_int_equal(r.status, 400);
	}
	/* the right cookie still works: the code was not spent by the refusals */
	http(cb, NULL, cookie, &r);
	assert_int_equal(r.status, 303);
	/* the same return again: refused here, before the bank is asked */
	http(cb, NULL, cookie, &r);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "this login was used already"));
	assert_null(cookie_named(&r, "__Host-advice"));
	free(r.body);
	assert_true(harness_log_contains(&H, "state does not match this login"));
	assert_true(harness_log_contains(&H, "this login was used already"));
}

static void test_bank_rotates_its_key(void **state)
{
	char url[128];
	struct resp r = { 0 };
	char *session;
	long long deadline;
	long status;

	(void)state;
	free(login_as_citizen()); /* keys fetched */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/admin/rotate", bank_port);
	http(url, "", NULL, &r);
	assert_int_equal(r.status, 200);
	free(r.body);
	/* Tokens under the new key id are refused until adviced refetches the bank's JWKS, which
	 * it does on an unknown key id at most every oidc_jwks_refetch_s (1 in the test
	 * configuration): logins succeed again within seconds. */
	deadline = monotonic_ms() + 15000;
	while ((status = login_status(&session)) != 303 && monotonic_ms() < deadline) {
		assert_int_equal(status, 401);
		usleep(100 * 1000);
	}
	assert_int_equal(status, 303);
	assert_non_null(session);
	free(session);
}

/* The number of token requests the bank has had. */
static long bank_token_requests(void)
{
	char url[128];
	struct resp r = { 0 };
	json_t *o;
	long n;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/admin/stats", bank_port);
	http(url, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	o = json_loads(r.body, 0, NULL);
	assert_true(json_is_integer(json_object_get(o, "token_requests")));
	n = (long)json_integer_value(json_object_get(o, "token_requests"));
	json_decref(o);
	free(r.body);
	return n;
}

/* A /start from the address `from`, as an attacker's script makes it: the login cookie in
 * `cookie` and the state, read from the signed request object in the redirect, in `state`. */
static void start_from(const char *from, char cookie[256], char state[64])
{
	char url[128], *req, *dec;
	struct resp r = { 0 };
	unsigned char payload[4096];
	const char *c, *p, *dot1, *dot2;
	size_t len = 0;
	json_t *o;
	int declen = 0;
	CURL *curl = curl_easy_init();

	snprintf(url, sizeof url, "%s/api/v1/auth/bank/start", H.base_url);
	http_from(from, url, NULL, NULL, &r);
	assert_int_equal(r.status, 302);
	c = cookie_named(&r, "__Host-advice-login");
	assert_non_null(c);
	snprintf(cookie, 256, "%s", c);
	p = strstr(r.location, "request=");
	assert_non_null(p);
	p += 8;
	req = strndup(p, strcspn(p, "&"));
	dec = curl_easy_unescape(curl, req, 0, &declen);
	assert_non_null(dec);
	dot1 = strchr(dec, '.');
	assert_non_null(dot1);
	dot2 = strchr(dot1 + 1, '.');
	assert_non_null(dot2);
	assert_int_equal(sodium_base642bin(payload, sizeof payload - 1, dot1 + 1, (size_t)(dot2 - dot1 - 1),
					   NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
			 0);
	o = json_loadb((const char *)payload, len, 0, NULL);
	assert_non_null(json_string_value(json_object_get(o, "state")));
	snprintf(state, 64, "%s", json_string_value(json_object_get(o, "state")));
	json_decref(o);
	curl_free(dec);
	free(req);
	free(r.body);
	curl_easy_cleanup(curl);
}

/* The junk callbacks, sent all at once from one address by a thread of their own. */
struct junk {
	char cookie[JUNK_LOGINS][256], state[JUNK_LOGINS][64];
	long status[JUNK_LOGINS];
	long long done_ms; /* when the last answer came */
};

static size_t discard(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	(void)arg;
	return size * n;
}

static void *junk_send(void *arg)
{
	struct junk *j = arg;
	CURLM *m = curl_multi_init();
	CURL *e[JUNK_LOGINS];
	struct curl_slist *h[JUNK_LOGINS];
	char url[512], hdr[300];
	int running = 1;
	CURLMsg *msg;
	int left;

	for (int i = 0; i < JUNK_LOGINS; i++) {
		snprintf(url, sizeof url, "%s/api/v1/auth/bank/callback?code=junk-%d&state=%s", H.base_url, i,
			 j->state[i]);
		snprintf(hdr, sizeof hdr, "Cookie: %s", j->cookie[i]);
		e[i] = curl_easy_init();
		h[i] = curl_slist_append(NULL, hdr);
		curl_easy_setopt(e[i], CURLOPT_URL, url);
		curl_easy_setopt(e[i], CURLOPT_INTERFACE, "127.0.0.2");
		curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, h[i]);
		curl_easy_setopt(e[i], CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(e[i], CURLOPT_PRIVATE, (char *)&j->status[i]);
		curl_multi_add_handle(m, e[i]);
	}
	while (running > 0) {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			char *p = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, (long *)(void *)p);
		}
		if (running > 0)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	j->done_ms = monotonic_ms();
	for (int i = 0; i < JUNK_LOGINS; i++) {
		curl_multi_remove_handle(m, e[i]);
		curl_easy_cleanup(e[i]);
		curl_slist_free_all(h[i]);
	}
	curl_multi_cleanup(m);
	return NULL;
}

/* A callback with `state` and (when not NULL) `cookie` from `from`: its status, and its body
 * must name `why`. */
static void callback_refused(const char *from, const char *state, const char *cookie, long status,
			     const char *why)
{
	char url[512];
	struct resp r = { 0 };

	snprintf(url, sizeof url, "%s/api/v1/auth/bank/callback?code=junk&state=%s", H.base_url, state);
	http_from(from, url, NULL, cookie, &r);
	assert_int_equal(r.status, status);
	if (r.body == NULL || strstr(r.body, why) == NULL)
		fail_msg("'%s' is not in: %s", why, r.body ? r.body : "(nothing)");
	free(r.body);
}

/* Issue 13, defect 9: with the bank 200 ms slow, 60 callbacks with junk codes (each with the
 * cookie and state of a /start of its own, all in flight at once) delayed a real login past
 * 10 s when the back channel took one request after another. Now the real login's return,
 * made while they are at the bank, is answered within 5 s; each junk callback costs the bank one token
 * request, and only one: the same cookies again, states without their cookie and a cookie with another
 * login's state cost none. */
static void test_junk_callbacks_do_not_stall_a_login(void **state)
{
	static struct junk j;
	char cookie[256], auth[64], cb[4096];
	struct resp r = { 0 };
	pthread_t t;
	long before, after;
	long long t0, took;

	(void)state;
	free(login_as_citizen()); /* the bank's keys fetched */
	before = bank_token_requests();
	for (int i = 0; i < JUNK_LOGINS; i++)
		start_from("127.0.0.2", j.cookie[i], j.state[i]);
	begin_login(cookie, auth);
	choose(auth, "person=0", cb);
	/* the real return comes once the junk is at the bank, all of it sent */
	assert_int_equal(pthread_create(&t, NULL, junk_send, &j), 0);
	for (int i = 0; i < 1000 && bank_token_requests() == before; i++)
		usleep(10 * 1000);
	assert_true(bank_token_requests() > before);
	t0 = monotonic_ms();
	http(cb, NULL, cookie, &r);
	took = monotonic_ms() - t0;
	assert_int_equal(pthread_join(t, NULL), 0);
	print_message(
		"the real login's return took %lld ms; the %d junk callbacks ended %lld ms after it began\n",
		took, JUNK_LOGINS, j.done_ms - t0);
	assert_int_equal(r.status, 303);
	assert_non_null(cookie_named(&r, "__Host-advice"));
	free(r.body);
	assert_true(took < 5000);
	for (int i = 0; i < JUNK_LOGINS; i++)
		assert_int_equal(j.status[i], 401); /* the bank refused the junk code */
	after = bank_token_requests();
	assert_int_equal(after - before, JUNK_LOGINS + 1);

	/* no back channel for: the same cookies again, the states without a cookie, a cookie
	 * with another login's state */
	for (int i = 0; i < JUNK_LOGINS; i++) {
		callback_refused("127.0.0.4", j.state[i], j.cookie[i], 400, "this login was used already");
		callback_refused("127.0.0.5", j.state[i], NULL, 400, "no login in progress");
	}
	start_from("127.0.0.4", cookie, auth);
	callback_refused("127.0.0.4", j.state[0], cookie, 400, "state does not match");
	assert_int_equal(bank_token_requests(), after);
	assert_true(harness_log_contains(&H, "this login was used already"));
}

/* Past the limit per address (oidc_rate_burst at once), /start and /callback answer 429
 * rate_limited with retry_after, in the body and as Retry-After; another address is not
 * affected. */
static void test_rate_limited_per_address(void **state)
{
	char url[256];
	struct resp r = { 0 };
	int allowed = 0;
	json_t *o;

	(void)state;
	snprintf(url, sizeof url, "%s/api/v1/auth/bank/start", H.base_url);
	for (int i = 0; i < RATE_BURST + 20; i++) {
		http_from("127.0.0.3", url, NULL, NULL, &r);
		if (r.status != 302)
			break;
		allowed++;
	}
	/* the burst, and at most what refilled (one a second) while the loop ran */
	assert_in_range(allowed, RATE_BURST, RATE_BURST + 10);
	assert_int_equal(r.status, 429);
	o = json_loads(r.body, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "type")), "error");
	assert_string_equal(json_string_value(json_object_get(o, "code")), "rate_limited");
	assert_true(json_is_integer(json_object_get(o, "retry_after")));
	assert_in_range(json_integer_value(json_object_get(o, "retry_after")), 1, 60);
	assert_int_equal(r.retry_after, json_integer_value(json_object_get(o, "retry_after")));
	assert_null(cookie_named(&r, "__Host-advice-login"));
	json_decref(o);
	/* the callback shares the limit */
	snprintf(url, sizeof url, "%s/api/v1/auth/bank/callback?code=x&state=y", H.base_url);
	http_from("127.0.0.3", url, NULL, NULL, &r);
	assert_int_equal(r.status, 429);
	assert_non_null(strstr(r.body, "\"retry_after\":"));
	/* another address is served */
	snprintf(url, sizeof url, "%s/api/v1/auth/bank/start", H.base_url);
	http_from("127.0.0.6", url, NULL, NULL, &r);
	assert_int_equal(r.status, 302);
	free(r.body);
}

/* One address's part of the /start burst, and what it got. */
struct flood {
	char from[24];
	int found, busy, other; /* 302s, 503s with retry_after, anything else */
	int done;		/* set (atomically) when every request was answered */
};

/* Sends FLOOD_PER_ADDRESS /start requests from f->from, FLOOD_PARALLEL at once, and counts
 * the answers. */
static void *flood_send(void *arg)
{
	struct flood *f = arg;
	CURLM *m = curl_multi_init();
	struct resp *r = calloc(FLOOD_PER_ADDRESS, sizeof *r);
	char url[256];
	int sent = 0, running = 1, left;
	CURLMsg *msg;

	snprintf(url, sizeof url, "%s/api/v1/auth/bank/start", H.base_url);
	while (running > 0 || sent < FLOOD_PER_ADDRESS) {
		while (sent < FLOOD_PER_ADDRESS && sent - (f->found + f->busy + f->other) < FLOOD_PARALLEL) {
			CURL *e = curl_easy_init();

			curl_easy_setopt(e, CURLOPT_URL, url);
			curl_easy_setopt(e, CURLOPT_INTERFACE, f->from);
			curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
			curl_easy_setopt(e, CURLOPT_HEADERDATA, &r[sent]);
			curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
			curl_easy_setopt(e, CURLOPT_WRITEDATA, &r[sent]);
			curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)&r[sent]);
			curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
			curl_multi_add_handle(m, e);
			sent++;
		}
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct resp *one = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&one);
			if (msg->data.result == CURLE_OK)
				curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &one->status);
			if (one->status == 302 && cookie_named(one, "__Host-advice-login") != NULL)
				f->found++;
			else if (one->status == 503 && one->retry_after >= 1 && one->body != NULL &&
				 strstr(one->body, "\"code\":\"unavailable\"") != NULL)
				f->busy++;
			else
				f->other++;
			free(one->body);
			one->body = NULL;
			curl_multi_remove_handle(m, msg->easy_handle);
			curl_easy_cleanup(msg->easy_handle);
		}
		if (running > 0 || sent < FLOOD_PER_ADDRESS)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	free(r);
	curl_multi_cleanup(m);
	__atomic_store_n(&f->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* The median time, in milliseconds, of one RS256 signature with a fresh 2048-bit key here. */
static double signature_ms(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	long long t[21];
	struct timespec a, b;

	assert_non_null(k);
	for (int i = 0; i < 21; i++) {
		char *jws;

		clock_gettime(CLOCK_MONOTONIC, &a);
		jws = jose_sign_rs256(k, "kid", "{\"iss\":\"advice\"}");
		clock_gettime(CLOCK_MONOTONIC, &b);
		assert_non_null(jws);
		free(jws);
		t[i] = (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	}
	qsort(t, 21, sizeof t[0], cmp_ll);
	EVP_PKEY_free(k);
	return (double)t[10] / 1e6;
}

#define SAMPLES_MAX 1000

/*
 * A burst of /start from FLOOD_ADDRESSES addresses (FLOOD_PARALLEL at once from each, within
 * each address's limit) while a signed-in citizen makes requests over its WebSocket at a
 * person's pace. Signing on the network thread, each request would wait behind the signatures
 * of the /start requests in flight (up to FLOOD_ADDRESSES * FLOOD_PARALLEL); off it, behind
 * none. So the median wait while every address floods is bounded by a quarter of that (plus
 * 5 ms), and the worst by the whole burst's signatures plus half a second. Every /start is
 * answered 302 with a login cookie or, when the signing queue is full, 503 unavailable with
 * retry_after; after the burst /start works again.
 */
static void test_start_burst_keeps_the_loop_free(void **state)
{
	struct flood f[FLOOD_ADDRESSES];
	pthread_t th[FLOOD_ADDRESSES];
	char *session = login_as_citizen(), url[256];
	struct advice_conn *k = harness_connect(&H, session);
	struct timespec pace = { 0, 10 * 1000000 };
	double sign_ms = signature_ms(), median_bound, worst_bound;
	long long *lat = calloc(SAMPLES_MAX, sizeof *lat), worst = 0, t0;
	int n = 0, done = 0, found = 0, busy = 0, other = 0;
	struct resp r = { 0 };

	(void)state;
	assert_non_null(k);
	assert_non_null(lat);
	median_bound = FLOOD_ADDRESSES * FLOOD_PARALLEL * sign_ms / 4 + 5.0;
	worst_bound = FLOOD_ADDRESSES * FLOOD_PER_ADDRESS * sign_ms + 500.0;
	json_decref(itest_request(k, "ok", "{\"type\":\"categories.list\",\"id\":\"warm\"}"));
	memset(f, 0, sizeof f);
	for (int i = 0; i < FLOOD_ADDRESSES; i++) {
		snprintf(f[i].from, sizeof f[i].from, "127.0.0.%d", 20 + i);
		assert_int_equal(pthread_create(&th[i], NULL, flood_send, &f[i]), 0);
	}
	/* measured while every address is still sending */
	while (done == 0 && n < SAMPLES_MAX) {
		t0 = monotonic_ms();
		json_decref(itest_request(k, "ok", "{\"type\":\"categories.list\",\"id\":\"p%d\"}", n));
		lat[n] = monotonic_ms() - t0;
		worst = lat[n] > worst ? lat[n] : worst;
		n++;
		nanosleep(&pace, NULL); /* a person's pace, not a flood of its own */
		for (int i = 0; i < FLOOD_ADDRESSES; i++)
			done += __atomic_load_n(&f[i].done, __ATOMIC_SEQ_CST);
	}
	for (int i = 0; i < FLOOD_ADDRESSES; i++) {
		pthread_join(th[i], NULL);
		found += f[i].found;
		busy += f[i].busy;
		other += f[i].other;
	}
	qsort(lat, (size_t)n, sizeof lat[0], cmp_ll);
	print_message(
		"/start burst: %d found, %d busy (503), %d other; %d requests of the citizen meanwhile, "
		"median %lld ms (bound %.1f), worst %lld ms (bound %.0f); one signature %.2f ms\n",
		found, busy, other, n, lat[n / 2], median_bound, worst, worst_bound, sign_ms);
	assert_int_equal(other, 0);
	assert_int_equal(found + busy, FLOOD_ADDRESSES * FLOOD_PER_ADDRESS);
	assert_true(found >= FLOOD_ADDRESSES * FLOOD_PARALLEL);
	assert_true(n >= 5);
	assert_true((double)lat[n / 2] <= median_bound);
	assert_true((double)worst <= worst_bound);
	snprintf(url, sizeof url, "%s/api/v1/auth/bank/start", H.base_url);
	http_from("127.0.0.31", url, NULL, NULL, &r);
	assert_int_equal(r.status, 302);
	assert_non_null(cookie_named(&r, "__Host-advice-login"));
	free(r.body);
	free(lat);
	advice_conn_free(k);
	free(session);
}

static void test_jwks_published(void **state)
{
	char url[128];
	struct resp r = { 0 };
	json_t *o;

	(void)state;
	snprintf(url, sizeof url, "%s/api/v1/auth/jwks", H.base_url);
	http(url, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	o = json_loads(r.body, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(o, "keys")), 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(o, "keys"), 0), "use")),
		"sig");
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(o, "keys"), 1), "use")),
		"enc");
	assert_null(json_object_get(json_array_get(json_object_get(o, "keys"), 0), "d"));
	json_decref(o);
	free(r.body);
}

/* `adviced -c <dir>/<conf> --check-config --fetch-discovery=<the bank's document>`'s exit
 * status, with its stdout and stderr (malloc'd). */
static int check_discovery(const char *conf, int port, char **out, char **err)
{
	char path[300], flag[160];
	const char *args[] = { "-c", path, "--check-config", flag, NULL };

	snprintf(path, sizeof path, "%s/%s", H.dir, conf);
	snprintf(flag, sizeof flag, "--fetch-discovery=http://127.0.0.1:%d/.well-known/openid-configuration",
		 port);
	return harness_adviced_run(&H, args, out, err);
}

static void expect_in(const char *text, const char *needle)
{
	if (text == NULL || strstr(text, needle) == NULL)
		fail_msg("'%s' is not in:\n%s", needle, text ? text : "(nothing)");
}

/* adviced.conf with each line that starts with `from` replaced by `to`, written to <dir>/<name>. */
static void conf_variant(const char *name, const char *from, const char *to, const char *from2,
			 const char *to2)
{
	char path[300], line[1024];
	FILE *in, *out;

	snprintf(path, sizeof path, "%s/adviced.conf", H.dir);
	in = fopen(path, "r");
	assert_non_null(in);
	snprintf(path, sizeof path, "%s/%s", H.dir, name);
	out = fopen(path, "w");
	assert_non_null(out);
	while (fgets(line, sizeof line, in) != NULL) {
		if (strncmp(line, from, strlen(from)) == 0)
			fprintf(out, "%s\n", to);
		else if (strncmp(line, from2, strlen(from2)) == 0)
			fprintf(out, "%s\n", to2);
		else
			fputs(line, out);
	}
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static void test_check_config_fetches_discovery(void **state)
{
	char *out = NULL, *err = NULL, want[200];
	const char *args[] = { "-c", "x.conf", "--fetch-discovery", NULL };

	(void)state;
	assert_int_equal(check_discovery("adviced.conf", bank_port, &out, &err), 0);
	expect_in(out, "configuration OK");
	expect_in(out, "matches the identity provider's discovery document");
	free(out);
	free(err);

	conf_variant("wrong.conf", "idp_issuer =", "idp_issuer = https://other.example",
		     "oidc_token_url =", "oidc_token_url = http://127.0.0.1:1/token");
	assert_int_equal(check_discovery("wrong.conf", bank_port, &out, &err), 1);
	expect_in(err, "wrong.conf: issuer: the provider says 'https://testbank.localhost', idp_issuer is "
		       "'https://other.example'");
	snprintf(want, sizeof want,
		 "wrong.conf: token_endpoint: the provider says 'http://127.0.0.1:%d/token', "
		 "oidc_token_url is 'http://127.0.0.1:1/token'",
		 bank_port);
	expect_in(err, want);
	expect_in(err, "2 differences from the identity provider's discovery document");
	assert_null(strstr(err, "authorization_endpoint")); /* localhost and 127.0.0.1: the same */
	assert_null(strstr(out, "matches"));
	free(out);
	free(err);

	assert_int_equal(check_discovery("adviced.conf", harness_free_port(), &out, &err), 1);
	expect_in(err, "cannot fetch the discovery document http://127.0.0.1:");
	free(out);
	free(err);

	/* Only with --check-config. */
	assert_int_equal(harness_adviced_run(&H, args, &out, &err), 2);
	expect_in(err, "usage: adviced");
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwks_published),
		cmocka_unit_test(test_citizen_logs_in_at_the_bank),
		cmocka_unit_test(test_cancel_at_the_bank),
		cmocka_unit_test(test_wrong_state_and_missing_cookie),
		cmocka_unit_test(test_bank_rotates_its_key),
		cmocka_unit_test(test_junk_callbacks_do_not_stall_a_login),
		cmocka_unit_test(test_rate_limited_per_address),
		cmocka_unit_test(test_start_burst_keeps_the_loop_free),
		cmocka_unit_test(test_check_config_fetches_discovery),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
