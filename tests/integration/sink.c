/*
 * sink.c - the SMTP and HTTP sinks of the notification tests (sink.h). Blocking sockets
 * with short receive timeouts, so the thread notices a stop within about 100 ms; every
 * limit is explicit (line 4 KiB, header block 16 KiB, message 256 KiB). TLS through
 * OpenSSL on the same blocking socket: a receive timeout is OpenSSL's "want read".
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sink.h"

#define LINE_MAX_   4096
#define HEAD_MAX    16384
#define MESSAGE_MAX (256 * 1024)
#define POLL_MS	    100

enum sink_kind { SINK_SMTP, SINK_HTTP };

struct sink_msg {
	char *head, *body;
};

struct sink_ca {
	EVP_PKEY *key;
	X509 *cert;
};

struct sink {
	enum sink_kind kind;
	enum sink_tls tls;
	SSL_CTX *ssl_ctx; /* NULL without TLS */
	int fd, port;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	int reply_code;
	char reply_body[1024];
	struct sink_msg *msgs;
	size_t n, cap;
	struct sink_stats stats;
};

/* A connection and its receive buffer. */
struct conn {
	struct sink *s;
	int fd;
	SSL *ssl; /* after the handshake (at once, or after STARTTLS); NULL: plain */
	char buf[LINE_MAX_ * 2];
	size_t len;
};

