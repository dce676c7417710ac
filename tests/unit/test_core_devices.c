/*
 * test_core_devices.c - unit tests of core_devices.c over a real SQLite file: a citizen's
 * identities and devices. The server accepts a device only with a certificate that one of the
 * caller's identities signed (a bad or foreign certificate is refused); removal and the expiry
 * of unused devices and of prepared threads keep the caps from locking a citizen out; a new
 * device is approved by an existing one (device.request with a commitment, device.challenge,
 * device.reveal, the live events, device.approve with the identity seed sealed to exactly the
 * revealed key); a server that changes the revealed keys behind the core's back, or commits to
 * keys of its own, is caught by the existing device's code; recovery boxes are kept per
 * identity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "advice.h"
#include "advice_crypto.h"
#include "corefix.h"

#define CITIZEN_A "010594Y9032"
#define CITIZEN_B "020594X903P"

static void keys_new(struct advice_keys *k, uint8_t seed_out[32])
{
	uint8_t seed[32];

	advice_random(seed, sizeof seed);
	assert_int_equal(advice_keys_personal(k, seed), 0);
	if (seed_out != NULL)
		memcpy(seed_out, seed, 32);
}

static char *b64(const void *data, size_t len)
{
	char *s = advice_b64url_encode(data, len);

	assert_non_null(s);
	return s;
}

static void unb64(json_t *j, uint8_t *out, size_t len)
{
	uint8_t *d = NULL;
	size_t n = 0;

	assert_int_equal(advice_b64url_decode(json_string_value(j), &d, &n), 0);
	assert_int_equal(n, len);
	memcpy(out, d, len);
	free(d);
}

static void cert_bytes(uint8_t out[ADVICE_DEVICE_CERT_BYTES], const struct advice_keys *id,
		       const struct advice_keys *dev)
{
	struct advice_device_cert c = { .created_at = 1770000000000ULL };

	memcpy(c.device_sign_pk, dev->sign_pk, 32);
	memcpy(c.device_box_pk, dev->box_pk, 32);
	assert_int_equal(advice_device_cert_sign(out, &c, id), 0);
}

/* `type` (identity.add or device.add) with the certificate of dev by id; returns the reply. */
static json_t *add_with(struct corefix *fx, const struct who *c, const char *type,
			const struct advice_keys *id, const struct advice_keys *dev, const char *rid)
{
	uint8_t cert[ADVICE_DEVICE_CERT_BYTES];
	char *s;
	json_t *r;

	cert_bytes(cert, id, dev);
	s = b64(cert, sizeof cert);
	r = corefix_ws(fx, c, "{\"type\":\"%s\",\"id\":\"%s\",\"cert\":\"%s\"}", type, rid, s);
	free(s);
	return r;
}

static void expect(json_t *r, const char *code, const char *field)
{
	assert_string_equal(corefix_code(r), code);
	if (field != NULL)
		assert_string_equal(json_string_value(json_object_get(r, "field")), field);
	json_decref(r);
}

/* A new identity with its first device for citizen c. */
static void identity_new(struct corefix *fx, const struct who *c, struct advice_keys *id, uint8_t id_seed[32],
			 struct advice_keys *dev, const char *rid)
{
	keys_new(id, id_seed);
	keys_new(dev, NULL);
	expect(add_with(fx, c, "identity.add", id, dev, rid), "ok", NULL);
}

static void kid_hex(char out[33], const uint8_t box_pk[32])
{
	uint8_t kid[16];

	advice_kid(kid, box_pk);
	advice_hex(out, kid, 16);
}

