/*
 * crypto_consent_vectors.c - the known-answer vectors of the consent event (type 5,
 * proto/vectors/consent.json) with the verdict on each named change or wrong expectation, of
 * message content version 2 (proto/vectors/content-v2.json: a correction, a rights request, a
 * rights decision, a version 1 content read by the same reader, and contents the reader
 * refuses), and of the connector's login signature (proto/vectors/connector-login.json).
 * Random inputs are rnd(i, n) of the case's seed, as in crypto_vectors.c.
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

static const char *verdict_name(int rc)
{
	return rc == 0			     ? "ok"
	       : rc == -ADVICE_ERR_INVAL     ? "inval"
	       : rc == -ADVICE_ERR_FORBIDDEN ? "forbidden"
					     : "?";
}

/* --- consent.json --- */

/* What a reader opens a consent event with. */
struct consent_expect {
	uint8_t kind;
	uint8_t thread_id[ADVICE_OID_BYTES];
	uint8_t connector_kid[ADVICE_KID_BYTES];
	const uint8_t *signer_pk;
};

static const char *consent_verdict(const uint8_t *in, size_t len, const struct consent_expect *e)
{
	struct advice_consent c;

	return verdict_name(
		advice_consent_open(&c, in, len, e->kind, e->thread_id, e->connector_kid, e->signer_pk));
}

/* The event changed the ways a server could change it, and opened with the wrong expectations. */
static json_t *consent_refusals(const uint8_t obj[ADVICE_CONSENT_BYTES], const struct consent_expect *e,
				const struct advice_keys *other)
{
	static const char ctx[] = "QA-v1-consent";
	uint8_t m[ADVICE_CONSENT_BYTES + 1], buf[sizeof ctx - 1 + 133];
	struct consent_expect x;
	json_t *r = json_object();

#define CASE(name, v) json_object_set_new(r, name, json_string(v))
	memcpy(m, obj, ADVICE_CONSENT_BYTES);
	m[3] = ADVICE_OBJ_WRAP;
	CASE("object type 3", consent_verdict(m, ADVICE_CONSENT_BYTES, e));
	memcpy(m, obj, ADVICE_CONSENT_BYTES);
	CASE("one byte short", consent_verdict(m, ADVICE_CONSENT_BYTES - 1, e));
	m[ADVICE_CONSENT_BYTES] = 0;
	CASE("one byte more", consent_verdict(m, ADVICE_CONSENT_BYTES + 1, e));
	m[6] = 3;
	CASE("kind 3", consent_verdict(m, ADVICE_CONSENT_BYTES, e));
	memcpy(m, obj, ADVICE_CONSENT_BYTES);
	memcpy(m + 107, "de", 2);
	CASE("language de", consent_verdict(m, ADVICE_CONSENT_BYTES, e));
	memcpy(m, obj, ADVICE_CONSENT_BYTES);
	m[ADVICE_CONSENT_BYTES - 1] ^= 0x80;
	CASE("signature bit flipped", consent_verdict(m, ADVICE_CONSENT_BYTES, e));
	memcpy(m, obj, ADVICE_CONSENT_BYTES);
	m[39] ^= 0x01; /* the epoch */
	CASE("epoch changed", consent_verdict(m, ADVICE_CONSENT_BYTES, e));
	memcpy(m, obj, ADVICE_CONSENT_BYTES);
	m[43] ^= 0x01; /* the scope hash */
	CASE("scope hash changed", consent_verdict(m, ADVICE_CONSENT_BYTES, e));
	/* Signed by someone else with their kid: the signature holds, the signer is not the citizen. */
	memcpy(m, obj, ADVICE_CONSENT_BYTES);
	advice_kid(m + 117, other->sign_pk);
	memcpy(buf, ctx, sizeof ctx - 1);
	memcpy(buf + sizeof ctx - 1, m, 133);
	crypto_sign_detached(m + 133, NULL, buf, sizeof buf, other->sign_sk);
	CASE("signed by another", consent_verdict(m, ADVICE_CONSENT_BYTES, e));
	x = *e;
	x.kind = e->kind == ADVICE_CONSENT_GIVEN ? ADVICE_CONSENT_WITHDRAWN : ADVICE_CONSENT_GIVEN;
	CASE("expected the other kind", consent_verdict(obj, ADVICE_CONSENT_BYTES, &x));
	x = *e;
	x.thread_id[15] ^= 0x01;
	CASE("expected another thread", consent_verdict(obj, ADVICE_CONSENT_BYTES, &x));
	x = *e;
	x.connector_kid[0] ^= 0x01;
	CASE("expected another connector", consent_verdict(obj, ADVICE_CONSENT_BYTES, &x));
	x = *e;
	x.signer_pk = other->sign_pk;
	CASE("expected another signer", consent_verdict(obj, ADVICE_CONSENT_BYTES, &x));
#undef CASE
	return r;
}

