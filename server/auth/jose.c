/*
 * jose.c - base64url, RSA JWKs, RS256 compact JWS signing and JWE decryption with OpenSSL
 * libcrypto 3, for the bank-ID relying party (oidc.c) and its tests.
 *
 * JWE decryption follows RFC 7516 §5.2: the header is checked against an allowlist before
 * any key is touched; a failed RSA unwrap continues with a random content key so that a
 * wrong key, a bad tag and bad padding all end in the same JOSE_DECRYPT_FAILED; the
 * A128CBC-HS256 tag is compared in constant time before the CBC decryption.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "jose.h"
#include "secret.h"

#define JOSE_HEADER_MAX	 4096
#define JOSE_EK_MAX	 1024 /* encrypted key: RSA 8192 */
#define JOSE_KEYFILE_MAX 65536
#define COUNT(a)	 (sizeof(a) / sizeof((a)[0]))

enum jose_enc { ENC_A128CBC_HS256, ENC_A128GCM, ENC_A256GCM };

static const struct {
	const char *name;
	enum jose_enc enc;
	size_t cek_len, iv_len;
} jose_encs[] = {
	{ "A128CBC-HS256", ENC_A128CBC_HS256, 32, 16 },
	{ "A128GCM", ENC_A128GCM, 16, 12 },
	{ "A256GCM", ENC_A256GCM, 32, 12 },
};

static const char *const jose_forbidden_headers[] = { "zip", "crit", "jku", "x5u", "jwk", "x5c" };

const char *jose_result_text(int r)
{
	switch (r) {
	case JOSE_OK: return "ok";
	case JOSE_MALFORMED: return "malformed JWE";
	case JOSE_BAD_HEADER: return "JWE header refused";
	case JOSE_UNSUPPORTED_ALG: return "JWE algorithm not allowed";
	case JOSE_UNKNOWN_KID: return "JWE key id unknown";
	case JOSE_DECRYPT_FAILED: return "JWE decryption failed";
	case JOSE_NOMEM: return "out of memory";
	case JOSE_BAD_ARG: return "bad argument";
	default: return "unknown";
	}
}

/* ---- base64url ---------------------------------------------------------------------- */

static const char jose_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *jose_b64url_encode(const void *in, size_t len)
{
	const uint8_t *p = in;
	char *out, *o;
	size_t i;

	if (len > (SIZE_MAX - 4) / 4 * 3)
		return NULL;
	out = malloc((len + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	o = out;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*o++ = jose_b64[v >> 18];
		*o++ = jose_b64[(v >> 12) & 63];
		*o++ = jose_b64[(v >> 6) & 63];
		*o++ = jose_b64[v & 63];
	}
	if (len - i == 1) {
		*o++ = jose_b64[p[i] >> 2];
		*o++ = jose_b64[(p[i] & 3) << 4];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

		*o++ = jose_b64[v >> 10];
		*o++ = jose_b64[(v >> 4) & 63];
		*o++ = jose_b64[(v & 15) << 2];
	}
	*o = '\0';
	return out;
}

int jose_b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int jose_b64url_decode(const char *in, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0;

	*out = NULL;
	*outlen = 0;
	if (len % 4 == 1 || len > SIZE_MAX / 3)
		return -1;
	buf = malloc(len / 4 * 3 + 3);
	if (buf == NULL)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = jose_b64url_value((unsigned char)in[i]);

		if (v < 0)
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) /* non-canonical trailing bits */
		goto bad;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
bad:
	free(buf);
	return -1;
}

