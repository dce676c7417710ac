/*
 * test_core_keys.c - unit tests of core_keys.c over a real SQLite file: the server stores and
 * hands out key records, checks their formats and who may write and read them, and writes the
 * access log before key material reaches staff. The key objects are made with libadvice the
 * way admins' and users' clients make them; the server never holds a key that opens them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "advice.h"
#include "advice_crypto.h"
#include "advice_thread.h"
#include "corefix.h"

#define CITIZEN_A "010594Y9032"
#define CITIZEN_B "020594X903P"

/* The key world of the fixture: root, an admin, anna's and sara's identities, a generation of
 * the adult unit sealed to both, and one of the family unit sealed to ben. */
struct world {
	struct advice_keys root, admin, anna, sara, ben, adult, family;
	uint8_t adult_seed[32], family_seed[32];
	char anna_id[STORE_ID_SIZE], sara_id[STORE_ID_SIZE], ben_id[STORE_ID_SIZE];
};

static void keys_new(struct advice_keys *k, uint8_t *seed_out)
{
	uint8_t seed[32];

	advice_random(seed, sizeof seed);
	assert_int_equal(advice_keys_personal(k, seed), 0);
	if (seed_out != NULL)
		memcpy(seed_out, seed, 32);
}

static void put_cert(struct corefix *fx, uint8_t role, const char *subject, const struct advice_keys *k,
		     const struct advice_keys *issuer)
{
	uint8_t cert[ADVICE_CERT_BYTES], kid[16];
	struct advice_cert c;

	memset(&c, 0, sizeof c);
	c.role = role;
	advice_unhex(c.subject_id, 16, subject);
	memcpy(c.sign_pk, k->sign_pk, 32);
	memcpy(c.box_pk, k->box_pk, 32);
	c.not_after = fx->now + 86400000;
	assert_int_equal(advice_cert_sign(cert, &c, issuer), 0);
	advice_kid(kid, k->sign_pk);
	assert_int_equal(fx->st->ops->keys->cert_put(fx->st, subject, role, kid, cert, sizeof cert, fx->now),
			 STORE_OK);
}

/* Generation 1 of a unit, sealed to the members given. */
static void put_generation(struct corefix *fx, struct world *w, const char *unit, struct advice_keys *gen,
			   uint8_t seed[32], const struct advice_keys **members, const char **member_ids,
			   size_t n)
{
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	uint8_t event[ADVICE_UNIT_EVENT_MAX_BYTES], wrap[ADVICE_WRAP_BYTES], eph[32], kid[16];
	size_t len = 0;

	advice_random(seed, 32);
	assert_int_equal(advice_keys_unit(gen, NULL, seed), 0);
	advice_unhex(ev->unit_id, 16, unit);
	ev->generation = 1;
	memcpy(ev->box_pk, gen->box_pk, 32);
	memcpy(ev->sign_pk, gen->sign_pk, 32);
	ev->created_at = (uint64_t)fx->now;
	ev->n_members = (uint16_t)n;
	for (size_t i = 0; i < n; i++)
		advice_kid(ev->members[i], members[i]->box_pk);
	assert_int_equal(advice_unit_event_sign(event, sizeof event, &len, ev, &w->admin), 0);
	advice_kid(kid, gen->box_pk);
	assert_int_equal(fx->st->ops->keys->unit_gen_put(fx->st, unit, 1, kid, event, len, NULL, 0, fx->now),
			 STORE_OK);
	for (size_t i = 0; i < n; i++) {
		advice_random(eph, 32);
		assert_int_equal(advice_wrap_seal(wrap, ADVICE_WRAP_UNIT_SEED, ev->unit_id, 1,
						  members[i]->box_pk, seed, eph, &w->admin),
				 0);
		advice_kid(kid, members[i]->box_pk);
		assert_int_equal(fx->st->ops->keys->unit_seed_put(fx->st, unit, 1, kid, member_ids[i], wrap,
								  sizeof wrap),
				 STORE_OK);
	}
	free(ev);
}

static void world_setup(struct corefix *fx, struct world *w, struct who *anna, struct who *sara,
			struct who *ben)
{
	uint8_t admin_id[16];
	char admin_hex[33];
	const struct advice_keys *adult_members[2], *family_members[1];
	const char *adult_ids[2], *family_ids[1];

