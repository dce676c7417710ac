/*
 * test_oidc.c - the relying party's checks (oidc.c) without sockets: login values derived
 * from the login cookie (state, nonce, PKCE), the authorization URL with its signed request
 * object, the token request, the broker's JWKS, and the negative matrix of the ID token:
 * tampered JWE ciphertext or tag, wrong decryption key, unknown JWE kid, unencrypted token,
 * inner token with the wrong algorithm or alg none, expired, wrong nonce (replay of another
 * login's token), wrong audience, wrong issuer, unknown signing kid, test-bed acr in
 * production mode, invalid and real identity codes in test mode. The signing thread
 * (oidc_signer.c): the URLs it makes, its bounded queue, and a stop with jobs left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "jose.h"
#include "oidc.h"
#include "token.h"

#define NOW  1790000000LL
#define HETU "010594Y9032"

static struct oidc_config cfg;
static EVP_PKEY *bank, *other_enc, *ec;
static struct token_key *bank_keys;
static size_t nbank_keys;
static const uint8_t pepper[32] = { 1, 2, 3 };
static char nonce[44];

static char *pem_private(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &data);
	out = malloc((size_t)n + 1);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	return out;
}

static int setup(void **state)
{
	json_t *jwks;
	char *text, err[160];
	struct oidc_login l;
	char tok[OIDC_LOGIN_TOKEN_MAX];

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	snprintf(cfg.issuer, sizeof cfg.issuer, "https://bank.test");
	snprintf(cfg.client_id, sizeof cfg.client_id, "advice-test");
	snprintf(cfg.authorize_url, sizeof cfg.authorize_url, "https://bank.test/authorize");
	snprintf(cfg.token_url, sizeof cfg.token_url, "https://bank.test/token");
	snprintf(cfg.redirect_uri, sizeof cfg.redirect_uri, "https://advice.test/cb");
	snprintf(cfg.scope, sizeof cfg.scope, "openid");
	snprintf(cfg.acr_values, sizeof cfg.acr_values, "http://ftn.ficora.fi/2017/loa2");
	cfg.use_request_object = 1;
	cfg.require_encryption = 1;
	snprintf(cfg.token.issuer, sizeof cfg.token.issuer, "https://bank.test");
	snprintf(cfg.token.audience, sizeof cfg.token.audience, "advice-test");
	snprintf(cfg.token.hetu_claim, sizeof cfg.token.hetu_claim, "hetu");
	snprintf(cfg.token.acr_values, sizeof cfg.token.acr_values, "http://ftn.ficora.fi/2017/loa2");
	cfg.token.skew_s = 60;
	cfg.token.max_age_s = 600;
	cfg.token.test_mode = 1;
	cfg.sig_key = EVP_RSA_gen(2048);
	cfg.enc_key = EVP_RSA_gen(2048);
	bank = EVP_RSA_gen(2048);
	other_enc = EVP_RSA_gen(2048);
	ec = EVP_EC_gen("P-256");
	if (!cfg.sig_key || !cfg.enc_key || !bank || !other_enc || !ec ||
	    jose_thumbprint(cfg.sig_key, cfg.sig_kid) || jose_thumbprint(cfg.enc_key, cfg.enc_kid))
		return -1;
	jwks = json_pack("{s:[o, o]}", "keys", jose_pkey_to_jwk(bank, "bank-1", "sig", "RS256"),
			 jose_pkey_to_jwk(other_enc, "bank-enc", "enc", NULL));
	text = json_dumps(jwks, 0);
	json_decref(jwks);
	if (oidc_jwks_to_keys(text, strlen(text), &bank_keys, &nbank_keys, err, sizeof err) != 0)
		return -1;
	free(text);
	oidc_login_token_new(NOW, tok);
	if (oidc_login_derive(pepper, tok, strlen(tok), NOW, &l) != OIDC_OK)
		return -1;
	memcpy(nonce, l.nonce, sizeof nonce);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	oidc_config_free(&cfg);
	token_keys_free(bank_keys, nbank_keys);
	EVP_PKEY_free(bank);
	EVP_PKEY_free(other_enc);
	EVP_PKEY_free(ec);
	return 0;
}

/* Claims of a good ID token; tests change one thing. */
static json_t *good_claims(void)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "iss", "https://bank.test", "aud",
			 "advice-test", "sub", "pseudonym-1", "iat", (json_int_t)NOW, "exp",
			 (json_int_t)(NOW + 300), "acr", "http://ftn.ficora.fi/2017/loatest2", "nonce", nonce,
			 "hetu", HETU);
}

