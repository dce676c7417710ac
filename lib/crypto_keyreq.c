/*
 * crypto_keyreq.c - the worker key request (type 13): at a worker's first login the client
 * makes the worker's identity and signs "user X holds these public keys, at time T" with the
 * identity's own signing key; an admin certifies what it names after comparing its
 * fingerprint with the one the worker's client showed. Byte layout: proto/CRYPTO-FORMATS.md.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "crypto_int.h"

#define SIG_KEYREQ "QA-v1-keyreq"

/* Key request layout. */
#define R_USER 6
#define R_SIGN 22
#define R_BOX  54
#define R_TIME 86
#define R_SIG  94

ADVICE_API int advice_key_request_sign(uint8_t out[ADVICE_KEY_REQUEST_BYTES],
				       const uint8_t user_id[ADVICE_OID_BYTES], uint64_t created_at,
				       const struct advice_keys *identity)
{
	advice__prefix_put(out, ADVICE_OBJ_KEY_REQUEST);
	memcpy(out + R_USER, user_id, ADVICE_OID_BYTES);
	memcpy(out + R_SIGN, identity->sign_pk, ADVICE_KEY_BYTES);
	memcpy(out + R_BOX, identity->box_pk, ADVICE_KEY_BYTES);
	advice__put64(out + R_TIME, created_at);
	return advice__sign(out + R_SIG, SIG_KEYREQ, out, R_SIG, NULL, 0, identity->sign_sk);
}

ADVICE_API int advice_key_request_verify(const uint8_t *in, size_t len, struct advice_key_request *r)
{
	struct advice_key_request tmp;

	if (len != ADVICE_KEY_REQUEST_BYTES || advice__prefix_check(in, len, ADVICE_OBJ_KEY_REQUEST) != 0)
		return -ADVICE_ERR_INVAL;
	if (r == NULL)
		r = &tmp;
	memcpy(r->user_id, in + R_USER, ADVICE_OID_BYTES);
	memcpy(r->sign_pk, in + R_SIGN, ADVICE_KEY_BYTES);
	memcpy(r->box_pk, in + R_BOX, ADVICE_KEY_BYTES);
	r->created_at = advice__get64(in + R_TIME);
	return advice__verify(in + R_SIG, SIG_KEYREQ, in, R_SIG, NULL, 0, r->sign_pk);
}

ADVICE_API void advice_key_fingerprint(char out[ADVICE_FINGERPRINT_CHARS + 1],
				       const uint8_t sign_pk[ADVICE_KEY_BYTES],
				       const uint8_t box_pk[ADVICE_KEY_BYTES])
{
	uint8_t both[2 * ADVICE_KEY_BYTES], fp[16];
	char *p = out;

	memcpy(both, sign_pk, ADVICE_KEY_BYTES);
	memcpy(both + ADVICE_KEY_BYTES, box_pk, ADVICE_KEY_BYTES);
	crypto_generichash(fp, sizeof fp, both, sizeof both, NULL, 0);
	for (size_t i = 0; i < sizeof fp; i += 2) {
		if (i > 0)
			*p++ = ' ';
		snprintf(p, 5, "%02x%02x", fp[i], fp[i + 1]);
		p += 4;
	}
	*p = '\0';
}

ADVICE_API int advice_key_fingerprint_equal(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '-')
			a++;
		while (*b == ' ' || *b == '-')
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if ((*a | 0x20) != (*b | 0x20))
			return 0;
		a++;
		b++;
	}
}
