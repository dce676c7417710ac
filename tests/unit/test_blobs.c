/*
 * test_blobs.c - the blob folder (blobs.c): blob_remove takes both forms of a blob and says
 * when one could not go; the startup sweep removes the blobs no file row names (an upload
 * deleted while its chunk was at the writer when the server stopped), keeps every blob of a
 * file that has a row and every name that is not a blob's, syncs nothing when nothing went,
 * and fails without removing anything when the store cannot answer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "blobs.h"
#include "corefix.h"

#define CITIZEN "010594Y9032"
#define KEPT	"f11e0000000000000000000000000001"
#define GONE_A	"f11e0000000000000000000000000002"
#define GONE_B	"f11e0000000000000000000000000003"

static void blob_dir(const struct corefix *fx, char *out, size_t n)
{
	snprintf(out, n, "%s/blobs", fx->dir);
	assert_true(mkdir(out, 0700) == 0 || errno == EEXIST);
}

static void touch(const char *dir, const char *name)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs("ciphertext", f);
	fclose(f);
}

static int exists(const char *dir, const char *name)
{
	char path[600];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* A committed file row `id` of a thread the citizen prepared. */
static void file_row(struct corefix *fx, const char *id)
{
	struct store_file f = { .size = 10, .chunks = 2, .received = 1, .created = fx->now };
	struct who c;
	json_t *r;

	corefix_login_citizen(fx, CITIZEN, &c);
	r = corefix_ws(fx, &c, "{\"type\":\"thread.prepare\",\"id\":\"p1\"}");
	assert_string_equal(corefix_code(r), "ok");
	snprintf(f.thread_id, sizeof f.thread_id, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
	snprintf(f.id, sizeof f.id, "%s", id);
	snprintf(f.owner_id, sizeof f.owner_id, "%s", c.user_id);
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->file->put(fx->st, &f), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
}

static void test_sweep_removes_only_blobs_without_a_row(void **state)
{
	struct corefix *fx = *state;
	char dir[400];
	size_t removed = 99;

	blob_dir(fx, dir, sizeof dir);
	file_row(fx, KEPT);
	touch(dir, KEPT ".part");
	touch(dir, KEPT); /* a completed blob whose row was not yet told (the writer renames first) */
	touch(dir, GONE_A ".part");
	touch(dir, GONE_B);
	touch(dir, "notes.txt");
	touch(dir, "F11E0000000000000000000000000009"); /* not lowercase: not a blob's name */
	touch(dir, "f11e000000000000000000000000000");	/* 31 digits */
	touch(dir, GONE_A ".tmp");			/* another suffix */
	touch(dir, "f11e0000000000000000000000000004.part.part");

	assert_int_equal(blobs_sweep(fx->st, dir, &removed), 0);
	assert_int_equal(removed, 2);
	assert_false(exists(dir, GONE_A ".part"));
	assert_false(exists(dir, GONE_B));
	assert_true(exists(dir, KEPT ".part"));
	assert_true(exists(dir, KEPT));
	assert_true(exists(dir, "notes.txt"));
	assert_true(exists(dir, "F11E0000000000000000000000000009"));
	assert_true(exists(dir, "f11e000000000000000000000000000"));
	assert_true(exists(dir, GONE_A ".tmp"));
	assert_true(exists(dir, "f11e0000000000000000000000000004.part.part"));

	/* Again: nothing left to remove. */
	assert_int_equal(blobs_sweep(fx->st, dir, &removed), 0);
	assert_int_equal(removed, 0);
}

static void test_sweep_without_a_folder_is_nothing_to_do(void **state)
{
	struct corefix *fx = *state;
	char dir[400];
	size_t removed = 99;

	snprintf(dir, sizeof dir, "%s/no-uploads-yet", fx->dir);
	assert_int_equal(blobs_sweep(fx->st, dir, &removed), 0);
	assert_int_equal(removed, 0);
	/* A file where the folder should be: an error, said. */
	touch(fx->dir, "not-a-folder");
	snprintf(dir, sizeof dir, "%s/not-a-folder", fx->dir);
	assert_int_equal(blobs_sweep(fx->st, dir, &removed), -1);
}

static int failing_get(struct store *st, const char *file_id, struct store_file *out)
{
	(void)st;
	(void)file_id;
	(void)out;
	return STORE_ERROR;
}

static void test_sweep_removes_nothing_when_the_store_fails(void **state)
{
	struct corefix *fx = *state;
	const struct store_ops *real = fx->st->ops;
	struct store_ops ops = *real;
	struct store_file_ops file = *real->file;
	char dir[400];
	size_t removed = 99;

	blob_dir(fx, dir, sizeof dir);
	touch(dir, GONE_A ".part");
	file.get = failing_get;
	ops.file = &file;
	fx->st->ops = &ops;
	assert_int_equal(blobs_sweep(fx->st, dir, &removed), -1);
	fx->st->ops = real;
	assert_int_equal(removed, 0);
	assert_true(exists(dir, GONE_A ".part"));
}

static void test_remove_takes_both_forms(void **state)
{
	struct corefix *fx = *state;
	char dir[400];

	blob_dir(fx, dir, sizeof dir);
	touch(dir, GONE_A ".part");
	touch(dir, GONE_A);
	assert_int_equal(blob_remove(dir, GONE_A), 0);
	assert_false(exists(dir, GONE_A ".part"));
	assert_false(exists(dir, GONE_A));
	assert_int_equal(blob_remove(dir, GONE_A), 0); /* neither there: nothing to do */
	/* One that cannot go (a folder that is not empty, in its name): -1. */
	snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%s", GONE_B);
	assert_int_equal(mkdir(dir, 0700), 0);
	touch(dir, "inside");
	dir[strlen(dir) - strlen(GONE_B) - 1] = '\0';
	assert_int_equal(blob_remove(dir, GONE_B), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sweep_removes_only_blobs_without_a_row, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_sweep_without_a_folder_is_nothing_to_do, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_sweep_removes_nothing_when_the_store_fails,
						corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_remove_takes_both_forms, corefix_setup,
						corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
