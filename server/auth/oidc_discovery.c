/*
 * oidc_discovery.c - the identity provider's discovery document against our settings
 * (oidc_discovery.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "oidc.h"
#include "oidc_discovery.h"
#include "token.h"

#define DISCOVERY_MAX	    (256 * 1024)
#define DISCOVERY_TIMEOUT_S 10

struct body {
	char *data;
	size_t len;
};

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	char *d;

	if (b->len + n > DISCOVERY_MAX || (d = realloc(b->data, b->len + n + 1)) == NULL)
		return 0;
	memcpy(d + b->len, ptr, n);
	b->data = d;
	b->len += n;
	d[b->len] = '\0';
	return n;
}

/* GETs `url` into *out (malloc'd, NUL-terminated). 0 on a 200 with a body, else -1 with the
 * reason (curl's, or the HTTP status) in `err`. */
static int http_get(const char *url, struct body *out, char *err, size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	CURL *curl = curl_easy_init();
	long status = 0;
	CURLcode rc;

	memset(out, 0, sizeof *out);
	if (curl == NULL) {
		snprintf(err, errlen, "libcurl cannot start");
		return -1;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)DISCOVERY_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
	else if (status != 200 || out->data == NULL)
		snprintf(err, errlen, "HTTP status %ld", status);
	else
		return 0;
	free(out->data);
	out->data = NULL;
	return -1;
}

static void __attribute__((format(printf, 3, 4)))
report_f(oidc_discovery_report_fn report, void *arg, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report(arg, msg);
}

int oidc_discovery_url(const char *issuer, char *out, size_t size)
{
	size_t len = strlen(issuer);
	int n;

	while (len > 0 && issuer[len - 1] == '/')
		len--;
	n = snprintf(out, size, "%.*s/.well-known/openid-configuration", (int)len, issuer);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The length of a loopback host name at `s` (localhost, 127.0.0.1, [::1]); 0 when none. */
static size_t loopback_len(const char *s)
{
	static const char *const names[] = { "localhost", "127.0.0.1", "[::1]" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t n = strlen(names[i]);

		if (strncmp(s, names[i], n) == 0 && (s[n] == ':' || s[n] == '/' || s[n] == '\0'))
			return n;
	}
	return 0;
}

/* Whether two URLs are equal, or differ only in naming this machine (localhost, 127.0.0.1). */
static int same_endpoint(const char *a, const char *b)
{
	const char *ha = strstr(a, "://"), *hb = strstr(b, "://");
	size_t la, lb;

	if (strcmp(a, b) == 0)
		return 1;
	if (ha == NULL || hb == NULL || ha - a != hb - b || strncmp(a, b, (size_t)(ha - a)) != 0)
		return 0;
	la = loopback_len(ha + 3);
	lb = loopback_len(hb + 3);
	return la > 0 && lb > 0 && strcmp(ha + 3 + la, hb + 3 + lb) == 0;
}

/* One member of the document against the setting it should equal; 1 when they differ. */
static int compare_member(json_t *doc, const char *member, const char *setting, const char *want,
			  oidc_discovery_report_fn report, void *arg)
{
	const char *got = json_string_value(json_object_get(doc, member));

	if (want == NULL || want[0] == '\0')
		return 0;
	if (got == NULL) {
		report_f(report, arg, "the document has no %s (%s is '%s')", member, setting, want);
		return 1;
	}
	if (strcmp(member, "issuer") == 0 ? strcmp(got, want) == 0 : same_endpoint(got, want))
		return 0;
	report_f(report, arg, "%s: the provider says '%s', %s is '%s'", member, got, setting, want);
	return 1;
}

/* Fetches the JWKS and reports when it holds no key we can use; 1 for a problem. */
static int check_jwks(const char *url, oidc_discovery_report_fn report, void *arg)
{
	struct token_key *keys = NULL;
	struct body b;
	size_t nkeys = 0;
	char err[256];
	int rc;

	if (http_get(url, &b, err, sizeof err) != 0) {
		report_f(report, arg, "the provider's keys %s: %s", url, err);
		return 1;
	}
	rc = oidc_jwks_to_keys(b.data, b.len, &keys, &nkeys, err, sizeof err);
	free(b.data);
	if (rc != 0 || nkeys == 0) {
		report_f(report, arg, "the provider's keys %s: %s", url, rc != 0 ? err : "no usable key");
		token_keys_free(keys, nkeys);
		return 1;
	}
	token_keys_free(keys, nkeys);
	return 0;
}

int oidc_discovery_check(const char *url, const struct oidc_discovery_expect *want,
			 oidc_discovery_report_fn report, void *arg)
{
	const char *jwks;
	struct body b;
	char err[256];
	int problems = 0;
	json_t *doc;

	if (http_get(url, &b, err, sizeof err) != 0) {
		report_f(report, arg, "cannot fetch the discovery document %s: %s", url, err);
		return 1;
	}
	doc = json_loadb(b.data, b.len, 0, NULL);
	free(b.data);
	if (!json_is_object(doc)) {
		report_f(report, arg, "the discovery document %s is not a JSON object", url);
		json_decref(doc);
		return 1;
	}
	problems += compare_member(doc, "issuer", "idp_issuer", want->issuer, report, arg);
	problems += compare_member(doc, "authorization_endpoint", "oidc_authorize_url", want->authorize_url,
				   report, arg);
	problems += compare_member(doc, "token_endpoint", "oidc_token_url", want->token_url, report, arg);
	problems += compare_member(doc, "jwks_uri", "oidc_jwks_url", want->jwks_url, report, arg);
	jwks = want->jwks_url != NULL && want->jwks_url[0] != '\0'
		       ? want->jwks_url
		       : json_string_value(json_object_get(doc, "jwks_uri"));
	if (jwks != NULL)
		problems += check_jwks(jwks, report, arg);
	json_decref(doc);
	return problems;
}
