/*
 * test_net_abuse.c - what one client can hold of adviced's sockets (server/net/net_guard.c),
 * with raw sockets: slow headers and slow bodies (also after a 413) closed at their phase's
 * absolute deadline while another client is served, the per-address connection cap (another
 * address still gets in, and a closed socket frees its place), Transfer-Encoding refused,
 * bodies to static files refused before they are read, and running out of descriptors: the
 * listener rests instead of spinning, the log gets a few lines, not one per attempt, the
 * server serves again once sockets close, and while slow bodies from several addresses hold
 * every descriptor a new client is served at once, not after the body deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "advice.h"
#include "harness.h"
#include "itest.h"

#define DEADLINES_CONF "header_timeout_s = 2\nbody_timeout_s = 2\n"
#define CAP_CONF       "max_connections_per_address = 4\nheader_timeout_s = 60\n"
#define EXHAUST_CONF   "header_timeout_s = 60\n"
#define EXHAUST_NOFILE 64  /* adviced's descriptors in the exhaustion test */
#define EXHAUST_SOCKS  120 /* more connections than that */
#define SHED_CONF      "header_timeout_s = 60\nbody_timeout_s = 30\n"
#define SHED_ADDRS     5    /* the slow bodies come from 127.0.0.1 to 127.0.0.5 */
#define SHED_SERVED_MS 3000 /* a new client is answered within this, far below body_timeout_s */

static struct harness H;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup_deadlines(void **state)
{
	(void)state;
	return harness_start_with(&H, 0, DEADLINES_CONF);
}

static int setup_cap(void **state)
{
	(void)state;
	return harness_start_with(&H, 0, CAP_CONF);
}

static int setup_exhaust(void **state)
{
	(void)state;
	return harness_start_nofile(&H, EXHAUST_CONF, EXHAUST_NOFILE);
}

static int setup_shed(void **state)
{
	(void)state;
	return harness_start_nofile(&H, SHED_CONF, EXHAUST_NOFILE);
}

static int teardown(void **state)
{
	(void)state;
	return harness_stop(&H);
}

/* ---- raw sockets ---- */

/* A TCP connection to the server from the local address `from` ("127.0.0.1", "127.0.0.2");
 * -1 on failure. */
static int dial_from(const char *from)
{
	struct sockaddr_in a, src;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&src, 0, sizeof src);
	src.sin_family = AF_INET;
	inet_pton(AF_INET, from, &src.sin_addr);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)H.port);
	if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *s)
{
	size_t len = strlen(s);

	return send(fd, s, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Reads one response (its headers, and a body up to what has arrived) within `ms`: the status
 * (> 0) with the text in buf, 0 when the server closed without answering, -1 on timeout. */
static int read_response(int fd, char *buf, size_t size, int ms)
{
	int64_t deadline = now_ms() + ms;
	size_t len = 0;

	buf[0] = '\0';
	while (now_ms() < deadline) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		char *end;

		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		n = recv(fd, buf + len, size - len - 1, 0);
		if (n <= 0)
			return len > 0 ? atoi(buf + 9) : 0;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL && strstr(end, "}") != NULL)
			return atoi(buf + 9);
	}
	return -1;
}

/* Whether the server closes `fd` within `ms` (end of file or reset, after any answer). */
static int closed_within(int fd, int ms)
{
	int64_t deadline = now_ms() + ms;
	char buf[4096];

	while (now_ms() < deadline) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		if (recv(fd, buf, sizeof buf, 0) <= 0)
			return 1;
	}
	return 0;
}

/* A health request on a new connection from `from`: its status, 0 when closed unanswered. */
static int health_from(const char *from)
{
	char buf[4096];
	int fd = dial_from(from), status;

	if (fd < 0)
		return -1;
	if (send_all(fd, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n") != 0) {
		close(fd);
		return 0;
	}
	status = read_response(fd, buf, sizeof buf, 5000);
	close(fd);
	return status;
}

/*
 * Sends `head`, then one byte every 200 ms (waiting on the socket, so a close is seen at
 * once) until the server closes it; the milliseconds that took, or -1 after 10 s. Another
 * client's health request is answered meanwhile.
 */
static int64_t dribble_until_closed(const char *head)
{
	int fd = dial_from("127.0.0.1");
	int64_t start = now_ms();
	int other_served = 0;
	char buf[4096];

	assert_true(fd >= 0);
	assert_int_equal(send_all(fd, head), 0);
	while (now_ms() - start < 10000) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, 200) > 0 && recv(fd, buf, sizeof buf, 0) <= 0)
			break; /* closed (the 413's answer itself is read and passed over) */
		if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
			break;
		if (!other_served)
			other_served = health_from("127.0.0.1") == 200;
	}
	close(fd);
	assert_true(other_served);
	return now_ms() - start < 10000 ? now_ms() - start : -1;
}

/* ---- deadlines ---- */

