/*
 * crypto_consent.c - the consent event (type 5): the citizen's signed consent to hand a thread
 * to the client record through one connector, or its withdrawal; and the connector's login
 * signature over the server's challenge. Byte layout: proto/CRYPTO-FORMATS.md.
 */
#include <string.h>

#include <sodium.h>

#include "crypto_int.h"

#define SIG_CONSENT "QA-v1-consent"
#define SIG_LOGIN   "QA-v1-connector-login"

/* Consent event layout. */
#define C_KIND	 6
#define C_THREAD 7
#define C_CONN	 23
#define C_EPOCH	 39
#define C_SCOPE	 43
#define C_TEXT	 75
#define C_LANG	 107
#define C_TIME	 109
#define C_SIGNER 117
#define C_SIG	 133

static int kind_valid(uint8_t kind)
{
	return kind == ADVICE_CONSENT_GIVEN || kind == ADVICE_CONSENT_WITHDRAWN;
}

/* The languages the service shows its texts in. */
static int lang_valid(const uint8_t l[2])
{
	static const char *const langs[] = { "fi", "sv", "en" };

	for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++)
		if (l[0] == (uint8_t)langs[i][0] && l[1] == (uint8_t)langs[i][1])
			return 1;
	return 0;
}

ADVICE_API int advice_consent_make(uint8_t out[ADVICE_CONSENT_BYTES], struct advice_consent *c,
				   const struct advice_keys *signer)
{
	if (!kind_valid(c->kind) || c->lang[2] != '\0' || !lang_valid((const uint8_t *)c->lang))
		return -ADVICE_ERR_INVAL;
	advice_kid(c->signer_kid, signer->sign_pk);
	advice__prefix_put(out, ADVICE_OBJ_CONSENT);
	out[C_KIND] = c->kind;
	memcpy(out + C_THREAD, c->thread_id, ADVICE_OID_BYTES);
	memcpy(out + C_CONN, c->connector_kid, ADVICE_KID_BYTES);
	advice__put32(out + C_EPOCH, c->epoch);
	memcpy(out + C_SCOPE, c->scope_hash, ADVICE_HASH_BYTES);
	memcpy(out + C_TEXT, c->text_hash, ADVICE_HASH_BYTES);
	memcpy(out + C_LANG, c->lang, 2);
	advice__put64(out + C_TIME, c->created_at);
	memcpy(out + C_SIGNER, c->signer_kid, ADVICE_KID_BYTES);
	return advice__sign(out + C_SIG, SIG_CONSENT, out, C_SIG, NULL, 0, signer->sign_sk);
}

ADVICE_API int advice_consent_parse(const uint8_t *in, size_t len, struct advice_consent *c)
{
	if (len != ADVICE_CONSENT_BYTES || advice__prefix_check(in, len, ADVICE_OBJ_CONSENT) != 0 ||
	    !kind_valid(in[C_KIND]) || !lang_valid(in + C_LANG))
		return -ADVICE_ERR_INVAL;
	if (c != NULL) {
		c->kind = in[C_KIND];
		memcpy(c->thread_id, in + C_THREAD, ADVICE_OID_BYTES);
		memcpy(c->connector_kid, in + C_CONN, ADVICE_KID_BYTES);
		c->epoch = advice__get32(in + C_EPOCH);
		memcpy(c->scope_hash, in + C_SCOPE, ADVICE_HASH_BYTES);
		memcpy(c->text_hash, in + C_TEXT, ADVICE_HASH_BYTES);
		memcpy(c->lang, in + C_LANG, 2);
		c->lang[2] = '\0';
		c->created_at = advice__get64(in + C_TIME);
		memcpy(c->signer_kid, in + C_SIGNER, ADVICE_KID_BYTES);
	}
	return 0;
}

ADVICE_API int advice_consent_open(struct advice_consent *c, const uint8_t *in, size_t len, uint8_t kind,
				   const uint8_t thread_id[ADVICE_OID_BYTES], const uint8_t *connector_kid,
				   const uint8_t signer_pk[ADVICE_KEY_BYTES])
{
	uint8_t kid[ADVICE_KID_BYTES];
	int rc;

	if ((rc = advice_consent_parse(in, len, NULL)) != 0)
		return rc;
	advice_kid(kid, signer_pk);
	if (sodium_memcmp(kid, in + C_SIGNER, ADVICE_KID_BYTES) != 0)
		return -ADVICE_ERR_FORBIDDEN;
	if ((rc = advice__verify(in + C_SIG, SIG_CONSENT, in, C_SIG, NULL, 0, signer_pk)) != 0)
		return rc;
	/* A consent to another connector, of another thread, or a withdrawal served as a consent,
	 * is no consent for what the caller is about to do. */
	if (in[C_KIND] != kind || memcmp(in + C_THREAD, thread_id, ADVICE_OID_BYTES) != 0 ||
	    (connector_kid != NULL && memcmp(in + C_CONN, connector_kid, ADVICE_KID_BYTES) != 0))
		return -ADVICE_ERR_FORBIDDEN;
	return advice_consent_parse(in, len, c);
}

ADVICE_API int advice_connector_login_sign(uint8_t sig[ADVICE_SIG_BYTES],
					   const uint8_t challenge[ADVICE_CONNECTOR_CHALLENGE_BYTES],
					   const uint8_t kid[ADVICE_KID_BYTES],
					   const struct advice_keys *connector)
{
	return advice__sign(sig, SIG_LOGIN, challenge, ADVICE_CONNECTOR_CHALLENGE_BYTES, kid,
			    ADVICE_KID_BYTES, connector->sign_sk);
}

ADVICE_API int advice_connector_login_verify(const uint8_t sig[ADVICE_SIG_BYTES],
					     const uint8_t challenge[ADVICE_CONNECTOR_CHALLENGE_BYTES],
					     const uint8_t kid[ADVICE_KID_BYTES],
					     const uint8_t sign_pk[ADVICE_KEY_BYTES])
{
	return advice__verify(sig, SIG_LOGIN, challenge, ADVICE_CONNECTOR_CHALLENGE_BYTES, kid,
			      ADVICE_KID_BYTES, sign_pk);
}
