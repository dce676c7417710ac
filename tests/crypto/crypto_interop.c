/*
 * crypto_interop.c - the cross-implementation exchange: `crypto_tool write` makes a whole
 * scenario with libadvice from fresh random keys (certificates, two unit generations with
 * a chain box, seed and thread wraps, a message with an attachment, a key bundle, the
 * worker's key request with its fingerprint) and `crypto_tool read` checks one written by
 * client-web, knowing only what a real reader knows: the pinned root key, the worker's own
 * seed and password, and the citizen device's public key. client-web's test does the same
 * the other way round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "advice_crypto.h"
#include "crypto_tool.h"

#define FILE_LEN  (ADVICE_FILE_CHUNK_BYTES + 333)
#define TEXT	  "Cross-implementation message: \xc3\xa4\xc3\xb6\xc3\xa5 \xe2\x82\xac"
#define PASSWORD  "interop password \xc3\xa4"
#define OPS	  ADVICE_PWHASH_OPS_MIN
#define MEM	  ADVICE_PWHASH_MEM_MIN
#define VALID_NOW 1770000000000ULL

static void fresh_keys(struct advice_keys *k, uint8_t seed[32], int unit, uint8_t chain[32])
{
	advice_random(seed, 32);
	if (unit)
		advice_keys_unit(k, chain, seed);
	else
		advice_keys_personal(k, seed);
}

static uint8_t file_byte(size_t i)
{
	return (uint8_t)(i * 13 + 5);
}

/* The attachment chunks as an array of hex strings; fills the file reference. */
static json_t *write_file(struct advice_file_ref *f, const uint8_t thread_id[16])
{
	uint8_t *pt = malloc(ADVICE_FILE_CHUNK_BYTES), *ct = malloc(ADVICE_FILE_CHUNK_MAX_CIPHER);
	json_t *chunks = json_array();
	struct advice_file_stream *s;
	size_t off = 0;

	advice_random(f->file_id, 16);
	advice_random(f->key, 32);
	advice_random(f->header, 24);
	f->size = FILE_LEN;
	f->media = ADVICE_MEDIA_PDF;
	s = advice_file_stream_new(1, f->key, f->header, thread_id, f->file_id, FILE_LEN);
	while (off < FILE_LEN) {
		size_t n = FILE_LEN - off > ADVICE_FILE_CHUNK_BYTES ? ADVICE_FILE_CHUNK_BYTES
								    : FILE_LEN - off,
		       clen = 0;
		json_t *c = json_object();

		for (size_t i = 0; i < n; i++)
			pt[i] = file_byte(off + i);
		advice_file_push(s, pt, n, off + n == FILE_LEN, ct, &clen);
		tool_put_hex(c, "c", ct, clen);
		json_array_append_new(chunks, json_object_get(c, "c"));
		json_incref(json_object_get(c, "c"));
		json_decref(c);
		off += n;
	}
	advice_file_hash(s, f->hash);
	advice_file_stream_free(s);
	free(pt);
	free(ct);
	return chunks;
}

