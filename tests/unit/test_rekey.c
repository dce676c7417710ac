/*
 * test_rekey.c - re-keying over a real core and SQLite file: the server refuses writes at a
 * stale thread-key epoch and checks thread.rekey; advicectl's key commands keep a unit log
 * that keys.unit serves; and a malicious server, played by rows written or removed behind
 * the server's back, is caught by libadvice's reader checks: a withheld unit key generation,
 * a rolled-back unit log, a revoked worker's message, a message at a stale epoch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "admin_keys.h"
#include "advice.h"
#include "advice_crypto.h"
#include "corefix.h"
#include "keys_admin.h"
#include "testutil.h"

#define CITIZEN_A "010594Y9032"

/* The key world: root, an admin, anna's and sara's identities, generation 1 of the adult unit
 * sealed to both, a citizen with one device, and a thread it opened at epoch 0. */
struct world {
	struct advice_keys root, admin, anna, sara, gen1, id, dev; /* id, dev: the citizen's */
	struct who w_anna, w_sara, citizen;
	char thread[STORE_ID_SIZE];
	uint8_t tid[16], share[32], k0[32];
	uint8_t admin_id[16];
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

/* Decodes a base64url JSON string; returns its bytes (malloc'd) and length. */
static uint8_t *unb64(json_t *j, size_t *len)
{
	uint8_t *d = NULL;

	assert_int_equal(advice_b64url_decode(json_string_value(j), &d, len), 0);
	return d;
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

/* An envelope of the world's thread at `epoch`, made at `at`, by `sender` (raw bytes). */
static size_t envelope_raw(uint8_t *env, const struct world *w, uint32_t epoch, const uint8_t key[32],
			   uint64_t at, const struct advice_keys *sender)
{
	uint8_t mkey[32], content[64];
	struct advice_envelope_hdr h;
	size_t clen = 0, elen = 0;

	memset(&h, 0, sizeof h);
	memcpy(h.thread_id, w->tid, 16);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	h.epoch = epoch;
	h.created_at = at;
	advice_thread_msg_key(mkey, key, w->tid, epoch, w->share);
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, NULL, 0, "hei", 3), 0);
	assert_int_equal(
		advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen, sender),
		0);
	return elen;
}

static char *envelope(const struct world *w, uint32_t epoch, const uint8_t key[32], uint64_t at,
		      const struct advice_keys *sender)
{
	uint8_t *env = malloc(ADVICE_ENVELOPE_MAX_BYTES);
	char *s;

	assert_non_null(env);
	s = b64(env, envelope_raw(env, w, epoch, key, at, sender));
	free(env);
	return s;
}

static json_t *msg_send(struct corefix *fx, const struct who *who, const char *rid, const char *thread,
			const char *body)
{
	return corefix_ws(fx, who,
			  "{\"type\":\"message.send\",\"id\":\"%s\",\"thread\":\"%s\",\"body\":\"%s\"}", rid,
			  thread, body);
}

static void expect(json_t *r, const char *code)
{
	assert_string_equal(corefix_code(r), code);
	json_decref(r);
}

