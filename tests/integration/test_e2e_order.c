/*
 * test_e2e_order.c - a malicious server against the readers' thread check, on the real
 * adviced with envelopes required. The honest server refuses a message id its thread has
 * (an envelope sent again as a new message) while a resend with the same request id gets its
 * original reply. Then the server misbehaves through rows written behind its back in its
 * database, and a citizen's reader (libadvice's thread verifier, senders found through
 * thread.keys and thread.read) tells: a replayed envelope stored as a new message is
 * refused; a dropped message is a gap; two swapped messages are a gap and a late message;
 * an answer under a "worker" certificate the server made with a key of its own is refused,
 * although the server hands that certificate out with the messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "advice.h"
#include "advice_crypto.h"
#include "advice_thread.h"
#include "harness.h"
#include "itest.h"

#define CITIZEN "010594Y9032"

/* One server for the file; each test uses its own device and threads of the one citizen. */
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

/* A citizen's client: its connection, device and the thread it writes in. */
struct writer {
	struct advice_conn *k;
	struct advice_keys id, dev; /* the citizen's identity and device */
	char thread[33];
	uint8_t tkey[32], share[32];
	struct itest_reader rd;
	long last_seq;
};

/* Reads what came after w->last_seq and feeds it to w's reader: the verdicts, how many. */
static size_t read_new(struct itest_e2e *t, struct writer *w, int *verdicts, size_t max)
{
	uint8_t pks[16][32];
	json_t *r = itest_request(
		w->k, "ok",
		"{\"type\":\"thread.read\",\"id\":\"rd-%s-%ld\",\"thread\":\"%s\",\"after_seq\":%ld}",
		w->thread, w->last_seq, w->thread, w->last_seq);
	json_t *msgs = json_object_get(r, "messages");
	size_t n;

	(void)t;
	n = itest_reader_feed(&w->rd, r, verdicts, pks, max);
	if (n > 0)
		w->last_seq = (long)json_integer_value(json_object_get(json_array_get(msgs, n - 1), "seq"));
	json_decref(r);
	return n;
}

/* The citizen writes `text` as its next message (sequence and prev hash from its reader) with
 * request id rid; the reply must be `expect`. Returns the body sent (malloc'd). */
static char *write_next(struct writer *w, const char *rid, const char *text, const char *expect)
{
	char *body = itest_envelope_after(w->rd.order, w->thread, w->tkey, w->share, &w->dev, text);

	json_decref(itest_request(
		w->k, expect, "{\"type\":\"message.send\",\"id\":\"%s\",\"thread\":\"%s\",\"body\":\"%s\"}",
		rid, w->thread, body));
	return body;
}

/* A thread of three messages by the citizen, each written after reading the one before. */
static void thread_of_three(struct itest_e2e *t, struct writer *w, const char *rid)
{
	int v[4];
	json_t *r;
	char id[64];

	itest_citizen_open(t, w->k, &w->id, &w->dev, rid, "first", w->thread, w->tkey, w->share);
	itest_reader_init(&w->rd, t->root_pk, w->thread);
	w->last_seq = 0;
	r = itest_request(w->k, "ok", "{\"type\":\"thread.keys\",\"id\":\"%s-k\",\"thread\":\"%s\"}", rid,
			  w->thread);
	itest_reader_keys(&w->rd, r);
	json_decref(r);
	for (int i = 2; i <= 3; i++) {
		assert_int_equal(read_new(t, w, v, 4), 1);
		assert_int_equal(v[0], ADVICE_THREAD_OK);
		snprintf(id, sizeof id, "%s-m%d", rid, i);
		free(write_next(w, id, i == 2 ? "second" : "third", "ok"));
	}
	assert_int_equal(read_new(t, w, v, 4), 1);
	assert_int_equal(v[0], ADVICE_THREAD_OK);
	assert_true(advice_thread_complete(w->rd.order));
}

/* A fresh reader (another device of the citizen, or a reload) reads the whole thread. */
static size_t read_all(struct itest_e2e *t, struct writer *w, int *verdicts, size_t max, int *complete)
{
	struct writer fresh = *w;
	size_t n;

	itest_reader_init(&fresh.rd, t->root_pk, w->thread);
	memcpy(fresh.rd.devices, w->rd.devices, sizeof fresh.rd.devices);
	fresh.rd.ndevices = w->rd.ndevices;
	fresh.last_seq = 0;
	n = read_new(t, &fresh, verdicts, max);
	*complete = advice_thread_complete(fresh.rd.order);
	itest_reader_free(&fresh.rd);
	return n;
}

