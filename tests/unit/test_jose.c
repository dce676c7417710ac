/*
 * test_jose.c - jose.c: base64url (strict), RSA JWK import/export and the RFC 7638
 * thumbprint example, RS256 signing checked with OpenSSL, and JWE decryption for every
 * allowed alg x enc pair with the refusals: tampered header, key, IV, ciphertext and tag,
 * wrong key, unknown kid, algorithms outside the allowlist, zip, malformed segments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "jose.h"

static EVP_PKEY *key_a, *key_b;

static int setup(void **state)
{
	(void)state;
	key_a = EVP_RSA_gen(2048);
	key_b = EVP_RSA_gen(2048);
	return key_a && key_b ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	return 0;
}

static void test_b64url(void **state)
{
	uint8_t *out;
	size_t n;
	char *e;

	(void)state;
	e = jose_b64url_encode("foob", 4);
	assert_string_equal(e, "Zm9vYg");
	free(e);
	assert_int_equal(jose_b64url_decode("Zm9vYg", 6, &out, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "foob", 4);
	free(out);
	assert_int_equal(jose_b64url_decode("Zm9vYh", 6, &out, &n), -1); /* non-canonical bits */
	assert_int_equal(jose_b64url_decode("Zm9vYg==", 8, &out, &n), -1);
	assert_int_equal(jose_b64url_decode("Zm9v+g", 6, &out, &n), -1);
	assert_int_equal(jose_b64url_decode("Z", 1, &out, &n), -1);
	assert_null(out);
	assert_int_equal(jose_b64url_decode("", 0, &out, &n), 0);
	assert_int_equal(n, 0);
	free(out);
}

static void test_rfc7638_thumbprint(void **state)
{
	static const char jwk[] =
		"{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx"
		"4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-"
		"5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
		"65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
		"bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\"}";
	json_t *o = json_loads(jwk, 0, NULL);
	char err[128], tp[44];
	EVP_PKEY *k = jose_jwk_to_pkey(o, NULL, err, sizeof err);

	(void)state;
	assert_non_null(k);
	assert_int_equal(jose_thumbprint(k, tp), 0);
	assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	EVP_PKEY_free(k);
	json_decref(o);
}

static void test_jwk_round_trip_and_refusals(void **state)
{
	json_t *j = jose_pkey_to_jwk(key_a, "a", "sig", "RS256"), *bad;
	char err[128];
	EVP_PKEY *k;

	(void)state;
	assert_non_null(j);
	k = jose_jwk_to_pkey(j, "sig", err, sizeof err);
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_eq(k, key_a), 1);
	EVP_PKEY_free(k);
	/* wrong use */
	assert_null(jose_jwk_to_pkey(j, "enc", err, sizeof err));
	/* private member, key URL, other kty, small modulus */
	bad = json_deep_copy(j);
	json_object_set_new(bad, "d", json_string("AQAB"));
	assert_null(jose_jwk_to_pkey(bad, NULL, err, sizeof err));
	json_decref(bad);
	bad = json_deep_copy(j);
	json_object_set_new(bad, "x5u", json_string("https://example.invalid/k"));
	assert_null(jose_jwk_to_pkey(bad, NULL, err, sizeof err));
	json_decref(bad);
	bad = json_deep_copy(j);
	json_object_set_new(bad, "kty", json_string("EC"));
	assert_null(jose_jwk_to_pkey(bad, NULL, err, sizeof err));
	json_decref(bad);
	bad = json_deep_copy(j);
	json_object_set_new(bad, "n", json_string("AQAB"));
	assert_null(jose_jwk_to_pkey(bad, NULL, err, sizeof err));
	assert_non_null(strstr(err, "bits"));
	json_decref(bad);
	bad = json_deep_copy(j);
	json_object_set_new(bad, "e", json_integer(3));
	assert_null(jose_jwk_to_pkey(bad, NULL, err, sizeof err));
	json_decref(bad);
	json_decref(j);
}

static void test_sign_rs256(void **state)
{
	char *jws = jose_sign_rs256(key_a, "kid-1", "{\"a\":1}");
	const char *dot2;
	uint8_t *sig, *hdr;
	size_t siglen, hdrlen;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	(void)state;
	assert_non_null(jws);
	dot2 = strrchr(jws, '.');
	assert_int_equal(jose_b64url_decode(dot2 + 1, strlen(dot2 + 1), &sig, &siglen), 0);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key_a), 1);
	assert_int_equal(EVP_DigestVerify(md, sig, siglen, (const uint8_t *)jws, (size_t)(dot2 - jws)), 1);
	assert_int_equal(jose_b64url_decode(jws, (size_t)(strchr(jws, '.') - jws), &hdr, &hdrlen), 0);
	assert_string_equal((char *)hdr, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"kid-1\"}");
	free(hdr);
	free(sig);
	free(jws);
	EVP_MD_CTX_free(md);
}

static int decrypt(EVP_PKEY *k, const char *kid, const char *jwe, char **out)
{
	struct jose_dec_key dk = { .pkey = k };
	size_t n;

	snprintf(dk.kid, sizeof dk.kid, "%s", kid);
	return jose_jwe_decrypt(&dk, 1, jwe, strlen(jwe), out, &n);
}

