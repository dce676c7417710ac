/*
 * sink.h - tiny SMTP and HTTP servers for the notification tests: they listen on
 * 127.0.0.1, keep every message they accept, and answer as the test tells them. One
 * connection at a time on a thread of their own. Stopping closes the port (connections are
 * refused), and a sink can be started again on the same port.
 *
 * SMTP: greeting, EHLO/HELO, MAIL, RCPT, DATA (dot-stuffing undone), RSET, NOOP, QUIT; no
 * extensions. HTTP/1.1: one request per connection with Content-Length, then close.
 */
#ifndef ADVICE_TEST_SINK_H
#define ADVICE_TEST_SINK_H

#include <stddef.h>

struct sink;

/* Starts a sink on 127.0.0.1:port (0: a free port). NULL on failure (reason on stderr). */
struct sink *sink_start_smtp(int port);
struct sink *sink_start_http(int port);
int sink_port(const struct sink *s);
/* SMTP: the reply code to RCPT (default 250; e.g. 550 refuses, 451 defers). HTTP: the
 * status and body of the answer (default 200 and "{}"). */
void sink_set_reply(struct sink *s, int code, const char *body);
/* Messages accepted so far. */
size_t sink_count(struct sink *s);
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
