/*
 * test_kdf_floor.c - a malicious server against libadvice's worker login: a fake
 * /api/v1/login/worker/start (the HTTP sink) names Argon2id parameters below the floor pinned
 * in the client (1 pass, 8 KiB) or above its ceiling; libadvice refuses with a clear error and
 * the fake server receives nothing after /start, so it gets no login key to guess the password
 * from. At the floor the key is derived and sent, as the positive control.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice.h"
#include "advice_crypto.h"
#include "sink.h"

#define SALT_B64 "AAECAwQFBgcICQoLDA0ODw" /* bytes 0..15 */
#define TIMEOUT	 10000

/* The fake server's /start answer naming ops and mem. */
static void fake_start(struct sink *s, unsigned long long ops, unsigned long long mem)
{
	char body[256];

	snprintf(body, sizeof body,
		 "{\"type\":\"ok\",\"salt\":\"" SALT_B64 "\",\"opslimit\":%llu,\"memlimit\":%llu,"
		 "\"alg\":\"argon2id13\"}",
		 ops, mem);
	sink_set_reply(s, 200, body);
}

/* A login against the fake server: its result; the requests the server got in *requests. */
static int login_against(struct sink *s, size_t *requests, struct advice_client *c)
{
	char url[64], *session = NULL;
	int rc;

	snprintf(url, sizeof url, "http://127.0.0.1:%d", sink_port(s));
	rc = advice_login_worker(c, url, "http://127.0.0.1", "maija", "correct horse battery staple",
				 &session, TIMEOUT);
	free(session);
	assert_int_equal(sink_wait(s, 1, TIMEOUT), 0);
	*requests = sink_count(s);
	return rc;
}

/* The path of request i. */
static int request_is(struct sink *s, size_t i, const char *path)
{
	char *head = NULL, *body = NULL;
	int yes;

	assert_int_equal(sink_get(s, i, &head, &body), 0);
	yes = strstr(head, path) != NULL;
	free(head);
	free(body);
	return yes;
}

static void test_below_floor_and_above_ceiling_refused(void **state)
{
	static const unsigned long long params[][2] = {
		{ 1, 8192 },					      /* the review's downgrade */
		{ 1, ADVICE_PWHASH_MEM_MIN },			      /* one pass too few */
		{ ADVICE_PWHASH_OPS_MIN, ADVICE_PWHASH_MEM_MIN - 1 }, /* a byte too little */
		{ ADVICE_PWHASH_OPS_MAX + 1, ADVICE_PWHASH_MEM_MIN }, /* minutes of hashing */
		{ ADVICE_PWHASH_OPS_MIN, 1ULL << 31 },		      /* 2 GiB of memory */
	};

	(void)state;
	for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
		struct sink *s = sink_start_http(0);
		struct advice_client *c = advice_client_new();
		size_t requests = 0;

		assert_non_null(s);
		assert_non_null(c);
		fake_start(s, params[i][0], params[i][1]);
		assert_int_equal(login_against(s, &requests, c), -ADVICE_ERR_PROTOCOL);
		assert_non_null(strstr(advice_client_error_message(c, NULL), "outside this client's bounds"));
		assert_int_equal(requests, 1); /* /start only: no login key was sent */
		assert_true(request_is(s, 0, "/api/v1/login/worker/start"));
		advice_client_free(c);
		sink_stop(s);
	}
}

static void test_enrol_refused_too(void **state)
{
	struct sink *s = sink_start_http(0);
	struct advice_client *c = advice_client_new();
	char url[64], *secret = NULL;

	(void)state;
	assert_non_null(s);
	fake_start(s, 1, 8192);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", sink_port(s));
	assert_int_equal(
		advice_worker_enrol(c, url, "http://127.0.0.1", "maija", "pw", NULL, &secret, TIMEOUT),
		-ADVICE_ERR_PROTOCOL);
	assert_null(secret);
	assert_int_equal(sink_wait(s, 1, TIMEOUT), 0);
	assert_int_equal(sink_count(s), 1);
	advice_client_free(c);
	sink_stop(s);
}

static void test_at_the_floor_the_key_is_sent(void **state)
{
	struct sink *s = sink_start_http(0);
	struct advice_client *c = advice_client_new();
	uint8_t salt[ADVICE_SALT_BYTES], key[ADVICE_AUTH_KEY_BYTES];
	char *head = NULL, *body = NULL, *want;
	size_t requests = 0;
	json_t *j;

	(void)state;
	assert_non_null(s);
	fake_start(s, ADVICE_PWHASH_OPS_MIN, ADVICE_PWHASH_MEM_MIN);
	/* The fake answers the login itself without a cookie: a protocol error after the key went. */
	assert_int_equal(login_against(s, &requests, c), -ADVICE_ERR_PROTOCOL);
	assert_int_equal(sink_wait(s, 2, TIMEOUT), 0);
	assert_int_equal(sink_count(s), 2);
	assert_true(request_is(s, 1, "/api/v1/login/worker "));
	assert_int_equal(sink_get(s, 1, &head, &body), 0);
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	for (int i = 0; i < ADVICE_SALT_BYTES; i++)
		salt[i] = (uint8_t)i;
	assert_int_equal(advice_worker_auth_key("correct horse battery staple", salt, ADVICE_PWHASH_OPS_MIN,
						ADVICE_PWHASH_MEM_MIN, key),
			 0);
	want = advice_b64url_encode(key, sizeof key);
	assert_string_equal(json_string_value(json_object_get(j, "auth_key")), want);
	free(want);
	json_decref(j);
	free(head);
	free(body);
	advice_client_free(c);
	sink_stop(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_below_floor_and_above_ceiling_refused),
		cmocka_unit_test(test_enrol_refused_too),
		cmocka_unit_test(test_at_the_floor_the_key_is_sent),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