/* Decodes segment [s, s+n) into a buffer of between min and max bytes. 0 or -1. */
static int jose_b64_segment(const char *s, size_t n, size_t min, size_t max, uint8_t **out, size_t *outlen)
{
	if (jose_b64url_decode(s, n, out, outlen) != 0)
		return -1;
	if (*outlen < min || *outlen > max) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* ---- keys --------------------------------------------------------------------------- */

static int jose_is_rsa(EVP_PKEY *pkey)
{
	return pkey != NULL && EVP_PKEY_is_a(pkey, "RSA");
}

/* A JWK member as a big number, or NULL. */
static BIGNUM *jose_jwk_bn(const json_t *jwk, const char *name)
{
	const char *s = json_string_value(json_object_get(jwk, name));
	uint8_t *bin;
	size_t n;
	BIGNUM *bn;

	if (s == NULL || jose_b64url_decode(s, strlen(s), &bin, &n) != 0)
		return NULL;
	bn = n > 0 && n <= JOSE_RSA_MAX_BITS / 8 && bin[0] != 0 ? BN_bin2bn(bin, (int)n, NULL) : NULL;
	free(bin);
	return bn;
}

static EVP_PKEY *jose_rsa_from_bn(BIGNUM *n, BIGNUM *e)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (bld == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

EVP_PKEY *jose_jwk_to_pkey(const json_t *jwk, const char *want_use, char *err, size_t errlen)
{
	static const char *const refused[] = { "d", "p", "q", "dp", "dq", "qi", "oth", "k", "x5u", "jku" };
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const json_t *use = json_object_get(jwk, "use");
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pkey = NULL;
	int bits;

	if (!json_is_object(jwk) || kty == NULL || strcmp(kty, "RSA") != 0) {
		snprintf(err, errlen, "not an RSA key");
		return NULL;
	}
	for (size_t i = 0; i < COUNT(refused); i++) {
		if (json_object_get(jwk, refused[i]) != NULL) {
			snprintf(err, errlen, "member \"%s\" not allowed", refused[i]);
			return NULL;
		}
	}
	if (use != NULL &&
	    (!json_is_string(use) || (want_use != NULL && strcmp(json_string_value(use), want_use) != 0))) {
		snprintf(err, errlen, "key use does not match");
		return NULL;
	}
	n = jose_jwk_bn(jwk, "n");
	e = jose_jwk_bn(jwk, "e");
	if (n == NULL || e == NULL || BN_num_bits(e) > 33 || !BN_is_odd(e) || BN_is_one(e)) {
		snprintf(err, errlen, "bad n or e");
		goto out;
	}
	bits = BN_num_bits(n);
	if (bits < JOSE_RSA_MIN_BITS || bits > JOSE_RSA_MAX_BITS || !BN_is_odd(n)) {
		snprintf(err, errlen, "RSA modulus of %d bits refused", bits);
		goto out;
	}
	pkey = jose_rsa_from_bn(n, e);
	if (pkey == NULL)
		snprintf(err, errlen, "cannot build the key");
out:
	BN_free(n);
	BN_free(e);
	return pkey;
}

/* base64url of a big number's big-endian bytes, malloc'd, or NULL. */
static char *jose_bn_b64(EVP_PKEY *pkey, const char *param)
{
	BIGNUM *bn = NULL;
	uint8_t *bin = NULL;
	char *out = NULL;
	int n;

	if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
		return NULL;
	n = BN_num_bytes(bn);
	bin = malloc((size_t)n + 1);
	if (bin != NULL && BN_bn2bin(bn, bin) == n)
		out = jose_b64url_encode(bin, (size_t)n);
	free(bin);
	BN_free(bn);
	return out;
}

json_t *jose_pkey_to_jwk(EVP_PKEY *pkey, const char *kid, const char *use, const char *alg)
{
	char *n = NULL, *e = NULL;
	json_t *o = NULL;

	if (!jose_is_rsa(pkey))
		return NULL;
	n = jose_bn_b64(pkey, OSSL_PKEY_PARAM_RSA_N);
	e = jose_bn_b64(pkey, OSSL_PKEY_PARAM_RSA_E);
	if (n != NULL && e != NULL)
		o = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", n, "e", e);
	if (o != NULL && kid != NULL)
		json_object_set_new(o, "kid", json_string(kid));
	if (o != NULL && use != NULL)
		json_object_set_new(o, "use", json_string(use));
	if (o != NULL && alg != NULL)
		json_object_set_new(o, "alg", json_string(alg));
	free(n);
	free(e);
	return o;
}

int jose_thumbprint(EVP_PKEY *pkey, char out[44])
{
	char *n = NULL, *e = NULL, *canon = NULL, *b64 = NULL;
	uint8_t md[32];
	unsigned int mdlen = 0;
	int rc = -1;

	if (!jose_is_rsa(pkey))
		return -1;
	n = jose_bn_b64(pkey, OSSL_PKEY_PARAM_RSA_N);
	e = jose_bn_b64(pkey, OSSL_PKEY_PARAM_RSA_E);
	if (n == NULL || e == NULL ||
	    asprintf(&canon, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e, n) < 0) {
		canon = NULL;
		goto out;
	}
	if (!EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL) || mdlen != sizeof md)
		goto out;
	b64 = jose_b64url_encode(md, sizeof md);
	if (b64 == NULL)
		goto out;
	memcpy(out, b64, 44);
	rc = 0;
out:
	free(n);
	free(e);
	free(canon);
	free(b64);
	return rc;
}

char *jose_pkey_public_pem(EVP_PKEY *pkey)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (b != NULL && PEM_write_bio_PUBKEY(b, pkey) && (n = BIO_get_mem_data(b, &data)) > 0 &&
	    (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	return out;
}

EVP_PKEY *jose_private_key_load(const char *path, char *err, size_t errlen)
{
	char *buf = malloc(JOSE_KEYFILE_MAX);
	BIO *b = NULL;
	EVP_PKEY *pkey = NULL;
	size_t n = 0;

	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (secret_credential_read(path, buf, JOSE_KEYFILE_MAX, &n, err, errlen) != 0)
		goto out;
	b = BIO_new_mem_buf(buf, (int)n);
	pkey = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	if (!jose_is_rsa(pkey) || EVP_PKEY_get_bits(pkey) < JOSE_RSA_MIN_BITS ||
	    EVP_PKEY_get_bits(pkey) > JOSE_RSA_MAX_BITS) {
		snprintf(err, errlen, "%.200s: not an RSA private key of %d..%d bits", path,
			 JOSE_RSA_MIN_BITS, JOSE_RSA_MAX_BITS);
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	OPENSSL_cleanse(buf, JOSE_KEYFILE_MAX);
	free(buf);
	BIO_free(b);
	return pkey;
}

/* ---- JWS ---------------------------------------------------------------------------- */

char *jose_sign_rs256(EVP_PKEY *priv, const char *kid, const char *payload_json)
{
	json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "kid", kid ? kid : "");
	char *htxt = hdr ? json_dumps(hdr, JSON_COMPACT) : NULL;
	char *h64 = NULL, *p64 = NULL, *s64 = NULL, *input = NULL, *out = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	EVP_MD_CTX *md = NULL;

	if (htxt == NULL || !jose_is_rsa(priv) || payload_json == NULL)
		goto done;
	h64 = jose_b64url_encode(htxt, strlen(htxt));
	p64 = jose_b64url_encode(payload_json, strlen(payload_json));
	if (h64 == NULL || p64 == NULL || asprintf(&input, "%s.%s", h64, p64) < 0) {
		input = NULL;
		goto done;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, priv) <= 0 ||
	    EVP_DigestSign(md, NULL, &siglen, (const uint8_t *)input, strlen(input)) <= 0 ||
	    (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(md, sig, &siglen, (const uint8_t *)input, strlen(input)) <= 0)
		goto done;
	s64 = jose_b64url_encode(sig, siglen);
	if (s64 == NULL || asprintf(&out, "%s.%s", input, s64) < 0)
		out = NULL;
done:
	EVP_MD_CTX_free(md);
	json_decref(hdr);
	free(htxt);
	free(h64);
	free(p64);
	free(s64);
	free(input);
	free(sig);
	return out;
}

/* ---- JWE ---------------------------------------------------------------------------- */

struct jwe_parts {
	const char *seg[5];
	size_t len[5];
};

static int jwe_split(const char *jwe, size_t len, struct jwe_parts *p)
{
	size_t start = 0, k = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && jwe[i] == '\0')
			return -1;
		if (i == len || jwe[i] == '.') {
			if (k == 5)
				return -1;
			p->seg[k] = jwe + start;
			p->len[k++] = i - start;
			start = i + 1;
		}
	}
	return k == 5 ? 0 : -1;
}

