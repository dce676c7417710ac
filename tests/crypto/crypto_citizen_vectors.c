/*
 * crypto_citizen_vectors.c - the known-answer vectors of a citizen's keys
 * (proto/vectors/citizen.json): the identity, a device certificate, the recovery code, key
 * and box, the comparison code of a device approval and the identity seed sealed to the
 * approved device (a wrap of kind 3). Random inputs are rnd(i, n) of the case's seed, as in
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

/* The device certificate of the personal keys of dev_seed, signed by id. */
static void put_cert(json_t *o, const char *key, const struct advice_keys *id, const struct advice_keys *dev,
		     uint64_t created_at)
{
	struct advice_device_cert c = { .created_at = created_at };
	uint8_t out[ADVICE_DEVICE_CERT_BYTES];

	memcpy(c.device_sign_pk, dev->sign_pk, 32);
	memcpy(c.device_box_pk, dev->box_pk, 32);
	advice_device_cert_sign(out, &c, id);
	tool_put_hex(o, key, out, sizeof out);
}

json_t *vec_citizen(json_t *in)
{
	uint8_t seed[32], id_seed[32], dev_seed[32], new_seed[32], secret[ADVICE_RECOVERY_SECRET_BYTES],
		rkey[32], nonce[24], box[ADVICE_RECOVERY_BOX_BYTES], eph[32], iid[16],
		wrap[ADVICE_WRAP_BYTES], opened[32], nonce_new[32], nonce_old[32], commit[32];
	uint64_t created = (uint64_t)json_integer_value(json_object_get(in, "created_at"));
	char code[ADVICE_RECOVERY_CODE_SIZE], cmp[ADVICE_COMPARE_CODE_SIZE];
	struct advice_keys id, dev, newdev;
	json_t *o = json_deep_copy(in);

	if (tool_get_hex(in, "seed", seed, 32) != 0)
		return json_pack("{s:s}", "error", "no seed");
	rnd(id_seed, 32, 1, seed);
	rnd(dev_seed, 32, 2, seed);
	rnd(secret, sizeof secret, 3, seed);
	rnd(nonce, 24, 4, seed);
	rnd(new_seed, 32, 5, seed);
	rnd(eph, 32, 6, seed);
	rnd(nonce_new, 32, 7, seed);
	rnd(nonce_old, 32, 8, seed);
	advice_keys_personal(&id, id_seed);
	advice_keys_personal(&dev, dev_seed);
	advice_keys_personal(&newdev, new_seed);
	advice_identity_id(iid, id.sign_pk);
	tool_put_hex(o, "identity_seed", id_seed, 32);
	tool_put_hex(o, "identity_sign_pk", id.sign_pk, 32);
	tool_put_hex(o, "identity_box_pk", id.box_pk, 32);
	tool_put_hex(o, "identity_id", iid, 16);
	tool_put_hex(o, "device_seed", dev_seed, 32);
	put_cert(o, "device_cert", &id, &dev, created);
	tool_put_hex(o, "recovery_secret", secret, sizeof secret);
	advice_recovery_code_format(code, secret);
	json_object_set_new(o, "recovery_code", json_string(code));
	advice_recovery_key(rkey, secret);
	tool_put_hex(o, "recovery_key", rkey, 32);
	tool_put_hex(o, "recovery_nonce", nonce, 24);
	advice_recovery_box_seal(box, id_seed, created, rkey, nonce);
	tool_put_hex(o, "recovery_box", box, sizeof box);
	/* The box opens with the code as printed. */
	json_object_set_new(o, "recovery_opens",
			    json_boolean(advice_recovery_box_open(opened, box, sizeof box, code) == 0 &&
					 memcmp(opened, id_seed, 32) == 0));
	tool_put_hex(o, "new_device_seed", new_seed, 32);
	/* Approval: the new device's commitment, the existing device's challenge, the code. */
	tool_put_hex(o, "approval_nonce_new", nonce_new, 32);
	advice_device_commit(commit, newdev.sign_pk, newdev.box_pk, nonce_new);
	tool_put_hex(o, "approval_commit", commit, 32);
	tool_put_hex(o, "approval_nonce_old", nonce_old, 32);
	advice_compare_code(cmp, id.sign_pk, newdev.sign_pk, newdev.box_pk, nonce_new, nonce_old);
	json_object_set_new(o, "compare_code", json_string(cmp));
	put_cert(o, "new_device_cert", &id, &newdev, created + 1);
	tool_put_hex(o, "eph_seed", eph, 32);
	/* Approval: the existing device seals the identity seed to the new device. */
	advice_wrap_seal(wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0, newdev.box_pk, id_seed, eph, &dev);
	tool_put_hex(o, "seed_wrap", wrap, sizeof wrap);
	sodium_memzero(&id, sizeof id);
	return o;
}
