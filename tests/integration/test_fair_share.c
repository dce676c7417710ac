/*
 * test_fair_share.c - one session or one address cannot starve the others, against the real
 * adviced. Twenty WebSockets of one citizen's session pipeline requests far past the
 * session's share of the core's queue: the excess is answered at once with 429 rate_limited,
 * retry_after and its own id, every request gets exactly one answer, and a second citizen's
 * requests meanwhile are answered promptly (its worst latency measured). The session's next
 * WebSocket is refused with 429. A session over its message rate gets rate_limited with
 * retry_after while another session is served; an address over its rate limits every
 * session from it and no other address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define CITIZEN_A   "010190-900P"
#define CITIZEN_B   "020285-9416"
#define CITIZEN_C   "150375-901H"
#define FLOOD_CONNS 20
#define FLOOD_EACH  150 /* requests pipelined on each flooding connection */
#define PROBES	    10	/* the second citizen's requests during the flood */
#define BOUND_MS    2000
#define ANSWER_MS   30000
/* The flood's request: a small reply, so a connection reads up to its 64 ahead (a request with
 * a large reply, such as categories.list, is read only two at a time, PROTOCOL.md §2.1). */
#define FLOOD_REQ "{\"type\":\"notify.get\",\"id\":\"%s\"}"

/* What the answers to one connection's pipelined requests were. */
struct tally {
	int ok, limited, other, ids_wrong, no_retry;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int start(void **state, const char *conf)
{
	struct harness *h = calloc(1, sizeof(*h));

	*state = h;
	return h != NULL ? harness_start_with(h, 0, conf) : -1;
}

/* Twenty WebSockets a session, a share of 64 requests; no rate limits. */
static int setup_share(void **state)
{
	return start(state, "session_max_connections = 20\n"
			    "session_max_pending = 64\n"
			    "session_requests_per_minute = 0\n"
			    "address_requests_per_minute = 0\n");
}

/* Ten messages a session at once, then one a second; no address limit. */
static int setup_session_rate(void **state)
{
	return start(state, "session_request_burst = 10\n"
			    "session_requests_per_minute = 60\n"
			    "address_requests_per_minute = 0\n");
}

/* Ten messages an address at once, then one a second; no session limit. */
static int setup_address_rate(void **state)
{
	return start(state, "session_requests_per_minute = 0\n"
			    "address_request_burst = 10\n"
			    "address_requests_per_minute = 60\n");
}

static int teardown(void **state)
{
	struct harness *h = *state;
	int rc = harness_stop(h);

	free(h);
	return rc;
}

static char *login(struct harness *h, const char *hetu)
{
	char *session = NULL;

	assert_int_equal(harness_login_citizen(h, hetu, &session), 0);
	return session;
}

/* Sends `count` notify.get requests without waiting, ids "<prefix>-<i>". */
static void pipeline(struct advice_conn *k, const char *prefix, int count)
{
	char req[128], id[64];

	for (int i = 0; i < count; i++) {
		snprintf(id, sizeof(id), "%s-%d", prefix, i);
		snprintf(req, sizeof(req), FLOOD_REQ, id);
		assert_int_equal(advice_send(k, req), 0);
	}
}

/* Reads the answers to `count` requests pipelined with ids "<prefix>-<i>", each once. */
static void collect(struct advice_conn *k, const char *prefix, int count, struct tally *t)
{
	char *seen = calloc((size_t)count, 1);
	size_t plen = strlen(prefix);
	int got = 0;

	assert_non_null(seen);
	while (got < count) {
		char *text = NULL;
		json_t *j, *idv;
		const char *type, *id;
		int idx;

		assert_int_equal(advice_next_message(k, &text, ANSWER_MS), 0);
		j = json_loads(text, 0, NULL);
		free(text);
		assert_non_null(j);
		type = json_string_value(json_object_get(j, "type"));
		assert_non_null(type);
		if (strcmp(type, "event") == 0) {
			json_decref(j);
			continue;
		}
		got++;
		idv = json_object_get(j, "id");
		id = json_string_value(idv);
		if (id == NULL || strncmp(id, prefix, plen) != 0 || id[plen] != '-' ||
		    (idx = atoi(id + plen + 1)) < 0 || idx >= count || seen[idx]) {
			t->ids_wrong++;
		} else {
			seen[idx] = 1;
		}
		if (strcmp(type, "ok") == 0) {
			t->ok++;
		} else if (strcmp(json_string_value(json_object_get(j, "code")), "rate_limited") == 0) {
			t->limited++;
			if (json_integer_value(json_object_get(j, "retry_after")) < 1)
				t->no_retry++;
		} else {
			t->other++;
		}
		json_decref(j);
	}
	free(seen);
}

/* One categories.list of `k`, answered ok; its latency in ms. */
static int64_t timed_call(struct advice_conn *k)
{
	int64_t t0 = mono_ms();
	char *reply = NULL;

	assert_int_equal(advice_call(k, "categories.list", NULL, &reply, ANSWER_MS), 0);
	free(reply);
	return mono_ms() - t0;
}

/* A WebSocket of `session`, tried again until the server has seen an earlier one close. */
static struct advice_conn *connect_polled(struct harness *h, const char *session)
{
	int64_t until = mono_ms() + 10000;
	struct advice_conn *k;

