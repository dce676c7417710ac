/*
 * crypto_vectors.c - the known-answer vectors of the end-to-end encryption constructions
 * (the files in proto/vectors): one function per construction computes a case from its literal
 * inputs and its seed, so the same code writes the files (`crypto_tool vectors DIR`) and
 * checks them (`crypto_tool check DIR`, a test in every build). Every "random" input is
 * rnd(i, n) = crypto_kdf_derive_from_key(n, i, "QAvector", seed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "advice.h"
#include "advice_crypto.h"
#include "crypto_tool.h"

/* rnd(i, n) of the case's seed. */
static void rnd(uint8_t *out, size_t n, uint64_t i, const uint8_t seed[32])
{
	crypto_kdf_derive_from_key(out, n, i, "QAvector", seed);
}

void tool_put_hex(json_t *o, const char *key, const void *data, size_t len)
{
	char *hex = malloc(2 * len + 1);

	if (hex == NULL)
		return;
	sodium_bin2hex(hex, 2 * len + 1, data, len);
	json_object_set_new(o, key, json_string(hex));
	free(hex);
}

int tool_get_hex(json_t *o, const char *key, void *out, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && advice_unhex(out, len, s) == 0 ? 0 : -1;
}

static uint64_t get_u64(json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

static const char *get_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* A new case object with the literal inputs of `in` copied (name, seed and the rest). */
static json_t *case_begin(json_t *in, uint8_t seed[32])
{
	json_t *out = json_deep_copy(in);

	if (json_object_get(in, "seed") != NULL)
		tool_get_hex(in, "seed", seed, 32);
	return out;
}

/* --- keys --- */
static json_t *vec_keys(json_t *in)
{
	uint8_t seed[32], chain[32], kid[16];
	struct advice_keys k;
	json_t *o = case_begin(in, seed);

	advice_keys_personal(&k, seed);
	tool_put_hex(o, "personal_box_pk", k.box_pk, 32);
	tool_put_hex(o, "personal_sign_pk", k.sign_pk, 32);
	advice_kid(kid, k.box_pk);
	tool_put_hex(o, "personal_box_kid", kid, 16);
	advice_kid(kid, k.sign_pk);
	tool_put_hex(o, "personal_sign_kid", kid, 16);
	advice_keys_unit(&k, chain, seed);
	tool_put_hex(o, "unit_box_pk", k.box_pk, 32);
	tool_put_hex(o, "unit_sign_pk", k.sign_pk, 32);
	tool_put_hex(o, "unit_chain_key", chain, 32);
	return o;
}

/* --- sealed box with a chosen ephemeral key --- */
static json_t *vec_seal(json_t *in)
{
	uint8_t seed[32], rseed[32], eph[32], msg[40], sealed[40 + 48], back[40];
	struct advice_keys r;
	json_t *o = case_begin(in, seed);

	rnd(rseed, 32, 1, seed);
	rnd(eph, 32, 2, seed);
	rnd(msg, sizeof(msg), 3, seed);
	advice_keys_personal(&r, rseed);
	advice_seal(sealed, msg, sizeof(msg), r.box_pk, eph);
	tool_put_hex(o, "recipient_seed", rseed, 32);
	tool_put_hex(o, "eph_seed", eph, 32);
	tool_put_hex(o, "message", msg, sizeof(msg));
	tool_put_hex(o, "recipient_box_pk", r.box_pk, 32);
	tool_put_hex(o, "sealed", sealed, sizeof(sealed));
	if (crypto_box_seal_open(back, sealed, sizeof(sealed), r.box_pk, r.box_sk) != 0 ||
	    memcmp(back, msg, sizeof(msg)) != 0)
		json_object_set_new(o, "error", json_string("crypto_box_seal_open failed"));
	return o;
}

/* --- worker key bundle --- */
static json_t *vec_bundle(json_t *in)
{
	uint8_t seed[32], master[32], bkey[32], nonce[24], wseed[32], out[ADVICE_BUNDLE_BYTES];
	struct advice_bundle_info bi;
	json_t *o = case_begin(in, seed);

	memset(&bi, 0, sizeof(bi));
	rnd(bi.salt, 16, 1, seed);
	rnd(bi.user_id, 16, 2, seed);
	rnd(wseed, 32, 3, seed);
	rnd(nonce, 24, 4, seed);
	bi.version = (uint32_t)get_u64(in, "bundle_version");
	bi.opslimit = (uint32_t)get_u64(in, "opslimit");
	bi.memlimit = (uint32_t)get_u64(in, "memlimit");
	tool_put_hex(o, "salt", bi.salt, 16);
	tool_put_hex(o, "user_id", bi.user_id, 16);
	tool_put_hex(o, "worker_seed", wseed, 32);
	tool_put_hex(o, "nonce", nonce, 24);
	if (advice_password_master(master, get_str(in, "password"), bi.salt, bi.opslimit, bi.memlimit) != 0)
		json_object_set_new(o, "error", json_string("pwhash failed"));
	advice_bundle_key(bkey, master);
	advice_bundle_seal(out, &bi, bkey, nonce, wseed);
	tool_put_hex(o, "master", master, 32);
	tool_put_hex(o, "bundle_key", bkey, 32);
	tool_put_hex(o, "bundle", out, sizeof(out));
	return o;
}

/* --- certificates: root -> admin -> worker, root -> connector --- */
static json_t *vec_cert(json_t *in)
{
	uint8_t seed[32], s[32], admin_cert[ADVICE_CERT_BYTES], worker_cert[ADVICE_CERT_BYTES];
	uint8_t conn_cert[ADVICE_CERT_BYTES];
	struct advice_keys root, admin, worker, conn;
	struct advice_cert c;
	json_t *o = case_begin(in, seed);

	rnd(s, 32, 1, seed);
	advice_keys_personal(&root, s);
	tool_put_hex(o, "root_seed", s, 32);
	rnd(s, 32, 2, seed);
	advice_keys_personal(&admin, s);
	tool_put_hex(o, "admin_seed", s, 32);
	rnd(s, 32, 3, seed);
	advice_keys_personal(&worker, s);
	tool_put_hex(o, "worker_seed", s, 32);
	rnd(s, 32, 4, seed);
	advice_keys_personal(&conn, s);
	tool_put_hex(o, "connector_seed", s, 32);
	tool_put_hex(o, "root_sign_pk", root.sign_pk, 32);

	memset(&c, 0, sizeof(c));
	c.not_before = get_u64(in, "not_before");
	c.not_after = get_u64(in, "not_after");
	c.role = ADVICE_ROLE_ADMIN;
	rnd(c.subject_id, 16, 5, seed);
	memcpy(c.sign_pk, admin.sign_pk, 32);
	memcpy(c.box_pk, admin.box_pk, 32);
	advice_cert_sign(admin_cert, &c, &root);
	c.role = ADVICE_ROLE_WORKER;
	rnd(c.subject_id, 16, 6, seed);
	memcpy(c.sign_pk, worker.sign_pk, 32);
	memcpy(c.box_pk, worker.box_pk, 32);
	advice_cert_sign(worker_cert, &c, &admin);
	c.role = ADVICE_ROLE_CONNECTOR;
	rnd(c.subject_id, 16, 7, seed);
	memcpy(c.sign_pk, conn.sign_pk, 32);
	memcpy(c.box_pk, conn.box_pk, 32);
	advice_cert_sign(conn_cert, &c, &root);
	tool_put_hex(o, "admin_cert", admin_cert, sizeof(admin_cert));
	tool_put_hex(o, "worker_cert", worker_cert, sizeof(worker_cert));
	tool_put_hex(o, "connector_cert", conn_cert, sizeof(conn_cert));
	if (advice_cert_verify(worker_cert, sizeof(worker_cert), admin_cert, sizeof(admin_cert), root.sign_pk,
			       get_u64(in, "now"), NULL) != 0)
		json_object_set_new(o, "error", json_string("worker chain does not verify"));
	return o;
}

/* --- unit generations: event 1 (all members), removal of the last member: event 2, chain box, seed wraps ---
 */
static json_t *vec_unit(json_t *in)
{
	uint8_t seed[32], s1[32], s2[32], s[32], chain2[32], nonce[24], eph[32], kid[16];
	uint8_t ev1[ADVICE_UNIT_EVENT_MAX_BYTES], ev2[ADVICE_UNIT_EVENT_MAX_BYTES], box[ADVICE_CHAIN_BYTES];
	uint8_t wrap[ADVICE_WRAP_BYTES];
	size_t n1 = 0, n2 = 0, members = (size_t)get_u64(in, "members");
	struct advice_keys admin, u1, u2, m;
	struct advice_unit_event *ev = calloc(1, sizeof(*ev));
	json_t *o = case_begin(in, seed), *wraps = json_array();

	rnd(s, 32, 1, seed);
	advice_keys_personal(&admin, s);
	tool_put_hex(o, "admin_seed", s, 32);
	rnd(ev->unit_id, 16, 2, seed);
	tool_put_hex(o, "unit_id", ev->unit_id, 16);
	rnd(s1, 32, 3, seed);
	rnd(s2, 32, 4, seed);
	rnd(nonce, 24, 5, seed);
	tool_put_hex(o, "gen1_seed", s1, 32);
	tool_put_hex(o, "gen2_seed", s2, 32);
	tool_put_hex(o, "chain_nonce", nonce, 24);
	advice_keys_unit(&u1, NULL, s1);
	advice_keys_unit(&u2, chain2, s2);
	for (size_t i = 0; i < members && i < 16; i++) {
		rnd(s, 32, 10 + i, seed);
		advice_keys_personal(&m, s);
		advice_kid(ev->members[i], m.box_pk);
	}
	ev->generation = 1;
	memcpy(ev->box_pk, u1.box_pk, 32);
	memcpy(ev->sign_pk, u1.sign_pk, 32);
	ev->created_at = get_u64(in, "created_at");
	ev->n_members = (uint16_t)members;
	advice_unit_event_sign(ev1, sizeof(ev1), &n1, ev, &admin);
	ev->generation = 2;
	memcpy(ev->box_pk, u2.box_pk, 32);
	memcpy(ev->sign_pk, u2.sign_pk, 32);
	advice_hash(ev->prev_hash, ev1, n1);
	ev->created_at += 1000;
	ev->n_members = (uint16_t)(members - 1);
	advice_unit_event_sign(ev2, sizeof(ev2), &n2, ev, &admin);
	advice_chain_seal(box, ev->unit_id, 2, chain2, nonce, s1);
	tool_put_hex(o, "event1", ev1, n1);
	tool_put_hex(o, "event2", ev2, n2);
	tool_put_hex(o, "chain2", box, sizeof(box));
	for (size_t i = 0; i + 1 < members && i < 16; i++) {
		rnd(s, 32, 10 + i, seed);
		advice_keys_personal(&m, s);
		rnd(eph, 32, 30 + i, seed);
		advice_wrap_seal(wrap, ADVICE_WRAP_UNIT_SEED, ev->unit_id, 2, m.box_pk, s2, eph, &admin);
		json_t *w = json_object();
		tool_put_hex(w, "member_seed", s, 32);
		advice_kid(kid, m.box_pk);
		tool_put_hex(w, "member_kid", kid, 16);
		tool_put_hex(w, "eph_seed", eph, 32);
		tool_put_hex(w, "wrap", wrap, sizeof(wrap));
		json_array_append_new(wraps, w);
	}
	json_object_set_new(o, "seed_wraps", wraps);
	if (advice_unit_event_verify(ev2, n2, admin.sign_pk, ev1, n1, NULL) != 0)
		json_object_set_new(o, "error", json_string("event 2 does not verify"));
	free(ev);
	return o;
}

/* --- wraps --- */
static json_t *vec_wrap(json_t *in)
{
	uint8_t seed[32], s[32], scope[16], key[32], eph[32], out[ADVICE_WRAP_BYTES];
	struct advice_keys signer, recip;
	json_t *o = case_begin(in, seed);

	rnd(s, 32, 1, seed);
	advice_keys_personal(&signer, s);
	tool_put_hex(o, "signer_seed", s, 32);
	rnd(s, 32, 2, seed);
	advice_keys_personal(&recip, s);
	tool_put_hex(o, "recipient_seed", s, 32);
	rnd(scope, 16, 3, seed);
	rnd(key, 32, 4, seed);
	rnd(eph, 32, 5, seed);
	tool_put_hex(o, "scope_id", scope, 16);
	tool_put_hex(o, "key", key, 32);
	tool_put_hex(o, "eph_seed", eph, 32);
	advice_wrap_seal(out, (uint8_t)get_u64(in, "kind"), scope, (uint32_t)get_u64(in, "epoch"),
			 recip.box_pk, key, eph, &signer);
	tool_put_hex(o, "wrap", out, sizeof(out));
	return o;
}

/* --- envelopes (content: text, optionally one file reference) --- */
static json_t *vec_envelope(json_t *in)
{
	uint8_t seed[32], tkey[32], share[32], mkey[32], s[32];
	uint8_t content[ADVICE_ENVELOPE_MAX_PLAIN], env[ADVICE_ENVELOPE_MAX_BYTES];
	size_t clen = 0, elen = 0, nf = 0;
	struct advice_envelope_hdr h;
	struct advice_file_ref f;
	struct advice_keys sender;
	const char *text = get_str(in, "text");
	json_t *o = case_begin(in, seed);

	memset(&h, 0, sizeof(h));
	memset(&f, 0, sizeof(f));
	rnd(tkey, 32, 1, seed);
	rnd(share, 32, 2, seed);
	rnd(h.thread_id, 16, 3, seed);
	rnd(h.message_id, 16, 4, seed);
	rnd(h.prev_hash, 32, 5, seed);
	rnd(h.nonce, 24, 6, seed);
	rnd(s, 32, 7, seed);
	advice_keys_personal(&sender, s);
	h.epoch = (uint32_t)get_u64(in, "epoch");
	h.sender_seq = get_u64(in, "sender_seq");
	h.created_at = get_u64(in, "created_at");
	tool_put_hex(o, "thread_key", tkey, 32);
	tool_put_hex(o, "share", share, 32);
	tool_put_hex(o, "thread_id", h.thread_id, 16);
	tool_put_hex(o, "message_id", h.message_id, 16);
	tool_put_hex(o, "prev_hash", h.prev_hash, 32);
	tool_put_hex(o, "nonce", h.nonce, 24);
	tool_put_hex(o, "sender_seed", s, 32);
	if (json_object_get(in, "file_size") != NULL) {
		rnd(f.file_id, 16, 8, seed);
		rnd(f.key, 32, 9, seed);
		rnd(f.header, 24, 10, seed);
		rnd(f.hash, 32, 11, seed);
		f.size = get_u64(in, "file_size");
		f.media = (uint8_t)get_u64(in, "file_media");
		nf = 1;
	}
	advice_content_encode(content, sizeof(content), &clen, &f, nf, text, strlen(text));
	advice_thread_msg_key(mkey, tkey, h.thread_id, h.epoch, share);
	advice_envelope_seal(env, sizeof(env), &elen, &h, mkey, content, clen, &sender);
	tool_put_hex(o, "msg_key", mkey, 32);
	tool_put_hex(o, "content", content, clen);
	tool_put_hex(o, "envelope", env, elen);
	return o;
}

/* --- attachments: plaintext byte i is (i * 7 + 3) mod 256 --- */
static json_t *vec_file(json_t *in)
{
	uint8_t seed[32], key[32], header[24], tid[16], fid[16], h[32];
	uint8_t *pt = malloc(ADVICE_FILE_CHUNK_BYTES), *ct = malloc(ADVICE_FILE_CHUNK_MAX_CIPHER);
	uint64_t len = get_u64(in, "length"), off = 0;
	struct advice_file_stream *st;
	json_t *o = case_begin(in, seed), *chunks = json_array();

	rnd(key, 32, 1, seed);
	rnd(header, 24, 2, seed);
	rnd(tid, 16, 3, seed);
	rnd(fid, 16, 4, seed);
	tool_put_hex(o, "key", key, 32);
	tool_put_hex(o, "header", header, 24);
	tool_put_hex(o, "thread_id", tid, 16);
	tool_put_hex(o, "file_id", fid, 16);
	st = advice_file_stream_new(1, key, header, tid, fid, len);
	do {
		size_t n = len - off > ADVICE_FILE_CHUNK_BYTES ? ADVICE_FILE_CHUNK_BYTES
							       : (size_t)(len - off),
		       clen = 0;
		int final = off + n == len;
		json_t *c = json_object();

		for (size_t i = 0; i < n; i++)
			pt[i] = (uint8_t)((off + i) * 7 + 3);
		advice_file_push(st, pt, n, final, ct, &clen);
		if (clen <= 1024)
			tool_put_hex(c, "cipher", ct, clen);
		advice_hash(h, ct, clen);
		tool_put_hex(c, "cipher_hash", h, 32);
		json_object_set_new(c, "cipher_len", json_integer((json_int_t)clen));
		json_array_append_new(chunks, c);
		off += n;
	} while (off < len);
	advice_file_hash(st, h);
	advice_file_stream_free(st);
	json_object_set_new(o, "chunks", chunks);
	tool_put_hex(o, "file_hash", h, 32);
	free(pt);
	free(ct);
	return o;
}

/* --- worker login key (PROTOCOL.md §4.4) --- */

/*
 * crypto_kdf_derive_from_key(n, id, ctx, key) written out as plain BLAKE2b (CRYPTO-FORMATS.md,
 * "Key derivation"): keyed with `key`, no message, salt = u64 LE id || 8 zero bytes,
 * personalisation = the 8 context bytes || 8 zero bytes, digest length n.
 */
static int kdf_as_blake2b(uint8_t *out, size_t n, uint64_t id, const char ctx[8], const uint8_t key[32],
			  uint8_t salt[16], uint8_t personal[16])
{
	memset(salt, 0, 16);
	for (int i = 0; i < 8; i++)
		salt[i] = (uint8_t)(id >> (8 * i));
	memset(personal, 0, 16);
	memcpy(personal, ctx, 8);
	return crypto_generichash_blake2b_salt_personal(out, n, NULL, 0, key, 32, salt, personal);
}

static json_t *vec_login(json_t *in)
{
	uint8_t salt[16], master[32], key[32], plain[32], kdf[32], ksalt[16], kpers[16];
	char b64[64], *nfkc = NULL;
	json_t *o = json_deep_copy(in);
	const char *password = get_str(in, "password");
	unsigned long long ops = get_u64(in, "opslimit");
	size_t mem = (size_t)get_u64(in, "memlimit");

	if (tool_get_hex(in, "salt", salt, 16) != 0 || advice_password_nfkc(password, &nfkc) != 0) {
		json_object_set_new(o, "error", json_string("bad inputs"));
		return o;
	}
	/* libadvice normalises the password as typed; its NFKC bytes are a field of the case. */
	tool_put_hex(o, "password_nfkc", nfkc, strlen(nfkc));
	sodium_bin2base64(b64, sizeof(b64), salt, 16, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	json_object_set_new(o, "salt_b64", json_string(b64));
	if (crypto_pwhash(master, 32, nfkc, strlen(nfkc), salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13) !=
		    0 ||
	    advice_worker_auth_key(password, salt, ops, mem, key) != 0 ||
	    crypto_kdf_derive_from_key(kdf, 32, 1, "advlogin", master) != 0 ||
	    kdf_as_blake2b(plain, 32, 1, "advlogin", master, ksalt, kpers) != 0) {
		json_object_set_new(o, "error", json_string("derivation failed"));
		free(nfkc);
		return o;
	}
	free(nfkc);
	tool_put_hex(o, "master", master, 32);
	tool_put_hex(o, "kdf_salt", ksalt, 16);
	tool_put_hex(o, "kdf_personal", kpers, 16);
	tool_put_hex(o, "auth_key", key, 32);
	sodium_bin2base64(b64, sizeof(b64), key, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	json_object_set_new(o, "auth_key_b64", json_string(b64));
	/* libadvice, crypto_kdf and the plain BLAKE2b of the written-out layout agree. */
	if (memcmp(key, kdf, 32) != 0 || memcmp(key, plain, 32) != 0)
		json_object_set_new(o, "error",
				    json_string("crypto_kdf is not the BLAKE2b of CRYPTO-FORMATS.md"));
	return o;
}

/* --- the anchors of the research note (libsodium 1.0.18 = libsodium.js) --- */
static json_t *vec_anchor(json_t *in)
{
	json_t *o = json_deep_copy(in);
	const char *op = get_str(in, "op");
	uint8_t out[64], key[32], salt[16], nonce[24], pk[32], sk[64];

	if (strcmp(op, "pwhash") == 0) {
		tool_get_hex(in, "salt", salt, 16);
		if (crypto_pwhash(out, 32, get_str(in, "password"), strlen(get_str(in, "password")), salt,
				  get_u64(in, "opslimit"), (size_t)get_u64(in, "memlimit"),
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
			json_object_set_new(o, "error", json_string("pwhash failed"));
		tool_put_hex(o, "out", out, 32);
	} else if (strcmp(op, "kdf") == 0) {
		tool_get_hex(in, "key", key, 32);
		crypto_kdf_derive_from_key(out, 32, get_u64(in, "subkey_id"), get_str(in, "context"), key);
		tool_put_hex(o, "out", out, 32);
	} else if (strcmp(op, "sign") == 0) {
		tool_get_hex(in, "seed", key, 32);
		crypto_sign_seed_keypair(pk, sk, key);
		crypto_sign_detached(out, NULL, (const uint8_t *)get_str(in, "message"),
				     strlen(get_str(in, "message")), sk);
		tool_put_hex(o, "pk", pk, 32);
		tool_put_hex(o, "out", out, 64);
	} else if (strcmp(op, "aead") == 0) {
		const char *m = get_str(in, "message"), *ad = get_str(in, "ad");
		uint8_t ct[256];

		tool_get_hex(in, "key", key, 32);
		tool_get_hex(in, "nonce", nonce, 24);
		crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, (const uint8_t *)m, strlen(m),
							   (const uint8_t *)ad, strlen(ad), NULL, nonce, key);
		tool_put_hex(o, "out", ct, strlen(m) + 16);
	}
	return o;
}

/* One file a line, so that a new file is a new line. */
/* clang-format off */
const struct vector_file vector_files[] = {
	{ "anchors", vec_anchor },
	{ "keys", vec_keys },
	{ "seal", vec_seal },
	{ "bundle", vec_bundle },
	{ "cert", vec_cert },
	{ "unit", vec_unit },
	{ "wrap", vec_wrap },
	{ "envelope", vec_envelope },
	{ "file", vec_file },
	{ "login", vec_login },
	{ "thread", vec_thread },
	{ "unitlog", vec_unitlog },
	{ "epoch", vec_epoch },
	{ "text", vec_text },
	{ "pad", vec_pad },
	{ "citizen", vec_citizen },
	{ "keyreq", vec_keyreq },
	{ "unit-text", vec_unittext },
	{ "identity-box", vec_identitybox },
	{ "consent", vec_consent },
	{ "content-v2", vec_content_v2 },
	{ "connector-login", vec_connector_login },
	{ NULL, NULL },
};
/* clang-format on */
