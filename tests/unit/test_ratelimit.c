/*
 * test_ratelimit.c - unit tests of the per-source token buckets (server/ratelimit.c): a
 * burst, then refusals with the seconds to wait; refill at the configured rate, exactly over
 * many small steps; sources apart; IPv4 and IPv4-mapped IPv6 one source, an IPv6 /64 one
 * source; a full table gives up its least recently seen source and no other; a clock that
 * goes back; a refund gives back one token, never past the burst, and none to a source the
 * table gave up; arguments out of range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ratelimit.h"

static int take(struct ratelimit *rl, const char *peer, int64_t now_ms)
{
	struct ratelimit_key k;

	ratelimit_key_of(peer, &k);
	return ratelimit_take(rl, &k, now_ms);
}

static void test_burst_then_wait(void **state)
{
	struct ratelimit *rl = ratelimit_new(16, 6, 3); /* a token every 10 s */

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 3; i++)
		assert_int_equal(take(rl, "192.0.2.1", 1000), 0);
	assert_int_equal(take(rl, "192.0.2.1", 1000), 10);
	assert_int_equal(take(rl, "192.0.2.1", 5000), 6);
	assert_int_equal(take(rl, "192.0.2.1", 10999), 1); /* 1 ms short: rounded up */
	assert_int_equal(take(rl, "192.0.2.1", 11000), 0);
	assert_int_equal(take(rl, "192.0.2.1", 11000), 10);
	/* a refused request takes nothing */
	assert_int_equal(take(rl, "192.0.2.1", 21000), 0);
	/* a long pause fills the bucket to the burst, no more */
	assert_int_equal(take(rl, "192.0.2.1", 10000000), 0);
	assert_int_equal(take(rl, "192.0.2.1", 10000000), 0);
	assert_int_equal(take(rl, "192.0.2.1", 10000000), 0);
	assert_int_equal(take(rl, "192.0.2.1", 10000000), 10);
	ratelimit_free(rl);
}

/* 600 a minute is one every 100 ms: a thousand 1 ms steps refill ten, none lost to rounding. */
static void test_refill_exact_in_small_steps(void **state)
{
	struct ratelimit *rl = ratelimit_new(4, 600, 1);
	int allowed = 0;

	(void)state;
	assert_non_null(rl);
	assert_int_equal(take(rl, "198.51.100.7", 0), 0);
	for (int64_t t = 1; t <= 1000; t++)
		allowed += take(rl, "198.51.100.7", t) == 0;
	assert_int_equal(allowed, 10);
	ratelimit_free(rl);
}

static void test_sources_apart_and_keys(void **state)
{
	struct ratelimit *rl = ratelimit_new(16, 1, 1);

	(void)state;
	assert_non_null(rl);
	assert_int_equal(take(rl, "192.0.2.1", 0), 0);
	assert_int_equal(take(rl, "192.0.2.2", 0), 0);
	assert_int_equal(take(rl, "192.0.2.1", 0), 60);
	/* the same IPv4 address written as IPv4-mapped IPv6 */
	assert_int_equal(take(rl, "::ffff:192.0.2.2", 0), 60);
	/* one IPv6 /64 is one source; the next /64 another */
	assert_int_equal(take(rl, "2001:db8:1:2::1", 0), 0);
	assert_int_equal(take(rl, "2001:db8:1:2:ffff:ffff:ffff:ffff", 0), 60);
	assert_int_equal(take(rl, "2001:db8:1:3::1", 0), 0);
	/* text that is no address is one source of its own */
	assert_int_equal(take(rl, "", 0), 0);
	assert_int_equal(take(rl, "", 0), 60);
	assert_int_equal(take(rl, "not-an-address", 0), 0);
	assert_int_equal(ratelimit_count(rl), 6);
	ratelimit_free(rl);
}

/* With room for 3 sources, a 4th takes the entry of the source seen least recently: that one
 * starts again with a full bucket, the others keep theirs. */
