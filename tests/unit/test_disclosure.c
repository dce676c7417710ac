/*
 * test_disclosure.c - the disclosure log: rows appended on their own chain, which verifies
 * when intact; a changed, removed or reordered row, edited offline in the database file, is
 * found at its exact position; the store's filtered listings of both logs (L3, L4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "audit.h"
#include "disclosure.h"
#include "testutil.h"

struct fx {
	char dir[256], db[300];
	struct store *st;
};

/* Row i (1-based) of the seeded log: clients a, b, c in turn, time 1000 + i. */
static void seed_row(struct store_disclosure *d, int i)
{
	memset(d, 0, sizeof *d);
	d->time = 1000 + i;
	d->role = ROLE_CONNECTOR;
	snprintf(d->user_id, sizeof d->user_id, "connector%d", i % 2);
	snprintf(d->unit_id, sizeof d->unit_id, "unit%d", i % 2);
	snprintf(d->client, sizeof d->client, "client-%c", 'a' + (i - 1) % 3);
	snprintf(d->object, sizeof d->object, "thread:%d", i);
	snprintf(d->recipient, sizeof d->recipient, "Client record system");
	snprintf(d->basis, sizeof d->basis, "consent; 703/2023 §16");
	snprintf(d->dataset, sizeof d->dataset, "thread messages and attachments");
	snprintf(d->method, sizeof d->method, "directory");
	snprintf(d->outcome, sizeof d->outcome, "ok");
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_int_equal(testutil_tmpdir(f->dir, sizeof f->dir), 0);
	snprintf(f->db, sizeof f->db, "%s/advice.db", f->dir);
	f->st = store_sqlite_open(f->db, STORE_READWRITE);
	assert_non_null(f->st);
	for (int i = 1; i <= 9; i++) {
		struct store_disclosure d;

		seed_row(&d, i);
		assert_int_equal(disclosure_append(f->st, &d), STORE_OK);
		assert_int_equal(d.row, i);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->st != NULL)
		f->st->ops->close(f->st);
	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

/* Edits the database file offline, as an intruder with the file would: the store closed, the
 * append-only triggers dropped, `sql` run; then the store opened again. */
static void tamper(struct fx *f, const char *sql)
{
	sqlite3 *h;

	f->st->ops->close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h,
				      "DROP TRIGGER disclosure_log_append_only_u;"
				      "DROP TRIGGER disclosure_log_append_only_d;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	f->st = store_sqlite_open(f->db, STORE_READWRITE);
	assert_non_null(f->st);
}

static int keep_one(void *arg, const struct store_disclosure *d)
{
	*(struct store_disclosure *)arg = *d;
	return 0;
}

static void test_intact_chain(void **state)
{
	struct fx *f = *state;
	struct store_disclosure first, last;
	int64_t rows = 0, bad = -1;
	static const uint8_t zeros[STORE_HASH_BYTES];

	assert_int_equal(disclosure_verify(f->st, &rows, &bad), 0);
	assert_int_equal(rows, 9);
	assert_int_equal(bad, 0);
	/* Its own chain, from zeros. */
	assert_int_equal(f->st->ops->disclosure->last(f->st, &last), STORE_OK);
	assert_int_equal(last.row, 9);
	assert_string_equal(last.client, "client-c");
	assert_string_equal(last.recipient, "Client record system");
	assert_int_equal(last.role, ROLE_CONNECTOR);
	seed_row(&first, 1);
	first.row = 1;
	disclosure_hash(&first, first.hash);
	struct store_disclosure got = { 0 };
	struct store_log_query q = { .client = "client-a", .limit = 1 };
	assert_int_equal(f->st->ops->disclosure->query(f->st, &q, keep_one, &got), STORE_OK);
	assert_int_equal(got.row, 1);
	assert_memory_equal(got.prev, zeros, sizeof zeros);
	assert_memory_equal(got.hash, first.hash, sizeof first.hash);
}

static void test_empty_chain_verifies(void **state)
{
	struct fx *f = *state;
	char dir[256], db[300];
	struct store *st;
	struct store_disclosure d;
	int64_t rows = -1, bad = -1;

	(void)f;
	assert_int_equal(testutil_tmpdir(dir, sizeof dir), 0);
	snprintf(db, sizeof db, "%s/advice.db", dir);
	st = store_sqlite_open(db, STORE_READWRITE);
	assert_non_null(st);
	assert_int_equal(st->ops->disclosure->last(st, &d), STORE_NOTFOUND);
	assert_int_equal(disclosure_verify(st, &rows, &bad), 0);
	assert_int_equal(rows, 0);
	assert_int_equal(bad, 0);
	st->ops->close(st);
	testutil_rmtree(dir);
}

static void test_access_log_is_another_chain(void **state)
{
	struct fx *f = *state;
	struct store_audit a = { .time = 5000, .role = ROLE_WORKER };
	int64_t rows, bad;

	snprintf(a.user_id, sizeof a.user_id, "worker");
	snprintf(a.client, sizeof a.client, "client-a");
	snprintf(a.object, sizeof a.object, "thread:1");
	snprintf(a.action, sizeof a.action, "read");
	snprintf(a.outcome, sizeof a.outcome, "ok");
	assert_int_equal(audit_append(f->st, &a), STORE_OK);
	assert_int_equal(a.row, 1);
	assert_int_equal(disclosure_verify(f->st, &rows, &bad), 0);
	assert_int_equal(rows, 9);
	assert_int_equal(audit_verify(f->st, &rows, &bad), 0);
	assert_int_equal(rows, 1);
}

static void test_changed_row_is_named(void **state)
{
	struct fx *f = *state;
	int64_t rows, bad;

	tamper(f, "UPDATE disclosure_log SET recipient = 'Someone else' WHERE row = 4");
	assert_int_equal(disclosure_verify(f->st, &rows, &bad), 1);
	assert_int_equal(bad, 4);
}

static void test_changed_hash_is_named(void **state)
{
	struct fx *f = *state;
	int64_t rows, bad;

	/* A row rehashed by someone who knows the scheme still breaks the next row's link. */
	tamper(f, "UPDATE disclosure_log SET hash = zeroblob(32) WHERE row = 6");
	assert_int_equal(disclosure_verify(f->st, &rows, &bad), 1);
	assert_int_equal(bad, 6);
}

static void test_removed_row_is_found(void **state)
{
	struct fx *f = *state;
	int64_t rows, bad;

	tamper(f, "DELETE FROM disclosure_log WHERE row = 7");
	assert_int_equal(disclosure_verify(f->st, &rows, &bad), 1);
	assert_int_equal(bad, 8);
}

static void test_removed_head_is_found(void **state)
{
	struct fx *f = *state;
	int64_t rows, bad;

	tamper(f, "DELETE FROM disclosure_log WHERE row = 1");
	assert_int_equal(disclosure_verify(f->st, &rows, &bad), 1);
	assert_int_equal(bad, 2);
}

static void test_reordered_rows_are_found(void **state)
{
	struct fx *f = *state;
	int64_t rows, bad;

	/* Rows 3 and 5 swap places: each keeps its fields and hashes but moves to the other's number. */
	tamper(f, "UPDATE disclosure_log SET row = -3 WHERE row = 3;"
		  "UPDATE disclosure_log SET row = 3 WHERE row = 5;"
		  "UPDATE disclosure_log SET row = 5 WHERE row = -3;");
	assert_int_equal(disclosure_verify(f->st, &rows, &bad), 1);
	assert_int_equal(bad, 3);
}

static void test_append_only_triggers(void **state)
{
	struct fx *f = *state;
	sqlite3 *h;

	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h, "UPDATE disclosure_log SET outcome = 'x'", NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h, "DELETE FROM disclosure_log", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void test_append_after_tamper_stays_broken(void **state)
{
	struct fx *f = *state;
	struct store_disclosure d;
	int64_t rows, bad;

	tamper(f, "UPDATE disclosure_log SET dataset = 'less' WHERE row = 2");
	seed_row(&d, 10);
	assert_int_equal(disclosure_append(f->st, &d), STORE_OK);
	assert_int_equal(d.row, 10);
	assert_int_equal(disclosure_verify(f->st, &rows, &bad), 1);
	assert_int_equal(bad, 2);
}

static void test_store_failure_is_reported(void **state)
{
	struct fx *f = *state;
	struct store_disclosure d;
	int64_t rows, bad;

	tamper(f, "DROP TABLE disclosure_log");
	seed_row(&d, 10);
	assert_int_equal(disclosure_append(f->st, &d), STORE_ERROR);
	assert_int_equal(disclosure_verify(f->st, &rows, &bad), -1);
}

/* Collects rows' numbers. */
struct rows {
	int64_t row[32];
	int n;
};

static int collect_disclosure(void *arg, const struct store_disclosure *d)
{
	struct rows *r = arg;

	r->row[r->n++] = d->row;
	return 0;
}

static int collect_access(void *arg, const struct store_audit *a)
{
	struct rows *r = arg;

	r->row[r->n++] = a->row;
	return 0;
}

static void test_by_client_and_window(void **state)
{
	struct fx *f = *state;
	struct rows r = { 0 };

	/* client-a: rows 1, 4, 7 (times 1001, 1004, 1007). */
	assert_int_equal(
		f->st->ops->disclosure->by_client(f->st, "client-a", 0, 0, 0, collect_disclosure, &r),
		STORE_OK);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.row[0], 1);
	assert_int_equal(r.row[2], 7);
	r.n = 0;
	assert_int_equal(
		f->st->ops->disclosure->by_client(f->st, "client-a", 1002, 1007, 0, collect_disclosure, &r),
		STORE_OK);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.row[0], 4);
	assert_int_equal(r.row[1], 7);
	r.n = 0;
	assert_int_equal(f->st->ops->disclosure->by_client(f->st, "", 0, 0, 5, collect_disclosure, &r),
			 STORE_OK);
	assert_int_equal(r.n, 5);
	r.n = 0;
	assert_int_equal(f->st->ops->disclosure->by_client(f->st, "nobody", 0, 0, 0, collect_disclosure, &r),
			 STORE_OK);
	assert_int_equal(r.n, 0);
}

