/*
 * test_core_consent.c - consent and the records connector over a real core and SQLite file
 * with real keys: the connector's login by a signed challenge (single use, the same refusal
 * for every failure), consent.give and its refusals, the connector's reads only of consented
 * threads and only while consented, handover.pending and handover.done (once per thread and
 * epoch, with its disclosure-log row), consent.withdraw with its new epoch (reason 3), and
 * export orders.
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
#include "corefix.h"
#include "testutil.h"

#define CITIZEN_A "010594Y9032"

/* Root, admin, unit generation 1, the citizen's identity and device, the connector's keys. */
struct world {
	struct advice_keys root, admin, gen1, id, dev, conn;
	struct who citizen, anna, connector;
	char thread[STORE_ID_SIZE], other[STORE_ID_SIZE], conn_id[STORE_ID_SIZE], kid_hex[33];
	uint8_t kid[16];
	uint8_t tid[16], k0[32];
};

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

static void expect(json_t *r, const char *code)
{
	if (strcmp(corefix_code(r), code) != 0)
		fail_msg("expected %s, got %s: %s", code, corefix_code(r),
			 json_string_value(json_object_get(r, "message")));
	json_decref(r);
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

/* A thread the citizen opens (test mode: any body), which anna claims. */
static void open_thread(struct corefix *fx, struct world *w, const char *rid, char out[STORE_ID_SIZE])
{
	json_t *r = corefix_ws(fx, &w->citizen,
			       "{\"type\":\"thread.open\",\"id\":\"%s\",\"category\":\"adult-social-work\","
			       "\"body\":\"aGVp\"}",
			       rid);

	assert_string_equal(corefix_code(r), "ok");
	snprintf(out, STORE_ID_SIZE, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
}

static struct corefix *fx; /* the fixture of the running test */

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);
	struct store_connector c = { 0 };
	struct advice_device_cert dc;
	uint8_t admin_id[16], raw[32], cert[ADVICE_DEVICE_CERT_BYTES];
	char admin_hex[33], *box;

	assert_non_null(w);
	assert_int_equal(corefix_setup((void **)&fx), 0);
	keys_new(&w->root);
	keys_new(&w->admin);
	keys_new(&w->id);
	keys_new(&w->dev);
	keys_new(&w->conn);
	advice_random(raw, sizeof raw);
	assert_int_equal(advice_keys_unit(&w->gen1, NULL, raw), 0);
	corefix_login_citizen(fx, CITIZEN_A, &w->citizen);
	corefix_login_worker(fx, "anna", &w->anna);
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->keys->root_put(fx->st, w->root.sign_pk, fx->now), STORE_OK);
	advice_random(admin_id, 16);
	advice_hex(admin_hex, admin_id, 16);
	put_cert(fx, ADVICE_ROLE_ADMIN, admin_hex, &w->admin, &w->root);
	/* The connector: an account and its root-signed certificate. */
	advice_random(raw, 16);
	advice_hex(w->conn_id, raw, 16);
	snprintf(c.id, sizeof c.id, "%s", w->conn_id);
	snprintf(c.name, sizeof c.name, "records");
	advice_kid(w->kid, w->conn.box_pk);
	advice_hex(w->kid_hex, w->kid, 16);
	memcpy(c.kid, w->kid, 16);
	advice_kid(c.sign_kid, w->conn.sign_pk);
	c.created = fx->now;
	assert_int_equal(fx->st->ops->consent->connector_put(fx->st, &c), STORE_OK);
	put_cert(fx, ADVICE_ROLE_CONNECTOR, w->conn_id, &w->conn, &w->root);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	/* The citizen's identity and device. */
	memset(&dc, 0, sizeof dc);
	dc.created_at = (uint64_t)fx->now;
	memcpy(dc.device_sign_pk, w->dev.sign_pk, 32);
	memcpy(dc.device_box_pk, w->dev.box_pk, 32);
	assert_int_equal(advice_device_cert_sign(cert, &dc, &w->id), 0);
	box = b64(cert, sizeof cert);
	expect(corefix_ws(fx, &w->citizen, "{\"type\":\"identity.add\",\"id\":\"d1\",\"cert\":\"%s\"}", box),
	       "ok");
	free(box);
	open_thread(fx, w, "o1", w->thread);
	open_thread(fx, w, "o2", w->other);
	advice_unhex(w->tid, 16, w->thread);
	advice_random(w->k0, 32);
	expect(corefix_ws(fx, &w->anna, "{\"type\":\"thread.claim\",\"id\":\"c1\",\"thread\":\"%s\"}",
			  w->thread),
	       "ok");
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	void *f = fx;

	corefix_teardown(&f);
	free(*state);
	return 0;
}