static int stopping(struct sink *s)
{
	int v;

	pthread_mutex_lock(&s->mu);
	v = s->stop;
	pthread_mutex_unlock(&s->mu);
	return v;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int conn_send(struct conn *c, const char *p, size_t n)
{
	if (c->ssl == NULL)
		return send_all(c->fd, p, n);
	ERR_clear_error();
	return n == 0 || SSL_write(c->ssl, p, (int)n) == (int)n ? 0 : -1;
}

static int sendf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sendf(struct conn *c, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sizeof buf ? -1 : conn_send(c, buf, (size_t)n);
}

/* One read into `p`: > 0 bytes, 0 when nothing came within the receive timeout, -1 when
 * closed or failed. */
static ssize_t conn_recv(struct conn *c, char *p, size_t n)
{
	ssize_t r;
	int e;

	if (c->ssl == NULL) {
		r = recv(c->fd, p, n, 0);
		if (r > 0)
			return r;
		return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
	}
	ERR_clear_error();
	r = SSL_read(c->ssl, p, (int)n);
	if (r > 0)
		return r;
	e = SSL_get_error(c->ssl, (int)r);
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

/* Reads more into c->buf. 0, or -1 when closed, failed, full or stopping. */
static int fill(struct conn *c)
{
	for (;;) {
		ssize_t r;

		if (c->len == sizeof c->buf || stopping(c->s))
			return -1;
		r = conn_recv(c, c->buf + c->len, sizeof c->buf - c->len);
		if (r > 0) {
			c->len += (size_t)r;
			return 0;
		}
		if (r < 0)
			return -1;
	}
}

/* The server side of a TLS handshake on the connection (at once, or after STARTTLS). 0, or
 * -1 when it failed (the client refused the certificate, closed) or the sink is stopping. */
static int conn_handshake(struct conn *c)
{
	if ((c->ssl = SSL_new(c->s->ssl_ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return -1;
	for (;;) {
		int r, e;

		ERR_clear_error();
		if ((r = SSL_accept(c->ssl)) == 1)
			break;
		e = SSL_get_error(c->ssl, r);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || stopping(c->s))
			return -1;
	}
	pthread_mutex_lock(&c->s->mu);
	c->s->stats.handshakes++;
	pthread_mutex_unlock(&c->s->mu);
	return 0;
}

/* The next line without CRLF into `line` (LINE_MAX_ bytes). 0 or -1. */
static int read_line(struct conn *c, char *line)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);

		if (nl != NULL) {
			size_t n = (size_t)(nl - c->buf), used = n + 1;

			if (n > 0 && c->buf[n - 1] == '\r')
				n--;
			if (n >= LINE_MAX_)
				return -1;
			memcpy(line, c->buf, n);
			line[n] = '\0';
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return 0;
		}
		if (fill(c) != 0)
			return -1;
	}
}

/* Exactly n bytes into out. 0 or -1. */
static int read_bytes(struct conn *c, char *out, size_t n)
{
	while (c->len < n) {
		size_t take = c->len;

		memcpy(out, c->buf, take);
		out += take;
		n -= take;
		c->len = 0;
		if (fill(c) != 0)
			return -1;
	}
	memcpy(out, c->buf, n);
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	return 0;
}

/* Keeps a message (takes ownership of head and body). */
static void keep(struct sink *s, char *head, char *body)
{
	pthread_mutex_lock(&s->mu);
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct sink_msg *m = realloc(s->msgs, cap * sizeof *m);

		if (m == NULL) {
			pthread_mutex_unlock(&s->mu);
			free(head);
			free(body);
			return;
		}
		s->msgs = m;
		s->cap = cap;
	}
	s->msgs[s->n].head = head;
	s->msgs[s->n].body = body;
	s->n++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Appends text to a growing buffer. 0, or -1 when over MESSAGE_MAX or out of memory. */
static int append(char **buf, size_t *len, const char *text, size_t n)
{
	char *b;

	if (*len + n + 1 > MESSAGE_MAX || (b = realloc(*buf, *len + n + 1)) == NULL)
		return -1;
	memcpy(b + *len, text, n);
	*len += n;
	b[*len] = '\0';
	*buf = b;
	return 0;
}

/* DATA: lines until ".", dot-stuffing undone. Returns the message or NULL. */
static char *smtp_data(struct conn *c)
{
	char line[LINE_MAX_], *msg = NULL;
	size_t len = 0;

	if (append(&msg, &len, "", 0) != 0)
		return NULL;
	while (read_line(c, line) == 0) {
		const char *p = line;

		if (strcmp(line, ".") == 0)
			return msg;
		if (line[0] == '.')
			p++;
		if (append(&msg, &len, p, strlen(p)) != 0 || append(&msg, &len, "\r\n", 2) != 0)
			break;
	}
	free(msg);
	return NULL;
}

/* An SMTP transaction in progress: the envelope lines so far and the recipients. */
struct smtp_tx {
	char *env;
	size_t envlen;
	int rcpts;
};

static void smtp_tx_reset(struct smtp_tx *t)
{
	free(t->env);
	t->env = NULL;
	t->envlen = 0;
	t->rcpts = 0;
}

/* Whether the sink wants STARTTLS and the connection is still plain. */
static int smtp_needs_starttls(const struct conn *c)
{
	return c->s->tls == SINK_TLS_STARTTLS && c->ssl == NULL;
}

static void smtp_ehlo(struct conn *c)
{
	if (smtp_needs_starttls(c))
		sendf(c, "250-sink\r\n250 STARTTLS\r\n");
	else
		sendf(c, "250 sink\r\n");
}

/* STARTTLS (RFC 3207): the go-ahead, then the handshake. Whatever the client sent after the
 * command is dropped and the transaction forgotten. 0, or -1 to end the session. */
static int smtp_starttls(struct conn *c, struct smtp_tx *t)
{
	if (!smtp_needs_starttls(c))
		return sendf(c, "502 not implemented\r\n");
	if (sendf(c, "220 ready to start TLS\r\n") != 0)
		return -1;
	c->len = 0;
	smtp_tx_reset(t);
	return conn_handshake(c);
}

static void smtp_mail(struct conn *c, struct smtp_tx *t, const char *line)
{
	pthread_mutex_lock(&c->s->mu);
	c->s->stats.mail_from++;
	pthread_mutex_unlock(&c->s->mu);
	if (smtp_needs_starttls(c)) {
		sendf(c, "530 5.7.0 must issue a STARTTLS command first\r\n");
		return;
	}
	smtp_tx_reset(t);
	append(&t->env, &t->envlen, line, strlen(line));
	append(&t->env, &t->envlen, "\n", 1);
	sendf(c, "250 OK\r\n");
}

static void smtp_rcpt(struct conn *c, struct smtp_tx *t, const char *line)
{
	int code;

	pthread_mutex_lock(&c->s->mu);
	code = c->s->reply_code;
	pthread_mutex_unlock(&c->s->mu);
	if (code != 250) {
		sendf(c, "%d refused\r\n", code);
		return;
	}
	append(&t->env, &t->envlen, line, strlen(line));
	append(&t->env, &t->envlen, "\n", 1);
	t->rcpts++;
	sendf(c, "250 OK\r\n");
}

/* DATA: the message is kept with its envelope. 0, or -1 to end the session. */
static int smtp_data_command(struct conn *c, struct smtp_tx *t)
{
	char *data;

	if (t->env == NULL || t->rcpts == 0)
		return sendf(c, "503 no recipient\r\n");
	sendf(c, "354 go on\r\n");
	if ((data = smtp_data(c)) == NULL)
		return -1;
	keep(c->s, t->env, data);
	t->env = NULL;
	smtp_tx_reset(t);
	return sendf(c, "250 OK queued\r\n");
}

static void smtp_session(struct conn *c)
{
	char line[LINE_MAX_];
	struct smtp_tx t = { 0 };

	if (sendf(c, "220 sink ESMTP\r\n") != 0)
		return;
	while (read_line(c, line) == 0) {
		if (strncasecmp(line, "EHLO", 4) == 0) {
			smtp_ehlo(c);
		} else if (strncasecmp(line, "HELO", 4) == 0) {
			sendf(c, "250 sink\r\n");
		} else if (strcasecmp(line, "STARTTLS") == 0) {
			if (smtp_starttls(c, &t) != 0)
				break;
		} else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
			smtp_mail(c, &t, line);
		} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
			smtp_rcpt(c, &t, line);
		} else if (strcasecmp(line, "DATA") == 0) {
			if (smtp_data_command(c, &t) != 0)
				break;
		} else if (strcasecmp(line, "RSET") == 0 || strcasecmp(line, "NOOP") == 0) {
			sendf(c, "250 OK\r\n");
		} else if (strcasecmp(line, "QUIT") == 0) {
			sendf(c, "221 bye\r\n");
			break;
		} else {
			sendf(c, "502 not implemented\r\n");
		}
	}
	smtp_tx_reset(&t);
}

