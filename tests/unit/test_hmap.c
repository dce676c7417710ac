/*
 * test_hmap.c - unit tests of the intrusive hash table (server/net/hmap.c) with the three
 * kinds of key the network layer uses: a 64-bit id, a string, and 32 hash bytes. Finding,
 * growth from one bucket with every entry still found (chains of several keys), removal,
 * keys shared by several entries, and removal and freeing during iteration (under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hmap.h"

struct by_id {
	uint64_t id;
	struct hmap_node node;
};

struct by_name {
	struct hmap_node node;
	char name[16];
};

struct by_hash {
	uint8_t hash[32];
	int tag;
	struct hmap_node node;
};

static void init_ids(struct hmap *m, size_t buckets)
{
	assert_int_equal(hmap_init(m, buckets, offsetof(struct by_id, node), offsetof(struct by_id, id),
				   sizeof(uint64_t)),
			 0);
}

static size_t longest_chain(const struct hmap *m)
{
	size_t longest = 0;

	for (size_t b = 0; b < m->nbuckets; b++) {
		size_t len = 0;

		for (const struct hmap_node *x = m->buckets[b]; x != NULL; x = x->next)
			len++;
		if (len > longest)
			longest = len;
	}
	return longest;
}

static void test_ids_found_after_growth(void **state)
{
	enum { N = 5000 };
	struct by_id *e = calloc(N, sizeof *e);
	struct hmap m;
	uint64_t absent = N + 1;

	(void)state;
	assert_non_null(e);
	init_ids(&m, 1);
	assert_int_equal(m.nbuckets, 1);
	for (size_t i = 0; i < N; i++) {
		e[i].id = i + 1;
		hmap_insert(&m, &e[i]);
	}
	assert_int_equal(m.count, N);
	assert_true(m.nbuckets >= N); /* grew: never more entries than buckets when inserting */
	assert_int_equal(m.nbuckets & (m.nbuckets - 1), 0);
	for (size_t i = 0; i < N; i++)
		assert_ptr_equal(hmap_find(&m, &e[i].id), &e[i]);
	assert_null(hmap_find(&m, &absent));
	assert_true(longest_chain(&m) >= 2); /* lookups above walked chains of several keys */
	hmap_destroy(&m);
	free(e);
}

static void test_remove_keeps_the_others(void **state)
{
	enum { N = 300 };
	struct by_id e[N];
	struct hmap m;

	(void)state;
	init_ids(&m, 4);
	for (size_t i = 0; i < N; i++) {
		e[i].id = 1000 + i;
		hmap_insert(&m, &e[i]);
	}
	for (size_t i = 0; i < N; i += 2)
		hmap_remove(&m, &e[i]);
	assert_int_equal(m.count, N / 2);
	for (size_t i = 0; i < N; i++) {
		if (i % 2 == 0)
			assert_null(hmap_find(&m, &e[i].id));
		else
			assert_ptr_equal(hmap_find(&m, &e[i].id), &e[i]);
	}
	hmap_insert(&m, &e[0]); /* a removed entry can come back */
	assert_ptr_equal(hmap_find(&m, &e[0].id), &e[0]);
	hmap_destroy(&m);
}

static void test_string_keys(void **state)
{
	struct by_name a = { .name = "thread:a" }, b = { .name = "thread:b" }, c = { .name = "unit:a" };
	struct hmap m;

	(void)state;
	assert_int_equal(
		hmap_init(&m, 2, offsetof(struct by_name, node), offsetof(struct by_name, name), HMAP_STRING),
		0);
	hmap_insert(&m, &a);
	hmap_insert(&m, &b);
	hmap_insert(&m, &c);
	assert_ptr_equal(hmap_find(&m, "thread:a"), &a);
	assert_ptr_equal(hmap_find(&m, "thread:b"), &b);
	assert_ptr_equal(hmap_find(&m, "unit:a"), &c);
	assert_null(hmap_find(&m, "thread:"));	 /* a prefix is another key */
	assert_null(hmap_find(&m, "thread:ab")); /* and so is a longer one */
	assert_null(hmap_find(&m, ""));
	hmap_remove(&m, &b);
	assert_null(hmap_find(&m, "thread:b"));
	assert_ptr_equal(hmap_find(&m, "thread:a"), &a);
	hmap_destroy(&m);
}

static void init_hashes(struct hmap *m, size_t buckets)
{
	assert_int_equal(
		hmap_init(m, buckets, offsetof(struct by_hash, node), offsetof(struct by_hash, hash), 32), 0);
}

/* Several entries under one key (a session with several sockets): all found, each once, and
 * none of another key, also when every entry sits in the table's only chain. */
static void test_shared_keys(void **state)
{
	struct by_hash e[6];
	struct hmap m;
	int seen[6] = { 0 }, n = 0;

	(void)state;
	memset(e, 0, sizeof e);
	for (int i = 0; i < 6; i++) {
		e[i].hash[31] = (uint8_t)(i % 2); /* keys differ only in the last byte */
		e[i].tag = i;
	}
	/* Two keys, three entries each, in a table of a few buckets. */
	init_hashes(&m, 1);
	for (int i = 0; i < 6; i++)
		hmap_insert(&m, &e[i]);
	for (struct by_hash *x = hmap_find(&m, e[1].hash); x != NULL; x = hmap_find_next(&m, x)) {
		assert_int_equal(x->tag % 2, 1);
		seen[x->tag]++;
		n++;
	}
	assert_int_equal(n, 3);
	assert_int_equal(seen[1] + seen[3] + seen[5], 3);
	assert_int_equal(seen[1] * seen[3] * seen[5], 1);
	hmap_remove(&m, &e[3]);
	n = 0;
	for (struct by_hash *x = hmap_find(&m, e[0].hash); x != NULL; x = hmap_find_next(&m, x))
		n += x->tag % 2 == 0;
	assert_int_equal(n, 3);
	n = 0;
	for (struct by_hash *x = hmap_find(&m, e[1].hash); x != NULL; x = hmap_find_next(&m, x))
		n++;
	assert_int_equal(n, 2);
	hmap_destroy(&m);
}

/* Iteration visits every entry once, and the entry just returned may be removed and freed. */
static void test_iterate_and_free(void **state)
{
	enum { N = 1000 };
	struct hmap m;
	struct hmap_iter it;
	struct by_id *e;
	unsigned char *seen = calloc(N + 1, 1);
	size_t visits = 0;

	(void)state;
	assert_non_null(seen);
	init_ids(&m, 8);
	for (uint64_t i = 1; i <= N; i++) {
		e = malloc(sizeof *e);
		assert_non_null(e);
		e->id = i;
		hmap_insert(&m, e);
	}
	hmap_iter_init(&it, &m);
	while ((e = hmap_iter_next(&it)) != NULL) {
		assert_true(e->id >= 1 && e->id <= N);
		assert_int_equal(seen[e->id], 0);
		seen[e->id] = 1;
		visits++;
		hmap_remove(&m, e);
		free(e);
	}
	assert_int_equal(visits, N);
	assert_int_equal(m.count, 0);
	hmap_iter_init(&it, &m);
	assert_null(hmap_iter_next(&it));
	hmap_destroy(&m);
	free(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_found_after_growth),
		cmocka_unit_test(test_remove_keeps_the_others),
		cmocka_unit_test(test_string_keys),
		cmocka_unit_test(test_shared_keys),
		cmocka_unit_test(test_iterate_and_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