static void test_device_needs_an_identity_of_the_caller(void **state)
{
	struct corefix *fx = *state;
	struct advice_keys id, id_b, minted, dev, dev_b, other;
	uint8_t cert[ADVICE_DEVICE_CERT_BYTES];
	struct who a, b;
	int found;
	size_t i;
	char *s;
	json_t *r, *d;

	corefix_login_citizen(fx, CITIZEN_A, &a);
	corefix_login_citizen(fx, CITIZEN_B, &b);
	identity_new(fx, &a, &id, NULL, &dev, "i1");
	identity_new(fx, &b, &id_b, NULL, &dev_b, "i1");
	keys_new(&other, NULL);
	keys_new(&minted, NULL);
	/* A registered identity cannot be registered again, by anyone. */
	expect(add_with(fx, &a, "identity.add", &id, &other, "i2"), "conflict", "/cert");
	expect(add_with(fx, &b, "identity.add", &id, &other, "i3"), "conflict", "/cert");
	/* A signature that does not verify, bytes of another format: bad_request. */
	cert_bytes(cert, &id, &other);
	cert[150] ^= 1;
	s = b64(cert, sizeof cert);
	expect(corefix_ws(fx, &a, "{\"type\":\"device.add\",\"id\":\"x1\",\"cert\":\"%s\"}", s),
	       "bad_request", "/cert");
	free(s);
	cert[150] ^= 1;
	cert[3] = ADVICE_OBJ_CERT;
	s = b64(cert, sizeof cert);
	expect(corefix_ws(fx, &a, "{\"type\":\"device.add\",\"id\":\"x2\",\"cert\":\"%s\"}", s),
	       "bad_request", "/cert");
	free(s);
	expect(corefix_ws(fx, &a, "{\"type\":\"device.add\",\"id\":\"x3\",\"cert\":\"AAAA\"}"), "bad_request",
	       "/cert");
	/* A valid certificate of an identity that is not the caller's: another citizen's, or one
	 * never registered (what a server or a session thief would make): forbidden. */
	expect(add_with(fx, &a, "device.add", &id_b, &other, "x4"), "forbidden", "/cert");
	expect(add_with(fx, &a, "device.add", &minted, &other, "x5"), "forbidden", "/cert");
	/* The caller's identity: ok. */
	expect(add_with(fx, &a, "device.add", &id, &other, "d2"), "ok", NULL);

	r = corefix_ws(fx, &a, "{\"type\":\"device.list\",\"id\":\"l1\"}");
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "identities")), 1);
	assert_int_equal(json_array_size(json_object_get(r, "devices")), 2);
	/* Each device with the certificate that verifies under the identity. */
	found = 0;
	json_array_foreach (json_object_get(r, "devices"), i, d) {
		unb64(json_object_get(d, "cert"), cert, sizeof cert);
		assert_int_equal(advice_device_cert_verify(cert, sizeof cert, NULL), 0);
		assert_memory_equal(cert + 6, id.sign_pk, 32);
		found += memcmp(cert + 70, other.sign_pk, 32) == 0;
	}
	assert_int_equal(found, 1);
	assert_int_equal(json_integer_value(json_object_get(r, "idle_days")), 180);
	json_decref(r);
}

/* 16 devices; removal frees a place; a device of another citizen cannot be removed. */
static void test_removal_frees_the_cap(void **state)
{
	struct corefix *fx = *state;
	struct advice_keys id, dev, first;
	struct who a, b;
	char rid[16], kid[33];

	corefix_login_citizen(fx, CITIZEN_A, &a);
	corefix_login_citizen(fx, CITIZEN_B, &b);
	identity_new(fx, &a, &id, NULL, &first, "i1");
	for (int i = 1; i < 16; i++) {
		snprintf(rid, sizeof rid, "d%d", i);
		keys_new(&dev, NULL);
		expect(add_with(fx, &a, "device.add", &id, &dev, rid), "ok", NULL);
	}
	keys_new(&dev, NULL);
	expect(add_with(fx, &a, "device.add", &id, &dev, "full"), "conflict", NULL);
	kid_hex(kid, first.box_pk);
	expect(corefix_ws(fx, &b, "{\"type\":\"device.remove\",\"id\":\"r0\",\"kid\":\"%s\"}", kid),
	       "not_found", "/kid");
	expect(corefix_ws(fx, &a, "{\"type\":\"device.remove\",\"id\":\"r1\",\"kid\":\"%s\"}", kid), "ok",
	       NULL);
	expect(corefix_ws(fx, &a, "{\"type\":\"device.remove\",\"id\":\"r2\",\"kid\":\"%s\"}", kid),
	       "not_found", "/kid");
	expect(add_with(fx, &a, "device.add", &id, &dev, "again"), "ok", NULL);
	/* The removed device is told so when it names itself. */
	expect(corefix_ws(fx, &a, "{\"type\":\"device.list\",\"id\":\"l1\",\"kid\":\"%s\"}", kid),
	       "not_found", "/kid");
}