/* The RSA-OAEP digest of a key-management alg name, or NULL when not allowed. */
static const EVP_MD *jwe_oaep_md(const char *alg)
{
	if (alg != NULL && strcmp(alg, "RSA-OAEP") == 0)
		return EVP_sha1();
	if (alg != NULL && strcmp(alg, "RSA-OAEP-256") == 0)
		return EVP_sha256();
	return NULL;
}

static int jwe_enc_index(const char *enc)
{
	for (size_t i = 0; enc != NULL && i < COUNT(jose_encs); i++)
		if (strcmp(jose_encs[i].name, enc) == 0)
			return (int)i;
	return -1;
}

/* Checks the protected header; sets *md, *enc and *key. Returns JOSE_OK or an error. */
static int jwe_check_header(const struct jose_dec_key *keys, size_t nkeys, const struct jwe_parts *p,
			    const EVP_MD **md, int *enc, const struct jose_dec_key **key)
{
	uint8_t *raw = NULL;
	size_t rawlen;
	json_t *hdr = NULL, *kid;
	const char *cty;
	int rc = JOSE_BAD_HEADER;

	if (jose_b64_segment(p->seg[0], p->len[0], 2, JOSE_HEADER_MAX, &raw, &rawlen) != 0)
		return JOSE_MALFORMED;
	hdr = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(hdr))
		goto out;
	for (size_t i = 0; i < COUNT(jose_forbidden_headers); i++)
		if (json_object_get(hdr, jose_forbidden_headers[i]) != NULL)
			goto out;
	cty = json_string_value(json_object_get(hdr, "cty"));
	if (json_object_get(hdr, "cty") != NULL && (cty == NULL || strcmp(cty, "JWT") != 0))
		goto out;
	*md = jwe_oaep_md(json_string_value(json_object_get(hdr, "alg")));
	*enc = jwe_enc_index(json_string_value(json_object_get(hdr, "enc")));
	if (*md == NULL || *enc < 0) {
		rc = JOSE_UNSUPPORTED_ALG;
		goto out;
	}
	kid = json_object_get(hdr, "kid");
	*key = NULL;
	if (kid == NULL) {
		*key = nkeys > 0 ? &keys[0] : NULL;
	} else if (json_is_string(kid)) {
		for (size_t i = 0; i < nkeys && *key == NULL; i++)
			if (strcmp(keys[i].kid, json_string_value(kid)) == 0)
				*key = &keys[i];
	} else {
		goto out;
	}
	rc = *key != NULL ? JOSE_OK : JOSE_UNKNOWN_KID;