static void test_full_table_gives_up_least_recent(void **state)
{
	struct ratelimit *rl = ratelimit_new(3, 1, 1);
	char peer[32];

	(void)state;
	assert_non_null(rl);
	assert_int_equal(take(rl, "10.0.0.1", 0), 0);
	assert_int_equal(take(rl, "10.0.0.2", 0), 0);
	assert_int_equal(take(rl, "10.0.0.3", 0), 0);
	assert_int_equal(take(rl, "10.0.0.1", 0), 60); /* .1 is now the most recent */
	assert_int_equal(take(rl, "10.0.0.4", 0), 0);  /* gives up .2 */
	assert_int_equal(ratelimit_count(rl), 3);
	assert_int_equal(take(rl, "10.0.0.1", 0), 60);
	assert_int_equal(take(rl, "10.0.0.3", 0), 60);
	assert_int_equal(take(rl, "10.0.0.4", 0), 60);
	assert_int_equal(take(rl, "10.0.0.2", 0), 0); /* back, full; gives up .1 */
	assert_int_equal(take(rl, "10.0.0.1", 0), 0);
	/* many sources through a small table: it stays at its bound */
	for (int i = 0; i < 1000; i++) {
		snprintf(peer, sizeof peer, "172.16.%d.%d", i / 256, i % 256);
		assert_int_equal(take(rl, peer, 0), 0);
	}
	assert_int_equal(ratelimit_count(rl), 3);
	ratelimit_free(rl);
}

static void test_clock_going_back(void **state)
{
	struct ratelimit *rl = ratelimit_new(4, 60, 1);

	(void)state;
	assert_non_null(rl);
	assert_int_equal(take(rl, "192.0.2.9", 100000), 0);
	assert_int_equal(take(rl, "192.0.2.9", 50000), 1);
	assert_int_equal(take(rl, "192.0.2.9", 100999), 1);
	assert_int_equal(take(rl, "192.0.2.9", 101000), 0);
	ratelimit_free(rl);
}

static void refund(struct ratelimit *rl, const char *peer)
{
	struct ratelimit_key k;

	ratelimit_key_of(peer, &k);
	ratelimit_refund(rl, &k);
}

static void test_refund(void **state)
{
	struct ratelimit *rl = ratelimit_new(2, 1, 2);

	(void)state;
	assert_non_null(rl);
	/* a refunded take costs nothing: many in a row, all allowed */
	for (int i = 0; i < 10; i++) {
		assert_int_equal(take(rl, "192.0.2.5", 0), 0);
		refund(rl, "192.0.2.5");
	}
	assert_int_equal(take(rl, "192.0.2.5", 0), 0);
	assert_int_equal(take(rl, "192.0.2.5", 0), 0);
	assert_int_equal(take(rl, "192.0.2.5", 0), 60);
	refund(rl, "192.0.2.5");
	assert_int_equal(take(rl, "192.0.2.5", 0), 0);
	/* never past the burst */
	refund(rl, "192.0.2.5");
	refund(rl, "192.0.2.5");
	refund(rl, "192.0.2.5");
	assert_int_equal(take(rl, "192.0.2.5", 0), 0);
	assert_int_equal(take(rl, "192.0.2.5", 0), 0);
	assert_int_equal(take(rl, "192.0.2.5", 0), 60);
	/* a source the table does not hold gets no entry from a refund */
	refund(rl, "192.0.2.6");
	assert_int_equal(ratelimit_count(rl), 1);
	ratelimit_free(rl);
}

static void test_arguments_out_of_range(void **state)
{
	(void)state;
	assert_null(ratelimit_new(0, 1, 1));
	assert_null(ratelimit_new(1, 0, 1));
	assert_null(ratelimit_new(1, 1, 0));
	assert_null(ratelimit_new(1, 1000001, 1));
	assert_null(ratelimit_new(1, 1, 1000001));
	assert_null(ratelimit_new((size_t)1 << 25, 1, 1));
	ratelimit_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_wait),
		cmocka_unit_test(test_refill_exact_in_small_steps),
		cmocka_unit_test(test_sources_apart_and_keys),
		cmocka_unit_test(test_full_table_gives_up_least_recent),
		cmocka_unit_test(test_clock_going_back),
		cmocka_unit_test(test_refund),
		cmocka_unit_test(test_arguments_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