/* Devices unused for device_idle_ms go; one that was used stays. */
static void test_unused_devices_expire(void **state)
{
	struct corefix *fx = *state;
	struct core_config cc = fx->cc;
	struct advice_keys id, dev, used;
	char rid[16], kid[33];
	struct who a;
	json_t *r;

	cc.device_idle_ms = 3600000LL;
	core_free(fx->core);
	fx->core = core_new(fx->st, &cc);
	corefix_login_citizen(fx, CITIZEN_A, &a);
	identity_new(fx, &a, &id, NULL, &used, "i1");
	for (int i = 1; i < 16; i++) {
		snprintf(rid, sizeof rid, "d%d", i);
		keys_new(&dev, NULL);
		expect(add_with(fx, &a, "device.add", &id, &dev, rid), "ok", NULL);
	}
	keys_new(&dev, NULL);
	expect(add_with(fx, &a, "device.add", &id, &dev, "full"), "conflict", NULL);
	/* 50 minutes later the first device names itself; 40 more and the others are idle. */
	fx->now += 50 * 60000LL;
	corefix_login_citizen(fx, CITIZEN_A, &a);
	kid_hex(kid, used.box_pk);
	expect(corefix_ws(fx, &a, "{\"type\":\"device.list\",\"id\":\"l1\",\"kid\":\"%s\"}", kid), "ok",
	       NULL);
	fx->now += 40 * 60000LL;
	corefix_login_citizen(fx, CITIZEN_A, &a);
	expect(add_with(fx, &a, "device.add", &id, &dev, "late"), "ok", NULL);
	r = corefix_ws(fx, &a, "{\"type\":\"device.list\",\"id\":\"l2\"}");
	assert_int_equal(json_array_size(json_object_get(r, "devices")), 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(r, "devices"), 0), "kid")),
		kid);
	assert_int_equal(json_integer_value(json_object_get(r, "idle_days")), 1);
	json_decref(r);
}

/* Prepared threads not opened within 24 hours are dropped, so the cap of 16 frees itself. */
static void test_prepared_threads_expire(void **state)
{
	struct corefix *fx = *state;
	char first[STORE_ID_SIZE] = "";
	struct who a;
	json_t *r;

	corefix_login_citizen(fx, CITIZEN_A, &a);
	for (int i = 0; i < 17; i++) {
		r = corefix_ws(fx, &a, "{\"type\":\"thread.prepare\",\"id\":\"p%d\"}", i);
		assert_string_equal(corefix_code(r), i < 16 ? "ok" : "rate_limited");
		if (i == 0)
			snprintf(first, sizeof first, "%s", json_string_value(json_object_get(r, "thread")));
		json_decref(r);
	}
	fx->now += 23 * 3600000LL;
	corefix_login_citizen(fx, CITIZEN_A, &a);
	expect(corefix_ws(fx, &a, "{\"type\":\"thread.prepare\",\"id\":\"q1\"}"), "rate_limited", NULL);
	fx->now += 3600000LL + 1;
	corefix_login_citizen(fx, CITIZEN_A, &a);
	expect(corefix_ws(fx, &a, "{\"type\":\"thread.prepare\",\"id\":\"q2\"}"), "ok", NULL);
	expect(corefix_ws(fx, &a,
			  "{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\","
			  "\"body\":\"AAAA\",\"thread\":\"%s\"}",
			  first),
	       "not_found", "/thread");
}

/* The only event a call pushed, to the caller's connections, parsed. */
static json_t *pushed(const struct core_reply *rep, const struct who *c)
{
	char topic[48];
	json_t *ev;

	snprintf(topic, sizeof topic, "u:%s", c->user_id);
	assert_int_equal(rep->npush, 1);
	assert_string_equal(rep->pushes[0].topic, topic);
	ev = json_loads(rep->pushes[0].json, 0, NULL);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "device.request");
	return ev;
}

/* device.request as `c` with the commitment to dev's keys and nonce; returns the request id (in
 * out) and checks the event to the citizen's connections. */