out:
	json_decref(hdr);
	free(raw);
	return rc;
}

/* Unwraps the content key into cek (cek_len bytes). On any failure fills it with random
 * bytes instead, so the caller fails later at the tag like for any other forgery. */
static void jwe_unwrap(EVP_PKEY *pkey, const EVP_MD *md, const uint8_t *ek, size_t eklen, uint8_t *cek,
		       size_t cek_len)
{
	uint8_t buf[JOSE_EK_MAX];
	size_t outlen = sizeof buf;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	int ok = ctx != NULL && EVP_PKEY_decrypt_init(ctx) > 0 &&
		 EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
		 EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) > 0 && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) > 0 &&
		 EVP_PKEY_decrypt(ctx, buf, &outlen, ek, eklen) > 0 && outlen == cek_len;

	if (ok)
		memcpy(cek, buf, cek_len);
	else
		RAND_bytes(cek, (int)cek_len);
	OPENSSL_cleanse(buf, sizeof buf);
	EVP_PKEY_CTX_free(ctx);
}

/* The A128CBC-HS256 tag: HMAC-SHA-256(mac_key, AAD || IV || C || AL), first 16 bytes.
 * 0, or -1 when OpenSSL fails. */
static int jwe_cbc_tag(const uint8_t *mac_key, const char *aad, size_t aadlen, const uint8_t *iv,
		       const uint8_t *ct, size_t ctlen, uint8_t tag[16])
{
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
				OSSL_PARAM_construct_end() };
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *mc = mac ? EVP_MAC_CTX_new(mac) : NULL;
	uint8_t al[8], md[32];
	uint64_t bits = (uint64_t)aadlen * 8;
	size_t outl = 0;
	int ok;

	for (int i = 0; i < 8; i++)
		al[i] = (uint8_t)(bits >> (56 - 8 * i));
	ok = mc != NULL && EVP_MAC_init(mc, mac_key, 16, params) &&
	     EVP_MAC_update(mc, (const uint8_t *)aad, aadlen) && EVP_MAC_update(mc, iv, 16) &&
	     EVP_MAC_update(mc, ct, ctlen) && EVP_MAC_update(mc, al, 8) &&
	     EVP_MAC_final(mc, md, &outl, sizeof md) && outl == sizeof md;
	EVP_MAC_CTX_free(mc);
	EVP_MAC_free(mac);
	if (ok)
		memcpy(tag, md, 16);
	return ok ? 0 : -1;
}

