/*
 * test_token.c - unit tests of token.c: ID-token verification against keys generated at run
 * time (RSA 2048, EC P-256, a second RSA key as the wrong key), one test per refused token
 * (each asserting the exact token_result), the key-list parser and token_sign round trips.
 *
 * Tokens are built here with our own base64url and OpenSSL signing, so that headers and
 * payloads can be anything (duplicate keys, lower-case algs, HS256 keyed with the public
 * PEM) and signatures any length or encoding (ES256 as DER, RSA one byte short or long).
 * No private key is stored anywhere: all are generated per run.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "jose.h"
#include "testutil.h"
#include "token.h"

#define NOW	 1795000000LL /* 2026-11-18T11:06:40Z */
#define ISSUER	 "https://idp.example.test"
#define AUDIENCE "adviced-test"
#define ACR_LOA2 "http://ftn.ficora.fi/2017/loa2"
/* What the fixture accepts: every substantial and high level. */
#define ACR_LEVELS                                                                                           \
	"http://ftn.ficora.fi/2017/loa2 http://ftn.ficora.fi/2017/loa3 "                                     \
	"http://eidas.europa.eu/LoA/substantial http://eidas.europa.eu/LoA/high"
#define REAL_HETU "131052-308T" /* the decree's well-known example code */
#define TEST_HETU "010594Y9032" /* DVV fictional test person */
#define HDR_RS256 "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}"
#define HDR_ES256 "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ec1\"}"

/* SIGN_ES256 gives JOSE's raw r||s; SIGN_ES256_DER the DER form OpenSSL makes. */
enum signer { SIGN_RS256, SIGN_RS384, SIGN_RS512, SIGN_ES256, SIGN_ES256_DER, SIGN_HS256, SIGN_NONE };

struct fixture {
	EVP_PKEY *rsa, *ec, *wrong, *rsa1024, *p384;
	char *rsa_pub, *rsa_priv, *ec_pub, *ec_priv, *wrong_pub, *rsa1024_pub, *p384_pub;
	char *rsa_pkcs1;
	struct token_key *keys;
	size_t nkeys;
	struct token_config cfg;
};

static struct fixture fx;

/* ---- helpers: PEM, base64url, signing ------------------------------------------------ */

static char *bio_to_string(BIO *bio)
{
	char *data, *s;
	long n = BIO_get_mem_data(bio, &data);

	s = malloc((size_t)n + 1);
	assert_non_null(s);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

static char *pem_public(EVP_PKEY *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s;

	assert_int_equal(PEM_write_bio_PUBKEY(bio, k), 1);
	s = bio_to_string(bio);
	BIO_free(bio);
	return s;
}

static char *pem_private(EVP_PKEY *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s;

	assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
	s = bio_to_string(bio);
	BIO_free(bio);
	return s;
}

/* The RSA public key as PKCS#1 "BEGIN RSA PUBLIC KEY" (which the key parser must refuse). */
static char *pem_pkcs1(EVP_PKEY *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	int n = i2d_PublicKey(k, &der);
	char *s;

	assert_true(n > 0);
	assert_true(PEM_write_bio(bio, "RSA PUBLIC KEY", "", der, n) > 0);
	OPENSSL_free(der);
	s = bio_to_string(bio);
	BIO_free(bio);
	return s;
}

static char *b64url(const unsigned char *in, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc(n / 3 * 4 + 5);
	size_t o = 0, i;

	assert_non_null(out);
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
	}
	out[o] = '\0';
	return out;
}

/* A digest signature over `in`; ES256 converted from DER to JOSE's raw r||s. */
static unsigned char *sign_digest(EVP_PKEY *key, const EVP_MD *md, int raw_ec, const char *in, size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig;
	size_t n = 0;

	assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)in, strlen(in)), 1);
	sig = malloc(n);
	assert_non_null(sig);
	assert_int_equal(EVP_DigestSign(ctx, sig, &n, (const unsigned char *)in, strlen(in)), 1);
	EVP_MD_CTX_free(ctx);
	if (raw_ec) {
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
		unsigned char *raw = malloc(64);

		assert_non_null(es);
		assert_non_null(raw);
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32), 32);
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32), 32);
		ECDSA_SIG_free(es);
		free(sig);
		sig = raw;
		n = 64;
	}
	*siglen = n;
	return sig;
}

/*
 * Builds "b64(header).b64(payload).b64(signature)" from literal JSON texts. HS256 is keyed
 * with the pinned RSA public-key PEM bytes (the confusion attack); `key` is for RS/ES.
 */
static char *build(const char *header, const char *payload, enum signer how, EVP_PKEY *key)
{
	char *h = b64url((const unsigned char *)header, strlen(header));
	char *p = b64url((const unsigned char *)payload, strlen(payload));
	unsigned char *sig = NULL, mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t siglen = 0, n = strlen(h) + strlen(p) + 2;
	char *input = malloc(n), *s, *out;

	assert_non_null(input);
	snprintf(input, n, "%s.%s", h, p);
	switch (how) {
	case SIGN_RS256: sig = sign_digest(key, EVP_sha256(), 0, input, &siglen); break;
	case SIGN_RS384: sig = sign_digest(key, EVP_sha384(), 0, input, &siglen); break;
	case SIGN_RS512: sig = sign_digest(key, EVP_sha512(), 0, input, &siglen); break;
	case SIGN_ES256: sig = sign_digest(key, EVP_sha256(), 1, input, &siglen); break;
	case SIGN_ES256_DER: sig = sign_digest(key, EVP_sha256(), 0, input, &siglen); break;
	case SIGN_HS256:
		assert_non_null(HMAC(EVP_sha256(), fx.keys[0].pem, (int)fx.keys[0].pem_len,
				     (const unsigned char *)input, strlen(input), mac, &maclen));
		sig = malloc(maclen);
		assert_non_null(sig);
		memcpy(sig, mac, maclen);
		siglen = maclen;
		break;
	case SIGN_NONE: break;
	}
	s = b64url(sig, siglen);
	n = strlen(input) + strlen(s) + 2;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%s.%s", input, s);
	free(h);
	free(p);
	free(sig);
	free(s);
	free(input);
	return out;
}

/* The default valid production claims; tests change one thing each. */
static json_t *claims_default(void)
{
	json_t *c = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "iss", ISSUER, "aud", AUDIENCE, "exp",
			      (json_int_t)(NOW + 300), "iat", (json_int_t)(NOW - 10), "acr", ACR_LOA2, "hetu",
			      REAL_HETU, "sub", "pseudonym-123");

	assert_non_null(c);
	return c;
}

/* Builds a token from claims (consumed) with a header and signer. */
static char *build_claims(const char *header, json_t *claims, enum signer how, EVP_PKEY *key)
{
	char *payload = json_dumps(claims, JSON_COMPACT);
	char *tok;

	assert_non_null(payload);
	tok = build(header, payload, how, key);
	free(payload);
	json_decref(claims);
	return tok;
}

/* Verifies a token with the fixture's config and returns the result; frees the token. */
static int verify_cfg(const struct token_config *cfg, char *tok)
{
	struct token_identity id;
	int rc = token_verify(cfg, tok, strlen(tok), NOW, &id);

	free(tok);
	return rc;
}

static int verify(char *tok)
{
	return verify_cfg(&fx.cfg, tok);
}

/* A default-header RS256 token over claims (consumed), verified. */
static int verify_claims(json_t *claims)
{
	return verify(build_claims(HDR_RS256, claims, SIGN_RS256, fx.rsa));
}

/* A token whose header is `header`, default claims, signed as `how` with `key`. */
static int verify_header(const char *header, enum signer how, EVP_PKEY *key)
{
	return verify(build_claims(header, claims_default(), how, key));
}

/* The decoded signature of `tok` (malloc'd), its length in *n. */
static unsigned char *signature_of(const char *tok, size_t *n)
{
	const char *seg = strrchr(tok, '.') + 1;
	uint8_t *sig = NULL;

	assert_int_equal(jose_b64url_decode(seg, strlen(seg), &sig, n), 0);
	return sig;
}

/* A copy of `tok` whose signature is the `n` bytes at `sig`. */
static char *with_signature(const char *tok, const unsigned char *sig, size_t n)
{
	const char *dot = strrchr(tok, '.');
	char *s = b64url(sig, n), *out;
	size_t len = (size_t)(dot - tok) + strlen(s) + 2;

	out = malloc(len);
	assert_non_null(out);
	snprintf(out, len, "%.*s.%s", (int)(dot - tok), tok, s);
	free(s);
	return out;
}

/* Verifies `tok` with its signature replaced by the `n` bytes at `sig`. */
static int verify_sig(const char *tok, const unsigned char *sig, size_t n)
{
	return verify(with_signature(tok, sig, n));
}

/* The order of P-256 as a big number (free it). */
static BIGNUM *p256_order(void)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *n;

	assert_non_null(g);
	n = BN_dup(EC_GROUP_get0_order(g));
	assert_non_null(n);
	EC_GROUP_free(g);
	return n;
}

/* ---- fixture ------------------------------------------------------------------------ */