int interop_write(const char *path)
{
	uint8_t rs[32], as[32], ws[32], cs[32], s1[32], s2[32], c1[32], c2[32], eph[32], nonce[24], tid[16];
	uint8_t uid[16], unit_id[16], tkey[32], share[32], mkey[32], master[32], bkey[32];
	uint8_t cert_a[ADVICE_CERT_BYTES], cert_w[ADVICE_CERT_BYTES], w1[ADVICE_WRAP_BYTES],
		w2[ADVICE_WRAP_BYTES];
	uint8_t tw[ADVICE_WRAP_BYTES], chain[ADVICE_CHAIN_BYTES], bundle[ADVICE_BUNDLE_BYTES];
	uint8_t ev1[ADVICE_UNIT_EVENT_BYTES(1)], ev2[ADVICE_UNIT_EVENT_BYTES(1)], content[1024];
	uint8_t env[ADVICE_ENVELOPE_MAX_BYTES], kreq[ADVICE_KEY_REQUEST_BYTES];
	char fp[ADVICE_FINGERPRINT_CHARS + 1];
	size_t n1 = 0, n2 = 0, clen = 0, elen = 0;
	struct advice_keys root, admin, worker, citizen, u1, u2;
	struct advice_unit_event *ev = calloc(1, sizeof(*ev));
	struct advice_envelope_hdr h;
	struct advice_bundle_info bi;
	struct advice_file_ref f;
	struct advice_cert c;
	json_t *o = json_object();
	int rc = 0;

	fresh_keys(&root, rs, 0, NULL);
	fresh_keys(&admin, as, 0, NULL);
	fresh_keys(&worker, ws, 0, NULL);
	fresh_keys(&citizen, cs, 0, NULL);
	fresh_keys(&u1, s1, 1, c1);
	fresh_keys(&u2, s2, 1, c2);
	memset(&c, 0, sizeof(c));
	c.role = ADVICE_ROLE_ADMIN;
	advice_random(c.subject_id, 16);
	memcpy(c.sign_pk, admin.sign_pk, 32);
	memcpy(c.box_pk, admin.box_pk, 32);
	c.not_before = VALID_NOW - 1000;
	c.not_after = VALID_NOW + 1000;
	rc |= advice_cert_sign(cert_a, &c, &root);
	c.role = ADVICE_ROLE_WORKER;
	advice_random(uid, 16);
	memcpy(c.subject_id, uid, 16);
	memcpy(c.sign_pk, worker.sign_pk, 32);
	memcpy(c.box_pk, worker.box_pk, 32);
	rc |= advice_cert_sign(cert_w, &c, &admin);

	advice_random(unit_id, 16);
	memcpy(ev->unit_id, unit_id, 16);
	ev->generation = 1;
	memcpy(ev->box_pk, u1.box_pk, 32);
	memcpy(ev->sign_pk, u1.sign_pk, 32);
	ev->created_at = VALID_NOW;
	ev->n_members = 1;
	advice_kid(ev->members[0], worker.box_pk);
	rc |= advice_unit_event_sign(ev1, sizeof(ev1), &n1, ev, &admin);
	ev->generation = 2;
	memcpy(ev->box_pk, u2.box_pk, 32);
	memcpy(ev->sign_pk, u2.sign_pk, 32);
	advice_hash(ev->prev_hash, ev1, n1);
	rc |= advice_unit_event_sign(ev2, sizeof(ev2), &n2, ev, &admin);
	advice_random(nonce, 24);
	rc |= advice_chain_seal(chain, unit_id, 2, c2, nonce, s1);
	advice_random(eph, 32);
	rc |= advice_wrap_seal(w1, ADVICE_WRAP_UNIT_SEED, unit_id, 1, worker.box_pk, s1, eph, &admin);
	advice_random(eph, 32);
	rc |= advice_wrap_seal(w2, ADVICE_WRAP_UNIT_SEED, unit_id, 2, worker.box_pk, s2, eph, &admin);

	advice_random(tid, 16);
	advice_random(tkey, 32);
	advice_random(share, 32);
	advice_random(eph, 32);
	rc |= advice_wrap_seal(tw, ADVICE_WRAP_THREAD_KEY, tid, 0, u2.box_pk, tkey, eph, &citizen);
	json_object_set_new(o, "chunks", write_file(&f, tid));
	rc |= advice_content_encode(content, sizeof(content), &clen, &f, 1, TEXT, strlen(TEXT));
	memset(&h, 0, sizeof(h));
	memcpy(h.thread_id, tid, 16);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	h.sender_seq = 1;
	h.created_at = VALID_NOW;
	rc |= advice_thread_msg_key(mkey, tkey, tid, 0, share);
	rc |= advice_envelope_seal(env, sizeof(env), &elen, &h, mkey, content, clen, &citizen);

	memset(&bi, 0, sizeof(bi));
	memcpy(bi.user_id, uid, 16);
	bi.version = 1;
	bi.opslimit = OPS;
	bi.memlimit = MEM;
	advice_random(bi.salt, 16);
	advice_random(nonce, 24);
	rc |= advice_password_master(master, PASSWORD, bi.salt, OPS, MEM);
	rc |= advice_bundle_key(bkey, master);
	rc |= advice_bundle_seal(bundle, &bi, bkey, nonce, ws);
	rc |= advice_key_request_sign(kreq, uid, VALID_NOW, &worker);
	advice_key_fingerprint(fp, worker.sign_pk, worker.box_pk);

	json_object_set_new(o, "writer", json_string("c"));
	json_object_set_new(o, "now", json_integer((json_int_t)VALID_NOW));
	tool_put_hex(o, "root_sign_pk", root.sign_pk, 32);
	tool_put_hex(o, "worker_seed", ws, 32);
	tool_put_hex(o, "citizen_sign_pk", citizen.sign_pk, 32);
	json_object_set_new(o, "password", json_string(PASSWORD));
	tool_put_hex(o, "admin_cert", cert_a, sizeof(cert_a));
	tool_put_hex(o, "worker_cert", cert_w, sizeof(cert_w));
	tool_put_hex(o, "event1", ev1, n1);
	tool_put_hex(o, "event2", ev2, n2);
	tool_put_hex(o, "chain2", chain, sizeof(chain));
	tool_put_hex(o, "seed_wrap1", w1, sizeof(w1));
	tool_put_hex(o, "seed_wrap2", w2, sizeof(w2));
	tool_put_hex(o, "thread_wrap", tw, sizeof(tw));
	tool_put_hex(o, "share", share, 32);
	tool_put_hex(o, "thread_id", tid, 16);
	tool_put_hex(o, "envelope", env, elen);
	tool_put_hex(o, "bundle", bundle, sizeof(bundle));
	tool_put_hex(o, "key_request", kreq, sizeof(kreq));
	json_object_set_new(o, "fingerprint", json_string(fp));
	json_object_set_new(o, "text", json_string(TEXT));
	json_object_set_new(o, "file_length", json_integer(FILE_LEN));
	if (rc != 0 || json_dump_file(o, path, JSON_INDENT(1)) != 0) {
		fprintf(stderr, "write: failed (%d)\n", rc);
		rc = -1;
	}
	json_decref(o);
	free(ev);
	return rc;
}

