/*
 * crypto_unittext_vectors.c - the known-answer vectors of the unit text (type 14,
 * proto/vectors/unit-text.json): an internal note and a canned answer sealed to a unit key
 * generation and signed by their author, and how the object is refused when changed or opened
 * with other expectations (each with the error both implementations give). Random inputs are
 * rnd(i, n) of the case's seed, as in crypto_vectors.c.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "advice_crypto.h"
#include "crypto_tool.h"

static void rnd(uint8_t *out, size_t n, uint64_t i, const uint8_t seed[32])
{
	crypto_kdf_derive_from_key(out, n, i, "QAvector", seed);
}

/* What the vectors open with: the case's unit keys, author and expectations. */
struct expect {
	uint8_t kind;
	uint8_t unit_id[ADVICE_OID_BYTES];
	uint8_t scope_id[ADVICE_OID_BYTES];
	const struct advice_keys *unit;
	const uint8_t *author_pk;
};

static const char *verdict_name(int rc)
{
	return rc == 0			     ? "ok"
	       : rc == -ADVICE_ERR_INVAL     ? "inval"
	       : rc == -ADVICE_ERR_FORBIDDEN ? "forbidden"
					     : "?";
}

static const char *verdict(const uint8_t *in, size_t len, const struct expect *e)
{
	uint8_t text[ADVICE_UNIT_TEXT_MAX_PLAIN];
	size_t n = 0;

	return verdict_name(advice_unit_text_open(text, sizeof text, &n, in, len, e->kind, e->unit_id,
						  e->scope_id, e->unit, e->author_pk));
}

/*
 * The object changed the ways a server or another staff member could change it, and opened with
 * the wrong expectations, each with its verdict. `other` is another staff member's keys, `old` the
 * keys of another generation of the unit.
 */
static json_t *refusals(const uint8_t *obj, size_t len, const struct expect *e,
			const struct advice_keys *other, const struct advice_keys *old)
{
	uint8_t m[ADVICE_UNIT_TEXT_MAX_BYTES + 1];
	struct expect x;
	json_t *r = json_object();

#define CASE(name, v) json_object_set_new(r, name, json_string(v))
	memcpy(m, obj, len);
	m[3] = ADVICE_OBJ_WRAP;
	CASE("object type 3", verdict(m, len, e));
	memcpy(m, obj, len);
	CASE("one byte short", verdict(m, len - 1, e));
	m[len] = 0;
	CASE("one byte more", verdict(m, len + 1, e));
	m[6] = 3;
	CASE("kind 3", verdict(m, len, e));
	memcpy(m, obj, len);
	m[23] ^= 0x01; /* the generation */
	CASE("another generation", verdict(m, len, e));
	memcpy(m, obj, len);
	m[200] ^= 0x01; /* inside the sealed box */
	CASE("sealed box bit flipped", verdict(m, len, e));
	memcpy(m, obj, len);
	m[len - 1] ^= 0x80;
	CASE("signature bit flipped", verdict(m, len, e));
	/* Another staff member moves the box to another scope and signs it as theirs: the
	 * signature verifies, the header repeated inside the box does not match. */
	memcpy(m, obj, len);
	m[27] ^= 0x01;
	advice_kid(m + 43, other->sign_pk);
	{
		static const char ctx[] = "QA-v1-unittext";
		uint8_t *buf = malloc(sizeof ctx - 1 + len - ADVICE_SIG_BYTES);

		memcpy(buf, ctx, sizeof ctx - 1);
		memcpy(buf + sizeof ctx - 1, m, len - ADVICE_SIG_BYTES);
		crypto_sign_detached(m + len - ADVICE_SIG_BYTES, NULL, buf,
				     sizeof ctx - 1 + len - ADVICE_SIG_BYTES, other->sign_sk);
		free(buf);
	}
	x = *e;
	x.scope_id[0] ^= 0x01;
	x.author_pk = other->sign_pk;
	CASE("moved to another scope and signed by another", verdict(m, len, &x));
	x = *e;
	x.kind = e->kind == ADVICE_UNIT_TEXT_NOTE ? ADVICE_UNIT_TEXT_CANNED : ADVICE_UNIT_TEXT_NOTE;
	CASE("expected the other kind", verdict(obj, len, &x));
	x = *e;
	x.unit_id[15] ^= 0x01;
	CASE("expected another unit", verdict(obj, len, &x));
	x = *e;
	x.scope_id[15] ^= 0x01;
	CASE("expected another scope", verdict(obj, len, &x));
	x = *e;
	x.author_pk = other->sign_pk;
	CASE("expected another author", verdict(obj, len, &x));
	x = *e;
	x.unit = old;
	CASE("keys of another generation", verdict(obj, len, &x));
#undef CASE
	return r;
}

