/*
 * test_tls.c - adviced's own TLS listener (tls_cert, tls_key) with certificates a test CA
 * made at run time: the pages and the API over https, the WebSocket over wss with a protocol
 * round trip through libadvice (which verifies the certificate against the test CA), TLS 1.0
 * and 1.1 and weak TLS 1.2 ciphers refused, the certificate reloaded on SIGHUP while an open
 * connection carries on, a bad pair on SIGHUP refused with the old one still served, the
 * log level re-read on SIGHUP, and libadvice's clear refusals of a certificate from another
 * CA, for another host name, or expired.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "advice.h"
#include "harness.h"
#include "itest.h"
#include "sink.h"

#define NAMES	 "DNS:localhost,IP:127.0.0.1"
#define WAIT_MS	 10000
#define POLL_MS	 50
#define DAY_S	 86400L
#define HOUR_S	 3600L
#define HTTP_MAX (256 * 1024)

struct fx {
	struct harness h;
	char dir[128];
	char ca_file[192], other_ca_file[192], cert[192], key[192];
	struct sink_ca *ca, *other;
};

/* How a raw test client shakes hands. */
struct tls_try {
	int min_version, max_version; /* 0: OpenSSL's bounds */
	const char *ciphers;	      /* TLS 1.2 cipher list, NULL: the default */
	int seclevel0;		      /* lower OpenSSL's security level so that old versions are tried */
	const char *ca_file;	      /* verify against it (host localhost); NULL: no verification */
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A TCP connection to 127.0.0.1:port with a 5 s receive timeout; -1 on failure. */
static int tcp_connect(int port)
{
	struct sockaddr_in a = { 0 };
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A client context as `t` says; fails the test when OpenSSL cannot make it. */
static SSL_CTX *try_ctx(const struct tls_try *t)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	assert_non_null(ctx);
	if (t->seclevel0)
		SSL_CTX_set_security_level(ctx, 0);
	if (t->min_version)
		assert_int_equal(SSL_CTX_set_min_proto_version(ctx, t->min_version), 1);
	if (t->max_version)
		assert_int_equal(SSL_CTX_set_max_proto_version(ctx, t->max_version), 1);
	if (t->ciphers != NULL)
		assert_int_equal(SSL_CTX_set_cipher_list(ctx, t->ciphers), 1);
	if (t->ca_file != NULL) {
		assert_int_equal(SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL), 1);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
}

/*
 * A TLS handshake with adviced as `t` says, SNI and (when verifying) host name "localhost".
 * Returns the connection after a completed handshake (the caller frees it with
 * tls_close), or NULL when the handshake failed.
 */
static SSL *tls_open(int port, const struct tls_try *t)
{
	SSL_CTX *ctx = try_ctx(t);
	SSL *ssl = SSL_new(ctx);
	int fd = tcp_connect(port);

	SSL_CTX_free(ctx); /* the SSL keeps its reference */
	assert_non_null(ssl);
	assert_true(fd >= 0);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	if (t->ca_file != NULL)
		assert_int_equal(SSL_set1_host(ssl, "localhost"), 1);
	if (SSL_connect(ssl) != 1) {
		ERR_clear_error();
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	return ssl;
}

static void tls_close(SSL *ssl)
{
	int fd = SSL_get_fd(ssl);

	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
}

/* Whether a handshake as `t` says completes; when it does, *version and *cipher (either may
 * be NULL) get what was negotiated. */
static int tls_accepted(int port, const struct tls_try *t, int *version, char cipher[64])
{
	SSL *ssl = tls_open(port, t);

	if (ssl == NULL)
		return 0;
	if (version != NULL)
		*version = SSL_version(ssl);
	if (cipher != NULL)
		snprintf(cipher, 64, "%s", SSL_get_cipher_name(ssl));
	tls_close(ssl);
	return 1;
}

/* The serial number (hex) of the certificate the server presents now, into out. */
static void served_serial(int port, char out[80])
{
	struct tls_try t = { 0 };
	SSL *ssl = tls_open(port, &t);
	X509 *x;
	BIGNUM *bn;
	char *hex;

	assert_non_null(ssl);
	x = SSL_get1_peer_certificate(ssl);
	assert_non_null(x);
	bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x), NULL);
	hex = BN_bn2hex(bn);
	snprintf(out, 80, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	tls_close(ssl);
}

/* The serial number (hex) of the certificate in the PEM file `path`. */
static void file_serial(const char *path, char out[80])
{
	FILE *f = fopen(path, "r");
	X509 *x;
	BIGNUM *bn;
	char *hex;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x), NULL);
	hex = BN_bn2hex(bn);
	snprintf(out, 80, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
}