/* Reads a hex field of any length (malloc'd into *out). */
static int hex_any(json_t *o, const char *key, uint8_t **out, size_t *len)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || strlen(s) % 2 != 0)
		return -1;
	*len = strlen(s) / 2;
	*out = malloc(*len + 1);
	if (*out == NULL || advice_unhex(*out, *len, s) != 0)
		return -1;
	return 0;
}

#define CHECK(cond, what)                                                                                    \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "read: %s failed\n", what);                                          \
			goto out;                                                                            \
		}                                                                                            \
	} while (0)

/* Pulls every chunk and checks size, bytes and hash against the file reference. */
static int read_file(json_t *chunks, const struct advice_file_ref *f, const uint8_t tid[16], size_t want)
{
	struct advice_file_stream *s = advice_file_stream_new(0, f->key, f->header, tid, f->file_id, f->size);
	uint8_t *pt = malloc(ADVICE_FILE_CHUNK_BYTES), h[32];
	size_t off = 0, k;
	json_t *c;
	int final = 0, rc = -1;

	json_array_foreach (chunks, k, c) {
		uint8_t ct[ADVICE_FILE_CHUNK_MAX_CIPHER];
		const char *hex = json_string_value(c);
		size_t clen = hex != NULL ? strlen(hex) / 2 : 0, n = 0;

		if (final || clen > sizeof(ct) || advice_unhex(ct, clen, hex) != 0 ||
		    advice_file_pull(s, ct, clen, pt, &n, &final) != 0)
			goto out;
		for (size_t i = 0; i < n; i++)
			if (pt[i] != file_byte(off + i))
				goto out;
		off += n;
	}
	if (final && off == want && off == f->size && advice_file_hash(s, h) == 0 &&
	    memcmp(h, f->hash, 32) == 0)
		rc = 0;
out:
	advice_file_stream_free(s);
	free(pt);
	return rc;
}