json_t *vec_unittext(json_t *in)
{
	uint8_t seed[32], unit_seed[32], old_seed[32], author_seed[32], other_seed[32], eph[32];
	uint8_t obj[ADVICE_UNIT_TEXT_MAX_BYTES], text[ADVICE_UNIT_TEXT_MAX_PLAIN];
	const char *plain = json_string_value(json_object_get(in, "text"));
	struct advice_keys unit, old, author, other;
	struct advice_unit_text_info t = { 0 }, got;
	struct expect e;
	size_t len = 0, n = 0;
	json_t *o = json_deep_copy(in);

	if (tool_get_hex(in, "seed", seed, 32) != 0 || plain == NULL)
		return json_pack("{s:s}", "error", "no seed or text");
	t.kind = (uint8_t)json_integer_value(json_object_get(in, "kind"));
	t.generation = (uint32_t)json_integer_value(json_object_get(in, "generation"));
	t.created = (uint64_t)json_integer_value(json_object_get(in, "created"));
	rnd(unit_seed, 32, 1, seed);
	rnd(author_seed, 32, 2, seed);
	rnd(t.unit_id, ADVICE_OID_BYTES, 3, seed);
	rnd(t.scope_id, ADVICE_OID_BYTES, 4, seed);
	rnd(eph, 32, 5, seed);
	rnd(other_seed, 32, 6, seed);
	rnd(old_seed, 32, 7, seed);
	advice_keys_unit(&unit, NULL, unit_seed);
	advice_keys_unit(&old, NULL, old_seed);
	advice_keys_personal(&author, author_seed);
	advice_keys_personal(&other, other_seed);
	tool_put_hex(o, "unit_seed", unit_seed, 32);
	tool_put_hex(o, "author_seed", author_seed, 32);
	tool_put_hex(o, "unit_id", t.unit_id, ADVICE_OID_BYTES);
	tool_put_hex(o, "scope_id", t.scope_id, ADVICE_OID_BYTES);
	tool_put_hex(o, "eph_seed", eph, 32);
	tool_put_hex(o, "unit_box_pk", unit.box_pk, 32);
	tool_put_hex(o, "author_sign_pk", author.sign_pk, 32);
	e.kind = t.kind;
	memcpy(e.unit_id, t.unit_id, sizeof e.unit_id);
	memcpy(e.scope_id, t.scope_id, sizeof e.scope_id);
	e.unit = &unit;
	e.author_pk = author.sign_pk;
	if (advice_unit_text_seal(obj, sizeof obj, &len, &t, (const uint8_t *)plain, strlen(plain),
				  unit.box_pk, eph, &author) != 0 ||
	    advice_unit_text_parse(obj, len, &got) != 0 ||
	    advice_unit_text_open(text, sizeof text, &n, obj, len, t.kind, t.unit_id, t.scope_id, &unit,
				  author.sign_pk) != 0 ||
	    n != strlen(plain) || memcmp(text, plain, n) != 0 || got.generation != t.generation ||
	    got.created != t.created) {
		json_decref(o);
		return json_pack("{s:s}", "error", "the unit text does not open as made");
	}
	tool_put_hex(o, "author_kid", got.author_kid, ADVICE_KID_BYTES);
	json_object_set_new(o, "size", json_integer((json_int_t)len));
	tool_put_hex(o, "object", obj, len);
	json_object_set_new(o, "refusals", refusals(obj, len, &e, &other, &old));
	sodium_memzero(&unit, sizeof unit);
	sodium_memzero(&old, sizeof old);
	sodium_memzero(&author, sizeof author);
	sodium_memzero(&other, sizeof other);
	return o;
}
