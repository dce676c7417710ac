/*
 * test_crash.c - the crash campaign (R: durability): rounds of kill -9 at a random moment
 * while several citizens pipeline writes. After each restart every acknowledged message is
 * present once and byte-identical, unacknowledged ones at most once, and SQLite's integrity
 * check passes. ADVICE_CRASH_ROUNDS sets the number of rounds (5 in the suite; the command
 * deploy/dev/crash.sh runs more); ADVICE_CRASH_SEED repeats a run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "advice.h"
#include "harness.h"

#define CLIENTS	 4
#define WINDOW	 8	/* requests in flight per connection */
#define MAX_SENT 200000 /* per client over the whole campaign */

static const char *const citizens[CLIENTS] = { "010594Y9032", "020594X903P", "010516B903X", "070770-905D" };

struct client {
	char *session;
	struct advice_conn *k;
	char thread[64];
	int sent;	      /* message.send requests sent, numbered 1..sent */
	unsigned char *acked; /* acked[i]: request i was acknowledged */
	int inflight;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The body of a client's request i: distinct and checkable. */
static void body_of(int client, int i, char *out, size_t len)
{
	snprintf(out, len, "Y2xpZW50%d%06d", client, i);
}

static void send_one(struct client *c, int idx)
{
	char req[256], body[32];

	c->sent++;
	body_of(idx, c->sent, body, sizeof body);
	snprintf(req, sizeof req,
		 "{\"type\":\"message.send\",\"id\":\"m%d\",\"thread\":\"%s\",\"body\":\"%s\"}", c->sent,
		 c->thread, body);
	assert_int_equal(advice_send(c->k, req), 0);
	c->inflight++;
}

/* Takes one reply or event; records acknowledgements. 0, or -1 when the connection is gone. */
static int take_one(struct client *c, int timeout_ms)
{
	char *text = NULL;
	json_t *j;
	const char *type, *id;
	int rc = advice_next_message(c->k, &text, timeout_ms);

	if (rc != 0)
		return rc == -ADVICE_ERR_TIMEOUT ? 0 : -1;
	j = json_loads(text, 0, NULL);
	free(text);
	type = json_string_value(json_object_get(j, "type"));
	id = json_string_value(json_object_get(j, "id"));
	if (type != NULL && id != NULL && id[0] == 'm') {
		int i = atoi(id + 1);

		assert_true(i >= 1 && i <= c->sent);
		if (strcmp(type, "ok") == 0)
			c->acked[i] = 1;
		c->inflight--;
	}
	json_decref(j);
	return 0;
}

static void connect_client(struct harness *h, struct client *c)
{
	c->k = harness_connect(h, c->session);
	assert_non_null(c->k);
	c->inflight = 0;
}

/* Runs the load for `ms` milliseconds. */
static void load(struct client *cs, int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end) {
		for (int i = 0; i < CLIENTS; i++) {
			struct client *c = &cs[i];

			while (c->inflight < WINDOW && c->sent < MAX_SENT - 1)
				send_one(c, i);
			take_one(c, 1);
		}
	}
}

/* Reads a client's whole thread and checks it against what was acknowledged. */
static void verify(struct client *c, int idx)
{
	unsigned char *seen = calloc((size_t)c->sent + 2, 1);
	int64_t after = 1; /* seq 1 is the opening message */
	char req[256], *reply;

	assert_non_null(seen);
	for (;;) {
		json_t *j, *m;
		size_t i, n;

		snprintf(req, sizeof req,
			 "{\"type\":\"thread.read\",\"id\":\"v%lld\",\"thread\":\"%s\",\"after_seq\":%lld,"
			 "\"limit\":100}",
			 (long long)after, c->thread, (long long)after);
		assert_int_equal(advice_request(c->k, req, &reply, HARNESS_TIMEOUT_MS), 0);
		j = json_loads(reply, 0, NULL);
		free(reply);
		n = json_array_size(json_object_get(j, "messages"));
		json_array_foreach (json_object_get(j, "messages"), i, m) {
			const char *b = json_string_value(json_object_get(m, "body"));
			char want[32];
			int k;

			assert_int_equal(json_integer_value(json_object_get(m, "seq")),
					 after + 1); /* no gap */
			after++;
			k = atoi(b + 9);
			assert_true(k >= 1 && k <= c->sent);
			body_of(idx, k, want, sizeof want);
			assert_string_equal(b, want); /* byte-identical */
			assert_int_equal(seen[k], 0); /* no duplicate */
			seen[k] = 1;
		}
		json_decref(j);
		if (n < 100)
			break;
	}
	for (int i = 1; i <= c->sent; i++)
		if (c->acked[i] && !seen[i])
			fail_msg("client %d: acknowledged message %d is missing", idx, i);
	free(seen);
}

static void integrity_check(struct harness *h)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *q;

	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void open_threads(struct harness *h, struct client *cs)
{
	for (int i = 0; i < CLIENTS; i++) {
		char *reply;
		json_t *j;

		assert_int_equal(harness_login_citizen(h, citizens[i], &cs[i].session), 0);
		connect_client(h, &cs[i]);
		assert_int_equal(advice_request(cs[i].k,
						"{\"type\":\"thread.open\",\"id\":\"open\",\"category\":"
						"\"adult-social-work\","
						"\"body\":\"AAAA\"}",
						&reply, HARNESS_TIMEOUT_MS),
				 0);
		j = json_loads(reply, 0, NULL);
		snprintf(cs[i].thread, sizeof cs[i].thread, "%s",
			 json_string_value(json_object_get(j, "thread")));
		json_decref(j);
		free(reply);
		cs[i].acked = calloc(MAX_SENT + 1, 1);
		assert_non_null(cs[i].acked);
	}
}

static void test_crash_campaign(void **state)
{
	const char *r = getenv("ADVICE_CRASH_ROUNDS"), *s = getenv("ADVICE_CRASH_SEED");
	int rounds = r ? atoi(r) : 5;
	unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
	struct client cs[CLIENTS] = { 0 };
	struct harness h = { 0 };
	int total_acked = 0;

	(void)state;
	print_message("crash campaign: %d rounds, seed %u\n", rounds, seed);
	srand(seed);
	assert_int_equal(harness_start(&h), 0);
	open_threads(&h, cs);
	for (int round = 1; round <= rounds; round++) {
		load(cs, 50 + rand() % 400); /* the random moment */
		assert_int_equal(harness_kill9(&h), 0);
		for (int i = 0; i < CLIENTS; i++)
			advice_conn_free(cs[i].k);
		integrity_check(&h);
		assert_int_equal(harness_start_again(&h), 0);
		for (int i = 0; i < CLIENTS; i++) {
			connect_client(&h, &cs[i]);
			verify(&cs[i], i);
		}
	}
	for (int i = 0; i < CLIENTS; i++) {
		for (int k = 1; k <= cs[i].sent; k++)
			total_acked += cs[i].acked[k];
		advice_conn_free(cs[i].k);
		free(cs[i].acked);
		free(cs[i].session);
	}
	print_message("crash campaign: %d rounds, %d acknowledged writes verified after kill -9\n", rounds,
		      total_acked);
	assert_true(total_acked > 0);
	harness_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_campaign),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
