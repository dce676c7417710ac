/*
 * fuzz_envelope.c - fuzz target for a message envelope as the server and the clients receive
 * it: advice_envelope_parse() (the server's format check), then advice_envelope_open() with
 * fixed keys, then advice_content_decode() on whatever opens.
 *
 * Traps when a result breaks the contract of advice_crypto.h: an unexpected return code, a
 * parse that accepts what the format forbids, or an open that succeeds on bytes the fixed
 * sender never signed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "advice_crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t plain[ADVICE_ENVELOPE_MAX_BYTES];
	static const uint8_t seed[32] = { 1 }, mkey[32] = { 2 };
	struct advice_file_ref files[ADVICE_CONTENT_MAX_FILES];
	struct advice_envelope_hdr h;
	struct advice_keys sender;
	const uint8_t *text;
	size_t plen = 0, n = 0, tlen = 0;
	int rc;

	if (advice_crypto_init() != 0 || advice_keys_personal(&sender, seed) != 0)
		__builtin_trap();
	rc = advice_envelope_parse(data, size, &h);
	if (rc != 0 && rc != -ADVICE_ERR_INVAL)
		__builtin_trap();
	if (rc == 0 &&
	    (size < ADVICE_ENVELOPE_MIN_BYTES || size > ADVICE_ENVELOPE_MAX_BYTES || data[0] != 'Q'))
		__builtin_trap();
	rc = advice_envelope_open(plain, sizeof(plain), &plen, &h, data, size, data + (size > 22 ? 6 : 0),
				  mkey, sender.sign_pk);
	if (rc != 0 && rc != -ADVICE_ERR_INVAL && rc != -ADVICE_ERR_FORBIDDEN && rc != -ADVICE_ERR_NOMEM)
		__builtin_trap();
	/* Content decoding of arbitrary bytes (as after a successful open). */
	rc = advice_content_decode(data, size, files, &n, &text, &tlen);
	if (rc != 0 && rc != -ADVICE_ERR_INVAL)
		__builtin_trap();
	if (rc == 0 && (n > ADVICE_CONTENT_MAX_FILES || text + tlen != data + size))
		__builtin_trap();
	return 0;
}
