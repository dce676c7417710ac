/*
 * test_keepalive.c - unit tests of the ping and idle hang-up schedule (server/net/keepalive.c)
 * on a simulated clock: a silent connection is pinged after between half the interval and the
 * interval of silence and hung up idle_timeout_s after its last sign of life, not before; an
 * answering or busy one is never hung up; connections opened in one burst are pinged spread
 * over half an interval, each once an interval; unscheduling; and a stall of the loop longer
 * than the wheel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keepalive.h"

#define PING_S 30
#define IDLE_S 75
#define T0     1000000 /* the simulated monotonic clock at the start, ms */

/* Runs the tick at `now`: counts the pings and hang-ups of each entry (index in `e`). */
static void tick(struct ka_wheel *w, struct ka_entry *e, int64_t now, int *pings, int *hangups)
{
	enum ka_action a;
	struct ka_entry *d;

	while ((d = ka_next_due(w, now, &a)) != NULL) {
		assert_true(a == KA_PING || a == KA_HANG_UP);
		if (a == KA_PING)
			pings[d - e]++;
		else
			hangups[d - e]++;
	}
}

static void test_ping_time_is_on_the_phase(void **state)
{
	(void)state;
	for (int64_t alive = T0; alive < T0 + 40000; alive += 777)
		for (int64_t phase = 0; phase < 15000; phase += 1499) {
			int64_t t = ka_ping_time(alive, 15000, phase);

			assert_true(t >= alive + 15000 && t < alive + 30000);
			assert_int_equal(t % 15000, phase);
		}
}

static void test_silent_connection_pinged_then_hung_up(void **state)
{
	struct ka_wheel w;
	struct ka_entry e[1];
	int pings[1] = { 0 }, hangups[1] = { 0 };
	int64_t pinged_at = 0, hung_at = 0;

	(void)state;
	memset(e, 0, sizeof e);
	assert_int_equal(ka_init(&w, PING_S, IDLE_S, T0), 0);
	ka_start(&w, &e[0], 42, T0);
	for (int64_t now = T0; now <= T0 + 100000; now += 1000) {
		tick(&w, e, now, pings, hangups);
		if (pings[0] == 1 && pinged_at == 0)
			pinged_at = now;
		if (hangups[0] == 1 && hung_at == 0)
			hung_at = now;
	}
	assert_int_equal(pings[0], 1);
	assert_int_equal(hangups[0], 1);
	/* Pinged after between half the interval and the interval of silence (the tick rounds up
	 * to its second); hung up idle_timeout_s after the last sign of life, in the tick after. */
	assert_true(pinged_at >= T0 + PING_S * 500 && pinged_at <= T0 + PING_S * 1000 + 1000);
	assert_true(hung_at >= T0 + IDLE_S * 1000 && hung_at <= T0 + IDLE_S * 1000 + 1000);
	assert_int_equal(w.count, 0);
	ka_free(&w);
}

static void test_answering_and_busy_connections_stay(void **state)
{
	struct ka_wheel w;
	struct ka_entry e[2];
	int pings[2] = { 0 }, hangups[2] = { 0 }, seen = 0;

	(void)state;
	memset(e, 0, sizeof e);
	assert_int_equal(ka_init(&w, PING_S, IDLE_S, T0), 0);
	ka_start(&w, &e[0], 1, T0); /* answers each ping at once */
	ka_start(&w, &e[1], 2, T0); /* sends a message every 10 s */
	for (int64_t now = T0; now <= T0 + 600000; now += 1000) {
		tick(&w, e, now, pings, hangups);
		if (pings[0] > seen) {
			seen = pings[0];
			ka_alive(&w, &e[0], now + 5);
		}
		if ((now - T0) % 10000 == 0)
			ka_alive(&w, &e[1], now);
	}
	assert_int_equal(hangups[0], 0);
	assert_int_equal(hangups[1], 0);
	assert_int_equal(pings[1], 0);
	/* 600 s: once an interval, give or take the first. */
	assert_true(pings[0] >= 600 / PING_S - 1 && pings[0] <= 600 / PING_S + 1);
	assert_int_equal(w.count, 2);
	ka_free(&w);
}

#define BURST 20000

/* 20,000 connections opened in the same second and answering at once: the pings of an
 * interval are spread over half of it, and each connection is pinged once an interval. */
