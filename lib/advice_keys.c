/*
 * advice_keys.c - a worker's own end-to-end keys, made and kept on the worker's client: at
 * the first login a new identity, its bundle under the password and the signed key request
 * an admin certifies (keys.enrol); at a password change the bundle sealed again under the
 * new password (keys.bundle.put). The password and the identity seed never leave the client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "advice_crypto.h"
#include "advice_int.h"

/* Wall-clock time in ms (what a key request is dated with). */
static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The user id of the connection's welcome event, into uid. 0 or -ADVICE_ERR_PROTOCOL. */
static int welcome_user(struct advice_conn *k, uint8_t uid[ADVICE_OID_BYTES])
{
	json_t *w = json_loads(advice_conn_welcome(k) ? advice_conn_welcome(k) : "", 0, NULL);
	int rc = advice_unhex(uid, ADVICE_OID_BYTES, json_string_value(json_object_get(w, "user")));

	json_decref(w);
	return rc == 0 ? 0 : -ADVICE_ERR_PROTOCOL;
}

/* Seals seed in a new bundle of user uid under `password` (fresh salt and nonce). */
static int bundle_make(uint8_t bundle[ADVICE_BUNDLE_BYTES], const uint8_t uid[ADVICE_OID_BYTES],
		       uint32_t version, const char *password, const uint8_t seed[ADVICE_KEY_BYTES])
{
	struct advice_bundle_info bi;
	uint8_t master[ADVICE_KEY_BYTES], key[ADVICE_KEY_BYTES], nonce[ADVICE_NONCE_BYTES];
	int rc;

	memset(&bi, 0, sizeof bi);
	memcpy(bi.user_id, uid, ADVICE_OID_BYTES);
	bi.version = version;
	bi.opslimit = ADVICE_BUNDLE_OPSLIMIT;
	bi.memlimit = ADVICE_BUNDLE_MEMLIMIT;
	advice_random(bi.salt, sizeof bi.salt);
	advice_random(nonce, sizeof nonce);
	rc = advice_password_master(master, password, bi.salt, bi.opslimit, bi.memlimit);
	if (rc == 0)
		rc = advice_bundle_key(key, master);
	if (rc == 0)
		rc = advice_bundle_seal(bundle, &bi, key, nonce, seed);
	advice_wipe(master, sizeof master);
	advice_wipe(key, sizeof key);
	return rc;
}

/* Sends `type` with the base64url objects a (named an) and b (named bn, may be NULL). */
static int send_objects(struct advice_conn *k, const char *type, const char *an, const uint8_t *a,
			size_t alen, const char *bn, const uint8_t *b, size_t blen, int timeout_ms)
{
	char *a64 = advice_b64url_encode(a, alen), *b64 = bn ? advice_b64url_encode(b, blen) : NULL;
	char *fields = NULL;
	json_t *o = NULL;
	int rc = -ADVICE_ERR_NOMEM;

	if (a64 != NULL && (bn == NULL || b64 != NULL) && (o = json_pack("{s:s}", an, a64)) != NULL &&
	    (bn == NULL || json_object_set_new(o, bn, json_string(b64)) == 0) &&
	    (fields = json_dumps(o, JSON_COMPACT)) != NULL)
		rc = advice_call(k, type, fields, NULL, timeout_ms);
	json_decref(o);
	free(fields);
	free(a64);
	free(b64);
	return rc;
}

ADVICE_API int advice_worker_keys_enrol(struct advice_conn *k, const char *password, char *fingerprint,
					int timeout_ms)
{
	uint8_t uid[ADVICE_OID_BYTES], seed[ADVICE_KEY_BYTES], bundle[ADVICE_BUNDLE_BYTES];
	uint8_t request[ADVICE_KEY_REQUEST_BYTES];
	struct advice_keys me;
	int rc;

	if (k == NULL || password == NULL || fingerprint == NULL)
		return -ADVICE_ERR_INVAL;
	if (advice_crypto_init() != 0)
		return -ADVICE_ERR_INTERNAL;
	if ((rc = welcome_user(k, uid)) != 0)
		return rc;
	advice_random(seed, sizeof seed);
	rc = advice_keys_personal(&me, seed);
	if (rc == 0)
		rc = bundle_make(bundle, uid, 1, password, seed);
	if (rc == 0)
		rc = advice_key_request_sign(request, uid, wall_ms(), &me);
	if (rc == 0)
		rc = send_objects(k, "keys.enrol", "bundle", bundle, sizeof bundle, "request", request,
				  sizeof request, timeout_ms);
	if (rc == 0)
		advice_key_fingerprint(fingerprint, me.sign_pk, me.box_pk);
	advice_wipe(seed, sizeof seed);
	advice_wipe(&me, sizeof me);
	return rc;
}

