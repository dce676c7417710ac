/*
 * test_audit.c - the access log's hash chain: intact chains verify; a changed, removed or
 * inserted row is found, and the first broken row is named (L: logging).
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
#include "testutil.h"

struct fx {
	char dir[256], db[300];
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_int_equal(testutil_tmpdir(f->dir, sizeof f->dir), 0);
	snprintf(f->db, sizeof f->db, "%s/advice.db", f->dir);
	f->st = store_sqlite_open(f->db, STORE_READWRITE);
	assert_non_null(f->st);
	for (int i = 0; i < 10; i++) {
		struct store_audit a = { .time = 1000 + i, .role = ROLE_WORKER };

		snprintf(a.user_id, sizeof a.user_id, "worker%d", i % 3);
		snprintf(a.unit_id, sizeof a.unit_id, "unit");
		snprintf(a.client, sizeof a.client, "client%d", i);
		snprintf(a.object, sizeof a.object, "thread:%d", i);
		snprintf(a.action, sizeof a.action, "read");
		snprintf(a.outcome, sizeof a.outcome, "ok");
		assert_int_equal(audit_append(f->st, &a), STORE_OK);
		assert_int_equal(a.row, i + 1);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	f->st->ops->close(f->st);
	testutil_rmtree(f->dir);
	free(f);
	return 0;
}

/* Runs SQL on the file as an intruder would: the append-only triggers dropped first. */
static void tamper(struct fx *f, const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h,
				      "DROP TRIGGER access_log_append_only_u;"
				      "DROP TRIGGER access_log_append_only_d;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void test_intact(void **state)
{
	int64_t rows = 0, bad = 0;

	assert_int_equal(audit_verify(((struct fx *)*state)->st, &rows, &bad), 0);
	assert_int_equal(rows, 10);
	assert_int_equal(bad, 0);
}

static void test_changed_row_is_named(void **state)
{
	struct fx *f = *state;
	int64_t rows, bad;

	tamper(f, "UPDATE access_log SET client = 'someone-else' WHERE row = 4");
	assert_int_equal(audit_verify(f->st, &rows, &bad), 1);
	assert_int_equal(bad, 4);
}

static void test_removed_row_is_found(void **state)
{
	struct fx *f = *state;
	int64_t rows, bad;

	tamper(f, "DELETE FROM access_log WHERE row = 7");
	assert_int_equal(audit_verify(f->st, &rows, &bad), 1);
	assert_int_equal(bad, 8);
}

static void test_truncated_head_is_found(void **state)
{
	struct fx *f = *state;
	int64_t rows, bad;

	tamper(f, "DELETE FROM access_log WHERE row = 1");
	assert_int_equal(audit_verify(f->st, &rows, &bad), 1);
	assert_int_equal(bad, 2);
}

static void test_append_only_triggers(void **state)
{
	struct fx *f = *state;
	sqlite3 *h;

	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h, "UPDATE access_log SET outcome = 'x'", NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h, "DELETE FROM access_log", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_row_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_row_is_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_head_is_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only_triggers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
