/*
 * test_net_loop.c - integration tests of adviced's event loop and connection bookkeeping
 * (server/net/net.c on libev/epoll): the server's pings keep an answering client open and hang
 * up on a silent one after idle_timeout_s, the connection limit refuses with 503 and frees
 * its slot when a socket closes, live events reach every remaining connection of a user
 * whichever of its other connections closed first, and logout closes exactly the sockets of
 * the ended session; and libadvice's choice of source address.
 */
#include <arpa/inet.h>
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
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define T_MS	      10000
#define CITIZEN_HETU  "010190-900P"
#define CITIZEN2_HETU "020285-9416"
#define MAX_CONNS     16 /* the configuration's minimum */
#define PING_S	      1
#define IDLE_S	      3

#define HANG_UP_WITHIN_MS 60000 /* a server that never hangs up would ping for ever */

static struct harness H;

static int setup(void **state)
{
	char extra[128];

	(void)state;
	/* One session fills the server: its own limit of WebSockets is above the server's. */
	snprintf(extra, sizeof(extra),
		 "ping_interval_s = %d\nidle_timeout_s = %d\nmax_connections = %d\nsession_max_connections = "
		 "%d\n",
		 PING_S, IDLE_S, MAX_CONNS, MAX_CONNS + 1);
	return harness_start_with(&H, 0, extra);
}

static int teardown(void **state)
{
	(void)state;
	return harness_stop(&H);
}

/* ---- helpers ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *login_citizen(const char *hetu)
{
	char *session = NULL;

	assert_int_equal(harness_login_citizen(&H, hetu, &session), 0);
	assert_non_null(session);
	return session;
}

/* Pumps the client for `ms` milliseconds (it answers the server's pings meanwhile). */
static void pump_for(int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end)
		advice_client_service(H.client, (int)(end - now_ms()));
}

/* Opens a TCP connection to the server and upgrades it to advice.v1 with the session, then
 * never answers anything. Returns the socket (101 read), or -1. */