static char *keys_json(const char *k1, const char *a1, const char *p1, const char *k2, const char *a2,
		       const char *p2)
{
	json_t *list = json_array();
	char *s;

	json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "kid", k1, "alg", a1, "pem", p1));
	if (k2 != NULL)
		json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "kid", k2, "alg", a2, "pem", p2));
	s = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	assert_non_null(s);
	return s;
}

static int setup(void **state)
{
	char err[256];
	char *json;

	(void)state;
	fx.rsa = EVP_RSA_gen(2048);
	fx.wrong = EVP_RSA_gen(2048);
	fx.rsa1024 = EVP_RSA_gen(1024);
	fx.ec = EVP_EC_gen("P-256");
	fx.p384 = EVP_EC_gen("P-384");
	if (!fx.rsa || !fx.wrong || !fx.rsa1024 || !fx.ec || !fx.p384)
		return -1;
	fx.rsa_pub = pem_public(fx.rsa);
	fx.rsa_priv = pem_private(fx.rsa);
	fx.ec_pub = pem_public(fx.ec);
	fx.ec_priv = pem_private(fx.ec);
	fx.wrong_pub = pem_public(fx.wrong);
	fx.rsa1024_pub = pem_public(fx.rsa1024);
	fx.p384_pub = pem_public(fx.p384);
	fx.rsa_pkcs1 = pem_pkcs1(fx.rsa);

	json = keys_json("rsa1", "RS256", fx.rsa_pub, "ec1", "ES256", fx.ec_pub);
	if (token_keys_parse(json, strlen(json), &fx.keys, &fx.nkeys, err, sizeof err) != 0) {
		fprintf(stderr, "setup: %s\n", err);
		free(json);
		return -1;
	}
	free(json);
	snprintf(fx.cfg.issuer, sizeof fx.cfg.issuer, "%s", ISSUER);
	snprintf(fx.cfg.audience, sizeof fx.cfg.audience, "%s", AUDIENCE);
	snprintf(fx.cfg.hetu_claim, sizeof fx.cfg.hetu_claim, "%s", "hetu");
	snprintf(fx.cfg.acr_values, sizeof fx.cfg.acr_values, "%s", ACR_LEVELS);
	fx.cfg.skew_s = 60;
	fx.cfg.max_age_s = 600;
	fx.cfg.test_mode = 0;
	fx.cfg.keys = fx.keys;
	fx.cfg.nkeys = fx.nkeys;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	token_keys_free(fx.keys, fx.nkeys);
	EVP_PKEY_free(fx.rsa);
	EVP_PKEY_free(fx.wrong);
	EVP_PKEY_free(fx.rsa1024);
	EVP_PKEY_free(fx.ec);
	EVP_PKEY_free(fx.p384);
	free(fx.rsa_pub);
	free(fx.rsa_priv);
	free(fx.ec_pub);
	free(fx.ec_priv);
	free(fx.wrong_pub);
	free(fx.rsa1024_pub);
	free(fx.p384_pub);
	free(fx.rsa_pkcs1);
	memset(&fx, 0, sizeof fx);
	return 0;
}

/* ---- valid tokens ------------------------------------------------------------------- */

static void test_valid_rs256(void **state)
{
	struct token_identity id;
	char *tok = build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.rsa);

	(void)state;
	assert_int_equal(token_verify(&fx.cfg, tok, strlen(tok), NOW, &id), TOKEN_OK);
	assert_string_equal(id.hetu, REAL_HETU);
	assert_string_equal(id.acr, ACR_LOA2);
	assert_string_equal(id.sub, "pseudonym-123");
	assert_int_equal(id.iat, NOW - 10);
	assert_int_equal(id.exp, NOW + 300);
	assert_int_equal(id.auth_time, 0);
	free(tok);
}

static void test_valid_es256(void **state)
{
	(void)state;
	assert_int_equal(verify_header("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", SIGN_ES256, fx.ec), TOKEN_OK);
}

static void test_valid_without_typ_with_auth_time(void **state)
{
	struct token_identity id;
	json_t *c = claims_default();
	char *tok;

	(void)state;
	json_object_set_new(c, "auth_time", json_integer(NOW - 30));
	tok = build_claims("{\"kid\":\"rsa1\",\"alg\":\"RS256\"}", c, SIGN_RS256, fx.rsa);
	assert_int_equal(token_verify(&fx.cfg, tok, strlen(tok), NOW, &id), TOKEN_OK);
	assert_int_equal(id.auth_time, NOW - 30);
	free(tok);
}

static void test_length_argument_respected(void **state)
{
	struct token_identity id;
	char *tok = build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.rsa);
	size_t n = strlen(tok);
	char *longer = malloc(n + 8);

	(void)state;
	memcpy(longer, tok, n);
	memcpy(longer + n, ".x+/=\0zz", 8); /* garbage after len, no NUL at len */
	assert_int_equal(token_verify(&fx.cfg, longer, n, NOW, &id), TOKEN_OK);
	assert_int_equal(token_verify(&fx.cfg, longer, n + 2, NOW, &id), TOKEN_MALFORMED);
	free(longer);
	free(tok);
}

/* ---- algorithm attacks -------------------------------------------------------------- */

static void test_alg_rs384_refused(void **state)
{
	(void)state;
	assert_int_equal(
		verify_header("{\"alg\":\"RS384\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}", SIGN_RS384, fx.rsa),
		TOKEN_BAD_ALG);
}

static void test_alg_rs512_refused(void **state)
{
	(void)state;
	assert_int_equal(
		verify_header("{\"alg\":\"RS512\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}", SIGN_RS512, fx.rsa),
		TOKEN_BAD_ALG);
}

static void test_alg_es256_on_rsa_kid_refused(void **state)
{
	(void)state;
	assert_int_equal(
		verify_header("{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}", SIGN_ES256, fx.ec),
		TOKEN_BAD_ALG);
}

static void test_alg_rs256_on_ec_kid_refused(void **state)
{
	(void)state;
	assert_int_equal(
		verify_header("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"ec1\"}", SIGN_RS256, fx.rsa),
		TOKEN_BAD_ALG);
}

static void test_alg_lowercase_refused(void **state)
{
	(void)state;
	/* libjwt itself matches alg case-insensitively; we do not. */
	assert_int_equal(
		verify_header("{\"alg\":\"rs256\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}", SIGN_RS256, fx.rsa),
		TOKEN_BAD_ALG);
}

static void test_alg_none_refused(void **state)
{
	(void)state;
	assert_int_equal(
		verify_header("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}", SIGN_NONE, NULL),
		TOKEN_BAD_ALG);
}

static void test_alg_hs256_confusion_refused(void **state)
{
	const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}";
	char *tok = build_claims(hdr, claims_default(), SIGN_HS256, NULL);
	jwt_t *raw = NULL;

	(void)state;
	/* The forgery is real: bare libjwt 1.10.2 accepts it with the RSA public-key PEM. */
	assert_int_equal(
		jwt_decode(&raw, tok, (const unsigned char *)fx.keys[0].pem, (int)fx.keys[0].pem_len), 0);
	assert_int_equal(jwt_get_alg(raw), JWT_ALG_HS256);
	jwt_free(raw);
	assert_int_equal(verify(tok), TOKEN_BAD_ALG);
}