static void request_new(struct corefix *fx, const struct who *c, const struct advice_keys *dev,
			const uint8_t nonce[32], const char *rid, char out[STORE_ID_SIZE])
{
	uint8_t commit[32];
	char *cs, body[512];
	struct core_reply *rep;
	json_t *r = NULL, *ev;
	int rc = 0;

	advice_device_commit(commit, dev->sign_pk, dev->box_pk, nonce);
	cs = b64(commit, 32);
	snprintf(body, sizeof body, "{\"type\":\"device.request\",\"id\":\"%s\",\"commit\":\"%s\"}", rid, cs);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, c, body, &rc, &r);
	assert_string_equal(corefix_code(r), "ok");
	snprintf(out, STORE_ID_SIZE, "%s", json_string_value(json_object_get(r, "request")));
	assert_int_equal(json_integer_value(json_object_get(r, "expires")), fx->now + 600000);
	ev = pushed(rep, c);
	assert_string_equal(json_string_value(json_object_get(ev, "request")), out);
	assert_string_equal(json_string_value(json_object_get(ev, "commit")), cs);
	assert_true(json_is_null(json_object_get(ev, "challenge")));
	assert_true(json_is_null(json_object_get(ev, "sign_pk")));
	assert_true(json_is_null(json_object_get(ev, "wrap")));
	json_decref(ev);
	json_decref(r);
	core_reply_free(rep);
	free(cs);
}

static json_t *challenge(struct corefix *fx, const struct who *c, const char *rid, const char *request,
			 const uint8_t identity_sign_pk[32], const uint8_t nonce[32])
{
	uint8_t iid[16];
	char hex[33], *ns = b64(nonce, 32);
	json_t *r;

	advice_identity_id(iid, identity_sign_pk);
	advice_hex(hex, iid, sizeof iid);
	r = corefix_ws(fx, c,
		       "{\"type\":\"device.challenge\",\"id\":\"%s\",\"request\":\"%s\",\"identity\":\"%s\","
		       "\"challenge\":\"%s\"}",
		       rid, request, hex, ns);
	free(ns);
	return r;
}

static json_t *reveal(struct corefix *fx, const struct who *c, const char *rid, const char *request,
		      const struct advice_keys *dev, const uint8_t nonce[32])
{
	char *box = b64(dev->box_pk, 32), *sign = b64(dev->sign_pk, 32), *ns = b64(nonce, 32);
	json_t *r =
		corefix_ws(fx, c,
			   "{\"type\":\"device.reveal\",\"id\":\"%s\",\"request\":\"%s\",\"box_pk\":\"%s\","
			   "\"sign_pk\":\"%s\",\"nonce\":\"%s\"}",
			   rid, request, box, sign, ns);

	free(box);
	free(sign);
	free(ns);
	return r;
}

static json_t *approve(struct corefix *fx, const struct who *c, const char *rid, const char *request,
		       const uint8_t cert[ADVICE_DEVICE_CERT_BYTES], const uint8_t wrap[ADVICE_WRAP_BYTES])
{
	char *cs = b64(cert, ADVICE_DEVICE_CERT_BYTES), *ws = b64(wrap, ADVICE_WRAP_BYTES);
	json_t *r =
		corefix_ws(fx, c,
			   "{\"type\":\"device.approve\",\"id\":\"%s\",\"request\":\"%s\",\"cert\":\"%s\","
			   "\"wrap\":\"%s\"}",
			   rid, request, cs, ws);

	free(cs);
	free(ws);
	return r;
}

/* What the existing device reads of request `req` in device.list: the commitment, and once
 * revealed the keys and nonce (sign, box, nonce; zeros while null). */
static void listed(struct corefix *fx, const struct who *c, const char *req, uint8_t commit[32],
		   uint8_t sign[32], uint8_t box[32], uint8_t nonce[32])
{
	json_t *r = corefix_ws(fx, c, "{\"type\":\"device.list\",\"id\":\"l-%s\"}", req), *q = NULL, *v;
	size_t i;

	json_array_foreach (json_object_get(r, "requests"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "request")), req) == 0)
			q = v;
	assert_non_null(q);
	unb64(json_object_get(q, "commit"), commit, 32);
	memset(sign, 0, 32);
	memset(box, 0, 32);
	memset(nonce, 0, 32);
	if (!json_is_null(json_object_get(q, "nonce"))) {
		unb64(json_object_get(q, "sign_pk"), sign, 32);
		unb64(json_object_get(q, "box_pk"), box, 32);
		unb64(json_object_get(q, "nonce"), nonce, 32);
	}
	json_decref(r);
}

/* The honest approval: commit, challenge, reveal, the same code on both devices, then only the
 * revealed key, only the identity's seed sealed by a device of that identity; the new device
 * then holds the identity. Every step out of order is refused. */
