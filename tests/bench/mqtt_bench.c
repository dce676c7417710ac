/*
 * mqtt_bench.c - the load generator for the benchmark's non-durable reference peer, Mosquitto
 * over MQTT 3.1.1 on TCP with QoS 1 (deploy/dev/bench.sh), on libmosquitto. Not a test: built
 * only with -DADVICE_BENCH=ON (and only when libmosquitto is installed).
 *
 *   mqtt_bench send HOST PORT SENDERS BODY SECONDS WINDOW
 *       M1: SENDERS client connections spread over two processes, each publishing QoS 1
 *       messages of BODY random bytes to its own topic with WINDOW unacknowledged in flight;
 *       counts PUBACKs/s after a 2 s warm-up. Each sender is also subscribed (QoS 0) to its own
 *       topic, so the broker delivers every message back to it, as our server delivers
 *       message.new to the sender's connection.
 *   mqtt_bench latency HOST PORT RATE SECONDS
 *       M2: one client publishes at RATE msg/s (open loop, QoS 1); a second client, subscribed
 *       with QoS 1, times each message from the moment of its publish call. The first second
 *       is warm-up.
 *
 * Every command prints one JSON object on stdout with the keys of advice_bench's command of
 * the same name. Clients are driven from one poll loop per process (no library threads).
 */
#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

#define MAX_SENDERS	 1000
#define MAX_WINDOW	 64
#define MAX_BODY	 (1 << 20)
#define SEND_PROCS	 2
#define MID_SLOTS	 256 /* > 2 * MAX_WINDOW: a message id's slot is free again once acked */
#define TOPIC_MAX	 64
#define KEEPALIVE_S	 60
#define SETUP_TIMEOUT_MS 10000
#define WARMUP_US	 2000000
#define MAX_ERRORS	 1000

struct client {
	struct mosquitto *m;
	char topic[TOPIC_MAX];
	int connected;	/* 1 after CONNACK accepted, -1 refused */
	int subscribed; /* 1 after SUBACK */
	int inflight;
	int64_t sent_at[MID_SLOTS]; /* by message id % MID_SLOTS */
	struct send_result *r;	    /* NULL: acknowledgements are not counted */
	/* latency only */
	struct hist *lat;
	const int64_t *at;
	long sent, got, warm;
};

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct client *c = obj;

	(void)m;
	c->connected = rc == 0 ? 1 : -1;
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int count, const int *granted)
{
	struct client *c = obj;

	(void)m;
	(void)mid;
	c->subscribed = count == 1 && granted[0] <= 2 ? 1 : -1;
}

/* A PUBACK: frees a window slot and times the message (while measuring). */
static void on_publish(struct mosquitto *m, void *obj, int mid)
{
	struct client *c = obj;

	(void)m;
	c->inflight--;
	if (c->r != NULL) {
		c->r->acks++;
		hist_add(&c->r->h, now_us() - c->sent_at[mid % MID_SLOTS]);
	}
}

/* A delivered message: in the latency run, times it by the counter in its payload. */
static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct client *c = obj;
	char buf[32];
	long i;

	(void)m;
	if (c->lat == NULL || msg->payloadlen < 6 || msg->payloadlen >= (int)sizeof buf)
		return;
	memcpy(buf, msg->payload, (size_t)msg->payloadlen);
	buf[msg->payloadlen] = '\0';
	if (strncmp(buf, "bench", 5) != 0)
		return;
	i = strtol(buf + 5, NULL, 10);
	if (i < 0 || i >= c->sent)
		return;
	if (i >= c->warm)
		hist_add(c->lat, now_us() - c->at[i]);
	c->got++;
}

/* Creates and connects a client (TCP_NODELAY, clean session, at most `window` QoS 1 messages
 * in flight). The CONNACK arrives later through clients_service. 0 or -1 (reason on stderr). */