/*
 * GET `path` over https (verified against the test CA), "Connection: close": the status,
 * and the body after the headers in *body (malloc'd). Fails the test when no answer comes.
 */
static int https_get(struct fx *f, const char *path, char **body)
{
	struct tls_try t = { .ca_file = f->ca_file };
	SSL *ssl = tls_open(f->h.port, &t);
	char req[512], *buf = malloc(HTTP_MAX + 1), *end;
	size_t len = 0;
	int n, status = 0;

	assert_non_null(ssl);
	assert_non_null(buf);
	n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost:%d\r\nConnection: close\r\n\r\n",
		     path, f->h.port);
	assert_int_equal(SSL_write(ssl, req, n), n);
	while (len < HTTP_MAX && (n = SSL_read(ssl, buf + len, (int)(HTTP_MAX - len))) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	tls_close(ssl);
	assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &status), 1);
	end = strstr(buf, "\r\n\r\n");
	assert_non_null(end);
	*body = strdup(end + 4);
	free(buf);
	return status;
}

/* Waits until the log has `text`: 0, or -1 after WAIT_MS. */
static int wait_log(struct harness *h, const char *text)
{
	for (int waited = 0; waited < WAIT_MS; waited += POLL_MS) {
		if (harness_log_contains(h, text))
			return 0;
		sleep_ms(POLL_MS);
	}
	fprintf(stderr, "the log never said: %s\n", text);
	return -1;
}

/* SIGHUP, then waits until the server presents the certificate of `cert_path`. */
static void reload_to(struct fx *f, const char *cert_path)
{
	char want[80], got[80] = "";

	file_serial(cert_path, want);
	assert_int_equal(kill(f->h.pid, SIGHUP), 0);
	for (int waited = 0; waited < WAIT_MS; waited += POLL_MS) {
		served_serial(f->h.port, got);
		if (strcmp(got, want) == 0)
			return;
		sleep_ms(POLL_MS);
	}
	fail_msg("the served certificate is still %s, not %s", got, want);
}

/* A citizen login over https with a new client trusting `ca_file` (NULL: the system's CAs):
 * the result, and the client's reason in why. */
static int login_with_ca(struct fx *f, const char *ca_file, char why[512])
{
	struct advice_client *c = advice_client_new();
	char *token = harness_citizen_token(&f->h, "010190-900P"), *session = NULL;
	int rc;

	assert_non_null(c);
	assert_non_null(token);
	if (ca_file != NULL)
		assert_int_equal(advice_client_set_ca_file(c, ca_file), 0);
	rc = advice_login_citizen(c, f->h.base_url, f->h.origin, token, &session, WAIT_MS);
	snprintf(why, 512, "%s", advice_client_error_message(c, NULL));
	free(session);
	free(token);
	advice_client_free(c);
	return rc;
}

/* adviced.conf for this test: https://localhost:<port> added to the origins line, and
 * web_root the folder `www`. 0 or -1. */
