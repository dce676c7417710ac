/*
 * token.c - citizen ID-token verification (compact JWS, RS256/ES256) with OpenSSL libcrypto,
 * the trusted-key list it uses, and signing for the test identity provider (libjwt 1.10.2).
 *
 * libjwt is not on the verification path. Its jwt_decode takes the algorithm from the token
 * header (case-insensitively), would skip the signature with a NULL key, accepts duplicate
 * JSON keys, checks no claims and parses the key PEM again on every call (which made it
 * more than ten times slower than the RSA operation itself). So: each key is parsed once,
 * when the key list is loaded, into an EVP_PKEY that stays with the key; the structure and
 * header are checked here with our own base64url decoder and jansson (duplicates refused);
 * the algorithm is pinned per kid before anything is verified; the signature over the ASCII
 * "header.payload" is verified here with EVP_DigestVerify and SHA-256 (RS256: PKCS#1 v1.5
 * with a signature exactly as long as the modulus; ES256: JOSE's raw 64-byte r||s, turned
 * into DER for OpenSSL, any other length refused); only then is the payload parsed, once,
 * and every claim read from that parse with JSON types checked.
 *
 * token_verify writes no shared state: each key's digest context is set up once at load
 * time and every call verifies with its own copy, so the core thread and the OIDC worker
 * may use the same key list at once.
 *
 * Nothing here logs: tokens and payloads carry identity codes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "hetu.h"
#include "jose.h"
#include "token.h"

#define TOKEN_TIME_MAX	    253402300799LL /* 9999-12-31T23:59:59Z: bounds all time arithmetic */
#define TOKEN_KEYS_MAX	    64
#define TOKEN_KEYS_FILE_MAX (1024 * 1024)
#define TOKEN_PEM_MAX	    16384
#define TOKEN_RSA_MIN_BITS  2048
#define TOKEN_RSA_MAX_BITS  8192
#define TOKEN_ES256_SIG_LEN 64 /* raw r||s, RFC 7518 §3.4 */
#define TOKEN_ES256_DER_MAX 72 /* SEQUENCE of two INTEGERs of at most 33 bytes */

static const char pem_begin[] = "-----BEGIN PUBLIC KEY-----";
static const char pem_end[] = "-----END PUBLIC KEY-----";

/* Header members that would let the token choose its key or demand unknown processing. */
static const char *const token_forbidden_headers[] = { "crit", "jku", "x5u", "jwk", "x5c" };

/* The test bed's counterpart of each production level: what a test-bed broker answers when
 * the production level was requested (research/identity.md §1.5). */
static const char *const token_acr_test_equivalent[][2] = {
	{ "http://ftn.ficora.fi/2017/loa2", "http://ftn.ficora.fi/2017/loatest2" },
	{ "http://ftn.ficora.fi/2017/loa3", "http://ftn.ficora.fi/2017/loatest3" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small helpers ---------------------------------------------------------------- */

static void token__set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void token__set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The JOSE name of an algorithm we support, or NULL. */
static const char *token__alg_name(int alg)
{
	if (alg == JWT_ALG_RS256)
		return "RS256";
	if (alg == JWT_ALG_ES256)
		return "ES256";
	return NULL;
}

/* 1 when JSON value `v` is a string of exactly the bytes of `s`, else 0. */
static int token__json_str_eq(const json_t *v, const char *s)
{
	size_t n = strlen(s);

	return json_is_string(v) && json_string_length(v) == n && memcmp(json_string_value(v), s, n) == 0;
}

/* 1 when JSON string `v` holds no NUL byte (so it can be used as a C string), else 0. */
static int token__json_str_clean(const json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

/* ---- structure ---------------------------------------------------------------------- */

/* A compact JWS cut at its two dots, each segment decoded (NUL-terminated, malloc'd). */
struct token_parts {
	const char *seg[3];
	size_t seglen[3];
	unsigned char *raw[3]; /* header JSON, payload JSON, signature */
	size_t rawlen[3];
};

/* Frees the decoded segments (the payload wiped first: it carries an identity code). */
static void token__parts_free(struct token_parts *p)
{
	if (p->raw[1] != NULL)
		OPENSSL_cleanse(p->raw[1], p->rawlen[1]);
	for (int i = 0; i < 3; i++)
		free(p->raw[i]);
}

/*
 * Cuts a compact JWS at its two dots into three segments and decodes each as canonical
 * unpadded base64url (jose.c refuses any other byte, NUL included, and non-zero trailing
 * bits); the header and payload must not be empty. Decoding is all that happens to the
 * payload before its signature has verified. Returns TOKEN_OK, or TOKEN_MALFORMED (also
 * when out of memory) with nothing left to free.
 */
static int token__split(const char *jwt, size_t len, struct token_parts *p)
{
	const char *d1, *d2;

	memset(p, 0, sizeof *p);
	if (len == 0 || len > TOKEN_MAX_LEN)
		return TOKEN_MALFORMED;
	d1 = memchr(jwt, '.', len);
	d2 = d1 == NULL ? NULL : memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt));
	if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)) != NULL)
		return TOKEN_MALFORMED; /* fewer or more than three segments */
	p->seg[0] = jwt;
	p->seglen[0] = (size_t)(d1 - jwt);
	p->seg[1] = d1 + 1;
	p->seglen[1] = (size_t)(d2 - d1 - 1);
	p->seg[2] = d2 + 1;
	p->seglen[2] = len - (size_t)(d2 + 1 - jwt);
	if (p->seglen[0] == 0 || p->seglen[1] == 0)
		return TOKEN_MALFORMED;
	for (int i = 0; i < 3; i++) {
		if (jose_b64url_decode(p->seg[i], p->seglen[i], &p->raw[i], &p->rawlen[i]) != 0) {
			token__parts_free(p);
			memset(p, 0, sizeof *p);
			return TOKEN_MALFORMED;
		}
	}
	return TOKEN_OK;
}

