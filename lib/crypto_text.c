/*
 * crypto_text.c - the text rules both clients share (CRYPTO-FORMATS.md, "Text"): strict
 * UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF) for a message's
 * text, and the plain-text rule of the attachment sniff. client-web's media.ts and
 * message.ts apply the same rules; proto/vectors/text.json holds the cases both check.
 */
#include "crypto_int.h"

/* The length of the UTF-8 sequence that starts with byte b (0 for a byte no sequence starts with),
 * and the bounds of its second byte, which exclude overlong forms, surrogates and > U+10FFFF. */
static size_t utf8_lead(uint8_t b, uint8_t *lo, uint8_t *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef) {
		if (b == 0xe0)
			*lo = 0xa0; /* overlong below U+0800 */
		else if (b == 0xed)
			*hi = 0x9f; /* U+D800..DFFF, the surrogates */
		return 3;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		if (b == 0xf0)
			*lo = 0x90; /* overlong below U+10000 */
		else if (b == 0xf4)
			*hi = 0x8f; /* above U+10FFFF */
		return 4;
	}
	return 0; /* 0x80..0xc1 (continuation or overlong lead), 0xf5..0xff */
}

int advice__utf8_valid(const uint8_t *s, size_t len, int allow_cut)
{
	size_t i = 0;

	while (i < len) {
		uint8_t lo, hi;
		size_t n = utf8_lead(s[i], &lo, &hi);

		if (n == 0)
			return 0;
		for (size_t k = 1; k < n; k++) {
			if (i + k == len)
				return allow_cut; /* a sequence cut by the end of the data */
			if (s[i + k] < (k == 1 ? lo : 0x80) || s[i + k] > (k == 1 ? hi : 0xbf))
				return 0;
		}
		i += n;
	}
	return 1;
}

int advice__is_plain_text(const uint8_t *data, size_t len)
{
	size_t window = len < ADVICE_TEXT_WINDOW ? len : ADVICE_TEXT_WINDOW;

	if (window == 0)
		return 0;
	for (size_t i = 0; i < window; i++)
		if (data[i] < 0x20 && data[i] != '\t' && data[i] != '\n' && data[i] != '\f' &&
		    data[i] != '\r')
			return 0;
	return advice__utf8_valid(data, window, len >= ADVICE_TEXT_WINDOW);
}
