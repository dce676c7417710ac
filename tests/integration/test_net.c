/*
 * test_net.c - integration tests of adviced's network layer (server/net/net*.c) through
 * libadvice and raw sockets: origin and session checks at the WebSocket upgrade, message
 * size caps and fragments, binary frames, slow consumers cut at their queue's limit with the
 * server's memory bounded, the HTTP API's refusals, static files with their security
 * headers, refusals of upgrades and of bodies that are not JSON answered as http.error,
 * logout closing sockets (and answering 200 without a valid session), a SIGTERM drain that acknowledges
 * and keeps every write in flight and refuses those that come while it drains, and the public
 * front page's data (GET /api/v1/service: no session, reused while fresh, limited per address).
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"

#define T_MS	      10000
#define CITIZEN_HETU  "010190-900P"
#define CITIZEN2_HETU "020285-9416"

static struct harness H;

static int setup(void **state)
{
	(void)state;
	return harness_start(&H);
}

static int teardown(void **state)
{
	(void)state;
	return harness_stop(&H);
}

/* ---- helpers ---- */

/* Sends a raw HTTP request and reads the answer until the server closes. Returns the status
 * (> 0) with the whole response in *resp (malloc'd), or -1. */
static int http_raw(int port, const char *request, char **resp)
{
	struct sockaddr_in a;
	struct timeval tv = { 5, 0 };
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	int fd, status = -1;

	if (buf == NULL)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    write(fd, request, strlen(request)) != (ssize_t)strlen(request))
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len - 1);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (len + 1 >= cap)
			break;
	}
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
out:
	close(fd);
	if (resp != NULL && status > 0) {
		*resp = buf;
		return status;
	}
	free(buf);
	return status;
}

static void write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail_msg("writing to the server failed: %s",
				 n < 0 ? strerror(errno) : "nothing written");
		p += n;
		len -= (size_t)n;
	}
}

/* Sends `request` and reads one answer: the head, and as many body bytes as its
 * Content-Length says (none without one, as after a 101), without waiting for the server to
 * close. Returns the status (> 0) with the answer in *resp (malloc'd), or -1. */
static int http_head(int port, const char *request, char **resp)
{
	struct sockaddr_in a;
	struct timeval tv = { T_MS / 1000, 0 };
	size_t len = 0, cap = 16384, want = 0;
	char *buf = calloc(1, cap), *end = NULL, *cl;
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;

	assert_non_null(buf);
	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	write_all(fd, request, strlen(request));
	for (;;) {
		ssize_t n;

		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			cl = strcasestr(buf, "\r\ncontent-length:");
			want = (size_t)(end + 4 - buf) +
			       (cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end != NULL && len >= want)
			break;
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0 || len + (size_t)n + 1 >= cap)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	close(fd);
	if (end != NULL && len >= want && sscanf(buf, "HTTP/1.%*d %d", &status) == 1) {
		*resp = buf;
		return status;
	}
	free(buf);
	return -1;
}

/* The JSON body of an answer read by http_head (parsed), or NULL. */
static json_t *http_json_body(const char *resp)
{
	const char *body = strstr(resp, "\r\n\r\n");

	return body != NULL ? json_loads(body + 4, 0, NULL) : NULL;
}

/* An answer is an http.error of `code` (JSON, "id": null); fails the test otherwise. */
static void assert_http_error(const char *resp, const char *code)
{
	json_t *j = http_json_body(resp);

	if (j == NULL || strcasestr(resp, "\r\ncontent-type: application/json") == NULL)
		fail_msg("not a JSON answer: %s", resp);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "error");
	assert_true(json_is_null(json_object_get(j, "id")));
	assert_string_equal(json_string_value(json_object_get(j, "code")), code);
	assert_non_null(json_string_value(json_object_get(j, "message")));
	json_decref(j);
}

/* Case-insensitive search for a header name at the start of a line. */
static int has_header(const char *resp, const char *name)
{
	size_t nlen = strlen(name);

	for (const char *p = resp; p != NULL && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':')
			return 1;
		if (*p == '\r')
			break; /* end of the headers */
	}
	return 0;
}

/* The value of header `name` in resp, copied into out (size bytes); NULL when it is absent. */
static char *header_value(const char *resp, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name), vlen;

	for (const char *p = resp; p != NULL && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			p += nlen + 1;
			p += strspn(p, " ");
			vlen = strcspn(p, "\r\n");
			snprintf(out, size, "%.*s", (int)vlen, p);
			return out;
		}
		if (*p == '\r')
			break;
	}
	return NULL;
}

/* Waits for the message with "id" == id, dropping others. 0 with *out (malloc'd), or -1. */
static int wait_reply(struct advice_conn *k, const char *id, char **out)
{
	for (int i = 0; i < 1000; i++) {
		char *m = NULL;
		json_t *root;
		const char *mid;
		int match;

		if (advice_next_message(k, &m, T_MS) != 0)
			return -1;
		root = json_loads(m, 0, NULL);
		mid = json_string_value(json_object_get(root, "id"));
		match = mid != NULL && strcmp(mid, id) == 0;
		json_decref(root);
		if (match) {
			*out = m;
			return 0;
		}
		free(m);
	}
	return -1;
}

static char *json_field_str(const char *json, const char *name)
{
	json_t *root = json_loads(json, 0, NULL);
	const char *v = json_string_value(json_object_get(root, name));
	char *r = v ? strdup(v) : NULL;

	json_decref(root);
	return r;
}

static char *login_worker(const char *name)
{
	char *session = NULL;

	assert_int_equal(harness_login_worker(&H, name, &session), 0);
	assert_non_null(session);
	return session;
}

static char *login_citizen(const char *hetu)
{
	char *session = NULL;

	assert_int_equal(harness_login_citizen(&H, hetu, &session), 0);
	assert_non_null(session);
	return session;
}

/* Opens a thread with `body`; returns its id (malloc'd). */
static char *open_thread(struct advice_conn *k, const char *rid, const char *body)
{
	json_t *req = json_pack("{s:s,s:s,s:s,s:s}", "type", "thread.open", "id", rid, "category",
				"adult-social-work", "body", body);
	char *text = json_dumps(req, JSON_COMPACT), *reply = NULL, *thread;

	json_decref(req);
	assert_int_equal(advice_request(k, text, &reply, T_MS), 0);
	thread = json_field_str(reply, "thread");
	assert_non_null(thread);
	free(text);
	free(reply);
	return thread;
}

