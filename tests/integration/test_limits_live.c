/*
 * test_limits_live.c - limits of one connection against a real adviced, with small settings:
 * a client pipelining full-size messages up to the read-ahead is paused, never disconnected;
 * a message of too many frames, or one that takes too long, closes with 1008 while another
 * client is served; and after a flood of writes the WAL is bounded and emptied once the
 * server is idle, and the resident memory the flood took is given back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice_proto.h"
#include "harness.h"

#define T_MS	     10000
#define CITIZEN_HETU "010190-900P"
#define PIPELINED    64 /* the default max_inflight */
#define MAX_FRAMES   64
#define MESSAGE_S    2
#define WAL_LIMIT_MB 1

static struct harness H;

static int setup(void **state)
{
	char extra[256];

	(void)state;
	snprintf(extra, sizeof extra,
		 "max_fragments = %d\nmessage_time_s = %d\nwal_limit_mb = %d\nwal_idle_s = 1\n"
		 "memory_trim_mb = 1\nmemory_trim_s = 1\n"
		 /* the floods here are one citizen's: no daily limit of theirs in the way */
		 "citizen_bytes_per_day = 0\nsession_request_burst = 100000\n",
		 MAX_FRAMES, MESSAGE_S, WAL_LIMIT_MB);
	return harness_start_with(&H, 0, extra);
}