static void http_session(struct conn *c)
{
	char line[LINE_MAX_], *head = NULL, *body = NULL, *cl;
	size_t headlen = 0;
	long n = 0;
	int code;
	char reply[1024];

	while (read_line(c, line) == 0 && line[0] != '\0')
		if (headlen + strlen(line) + 2 > HEAD_MAX ||
		    append(&head, &headlen, line, strlen(line)) != 0 ||
		    append(&head, &headlen, "\r\n", 2) != 0)
			goto out;
	if (head == NULL)
		goto out;
	if ((cl = sink_header(head, "Content-Length")) != NULL) {
		n = strtol(cl, NULL, 10);
		free(cl);
	}
	if (n < 0 || n > MESSAGE_MAX || (body = calloc(1, (size_t)n + 1)) == NULL ||
	    read_bytes(c, body, (size_t)n) != 0)
		goto out;
	pthread_mutex_lock(&c->s->mu);
	code = c->s->reply_code;
	snprintf(reply, sizeof reply, "%s", c->s->reply_body);
	pthread_mutex_unlock(&c->s->mu);
	keep(c->s, head, body);
	head = body = NULL;
	sendf(c,
	      "HTTP/1.1 %d Sink\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	      "Connection: close\r\n\r\n%s",
	      code, strlen(reply), reply);
out:
	free(head);
	free(body);
}

/* One connection: the handshake first with implicit TLS, then the protocol. */
static void sink_serve(struct sink *s, int fd)
{
	struct conn *c = calloc(1, sizeof *c);

	if (c == NULL)
		return;
	c->s = s;
	c->fd = fd;
	if (s->tls != SINK_TLS_IMPLICIT || conn_handshake(c) == 0) {
		if (s->kind == SINK_SMTP)
			smtp_session(c);
		else
			http_session(c);
	}
	if (c->ssl != NULL) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	free(c);
}

static void *sink_main(void *arg)
{
	struct sink *s = arg;

	while (!stopping(s)) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		struct timeval tv = { 0, POLL_MS * 1000 };
		int fd;

		if (poll(&p, 1, POLL_MS) <= 0)
			continue;
		if ((fd = accept(s->fd, NULL, NULL)) < 0)
			continue;
		pthread_mutex_lock(&s->mu);
		s->stats.connections++;
		pthread_mutex_unlock(&s->mu);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		sink_serve(s, fd);
		close(fd);
	}
	return NULL;
}

/* A fresh EC P-256 key; NULL on failure. */
static EVP_PKEY *tls_key_new(void)
{
	return EVP_EC_gen("P-256");
}

/* Adds extension `nid` with `value` (the openssl x509v3_config syntax) to `cert`, issued by
 * `issuer` (the certificate itself when self-signed). 0 or -1. */