/* ---- header ------------------------------------------------------------------------- */

/*
 * Parses decoded text as a JSON object, duplicate keys refused. Returns TOKEN_OK with *obj
 * set (json_decref it), or `bad` for invalid JSON or a non-object.
 */
static int token__parse_object(const unsigned char *text, size_t len, int bad, json_t **obj)
{
	*obj = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
	if (*obj == NULL)
		return bad;
	if (!json_is_object(*obj)) {
		json_decref(*obj);
		*obj = NULL;
		return bad;
	}
	return TOKEN_OK;
}

/* The configured key whose kid is exactly the JSON string `kid`, or NULL. */
static const struct token_key *token__find_key(const struct token_config *cfg, const json_t *kid)
{
	for (size_t i = 0; i < cfg->nkeys; i++) {
		const struct token_key *k = &cfg->keys[i];

		if (memchr(k->kid, '\0', sizeof k->kid) != NULL && token__json_str_eq(kid, k->kid))
			return k;
	}
	return NULL;
}

/*
 * Checks the decoded header and picks the key. Returns TOKEN_OK with *key set, or
 * TOKEN_BAD_HEADER (alg or kid missing or not strings, typ other than "JWT", a forbidden
 * member), TOKEN_UNKNOWN_KID, TOKEN_BAD_ALG (alg not exactly the key's pinned alg) or
 * TOKEN_BAD_CONFIG (the matching key is unusable).
 */
static int token__check_header(const struct token_config *cfg, const json_t *hdr,
			       const struct token_key **key)
{
	const json_t *alg = json_object_get(hdr, "alg");
	const json_t *kid = json_object_get(hdr, "kid");
	const json_t *typ = json_object_get(hdr, "typ");
	const char *pinned;

	*key = NULL;
	if (!json_is_string(alg) || !json_is_string(kid) || json_string_length(kid) == 0)
		return TOKEN_BAD_HEADER;
	for (size_t i = 0; i < COUNT(token_forbidden_headers); i++)
		if (json_object_get(hdr, token_forbidden_headers[i]) != NULL)
			return TOKEN_BAD_HEADER;
	if (typ != NULL && !token__json_str_eq(typ, "JWT"))
		return TOKEN_BAD_HEADER;
	*key = token__find_key(cfg, kid);
	if (*key == NULL)
		return TOKEN_UNKNOWN_KID;
	pinned = token__alg_name((*key)->alg);
	if (pinned == NULL || (*key)->pkey == NULL || (*key)->verify_ctx == NULL)
		return TOKEN_BAD_CONFIG;
	if (!token__json_str_eq(alg, pinned))
		return TOKEN_BAD_ALG;
	return TOKEN_OK;
}

/* ---- signature ---------------------------------------------------------------------- */

/*
 * Makes the DigestVerify context of a key: SHA-256, and for RSA PKCS#1 v1.5 padding, set
 * explicitly. Set up once per key and afterwards only copied: the set-up looks algorithms
 * up by name, which took about half as long again as an RSA-2048 verification. Returns the
 * context, or NULL.
 */
static EVP_MD_CTX *token__verify_ctx_new(EVP_PKEY *pkey, int alg)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	if (ctx == NULL || EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", NULL, NULL, pkey, NULL) != 1 ||
	    (alg == JWT_ALG_RS256 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)) {
		EVP_MD_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	return ctx;
}

