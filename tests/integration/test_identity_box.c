/*
 * test_identity_box.c - the citizen's identity sealed to the unit, against the real adviced
 * with the demo's keys: a citizen logs in with an ID token that names the person (given and
 * family name, as the test bank issues them) and opens a thread; anna, a worker of the
 * thread's unit, gets the identity box with thread.identity and opens it with libadvice and
 * her unit's seed to the person's name and identity code; ben, of another unit, is refused
 * as for a thread that does not exist; the access log holds anna's identity.read. Neither
 * the name nor the identity code is in any file of the data folder (database, WAL, log) in
 * any form the scanner knows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "advice.h"
#include "advice_crypto.h"
#include "harness.h"
#include "itest.h"

#define HETU   "010594Y9032"
#define GIVEN  "Aino"
#define FAMILY "Testinen"
#define NAME   GIVEN " " FAMILY

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

/* A citizen logged in with a token that names the person, as a WebSocket connection. */
static struct advice_conn *named_citizen(struct harness *h)
{
	const char *args[] = { "dev-token", HETU, "--given", GIVEN, "--family", FAMILY, NULL };
	char *token = NULL, *session = NULL;
	struct advice_conn *k;
	size_t n;

	assert_int_equal(harness_ctl(h, args, &token), 0);
	assert_non_null(token);
	n = strlen(token);
	while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == ' '))
		token[--n] = '\0';
	assert_int_equal(
		advice_login_citizen(h->client, h->base_url, h->origin, token, &session, HARNESS_TIMEOUT_MS),
		0);
	sodium_memzero(token, n);
	free(token);
	k = harness_connect(h, session);
	assert_non_null(k);
	free(session);
	return k;
}

/* Opens the identity box of a thread.identity reply with one of the worker's generations. */
static void open_identity(json_t *reply, const char *thread, const struct itest_worker *w,
			  struct advice_identity *id)
{
	json_t *b = json_array_get(json_object_get(reply, "boxes"), 0);
	const char *s = json_string_value(json_object_get(b, "box"));
	uint8_t box[ADVICE_IDENTITY_BOX_BYTES + 1], tid[16], uid[16];
	struct advice_identity_box_hdr h;
	size_t len = 0, i;

	assert_int_equal(json_array_size(json_object_get(reply, "boxes")), 1);
	assert_non_null(s);
	assert_int_equal(sodium_base642bin(box, sizeof box, s, strlen(s), NULL, &len, NULL,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
			 0);
	assert_int_equal(advice_identity_box_parse(box, len, &h), 0);
	assert_int_equal(h.generation, json_integer_value(json_object_get(b, "generation")));
	assert_int_equal(advice_unhex(tid, 16, thread), 0);
	assert_int_equal(advice_unhex(uid, 16, json_string_value(json_object_get(b, "unit"))), 0);
	/* The worker picks the generation the box names, whichever of her seeds that is. */
	for (i = 0; i < w->ngens; i++)
		if (advice_identity_box_open(id, box, len, tid, uid, &w->gens[i]) == 0)
			break;
	assert_true(i < w->ngens);
}

/* Access-log rows with `action` and outcome ok on thread `thread` by the worker `username`
 * (NULL: by anyone), read from the database. */
static int audit_rows(struct harness *h, const char *username, const char *action, const char *thread)
{
	char path[400], object[48];
	sqlite3_stmt *q;
	sqlite3 *db;
	int n = -1;

	snprintf(path, sizeof path, "%s/advice.db", h->dir);
	snprintf(object, sizeof object, "thread:%s", thread);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(db,
				   "SELECT count(*) FROM access_log WHERE action = ?1 AND object = ?2"
				   " AND outcome = 'ok' AND (?3 IS NULL OR user_id ="
				   " (SELECT user_id FROM workers WHERE username = ?3))",
				   -1, &q, NULL),
		SQLITE_OK);
	sqlite3_bind_text(q, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, object, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, username, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void test_unit_worker_opens_the_identity(void **state)
{
	struct itest_e2e *t = *state;
	struct advice_keys id = { 0 }, dev;
	struct itest_needles *nd = itest_needles_new();
	struct advice_conn *cit, *anna, *ben;
	struct advice_identity person;
	struct itest_worker wa;
	char thread[33];
	uint8_t tkey[32], share[32], id_seed[32];
	int files = 0;
	json_t *r;

	cit = named_citizen(&t->h);
	itest_device_new(cit, &id, id_seed, &dev, "dev1");
	itest_citizen_open(t, cit, &id, &dev, "t1", "Kysymys", thread, tkey, share);

	anna = itest_worker(&t->h, "anna");
	itest_worker_keys(t, anna, "anna-demo", &wa);
	r = itest_request(anna, "ok", "{\"type\":\"thread.identity\",\"id\":\"i1\",\"thread\":\"%s\"}",
			  thread);
	assert_string_equal(itest_str(r, "thread"), thread);
	open_identity(r, thread, &wa, &person);
	assert_string_equal(person.name, NAME);
	assert_string_equal(person.hetu, HETU);
	assert_true(person.verified_at > 0);
	advice_wipe(&person, sizeof person);
	json_decref(r);

	/* Another unit's worker: as for a thread that does not exist. The citizen: forbidden. */
	ben = itest_worker(&t->h, "ben");
	json_decref(itest_request(ben, "not_found",
				  "{\"type\":\"thread.identity\",\"id\":\"i2\",\"thread\":\"%s\"}", thread));
	json_decref(itest_request(cit, "forbidden",
				  "{\"type\":\"thread.identity\",\"id\":\"i3\",\"thread\":\"%s\"}", thread));

	advice_conn_free(cit);
	advice_conn_free(anna);
	advice_conn_free(ben);
	/* The access log has anna's read, and no other. */
	assert_int_equal(audit_rows(&t->h, "anna", "identity.read", thread), 1);
	assert_int_equal(audit_rows(&t->h, NULL, "identity.read", thread), 1);

	/* Neither the name nor the code in any form in any file the server writes. */
	itest_needles_add_secret(nd, "identity code", HETU, NULL);
	itest_needles_add_secret(nd, "name", NAME, NULL);
	itest_needles_add_secret(nd, "family name", FAMILY, NULL);
	itest_scan_self_test(nd);
	assert_int_equal(itest_scan_dir(t->h.dir, nd, &files), 0);
	assert_true(files >= 4);
	assert_int_equal(harness_restart(&t->h), 0);
	assert_int_equal(itest_scan_dir(t->h.dir, nd, NULL), 0);
	free(nd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unit_worker_opens_the_identity, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