static int client_open(struct client *c, const char *id, const char *host, int port, int window)
{
	int rc;

	c->m = mosquitto_new(id, true, c);
	if (c->m == NULL) {
		fprintf(stderr, "mqtt_bench: mosquitto_new failed\n");
		return -1;
	}
	mosquitto_int_option(c->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_max_inflight_messages_set(c->m, (unsigned)window);
	mosquitto_connect_callback_set(c->m, on_connect);
	mosquitto_subscribe_callback_set(c->m, on_subscribe);
	mosquitto_publish_callback_set(c->m, on_publish);
	mosquitto_message_callback_set(c->m, on_message);
	rc = mosquitto_connect(c->m, host, port, KEEPALIVE_S);
	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "mqtt_bench: connect to %s:%d: %s\n", host, port, mosquitto_strerror(rc));
		return -1;
	}
	return 0;
}

static void client_close(struct client *c)
{
	if (c->m == NULL)
		return;
	mosquitto_disconnect(c->m);
	mosquitto_destroy(c->m);
	c->m = NULL;
}

/* Waits up to timeout_ns for any client socket, then reads and writes what is ready.
 * Returns 0, or -1 when a connection failed (reason on stderr). */
static int clients_service(struct client *c, int n, struct pollfd *pfd, long timeout_ns)
{
	struct timespec ts = { timeout_ns / 1000000000L, timeout_ns % 1000000000L };
	int rc;

	for (int i = 0; i < n; i++) {
		pfd[i].fd = mosquitto_socket(c[i].m);
		pfd[i].events = POLLIN | (mosquitto_want_write(c[i].m) ? POLLOUT : 0);
		pfd[i].revents = 0;
	}
	if (ppoll(pfd, (nfds_t)n, &ts, NULL) < 0 && errno != EINTR)
		return -1;
	for (int i = 0; i < n; i++) {
		rc = MOSQ_ERR_SUCCESS;
		if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
			rc = mosquitto_loop_read(c[i].m, 1);
		if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(c[i].m))
			rc = mosquitto_loop_write(c[i].m, 1);
		if (rc != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "mqtt_bench: connection %d: %s\n", i, mosquitto_strerror(rc));
			return -1;
		}
	}
	return 0;
}

/* Keepalive and retry bookkeeping of every client; call about once a second. */
static void clients_misc(struct client *c, int n)
{
	for (int i = 0; i < n; i++)
		mosquitto_loop_misc(c[i].m);
}

/* Services the clients until every one is connected and, when `sub` is 1 or 2, every client
 * with a topic is subscribed to it with QoS sub - 1. 0, or -1 on refusal or after
 * SETUP_TIMEOUT_MS. */
static int clients_wait_ready(struct client *c, int n, struct pollfd *pfd, int sub)
{
	int64_t end = now_us() + SETUP_TIMEOUT_MS * 1000;

	while (now_us() < end) {
		int ready = 0;

		for (int i = 0; i < n; i++) {
			if (c[i].connected < 0 || c[i].subscribed < 0) {
				fprintf(stderr, "mqtt_bench: connection or subscription refused\n");
				return -1;
			}
			if (c[i].connected == 1 && sub && c[i].subscribed == 0 && c[i].topic[0] != '\0') {
				c[i].subscribed = 2; /* asked */
				if (mosquitto_subscribe(c[i].m, NULL, c[i].topic, sub - 1) !=
				    MOSQ_ERR_SUCCESS)
					return -1;
			}
			ready += c[i].connected == 1 &&
				 (!sub || c[i].subscribed == 1 || c[i].topic[0] == '\0');
		}
		if (ready == n)
			return 0;
		if (clients_service(c, n, pfd, 10000000L) != 0)
			return -1;
	}
	fprintf(stderr, "mqtt_bench: clients not ready after %d ms\n", SETUP_TIMEOUT_MS);
	return -1;
}

/* ---- M1: windowed QoS 1 publishing ---- */

/* Publishes until the client has `window` messages in flight. 0, or -1 after too many errors. */
static int client_fill(struct client *c, int window, const uint8_t *body, int body_len, struct send_result *r)
{
	while (c->inflight < window) {
		int mid = 0, rc;
		int64_t t = now_us();

		rc = mosquitto_publish(c->m, &mid, c->topic, body_len, body, 1, false);
		if (rc != MOSQ_ERR_SUCCESS) {
			if (r->errors++ < 3)
				fprintf(stderr, "mqtt_bench: publish: %s\n", mosquitto_strerror(rc));
			return r->errors < MAX_ERRORS && rc != MOSQ_ERR_NO_CONN && rc != MOSQ_ERR_CONN_LOST
				       ? 0
				       : -1;
		}
		c->sent_at[mid % MID_SLOTS] = t;
		c->inflight++;
	}
	return 0;
}

