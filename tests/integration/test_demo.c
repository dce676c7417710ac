/*
 * test_demo.c - the demo is real: a data folder made by `advicectl init --demo --test-mode`
 * (what deploy/dev/run.sh serves) runs with require_envelopes on, like production, and holds
 * the whole key hierarchy. Through libadvice only, with nothing but the demo root public key
 * the folder publishes (root.pub) pinned: a citizen (a development token) opens a thread with
 * a real envelope to the demo unit's key, verified to that root; anna logs in with her demo
 * password and the demo second factor, opens her bundle and the unit seed, reads the question
 * and answers; the citizen verifies the answer back to the demo root. The unit's log checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice.h"
#include "advice_crypto.h"
#include "advice_thread.h"
#include "harness.h"
#include "itest.h"

#define CITIZEN	 "010594Y9032"
#define QUESTION "How do I apply for income support?"
#define ANSWER	 "Fill in the form on the municipality's page; I can help you with it."
#define MAX_ULOG 8

static uint64_t now_ms(void)
{
	return (uint64_t)time(NULL) * 1000;
}

/* Envelopes are required: a body that is no envelope is refused. */
static void test_envelopes_required(void **state)
{
	struct itest_e2e *e = *state;
	struct advice_conn *cit = itest_citizen(&e->h, CITIZEN);

	json_decref(
		itest_request(cit, "bad_request",
			      "{\"type\":\"thread.open\",\"id\":\"plain\",\"category\":\"adult-social-work\","
			      "\"body\":\"cXVlc3Rpb24\"}"));
	advice_conn_free(cit);
}

/* The unit's key as keys.unit serves it: its log checks against the demo admin, chained to the
 * pinned root, names the current generation and is fresh for weeks. */
static void test_unit_log_checks(void **state)
{
	struct itest_e2e *e = *state;
	struct advice_conn *cit = itest_citizen(&e->h, CITIZEN);
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	struct advice_ulog_state st;
	uint8_t admin_pk[1][32], unit[16], *entries[MAX_ULOG], *last;
	size_t lens[MAX_ULOG], n = 0, i, len = 0;
	json_t *served = NULL, *x, *gens;

	assert_non_null(ev);
	assert_int_equal(itest_unit_key(e->root_pk, cit, "adult-social-work", ev, &served), 0);
	assert_int_equal(ev->generation, 1);
	assert_int_equal(ev->n_members, 2); /* anna and sara */
	assert_int_equal(itest_admin_key(e->root_pk, json_object_get(served, "certs"), admin_pk[0]), 0);
	json_array_foreach (json_object_get(served, "log"), i, x)
		if (n < MAX_ULOG) {
			entries[n] = itest_unb64(x, &lens[n]);
			n++;
		}
	assert_int_equal(n, 2); /* generation 1 and its renewal */
	gens = json_object_get(served, "generations");
	last = itest_unb64(json_object_get(json_array_get(gens, json_array_size(gens) - 1), "event"), &len);
	assert_int_equal(advice_unhex(unit, 16, itest_str(served, "unit")), 0);
	assert_int_equal(advice_ulog_check(&st, unit, (const uint8_t *const *)entries, lens, n, admin_pk, 1,
					   NULL, last, len, now_ms()),
			 0);
	assert_int_equal(st.generation, 1);
	assert_true(st.valid_until > now_ms() + 80ULL * 24 * 3600 * 1000);
	for (i = 0; i < n; i++)
		free(entries[i]);
	free(last);
	free(ev);
	json_decref(served);
	advice_conn_free(cit);
}

