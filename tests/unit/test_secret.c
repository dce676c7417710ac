/*
 * test_secret.c - secret_file_read (server/secret.c): an owner-only file is read whole;
 * a file its group or others may read, a symbolic link, an empty file and one longer than
 * allowed are refused with a reason naming the file.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "secret.h"
#include "testutil.h"

static char dir[256];

static void write_file(const char *name, const char *text, mode_t mode, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Reads `path` with at most `max` bytes: 0 with the text in out, or -1 with the reason. */
static int read_secret(const char *path, size_t max, char *out, char *err)
{
	char buf[64];
	size_t len = 0;
	int rc;

	assert_true(max <= sizeof buf);
	err[0] = '\0';
	rc = secret_file_read(path, buf, max, &len, err, 256);
	if (rc == 0) {
		assert_true(len >= 1 && len <= max);
		memcpy(out, buf, len);
		out[len] = '\0';
	}
	return rc;
}

static void test_owner_only_read_whole(void **state)
{
	char path[300], out[65], err[256];

	(void)state;
	write_file("ok", "secret-value\n", 0600, path, sizeof path);
	assert_int_equal(read_secret(path, 13, out, err), 0); /* exactly at the limit */
	assert_string_equal(out, "secret-value\n");
	write_file("ro", "x", 0400, path, sizeof path);
	assert_int_equal(read_secret(path, 64, out, err), 0);
	assert_string_equal(out, "x");
}

static void test_group_or_others_refused(void **state)
{
	static const mode_t modes[] = { 0640, 0604, 0620, 0602, 0644 };
	char path[300], out[65], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		write_file("loose", "secret", modes[i], path, sizeof path);
		assert_int_equal(read_secret(path, 64, out, err), -1);
		assert_non_null(strstr(err, "readable by its owner only"));
		assert_non_null(strstr(err, path));
	}
}

static void test_link_empty_long_missing_refused(void **state)
{
	char path[300], link[300], out[65], err[256];

	(void)state;
	write_file("target", "secret", 0600, path, sizeof path);
	snprintf(link, sizeof link, "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(read_secret(link, 64, out, err), -1); /* O_NOFOLLOW */
	assert_non_null(strstr(err, link));

	write_file("empty", "", 0600, path, sizeof path);
	assert_int_equal(read_secret(path, 64, out, err), -1);
	assert_non_null(strstr(err, "empty"));

	write_file("long", "0123456789", 0600, path, sizeof path);
	assert_int_equal(read_secret(path, 9, out, err), -1);
	assert_non_null(strstr(err, "longer than 9 bytes"));

	snprintf(path, sizeof path, "%s/missing", dir);
	assert_int_equal(read_secret(path, 64, out, err), -1);
	assert_non_null(strstr(err, "No such file"));
}

static int setup(void **state)
{
	(void)state;
	return testutil_tmpdir(dir, sizeof dir);
}

static int teardown(void **state)
{
	(void)state;
	testutil_rmtree(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_only_read_whole),
		cmocka_unit_test(test_group_or_others_refused),
		cmocka_unit_test(test_link_empty_long_missing_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