	keys_new(&w->root, NULL);
	keys_new(&w->admin, NULL);
	keys_new(&w->anna, NULL);
	keys_new(&w->sara, NULL);
	keys_new(&w->ben, NULL);
	corefix_login_worker(fx, "anna", anna);
	corefix_login_worker(fx, "sara", sara);
	corefix_login_worker(fx, "ben", ben);
	snprintf(w->anna_id, sizeof w->anna_id, "%s", anna->user_id);
	snprintf(w->sara_id, sizeof w->sara_id, "%s", sara->user_id);
	snprintf(w->ben_id, sizeof w->ben_id, "%s", ben->user_id);
	assert_int_equal(fx->st->ops->keys->root_put(fx->st, w->root.sign_pk, fx->now), STORE_OK);
	advice_random(admin_id, sizeof admin_id);
	advice_hex(admin_hex, admin_id, sizeof admin_id);
	put_cert(fx, ADVICE_ROLE_ADMIN, admin_hex, &w->admin, &w->root);
	put_cert(fx, ADVICE_ROLE_WORKER, w->anna_id, &w->anna, &w->admin);
	put_cert(fx, ADVICE_ROLE_WORKER, w->sara_id, &w->sara, &w->admin);
	put_cert(fx, ADVICE_ROLE_WORKER, w->ben_id, &w->ben, &w->admin);
	adult_members[0] = &w->anna;
	adult_members[1] = &w->sara;
	adult_ids[0] = w->anna_id;
	adult_ids[1] = w->sara_id;
	put_generation(fx, w, fx->unit_adult, &w->adult, w->adult_seed, adult_members, adult_ids, 2);
	family_members[0] = &w->ben;
	family_ids[0] = w->ben_id;
	put_generation(fx, w, fx->unit_family, &w->family, w->family_seed, family_members, family_ids, 1);
}

static char *b64(const void *data, size_t len)
{
	char *s = advice_b64url_encode(data, len);

	assert_non_null(s);
	return s;
}

/* Decodes a base64url JSON string into out (exactly len bytes). */
static void unb64(json_t *j, uint8_t *out, size_t len)
{
	uint8_t *d = NULL;
	size_t n = 0;

	assert_int_equal(advice_b64url_decode(json_string_value(j), &d, &n), 0);
	assert_int_equal(n, len);
	memcpy(out, d, len);
	free(d);
}

/* A device certificate of dev signed by the identity id, base64url (malloc'd). */
static char *device_cert(const struct advice_keys *id, const struct advice_keys *dev)
{
	struct advice_device_cert c = { .created_at = 1770000000000ULL };
	uint8_t cert[ADVICE_DEVICE_CERT_BYTES];

	memcpy(c.device_sign_pk, dev->sign_pk, 32);
	memcpy(c.device_box_pk, dev->box_pk, 32);
	assert_int_equal(advice_device_cert_sign(cert, &c, id), 0);
	return b64(cert, sizeof cert);
}

/*
 * Registers a new device for the citizen, certified by the identity *id: a new identity
 * (identity.add) when *id is all zeros, else device.add. Returns the device's keys in dev and
 * the reply's code.
 */
static const char *device_add_code(struct corefix *fx, const struct who *c, struct advice_keys *id,
				   struct advice_keys *dev, const char *rid)
{
	static const uint8_t zero[32];
	static char code[32];
	int fresh = memcmp(id->sign_pk, zero, 32) == 0;
	char *cert;
	json_t *r;

	if (fresh)
		keys_new(id, NULL);
	keys_new(dev, NULL);
	cert = device_cert(id, dev);
	r = corefix_ws(fx, c, "{\"type\":\"%s\",\"id\":\"%s\",\"cert\":\"%s\"}",
		       fresh ? "identity.add" : "device.add", rid, cert);
	snprintf(code, sizeof code, "%s", corefix_code(r));
	json_decref(r);
	free(cert);
	return code;
}

static void device_add(struct corefix *fx, const struct who *c, struct advice_keys *id,
		       struct advice_keys *dev, const char *rid)
{
	assert_string_equal(device_add_code(fx, c, id, dev, rid), "ok");
}

