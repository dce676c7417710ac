/*
 * test_core_authcache.c - unit tests of the sessions and device keys the core keeps in memory
 * (core_authcache.c) over a real SQLite file: whatever ends a session, changes a staff
 * member's units or removes a device is seen by the very next request, cached or not; the
 * clock ends sessions and devices without any write; a body verified off the core thread
 * with a key revoked before the core took it is refused; rollbacks and writes bump the
 * store's generations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "advice.h"
#include "advice_crypto.h"
#include "advice_thread.h"
#include "corefix.h"

#define CITIZEN_A "010594Y9032"

static void keys_new(struct advice_keys *k)
{
	uint8_t seed[32];

	advice_random(seed, sizeof seed);
	assert_int_equal(advice_keys_personal(k, seed), 0);
}

static char *b64(const void *data, size_t len)
{
	char *s = advice_b64url_encode(data, len);

	assert_non_null(s);
	return s;
}

/* A citizen with envelopes required: its core, login, a first device and a prepared thread. */
struct citizen {
	struct who who;
	struct advice_keys id, dev[2];
	char kid_hex[2][33];
	char thread[STORE_ID_SIZE];
};

static void use_envelopes(struct corefix *fx, int64_t device_idle_ms)
{
	struct core_config cc = fx->cc;

	cc.require_envelopes = 1;
	cc.device_idle_ms = device_idle_ms;
	core_free(fx->core);
	fx->core = core_new(fx->st, &cc);
	assert_non_null(fx->core);
}

static void add_device(struct corefix *fx, struct citizen *c, int i)
{
	struct advice_device_cert dc = { .created_at = 1770000000000ULL };
	uint8_t cert[ADVICE_DEVICE_CERT_BYTES], kid[16];
	char *s;
	json_t *r;

	keys_new(&c->dev[i]);
	memcpy(dc.device_sign_pk, c->dev[i].sign_pk, 32);
	memcpy(dc.device_box_pk, c->dev[i].box_pk, 32);
	assert_int_equal(advice_device_cert_sign(cert, &dc, &c->id), 0);
	s = b64(cert, sizeof cert);
	r = corefix_ws(fx, &c->who, "{\"type\":\"%s\",\"id\":\"dev%d\",\"cert\":\"%s\"}",
		       i == 0 ? "identity.add" : "device.add", i, s);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	free(s);
	advice_kid(kid, c->dev[i].box_pk);
	advice_hex(c->kid_hex[i], kid, 16);
}

