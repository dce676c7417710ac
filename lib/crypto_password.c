/*
 * crypto_password.c - the password as the key derivation takes it: UTF-8 in Unicode
 * normalization form NFKC (PROTOCOL.md §4.4), by ICU. client-web does the same with
 * String.prototype.normalize('NFKC'), so a password typed with composed or decomposed
 * letters, full-width forms or ligatures gives the same key in both clients.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "crypto_int.h"

/* UTF-16 of valid UTF-8 (ill-formed input, surrogates and overlong forms refused), malloc'd. */
static int password_utf16(const char *in, int32_t inlen, UChar **out, int32_t *outlen)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t n = 0;
	UChar *u;

	u_strFromUTF8(NULL, 0, &n, in, inlen, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return -ADVICE_ERR_INVAL;
	if ((u = malloc(((size_t)n + 1) * sizeof(UChar))) == NULL)
		return -ADVICE_ERR_NOMEM;
	e = U_ZERO_ERROR;
	u_strFromUTF8(u, n + 1, NULL, in, inlen, &e);
	if (U_FAILURE(e)) {
		free(u);
		return -ADVICE_ERR_INVAL;
	}
	*out = u;
	*outlen = n;
	return 0;
}

/* The NFKC form of s (UTF-16), malloc'd. */
static int password_nfkc16(const UChar *s, int32_t len, UChar **out, int32_t *outlen)
{
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *nfkc = unorm2_getNFKCInstance(&e);
	int32_t n;
	UChar *u;

	if (U_FAILURE(e))
		return -ADVICE_ERR_INTERNAL;
	n = unorm2_normalize(nfkc, s, len, NULL, 0, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return -ADVICE_ERR_INTERNAL;
	if ((u = malloc(((size_t)n + 1) * sizeof(UChar))) == NULL)
		return -ADVICE_ERR_NOMEM;
	e = U_ZERO_ERROR;
	unorm2_normalize(nfkc, s, len, u, n + 1, &e);
	if (U_FAILURE(e)) {
		free(u);
		return -ADVICE_ERR_INTERNAL;
	}
	*out = u;
	*outlen = n;
	return 0;
}

/* UTF-8 of s, malloc'd and NUL-terminated. */
static int password_utf8(const UChar *s, int32_t len, char **out)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t n = 0;
	char *p;

	u_strToUTF8(NULL, 0, &n, s, len, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return -ADVICE_ERR_INTERNAL;
	if ((p = malloc((size_t)n + 1)) == NULL)
		return -ADVICE_ERR_NOMEM;
	e = U_ZERO_ERROR;
	u_strToUTF8(p, n + 1, NULL, s, len, &e);
	if (U_FAILURE(e)) {
		free(p);
		return -ADVICE_ERR_INTERNAL;
	}
	p[n] = '\0';
	*out = p;
	return 0;
}

/* Frees a UTF-16 copy of a password, wiping it first. */
static void password_free16(UChar *s, int32_t len)
{
	if (s != NULL) {
		sodium_memzero(s, (size_t)len * sizeof(UChar));
		free(s);
	}
}

ADVICE_API int advice_password_nfkc(const char *password, char **out)
{
	UChar *u16 = NULL, *norm = NULL;
	int32_t u16len = 0, normlen = 0;
	size_t len;
	int rc;

	if (password == NULL || out == NULL || (len = strlen(password)) > ADVICE_PASSWORD_MAX_BYTES)
		return -ADVICE_ERR_INVAL;
	rc = password_utf16(password, (int32_t)len, &u16, &u16len);
	if (rc == 0)
		rc = password_nfkc16(u16, u16len, &norm, &normlen);
	if (rc == 0)
		rc = password_utf8(norm, normlen, out);
	password_free16(u16, u16len);
	password_free16(norm, normlen);
	return rc;
}