/* Prepares and opens a thread; returns its id and share. */
static void open_prepared(struct corefix *fx, const struct who *c, char thread[STORE_ID_SIZE],
			  uint8_t share[32])
{
	json_t *r = corefix_ws(fx, c, "{\"type\":\"thread.prepare\",\"id\":\"p-%s\"}", c->user_id);

	assert_string_equal(corefix_code(r), "ok");
	snprintf(thread, STORE_ID_SIZE, "%s", json_string_value(json_object_get(r, "thread")));
	unb64(json_object_get(r, "share"), share, 32);
	json_decref(r);
	r = corefix_ws(fx, c,
		       "{\"type\":\"thread.open\",\"id\":\"o-%s\",\"category\":\"adult-social-work\","
		       "\"body\":\"AAAA\","
		       "\"thread\":\"%s\"}",
		       thread, thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_string_equal(json_string_value(json_object_get(r, "thread")), thread);
	json_decref(r);
}

static json_t *wrap_put(struct corefix *fx, const struct who *w, const char *rid, const char *thread,
			const uint8_t wrap[ADVICE_WRAP_BYTES])
{
	char *s = b64(wrap, ADVICE_WRAP_BYTES);
	json_t *r = corefix_ws(fx, w,
			       "{\"type\":\"wrap.put\",\"id\":\"%s\",\"thread\":\"%s\",\"wraps\":[\"%s\"]}",
			       rid, thread, s);

	free(s);
	return r;
}

static void make_wrap(uint8_t out[ADVICE_WRAP_BYTES], const char *thread, const uint8_t *recipient_box_pk,
		      const uint8_t key[32], const struct advice_keys *signer)
{
	uint8_t tid[16], eph[32];

	advice_unhex(tid, 16, thread);
	advice_random(eph, 32);
	assert_int_equal(
		advice_wrap_seal(out, ADVICE_WRAP_THREAD_KEY, tid, 0, recipient_box_pk, key, eph, signer), 0);
}

static void test_keys_unit(void **state)
{
	struct corefix *fx = *state;
	struct world w;
	struct who anna, sara, ben, citizen;
	uint8_t event[ADVICE_UNIT_EVENT_MAX_BYTES], root[32];
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	json_t *r, *g;

	world_setup(fx, &w, &anna, &sara, &ben);
	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"keys.unit\",\"id\":\"u1\",\"category\":\"adult-social-work\"}");
	assert_string_equal(corefix_code(r), "ok");
	assert_string_equal(json_string_value(json_object_get(r, "unit")), fx->unit_adult);
	unb64(json_object_get(r, "root"), root, 32);
	assert_memory_equal(root, w.root.sign_pk, 32);
	assert_int_equal(json_array_size(json_object_get(r, "certs")), 1); /* the admin's; no worker certs */
	g = json_array_get(json_object_get(r, "generations"), 0);
	assert_true(json_is_null(json_object_get(g, "chain")));
	unb64(json_object_get(g, "event"), event, ADVICE_UNIT_EVENT_BYTES(2));
	/* The citizen's client verifies the unit key against the admin's key. */
	assert_int_equal(
		advice_unit_event_verify(event, ADVICE_UNIT_EVENT_BYTES(2), w.admin.sign_pk, NULL, 0, ev), 0);
	assert_memory_equal(ev->box_pk, w.adult.box_pk, 32);
	json_decref(r);
	r = corefix_ws(fx, &citizen, "{\"type\":\"keys.unit\",\"id\":\"u2\",\"unit\":\"%s\"}",
		       fx->unit_family);
	assert_int_equal(json_array_size(json_object_get(r, "generations")), 1);
	json_decref(r);
	r = corefix_ws(fx, &citizen, "{\"type\":\"keys.unit\",\"id\":\"u3\"}");
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	r = corefix_ws(fx, &citizen, "{\"type\":\"keys.unit\",\"id\":\"u4\",\"category\":\"no-such\"}");
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	free(ev);
}

static void test_keys_mine_logged_and_scoped(void **state)
{
	struct corefix *fx = *state;
	struct world w;
	struct who anna, sara, ben, citizen;
	struct store_audit last;
	struct advice_wrap_info wi;
	uint8_t wrap[ADVICE_WRAP_BYTES], seed[32], uid[16];
	int64_t rows;
	json_t *r, *s;

	world_setup(fx, &w, &anna, &sara, &ben);
	rows = corefix_audit_rows(fx, NULL);
	r = corefix_ws(fx, &anna, "{\"type\":\"keys.mine\",\"id\":\"m1\"}");
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "keys.read");
	assert_string_equal(last.user_id, anna.user_id);
	assert_int_equal(json_array_size(json_object_get(r, "seeds")), 1);
	assert_int_equal(json_array_size(json_object_get(r, "own_certs")), 1);
	assert_true(json_is_null(json_object_get(r, "bundle")));
	s = json_array_get(json_object_get(r, "seeds"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "unit")), fx->unit_adult);
	unb64(json_object_get(s, "wrap"), wrap, sizeof wrap);
	advice_unhex(uid, sizeof uid, fx->unit_adult);
	assert_int_equal(advice_wrap_open(seed, &wi, wrap, sizeof wrap, ADVICE_WRAP_UNIT_SEED, uid, 1,
					  &w.anna, w.admin.sign_pk),
			 0);
	assert_memory_equal(seed, w.adult_seed, 32);
	json_decref(r);
	/* Citizens have no key material of their own here. */
	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	r = corefix_ws(fx, &citizen, "{\"type\":\"keys.mine\",\"id\":\"m2\"}");
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
}

