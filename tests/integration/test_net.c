/*
 * test_net.c - integration tests of adviced's network layer (server/net*.c) through
 * libadvice and raw sockets: origin and session checks at the WebSocket upgrade, message
 * size caps and fragments, binary frames, slow consumers, the HTTP API's refusals, static
 * files with their security headers, logout closing sockets, and a SIGTERM drain that keeps
 * every acknowledged write.
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
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

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

static long long json_field_int(const char *json, const char *name)
{
	json_t *root = json_loads(json, 0, NULL);
	long long v = (long long)json_integer_value(json_object_get(root, name));

	json_decref(root);
	return v;
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

static void test_ws_slow_consumer_disconnected(void **state)
{
	struct advice_client *slow_client = advice_client_new();
	char *citizen = login_citizen(CITIZEN_HETU);
	struct advice_conn *slow, *k;
	size_t blen = ADVICE_MAX_BODY_B64 - 4;
	char *body = malloc(blen + 1), *thread, *reply = NULL;
	int err = 0, i, rc = -1;
	long rss_before, rss_after;

	(void)state;
	assert_non_null(slow_client);
	/* A second connection of the citizen lives on a client that is never serviced: it
	 * stops reading while the server pushes it every message with its body. */
	slow = advice_connect(slow_client, H.base_url, H.origin, citizen, T_MS, &err);
	assert_non_null(slow);
	k = harness_connect(&H, citizen);
	assert_non_null(k);
	memset(body, 'A', blen);
	body[blen] = '\0';
	thread = open_thread(k, "slow-open", body);
	rss_before = rss_kb(H.pid);
	/* Every message pushes ~44 KB to the citizen's topic; the queue (1 MiB) and the socket
	 * buffers fill up long before 400 of them. */
	for (i = 0; i < 400 && !harness_log_contains(&H, "outbound queue full"); i++) {
		char id[32];
		json_t *req;
		char *text;

		snprintf(id, sizeof(id), "slow-%d", i); /* ids must differ: the core dedups them */
		req = json_pack("{s:s,s:s,s:s,s:s}", "type", "message.send", "id", id, "thread", thread,
				"body", body);
		text = json_dumps(req, JSON_COMPACT);

		json_decref(req);
		rc = advice_request(k, text, &reply, T_MS);
		free(text);
		free(reply);
		reply = NULL;
		if (rc != 0)
			break;
		while (advice_next_message(k, &reply, 0) == 0) { /* drop our own copies */
			free(reply);
			reply = NULL;
		}
		if (i % 100 == 99)
			fprintf(stderr, "slow consumer: %d messages, server RSS %ld kB\n", i + 1,
				rss_kb(H.pid));
	}
	assert_int_equal(rc, 0);
	assert_true(harness_log_contains(&H, "outbound queue full"));
	rss_after = rss_kb(H.pid);
	fprintf(stderr, "slow consumer: cut after %d messages, server RSS %ld -> %ld kB\n", i, rss_before,
		rss_after);
	/* The queue stayed within its bounds (the log line says how full it was). RSS is only
	 * printed: under ASan the quarantine of freed memory dominates it. */
	/* The server stays responsive for others. */
	assert_int_equal(advice_request(k, "{\"type\":\"categories.list\",\"id\":\"after\"}", &reply, T_MS),
			 0);
	free(reply);
	/* And the slow one finds its connection closed once it looks. */
	assert_int_equal(advice_wait_closed(slow, T_MS), 0);
	fprintf(stderr, "slow consumer: close code %d\n", advice_conn_close_code(slow));
	advice_conn_free(slow);
	advice_client_free(slow_client);
	advice_conn_free(k);
	free(thread);
	free(body);
	free(citizen);
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

static void test_http_static_index_with_csp(void **state)
{
	char path[512], req[512], *resp = NULL, *conf, *line;
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
	assert_true(has_header(resp, "content-security-policy"));
	assert_true(has_header(resp, "x-content-type-options"));
	assert_non_null(strstr(resp, "advice test page"));
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

/* ---- shutdown ---- */

#define DRAIN_REQUESTS 300

static int seq_present(const char *read_reply, long long seq)
{
	json_t *root = json_loads(read_reply, 0, NULL);
	json_t *msgs = json_object_get(root, "messages"), *m;
	size_t i;
	int found = 0;

	json_array_foreach (msgs, i, m)
		if (json_integer_value(json_object_get(m, "seq")) == seq)
			found = 1;
	json_decref(root);
	return found;
}

static void test_sigterm_keeps_acknowledged_writes(void **state)
{
	char *session = login_citizen(CITIZEN_HETU);
	struct advice_conn *k = harness_connect(&H, session);
	long long acked[DRAIN_REQUESTS];
	int nacked = 0, sent = 0, closed = 0, rc;
	char *thread, *m = NULL;

	(void)state;
	assert_non_null(k);
	thread = open_thread(k, "drain-open", "c2h1dGRvd24");
	/* Pipeline many writes, then stop the server while they are in flight. */
	for (sent = 0; sent < DRAIN_REQUESTS; sent++) {
		char id[32];
		json_t *req;
		char *text;

		snprintf(id, sizeof(id), "w%d", sent);
		req = json_pack("{s:s,s:s,s:s,s:s}", "type", "message.send", "id", id, "thread", thread,
				"body", "bWVzc2FnZQ");
		text = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		rc = advice_send(k, text);
		free(text);
		/* Once stopping, the server may close the socket before the client is done. */
		if (rc != 0 && sent > DRAIN_REQUESTS / 3)
			break;
		assert_int_equal(rc, 0);
		if (sent == DRAIN_REQUESTS / 3)
			assert_int_equal(kill(H.pid, SIGTERM), 0);
		advice_client_service(H.client, 0);
	}
	/* Collect every answer until the server closes the socket. */
	while (!closed) {
		rc = advice_next_message(k, &m, T_MS);
		if (rc != 0) {
			closed = 1;
			break;
		}
		if (strstr(m, "\"type\":\"ok\"") != NULL && strstr(m, "\"id\":\"w") != NULL)
			acked[nacked++] = json_field_int(m, "seq");
		free(m);
		m = NULL;
	}
	fprintf(stderr, "drain: %d of %d writes acknowledged, close code %d\n", nacked, sent,
		advice_conn_close_code(k));
	assert_true(advice_conn_close_code(k) == 1001 || advice_conn_close_code(k) == 1006);
	advice_conn_free(k);

	assert_int_equal(harness_restart(&H), 0);
	assert_true(harness_log_contains(&H, "stopping: draining"));
	k = harness_connect(&H, session);
	assert_non_null(k);
	for (int i = 0; i < nacked; i++) {
		char req[256], *reply = NULL;

		snprintf(req, sizeof(req),
			 "{\"type\":\"thread.read\",\"id\":\"r%d\",\"thread\":\"%s\",\"after_seq\":%lld,"
			 "\"limit\":1}",
			 i, thread, acked[i] - 1);
		assert_int_equal(advice_request(k, req, &reply, T_MS), 0);
		if (!seq_present(reply, acked[i]))
			fail_msg("acknowledged message seq %lld lost after SIGTERM", acked[i]);
		free(reply);
	}
	advice_conn_free(k);
	free(thread);
	free(session);
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
		cmocka_unit_test(test_http_api_refusals),
		cmocka_unit_test(test_logout_closes_socket_4001),
		cmocka_unit_test(test_ws_slow_consumer_disconnected),
		cmocka_unit_test(test_sigterm_keeps_acknowledged_writes),
		cmocka_unit_test(test_http_static_index_with_csp),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
