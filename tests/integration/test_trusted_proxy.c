/*
 * test_trusted_proxy.c - the client address behind a trusted reverse proxy (trusted_proxies,
 * PROTOCOL.md §4.5.4), against the real adviced with 127.0.0.2 as the proxy. From any other
 * peer X-Forwarded-For is ignored: a spoofed header does not escape the peer's limit. From the
 * proxy the staff login limit keys on the forwarded address: two forwarded addresses are
 * limited separately, and neither uses up the proxy's own allowance. A malformed header from
 * the proxy names no client: the proxy's address counts, the server counts it in its log and
 * keeps serving. The per-address connection cap counts the forwarded address too, and does
 * not cap the proxy itself.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
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

#include "harness.h"

#define PROXY	  "127.0.0.2"
#define OTHER	  "127.0.0.3" /* a peer that is not trusted */
#define WRONG_KEY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define HEALTH_OK "{\"status\":\"ok\"}"

static int start(void **state, const char *conf)
{
	struct harness *h = calloc(1, sizeof(*h));

	*state = h;
	return h != NULL ? harness_start_with(h, 0, conf) : -1;
}

/* Two failed staff logins per address at once, then one a minute. */
static int setup_logins(void **state)
{
	return start(state, "trusted_proxies = " PROXY ", 2001:db8::1\n"
			    "staff_login_burst = 2\n"
			    "staff_login_per_minute = 1\n");
}

/* Three connections per address. */
static int setup_connections(void **state)
{
	return start(state, "trusted_proxies = " PROXY "\n"
			    "max_connections_per_address = 3\n");
}

static int teardown(void **state)
{
	struct harness *h = *state;
	int rc;

	if (h == NULL)
		return 0;
	rc = harness_stop(h);
	free(h);
	return rc;
}

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A TCP connection to the server from the address `from` (127.0.0.0/8). */
static int connect_from(struct harness *h, const char *from)
{
	struct sockaddr_in src, dst;
	struct timeval tv = { 5, 0 };
	int fd;

	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, from, &src.sin_addr), 1);
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst.sin_port = htons((uint16_t)h->port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	return fd;
}

/* Sends `req` on `fd` and reads until `until` is in the answer, the peer closes or 5 s pass:
 * the answer (malloc'd, NUL-terminated; "" when closed unanswered). */
