/*
 * fuzz_hetu.c - fuzz target for identity-code validation: hetu_check in both modes and
 * hetu_birth_ymd on the input bytes, trapping when the results contradict each other.
 */
#include <stdint.h>
#include <stddef.h>

#include "hetu.h"

#define FUZZ_TODAY 20261122

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *code = (const char *)d;
	int prod = hetu_check(code, n, 0, FUZZ_TODAY);
	int test = hetu_check(code, n, 1, FUZZ_TODAY);
	int ymd = hetu_birth_ymd(code, n);

	if (prod < HETU_OK || prod > HETU_REAL_CODE || test < HETU_OK || test > HETU_REAL_CODE)
		__builtin_trap();
	if (hetu_result_text(prod)[0] == '\0' || hetu_result_text(test)[0] == '\0')
		__builtin_trap();
	/* A code valid in one mode is the other mode's policy refusal, never a format error. */
	if (prod == HETU_OK && test != HETU_REAL_CODE)
		__builtin_trap();
	if (test == HETU_OK && prod != HETU_TEST_CODE)
		__builtin_trap();
	/* Accepted codes are 11 bytes with a real date no later than today. */
	if ((prod == HETU_OK || test == HETU_OK) && (n != HETU_LEN || ymd < 18000101 || ymd > FUZZ_TODAY))
		__builtin_trap();
	return 0;
}