static void test_query_by_user_and_unit(void **state)
{
	struct fx *f = *state;
	struct rows r = { 0 };
	struct store_log_query q = { .user_id = "connector1", .from = 1003 };

	/* connector1: odd rows; from 1003: 3, 5, 7, 9. */
	assert_int_equal(f->st->ops->disclosure->query(f->st, &q, collect_disclosure, &r), STORE_OK);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.row[0], 3);
	assert_int_equal(r.row[3], 9);
	r.n = 0;
	struct store_log_query u = { .unit_id = "unit0", .to = 1006 };
	assert_int_equal(f->st->ops->disclosure->query(f->st, &u, collect_disclosure, &r), STORE_OK);
	assert_int_equal(r.n, 3); /* 2, 4, 6 */
	assert_int_equal(r.row[2], 6);
}

static void test_access_query(void **state)
{
	struct fx *f = *state;
	struct rows r = { 0 };

	for (int i = 1; i <= 6; i++) {
		struct store_audit a = { .time = 2000 + i, .role = ROLE_WORKER };

		snprintf(a.user_id, sizeof a.user_id, "worker%d", i % 2);
		snprintf(a.unit_id, sizeof a.unit_id, "unit");
		snprintf(a.client, sizeof a.client, "%s", i == 6 ? "" : (i % 3 ? "client-a" : "client-b"));
		snprintf(a.object, sizeof a.object, "thread:%d", i);
		snprintf(a.action, sizeof a.action, "read");
		snprintf(a.outcome, sizeof a.outcome, "ok");
		assert_int_equal(audit_append(f->st, &a), STORE_OK);
	}
	struct store_log_query q = { .client = "client-a", .from = 2002, .to = 2005 };
	assert_int_equal(f->st->ops->disclosure->access(f->st, &q, collect_access, &r), STORE_OK);
	assert_int_equal(r.n, 3); /* 2, 4, 5 */
	assert_int_equal(r.row[0], 2);
	assert_int_equal(r.row[2], 5);
	r.n = 0;
	struct store_log_query w = { .user_id = "worker0", .only_clients = 1 };
	assert_int_equal(f->st->ops->disclosure->access(f->st, &w, collect_access, &r), STORE_OK);
	assert_int_equal(r.n, 2); /* 2, 4 (6 has no client) */
	r.n = 0;
	struct store_log_query l = { .unit_id = "unit", .limit = 4 };
	assert_int_equal(f->st->ops->disclosure->access(f->st, &l, collect_access, &r), STORE_OK);
	assert_int_equal(r.n, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intact_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_chain_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_log_is_another_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_row_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_hash_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_row_is_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_head_is_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reordered_rows_are_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only_triggers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_after_tamper_stays_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_failure_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_client_and_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_by_user_and_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_query, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