static int raw_ws_open(const char *session)
{
	struct sockaddr_in a;
	struct timeval tv = { 10, 0 };
	char req[1024], resp[2048];
	size_t len = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)H.port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
		 "Sec-WebSocket-Protocol: %s\r\nOrigin: %s\r\nCookie: %s=%s\r\n\r\n",
		 ADVICE_WS_PATH, H.port, ADVICE_SUBPROTOCOL, H.origin, ADVICE_SESSION_COOKIE, session);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto fail;
	/* Read byte by byte up to the end of the headers: what follows are frames. */
	while (len + 1 < sizeof(resp)) {
		if (read(fd, resp + len, 1) != 1)
			goto fail;
		len++;
		resp[len] = '\0';
		if (len >= 4 && strcmp(resp + len - 4, "\r\n\r\n") == 0)
			break;
	}
	if (strncmp(resp, "HTTP/1.1 101", 12) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Reads exactly n bytes. 0, or -1 at EOF, error or timeout. */
static int read_full(int fd, unsigned char *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, buf, n);

		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Reads the server's (unmasked) frames until the connection ends. Returns the number of
 * ping frames seen, or -1 when the socket timed out or `deadline` (now_ms()) passed instead
 * of the server closing it. */
static int count_pings_until_closed(int fd, int64_t deadline)
{
	unsigned char hdr[2], ext[8], skip[4096];
	int pings = 0;

	for (;;) {
		uint64_t plen;

		if (now_ms() > deadline)
			return -1;
		if (read_full(fd, hdr, 2) != 0)
			break;
		plen = hdr[1] & 0x7f;
		if (plen == 126 || plen == 127) {
			size_t elen = plen == 126 ? 2 : 8;

			if (read_full(fd, ext, elen) != 0)
				break;
			plen = 0;
			for (size_t i = 0; i < elen; i++)
				plen = plen << 8 | ext[i];
		}
		if ((hdr[0] & 0x0f) == 0x9)
			pings++;
		while (plen > 0) {
			size_t chunk = plen < sizeof(skip) ? (size_t)plen : sizeof(skip);

			if (read_full(fd, skip, chunk) != 0)
				return pings;
			plen -= chunk;
		}
	}
	/* A timeout leaves errno EAGAIN; an orderly close or a reset ends the loop otherwise. */
	{
		unsigned char b;
		ssize_t r = recv(fd, &b, 1, MSG_DONTWAIT);

		return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ? pings : -1;
	}
}

/* Waits for an event named `event` on the connection. 0, or -1 (closed or timed out). */
static int wait_event(struct advice_conn *k, const char *event)
{
	for (int i = 0; i < 100; i++) {
		char *m = NULL;
		json_t *root;
		const char *ev;
		int match;

		if (advice_next_message(k, &m, T_MS) != 0)
			return -1;
		root = json_loads(m, 0, NULL);
		ev = json_string_value(json_object_get(root, "event"));
		match = ev != NULL && strcmp(ev, event) == 0;
		json_decref(root);
		free(m);
		if (match)
			return 0;
	}
	return -1;
}

/* Opens a thread from the connection; returns its id (malloc'd). */
static char *open_thread(struct advice_conn *k)
{
	char *reply = NULL, *thread;
	json_t *root;

	assert_int_equal(
		advice_request(k,
			       "{\"type\":\"thread.open\",\"id\":\"o\",\"category\":\"adult-social-work\","
			       "\"body\":\"aGVsbG8\"}",
			       &reply, T_MS),
		0);
	root = json_loads(reply, 0, NULL);
	thread = strdup(json_string_value(json_object_get(root, "thread")));
	json_decref(root);
	free(reply);
	return thread;
}

/* ---- pings and idle hang-up ---- */

static void test_answering_client_outlives_idle_timeout(void **state)
{
	char *session = login_citizen(CITIZEN_HETU), *reply = NULL;
	struct advice_conn *k = harness_connect(&H, session);

	(void)state;
	assert_non_null(k);
	/* Longer than idle_timeout_s: only the pongs to the server's pings keep it open. */
	pump_for((IDLE_S + 2) * 1000);
	assert_true(advice_conn_is_open(k));
	assert_int_equal(advice_request(k, "{\"type\":\"categories.list\",\"id\":\"c\"}", &reply, T_MS), 0);
	free(reply);
	advice_conn_free(k);
	free(session);
}

static void test_silent_client_is_pinged_then_hung_up(void **state)
{
	char *session = login_citizen(CITIZEN_HETU);
	int64_t t0;
	int fd, pings;

	(void)state;
	fd = raw_ws_open(session);
	assert_true(fd >= 0);
	t0 = now_ms();
	/* Pinged, then hung up: not before idle_timeout_s of silence (less a second of
	 * slack), and at all, within a deadline with ample room for a loaded
	 * machine (how promptly is the benchmark's question, not a test's). */
	pings = count_pings_until_closed(fd, t0 + HANG_UP_WITHIN_MS);
	close(fd);
	assert_true(pings >= 1);
	assert_true(now_ms() - t0 >= (IDLE_S - 1) * 1000);
	free(session);
}

/* ---- limits ---- */

static void test_connection_limit_refuses_then_frees_slot(void **state)
{
	char *session = login_citizen(CITIZEN_HETU);
	struct advice_conn *k[MAX_CONNS], *extra = NULL;
	int err = 0;

	(void)state;
	for (int i = 0; i < MAX_CONNS; i++) {
		k[i] = harness_connect(&H, session);
		assert_non_null(k[i]);
	}
	assert_null(advice_connect(H.client, H.base_url, H.origin, session, T_MS, &err));
	assert_int_equal(err, -ADVICE_ERR_UNAVAILABLE);
	advice_conn_free(k[3]);
	k[3] = NULL;
	/* The slot comes free once the server has seen the close. */
	for (int i = 0; i < 50 && extra == NULL; i++) {
		extra = advice_connect(H.client, H.base_url, H.origin, session, T_MS, &err);
		if (extra == NULL) {
			assert_int_equal(err, -ADVICE_ERR_UNAVAILABLE);
			pump_for(100);
		}
	}
	assert_non_null(extra);
	advice_conn_free(extra);
	for (int i = 0; i < MAX_CONNS; i++)
		advice_conn_free(k[i]);
	free(session);
}

/* ---- topics and sessions ---- */

#define USER_CONNS 7

static void test_events_reach_remaining_connections(void **state)
{
	char *session = login_citizen(CITIZEN_HETU), *other = login_citizen(CITIZEN2_HETU), *thread,
	     *reply = NULL;
	struct advice_conn *k[USER_CONNS], *o;
	char req[256];

	(void)state;
	for (int i = 0; i < USER_CONNS; i++) {
		k[i] = harness_connect(&H, session);
		assert_non_null(k[i]);
	}
	o = harness_connect(&H, other);
	assert_non_null(o);
	thread = open_thread(k[1]);
	/* Leave the user's topic from the front, the middle and the end of its member list. */
	advice_conn_free(k[0]);
	advice_conn_free(k[3]);
	advice_conn_free(k[6]);
	k[0] = k[3] = k[6] = NULL;
	pump_for(200);
	snprintf(req, sizeof(req),
		 "{\"type\":\"message.send\",\"id\":\"m\",\"thread\":\"%s\",\"body\":\"aGk\"}", thread);
	assert_int_equal(advice_request(k[1], req, &reply, T_MS), 0);
	free(reply);
	assert_int_equal(wait_event(k[2], "message.new"), 0);
	assert_int_equal(wait_event(k[4], "message.new"), 0);
	assert_int_equal(wait_event(k[5], "message.new"), 0);

	/* Logout ends exactly this session's sockets. */
	assert_int_equal(advice_logout(H.client, H.base_url, H.origin, session, T_MS), 0);
	for (int i = 1; i < USER_CONNS; i++) {
		if (k[i] == NULL)
			continue;
		assert_int_equal(advice_wait_closed(k[i], T_MS), 0);
		assert_int_equal(advice_conn_close_code(k[i]), ADVICE_CLOSE_SESSION_ENDED);
		advice_conn_free(k[i]);
	}
	assert_true(advice_conn_is_open(o));
	assert_int_equal(advice_request(o, "{\"type\":\"categories.list\",\"id\":\"c\"}", &reply, T_MS), 0);
	free(reply);
	advice_conn_free(o);
	free(thread);
	free(session);
	free(other);
}

/* ---- the client's source address ---- */

static void test_client_source_address(void **state)
{
	char *session = login_citizen(CITIZEN_HETU), *reply = NULL, longer[80];
	struct advice_conn *k;
	int err = 0;

	(void)state;
	memset(longer, '1', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(advice_client_set_source(NULL, "127.0.0.2"), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_client_set_source(H.client, longer), -ADVICE_ERR_INVAL);
	assert_int_equal(advice_client_set_source(H.client, "127.0.0.2"), 0);
	/* Refused for want of a session: the server's notice names the peer's address. */
	assert_null(advice_connect(H.client, H.base_url, H.origin, NULL, T_MS, &err));
	assert_int_equal(err, -ADVICE_ERR_UNAUTHENTICATED);
	assert_true(harness_log_contains(&H, "peer ::ffff:127.0.0.2") ||
		    harness_log_contains(&H, "peer 127.0.0.2"));
	k = harness_connect(&H, session);
	assert_non_null(k);
	assert_int_equal(advice_request(k, "{\"type\":\"categories.list\",\"id\":\"c\"}", &reply, T_MS), 0);
	free(reply);
	advice_conn_free(k);
	assert_int_equal(advice_client_set_source(H.client, NULL), 0);
	free(session);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answering_client_outlives_idle_timeout),
		cmocka_unit_test(test_silent_client_is_pinged_then_hung_up),
		cmocka_unit_test(test_connection_limit_refuses_then_frees_slot),
		cmocka_unit_test(test_events_reach_remaining_connections),
		cmocka_unit_test(test_client_source_address),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
