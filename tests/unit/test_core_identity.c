/*
 * test_core_identity.c - the citizen's identity sealed to the unit (core_identity.c) on a real
 * store: a bank login keeps the name and identity code only sealed in the session; thread.open
 * seals an identity box to the unit's current key generation, which staff of the unit get with
 * thread.identity (logged before the reply) and open to the person, while staff of another
 * unit and the citizen are refused; a unit without a key generation gets no box; a move to
 * another unit needs the box re-sealed for that unit's current generation; shredding deletes
 * the boxes; logout clears the session's copy; the database file never holds the name or code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "advice_crypto.h"
#include "corefix.h"
#include "testutil.h"

#define NAME "Aino Testinen"
#define HETU "010594Y9032"

struct world {
	struct corefix *fx;
	struct advice_keys adult, family; /* generation 1 of each unit (family: when added) */
	struct who citizen, anna, ben, sara;
	char thread[STORE_ID_SIZE];
};

/* Generation g of unit, with a fresh seed (its keys in *k), signed by a throwaway admin key. */
static void put_generation(struct corefix *fx, const char *unit, uint32_t g, struct advice_keys *k)
{
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	uint8_t event[ADVICE_UNIT_EVENT_MAX_BYTES], seed[32], kid[16];
	struct advice_keys admin;
	size_t len = 0;

	assert_non_null(ev);
	advice_random(seed, 32);
	assert_int_equal(advice_keys_personal(&admin, seed), 0);
	advice_random(seed, 32);
	assert_int_equal(advice_keys_unit(k, NULL, seed), 0);
	advice_unhex(ev->unit_id, 16, unit);
	ev->generation = g;
	memcpy(ev->box_pk, k->box_pk, 32);
	memcpy(ev->sign_pk, k->sign_pk, 32);
	ev->created_at = (uint64_t)fx->now;
	assert_int_equal(advice_unit_event_sign(event, sizeof event, &len, ev, &admin), 0);
	advice_kid(kid, k->box_pk);
	assert_int_equal(fx->st->ops->keys->unit_gen_put(fx->st, unit, g, kid, event, len, NULL, 0, fx->now),
			 STORE_OK);
	free(ev);
}

/* A bank login as net_oidc.c hands it to the core (name may be NULL: no name claims). */
static void bank_login(struct corefix *fx, const char *hetu, const char *name, struct who *out)
{
	char body[512], login[65];
	uint8_t raw[32];
	struct core_reply *rep;
	json_t *j = NULL;
	int rc;

	advice_random(raw, sizeof raw);
	advice_hex(login, raw, sizeof raw);
	snprintf(body, sizeof body,
		 "{\"login\":\"%s\",\"hetu\":\"%s\",\"acr\":\"http://ftn.ficora.fi/2017/loatest2\"%s%s%s}",
		 login, hetu, name ? ",\"name\":\"" : "", name ? name : "", name ? "\"" : "");
	rep = corefix_call(fx, CORE_REQ_LOGIN_BANK, NULL, body, &rc, &j);
	assert_int_equal(rc, 0);
	assert_string_equal(corefix_code(j), "ok");
	snprintf(out->token, sizeof out->token, "%s", rep->session_token);
	core_session_hash(fx->cc.pepper, out->token, strlen(out->token), out->hash);
	snprintf(out->user_id, sizeof out->user_id, "%s", json_string_value(json_object_get(j, "user")));
	json_decref(j);
	core_reply_free(rep);
}

