/*
 * staff.h - what the social workers' accounts need besides the login itself: the TOTP secret
 * sealed at rest under a key derived from the pepper, one-time setup codes for the first
 * login, the enrolment URI, and the published demo secret of test mode.
 */
#ifndef ADVICE_STAFF_H
#define ADVICE_STAFF_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "totp.h"

/* Setup codes: 16 base32 characters (80 bits) in groups of four, "ABCD-EFGH-JKMN-PQRS". */
#define STAFF_SETUP_CODE_LEN  19
#define STAFF_SETUP_CODE_SIZE (STAFF_SETUP_CODE_LEN + 1)
#define STAFF_SETUP_VALID_MS  (7LL * 24 * 3600 * 1000) /* default validity of a setup code */

/* The published second-factor secret of the demo accounts (test mode only), and its base32. */
#define STAFF_DEMO_SECRET     "advice demo account!"
#define STAFF_DEMO_SECRET_B32 "MFSHM2LDMUQGIZLNN4QGCY3DN52W45BB"

#define STAFF_TOTP_B32_SIZE (TOTP_SECRET_MAX * 8 / 5 + 2)
#define STAFF_URI_SIZE	    512
#define STAFF_ISSUER	    "Online advice"

/*
 * Seals a TOTP secret for `user_id`: XChaCha20-Poly1305 (libsodium's IETF AEAD) under
 * kdf(pepper, "advtotp1", 1), a random 24-byte nonce first, the user id as associated data.
 * Returns 0 with *outlen set, or -1 (secret too long, or `cap` too small).
 */
int staff_totp_seal(const uint8_t pepper[32], const char *user_id, const uint8_t *secret, size_t len,
		    uint8_t *out, size_t cap, size_t *outlen);
/* Opens a sealed secret into `secret` (TOTP_SECRET_MAX bytes). 0, or -1 when it is not
 * authentic for this user and pepper. */
int staff_totp_open(const uint8_t pepper[32], const char *user_id, const uint8_t *box, size_t boxlen,
		    uint8_t secret[TOTP_SECRET_MAX], size_t *len);
/* A fresh one-time setup code. */
void staff_setup_code_new(char out[STAFF_SETUP_CODE_SIZE]);
/* The keyed hash of a setup code as stored. */
void staff_setup_code_hash(const uint8_t pepper[32], const char *code, uint8_t out[STORE_HASH_BYTES]);
/* The otpauth:// URI authenticator apps read for `username` and the base32 secret. 0 or -1. */
int staff_otpauth_uri(const char *username, const char *secret_b32, char *out, size_t size);
/* The current code of a sealed secret at Unix time now_s (tests, demo-totp). 0 or -1. */
int staff_totp_code(const uint8_t pepper[32], const char *user_id, const uint8_t *box, size_t boxlen,
		    int64_t now_s, char out[TOTP_DIGITS + 1]);

#endif