/* ---- WebSocket upgrade ---- */

static void test_ws_foreign_origin_refused(void **state)
{
	char *session = login_worker("anna");
	struct advice_conn *k;
	int err = 0;

	(void)state;
	k = advice_connect(H.client, H.base_url, "http://evil.example", session, T_MS, &err);
	assert_null(k);
	assert_int_equal(err, -ADVICE_ERR_FORBIDDEN);
	assert_true(harness_log_contains(&H, "upgrade refused (403, origin not allowed) peer"));
	/* The same host with another scheme or port is foreign too. */
	k = advice_connect(H.client, H.base_url, "https://127.0.0.1", session, T_MS, &err);
	assert_null(k);
	assert_int_equal(err, -ADVICE_ERR_FORBIDDEN);
	free(session);
}

static void test_ws_missing_origin_refused(void **state)
{
	char *session = login_worker("anna");
	struct advice_conn *k;
	int err = 0;

	(void)state;
	k = advice_connect(H.client, H.base_url, NULL, session, T_MS, &err);
	assert_null(k);
	assert_int_equal(err, -ADVICE_ERR_FORBIDDEN);
	assert_true(harness_log_contains(&H, "upgrade refused (403, no origin)"));
	free(session);
}

static void test_ws_session_required(void **state)
{
	char *session = login_worker("anna");
	char longcookie[400];
	struct advice_conn *k;
	int err = 0;

	(void)state;
	k = advice_connect(H.client, H.base_url, H.origin, NULL, T_MS, &err);
	assert_null(k);
	assert_int_equal(err, -ADVICE_ERR_UNAUTHENTICATED);
	k = advice_connect(H.client, H.base_url, H.origin, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			   T_MS, &err);
	assert_null(k);
	assert_int_equal(err, -ADVICE_ERR_UNAUTHENTICATED);
	/* A valid session followed by junk is too long: refused, not truncated or emptied. */
	snprintf(longcookie, sizeof(longcookie), "%s%0300d", session, 0);
	k = advice_connect(H.client, H.base_url, H.origin, longcookie, T_MS, &err);
	assert_null(k);
	assert_int_equal(err, -ADVICE_ERR_UNAUTHENTICATED);
	/* The log never holds the cookie. */
	assert_false(harness_log_contains(&H, session));
	k = harness_connect(&H, session);
	assert_non_null(k);
	assert_non_null(strstr(advice_conn_welcome(k), "\"welcome\""));
	advice_conn_free(k);
	free(session);
}

/* One raw upgrade request; NULL leaves a header out. The answer's status, with *resp. */
static int ws_upgrade_raw(const char *path, const char *protocol, const char *origin, const char *session,
			  char **resp)
{
	char req[1024], proto_h[128] = "", origin_h[128] = "", cookie_h[160] = "";

	if (protocol != NULL)
		snprintf(proto_h, sizeof(proto_h), "Sec-WebSocket-Protocol: %s\r\n", protocol);
	if (origin != NULL)
		snprintf(origin_h, sizeof(origin_h), "Origin: %s\r\n", origin);
	if (session != NULL)
		snprintf(cookie_h, sizeof(cookie_h), "Cookie: " ADVICE_SESSION_COOKIE "=%s\r\n", session);
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
		 path, H.port, proto_h, origin_h, cookie_h);
	return http_head(H.port, req, resp);
}

