/*
 * oidc.c - the bank-ID relying party (oidc.h): login values derived from the login cookie,
 * the signed authorization request, the private_key_jwt token request, the checks of the
 * encrypted ID token and the broker's JWKS. The back channel that talks to the broker is
 * oidc_worker.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "jose.h"
#include "log.h"
#include "oidc.h"

#define OIDC_ASSERTION_VALID_S 300
#define OIDC_REQUEST_VALID_S   600
#define OIDC_JWKS_KEYS_MAX     32

const char *oidc_result_text(int r)
{
	switch (r) {
	case OIDC_OK: return "ok";
	case OIDC_NO_LOGIN: return "no login in progress (cookie missing or malformed)";
	case OIDC_LOGIN_EXPIRED: return "login took too long; start again";
	case OIDC_BAD_STATE: return "state does not match this login";
	case OIDC_LOGIN_USED: return "this login was used already; start again";
	case OIDC_DENIED: return "the identity provider returned an error";
	case OIDC_BACKCHANNEL: return "token request to the identity provider failed";
	case OIDC_NOT_ENCRYPTED: return "ID token not encrypted";
	case OIDC_DECRYPT: return "encrypted ID token refused";
	case OIDC_TOKEN: return "ID token refused";
	case OIDC_BAD_NONCE: return "nonce does not match this login";
	case OIDC_NOMEM: return "out of memory";
	default: return "unknown";
	}
}

/* ---- configuration and our keys ------------------------------------------------------ */

int oidc_config_load_keys(struct oidc_config *cfg, const char *sig_path, const char *enc_path, char *err,
			  size_t errlen)
{
	char tp[44];

	cfg->sig_key = jose_private_key_load(sig_path, err, errlen);
	if (cfg->sig_key == NULL)
		return -1;
	cfg->enc_key = jose_private_key_load(enc_path, err, errlen);
	if (cfg->enc_key == NULL)
		return -1;
	if (jose_thumbprint(cfg->sig_key, tp) != 0)
		return -1;
	snprintf(cfg->sig_kid, sizeof cfg->sig_kid, "%s", tp);
	if (jose_thumbprint(cfg->enc_key, tp) != 0)
		return -1;
	snprintf(cfg->enc_kid, sizeof cfg->enc_kid, "%s", tp);
	if (strcmp(cfg->sig_kid, cfg->enc_kid) == 0) {
		snprintf(err, errlen, "the signing and encryption keys must differ");
		return -1;
	}
	return 0;
}

void oidc_config_free(struct oidc_config *cfg)
{
	EVP_PKEY_free(cfg->sig_key);
	EVP_PKEY_free(cfg->enc_key);
	cfg->sig_key = cfg->enc_key = NULL;
	token_keys_free(cfg->token.keys, cfg->token.nkeys);
	cfg->token.keys = NULL;
	cfg->token.nkeys = 0;
}

char *oidc_jwks_text(const struct oidc_config *cfg)
{
	json_t *keys = json_array(), *o;
	char *out;

	json_array_append_new(keys, jose_pkey_to_jwk(cfg->sig_key, cfg->sig_kid, "sig", "RS256"));
	json_array_append_new(keys, jose_pkey_to_jwk(cfg->enc_key, cfg->enc_kid, "enc", NULL));
	o = json_pack("{s:o}", "keys", keys);
	out = o && json_array_size(keys) == 2 ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return out;
}

/* ---- login values -------------------------------------------------------------------- */

