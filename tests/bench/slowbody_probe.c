/*
 * slowbody_probe.c - the slow-body flood of deploy/dev/abuse/probe-slowbody.sh: `count`
 * connections spread over `addrs` source addresses (127.0.0.1, 127.0.0.2, ...) each send the
 * headers of a large POST and then one byte of body every 9 s, while a legitimate client on
 * 127.0.1.1 asks for /api/v1/health on a new connection every 250 ms. Runs for `seconds`,
 * then prints one line: the worst latency the legitimate client saw (a request unanswered
 * within 10 s counts as 10 s) and how many flood connections the server closed.
 *
 *   slowbody_probe PORT COUNT ADDRS SECONDS NAME
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LEGIT_EVERY_MS 250
#define LEGIT_GIVE_UP  10000
#define DRIBBLE_MS     9000

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A non-blocking connection to 127.0.0.1:port from `from`; -1 on failure. */
static int dial(int port, const char *from)
{
	struct sockaddr_in a, src;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	memset(&src, 0, sizeof src);
	src.sin_family = AF_INET;
	inet_pton(AF_INET, from, &src.sin_addr);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
	    (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One health request on a new connection: milliseconds until the status line arrived
 * (LEGIT_GIVE_UP when it did not). */
static int64_t legit_request(int port)
{
	static const char req[] = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	int64_t start = now_ms();
	int fd = dial(port, "127.0.1.1"), sent = 0;
	char buf[512];

	if (fd < 0)
		return LEGIT_GIVE_UP;
	while (now_ms() - start < LEGIT_GIVE_UP) {
		struct pollfd p = { fd, sent ? POLLIN : POLLOUT, 0 };

		if (poll(&p, 1, 50) <= 0)
			continue;
		if (!sent) {
			sent = send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1);
			if (!sent)
				break;
		} else if (recv(fd, buf, sizeof buf, 0) > 0 && strncmp(buf, "HTTP/1.1 200", 12) == 0) {
			close(fd);
			return now_ms() - start;
		} else {
			break;
		}
	}
	close(fd);
	return LEGIT_GIVE_UP;
}

/* Whether the server has closed `fd` (end of file or an error; what it answered is read and
 * passed over). */
static int server_closed(int fd)
{
	char buf[1024];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
		;
	return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN);
}

/* One round of the flood: each open connection sends its headers (the first time) or one
 * byte of body; those the server closed are counted and dropped. */
static void flood_round(int *fds, int *head_sent, int count, int *closed)
{
	static const char head[] = "POST /api/v1/login/citizen HTTP/1.1\r\nHost: x\r\n"
				   "Content-Type: application/json\r\nContent-Length: 20000\r\n\r\n";

	for (int i = 0; i < count; i++) {
		const char *what = head_sent[i] ? "x" : head;
		size_t len = head_sent[i] ? 1 : sizeof head - 1;

		if (fds[i] < 0)
			continue;
		if (head_sent[i] && server_closed(fds[i])) {
			close(fds[i]);
			fds[i] = -1;
			(*closed)++;
			continue;
		}
		if (send(fds[i], what, len, MSG_NOSIGNAL) == (ssize_t)len)
			head_sent[i] = 1;
	}
}

int main(int argc, char **argv)
{
	int port, count, addrs, seconds, *fds, *head_sent, closed = 0;
	int64_t end, next_round, worst = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: slowbody_probe PORT COUNT ADDRS SECONDS NAME\n");
		return 2;
	}
	port = atoi(argv[1]);
	count = atoi(argv[2]);
	addrs = atoi(argv[3]);
	seconds = atoi(argv[4]);
	if (port <= 0 || count <= 0 || addrs <= 0 || addrs > 250 || seconds <= 0)
		return 2;
	fds = calloc((size_t)count, sizeof *fds);
	head_sent = calloc((size_t)count, sizeof *head_sent);
	if (fds == NULL || head_sent == NULL)
		return 2;
	for (int i = 0; i < count; i++) {
		char from[32];

		snprintf(from, sizeof from, "127.0.0.%d", 1 + i % addrs);
		fds[i] = dial(port, from);
	}
	poll(NULL, 0, 100); /* the connects complete */
	flood_round(fds, head_sent, count, &closed);
	end = now_ms() + (int64_t)seconds * 1000;
	next_round = now_ms() + DRIBBLE_MS;
	while (now_ms() < end) {
		int64_t ms = legit_request(port);

		if (ms > worst)
			worst = ms;
		if (now_ms() >= next_round) {
			flood_round(fds, head_sent, count, &closed);
			next_round = now_ms() + DRIBBLE_MS;
		}
		poll(NULL, 0, LEGIT_EVERY_MS);
	}
	flood_round(fds, head_sent, count, &closed);
	printf("PROBE %s: worst latency a legitimate user saw %lld ms (%s; the server closed %d of %d "
	       "slow connections)\n",
	       argv[5], (long long)worst, worst < 1000 ? "ok" : "degraded", closed, count);
	return 0;
}