/* Runs SQL on the server's database behind its back (the server keeps running). */
static void behind_the_back(struct itest_e2e *t, const char *sql)
{
	char path[400], *err = NULL;
	sqlite3 *db;

	snprintf(path, sizeof path, "%s/advice.db", t->h.dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s (in: %.200s)", err, sql);
	sqlite3_close(db);
}

/* The server refuses an envelope again as a new message; the same request again is a resend. */
static void test_duplicate_refused_resend_kept(void **state)
{
	struct itest_e2e *t = *state;
	struct writer w = { 0 };
	char *body;
	json_t *r;

	w.k = itest_citizen(&t->h, CITIZEN);
	itest_device_new(w.k, &w.id, NULL, &w.dev, "dev-d");
	thread_of_three(t, &w, "d");
	/* The third message's body again, under a new request id: refused, nothing stored. */
	body = write_next(&w, "d-m4", "fourth", "ok");
	r = itest_request(w.k, "conflict",
			  "{\"type\":\"message.send\",\"id\":\"d-m5\",\"thread\":\"%s\",\"body\":\"%s\"}",
			  w.thread, body);
	assert_string_equal(itest_str(r, "field"), "/body");
	json_decref(r);
	/* The resend of d-m4 (say after a lost reply) gets its original reply. */
	r = itest_request(w.k, "ok",
			  "{\"type\":\"message.send\",\"id\":\"d-m4\",\"thread\":\"%s\",\"body\":\"%s\"}",
			  w.thread, body);
	assert_int_equal(itest_num(r, "seq"), 4);
	json_decref(r);
	r = itest_request(w.k, "ok", "{\"type\":\"thread.get\",\"id\":\"d-g\",\"thread\":\"%s\"}", w.thread);
	assert_int_equal(itest_num(json_object_get(r, "summary"), "last_seq"), 4);
	json_decref(r);
	free(body);
	itest_reader_free(&w.rd);
	advice_conn_free(w.k);
}

static void test_malicious_server_order(void **state)
{
	struct itest_e2e *t = *state;
	struct writer a = { 0 }, b = { 0 }, c = { 0 };
	char sql[1024];
	int v[8], complete = 0;

	a.k = itest_citizen(&t->h, CITIZEN);
	itest_device_new(a.k, &a.id, NULL, &a.dev, "dev-o");
	b.k = c.k = a.k;
	b.id = c.id = a.id;
	b.dev = c.dev = a.dev;
	thread_of_three(t, &a, "a");
	thread_of_three(t, &b, "b");
	thread_of_three(t, &c, "c");

	/* Replay: the first envelope of thread a stored again as a new message (no message id,
	 * so the index does not stop the server's own insert). */
	snprintf(sql, sizeof sql,
		 "INSERT INTO messages(thread_id, seq, sender_id, sender_role, created, body)"
		 " SELECT thread_id, 4, sender_id, sender_role, created + 1, body FROM messages"
		 " WHERE thread_id = '%s' AND seq = 1;"
		 "UPDATE threads SET last_seq = 4 WHERE id = '%s';",
		 a.thread, a.thread);
	behind_the_back(t, sql);
	assert_int_equal(read_new(t, &a, v, 8), 1); /* the reader that was up to date */
	assert_int_equal(v[0], ADVICE_THREAD_REPLAY);
	assert_int_equal(read_all(t, &a, v, 8, &complete), 4); /* a reader from scratch */
	assert_int_equal(v[0], ADVICE_THREAD_OK);
	assert_int_equal(v[2], ADVICE_THREAD_OK);
	assert_int_equal(v[3], ADVICE_THREAD_REPLAY);
	assert_true(complete);

	/* Dropping: message 2 of thread b is gone; the third names it. */
	snprintf(sql, sizeof sql, "DELETE FROM messages WHERE thread_id = '%s' AND seq = 2;", b.thread);
	behind_the_back(t, sql);
	assert_int_equal(read_all(t, &b, v, 8, &complete), 2);
	assert_int_equal(v[0], ADVICE_THREAD_OK);
	assert_int_equal(v[1], ADVICE_THREAD_GAP);
	assert_false(complete);

	/* Reordering: messages 2 and 3 of thread c swapped. */
	snprintf(sql, sizeof sql,
		 "UPDATE messages SET seq = 99 WHERE thread_id = '%s' AND seq = 2;"
		 "UPDATE messages SET seq = 2 WHERE thread_id = '%s' AND seq = 3;"
		 "UPDATE messages SET seq = 3 WHERE thread_id = '%s' AND seq = 99;",
		 c.thread, c.thread, c.thread);
	behind_the_back(t, sql);
	assert_int_equal(read_all(t, &c, v, 8, &complete), 3);
	assert_int_equal(v[0], ADVICE_THREAD_OK);
	assert_int_equal(v[1], ADVICE_THREAD_GAP);
	assert_int_equal(v[2], ADVICE_THREAD_LATE);
	assert_true(complete); /* everything is there, just not in order */

	itest_reader_free(&a.rd);
	itest_reader_free(&b.rd);
	itest_reader_free(&c.rd);
	advice_conn_free(a.k);
}

/* Forging a sender: the server makes an admin and a "worker" certificate under keys of its own
 * and an answer signed by that worker key; it hands the certificates out with thread.read. */
static void test_malicious_server_forged_worker(void **state)
{
	struct itest_e2e *t = *state;
	struct writer w = { 0 };
	struct advice_keys rogue_root, rogue_admin, rogue_worker;
	struct advice_cert c;
	uint8_t seed[32], cert[2][ADVICE_CERT_BYTES], kid[2][16], env[ADVICE_ENVELOPE_MIN_BYTES], mkey[32];
	uint8_t content[64];
	struct advice_envelope_hdr h;
	char hex[2][2 * ADVICE_CERT_BYTES + 1], kidhex[2][33], *envhex, sql[8192];
	size_t clen = 0, elen = 0;
	uint64_t now = (uint64_t)time(NULL) * 1000;
	int v[8];
	json_t *r;

	w.k = itest_citizen(&t->h, CITIZEN);
	itest_device_new(w.k, &w.id, NULL, &w.dev, "dev-f");
	thread_of_three(t, &w, "f");
	advice_random(seed, 32);
	advice_keys_personal(&rogue_root, seed);
	advice_random(seed, 32);
	advice_keys_personal(&rogue_admin, seed);
	advice_random(seed, 32);
	advice_keys_personal(&rogue_worker, seed);
	for (int i = 0; i < 2; i++) {
		memset(&c, 0, sizeof c);
		c.role = i == 0 ? ADVICE_ROLE_ADMIN : ADVICE_ROLE_WORKER;
		advice_random(c.subject_id, 16);
		memcpy(c.sign_pk, i == 0 ? rogue_admin.sign_pk : rogue_worker.sign_pk, 32);
		memcpy(c.box_pk, i == 0 ? rogue_admin.box_pk : rogue_worker.box_pk, 32);
		c.not_before = now - 60000;
		c.not_after = now + 86400000;
		assert_int_equal(advice_cert_sign(cert[i], &c, i == 0 ? &rogue_root : &rogue_admin), 0);
		advice_hex(hex[i], cert[i], ADVICE_CERT_BYTES);
		advice_kid(kid[i], c.sign_pk);
		advice_hex(kidhex[i], kid[i], 16);
	}
	/* The forged answer follows the thread properly: the server has every envelope. */
	memset(&h, 0, sizeof h);
	advice_unhex(h.thread_id, 16, w.thread);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	advice_thread_next(w.rd.order, kid[1], &h.sender_seq, h.prev_hash);
	advice_random(mkey, 32); /* it cannot have the thread key: the reader refuses before */
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, NULL, 0, "forged", 6), 0);
	assert_int_equal(advice_envelope_seal(env, sizeof env, &elen, &h, mkey, content, clen, &rogue_worker),
			 0);
	envhex = malloc(2 * elen + 1);
	assert_non_null(envhex);
	advice_hex(envhex, env, elen);
	assert_true((size_t)snprintf(
			    sql, sizeof sql,
			    "INSERT INTO e2e_certs(kid, subject_id, role, cert, created) VALUES"
			    " (X'%s', 'rogue-admin', 1, X'%s', 0), (X'%s', (SELECT user_id FROM workers"
			    " WHERE username = 'anna'), 2, X'%s', 0);"
			    "INSERT INTO messages(thread_id, seq, sender_id, sender_role, created, body)"
			    " VALUES('%s', 4, (SELECT user_id FROM workers WHERE username = 'anna'), 2, 0, "
			    "X'%s');"
			    "UPDATE threads SET last_seq = 4 WHERE id = '%s';",
			    kidhex[0], hex[0], kidhex[1], hex[1], w.thread, envhex, w.thread) < sizeof sql);
	behind_the_back(t, sql);
	free(envhex);
	/* The server does hand out its certificates with the answer ... */
	r = itest_request(w.k, "ok",
			  "{\"type\":\"thread.read\",\"id\":\"f-r\",\"thread\":\"%s\",\"after_seq\":3}",
			  w.thread);
	assert_int_equal(json_array_size(json_object_get(r, "certs")), 2);
	json_decref(r);
	/* ... and the reader, pinning the real root, refuses the answer. */
	assert_int_equal(read_new(t, &w, v, 8), 1);
	assert_int_equal(v[0], ADVICE_THREAD_UNTRUSTED_SENDER);
	assert_int_equal(advice_thread_count(w.rd.order), 3);
	itest_reader_free(&w.rd);
	advice_conn_free(w.k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicate_refused_resend_kept),
		cmocka_unit_test(test_malicious_server_order),
		cmocka_unit_test(test_malicious_server_forged_worker),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
