/*
 * crypto_identitybox_vectors.c - the known-answer vectors of the identity box
 * (proto/vectors/identity-box.json): the content bytes of a name, an identity code and a time,
 * the box sealed to a unit generation for a thread, and how the box is refused when changed or
 * read for another thread, unit or generation (each with the error both implementations give).
 * Random inputs are rnd(i, n) of the case's seed, as in crypto_vectors.c.
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

/* What the vectors' reader knows: the thread and unit it reads for and the generation's keys. */
struct reader {
	uint8_t thread_id[ADVICE_OID_BYTES];
	uint8_t unit_id[ADVICE_OID_BYTES];
	struct advice_keys keys;
};

/* "ok", "inval" or "forbidden": what advice_identity_box_open says of in for r. */
static const char *verdict(const uint8_t *in, size_t len, const struct reader *r)
{
	struct advice_identity id;
	int rc = advice_identity_box_open(&id, in, len, r->thread_id, r->unit_id, &r->keys);

	return rc == 0			     ? "ok"
	       : rc == -ADVICE_ERR_INVAL     ? "inval"
	       : rc == -ADVICE_ERR_FORBIDDEN ? "forbidden"
					     : "?";
}

/* The box changed, or read for what it is not, each with its verdict (other_keys: another
 * generation's keys). */
static json_t *refusals(const uint8_t box[ADVICE_IDENTITY_BOX_BYTES], const struct reader *r,
			const struct advice_keys *other_keys)
{
	uint8_t m[ADVICE_IDENTITY_BOX_BYTES + 1];
	struct reader x = *r;
	json_t *o = json_object();

	memcpy(m, box, ADVICE_IDENTITY_BOX_BYTES);
	m[3] = 14;
	json_object_set_new(o, "object type 14", json_string(verdict(m, ADVICE_IDENTITY_BOX_BYTES, r)));
	memcpy(m, box, ADVICE_IDENTITY_BOX_BYTES);
	json_object_set_new(o, "one byte short", json_string(verdict(m, ADVICE_IDENTITY_BOX_BYTES - 1, r)));
	m[ADVICE_IDENTITY_BOX_BYTES] = 0;
	json_object_set_new(o, "one byte more", json_string(verdict(m, ADVICE_IDENTITY_BOX_BYTES + 1, r)));
	memset(m + 38, 0, 4);
	json_object_set_new(o, "generation 0", json_string(verdict(m, ADVICE_IDENTITY_BOX_BYTES, r)));
	memcpy(m, box, ADVICE_IDENTITY_BOX_BYTES);
	m[38] ^= 0x01;
	json_object_set_new(o, "another generation named",
			    json_string(verdict(m, ADVICE_IDENTITY_BOX_BYTES, r)));
	/* Relabelled for another thread (or unit) and read there. */
	memcpy(m, box, ADVICE_IDENTITY_BOX_BYTES);
	m[6] ^= 0x01;
	x.thread_id[0] ^= 0x01;
	json_object_set_new(o, "moved to another thread",
			    json_string(verdict(m, ADVICE_IDENTITY_BOX_BYTES, &x)));
	x = *r;
	memcpy(m, box, ADVICE_IDENTITY_BOX_BYTES);
	m[22] ^= 0x01;
	x.unit_id[0] ^= 0x01;
	json_object_set_new(o, "moved to another unit",
			    json_string(verdict(m, ADVICE_IDENTITY_BOX_BYTES, &x)));
	x = *r;
	x.thread_id[15] ^= 0x80;
	json_object_set_new(o, "read for another thread",
			    json_string(verdict(box, ADVICE_IDENTITY_BOX_BYTES, &x)));
	x = *r;
	x.unit_id[15] ^= 0x80;
	json_object_set_new(o, "read for another unit",
			    json_string(verdict(box, ADVICE_IDENTITY_BOX_BYTES, &x)));
	x = *r;
	x.keys = *other_keys;
	json_object_set_new(o, "keys of another generation",
			    json_string(verdict(box, ADVICE_IDENTITY_BOX_BYTES, &x)));
	memcpy(m, box, ADVICE_IDENTITY_BOX_BYTES);
	m[ADVICE_IDENTITY_BOX_BYTES - 1] ^= 0x80;
	json_object_set_new(o, "ciphertext bit flipped",
			    json_string(verdict(m, ADVICE_IDENTITY_BOX_BYTES, r)));
	sodium_memzero(&x, sizeof x);
	return o;
}

json_t *vec_identitybox(json_t *in)
{
	uint8_t seed[32], unit_seed[32], other_seed[32], eph_seed[32], nonce[ADVICE_NONCE_BYTES],
		box[ADVICE_IDENTITY_BOX_BYTES];
	const char *name = json_string_value(json_object_get(in, "person_name")),
		   *hetu = json_string_value(json_object_get(in, "hetu"));
	uint64_t at = (uint64_t)json_integer_value(json_object_get(in, "verified_at"));
	struct advice_identity_box_hdr h = { .generation = (uint32_t)json_integer_value(
						     json_object_get(in, "generation")) };
	char content[ADVICE_IDENTITY_CONTENT_MAX];
	struct advice_keys other;
	struct advice_identity id;
	struct reader r;
	size_t clen = 0;
	json_t *o = json_deep_copy(in);

	if (tool_get_hex(in, "seed", seed, 32) != 0 || name == NULL || hetu == NULL) {
		json_decref(o);
		return json_pack("{s:s}", "error", "no seed, person_name or hetu");
	}
	rnd(unit_seed, 32, 1, seed);
	rnd(h.thread_id, ADVICE_OID_BYTES, 2, seed);
	rnd(h.unit_id, ADVICE_OID_BYTES, 3, seed);
	rnd(eph_seed, 32, 4, seed);
	rnd(nonce, sizeof nonce, 5, seed);
	rnd(other_seed, 32, 6, seed);
	advice_keys_unit(&r.keys, NULL, unit_seed);
	advice_keys_unit(&other, NULL, other_seed);
	memcpy(r.thread_id, h.thread_id, ADVICE_OID_BYTES);
	memcpy(r.unit_id, h.unit_id, ADVICE_OID_BYTES);
	tool_put_hex(o, "unit_seed", unit_seed, 32);
	tool_put_hex(o, "thread_id", h.thread_id, ADVICE_OID_BYTES);
	tool_put_hex(o, "unit_id", h.unit_id, ADVICE_OID_BYTES);
	tool_put_hex(o, "unit_box_pk", r.keys.box_pk, 32);
	tool_put_hex(o, "eph_seed", eph_seed, 32);
	tool_put_hex(o, "nonce", nonce, sizeof nonce);
	tool_put_hex(o, "other_generation_seed", other_seed, 32);
	if (advice_identity_content(content, sizeof content, &clen, name, hetu, at) != 0 ||
	    advice_identity_box_seal(box, &h, name, hetu, at, r.keys.box_pk, eph_seed, nonce) != 0 ||
	    advice_identity_box_open(&id, box, sizeof box, h.thread_id, h.unit_id, &r.keys) != 0 ||
	    strcmp(id.name, name) != 0 || strcmp(id.hetu, hetu) != 0 || id.verified_at != at) {
		json_decref(o);
		return json_pack("{s:s}", "error", "the box does not open as made");
	}
	tool_put_hex(o, "content", content, clen);
	tool_put_hex(o, "box", box, sizeof box);
	json_object_set_new(o, "refusals", refusals(box, &r, &other));
	sodium_memzero(&r, sizeof r);
	sodium_memzero(&other, sizeof other);
	sodium_memzero(&id, sizeof id);
	return o;
}