/* AES-CBC or AES-GCM in either direction. Returns the output length or -1. */
static int jwe_cipher(int encrypt, int enc, const uint8_t *cek, const uint8_t *iv, const char *aad,
		      size_t aadlen, const uint8_t *in, size_t inlen, uint8_t *out, uint8_t tag[16])
{
	const EVP_CIPHER *cipher = enc == ENC_A128CBC_HS256 ? EVP_aes_128_cbc()
				   : enc == ENC_A128GCM	    ? EVP_aes_128_gcm()
							    : EVP_aes_256_gcm();
	const uint8_t *key = enc == ENC_A128CBC_HS256 ? cek + 16 : cek;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int gcm = enc != ENC_A128CBC_HS256, len = 0, total = -1, fin = 0;

	if (ctx == NULL || inlen > INT32_MAX / 2)
		goto out;
	if (!EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, encrypt) ||
	    (gcm && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL)) ||
	    !EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, encrypt))
		goto out;
	if (gcm && !EVP_CipherUpdate(ctx, NULL, &len, (const uint8_t *)aad, (int)aadlen))
		goto out;
	if (!EVP_CipherUpdate(ctx, out, &len, in, (int)inlen))
		goto out;
	if (gcm && !encrypt && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag))
		goto out;
	if (!EVP_CipherFinal_ex(ctx, out + len, &fin))
		goto out;
	if (gcm && encrypt && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag))
		goto out;
	total = len + fin;
out:
	EVP_CIPHER_CTX_free(ctx);
	return total;
}

int jose_jwe_decrypt(const struct jose_dec_key *keys, size_t nkeys, const char *jwe, size_t len, char **out,
		     size_t *outlen)
{
	struct jwe_parts p;
	const struct jose_dec_key *key = NULL;
	const EVP_MD *md = NULL;
	uint8_t *ek = NULL, *iv = NULL, *ct = NULL, *tag = NULL, *pt = NULL;
	size_t eklen, ivlen, ctlen, taglen;
	uint8_t cek[32], want[16];
	int enc = -1, rc, n;

	if (out == NULL || outlen == NULL || jwe == NULL)
		return JOSE_BAD_ARG;
	*out = NULL;
	*outlen = 0;
	if (len > JOSE_JWE_MAX_LEN || jwe_split(jwe, len, &p) != 0)
		return JOSE_MALFORMED;
	rc = jwe_check_header(keys, nkeys, &p, &md, &enc, &key);
	if (rc != JOSE_OK)
		return rc;
	rc = JOSE_MALFORMED;
	if (jose_b64_segment(p.seg[1], p.len[1], 1, JOSE_EK_MAX, &ek, &eklen) != 0 ||
	    jose_b64_segment(p.seg[2], p.len[2], jose_encs[enc].iv_len, jose_encs[enc].iv_len, &iv, &ivlen) !=
		    0 ||
	    jose_b64_segment(p.seg[3], p.len[3], 0, JOSE_JWE_MAX_LEN, &ct, &ctlen) != 0 ||
	    jose_b64_segment(p.seg[4], p.len[4], 16, 16, &tag, &taglen) != 0)
		goto done;
	if ((pt = malloc(ctlen + 17)) == NULL) {
		rc = JOSE_NOMEM;
		goto done;
	}
	jwe_unwrap(key->pkey, md, ek, eklen, cek, jose_encs[enc].cek_len);
	rc = JOSE_DECRYPT_FAILED;
	if (enc == ENC_A128CBC_HS256) {
		if (ctlen == 0 || ctlen % 16 != 0 ||
		    jwe_cbc_tag(cek, p.seg[0], p.len[0], iv, ct, ctlen, want) != 0 ||
		    CRYPTO_memcmp(want, tag, 16) != 0)
			goto done;
	}
	n = jwe_cipher(0, enc, cek, iv, p.seg[0], p.len[0], ct, ctlen, pt, tag);
	if (n < 0)
		goto done;
	pt[n] = '\0';
	if (memchr(pt, '\0', (size_t)n) != NULL)
		goto done;
	*out = (char *)pt;
	*outlen = (size_t)n;
	pt = NULL;
	rc = JOSE_OK;
done:
	OPENSSL_cleanse(cek, sizeof cek);
	if (pt != NULL) {
		OPENSSL_cleanse(pt, ctlen + 17);
		free(pt);
	}
	free(ek);
	free(iv);
	free(ct);
	free(tag);
	return rc;
}

