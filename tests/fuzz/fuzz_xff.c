/*
 * fuzz_xff.c - fuzz target for the X-Forwarded-For walk (server/net/xff.c): the input as the
 * header of a request from a trusted proxy, trapping when the answer is not the peer for
 * XFF_MALFORMED, or not a trusted-or-client address of the header for XFF_FORWARDED.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xff.h"

#define FUZZ_PROXY "10.0.0.1"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct xff_trusted t;
	char out[XFF_ADDR_MAX];
	enum xff_result r;

	memset(&t, 0, sizeof t);
	if (xff_trust(&t, FUZZ_PROXY) != 0 || xff_trust(&t, "2001:db8::2") != 0)
		__builtin_trap();
	r = xff_client(&t, FUZZ_PROXY, (const char *)d, n, out);
	if (memchr(out, '\0', sizeof out) == NULL)
		__builtin_trap();
	if (r == XFF_PEER && n != 0)
		__builtin_trap();
	if ((r == XFF_PEER || r == XFF_MALFORMED) && strcmp(out, FUZZ_PROXY) != 0)
		__builtin_trap();
	if (r == XFF_FORWARDED) {
		/* An address, written as it stands in the header. */
		if (out[0] == '\0' || n < strlen(out) || memmem(d, n, out, strlen(out)) == NULL)
			__builtin_trap();
	}
	/* From an untrusted peer the header never counts. */
	if (xff_client(&t, "192.0.2.1", (const char *)d, n, out) != XFF_PEER || strcmp(out, "192.0.2.1") != 0)
		__builtin_trap();
	return 0;
}