static void test_bundle_put(void **state)
{
	struct corefix *fx = *state;
	struct world w;
	struct who anna, sara, ben;
	struct advice_bundle_info bi;
	uint8_t key[32], nonce[24], seed[32], bundle[ADVICE_BUNDLE_BYTES], got[ADVICE_BUNDLE_BYTES];
	char *s;
	json_t *r;

	world_setup(fx, &w, &anna, &sara, &ben);
	memset(&bi, 0, sizeof bi);
	advice_unhex(bi.user_id, 16, anna.user_id);
	bi.version = 1;
	bi.opslimit = 2;
	bi.memlimit = ADVICE_PWHASH_MEM_MIN;
	advice_random(bi.salt, 16);
	advice_random(key, 32);
	advice_random(nonce, 24);
	advice_random(seed, 32);
	assert_int_equal(advice_bundle_seal(bundle, &bi, key, nonce, seed), 0);
	s = b64(bundle, sizeof bundle);
	/* Another user cannot store it; its owner can; then keys.mine hands it back. */
	r = corefix_ws(fx, &sara, "{\"type\":\"keys.bundle.put\",\"id\":\"b1\",\"bundle\":\"%s\"}", s);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	r = corefix_ws(fx, &anna, "{\"type\":\"keys.bundle.put\",\"id\":\"b2\",\"bundle\":\"%s\"}", s);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	r = corefix_ws(fx, &anna, "{\"type\":\"keys.mine\",\"id\":\"b3\"}");
	unb64(json_object_get(r, "bundle"), got, sizeof got);
	assert_memory_equal(got, bundle, sizeof bundle);
	json_decref(r);
	free(s);
	/* An unknown version, out-of-bounds parameters, or the wrong size: bad_request. */
	bundle[2] = 2;
	s = b64(bundle, sizeof bundle);
	r = corefix_ws(fx, &anna, "{\"type\":\"keys.bundle.put\",\"id\":\"b4\",\"bundle\":\"%s\"}", s);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	free(s);
	bundle[2] = 1;
	s = b64(bundle, sizeof bundle - 1);
	r = corefix_ws(fx, &anna, "{\"type\":\"keys.bundle.put\",\"id\":\"b5\",\"bundle\":\"%s\"}", s);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	free(s);
}

/* keys.enrol of `req` (the request's bytes) with a bundle of `owner`; the reply's code. */
static const char *enrol(struct corefix *fx, struct who *caller, const char *rid, const char *owner,
			 const uint8_t *req, size_t len)
{
	static char code[32];
	struct advice_bundle_info bi;
	uint8_t key[32], nonce[24], seed[32], bundle[ADVICE_BUNDLE_BYTES];
	char *bs, *rs;
	json_t *r;

	memset(&bi, 0, sizeof bi);
	advice_unhex(bi.user_id, 16, owner);
	bi.version = 1;
	bi.opslimit = 2;
	bi.memlimit = ADVICE_PWHASH_MEM_MIN;
	advice_random(key, 32);
	advice_random(nonce, 24);
	advice_random(seed, 32);
	assert_int_equal(advice_bundle_seal(bundle, &bi, key, nonce, seed), 0);
	bs = b64(bundle, sizeof bundle);
	rs = b64(req, len);
	r = corefix_ws(fx, caller,
		       "{\"type\":\"keys.enrol\",\"id\":\"%s\",\"bundle\":\"%s\",\"request\":\"%s\"}", rid,
		       bs, rs);
	snprintf(code, sizeof code, "%s", corefix_code(r));
	json_decref(r);
	free(bs);
	free(rs);
	return code;
}

/* keys.enrol: the caller's own keys, signed by themselves and dated about now, kept pending
 * until certified; refused for another user, a bad signature, a far date, and once certified. */
static void test_keys_enrol(void **state)
{
	struct corefix *fx = *state;
	struct who anna, sara;
	struct advice_keys me, admin;
	uint8_t uid[16], other[16], req[ADVICE_KEY_REQUEST_BYTES], got[ADVICE_KEY_REQUEST_BYTES];
	size_t len = 0;
	int64_t at = 0;

	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "sara", &sara);
	keys_new(&me, NULL);
	keys_new(&admin, NULL);
	advice_unhex(uid, 16, anna.user_id);
	advice_unhex(other, 16, sara.user_id);
	assert_int_equal(advice_key_request_sign(req, other, (uint64_t)fx->now, &me), 0);
	assert_string_equal(enrol(fx, &anna, "e1", anna.user_id, req, sizeof req), "forbidden");
	assert_int_equal(advice_key_request_sign(req, uid, (uint64_t)fx->now, &me), 0);
	assert_string_equal(enrol(fx, &anna, "e2", sara.user_id, req, sizeof req), "forbidden");
	req[30] ^= 1; /* the signing key: the signature no longer verifies */
	assert_string_equal(enrol(fx, &anna, "e3", anna.user_id, req, sizeof req), "bad_request");
	assert_string_equal(enrol(fx, &anna, "e4", anna.user_id, req, sizeof req - 1), "bad_request");
	assert_int_equal(advice_key_request_sign(req, uid, (uint64_t)fx->now - 2 * 86400000LL, &me), 0);
	assert_string_equal(enrol(fx, &anna, "e5", anna.user_id, req, sizeof req), "bad_request");
	assert_int_equal(fx->st->ops->keys->key_request_get(fx->st, anna.user_id, got, sizeof got, &len, &at),
			 STORE_NOTFOUND);
	assert_int_equal(advice_key_request_sign(req, uid, (uint64_t)fx->now, &me), 0);
	assert_string_equal(enrol(fx, &anna, "e6", anna.user_id, req, sizeof req), "ok");
	assert_int_equal(fx->st->ops->keys->key_request_get(fx->st, anna.user_id, got, sizeof got, &len, &at),
			 STORE_OK);
	assert_int_equal(len, sizeof req);
	assert_memory_equal(got, req, sizeof req);
	/* Pending: a new request replaces it; certified: refused. */
	assert_string_equal(enrol(fx, &anna, "e7", anna.user_id, req, sizeof req), "ok");
	put_cert(fx, ADVICE_ROLE_WORKER, anna.user_id, &me, &admin);
	assert_string_equal(enrol(fx, &anna, "e8", anna.user_id, req, sizeof req), "conflict");
}