/*
 * Verifies `siglen` bytes of signature over the `n` bytes at `msg` with a copy of the key's
 * verify context. The key's context is only read (EVP_MD_CTX_copy_ex takes it const and
 * only takes references on what it shares), so concurrent calls with one key are safe.
 * Errors OpenSSL queues here are dropped; the thread's earlier ones are kept. Returns
 * TOKEN_OK, TOKEN_BAD_SIGNATURE, or TOKEN_NOMEM when the copy cannot be made.
 */
static int token__digest_verify(const EVP_MD_CTX *key_ctx, const unsigned char *sig, size_t siglen,
				const char *msg, size_t n)
{
	EVP_MD_CTX *ctx;
	int rc = TOKEN_NOMEM;

	ERR_set_mark();
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_MD_CTX_copy_ex(ctx, key_ctx) != 1)
		goto out;
	EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE); /* used once: no internal copy at final */
	rc = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)msg, n) == 1 ? TOKEN_OK
										    : TOKEN_BAD_SIGNATURE;
out:
	EVP_MD_CTX_free(ctx);
	ERR_pop_to_mark();
	return rc;
}

/*
 * Turns a JOSE ES256 signature (exactly 64 bytes: r then s, 32 bytes each, big-endian) into
 * the DER ECDSA-Sig-Value OpenSSL verifies, in der[TOKEN_ES256_DER_MAX]. Range checks of r
 * and s are left to the verification. Returns TOKEN_OK with *derlen set,
 * TOKEN_BAD_SIGNATURE for any other length, or TOKEN_NOMEM.
 */
static int token__es256_to_der(const unsigned char *raw, size_t n, unsigned char *der, size_t *derlen)
{
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	unsigned char *p = der;
	int len, rc = TOKEN_NOMEM;

	if (n != TOKEN_ES256_SIG_LEN)
		return TOKEN_BAD_SIGNATURE;
	es = ECDSA_SIG_new();
	r = BN_bin2bn(raw, TOKEN_ES256_SIG_LEN / 2, NULL);
	s = BN_bin2bn(raw + TOKEN_ES256_SIG_LEN / 2, TOKEN_ES256_SIG_LEN / 2, NULL);
	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	len = i2d_ECDSA_SIG(es, NULL);
	if (len <= 0 || len > TOKEN_ES256_DER_MAX || i2d_ECDSA_SIG(es, &p) != len)
		goto out;
	*derlen = (size_t)len;
	rc = TOKEN_OK;
out:
	ECDSA_SIG_free(es);
	return rc;
}

/*
 * Verifies the decoded signature `sig` over the signing input (the token's first `n`
 * bytes: the ASCII "header.payload") with the pinned key, by its pinned alg. An RS256
 * signature must be exactly as long as the modulus (RFC 8017 §8.2.2), an ES256 one exactly
 * 64 bytes. Returns TOKEN_OK, TOKEN_BAD_SIGNATURE, TOKEN_BAD_CONFIG (a key without its
 * parsed form or of another alg) or TOKEN_NOMEM.
 */
static int token__verify_signature(const struct token_key *key, const unsigned char *sig, size_t siglen,
				   const char *jwt, size_t n)
{
	unsigned char der[TOKEN_ES256_DER_MAX];
	size_t derlen = 0;
	int rc;

	if (key->pkey == NULL || key->verify_ctx == NULL)
		return TOKEN_BAD_CONFIG;
	if (key->alg == JWT_ALG_RS256) {
		if (siglen != (size_t)EVP_PKEY_get_size(key->pkey))
			return TOKEN_BAD_SIGNATURE;
		return token__digest_verify(key->verify_ctx, sig, siglen, jwt, n);
	}
	if (key->alg != JWT_ALG_ES256)
		return TOKEN_BAD_CONFIG;
	if ((rc = token__es256_to_der(sig, siglen, der, &derlen)) != TOKEN_OK)
		return rc;
	return token__digest_verify(key->verify_ctx, der, derlen, jwt, n);
}

/* ---- claims ------------------------------------------------------------------------- */

/*
 * Reads an optional integer time claim into *out. Returns 1 when present and valid
 * (a JSON integer in [0, TOKEN_TIME_MAX]), 0 when absent (*out = 0), -1 otherwise.
 */
static int token__get_time(const json_t *claims, const char *name, int64_t *out)
{
	const json_t *v = json_object_get(claims, name);
	json_int_t t;

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return -1;
	t = json_integer_value(v);
	if (t < 0 || t > TOKEN_TIME_MAX)
		return -1;
	*out = (int64_t)t;
	return 1;
}