void oidc_login_token_new(int64_t now_s, char out[OIDC_LOGIN_TOKEN_MAX])
{
	uint8_t r[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	randombytes_buf(r, sizeof r);
	sodium_bin2base64(b64, sizeof b64, r, sizeof r, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, OIDC_LOGIN_TOKEN_MAX, "%lld.%s", (long long)now_s, b64);
	sodium_memzero(r, sizeof r);
	sodium_memzero(b64, sizeof b64);
}

/* base64url of the keyed BLAKE2b-256 of (label, token). */
static void oidc_derive_one(const uint8_t pepper[32], const char *label, const char *token, size_t len,
			    char out[44])
{
	crypto_generichash_state h;
	uint8_t d[32];

	crypto_generichash_init(&h, pepper, 32, sizeof d);
	crypto_generichash_update(&h, (const uint8_t *)label, strlen(label) + 1);
	crypto_generichash_update(&h, (const uint8_t *)token, len);
	crypto_generichash_final(&h, d, sizeof d);
	sodium_bin2base64(out, 44, d, sizeof d, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(d, sizeof d);
}

int oidc_login_derive(const uint8_t pepper[32], const char *token, size_t len, int64_t now_s,
		      struct oidc_login *out)
{
	uint8_t d[32];
	long long created = 0;
	size_t digits = 0;

	memset(out, 0, sizeof *out);
	if (token == NULL || len == 0 || len >= OIDC_LOGIN_TOKEN_MAX)
		return OIDC_NO_LOGIN;
	while (digits < len && digits < 12 && token[digits] >= '0' && token[digits] <= '9')
		created = created * 10 + (token[digits++] - '0');
	if (digits == 0 || digits >= len || token[digits] != '.' || len - digits - 1 != 43)
		return OIDC_NO_LOGIN;
	for (size_t i = digits + 1; i < len; i++)
		if (!((token[i] >= 'A' && token[i] <= 'Z') || (token[i] >= 'a' && token[i] <= 'z') ||
		      (token[i] >= '0' && token[i] <= '9') || token[i] == '-' || token[i] == '_'))
			return OIDC_NO_LOGIN;
	if (created > now_s + 60 || now_s - created > OIDC_LOGIN_TTL_S)
		return OIDC_LOGIN_EXPIRED;
	out->created_s = created;
	oidc_derive_one(pepper, "oidc state", token, len, out->state);
	oidc_derive_one(pepper, "oidc nonce", token, len, out->nonce);
	oidc_derive_one(pepper, "oidc pkce", token, len, out->verifier);
	crypto_hash_sha256(d, (const uint8_t *)out->verifier, 43);
	sodium_bin2base64(out->challenge, sizeof out->challenge, d, sizeof d,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_generichash(out->hash, sizeof out->hash, (const uint8_t *)token, len, pepper, 32);
	return OIDC_OK;
}

int oidc_state_matches(const struct oidc_login *login, const char *state)
{
	return state != NULL && strlen(state) == 43 && CRYPTO_memcmp(state, login->state, 43) == 0;
}

/* ---- the front channel ------------------------------------------------------------- */

/* A random jti (22 base64url characters). */
static void oidc_jti(char out[24])
{
	uint8_t r[16];

	randombytes_buf(r, sizeof r);
	sodium_bin2base64(out, 24, r, sizeof r, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The signed request object (RFC 9101) carrying every authorization parameter. */
static char *oidc_request_object(const struct oidc_config *cfg, const struct oidc_login *l, int64_t now_s)
{
	char jti[24], *text, *jws;
	json_t *o;

	oidc_jti(jti);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "iss",
		      cfg->client_id, "aud", cfg->issuer, "client_id", cfg->client_id, "response_type",
		      "code", "scope", cfg->scope, "redirect_uri", cfg->redirect_uri, "state", l->state,
		      "nonce", l->nonce, "code_challenge", l->challenge, "code_challenge_method", "S256",
		      "jti", jti, "iat", (json_int_t)now_s, "nbf", (json_int_t)now_s, "exp",
		      (json_int_t)(now_s + OIDC_REQUEST_VALID_S));
	if (o == NULL)
		return NULL;
	if (cfg->acr_values[0] != '\0')
		json_object_set_new(o, "acr_values", json_string(cfg->acr_values));
	if (cfg->ui_locales[0] != '\0')
		json_object_set_new(o, "ui_locales", json_string(cfg->ui_locales));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	jws = text ? jose_sign_rs256(cfg->sig_key, cfg->sig_kid, text) : NULL;
	free(text);
	return jws;
}

/* Appends "&name=value" (value percent-encoded) to *buf. 0 or -1. */
static int oidc_append(CURL *curl, char **buf, const char *name, const char *value)
{
	char *esc = curl_easy_escape(curl, value, 0), *next = NULL;
	int rc = -1;

	if (esc != NULL && asprintf(&next, "%s%s%s=%s", *buf, (*buf)[0] ? "&" : "", name, esc) >= 0) {
		free(*buf);
		*buf = next;
		rc = 0;
	}
	curl_free(esc);
	return rc;
}

char *oidc_authorize_url(const struct oidc_config *cfg, const struct oidc_login *login, int64_t now_s)
{
	CURL *curl = curl_easy_init();
	char *q = strdup(""), *ro = NULL, *url = NULL;
	int ok;

	if (curl == NULL || q == NULL)
		goto out;
	ok = oidc_append(curl, &q, "client_id", cfg->client_id) == 0 &&
	     oidc_append(curl, &q, "response_type", "code") == 0 &&
	     oidc_append(curl, &q, "scope", cfg->scope) == 0;
	if (ok && cfg->use_request_object) {
		ro = oidc_request_object(cfg, login, now_s);
		ok = ro != NULL && oidc_append(curl, &q, "request", ro) == 0;
	} else if (ok) {
		ok = oidc_append(curl, &q, "redirect_uri", cfg->redirect_uri) == 0 &&
		     oidc_append(curl, &q, "state", login->state) == 0 &&
		     oidc_append(curl, &q, "nonce", login->nonce) == 0 &&
		     oidc_append(curl, &q, "code_challenge", login->challenge) == 0 &&
		     oidc_append(curl, &q, "code_challenge_method", "S256") == 0 &&
		     (cfg->acr_values[0] == '\0' ||
		      oidc_append(curl, &q, "acr_values", cfg->acr_values) == 0) &&
		     (cfg->ui_locales[0] == '\0' ||
		      oidc_append(curl, &q, "ui_locales", cfg->ui_locales) == 0);
	}
	if (ok &&
	    asprintf(&url, "%s%c%s", cfg->authorize_url, strchr(cfg->authorize_url, '?') ? '&' : '?', q) < 0)
		url = NULL;
out:
	free(q);
	free(ro);
	curl_easy_cleanup(curl);
	return url;
}

/* ---- the back channel ---------------------------------------------------------------- */

char *oidc_client_assertion(const struct oidc_config *cfg, int64_t now_s)
{
	char jti[24], *text, *jws;
	json_t *o;

	oidc_jti(jti);
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", cfg->client_id, "sub", cfg->client_id, "aud",
		      cfg->token_url, "jti", jti, "iat", (json_int_t)now_s, "exp",
		      (json_int_t)(now_s + OIDC_ASSERTION_VALID_S));
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	jws = text ? jose_sign_rs256(cfg->sig_key, cfg->sig_kid, text) : NULL;
	free(text);
	return jws;
}

char *oidc_token_request_body(const struct oidc_config *cfg, const char *code, const char *verifier,
			      int64_t now_s)
{
	CURL *curl = curl_easy_init();
	char *body = strdup(""), *assertion = oidc_client_assertion(cfg, now_s);
	int ok = curl != NULL && body != NULL && assertion != NULL &&
		 oidc_append(curl, &body, "grant_type", "authorization_code") == 0 &&
		 oidc_append(curl, &body, "code", code) == 0 &&
		 oidc_append(curl, &body, "redirect_uri", cfg->redirect_uri) == 0 &&
		 oidc_append(curl, &body, "code_verifier", verifier) == 0 &&
		 oidc_append(curl, &body, "client_id", cfg->client_id) == 0 &&
		 oidc_append(curl, &body, "client_assertion_type",
			     "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") == 0 &&
		 oidc_append(curl, &body, "client_assertion", assertion) == 0;

	free(assertion);
	curl_easy_cleanup(curl);
	if (!ok) {
		free(body);
		return NULL;
	}
	return body;
}

/* The "nonce" of a verified compact JWS equals `nonce`: 1, else 0. */
static int oidc_nonce_matches(const char *jws, size_t len, const char *nonce)
{
	const char *p1 = memchr(jws, '.', len), *p2;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	json_t *claims;
	const char *got;
	int ok = 0;

	if (p1 == NULL || (p2 = memchr(p1 + 1, '.', len - (size_t)(p1 + 1 - jws))) == NULL)
		return 0;
	if (jose_b64url_decode(p1 + 1, (size_t)(p2 - p1 - 1), &raw, &rawlen) != 0)
		return 0;
	claims = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, NULL);
	got = json_string_value(json_object_get(claims, "nonce"));
	ok = got != NULL && strlen(got) == strlen(nonce) && CRYPTO_memcmp(got, nonce, strlen(nonce)) == 0;
	json_decref(claims);
	OPENSSL_cleanse(raw, rawlen);
	free(raw);
	return ok;
}

/* Number of '.' in the token (4 for a JWE, 2 for a JWS). */
static size_t oidc_dots(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '.';
	return n;
}

int oidc_id_token_check(const struct oidc_config *cfg, const struct token_key *keys, size_t nkeys,
			const char *id_token, size_t len, const char *nonce, int64_t now_s,
			struct token_identity *id, int *sub_result)
{
	struct jose_dec_key dk;
	struct token_config tc = cfg->token;
	char *inner = NULL;
	size_t inner_len = 0;
	int rc;

	memset(id, 0, sizeof *id);
	*sub_result = 0;
	if (oidc_dots(id_token, len) == 4) {
		snprintf(dk.kid, sizeof dk.kid, "%s", cfg->enc_kid);
		dk.pkey = cfg->enc_key;
		rc = jose_jwe_decrypt(&dk, 1, id_token, len, &inner, &inner_len);
		if (rc != JOSE_OK) {
			*sub_result = rc;
			return rc == JOSE_NOMEM ? OIDC_NOMEM : OIDC_DECRYPT;
		}
	} else if (cfg->require_encryption) {
		return OIDC_NOT_ENCRYPTED;
	} else if ((inner = strndup(id_token, len)) == NULL) {
		return OIDC_NOMEM;
	} else {
		inner_len = len;
	}
	tc.keys = (struct token_key *)keys;
	tc.nkeys = nkeys;
	rc = token_verify(&tc, inner, inner_len, now_s, id);
	if (rc != TOKEN_OK) {
		*sub_result = rc;
		rc = OIDC_TOKEN;
	} else if (!oidc_nonce_matches(inner, inner_len, nonce)) {
		memset(id, 0, sizeof *id);
		rc = OIDC_BAD_NONCE;
	} else {
		rc = OIDC_OK;
	}
	OPENSSL_cleanse(inner, inner_len);
	free(inner);
	return rc;
}

int oidc_jwks_to_keys(const char *text, size_t len, struct token_key **keys, size_t *nkeys, char *err,
		      size_t errlen)
{
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *list = json_array(), *k;
	char *pem, *out = NULL, kerr[128];
	size_t i;
	int rc = -1;

	*keys = NULL;
	*nkeys = 0;
	if (!json_is_array(json_object_get(doc, "keys"))) {
		snprintf(err, errlen, "not a JWKS (no \"keys\" list)");
		goto done;
	}
	json_array_foreach (json_object_get(doc, "keys"), i, k) {
		const char *kid = json_string_value(json_object_get(k, "kid"));
		const char *alg = json_string_value(json_object_get(k, "alg"));
		EVP_PKEY *pkey;

		if (i >= OIDC_JWKS_KEYS_MAX || kid == NULL || kid[0] == '\0' || strlen(kid) >= JOSE_KID_MAX ||
		    (json_object_get(k, "alg") != NULL && (alg == NULL || strcmp(alg, "RS256") != 0)))
			continue;
		pkey = jose_jwk_to_pkey(k, "sig", kerr, sizeof kerr);
		if (pkey == NULL)
			continue;
		pem = jose_pkey_public_pem(pkey);
		EVP_PKEY_free(pkey);
		if (pem != NULL)
			json_array_append_new(
				list, json_pack("{s:s, s:s, s:s}", "kid", kid, "alg", "RS256", "pem", pem));
		free(pem);
	}
	if (json_array_size(list) == 0) {
		snprintf(err, errlen, "no usable RS256 signing key in the JWKS");
		goto done;
	}
	out = json_dumps(list, JSON_COMPACT);
	rc = out ? token_keys_parse(out, strlen(out), keys, nkeys, err, errlen) : -1;
done:
	free(out);
	json_decref(list);
	json_decref(doc);
	return rc;
}