static void test_prepare_and_open(void **state)
{
	struct corefix *fx = *state;
	struct who a, b;
	char thread[STORE_ID_SIZE];
	uint8_t share[32], again[32];
	json_t *r;

	corefix_login_citizen(fx, CITIZEN_A, &a);
	corefix_login_citizen(fx, CITIZEN_B, &b);
	open_prepared(fx, &a, thread, share);
	/* The share stays the thread's. */
	r = corefix_ws(fx, &a, "{\"type\":\"thread.keys\",\"id\":\"k1\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "ok");
	unb64(json_object_get(r, "share"), again, 32);
	assert_memory_equal(again, share, 32);
	json_decref(r);
	/* A prepared id is good once and only for its citizen. */
	r = corefix_ws(fx, &a,
		       "{\"type\":\"thread.open\",\"id\":\"o2\",\"category\":\"adult-social-work\","
		       "\"body\":\"AAAA\",\"thread\":\"%s\"}",
		       thread);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	r = corefix_ws(fx, &b, "{\"type\":\"thread.prepare\",\"id\":\"p2\"}");
	snprintf(thread, sizeof thread, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
	r = corefix_ws(fx, &a,
		       "{\"type\":\"thread.open\",\"id\":\"o3\",\"category\":\"adult-social-work\","
		       "\"body\":\"AAAA\",\"thread\":\"%s\"}",
		       thread);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	/* Another citizen cannot read the thread's keys. */
	open_prepared(fx, &a, thread, share);
	r = corefix_ws(fx, &b, "{\"type\":\"thread.keys\",\"id\":\"k2\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "not_found"); /* as for no such thread */
	json_decref(r);
	/* Prepared but unopened threads are bounded. */
	for (int i = 0; i < 17; i++) {
		r = corefix_ws(fx, &b, "{\"type\":\"thread.prepare\",\"id\":\"q%d\"}", i);
		assert_string_equal(corefix_code(r), i < 15 ? "ok" : "rate_limited");
		json_decref(r);
	}
}

static void test_device_add_limits(void **state)
{
	struct corefix *fx = *state;
	struct who a;
	struct advice_keys id = { 0 }, dev;
	char *cert;
	json_t *r;

	corefix_login_citizen(fx, CITIZEN_A, &a);
	device_add(fx, &a, &id, &dev, "d0");
	/* The same device again: conflict. */
	cert = device_cert(&id, &dev);
	r = corefix_ws(fx, &a, "{\"type\":\"device.add\",\"id\":\"dx\",\"cert\":\"%s\"}", cert);
	assert_string_equal(corefix_code(r), "conflict");
	json_decref(r);
	free(cert);
	for (int i = 1; i < 16; i++) {
		char rid[16];

		snprintf(rid, sizeof rid, "d%d", i);
		device_add(fx, &a, &id, &dev, rid);
	}
	assert_string_equal(device_add_code(fx, &a, &id, &dev, "dy"), "conflict");
}

/* The whole thread-key path through the server: wraps from the citizen (to the unit and to the
 * citizen's identity), delivery to the unit's staff only (logged), a re-wrap to the citizen's
 * new identity by a worker's client. */
static void test_wraps_flow(void **state)
{
	struct corefix *fx = *state;
	struct world w;
	struct who anna, sara, ben, citizen, other;
	struct advice_keys id = { 0 }, id2 = { 0 }, dev, dev2, stranger;
	struct advice_wrap_info wi;
	struct store_audit last;
	char thread[STORE_ID_SIZE], other_thread[STORE_ID_SIZE];
	uint8_t share[32], tkey[32], got[32], wrap[ADVICE_WRAP_BYTES], wrap_dev[ADVICE_WRAP_BYTES], tid[16];
	int64_t rows;
	json_t *r;

	world_setup(fx, &w, &anna, &sara, &ben);
	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	corefix_login_citizen(fx, CITIZEN_B, &other);
	device_add(fx, &citizen, &id, &dev, "d1");
	open_prepared(fx, &citizen, thread, share);
	open_prepared(fx, &other, other_thread, share);
	advice_random(tkey, 32);

	/* The citizen wraps the key to the unit's generation and to the identity. */
	make_wrap(wrap, thread, w.adult.box_pk, tkey, &dev);
	make_wrap(wrap_dev, thread, id.box_pk, tkey, &dev);
	r = wrap_put(fx, &citizen, "w1", thread, wrap);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_integer_value(json_object_get(r, "stored")), 1);
	json_decref(r);
	r = wrap_put(fx, &citizen, "w2", thread, wrap_dev);
	assert_int_equal(json_integer_value(json_object_get(r, "stored")), 1);
	json_decref(r);
	/* The same recipient again (a new request id): nothing new is stored. */
	r = wrap_put(fx, &citizen, "w3", thread, wrap);
	assert_int_equal(json_integer_value(json_object_get(r, "stored")), 0);
	json_decref(r);

	/* Refused: signed by a key that is not the caller's, for another thread, to a stranger,
	 * another citizen's thread (each logged as denied); an unknown object type is bad_request. */
	keys_new(&stranger, NULL);
	make_wrap(wrap, thread, w.adult.box_pk, tkey, &stranger);
	rows = corefix_audit_rows(fx, NULL);
	r = wrap_put(fx, &citizen, "x1", thread, wrap);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.outcome, "denied");
	make_wrap(wrap, other_thread, w.adult.box_pk, tkey, &dev);
	r = wrap_put(fx, &citizen, "x2", thread, wrap);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	make_wrap(wrap, thread, stranger.box_pk, tkey, &dev);
	r = wrap_put(fx, &citizen, "x3", thread, wrap);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	/* A device's own key is no recipient: thread keys go to the identity. */
	make_wrap(wrap, thread, dev.box_pk, tkey, &dev);
	r = wrap_put(fx, &citizen, "x3b", thread, wrap);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	make_wrap(wrap, thread, w.adult.box_pk, tkey, &dev);
	wrap[3] ^= 1;
	r = wrap_put(fx, &citizen, "x4", thread, wrap);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	wrap[3] ^= 1;
	r = wrap_put(fx, &other, "x5", thread, wrap);
	assert_string_equal(corefix_code(r), "not_found"); /* another citizen: as for no such thread */
	json_decref(r);

	/* Staff of the unit get the unit's wrap, not the identity's, after an access-log row, with the
	 * citizen's identity and device certificate. */
	rows = corefix_audit_rows(fx, NULL);
	r = corefix_ws(fx, &anna, "{\"type\":\"thread.keys\",\"id\":\"k1\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "keys");
	assert_int_equal(json_array_size(json_object_get(r, "wraps")), 1);
	assert_int_equal(json_array_size(json_object_get(r, "devices")), 1);
	assert_int_equal(json_array_size(json_object_get(r, "identities")), 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(r, "identities"), 0), "first_seen")),
			 fx->now);
	unb64(json_array_get(json_object_get(r, "wraps"), 0), wrap, sizeof wrap);
	json_decref(r);
	advice_unhex(tid, sizeof tid, thread);
	assert_int_equal(advice_wrap_open(got, &wi, wrap, sizeof wrap, ADVICE_WRAP_THREAD_KEY, tid, 0,
					  &w.adult, dev.sign_pk),
			 0);
	assert_memory_equal(got, tkey, 32);
	/* Staff of another unit get nothing: not even that the thread exists. */
	r = corefix_ws(fx, &ben, "{\"type\":\"thread.keys\",\"id\":\"k2\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);

	/* The citizen's new identity (a device with neither approval nor recovery code): anna's
	 * client re-wraps to it, signed with her certified key, when a worker asks for it. */
	fx->now += 1000;
	device_add(fx, &citizen, &id2, &dev2, "d2");
	make_wrap(wrap, thread, id2.box_pk, got, &w.anna);
	r = wrap_put(fx, &anna, "a1", thread, wrap);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_integer_value(json_object_get(r, "stored")), 1);
	json_decref(r);
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.keys\",\"id\":\"k3\",\"thread\":\"%s\"}", thread);
	assert_int_equal(json_array_size(json_object_get(r, "wraps")), 2); /* both identities' wraps */
	assert_int_equal(json_array_size(json_object_get(r, "identities")), 2);
	json_decref(r);
	/* ben cannot re-wrap (not staff of the unit), and anna cannot sign with a device key. */
	r = wrap_put(fx, &ben, "a2", thread, wrap);
	assert_string_equal(corefix_code(r), "not_found"); /* as for no such thread */
	json_decref(r);
	make_wrap(wrap, thread, id2.box_pk, got, &dev);
	r = wrap_put(fx, &anna, "a3", thread, wrap);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	/* Reassignment: sara wraps to the family unit's generation; ben reads it after the move. */
	make_wrap(wrap, thread, w.family.box_pk, got, &w.sara);
	r = wrap_put(fx, &sara, "s1", thread, wrap);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
}

