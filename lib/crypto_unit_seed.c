/*
 * crypto_unit_seed.c - a unit seed a worker opens is checked against the admin-signed unit
 * event of its generation: the X25519 and Ed25519 keys derived from the seed must be the
 * event's. A server that hands a member some other seed (sealed and signed by a key it
 * controls, or a real seed of another unit or generation) is caught before the member reads
 * or writes anything with it.
 */
#include <string.h>

#include <sodium.h>

#include "crypto_int.h"

ADVICE_API int advice_unit_seed_check(const uint8_t seed[ADVICE_KEY_BYTES],
				      const struct advice_unit_event *ev, struct advice_keys *keys,
				      uint8_t chain_key[ADVICE_KEY_BYTES])
{
	struct advice_keys k;
	uint8_t chain[ADVICE_KEY_BYTES];
	int rc;

	if (seed == NULL || ev == NULL || keys == NULL)
		return -ADVICE_ERR_INVAL;
	if ((rc = advice_keys_unit(&k, chain, seed)) != 0)
		return rc;
	if (sodium_memcmp(k.box_pk, ev->box_pk, ADVICE_KEY_BYTES) != 0 ||
	    sodium_memcmp(k.sign_pk, ev->sign_pk, ADVICE_KEY_BYTES) != 0)
		rc = -ADVICE_ERR_FORBIDDEN;
	if (rc == 0) {
		*keys = k;
		if (chain_key != NULL)
			memcpy(chain_key, chain, ADVICE_KEY_BYTES);
	}
	sodium_memzero(&k, sizeof(k));
	sodium_memzero(chain, sizeof(chain));
	return rc;
}

ADVICE_API int advice_unit_seed_open(uint8_t seed[ADVICE_KEY_BYTES], struct advice_keys *keys,
				     uint8_t chain_key[ADVICE_KEY_BYTES], const uint8_t *wrap,
				     size_t wrap_len, const struct advice_unit_event *ev,
				     const struct advice_keys *recipient,
				     const uint8_t signer_pk[ADVICE_KEY_BYTES])
{
	uint8_t s[ADVICE_KEY_BYTES];
	int rc;

	if (seed == NULL || keys == NULL || ev == NULL)
		return -ADVICE_ERR_INVAL;
	rc = advice_wrap_open(s, NULL, wrap, wrap_len, ADVICE_WRAP_UNIT_SEED, ev->unit_id, ev->generation,
			      recipient, signer_pk);
	if (rc == 0)
		rc = advice_unit_seed_check(s, ev, keys, chain_key);
	if (rc == 0)
		memcpy(seed, s, ADVICE_KEY_BYTES);
	sodium_memzero(s, sizeof(s));
	return rc;
}