static void test_device_approval(void **state)
{
	struct corefix *fx = *state;
	struct advice_keys id, dev, newdev, server, stranger, got_id;
	uint8_t id_seed[32], iid[16], eph[32], cert[ADVICE_DEVICE_CERT_BYTES], wrap[ADVICE_WRAP_BYTES],
		seed[32], nonce_new[32], nonce_old[32], seen_commit[32], commit[32], sign[32], box[32],
		nonce[32], bad[32];
	char req[STORE_ID_SIZE], other_req[STORE_ID_SIZE], shown_new[ADVICE_COMPARE_CODE_SIZE],
		shown_old[ADVICE_COMPARE_CODE_SIZE], hex[33], body[256];
	struct advice_wrap_info wi;
	struct who old_session, new_session, other_citizen;
	struct core_reply *rep;
	json_t *r, *q, *ev;
	int rc = 0;

	corefix_login_citizen(fx, CITIZEN_A, &old_session);
	corefix_login_citizen(fx, CITIZEN_A, &new_session);
	corefix_login_citizen(fx, CITIZEN_B, &other_citizen);
	identity_new(fx, &old_session, &id, id_seed, &dev, "i1");
	keys_new(&newdev, NULL);
	keys_new(&server, NULL);
	keys_new(&stranger, NULL);
	advice_identity_id(iid, id.sign_pk);
	advice_random(eph, 32);
	advice_random(nonce_new, 32);
	advice_random(nonce_old, 32);
	request_new(fx, &new_session, &newdev, nonce_new, "q1", req);
	/* Nothing before its turn: no reveal, no approval before the challenge. */
	expect(reveal(fx, &new_session, "v0", req, &newdev, nonce_new), "conflict", "/request");
	cert_bytes(cert, &id, &newdev);
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0, newdev.box_pk, id_seed, eph, &dev),
		0);
	expect(approve(fx, &old_session, "a0", req, cert, wrap), "conflict", "/request");

	/* The old device sees the commitment (and keeps it) and challenges; not for an identity that
	 * is not the citizen's, not another citizen's request. */
	listed(fx, &old_session, req, seen_commit, sign, box, nonce);
	advice_device_commit(commit, newdev.sign_pk, newdev.box_pk, nonce_new);
	assert_memory_equal(seen_commit, commit, 32);
	expect(challenge(fx, &old_session, "c0", req, stranger.sign_pk, nonce_old), "forbidden", "/identity");
	expect(challenge(fx, &other_citizen, "c1", req, id.sign_pk, nonce_old), "not_found", "/request");
	advice_hex(hex, iid, sizeof iid);
	{
		char *ns = b64(nonce_old, 32);

		snprintf(
			body, sizeof body,
			"{\"type\":\"device.challenge\",\"id\":\"c2\",\"request\":\"%s\",\"identity\":\"%s\","
			"\"challenge\":\"%s\"}",
			req, hex, ns);
		free(ns);
	}
	rep = corefix_call(fx, CORE_REQ_MESSAGE, &old_session, body, &rc, &r);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	ev = pushed(rep, &old_session);
	assert_string_equal(json_string_value(json_object_get(ev, "identity")), hex);
	unb64(json_object_get(ev, "challenge"), nonce, 32);
	assert_memory_equal(nonce, nonce_old, 32);
	assert_true(json_is_null(json_object_get(ev, "box_pk")));
	json_decref(ev);
	core_reply_free(rep);
	expect(challenge(fx, &old_session, "c3", req, id.sign_pk, nonce_old), "conflict", "/request");
	expect(approve(fx, &old_session, "a1", req, cert, wrap), "conflict", "/request");

	/* The reveal must open the commitment: another key, another nonce, refused. */
	expect(reveal(fx, &new_session, "v1", req, &server, nonce_new), "bad_request", "/nonce");
	memcpy(bad, nonce_new, 32);
	bad[31] ^= 1;
	expect(reveal(fx, &new_session, "v2", req, &newdev, bad), "bad_request", "/nonce");
	expect(reveal(fx, &new_session, "v3", req, &newdev, nonce_new), "ok", NULL);
	expect(reveal(fx, &new_session, "v4", req, &newdev, nonce_new), "conflict", "/request");

	/* Both devices show the same code: the old one over what it kept and what was revealed. */
	advice_compare_code(shown_new, id.sign_pk, newdev.sign_pk, newdev.box_pk, nonce_new, nonce_old);
	listed(fx, &old_session, req, commit, sign, box, nonce);
	assert_int_equal(
		advice_compare_code_checked(shown_old, seen_commit, id.sign_pk, sign, box, nonce, nonce_old),
		0);
	assert_string_equal(shown_old, shown_new);

	/* A certificate for other keys than the revealed ones (a substituted key): refused. */
	cert_bytes(cert, &id, &server);
	expect(approve(fx, &old_session, "a2", req, cert, wrap), "bad_request", "/cert");
	/* The seed sealed to another key, a wrap of another kind, one signed by a stranger. */
	cert_bytes(cert, &id, &newdev);
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0, server.box_pk, id_seed, eph, &dev),
		0);
	expect(approve(fx, &old_session, "a3", req, cert, wrap), "bad_request", "/wrap");
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_UNIT_SEED, iid, 0, newdev.box_pk, id_seed, eph, &dev), 0);
	expect(approve(fx, &old_session, "a4", req, cert, wrap), "bad_request", "/wrap");
	assert_int_equal(advice_wrap_seal(wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0, newdev.box_pk, id_seed,
					  eph, &stranger),
			 0);
	expect(approve(fx, &old_session, "a5", req, cert, wrap), "forbidden", "/wrap");
	/* A certificate of an identity that is not the citizen's. */
	cert_bytes(cert, &stranger, &newdev);
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0, newdev.box_pk, id_seed, eph, &dev),
		0);
	expect(approve(fx, &old_session, "a6", req, cert, wrap), "forbidden", "/cert");
	/* Right: the device is registered, the answer stored; once only. */
	cert_bytes(cert, &id, &newdev);
	{
		char *cs = b64(cert, sizeof cert), *ws = b64(wrap, sizeof wrap), big[1024];

		snprintf(big, sizeof big,
			 "{\"type\":\"device.approve\",\"id\":\"a7\",\"request\":\"%s\",\"cert\":\"%s\","
			 "\"wrap\":\"%s\"}",
			 req, cs, ws);
		rep = corefix_call(fx, CORE_REQ_MESSAGE, &old_session, big, &rc, &r);
		assert_string_equal(corefix_code(r), "ok");
		json_decref(r);
		/* The event carries the answer to the new device. */
		ev = pushed(rep, &old_session);
		assert_string_equal(json_string_value(json_object_get(ev, "wrap")), ws);
		assert_string_equal(json_string_value(json_object_get(ev, "cert")), cs);
		json_decref(ev);
		core_reply_free(rep);
		free(cs);
		free(ws);
	}
	expect(approve(fx, &old_session, "a8", req, cert, wrap), "conflict", "/request");
	expect(approve(fx, &old_session, "a9", "00000000000000000000000000000000", cert, wrap), "not_found",
	       "/request");
	expect(challenge(fx, &old_session, "c4", req, id.sign_pk, nonce_old), "conflict", "/request");

	/* The new device finds the answer and opens the identity seed. */
	r = corefix_ws(fx, &new_session, "{\"type\":\"device.list\",\"id\":\"l2\"}");
	q = json_array_get(json_object_get(r, "requests"), 0);
	unb64(json_object_get(q, "wrap"), wrap, sizeof wrap);
	assert_int_equal(json_array_size(json_object_get(r, "devices")), 2);
	json_decref(r);
	assert_int_equal(advice_wrap_open(seed, &wi, wrap, sizeof wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0,
					  &newdev, dev.sign_pk),
			 0);
	assert_int_equal(advice_keys_personal(&got_id, seed), 0);
	assert_memory_equal(got_id.sign_pk, id.sign_pk, 32);

	/* Requests expire after ten minutes; at most four wait at a time. */
	fx->now += 600001;
	corefix_login_citizen(fx, CITIZEN_A, &new_session);
	expect(approve(fx, &new_session, "a10", req, cert, wrap), "not_found", "/request");
	expect(reveal(fx, &new_session, "v5", req, &newdev, nonce_new), "not_found", "/request");
	for (int i = 0; i < 4; i++) {
		char rid[16];

		snprintf(rid, sizeof rid, "m%d", i);
		keys_new(&newdev, NULL);
		request_new(fx, &new_session, &newdev, nonce_new, rid, other_req);
	}
	r = corefix_ws(fx, &new_session, "{\"type\":\"device.request\",\"id\":\"m9\",\"commit\":\"%s\"}",
		       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	expect(r, "rate_limited", NULL);
}

