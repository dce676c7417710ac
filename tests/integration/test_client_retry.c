/*
 * test_client_retry.c - libadvice under the server's limits, against the real adviced. With
 * a small per-session message rate, requests sent one after another through
 * advice_request() meet 429 rate_limited with retry_after: the library waits and sends each
 * again with its id, so every one succeeds, once (the thread has each message exactly once);
 * a wait that would end after the call's timeout is not waited: the error comes back at once
 * with its retry_after. And 100 full-size messages sent one after another, whose message.new
 * events pile up unclaimed on the connection, complete well within the normal timeouts (the
 * library parses each incoming message once, not on every turn of its loop).
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

#include "advice.h"
#include "harness.h"
#include "itest.h"

#define CITIZEN	  "010594Y9032"
#define NSENDS	  6
#define NFULL	  100
#define FULL_MS	  40000 /* generous: 100 full-size sends took some 48 s while each turn re-parsed */
#define SHORT_MS  500	/* a timeout shorter than any retry_after */
#define OPEN_TEXT "{\"type\":\"thread.open\",\"id\":\"o\",\"category\":\"adult-social-work\",\"body\":\"%s\"}"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int start(void **state, const char *conf)
{
	struct harness *h = calloc(1, sizeof *h);

	*state = h;
	return h != NULL ? harness_start_with(h, 0, conf) : -1;
}

/* Three messages per session at once, then one a second. */
static int setup_rate(void **state)
{
	return start(state, "session_request_burst = 3\n"
			    "session_requests_per_minute = 60\n");
}

static int setup_default(void **state)
{
	return start(state, NULL);
}

static int teardown(void **state)
{
	int rc = harness_stop(*state);

	free(*state);
	return rc;
}

static void test_rate_limited_requests_are_resent(void **state)
{
	struct harness *h = *state;
	struct advice_conn *k = itest_citizen(h, CITIZEN);
	char thread[64], req[256], id[16];
	char *reply = NULL;
	json_t *r;
	int64_t t0 = now_ms();

	r = itest_request(k, "ok", OPEN_TEXT, "b3Blbg");
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	json_decref(r);
	/* The burst has room for two more: the rest each wait for a token, resent by the library. */
	for (int i = 1; i <= NSENDS; i++) {
		snprintf(id, sizeof id, "m%d", i);
		snprintf(req, sizeof req,
			 "{\"type\":\"message.send\",\"id\":\"%s\",\"thread\":\"%s\",\"body\":\"c2VuZA\"}",
			 id, thread);
		if (advice_request(k, req, &reply, HARNESS_TIMEOUT_MS) != 0)
			fail_msg("%s: %s", id, reply != NULL ? reply : "no reply");
		r = json_loads(reply, 0, NULL);
		assert_string_equal(itest_str(r, "id"), id);
		json_decref(r);
		free(reply);
		reply = NULL;
	}
	printf("# %d sends past the burst took %lld ms\n", NSENDS, (long long)(now_ms() - t0));
	assert_true(now_ms() - t0 >= 2000); /* some of them waited for the refill */
	/* The bucket is empty again: a call whose timeout ends before the wait gets the error. */
	t0 = now_ms();
	assert_int_equal(advice_request(k, "{\"type\":\"thread.list\",\"id\":\"short\"}", &reply, SHORT_MS),
			 -ADVICE_ERR_RATE_LIMITED);
	assert_true(now_ms() - t0 < SHORT_MS);
	r = json_loads(reply, 0, NULL);
	assert_string_equal(itest_str(r, "id"), "short");
	assert_true(json_integer_value(json_object_get(r, "retry_after")) >= 1);
	json_decref(r);
	free(reply);
	/* Each message is there once. */
	r = itest_request(k, "ok",
			  "{\"type\":\"thread.read\",\"id\":\"read\",\"thread\":\"%s\",\"limit\":100}",
			  thread);
	assert_int_equal(json_array_size(json_object_get(r, "messages")), NSENDS + 1);
	json_decref(r);
	advice_conn_free(k);
}

static void test_many_full_size_sends_are_fast(void **state)
{
	struct harness *h = *state;
	struct advice_conn *k = itest_citizen(h, CITIZEN);
	uint8_t *raw = malloc(ADVICE_MAX_BODY_BYTES);
	char thread[64], *body;
	int64_t t0;
	json_t *r;

	assert_non_null(raw);
	memset(raw, 'f', ADVICE_MAX_BODY_BYTES);
	body = itest_b64(raw, ADVICE_MAX_BODY_BYTES);
	t0 = now_ms();
	r = itest_request(k, "ok", OPEN_TEXT, body);
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	json_decref(r);
	for (int i = 2; i <= NFULL; i++)
		json_decref(itest_request(
			k, "ok",
			"{\"type\":\"message.send\",\"id\":\"s%d\",\"thread\":\"%s\",\"body\":\"%s\"}", i,
			thread, body));
	printf("# %d full-size sends took %lld ms\n", NFULL, (long long)(now_ms() - t0));
	assert_true(now_ms() - t0 < FULL_MS);
	free(body);
	free(raw);
	advice_conn_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rate_limited_requests_are_resent, setup_rate, teardown),
		cmocka_unit_test_setup_teardown(test_many_full_size_sends_are_fast, setup_default, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