json_t *vec_consent(json_t *in)
{
	uint8_t seed[32], citizen_seed[32], connector_seed[32], other_seed[32], obj[ADVICE_CONSENT_BYTES];
	const char *scope = json_string_value(json_object_get(in, "scope"));
	const char *text = json_string_value(json_object_get(in, "text"));
	const char *lang = json_string_value(json_object_get(in, "lang"));
	struct advice_keys citizen, connector, other;
	struct advice_consent c, got;
	struct consent_expect e;
	json_t *o = json_deep_copy(in);

	if (tool_get_hex(in, "seed", seed, 32) != 0 || scope == NULL || text == NULL || lang == NULL ||
	    strlen(lang) != 2) {
		json_decref(o);
		return json_pack("{s:s}", "error", "no seed, scope, text or language");
	}
	memset(&c, 0, sizeof c); /* the structures are compared whole, padding included */
	memset(&got, 0, sizeof got);
	rnd(citizen_seed, 32, 1, seed);
	rnd(c.thread_id, ADVICE_OID_BYTES, 2, seed);
	rnd(connector_seed, 32, 3, seed);
	rnd(other_seed, 32, 4, seed);
	advice_keys_personal(&citizen, citizen_seed);
	advice_keys_personal(&connector, connector_seed);
	advice_keys_personal(&other, other_seed);
	c.kind = (uint8_t)json_integer_value(json_object_get(in, "kind"));
	c.epoch = (uint32_t)json_integer_value(json_object_get(in, "epoch"));
	c.created_at = (uint64_t)json_integer_value(json_object_get(in, "created_at"));
	memcpy(c.lang, lang, 3);
	advice_kid(c.connector_kid, connector.box_pk);
	advice_hash(c.scope_hash, scope, strlen(scope));
	advice_hash(c.text_hash, text, strlen(text));
	tool_put_hex(o, "citizen_seed", citizen_seed, 32);
	tool_put_hex(o, "thread_id", c.thread_id, ADVICE_OID_BYTES);
	tool_put_hex(o, "connector_seed", connector_seed, 32);
	tool_put_hex(o, "citizen_sign_pk", citizen.sign_pk, 32);
	tool_put_hex(o, "connector_box_pk", connector.box_pk, 32);
	tool_put_hex(o, "connector_kid", c.connector_kid, ADVICE_KID_BYTES);
	tool_put_hex(o, "scope_hash", c.scope_hash, ADVICE_HASH_BYTES);
	tool_put_hex(o, "text_hash", c.text_hash, ADVICE_HASH_BYTES);
	e.kind = c.kind;
	memcpy(e.thread_id, c.thread_id, ADVICE_OID_BYTES);
	memcpy(e.connector_kid, c.connector_kid, ADVICE_KID_BYTES);
	e.signer_pk = citizen.sign_pk;
	if (advice_consent_make(obj, &c, &citizen) != 0 ||
	    advice_consent_open(&got, obj, sizeof obj, c.kind, c.thread_id, c.connector_kid,
				citizen.sign_pk) != 0 ||
	    memcmp(&got, &c, sizeof c) != 0 ||
	    advice_consent_open(&got, obj, sizeof obj, c.kind, c.thread_id, NULL, citizen.sign_pk) != 0) {
		json_decref(o);
		return json_pack("{s:s}", "error", "the consent event does not open as made");
	}
	tool_put_hex(o, "signer_kid", c.signer_kid, ADVICE_KID_BYTES);
	tool_put_hex(o, "object", obj, sizeof obj);
	json_object_set_new(o, "refusals", consent_refusals(obj, &e, &other));
	sodium_memzero(&citizen, sizeof citizen);
	sodium_memzero(&connector, sizeof connector);
	sodium_memzero(&other, sizeof other);
	return o;
}

/* --- content-v2.json --- */

#define CONTENT_CAP (ADVICE_ENVELOPE_MAX_PLAIN + 1)