static void test_alg_missing(void **state)
{
	(void)state;
	assert_int_equal(verify_header("{\"typ\":\"JWT\",\"kid\":\"rsa1\"}", SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
	assert_int_equal(verify_header("{\"alg\":[\"RS256\"],\"kid\":\"rsa1\"}", SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
}

/* ---- signature ---------------------------------------------------------------------- */

static void test_signature_wrong_key(void **state)
{
	(void)state;
	assert_int_equal(verify_header(HDR_RS256, SIGN_RS256, fx.wrong), TOKEN_BAD_SIGNATURE);
}

static void test_tampered_payload(void **state)
{
	json_t *other = claims_default();
	char *tok = build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.rsa);
	char *payload, *b, *out;
	char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
	size_t n;

	(void)state;
	json_object_set_new(other, "hetu", json_string("290793V6787"));
	payload = json_dumps(other, JSON_COMPACT);
	b = b64url((const unsigned char *)payload, strlen(payload));
	n = strlen(tok) + strlen(b) + 1;
	out = malloc(n);
	snprintf(out, n, "%.*s.%s%s", (int)(dot1 - tok), tok, b, dot2);
	/* Original header and signature around another person's payload. */
	assert_int_equal(verify(out), TOKEN_BAD_SIGNATURE);
	free(payload);
	free(b);
	json_decref(other);
	free(tok);
}

static void test_tampered_signature(void **state)
{
	char *tok = build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.rsa);
	char *sig = strrchr(tok, '.') + 10;

	(void)state;
	*sig = *sig == 'A' ? 'B' : 'A';
	assert_int_equal(verify(tok), TOKEN_BAD_SIGNATURE);
}

static void test_empty_signature(void **state)
{
	(void)state;
	assert_int_equal(verify_header(HDR_RS256, SIGN_NONE, NULL), TOKEN_BAD_SIGNATURE);
}

static void test_signature_non_canonical_base64(void **state)
{
	char *tok = build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.rsa);
	char *last = tok + strlen(tok) - 1;

	(void)state;
	/* 256-byte signature: 342 characters, the last carrying 4 unused bits. */
	assert_true(*last == 'A' || *last == 'Q' || *last == 'g' || *last == 'w');
	*last = (char)(*last + 1);
	assert_int_equal(verify(tok), TOKEN_MALFORMED);
}

static void test_rsa_signature_lengths(void **state)
{
	char *tok = build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.rsa);
	unsigned char buf[260];
	size_t n;
	unsigned char *sig = signature_of(tok, &n);

	(void)state;
	assert_int_equal(n, 256);
	assert_int_equal(verify_sig(tok, sig, 256), TOKEN_OK); /* the edits below are what is refused */
	assert_int_equal(verify_sig(tok, sig, 255), TOKEN_BAD_SIGNATURE); /* one byte short */
	memcpy(buf, sig, 256);
	buf[256] = 0;
	assert_int_equal(verify_sig(tok, buf, 257), TOKEN_BAD_SIGNATURE); /* one byte long */
	buf[0] = 0;
	memcpy(buf + 1, sig, 256);
	assert_int_equal(verify_sig(tok, buf, 257), TOKEN_BAD_SIGNATURE); /* same number, leading zero */
	assert_int_equal(verify_sig(tok, sig, 64), TOKEN_BAD_SIGNATURE);  /* ES256-sized */
	assert_int_equal(verify_sig(tok, sig, 1), TOKEN_BAD_SIGNATURE);
	memcpy(buf, sig, 256);
	memcpy(buf + 256, sig, 4);
	assert_int_equal(verify_sig(tok, buf, 260), TOKEN_BAD_SIGNATURE);
	memset(buf, 0xff, 256); /* above the modulus */
	assert_int_equal(verify_sig(tok, buf, 256), TOKEN_BAD_SIGNATURE);
	memset(buf, 0, 256);
	assert_int_equal(verify_sig(tok, buf, 256), TOKEN_BAD_SIGNATURE);
	buf[255] = 1;
	assert_int_equal(verify_sig(tok, buf, 256), TOKEN_BAD_SIGNATURE);
	free(sig);
	free(tok);
}

/* A valid RSA signature whose first byte is zero, sent without it (the same number in 255
 * bytes), is refused: RS256 signatures are exactly as long as the modulus. */
static void test_rsa_signature_without_leading_zero(void **state)
{
	unsigned char *sig = NULL;
	char *tok = NULL;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 4096; i++) { /* about 1 in 256 signatures starts with a zero byte */
		json_t *c = claims_default();

		json_object_set_new(c, "jti", json_integer(i));
		tok = build_claims(HDR_RS256, c, SIGN_RS256, fx.rsa);
		sig = signature_of(tok, &n);
		if (sig[0] == 0)
			break;
		free(sig);
		free(tok);
		sig = NULL;
		tok = NULL;
	}
	assert_non_null(tok);
	assert_int_equal(verify_sig(tok, sig, n), TOKEN_OK);
	assert_int_equal(verify_sig(tok, sig + 1, n - 1), TOKEN_BAD_SIGNATURE);
	free(sig);
	free(tok);
}

static void test_es256_signature_lengths(void **state)
{
	char *tok = build_claims(HDR_ES256, claims_default(), SIGN_ES256, fx.ec);
	unsigned char buf[300] = { 0 };
	size_t n;
	unsigned char *raw = signature_of(tok, &n);

	(void)state;
	assert_int_equal(n, 64);
	assert_int_equal(verify_sig(tok, raw, 64), TOKEN_OK);
	assert_int_equal(verify_sig(tok, raw, 63), TOKEN_BAD_SIGNATURE); /* one byte short */
	memcpy(buf, raw, 64);
	assert_int_equal(verify_sig(tok, buf, 65), TOKEN_BAD_SIGNATURE); /* one byte long */
	buf[0] = 0;
	memcpy(buf + 1, raw, 64);
	assert_int_equal(verify_sig(tok, buf, 65), TOKEN_BAD_SIGNATURE); /* leading zero */
	memset(buf, 0, sizeof buf); /* r and s as 33-byte numbers with leading zeros */
	memcpy(buf + 1, raw, 32);
	memcpy(buf + 34, raw + 32, 32);
	assert_int_equal(verify_sig(tok, buf, 66), TOKEN_BAD_SIGNATURE);
	assert_int_equal(verify_sig(tok, raw, 32), TOKEN_BAD_SIGNATURE); /* r alone */
	assert_int_equal(verify_sig(tok, NULL, 0), TOKEN_BAD_SIGNATURE);
	assert_int_equal(verify_sig(tok, buf, 256), TOKEN_BAD_SIGNATURE); /* RSA-sized */
	free(raw);
	free(tok);
}

/* The DER form OpenSSL makes is refused where JOSE's raw r||s is required (RFC 7518 §3.4),
 * both as a fresh DER signature and as the DER re-encoding of a valid raw one. */
static void test_es256_der_signature_refused(void **state)
{
	char *tok = build_claims(HDR_ES256, claims_default(), SIGN_ES256, fx.ec);
	unsigned char *raw, *der = NULL;
	ECDSA_SIG *es = ECDSA_SIG_new();
	size_t n;
	int len;

	(void)state;
	assert_int_equal(verify_header(HDR_ES256, SIGN_ES256_DER, fx.ec), TOKEN_BAD_SIGNATURE);
	raw = signature_of(tok, &n);
	assert_int_equal(n, 64);
	assert_non_null(es);
	assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL)), 1);
	len = i2d_ECDSA_SIG(es, &der);
	assert_true(len > 0 && len != 64);
	assert_int_equal(verify_sig(tok, der, (size_t)len), TOKEN_BAD_SIGNATURE);
	assert_int_equal(verify_sig(tok, raw, 64), TOKEN_OK);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	free(raw);
	free(tok);
}

/* r and s must be in [1, n-1]: zero, the group order and all-ones are refused. */
static void test_es256_scalar_ranges(void **state)
{
	char *tok = build_claims(HDR_ES256, claims_default(), SIGN_ES256, fx.ec);
	BIGNUM *order = p256_order();
	unsigned char buf[64], nbytes[32];
	size_t n;
	unsigned char *raw = signature_of(tok, &n);

	(void)state;
	assert_int_equal(BN_bn2binpad(order, nbytes, 32), 32);
	memcpy(buf, raw, 64);
	memset(buf, 0, 32); /* r = 0 */
	assert_int_equal(verify_sig(tok, buf, 64), TOKEN_BAD_SIGNATURE);
	memcpy(buf, raw, 64);
	memset(buf + 32, 0, 32); /* s = 0 */
	assert_int_equal(verify_sig(tok, buf, 64), TOKEN_BAD_SIGNATURE);
	memcpy(buf, nbytes, 32); /* r = n */
	memcpy(buf + 32, raw + 32, 32);
	assert_int_equal(verify_sig(tok, buf, 64), TOKEN_BAD_SIGNATURE);
	memcpy(buf, raw, 32); /* s = n */
	memcpy(buf + 32, nbytes, 32);
	assert_int_equal(verify_sig(tok, buf, 64), TOKEN_BAD_SIGNATURE);
	memset(buf, 0xff, 64);
	assert_int_equal(verify_sig(tok, buf, 64), TOKEN_BAD_SIGNATURE);
	BN_free(order);
	free(raw);
	free(tok);
}

/*
 * ECDSA signatures are malleable: (r, n - s) verifies wherever (r, s) does. RFC 7518 asks
 * for no low-s form and identity providers do not normalise, so refusing "high s" would
 * refuse about half of all genuine ES256 tokens; both forms are accepted. Nothing keys on
 * the signature bytes (a bank token arrives over the back channel and is bound by the
 * single-use nonce), so the second spelling gains an attacker nothing.
 */
static void test_es256_high_s_accepted(void **state)
{
	char *tok = build_claims(HDR_ES256, claims_default(), SIGN_ES256, fx.ec);
	BIGNUM *order = p256_order(), *s;
	unsigned char buf[64];
	size_t n;
	unsigned char *raw = signature_of(tok, &n);

	(void)state;
	s = BN_bin2bn(raw + 32, 32, NULL);
	assert_non_null(s);
	assert_int_equal(BN_sub(s, order, s), 1);
	memcpy(buf, raw, 32);
	assert_int_equal(BN_bn2binpad(s, buf + 32, 32), 32);
	assert_memory_not_equal(buf, raw, 64);
	assert_int_equal(verify_sig(tok, buf, 64), TOKEN_OK);
	buf[63] ^= 1;
	assert_int_equal(verify_sig(tok, buf, 64), TOKEN_BAD_SIGNATURE);
	BN_free(s);
	BN_free(order);
	free(raw);
	free(tok);
}

/* The payload is not parsed before its signature verifies: unsigned garbage is a bad
 * signature, the same garbage signed is malformed. */