/* Signs claims with `key` (RS256 unless it is the EC key) under kid, then encrypts to `to`
 * under enc_kid. Consumes claims. */
static char *make_token(json_t *claims, EVP_PKEY *key, const char *kid, EVP_PKEY *to, const char *enc_kid)
{
	char *text = json_dumps(claims, JSON_COMPACT), *pem = pem_private(key), *jws, *jwe;

	jws = token_sign(pem, strlen(pem), key == ec ? JWT_ALG_ES256 : JWT_ALG_RS256, kid, text);
	assert_non_null(jws);
	jwe = to ? jose_jwe_encrypt(to, enc_kid, "RSA-OAEP-256", "A256GCM", jws, strlen(jws)) : strdup(jws);
	free(text);
	free(pem);
	free(jws);
	json_decref(claims);
	return jwe;
}

/* Runs the check; returns the oidc_result and sets *sub. */
static int check(const char *tok, int *sub)
{
	struct token_identity id;
	int rc = oidc_id_token_check(&cfg, bank_keys, nbank_keys, tok, strlen(tok), nonce, NOW, &id, sub);

	if (rc == OIDC_OK)
		assert_string_equal(id.hetu, HETU);
	else
		assert_int_equal(id.hetu[0], 0);
	return rc;
}

static char *good_token(void)
{
	return make_token(good_claims(), bank, "bank-1", cfg.enc_key, cfg.enc_kid);
}

static void test_good_token(void **state)
{
	char *t = good_token();
	int sub;

	(void)state;
	assert_int_equal(check(t, &sub), OIDC_OK);
	free(t);
}

/* Flips the first character of segment `seg`. */
static void flip(char *t, int seg)
{
	for (int i = 0; i < seg; i++)
		t = strchr(t, '.') + 1;
	t[0] = t[0] == 'A' ? 'B' : 'A';
}

static void test_tampered_jwe(void **state)
{
	int sub;

	(void)state;
	for (int seg = 3; seg <= 4; seg++) { /* ciphertext, tag */
		char *t = good_token();

		flip(t, seg);
		assert_int_equal(check(t, &sub), OIDC_DECRYPT);
		assert_int_equal(sub, JOSE_DECRYPT_FAILED);
		free(t);
	}
}

static void test_wrong_decryption_key(void **state)
{
	char *t = make_token(good_claims(), bank, "bank-1", other_enc, cfg.enc_kid);
	int sub;

	(void)state;
	assert_int_equal(check(t, &sub), OIDC_DECRYPT);
	assert_int_equal(sub, JOSE_DECRYPT_FAILED);
	free(t);
	t = make_token(good_claims(), bank, "bank-1", cfg.enc_key, "not-our-kid");
	assert_int_equal(check(t, &sub), OIDC_DECRYPT);
	assert_int_equal(sub, JOSE_UNKNOWN_KID);
	free(t);
}

static void test_unencrypted_refused(void **state)
{
	char *t = make_token(good_claims(), bank, "bank-1", NULL, NULL);
	int sub;

	(void)state;
	assert_int_equal(check(t, &sub), OIDC_NOT_ENCRYPTED);
	cfg.require_encryption = 0; /* a plain OIDC provider: signed only is fine */
	assert_int_equal(check(t, &sub), OIDC_OK);
	cfg.require_encryption = 1;
	free(t);
}