/* Sets up the world on a core that requires envelopes. */
static void world_setup(struct corefix *fx, struct world *w)
{
	struct core_config cc = fx->cc;
	struct advice_unit_event ev;
	uint8_t event[ADVICE_UNIT_EVENT_MAX_BYTES], seed[32], kid[16];
	char admin_hex[33], *box, *body;
	size_t len = 0;
	json_t *r;

	memset(w, 0, sizeof *w);
	cc.require_envelopes = 1;
	core_free(fx->core);
	fx->core = core_new(fx->st, &cc);
	keys_new(&w->root);
	keys_new(&w->admin);
	keys_new(&w->anna);
	keys_new(&w->sara);
	keys_new(&w->dev);
	corefix_login_worker(fx, "anna", &w->w_anna);
	corefix_login_worker(fx, "sara", &w->w_sara);
	corefix_login_citizen(fx, CITIZEN_A, &w->citizen);
	assert_int_equal(fx->st->ops->keys->root_put(fx->st, w->root.sign_pk, fx->now), STORE_OK);
	advice_random(w->admin_id, 16);
	advice_hex(admin_hex, w->admin_id, 16);
	put_cert(fx, ADVICE_ROLE_ADMIN, admin_hex, &w->admin, &w->root);
	put_cert(fx, ADVICE_ROLE_WORKER, w->w_anna.user_id, &w->anna, &w->admin);
	put_cert(fx, ADVICE_ROLE_WORKER, w->w_sara.user_id, &w->sara, &w->admin);
	advice_random(seed, 32);
	assert_int_equal(advice_keys_unit(&w->gen1, NULL, seed), 0);
	memset(&ev, 0, sizeof ev);
	advice_unhex(ev.unit_id, 16, fx->unit_adult);
	ev.generation = 1;
	memcpy(ev.box_pk, w->gen1.box_pk, 32);
	memcpy(ev.sign_pk, w->gen1.sign_pk, 32);
	ev.created_at = (uint64_t)fx->now;
	assert_int_equal(advice_unit_event_sign(event, sizeof event, &len, &ev, &w->admin), 0);
	advice_kid(kid, w->gen1.box_pk);
	assert_int_equal(
		fx->st->ops->keys->unit_gen_put(fx->st, fx->unit_adult, 1, kid, event, len, NULL, 0, fx->now),
		STORE_OK);
	{
		struct advice_device_cert dc = { .created_at = (uint64_t)fx->now };
		uint8_t cert[ADVICE_DEVICE_CERT_BYTES];

		keys_new(&w->id);
		memcpy(dc.device_sign_pk, w->dev.sign_pk, 32);
		memcpy(dc.device_box_pk, w->dev.box_pk, 32);
		assert_int_equal(advice_device_cert_sign(cert, &dc, &w->id), 0);
		box = b64(cert, sizeof cert);
		expect(corefix_ws(fx, &w->citizen,
				  "{\"type\":\"identity.add\",\"id\":\"d1\",\"cert\":\"%s\"}", box),
		       "ok");
		free(box);
	}
	r = corefix_ws(fx, &w->citizen, "{\"type\":\"thread.prepare\",\"id\":\"p1\"}");
	snprintf(w->thread, sizeof w->thread, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
	advice_unhex(w->tid, 16, w->thread);
	advice_random(w->k0, 32);
	advice_random(w->share, 32); /* the messages' key is not what the server checks */
	body = envelope(w, 0, w->k0, (uint64_t)fx->now, &w->dev);
	expect(corefix_ws(fx, &w->citizen,
			  "{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\","
			  "\"body\":\"%s\",\"thread\":\"%s\"}",
			  body, w->thread),
	       "ok");
	free(body);
	expect(corefix_ws(fx, &w->w_anna, "{\"type\":\"thread.claim\",\"id\":\"c1\",\"thread\":\"%s\"}",
			  w->thread),
	       "ok");
}

/* A signed epoch event of the world's thread; prev (may be NULL) is the previous event. */
static size_t epoch_event(uint8_t *out, const struct world *w, uint32_t epoch, const uint8_t *prev,
			  size_t prev_len, uint64_t at, const uint8_t (*recipients)[32], size_t n,
			  const struct advice_keys *signer)
{
	struct advice_epoch_event ev;
	size_t len = 0;

	memset(&ev, 0, sizeof ev);
	memcpy(ev.thread_id, w->tid, 16);
	ev.epoch = epoch;
	ev.prev_epoch = epoch - 1;
	if (prev != NULL)
		advice_hash(ev.prev_hash, prev, prev_len);
	ev.reason = ADVICE_EPOCH_UNIT_ROTATED;
	ev.created_at = at;
	ev.n_recipients = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		advice_kid(ev.recipients[i], recipients[i]);
	assert_int_equal(advice_epoch_event_sign(out, ADVICE_EPOCH_EVENT_MAX_BYTES, &len, &ev, signer), 0);
	return len;
}

/* thread.rekey with the event and wraps of `key` (at wrap_epoch) to recipients. */
static json_t *rekey(struct corefix *fx, const struct who *who, const char *rid, const struct world *w,
		     const uint8_t *event, size_t len, uint32_t wrap_epoch, const uint8_t key[32],
		     const uint8_t (*recipients)[32], size_t n, const struct advice_keys *signer)
{
	char list[4096] = "", *e = b64(event, len);
	uint8_t wrap[ADVICE_WRAP_BYTES], eph[32];
	json_t *r;

	for (size_t i = 0; i < n; i++) {
		char *s;

		advice_random(eph, 32);
		assert_int_equal(advice_wrap_seal(wrap, ADVICE_WRAP_THREAD_KEY, w->tid, wrap_epoch,
						  recipients[i], key, eph, signer),
				 0);
		s = b64(wrap, sizeof wrap);
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"", i ? "," : "", s);
		free(s);
	}
	r = corefix_ws(
		fx, who,
		"{\"type\":\"thread.rekey\",\"id\":\"%s\",\"thread\":\"%s\",\"event\":\"%s\",\"wraps\":[%s]}",
		rid, w->thread, e, list);
	free(e);
	return r;
}

