/*
 * test_outq.c - unit tests of the bounded outbound queue (server/net/outq.c): bounds by count
 * and bytes, FIFO order, overflow reporting, shared messages and freeing (run under ASan to
 * check that nothing leaks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "outq.h"

#define HEADROOM 16

static struct outq_msg *msg_text(const char *s)
{
	struct outq_msg *m = outq_msg_new(s, strlen(s), HEADROOM);

	assert_non_null(m);
	return m;
}

static void test_outq_fifo_order(void **state)
{
	struct outq q;
	char text[32];

	(void)state;
	outq_init(&q, 100, 1 << 20);
	/* More than the initial ring so that it grows while wrapped around. */
	for (int i = 0; i < 5; i++) {
		snprintf(text, sizeof text, "m%d", i);
		struct outq_msg *m = msg_text(text);
		assert_int_equal(outq_push(&q, m), 0);
		outq_msg_unref(m);
	}
	outq_pop(&q);
	outq_pop(&q);
	for (int i = 5; i < 40; i++) {
		snprintf(text, sizeof text, "m%d", i);
		struct outq_msg *m = msg_text(text);
		assert_int_equal(outq_push(&q, m), 0);
		outq_msg_unref(m);
	}
	assert_int_equal(outq_count(&q), 38);
	assert_null(outq_peek_at(&q, 38));
	for (int i = 2; i < 40; i++) {
		struct outq_msg *m = outq_peek(&q);
		snprintf(text, sizeof text, "m%d", i);
		assert_non_null(m);
		assert_ptr_equal(outq_peek_at(&q, 0), m);
		if (i + 1 < 40) /* the next one, across the ring's wrap */
			assert_int_equal(outq_peek_at(&q, 1)->len, strlen(text) + (i + 1 == 10));
		assert_int_equal(m->len, strlen(text));
		assert_memory_equal(outq_msg_payload(m), text, m->len);
		assert_int_equal(outq_msg_payload(m)[m->len], '\0');
		outq_pop(&q);
	}
	assert_null(outq_peek(&q));
	assert_int_equal(outq_bytes(&q), 0);
	outq_pop(&q); /* no-op when empty */
	outq_clear(&q);
}

static void test_outq_bound_by_count(void **state)
{
	struct outq q;
	struct outq_msg *m = msg_text("x");

	(void)state;
	outq_init(&q, 3, 1 << 20);
	for (int i = 0; i < 3; i++)
		assert_int_equal(outq_push(&q, m), 0);
	assert_int_equal(outq_push(&q, m), -1);
	assert_int_equal(outq_count(&q), 3);
	assert_int_equal(m->refs, 4);
	outq_pop(&q);
	assert_int_equal(outq_push(&q, m), 0);
	outq_clear(&q);
	assert_int_equal(m->refs, 1);
	assert_int_equal(outq_count(&q), 0);
	outq_msg_unref(m);
}

static void test_outq_bound_by_bytes(void **state)
{
	struct outq q;
	struct outq_msg *a = msg_text("0123456789");
	struct outq_msg *big = msg_text("0123456789012345678901234567890");

	(void)state;
	outq_init(&q, 100, 25);
	assert_int_equal(outq_push(&q, big), -1); /* alone over the bound */
	assert_int_equal(outq_push(&q, a), 0);
	assert_int_equal(outq_push(&q, a), 0);
	assert_int_equal(outq_bytes(&q), 20);
	assert_int_equal(outq_push(&q, a), -1); /* 30 > 25 */
	assert_int_equal(outq_bytes(&q), 20);
	assert_int_equal(outq_count(&q), 2);
	outq_pop(&q);
	assert_int_equal(outq_bytes(&q), 10);
	assert_int_equal(outq_push(&q, a), 0);
	outq_clear(&q);
	outq_msg_unref(a);
	outq_msg_unref(big);
}

static void test_outq_shared_message(void **state)
{
	struct outq q1, q2;
	struct outq_msg *m = msg_text("{\"type\":\"event\"}");

	(void)state;
	outq_init(&q1, 4, 1024);
	outq_init(&q2, 4, 1024);
	assert_int_equal(outq_push(&q1, m), 0);
	assert_int_equal(outq_push(&q2, m), 0);
	outq_msg_unref(m); /* the queues keep it alive */
	assert_int_equal(outq_peek(&q1)->refs, 2);
	outq_clear(&q1);
	assert_int_equal(outq_peek(&q2)->refs, 1);
	assert_memory_equal(outq_msg_payload(outq_peek(&q2)), "{\"type\":\"event\"}", 16);
	outq_clear(&q2); /* frees the message: ASan reports a leak otherwise */
}

static void test_outq_headroom_and_empty(void **state)
{
	struct outq_msg *m = outq_msg_new(NULL, 0, 32);
	struct outq q;

	(void)state;
	assert_non_null(m);
	assert_int_equal(m->len, 0);
	assert_ptr_equal(outq_msg_payload(m), m->buf + 32);
	outq_init(&q, 0, 0); /* bounds are at least 1 */
	assert_int_equal(outq_push(&q, m), 0);
	assert_int_equal(outq_push(&q, m), -1);
	outq_clear(&q);
	outq_clear(&q);
	outq_msg_unref(m);
	outq_msg_unref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outq_fifo_order),		cmocka_unit_test(test_outq_bound_by_count),
		cmocka_unit_test(test_outq_bound_by_bytes),	cmocka_unit_test(test_outq_shared_message),
		cmocka_unit_test(test_outq_headroom_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
