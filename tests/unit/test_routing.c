/*
 * test_routing.c - queue choice and assignment policies over many threads: round-robin
 * is exactly fair among those on duty, least-loaded keeps loads level under the cap, and
 * nobody off duty or at the cap gets a thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "routing.h"

#define NW 6

static void workers(struct routing_worker *w, const int *on)
{
	for (int i = 0; i < NW; i++) {
		snprintf(w[i].user_id, sizeof w[i].user_id, "%032d", i + 1);
		w[i].on_duty = on[i];
		w[i].load = 0;
	}
}

static void test_round_robin_fair(void **state)
{
	static const int on[NW] = { 1, 0, 1, 1, 0, 0 };
	struct routing_worker w[NW];
	int got[NW] = { 0 };
	char last[STORE_ID_SIZE] = "";

	(void)state;
	workers(w, on);
	for (int t = 0; t < 300; t++) {
		int i = routing_pick(QUEUE_ROUND_ROBIN, w, NW, 0, last);

		assert_true(i >= 0 && on[i]);
		got[i]++;
		snprintf(last, sizeof last, "%s", w[i].user_id);
	}
	for (int i = 0; i < NW; i++)
		assert_int_equal(got[i], on[i] ? 100 : 0);
	/* The rotation goes on after someone leaves the roster: the next one after the last. */
	w[3].on_duty = 0;
	snprintf(last, sizeof last, "%s", w[2].user_id);
	assert_int_equal(routing_pick(QUEUE_ROUND_ROBIN, w, NW, 0, last), 0);
	/* A last user who is no longer a member: the next id after it. */
	assert_int_equal(routing_pick(QUEUE_ROUND_ROBIN, w, NW, 0, "00000000000000000000000000000002x"), 2);
}

static void test_least_loaded_level_and_capped(void **state)
{
	static const int on[NW] = { 1, 1, 0, 1, 1, 0 };
	struct routing_worker w[NW];
	char last[STORE_ID_SIZE] = "";
	unsigned seed = 7;

	(void)state;
	workers(w, on);
	for (int t = 0; t < 5000; t++) {
		int i = routing_pick(QUEUE_LEAST_LOADED, w, NW, 4, last), min = 1 << 30, max = 0;

		if (i < 0) {
			/* Everyone on duty is at the cap. */
			for (int k = 0; k < NW; k++)
				if (on[k])
					assert_int_equal(w[k].load, 4);
		} else {
			assert_true(on[i]);
			w[i].load++;
			snprintf(last, sizeof last, "%s", w[i].user_id);
		}
		for (int k = 0; k < NW; k++) {
			assert_true(w[k].load <= 4);
			if (!on[k]) {
				assert_int_equal(w[k].load, 0);
				continue;
			}
			min = w[k].load < min ? w[k].load : min;
			max = w[k].load > max ? w[k].load : max;
		}
		assert_true(max - min <= 4);
		/* Threads close now and then. */
		seed = seed * 1103515245 + 12345;
		if ((seed >> 16) % 3 == 0) {
			int k = (int)((seed >> 8) % NW);

			if (w[k].load > 0)
				w[k].load--;
		}
	}
}

static void test_least_loaded_ties_rotate(void **state)
{
	static const int on[NW] = { 1, 1, 1, 0, 0, 0 };
	struct routing_worker w[NW];
	int got[NW] = { 0 };
	char last[STORE_ID_SIZE] = "";

	(void)state;
	workers(w, on);
	/* Each thread is closed at once: loads stay equal, so the ties must rotate. */
	for (int t = 0; t < 99; t++) {
		int i = routing_pick(QUEUE_LEAST_LOADED, w, NW, 0, last);

		got[i]++;
		snprintf(last, sizeof last, "%s", w[i].user_id);
	}
	assert_int_equal(got[0], 33);
	assert_int_equal(got[1], 33);
	assert_int_equal(got[2], 33);
	/* Lowest load wins. */
	w[0].load = 5;
	w[1].load = 2;
	w[2].load = 3;
	assert_int_equal(routing_pick(QUEUE_LEAST_LOADED, w, NW, 0, ""), 1);
}

static void test_nobody(void **state)
{
	static const int off[NW] = { 0 };
	static const int on[NW] = { 1, 1, 1, 1, 1, 1 };
	struct routing_worker w[NW];

	(void)state;
	workers(w, off);
	assert_int_equal(routing_pick(QUEUE_ROUND_ROBIN, w, NW, 0, ""), -1);
	assert_int_equal(routing_pick(QUEUE_LEAST_LOADED, w, NW, 0, ""), -1);
	workers(w, on);
	assert_int_equal(routing_pick(QUEUE_MANUAL, w, NW, 0, ""), -1);
	assert_int_equal(routing_pick(QUEUE_ROUND_ROBIN, w, 0, 0, ""), -1);
}

static void test_choose(void **state)
{
	struct routing_target none = { 0, 0 }, staffed = { 1, 1 }, empty = { 1, 0 };

	(void)state;
	assert_int_equal(routing_choose(&none, &staffed, &staffed), ROUTE_CATEGORY);
	assert_int_equal(routing_choose(&staffed, &staffed, &none), ROUTE_LANGUAGE);
	assert_int_equal(routing_choose(&none, &empty, &staffed), ROUTE_FALLBACK);
	assert_int_equal(routing_choose(&empty, &staffed, &staffed), ROUTE_FALLBACK);
	assert_int_equal(routing_choose(&none, &empty, &empty), ROUTE_CATEGORY);
	assert_int_equal(routing_choose(&none, &empty, &none), ROUTE_CATEGORY);
	assert_int_equal(routing_choose(NULL, &empty, NULL), ROUTE_CATEGORY);
}

static void test_languages_and_names(void **state)
{
	(void)state;
	assert_true(routing_lang_known("sv"));
	assert_false(routing_lang_known("de"));
	assert_false(routing_lang_known(NULL));
	assert_true(routing_lang_served("", "en"));
	assert_true(routing_lang_served("fi,sv", "sv"));
	assert_false(routing_lang_served("fi,sv", "en"));
	assert_false(routing_lang_served("fi,svx", "sv"));
	assert_int_equal(routing_langs_valid("fi,sv,en"), 0);
	assert_int_equal(routing_langs_valid(""), 0);
	assert_int_equal(routing_langs_valid("fi,fi"), -1);
	assert_int_equal(routing_langs_valid("fi,"), -1);
	assert_int_equal(routing_langs_valid("de"), -1);
	assert_int_equal(routing_langs_valid("fin"), -1);
	assert_int_equal(routing_policy_parse("least-loaded"), QUEUE_LEAST_LOADED);
	assert_int_equal(routing_policy_parse("round-robin"), QUEUE_ROUND_ROBIN);
	assert_int_equal(routing_policy_parse("manual"), QUEUE_MANUAL);
	assert_int_equal(routing_policy_parse("random"), -1);
	assert_string_equal(routing_policy_name(QUEUE_ROUND_ROBIN), "round-robin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_robin_fair),
		cmocka_unit_test(test_least_loaded_level_and_capped),
		cmocka_unit_test(test_least_loaded_ties_rotate),
		cmocka_unit_test(test_nobody),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_languages_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