/* Every refusal of an upgrade is one answer: its status with an http.error body (§2.1). */
static void test_ws_upgrade_refusals_are_http_errors(void **state)
{
	char *session = login_citizen(CITIZEN_HETU), *resp = NULL;
	const char *bogus = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	const struct {
		const char *what, *path, *protocol, *origin, *session;
		int status;
		const char *code;
	} cases[] = {
		{ "no subprotocol", ADVICE_WS_PATH, NULL, H.origin, session, 400, "bad_request" },
		{ "another version", ADVICE_WS_PATH, "advice.v2", H.origin, session, 400, "bad_request" },
		{ "the HTTP protocol's name", ADVICE_WS_PATH, "http", H.origin, session, 400, "bad_request" },
		{ "no subprotocol, no origin", ADVICE_WS_PATH, NULL, NULL, NULL, 400, "bad_request" },
		{ "foreign origin", ADVICE_WS_PATH, ADVICE_SUBPROTOCOL, "http://evil.example", session, 403,
		  "forbidden" },
		{ "no origin", ADVICE_WS_PATH, ADVICE_SUBPROTOCOL, NULL, session, 403, "forbidden" },
		{ "no cookie", ADVICE_WS_PATH, ADVICE_SUBPROTOCOL, H.origin, NULL, 401, "unauthenticated" },
		{ "unknown session", ADVICE_WS_PATH, ADVICE_SUBPROTOCOL, H.origin, bogus, 401,
		  "unauthenticated" },
		{ "another path", "/wss", ADVICE_SUBPROTOCOL, H.origin, session, 404, "not_found" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = ws_upgrade_raw(cases[i].path, cases[i].protocol, cases[i].origin,
					    cases[i].session, &resp);

		if (status != cases[i].status)
			fail_msg("%s: status %d, want %d", cases[i].what, status, cases[i].status);
		assert_http_error(resp, cases[i].code);
		assert_null(strcasestr(resp, "<html"));
		free(resp);
		resp = NULL;
	}
	/* A list that names advice.v1 among others is accepted, with advice.v1 chosen. */
	assert_int_equal(
		ws_upgrade_raw(ADVICE_WS_PATH, "advice.v2, " ADVICE_SUBPROTOCOL, H.origin, session, &resp),
		101);
	assert_non_null(strcasestr(resp, "\r\nsec-websocket-protocol: " ADVICE_SUBPROTOCOL "\r\n"));
	free(resp);
	free(session);
}

/* ---- frames ---- */

static void test_ws_message_over_cap_closes_1009(void **state)
{
	char *session = login_worker("anna");
	struct advice_conn *k = harness_connect(&H, session);
	size_t big = ADVICE_MAX_MESSAGE_BYTES + 100;
	char *buf = malloc(big);

	(void)state;
	assert_non_null(k);
	memset(buf, ' ', big);
	buf[0] = '{';
	buf[big - 1] = '}';
	assert_int_equal(advice_send_raw(k, buf, big, ADVICE_FRAME_TEXT), 0);
	assert_int_equal(advice_wait_closed(k, T_MS), 0);
	assert_int_equal(advice_conn_close_code(k), 1009);
	advice_conn_free(k);

	/* The same over several fragments, each under the cap. */
	k = harness_connect(&H, session);
	assert_non_null(k);
	for (int i = 0; i < 3; i++)
		assert_int_equal(advice_send_raw(k, buf, big / 3,
						 (i ? ADVICE_FRAME_CONTINUATION : 0) |
							 (i < 2 ? ADVICE_FRAME_NO_FIN : 0)),
				 0);
	assert_int_equal(advice_wait_closed(k, T_MS), 0);
	assert_int_equal(advice_conn_close_code(k), 1009);
	advice_conn_free(k);
	free(buf);
	free(session);
}

static void test_ws_fragmented_message_within_cap(void **state)
{
	static const char *const parts[] = { "{\"type\":\"categ", "ories.list\",", "\"id\":\"frag-1\"}" };
	char *session = login_worker("anna");
	struct advice_conn *k = harness_connect(&H, session);
	char *reply = NULL;

	(void)state;
	assert_non_null(k);
	for (int i = 0; i < 3; i++)
		assert_int_equal(advice_send_raw(k, parts[i], strlen(parts[i]),
						 (i ? ADVICE_FRAME_CONTINUATION : 0) |
							 (i < 2 ? ADVICE_FRAME_NO_FIN : 0)),
				 0);
	assert_int_equal(wait_reply(k, "frag-1", &reply), 0);
	assert_non_null(strstr(reply, "\"type\":\"ok\""));
	assert_non_null(strstr(reply, "adult-social-work"));
	assert_true(advice_conn_is_open(k));
	free(reply);
	advice_conn_free(k);
	free(session);
}

/* Binary messages are attachment chunks: one that is not gets a bad_request file.chunk event
 * and the connection stays; one over the chunk cap closes with 1009. */
static void test_ws_binary_frames_are_chunks(void **state)
{
	char *session = login_worker("anna"), *event = NULL;
	struct advice_conn *k = harness_connect(&H, session);
	uint8_t *big = calloc(1, ADVICE_MAX_CHUNK_MESSAGE + 1);

	(void)state;
	assert_non_null(k);
	assert_int_equal(advice_send_raw(k, "\x01\x02\x03", 3, ADVICE_FRAME_BINARY), 0);
	assert_int_equal(advice_next_message(k, &event, T_MS), 0);
	assert_non_null(strstr(event, "\"file.chunk\""));
	assert_non_null(strstr(event, "\"bad_request\""));
	assert_true(advice_conn_is_open(k));
	free(event);
	assert_int_equal(advice_send_raw(k, big, ADVICE_MAX_CHUNK_MESSAGE + 1, ADVICE_FRAME_BINARY), 0);
	assert_int_equal(advice_wait_closed(k, T_MS), 0);
	assert_int_equal(advice_conn_close_code(k), 1009);
	advice_conn_free(k);
	free(big);
	free(session);
}

/* ---- slow consumer ---- */

/*
 * Citizens' connections that never read while the server pushes them every message of a
 * thread (~44 KB each). Each is cut at its outbound queue's limit, and the server's memory
 * stays bounded. The test runs a server of its own, with the limit set here and, under
 * AddressSanitizer, a 1 MiB quarantine of freed memory instead of 256 MiB, which would
 * otherwise dominate the RSS (without the sanitizer the option is ignored).
 */

#define SLOW_CONSUMERS	4
#define SLOW_OUTQ_BYTES (1024 * 1024) /* the server's outq_max_bytes */
#define SLOW_MESSAGES	1000	      /* 44 MB pushed to each consumer: far over its limit */
/*
 * RSS growth allowed while flooding: 32 times the limit. A message is encoded once and shared
 * by every queue it is in, so the queues hold about one limit's worth of messages; beside
 * them SQLite's cache grows by the flooded messages' pages (the cuts come after some 90
 * messages, ~4 MB; more where the kernel's socket buffers are larger), and the allocator
 * keeps some slack: about 4 MiB measured, 8 MiB under the sanitizer. Queues without a bound
 * would keep all SLOW_MESSAGES, 44 MB, and the cache would grow as much.
 */
#define SLOW_RSS_GROWTH_KB (32 * SLOW_OUTQ_BYTES / 1024)

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Starts the slow-consumer test's server (see above). */
static void slow_server_start(struct harness *s)
{
	const char *asan = getenv("ASAN_OPTIONS");
	char *saved = asan != NULL ? strdup(asan) : NULL, opts[1024], extra[64];
	int rc;

	snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=1", saved ? saved : "",
		 saved && *saved ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	snprintf(extra, sizeof(extra), "outq_max_bytes = %d\n", SLOW_OUTQ_BYTES);
	rc = harness_start_with(s, 0, extra);
	if (saved != NULL)
		setenv("ASAN_OPTIONS", saved, 1);
	else
		unsetenv("ASAN_OPTIONS");
	free(saved);
	assert_int_equal(rc, 0);
}

/* The server's "outbound queue full" cuts so far, and the most bytes a cut queue held. */
static int slow_cuts(struct harness *s, size_t *max_bytes)
{
	char path[300], line[1024];
	FILE *f;
	int cuts = 0;

	*max_bytes = 0;
	snprintf(path, sizeof(path), "%s/adviced.log", s->dir);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = strstr(line, "outbound queue full (");
		size_t queued, bytes;

		if (p == NULL ||
		    sscanf(p, "outbound queue full (%zu queued, %zu bytes)", &queued, &bytes) != 2)
			continue;
		cuts++;
		if (bytes > *max_bytes)
			*max_bytes = bytes;
	}
	fclose(f);
	return cuts;
}

