/*
 * fuzz_sms_reply.c - fuzz target for the SMS gateway's answer (untrusted): the first two
 * bytes choose the HTTP status (100..599), the rest is the body given to
 * notify_sms_classify, which must return one of the three outcomes and agree with its
 * contract on what does not depend on the body.
 */
#include <stddef.h>
#include <stdint.h>

#include "notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	long status = 200;
	int r;

	if (n >= 2) {
		status = 100 + (long)((d[0] << 8 | d[1]) % 500);
		d += 2;
		n -= 2;
	}
	r = notify_sms_classify(status, (const char *)d, n);
	if (r != NOTIFY_SENT && r != NOTIFY_RETRY && r != NOTIFY_REJECTED)
		__builtin_trap();
	if ((status == 400 || status == 422) && r != NOTIFY_REJECTED)
		__builtin_trap();
	if ((status < 200 || status > 299) && status != 400 && status != 422 && r != NOTIFY_RETRY)
		__builtin_trap();
	if (status >= 200 && status <= 299 && r == NOTIFY_RETRY)
		__builtin_trap();
	return 0;
}