/* An envelope with text for `thread`, base64url (malloc'd). */
static char *envelope(const char *thread, const struct advice_keys *sender)
{
	uint8_t key[32], share[32], mkey[32], content[64], *env = malloc(ADVICE_ENVELOPE_MAX_BYTES);
	struct advice_envelope_hdr h;
	size_t clen = 0, elen = 0;
	char *s;

	memset(&h, 0, sizeof h);
	advice_unhex(h.thread_id, 16, thread);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	h.sender_seq = 1;
	advice_random(key, 32);
	advice_random(share, 32);
	advice_thread_msg_key(mkey, key, h.thread_id, 0, share);
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, NULL, 0, "hei", 3), 0);
	assert_int_equal(
		advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen, sender),
		0);
	s = b64(env, elen);
	free(env);
	return s;
}

/* With require_envelopes (outside test mode) bodies must be envelopes of the thread, signed by
 * one of the caller's own keys. */
static void test_envelopes_required(void **state)
{
	struct corefix *fx = *state;
	struct core_config cc = fx->cc;
	struct world w;
	struct who anna, sara, ben, citizen;
	struct advice_keys id = { 0 }, dev, stranger;
	char thread[STORE_ID_SIZE], other[STORE_ID_SIZE], *body;
	uint8_t share[32];
	json_t *r;

	cc.require_envelopes = 1;
	core_free(fx->core);
	fx->core = core_new(fx->st, &cc);
	world_setup(fx, &w, &anna, &sara, &ben);
	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	device_add(fx, &citizen, &id, &dev, "d1");
	keys_new(&stranger, NULL);
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.prepare\",\"id\":\"p1\"}");
	snprintf(thread, sizeof thread, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
	/* Opaque bytes, another thread's envelope, a stranger's envelope: refused. */
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\","
		       "\"body\":\"AAAA\",\"thread\":\"%s\"}",
		       thread);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	body = envelope("00000000000000000000000000000001", &dev);
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"thread.open\",\"id\":\"o2\",\"category\":\"adult-social-work\","
		       "\"body\":\"%s\",\"thread\":\"%s\"}",
		       body, thread);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	free(body);
	body = envelope(thread, &stranger);
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"thread.open\",\"id\":\"o3\",\"category\":\"adult-social-work\","
		       "\"body\":\"%s\",\"thread\":\"%s\"}",
		       body, thread);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	free(body);
	/* The device's own envelope opens the thread. */
	body = envelope(thread, &dev);
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"thread.open\",\"id\":\"o4\",\"category\":\"adult-social-work\","
		       "\"body\":\"%s\",\"thread\":\"%s\"}",
		       body, thread);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	free(body);
	/* anna answers with her certified key; with sara's key the server refuses. */
	json_decref(
		corefix_ws(fx, &anna, "{\"type\":\"thread.claim\",\"id\":\"c1\",\"thread\":\"%s\"}", thread));
	body = envelope(thread, &w.sara);
	r = corefix_ws(fx, &anna,
		       "{\"type\":\"message.send\",\"id\":\"m1\",\"thread\":\"%s\",\"body\":\"%s\"}", thread,
		       body);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	free(body);
	body = envelope(thread, &w.anna);
	r = corefix_ws(fx, &anna,
		       "{\"type\":\"message.send\",\"id\":\"m2\",\"thread\":\"%s\",\"body\":\"%s\"}", thread,
		       body);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	free(body);
	(void)other;
	(void)share;
}