static void test_inner_wrong_alg(void **state)
{
	char *t = make_token(good_claims(), ec, "bank-1", cfg.enc_key, cfg.enc_kid), *jwe;
	char *h, *p, *none;
	int sub;

	(void)state;
	assert_int_equal(check(t, &sub), OIDC_TOKEN);
	assert_int_equal(sub, TOKEN_BAD_ALG);
	free(t);
	/* alg none, encrypted properly */
	h = jose_b64url_encode("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"bank-1\"}", 40);
	p = jose_b64url_encode("{}", 2);
	assert_true(asprintf(&none, "%s.%s.", h, p) > 0);
	jwe = jose_jwe_encrypt(cfg.enc_key, cfg.enc_kid, "RSA-OAEP", "A128CBC-HS256", none, strlen(none));
	assert_int_equal(check(jwe, &sub), OIDC_TOKEN);
	assert_int_not_equal(sub, TOKEN_OK);
	free(h);
	free(p);
	free(none);
	free(jwe);
}

/* A good token with one claim replaced (or removed when v is NULL); expects `want`. */
static void claim_case(const char *name, json_t *v, int want_sub)
{
	json_t *c = good_claims();
	char *t;
	int sub;

	if (v)
		json_object_set_new(c, name, v);
	else
		json_object_del(c, name);
	t = make_token(c, bank, "bank-1", cfg.enc_key, cfg.enc_kid);
	assert_int_equal(check(t, &sub), OIDC_TOKEN);
	assert_int_equal(sub, want_sub);
	free(t);
}

static void test_claims_refused(void **state)
{
	(void)state;
	claim_case("exp", json_integer(NOW - 120), TOKEN_EXPIRED);
	claim_case("aud", json_string("someone-else"), TOKEN_BAD_AUDIENCE);
	claim_case("iss", json_string("https://evil.test"), TOKEN_BAD_ISSUER);
	claim_case("hetu", json_string("010594Y9033"), TOKEN_BAD_IDENTITY);
	claim_case("hetu", json_string("131052-308T"), TOKEN_BAD_IDENTITY); /* a real code in test mode */
	claim_case("hetu", NULL, TOKEN_NO_IDENTITY);
	claim_case("acr", json_string("http://ftn.ficora.fi/2017/loa1"), TOKEN_BAD_ACR);
	cfg.token.test_mode = 0;
	claim_case("acr", json_string("http://ftn.ficora.fi/2017/loatest2"), TOKEN_BAD_ACR);
	cfg.token.test_mode = 1;
}

static void test_unknown_signing_kid(void **state)
{
	char *t = make_token(good_claims(), bank, "bank-2", cfg.enc_key, cfg.enc_kid);
	int sub;

	(void)state;
	assert_int_equal(check(t, &sub), OIDC_TOKEN);
	assert_int_equal(sub, TOKEN_UNKNOWN_KID);
	free(t);
}

static void test_nonce(void **state)
{
	json_t *c = good_claims();
	char *t;
	int sub;

	(void)state;
	json_object_set_new(c, "nonce", json_string("another-login-s-nonce"));
	t = make_token(c, bank, "bank-1", cfg.enc_key, cfg.enc_kid);
	assert_int_equal(check(t, &sub), OIDC_BAD_NONCE);
	free(t);
	c = good_claims();
	json_object_del(c, "nonce");
	t = make_token(c, bank, "bank-1", cfg.enc_key, cfg.enc_kid);
	assert_int_equal(check(t, &sub), OIDC_BAD_NONCE);
	free(t);
}