static void test_payload_parsed_after_signature(void **state)
{
	EVP_PKEY *other_ec = EVP_EC_gen("P-256");

	(void)state;
	assert_non_null(other_ec);
	assert_int_equal(verify(build(HDR_RS256, "{\"iss\":", SIGN_RS256, fx.wrong)), TOKEN_BAD_SIGNATURE);
	assert_int_equal(verify(build(HDR_RS256, "{\"iss\":", SIGN_RS256, fx.rsa)), TOKEN_MALFORMED);
	assert_int_equal(verify(build(HDR_ES256, "[]", SIGN_ES256, other_ec)), TOKEN_BAD_SIGNATURE);
	assert_int_equal(verify(build(HDR_ES256, "[]", SIGN_ES256, fx.ec)), TOKEN_MALFORMED);
	EVP_PKEY_free(other_ec);
}

/* A key that did not come from token_keys_parse (no parsed key or context) is refused. */
static void test_key_without_parsed_form(void **state)
{
	struct token_config cfg = fx.cfg;
	struct token_key k[2];

	(void)state;
	memcpy(k, fx.keys, sizeof k);
	k[0].verify_ctx = NULL;
	k[1].pkey = NULL;
	cfg.keys = k;
	assert_int_equal(verify_cfg(&cfg, build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.rsa)),
			 TOKEN_BAD_CONFIG);
	assert_int_equal(verify_cfg(&cfg, build_claims(HDR_ES256, claims_default(), SIGN_ES256, fx.ec)),
			 TOKEN_BAD_CONFIG);
}

/* A refused signature leaves no OpenSSL error behind and keeps the caller's earlier ones. */
static void test_openssl_error_queue(void **state)
{
	unsigned long e;

	(void)state;
	ERR_clear_error();
	ERR_raise(ERR_LIB_USER, 42);
	e = ERR_peek_last_error();
	assert_int_equal(verify_header(HDR_RS256, SIGN_RS256, fx.wrong), TOKEN_BAD_SIGNATURE);
	assert_int_equal(verify_header(HDR_ES256, SIGN_ES256_DER, fx.ec), TOKEN_BAD_SIGNATURE);
	assert_int_equal(verify_header(HDR_RS256, SIGN_RS256, fx.rsa), TOKEN_OK);
	assert_int_equal(ERR_get_error(), e);
	assert_int_equal(ERR_get_error(), 0);
}

struct verify_thread {
	const char *good, *bad;
	int failures;
};

/* Verifies a good and a bad token many times with the shared fixture keys. */
static void *verify_thread_run(void *arg)
{
	struct verify_thread *t = arg;
	struct token_identity id;

	for (int i = 0; i < 200; i++) {
		t->failures += token_verify(&fx.cfg, t->good, strlen(t->good), NOW, &id) != TOKEN_OK;
		t->failures += token_verify(&fx.cfg, t->bad, strlen(t->bad), NOW, &id) != TOKEN_BAD_SIGNATURE;
	}
	return NULL;
}

/* token_verify runs on the core thread and the OIDC worker with the same keys at once. */
static void test_concurrent_verify(void **state)
{
	struct verify_thread t[4];
	pthread_t th[4];
	char *tokens[4];

	(void)state;
	tokens[0] = build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.rsa);
	tokens[1] = build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.wrong);
	tokens[2] = build_claims(HDR_ES256, claims_default(), SIGN_ES256, fx.ec);
	tokens[3] = build_claims(HDR_ES256, claims_default(), SIGN_ES256_DER, fx.ec);
	for (int i = 0; i < 4; i++) {
		t[i].good = tokens[(i % 2) * 2];
		t[i].bad = tokens[(i % 2) * 2 + 1];
		t[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, verify_thread_run, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(t[i].failures, 0);
	}
	for (int i = 0; i < 4; i++)
		free(tokens[i]);
}

/* ---- header ------------------------------------------------------------------------- */

static void test_unknown_kid(void **state)
{
	(void)state;
	assert_int_equal(
		verify_header("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa2\"}", SIGN_RS256, fx.rsa),
		TOKEN_UNKNOWN_KID);
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\\u0000x\"}", SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER); /* jansson refuses \u0000 by default */
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"kid\":\"RSA1\"}", SIGN_RS256, fx.rsa),
			 TOKEN_UNKNOWN_KID);
}

static void test_missing_kid(void **state)
{
	(void)state;
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"kid\":1}", SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"kid\":\"\"}", SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
}

static void test_typ_not_jwt(void **state)
{
	(void)state;
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"typ\":\"JOSE+JSON\",\"kid\":\"rsa1\"}",
				       SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
	assert_int_equal(
		verify_header("{\"alg\":\"RS256\",\"typ\":\"jwt\",\"kid\":\"rsa1\"}", SIGN_RS256, fx.rsa),
		TOKEN_BAD_HEADER);
	assert_int_equal(
		verify_header("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"rsa1\"}", SIGN_RS256, fx.rsa),
		TOKEN_BAD_HEADER);
}

static void test_crit_header(void **state)
{
	(void)state;
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"crit\":[\"exp\"],\"exp\":1}",
				       SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
}

static void test_key_url_headers(void **state)
{
	(void)state;
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"jku\":\"https://x\"}",
				       SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"x5u\":\"https://x\"}",
				       SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"jwk\":{}}", SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"x5c\":[]}", SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
}

static void test_duplicate_header_keys(void **state)
{
	(void)state;
	assert_int_equal(
		verify_header("{\"alg\":\"HS256\",\"kid\":\"rsa1\",\"alg\":\"RS256\"}", SIGN_RS256, fx.rsa),
		TOKEN_BAD_HEADER);
	assert_int_equal(
		verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"kid\":\"rsa1\"}", SIGN_RS256, fx.rsa),
		TOKEN_BAD_HEADER);
}

static void test_header_not_object(void **state)
{
	(void)state;
	assert_int_equal(verify_header("[\"RS256\"]", SIGN_RS256, fx.rsa), TOKEN_BAD_HEADER);
	assert_int_equal(verify_header("{\"alg\":\"RS256\",", SIGN_RS256, fx.rsa), TOKEN_BAD_HEADER);
	assert_int_equal(verify_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\"} x", SIGN_RS256, fx.rsa),
			 TOKEN_BAD_HEADER);
}

/* ---- claims ------------------------------------------------------------------------- */

static void test_wrong_issuer(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "iss", json_string("https://evil.example.test"));
	assert_int_equal(verify_claims(c), TOKEN_BAD_ISSUER);
	c = claims_default();
	json_object_set_new(c, "iss", json_string(ISSUER "/"));
	assert_int_equal(verify_claims(c), TOKEN_BAD_ISSUER);
	c = claims_default();
	json_object_del(c, "iss");
	assert_int_equal(verify_claims(c), TOKEN_BAD_ISSUER);
	c = claims_default();
	json_object_set_new(c, "iss", json_pack("[s]", ISSUER));
	assert_int_equal(verify_claims(c), TOKEN_BAD_ISSUER);
}

static void test_wrong_audience(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "aud", json_string("someone-else"));
	assert_int_equal(verify_claims(c), TOKEN_BAD_AUDIENCE);
	c = claims_default();
	json_object_del(c, "aud");
	assert_int_equal(verify_claims(c), TOKEN_BAD_AUDIENCE);
	c = claims_default();
	json_object_set_new(c, "aud", json_array());
	assert_int_equal(verify_claims(c), TOKEN_BAD_AUDIENCE);
	c = claims_default();
	json_object_set_new(c, "aud", json_pack("[s]", "someone-else"));
	assert_int_equal(verify_claims(c), TOKEN_BAD_AUDIENCE);
	c = claims_default();
	json_object_set_new(c, "aud", json_pack("[s,i]", AUDIENCE, 1));
	json_object_set_new(c, "azp", json_string(AUDIENCE));
	assert_int_equal(verify_claims(c), TOKEN_BAD_AUDIENCE);
}

static void test_audience_array_without_azp(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "aud", json_pack("[s,s]", AUDIENCE, "other-rp"));
	assert_int_equal(verify_claims(c), TOKEN_BAD_AUDIENCE);
}

static void test_audience_array_with_wrong_azp(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "aud", json_pack("[s,s]", AUDIENCE, "other-rp"));
	json_object_set_new(c, "azp", json_string("other-rp"));
	assert_int_equal(verify_claims(c), TOKEN_BAD_AUDIENCE);
}

static void test_audience_arrays_accepted(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "aud", json_pack("[s]", AUDIENCE));
	assert_int_equal(verify_claims(c), TOKEN_OK);
	c = claims_default();
	json_object_set_new(c, "aud", json_pack("[s,s]", AUDIENCE, AUDIENCE));
	json_object_set_new(c, "azp", json_string(AUDIENCE));
	assert_int_equal(verify_claims(c), TOKEN_OK);
}

/* OpenID Connect Core 3.1.3.7: a token that also names an audience we do not trust is
 * refused, even when azp is ours, whatever the order. */