/* The case's file references: file i from rnd(10 + 4i ...) with the size and media it names. */
static size_t content_files(json_t *in, const uint8_t seed[32], struct advice_file_ref *files)
{
	json_t *f;
	size_t i;

	memset(files, 0, ADVICE_CONTENT_MAX_FILES * sizeof *files); /* compared whole, padding included */
	json_array_foreach (json_object_get(in, "files"), i, f) {
		if (i >= ADVICE_CONTENT_MAX_FILES)
			break;
		rnd(files[i].file_id, ADVICE_OID_BYTES, 10 + 4 * i, seed);
		rnd(files[i].key, ADVICE_KEY_BYTES, 11 + 4 * i, seed);
		rnd(files[i].header, ADVICE_STREAM_HEADER_BYTES, 12 + 4 * i, seed);
		rnd(files[i].hash, ADVICE_HASH_BYTES, 13 + 4 * i, seed);
		files[i].size = (uint64_t)json_integer_value(json_object_get(f, "size"));
		files[i].media = (uint8_t)json_integer_value(json_object_get(f, "media"));
	}
	return json_array_size(json_object_get(in, "files"));
}

/* Adds name -> {content: hex of the changed content, verdict: the reader's}. */
static void refusal_add(json_t *r, const char *name, const uint8_t *b, size_t len)
{
	struct advice_content c;
	json_t *o = json_object();

	tool_put_hex(o, "content", b, len);
	json_object_set_new(o, "verdict", json_string(verdict_name(advice_content_v2_decode(b, len, &c))));
	json_object_set_new(r, name, o);
}

/* Contents the reader refuses, made from the case's content, each with its verdict. */
static json_t *content_refusals(const uint8_t *content, size_t len, size_t note_len, size_t n_files)
{
	uint8_t *m = malloc(len + ADVICE_CONTENT_NOTE_MAX + 32);
	size_t files_at = 20 + note_len; /* the file count of version 2 */
	json_t *r = json_object();

	memcpy(m, content, len);
	m[0] = 3;
	refusal_add(r, "version 3", m, len);
	if (content[0] == 1) {
		memcpy(m, content, len);
		m[1] = ADVICE_CONTENT_MAX_FILES + 1;
		refusal_add(r, "nine files", m, len);
		memcpy(m, content, len);
		m[len] = 0xff;
		refusal_add(r, "text not UTF-8", m, len + 1);
		free(m);
		return r;
	}
	memcpy(m, content, len);
	m[1] = 0;
	refusal_add(r, "kind 0", m, len);
	m[1] = 4;
	refusal_add(r, "kind 4", m, len);
	memcpy(m, content, len);
	m[18] = (uint8_t)((len - 20 + 1) >> 8);
	m[19] = (uint8_t)(len - 20 + 1);
	refusal_add(r, "note longer than the content", m, len);
	refusal_add(r, "cut in the header", content, 19);
	memcpy(m, content, len);
	m[files_at] = ADVICE_CONTENT_MAX_FILES + 1;
	refusal_add(r, "nine files", m, len);
	if (n_files > 0) {
		refusal_add(r, "cut in a file reference", content, files_at + 1 + 50);
		memcpy(m, content, len);
		m[files_at + 1 + 80] = 0;
		refusal_add(r, "media type 0", m, len);
	}
	memcpy(m, content, len);
	m[len] = 0xff;
	refusal_add(r, "text not UTF-8", m, len + 1);
	if (note_len > 0) {
		memcpy(m, content, len);
		m[20] = 0xc0; /* an overlong form's lead byte */
		refusal_add(r, "note not UTF-8", m, len);
	}
	memcpy(m, content, len);
	if (content[1] == ADVICE_CONTENT_RIGHTS_REQUEST) {
		memset(m + 2, 0, ADVICE_OID_BYTES);
		m[2] = 1;
		m[1] = ADVICE_CONTENT_CORRECTION;
		refusal_add(r, "correction without a note", m, len);
	} else {
		m[1] = ADVICE_CONTENT_RIGHTS_REQUEST;
		if (note_len > 0)
			refusal_add(r, "rights request with a note", m, len);
		memcpy(m, content, len);
		memset(m + 2, 0, ADVICE_OID_BYTES);
		refusal_add(r, "no ref", m, len);
	}
	/* A note of one byte over the limit (a decision with no files or text). */
	memcpy(m, content, 18);
	m[1] = ADVICE_CONTENT_RIGHTS_DECISION;
	memset(m + 2, 0x11, ADVICE_OID_BYTES);
	m[18] = (ADVICE_CONTENT_NOTE_MAX + 1) >> 8;
	m[19] = (uint8_t)(ADVICE_CONTENT_NOTE_MAX + 1);
	memset(m + 20, 'a', ADVICE_CONTENT_NOTE_MAX + 1);
	m[20 + ADVICE_CONTENT_NOTE_MAX + 1] = 0;
	refusal_add(r, "note of 2001 bytes", m, 20 + ADVICE_CONTENT_NOTE_MAX + 2);
	free(m);
	return r;
}