static void test_login_values(void **state)
{
	char tok[OIDC_LOGIN_TOKEN_MAX], bad[OIDC_LOGIN_TOKEN_MAX];
	struct oidc_login a, b;
	uint8_t d[32];
	char ch[44];

	(void)state;
	oidc_login_token_new(NOW, tok);
	assert_int_equal(oidc_login_derive(pepper, tok, strlen(tok), NOW + 10, &a), OIDC_OK);
	assert_int_equal(oidc_login_derive(pepper, tok, strlen(tok), NOW + 20, &b), OIDC_OK);
	assert_memory_equal(&a, &b, sizeof a);
	assert_int_equal(strlen(a.state), 43);
	assert_string_not_equal(a.state, a.nonce);
	assert_string_not_equal(a.nonce, a.verifier);
	crypto_hash_sha256(d, (const uint8_t *)a.verifier, 43);
	sodium_bin2base64(ch, sizeof ch, d, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	assert_string_equal(a.challenge, ch);
	assert_int_equal(oidc_state_matches(&a, a.state), 1);
	assert_int_equal(oidc_state_matches(&a, b.nonce), 0);
	assert_int_equal(oidc_state_matches(&a, ""), 0);
	assert_int_equal(oidc_state_matches(&a, NULL), 0);
	/* expired, from the future, malformed */
	assert_int_equal(oidc_login_derive(pepper, tok, strlen(tok), NOW + OIDC_LOGIN_TTL_S + 1, &a),
			 OIDC_LOGIN_EXPIRED);
	assert_int_equal(oidc_login_derive(pepper, tok, strlen(tok), NOW - 120, &a), OIDC_LOGIN_EXPIRED);
	snprintf(bad, sizeof bad, "%s", tok);
	bad[strlen(bad) - 1] = '!';
	assert_int_equal(oidc_login_derive(pepper, bad, strlen(bad), NOW, &a), OIDC_NO_LOGIN);
	assert_int_equal(oidc_login_derive(pepper, "12.abc", 6, NOW, &a), OIDC_NO_LOGIN);
	assert_int_equal(oidc_login_derive(pepper, "", 0, NOW, &a), OIDC_NO_LOGIN);
	/* another token: other values */
	oidc_login_token_new(NOW, bad);
	assert_int_equal(oidc_login_derive(pepper, bad, strlen(bad), NOW, &b), OIDC_OK);
	assert_int_equal(oidc_state_matches(&a, b.state), 0);
}

/* The value of query parameter `name` in url (not decoded), malloc'd or NULL. */
static char *query_param(const char *url, const char *name)
{
	char key[64];
	const char *p, *end;

	snprintf(key, sizeof key, "%s=", name);
	p = strstr(url, key);
	if (p == NULL || (p[-1] != '?' && p[-1] != '&'))
		return NULL;
	p += strlen(key);
	end = strchr(p, '&');
	return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

static json_t *jws_payload(const char *jws)
{
	const char *a = strchr(jws, '.') + 1, *b = strchr(a, '.');
	uint8_t *raw;
	size_t n;
	json_t *o;

	assert_int_equal(jose_b64url_decode(a, (size_t)(b - a), &raw, &n), 0);
	o = json_loadb((char *)raw, n, 0, NULL);
	free(raw);
	return o;
}

static void test_authorize_url_and_token_request(void **state)
{
	char tok[OIDC_LOGIN_TOKEN_MAX], *url, *ro, *body, *ca;
	struct oidc_login l;
	json_t *o;

	(void)state;
	oidc_login_token_new(NOW, tok);
	assert_int_equal(oidc_login_derive(pepper, tok, strlen(tok), NOW, &l), OIDC_OK);
	url = oidc_authorize_url(&cfg, &l, NOW);
	assert_non_null(url);
	assert_memory_equal(
		url,
		"https://bank.test/authorize?client_id=advice-test&response_type=code&scope=openid&request=",
		90);
	assert_null(query_param(url, "state")); /* only inside the signed request object */
	ro = query_param(url, "request");
	o = jws_payload(ro);
	assert_string_equal(json_string_value(json_object_get(o, "state")), l.state);
	assert_string_equal(json_string_value(json_object_get(o, "nonce")), l.nonce);
	assert_string_equal(json_string_value(json_object_get(o, "code_challenge")), l.challenge);
	assert_string_equal(json_string_value(json_object_get(o, "code_challenge_method")), "S256");
	assert_string_equal(json_string_value(json_object_get(o, "aud")), "https://bank.test");
	assert_string_equal(json_string_value(json_object_get(o, "acr_values")),
			    "http://ftn.ficora.fi/2017/loa2");
	assert_int_equal(json_integer_value(json_object_get(o, "exp")), NOW + 600);
	json_decref(o);
	free(ro);
	free(url);

	body = oidc_token_request_body(&cfg, "the-code", l.verifier, NOW);
	assert_non_null(strstr(body, "grant_type=authorization_code&code=the-code&"));
	assert_non_null(strstr(body, l.verifier));
	assert_non_null(strstr(
		body,
		"client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"));
	ca = query_param(body, "client_assertion");
	o = jws_payload(ca);
	assert_string_equal(json_string_value(json_object_get(o, "iss")), "advice-test");
	assert_string_equal(json_string_value(json_object_get(o, "sub")), "advice-test");
	assert_string_equal(json_string_value(json_object_get(o, "aud")), "https://bank.test/token");
	assert_non_null(json_object_get(o, "jti"));
	json_decref(o);
	free(ca);
	free(body);
}

static void test_jwks_refusals(void **state)
{
	struct token_key *keys;
	size_t n;
	char err[160];

	(void)state;
	assert_int_equal(oidc_jwks_to_keys("{}", 2, &keys, &n, err, sizeof err), -1);
	assert_int_equal(oidc_jwks_to_keys("{\"keys\":[]}", 11, &keys, &n, err, sizeof err), -1);
	assert_int_equal(oidc_jwks_to_keys("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a\",\"k\":\"AA\"}]}", 44,
					   &keys, &n, err, sizeof err),
			 -1);
	assert_null(keys);
	assert_int_equal(n, 0);
}

static int wakes; /* the signing thread's wake-ups (read after it has stopped or by polling) */

static void count_wake(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&wakes, 1, __ATOMIC_SEQ_CST);
}

/* Takes one signed job, polling for up to 30 s; fails when none comes. */
static void take_signed(struct oidc_signer *s, struct oidc_sign_job *out)
{
	struct timespec tick = { 0, 1000000 };

	for (int i = 0; i < 30000; i++) {
		if (oidc_signer_take(s, out))
			return;
		nanosleep(&tick, NULL);
	}
	fail_msg("the signing thread made no URL in 30 s");
}

static void test_signer_queue(void **state)
{
	struct oidc_signer *s = oidc_signer_start(&cfg, count_wake, NULL);
	struct oidc_sign_job job, got;
	char *ro;
	json_t *o;

	(void)state;
	assert_non_null(s);
	/* Jobs submitted and not yet taken back fill the queue, signed or not. */
	for (int i = 0; i < OIDC_SIGN_QUEUE_MAX; i++) {
		memset(&job, 0, sizeof job);
		job.conn_id = (uint64_t)i + 1;
		job.now_s = NOW;
		oidc_login_token_new(NOW, job.token);
		assert_int_equal(oidc_login_derive(pepper, job.token, strlen(job.token), NOW, &job.login),
				 OIDC_OK);
		assert_int_equal(oidc_signer_submit(s, &job), 0);
	}
	assert_int_equal(oidc_signer_submit(s, &job), -1);
	/* Each comes back in order with its URL, the request object carrying its login's state. */
	for (int i = 0; i < OIDC_SIGN_QUEUE_MAX; i++) {
		take_signed(s, &got);
		assert_int_equal(got.conn_id, (uint64_t)i + 1);
		assert_non_null(got.url);
		ro = query_param(got.url, "request");
		o = jws_payload(ro);
		assert_non_null(o);
		assert_int_equal(strlen(json_string_value(json_object_get(o, "state"))), 43);
		json_decref(o);
		free(ro);
		free(got.url);
	}
	assert_int_equal(oidc_signer_take(s, &got), 0);
	assert_true(__atomic_load_n(&wakes, __ATOMIC_SEQ_CST) >= 1);
	/* Room again; a stop with jobs waiting or done frees them. */
	assert_int_equal(oidc_signer_submit(s, &job), 0);
	assert_int_equal(oidc_signer_submit(s, &job), 0);
	oidc_signer_stop(s);
	oidc_signer_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_token),
		cmocka_unit_test(test_tampered_jwe),
		cmocka_unit_test(test_wrong_decryption_key),
		cmocka_unit_test(test_unencrypted_refused),
		cmocka_unit_test(test_inner_wrong_alg),
		cmocka_unit_test(test_claims_refused),
		cmocka_unit_test(test_unknown_signing_kid),
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_login_values),
		cmocka_unit_test(test_authorize_url_and_token_request),
		cmocka_unit_test(test_jwks_refusals),
		cmocka_unit_test(test_signer_queue),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