/* Sends one message of `body` to the thread; drops what the sender's own connection got. */
static void slow_send(struct advice_conn *k, const char *thread, const char *body, int i)
{
	char id[32], *text, *reply = NULL;
	json_t *req;

	snprintf(id, sizeof(id), "slow-%d", i); /* ids must differ: the core dedups them */
	req = json_pack("{s:s,s:s,s:s,s:s}", "type", "message.send", "id", id, "thread", thread, "body",
			body);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	assert_int_equal(advice_request(k, text, &reply, T_MS), 0);
	free(text);
	free(reply);
	while (advice_next_message(k, &reply, 0) == 0) { /* our own copies */
		free(reply);
		reply = NULL;
	}
}

static void test_ws_slow_consumer_disconnected(void **state)
{
	struct advice_client *slow_clients[SLOW_CONSUMERS];
	struct advice_conn *slow[SLOW_CONSUMERS], *k;
	struct harness s;
	size_t blen = ADVICE_MAX_BODY_B64 - 4, max_bytes;
	char *body = malloc(blen + 1), *thread, *reply = NULL, *citizen = NULL;
	int err = 0, i;
	long rss_before, rss_after;

	(void)state;
	slow_server_start(&s);
	assert_int_equal(harness_login_citizen(&s, CITIZEN_HETU, &citizen), 0);
	/* More connections of the citizen, each on a client that is never serviced: they stop
	 * reading while the server pushes them every message with its body. */
	for (int c = 0; c < SLOW_CONSUMERS; c++) {
		slow_clients[c] = advice_client_new();
		assert_non_null(slow_clients[c]);
		slow[c] = advice_connect(slow_clients[c], s.base_url, s.origin, citizen, T_MS, &err);
		assert_non_null(slow[c]);
	}
	k = harness_connect(&s, citizen);
	assert_non_null(k);
	memset(body, 'A', blen);
	body[blen] = '\0';
	thread = open_thread(k, "slow-open", body);
	rss_before = rss_kb(s.pid);
	for (i = 0; i < SLOW_MESSAGES && slow_cuts(&s, &max_bytes) < SLOW_CONSUMERS; i++)
		slow_send(k, thread, body, i);
	rss_after = rss_kb(s.pid);
	fprintf(stderr,
		"slow consumer: %d cut after %d messages, fullest queue %zu bytes, server RSS %ld -> %ld "
		"kB\n",
		slow_cuts(&s, &max_bytes), i, max_bytes, rss_before, rss_after);
	/* Every slow one was cut, each within its queue's limit, and the server's memory stayed
	 * bounded while the flood went on. */
	assert_int_equal(slow_cuts(&s, &max_bytes), SLOW_CONSUMERS);
	assert_true(max_bytes <= SLOW_OUTQ_BYTES);
	assert_true(rss_before > 0 && rss_after > 0);
	if (rss_after - rss_before > SLOW_RSS_GROWTH_KB)
		fail_msg("server RSS grew by %ld kB flooding slow consumers, more than %d kB",
			 rss_after - rss_before, SLOW_RSS_GROWTH_KB);
	/* The server stays responsive for others. */
	assert_int_equal(advice_request(k, "{\"type\":\"categories.list\",\"id\":\"after\"}", &reply, T_MS),
			 0);
	free(reply);
	/* And each slow one finds its connection closed once it looks. */
	for (int c = 0; c < SLOW_CONSUMERS; c++) {
		assert_int_equal(advice_wait_closed(slow[c], T_MS), 0);
		advice_conn_free(slow[c]);
		advice_client_free(slow_clients[c]);
	}
	advice_conn_free(k);
	free(thread);
	free(body);
	free(citizen);
	assert_int_equal(harness_stop(&s), 0);
}

/* ---- HTTP ---- */

static void test_http_api_refusals(void **state)
{
	char req[512], *resp = NULL, *big;
	int status;

	(void)state;
	/* GET on a login path: 405 with Allow. */
	snprintf(req, sizeof(req),
		 "GET /api/v1/login/citizen HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
		 H.port);
	status = http_raw(H.port, req, &resp);
	assert_int_equal(status, 405);
	assert_true(has_header(resp, "allow"));
	assert_true(has_header(resp, "cache-control"));
	free(resp);
	resp = NULL;

	/* Oversize body: 413 (Content-Length checked before reading). */
	big = malloc(ADVICE_MAX_HTTP_BODY_BYTES + 200);
	memset(big, ' ', ADVICE_MAX_HTTP_BODY_BYTES + 199);
	big[0] = '{';
	big[ADVICE_MAX_HTTP_BODY_BYTES + 198] = '}';
	big[ADVICE_MAX_HTTP_BODY_BYTES + 199] = '\0';
	status = advice_http_post(H.client, H.base_url, "/api/v1/login/citizen", H.origin, NULL, big, &resp,
				  NULL, T_MS);
	assert_int_equal(status, 413);
	assert_non_null(strstr(resp, "too_large"));
	free(resp);
	resp = NULL;
	free(big);

	/* Foreign Origin on a POST: 403. */
	status = advice_http_post(H.client, H.base_url, "/api/v1/login/worker/start", "http://evil.example",
				  NULL, "{\"username\":\"anna\"}", &resp, NULL, T_MS);
	assert_int_equal(status, 403);
	assert_non_null(strstr(resp, "forbidden"));
	free(resp);
	resp = NULL;

	/* Unknown API path: 404 JSON. */
	status = advice_http_post(H.client, H.base_url, "/api/v1/no-such-thing", H.origin, NULL, "{}", &resp,
				  NULL, T_MS);
	assert_int_equal(status, 404);
	assert_non_null(strstr(resp, "\"not_found\""));
	free(resp);
	resp = NULL;

	/* Health, without the core. */
	snprintf(req, sizeof(req),
		 "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", H.port);
	status = http_raw(H.port, req, &resp);
	assert_int_equal(status, 200);
	assert_non_null(strstr(resp, "{\"status\":\"ok\"}"));
	free(resp);
	resp = NULL;

	/* The server still works after all that. */
	status = advice_http_post(H.client, H.base_url, "/api/v1/login/worker/start", H.origin, NULL,
				  "{\"username\":\"anna\"}", &resp, NULL, T_MS);
	assert_int_equal(status, 200);
	free(resp);
}

/* A POST of `body` to `path` with the header lines `headers` (each ending in CRLF); the
 * status, with *resp. With `send_body` 0 only the head goes out. */