/* "iss" must be a string equal to the configured issuer. TOKEN_OK or TOKEN_BAD_ISSUER. */
static int token__check_issuer(const struct token_config *cfg, const json_t *claims)
{
	if (!token__json_str_eq(json_object_get(claims, "iss"), cfg->issuer))
		return TOKEN_BAD_ISSUER;
	return TOKEN_OK;
}

/*
 * "aud" is our audience, or a non-empty array of strings each of which is our audience: a
 * token that names any other audience is refused, whatever "azp" says (OpenID Connect Core
 * 3.1.3.7: an audience we do not trust). "azp", when present, must be our audience too.
 * TOKEN_OK or TOKEN_BAD_AUDIENCE.
 */
static int token__check_audience(const struct token_config *cfg, const json_t *claims)
{
	const json_t *aud = json_object_get(claims, "aud");
	const json_t *azp = json_object_get(claims, "azp");
	const json_t *member;
	size_t i;

	if (azp != NULL && !token__json_str_eq(azp, cfg->audience))
		return TOKEN_BAD_AUDIENCE;
	if (json_is_string(aud))
		return token__json_str_eq(aud, cfg->audience) ? TOKEN_OK : TOKEN_BAD_AUDIENCE;
	if (!json_is_array(aud) || json_array_size(aud) == 0)
		return TOKEN_BAD_AUDIENCE;
	json_array_foreach (aud, i, member) {
		if (!token__json_str_eq(member, cfg->audience))
			return TOKEN_BAD_AUDIENCE;
	}
	return TOKEN_OK;
}

/*
 * Time claims: exp required, now <= exp + skew; nbf optional, now >= nbf - skew; iat
 * required, iat <= now + skew and now - iat <= max_age; auth_time optional, not in the
 * future. All values are bounded, so the arithmetic cannot overflow. Fills id's times.
 * Returns TOKEN_OK, TOKEN_MALFORMED (missing or ill-typed), TOKEN_EXPIRED,
 * TOKEN_NOT_YET_VALID or TOKEN_TOO_OLD.
 */
static int token__check_times(const struct token_config *cfg, const json_t *claims, int64_t now,
			      struct token_identity *id)
{
	int64_t nbf;

	if (token__get_time(claims, "exp", &id->exp) != 1 || token__get_time(claims, "iat", &id->iat) != 1 ||
	    token__get_time(claims, "nbf", &nbf) < 0 ||
	    token__get_time(claims, "auth_time", &id->auth_time) < 0)
		return TOKEN_MALFORMED;
	if (now > id->exp + cfg->skew_s)
		return TOKEN_EXPIRED;
	if (nbf > now + cfg->skew_s)
		return TOKEN_NOT_YET_VALID;
	if (id->iat > now + cfg->skew_s || id->auth_time > now + cfg->skew_s)
		return TOKEN_NOT_YET_VALID;
	if (now - id->iat > cfg->max_age_s)
		return TOKEN_TOO_OLD;
	return TOKEN_OK;
}

/* 1 when `acr` (`len` bytes) is one word of the space-separated list `values`, else 0. */
static int token__acr_listed(const char *values, const char *acr, size_t len)
{
	const char *p = values;

	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (n == len && n > 0 && memcmp(p, acr, len) == 0)
			return 1;
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}

/* 1 when `acr` is a test-bed level, else 0. */
static int token__acr_is_test(const char *acr, size_t len)
{
	for (size_t i = 0; i < COUNT(token_acr_test_equivalent); i++)
		if (strlen(token_acr_test_equivalent[i][1]) == len &&
		    memcmp(token_acr_test_equivalent[i][1], acr, len) == 0)
			return 1;
	return 0;
}

/* 1 when `acr` is the test-bed counterpart of a configured level, else 0. */
static int token__acr_test_of_listed(const char *values, const char *acr, size_t len)
{
	for (size_t i = 0; i < COUNT(token_acr_test_equivalent); i++) {
		const char *prod = token_acr_test_equivalent[i][0], *test = token_acr_test_equivalent[i][1];

		if (strlen(test) == len && memcmp(test, acr, len) == 0 &&
		    token__acr_listed(values, prod, strlen(prod)))
			return 1;
	}
	return 0;
}

/*
 * "acr" must be one of the configured levels (cfg->acr_values, the levels requested); in
 * test mode also the test-bed counterpart of one of them. A test-bed level outside test mode
 * is refused even when configured. Copies it to id->acr. TOKEN_OK or TOKEN_BAD_ACR.
 */