/* The server (rows written behind the core's back) replaces the revealed keys and nonce with
 * its own after it learnt the challenge: the existing device's check against the commitment it
 * kept fails, so it shows no code and approves nothing. */
static void test_malicious_reveal_after_challenge(void **state)
{
	struct corefix *fx = *state;
	struct advice_keys id, dev, newdev, server;
	uint8_t id_seed[32], nonce_new[32], nonce_old[32], nonce_server[32], seen_commit[32], commit[32],
		sign[32], box[32], nonce[32];
	char req[STORE_ID_SIZE], shown_old[ADVICE_COMPARE_CODE_SIZE], sql[512], sh[65], bh[65], nh[65];
	struct who old_session, new_session;
	sqlite3 *db;

	corefix_login_citizen(fx, CITIZEN_A, &old_session);
	corefix_login_citizen(fx, CITIZEN_A, &new_session);
	identity_new(fx, &old_session, &id, id_seed, &dev, "i1");
	keys_new(&newdev, NULL);
	keys_new(&server, NULL);
	advice_random(nonce_new, 32);
	advice_random(nonce_old, 32);
	advice_random(nonce_server, 32);
	request_new(fx, &new_session, &newdev, nonce_new, "q1", req);
	listed(fx, &old_session, req, seen_commit, sign, box, nonce);
	expect(challenge(fx, &old_session, "c1", req, id.sign_pk, nonce_old), "ok", NULL);
	/* Knowing nonce_old, the server writes keys of its own as the reveal. */
	advice_hex(sh, server.sign_pk, 32);
	advice_hex(bh, server.box_pk, 32);
	advice_hex(nh, nonce_server, 32);
	snprintf(sql, sizeof sql,
		 "UPDATE e2e_device_requests SET sign_pk = x'%s', box_pk = x'%s', nonce = x'%s' WHERE id = "
		 "'%s'",
		 sh, bh, nh, req);
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	listed(fx, &old_session, req, commit, sign, box, nonce);
	assert_memory_equal(sign, server.sign_pk, 32);
	assert_int_equal(
		advice_compare_code_checked(shown_old, seen_commit, id.sign_pk, sign, box, nonce, nonce_old),
		-ADVICE_ERR_FORBIDDEN);
	assert_string_equal(shown_old, "");
	/* Nor does swapping the commitment too help: the device checks the one it kept. */
	advice_device_commit(commit, server.sign_pk, server.box_pk, nonce_server);
	advice_hex(sh, commit, 32);
	snprintf(sql, sizeof sql, "UPDATE e2e_device_requests SET commitment = x'%s' WHERE id = '%s'", sh,
		 req);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	listed(fx, &old_session, req, commit, sign, box, nonce);
	assert_memory_not_equal(commit, seen_commit, 32);
	assert_int_equal(
		advice_compare_code_checked(shown_old, seen_commit, id.sign_pk, sign, box, nonce, nonce_old),
		-ADVICE_ERR_FORBIDDEN);
}