/* The server refuses writes at a stale epoch and checks every part of thread.rekey. */
static void test_stale_epoch_refused(void **state)
{
	struct corefix *fx = *state;
	struct world w;
	uint8_t ev1[ADVICE_EPOCH_EVENT_MAX_BYTES], bad[ADVICE_EPOCH_EVENT_MAX_BYTES], k1[32], recips[2][32];
	struct advice_keys stranger;
	size_t n1, nb;
	char *body;
	json_t *r;

	world_setup(fx, &w);
	keys_new(&stranger);
	advice_random(k1, 32);
	memcpy(recips[0], w.gen1.box_pk, 32);
	memcpy(recips[1], w.id.box_pk, 32);
	/* Epoch 0 holds until a new one starts; an epoch nobody started is refused. */
	body = envelope(&w, 0, w.k0, (uint64_t)fx->now, &w.anna);
	expect(msg_send(fx, &w.w_anna, "m1", w.thread, body), "ok");
	free(body);
	body = envelope(&w, 1, k1, (uint64_t)fx->now, &w.anna);
	r = msg_send(fx, &w.w_anna, "m2", w.thread, body);
	assert_string_equal(corefix_code(r), "conflict");
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "never started"));
	json_decref(r);
	free(body);
	/* Refusals change nothing: a stranger's event, wraps by another key, a wrong count, a
	 * wrap of another epoch, an event that skips an epoch or does not chain. */
	n1 = epoch_event(ev1, &w, 1, NULL, 0, (uint64_t)fx->now, recips, 2, &w.anna);
	nb = epoch_event(bad, &w, 1, NULL, 0, (uint64_t)fx->now, recips, 2, &stranger);
	expect(rekey(fx, &w.w_anna, "r1", &w, bad, nb, 1, k1, recips, 2, &stranger), "forbidden");
	expect(rekey(fx, &w.w_anna, "r2", &w, ev1, n1, 1, k1, recips, 2, &w.sara), "forbidden");
	expect(rekey(fx, &w.w_anna, "r3", &w, ev1, n1, 1, k1, recips, 1, &w.anna), "bad_request");
	expect(rekey(fx, &w.w_anna, "r4", &w, ev1, n1, 0, k1, recips, 2, &w.anna), "bad_request");
	nb = epoch_event(bad, &w, 2, ev1, n1, (uint64_t)fx->now, recips, 2, &w.anna);
	expect(rekey(fx, &w.w_anna, "r5", &w, bad, nb, 2, k1, recips, 2, &w.anna), "conflict");
	bad[0] ^= 1;
	expect(rekey(fx, &w.w_anna, "r6", &w, bad, nb, 2, k1, recips, 2, &w.anna), "bad_request");
	/* anna starts epoch 1, sealed to the unit and the citizen's device. */
	r = rekey(fx, &w.w_anna, "r7", &w, ev1, n1, 1, k1, recips, 2, &w.anna);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_integer_value(json_object_get(r, "epoch")), 1);
	json_decref(r);
	/* Epoch 1 cannot start twice; epoch 2 must chain to epoch 1's event. */
	expect(rekey(fx, &w.w_anna, "r8", &w, ev1, n1, 1, k1, recips, 2, &w.anna), "conflict");
	nb = epoch_event(bad, &w, 2, NULL, 0, (uint64_t)fx->now, recips, 2, &w.anna);
	{
		struct advice_epoch_event e;

		assert_int_equal(advice_epoch_event_parse(bad, nb, &e), 0);
		memset(e.prev_hash, 7, 32);
		assert_int_equal(advice_epoch_event_sign(bad, sizeof bad, &nb, &e, &w.anna), 0);
	}
	expect(rekey(fx, &w.w_anna, "r9", &w, bad, nb, 2, k1, recips, 2, &w.anna), "forbidden");
	/* Writes at epoch 0 are refused now, from staff and the citizen alike. */
	body = envelope(&w, 0, w.k0, (uint64_t)fx->now, &w.anna);
	r = msg_send(fx, &w.w_anna, "m3", w.thread, body);
	assert_string_equal(corefix_code(r), "conflict");
	assert_string_equal(json_string_value(json_object_get(r, "field")), "/body");
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "the thread is at epoch 1"));
	json_decref(r);
	free(body);
	body = envelope(&w, 0, w.k0, (uint64_t)fx->now, &w.dev);
	expect(msg_send(fx, &w.citizen, "m4", w.thread, body), "conflict");
	free(body);
	body = envelope(&w, 1, k1, (uint64_t)fx->now, &w.dev);
	expect(msg_send(fx, &w.citizen, "m5", w.thread, body), "ok");
	free(body);
	/* thread.keys gives the epoch and its event, and the wraps of both epochs. */
	r = corefix_ws(fx, &w.citizen, "{\"type\":\"thread.keys\",\"id\":\"k1\",\"thread\":\"%s\"}",
		       w.thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_integer_value(json_object_get(r, "epoch")), 1);
	assert_int_equal(json_array_size(json_object_get(r, "epochs")), 1);
	{
		size_t len = 0;
		uint8_t *got = unb64(json_array_get(json_object_get(r, "epochs"), 0), &len);

		assert_int_equal(len, n1);
		assert_memory_equal(got, ev1, n1);
		assert_int_equal(advice_epoch_event_verify(got, len, w.tid, w.anna.sign_pk, NULL, 0, NULL),
				 0);
		free(got);
	}
	json_decref(r);
	/* wrap.put cannot add a wrap of an epoch not started. */
	{
		uint8_t wrap[ADVICE_WRAP_BYTES], eph[32];
		char *s;

		advice_random(eph, 32);
		assert_int_equal(advice_wrap_seal(wrap, ADVICE_WRAP_THREAD_KEY, w.tid, 5, w.gen1.box_pk, k1,
						  eph, &w.anna),
				 0);
		s = b64(wrap, sizeof wrap);
		r = corefix_ws(fx, &w.w_anna,
			       "{\"type\":\"wrap.put\",\"id\":\"a1\",\"thread\":\"%s\",\"wraps\":[\"%s\"]}",
			       w.thread, s);
		assert_string_equal(corefix_code(r), "conflict");
		assert_string_equal(json_string_value(json_object_get(r, "field")), "/wraps/0");
		json_decref(r);
		free(s);
	}
}