/* A message id is unique in its thread: an envelope sent again as a new message is
 * `conflict` (test mode too, where only bodies that parse as envelopes have one); a resend
 * with the same request id gets its original reply. */
static void test_duplicate_message_id(void **state)
{
	struct corefix *fx = *state;
	struct world w;
	struct who anna, sara, ben, citizen;
	struct advice_keys id = { 0 }, dev;
	char thread[STORE_ID_SIZE], *body, *first;
	uint8_t share[32];
	json_t *r;

	world_setup(fx, &w, &anna, &sara, &ben);
	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	device_add(fx, &citizen, &id, &dev, "d1");
	open_prepared(fx, &citizen, thread, share);
	body = envelope(thread, &dev);
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"message.send\",\"id\":\"m1\",\"thread\":\"%s\",\"body\":\"%s\"}", thread,
		       body);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_integer_value(json_object_get(r, "seq")), 2);
	first = json_dumps(r, JSON_SORT_KEYS);
	json_decref(r);
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"message.send\",\"id\":\"m2\",\"thread\":\"%s\",\"body\":\"%s\"}", thread,
		       body);
	assert_string_equal(corefix_code(r), "conflict");
	assert_string_equal(json_string_value(json_object_get(r, "field")), "/body");
	json_decref(r);
	/* The resend of m1 is no duplicate: its stored reply, nothing new. */
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"message.send\",\"id\":\"m1\",\"thread\":\"%s\",\"body\":\"%s\"}", thread,
		       body);
	{
		char *again = json_dumps(r, JSON_SORT_KEYS);

		assert_string_equal(again, first);
		free(again);
	}
	json_decref(r);
	/* The same envelope in another thread is that thread's business (its reader refuses it). */
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.read\",\"id\":\"r1\",\"thread\":\"%s\"}", thread);
	assert_int_equal(json_array_size(json_object_get(r, "messages")), 2);
	assert_int_equal(json_array_size(json_object_get(r, "certs")), 0); /* no staff sender yet */
	json_decref(r);
	/* Bodies that are no envelope have no message id (test mode): accepted twice. */
	for (int i = 0; i < 2; i++) {
		r = corefix_ws(
			fx, &citizen,
			"{\"type\":\"message.send\",\"id\":\"plain%d\",\"thread\":\"%s\",\"body\":\"AAAA\"}",
			i, thread);
		assert_string_equal(corefix_code(r), "ok");
		json_decref(r);
	}
	free(body);
	free(first);
}