static void test_burst_is_spread(void **state)
{
	struct ka_wheel w;
	struct ka_entry *e = calloc(BURST, sizeof *e);
	int *pings = calloc(BURST, sizeof *pings), *hangups = calloc(BURST, sizeof *hangups);
	int *before = calloc(BURST, sizeof *before), per_s[200] = { 0 }, total = 0;

	(void)state;
	assert_non_null(e);
	assert_non_null(pings);
	assert_non_null(hangups);
	assert_non_null(before);
	assert_int_equal(ka_init(&w, PING_S, IDLE_S, T0), 0);
	for (int i = 0; i < BURST; i++)
		ka_start(&w, &e[i], (uint64_t)i + 1, T0 + i / 40);
	for (int s = 1; s < 200; s++) {
		int64_t now = T0 + (int64_t)s * 1000;

		memcpy(before, pings, BURST * sizeof *pings);
		tick(&w, e, now, pings, hangups);
		for (int i = 0; i < BURST; i++)
			if (pings[i] != before[i]) {
				per_s[s]++;
				ka_alive(&w, &e[i], now + 3);
			}
	}
	for (int i = 0; i < BURST; i++) {
		assert_int_equal(hangups[i], 0);
		total += pings[i];
	}
	/* No ping in the first half interval; then about BURST / 15 a second, never a burst. */
	for (int s = 1; s < PING_S / 2; s++)
		assert_int_equal(per_s[s], 0);
	for (int s = PING_S / 2 + 1; s < 199; s++) {
		int window = 0;

		for (int k = s; k < s + 5 && k < 200; k++)
			window += per_s[k];
		assert_true(per_s[s] <= BURST / (PING_S / 2) * 3 / 2);
		assert_true(window <= BURST * 2 / 5);
	}
	/* From 15 s to 199 s: six intervals and a bit, each connection pinged once in each. */
	assert_true(total >= BURST * 6 && total <= BURST * 7);
	assert_int_equal(w.count, BURST);
	ka_free(&w);
	free(e);
	free(pings);
	free(hangups);
	free(before);
}

static void test_stopped_entry_is_never_due(void **state)
{
	struct ka_wheel w;
	struct ka_entry e[3];
	int pings[3] = { 0 }, hangups[3] = { 0 };

	(void)state;
	memset(e, 0, sizeof e);
	assert_int_equal(ka_init(&w, PING_S, IDLE_S, T0), 0);
	for (int i = 0; i < 3; i++)
		ka_start(&w, &e[i], (uint64_t)i, T0);
	ka_stop(&w, &e[1]);
	ka_stop(&w, &e[1]); /* twice: a no-op */
	assert_int_equal(w.count, 2);
	for (int64_t now = T0; now <= T0 + 200000; now += 1000)
		tick(&w, e, now, pings, hangups);
	assert_int_equal(pings[1] + hangups[1], 0);
	assert_int_equal(hangups[0] + hangups[2], 2);
	assert_int_equal(w.count, 0);
	ka_free(&w);
}

/* The loop stalled for longer than the wheel turns: every entry comes due once, and one
 * scheduled just before the tick is not run early. */
static void test_stall_longer_than_the_wheel(void **state)
{
	struct ka_wheel w;
	struct ka_entry e[3];
	int pings[3] = { 0 }, hangups[3] = { 0 };
	int64_t late = T0 + 1000000;

	(void)state;
	memset(e, 0, sizeof e);
	assert_int_equal(ka_init(&w, PING_S, IDLE_S, T0), 0);
	ka_start(&w, &e[0], 7, T0);
	ka_start(&w, &e[1], 8, T0);
	ka_start(&w, &e[2], 9, late - 500);
	tick(&w, e, late, pings, hangups);
	/* Pinged, with time to answer; the new one not yet. */
	assert_int_equal(pings[0], 1);
	assert_int_equal(pings[1], 1);
	assert_int_equal(pings[2] + hangups[2], 0);
	assert_int_equal(hangups[0] + hangups[1], 0);
	ka_alive(&w, &e[0], late + 10);
	/* The silent one is hung up the answer time after the late ping, the new one
	 * idle_timeout_s after it opened; the one that answered not before its own. */
	for (int64_t now = late + 1000; now <= late + IDLE_S * 1000; now += 1000)
		tick(&w, e, now, pings, hangups);
	assert_int_equal(hangups[0], 0);
	assert_int_equal(hangups[1], 1);
	assert_int_equal(hangups[2], 1);
	for (int64_t now = late + IDLE_S * 1000 + 1000; now <= late + 200000; now += 1000)
		tick(&w, e, now, pings, hangups);
	assert_int_equal(hangups[0], 1);
	assert_int_equal(w.count, 0);
	ka_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping_time_is_on_the_phase),
		cmocka_unit_test(test_silent_connection_pinged_then_hung_up),
		cmocka_unit_test(test_answering_and_busy_connections_stay),
		cmocka_unit_test(test_burst_is_spread),
		cmocka_unit_test(test_stopped_entry_is_never_due),
		cmocka_unit_test(test_stall_longer_than_the_wheel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