static int rewrite_conf(struct harness *h, const char *www)
{
	char path[300], line[1024], *text = NULL;
	size_t len = 0;
	FILE *in, *out;
	int found = 0;

	snprintf(path, sizeof path, "%s/adviced.conf", h->dir);
	if ((in = fopen(path, "r")) == NULL || (out = open_memstream(&text, &len)) == NULL)
		return -1;
	while (fgets(line, sizeof line, in) != NULL) {
		if (strncmp(line, "origins = ", 10) == 0) {
			line[strcspn(line, "\n")] = '\0';
			fprintf(out, "%s, https://localhost:%d\n", line, h->port);
			found = 1;
		} else if (strncmp(line, "web_root", 8) != 0) {
			fputs(line, out);
		}
	}
	fprintf(out, "web_root = %s\n", www);
	fclose(in);
	fclose(out);
	if (found && (out = fopen(path, "w")) != NULL) {
		fputs(text, out);
		found = fclose(out) == 0;
	} else {
		found = 0;
	}
	free(text);
	return found ? 0 : -1;
}

/* A web root with one page. 0 or -1. */
static int make_www(const char *www)
{
	char path[256];
	FILE *fp;

	if (mkdir(www, 0755) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/index.html", www);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fputs("<!doctype html><html><title>advice tls page</title></html>\n", fp);
	return fclose(fp) == 0 ? 0 : -1;
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	const char *tmp = getenv("TMPDIR");
	char conf[512], www[160];

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "%s/advice-tlscert-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->ca_file, sizeof f->ca_file, "%s/ca.pem", f->dir);
	snprintf(f->other_ca_file, sizeof f->other_ca_file, "%s/other-ca.pem", f->dir);
	snprintf(f->cert, sizeof f->cert, "%s/server.crt", f->dir);
	snprintf(f->key, sizeof f->key, "%s/server.key", f->dir);
	f->ca = sink_ca_new("Advice Test CA");
	f->other = sink_ca_new("Another Test CA");
	assert_non_null(f->ca);
	assert_non_null(f->other);
	assert_int_equal(sink_ca_save(f->ca, f->ca_file), 0);
	assert_int_equal(sink_ca_save(f->other, f->other_ca_file), 0);
	assert_int_equal(sink_ca_issue(f->ca, NAMES, -HOUR_S, DAY_S, f->cert, f->key), 0);
	snprintf(conf, sizeof conf, "tls_cert = %s\ntls_key = %s\n", f->cert, f->key);
	if (harness_start_with(&f->h, 0, conf) != 0) {
		free(f);
		return -1;
	}
	/* The page's origin over TLS is https:// (advicectl sends it), and a page to fetch: a
	 * restart takes them. */
	snprintf(www, sizeof www, "%s/www", f->dir);
	if (make_www(www) != 0 || rewrite_conf(&f->h, www) != 0 || harness_restart(&f->h) != 0) {
		harness_stop(&f->h);
		free(f);
		return -1;
	}
	/* By name: libadvice checks the certificate's DNS names. */
	snprintf(f->h.base_url, sizeof f->h.base_url, "https://localhost:%d", f->h.port);
	snprintf(f->h.origin, sizeof f->h.origin, "https://localhost:%d", f->h.port);
	assert_int_equal(advice_client_set_ca_file(f->h.client, f->ca_file), 0);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;
	char path[256];
	int rc;

	if (f == NULL)
		return 0;
	rc = harness_stop(&f->h);
	sink_ca_free(f->ca);
	sink_ca_free(f->other);
	for (const char *const *n = (const char *const[]){ "ca.pem", "other-ca.pem", "server.crt",
							   "server.key", "next.crt", "next.key", NULL };
	     *n != NULL; n++) {
		snprintf(path, sizeof path, "%s/%s", f->dir, *n);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/www/index.html", f->dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/www", f->dir);
	rmdir(path);
	rmdir(f->dir);
	free(f);
	return rc;
}

static void test_pages_and_api_over_https(void **state)
{
	struct fx *f = *state;
	char *body = NULL;

	assert_int_equal(https_get(f, "/", &body), 200);
	assert_non_null(strstr(body, "advice tls page"));
	free(body);
	assert_int_equal(https_get(f, "/api/v1/health", &body), 200);
	free(body);
	assert_int_equal(https_get(f, "/api/v1/register", &body), 200);
	assert_non_null(strstr(body, "{"));
	free(body);
	assert_int_equal(https_get(f, "/no-such-page", &body), 404);
	free(body);
}

static void test_round_trip_over_wss(void **state)
{
	struct fx *f = *state;
	struct advice_conn *citizen = itest_citizen(&f->h, "010190-900P");
	struct advice_conn *anna = itest_worker(&f->h, "anna");
	char thread[64];
	json_t *r;

	r = itest_request(citizen, "ok",
			  "{\"type\":\"thread.open\",\"id\":\"q1\",\"category\":\"adult-social-work\","
			  "\"body\":\"cXVlc3Rpb24tb3Zlci10bHM\"}");
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	json_decref(r);
	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.claim\",\"id\":\"w1\",\"thread\":\"%s\"}",
				  thread));
	r = itest_request(anna, "ok", "{\"type\":\"thread.read\",\"id\":\"w2\",\"thread\":\"%s\"}", thread);
	assert_string_equal(itest_str(json_array_get(json_object_get(r, "messages"), 0), "body"),
			    "cXVlc3Rpb24tb3Zlci10bHM");
	json_decref(r);
	advice_conn_free(citizen);
	advice_conn_free(anna);
}