int interop_read(const char *path)
{
	uint8_t root_pk[32], ws[32], cit_pk[32], s1[32], s2[32], c2[32], tkey[32], share[32], mkey[32];
	uint8_t master[32], bkey[32], seed[32], tid[16], plain[ADVICE_ENVELOPE_MAX_BYTES];
	uint8_t *ca = NULL, *cw = NULL, *e1 = NULL, *e2 = NULL, *ch = NULL, *w1 = NULL, *w2 = NULL,
		*tw = NULL;
	uint8_t *env = NULL, *bun = NULL, *kreq = NULL;
	size_t lca, lcw, le1, le2, lch, lw1, lw2, ltw, lenv, lbun, lkreq, plen = 0, nf = 0, tlen = 0;
	struct advice_keys worker, u1, u2;
	struct advice_unit_event *ev = calloc(1, sizeof(*ev));
	struct advice_envelope_hdr h;
	struct advice_wrap_info wi;
	struct advice_bundle_info bi;
	struct advice_file_ref files[ADVICE_CONTENT_MAX_FILES];
	struct advice_cert cert;
	struct advice_key_request kr;
	const uint8_t *text = NULL;
	const char *want_text, *want_fp;
	char fp[ADVICE_FINGERPRINT_CHARS + 1];
	json_error_t err;
	json_t *o = json_load_file(path, 0, &err);
	uint64_t now;
	int rc = -1;

	CHECK(o != NULL && ev != NULL, "loading the file");
	now = (uint64_t)json_integer_value(json_object_get(o, "now"));
	want_text = json_string_value(json_object_get(o, "text"));
	want_fp = json_string_value(json_object_get(o, "fingerprint"));
	CHECK(tool_get_hex(o, "root_sign_pk", root_pk, 32) == 0 &&
		      tool_get_hex(o, "worker_seed", ws, 32) == 0 &&
		      tool_get_hex(o, "citizen_sign_pk", cit_pk, 32) == 0 &&
		      tool_get_hex(o, "share", share, 32) == 0 &&
		      tool_get_hex(o, "thread_id", tid, 16) == 0 && want_text != NULL && want_fp != NULL,
	      "reading the keys");
	CHECK(hex_any(o, "admin_cert", &ca, &lca) == 0 && hex_any(o, "worker_cert", &cw, &lcw) == 0 &&
		      hex_any(o, "event1", &e1, &le1) == 0 && hex_any(o, "event2", &e2, &le2) == 0 &&
		      hex_any(o, "chain2", &ch, &lch) == 0 && hex_any(o, "seed_wrap1", &w1, &lw1) == 0 &&
		      hex_any(o, "seed_wrap2", &w2, &lw2) == 0 && hex_any(o, "thread_wrap", &tw, &ltw) == 0 &&
		      hex_any(o, "envelope", &env, &lenv) == 0 && hex_any(o, "bundle", &bun, &lbun) == 0 &&
		      hex_any(o, "key_request", &kreq, &lkreq) == 0,
	      "reading the objects");
	advice_keys_personal(&worker, ws);

	/* The worker's certificate chains to the pinned root; the admin signed both events. */
	CHECK(advice_cert_verify(cw, lcw, ca, lca, root_pk, now, &cert) == 0, "worker certificate chain");
	CHECK(memcmp(cert.box_pk, worker.box_pk, 32) == 0, "worker certificate keys");
	CHECK(advice_cert_verify(ca, lca, NULL, 0, root_pk, now, &cert) == 0, "admin certificate");
	CHECK(advice_unit_event_verify(e1, le1, cert.sign_pk, NULL, 0, NULL) == 0, "unit event 1");
	CHECK(advice_unit_event_verify(e2, le2, cert.sign_pk, e1, le1, ev) == 0, "unit event 2 chain");

	/* Generation 2 through the seed wrap, its keys those of the signed event; generation 1
	 * through the chain box and its own wrap, checked against event 1 the same way. */
	CHECK(advice_unit_seed_open(s2, &u2, c2, w2, lw2, ev, &worker, cert.sign_pk) == 0,
	      "seed wrap 2 (keys match event 2)");
	CHECK(advice_chain_open(s1, ch, lch, ev->unit_id, 2, c2) == 0, "chain box");
	CHECK(advice_unit_event_parse(e1, le1, ev) == 0 && advice_unit_seed_check(s1, ev, &u1, NULL) == 0,
	      "generation 1 keys match event 1");
	CHECK(advice_unit_seed_open(seed, &u1, NULL, w1, lw1, ev, &worker, cert.sign_pk) == 0 &&
		      memcmp(seed, s1, 32) == 0,
	      "seed wrap 1 matches the chain");

	/* The thread: wrap to generation 2, message from the citizen device, attachment. */
	CHECK(advice_wrap_open(tkey, &wi, tw, ltw, ADVICE_WRAP_THREAD_KEY, tid, 0, &u2, cit_pk) == 0,
	      "thread wrap");
	CHECK(advice_thread_msg_key(mkey, tkey, wi.scope_id, wi.epoch, share) == 0, "message key");
	CHECK(advice_envelope_open(plain, sizeof(plain), &plen, &h, env, lenv, wi.scope_id, mkey, cit_pk) ==
		      0,
	      "envelope");
	CHECK(advice_content_decode(plain, plen, files, &nf, &text, &tlen) == 0 && nf == 1, "content");
	CHECK(tlen == strlen(want_text) && memcmp(text, want_text, tlen) == 0, "message text");
	CHECK(read_file(json_object_get(o, "chunks"), &files[0], wi.scope_id,
			(size_t)json_integer_value(json_object_get(o, "file_length"))) == 0,
	      "attachment");

	/* The worker's key bundle opens with the password. */
	CHECK(advice_bundle_parse(bun, lbun, &bi) == 0, "bundle format");
	CHECK(advice_password_master(master, json_string_value(json_object_get(o, "password")), bi.salt,
				     bi.opslimit, bi.memlimit) == 0 &&
		      advice_bundle_key(bkey, master) == 0,
	      "bundle key");
	CHECK(advice_bundle_open(seed, bun, lbun, bi.user_id, bkey) == 0 && memcmp(seed, ws, 32) == 0,
	      "bundle");

	/* The worker's key request names the bundle's user and the worker's keys, whose
	 * fingerprint is the one the writer showed. */
	CHECK(advice_key_request_verify(kreq, lkreq, &kr) == 0 && memcmp(kr.user_id, bi.user_id, 16) == 0 &&
		      memcmp(kr.sign_pk, worker.sign_pk, 32) == 0 &&
		      memcmp(kr.box_pk, worker.box_pk, 32) == 0,
	      "key request");
	advice_key_fingerprint(fp, kr.sign_pk, kr.box_pk);
	CHECK(strcmp(fp, want_fp) == 0, "key request fingerprint");
	printf("read: every object of %s verified\n", path);
	rc = 0;
out:
	free(ca), free(cw), free(e1), free(e2), free(ch), free(w1), free(w2), free(tw), free(env), free(bun),
		free(kreq);
	free(ev);
	json_decref(o);
	return rc;
}
