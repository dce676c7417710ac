/*
 * crypto_int.h - internals shared by libadvice's crypto_*.c files: little-endian fields,
 * the common object prefix, signing with a context string.
 */
#ifndef ADVICE_CRYPTO_INT_H
#define ADVICE_CRYPTO_INT_H

#include <stddef.h>
#include <stdint.h>

#include "advice_crypto.h"

#ifndef ADVICE_API
#define ADVICE_API __attribute__((visibility("default")))
#endif
#define ADVICE_PREFIX_BYTES 6
#define ADVICE_TEXT_WINDOW  4096 /* the bytes the plain-text rule of the sniff looks at */

/* 1 when s is UTF-8 as RFC 3629 defines it (no overlong forms, surrogates or code points above
 * U+10FFFF); with allow_cut, a sequence cut by the end of s counts as valid. Else 0. */
int advice__utf8_valid(const uint8_t *s, size_t len, int allow_cut);
/* The plain-text rule of the sniff (CRYPTO-FORMATS.md, "Text"): 1 when the first
 * ADVICE_TEXT_WINDOW bytes (all of data when shorter; at least one) are UTF-8 without control
 * characters other than tab, line feed, form feed and carriage return, a sequence cut by the
 * window counting as valid when the window is full. Else 0. */
int advice__is_plain_text(const uint8_t *data, size_t len);

void advice__put32(uint8_t *p, uint32_t v);
void advice__put64(uint8_t *p, uint64_t v);
uint32_t advice__get32(const uint8_t *p);
uint64_t advice__get64(const uint8_t *p);
/* Writes "QA", version 1, type, suite 1, flags 0. */
void advice__prefix_put(uint8_t *p, uint8_t type);
/* 0 when p starts with the prefix of type, else -ADVICE_ERR_INVAL. */
int advice__prefix_check(const uint8_t *p, size_t len, uint8_t type);
/* Ed25519 over ctx || data || extra (extra may be NULL). Returns 0 or -ADVICE_ERR_NOMEM. */
int advice__sign(uint8_t sig[ADVICE_SIG_BYTES], const char *ctx, const uint8_t *data, size_t len,
		 const uint8_t *extra, size_t extra_len, const uint8_t sk[ADVICE_SIGN_SK_BYTES]);
/* 0 when sig verifies, else -ADVICE_ERR_FORBIDDEN. */
int advice__verify(const uint8_t sig[ADVICE_SIG_BYTES], const char *ctx, const uint8_t *data, size_t len,
		   const uint8_t *extra, size_t extra_len, const uint8_t pk[ADVICE_KEY_BYTES]);

#endif