static char *exchange(int fd, const char *req, const char *until)
{
	char *buf = calloc(1, 8192);
	size_t len = 0;

	assert_non_null(buf);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return buf; /* closed already */
	while (len < 8191 && (until == NULL || strstr(buf, until) == NULL)) {
		ssize_t n = read(fd, buf + len, 8191 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return buf;
}

/* A failed login of a name never used before (so no account backs off) from `from`, with
 * the header `xff` (NULL: none): the HTTP status, or -1 when unanswered. */
static int wrong_login(struct harness *h, const char *from, const char *xff)
{
	static int serial;
	char body[200], hdr[300] = "", req[900], *resp;
	int fd = connect_from(h, from), status = -1;

	snprintf(body, sizeof(body), "{\"username\":\"ghost%d\",\"auth_key\":\"%s\"}", ++serial, WRONG_KEY);
	if (xff != NULL)
		snprintf(hdr, sizeof(hdr), "X-Forwarded-For: %s\r\n", xff);
	snprintf(req, sizeof(req),
		 "POST /api/v1/login/worker HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
		 "%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 hdr, strlen(body), body);
	resp = exchange(fd, req, NULL);
	close(fd);
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
	if (status == 429)
		assert_non_null(strstr(resp, "\"rate_limited\""));
	free(resp);
	return status;
}

static void test_spoofed_header_from_untrusted_peer_is_ignored(void **state)
{
	struct harness *h = *state;

	assert_int_equal(wrong_login(h, OTHER, "198.51.100.1"), 401);
	assert_int_equal(wrong_login(h, OTHER, "198.51.100.2"), 401);
	/* A third forwarded address does not help: the limit is the peer's. */
	assert_int_equal(wrong_login(h, OTHER, "198.51.100.3"), 429);
	assert_int_equal(wrong_login(h, OTHER, NULL), 429);
	/* The proxy (another peer) is not limited by it. */
	assert_int_equal(wrong_login(h, PROXY, "198.51.100.1"), 401);
}

static void test_trusted_proxy_limits_each_forwarded_address(void **state)
{
	struct harness *h = *state;

	assert_int_equal(wrong_login(h, PROXY, "198.51.100.1"), 401);
	assert_int_equal(wrong_login(h, PROXY, "198.51.100.1"), 401);
	assert_int_equal(wrong_login(h, PROXY, "198.51.100.1"), 429);
	/* Another client behind the proxy has its own allowance, also behind two proxies and
	 * whatever it wrote itself on the left. */
	assert_int_equal(wrong_login(h, PROXY, "198.51.100.2"), 401);
	assert_int_equal(wrong_login(h, PROXY, "1.2.3.4, 198.51.100.2, 2001:db8::1"), 401);
	assert_int_equal(wrong_login(h, PROXY, "198.51.100.1, 198.51.100.2"), 429);
	/* The proxy's own requests (no header) have the proxy's allowance, untouched. */
	assert_int_equal(wrong_login(h, PROXY, NULL), 401);
	assert_int_equal(wrong_login(h, PROXY, NULL), 401);
	assert_int_equal(wrong_login(h, PROXY, NULL), 429);
}

static void test_malformed_header_counts_the_proxy(void **state)
{
	static const char *const bad[] = { "not-an-address", "198.51.100.1:4711", ", ,", "[::1]" };
	struct harness *h = *state;
	long long deadline;
	int fd;
	char *resp;

	/* Each names no client: all four count under the proxy, whose burst is 2. */
	assert_int_equal(wrong_login(h, PROXY, bad[0]), 401);
	assert_int_equal(wrong_login(h, PROXY, bad[1]), 401);
	assert_int_equal(wrong_login(h, PROXY, bad[2]), 429);
	assert_int_equal(wrong_login(h, PROXY, bad[3]), 429);
	/* A well-formed one still has its client's allowance, and the server serves. */
	assert_int_equal(wrong_login(h, PROXY, "198.51.100.7"), 401);
	fd = connect_from(h, PROXY);
	resp = exchange(fd,
			"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: ,,,\r\n"
			"Connection: close\r\n\r\n",
			HEALTH_OK);
	close(fd);
	assert_non_null(strstr(resp, HEALTH_OK));
	free(resp);
	deadline = monotonic_ms() + 5000;
	while (!harness_log_contains(h, "X-Forwarded-For of a trusted proxy naming no client: ") &&
	       monotonic_ms() < deadline)
		usleep(50 * 1000);
	assert_true(harness_log_contains(h, "X-Forwarded-For of a trusted proxy naming no client: "));
}

/* An HTTP/1.1 health request on `fd` with X-Forwarded-For `xff`: 1 when answered. */
static int health(int fd, const char *xff)
{
	char req[300], *resp;
	int ok;

	snprintf(req, sizeof(req),
		 "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: %s\r\n\r\n", xff);
	resp = exchange(fd, req, HEALTH_OK);
	ok = strstr(resp, HEALTH_OK) != NULL;
	free(resp);
	return ok;
}

static void test_connection_cap_counts_the_forwarded_address(void **state)
{
	struct harness *h = *state;
	int fds[8], n = 0, extra;

	/* Three kept-open connections of one forwarded client, then a fourth is closed unanswered. */
	for (int i = 0; i < 3; i++) {
		fds[n] = connect_from(h, PROXY);
		assert_true(health(fds[n++], "198.51.100.1"));
	}
	extra = connect_from(h, PROXY);
	assert_false(health(extra, "198.51.100.1"));
	close(extra);
	/* Another client behind the same proxy is served, and so are the proxy's own requests
	 * beyond three connections. */
	fds[n] = connect_from(h, PROXY);
	assert_true(health(fds[n++], "198.51.100.2"));
	fds[n] = connect_from(h, PROXY);
	assert_true(health(fds[n++], PROXY));
	/* A connection that moves to another client is counted there. */
	assert_true(health(fds[0], "198.51.100.2"));
	extra = connect_from(h, PROXY);
	assert_true(health(extra, "198.51.100.1"));
	close(extra);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spoofed_header_from_untrusted_peer_is_ignored,
						setup_logins, teardown),
		cmocka_unit_test_setup_teardown(test_trusted_proxy_limits_each_forwarded_address,
						setup_logins, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_header_counts_the_proxy, setup_logins,
						teardown),
		cmocka_unit_test_setup_teardown(test_connection_cap_counts_the_forwarded_address,
						setup_connections, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