static int post_raw(const char *path, const char *headers, const char *body, int send_body, char **resp)
{
	char req[2048];

	snprintf(req, sizeof(req),
		 "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: %s\r\n%sContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n%s",
		 path, H.port, H.origin, headers, strlen(body), send_body ? body : "");
	return http_head(H.port, req, resp);
}

/* Only JSON bodies are taken (§2.2): a form, text or no Content-Type is a 400 bad_request,
 * answered before the body is read. */
static void test_http_content_type_json_only(void **state)
{
	static const char path[] = "/api/v1/login/worker/start", json[] = "{\"username\":\"anna\"}";
	static const struct {
		const char *headers, *body;
		int status;
	} cases[] = {
		{ "Content-Type: text/plain\r\n", json, 400 },
		{ "Content-Type: text/plain;charset=UTF-8\r\n", json, 400 },
		{ "Content-Type: application/x-www-form-urlencoded\r\n", "username=anna", 400 },
		{ "Content-Type: multipart/form-data; boundary=x\r\n", "--x\r\n\r\nanna\r\n--x--\r\n", 400 },
		{ "", json, 400 },
		{ "Content-Type: \r\n", json, 400 },
		{ "Content-Type: application/jsonp\r\n", json, 400 },
		{ "Content-Type: application/json+x\r\n", json, 400 },
		{ "Content-Type: application/json; charset=iso-8859-1\r\n", json, 400 },
		{ "Content-Type: application/json; x\r\n", json, 400 },
		{ "Content-Type: application/json\r\n", json, 200 },
		{ "Content-Type: application/json; charset=utf-8\r\n", json, 200 },
		{ "Content-Type: Application/JSON;Charset=\"UTF-8\"\r\n", json, 200 },
		{ "Content-Type: application/json;\r\n", json, 200 },
	};
	char *resp = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = post_raw(path, cases[i].headers, cases[i].body, 1, &resp);

		if (status != cases[i].status)
			fail_msg("\"%s\": status %d, want %d", cases[i].headers, status, cases[i].status);
		if (status == 400) {
			assert_http_error(resp, "bad_request");
			assert_non_null(strstr(resp, "Content-Type must be application/json"));
		}
		free(resp);
		resp = NULL;
	}
	/* The refusal comes before the body: only the head is sent, and the answer is there. */
	assert_int_equal(post_raw(path, "Content-Type: text/plain\r\n", json, 0, &resp), 400);
	assert_http_error(resp, "bad_request");
	free(resp);
	assert_true(harness_log_contains(&H, "api request refused (400, content type) peer"));
}

static void test_http_static_index_with_csp(void **state)
{
	char path[512], req[512], csp[512], *resp = NULL, *conf, *line;
	FILE *f;
	int status;

	(void)state;
	/* Serve a web root of our own: rewrite web_root in the configuration and restart. */
	snprintf(path, sizeof(path), "%s/www", H.dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/www/index.html", H.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("<!doctype html><title>advice test page</title>\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/adviced.conf", H.dir);
	f = fopen(path, "r");
	assert_non_null(f);
	conf = calloc(1, 65536);
	assert_int_equal(fread(conf, 1, 65535, f) > 0, 1);
	fclose(f);
	f = fopen(path, "w");
	assert_non_null(f);
	for (line = strtok(conf, "\n"); line != NULL; line = strtok(NULL, "\n"))
		if (strncmp(line, "web_root", 8) != 0)
			fprintf(f, "%s\n", line);
	fprintf(f, "web_root = %s/www\n", H.dir);
	fclose(f);
	free(conf);
	assert_int_equal(harness_restart(&H), 0);

	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
		 H.port);
	status = http_raw(H.port, req, &resp);
	assert_int_equal(status, 200);
	/* The app's CSP: scripts and styles from this origin only, no inline code and no eval, but
	 * WebAssembly for libsodium; nothing but this origin reached; no framing. */
	assert_non_null(header_value(resp, "content-security-policy", csp, sizeof csp));
	assert_non_null(strstr(csp, "default-src 'none'"));
	assert_non_null(strstr(csp, "script-src 'self' 'wasm-unsafe-eval';"));
	assert_non_null(strstr(csp, "style-src 'self';"));
	assert_non_null(strstr(csp, "img-src 'self' data: blob:;"));
	assert_non_null(strstr(csp, "connect-src 'self';"));
	assert_non_null(strstr(csp, "frame-ancestors 'none'"));
	assert_null(strstr(csp, "'unsafe-inline'"));
	assert_null(strstr(csp, " 'unsafe-eval'"));
	assert_true(has_header(resp, "x-content-type-options"));
	assert_true(has_header(resp, "x-frame-options"));
	assert_non_null(strstr(resp, "advice test page"));
	free(resp);
	/* The API's responses carry the same headers. */
	snprintf(req, sizeof(req),
		 "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", H.port);
	status = http_raw(H.port, req, &resp);
	assert_int_equal(status, 200);
	assert_non_null(header_value(resp, "content-security-policy", csp, sizeof csp));
	assert_non_null(strstr(csp, "script-src 'self' 'wasm-unsafe-eval';"));
	assert_true(has_header(resp, "x-content-type-options"));
	free(resp);
}

/* ---- sessions ---- */

static void test_logout_closes_socket_4001(void **state)
{
	char *session = login_citizen(CITIZEN_HETU);
	char *other = login_citizen(CITIZEN2_HETU);
	struct advice_conn *k1 = harness_connect(&H, session);
	struct advice_conn *k2 = harness_connect(&H, session);
	struct advice_conn *k3 = harness_connect(&H, other);
	char *reply = NULL;
	int err = 0;

	(void)state;
	assert_non_null(k1);
	assert_non_null(k2);
	assert_non_null(k3);
	assert_int_equal(advice_logout(H.client, H.base_url, H.origin, session, T_MS), 0);
	assert_int_equal(advice_wait_closed(k1, T_MS), 0);
	assert_int_equal(advice_conn_close_code(k1), ADVICE_CLOSE_SESSION_ENDED);
	assert_int_equal(advice_wait_closed(k2, T_MS), 0);
	assert_int_equal(advice_conn_close_code(k2), ADVICE_CLOSE_SESSION_ENDED);
	/* Another session is untouched. */
	assert_true(advice_conn_is_open(k3));
	assert_int_equal(advice_request(k3, "{\"type\":\"categories.list\",\"id\":\"c\"}", &reply, T_MS), 0);
	free(reply);
	/* The ended session cannot connect again. */
	assert_null(advice_connect(H.client, H.base_url, H.origin, session, T_MS, &err));
	assert_int_equal(err, -ADVICE_ERR_UNAUTHENTICATED);
	advice_conn_free(k1);
	advice_conn_free(k2);
	advice_conn_free(k3);
	free(session);
	free(other);
}