static void test_tls_1_0_and_1_1_refused(void **state)
{
	struct fx *f = *state;
	struct tls_try t10 = { TLS1_VERSION, TLS1_VERSION, "DEFAULT@SECLEVEL=0", 1, NULL };
	struct tls_try t11 = { TLS1_1_VERSION, TLS1_1_VERSION, "DEFAULT@SECLEVEL=0", 1, NULL };
	struct tls_try t12 = { TLS1_2_VERSION, TLS1_2_VERSION, NULL, 0, NULL };
	struct tls_try t13 = { TLS1_3_VERSION, TLS1_3_VERSION, NULL, 0, NULL };
	int version = 0;

	assert_false(tls_accepted(f->h.port, &t10, NULL, NULL));
	assert_false(tls_accepted(f->h.port, &t11, NULL, NULL));
	assert_true(tls_accepted(f->h.port, &t12, &version, NULL));
	assert_int_equal(version, TLS1_2_VERSION);
	assert_true(tls_accepted(f->h.port, &t13, &version, NULL));
	assert_int_equal(version, TLS1_3_VERSION);
	/* The same old-version client, let up to TLS 1.2, gets in: the version was the reason. */
	t10.max_version = TLS1_2_VERSION;
	assert_true(tls_accepted(f->h.port, &t10, &version, NULL));
	assert_int_equal(version, TLS1_2_VERSION);
}

static void test_weak_tls_1_2_ciphers_refused(void **state)
{
	struct fx *f = *state;
	/* All of these would be taken by OpenSSL's default list with this ECDSA certificate. */
	static const char *const weak[] = {
		"ECDHE-ECDSA-AES128-SHA",    /* CBC, SHA-1 MAC */
		"ECDHE-ECDSA-AES256-SHA",    /* CBC, SHA-1 MAC */
		"ECDHE-ECDSA-AES128-SHA256", /* CBC */
		"ECDHE-ECDSA-AES256-SHA384", /* CBC */
	};
	struct tls_try t = { TLS1_2_VERSION, TLS1_2_VERSION, NULL, 1, NULL };
	char cipher[64];

	for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
		t.ciphers = weak[i];
		if (tls_accepted(f->h.port, &t, NULL, cipher))
			fail_msg("the server accepted %s", cipher);
	}
	t.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
	assert_true(tls_accepted(f->h.port, &t, NULL, cipher));
	assert_string_equal(cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
	t.ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305";
	assert_true(tls_accepted(f->h.port, &t, NULL, cipher));
	assert_string_equal(cipher, "ECDHE-ECDSA-CHACHA20-POLY1305");
}