static void test_audience_other_beside_ours_refused(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "aud", json_pack("[s,s]", "other-rp", AUDIENCE));
	json_object_set_new(c, "azp", json_string(AUDIENCE));
	assert_int_equal(verify_claims(c), TOKEN_BAD_AUDIENCE);
	c = claims_default();
	json_object_set_new(c, "aud", json_pack("[s,s]", AUDIENCE, "other-rp"));
	json_object_set_new(c, "azp", json_string(AUDIENCE));
	assert_int_equal(verify_claims(c), TOKEN_BAD_AUDIENCE);
	c = claims_default();
	json_object_set_new(c, "aud", json_pack("[s,s,s]", AUDIENCE, AUDIENCE, AUDIENCE "x"));
	json_object_set_new(c, "azp", json_string(AUDIENCE));
	assert_int_equal(verify_claims(c), TOKEN_BAD_AUDIENCE);
}

static void test_expired(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "exp", json_integer(NOW - 61));
	assert_int_equal(verify_claims(c), TOKEN_EXPIRED);
}

static void test_expired_within_skew(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "exp", json_integer(NOW - 60));
	assert_int_equal(verify_claims(c), TOKEN_OK);
}

static void test_nbf_in_future(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "nbf", json_integer(NOW + 61));
	assert_int_equal(verify_claims(c), TOKEN_NOT_YET_VALID);
	c = claims_default();
	json_object_set_new(c, "nbf", json_integer(NOW + 60));
	assert_int_equal(verify_claims(c), TOKEN_OK);
}

static void test_iat_in_future(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "iat", json_integer(NOW + 61));
	assert_int_equal(verify_claims(c), TOKEN_NOT_YET_VALID);
	c = claims_default();
	json_object_set_new(c, "iat", json_integer(NOW + 60));
	assert_int_equal(verify_claims(c), TOKEN_OK);
}

static void test_auth_time_in_future(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "auth_time", json_integer(NOW + 61));
	assert_int_equal(verify_claims(c), TOKEN_NOT_YET_VALID);
	c = claims_default();
	json_object_set_new(c, "auth_time", json_string("yesterday"));
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
}

static void test_iat_too_old(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "iat", json_integer(NOW - 601));
	assert_int_equal(verify_claims(c), TOKEN_TOO_OLD);
	c = claims_default();
	json_object_set_new(c, "iat", json_integer(NOW - 600));
	assert_int_equal(verify_claims(c), TOKEN_OK);
}

static void test_time_claim_types(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "exp", json_string("1795000300"));
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
	c = claims_default();
	json_object_set_new(c, "exp", json_real(1795000300.0));
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
	c = claims_default();
	json_object_set_new(c, "exp", json_true());
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
	c = claims_default();
	json_object_del(c, "exp");
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
	c = claims_default();
	json_object_del(c, "iat");
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
	c = claims_default();
	json_object_set_new(c, "iat", json_real(1795000000.5));
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
	c = claims_default();
	json_object_set_new(c, "nbf", json_string("0"));
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
}

static void test_time_claim_ranges(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "exp", json_integer(INT64_MAX));
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
	c = claims_default();
	json_object_set_new(c, "iat", json_integer(INT64_MIN));
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
	c = claims_default();
	json_object_set_new(c, "exp", json_integer(-1));
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
	/* Larger than any JSON integer jansson holds: the payload does not parse. */
	assert_int_equal(verify(build("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}",
				      "{\"exp\":99999999999999999999999}", SIGN_RS256, fx.rsa)),
			 TOKEN_MALFORMED);
}

static void test_missing_acr(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_del(c, "acr");
	assert_int_equal(verify_claims(c), TOKEN_BAD_ACR);
	c = claims_default();
	json_object_set_new(c, "acr", json_integer(2));
	assert_int_equal(verify_claims(c), TOKEN_BAD_ACR);
}

static void test_acr_low_refused(void **state)
{
	static const char *const low[] = {
		"low",
		"http://ftn.ficora.fi/2017/loa1",
		"http://eidas.europa.eu/LoA/low",
		"http://ftn.ficora.fi/2017/loa2 ",
		"HTTP://FTN.FICORA.FI/2017/LOA2",
		"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof low / sizeof low[0]; i++) {
		json_t *c = claims_default();

		json_object_set_new(c, "acr", json_string(low[i]));
		assert_int_equal(verify_claims(c), TOKEN_BAD_ACR);
	}
}

static void test_acr_loatest_in_production(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "acr", json_string("http://ftn.ficora.fi/2017/loatest2"));
	assert_int_equal(verify_claims(c), TOKEN_BAD_ACR);
	c = claims_default();
	json_object_set_new(c, "acr", json_string("http://ftn.ficora.fi/2017/loatest3"));
	assert_int_equal(verify_claims(c), TOKEN_BAD_ACR);
}

static void test_acr_accepted_levels(void **state)
{
	static const char *const ok[] = {
		"http://ftn.ficora.fi/2017/loa2",
		"http://ftn.ficora.fi/2017/loa3",
		"http://eidas.europa.eu/LoA/substantial",
		"http://eidas.europa.eu/LoA/high",
	};

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		json_t *c = claims_default();

		json_object_set_new(c, "acr", json_string(ok[i]));
		assert_int_equal(verify_claims(c), TOKEN_OK);
	}
}

static void test_test_mode(void **state)
{
	static const char *const ok[] = {
		"http://ftn.ficora.fi/2017/loatest2",
		"http://ftn.ficora.fi/2017/loatest3",
		"http://ftn.ficora.fi/2017/loa2",
		"http://ftn.ficora.fi/2017/loa3",
	};
	struct token_config cfg = fx.cfg;

	(void)state;
	cfg.test_mode = 1;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		json_t *c = claims_default();

		json_object_set_new(c, "acr", json_string(ok[i]));
		json_object_set_new(c, "hetu", json_string(TEST_HETU));
		assert_int_equal(verify_cfg(&cfg, build_claims(HDR_RS256, c, SIGN_RS256, fx.rsa)), TOKEN_OK);
	}
}

/* The verdict on `acr` under `levels` (the configured acr_values) in the given mode. */
static int verify_acr(const char *levels, int test_mode, const char *acr)
{
	struct token_config cfg = fx.cfg;
	json_t *c = claims_default();

	snprintf(cfg.acr_values, sizeof cfg.acr_values, "%s", levels);
	cfg.test_mode = test_mode;
	json_object_set_new(c, "acr", json_string(acr));
	if (test_mode)
		json_object_set_new(c, "hetu", json_string(TEST_HETU));
	return verify_cfg(&cfg, build_claims(HDR_RS256, c, SIGN_RS256, fx.rsa));
}

/* Only the configured levels: with loa3 configured, loa2 and eIDAS substantial (and even
 * eIDAS high, not configured) are refused; in test mode loatest3 stands in for loa3, but
 * loatest2 does not, and a test-bed level is never accepted outside test mode. */
static void test_acr_only_configured_levels(void **state)
{
	const char *loa3 = "http://ftn.ficora.fi/2017/loa3";

	(void)state;
	assert_int_equal(verify_acr(loa3, 0, "http://ftn.ficora.fi/2017/loa3"), TOKEN_OK);
	assert_int_equal(verify_acr(loa3, 0, "http://ftn.ficora.fi/2017/loa2"), TOKEN_BAD_ACR);
	assert_int_equal(verify_acr(loa3, 0, "http://eidas.europa.eu/LoA/substantial"), TOKEN_BAD_ACR);
	assert_int_equal(verify_acr(loa3, 0, "http://eidas.europa.eu/LoA/high"), TOKEN_BAD_ACR);
	assert_int_equal(verify_acr(loa3, 0, "http://ftn.ficora.fi/2017/loatest3"), TOKEN_BAD_ACR);
	assert_int_equal(verify_acr(loa3, 1, "http://ftn.ficora.fi/2017/loatest3"), TOKEN_OK);
	assert_int_equal(verify_acr(loa3, 1, "http://ftn.ficora.fi/2017/loa3"), TOKEN_OK);
	assert_int_equal(verify_acr(loa3, 1, "http://ftn.ficora.fi/2017/loatest2"), TOKEN_BAD_ACR);
	assert_int_equal(verify_acr(loa3, 1, "http://ftn.ficora.fi/2017/loa2"), TOKEN_BAD_ACR);
	/* a list of levels; a word is matched whole, not as a prefix or a part */
	assert_int_equal(verify_acr("http://ftn.ficora.fi/2017/loa2  http://eidas.europa.eu/LoA/substantial",
				    0, "http://eidas.europa.eu/LoA/substantial"),
			 TOKEN_OK);
	assert_int_equal(verify_acr("http://ftn.ficora.fi/2017/loa2 http://eidas.europa.eu/LoA/substantial",
				    0,
				    "http://ftn.ficora.fi/2017/loa2 http://eidas.europa.eu/LoA/substantial"),
			 TOKEN_BAD_ACR);
	assert_int_equal(verify_acr(loa3, 0, "http://ftn.ficora.fi/2017/loa"), TOKEN_BAD_ACR);
	assert_int_equal(verify_acr(loa3, 0, "ftn.ficora.fi/2017/loa3"), TOKEN_BAD_ACR);
	/* a test-bed level configured outside test mode is still refused */
	assert_int_equal(
		verify_acr("http://ftn.ficora.fi/2017/loatest2", 0, "http://ftn.ficora.fi/2017/loatest2"),
		TOKEN_BAD_ACR);
}