/* Wraps cek for pkey with RSA-OAEP (md). Returns a malloc'd buffer or NULL. */
static uint8_t *jwe_wrap(EVP_PKEY *pkey, const EVP_MD *md, const uint8_t *cek, size_t cek_len, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	uint8_t *out = NULL;

	*outlen = 0;
	if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0 ||
	    EVP_PKEY_encrypt(ctx, NULL, outlen, cek, cek_len) <= 0 || (out = malloc(*outlen)) == NULL ||
	    EVP_PKEY_encrypt(ctx, out, outlen, cek, cek_len) <= 0) {
		free(out);
		out = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return out;
}

char *jose_jwe_encrypt(EVP_PKEY *pub, const char *kid, const char *alg, const char *enc_name, const void *pt,
		       size_t len)
{
	const EVP_MD *md = jwe_oaep_md(alg);
	int enc = jwe_enc_index(enc_name);
	json_t *hdr = NULL;
	char *htxt = NULL, *h64 = NULL, *ek64 = NULL, *iv64 = NULL, *ct64 = NULL, *tag64 = NULL, *out = NULL;
	uint8_t cek[32], iv[16], tag[16], *ek = NULL, *ct = NULL;
	size_t eklen = 0;
	int n;

	if (md == NULL || enc < 0 || !jose_is_rsa(pub) || len > JOSE_JWE_MAX_LEN)
		return NULL;
	hdr = json_pack("{s:s, s:s, s:s}", "alg", alg, "enc", enc_name, "cty", "JWT");
	if (hdr != NULL && kid != NULL)
		json_object_set_new(hdr, "kid", json_string(kid));
	if (hdr == NULL || (htxt = json_dumps(hdr, JSON_COMPACT)) == NULL ||
	    (h64 = jose_b64url_encode(htxt, strlen(htxt))) == NULL)
		goto done;
	RAND_bytes(cek, (int)jose_encs[enc].cek_len);
	RAND_bytes(iv, (int)jose_encs[enc].iv_len);
	if ((ek = jwe_wrap(pub, md, cek, jose_encs[enc].cek_len, &eklen)) == NULL ||
	    (ct = malloc(len + 16)) == NULL)
		goto done;
	n = jwe_cipher(1, enc, cek, iv, h64, strlen(h64), pt, len, ct, tag);
	if (n < 0 ||
	    (enc == ENC_A128CBC_HS256 && jwe_cbc_tag(cek, h64, strlen(h64), iv, ct, (size_t)n, tag) != 0))
		goto done;
	ek64 = jose_b64url_encode(ek, eklen);
	iv64 = jose_b64url_encode(iv, jose_encs[enc].iv_len);
	ct64 = jose_b64url_encode(ct, (size_t)n);
	tag64 = jose_b64url_encode(tag, 16);
	if (ek64 == NULL || iv64 == NULL || ct64 == NULL || tag64 == NULL ||
	    asprintf(&out, "%s.%s.%s.%s.%s", h64, ek64, iv64, ct64, tag64) < 0)
		out = NULL;
done:
	OPENSSL_cleanse(cek, sizeof cek);
	json_decref(hdr);
	free(htxt);
	free(h64);
	free(ek);
	free(ct);
	free(ek64);
	free(iv64);
	free(ct64);
	free(tag64);
	return out;
}