/* --- Login --- */

/* A challenge for `kid_hex`; its bytes into ch. */
static void challenge(const char *kid_hex, uint8_t ch[32])
{
	char body[128];
	struct core_reply *rep;
	uint8_t *d = NULL;
	size_t len = 0;
	json_t *j;
	int rc;

	snprintf(body, sizeof body, "{\"connector\":\"%s\"}", kid_hex);
	rep = corefix_call(fx, CORE_REQ_LOGIN_CONNECTOR_START, NULL, body, &rc, &j);
	assert_int_equal(rc, 0);
	assert_string_equal(corefix_code(j), "ok");
	assert_int_equal(advice_b64url_decode(json_string_value(json_object_get(j, "challenge")), &d, &len),
			 0);
	assert_int_equal(len, 32);
	memcpy(ch, d, 32);
	free(d);
	json_decref(j);
	core_reply_free(rep);
}

/* The login with challenge ch signed by `signer` for `kid`; the reply (*failed: login_failed). */
static json_t *login(const struct world *w, const uint8_t kid[16], const uint8_t ch[32],
		     const struct advice_keys *signer, struct who *out, int *failed)
{
	uint8_t msg[21 + 32 + 16], sig[64];
	char body[512], *c64 = b64(ch, 32), *s64, kid_hex[33];
	struct core_reply *rep;
	json_t *j;
	int rc;

	(void)w;
	memcpy(msg, "QA-v1-connector-login", 21);
	memcpy(msg + 21, ch, 32);
	memcpy(msg + 53, kid, 16);
	crypto_sign_detached(sig, NULL, msg, sizeof msg, signer->sign_sk);
	s64 = b64(sig, sizeof sig);
	advice_hex(kid_hex, kid, 16);
	snprintf(body, sizeof body, "{\"connector\":\"%s\",\"challenge\":\"%s\",\"signature\":\"%s\"}",
		 kid_hex, c64, s64);
	free(c64);
	free(s64);
	rep = corefix_call(fx, CORE_REQ_LOGIN_CONNECTOR, NULL, body, &rc, &j);
	assert_int_equal(rc, 0);
	*failed = rep->login_failed;
	if (out != NULL && strcmp(corefix_code(j), "ok") == 0) {
		assert_int_equal(rep->http_status, 200);
		snprintf(out->token, sizeof out->token, "%s", rep->session_token);
		core_session_hash(fx->cc.pepper, out->token, strlen(out->token), out->hash);
		snprintf(out->user_id, sizeof out->user_id, "%s",
			 json_string_value(json_object_get(j, "user")));
	} else {
		assert_int_equal(rep->http_status, strcmp(corefix_code(j), "ok") == 0 ? 200 : 401);
	}
	core_reply_free(rep);
	return j;
}

static void login_ok(struct world *w)
{
	uint8_t ch[32];
	int failed = 0;
	json_t *j;

	challenge(w->kid_hex, ch);
	j = login(w, w->kid, ch, &w->conn, &w->connector, &failed);
	assert_string_equal(corefix_code(j), "ok");
	assert_string_equal(json_string_value(json_object_get(j, "role")), "connector");
	assert_string_equal(json_string_value(json_object_get(j, "user")), w->conn_id);
	assert_false(failed);
	json_decref(j);
}

