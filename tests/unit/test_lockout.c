/*
 * test_lockout.c - the rules of failed staff logins (server/core/lockout.c): no wait before
 * backoff_after failures, then doubling waits up to the maximum; a lock at lock_after that
 * runs out after lock_ms, or never with lock_ms 0; a run-out lock lets one attempt through and
 * the next failure locks again at once; the seconds a client is told, rounded up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lockout.h"

static const struct lockout_policy timed = {
	.backoff_after = 3, .lock_after = 10, .backoff_max_ms = 5000, .lock_ms = 900000
};

static void test_backoff_doubles_to_the_maximum(void **state)
{
	struct lockout_state s = { 0, 0, 0 };
	int64_t retry, now = 1000000;
	static const int64_t waits[] = { 1000, 2000, 4000, 5000, 5000, 5000 };

	(void)state;
	assert_int_equal(lockout_check(&timed, &s, now, &retry), LOCKOUT_OPEN);
	assert_int_equal(retry, 0);
	assert_int_equal(lockout_fail(&timed, &s, now), 0);
	assert_int_equal(lockout_fail(&timed, &s, now), 0);
	assert_int_equal(lockout_check(&timed, &s, now, &retry), LOCKOUT_OPEN);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(lockout_fail(&timed, &s, now), 0);
		assert_int_equal(lockout_check(&timed, &s, now, &retry), LOCKOUT_BACKING_OFF);
		assert_int_equal(retry, waits[i]);
		assert_int_equal(lockout_check(&timed, &s, now + waits[i] - 1, &retry), LOCKOUT_BACKING_OFF);
		assert_int_equal(retry, 1);
		now += waits[i];
		assert_int_equal(lockout_check(&timed, &s, now, &retry), LOCKOUT_OPEN);
	}
	assert_int_equal(s.failures, 8);
	assert_int_equal(s.locked_at, 0);
}

static void test_timed_lock_runs_out_and_comes_back(void **state)
{
	struct lockout_state s = { 9, 0, 0 };
	int64_t retry, now = 5000000;

	(void)state;
	assert_int_equal(lockout_fail(&timed, &s, now), 1);
	assert_int_equal(s.failures, 10);
	assert_int_equal(s.locked_at, now);
	assert_int_equal(lockout_check(&timed, &s, now, &retry), LOCKOUT_LOCKED);
	assert_int_equal(retry, 900000);
	assert_int_equal(lockout_check(&timed, &s, now + 899999, &retry), LOCKOUT_LOCKED);
	assert_int_equal(retry, 1);
	/* run out: one attempt is checked; wrong, it locks again from then */
	now += 900000;
	assert_int_equal(lockout_check(&timed, &s, now, &retry), LOCKOUT_OPEN);
	assert_int_equal(lockout_fail(&timed, &s, now), 1);
	assert_int_equal(s.failures, 11);
	assert_int_equal(lockout_check(&timed, &s, now + 1, &retry), LOCKOUT_LOCKED);
	assert_int_equal(retry, 899999);
}

/* lock_ms 0: the lock never runs out, whatever the time (the old behaviour). */
static void test_lock_for_good(void **state)
{
	struct lockout_policy p = timed;
	struct lockout_state s = { 9, 0, 0 };
	int64_t retry;

	(void)state;
	p.lock_ms = 0;
	assert_int_equal(lockout_fail(&p, &s, 1000), 1);
	assert_int_equal(lockout_check(&p, &s, 1000, &retry), LOCKOUT_LOCKED_FOR_GOOD);
	assert_int_equal(lockout_check(&p, &s, INT64_MAX / 2, &retry), LOCKOUT_LOCKED_FOR_GOOD);
	assert_int_equal(retry, 0);
	/* the policy of the moment decides: under a timed one the same lock runs out */
	assert_int_equal(lockout_check(&timed, &s, 1000 + 900000, &retry), LOCKOUT_OPEN);
	/* a lock made at time 0 still counts as a lock */
	s = (struct lockout_state){ 9, 0, 0 };
	assert_int_equal(lockout_fail(&p, &s, 0), 1);
	assert_true(s.locked_at > 0);
	assert_int_equal(lockout_check(&p, &s, 0, &retry), LOCKOUT_LOCKED_FOR_GOOD);
}

/* The lock outranks a backoff that would end sooner; a clock gone back changes nothing. */
static void test_lock_outranks_backoff(void **state)
{
	struct lockout_state s = { 10, 7000, 5000 };
	int64_t retry;

	(void)state;
	assert_int_equal(lockout_check(&timed, &s, 6000, &retry), LOCKOUT_LOCKED);
	assert_int_equal(retry, 899000);
	assert_int_equal(lockout_check(&timed, &s, 1000, &retry), LOCKOUT_LOCKED);
	assert_int_equal(retry, 904000);
}

static void test_retry_seconds(void **state)
{
	(void)state;
	assert_int_equal(lockout_retry_s(1), 1);
	assert_int_equal(lockout_retry_s(1000), 1);
	assert_int_equal(lockout_retry_s(1001), 2);
	assert_int_equal(lockout_retry_s(900000), 900);
	assert_int_equal(lockout_retry_s(0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_to_the_maximum),
		cmocka_unit_test(test_timed_lock_runs_out_and_comes_back),
		cmocka_unit_test(test_lock_for_good),
		cmocka_unit_test(test_lock_outranks_backoff),
		cmocka_unit_test(test_retry_seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
