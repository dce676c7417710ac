/*
 * token.h - verification of the citizen's bank-ID ID token (a compact JWS), and signing
 * for the test identity provider.
 *
 * Verification does not use libjwt: 1.10.2 takes the algorithm from the token header,
 * checks no claims and re-parses the key PEM on every call. This module parses the header
 * itself (exact algorithm pinned per key id), verifies RS256/ES256 with OpenSSL and the key
 * parsed once at load time, and checks every claim itself (research/identity.md §2.3-2.6).
 * libjwt is used only by token_sign. token_verify may be called from several threads with
 * the same keys.
 *
 * Tokens carry identity codes: never log a token, a payload or a token_identity.
 */
#ifndef ADVICE_TOKEN_H
#define ADVICE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#define TOKEN_MAX_LEN 16384 /* bytes of a compact token */

/* One trusted signing key; made only by token_keys_parse, freed by token_keys_free. */
struct token_key {
	char kid[128];
	int alg;		/* jwt_alg_t: JWT_ALG_RS256 or JWT_ALG_ES256 only */
	EVP_PKEY *pkey;		/* the parsed public key, owned; token_verify only reads it */
	EVP_MD_CTX *verify_ctx; /* DigestVerify set up once with pkey (SHA-256), owned; only copied */
	char *pem;		/* SubjectPublicKeyInfo PEM, NUL-terminated, owned */
	size_t pem_len;		/* without the NUL */
};

struct token_config {
	char issuer[256];     /* "iss" must equal this exactly */
	char audience[256];   /* our client_id, in "aud" */
	char hetu_claim[64];  /* identity-code claim: "hetu", "urn:oid:1.2.246.21", "nin" */
	char acr_values[256]; /* accepted levels ("acr"), space-separated: the ones requested */
	int skew_s;	      /* clock leeway for exp, nbf, iat, auth_time; >= 0 */
	int max_age_s;	      /* now - iat may not exceed this; >= 0 */
	int test_mode;	      /* non-zero: 9xx identity codes only; the test-bed counterparts of
				 acr_values (loa2 -> loatest2, loa3 -> loatest3) accepted too */
	struct token_key *keys;
	size_t nkeys;
};

struct token_identity {
	char hetu[12]; /* the full 11-character code, century sign included */
	char acr[64];
	char sub[256];		     /* "" when absent */
	char name[256];		     /* given_name and family_name joined by a space; "" when absent */
	int64_t iat, exp, auth_time; /* auth_time 0 when absent */
};

enum token_result {
	TOKEN_OK = 0,
	TOKEN_MALFORMED,  /* length, segments, base64url, payload JSON, claim types/ranges */
	TOKEN_BAD_HEADER, /* header JSON, missing kid/alg, typ not JWT, crit/jku/x5u/jwk/x5c */
	TOKEN_UNKNOWN_KID,
	TOKEN_BAD_ALG, /* header alg is not exactly the key's pinned alg */
	TOKEN_BAD_SIGNATURE,
	TOKEN_BAD_ISSUER,
	TOKEN_BAD_AUDIENCE, /* aud is not ours alone (any other audience), or azp is not ours */
	TOKEN_EXPIRED,
	TOKEN_NOT_YET_VALID, /* nbf, iat or auth_time in the future (beyond skew) */
	TOKEN_TOO_OLD,	     /* iat older than max_age_s */
	TOKEN_BAD_ACR,	     /* acr missing or not a configured level (or its test counterpart) */
	TOKEN_NO_IDENTITY,   /* identity-code claim missing */
	TOKEN_BAD_IDENTITY,  /* identity-code claim not a string or refused by hetu_check */
	TOKEN_NOMEM,
	TOKEN_BAD_CONFIG, /* NULL argument, no keys or acr_values, negative skew/max age, now out
			     of range */
};

/*
 * Loads keys from a JSON text (`len` bytes, no NUL needed):
 *   [{"kid": "...", "alg": "RS256"|"ES256", "pem": "-----BEGIN PUBLIC KEY-----\n..."}]
 * Refuses other algs, other members, non-SPKI PEM (PKCS#1, certificates, private keys,
 * more than one PEM block), RSA below 2048 or above 8192 bits, EC curves other than P-256,
 * a key type that does not match alg, empty or duplicate kids, an empty list.
 * Each key is parsed once, here, into its pkey; the stored PEM is re-encoded from it.
 * Returns 0 and sets *keys (free with token_keys_free) and *nkeys, or -1 with *keys NULL,
 * *nkeys 0 and a reason in err (which names the entry by index, not by content).
 */
int token_keys_parse(const char *json_text, size_t len, struct token_key **keys, size_t *nkeys, char *err,
		     size_t errlen);
/* As token_keys_parse, from a file of at most 1 MiB. 0, or -1 with "path: reason" in err. */
int token_keys_load(const char *path, struct token_key **keys, size_t *nkeys, char *err, size_t errlen);
/* Frees what token_keys_parse returned; NULL is fine. */
void token_keys_free(struct token_key *keys, size_t nkeys);

/*
 * Verifies a compact JWS ID token of `len` bytes (no NUL needed) at Unix time now_s.
 * Returns TOKEN_OK and fills *out, or another token_result with *out zeroed.
 * Checks, in order: structure (three canonical base64url segments), header, signature
 * (OpenSSL, the pinned key and alg; RS256 signatures exactly as long as the modulus, ES256
 * exactly the 64-byte raw r||s), payload JSON, iss, aud/azp, exp, nbf, iat, auth_time, acr,
 * identity code, sub; then the name (given_name, family_name: optional, never a failure). The
 * payload is not parsed before its signature has verified.
 */
int token_verify(const struct token_config *cfg, const char *jwt, size_t len, int64_t now_s,
		 struct token_identity *out);
/* A short English reason for a token_result; "unknown" for other values. Never NULL. */
const char *token_result_text(int r);

/*
 * Signs `claims_json` (a JSON object text, duplicate keys refused) with a private key PEM as
 * a compact JWS whose header is {"alg", "typ": "JWT", "kid"}. alg is JWT_ALG_RS256 or
 * JWT_ALG_ES256 and must match the key. For the test identity provider (advicectl
 * dev-token) and tests. Returns a malloc'd NUL-terminated token, or NULL.
 */
char *token_sign(const char *private_pem, size_t pem_len, int alg, const char *kid, const char *claims_json);

#endif