/* The reader's thread-verifier callback of the next test: a certificate of thread.read. */
struct cert_pool {
	uint8_t certs[8 * ADVICE_CERT_BYTES];
	size_t n;
	const uint8_t *root_pk;
	int64_t now;
};

static int pool_sender(void *arg, const struct advice_envelope_hdr *h, uint8_t sign_pk[32])
{
	struct cert_pool *p = arg;
	struct advice_cert c;

	if (advice_cert_find(p->certs, p->n, h->sender_kid, p->root_pk, (uint64_t)p->now, &c) != 0)
		return -1;
	memcpy(sign_pk, c.sign_pk, 32);
	return 0;
}

/* thread.read gives the certificates of its staff senders and their admin, each once, and
 * they chain to the root key; a worker certificate the server made under a key of its own
 * does not. */
static void test_read_gives_sender_certs(void **state)
{
	struct corefix *fx = *state;
	struct world w;
	struct who anna, sara, ben, citizen;
	struct advice_keys id = { 0 }, dev, rogue;
	struct cert_pool pool = { .n = 0 };
	struct advice_thread *order;
	uint8_t share[32], tid[16], *env = NULL;
	char thread[STORE_ID_SIZE], *body;
	size_t i, len = 0;
	json_t *r, *c;

	world_setup(fx, &w, &anna, &sara, &ben);
	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	device_add(fx, &citizen, &id, &dev, "d1");
	open_prepared(fx, &citizen, thread, share);
	json_decref(
		corefix_ws(fx, &anna, "{\"type\":\"thread.claim\",\"id\":\"c1\",\"thread\":\"%s\"}", thread));
	for (int k = 0; k < 2; k++) {
		body = envelope(thread, &w.anna);
		r = corefix_ws(fx, &anna,
			       "{\"type\":\"message.send\",\"id\":\"m%d\",\"thread\":\"%s\",\"body\":\"%s\"}",
			       k, thread, body);
		assert_string_equal(corefix_code(r), "ok");
		json_decref(r);
		free(body);
	}
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.read\",\"id\":\"r1\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "certs")), 2); /* anna's and the admin's */
	json_array_foreach (json_object_get(r, "certs"), i, c)
		unb64(c, pool.certs + ADVICE_CERT_BYTES * pool.n++, ADVICE_CERT_BYTES);
	pool.root_pk = w.root.sign_pk;
	pool.now = fx->now;
	advice_unhex(tid, 16, thread);
	order = advice_thread_new(tid, pool_sender, &pool);
	assert_int_equal(
		advice_b64url_decode(json_string_value(json_object_get(
					     json_array_get(json_object_get(r, "messages"), 1), "body")),
				     &env, &len),
		0);
	/* anna's answer: her key, found through the certificates of the reply. */
	assert_int_equal(advice_thread_add(order, env, len, NULL), ADVICE_THREAD_OK);
	{
		struct advice_cert leaf;
		uint8_t kid[16];

		advice_kid(kid, w.anna.sign_pk);
		assert_int_equal(
			advice_cert_find(pool.certs, pool.n, kid, w.root.sign_pk, (uint64_t)fx->now, &leaf),
			0);
		assert_memory_equal(leaf.sign_pk, w.anna.sign_pk, 32);
		/* Under any other root the same certificates do not verify. */
		keys_new(&rogue, NULL);
		assert_int_not_equal(
			advice_cert_find(pool.certs, pool.n, kid, rogue.sign_pk, (uint64_t)fx->now, &leaf),
			0);
	}
	free(env);
	advice_thread_free(order);
	json_decref(r);
	/* Staff readers get them too; a page from after_seq 2 has one staff sender. */
	r = corefix_ws(fx, &sara,
		       "{\"type\":\"thread.read\",\"id\":\"r2\",\"thread\":\"%s\",\"after_seq\":2}", thread);
	assert_int_equal(json_array_size(json_object_get(r, "messages")), 1);
	assert_int_equal(json_array_size(json_object_get(r, "certs")), 2);
	json_decref(r);
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.read\",\"id\":\"r3\",\"thread\":\"%s\",\"limit\":1}",
		       thread);
	assert_int_equal(json_array_size(json_object_get(r, "certs")), 0); /* only the citizen's */
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys_unit, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_keys_mine_logged_and_scoped, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_bundle_put, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_keys_enrol, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_prepare_and_open, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_device_add_limits, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_wraps_flow, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_envelopes_required, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_message_id, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_read_gives_sender_certs, corefix_setup,
						corefix_teardown),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