static void test_invalid_hetu(void **state)
{
	static const char *const bad[] = {
		"131052-308U", "131052-308t", "131052-308", "131052-308TT", "310252-308T", "131052 308T", "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *c = claims_default();

		json_object_set_new(c, "hetu", json_string(bad[i]));
		assert_int_equal(verify_claims(c), TOKEN_BAD_IDENTITY);
	}
}

static void test_test_hetu_in_production(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "hetu", json_string(TEST_HETU));
	assert_int_equal(verify_claims(c), TOKEN_BAD_IDENTITY);
}

static void test_real_hetu_in_test_mode(void **state)
{
	struct token_config cfg = fx.cfg;
	json_t *c = claims_default();

	(void)state;
	cfg.test_mode = 1;
	assert_int_equal(verify_cfg(&cfg, build_claims(HDR_RS256, c, SIGN_RS256, fx.rsa)),
			 TOKEN_BAD_IDENTITY);
}

static void test_hetu_born_after_today(void **state)
{
	json_t *c = claims_default();

	(void)state;
	/* 19.11.2026 is the day after NOW's date (18.11.2026); born on NOW's date is fine. */
	json_object_set_new(c, "hetu", json_string("191126A002W"));
	assert_int_equal(verify_claims(c), TOKEN_BAD_IDENTITY);
	c = claims_default();
	json_object_set_new(c, "hetu", json_string("181126A0028"));
	assert_int_equal(verify_claims(c), TOKEN_OK);
}

static void test_missing_hetu(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_del(c, "hetu");
	assert_int_equal(verify_claims(c), TOKEN_NO_IDENTITY);
}

static void test_hetu_as_number(void **state)
{
	json_t *c = claims_default();

	(void)state;
	json_object_set_new(c, "hetu", json_integer(131052308));
	assert_int_equal(verify_claims(c), TOKEN_BAD_IDENTITY);
	c = claims_default();
	json_object_set_new(c, "hetu", json_pack("[s]", REAL_HETU));
	assert_int_equal(verify_claims(c), TOKEN_BAD_IDENTITY);
	c = claims_default();
	json_object_set_new(c, "hetu", json_null());
	assert_int_equal(verify_claims(c), TOKEN_BAD_IDENTITY);
}

static void test_hetu_claim_name(void **state)
{
	struct token_config cfg = fx.cfg;
	json_t *c = claims_default();
	struct token_identity id;
	char *tok;

	(void)state;
	snprintf(cfg.hetu_claim, sizeof cfg.hetu_claim, "%s", "urn:oid:1.2.246.21");
	json_object_del(c, "hetu");
	json_object_set_new(c, "urn:oid:1.2.246.21", json_string("290793V6787"));
	tok = build_claims(HDR_RS256, c, SIGN_RS256, fx.rsa);
	assert_int_equal(token_verify(&cfg, tok, strlen(tok), NOW, &id), TOKEN_OK);
	assert_string_equal(id.hetu, "290793V6787");
	/* The default config looks for "hetu" and does not find it. */
	assert_int_equal(verify(tok), TOKEN_NO_IDENTITY);
}

/* The name of given_name and family_name (optional): both, either, or none of a bad kind. */
static const char *name_of(json_t *given, json_t *family, struct token_identity *id)
{
	json_t *c = claims_default();
	char *tok;

	if (given != NULL)
		json_object_set_new(c, "given_name", given);
	if (family != NULL)
		json_object_set_new(c, "family_name", family);
	tok = build_claims(HDR_RS256, c, SIGN_RS256, fx.rsa);
	assert_int_equal(token_verify(&fx.cfg, tok, strlen(tok), NOW, id), TOKEN_OK);
	free(tok);
	return id->name;
}

static void test_name_claims(void **state)
{
	struct token_identity id;
	char longest[300];

	(void)state;
	assert_string_equal(name_of(json_string("Aino"), json_string("Testinen"), &id), "Aino Testinen");
	assert_string_equal(name_of(NULL, json_string("Testinen"), &id), "Testinen");
	assert_string_equal(name_of(json_string("Aino"), NULL, &id), "Aino");
	assert_string_equal(name_of(NULL, NULL, &id), "");
	/* Not a string, empty, a control character: that part is left out; the login still works. */
	assert_string_equal(name_of(json_integer(7), json_string("Testinen"), &id), "Testinen");
	assert_string_equal(name_of(json_string(""), json_string("Testinen"), &id), "Testinen");
	assert_string_equal(name_of(json_string("Aino\nX"), json_string("Testinen"), &id), "Testinen");
	/* Too long for the name as a whole: no name at all. */
	memset(longest, 'a', sizeof longest - 1);
	longest[sizeof longest - 1] = '\0';
	assert_string_equal(name_of(json_string(longest), json_string("Testinen"), &id), "");
}

static void test_duplicate_claims(void **state)
{
	char payload[512];

	(void)state;
	snprintf(payload, sizeof payload,
		 "{\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%lld,\"iat\":%lld,\"acr\":\"%s\","
		 "\"hetu\":\"%s\",\"hetu\":\"%s\"}",
		 ISSUER, AUDIENCE, NOW + 300, NOW - 10, ACR_LOA2, "290793V6787", REAL_HETU);
	assert_int_equal(verify(build(HDR_RS256, payload, SIGN_RS256, fx.rsa)), TOKEN_MALFORMED);
	snprintf(payload, sizeof payload,
		 "{\"iss\":\"x\",\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%lld,\"iat\":%lld,"
		 "\"acr\":\"%s\",\"hetu\":\"%s\"}",
		 ISSUER, AUDIENCE, NOW + 300, NOW - 10, ACR_LOA2, REAL_HETU);
	assert_int_equal(verify(build(HDR_RS256, payload, SIGN_RS256, fx.rsa)), TOKEN_MALFORMED);
}

static void test_payload_not_object(void **state)
{
	(void)state;
	assert_int_equal(verify(build(HDR_RS256, "[1,2]", SIGN_RS256, fx.rsa)), TOKEN_MALFORMED);
	assert_int_equal(verify(build(HDR_RS256, "\"hello\"", SIGN_RS256, fx.rsa)), TOKEN_MALFORMED);
	assert_int_equal(verify(build(HDR_RS256, "{\"iss\":", SIGN_RS256, fx.rsa)), TOKEN_MALFORMED);
}

static void test_sub(void **state)
{
	char longsub[300];
	json_t *c = claims_default();
	struct token_identity id;
	char *tok;

	(void)state;
	memset(longsub, 's', sizeof longsub);
	longsub[256] = '\0';
	json_object_set_new(c, "sub", json_string(longsub));
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
	longsub[255] = '\0';
	c = claims_default();
	json_object_set_new(c, "sub", json_string(longsub));
	assert_int_equal(verify_claims(c), TOKEN_OK);
	c = claims_default();
	json_object_set_new(c, "sub", json_integer(5));
	assert_int_equal(verify_claims(c), TOKEN_MALFORMED);
	c = claims_default();
	json_object_del(c, "sub");
	tok = build_claims(HDR_RS256, c, SIGN_RS256, fx.rsa);
	assert_int_equal(token_verify(&fx.cfg, tok, strlen(tok), NOW, &id), TOKEN_OK);
	assert_string_equal(id.sub, "");
	free(tok);
}

/* ---- structure ---------------------------------------------------------------------- */

static void test_four_segments(void **state)
{
	char *tok = build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.rsa);
	size_t n = strlen(tok);
	char *four = malloc(n + 6);

	(void)state;
	snprintf(four, n + 6, "%s.AAAA", tok);
	assert_int_equal(verify(four), TOKEN_MALFORMED);
	four = malloc(n + 2);
	snprintf(four, n + 2, "%s.", tok);
	assert_int_equal(verify(four), TOKEN_MALFORMED);
	*strrchr(tok, '.') = '\0'; /* two segments */
	assert_int_equal(verify(tok), TOKEN_MALFORMED);
}

static void test_non_base64url(void **state)
{
	static const char bad[] = { '+', '/', '=', ' ', '\n', '%', '\x80' };
	char *tok = build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.rsa);
	size_t n = strlen(tok);
	struct token_identity id;

	(void)state;
	for (size_t i = 0; i < sizeof bad; i++) {
		char *copy = strdup(tok);

		copy[20] = bad[i];
		assert_int_equal(token_verify(&fx.cfg, copy, n, NOW, &id), TOKEN_MALFORMED);
		free(copy);
	}
	{
		char *copy = strdup(tok);

		copy[20] = '\0'; /* an embedded NUL inside len */
		assert_int_equal(token_verify(&fx.cfg, copy, n, NOW, &id), TOKEN_MALFORMED);
		free(copy);
	}
	{
		char *padded = malloc(n + 3);

		snprintf(padded, n + 3, "%s==", tok);
		assert_int_equal(verify(padded), TOKEN_MALFORMED);
	}
	free(tok);
}

