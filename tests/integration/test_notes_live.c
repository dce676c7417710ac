/*
 * test_notes_live.c - internal notes and canned answers against the real adviced, with the
 * demo's keys (envelopes required): anna seals a note to the adult unit's current generation
 * and signs it, sara (supervisor) lists it, checks its author among the certificates and opens
 * it, and hears of it by an event without its content; a note signed by a key not hers is
 * refused; the citizen gets no note (refused, and no event names it); sara keeps a canned
 * answer in Swedish, which anna lists and opens; and neither text is in any file of the data
 * folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice.h"
#include "advice_crypto.h"
#include "harness.h"
#include "itest.h"

#define CITIZEN	    "010594Y9032"
#define CANARY_NOTE "CANARY-note-3f81: asiakas lupasi soittaa maanantaina"
#define CANARY_CANNED                                                                                        \
	"{\"lang\":\"sv\",\"title\":\"Bilagor\",\"text\":\"CANARY-canned-77d2: skicka kontoutdragen\"}"

static int setup(void **state)
{
	struct itest_e2e *t = calloc(1, sizeof *t);

	assert_non_null(t);
	itest_e2e_start(t);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct itest_e2e *t = *state;
	int rc = harness_stop(&t->h);

	free(t);
	return rc;
}

/* A unit text of `text` sealed to the generation `ev`, base64url (malloc'd). */
static char *seal(uint8_t kind, const struct advice_unit_event *ev, const char *scope_hex, const char *text,
		  const struct advice_keys *author)
{
	static uint8_t obj[ADVICE_UNIT_TEXT_MAX_BYTES];
	struct advice_unit_text_info t = { .kind = kind,
					   .generation = ev->generation,
					   .created = 1770000000000ULL };
	uint8_t eph[32];
	size_t n = 0;

	memcpy(t.unit_id, ev->unit_id, 16);
	assert_int_equal(advice_unhex(t.scope_id, 16, scope_hex), 0);
	advice_random(eph, 32);
	assert_int_equal(advice_unit_text_seal(obj, sizeof obj, &n, &t, (const uint8_t *)text, strlen(text),
					       ev->box_pk, eph, author),
			 0);
	return itest_b64(obj, n);
}

/* The generation keys among w's that the event names. */
static const struct advice_keys *gen_of(const struct itest_worker *w, const struct advice_unit_event *ev)
{
	for (size_t i = 0; i < w->ngens; i++)
		if (memcmp(w->gens[i].box_pk, ev->box_pk, 32) == 0)
			return &w->gens[i];
	fail_msg("the worker holds no key of generation %u", (unsigned)ev->generation);
	return NULL;
}

/* The signing key of the certificate in `certs` whose kid the unit text's author names. */
static void author_pk(json_t *certs, const uint8_t *obj, size_t len, uint8_t pk[32])
{
	struct advice_unit_text_info info;
	uint8_t kid[16];
	json_t *c;
	size_t i;

	assert_int_equal(advice_unit_text_parse(obj, len, &info), 0);
	json_array_foreach (certs, i, c) {
		uint8_t cert[ADVICE_CERT_BYTES];
		struct advice_cert parsed;

		itest_unb64_fixed(c, cert, sizeof cert);
		assert_int_equal(advice_cert_parse(cert, sizeof cert, &parsed), 0);
		advice_kid(kid, parsed.sign_pk);
		if (memcmp(kid, info.author_kid, 16) == 0) {
			memcpy(pk, parsed.sign_pk, 32);
			return;
		}
	}
	fail_msg("no certificate of the author");
}

/* Opens the unit text `box` (base64url) expected of kind, unit and scope, into a string. */
static char *open_text(json_t *box, uint8_t kind, const struct advice_unit_event *ev, const char *scope_hex,
		       const struct advice_keys *gen, json_t *certs)
{
	uint8_t scope[16], pk[32], *obj, text[ADVICE_UNIT_TEXT_MAX_PLAIN + 1];
	size_t len = 0, n = 0;

	obj = itest_unb64(box, &len);
	author_pk(certs, obj, len, pk);
	assert_int_equal(advice_unhex(scope, 16, scope_hex), 0);
	assert_int_equal(
		advice_unit_text_open(text, sizeof text, &n, obj, len, kind, ev->unit_id, scope, gen, pk), 0);
	free(obj);
	text[n] = '\0';
	return strdup((char *)text);
}

/* Whether any message queued on k within timeout_ms holds `needle`. */
static int heard(struct advice_conn *k, const char *needle, int timeout_ms)
{
	char *m = NULL;
	int found = 0;

	while (!found && advice_next_message(k, &m, timeout_ms) == 0) {
		found = strstr(m, needle) != NULL;
		if (found && strstr(m, "\"note.new\"") != NULL)
			assert_null(strstr(m, "\"box\""));
		free(m);
	}
	return found;
}

