/*
 * fuzz_token.c - fuzz target for the citizen ID-token input: token_verify on the input under
 * a production and a test-mode configuration, and token_keys_parse on the same bytes.
 *
 * The configuration is built once, lazily, from two PUBLIC keys embedded below (their
 * private halves were used once to sign the seed corpus and then destroyed), so seeds can
 * reach the claim checks. Time is fixed, so the seeds stay valid.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hetu.h"
#include "token.h"

#define FUZZ_NOW 1795000000LL /* 2026-11-18T11:06:40Z, the time the seeds were made for */

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static const char fuzz_keys_json[] = "[{\"kid\": \"fuzz-rsa\", \"alg\": \"RS256\", \"pem\": \""
				     "-----BEGIN PUBLIC KEY-----\\n"
				     "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjRkgVIhIaJdZIW+7buH9\\n"
				     "LDJ1QBO29N6N/s9ivk7+0WgmqvZZWHHxbz8PDswdHIISD29p6gn6LeXqxsMNWhPs\\n"
				     "ouwn0Hmrss6t5oqARasFsyUpGYumgbqk9c8ROmj8sCg3kRivn5edRMg2hVvnjBFf\\n"
				     "BLIbETwmB+So2M508LgDiTmJqdjViDsp+SPOCeEaz5StOSf4vIiIeNzZqB9z7cWl\\n"
				     "EQKGPPcqTOGNkk3dOtAELsJ2cPR/UuOnZ4SSa8tnmipmn4GdAECeSfac+JqXWDED\\n"
				     "Mcg0HgquBXc41Z5FEKcs5QqeGKahuNMm6LFGjpyL6ESr0lHgTc2SroUIzG481nbO\\n"
				     "sQIDAQAB\\n"
				     "-----END PUBLIC KEY-----\\n"
				     "\"},\n"
				     " {\"kid\": \"fuzz-ec\", \"alg\": \"ES256\", \"pem\": \""
				     "-----BEGIN PUBLIC KEY-----\\n"
				     "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEs/8/jWxKJmnLnJW3O9UnoqWATFPG\\n"
				     "zYEvyFS5Yh4Y5mndkFnm181S/sOoXF6EhQ6K6u6rgMiwL3GwmzWlNJNwcQ==\\n"
				     "-----END PUBLIC KEY-----\\n"
				     "\"}]\n";

static struct token_config fuzz_prod, fuzz_test;

/* Builds both configurations on the first call; they share the key list for the run. */
static int fuzz_setup(void)
{
	static int ready;
	struct token_key *keys;
	size_t nkeys;
	char err[256];

	if (ready)
		return 0;
	if (token_keys_parse(fuzz_keys_json, sizeof fuzz_keys_json - 1, &keys, &nkeys, err, sizeof err) !=
	    0) {
		fprintf(stderr, "fuzz_token: embedded keys: %s\n", err);
		return -1;
	}
	snprintf(fuzz_prod.issuer, sizeof fuzz_prod.issuer, "%s", "https://idp.fuzz.test");
	snprintf(fuzz_prod.audience, sizeof fuzz_prod.audience, "%s", "adviced-fuzz");
	snprintf(fuzz_prod.hetu_claim, sizeof fuzz_prod.hetu_claim, "%s", "hetu");
	fuzz_prod.skew_s = 60;
	fuzz_prod.max_age_s = 600;
	fuzz_prod.keys = keys;
	fuzz_prod.nkeys = nkeys;
	fuzz_test = fuzz_prod;
	fuzz_test.test_mode = 1;
	ready = 1;
	return 0;
}

/* A verified identity must hold a code the same mode accepts; trap otherwise. */
static void fuzz_verify(const struct token_config *cfg, const uint8_t *d, size_t n)
{
	struct token_identity id;
	int rc = token_verify(cfg, (const char *)d, n, FUZZ_NOW, &id);

	if (token_result_text(rc)[0] == '\0')
		__builtin_trap();
	if (rc == TOKEN_OK &&
	    hetu_check(id.hetu, strlen(id.hetu), cfg->test_mode, hetu_ymd_from_unix(FUZZ_NOW)) != HETU_OK)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct token_key *keys = NULL;
	size_t nkeys = 0;
	char err[256];

	if (fuzz_setup() != 0)
		__builtin_trap();
	fuzz_verify(&fuzz_prod, d, n);
	fuzz_verify(&fuzz_test, d, n);
	if (token_keys_parse((const char *)d, n, &keys, &nkeys, err, sizeof err) == 0)
		token_keys_free(keys, nkeys);
	return 0;
}
