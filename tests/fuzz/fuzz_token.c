/*
 * fuzz_token.c - fuzz target for the citizen ID-token input: token_verify on the input under
 * a production and a test-mode configuration, and token_keys_parse on the same bytes.
 *
 * The configuration is built once, lazily, from three PUBLIC keys embedded below (their
 * private halves were used once to sign the seed corpus and then destroyed), so seeds can
 * reach the claim checks. Time is fixed, so the seeds stay valid. An accepted token must
 * name no audience but ours and carry the configured level (or, in test mode, its test-bed
 * counterpart); anything else traps.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "hetu.h"
#include "token.h"

#define FUZZ_NOW      1795000000LL /* 2026-11-18T11:06:40Z, the time the seeds were made for */
#define FUZZ_AUD      "adviced-fuzz"
#define FUZZ_ACR      "http://ftn.ficora.fi/2017/loa2"
#define FUZZ_ACR_TEST "http://ftn.ficora.fi/2017/loatest2"

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
				     " {\"kid\": \"fuzz-rsa2\", \"alg\": \"RS256\", \"pem\": \""
				     "-----BEGIN PUBLIC KEY-----\\n"
				     "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmw8PwNu6rrADmRoYhFlj\\n"
				     "wiMKtACib0aV8WHf/1AvKUY6+WU58X7+6NGM4MXzRJsyui6VDgdNL044RM4KC8kN\\n"
				     "g8HPQLKSm/EFem4DzImqAAI/90bWq/GNL19LsUPaEW4oUqc9IVIUCx3ppiCBeYW6\\n"
				     "N8Nsyi4pFOZJUN0zvVWB2o/jDM9JCdYszxIvwb15EciOymP70D6y4QkPAHc7/hTZ\\n"
				     "8c+q2I7F1ReeKTwDwdUjb3x5DBkmSV4OmiGT+KPwnP2k49hBxT7RV43wVTw9+M6l\\n"
				     "z0net50o0ANOaAwmAQP1szSGuf2m29HcvjB3JQoUpSIOprf8KYtjTuv638VTeBgE\\n"
				     "IQIDAQAB\\n"
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
	snprintf(fuzz_prod.audience, sizeof fuzz_prod.audience, "%s", FUZZ_AUD);
	snprintf(fuzz_prod.hetu_claim, sizeof fuzz_prod.hetu_claim, "%s", "hetu");
	snprintf(fuzz_prod.acr_values, sizeof fuzz_prod.acr_values, "%s", FUZZ_ACR);
	fuzz_prod.skew_s = 60;
	fuzz_prod.max_age_s = 600;
	fuzz_prod.keys = keys;
	fuzz_prod.nkeys = nkeys;
	fuzz_test = fuzz_prod;
	fuzz_test.test_mode = 1;
	ready = 1;
	return 0;
}

/* The claims of an accepted compact JWS (its middle segment), or NULL. */
static json_t *fuzz_claims(const uint8_t *d, size_t n)
{
	const uint8_t *p1 = memchr(d, '.', n), *p2;
	unsigned char raw[TOKEN_MAX_LEN];
	size_t rawlen = 0;

	if (p1 == NULL || (p2 = memchr(p1 + 1, '.', n - (size_t)(p1 + 1 - d))) == NULL ||
	    sodium_base642bin(raw, sizeof raw, (const char *)p1 + 1, (size_t)(p2 - p1 - 1), NULL, &rawlen,
			      NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return NULL;
	return json_loadb((const char *)raw, rawlen, 0, NULL);
}

/* 1 when every audience of an accepted token is ours and its level is the configured one
 * (or its test-bed counterpart in test mode), else 0. */
static int fuzz_claims_trusted(const struct token_config *cfg, const uint8_t *d, size_t n)
{
	json_t *claims = fuzz_claims(d, n), *aud, *m;
	const char *acr;
	size_t i;
	int ok;

	if (claims == NULL)
		return 0;
	aud = json_object_get(claims, "aud");
	acr = json_string_value(json_object_get(claims, "acr"));
	ok = acr != NULL &&
	     (strcmp(acr, FUZZ_ACR) == 0 || (cfg->test_mode && strcmp(acr, FUZZ_ACR_TEST) == 0));
	if (json_is_string(aud))
		ok = ok && strcmp(json_string_value(aud), FUZZ_AUD) == 0;
	else
		ok = ok && json_is_array(aud) && json_array_size(aud) > 0;
	json_array_foreach (aud, i, m)
		ok = ok && json_is_string(m) && strcmp(json_string_value(m), FUZZ_AUD) == 0;
	json_decref(claims);
	return ok;
}

/* A verified identity must hold a code the same mode accepts, and come from a token whose
 * audiences and level are trusted; trap otherwise. */
static void fuzz_verify(const struct token_config *cfg, const uint8_t *d, size_t n)
{
	struct token_identity id;
	int rc = token_verify(cfg, (const char *)d, n, FUZZ_NOW, &id);

	if (token_result_text(rc)[0] == '\0')
		__builtin_trap();
	if (rc == TOKEN_OK &&
	    hetu_check(id.hetu, strlen(id.hetu), cfg->test_mode, hetu_ymd_from_unix(FUZZ_NOW)) != HETU_OK)
		__builtin_trap();
	if (rc == TOKEN_OK && !fuzz_claims_trusted(cfg, d, n))
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