static int teardown(void **state)
{
	(void)state;
	return harness_stop(&H);
}

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

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static long long wal_bytes(void)
{
	char path[400];
	struct stat sb;

	snprintf(path, sizeof path, "%s/advice.db-wal", H.dir);
	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Whether adviced's log holds `text`. */
static int log_has(const char *text)
{
	char path[300], line[2048];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/adviced.log", H.dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

static struct advice_conn *citizen_conn(void)
{
	char *session = NULL;
	struct advice_conn *k;

	assert_int_equal(harness_login_citizen(&H, CITIZEN_HETU, &session), 0);
	k = harness_connect(&H, session);
	assert_non_null(k);
	free(session);
	return k;
}

/* A body of the largest size (malloc'd). */
static char *full_body(void)
{
	size_t len = ADVICE_MAX_BODY_B64 - 4;
	char *body = malloc(len + 1);

	assert_non_null(body);
	memset(body, 'A', len);
	body[len] = '\0';
	return body;
}

/* Opens a thread; returns its id (malloc'd). */
static char *open_thread(struct advice_conn *k, const char *body)
{
	json_t *req = json_pack("{s:s,s:s,s:s,s:s}", "type", "thread.open", "id", "open-1", "category",
				"adult-social-work", "body", body);
	char *text = json_dumps(req, JSON_COMPACT), *reply = NULL, *thread;
	json_t *root;

	json_decref(req);
	assert_int_equal(advice_request(k, text, &reply, T_MS), 0);
	root = json_loads(reply, 0, NULL);
	thread = strdup(json_string_value(json_object_get(root, "thread")));
	json_decref(root);
	free(text);
	free(reply);
	return thread;
}

/* Queues `n` message.send of `body` with ids <prefix>0.. without waiting. */
static void send_many(struct advice_conn *k, const char *prefix, const char *thread, const char *body, int n)
{
	for (int i = 0; i < n; i++) {
		char id[32], *text;
		json_t *req;

		snprintf(id, sizeof id, "%s%d", prefix, i);
		req = json_pack("{s:s,s:s,s:s,s:s}", "type", "message.send", "id", id, "thread", thread,
				"body", body);
		text = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		assert_int_equal(advice_send(k, text), 0);
		free(text);
	}
}

/* Reads until `n` "ok" replies have come; fails on an error reply or a closed connection. */
static void await_oks(struct advice_conn *k, int n)
{
	int oks = 0;

	while (oks < n) {
		char *m = NULL;

		if (advice_next_message(k, &m, T_MS) != 0)
			fail_msg("after %d of %d replies: connection closed (%d) or silent", oks, n,
				 advice_conn_close_code(k));
		if (strstr(m, "\"type\":\"error\"") != NULL)
			fail_msg("error reply: %.200s", m);
		oks += strstr(m, "\"type\":\"ok\"") != NULL;
		free(m);
	}
}

/* The read-ahead (64 requests) and the outbound queue (1 MiB) agree: 64 pipelined messages of
 * the largest size, each echoed back with its body, are all answered on an open connection. */
static void test_pipelined_full_messages_answered(void **state)
{
	struct advice_conn *k = citizen_conn();
	char *body = full_body(), *thread = open_thread(k, body);

	(void)state;
	send_many(k, "p", thread, body, PIPELINED);
	await_oks(k, PIPELINED);
	assert_true(advice_conn_is_open(k));
	assert_false(log_has("outbound queue full"));
	advice_conn_free(k);
	free(thread);
	free(body);
}

/* Answered by a request on `k` within T_MS: the server serves others meanwhile. */
static void assert_served(struct advice_conn *k)
{
	char *reply = NULL;
	long long t0 = now_ms();

	assert_int_equal(advice_request(k, "{\"type\":\"categories.list\",\"id\":\"other\"}", &reply, T_MS),
			 0);
	free(reply);
	fprintf(stderr, "the other client was answered in %lld ms\n", now_ms() - t0);
}

/* One message of more than max_fragments frames (empty ones count) closes with 1008. */
static void test_too_many_fragments_close_1008(void **state)
{
	struct advice_conn *k = citizen_conn(), *other = citizen_conn();

	(void)state;
	assert_int_equal(advice_send_raw(k, "{", 1, ADVICE_FRAME_TEXT | ADVICE_FRAME_NO_FIN), 0);
	for (int i = 0; i < MAX_FRAMES; i++)
		assert_int_equal(advice_send_raw(k, "", 0, ADVICE_FRAME_CONTINUATION | ADVICE_FRAME_NO_FIN),
				 0);
	assert_int_equal(advice_wait_closed(k, T_MS), 0);
	assert_int_equal(advice_conn_close_code(k), 1008);
	assert_served(other);
	advice_conn_free(k);
	advice_conn_free(other);
}

/* A message whose frames come slowly closes with 1008 once message_time_s has passed since
 * its first frame, though each frame is within the limits. */
static void test_slow_message_closes_1008(void **state)
{
	struct advice_conn *k = citizen_conn(), *other = citizen_conn();
	long long t0 = now_ms();
	char *m = NULL;

	(void)state;
	assert_int_equal(advice_send_raw(k, "{", 1, ADVICE_FRAME_TEXT | ADVICE_FRAME_NO_FIN), 0);
	/* A frame every 200 ms: MAX_FRAMES of them would take 12.8 s, the limit is 2 s. */
	while (advice_conn_is_open(k) && now_ms() - t0 < T_MS) {
		if (advice_send_raw(k, " ", 1, ADVICE_FRAME_CONTINUATION | ADVICE_FRAME_NO_FIN) != 0)
			break;
		if (advice_next_message(k, &m, 200) == 0) { /* the welcome; nothing else comes */
			free(m);
			m = NULL;
		}
	}
	assert_int_equal(advice_wait_closed(k, T_MS), 0);
	assert_int_equal(advice_conn_close_code(k), 1008);
	assert_true(now_ms() - t0 >= MESSAGE_S * 1000);
	assert_served(other);
	advice_conn_free(k);
	advice_conn_free(other);
}

/* Polls until `cond` holds or `ms` pass; returns whether it held. */
#define POLL_UNTIL(cond, ms)                                                                                 \
	({                                                                                                   \
		long long until_ = now_ms() + (ms);                                                          \
		while (!(cond) && now_ms() < until_)                                                         \
			sleep_ms(50);                                                                        \
		(cond);                                                                                      \
	})

/* A flood of writes: the WAL stays near its 1 MiB limit, and when the server has been idle
 * for wal_idle_s it is emptied; the memory the flood took is given back (memory_trim_mb). */
static void test_wal_and_memory_shrink_after_flood(void **state)
{
	struct advice_conn *k = citizen_conn();
	char *body = full_body(), *thread = open_thread(k, body);
	long long wal_most = 0, wal;
	long rss_peak, rss_idle;

	(void)state;
	for (int round = 0; round < 8; round++) {
		char prefix[16];

		snprintf(prefix, sizeof prefix, "f%d-", round);
		send_many(k, prefix, thread, body, PIPELINED);
		await_oks(k, PIPELINED);
		if ((wal = wal_bytes()) > wal_most)
			wal_most = wal;
	}
	rss_peak = rss_kb(H.pid);
	fprintf(stderr, "flood: WAL at most %lld bytes, RSS %ld kB\n", wal_most, rss_peak);
	/* 512 messages of 44 KB went through the WAL: 22 MB without its bound. */
	if (wal_most > 2 * (WAL_LIMIT_MB << 20))
		fail_msg("the WAL grew to %lld bytes with a limit of %d MiB", wal_most, WAL_LIMIT_MB);
	assert_true(POLL_UNTIL(wal_bytes() == 0, T_MS));
	assert_true(POLL_UNTIL(log_has("memtrim_tick: resident memory"), T_MS));
	rss_idle = rss_kb(H.pid);
	fprintf(stderr, "idle: WAL %lld bytes, RSS %ld kB\n", wal_bytes(), rss_idle);
	assert_true(rss_peak > 0 && rss_idle > 0);
#ifndef __SANITIZE_ADDRESS__
	/* AddressSanitizer's allocator keeps its own pools, which malloc_trim cannot give back:
	 * the drop is checked in the plain build only. */
	assert_true(rss_idle < rss_peak);
#endif
	/* Still serving. */
	assert_served(k);
	advice_conn_free(k);
	free(thread);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelined_full_messages_answered),
		cmocka_unit_test(test_too_many_fragments_close_1008),
		cmocka_unit_test(test_slow_message_closes_1008),
		cmocka_unit_test(test_wal_and_memory_shrink_after_flood),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
