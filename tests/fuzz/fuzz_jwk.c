/*
 * fuzz_jwk.c - fuzz target for the identity provider's JWKS (oidc_jwks_to_keys) and single
 * JWKs (jose_jwk_to_pkey): untrusted JSON from the network turned into keys.
 */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "jose.h"
#include "oidc.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct token_key *keys = NULL;
	size_t nkeys = 0, i;
	char err[160];
	json_t *doc, *k;

	if (oidc_jwks_to_keys((const char *)d, n, &keys, &nkeys, err, sizeof err) == 0) {
		if (keys == NULL || nkeys == 0)
			__builtin_trap();
	} else if (keys != NULL || nkeys != 0) {
		__builtin_trap();
	}
	token_keys_free(keys, nkeys);
	doc = json_loadb((const char *)d, n, 0, NULL);
	json_array_foreach (json_object_get(doc, "keys"), i, k) {
		EVP_PKEY *p = jose_jwk_to_pkey(k, "sig", err, sizeof err);
		char tp[44];

		if (p != NULL && jose_thumbprint(p, tp) != 0)
			__builtin_trap();
		EVP_PKEY_free(p);
	}
	json_decref(doc);
	return 0;
}
