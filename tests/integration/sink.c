/*
 * sink.c - the SMTP and HTTP sinks of the notification tests (sink.h). Blocking sockets
 * with short receive timeouts, so the thread notices a stop within about 100 ms; every
 * limit is explicit (line 4 KiB, header block 16 KiB, message 256 KiB).
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

#include "sink.h"

#define LINE_MAX_   4096
#define HEAD_MAX    16384
#define MESSAGE_MAX (256 * 1024)
#define POLL_MS	    100

enum sink_kind { SINK_SMTP, SINK_HTTP };

struct sink_msg {
	char *head, *body;
};

struct sink {
	enum sink_kind kind;
	int fd, port;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	int reply_code;
	char reply_body[1024];
	struct sink_msg *msgs;
	size_t n, cap;
};

/* A connection's receive buffer. */
struct conn {
	struct sink *s;
	int fd;
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

static int sendf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sendf(int fd, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sizeof buf ? -1 : send_all(fd, buf, (size_t)n);
}

/* Reads more into c->buf. 0, or -1 when closed, failed, full or stopping. */
static int fill(struct conn *c)
{
	for (;;) {
		ssize_t r;

		if (c->len == sizeof c->buf || stopping(c->s))
			return -1;
		r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
		if (r > 0) {
			c->len += (size_t)r;
			return 0;
		}
		if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return -1;
	}
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

static void smtp_session(struct conn *c)
{
	char line[LINE_MAX_], *env = NULL, *data;
	size_t envlen = 0;
	int rcpts = 0, code;

	if (sendf(c->fd, "220 sink ESMTP\r\n") != 0)
		return;
	while (read_line(c, line) == 0) {
		if (strncasecmp(line, "EHLO", 4) == 0 || strncasecmp(line, "HELO", 4) == 0) {
			sendf(c->fd, "250 sink\r\n");
		} else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
			free(env);
			env = NULL;
			envlen = 0;
			rcpts = 0;
			append(&env, &envlen, line, strlen(line));
			append(&env, &envlen, "\n", 1);
			sendf(c->fd, "250 OK\r\n");
		} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
			pthread_mutex_lock(&c->s->mu);
			code = c->s->reply_code;
			pthread_mutex_unlock(&c->s->mu);
			if (code != 250) {
				sendf(c->fd, "%d refused\r\n", code);
				continue;
			}
			append(&env, &envlen, line, strlen(line));
			append(&env, &envlen, "\n", 1);
			rcpts++;
			sendf(c->fd, "250 OK\r\n");
		} else if (strcasecmp(line, "DATA") == 0) {
			if (env == NULL || rcpts == 0) {
				sendf(c->fd, "503 no recipient\r\n");
				continue;
			}
			sendf(c->fd, "354 go on\r\n");
			if ((data = smtp_data(c)) == NULL)
				break;
			keep(c->s, env, data);
			env = NULL;
			envlen = 0;
			rcpts = 0;
			sendf(c->fd, "250 OK queued\r\n");
		} else if (strcasecmp(line, "RSET") == 0 || strcasecmp(line, "NOOP") == 0) {
			sendf(c->fd, "250 OK\r\n");
		} else if (strcasecmp(line, "QUIT") == 0) {
			sendf(c->fd, "221 bye\r\n");
			break;
		} else {
			sendf(c->fd, "502 not implemented\r\n");
		}
	}
	free(env);
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
	sendf(c->fd,
	      "HTTP/1.1 %d Sink\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	      "Connection: close\r\n\r\n%s",
	      code, strlen(reply), reply);
out:
	free(head);
	free(body);
}

static void *sink_main(void *arg)
{
	struct sink *s = arg;

	while (!stopping(s)) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		struct timeval tv = { 0, POLL_MS * 1000 };
		struct conn *c;
		int fd;

		if (poll(&p, 1, POLL_MS) <= 0)
			continue;
		if ((fd = accept(s->fd, NULL, NULL)) < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		if ((c = calloc(1, sizeof *c)) != NULL) {
			c->s = s;
			c->fd = fd;
			if (s->kind == SINK_SMTP)
				smtp_session(c);
			else
				http_session(c);
			free(c);
		}
		close(fd);
	}
	return NULL;
}

static struct sink *sink_start(enum sink_kind kind, int port)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof a;
	struct sink *s = calloc(1, sizeof *s);
	int one = 1;

	if (s == NULL)
		return NULL;
	s->kind = kind;
	s->reply_code = kind == SINK_SMTP ? 250 : 200;
	snprintf(s->reply_body, sizeof s->reply_body, "{}");
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
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
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

struct sink *sink_start_smtp(int port)
{
	return sink_start(SINK_SMTP, port);
}

struct sink *sink_start_http(int port)
{
	return sink_start(SINK_HTTP, port);
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
