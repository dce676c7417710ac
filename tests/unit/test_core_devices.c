/*
 * test_core_devices.c - unit tests of core_devices.c over a real SQLite file: a citizen's
 * identities and devices. The server accepts a device only with a certificate that one of the
 * caller's identities signed (a bad or foreign certificate is refused); removal and the expiry
 * of unused devices and of prepared threads keep the caps from locking a citizen out; a new
 * device is approved by an existing one (device.request, the live event, device.approve with
 * the identity seed sealed to exactly the requested key); recovery boxes are kept per identity.
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

/* device.request as `c` for dev's keys; returns the request id (in out) and checks the event
 * to the citizen's connections. */
static void request_new(struct corefix *fx, const struct who *c, const struct advice_keys *dev,
			const char *rid, char out[STORE_ID_SIZE])
{
	char *box = b64(dev->box_pk, 32), *sign = b64(dev->sign_pk, 32), body[512], topic[48];
	struct core_reply *rep;
	json_t *r = NULL, *ev;
	int rc = 0;

	snprintf(body, sizeof body,
		 "{\"type\":\"device.request\",\"id\":\"%s\",\"box_pk\":\"%s\",\"sign_pk\":\"%s\"}", rid, box,
		 sign);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, c, body, &rc, &r);
	assert_string_equal(corefix_code(r), "ok");
	snprintf(out, STORE_ID_SIZE, "%s", json_string_value(json_object_get(r, "request")));
	assert_int_equal(json_integer_value(json_object_get(r, "expires")), fx->now + 600000);
	snprintf(topic, sizeof topic, "u:%s", c->user_id);
	assert_int_equal(rep->npush, 1);
	assert_string_equal(rep->pushes[0].topic, topic);
	ev = json_loads(rep->pushes[0].json, 0, NULL);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "device.request");
	assert_string_equal(json_string_value(json_object_get(ev, "request")), out);
	assert_string_equal(json_string_value(json_object_get(ev, "sign_pk")), sign);
	assert_true(json_is_null(json_object_get(ev, "wrap")));
	json_decref(ev);
	json_decref(r);
	core_reply_free(rep);
	free(box);
	free(sign);
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

/* A new device approved by an existing one: only the requested key, only the identity's seed
 * sealed by a device of that identity; the new device then holds the identity. */
static void test_device_approval(void **state)
{
	struct corefix *fx = *state;
	struct advice_keys id, dev, newdev, server, stranger, got_id;
	uint8_t id_seed[32], iid[16], eph[32], cert[ADVICE_DEVICE_CERT_BYTES], wrap[ADVICE_WRAP_BYTES],
		seed[32];
	char req[STORE_ID_SIZE], other_req[STORE_ID_SIZE];
	struct advice_wrap_info wi;
	struct who old_session, new_session;
	json_t *r, *q;

	corefix_login_citizen(fx, CITIZEN_A, &old_session);
	corefix_login_citizen(fx, CITIZEN_A, &new_session);
	identity_new(fx, &old_session, &id, id_seed, &dev, "i1");
	keys_new(&newdev, NULL);
	keys_new(&server, NULL);
	keys_new(&stranger, NULL);
	advice_identity_id(iid, id.sign_pk);
	advice_random(eph, 32);
	request_new(fx, &new_session, &newdev, "q1", req);
	/* The old device sees the request and shows the comparison code of its keys. */
	r = corefix_ws(fx, &old_session, "{\"type\":\"device.list\",\"id\":\"l1\"}");
	q = json_array_get(json_object_get(r, "requests"), 0);
	assert_string_equal(json_string_value(json_object_get(q, "request")), req);
	json_decref(r);

	/* A certificate for other keys than the requested ones (a substituted key): refused. */
	cert_bytes(cert, &id, &server);
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0, newdev.box_pk, id_seed, eph, &dev),
		0);
	expect(approve(fx, &old_session, "a1", req, cert, wrap), "bad_request", "/cert");
	/* The seed sealed to another key, a wrap of another kind, one signed by a stranger. */
	cert_bytes(cert, &id, &newdev);
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0, server.box_pk, id_seed, eph, &dev),
		0);
	expect(approve(fx, &old_session, "a2", req, cert, wrap), "bad_request", "/wrap");
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_UNIT_SEED, iid, 0, newdev.box_pk, id_seed, eph, &dev), 0);
	expect(approve(fx, &old_session, "a3", req, cert, wrap), "bad_request", "/wrap");
	assert_int_equal(advice_wrap_seal(wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0, newdev.box_pk, id_seed,
					  eph, &stranger),
			 0);
	expect(approve(fx, &old_session, "a4", req, cert, wrap), "forbidden", "/wrap");
	/* A certificate of an identity that is not the citizen's. */
	cert_bytes(cert, &stranger, &newdev);
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0, newdev.box_pk, id_seed, eph, &dev),
		0);
	expect(approve(fx, &old_session, "a5", req, cert, wrap), "forbidden", "/cert");
	/* Right: the device is registered, the answer stored; once only. */
	cert_bytes(cert, &id, &newdev);
	r = approve(fx, &old_session, "a6", req, cert, wrap);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	expect(approve(fx, &old_session, "a7", req, cert, wrap), "conflict", "/request");
	expect(approve(fx, &old_session, "a8", "00000000000000000000000000000000", cert, wrap), "not_found",
	       "/request");

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
	expect(approve(fx, &new_session, "a9", req, cert, wrap), "not_found", "/request");
	for (int i = 0; i < 4; i++) {
		char rid[16];

		snprintf(rid, sizeof rid, "m%d", i);
		keys_new(&newdev, NULL);
		request_new(fx, &new_session, &newdev, rid, other_req);
	}
	r = corefix_ws(fx, &new_session,
		       "{\"type\":\"device.request\",\"id\":\"m9\",\"box_pk\":\"%s\",\"sign_pk\":\"%s\"}",
		       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	expect(r, "rate_limited", NULL);
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
		cmocka_unit_test_setup_teardown(test_recovery_boxes, corefix_setup, corefix_teardown),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
