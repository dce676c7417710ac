/*
 * jose.h - the JOSE pieces libjwt 1.10 lacks, with OpenSSL libcrypto: base64url, RSA JWKs
 * to and from keys, JWK thumbprints, RS256 signing of compact JWS (request objects and
 * client assertions), and JWE decryption of the identity provider's encrypted ID token
 * (RFC 7516/7518: RSA-OAEP or RSA-OAEP-256 key wrapping; A128CBC-HS256, A128GCM or
 * A256GCM content encryption; nothing else).
 *
 * The inner signed token is verified by token.c (OpenSSL, algorithm pinned). Nothing here
 * logs: decrypted payloads carry identity codes.
 */
#ifndef ADVICE_JOSE_H
#define ADVICE_JOSE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#define JOSE_JWE_MAX_LEN  32768 /* bytes of a compact JWE */
#define JOSE_RSA_MIN_BITS 2048
#define JOSE_RSA_MAX_BITS 8192
#define JOSE_KID_MAX	  128

enum jose_result {
	JOSE_OK = 0,
	JOSE_MALFORMED,	      /* segments, base64url, lengths */
	JOSE_BAD_HEADER,      /* header JSON, zip, crit, jku/x5u/jwk, cty not JWT */
	JOSE_UNSUPPORTED_ALG, /* alg or enc outside the allowlist */
	JOSE_UNKNOWN_KID,     /* kid names none of our decryption keys */
	JOSE_DECRYPT_FAILED,  /* key unwrap, tag or padding: one answer for all (RFC 7516 §11.5) */
	JOSE_NOMEM,
	JOSE_BAD_ARG,
};

/* One of our private decryption keys. */
struct jose_dec_key {
	char kid[JOSE_KID_MAX];
	EVP_PKEY *pkey; /* RSA private key, borrowed */
};

/* A short English reason for a jose_result; never NULL. */
const char *jose_result_text(int r);

/* base64url without padding into a malloc'd NUL-terminated string, or NULL. */
char *jose_b64url_encode(const void *in, size_t len);
/* The 6-bit value of a base64url character, or -1 for any other byte. */
int jose_b64url_value(unsigned char c);
/* Decodes strict base64url without padding (no stray characters, canonical trailing bits).
 * Returns 0 with *out malloc'd (NUL-terminated for convenience) and *outlen set, or -1. */
int jose_b64url_decode(const char *in, size_t len, uint8_t **out, size_t *outlen);

/*
 * An RSA public key from a JWK object: kty "RSA", n, e; refuses private members, key URLs
 * (x5u, jku), a "use" other than `want_use` when both are given, moduli outside
 * JOSE_RSA_MIN_BITS..JOSE_RSA_MAX_BITS. Returns the key or NULL with a reason in err.
 */
EVP_PKEY *jose_jwk_to_pkey(const json_t *jwk, const char *want_use, char *err, size_t errlen);
/* The public JWK of an RSA key with kid, use and alg (each omitted when NULL). NULL on failure. */
json_t *jose_pkey_to_jwk(EVP_PKEY *pkey, const char *kid, const char *use, const char *alg);
/* The RFC 7638 SHA-256 thumbprint of an RSA key, base64url (43 characters). 0 or -1. */
int jose_thumbprint(EVP_PKEY *pkey, char out[44]);
/* A PEM SubjectPublicKeyInfo of the key, malloc'd and NUL-terminated, or NULL. */
char *jose_pkey_public_pem(EVP_PKEY *pkey);
/* Reads a private key PEM file of at most 64 KiB that only its owner may read: RSA, 2048 bits
 * or more. Returns the key or NULL with "path: reason" in err. */
EVP_PKEY *jose_private_key_load(const char *path, char *err, size_t errlen);

/* A compact JWS over `payload_json` signed RS256 with header {"alg":"RS256","typ":"JWT","kid"}.
 * Returns a malloc'd string or NULL. */
char *jose_sign_rs256(EVP_PKEY *priv, const char *kid, const char *payload_json);

/*
 * Decrypts a compact JWE of `len` bytes (no NUL needed) with one of `keys` (by kid; a JWE
 * without kid is tried with the first key only). Returns JOSE_OK with *out (malloc'd,
 * NUL-terminated) and *outlen, or another jose_result with *out NULL.
 */
int jose_jwe_decrypt(const struct jose_dec_key *keys, size_t nkeys, const char *jwe, size_t len, char **out,
		     size_t *outlen);

/*
 * Encrypts `pt` to an RSA public key as a compact JWE with header {alg, enc, kid, cty "JWT"}.
 * alg "RSA-OAEP" or "RSA-OAEP-256"; enc "A128CBC-HS256", "A128GCM" or "A256GCM". For tests
 * and fuzz seeds (the test bank is the independent implementation). malloc'd or NULL.
 */
char *jose_jwe_encrypt(EVP_PKEY *pub, const char *kid, const char *alg, const char *enc, const void *pt,
		       size_t len);

#endif
