/*
 * test_memtrim.c - when free memory is given back (server/memtrim.c): only when idle, after
 * the configured growth since the last return, at most once per interval, never with a
 * growth of 0; and the resident size is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "memtrim.h"

static void test_due_only_idle_after_growth_and_interval(void **state)
{
	struct memtrim t;

	(void)state;
	memtrim_init(&t, 1024, 10000, 50000, 0);
	assert_false(memtrim_due(&t, 50900, 1, 20000)); /* grew by less than 1024 kB */
	assert_true(memtrim_due(&t, 51024, 1, 20000));
	assert_false(memtrim_due(&t, 90000, 0, 20000)); /* busy */
	assert_false(memtrim_due(&t, 90000, 1, 9999));	/* too soon after the start */
	assert_false(memtrim_due(&t, -1, 1, 20000));	/* size unknown */
	memtrim_init(&t, 0, 10000, 50000, 0);
	assert_false(memtrim_due(&t, 900000, 1, 99999)); /* 0: never */
}

static void test_tick_returns_and_moves_the_base(void **state)
{
	struct memtrim t;

	(void)state;
	assert_true(memtrim_rss_kb() > 0);
	memtrim_init(&t, 1, 1000, 0, 0); /* a base of 0: any resident size is growth */
	assert_int_equal(memtrim_tick(&t, 0, 5000), 0);
	assert_int_equal(memtrim_tick(&t, 1, 500), 0);
	assert_int_equal(memtrim_tick(&t, 1, 5000), 1);
	assert_int_equal(t.trims, 1);
	assert_true(t.base_kb > 0);
	assert_int_equal(t.last_ms, 5000);
	assert_int_equal(memtrim_tick(&t, 1, 5500), 0); /* within the interval */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_only_idle_after_growth_and_interval),
		cmocka_unit_test(test_tick_returns_and_moves_the_base),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