static void test_empty_segments(void **state)
{
	(void)state;
	assert_int_equal(verify(strdup("..")), TOKEN_MALFORMED);
	assert_int_equal(verify(strdup(".e30.")), TOKEN_MALFORMED);
	assert_int_equal(verify(strdup("e30..")), TOKEN_MALFORMED);
	assert_int_equal(verify(strdup("")), TOKEN_MALFORMED);
	assert_int_equal(verify(strdup("e30.e30.A")), TOKEN_MALFORMED); /* 1 mod 4 */
}

static void test_oversize_token(void **state)
{
	json_t *c = claims_default();
	char *pad = malloc(TOKEN_MAX_LEN);
	char *tok;

	(void)state;
	memset(pad, 'p', TOKEN_MAX_LEN - 1);
	pad[TOKEN_MAX_LEN - 1] = '\0';
	json_object_set_new(c, "padding", json_string(pad));
	tok = build_claims(HDR_RS256, c, SIGN_RS256, fx.rsa);
	assert_true(strlen(tok) > TOKEN_MAX_LEN);
	assert_int_equal(verify(tok), TOKEN_MALFORMED);
	/* Just under the limit is fine. */
	c = claims_default();
	pad[TOKEN_MAX_LEN / 4 * 3 - 800] = '\0';
	json_object_set_new(c, "padding", json_string(pad));
	tok = build_claims(HDR_RS256, c, SIGN_RS256, fx.rsa);
	assert_true(strlen(tok) <= TOKEN_MAX_LEN);
	assert_int_equal(verify(tok), TOKEN_OK);
	free(pad);
}

/* ---- API edges ---------------------------------------------------------------------- */

static void test_bad_config(void **state)
{
	struct token_identity id;
	struct token_config cfg = fx.cfg;
	char *tok = build_claims(HDR_RS256, claims_default(), SIGN_RS256, fx.rsa);
	size_t n = strlen(tok);

	(void)state;
	assert_int_equal(token_verify(NULL, tok, n, NOW, &id), TOKEN_BAD_CONFIG);
	assert_int_equal(token_verify(&cfg, NULL, n, NOW, &id), TOKEN_BAD_CONFIG);
	assert_int_equal(token_verify(&cfg, tok, n, NOW, NULL), TOKEN_BAD_CONFIG);
	assert_int_equal(token_verify(&cfg, tok, n, -1, &id), TOKEN_BAD_CONFIG);
	cfg.nkeys = 0;
	assert_int_equal(token_verify(&cfg, tok, n, NOW, &id), TOKEN_BAD_CONFIG);
	cfg = fx.cfg;
	cfg.skew_s = -1;
	assert_int_equal(token_verify(&cfg, tok, n, NOW, &id), TOKEN_BAD_CONFIG);
	cfg = fx.cfg;
	cfg.audience[0] = '\0';
	assert_int_equal(token_verify(&cfg, tok, n, NOW, &id), TOKEN_BAD_CONFIG);
	cfg = fx.cfg;
	cfg.acr_values[0] = '\0';
	assert_int_equal(token_verify(&cfg, tok, n, NOW, &id), TOKEN_BAD_CONFIG);
	free(tok);
}

static void test_identity_zeroed_on_failure(void **state)
{
	struct token_identity id;
	json_t *c = claims_default();
	char *tok;

	(void)state;
	json_object_set_new(c, "sub", json_integer(1)); /* fails after hetu was copied */
	tok = build_claims(HDR_RS256, c, SIGN_RS256, fx.rsa);
	memset(&id, 0x55, sizeof id);
	assert_int_equal(token_verify(&fx.cfg, tok, strlen(tok), NOW, &id), TOKEN_MALFORMED);
	for (size_t i = 0; i < sizeof id.hetu; i++)
		assert_int_equal(id.hetu[i], 0);
	assert_int_equal(id.iat, 0);
	free(tok);
}

static void test_result_text(void **state)
{
	(void)state;
	for (int r = TOKEN_OK; r <= TOKEN_BAD_CONFIG; r++)
		assert_string_not_equal(token_result_text(r), "unknown");
	assert_string_equal(token_result_text(-1), "unknown");
	assert_string_equal(token_result_text(TOKEN_BAD_CONFIG + 1), "unknown");
}

/* ---- token_sign --------------------------------------------------------------------- */

/* Signs the default claims with token_sign, checks libjwt's view of the header, verifies. */
static void sign_and_verify(const char *priv, int alg, const char *kid)
{
	json_t *c = claims_default();
	char *claims = json_dumps(c, JSON_COMPACT);
	char *tok = token_sign(priv, strlen(priv), alg, kid, claims);
	jwt_t *raw = NULL;
	const struct token_key *k = alg == JWT_ALG_RS256 ? &fx.keys[0] : &fx.keys[1];

	assert_non_null(tok);
	assert_int_equal(jwt_decode(&raw, tok, (const unsigned char *)k->pem, (int)k->pem_len), 0);
	assert_string_equal(jwt_get_header(raw, "kid"), kid);
	assert_string_equal(jwt_get_header(raw, "typ"), "JWT");
	assert_int_equal(jwt_get_alg(raw), alg);
	jwt_free(raw);
	assert_int_equal(verify(tok), TOKEN_OK);
	free(claims);
	json_decref(c);
}

static void test_sign_round_trip(void **state)
{
	(void)state;
	sign_and_verify(fx.rsa_priv, JWT_ALG_RS256, "rsa1");
	sign_and_verify(fx.ec_priv, JWT_ALG_ES256, "ec1");
}

static void test_sign_refusals(void **state)
{
	const char *claims = "{\"iss\":\"x\"}";
	size_t n = strlen(fx.rsa_priv);

	(void)state;
	assert_null(token_sign(fx.rsa_priv, n, JWT_ALG_RS384, "rsa1", claims));
	assert_null(token_sign(fx.rsa_priv, n, JWT_ALG_HS256, "rsa1", claims));
	assert_null(token_sign(fx.rsa_priv, n, JWT_ALG_NONE, "rsa1", claims));
	assert_null(token_sign(fx.rsa_priv, n, JWT_ALG_ES256, "rsa1", claims)); /* key mismatch */
	assert_null(token_sign(fx.ec_priv, strlen(fx.ec_priv), JWT_ALG_RS256, "ec1", claims));
	assert_null(token_sign(fx.rsa_priv, n, JWT_ALG_RS256, NULL, claims));
	assert_null(token_sign(fx.rsa_priv, n, JWT_ALG_RS256, "", claims));
	assert_null(token_sign(NULL, n, JWT_ALG_RS256, "rsa1", claims));
	assert_null(token_sign(fx.rsa_priv, n, JWT_ALG_RS256, "rsa1", NULL));
	assert_null(token_sign(fx.rsa_priv, n, JWT_ALG_RS256, "rsa1", "[1]"));
	assert_null(token_sign(fx.rsa_priv, n, JWT_ALG_RS256, "rsa1", "{\"a\":1,\"a\":2}"));
	assert_null(token_sign(fx.rsa_priv, n, JWT_ALG_RS256, "rsa1", "{\"a\":"));
	assert_null(token_sign("not a key", 9, JWT_ALG_RS256, "rsa1", claims));
}

/* ---- key list ----------------------------------------------------------------------- */

/* token_keys_parse over one entry; expects failure, checks outputs are reset. */
static void expect_keys_refused(const char *kid, const char *alg, const char *pem)
{
	char *json = keys_json(kid, alg, pem, NULL, NULL, NULL);
	struct token_key *keys = (struct token_key *)&keys;
	size_t nkeys = 99;
	char err[256] = "";

	assert_int_equal(token_keys_parse(json, strlen(json), &keys, &nkeys, err, sizeof err), -1);
	assert_null(keys);
	assert_int_equal(nkeys, 0);
	assert_true(strlen(err) > 0);
	free(json);
}

static void expect_text_refused(const char *json)
{
	struct token_key *keys = NULL;
	size_t nkeys = 0;
	char err[256] = "";

	assert_int_equal(token_keys_parse(json, strlen(json), &keys, &nkeys, err, sizeof err), -1);
	assert_null(keys);
	assert_true(strlen(err) > 0);
}

static void test_keys_valid(void **state)
{
	(void)state;
	assert_int_equal(fx.nkeys, 2);
	assert_string_equal(fx.keys[0].kid, "rsa1");
	assert_int_equal(fx.keys[0].alg, JWT_ALG_RS256);
	assert_int_equal(fx.keys[1].alg, JWT_ALG_ES256);
	assert_non_null(strstr(fx.keys[0].pem, "-----BEGIN PUBLIC KEY-----"));
	assert_int_equal(strlen(fx.keys[1].pem), fx.keys[1].pem_len);
	for (size_t i = 0; i < fx.nkeys; i++) { /* parsed once, here, for every later verification */
		assert_non_null(fx.keys[i].pkey);
		assert_non_null(fx.keys[i].verify_ctx);
	}
	assert_true(EVP_PKEY_is_a(fx.keys[0].pkey, "RSA"));
	assert_true(EVP_PKEY_is_a(fx.keys[1].pkey, "EC"));
}