static int cert_add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

/* The fields every certificate has: version 3, a random serial, valid from `from_s` to
 * `until_s` seconds from now, subject CN `cn`, the issuer's name (its own when `issuer` is
 * NULL). 0 or -1. */
static int cert_fill_valid(X509 *x, EVP_PKEY *key, const char *cn, X509 *issuer, long from_s, long until_s)
{
	unsigned char serial[16];
	X509_NAME *name = X509_get_subject_name(x);
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(serial, sizeof serial) != 1)
		return -1;
	serial[0] &= 0x7f; /* positive */
	if ((bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL)
		return -1;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	if (!ok || X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), from_s) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), until_s) == NULL || X509_set_pubkey(x, key) != 1)
		return -1;
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) != 1)
		return -1;
	return X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) == 1 ? 0 : -1;
}

/* cert_fill_valid, valid from an hour ago for a day. */
static int cert_fill(X509 *x, EVP_PKEY *key, const char *cn, X509 *issuer)
{
	return cert_fill_valid(x, key, cn, issuer, -3600, 86400);
}

struct sink_ca *sink_ca_new(const char *cn)
{
	struct sink_ca *ca = calloc(1, sizeof *ca);

	if (ca == NULL)
		return NULL;
	if ((ca->key = tls_key_new()) == NULL || (ca->cert = X509_new()) == NULL ||
	    cert_fill(ca->cert, ca->key, cn, NULL) != 0 ||
	    cert_add_ext(ca->cert, ca->cert, NID_basic_constraints, "critical,CA:TRUE") != 0 ||
	    cert_add_ext(ca->cert, ca->cert, NID_key_usage, "critical,keyCertSign,cRLSign") != 0 ||
	    cert_add_ext(ca->cert, ca->cert, NID_subject_key_identifier, "hash") != 0 ||
	    X509_sign(ca->cert, ca->key, EVP_sha256()) <= 0) {
		fprintf(stderr, "sink: cannot make the test CA\n");
		sink_ca_free(ca);
		return NULL;
	}
	return ca;
}

int sink_ca_save(const struct sink_ca *ca, const char *path)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL)
		return -1;
	ok = PEM_write_X509(f, ca->cert) == 1;
	return fclose(f) == 0 && ok ? 0 : -1;
}

void sink_ca_free(struct sink_ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca);
}

/* A server certificate for `names` signed by `ca`, with its key, valid from `from_s` to
 * `until_s` seconds from now. NULL on failure. */