/* --- advicectl's unit log, served by keys.unit and checked by the reader --- */

/* Runs an advicectl key command and writes its records as adviced would. */
static void ctl_keys(struct corefix *fx, const char *const *argv)
{
	char err[256] = "", *out_text = NULL, *warn_text = NULL;
	size_t out_len = 0, warn_len = 0;
	FILE *out = open_memstream(&out_text, &out_len), *warn = open_memstream(&warn_text, &warn_len);
	json_t *records = NULL;
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	assert_int_equal(keys_admin_run(fx->st, argc, (char **)argv, out, warn, &records, err, sizeof err),
			 0);
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	if (admin_keys_apply(fx->st, records, err, sizeof err) != 0)
		fail_msg("%s: %s", argv[0], err);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	json_decref(records);
	fclose(out);
	fclose(warn);
	free(out_text);
	free(warn_text);
}

/* What a client gets from keys.unit: the admin's key (its certificate checked to the root),
 * the log entries, and the newest unit event. */
struct served {
	uint8_t admin_pk[1][32];
	uint8_t *log[16];
	size_t log_len[16], n_log;
	uint8_t *event;
	size_t event_len;
};

static void served_free(struct served *s)
{
	for (size_t i = 0; i < s->n_log; i++)
		free(s->log[i]);
	free(s->event);
	memset(s, 0, sizeof *s);
}

/* The client's clock: advicectl signs with the real one. */
static uint64_t real_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void keys_unit(struct corefix *fx, const struct who *who, const uint8_t root_pk[32], int64_t after,
		      struct served *s)
{
	json_t *r = corefix_ws(fx, who,
			       "{\"type\":\"keys.unit\",\"id\":\"u%lld\",\"unit\":\"%s\",\"log_after\":%lld}",
			       (long long)fx->now, fx->unit_adult, (long long)after),
	       *gens, *log;
	struct advice_cert c;
	uint8_t *cert;
	size_t len = 0;