/* A close at the 2 s deadline: not before it, and well before the dribble's 10 s (the one-
 * second tick and a loaded machine may delay it; bytes every 200 ms would keep a timeout
 * that they extend open for all 10 s). */
static void expect_closed_at_deadline(int64_t ms)
{
	if (ms < 1500 || ms > 8000)
		fail_msg("closed after %lld ms, not at the 2 s deadline", (long long)ms);
}

/* A body sent a byte at a time is cut at body_timeout_s (2 s here) from its headers, not
 * kept open by each byte as lws's own timeout is. */
static void test_slow_body_closed_at_deadline(void **state)
{
	int64_t ms;

	(void)state;
	ms = dribble_until_closed("POST /api/v1/login/citizen HTTP/1.1\r\nHost: x\r\n"
				  "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n");
	expect_closed_at_deadline(ms);
}

/* After the 413 the rest of the body is read and thrown away, within the same deadline. */
static void test_slow_body_after_413_closed_at_deadline(void **state)
{
	int64_t ms;

	(void)state;
	ms = dribble_until_closed("POST /api/v1/login/citizen HTTP/1.1\r\nHost: x\r\n"
				  "Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n");
	expect_closed_at_deadline(ms);
}

/* Headers sent a byte at a time are cut at header_timeout_s from the connection's start. */
static void test_slow_headers_closed_at_deadline(void **state)
{
	int64_t ms;

	(void)state;
	ms = dribble_until_closed("GET /api/v1/health HTTP/1.1\r\nX-Slow: ");
	expect_closed_at_deadline(ms);
}

/* A kept-alive connection gets a new header deadline after each answer, and a prompt
 * request is not affected by the deadlines. */