static X509 *server_cert_new_valid(const struct sink_ca *ca, const char *names, EVP_PKEY *key, long from_s,
				   long until_s)
{
	X509 *x = X509_new();

	if (x == NULL || cert_fill_valid(x, key, "sink", ca->cert, from_s, until_s) != 0 ||
	    cert_add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    cert_add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature") != 0 ||
	    cert_add_ext(x, ca->cert, NID_ext_key_usage, "serverAuth") != 0 ||
	    cert_add_ext(x, ca->cert, NID_subject_alt_name, names) != 0 ||
	    cert_add_ext(x, ca->cert, NID_subject_key_identifier, "hash") != 0 ||
	    cert_add_ext(x, ca->cert, NID_authority_key_identifier, "keyid:always") != 0 ||
	    X509_sign(x, ca->key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static X509 *server_cert_new(const struct sink_ca *ca, const char *names, EVP_PKEY *key)
{
	return server_cert_new_valid(ca, names, key, -3600, 86400);
}

/* Writes `pem` of `what` to `path` through a temporary file renamed over it. 0 or -1. */
static int pem_save(const char *path, int (*write)(FILE *f, const void *what), const void *what)
{
	char tmp[512];
	FILE *f;
	int ok;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp || (f = fopen(tmp, "w")) == NULL)
		return -1;
	ok = write(f, what);
	if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int pem_write_cert(FILE *f, const void *x)
{
	return PEM_write_X509(f, (X509 *)x) == 1;
}

static int pem_write_key(FILE *f, const void *k)
{
	return PEM_write_PrivateKey(f, (EVP_PKEY *)k, NULL, NULL, 0, NULL, NULL) == 1;
}

int sink_ca_issue(const struct sink_ca *ca, const char *names, long from_s, long until_s,
		  const char *cert_path, const char *key_path)
{
	EVP_PKEY *key = tls_key_new();
	X509 *x = key ? server_cert_new_valid(ca, names, key, from_s, until_s) : NULL;
	int rc = -1;

	if (x != NULL && pem_save(cert_path, pem_write_cert, x) == 0 &&
	    pem_save(key_path, pem_write_key, key) == 0)
		rc = 0;
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* A server context (TLS 1.2 or later) with a fresh key and certificate. NULL on failure. */
static SSL_CTX *tls_server_ctx(const struct sink_ca *ca, const char *names)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *key = tls_key_new();
	X509 *cert = key ? server_cert_new(ca, names, key) : NULL;

	if (ctx == NULL || cert == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		fprintf(stderr, "sink: cannot make the TLS context\n");
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return ctx;
}

static struct sink *sink_start(enum sink_kind kind, int port, enum sink_tls tls, const struct sink_ca *ca,
			       const char *names)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof a;
	struct sink *s = calloc(1, sizeof *s);
	int one = 1;

	if (s == NULL)
		return NULL;
	s->kind = kind;
	s->tls = tls;
	s->reply_code = kind == SINK_SMTP ? 250 : 200;
	snprintf(s->reply_body, sizeof s->reply_body, "{}");
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	s->fd = -1;
	if (tls != SINK_TLS_NONE && (s->ssl_ctx = tls_server_ctx(ca, names)) == NULL)
		goto fail;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->fd, 16) != 0 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &alen) != 0) {
		perror("sink: listen");
		goto fail;
	}
	s->port = ntohs(a.sin_port);
	if (pthread_create(&s->thread, NULL, sink_main, s) != 0)
		goto fail;
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	SSL_CTX_free(s->ssl_ctx);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

struct sink *sink_start_smtp(int port)
{
	return sink_start(SINK_SMTP, port, SINK_TLS_NONE, NULL, NULL);
}

struct sink *sink_start_http(int port)
{
	return sink_start(SINK_HTTP, port, SINK_TLS_NONE, NULL, NULL);
}

struct sink *sink_start_smtp_tls(int port, enum sink_tls tls, const struct sink_ca *ca, const char *names)
{
	return sink_start(SINK_SMTP, port, tls, ca, names);
}

struct sink *sink_start_https(int port, const struct sink_ca *ca, const char *names)
{
	return sink_start(SINK_HTTP, port, SINK_TLS_IMPLICIT, ca, names);
}

int sink_port(const struct sink *s)
{
	return s->port;
}

void sink_set_reply(struct sink *s, int code, const char *body)
{
	pthread_mutex_lock(&s->mu);
	s->reply_code = code;
	if (body != NULL)
		snprintf(s->reply_body, sizeof s->reply_body, "%s", body);
	pthread_mutex_unlock(&s->mu);
}

size_t sink_count(struct sink *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->n;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void sink_get_stats(struct sink *s, struct sink_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->stats;
	pthread_mutex_unlock(&s->mu);
}

int sink_wait(struct sink *s, size_t n, int timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (s->n < n && rc == 0)
		rc = pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	rc = s->n >= n ? 0 : -1;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int sink_get(struct sink *s, size_t i, char **head, char **body)
{
	int rc = -1;

	pthread_mutex_lock(&s->mu);
	if (i < s->n) {
		*head = strdup(s->msgs[i].head);
		*body = strdup(s->msgs[i].body);
		rc = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void sink_stop(struct sink *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	close(s->fd);
	for (size_t i = 0; i < s->n; i++) {
		free(s->msgs[i].head);
		free(s->msgs[i].body);
	}
	free(s->msgs);
	SSL_CTX_free(s->ssl_ctx);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

char *sink_header(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; *p && *p != '\r' && *p != '\n';) {
		const char *eol = strpbrk(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;

			while (*v == ' ')
				v++;
			return strndup(v, len - (size_t)(v - p));
		}
		p += len;
		if (*p == '\r')
			p++;
		if (*p == '\n')
			p++;
	}
	return NULL;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

char *sink_qp_body(const char *text)
{
	const char *p = strstr(text, "\r\n\r\n");
	char *out, *o;

	p = p ? p + 4 : text;
	if ((out = malloc(strlen(p) + 1)) == NULL)
		return NULL;
	for (o = out; *p; p++) {
		if (*p == '=' && p[1] == '\r' && p[2] == '\n') {
			p += 2;
		} else if (*p == '=' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			*o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else if (*p != '\r') {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}