static void open_thread(struct corefix *fx, const struct who *c, const char *category,
			char thread[STORE_ID_SIZE])
{
	static int n;
	json_t *r = corefix_ws(
		fx, c, "{\"type\":\"thread.open\",\"id\":\"o%d\",\"category\":\"%s\",\"body\":\"AAAA\"}", ++n,
		category);

	assert_string_equal(corefix_code(r), "ok");
	snprintf(thread, STORE_ID_SIZE, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
}

static json_t *identity(struct corefix *fx, const struct who *w, const char *thread)
{
	return corefix_ws(fx, w, "{\"type\":\"thread.identity\",\"id\":\"i\",\"thread\":\"%s\"}", thread);
}

/* Opens box i of a thread.identity reply for unit with k; fills id. */
static int open_box(json_t *r, size_t i, const char *thread, const char *unit, const struct advice_keys *k,
		    struct advice_identity *id)
{
	json_t *b = json_array_get(json_object_get(r, "boxes"), i);
	const char *s = json_string_value(json_object_get(b, "box"));
	uint8_t box[ADVICE_IDENTITY_BOX_BYTES + 1], tid[16], uid[16];
	size_t len = 0;

	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(b, "unit")), unit);
	assert_int_equal(sodium_base642bin(box, sizeof box, s, strlen(s), NULL, &len, NULL,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
			 0);
	advice_unhex(tid, 16, thread);
	advice_unhex(uid, 16, unit);
	return advice_identity_box_open(id, box, len, tid, uid, k);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);

	assert_non_null(w);
	assert_int_equal(corefix_setup((void **)&w->fx), 0);
	put_generation(w->fx, w->fx->unit_adult, 1, &w->adult);
	bank_login(w->fx, HETU, NAME, &w->citizen);
	corefix_login_worker(w->fx, "anna", &w->anna);
	corefix_login_worker(w->fx, "ben", &w->ben);
	corefix_login_worker(w->fx, "sara", &w->sara);
	open_thread(w->fx, &w->citizen, "adult-social-work", w->thread);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	corefix_teardown((void **)&w->fx);
	free(w);
	return 0;
}

static void test_unit_staff_read_the_box(void **state)
{
	struct world *w = *state;
	struct advice_identity id;
	struct store_audit last;
	int64_t rows = corefix_audit_rows(w->fx, NULL);
	json_t *r = identity(w->fx, &w->anna, w->thread);

	assert_string_equal(corefix_code(r), "ok");
	assert_string_equal(json_string_value(json_object_get(r, "thread")), w->thread);
	assert_int_equal(json_array_size(json_object_get(r, "boxes")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r, "boxes"), 0),
							    "generation")),
			 1);
	assert_int_equal(open_box(r, 0, w->thread, w->fx->unit_adult, &w->adult, &id), 0);
	assert_string_equal(id.name, NAME);
	assert_string_equal(id.hetu, HETU);
	assert_true(id.verified_at > 0 && (int64_t)id.verified_at <= w->fx->now);
	json_decref(r);
	/* The access log has the read. */
	assert_int_equal(corefix_audit_rows(w->fx, &last), rows + 1);
	assert_string_equal(last.action, "identity.read");
	assert_string_equal(last.outcome, "ok");
	assert_string_equal(last.user_id, w->anna.user_id);
	/* Staff of another unit do not see the thread; the citizen may not ask. */
	r = identity(w->fx, &w->ben, w->thread);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	r = identity(w->fx, &w->citizen, w->thread);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
}

static void test_no_generation_no_box(void **state)
{
	struct world *w = *state;
	char thread[STORE_ID_SIZE];
	struct who plain;
	json_t *r;

	/* The family unit has no key generation: nothing is sealed, nothing stored. */
	open_thread(w->fx, &w->citizen, "children-and-families", thread);
	r = identity(w->fx, &w->ben, thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "boxes")), 0);
	json_decref(r);
	/* A login without a name keeps nothing: its thread has no box either. */
	bank_login(w->fx, "020594X903P", NULL, &plain);
	open_thread(w->fx, &plain, "adult-social-work", thread);
	r = identity(w->fx, &w->anna, thread);
	assert_int_equal(json_array_size(json_object_get(r, "boxes")), 0);
	json_decref(r);
}

static json_t *reassign(struct corefix *fx, const struct who *w, const char *thread, const char *identity_b64)
{
	static int n;

	return corefix_ws(fx, w,
			  "{\"type\":\"thread.reassign\",\"id\":\"r%d\",\"thread\":\"%s\","
			  "\"to_category\":\"children-and-families\",\"reason\":\"family matter\"%s%s%s}",
			  ++n, thread, identity_b64 ? ",\"identity\":\"" : "",
			  identity_b64 ? identity_b64 : "", identity_b64 ? "\"" : "");
}