/* One process of the send load: senders first..first+n-1. Fills *r. 0 or -1. */
static int send_worker(const char *host, int port, int first, int n, int body_len, double seconds, int window,
		       struct send_result *r)
{
	struct client *c = calloc((size_t)n, sizeof *c);
	struct pollfd *pfd = calloc((size_t)n, sizeof *pfd);
	uint8_t *body = malloc((size_t)body_len);
	int64_t t0, warm, t1, misc;
	double cpu0 = 0;
	int measuring = 0, rc = -1;

	if (c == NULL || pfd == NULL || body == NULL)
		goto out;
	for (int i = 0; i < body_len; i++)
		body[i] = (uint8_t)(rand() >> 7);
	for (int i = 0; i < n; i++) {
		char id[64];

		snprintf(id, sizeof id, "bench-s%d-%d", (int)getpid(), first + i);
		snprintf(c[i].topic, sizeof c[i].topic, "bench/%d/%d", (int)getpid(), first + i);
		if (client_open(&c[i], id, host, port, window) != 0)
			goto out;
	}
	if (clients_wait_ready(c, n, pfd, 1) != 0) /* QoS 0 subscription to its own topic */
		goto out;
	t0 = now_us();
	warm = t0 + WARMUP_US;
	t1 = warm + (int64_t)(seconds * 1e6);
	misc = t0 + 1000000;
	for (;;) {
		int64_t t = now_us();

		if (!measuring && t >= warm) {
			measuring = 1;
			cpu0 = cpu_seconds();
			memset(r, 0, sizeof *r);
			for (int i = 0; i < n; i++)
				c[i].r = r;
		}
		if (t >= t1)
			break;
		if (t >= misc) {
			clients_misc(c, n);
			misc = t + 1000000;
		}
		for (int i = 0; i < n; i++)
			if (client_fill(&c[i], window, body, body_len, r) != 0)
				goto out;
		if (clients_service(c, n, pfd, 5000000L) != 0)
			goto out;
	}
	r->cpu = cpu_seconds() - cpu0;
	r->wall = seconds;
	rc = 0;
out:
	for (int i = 0; c != NULL && i < n; i++)
		client_close(&c[i]);
	free(c);
	free(pfd);
	free(body);
	return rc;
}

static int cmd_send(const char *host, int port, int senders, int body, double seconds, int window)
{
	int fds[SEND_PROCS], per = senders / SEND_PROCS;
	pid_t pids[SEND_PROCS];

	if (senders < SEND_PROCS || senders > MAX_SENDERS || body < 1 || body > MAX_BODY || seconds <= 0 ||
	    window < 1 || window > MAX_WINDOW) {
		fprintf(stderr, "mqtt_bench: send: SENDERS %d..%d, BODY 1..%d, WINDOW 1..%d\n", SEND_PROCS,
			MAX_SENDERS, MAX_BODY, MAX_WINDOW);
		return 2;
	}
	for (int p = 0; p < SEND_PROCS; p++) {
		int pfd[2];

		if (pipe(pfd) != 0)
			return 1;
		pids[p] = fork();
		if (pids[p] < 0)
			return 1;
		if (pids[p] == 0) {
			static struct send_result r;
			int first = p * per, n = p == SEND_PROCS - 1 ? senders - first : per;

			close(pfd[0]);
			srand((unsigned)getpid());
			mosquitto_lib_init();
			if (send_worker(host, port, first, n, body, seconds, window, &r) != 0)
				_exit(1);
			mosquitto_lib_cleanup();
			_exit(write_full(pfd[1], &r, sizeof r) == 0 ? 0 : 1);
		}
		close(pfd[1]);
		fds[p] = pfd[0];
	}
	/* The senders connect in milliseconds, then warm up for WARMUP_US: the server's CPU is
	 * read over their measured window (when ADVICE_BENCH_SERVER_PID names it). */
	return send_collect(fds, pids, SEND_PROCS, server_cpu_window(WARMUP_US / 1e6, seconds));
}