static void citizen_setup(struct corefix *fx, struct citizen *c, int devices)
{
	json_t *r;

	memset(c, 0, sizeof *c);
	corefix_login_citizen(fx, CITIZEN_A, &c->who);
	keys_new(&c->id);
	for (int i = 0; i < devices; i++)
		add_device(fx, c, i);
	r = corefix_ws(fx, &c->who, "{\"type\":\"thread.prepare\",\"id\":\"prep\"}");
	assert_string_equal(corefix_code(r), "ok");
	snprintf(c->thread, sizeof c->thread, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
}

/* An envelope of the citizen's thread signed by `sender`, base64url (malloc'd). */
static char *envelope_by(const struct citizen *c, const struct advice_keys *sender)
{
	uint8_t key[32], share[32], mkey[32], content[64], *env = malloc(ADVICE_ENVELOPE_MAX_BYTES);
	struct advice_envelope_hdr h;
	size_t clen = 0, elen = 0;
	char *s;

	memset(&h, 0, sizeof h);
	advice_unhex(h.thread_id, 16, c->thread);
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

/* An envelope of the citizen's thread signed by its device i. */
static char *envelope(const struct citizen *c, int i)
{
	return envelope_by(c, &c->dev[i]);
}

/* thread.open (rid "open") or message.send by device i; the reply's code. */
static const char *post(struct corefix *fx, const struct citizen *c, const char *rid, int i)
{
	static char code[32];
	char *body = envelope(c, i);
	json_t *r;

	if (strcmp(rid, "open") == 0)
		r = corefix_ws(fx, &c->who,
			       "{\"type\":\"thread.open\",\"id\":\"open\",\"category\":\"adult-social-work\","
			       "\"body\":\"%s\",\"thread\":\"%s\"}",
			       body, c->thread);
	else
		r = corefix_ws(fx, &c->who,
			       "{\"type\":\"message.send\",\"id\":\"%s\",\"thread\":\"%s\",\"body\":\"%s\"}",
			       rid, c->thread, body);
	snprintf(code, sizeof code, "%s", corefix_code(r));
	json_decref(r);
	free(body);
	return code;
}

static const char *ping(struct corefix *fx, const struct who *w, const char *rid)
{
	static char code[32];
	json_t *r = corefix_ws(fx, w, "{\"type\":\"thread.list\",\"id\":\"%s\"}", rid);

	snprintf(code, sizeof code, "%s", corefix_code(r));
	json_decref(r);
	return code;
}

/* session.logout ends the session at once, though the cache held it a moment before. */
static void test_logout(void **state)
{
	struct corefix *fx = *state;
	struct who a;
	json_t *r;

	corefix_login_citizen(fx, CITIZEN_A, &a);
	assert_string_equal(ping(fx, &a, "l1"), "ok");
	assert_string_equal(ping(fx, &a, "l2"), "ok");
	r = corefix_ws(fx, &a, "{\"type\":\"session.logout\",\"id\":\"out\"}");
	json_decref(r);
	assert_string_equal(ping(fx, &a, "l3"), "unauthenticated");
}

/* Idle and absolute ends come by the clock alone, with no write in between; a touch keeps a
 * cached session going, and session.extend moves its idle end in the cache too. */
static void test_expiry_by_clock(void **state)
{
	struct corefix *fx = *state;
	struct who a;
	json_t *r;

	corefix_login_citizen(fx, CITIZEN_A, &a);
	assert_string_equal(ping(fx, &a, "e1"), "ok");
	fx->now += 20 * 60000; /* within the 30 minutes of idleness */
	assert_string_equal(ping(fx, &a, "e2"), "ok");
	fx->now += 25 * 60000; /* the touch at e2 keeps it */
	r = corefix_ws(fx, &a, "{\"type\":\"session.extend\",\"id\":\"x1\"}");
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	fx->now += 25 * 60000;
	assert_string_equal(ping(fx, &a, "e3"), "ok");
	fx->now += 31 * 60000; /* idle */
	assert_string_equal(ping(fx, &a, "e4"), "unauthenticated");
}

/* The welcome lists a staff member's units: a membership removed or added in the store shows
 * at the next request, without a new login. */
static void test_membership_change(void **state)
{
	struct corefix *fx = *state;
	struct store *st = fx->st;
	struct core_reply *rep;
	struct who anna;
	json_t *j;
	int rc;

	corefix_login_worker(fx, "anna", &anna);
	rep = corefix_call(fx, CORE_REQ_CONNECT, &anna, "", &rc, &j);
	assert_int_equal(json_array_size(json_object_get(j, "units")), 1);
	json_decref(j);
	core_reply_free(rep);
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->staff->membership_add(st, anna.user_id, fx->unit_family, ROLE_SUPERVISOR),
			 STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	rep = corefix_call(fx, CORE_REQ_CONNECT, &anna, "", &rc, &j);
	assert_int_equal(json_array_size(json_object_get(j, "units")), 2);
	assert_string_equal(json_string_value(json_object_get(j, "role")), "supervisor");
	json_decref(j);
	core_reply_free(rep);
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->staff->membership_remove(st, anna.user_id, fx->unit_family), STORE_OK);
	assert_int_equal(st->ops->staff->membership_remove(st, anna.user_id, fx->unit_adult), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	rep = corefix_call(fx, CORE_REQ_CONNECT, &anna, "", &rc, &j);
	assert_int_equal(json_array_size(json_object_get(j, "units")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "role")), "worker");
	json_decref(j);
	core_reply_free(rep);
}

/* A session revoked in the store by any path (here: all of the user's) ends at once. */
static void test_revoke_user(void **state)
{
	struct corefix *fx = *state;
	struct store *st = fx->st;
	struct who anna;

	corefix_login_worker(fx, "anna", &anna);
	assert_string_equal(ping(fx, &anna, "r1"), "ok");
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->session->revoke_user(st, anna.user_id, NULL, NULL), STORE_OK);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	assert_string_equal(ping(fx, &anna, "r2"), "unauthenticated");
}