/* The certificate changes on SIGHUP; a WebSocket opened before it carries on. */
static void test_sighup_reloads_the_certificate(void **state)
{
	struct fx *f = *state;
	struct advice_conn *anna = itest_worker(&f->h, "anna");
	char before[80], after[80], why[512];

	served_serial(f->h.port, before);
	assert_int_equal(sink_ca_issue(f->ca, NAMES, -HOUR_S, DAY_S, f->cert, f->key), 0);
	reload_to(f, f->cert);
	served_serial(f->h.port, after);
	assert_string_not_equal(before, after);
	assert_int_equal(wait_log(&f->h, "reload: TLS certificate"), 0);
	/* The connection made with the old certificate still answers. */
	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.list\",\"id\":\"d1\"}"));
	advice_conn_free(anna);
	/* New connections verify the new one. */
	assert_int_equal(login_with_ca(f, f->ca_file, why), 0);
}

/* A key that is not the certificate's is refused on SIGHUP: the old pair stays served. */
static void test_sighup_keeps_a_working_pair(void **state)
{
	struct fx *f = *state;
	char next_cert[256], next_key[256], before[80], now[80], why[512];

	served_serial(f->h.port, before);
	snprintf(next_cert, sizeof next_cert, "%s/next.crt", f->dir);
	snprintf(next_key, sizeof next_key, "%s/next.key", f->dir);
	/* A new certificate beside the old key. */
	assert_int_equal(sink_ca_issue(f->ca, NAMES, -HOUR_S, DAY_S, next_cert, next_key), 0);
	assert_int_equal(rename(next_cert, f->cert), 0);
	assert_int_equal(kill(f->h.pid, SIGHUP), 0);
	assert_int_equal(wait_log(&f->h, "does not belong to the certificate"), 0);
	served_serial(f->h.port, now);
	assert_string_equal(before, now);
	assert_int_equal(login_with_ca(f, f->ca_file, why), 0);
	/* With its key the pair goes in. */
	assert_int_equal(rename(next_key, f->key), 0);
	reload_to(f, f->cert);
}

/* libadvice refuses certificates it must not trust, and says why. */
static void test_client_refuses_untrusted_certificates(void **state)
{
	struct fx *f = *state;
	char why[512];

	/* Another CA, and the system's CAs, do not vouch for the test CA's certificate. */
	assert_int_equal(login_with_ca(f, f->other_ca_file, why), -ADVICE_ERR_IO);
	assert_non_null(strstr(why, "TLS: the server's certificate is not accepted"));
	assert_non_null(strstr(why, "local issuer"));
	assert_int_equal(login_with_ca(f, NULL, why), -ADVICE_ERR_IO);
	assert_non_null(strstr(why, "certificate is not accepted"));

	/* A certificate of the right CA for another host name. */
	assert_int_equal(sink_ca_issue(f->ca, "DNS:advice.example.org", -HOUR_S, DAY_S, f->cert, f->key), 0);
	reload_to(f, f->cert);
	assert_int_equal(login_with_ca(f, f->ca_file, why), -ADVICE_ERR_IO);
	assert_non_null(strstr(why, "hostname mismatch"));

	/* An expired one. */
	assert_int_equal(sink_ca_issue(f->ca, NAMES, -2 * DAY_S, -DAY_S, f->cert, f->key), 0);
	reload_to(f, f->cert);
	assert_int_equal(wait_log(&f->h, "has expired"), 0);
	assert_int_equal(login_with_ca(f, f->ca_file, why), -ADVICE_ERR_IO);
	assert_non_null(strstr(why, "certificate has expired"));

	/* And a good one again. */
	assert_int_equal(sink_ca_issue(f->ca, NAMES, -HOUR_S, DAY_S, f->cert, f->key), 0);
	reload_to(f, f->cert);
	assert_int_equal(login_with_ca(f, f->ca_file, why), 0);
}

