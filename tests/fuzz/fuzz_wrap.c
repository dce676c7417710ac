/*
 * fuzz_wrap.c - fuzz target for the key objects the server stores and relays and the
 * clients open: wraps (parse, then open with fixed keys), certificates, unit events, chain
 * boxes and key bundles (parse and verify or open). The first byte picks the object; the rest
 * is the object.
 *
 * Traps on a return code outside the contract of advice_crypto.h, or on a parse that
 * accepts a size the format forbids.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "advice_crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int allowed(int rc)
{
	return rc == 0 || rc == -ADVICE_ERR_INVAL || rc == -ADVICE_ERR_FORBIDDEN || rc == -ADVICE_ERR_NOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t seed[32] = { 3 }, key[32] = { 4 }, id[16] = { 5 };
	struct advice_unit_event *ev;
	struct advice_bundle_info bi;
	struct advice_wrap_info wi;
	struct advice_keys k;
	struct advice_cert c;
	uint8_t out[32];
	uint32_t g = 0;
	int rc;

	if (advice_crypto_init() != 0 || advice_keys_personal(&k, seed) != 0)
		__builtin_trap(); /* the fixed keys must be made, or no input is checked */
	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		rc = advice_wrap_parse(data + 1, size - 1, &wi);
		if (rc == 0 && size - 1 != ADVICE_WRAP_BYTES)
			__builtin_trap();
		if (rc == 0) /* what the wrap names, so the checks after the binding are reached */
			rc = advice_wrap_open(out, &wi, data + 1, size - 1, wi.kind, wi.scope_id, wi.epoch,
					      &k, k.sign_pk);
		break;
	case 1:
		rc = advice_cert_parse(data + 1, size - 1, &c);
		if (rc == 0 && size - 1 != ADVICE_CERT_BYTES)
			__builtin_trap();
		rc = advice_cert_verify(data + 1, size - 1, data + 1, size - 1, k.sign_pk, 1, &c);
		break;
	case 2:
		ev = malloc(sizeof(*ev));
		if (ev == NULL)
			return 0;
		rc = advice_unit_event_parse(data + 1, size - 1, ev);
		if (rc == 0 && size - 1 != ADVICE_UNIT_EVENT_BYTES(ev->n_members))
			__builtin_trap();
		rc = advice_unit_event_verify(data + 1, size - 1, k.sign_pk, data + 1, size - 1, ev);
		free(ev);
		break;
	case 3:
		rc = advice_chain_parse(data + 1, size - 1, out, &g);
		if (rc == 0 && (size - 1 != ADVICE_CHAIN_BYTES || g < 2))
			__builtin_trap();
		rc = advice_chain_open(out, data + 1, size - 1, id, g, key);
		break;
	default:
		rc = advice_bundle_parse(data + 1, size - 1, &bi);
		if (rc == 0 && (size - 1 != ADVICE_BUNDLE_BYTES || bi.opslimit > ADVICE_PWHASH_OPS_MAX))
			__builtin_trap();
		rc = advice_bundle_open(out, data + 1, size - 1, id, key);
		break;
	}
	if (!allowed(rc))
		__builtin_trap();
	return 0;
}
