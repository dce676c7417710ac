/*
 * test_session_live.c - a session's ends over the real adviced, with times short enough not
 * to wait for (idle 60 s, warned 59 s ahead, checked every second): welcome tells the
 * absolute end and the idle end apart; every connection of the session gets session.expiring
 * about its idle end, and another session's connection gets its own; session.extend moves the
 * idle end and leaves the absolute end. At a session's idle end its WebSockets close with
 * 4001 within a few seconds, while another session kept busy stays open; also when the core's
 * session check is rare (the network thread closes them at the end each was given).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice.h"
#include "harness.h"
#include "itest.h"

#define TIMEOUT_MS 10000
#define IDLE_S	   60
#define ABS_S	   28800 /* the default */

/* A server with `conf` added to the harness's configuration, in *state. */
static int start_with(void **state, const char *conf)
{
	struct harness *h = calloc(1, sizeof *h);

	assert_non_null(h);
	assert_int_equal(harness_start_with(h, 0, conf), 0);
	*state = h;
	return 0;
}

static int setup(void **state)
{
	return start_with(state, "citizen_idle_s = 60\nsession_warn_s = 59\nsession_check_s = 1\n");
}

/* The same idle time, and the core's session check rarely (300 s): a session's end then
 * comes from the time each connection was given, on the network thread's tick. */
static int setup_rare_check(void **state)
{
	return start_with(state, "citizen_idle_s = 60\nsession_warn_s = 0\nsession_check_s = 300\n");
}

static int teardown(void **state)
{
	int rc = harness_stop(*state);

	free(*state);
	return rc;
}

static int64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *welcome_of(struct advice_conn *k)
{
	json_t *w = json_loads(advice_conn_welcome(k), 0, NULL);

	assert_non_null(w);
	return w;
}

/* The next session.expiring event on `k` (other messages are skipped); fails after the timeout. */
static json_t *next_warning(struct advice_conn *k)
{
	for (;;) {
		char *text = NULL;
		json_t *j;

		if (advice_next_message(k, &text, TIMEOUT_MS) != 0)
			fail_msg("no session.expiring within %d ms", TIMEOUT_MS);
		j = json_loads(text, 0, NULL);
		free(text);
		if (j != NULL && itest_str(j, "event") &&
		    strcmp(itest_str(j, "event"), "session.expiring") == 0)
			return j;
		json_decref(j);
	}
}

static void test_ends_warning_and_extend(void **state)
{
	struct harness *h = *state;
	char *session, *other_session;
	struct advice_conn *k1, *k2, *other;
	int64_t before = realtime_ms(), after;
	json_t *w, *w_other, *ev, *r;

	assert_int_equal(harness_login_citizen(h, "010594Y9032", &session), 0);
	after = realtime_ms();
	k1 = harness_connect(h, session);
	k2 = harness_connect(h, session);
	assert_non_null(k1);
	assert_non_null(k2);
	assert_int_equal(harness_login_citizen(h, "020594X903P", &other_session), 0);
	other = harness_connect(h, other_session);
	assert_non_null(other);

	/* welcome: the absolute end is the login's plus 8 hours; the idle end a minute away. */
	w = welcome_of(k1);
	assert_true(itest_num(w, "session_expires") >= before + ABS_S * 1000LL);
	assert_true(itest_num(w, "session_expires") <= after + ABS_S * 1000LL);
	assert_true(itest_num(w, "idle_expires") >= before + IDLE_S * 1000LL);
	assert_true(itest_num(w, "idle_expires") < itest_num(w, "session_expires"));

	/* Within a check interval or so: each connection of the session is warned of its idle end. */
	ev = next_warning(k1);
	assert_string_equal(itest_str(ev, "reason"), "idle");
	assert_int_equal(itest_num(ev, "ends"), itest_num(w, "idle_expires"));
	assert_int_equal(itest_num(ev, "session_expires"), itest_num(w, "session_expires"));
	json_decref(ev);
	ev = next_warning(k2);
	assert_int_equal(itest_num(ev, "ends"), itest_num(w, "idle_expires"));
	json_decref(ev);
	/* The other session's connection gets the warning of its own session. */
	w_other = welcome_of(other);
	ev = next_warning(other);
	assert_int_equal(itest_num(ev, "ends"), itest_num(w_other, "idle_expires"));
	json_decref(ev);

	/* session.extend: the idle end moves to now plus the idle time; the absolute end stays. */
	before = realtime_ms();
	r = itest_request(k2, "ok", "{\"type\":\"session.extend\",\"id\":\"ext\"}");
	assert_int_equal(itest_num(r, "session_expires"), itest_num(w, "session_expires"));
	assert_true(itest_num(r, "idle_expires") >= before + IDLE_S * 1000LL);
	assert_true(itest_num(r, "idle_expires") > itest_num(w, "idle_expires"));
	json_decref(r);

	json_decref(w);
	json_decref(w_other);
	advice_conn_free(k1);
	advice_conn_free(k2);
	advice_conn_free(other);
	free(session);
	free(other_session);
}

/* Sleeps until the wall clock reads `ms` (a time of the server's, CLOCK_REALTIME ms). */
static void sleep_until_realtime(int64_t ms)
{
	int64_t left = ms - realtime_ms();

	if (left > 0)
		usleep((useconds_t)left * 1000);
}

static void test_idle_end_closes_the_sockets(void **state)
{
	struct harness *h = *state;
	char *idle_session, *busy_session;
	struct advice_conn *idle, *busy;
	int64_t idle_end, closed_at;
	json_t *w, *r;

	assert_int_equal(harness_login_citizen(h, "010594Y9032", &idle_session), 0);
	assert_int_equal(harness_login_citizen(h, "020594X903P", &busy_session), 0);
	assert_non_null(idle = harness_connect(h, idle_session));
	assert_non_null(busy = harness_connect(h, busy_session));
	w = welcome_of(idle);
	idle_end = itest_num(w, "idle_expires");
	json_decref(w);

	/* The busy session moves its idle end twice before the idle one's comes. */
	sleep_until_realtime(idle_end - IDLE_S * 1000LL / 2);
	json_decref(itest_request(busy, "ok", "{\"type\":\"session.extend\",\"id\":\"e1\"}"));
	sleep_until_realtime(idle_end - 3000);
	json_decref(itest_request(busy, "ok", "{\"type\":\"session.extend\",\"id\":\"e2\"}"));
	assert_true(advice_conn_is_open(idle));

	assert_int_equal(advice_wait_closed(idle, 10000), 0);
	closed_at = realtime_ms();
	assert_int_equal(advice_conn_close_code(idle), ADVICE_CLOSE_SESSION_ENDED);
	assert_true(closed_at >= idle_end);
	assert_true(closed_at <= idle_end + 2500); /* the one-second tick (and session_check_s = 1) */
	assert_true(advice_conn_is_open(busy));
	r = itest_request(busy, "ok", "{\"type\":\"categories.list\",\"id\":\"c\"}");
	json_decref(r);

	advice_conn_free(idle);
	advice_conn_free(busy);
	free(idle_session);
	free(busy_session);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ends_warning_and_extend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_end_closes_the_sockets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_end_closes_the_sockets, setup_rare_check, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