static void test_client_ca_file_errors(void **state)
{
	struct fx *f = *state;
	struct advice_client *c = advice_client_new();
	char path[256];
	FILE *fp;

	assert_non_null(c);
	assert_int_equal(advice_client_set_ca_file(c, "/nonexistent/ca.pem"), -ADVICE_ERR_INVAL);
	assert_non_null(strstr(advice_client_error_message(c, NULL), "cannot read the CA file"));
	snprintf(path, sizeof path, "%s/not-a-ca.pem", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("not a certificate\n", fp);
	fclose(fp);
	assert_int_equal(advice_client_set_ca_file(c, path), -ADVICE_ERR_INVAL);
	assert_non_null(strstr(advice_client_error_message(c, NULL), "no CA certificate"));
	unlink(path);
	assert_int_equal(advice_client_set_ca_file(NULL, f->ca_file), -ADVICE_ERR_INVAL);
	/* The client still works with the trust it had, and takes a good file. */
	assert_int_equal(advice_client_set_ca_file(c, f->ca_file), 0);
	assert_int_equal(advice_client_set_ca_file(c, NULL), 0);
	advice_client_free(c);
}

/* advicectl's login over https with --ca-file, and its refusal of a CA it was not given. */
static void test_advicectl_login_over_https(void **state)
{
	struct fx *f = *state;
	char *ctl = getenv("ADVICECTL");
	char *good[] = { ctl, "login", f->h.base_url, "anna", "--ca-file", f->ca_file, NULL };
	char *other[] = { ctl, "login", f->h.base_url, "anna", "--ca-file", f->other_ca_file, NULL };
	char *missing[] = { ctl, "login", f->h.base_url, "anna", "--ca-file", "/nonexistent/ca.pem", NULL };
	struct itest_run r;

	assert_non_null(ctl);
	itest_run_argv(good, "anna-demo\n", &r);
	if (r.status != 0)
		fprintf(stderr, "advicectl login: status %d\n%s", r.status, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "logged out"));
	itest_run_free(&r);
	itest_run_argv(other, "anna-demo\n", &r);
	assert_int_equal(r.status, 1);
	assert_non_null(
		strstr(r.err, "TLS: the server's certificate is not accepted: unable to get local issuer"));
	itest_run_free(&r);
	itest_run_argv(missing, "anna-demo\n", &r);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "--ca-file: cannot read the CA file /nonexistent/ca.pem"));
	itest_run_free(&r);
}

/* SIGHUP also re-reads the configuration file: log_level applies at once, other changes are
 * named as needing a restart. */
static void test_sighup_rereads_log_level(void **state)
{
	struct fx *f = *state;
	char conf[300];
	FILE *fp;

	snprintf(conf, sizeof conf, "%s/adviced.conf", f->h.dir);
	fp = fopen(conf, "a");
	assert_non_null(fp);
	fputs("log_level = info\nshutdown_grace_s = 9\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(kill(f->h.pid, SIGHUP), 0);
	assert_int_equal(wait_log(&f->h, "reload: log level info"), 0);
	assert_int_equal(wait_log(&f->h, "reload: shutdown_grace_s changed; it takes effect at a restart"),
			 0);
	assert_false(harness_log_contains(&f->h, "reload: log_level changed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_and_api_over_https),
		cmocka_unit_test(test_round_trip_over_wss),
		cmocka_unit_test(test_tls_1_0_and_1_1_refused),
		cmocka_unit_test(test_weak_tls_1_2_ciphers_refused),
		cmocka_unit_test(test_sighup_reloads_the_certificate),
		cmocka_unit_test(test_sighup_keeps_a_working_pair),
		cmocka_unit_test(test_client_refuses_untrusted_certificates),
		cmocka_unit_test(test_client_ca_file_errors),
		cmocka_unit_test(test_advicectl_login_over_https),
		cmocka_unit_test(test_sighup_rereads_log_level),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