json_t *vec_content_v2(json_t *in)
{
	uint8_t seed[32], ref[ADVICE_OID_BYTES] = { 0 }, *content = malloc(CONTENT_CAP);
	const char *note = json_string_value(json_object_get(in, "note"));
	const char *text = json_string_value(json_object_get(in, "text"));
	int version = (int)json_integer_value(json_object_get(in, "version"));
	uint8_t kind = (uint8_t)json_integer_value(json_object_get(in, "kind"));
	struct advice_file_ref files[ADVICE_CONTENT_MAX_FILES];
	struct advice_content c;
	size_t n_files, len = 0;
	json_t *o = json_deep_copy(in);
	int rc;

	if (content == NULL || tool_get_hex(in, "seed", seed, 32) != 0 || text == NULL ||
	    (version != 1 && note == NULL)) {
		free(content);
		json_decref(o);
		return json_pack("{s:s}", "error", "no seed, text or note");
	}
	n_files = content_files(in, seed, files);
	if (version == 1) {
		rc = advice_content_encode(content, CONTENT_CAP, &len, files, n_files, text, strlen(text));
	} else {
		if (!json_is_true(json_object_get(in, "ref_zero")))
			rnd(ref, ADVICE_OID_BYTES, 1, seed);
		tool_put_hex(o, "ref", ref, ADVICE_OID_BYTES);
		rc = advice_content_v2_encode(content, CONTENT_CAP, &len, kind, ref, note, strlen(note),
					      files, n_files, text, strlen(text));
	}
	if (rc != 0 || advice_content_v2_decode(content, len, &c) != 0 || c.version != version ||
	    c.n_files != n_files || c.text_len != strlen(text) || memcmp(c.text, text, c.text_len) != 0 ||
	    (version == 2 &&
	     (c.kind != kind || c.note_len != strlen(note) || memcmp(c.note, note, c.note_len) != 0 ||
	      memcmp(c.ref, ref, sizeof ref) != 0))) {
		free(content);
		json_decref(o);
		return json_pack("{s:s}", "error", "the content does not decode as made");
	}
	for (size_t i = 0; i < n_files; i++)
		if (memcmp(&c.files[i], &files[i], sizeof files[i]) != 0) {
			free(content);
			json_decref(o);
			return json_pack("{s:s}", "error", "a file reference does not decode as made");
		}
	json_object_set_new(o, "size", json_integer((json_int_t)len));
	tool_put_hex(o, "content", content, len);
	json_object_set_new(o, "refusals",
			    content_refusals(content, len, version == 2 ? strlen(note) : 0, n_files));
	free(content);
	return o;
}

/* --- connector-login.json --- */

json_t *vec_connector_login(json_t *in)
{
	uint8_t seed[32], conn_seed[32], challenge[ADVICE_CONNECTOR_CHALLENGE_BYTES], kid[ADVICE_KID_BYTES];
	uint8_t sig[ADVICE_SIG_BYTES], other_kid[ADVICE_KID_BYTES];
	struct advice_keys k;
	json_t *o = json_deep_copy(in);

	if (tool_get_hex(in, "seed", seed, 32) != 0) {
		json_decref(o);
		return json_pack("{s:s}", "error", "no seed");
	}
	rnd(conn_seed, 32, 1, seed);
	rnd(challenge, sizeof challenge, 2, seed);
	advice_keys_personal(&k, conn_seed);
	advice_kid(kid, k.box_pk);
	if (advice_connector_login_sign(sig, challenge, kid, &k) != 0 ||
	    advice_connector_login_verify(sig, challenge, kid, k.sign_pk) != 0) {
		json_decref(o);
		return json_pack("{s:s}", "error", "the login signature does not verify");
	}
	memcpy(other_kid, kid, sizeof kid);
	other_kid[0] ^= 0x01;
	tool_put_hex(o, "connector_seed", conn_seed, 32);
	tool_put_hex(o, "challenge", challenge, sizeof challenge);
	tool_put_hex(o, "sign_pk", k.sign_pk, 32);
	tool_put_hex(o, "connector_kid", kid, sizeof kid);
	tool_put_hex(o, "signature", sig, sizeof sig);
	json_object_set_new(o, "another kid",
			    json_string(verdict_name(
				    advice_connector_login_verify(sig, challenge, other_kid, k.sign_pk))));
	challenge[0] ^= 0x01;
	json_object_set_new(
		o, "another challenge",
		json_string(verdict_name(advice_connector_login_verify(sig, challenge, kid, k.sign_pk))));
	sodium_memzero(&k, sizeof k);
	return o;
}
