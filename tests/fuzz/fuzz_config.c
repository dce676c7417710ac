/*
 * fuzz_config.c - libFuzzer target: the configuration parser on arbitrary bytes.
 */
#include <stdint.h>
#include <stddef.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[256];

	config_defaults(&c);
	if (config_parse(&c, (const char *)data, size, "/base", err, sizeof err) == 0)
		config_validate(&c, err, sizeof err);
	return 0;
}
