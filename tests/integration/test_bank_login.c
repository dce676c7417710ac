/*
 * test_bank_login.c - browserless end-to-end bank-ID login: the real adviced and the real
 * test bank (deploy/testbank, Node + the npm package jose) on free ports, driven by a
 * libcurl client the way a browser would: start -> the bank's page -> a test person ->
 * callback -> session cookie -> WebSocket welcome as a citizen. Also: cancel at the bank,
 * a wrong state, no login cookie, a code used twice, the bank rotating its signing key
 * (refetch of its JWKS on the unknown kid), and no code, token or identity code in the log.
 * `adviced --check-config --fetch-discovery` against the bank's discovery document: the
 * initial configuration matches it; a wrong issuer or endpoint and an unreachable document
 * are each reported, with exit status 1.
 */
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

#include "harness.h"

static struct harness H;
static pid_t bank_pid;
static int bank_port;

struct resp {
	long status;
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

/* GET (post NULL) or POST a form, without following redirects, with an optional Cookie. */
static void http(const char *url, const char *post, const char *cookie, struct resp *r)
{
	CURL *c = curl_easy_init();
	char hdr[512];
	struct curl_slist *h = NULL;

	free(r->body);
	memset(r, 0, sizeof *r);
	curl_easy_setopt(c, CURLOPT_URL, url);
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
	if (harness_start(&H) != 0)
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
	/* the same return again: the code is spent at the bank */
	http(cb, NULL, cookie, &r);
	assert_int_equal(r.status, 401);
	assert_null(cookie_named(&r, "__Host-advice"));
	free(r.body);
	assert_true(harness_log_contains(&H, "state does not match this login"));
	assert_true(harness_log_contains(&H, "token request refused or failed"));
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
		cmocka_unit_test(test_check_config_fetches_discovery),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