static void test_notes_and_canned_live(void **state)
{
	struct itest_e2e *t = *state;
	struct advice_keys id = { 0 }, dev, stranger;
	struct advice_unit_event ev;
	struct itest_worker wa, ws;
	struct advice_conn *cit, *anna, *sara;
	struct itest_needles *nd = itest_needles_new();
	const char *answer = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";
	char thread[33], note[33], unit[33], *box, *text;
	uint8_t tkey[32], share[32], seed[32];
	json_t *r, *entry;

	cit = itest_citizen(&t->h, CITIZEN);
	itest_device_new(cit, &id, NULL, &dev, "dev1");
	itest_citizen_open(t, cit, &id, &dev, "t1", "kysymys", thread, tkey, share);
	anna = itest_worker(&t->h, "anna");
	sara = itest_worker(&t->h, "sara");
	itest_worker_keys(t, anna, "anna-demo", &wa);
	itest_worker_keys(t, sara, "sara-demo", &ws);
	assert_int_equal(itest_unit_key(t->root_pk, anna, "adult-social-work", &ev, NULL), 0);

	/* A note signed by a key that is not one of anna's certified keys: refused. */
	advice_random(seed, sizeof seed);
	assert_int_equal(advice_keys_personal(&stranger, seed), 0);
	box = seal(ADVICE_UNIT_TEXT_NOTE, &ev, thread, CANARY_NOTE, &stranger);
	json_decref(itest_request(anna, "forbidden",
				  "{\"type\":\"note.add\",\"id\":\"n0\",\"thread\":\"%s\",\"note\":\"%s\"}",
				  thread, box));
	free(box);
	/* anna's note; sara hears of it without its content, lists it and opens it. */
	box = seal(ADVICE_UNIT_TEXT_NOTE, &ev, thread, CANARY_NOTE, &wa.me);
	r = itest_request(anna, "ok",
			  "{\"type\":\"note.add\",\"id\":\"n1\",\"thread\":\"%s\",\"note\":\"%s\"}", thread,
			  box);
	free(box);
	snprintf(note, sizeof note, "%s", itest_str(r, "note"));
	json_decref(r);
	assert_true(heard(sara, note, 5000));
	r = itest_request(sara, "ok", "{\"type\":\"note.list\",\"id\":\"l1\",\"thread\":\"%s\"}", thread);
	assert_int_equal(json_array_size(json_object_get(r, "notes")), 1);
	entry = json_array_get(json_object_get(r, "notes"), 0);
	assert_string_equal(itest_str(entry, "note"), note);
	text = open_text(json_object_get(entry, "box"), ADVICE_UNIT_TEXT_NOTE, &ev, thread, gen_of(&ws, &ev),
			 json_object_get(r, "certs"));
	assert_string_equal(text, CANARY_NOTE);
	free(text);
	json_decref(r);
	/* The citizen: no note, and no event naming it. */
	json_decref(itest_request(cit, "forbidden",
				  "{\"type\":\"note.list\",\"id\":\"l2\",\"thread\":\"%s\"}", thread));
	assert_false(heard(cit, note, 300));

	/* sara's canned answer in Swedish, listed and opened by anna. */
	box = seal(ADVICE_UNIT_TEXT_CANNED, &ev, answer, CANARY_CANNED, &ws.me);
	advice_hex(unit, ev.unit_id, sizeof ev.unit_id);
	json_decref(itest_request(
		sara, "ok",
		"{\"type\":\"canned.put\",\"id\":\"p1\",\"unit\":\"%s\",\"answer\":\"%s\",\"box\":\"%s\"}",
		unit, answer, box));
	free(box);
	r = itest_request(anna, "ok", "{\"type\":\"canned.list\",\"id\":\"c1\"}");
	assert_int_equal(json_array_size(json_object_get(r, "answers")), 1);
	entry = json_array_get(json_object_get(r, "answers"), 0);
	text = open_text(json_object_get(entry, "box"), ADVICE_UNIT_TEXT_CANNED, &ev, answer,
			 gen_of(&wa, &ev), json_object_get(r, "certs"));
	assert_string_equal(text, CANARY_CANNED);
	free(text);
	json_decref(r);

	/* Neither text is anywhere in the data folder. */
	itest_needles_add_text(nd, "note", "CANARY-note-3f81");
	itest_needles_add_text(nd, "canned answer", "CANARY-canned-77d2");
	itest_scan_self_test(nd);
	assert_int_equal(itest_scan_dir(t->h.dir, nd, NULL), 0);
	free(nd);
	advice_conn_free(cit);
	advice_conn_free(anna);
	advice_conn_free(sara);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notes_and_canned_live, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