static int token__check_acr(const struct token_config *cfg, const json_t *claims, struct token_identity *id)
{
	const json_t *acr = json_object_get(claims, "acr");
	const char *v;
	size_t len;

	if (!token__json_str_clean(acr) || (len = json_string_length(acr)) == 0 || len >= sizeof id->acr)
		return TOKEN_BAD_ACR;
	v = json_string_value(acr);
	if (token__acr_is_test(v, len) && !cfg->test_mode)
		return TOKEN_BAD_ACR;
	if (!token__acr_listed(cfg->acr_values, v, len) &&
	    !(cfg->test_mode && token__acr_test_of_listed(cfg->acr_values, v, len)))
		return TOKEN_BAD_ACR;
	memcpy(id->acr, v, len + 1);
	return TOKEN_OK;
}

/*
 * The identity-code claim (named by cfg->hetu_claim) must be a string accepted by
 * hetu_check in the configured mode, today being now's UTC date. Copies it to id->hetu.
 * Returns TOKEN_OK, TOKEN_NO_IDENTITY or TOKEN_BAD_IDENTITY.
 */
static int token__check_identity(const struct token_config *cfg, const json_t *claims, int64_t now,
				 struct token_identity *id)
{
	const json_t *v = json_object_get(claims, cfg->hetu_claim);
	size_t n;

	if (v == NULL)
		return TOKEN_NO_IDENTITY;
	if (!json_is_string(v))
		return TOKEN_BAD_IDENTITY;
	n = json_string_length(v);
	if (n != HETU_LEN ||
	    hetu_check(json_string_value(v), n, cfg->test_mode, hetu_ymd_from_unix(now)) != HETU_OK)
		return TOKEN_BAD_IDENTITY;
	memcpy(id->hetu, json_string_value(v), HETU_LEN);
	id->hetu[HETU_LEN] = '\0';
	return TOKEN_OK;
}

/* "sub", when present, is a string of at most 255 bytes. TOKEN_OK or TOKEN_MALFORMED. */
static int token__check_sub(const json_t *claims, struct token_identity *id)
{
	const json_t *sub = json_object_get(claims, "sub");

	if (sub == NULL)
		return TOKEN_OK;
	if (!token__json_str_clean(sub) || json_string_length(sub) >= sizeof id->sub)
		return TOKEN_MALFORMED;
	memcpy(id->sub, json_string_value(sub), json_string_length(sub) + 1);
	return TOKEN_OK;
}

/* The string claim `key` when it is clean and holds no control character, else NULL. */
static const char *token__name_part(const json_t *claims, const char *key)
{
	const json_t *v = json_object_get(claims, key);
	const char *s;

	if (!token__json_str_clean(v) || json_string_length(v) == 0)
		return NULL;
	s = json_string_value(v);
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	return s;
}

/*
 * The person's name from "given_name" and "family_name" (OpenID Connect's standard claims),
 * joined by a space, into id->name; either alone when the other is absent. A name is not
 * required: a claim that is absent, not a clean string or too long leaves the part out (and
 * id->name "" when nothing is left). Never fails.
 */
static void token__take_name(const json_t *claims, struct token_identity *id)
{
	const char *given = token__name_part(claims, "given_name"),
		   *family = token__name_part(claims, "family_name");
	int n;

	if (given != NULL && family != NULL)
		n = snprintf(id->name, sizeof id->name, "%s %s", given, family);
	else
		n = snprintf(id->name, sizeof id->name, "%s", given ? given : family ? family : "");
	if (n < 0 || (size_t)n >= sizeof id->name)
		id->name[0] = '\0';
}

/* Runs the claim checks in order; the first failure is returned. */
static int token__check_claims(const struct token_config *cfg, const json_t *claims, int64_t now,
			       struct token_identity *id)
{
	int rc;

	if ((rc = token__check_issuer(cfg, claims)) != TOKEN_OK)
		return rc;
	if ((rc = token__check_audience(cfg, claims)) != TOKEN_OK)
		return rc;
	if ((rc = token__check_times(cfg, claims, now, id)) != TOKEN_OK)
		return rc;
	if ((rc = token__check_acr(cfg, claims, id)) != TOKEN_OK)
		return rc;
	if ((rc = token__check_identity(cfg, claims, now, id)) != TOKEN_OK)
		return rc;
	if ((rc = token__check_sub(claims, id)) != TOKEN_OK)
		return rc;
	token__take_name(claims, id);
	return TOKEN_OK;
}