/* The caller's bundle from keys.mine, into bundle. 0, -ADVICE_ERR_NOT_FOUND without one. */
static int bundle_fetch(struct advice_conn *k, uint8_t bundle[ADVICE_BUNDLE_BYTES], int timeout_ms)
{
	char *reply = NULL;
	uint8_t *b = NULL;
	size_t len = 0;
	json_t *r;
	int rc = advice_call(k, "keys.mine", NULL, &reply, timeout_ms);

	if (rc != 0) {
		free(reply);
		return rc;
	}
	r = json_loads(reply, 0, NULL);
	free(reply);
	if (json_is_null(json_object_get(r, "bundle")))
		rc = -ADVICE_ERR_NOT_FOUND;
	else if (advice_b64url_decode(json_string_value(json_object_get(r, "bundle")), &b, &len) != 0 ||
		 len != ADVICE_BUNDLE_BYTES)
		rc = -ADVICE_ERR_PROTOCOL;
	else
		memcpy(bundle, b, len);
	free(b);
	json_decref(r);
	return rc;
}

ADVICE_API int advice_worker_bundle_open(struct advice_conn *k, const char *password, uint8_t *seed,
					 uint32_t *version, int timeout_ms)
{
	uint8_t uid[ADVICE_OID_BYTES], bundle[ADVICE_BUNDLE_BYTES], master[ADVICE_KEY_BYTES],
		key[ADVICE_KEY_BYTES];
	struct advice_bundle_info bi;
	int rc;

	if (k == NULL || password == NULL || seed == NULL)
		return -ADVICE_ERR_INVAL;
	if (advice_crypto_init() != 0)
		return -ADVICE_ERR_INTERNAL;
	if ((rc = welcome_user(k, uid)) != 0 || (rc = bundle_fetch(k, bundle, timeout_ms)) != 0)
		return rc;
	if (advice_bundle_parse(bundle, sizeof bundle, &bi) != 0)
		return -ADVICE_ERR_PROTOCOL;
	rc = advice_password_master(master, password, bi.salt, bi.opslimit, bi.memlimit);
	if (rc == 0)
		rc = advice_bundle_key(key, master);
	if (rc == 0)
		rc = advice_bundle_open(seed, bundle, sizeof bundle, uid, key);
	if (rc == 0 && version != NULL)
		*version = bi.version;
	advice_wipe(master, sizeof master);
	advice_wipe(key, sizeof key);
	return rc;
}

ADVICE_API int advice_worker_bundle_rewrap(struct advice_conn *k, const char *old_password,
					   const char *new_password, int timeout_ms)
{
	uint8_t uid[ADVICE_OID_BYTES], seed[ADVICE_KEY_BYTES], bundle[ADVICE_BUNDLE_BYTES];
	uint32_t version = 0;
	int rc;

	if (new_password == NULL)
		return -ADVICE_ERR_INVAL;
	if ((rc = advice_worker_bundle_open(k, old_password, seed, &version, timeout_ms)) != 0)
		return rc;
	rc = welcome_user(k, uid);
	if (rc == 0)
		rc = bundle_make(bundle, uid, version + 1, new_password, seed);
	if (rc == 0)
		rc = send_objects(k, "keys.bundle.put", "bundle", bundle, sizeof bundle, NULL, NULL, 0,
				  timeout_ms);
	advice_wipe(seed, sizeof seed);
	return rc;
}