static void test_keys_bad_json(void **state)
{
	(void)state;
	expect_text_refused("[{\"kid\":\"a\",");
	expect_text_refused("{}");
	expect_text_refused("[]");
	expect_text_refused("\"RS256\"");
	expect_text_refused("[1]");
	expect_text_refused("[{\"kid\":\"a\",\"kid\":\"b\",\"alg\":\"RS256\",\"pem\":\"x\"}]");
	expect_text_refused("[{\"kid\":\"a\",\"alg\":\"RS256\"}]");
	expect_text_refused("[{\"kid\":\"a\",\"alg\":\"RS256\",\"pem\":\"x\",\"use\":\"sig\"}]");
	expect_text_refused("[{\"kid\":\"a\",\"alg\":\"RS256\",\"pem\":1}]");
}

static void test_keys_unknown_alg(void **state)
{
	(void)state;
	expect_keys_refused("k", "RS384", fx.rsa_pub);
	expect_keys_refused("k", "HS256", fx.rsa_pub);
	expect_keys_refused("k", "none", fx.rsa_pub);
	expect_keys_refused("k", "rs256", fx.rsa_pub);
	expect_keys_refused("k", "PS256", fx.rsa_pub);
}

static void test_keys_rsa_1024(void **state)
{
	(void)state;
	expect_keys_refused("k", "RS256", fx.rsa1024_pub);
}

static void test_keys_pkcs1(void **state)
{
	(void)state;
	assert_non_null(strstr(fx.rsa_pkcs1, "BEGIN RSA PUBLIC KEY"));
	expect_keys_refused("k", "RS256", fx.rsa_pkcs1);
}

static void test_keys_type_mismatch(void **state)
{
	(void)state;
	expect_keys_refused("k", "RS256", fx.ec_pub);
	expect_keys_refused("k", "ES256", fx.rsa_pub);
	expect_keys_refused("k", "ES256", fx.p384_pub);
}

static void test_keys_duplicate_kid(void **state)
{
	char *json = keys_json("same", "RS256", fx.rsa_pub, "same", "ES256", fx.ec_pub);
	struct token_key *keys = NULL;
	size_t nkeys = 0;
	char err[256];

	(void)state;
	assert_int_equal(token_keys_parse(json, strlen(json), &keys, &nkeys, err, sizeof err), -1);
	assert_non_null(strstr(err, "duplicate"));
	free(json);
}

static void test_keys_bad_pem(void **state)
{
	size_t n = strlen(fx.rsa_pub) + strlen(fx.wrong_pub) + 1;
	char *two = malloc(n);

	(void)state;
	expect_keys_refused("k", "RS256", fx.rsa_priv); /* a private key */
	expect_keys_refused("k", "ES256", fx.ec_priv);
	expect_keys_refused("k", "RS256", "");
	expect_keys_refused("k", "RS256", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
	snprintf(two, n, "%s%s", fx.rsa_pub, fx.wrong_pub);
	expect_keys_refused("k", "RS256", two); /* two blocks */
	free(two);
}

static void test_keys_bad_kid(void **state)
{
	(void)state;
	expect_keys_refused("", "RS256", fx.rsa_pub);
	expect_keys_refused("a b", "RS256", fx.rsa_pub);
	expect_keys_refused("tab\there", "RS256", fx.rsa_pub);
	{
		char kid[200];

		memset(kid, 'k', sizeof kid);
		kid[128] = '\0';
		expect_keys_refused(kid, "RS256", fx.rsa_pub);
	}
}

static void test_keys_load(void **state)
{
	char dir[256], path[300], err[512];
	struct token_key *keys = NULL;
	size_t nkeys = 0;
	char *json = keys_json("rsa1", "RS256", fx.rsa_pub, NULL, NULL, NULL);
	FILE *f;

	(void)state;
	assert_int_equal(testutil_tmpdir(dir, sizeof dir), 0);
	snprintf(path, sizeof path, "%s/keys.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
	assert_int_equal(token_keys_load(path, &keys, &nkeys, err, sizeof err), 0);
	assert_int_equal(nkeys, 1);
	token_keys_free(keys, nkeys);
	snprintf(path, sizeof path, "%s/missing.json", dir);
	assert_int_equal(token_keys_load(path, &keys, &nkeys, err, sizeof err), -1);
	assert_non_null(strstr(err, "missing.json"));
	assert_null(keys);
	testutil_rmtree(dir);
	free(json);
	token_keys_free(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_rs256),
		cmocka_unit_test(test_valid_es256),
		cmocka_unit_test(test_valid_without_typ_with_auth_time),
		cmocka_unit_test(test_length_argument_respected),
		cmocka_unit_test(test_alg_rs384_refused),
		cmocka_unit_test(test_alg_rs512_refused),
		cmocka_unit_test(test_alg_es256_on_rsa_kid_refused),
		cmocka_unit_test(test_alg_rs256_on_ec_kid_refused),
		cmocka_unit_test(test_alg_lowercase_refused),
		cmocka_unit_test(test_alg_none_refused),
		cmocka_unit_test(test_alg_hs256_confusion_refused),
		cmocka_unit_test(test_alg_missing),
		cmocka_unit_test(test_signature_wrong_key),
		cmocka_unit_test(test_tampered_payload),
		cmocka_unit_test(test_tampered_signature),
		cmocka_unit_test(test_empty_signature),
		cmocka_unit_test(test_signature_non_canonical_base64),
		cmocka_unit_test(test_rsa_signature_lengths),
		cmocka_unit_test(test_rsa_signature_without_leading_zero),
		cmocka_unit_test(test_es256_signature_lengths),
		cmocka_unit_test(test_es256_der_signature_refused),
		cmocka_unit_test(test_es256_scalar_ranges),
		cmocka_unit_test(test_es256_high_s_accepted),
		cmocka_unit_test(test_payload_parsed_after_signature),
		cmocka_unit_test(test_key_without_parsed_form),
		cmocka_unit_test(test_openssl_error_queue),
		cmocka_unit_test(test_concurrent_verify),
		cmocka_unit_test(test_unknown_kid),
		cmocka_unit_test(test_missing_kid),
		cmocka_unit_test(test_typ_not_jwt),
		cmocka_unit_test(test_crit_header),
		cmocka_unit_test(test_key_url_headers),
		cmocka_unit_test(test_duplicate_header_keys),
		cmocka_unit_test(test_header_not_object),
		cmocka_unit_test(test_wrong_issuer),
		cmocka_unit_test(test_wrong_audience),
		cmocka_unit_test(test_audience_array_without_azp),
		cmocka_unit_test(test_audience_array_with_wrong_azp),
		cmocka_unit_test(test_audience_arrays_accepted),
		cmocka_unit_test(test_audience_other_beside_ours_refused),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_expired_within_skew),
		cmocka_unit_test(test_nbf_in_future),
		cmocka_unit_test(test_iat_in_future),
		cmocka_unit_test(test_auth_time_in_future),
		cmocka_unit_test(test_iat_too_old),
		cmocka_unit_test(test_time_claim_types),
		cmocka_unit_test(test_time_claim_ranges),
		cmocka_unit_test(test_missing_acr),
		cmocka_unit_test(test_acr_low_refused),
		cmocka_unit_test(test_acr_loatest_in_production),
		cmocka_unit_test(test_acr_only_configured_levels),
		cmocka_unit_test(test_acr_accepted_levels),
		cmocka_unit_test(test_test_mode),
		cmocka_unit_test(test_invalid_hetu),
		cmocka_unit_test(test_test_hetu_in_production),
		cmocka_unit_test(test_real_hetu_in_test_mode),
		cmocka_unit_test(test_hetu_born_after_today),
		cmocka_unit_test(test_missing_hetu),
		cmocka_unit_test(test_hetu_as_number),
		cmocka_unit_test(test_hetu_claim_name),
		cmocka_unit_test(test_name_claims),
		cmocka_unit_test(test_duplicate_claims),
		cmocka_unit_test(test_payload_not_object),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_four_segments),
		cmocka_unit_test(test_non_base64url),
		cmocka_unit_test(test_empty_segments),
		cmocka_unit_test(test_oversize_token),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_identity_zeroed_on_failure),
		cmocka_unit_test(test_result_text),
		cmocka_unit_test(test_sign_round_trip),
		cmocka_unit_test(test_sign_refusals),
		cmocka_unit_test(test_keys_valid),
		cmocka_unit_test(test_keys_bad_json),
		cmocka_unit_test(test_keys_unknown_alg),
		cmocka_unit_test(test_keys_rsa_1024),
		cmocka_unit_test(test_keys_pkcs1),
		cmocka_unit_test(test_keys_type_mismatch),
		cmocka_unit_test(test_keys_duplicate_kid),
		cmocka_unit_test(test_keys_bad_pem),
		cmocka_unit_test(test_keys_bad_kid),
		cmocka_unit_test(test_keys_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