/* A box of thread for unit and generation g sealed to pk, as base64url (caller frees). */
static char *box_b64(const char *thread, const char *unit, uint32_t g, const uint8_t pk[32])
{
	struct advice_identity_box_hdr h = { .generation = g };
	uint8_t box[ADVICE_IDENTITY_BOX_BYTES], eph[32], nonce[24];
	size_t n = sodium_base64_encoded_len(sizeof box, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = malloc(n);

	advice_unhex(h.thread_id, 16, thread);
	advice_unhex(h.unit_id, 16, unit);
	advice_random(eph, 32);
	advice_random(nonce, 24);
	assert_int_equal(advice_identity_box_seal(box, &h, NAME, HETU, 1, pk, eph, nonce), 0);
	sodium_bin2base64(s, n, box, sizeof box, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

static void test_reassign_needs_the_resealed_box(void **state)
{
	struct world *w = *state;
	struct advice_identity id;
	char *wrong_unit, *wrong_gen, *right;
	json_t *r;

	put_generation(w->fx, w->fx->unit_family, 1, &w->family);
	wrong_unit = box_b64(w->thread, w->fx->unit_adult, 1, w->family.box_pk);
	wrong_gen = box_b64(w->thread, w->fx->unit_family, 2, w->family.box_pk);
	right = box_b64(w->thread, w->fx->unit_family, 1, w->family.box_pk);
	/* Missing, for another unit, for a generation that is not the current one, not a box. */
	r = reassign(w->fx, &w->sara, w->thread, NULL);
	assert_string_equal(corefix_code(r), "bad_request");
	assert_string_equal(json_string_value(json_object_get(r, "field")), "/identity");
	json_decref(r);
	r = reassign(w->fx, &w->sara, w->thread, wrong_unit);
	assert_string_equal(json_string_value(json_object_get(r, "field")), "/identity");
	json_decref(r);
	r = reassign(w->fx, &w->sara, w->thread, wrong_gen);
	assert_string_equal(json_string_value(json_object_get(r, "field")), "/identity");
	json_decref(r);
	r = reassign(w->fx, &w->sara, w->thread, "AAAA");
	assert_string_equal(json_string_value(json_object_get(r, "field")), "/identity");
	json_decref(r);
	/* The thread did not move. */
	r = identity(w->fx, &w->ben, w->thread);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	/* Re-sealed for the family unit's generation 1: moved, and ben reads it there. */
	r = reassign(w->fx, &w->sara, w->thread, right);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	r = identity(w->fx, &w->ben, w->thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "boxes")), 1);
	assert_int_equal(open_box(r, 0, w->thread, w->fx->unit_family, &w->family, &id), 0);
	assert_string_equal(id.name, NAME);
	json_decref(r);
	free(wrong_unit);
	free(wrong_gen);
	free(right);
}

static void test_shred_deletes_boxes(void **state)
{
	struct world *w = *state;
	int64_t n = -1;

	assert_int_equal(w->fx->st->ops->idbox->count(w->fx->st, w->thread, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(w->fx->st->ops->keys->share_shred(w->fx->st, w->thread, w->fx->now), STORE_OK);
	assert_int_equal(w->fx->st->ops->idbox->count(w->fx->st, w->thread, &n), STORE_OK);
	assert_int_equal(n, 0);
}

/* Counts sessions rows that still hold an identity (the database read directly). */
static int sessions_with_identity(struct corefix *fx)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	int n = -1;

	assert_int_equal(sqlite3_open_v2(fx->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sessions WHERE identity IS NOT NULL",
					    -1, &q, NULL),
			 SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* 1 when the file at path holds the bytes of s. */
static int file_holds(const char *path, const char *s)
{
	size_t len = 0;
	char *data = testutil_read_file(path, &len);
	int found = 0;

	if (data == NULL)
		return 0;
	for (size_t i = 0; !found && i + strlen(s) <= len; i++)
		found = memcmp(data + i, s, strlen(s)) == 0;
	free(data);
	return found;
}

static void test_logout_clears_and_nothing_in_clear(void **state)
{
	struct world *w = *state;
	char path[400];
	json_t *r;

	assert_int_equal(sessions_with_identity(w->fx), 1);
	/* Neither the database nor its write-ahead log holds the name or the code. */
	assert_false(file_holds(w->fx->db, NAME));
	assert_false(file_holds(w->fx->db, HETU));
	snprintf(path, sizeof path, "%s-wal", w->fx->db);
	assert_false(file_holds(path, NAME));
	assert_false(file_holds(path, HETU));
	r = corefix_ws(w->fx, &w->citizen, "{\"type\":\"session.logout\",\"id\":\"l\"}");
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	assert_int_equal(sessions_with_identity(w->fx), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unit_staff_read_the_box, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_generation_no_box, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reassign_needs_the_resealed_box, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shred_deletes_boxes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logout_clears_and_nothing_in_clear, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