static void test_jwe_round_trips(void **state)
{
	static const char *const algs[] = { "RSA-OAEP", "RSA-OAEP-256" };
	static const char *const encs[] = { "A128CBC-HS256", "A128GCM", "A256GCM" };
	static const char pt[] = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

	(void)state;
	for (size_t a = 0; a < 2; a++) {
		for (size_t e = 0; e < 3; e++) {
			char *jwe = jose_jwe_encrypt(key_a, "enc-a", algs[a], encs[e], pt, strlen(pt)),
			     *out = NULL;

			assert_non_null(jwe);
			assert_int_equal(decrypt(key_a, "enc-a", jwe, &out), JOSE_OK);
			assert_string_equal(out, pt);
			free(out);
			/* the wrong private key under our kid: the one generic failure */
			assert_int_equal(decrypt(key_b, "enc-a", jwe, &out), JOSE_DECRYPT_FAILED);
			assert_null(out);
			/* a kid that is none of ours */
			assert_int_equal(decrypt(key_a, "enc-b", jwe, &out), JOSE_UNKNOWN_KID);
			free(jwe);
		}
	}
}

/* Flips one character of segment `seg` (0..4) of a JWE; returns a malloc'd copy. */
static char *tamper(const char *jwe, int seg)
{
	char *t = strdup(jwe), *p = t;

	for (int i = 0; i < seg; i++)
		p = strchr(p, '.') + 1;
	/* first character: changes the high bits, so the base64url stays canonical */
	p[0] = p[0] == 'A' ? 'B' : 'A';
	return t;
}

static void test_jwe_tampering(void **state)
{
	static const char *const encs[] = { "A128CBC-HS256", "A128GCM", "A256GCM" };

	(void)state;
	for (size_t e = 0; e < 3; e++) {
		char *jwe = jose_jwe_encrypt(key_a, "k", "RSA-OAEP-256", encs[e], "hello", 5), *out = NULL;

		for (int seg = 1; seg <= 4; seg++) {
			char *t = tamper(jwe, seg);

			assert_int_equal(decrypt(key_a, "k", t, &out), JOSE_DECRYPT_FAILED);
			assert_null(out);
			free(t);
		}
		free(jwe);
	}
}

/* A JWE whose header is `hdr`, with junk for the other segments. */
static int decrypt_with_header(const char *hdr)
{
	char *h = jose_b64url_encode(hdr, strlen(hdr)), *jwe = NULL, *out = NULL;
	int rc;

	assert_true(asprintf(&jwe, "%s.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA", h) > 0);
	rc = decrypt(key_a, "k", jwe, &out);
	assert_null(out);
	free(h);
	free(jwe);
	return rc;
}

static void test_jwe_header_refusals(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(decrypt_with_header("{\"alg\":\"RSA1_5\",\"enc\":\"A128GCM\",\"kid\":\"k\"}"),
			 JOSE_UNSUPPORTED_ALG);
	assert_int_equal(decrypt_with_header("{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"k\"}"),
			 JOSE_UNSUPPORTED_ALG);
	assert_int_equal(decrypt_with_header("{\"alg\":\"RSA-OAEP\",\"enc\":\"A192GCM\",\"kid\":\"k\"}"),
			 JOSE_UNSUPPORTED_ALG);
	assert_int_equal(decrypt_with_header("{\"alg\":\"rsa-oaep\",\"enc\":\"A128GCM\",\"kid\":\"k\"}"),
			 JOSE_UNSUPPORTED_ALG);
	assert_int_equal(decrypt_with_header(
				 "{\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"zip\":\"DEF\"}"),
			 JOSE_BAD_HEADER);
	assert_int_equal(decrypt_with_header(
				 "{\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"cty\":\"json\"}"),
			 JOSE_BAD_HEADER);
	assert_int_equal(
		decrypt_with_header("{\"alg\":\"RSA-OAEP\",\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\"}"),
		JOSE_BAD_HEADER);
	assert_int_equal(decrypt_with_header("{\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\",\"kid\":7}"),
			 JOSE_BAD_HEADER);
	assert_int_equal(decrypt_with_header("[1]"), JOSE_BAD_HEADER);
	assert_int_equal(decrypt(key_a, "k", "a.b.c.d", &out), JOSE_MALFORMED);
	assert_int_equal(decrypt(key_a, "k", "a.b.c.d.e.f", &out), JOSE_MALFORMED);
	assert_int_equal(decrypt(key_a, "k", "....", &out), JOSE_MALFORMED);
	/* GCM IV of the wrong length */
	{
		char *jwe = jose_jwe_encrypt(key_a, "k", "RSA-OAEP", "A128GCM", "x", 1), *t, *iv;

		iv = strchr(strchr(jwe, '.') + 1, '.') + 1;
		assert_true(asprintf(&t, "%.*sAAAA%s", (int)(iv - jwe), jwe, iv) > 0);
		assert_int_equal(decrypt(key_a, "k", t, &out), JOSE_MALFORMED);
		free(t);
		free(jwe);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_rfc7638_thumbprint),
		cmocka_unit_test(test_jwk_round_trip_and_refusals),
		cmocka_unit_test(test_sign_rs256),
		cmocka_unit_test(test_jwe_round_trips),
		cmocka_unit_test(test_jwe_tampering),
		cmocka_unit_test(test_jwe_header_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