/* The server commits to keys of its own (a request of its own, made before it can know the
 * challenge) and opens that commitment honestly: the existing device's code is not the one the
 * real new device shows, whichever challenge the server hands the new device. */
static void test_malicious_own_commitment(void **state)
{
	struct corefix *fx = *state;
	struct advice_keys id, dev, newdev, server;
	uint8_t id_seed[32], nonce_new[32], nonce_old[32], nonce_server[32], seen_commit[32], commit[32],
		sign[32], box[32], nonce[32], fake[32];
	char req[STORE_ID_SIZE], real_req[STORE_ID_SIZE], shown_old[ADVICE_COMPARE_CODE_SIZE],
		shown_new[ADVICE_COMPARE_CODE_SIZE];
	struct who old_session, new_session, server_session;

	corefix_login_citizen(fx, CITIZEN_A, &old_session);
	corefix_login_citizen(fx, CITIZEN_A, &new_session);
	corefix_login_citizen(fx, CITIZEN_A, &server_session);
	identity_new(fx, &old_session, &id, id_seed, &dev, "i1");
	keys_new(&newdev, NULL);
	keys_new(&server, NULL);
	advice_random(nonce_new, 32);
	advice_random(nonce_server, 32);
	request_new(fx, &new_session, &newdev, nonce_new, "q1", real_req);
	request_new(fx, &server_session, &server, nonce_server, "q2", req);
	/* The old device is shown the server's request and challenges it. */
	listed(fx, &old_session, req, seen_commit, sign, box, nonce);
	advice_random(nonce_old, 32);
	expect(challenge(fx, &old_session, "c1", req, id.sign_pk, nonce_old), "ok", NULL);
	expect(reveal(fx, &server_session, "v1", req, &server, nonce_server), "ok", NULL);
	listed(fx, &old_session, req, commit, sign, box, nonce);
	assert_int_equal(
		advice_compare_code_checked(shown_old, seen_commit, id.sign_pk, sign, box, nonce, nonce_old),
		0);
	/* The real new device, handed that challenge or any the server picks, shows another code. */
	advice_compare_code(shown_new, id.sign_pk, newdev.sign_pk, newdev.box_pk, nonce_new, nonce_old);
	assert_string_not_equal(shown_new, shown_old);
	for (int i = 0; i < 32; i++) {
		advice_random(fake, 32);
		advice_compare_code(shown_new, id.sign_pk, newdev.sign_pk, newdev.box_pk, nonce_new, fake);
		assert_string_not_equal(shown_new, shown_old);
	}
}