static void test_login(void **state)
{
	struct world *w = *state;
	struct advice_keys other;
	uint8_t ch[32], unknown[16];
	char unknown_hex[33];
	int failed = 0;
	json_t *j;

	keys_new(&other);
	/* A wrong signature: 401, counted; the challenge is used up all the same. */
	challenge(w->kid_hex, ch);
	j = login(w, w->kid, ch, &other, NULL, &failed);
	assert_string_equal(corefix_code(j), "bad_credentials");
	assert_true(failed);
	json_decref(j);
	j = login(w, w->kid, ch, &w->conn, NULL, &failed);
	assert_string_equal(corefix_code(j), "bad_credentials");
	json_decref(j);
	/* An unknown kid gets a challenge too, and the same refusal. */
	advice_random(unknown, 16);
	advice_hex(unknown_hex, unknown, 16);
	challenge(unknown_hex, ch);
	j = login(w, unknown, ch, &w->conn, NULL, &failed);
	assert_string_equal(corefix_code(j), "bad_credentials");
	assert_true(failed);
	json_decref(j);
	/* A challenge made for another kid does not log this one in. */
	challenge(unknown_hex, ch);
	j = login(w, w->kid, ch, &w->conn, NULL, &failed);
	assert_string_equal(corefix_code(j), "bad_credentials");
	json_decref(j);
	/* A lapsed challenge. */
	challenge(w->kid_hex, ch);
	fx->now += 61000;
	j = login(w, w->kid, ch, &w->conn, NULL, &failed);
	assert_string_equal(corefix_code(j), "bad_credentials");
	json_decref(j);
	/* The right one; the connector's welcome says connector. */
	login_ok(w);
	j = corefix_ws(fx, &w->connector, "{\"type\":\"handover.pending\",\"id\":\"h0\"}");
	assert_string_equal(corefix_code(j), "ok");
	assert_int_equal(json_array_size(json_object_get(j, "threads")), 0);
	json_decref(j);
	/* Not a citizen's or a worker's request. */
	expect(corefix_ws(fx, &w->connector, "{\"type\":\"thread.list\",\"id\":\"l0\"}"), "forbidden");
	expect(corefix_ws(fx, &w->anna, "{\"type\":\"handover.pending\",\"id\":\"h1\"}"), "forbidden");
	/* An ended connector's session ends, and it logs in no more. */
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->consent->connector_end(fx->st, w->conn_id, fx->now), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	expect(corefix_ws(fx, &w->connector, "{\"type\":\"handover.pending\",\"id\":\"h2\"}"),
	       "unauthenticated");
	challenge(w->kid_hex, ch);
	j = login(w, w->kid, ch, &w->conn, NULL, &failed);
	assert_string_equal(corefix_code(j), "bad_credentials");
	json_decref(j);
}

/* --- Consent --- */

/* A consent event of `kind` naming thread tid, connector kid and epoch, signed by `signer`. */
static char *consent_event(const uint8_t tid[16], const uint8_t kid[16], uint8_t kind, uint32_t epoch,
			   const struct advice_keys *signer, int64_t at)
{
	uint8_t e[197] = { 'Q', 'A', 1, 5, 1, 0 }, m[13 + 133];

	e[6] = kind;
	memcpy(e + 7, tid, 16);
	memcpy(e + 23, kid, 16);
	for (int i = 0; i < 4; i++)
		e[39 + i] = (uint8_t)(epoch >> (8 * i));
	memcpy(e + 107, "fi", 2);
	for (int i = 0; i < 8; i++)
		e[109 + i] = (uint8_t)((uint64_t)at >> (8 * i));
	advice_kid(e + 117, signer->sign_pk);
	memcpy(m, "QA-v1-consent", 13);
	memcpy(m + 13, e, 133);
	crypto_sign_detached(e + 133, NULL, m, sizeof m, signer->sign_sk);
	return b64(e, sizeof e);
}

/* A list of wraps of `key` at epochs 0..n-1 (the same key) to box_pk, as JSON array text. */
static void wraps(char *out, size_t cap, const uint8_t tid[16], size_t n, const uint8_t box_pk[32],
		  const uint8_t key[32], const struct advice_keys *signer)
{
	uint8_t wrap[ADVICE_WRAP_BYTES], eph[32];

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char *s;

		advice_random(eph, 32);
		assert_int_equal(advice_wrap_seal(wrap, ADVICE_WRAP_THREAD_KEY, tid, (uint32_t)i, box_pk, key,
						  eph, signer),
				 0);
		s = b64(wrap, sizeof wrap);
		snprintf(out + strlen(out), cap - strlen(out), "%s\"%s\"", i ? "," : "", s);
		free(s);
	}
}