static void test_keepalive_requests_served(void **state)
{
	char buf[4096];
	int fd = dial_from("127.0.0.1");

	(void)state;
	assert_true(fd >= 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(send_all(fd, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
		assert_int_equal(read_response(fd, buf, sizeof buf, 5000), 200);
	}
	/* then idle: closed at the next request's header deadline */
	assert_true(closed_within(fd, 5000));
	close(fd);
}

/* ---- the per-address cap ---- */

static void test_per_address_cap(void **state)
{
	char buf[4096];
	int fds[4], extra, status = 0;
	int64_t deadline;

	(void)state;
	/* four kept-alive connections, each answered once: all four are counted */
	for (int i = 0; i < 4; i++) {
		fds[i] = dial_from("127.0.0.1");
		assert_true(fds[i] >= 0);
		assert_int_equal(send_all(fds[i], "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
		assert_int_equal(read_response(fds[i], buf, sizeof buf, 5000), 200);
	}
	/* the fifth from the same address is closed unanswered */
	extra = dial_from("127.0.0.1");
	assert_true(extra >= 0);
	send_all(extra, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(read_response(extra, buf, sizeof buf, 5000), 0);
	close(extra);
	/* another address is served */
	assert_int_equal(health_from("127.0.0.2"), 200);
	assert_true(harness_log_contains(&H, "refused over the per-address cap (4): 1"));
	/* a closed connection frees its place */
	close(fds[0]);
	deadline = now_ms() + 5000;
	while (status != 200 && now_ms() < deadline)
		status = health_from("127.0.0.1");
	assert_int_equal(status, 200);
	for (int i = 1; i < 4; i++)
		close(fds[i]);
}

/* ---- request framing and static files ---- */

/* Sends `req` on a new connection and expects `status` with `text` in the answer, then the
 * close, without anything more sent (the announced body never is). */
static void expect_refusal(const char *req, int status, const char *text)
{
	char buf[4096];
	int fd = dial_from("127.0.0.1");

	assert_true(fd >= 0);
	assert_int_equal(send_all(fd, req), 0);
	assert_int_equal(read_response(fd, buf, sizeof buf, 5000), status);
	if (strstr(buf, text) == NULL)
		fail_msg("no \"%s\" in: %s", text, buf);
	assert_true(closed_within(fd, 2000));
	close(fd);
}

static void test_content_length_and_transfer_encoding(void **state)
{
	(void)state;
	expect_refusal("POST /api/v1/login/citizen HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		       "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
		       400, "Transfer-Encoding is not accepted");
	expect_refusal("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
		       "Transfer-Encoding is not accepted");
	/* the server goes on serving */
	assert_int_equal(health_from("127.0.0.1"), 200);
}

static void test_body_to_static_refused_unread(void **state)
{
	(void)state;
	expect_refusal("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", 405,
		       "allow: GET, HEAD");
	expect_refusal("PUT /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", 405,
		       "method not allowed");
	expect_refusal("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", 400,
		       "a request for a file has no body");
	assert_int_equal(health_from("127.0.0.1"), 200);
}

/* ---- out of descriptors ---- */

/* Seconds of CPU (user and system) the server has used, from /proc/<pid>/stat. */
static double server_cpu_s(void)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)H.pid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	p = strrchr(buf, ')'); /* fields after the command name: state is the 3rd */
	assert_non_null(p);
	assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st), 2);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* How many lines of the server's log contain `text`. */
static int log_lines(const char *text)
{
	char path[300], line[1024];
	int count = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/adviced.log", H.dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, text) != NULL)
			count++;
	fclose(f);
	return count;
}

static void test_out_of_descriptors(void **state)
{
	int fds[EXHAUST_SOCKS], status = 0;
	int64_t deadline;
	double cpu0;

	(void)state;
	/* more connections than the server has descriptors: the kernel queues the rest */
	for (int i = 0; i < EXHAUST_SOCKS; i++) {
		fds[i] = dial_from("127.0.0.1");
		assert_true(fds[i] >= 0);
	}
	deadline = now_ms() + 10000;
	while (!harness_log_contains(&H, "out of descriptors") && now_ms() < deadline)
		poll(NULL, 0, 20);
	assert_true(harness_log_contains(&H, "out of descriptors"));
	/* two seconds out of descriptors: the loop rests, it does not spin */
	cpu0 = server_cpu_s();
	deadline = now_ms() + 2000;
	while (now_ms() < deadline)
		poll(NULL, 0, (int)(deadline - now_ms()));
	assert_true(server_cpu_s() - cpu0 < 0.5);
	assert_true(log_lines("accept") <= 3);
	/* once the connections go, a new client is served */
	for (int i = 0; i < EXHAUST_SOCKS; i++)
		close(fds[i]);
	deadline = now_ms() + 10000;
	while (status != 200 && now_ms() < deadline)
		status = health_from("127.0.0.1");
	assert_int_equal(status, 200);
	assert_true(log_lines("accept") <= 3);
}

/* Waits up to 10 s for `text` in the server's log. */
static void await_log(const char *text)
{
	int64_t deadline = now_ms() + 10000;

	while (!harness_log_contains(&H, text) && now_ms() < deadline)
		poll(NULL, 0, 20);
	if (!harness_log_contains(&H, text))
		fail_msg("no \"%s\" in the log", text);
}

/* Slow bodies from five addresses hold more connections than the server has descriptors:
 * the requests waiting longest are closed, so a new client is served within seconds, not at
 * the body deadline (30 s), and the closings are counted in the log. A WebSocket older than
 * all of them is never closed so. */
static void test_out_of_descriptors_slow_bodies_shed(void **state)
{
	static const char slow[] = "POST /api/v1/login/citizen HTTP/1.1\r\nHost: x\r\n"
				   "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"";
	struct advice_conn *ws = itest_citizen(&H, "010594Y9032");
	int fds[EXHAUST_SOCKS], status;
	int64_t start, ms;
	char *reply = NULL;

	(void)state;
	for (int i = 0; i < EXHAUST_SOCKS; i++) {
		char from[16];

		snprintf(from, sizeof from, "127.0.0.%d", 1 + i % SHED_ADDRS);
		fds[i] = dial_from(from);
		assert_true(fds[i] >= 0);
		assert_int_equal(send_all(fds[i], slow), 0);
	}
	await_log("out of descriptors");
	start = now_ms();
	status = health_from("127.0.0.9");
	ms = now_ms() - start;
	if (status != 200 || ms >= SHED_SERVED_MS)
		fail_msg("a new client got %d after %lld ms", status, (long long)ms);
	print_message("a new client was answered in %lld ms\n", (long long)ms);
	await_log("out of descriptors (waiting longest for headers or a body): ");
	assert_false(harness_log_contains(&H, "for headers or a body): 0 "));
	assert_int_equal(advice_call(ws, "thread.list", NULL, &reply, HARNESS_TIMEOUT_MS), 0);
	assert_true(advice_conn_is_open(ws));
	free(reply);
	advice_conn_free(ws);
	for (int i = 0; i < EXHAUST_SOCKS; i++)
		close(fds[i]);
}

int main(void)
{
	/* one server with short deadlines for these */
	const struct CMUnitTest quick[] = {
		cmocka_unit_test(test_slow_body_closed_at_deadline),
		cmocka_unit_test(test_slow_body_after_413_closed_at_deadline),
		cmocka_unit_test(test_slow_headers_closed_at_deadline),
		cmocka_unit_test(test_keepalive_requests_served),
		cmocka_unit_test(test_content_length_and_transfer_encoding),
		cmocka_unit_test(test_body_to_static_refused_unread),
	};
	/* a server of their own for these */
	const struct CMUnitTest own[] = {
		cmocka_unit_test_setup_teardown(test_per_address_cap, setup_cap, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_descriptors, setup_exhaust, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_descriptors_slow_bodies_shed, setup_shed,
						teardown),
	};
	int failed;

	signal(SIGPIPE, SIG_IGN);
	failed = cmocka_run_group_tests_name("quick", quick, setup_deadlines, teardown);
	return failed + cmocka_run_group_tests_name("own", own, NULL, NULL);
}