/* Logout is idempotent (§4.6): without a cookie, with one that names no session or one
 * whose session ended already, it answers 200 and clears the cookie all the same. */
static void test_logout_without_valid_session(void **state)
{
	static const char ct[] = "Content-Type: application/json\r\n";
	char *session = login_citizen(CITIZEN_HETU), headers[256], *resp = NULL;
	const char *cookies[] = { NULL, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", session };

	(void)state;
	assert_int_equal(advice_logout(H.client, H.base_url, H.origin, session, T_MS), 0);
	for (size_t i = 0; i < sizeof(cookies) / sizeof(cookies[0]); i++) {
		json_t *j;

		snprintf(headers, sizeof(headers), "%s%s%s%s", ct,
			 cookies[i] ? "Cookie: " ADVICE_SESSION_COOKIE "=" : "", cookies[i] ? cookies[i] : "",
			 cookies[i] ? "\r\n" : "");
		assert_int_equal(post_raw("/api/v1/logout", headers, "{}", 1, &resp), 200);
		j = http_json_body(resp);
		assert_string_equal(json_string_value(json_object_get(j, "type")), "ok");
		json_decref(j);
		assert_non_null(strcasestr(resp, "\r\nset-cookie: " ADVICE_SESSION_COOKIE "=;"));
		assert_non_null(strstr(resp, "Max-Age=0"));
		free(resp);
		resp = NULL;
	}
	free(session);
}

/* ---- shutdown ---- */

/*
 * The drain test speaks WebSocket over a raw socket, for the one thing libadvice does not
 * offer: a ping. The server answers a ping after it has handled every frame before it, so
 * its pong proves that the writes sent before were read and handed to the core thread. The
 * core thread meanwhile waits for the database's write lock, which the test holds, so
 * those writes are still in flight when SIGTERM comes.
 */

#define DRAIN_WRITES 32 /* under max_inflight (64): the server keeps reading */
#define DRAIN_LATE   4	/* writes sent while draining: refused, never stored */
/* The core thread waits up to 5 s for the write lock (the store's busy timeout) before it
 * answers "unavailable"; the test holds the lock for milliseconds, and at most this long
 * while it waits for the drain to begin (which takes milliseconds too). */
#define DRAIN_LOCK_WAIT_MS 3000

struct rawws {
	int fd;
	unsigned char buf[65536];
	size_t len;
};

struct rawws_frame {
	int opcode; /* 0x1 text, 0x8 close, 0x9 ping, 0xA pong */
	char *data; /* malloc'd, NUL-terminated */
	size_t len;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Reads more bytes into the buffer; 0, or -1 at EOF, error or the receive timeout. */
static int rawws_fill(struct rawws *w)
{
	ssize_t n;

	assert_true(w->len < sizeof(w->buf));
	do
		n = read(w->fd, w->buf + w->len, sizeof(w->buf) - w->len);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	w->len += (size_t)n;
	return 0;
}

static void rawws_consume(struct rawws *w, size_t n)
{
	memmove(w->buf, w->buf + n, w->len - n);
	w->len -= n;
}

/* Opens a WebSocket as libadvice does (Origin, session cookie, subprotocol); fails the test
 * unless the server switches protocols. The welcome event stays in the buffer. */
static void rawws_open(struct rawws *w, const char *session)
{
	struct sockaddr_in a;
	struct timeval tv = { T_MS / 1000, 0 };
	char req[1024];
	unsigned char *end;

	memset(w, 0, sizeof(*w));
	w->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(w->fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)H.port);
	setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(w->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(req, sizeof(req),
		 "GET " ADVICE_WS_PATH " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " ADVICE_SUBPROTOCOL "\r\n"
		 "Origin: %s\r\nCookie: " ADVICE_SESSION_COOKIE "=%s\r\n\r\n",
		 H.port, H.origin, session);
	write_all(w->fd, req, strlen(req));
	while ((end = memmem(w->buf, w->len, "\r\n\r\n", 4)) == NULL)
		assert_int_equal(rawws_fill(w), 0);
	assert_true(w->len > 12 && memcmp(w->buf, "HTTP/1.1 101", 12) == 0);
	rawws_consume(w, (size_t)(end + 4 - w->buf));
}

/* Sends one whole frame, masked as a client must. */
static void rawws_send(struct rawws *w, int opcode, const char *data)
{
	static const unsigned char mask[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t len = strlen(data), h = 0;
	unsigned char *f = malloc(len + 8);

	assert_non_null(f);
	assert_true(len <= 0xffff);
	f[h++] = (unsigned char)(0x80 | opcode);
	if (len < 126) {
		f[h++] = (unsigned char)(0x80 | len);
	} else {
		f[h++] = 0x80 | 126;
		f[h++] = (unsigned char)(len >> 8);
		f[h++] = (unsigned char)len;
	}
	memcpy(f + h, mask, 4);
	h += 4;
	for (size_t i = 0; i < len; i++)
		f[h + i] = (unsigned char)data[i] ^ mask[i % 4];
	write_all(w->fd, f, h + len);
	free(f);
}

/* The next whole frame from the server (unmasked, unfragmented). 0, or -1 when the
 * connection ended or nothing came within T_MS. */
static int rawws_next(struct rawws *w, struct rawws_frame *out)
{
	size_t h = 2, len;

	while (w->len < 2)
		if (rawws_fill(w) != 0)
			return -1;
	assert_true(w->buf[0] & 0x80);	/* FIN: the server sends whole messages */
	assert_false(w->buf[1] & 0x80); /* servers do not mask */
	len = w->buf[1] & 0x7f;
	if (len >= 126) {
		h += len == 126 ? 2 : 8;
		while (w->len < h)
			if (rawws_fill(w) != 0)
				return -1;
		len = 0;
		for (size_t i = 2; i < h; i++)
			len = len << 8 | w->buf[i];
	}
	assert_true(h + len <= sizeof(w->buf));
	while (w->len < h + len)
		if (rawws_fill(w) != 0)
			return -1;
	out->opcode = w->buf[0] & 0x0f;
	out->data = malloc(len + 1);
	assert_non_null(out->data);
	memcpy(out->data, w->buf + h, len);
	out->data[len] = '\0';
	out->len = len;
	rawws_consume(w, h + len);
	return 0;
}

/* What the drain test has seen of the server's answers. */
struct drain_seen {
	int acked;   /* "ok" replies to the writes, in order: d0, d1, ... */
	int stopped; /* "server shutting down" refusals */
	int close_code;
};

/* Takes one text message: a reply to a write, a refusal while draining, or an event. */
static void drain_note(struct drain_seen *s, const char *json)
{
	json_t *root = json_loads(json, 0, NULL);
	const char *type = json_string_value(json_object_get(root, "type"));
	const char *id = json_string_value(json_object_get(root, "id"));
	const char *message = json_string_value(json_object_get(root, "message"));
	char want[16];

	assert_non_null(type);
	if (strcmp(type, "ok") == 0) {
		snprintf(want, sizeof(want), "d%d", s->acked);
		assert_non_null(id);
		assert_string_equal(id, want); /* each write once, in the order sent */
		s->acked++;
	} else if (strcmp(type, "error") == 0) {
		/* The only error allowed is the refusal of a write that came while draining,
		 * with the late write's id (§2.1). */
		assert_non_null(id);
		assert_int_equal(strncmp(id, "late", 4), 0);
		assert_non_null(message);
		assert_string_equal(message, "server shutting down");
		s->stopped++;
	} else {
		assert_string_equal(type, "event"); /* message.new of our own writes */
	}
	json_decref(root);
}

/* Reads frames until the pong with `token`, noting the messages before it. */
static void rawws_barrier(struct rawws *w, const char *token, struct drain_seen *s)
{
	struct rawws_frame f;

	rawws_send(w, 0x9, token);
	for (;;) {
		if (rawws_next(w, &f) != 0)
			fail_msg("the connection ended, or went silent, before the pong \"%s\"", token);
		if (f.opcode == 0x1)
			drain_note(s, f.data);
		if (f.opcode == 0xA && strcmp(f.data, token) == 0) {
			free(f.data);
			return;
		}
		free(f.data);
	}
}

/* Reads until the server's close frame (answered, then the socket closed); notes messages. */
static void rawws_until_close(struct rawws *w, struct drain_seen *s)
{
	struct rawws_frame f;

	s->close_code = 1006;
	while (rawws_next(w, &f) == 0) {
		if (f.opcode == 0x1)
			drain_note(s, f.data);
		if (f.opcode == 0x8) {
			if (f.len >= 2)
				s->close_code = (unsigned char)f.data[0] << 8 | (unsigned char)f.data[1];
			rawws_send(w, 0x8, "");
			free(f.data);
			break;
		}
		free(f.data);
	}
	close(w->fd);
}

/* Takes the database's write lock, as a writer's transaction does: the core thread's next
 * BEGIN IMMEDIATE waits for it. */
static sqlite3 *hold_write_lock(void)
{
	char path[300];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/advice.db", H.dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, T_MS);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void release_write_lock(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* Waits until the server logs the start of its drain, at most `ms`. 1 when it did. */
static int drain_began_within(int ms)
{
	long long deadline = now_ms() + ms;

	while (!harness_log_contains(&H, "stopping: draining")) {
		if (now_ms() >= deadline)
			return 0;
		sleep_ms(10);
	}
	return 1;
}

/* The thread's messages (one page holds them all), parsed; the caller decrefs. */
static json_t *thread_messages(struct advice_conn *k, const char *thread)
{
	char req[256], *reply = NULL;
	json_t *root, *messages;

	snprintf(req, sizeof(req),
		 "{\"type\":\"thread.read\",\"id\":\"all\",\"thread\":\"%s\",\"after_seq\":0,\"limit\":100}",
		 thread);
	assert_int_equal(advice_request(k, req, &reply, T_MS), 0);
	root = json_loads(reply, 0, NULL);
	free(reply);
	messages = json_incref(json_object_get(root, "messages"));
	json_decref(root);
	assert_true(json_array_size(messages) < 100);
	return messages;
}

static int body_count(json_t *messages, const char *body)
{
	json_t *m;
	size_t i;
	int n = 0;

	json_array_foreach (messages, i, m)
		if (strcmp(json_string_value(json_object_get(m, "body")), body) == 0)
			n++;
	return n;
}

static void send_write(struct rawws *w, const char *id, const char *thread, const char *body)
{
	char req[256];

	snprintf(req, sizeof(req),
		 "{\"type\":\"message.send\",\"id\":\"%s\",\"thread\":\"%s\",\"body\":\"%s\"}", id, thread,
		 body);
	rawws_send(w, 0x1, req);
}

/* Writes the server had taken when SIGTERM came are committed and acknowledged before it
 * closes; writes that arrive while it drains are refused and not stored. */
static void test_sigterm_keeps_acknowledged_writes(void **state)
{
	char *session = login_citizen(CITIZEN_HETU), *thread, body[32], id[16];
	struct advice_conn *k = harness_connect(&H, session);
	struct drain_seen seen = { 0 };
	struct rawws w;
	json_t *messages;
	sqlite3 *lock;

	(void)state;
	assert_non_null(k);
	thread = open_thread(k, "drain-open", "c2h1dGRvd24");
	advice_conn_free(k);
	rawws_open(&w, session);
	rawws_barrier(&w, "welcome", &seen); /* the welcome event has come */

	lock = hold_write_lock();
	for (int i = 0; i < DRAIN_WRITES; i++) {
		snprintf(id, sizeof(id), "d%d", i);
		snprintf(body, sizeof(body), "ZHJh%04d", i);
		send_write(&w, id, thread, body);
	}
	rawws_barrier(&w, "taken", &seen); /* the server has every write; none is committed */
	assert_int_equal(seen.acked, 0);
	assert_int_equal(kill(H.pid, SIGTERM), 0);
	assert_true(drain_began_within(DRAIN_LOCK_WAIT_MS));
	for (int i = 0; i < DRAIN_LATE; i++) {
		snprintf(id, sizeof(id), "late%d", i);
		snprintf(body, sizeof(body), "bGF0%04d", i);
		send_write(&w, id, thread, body);
	}
	rawws_barrier(&w, "late", &seen);
	release_write_lock(lock);
	rawws_until_close(&w, &seen);
	fprintf(stderr,
		"drain: %d of %d writes in flight acknowledged, %d late ones refused, close code %d\n",
		seen.acked, DRAIN_WRITES, seen.stopped, seen.close_code);
	/* Every write in flight at SIGTERM was acknowledged, every late one refused, and then the
	 * server said it is going away. */
	assert_int_equal(seen.acked, DRAIN_WRITES);
	assert_int_equal(seen.stopped, DRAIN_LATE);
	assert_int_equal(seen.close_code, 1001);

	/* After the restart: the acknowledged writes are there once each, the refused ones not. */
	assert_int_equal(harness_restart(&H), 0);
	k = harness_connect(&H, session);
	assert_non_null(k);
	messages = thread_messages(k, thread);
	for (int i = 0; i < DRAIN_WRITES; i++) {
		snprintf(body, sizeof(body), "ZHJh%04d", i);
		if (body_count(messages, body) != 1)
			fail_msg("acknowledged write d%d is not stored exactly once after SIGTERM", i);
	}
	for (int i = 0; i < DRAIN_LATE; i++) {
		snprintf(body, sizeof(body), "bGF0%04d", i);
		assert_int_equal(body_count(messages, body), 0);
	}
	json_decref(messages);
	advice_conn_free(k);
	free(thread);
	free(session);
}

/* GET /api/v1/service without a session: the demo's categories without their units, the
 * configured numbers and exit address (over the demo's), the demo's privacy and accessibility
 * contacts, cacheable for 30 s and the same answer meanwhile; only
 * GET (405 otherwise); past service_rate_burst from one address, 429 with Retry-After. */
static void test_service_front_page(void **state)
{
	static const char extra[] = "service_rate_burst = 4\nservice_rate_per_minute = 1\n"
				    "social_emergency_number = 0800 12 345\n"
				    "exit_url = http://127.0.0.1:9/weather\n";
	struct harness s;
	char req[256], value[128], *resp = NULL, *again = NULL;
	json_t *j, *e;
	size_t i;

	(void)state;
	assert_int_equal(harness_start_with(&s, 0, extra), 0);
	snprintf(req, sizeof(req),
		 "GET /api/v1/service HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", s.port);
	assert_int_equal(http_raw(s.port, req, &resp), 200);
	assert_non_null(header_value(resp, "cache-control", value, sizeof value));
	assert_string_equal(value, "public, max-age=30");
	assert_true(has_header(resp, "content-security-policy"));
	j = http_json_body(resp);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "ok");
	assert_string_equal(json_string_value(json_object_get(j, "emergency_number")), "112");
	assert_string_equal(json_string_value(json_object_get(j, "social_emergency_number")), "0800 12 345");
	assert_string_equal(json_string_value(json_object_get(j, "exit_url")), "http://127.0.0.1:9/weather");
	/* The demo's own values (advicectl init --demo) where the test sets none. */
	assert_string_equal(json_string_value(json_object_get(j, "privacy_contact")),
			    "tietosuoja@demokunta.invalid, PL 1, 00099 Demokunta (demo)");
	assert_string_equal(json_string_value(json_object_get(j, "controller_name")),
			    "Demokunta (demo): sosiaali- ja terveyslautakunta");
	assert_string_equal(json_string_value(json_object_get(j, "accessibility_contact")),
			    "saavutettavuus@demokunta.invalid (demo)");
	assert_true(json_array_size(json_object_get(j, "categories")) > 0);
	json_array_foreach (json_object_get(j, "categories"), i, e) {
		assert_non_null(json_object_get(e, "service_hours"));
		assert_null(json_object_get(e, "unit"));
	}
	json_decref(j);
	/* Reused while fresh: the same answer, "time" and all. */
	assert_int_equal(http_raw(s.port, req, &again), 200);
	assert_string_equal(strstr(again, "\r\n\r\n"), strstr(resp, "\r\n\r\n"));
	free(again);
	free(resp);

	snprintf(req, sizeof(req),
		 "POST /api/v1/service HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
		 "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
		 s.port);
	assert_int_equal(http_raw(s.port, req, &resp), 405);
	assert_non_null(header_value(resp, "allow", value, sizeof value));
	assert_string_equal(value, "GET");
	free(resp);

	/* Two of the burst of four are spent: two more, then 429. */
	snprintf(req, sizeof(req),
		 "GET /api/v1/service HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", s.port);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(http_raw(s.port, req, &resp), 200);
		free(resp);
	}
	assert_int_equal(http_raw(s.port, req, &resp), 429);
	assert_true(has_header(resp, "retry-after"));
	assert_non_null(header_value(resp, "cache-control", value, sizeof value));
	assert_string_equal(value, "no-store");
	assert_http_error(resp, "rate_limited");
	free(resp);
	assert_true(harness_log_contains(&s, "front page request refused (429"));
	assert_int_equal(harness_stop(&s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ws_foreign_origin_refused),
		cmocka_unit_test(test_ws_missing_origin_refused),
		cmocka_unit_test(test_ws_session_required),
		cmocka_unit_test(test_ws_message_over_cap_closes_1009),
		cmocka_unit_test(test_ws_fragmented_message_within_cap),
		cmocka_unit_test(test_ws_binary_frames_are_chunks),
		cmocka_unit_test(test_ws_upgrade_refusals_are_http_errors),
		cmocka_unit_test(test_http_api_refusals),
		cmocka_unit_test(test_http_content_type_json_only),
		cmocka_unit_test(test_logout_without_valid_session),
		cmocka_unit_test(test_logout_closes_socket_4001),
		cmocka_unit_test(test_ws_slow_consumer_disconnected),
		cmocka_unit_test(test_sigterm_keeps_acknowledged_writes),
		cmocka_unit_test(test_http_static_index_with_csp),
		cmocka_unit_test(test_service_front_page),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