static void test_recovery_boxes(void **state)
{
	struct corefix *fx = *state;
	struct advice_keys id, dev, stranger;
	uint8_t id_seed[32], secret[ADVICE_RECOVERY_SECRET_BYTES], key[32], nonce[24],
		box[ADVICE_RECOVERY_BOX_BYTES], got[32], other_seed[32];
	char code[ADVICE_RECOVERY_CODE_SIZE], *s;
	struct who a, b;
	json_t *r;

	corefix_login_citizen(fx, CITIZEN_A, &a);
	corefix_login_citizen(fx, CITIZEN_B, &b);
	identity_new(fx, &a, &id, id_seed, &dev, "i1");
	advice_random(secret, sizeof secret);
	advice_random(nonce, sizeof nonce);
	advice_recovery_code_format(code, secret);
	advice_recovery_key(key, secret);
	assert_int_equal(advice_recovery_box_seal(box, id_seed, fx->now, key, nonce), 0);
	s = b64(box, sizeof box);
	/* Only the owner of the identity may store its box. */
	expect(corefix_ws(fx, &b, "{\"type\":\"recovery.put\",\"id\":\"b1\",\"box\":\"%s\"}", s), "forbidden",
	       "/box");
	r = corefix_ws(fx, &a, "{\"type\":\"recovery.put\",\"id\":\"b2\",\"box\":\"%s\"}", s);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	free(s);
	keys_new(&stranger, other_seed);
	assert_int_equal(advice_recovery_box_seal(box, other_seed, fx->now, key, nonce), 0);
	s = b64(box, sizeof box);
	expect(corefix_ws(fx, &a, "{\"type\":\"recovery.put\",\"id\":\"b3\",\"box\":\"%s\"}", s), "forbidden",
	       "/box");
	free(s);
	expect(corefix_ws(fx, &a, "{\"type\":\"recovery.put\",\"id\":\"b4\",\"box\":\"AAAA\"}"),
	       "bad_request", "/box");

	/* A new device fetches the box and opens it with the code as typed. */
	r = corefix_ws(fx, &a, "{\"type\":\"recovery.get\",\"id\":\"g1\"}");
	assert_int_equal(json_array_size(json_object_get(r, "boxes")), 1);
	unb64(json_object_get(json_array_get(json_object_get(r, "boxes"), 0), "box"), box, sizeof box);
	json_decref(r);
	assert_int_equal(advice_recovery_box_open(got, box, sizeof box, code), 0);
	assert_memory_equal(got, id_seed, 32);
	r = corefix_ws(fx, &b, "{\"type\":\"recovery.get\",\"id\":\"g2\"}");
	assert_int_equal(json_array_size(json_object_get(r, "boxes")), 0);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_device_needs_an_identity_of_the_caller, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_removal_frees_the_cap, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_unused_devices_expire, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_prepared_threads_expire, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_device_approval, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_malicious_reveal_after_challenge, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_malicious_own_commitment, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_recovery_boxes, corefix_setup, corefix_teardown),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