/* 1 when the configuration and time can be used at all, else 0. */
static int token__config_ok(const struct token_config *cfg, int64_t now)
{
	return cfg->keys != NULL && cfg->nkeys > 0 && cfg->skew_s >= 0 && cfg->max_age_s >= 0 &&
	       cfg->issuer[0] != '\0' && cfg->audience[0] != '\0' && cfg->hetu_claim[0] != '\0' &&
	       cfg->acr_values[0] != '\0' && now >= 0 && now <= TOKEN_TIME_MAX;
}

int token_verify(const struct token_config *cfg, const char *jwt, size_t len, int64_t now_s,
		 struct token_identity *out)
{
	const struct token_key *key;
	struct token_parts parts;
	struct token_identity id;
	json_t *hdr = NULL, *claims = NULL;
	int rc;

	if (out == NULL)
		return TOKEN_BAD_CONFIG;
	memset(out, 0, sizeof *out);
	memset(&id, 0, sizeof id);
	if (cfg == NULL || jwt == NULL || !token__config_ok(cfg, now_s))
		return TOKEN_BAD_CONFIG;
	if ((rc = token__split(jwt, len, &parts)) != TOKEN_OK)
		return rc;
	if ((rc = token__parse_object(parts.raw[0], parts.rawlen[0], TOKEN_BAD_HEADER, &hdr)) != TOKEN_OK)
		goto out;
	if ((rc = token__check_header(cfg, hdr, &key)) != TOKEN_OK)
		goto out;
	rc = token__verify_signature(key, parts.raw[2], parts.rawlen[2], jwt,
				     parts.seglen[0] + 1 + parts.seglen[1]);
	if (rc != TOKEN_OK)
		goto out;
	if ((rc = token__parse_object(parts.raw[1], parts.rawlen[1], TOKEN_MALFORMED, &claims)) != TOKEN_OK)
		goto out;
	if ((rc = token__check_claims(cfg, claims, now_s, &id)) != TOKEN_OK)
		goto out;
	*out = id;
out:
	OPENSSL_cleanse(&id, sizeof id);
	token__parts_free(&parts);
	json_decref(hdr);
	json_decref(claims);
	return rc;
}

const char *token_result_text(int r)
{
	switch (r) {
	case TOKEN_OK: return "ok";
	case TOKEN_MALFORMED: return "malformed token";
	case TOKEN_BAD_HEADER: return "unacceptable token header";
	case TOKEN_UNKNOWN_KID: return "unknown key id";
	case TOKEN_BAD_ALG: return "algorithm not allowed for this key";
	case TOKEN_BAD_SIGNATURE: return "bad signature";
	case TOKEN_BAD_ISSUER: return "wrong issuer";
	case TOKEN_BAD_AUDIENCE: return "wrong audience";
	case TOKEN_EXPIRED: return "token expired";
	case TOKEN_NOT_YET_VALID: return "token not yet valid";
	case TOKEN_TOO_OLD: return "token issued too long ago";
	case TOKEN_BAD_ACR: return "authentication level not accepted";
	case TOKEN_NO_IDENTITY: return "no identity code in token";
	case TOKEN_BAD_IDENTITY: return "identity code refused";
	case TOKEN_NOMEM: return "out of memory";
	case TOKEN_BAD_CONFIG: return "token verification not configured";
	default: return "unknown";
	}
}

/* ---- key list ----------------------------------------------------------------------- */

static int token__is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Number of times `needle` occurs, without overlap, in the `n` bytes at `s`. */
static size_t token__count(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle), count = 0;

	for (size_t i = 0; m > 0 && i + m <= n; i++) {
		if (memcmp(s + i, needle, m) == 0) {
			count++;
			i += m - 1;
		}
	}
	return count;
}

/*
 * Checks that a PEM text is exactly one "PUBLIC KEY" (SubjectPublicKeyInfo) block, with
 * only whitespace around it. 0 when so, -1 otherwise.
 */
static int token__pem_shape_ok(const char *pem, size_t n)
{
	size_t b = sizeof pem_begin - 1, e = sizeof pem_end - 1;

	while (n > 0 && token__is_space(*pem)) {
		pem++;
		n--;
	}
	while (n > 0 && token__is_space(pem[n - 1]))
		n--;
	if (n < b + e || memcmp(pem, pem_begin, b) != 0 || memcmp(pem + n - e, pem_end, e) != 0)
		return -1;
	if (token__count(pem, n, "-----") != 4)
		return -1; /* a second block or stray markers */
	return 0;
}

/*
 * Checks the key type against alg: RS256 needs plain RSA of 2048-8192 bits, ES256 an EC key
 * on P-256. 0, or -1 with a reason in err.
 */
