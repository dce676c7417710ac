/*
 * fuzz_require.h - setup checks for the fuzz targets that build state before the first
 * input: a setup step that fails stops the run loudly (a fuzzer crash, a failed replay test)
 * instead of leaving every input to meet a broken setup and pass.
 */
#ifndef FUZZ_REQUIRE_H
#define FUZZ_REQUIRE_H

#include <stdio.h>
#include <stdlib.h>

/* Aborts with "setup failed: <what>" on stderr unless `ok`. */
static inline void fuzz_require(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz setup failed: %s\n", what);
	abort();
}

#endif