/* ---- M2: latency to a second connection ---- */

static int cmd_latency(const char *host, int port, int rate, double seconds)
{
	static struct hist h;
	struct client c[2] = { 0 }; /* [0] publishes, [1] receives */
	struct pollfd pfd[2];
	long total = (long)(rate * (seconds + 1)), errors = 0;
	int64_t *at = NULL, t0, end, misc, lag_max = 0;
	char id[64], buf[32];
	double cpu0;
	int rc = 1;

	if (rate < 1 || rate > 1000000 || seconds <= 0) {
		fprintf(stderr, "mqtt_bench: latency: RATE 1..1000000, SECONDS > 0\n");
		return 2;
	}
	at = calloc((size_t)total + 1, sizeof *at);
	if (at == NULL)
		return 1;
	mosquitto_lib_init();
	c[1].lat = &h;
	c[1].at = at;
	c[1].warm = rate; /* the first second is warm-up */
	snprintf(c[1].topic, sizeof c[1].topic, "bench/lat/%d", (int)getpid());
	snprintf(id, sizeof id, "bench-lp%d", (int)getpid());
	if (client_open(&c[0], id, host, port, MAX_WINDOW) != 0)
		goto out;
	snprintf(id, sizeof id, "bench-lr%d", (int)getpid());
	if (client_open(&c[1], id, host, port, MAX_WINDOW) != 0)
		goto out;
	if (clients_wait_ready(c, 2, pfd, 2) != 0) /* the receiver: QoS 1 */
		goto out;
	cpu0 = cpu_seconds();
	t0 = now_us();
	end = t0 + (int64_t)((seconds + 1) * 1e6) + 2000000;
	misc = t0 + 1000000;
	while (now_us() < end && c[1].got < total) {
		int64_t t = now_us(), due;

		if (t >= misc) {
			clients_misc(c, 2);
			misc = t + 1000000;
		}
		while (c[1].sent < total && t0 + c[1].sent * 1000000 / rate <= t) {
			long i = c[1].sent;

			due = t0 + i * 1000000 / rate;
			/* Timed from the publish call; the generator's lateness is reported apart. */
			at[i] = now_us();
			if (at[i] - due > lag_max)
				lag_max = at[i] - due;
			snprintf(buf, sizeof buf, "bench%011ld", i);
			if (mosquitto_publish(c[0].m, NULL, c[1].topic, (int)strlen(buf), buf, 1, false) !=
			    MOSQ_ERR_SUCCESS) {
				if (errors++ < 3)
					fprintf(stderr, "mqtt_bench: publish failed\n");
				if (errors >= MAX_ERRORS)
					goto out;
			}
			c[1].sent++;
			t = now_us();
		}
		/* Sleep exactly until the next send is due (or 1 ms when all are sent). */
		due = c[1].sent < total ? t0 + c[1].sent * 1000000 / rate : t + 1000;
		if (clients_service(c, 2, pfd, due > t ? (long)(due - t) * 1000 : 0) != 0)
			goto out;
	}
	printf("{\"rate\": %d, \"received\": %ld, \"sent\": %ld, \"errors\": %ld, \"p50_ms\": %.2f, "
	       "\"p99_ms\": %.2f, \"p999_ms\": %.2f, \"send_lag_max_ms\": %.2f, \"gen_max_core\": %.2f}\n",
	       rate, c[1].got, c[1].sent, errors, hist_quantile(&h, 0.5), hist_quantile(&h, 0.99),
	       hist_quantile(&h, 0.999), lag_max / 1000.0, (cpu_seconds() - cpu0) / ((now_us() - t0) / 1e6));
	rc = c[1].got == c[1].sent ? 0 : 1;
out:
	client_close(&c[0]);
	client_close(&c[1]);
	free(at);
	mosquitto_lib_cleanup();
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 8 && strcmp(argv[1], "send") == 0)
		return cmd_send(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atof(argv[6]),
				atoi(argv[7]));
	if (argc >= 6 && strcmp(argv[1], "latency") == 0)
		return cmd_latency(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]));
	fprintf(stderr, "usage: see the comment at the top of tests/bench/mqtt_bench.c\n");
	return 2;
}