static int token__pkey_fits(EVP_PKEY *pkey, int alg, size_t idx, char *err, size_t errlen)
{
	char group[64];
	int bits = EVP_PKEY_get_bits(pkey);

	if (alg == JWT_ALG_RS256) {
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
			token__set_err(err, errlen, "key %zu: alg RS256 needs an RSA key", idx);
			return -1;
		}
		if (bits < TOKEN_RSA_MIN_BITS || bits > TOKEN_RSA_MAX_BITS) {
			token__set_err(err, errlen, "key %zu: RSA key of %d bits (need %d-%d)", idx, bits,
				       TOKEN_RSA_MIN_BITS, TOKEN_RSA_MAX_BITS);
			return -1;
		}
		return 0;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    EVP_PKEY_get_group_name(pkey, group, sizeof group, NULL) != 1 ||
	    OBJ_txt2nid(group) != NID_X9_62_prime256v1) {
		token__set_err(err, errlen, "key %zu: alg ES256 needs an EC P-256 key", idx);
		return -1;
	}
	return 0;
}

/* Writes `pkey` as a SubjectPublicKeyInfo PEM into k->pem. 0, or -1 when out of memory. */
static int token__store_pem(EVP_PKEY *pkey, struct token_key *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int rc = -1;

	if (bio == NULL || PEM_write_bio_PUBKEY(bio, pkey) != 1)
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		goto out;
	k->pem = malloc((size_t)n + 1);
	if (k->pem == NULL)
		goto out;
	memcpy(k->pem, data, (size_t)n);
	k->pem[n] = '\0';
	k->pem_len = (size_t)n;
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

/*
 * Parses the PEM member of entry `idx` into k: the key, checked against k->alg, is kept in
 * k->pkey with its verify context in k->verify_ctx (both owned) and re-encoded into k->pem.
 * 0, or -1 with a reason in err.
 */
static int token__parse_pem(const json_t *pem, size_t idx, struct token_key *k, char *err, size_t errlen)
{
	size_t n = json_string_length(pem);
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int rc = -1;

	if (!token__json_str_clean(pem) || n > TOKEN_PEM_MAX ||
	    token__pem_shape_ok(json_string_value(pem), n) != 0) {
		token__set_err(err, errlen, "key %zu: pem must be one \"BEGIN PUBLIC KEY\" block", idx);
		return -1;
	}
	bio = BIO_new_mem_buf(json_string_value(pem), (int)n);
	if (bio == NULL) {
		token__set_err(err, errlen, "key %zu: out of memory", idx);
		return -1;
	}
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (pkey == NULL) {
		token__set_err(err, errlen, "key %zu: pem holds no readable public key", idx);
		goto out;
	}
	if (token__pkey_fits(pkey, k->alg, idx, err, errlen) != 0)
		goto out;
	k->verify_ctx = token__verify_ctx_new(pkey, k->alg);
	if (k->verify_ctx == NULL || token__store_pem(pkey, k) != 0) {
		token__set_err(err, errlen, "key %zu: out of memory", idx);
		goto out;
	}
	k->pkey = pkey;
	pkey = NULL;
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return rc;
}

/* 1 when `kid` is a string of 1-127 printable ASCII bytes (no space), else 0. */
static int token__kid_ok(const json_t *kid)
{
	const char *s;
	size_t n;

	if (!json_is_string(kid))
		return 0;
	s = json_string_value(kid);
	n = json_string_length(kid);
	if (n == 0 || n >= sizeof((struct token_key *)0)->kid)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * Parses entry `idx` of the key list into keys[idx], refusing a kid already used by an
 * earlier entry. 0, or -1 with a reason in err.
 */
static int token__parse_entry(const json_t *e, size_t idx, struct token_key *keys, char *err, size_t errlen)
{
	const json_t *kid, *alg, *pem;
	struct token_key *k = &keys[idx];

	if (!json_is_object(e) || json_object_size(e) != 3) {
		token__set_err(err, errlen, "key %zu: must be an object of kid, alg and pem", idx);
		return -1;
	}
	kid = json_object_get(e, "kid");
	alg = json_object_get(e, "alg");
	pem = json_object_get(e, "pem");
	if (kid == NULL || alg == NULL || !json_is_string(pem)) {
		token__set_err(err, errlen, "key %zu: must be an object of kid, alg and pem", idx);
		return -1;
	}
	if (!token__kid_ok(kid)) {
		token__set_err(err, errlen, "key %zu: kid must be 1-127 printable characters", idx);
		return -1;
	}
	for (size_t i = 0; i < idx; i++) {
		if (token__json_str_eq(kid, keys[i].kid)) {
			token__set_err(err, errlen, "key %zu: duplicate kid (as key %zu)", idx, i);
			return -1;
		}
	}
	memcpy(k->kid, json_string_value(kid), json_string_length(kid) + 1);
	if (token__json_str_eq(alg, "RS256")) {
		k->alg = JWT_ALG_RS256;
	} else if (token__json_str_eq(alg, "ES256")) {
		k->alg = JWT_ALG_ES256;
	} else {
		token__set_err(err, errlen, "key %zu: alg must be \"RS256\" or \"ES256\"", idx);
		return -1;
	}
	return token__parse_pem(pem, idx, k, err, errlen);
}

int token_keys_parse(const char *json_text, size_t len, struct token_key **keys, size_t *nkeys, char *err,
		     size_t errlen)
{
	struct token_key *list = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	size_t n = 0;
	int rc = -1;

	token__set_err(err, errlen, "%s", "");
	if (keys == NULL || nkeys == NULL || json_text == NULL) {
		token__set_err(err, errlen, "invalid arguments");
		return -1;
	}
	*keys = NULL;
	*nkeys = 0;
	if (len > TOKEN_KEYS_FILE_MAX) {
		token__set_err(err, errlen, "key list larger than %d bytes", TOKEN_KEYS_FILE_MAX);
		return -1;
	}
	root = json_loadb(json_text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* Position only: the parser's text may quote the input. */
		token__set_err(err, errlen, "not valid JSON (line %d, column %d)", jerr.line, jerr.column);
		return -1;
	}
	n = json_array_size(root);
	if (!json_is_array(root) || n == 0 || n > TOKEN_KEYS_MAX) {
		token__set_err(err, errlen, "must be a list of 1-%d keys", TOKEN_KEYS_MAX);
		goto out;
	}
	list = calloc(n, sizeof *list);
	if (list == NULL) {
		token__set_err(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (token__parse_entry(json_array_get(root, i), i, list, err, errlen) != 0)
			goto out;
	*keys = list;
	*nkeys = n;
	list = NULL;
	rc = 0;
out:
	token_keys_free(list, n);
	json_decref(root);
	return rc;
}

int token_keys_load(const char *path, struct token_key **keys, size_t *nkeys, char *err, size_t errlen)
{
	char reason[256];
	char *buf = NULL;
	size_t n;
	FILE *f;
	int rc = -1;

	if (keys != NULL && nkeys != NULL) {
		*keys = NULL;
		*nkeys = 0;
	}
	if (path == NULL) {
		token__set_err(err, errlen, "no key file");
		return -1;
	}
	f = fopen(path, "rbe");
	if (f == NULL) {
		token__set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(TOKEN_KEYS_FILE_MAX + 1);
	if (buf == NULL) {
		token__set_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, TOKEN_KEYS_FILE_MAX + 1, f);
	if (ferror(f) || n > TOKEN_KEYS_FILE_MAX) {
		token__set_err(err, errlen, "%s: %s", path, ferror(f) ? "read error" : "larger than 1 MiB");
		goto out;
	}
	if (token_keys_parse(buf, n, keys, nkeys, reason, sizeof reason) != 0) {
		token__set_err(err, errlen, "%s: %s", path, reason);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

void token_keys_free(struct token_key *keys, size_t nkeys)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < nkeys; i++) {
		free(keys[i].pem);
		EVP_MD_CTX_free(keys[i].verify_ctx);
		EVP_PKEY_free(keys[i].pkey);
	}
	free(keys);
}

/* ---- signing (test identity provider) ------------------------------------------------ */

/* 1 when `claims_json` is a JSON object without duplicate keys, else 0. */
static int token__claims_ok(const char *claims_json)
{
	json_t *root = json_loads(claims_json, JSON_REJECT_DUPLICATES, NULL);
	int ok = json_is_object(root);

	json_decref(root);
	return ok;
}

char *token_sign(const char *private_pem, size_t pem_len, int alg, const char *kid, const char *claims_json)
{
	jwt_t *jwt = NULL;
	char *out = NULL;

	if (private_pem == NULL || pem_len == 0 || pem_len > TOKEN_PEM_MAX || kid == NULL || kid[0] == '\0' ||
	    claims_json == NULL || token__alg_name(alg) == NULL)
		return NULL;
	if (!token__claims_ok(claims_json))
		return NULL;
	if (jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_grants_json(jwt, claims_json) != 0 || jwt_add_header(jwt, "kid", kid) != 0 ||
	    jwt_set_alg(jwt, (jwt_alg_t)alg, (const unsigned char *)private_pem, (int)pem_len) != 0)
		goto out;
	out = jwt_encode_str(jwt);
out:
	jwt_free(jwt);
	return out;
}
