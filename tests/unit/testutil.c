/*
 * testutil.c - temporary folders and file reading for the unit tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

int testutil_tmpdir(char *out, size_t outlen)
{
	const char *base = getenv("TMPDIR");

	snprintf(out, outlen, "%s/advice-test-XXXXXX", base ? base : "/tmp");
	return mkdtemp(out) ? 0 : -1;
}

void testutil_rmtree(const char *path)
{
	char cmd[1200];

	if (path == NULL || strncmp(path, "/tmp/advice-test-", 17) != 0)
		return; /* only what testutil_tmpdir made */
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "testutil: could not remove %s\n", path);
}

char *testutil_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}

const char *testutil_source_path(const char *rel, char *out, size_t outlen)
{
	const char *src = getenv("ADVICE_SOURCE_DIR");

	snprintf(out, outlen, "%s/%s", src ? src : ".", rel);
	return out;
}