/* A removed device signs nothing more, cached keys or not. */
static void test_device_remove(void **state)
{
	struct corefix *fx = *state;
	struct citizen c;
	json_t *r;

	use_envelopes(fx, 0);
	citizen_setup(fx, &c, 2);
	assert_string_equal(post(fx, &c, "open", 0), "ok");
	assert_string_equal(post(fx, &c, "m1", 1), "ok");
	assert_string_equal(post(fx, &c, "m2", 1), "ok");
	r = corefix_ws(fx, &c.who, "{\"type\":\"device.remove\",\"id\":\"rm\",\"kid\":\"%s\"}", c.kid_hex[1]);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	assert_string_equal(post(fx, &c, "m3", 1), "forbidden");
	assert_string_equal(post(fx, &c, "m4", 0), "ok");
}

/* A body verified on the submitting thread (core_request_prepare) by a key that is removed
 * before the core thread takes the request is refused; one still valid goes through. */
static void test_prepared_with_revoked_key(void **state)
{
	struct corefix *fx = *state;
	struct store *st = fx->st;
	struct core_request *req[2];
	struct core_reply *rep;
	struct citizen c;
	char text[8192], *body;
	json_t *r, *j;

	use_envelopes(fx, 0);
	citizen_setup(fx, &c, 2);
	assert_string_equal(post(fx, &c, "open", 0), "ok");
	assert_string_equal(post(fx, &c, "m1", 1), "ok"); /* the cache holds both devices now */
	for (int i = 0; i < 2; i++) {
		body = envelope(&c, i);
		snprintf(text, sizeof text,
			 "{\"type\":\"message.send\",\"id\":\"pre%d\",\"thread\":\"%s\",\"body\":\"%s\"}", i,
			 c.thread, body);
		free(body);
		req[i] = core_request_new(CORE_REQ_MESSAGE, 1, text, strlen(text));
		assert_non_null(req[i]);
		req[i]->has_session = 1;
		memcpy(req[i]->session_hash, c.who.hash, STORE_HASH_BYTES);
		assert_int_equal(core_request_prepare(fx->core, req[i]), 0);
		assert_int_equal(req[i]->parsed.signer, 1);
	}
	r = corefix_ws(fx, &c.who, "{\"type\":\"device.remove\",\"id\":\"rm\",\"kid\":\"%s\"}", c.kid_hex[1]);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	for (int i = 0; i < 2; i++) {
		req[i]->now_ms = fx->now;
		rep = calloc(1, sizeof *rep);
		assert_int_equal(st->ops->tx->begin(st), STORE_OK);
		assert_int_equal(core_handle(fx->core, req[i], rep), 0);
		assert_int_equal(st->ops->tx->commit(st), STORE_OK);
		j = json_loads(rep->json, 0, NULL);
		assert_string_equal(corefix_code(j), i == 0 ? "ok" : "forbidden");
		json_decref(j);
		core_reply_free(rep);
		core_request_free(req[i]);
	}
}

/* A hint that names a device of the user with bytes other than those the core takes is not
 * trusted. */