/* The demo's question and answer, end to end, as a citizen's and a worker's client do it. */
static void test_question_and_verified_answer(void **state)
{
	struct itest_e2e *e = *state;
	struct advice_conn *cit, *anna;
	struct advice_keys id = { 0 }, dev;
	struct itest_worker wa;
	struct itest_reader ra, rc;
	uint8_t tkey[32], share[32], got[32], s2[32], cpk[32], pks[4][32];
	char thread[33], *body, *text;
	int verdicts[4];
	json_t *r;

	/* The citizen: an identity and a device certified by it, the unit's key verified to the
	 * pinned demo root, an envelope. */
	cit = itest_citizen(&e->h, CITIZEN);
	itest_device_new(cit, &id, NULL, &dev, "dev1");
	itest_citizen_open(e, cit, &id, &dev, "t1", QUESTION, thread, tkey, share);

	/* anna: password and second factor, her bundle, the unit seed, the thread key. */
	anna = itest_worker(&e->h, "anna");
	itest_worker_keys(e, anna, "anna-demo", &wa);
	assert_int_equal(itest_worker_thread_key(e, anna, &wa, thread, got, s2, cpk), 0);
	assert_memory_equal(got, tkey, 32);
	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.claim\",\"id\":\"c1\",\"thread\":\"%s\"}",
				  thread));
	itest_reader_init(&ra, e->root_pk, thread);
	r = itest_request(anna, "ok", "{\"type\":\"thread.keys\",\"id\":\"k1\",\"thread\":\"%s\"}", thread);
	itest_reader_keys(&ra, r);
	json_decref(r);
	r = itest_request(anna, "ok", "{\"type\":\"thread.read\",\"id\":\"r1\",\"thread\":\"%s\"}", thread);
	assert_int_equal(itest_reader_feed(&ra, r, verdicts, pks, 4), 1);
	assert_int_equal(verdicts[0], ADVICE_THREAD_OK);
	assert_memory_equal(pks[0], dev.sign_pk, 32);
	text = itest_envelope_text(json_object_get(json_array_get(json_object_get(r, "messages"), 0), "body"),
				   thread, got, s2, pks[0]);
	assert_non_null(text);
	assert_string_equal(text, QUESTION);
	free(text);
	json_decref(r);
	body = itest_envelope_after(ra.order, thread, got, s2, &wa.me, ANSWER);
	itest_reader_free(&ra);
	json_decref(itest_request(
		anna, "ok", "{\"type\":\"message.send\",\"id\":\"m1\",\"thread\":\"%s\",\"body\":\"%s\"}",
		thread, body));
	free(body);

	/* The citizen verifies the answer: anna's certificate, her admin's, the pinned demo root. */
	itest_reader_init(&rc, e->root_pk, thread);
	r = itest_request(cit, "ok", "{\"type\":\"thread.keys\",\"id\":\"k2\",\"thread\":\"%s\"}", thread);
	itest_reader_keys(&rc, r);
	json_decref(r);
	r = itest_request(cit, "ok", "{\"type\":\"thread.read\",\"id\":\"r2\",\"thread\":\"%s\"}", thread);
	assert_int_equal(itest_reader_feed(&rc, r, verdicts, pks, 4), 2);
	assert_int_equal(verdicts[0], ADVICE_THREAD_OK);
	assert_int_equal(verdicts[1], ADVICE_THREAD_OK);
	assert_memory_equal(pks[1], wa.me.sign_pk, 32);
	text = itest_envelope_text(json_object_get(json_array_get(json_object_get(r, "messages"), 1), "body"),
				   thread, tkey, share, pks[1]);
	assert_non_null(text);
	assert_string_equal(text, ANSWER);
	free(text);
	json_decref(r);
	itest_reader_free(&rc);
	advice_conn_free(anna);
	advice_conn_free(cit);
}

/* One adviced on a folder exactly as `advicectl init --demo --test-mode` makes it. */
static int setup(void **state)
{
	struct itest_e2e *e = calloc(1, sizeof *e);

	if (e == NULL || advice_crypto_init() != 0)
		return -1;
	if (harness_start_demo(&e->h) != 0) {
		harness_stop(&e->h);
		free(e);
		return -1;
	}
	snprintf(e->root_file, sizeof e->root_file, "%s/secrets/demo-root.key", e->h.dir);
	snprintf(e->admin_file, sizeof e->admin_file, "%s/secrets/demo-admin.key", e->h.dir);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct itest_e2e *e = *state;
	int rc = harness_stop(&e->h);

	free(e);
	return rc;
}

/* The root public key is read in the first test, with cmocka's checks. */
static void test_root_pinned_from_folder(void **state)
{
	struct itest_e2e *e = *state;

	itest_demo_root_pk(e->h.dir, e->root_pk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_pinned_from_folder),
		cmocka_unit_test(test_envelopes_required),
		cmocka_unit_test(test_unit_log_checks),
		cmocka_unit_test(test_question_and_verified_answer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
