/*
 * sink.h - tiny SMTP and HTTP servers for the notification tests: they listen on
 * 127.0.0.1, keep every message they accept, and answer as the test tells them. One
 * connection at a time on a thread of their own. Stopping closes the port (connections are
 * refused), and a sink can be started again on the same port.
 *
 * SMTP: greeting, EHLO/HELO, MAIL, RCPT, DATA (dot-stuffing undone), RSET, NOOP, QUIT, and
 * STARTTLS when the sink offers it; no other extension. HTTP/1.1: one request per
 * connection with Content-Length, then close.
 *
 * TLS (OpenSSL): a test CA made at run time signs each TLS sink's own certificate (EC P-256,
 * valid from an hour ago for a day), so a client trusts the sink only when it is told to
 * trust that CA and the certificate names the host it connected to.
 */
#ifndef ADVICE_TEST_SINK_H
#define ADVICE_TEST_SINK_H

#include <stddef.h>

struct sink;
struct sink_ca;

/* How a sink uses TLS. */
enum sink_tls {
	SINK_TLS_NONE,	   /* plain; an SMTP sink does not offer STARTTLS (502 to it) */
	SINK_TLS_STARTTLS, /* SMTP: offers STARTTLS and refuses MAIL before it (530) */
	SINK_TLS_IMPLICIT, /* TLS from the first byte (SMTPS, HTTPS) */
};

/* The names the sinks' certificates are usually for (subjectAltName syntax). */
#define SINK_LOCAL_NAMES "IP:127.0.0.1,DNS:localhost"

/* A new self-signed test CA named `cn` (key and certificate in memory); NULL on failure. */
struct sink_ca *sink_ca_new(const char *cn);
/* Writes the CA's certificate (PEM) to `path`, for a client to trust. 0 or -1. */
int sink_ca_save(const struct sink_ca *ca, const char *path);
/* NULL is ignored. */
void sink_ca_free(struct sink_ca *ca);
/*
 * A server certificate for `names` (subjectAltName syntax) signed by `ca` with a fresh key,
 * valid from `from_s` until `until_s` seconds from now (negative: in the past), written as
 * PEM to `cert_path` and `key_path` (each through a temporary file renamed over it, so a
 * reader sees the old file or the new one whole). 0 or -1.
 */
int sink_ca_issue(const struct sink_ca *ca, const char *names, long from_s, long until_s,
		  const char *cert_path, const char *key_path);

/* Starts a sink on 127.0.0.1:port (0: a free port). NULL on failure (reason on stderr). */
struct sink *sink_start_smtp(int port);
struct sink *sink_start_http(int port);
/* The same with TLS: the sink's certificate is for `names` (subjectAltName syntax, e.g.
 * SINK_LOCAL_NAMES) and signed by `ca`. An HTTP sink with TLS is an HTTPS sink (`tls` must
 * be SINK_TLS_IMPLICIT). */
struct sink *sink_start_smtp_tls(int port, enum sink_tls tls, const struct sink_ca *ca, const char *names);
struct sink *sink_start_https(int port, const struct sink_ca *ca, const char *names);
int sink_port(const struct sink *s);
/* SMTP: the reply code to RCPT (default 250; e.g. 550 refuses, 451 defers). HTTP: the
 * status and body of the answer (default 200 and "{}"). */
void sink_set_reply(struct sink *s, int code, const char *body);
/* Messages accepted so far. */
size_t sink_count(struct sink *s);

/* What a sink has seen so far, messages aside. */
struct sink_stats {
	size_t connections; /* accepted */
	size_t handshakes;  /* TLS handshakes completed (a client that refuses the certificate
			     * never completes one) */
	size_t mail_from;   /* SMTP MAIL commands, accepted or not */
};
void sink_get_stats(struct sink *s, struct sink_stats *out);
/* Waits until at least `n` were accepted: 0, or -1 after timeout_ms. */
int sink_wait(struct sink *s, size_t n, int timeout_ms);
/*
 * Copies of message i: `head` (SMTP: "MAIL FROM:<..>\nRCPT TO:<..>\n"; HTTP: the request
 * line and headers with CRLF) and `body` (SMTP: the message with headers; HTTP: the request
 * body), malloc'd and NUL-terminated. 0, or -1 when i is out of range.
 */
int sink_get(struct sink *s, size_t i, char **head, char **body);
/* Closes the port, joins the thread and frees everything. NULL is ignored. */
void sink_stop(struct sink *s);

/* The value of header `name` (case-insensitive) in a header block that ends at the first
 * empty line, malloc'd; NULL when absent. */
char *sink_header(const char *text, const char *name);
/* The part after the first empty line, quoted-printable decoded and CRLF turned into LF,
 * malloc'd; NULL when out of memory. */
char *sink_qp_body(const char *text);

#endif