static void test_prepared_other_bytes(void **state)
{
	struct corefix *fx = *state;
	struct store *st = fx->st;
	struct core_request *req;
	struct core_reply *rep;
	struct citizen c;
	char text[8192], *body;
	json_t *j;

	use_envelopes(fx, 0);
	citizen_setup(fx, &c, 1);
	assert_string_equal(post(fx, &c, "open", 0), "ok");
	body = envelope(&c, 0);
	snprintf(text, sizeof text,
		 "{\"type\":\"message.send\",\"id\":\"px\",\"thread\":\"%s\",\"body\":\"%s\"}", c.thread,
		 body);
	free(body);
	req = core_request_new(CORE_REQ_MESSAGE, 1, text, strlen(text));
	req->has_session = 1;
	memcpy(req->session_hash, c.who.hash, STORE_HASH_BYTES);
	assert_int_equal(core_request_prepare(fx->core, req), 0);
	assert_int_equal(req->parsed.signer, 1);
	/* Another body, signed by a stranger, in the same parsed request. */
	{
		struct citizen other = c;

		keys_new(&other.dev[0]);
		body = envelope(&other, 0);
		json_object_set_new(req->parsed.msg, "body", json_string(body));
		/* ...and as the bytes decoded on the submitting thread, which the core takes */
		free(req->parsed.body);
		req->parsed.body = malloc(strlen(body));
		assert_non_null(req->parsed.body);
		assert_int_equal(sodium_base642bin(req->parsed.body, strlen(body), body, strlen(body), NULL,
						   &req->parsed.body_len, NULL,
						   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
				 0);
		free(body);
	}
	req->now_ms = fx->now;
	rep = calloc(1, sizeof *rep);
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(core_handle(fx->core, req, rep), 0);
	assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	j = json_loads(rep->json, 0, NULL);
	assert_string_equal(corefix_code(j), "forbidden");
	json_decref(j);
	core_reply_free(rep);
	core_request_free(req);
}

/* A device unused for device_idle_ms signs nothing more: the clock alone expires it from the
 * cache, and the store's row goes. Its use is written at most once a minute (device.list's
 * last_used), and a use within the idle time keeps it. */
static void test_device_expiry(void **state)
{
	struct corefix *fx = *state;
	int64_t idle = 20 * 60000, opened; /* under the session's idle time */
	struct citizen c;
	json_t *r, *devs;

	use_envelopes(fx, idle);
	citizen_setup(fx, &c, 2);
	opened = fx->now;
	assert_string_equal(post(fx, &c, "open", 0), "ok");
	fx->now += 30000;
	assert_string_equal(post(fx, &c, "m1", 0), "ok"); /* within the minute: not written */
	r = corefix_ws(fx, &c.who, "{\"type\":\"device.list\",\"id\":\"l1\"}");
	devs = json_object_get(r, "devices");
	assert_int_equal(json_array_size(devs), 2);
	for (size_t i = 0; i < 2; i++)
		assert_true(json_integer_value(json_object_get(json_array_get(devs, i), "last_used")) <=
			    opened);
	json_decref(r);
	fx->now += idle - 60000; /* device 0 was used at `opened`, device 1 when it was added */
	assert_string_equal(post(fx, &c, "m2", 0), "ok");
	fx->now += 2 * 60000; /* device 1 is past its idle time now; device 0 was used just before */
	assert_string_equal(post(fx, &c, "m3", 1), "forbidden");
	assert_string_equal(post(fx, &c, "m4", 0), "ok");
	r = corefix_ws(fx, &c.who, "{\"type\":\"device.list\",\"id\":\"l2\"}");
	assert_int_equal(json_array_size(json_object_get(r, "devices")), 1);
	json_decref(r);
}

/* A staff member's envelope is checked against the keys of its certificates, kept in memory: a
 * certificate installed after they were kept is honoured at once. */
static void test_staff_certificate_added(void **state)
{
	struct corefix *fx = *state;
	struct store *st = fx->st;
	struct advice_keys root, anna_key;
	uint8_t cert[ADVICE_CERT_BYTES], kid[16];
	struct advice_cert ac;
	struct citizen c;
	struct who anna;
	char *body;
	json_t *r;

	use_envelopes(fx, 0);
	citizen_setup(fx, &c, 1);
	assert_string_equal(post(fx, &c, "open", 0), "ok");
	corefix_login_worker(fx, "anna", &anna);
	json_decref(corefix_ws(fx, &anna, "{\"type\":\"thread.claim\",\"id\":\"c1\",\"thread\":\"%s\"}",
			       c.thread));
	keys_new(&root);
	keys_new(&anna_key);
	for (int round = 0; round < 2; round++) {
		body = envelope_by(&c, &anna_key);
		r = corefix_ws(fx, &anna,
			       "{\"type\":\"message.send\",\"id\":\"s%d\",\"thread\":\"%s\",\"body\":\"%s\"}",
			       round, c.thread, body);
		assert_string_equal(corefix_code(r), round == 0 ? "forbidden" : "ok");
		json_decref(r);
		free(body);
		if (round > 0)
			break;
		memset(&ac, 0, sizeof ac);
		ac.role = ADVICE_ROLE_WORKER;
		advice_unhex(ac.subject_id, 16, anna.user_id);
		memcpy(ac.sign_pk, anna_key.sign_pk, 32);
		memcpy(ac.box_pk, anna_key.box_pk, 32);
		ac.not_after = fx->now + 86400000;
		assert_int_equal(advice_cert_sign(cert, &ac, &root), 0);
		advice_kid(kid, anna_key.sign_pk);
		assert_int_equal(st->ops->tx->begin(st), STORE_OK);
		assert_int_equal(st->ops->keys->cert_put(st, anna.user_id, ADVICE_ROLE_WORKER, kid, cert,
							 sizeof cert, fx->now),
				 STORE_OK);
		assert_int_equal(st->ops->tx->commit(st), STORE_OK);
	}
}

/* The store's generations: a watched write bumps its own, a touch neither, a rollback both. */
static void test_generations(void **state)
{
	struct corefix *fx = *state;
	struct store *st = fx->st;
	uint64_t s0, d0;
	struct who a;

	corefix_login_citizen(fx, CITIZEN_A, &a);
	s0 = st->ops->tx->generation(st, STORE_GEN_SESSIONS);
	d0 = st->ops->tx->generation(st, STORE_GEN_DEVICES);
	assert_true(s0 != 0 && d0 != 0);
	assert_int_equal(st->ops->tx->begin(st), STORE_OK);
	assert_int_equal(st->ops->session->touch(st, a.hash, fx->now + 1000), STORE_OK);
	assert_true(st->ops->tx->generation(st, STORE_GEN_SESSIONS) == s0);
	assert_int_equal(st->ops->tx->savepoint(st), STORE_OK);
	assert_int_equal(st->ops->session->revoke(st, a.hash), STORE_OK);
	assert_true(st->ops->tx->generation(st, STORE_GEN_SESSIONS) > s0);
	assert_true(st->ops->tx->generation(st, STORE_GEN_DEVICES) == d0);
	s0 = st->ops->tx->generation(st, STORE_GEN_SESSIONS);
	assert_int_equal(st->ops->tx->rollback_to(st), STORE_OK);
	assert_true(st->ops->tx->generation(st, STORE_GEN_SESSIONS) > s0);
	assert_true(st->ops->tx->generation(st, STORE_GEN_DEVICES) > d0);
	d0 = st->ops->tx->generation(st, STORE_GEN_DEVICES);
	assert_int_equal(st->ops->tx->rollback(st), STORE_OK);
	assert_true(st->ops->tx->generation(st, STORE_GEN_DEVICES) > d0);
	assert_string_equal(ping(fx, &a, "g1"), "ok"); /* the revoke was undone */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_logout, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_expiry_by_clock, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_membership_change, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_revoke_user, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_device_remove, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_prepared_with_revoked_key, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_prepared_other_bytes, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_device_expiry, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_staff_certificate_added, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_generations, corefix_setup, corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