static json_t *give(const struct world *w, const char *rid, const char *kid_hex, const char *event,
		    const char *list)
{
	return corefix_ws(fx, &w->citizen,
			  "{\"type\":\"consent.give\",\"id\":\"%s\",\"thread\":\"%s\",\"connector\":\"%s\","
			  "\"event\":\"%s\",\"wraps\":[%s]}",
			  rid, w->thread, kid_hex, event, list);
}

/* handover.done of (request id, thread, epoch, digest digit) by the connector. */
#define HANDOVER_DONE                                                                                        \
	"{\"type\":\"handover.done\",\"id\":\"%s\",\"thread\":\"%s\",\"epoch\":%d,"                          \
	"\"recipient\":\"Client record\",\"basis\":\"Consent\",\"dataset\":\"thread\","                      \
	"\"method\":\"directory\",\"digest\":\"%064d\"}"

static int64_t disclosures(void)
{
	struct store_disclosure last;
	int rc = fx->st->ops->disclosure->last(fx->st, &last);

	assert_true(rc == STORE_OK || rc == STORE_NOTFOUND);
	return rc == STORE_OK ? last.row : 0;
}

static void test_consent_handover_withdraw(void **state)
{
	struct world *w = *state;
	char list[4096], list2[4096], *ev, *bad;
	uint8_t other[16];
	char other_hex[33];
	json_t *r, *c;

	login_ok(w);
	/* Before any consent the connector sees nothing. */
	expect(corefix_ws(fx, &w->connector, "{\"type\":\"thread.get\",\"id\":\"g0\",\"thread\":\"%s\"}",
			  w->thread),
	       "not_found");
	ev = consent_event(w->tid, w->kid, 1, 0, &w->dev, fx->now);
	wraps(list, sizeof list, w->tid, 1, w->conn.box_pk, w->k0, &w->dev);
	/* Refusals: an unknown connector, a wrap missing, a wrap to another key, an event signed
	 * by another key, another thread's event. Nothing is stored by any. */
	advice_random(other, 16);
	advice_hex(other_hex, other, 16);
	expect(give(w, "g1", other_hex, ev, list), "not_found");
	wraps(list2, sizeof list2, w->tid, 2, w->conn.box_pk, w->k0, &w->dev);
	expect(give(w, "g2", w->kid_hex, ev, list2), "bad_request");
	wraps(list2, sizeof list2, w->tid, 1, w->dev.box_pk, w->k0, &w->dev);
	expect(give(w, "g3", w->kid_hex, ev, list2), "bad_request");
	bad = consent_event(w->tid, w->kid, 1, 0, &w->conn, fx->now);
	expect(give(w, "g4", w->kid_hex, bad, list), "forbidden");
	free(bad);
	bad = consent_event(w->tid, w->kid, 2, 0, &w->dev, fx->now);
	expect(give(w, "g5", w->kid_hex, bad, list), "bad_request");
	free(bad);
	bad = consent_event(w->tid, w->kid, 1, 1, &w->dev, fx->now);
	expect(give(w, "g6", w->kid_hex, bad, list), "conflict");
	free(bad);
	/* Staff may not give it. */
	expect(corefix_ws(fx, &w->anna,
			  "{\"type\":\"consent.give\",\"id\":\"g7\",\"thread\":\"%s\",\"connector\":\"%s\","
			  "\"event\":\"%s\",\"wraps\":[%s]}",
			  w->thread, w->kid_hex, ev, list),
	       "forbidden");
	/* The consent; a second one is a conflict. */
	r = give(w, "g8", w->kid_hex, ev, list);
	assert_string_equal(corefix_code(r), "ok");
	c = json_object_get(r, "consent");
	assert_string_equal(json_string_value(json_object_get(c, "connector")), w->kid_hex);
	assert_true(json_is_null(json_object_get(c, "withdrawn")));
	assert_int_equal(json_integer_value(json_object_get(c, "epoch")), 0);
	json_decref(r);
	expect(give(w, "g9", w->kid_hex, ev, list), "conflict");
	free(ev);
	/* The snapshot shows it. */
	r = corefix_ws(fx, &w->citizen, "{\"type\":\"thread.get\",\"id\":\"g10\",\"thread\":\"%s\"}",
		       w->thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_non_null(json_object_get(json_object_get(json_object_get(r, "summary"), "consent"), "given"));
	assert_true(json_is_false(json_object_get(json_object_get(r, "summary"), "handed_over")));
	json_decref(r);
	/* The connector reads the consented thread (logged as connector), not the other one. */
	r = corefix_ws(fx, &w->connector, "{\"type\":\"thread.keys\",\"id\":\"k1\",\"thread\":\"%s\"}",
		       w->thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "wraps")), 1);
	json_decref(r);
	{
		struct store_audit last;

		corefix_audit_rows(fx, &last);
		assert_int_equal(last.role, ROLE_CONNECTOR);
		assert_string_equal(last.user_id, w->conn_id);
	}
	expect(corefix_ws(fx, &w->connector, "{\"type\":\"thread.read\",\"id\":\"k2\",\"thread\":\"%s\"}",
			  w->thread),
	       "ok");
	expect(corefix_ws(fx, &w->connector, "{\"type\":\"thread.get\",\"id\":\"k3\",\"thread\":\"%s\"}",
			  w->other),
	       "not_found");
	expect(corefix_ws(fx, &w->connector,
			  "{\"type\":\"message.send\",\"id\":\"k4\",\"thread\":\"%s\",\"body\":\"aGVp\"}",
			  w->thread),
	       "forbidden");
	/* Pending once closed; handed over exactly once per epoch, with its disclosure row. */
	r = corefix_ws(fx, &w->connector, "{\"type\":\"handover.pending\",\"id\":\"h1\"}");
	assert_int_equal(json_array_size(json_object_get(r, "threads")), 0);
	json_decref(r);
	expect(corefix_ws(fx, &w->citizen, "{\"type\":\"thread.close\",\"id\":\"x1\",\"thread\":\"%s\"}",
			  w->thread),
	       "ok");
	r = corefix_ws(fx, &w->connector, "{\"type\":\"handover.pending\",\"id\":\"h2\"}");
	assert_int_equal(json_array_size(json_object_get(r, "threads")), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(r, "threads"), 0), "citizen")),
			    w->citizen.user_id);
	json_decref(r);
	{
		int64_t before = disclosures();
		struct store_disclosure d;

		expect(corefix_ws(fx, &w->connector, HANDOVER_DONE, "h3", w->thread, 5, 0), "bad_request");
		expect(corefix_ws(fx, &w->connector, HANDOVER_DONE, "h4", w->thread, 0, 0), "ok");
		assert_int_equal(disclosures(), before + 1);
		assert_int_equal(fx->st->ops->disclosure->last(fx->st, &d), STORE_OK);
		assert_string_equal(d.client, w->citizen.user_id);
		assert_string_equal(d.user_id, w->conn_id);
		assert_int_equal(d.role, ROLE_CONNECTOR);
		assert_string_equal(d.method, "directory");
		expect(corefix_ws(fx, &w->connector, HANDOVER_DONE, "h5", w->thread, 0, 0), "conflict");
		assert_int_equal(disclosures(), before + 1);
		expect(corefix_ws(fx, &w->connector, HANDOVER_DONE, "h6", w->other, 0, 0), "not_found");
	}
	r = corefix_ws(fx, &w->connector, "{\"type\":\"handover.pending\",\"id\":\"h7\"}");
	assert_int_equal(json_array_size(json_object_get(r, "threads")), 0);
	json_decref(r);
	/* Withdrawal: a consent event of kind 2 and a new epoch (reason 3) to the unit and citizen. */
	{
		struct advice_epoch_event ee;
		uint8_t gen_kid[16], event[ADVICE_EPOCH_EVENT_MAX_BYTES], wrap[ADVICE_WRAP_BYTES], eph[32],
			k1[32];
		char *e64, *w1, *w2, *cev;
		size_t len = 0;

		memset(&ee, 0, sizeof ee);
		memcpy(ee.thread_id, w->tid, 16);
		ee.epoch = 1;
		ee.reason = ADVICE_EPOCH_CONSENT;
		ee.created_at = (uint64_t)fx->now;
		ee.n_recipients = 1;
		advice_kid(ee.recipients[0], w->id.box_pk);
		assert_int_equal(advice_epoch_event_sign(event, sizeof event, &len, &ee, &w->dev), 0);
		(void)gen_kid;
		advice_random(k1, 32);
		advice_random(eph, 32);
		assert_int_equal(advice_wrap_seal(wrap, ADVICE_WRAP_THREAD_KEY, w->tid, 1, w->id.box_pk, k1,
						  eph, &w->dev),
				 0);
		e64 = b64(event, len);
		w1 = b64(wrap, sizeof wrap);
		cev = consent_event(w->tid, w->kid, 2, 1, &w->dev, fx->now);
		/* The withdrawal must name the new epoch. */
		w2 = consent_event(w->tid, w->kid, 2, 0, &w->dev, fx->now);
		expect(corefix_ws(fx, &w->citizen,
				  "{\"type\":\"consent.withdraw\",\"id\":\"w1\",\"thread\":\"%s\",\"event\":"
				  "\"%s\","
				  "\"epoch_event\":\"%s\",\"wraps\":[\"%s\"]}",
				  w->thread, w2, e64, w1),
		       "conflict");
		r = corefix_ws(
			fx, &w->citizen,
			"{\"type\":\"consent.withdraw\",\"id\":\"w2\",\"thread\":\"%s\",\"event\":\"%s\","
			"\"epoch_event\":\"%s\",\"wraps\":[\"%s\"]}",
			w->thread, cev, e64, w1);
		assert_string_equal(corefix_code(r), "ok");
		assert_false(json_is_null(json_object_get(json_object_get(r, "consent"), "withdrawn")));
		json_decref(r);
		free(e64);
		free(w1);
		free(w2);
		free(cev);
	}
	/* The connector sees the thread no more; a new consent is possible again. */
	expect(corefix_ws(fx, &w->connector, "{\"type\":\"thread.keys\",\"id\":\"k5\",\"thread\":\"%s\"}",
			  w->thread),
	       "not_found");
	r = corefix_ws(fx, &w->citizen, "{\"type\":\"thread.get\",\"id\":\"g11\",\"thread\":\"%s\"}",
		       w->thread);
	assert_true(json_is_true(json_object_get(json_object_get(r, "summary"), "handed_over")));
	json_decref(r);
}