	while ((k = harness_connect(h, session)) == NULL && mono_ms() < until)
		advice_client_service(h->client, 50);
	return k;
}

static void test_flood_of_one_session(void **state)
{
	struct harness *h = *state;
	struct advice_conn *flood[FLOOD_CONNS], *b, *extra;
	struct tally t = { 0 };
	char *sa = login(h, CITIZEN_A), *sb = login(h, CITIZEN_B), prefix[16];
	int64_t worst = 0;

	for (int i = 0; i < FLOOD_CONNS; i++)
		assert_non_null(flood[i] = harness_connect(h, sa));
	/* the session's 21st WebSocket is refused (429), another session's is not */
	extra = harness_connect(h, sa);
	assert_null(extra);
	assert_true(harness_log_contains(h, "upgrade refused (429"));
	assert_non_null(b = harness_connect(h, sb));

	for (int i = 0; i < FLOOD_CONNS; i++) {
		snprintf(prefix, sizeof(prefix), "f%d", i);
		pipeline(flood[i], prefix, FLOOD_EACH);
	}
	for (int i = 0; i < PROBES; i++) {
		int64_t ms = timed_call(b);

		if (ms > worst)
			worst = ms;
	}
	for (int i = 0; i < FLOOD_CONNS; i++) {
		snprintf(prefix, sizeof(prefix), "f%d", i);
		collect(flood[i], prefix, FLOOD_EACH, &t);
	}
	fprintf(stderr,
		"flood: %d ok, %d rate_limited, %d other; the other citizen's worst latency %lld ms\n", t.ok,
		t.limited, t.other, (long long)worst);
	assert_int_equal(t.ids_wrong, 0);
	assert_int_equal(t.no_retry, 0);
	assert_int_equal(t.other, 0);
	assert_int_equal(t.ok + t.limited, FLOOD_CONNS * FLOOD_EACH);
	assert_true(t.limited > 0);
	assert_true(t.ok > 0);
	assert_true(worst < BOUND_MS);
	/* once the flood is answered, the session is served again, on a new connection too */
	advice_conn_free(flood[0]);
	extra = connect_polled(h, sa);
	assert_non_null(extra);
	timed_call(extra);
	advice_conn_free(extra);
	for (int i = 1; i < FLOOD_CONNS; i++)
		advice_conn_free(flood[i]);
	advice_conn_free(b);
	free(sa);
	free(sb);
}

static void test_session_rate(void **state)
{
	struct harness *h = *state;
	char *sa = login(h, CITIZEN_A), *sb = login(h, CITIZEN_B);
	struct advice_conn *a = harness_connect(h, sa), *b = harness_connect(h, sb);
	struct tally t = { 0 };

	assert_non_null(a);
	assert_non_null(b);
	pipeline(a, "r", 30);
	collect(a, "r", 30, &t);
	assert_int_equal(t.ids_wrong, 0);
	assert_int_equal(t.other, 0);
	assert_int_equal(t.no_retry, 0);
	assert_in_range(t.ok, 10, 12); /* the burst, and what a second of refill brought */
	assert_int_equal(t.ok + t.limited, 30);
	timed_call(b); /* another session has its own bucket */
	advice_conn_free(a);
	advice_conn_free(b);
	free(sa);
	free(sb);
}

static void test_address_rate(void **state)
{
	struct harness *h = *state;
	char *sa = login(h, CITIZEN_A), *sb = login(h, CITIZEN_B), *sc = login(h, CITIZEN_C);
	struct advice_conn *a = harness_connect(h, sa), *b = harness_connect(h, sb), *c;
	struct tally t = { 0 }, tb = { 0 };

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(advice_client_set_source(h->client, "127.0.0.2"), 0);
	c = harness_connect(h, sc);
	assert_int_equal(advice_client_set_source(h->client, NULL), 0);
	assert_non_null(c);
	pipeline(a, "a", 30);
	collect(a, "a", 30, &t);
	assert_int_equal(t.ids_wrong, 0);
	assert_int_equal(t.other, 0);
	assert_in_range(t.ok, 10, 12);
	assert_int_equal(t.ok + t.limited, 30);
	/* another session from the same address shares the empty bucket ... */
	pipeline(b, "b", 1);
	collect(b, "b", 1, &tb);
	assert_int_equal(tb.limited, 1);
	assert_int_equal(tb.no_retry, 0);
	/* ... another address does not */
	timed_call(c);
	advice_conn_free(a);
	advice_conn_free(b);
	advice_conn_free(c);
	free(sa);
	free(sb);
	free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flood_of_one_session, setup_share, teardown),
		cmocka_unit_test_setup_teardown(test_session_rate, setup_session_rate, teardown),
		cmocka_unit_test_setup_teardown(test_address_rate, setup_address_rate, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
