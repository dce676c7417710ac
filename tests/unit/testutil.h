/*
 * testutil.h - helpers shared by the unit tests: temporary folders and file reading.
 */
#ifndef ADVICE_TESTUTIL_H
#define ADVICE_TESTUTIL_H

#include <stddef.h>

/* Creates a fresh temporary folder and returns its path (static storage per call site's buffer). */
int testutil_tmpdir(char *out, size_t outlen);
/* Removes a folder tree made by testutil_tmpdir. */
void testutil_rmtree(const char *path);
/* Reads a whole file (NUL-terminated); the caller frees. NULL on error. */
char *testutil_read_file(const char *path, size_t *len);
/* Path of a file in the source tree ($ADVICE_SOURCE_DIR/rel). */
const char *testutil_source_path(const char *rel, char *out, size_t outlen);

#endif