/* An export order lets the connector read the citizen's threads until export.done closes it. */
static void test_export_order(void **state)
{
	struct world *w = *state;
	struct store_export_order o = { .created = fx->now };
	int64_t before;
	json_t *r;

	login_ok(w);
	expect(corefix_ws(fx, &w->connector, "{\"type\":\"thread.get\",\"id\":\"e0\",\"thread\":\"%s\"}",
			  w->other),
	       "not_found");
	snprintf(o.id, sizeof o.id, "%032x", 7);
	snprintf(o.citizen_id, sizeof o.citizen_id, "%s", w->citizen.user_id);
	snprintf(o.recipient, sizeof o.recipient, "The citizen");
	snprintf(o.basis, sizeof o.basis, "GDPR 15");
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->consent->order_put(fx->st, &o), STORE_OK);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	r = corefix_ws(fx, &w->connector, "{\"type\":\"export.pending\",\"id\":\"e1\"}");
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(
		json_array_size(json_object_get(json_array_get(json_object_get(r, "orders"), 0), "threads")),
		2);
	json_decref(r);
	expect(corefix_ws(fx, &w->connector, "{\"type\":\"thread.get\",\"id\":\"e2\",\"thread\":\"%s\"}",
			  w->other),
	       "ok");
	before = disclosures();
	expect(corefix_ws(fx, &w->connector,
			  "{\"type\":\"export.done\",\"id\":\"e3\",\"order\":\"%s\",\"digest\":\"%064d\","
			  "\"files\":2}",
			  o.id, 0),
	       "ok");
	assert_int_equal(disclosures(), before + 1);
	expect(corefix_ws(fx, &w->connector,
			  "{\"type\":\"export.done\",\"id\":\"e4\",\"order\":\"%s\",\"digest\":\"%064d\","
			  "\"files\":2}",
			  o.id, 0),
	       "conflict");
	expect(corefix_ws(fx, &w->connector, "{\"type\":\"thread.get\",\"id\":\"e5\",\"thread\":\"%s\"}",
			  w->other),
	       "not_found");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consent_handover_withdraw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_order, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
