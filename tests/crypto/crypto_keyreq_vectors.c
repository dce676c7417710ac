/*
 * crypto_keyreq_vectors.c - the known-answer vectors of the worker key request
 * (proto/vectors/keyreq.json): the identity a worker's client makes at the first login, the
 * request it signs for the worker's user id, the fingerprint the worker and the admin compare,
 * and how the request as sent is refused when changed (each change with the error both
 * implementations give). Random inputs are rnd(i, n) of the case's seed, as in
 * crypto_vectors.c.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "advice_crypto.h"
#include "crypto_tool.h"

static void rnd(uint8_t *out, size_t n, uint64_t i, const uint8_t seed[32])
{
	crypto_kdf_derive_from_key(out, n, i, "QAvector", seed);
}

/* "ok", "inval" or "forbidden": what advice_key_request_verify says of in. */
static const char *verdict(const uint8_t *in, size_t len)
{
	int rc = advice_key_request_verify(in, len, NULL);

	return rc == 0			     ? "ok"
	       : rc == -ADVICE_ERR_INVAL     ? "inval"
	       : rc == -ADVICE_ERR_FORBIDDEN ? "forbidden"
					     : "?";
}

/* The request changed in the ways a server or a typo could change it, each with its verdict. */
static json_t *refusals(const uint8_t req[ADVICE_KEY_REQUEST_BYTES])
{
	uint8_t m[ADVICE_KEY_REQUEST_BYTES + 1];
	json_t *r = json_object();

	memcpy(m, req, ADVICE_KEY_REQUEST_BYTES);
	m[3] = ADVICE_OBJ_CERT;
	json_object_set_new(r, "object type 6", json_string(verdict(m, ADVICE_KEY_REQUEST_BYTES)));
	memcpy(m, req, ADVICE_KEY_REQUEST_BYTES);
	json_object_set_new(r, "one byte short", json_string(verdict(m, ADVICE_KEY_REQUEST_BYTES - 1)));
	m[ADVICE_KEY_REQUEST_BYTES] = 0;
	json_object_set_new(r, "one byte more", json_string(verdict(m, ADVICE_KEY_REQUEST_BYTES + 1)));
	m[6] ^= 0x01; /* the user id */
	json_object_set_new(r, "another user id", json_string(verdict(m, ADVICE_KEY_REQUEST_BYTES)));
	memcpy(m, req, ADVICE_KEY_REQUEST_BYTES);
	m[54] ^= 0x01; /* the box key */
	json_object_set_new(r, "another box key", json_string(verdict(m, ADVICE_KEY_REQUEST_BYTES)));
	memcpy(m, req, ADVICE_KEY_REQUEST_BYTES);
	m[86] ^= 0x01; /* the date */
	json_object_set_new(r, "another date", json_string(verdict(m, ADVICE_KEY_REQUEST_BYTES)));
	memcpy(m, req, ADVICE_KEY_REQUEST_BYTES);
	m[ADVICE_KEY_REQUEST_BYTES - 1] ^= 0x80;
	json_object_set_new(r, "signature bit flipped", json_string(verdict(m, ADVICE_KEY_REQUEST_BYTES)));
	return r;
}

json_t *vec_keyreq(json_t *in)
{
	uint8_t seed[32], id_seed[32], uid[ADVICE_OID_BYTES], req[ADVICE_KEY_REQUEST_BYTES];
	uint64_t created = (uint64_t)json_integer_value(json_object_get(in, "created_at"));
	char fp[ADVICE_FINGERPRINT_CHARS + 1];
	struct advice_key_request kr;
	struct advice_keys id;
	json_t *o = json_deep_copy(in);

	if (tool_get_hex(in, "seed", seed, 32) != 0)
		return json_pack("{s:s}", "error", "no seed");
	rnd(id_seed, 32, 1, seed);
	rnd(uid, sizeof uid, 2, seed);
	advice_keys_personal(&id, id_seed);
	tool_put_hex(o, "identity_seed", id_seed, 32);
	tool_put_hex(o, "user_id", uid, sizeof uid);
	tool_put_hex(o, "sign_pk", id.sign_pk, 32);
	tool_put_hex(o, "box_pk", id.box_pk, 32);
	if (advice_key_request_sign(req, uid, created, &id) != 0 ||
	    advice_key_request_verify(req, sizeof req, &kr) != 0 || kr.created_at != created ||
	    memcmp(kr.user_id, uid, sizeof uid) != 0) {
		json_decref(o);
		return json_pack("{s:s}", "error", "the request does not verify as made");
	}
	tool_put_hex(o, "request", req, sizeof req);
	advice_key_fingerprint(fp, id.sign_pk, id.box_pk);
	json_object_set_new(o, "fingerprint", json_string(fp));
	json_object_set_new(o, "refusals", refusals(req));
	sodium_memzero(&id, sizeof id);
	sodium_memzero(id_seed, sizeof id_seed);
	return o;
}