	memset(s, 0, sizeof *s);
	assert_string_equal(corefix_code(r), "ok");
	cert = unb64(json_array_get(json_object_get(r, "certs"), 0), &len);
	assert_int_equal(advice_cert_verify(cert, len, NULL, 0, root_pk, real_now_ms(), &c), 0);
	memcpy(s->admin_pk[0], c.sign_pk, 32);
	free(cert);
	log = json_object_get(r, "log");
	assert_false(json_is_true(json_object_get(r, "log_more")));
	for (size_t i = 0; i < json_array_size(log) && i < 16; i++)
		s->log[s->n_log++] = unb64(json_array_get(log, i), &s->log_len[i]);
	gens = json_object_get(r, "generations");
	if (json_array_size(gens) > 0)
		s->event = unb64(json_object_get(json_array_get(gens, json_array_size(gens) - 1), "event"),
				 &s->event_len);
	json_decref(r);
}

static int check(const struct served *s, const uint8_t unit[16], const struct advice_ulog_state *known,
		 uint64_t now, struct advice_ulog_state *out)
{
	return advice_ulog_check(out, unit, (const uint8_t *const *)s->log, s->log_len, s->n_log, s->admin_pk,
				 1, known, s->event, s->event_len, now);
}

/* Runs SQL on the store's file behind the server's back. */
static void behind_the_back(struct corefix *fx, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* Runs an advicectl key command that must fail; returns nothing written. */
static void ctl_keys_refused(struct corefix *fx, const char *const *argv, const char *reason)
{
	char err[256] = "", *out_text = NULL, *warn_text = NULL;
	size_t out_len = 0, warn_len = 0;
	FILE *out = open_memstream(&out_text, &out_len), *warn = open_memstream(&warn_text, &warn_len);
	json_t *records = NULL;
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	assert_int_equal(keys_admin_run(fx->st, argc, (char **)argv, out, warn, &records, err, sizeof err),
			 -1);
	assert_null(records);
	if (strstr(err, reason) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", argv[0], err, reason);
	fclose(out);
	fclose(warn);
	free(out_text);
	free(warn_text);
}

/* root-create, root-install and admin-certify as an administrator runs them; the root's
 * public key into root_pk, the admin's keys (read back from its key file) into admin. */
static void ctl_setup(struct corefix *fx, uint8_t root_pk[32], char *admin_file, size_t len,
		      struct advice_keys *admin)
{
	char root_file[512], root_text[128] = "", err[256], *t = NULL;
	size_t tlen = 0, dlen = 0;
	uint8_t *d = NULL, seed[32];
	FILE *out = open_memstream(&t, &tlen);
	json_t *kf;

	snprintf(root_file, sizeof root_file, "%s/root.key", fx->dir);
	snprintf(admin_file, len, "%s/admin.key", fx->dir);
	assert_int_equal(keys_admin_root_create(root_file, out, err, sizeof err), 0);
	fclose(out);
	sscanf(t, "%127s", root_text);
	assert_int_equal(advice_b64url_decode(root_text, &d, &dlen), 0);
	assert_int_equal(dlen, 32);
	memcpy(root_pk, d, 32);
	free(d);
	free(t);
	ctl_keys(fx, (const char *const[]){ "root-install", root_text, NULL });
	ctl_keys(fx, (const char *const[]){ "admin-certify", root_file, admin_file, NULL });
	kf = json_load_file(admin_file, 0, NULL);
	assert_non_null(kf);
	assert_int_equal(advice_unhex(seed, 32, json_string_value(json_object_get(kf, "seed"))), 0);
	assert_int_equal(advice_keys_personal(admin, seed), 0);
	json_decref(kf);
}

/* A server that withholds the newest generation, or rolls the unit log back, is caught. */
static void test_withheld_generation_detected(void **state)
{
	struct corefix *fx = *state;
	char admin_file[512];
	uint8_t root_pk[32], unit[16];
	struct advice_ulog_state seen, later, again;
	struct advice_keys admin;
	struct served s;
	struct who citizen;

	ctl_setup(fx, root_pk, admin_file, sizeof admin_file, &admin);
	ctl_keys(fx, (const char *const[]){ "unit-key-rotate", fx->unit_adult, admin_file, NULL });
	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	advice_unhex(unit, 16, fx->unit_adult);
	/* Honest: the log names generation 1 and it is served. */
	keys_unit(fx, &citizen, root_pk, 0, &s);
	assert_int_equal(s.n_log, 1);
	assert_int_equal(check(&s, unit, NULL, real_now_ms(), &seen), 0);
	assert_int_equal(seen.generation, 1);
	served_free(&s);
	/* A renewal and generation 2 (advicectl); the client sees them. */
	ctl_keys(fx, (const char *const[]){ "unit-log-renew", fx->unit_adult, admin_file, "3", NULL });
	ctl_keys(fx, (const char *const[]){ "unit-key-rotate", fx->unit_adult, admin_file, NULL });
	keys_unit(fx, &citizen, root_pk, 0, &s);
	assert_int_equal(s.n_log, 3);
	assert_int_equal(check(&s, unit, &seen, real_now_ms(), &later), 0);
	assert_int_equal(later.generation, 2);
	served_free(&s);
	/* Paging: only the entries after the one kept; none when nothing changed. */
	keys_unit(fx, &citizen, root_pk, 3, &s);
	assert_int_equal(s.n_log, 0);
	assert_int_equal(check(&s, unit, &later, real_now_ms(), &again), 0);
	assert_int_equal(again.seq, 3);
	served_free(&s);
	/* The server withholds generation 2: the log names it, the newest event served is 1. */
	behind_the_back(fx, "DELETE FROM e2e_unit_seeds WHERE generation = 2;"
			    "DELETE FROM e2e_unit_gens WHERE generation = 2");
	keys_unit(fx, &citizen, root_pk, 0, &s);
	assert_int_equal(check(&s, unit, &later, real_now_ms(), &again), -ADVICE_ERR_WITHHELD);
	assert_int_equal(check(&s, unit, NULL, real_now_ms(), &again), -ADVICE_ERR_WITHHELD);
	served_free(&s);
	/* ...and the log's last entry too: a client that saw it refuses the shorter log; one that
	 * did not, once the head's validity has passed. */
	behind_the_back(fx, "DELETE FROM e2e_unit_log WHERE seq = 3");
	keys_unit(fx, &citizen, root_pk, 0, &s);
	assert_int_equal(check(&s, unit, &later, real_now_ms(), &again), -ADVICE_ERR_WITHHELD);
	assert_int_equal(check(&s, unit, NULL, real_now_ms(), &again), 0);
	assert_int_equal(check(&s, unit, NULL, real_now_ms() + 4 * 86400000ULL, &again),
			 -ADVICE_ERR_WITHHELD);
	served_free(&s);
}

/* advicectl signs a log entry for each change: members removed and added, generations,
 * revocations of a worker's certificates in each of their units, renewals. */
static void test_ctl_log_entries(void **state)
{
	struct corefix *fx = *state;
	static const uint8_t kinds[] = { ADVICE_ULOG_GENERATION, ADVICE_ULOG_MEMBER_REMOVE,
					 ADVICE_ULOG_GENERATION, ADVICE_ULOG_REVOKE, ADVICE_ULOG_MEMBER_ADD };
	char admin_file[512];
	uint8_t root_pk[32], unit[16], kid[16];
	struct advice_keys admin, anna, sara;
	struct advice_ulog_state st;
	struct advice_ulog_entry e;
	struct who w_anna, w_sara, citizen;
	struct served s;

	ctl_setup(fx, root_pk, admin_file, sizeof admin_file, &admin);
	corefix_login_worker(fx, "anna", &w_anna);
	corefix_login_worker(fx, "sara", &w_sara);
	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	keys_new(&anna);
	keys_new(&sara);
	put_cert(fx, ADVICE_ROLE_WORKER, w_anna.user_id, &anna, &admin);
	put_cert(fx, ADVICE_ROLE_WORKER, w_sara.user_id, &sara, &admin);
	ctl_keys(fx, (const char *const[]){ "unit-key-rotate", fx->unit_adult, admin_file, NULL });
	ctl_keys(fx, (const char *const[]){ "unit-member-remove", "sara", fx->unit_adult, admin_file, NULL });
	ctl_keys(fx, (const char *const[]){ "cert-revoke", "anna", admin_file, NULL });
	ctl_keys(fx, (const char *const[]){ "unit-member-add", "sara", fx->unit_adult, admin_file, NULL });
	/* Refused with a reason, nothing written. */
	ctl_keys_refused(fx, (const char *const[]){ "cert-revoke", "nobody", admin_file, NULL }, "no worker");
	ctl_keys_refused(fx, (const char *const[]){ "unit-log-renew", fx->unit_adult, admin_file, "0", NULL },
			 "DAYS");
	ctl_keys_refused(fx,
			 (const char *const[]){ "unit-log-renew", fx->unit_adult, admin_file, "91", NULL },
			 "DAYS");
	keys_unit(fx, &citizen, root_pk, 0, &s);
	assert_int_equal(s.n_log, 5);
	advice_unhex(unit, 16, fx->unit_adult);
	assert_int_equal(check(&s, unit, NULL, real_now_ms(), &st), 0);
	assert_int_equal(st.generation, 2);
	for (size_t i = 0; i < s.n_log; i++) {
		assert_int_equal(advice_ulog_verify(s.log[i], s.log_len[i], admin.sign_pk, &e), 0);
		assert_int_equal(e.kind, kinds[i]);
	}
	advice_kid(kid, sara.box_pk);
	assert_int_equal(advice_ulog_parse(s.log[1], s.log_len[1], &e), 0);
	assert_memory_equal(e.subject + 16, kid, 16); /* the member who left, by the key sealed to */
	advice_kid(kid, anna.sign_pk);
	assert_int_equal(
		advice_ulog_revoked((const uint8_t *const *)s.log, s.log_len, s.n_log, kid, real_now_ms()),
		-ADVICE_ERR_REVOKED);
	advice_kid(kid, sara.sign_pk);
	assert_int_equal(
		advice_ulog_revoked((const uint8_t *const *)s.log, s.log_len, s.n_log, kid, real_now_ms()),
		0);
	served_free(&s);
	/* A renewal for 30 days keeps the log fresh past the default week. */
	ctl_keys(fx, (const char *const[]){ "unit-log-renew", fx->unit_adult, admin_file, "30", NULL });
	keys_unit(fx, &citizen, root_pk, 5, &s);
	assert_int_equal(s.n_log, 1);
	assert_int_equal(check(&s, unit, &st, real_now_ms() + 20 * 86400000ULL, &st), 0);
	assert_int_equal(st.seq, 6);
	served_free(&s);
}

/* A server that serves a revoked worker's message, or one at a stale epoch, is caught. */
static void test_revoked_and_stale_messages_refused(void **state)
{
	struct corefix *fx = *state;
	struct world w;
	struct advice_ulog_entry e;
	struct advice_ulog_state st;
	struct advice_epoch_event events[1];
	struct advice_envelope_hdr h;
	uint8_t entries[2][ADVICE_ULOG_BYTES], ev1[ADVICE_EPOCH_EVENT_MAX_BYTES], k1[32], recips[2][32],
		ev_hash[32];
	uint8_t *env = malloc(ADVICE_ENVELOPE_MAX_BYTES), unit[16], admin_pk[1][32];
	const uint8_t *list[2] = { entries[0], entries[1] };
	size_t lens[2] = { ADVICE_ULOG_BYTES, ADVICE_ULOG_BYTES }, n1, elen;
	struct store_message m;
	json_t *r, *msgs;
	int revoked = 0, stale = 0;

	world_setup(fx, &w);
	advice_unhex(unit, 16, fx->unit_adult);
	memcpy(admin_pk[0], w.admin.sign_pk, 32);
	/* The admin's log: generation 1, then sara's certificate revoked from now + 1 s. */
	{
		json_t *k =
			corefix_ws(fx, &w.citizen, "{\"type\":\"keys.unit\",\"id\":\"u1\",\"unit\":\"%s\"}",
				   fx->unit_adult);
		size_t len = 0;
		uint8_t *event = unb64(
			json_object_get(json_array_get(json_object_get(k, "generations"), 0), "event"), &len);

		advice_hash(ev_hash, event, len);
		free(event);
		json_decref(k);
	}
	memset(&e, 0, sizeof e);
	memcpy(e.unit_id, unit, 16);
	e.seq = 1;
	e.kind = ADVICE_ULOG_GENERATION;
	e.generation = 1;
	memcpy(e.subject, ev_hash, 32);
	e.at = (uint64_t)fx->now;
	e.valid_until = e.at + 86400000;
	assert_int_equal(advice_ulog_sign(entries[0], &e, &w.admin), 0);
	e.seq = 2;
	advice_hash(e.prev_hash, entries[0], ADVICE_ULOG_BYTES);
	e.kind = ADVICE_ULOG_REVOKE;
	advice_unhex(e.subject, 16, w.w_sara.user_id);
	advice_kid(e.subject + 16, w.sara.sign_pk);
	e.at = (uint64_t)fx->now + 1000;
	assert_int_equal(advice_ulog_sign(entries[1], &e, &w.admin), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(fx->st->ops->rekey->unit_log_put(fx->st, fx->unit_adult, i + 1, entries[i],
								  ADVICE_ULOG_BYTES, fx->now),
				 STORE_OK);
	/* anna starts epoch 1 at now + 2 s. */
	advice_random(k1, 32);
	memcpy(recips[0], w.gen1.box_pk, 32);
	memcpy(recips[1], w.id.box_pk, 32);
	n1 = epoch_event(ev1, &w, 1, NULL, 0, (uint64_t)fx->now + 2000, recips, 2, &w.anna);
	expect(rekey(fx, &w.w_anna, "r1", &w, ev1, n1, 1, k1, recips, 2, &w.anna), "ok");
	/* Behind the server's back: sara's message after her revocation, and one at epoch 0 made
	 * an hour after epoch 1 began (the server should have refused both). */
	memset(&m, 0, sizeof m);
	snprintf(m.thread_id, sizeof m.thread_id, "%s", w.thread);
	snprintf(m.sender_id, sizeof m.sender_id, "%s", w.w_sara.user_id);
	m.sender_role = ROLE_WORKER;
	m.created = fx->now;
	m.seq = 100;
	elen = envelope_raw(env, &w, 1, k1, (uint64_t)fx->now + 5000, &w.sara);
	m.body = env;
	m.body_len = elen;
	assert_int_equal(fx->st->ops->thread->message_insert(fx->st, &m), STORE_OK);
	m.seq = 101;
	snprintf(m.sender_id, sizeof m.sender_id, "%s", w.w_anna.user_id);
	elen = envelope_raw(env, &w, 0, w.k0, (uint64_t)fx->now + 3600000, &w.anna);
	m.body_len = elen;
	assert_int_equal(fx->st->ops->thread->message_insert(fx->st, &m), STORE_OK);
	/* The citizen's client reads: the log checks, then each message against it and the epochs. */
	assert_int_equal(
		advice_ulog_check(&st, unit, list, lens, 2, admin_pk, 1, NULL, NULL, 0, (uint64_t)fx->now),
		-ADVICE_ERR_WITHHELD); /* without the newest event: a generation withheld */
	{
		json_t *k =
			corefix_ws(fx, &w.citizen, "{\"type\":\"keys.unit\",\"id\":\"u2\",\"unit\":\"%s\"}",
				   fx->unit_adult);
		size_t len = 0;
		uint8_t *event = unb64(
			json_object_get(json_array_get(json_object_get(k, "generations"), 0), "event"), &len);

		assert_int_equal(json_array_size(json_object_get(k, "log")), 2);
		assert_int_equal(advice_ulog_check(&st, unit, list, lens, 2, admin_pk, 1, NULL, event, len,
						   (uint64_t)fx->now),
				 0);
		free(event);
		json_decref(k);
	}
	assert_int_equal(advice_epoch_event_verify(ev1, n1, w.tid, w.anna.sign_pk, NULL, 0, &events[0]), 0);
	r = corefix_ws(fx, &w.citizen, "{\"type\":\"thread.read\",\"id\":\"t1\",\"thread\":\"%s\"}",
		       w.thread);
	assert_string_equal(corefix_code(r), "ok");
	msgs = json_object_get(r, "messages");
	for (size_t i = 0; i < json_array_size(msgs); i++) {
		size_t len = 0;
		uint8_t *body = unb64(json_object_get(json_array_get(msgs, i), "body"), &len);
		int rc;

		assert_int_equal(advice_envelope_parse(body, len, &h), 0);
		if ((rc = advice_ulog_revoked(list, lens, 2, h.sender_kid, h.created_at)) != 0) {
			assert_int_equal(rc, -ADVICE_ERR_REVOKED);
			revoked++;
		} else if ((rc = advice_epoch_message_check(&h, events, 1)) != 0) {
			assert_int_equal(rc, -ADVICE_ERR_STALE_EPOCH);
			stale++;
		}
		free(body);
	}
	json_decref(r);
	assert_int_equal(revoked, 1); /* sara's, and only hers */
	assert_int_equal(stale, 1);   /* the late epoch-0 message; the citizen's opening one passes */
	free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stale_epoch_refused, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_withheld_generation_detected, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_ctl_log_entries, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_revoked_and_stale_messages_refused, corefix_setup,
						corefix_teardown),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
