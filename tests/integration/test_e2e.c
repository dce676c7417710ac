/*
 * test_e2e.c - end-to-end encryption against the real adviced, with the keys set up by
 * advicectl (root key, admin, workers' identities and bundles, unit key generations) and
 * every client step done with libadvice the way a client does it: the citizen verifies the
 * unit key against the pinned root key, encrypts and wraps; the worker opens the bundle with
 * the password, reaches the unit seed, opens the thread key and answers. Then: a worker
 * removed from the unit (the key rotates) cannot open a thread created afterwards; the
 * citizen's thread keys are wrapped to the citizen's identity, and the worker reads the
 * citizen's messages only through a device certificate of that identity; a new device
 * approved by an existing one (same comparison code, the identity seed sealed to it) or
 * recovered with the recovery code reads the older thread with no re-wrap by anyone; a device
 * with neither starts a new identity, which the worker's client reports as new and reaches
 * the old thread only by its explicit re-wrap; the unit log names the new generation, and the
 * older thread is re-keyed before anyone writes in it again (adviced refusing the stale
 * epoch); the thread moves to another unit whose worker reads it, the server never holding a
 * key; and
 * no form of any message's canary string is in any file of the data folder (the database,
 * its WAL read while the server runs, the blobs, the server's log). Readers find every
 * sender's key the way a client must: staff through the certificates thread.read gives,
 * chained to the pinned root; citizens' devices through thread.keys; and check the order
 * with the thread verifier, whose next sequence and prev hash the writers use. Apart: the
 * browser app's order, an attachment uploaded to a prepared thread before thread.open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice.h"
#include "advice_crypto.h"
#include "harness.h"
#include "itest.h"

#define CITIZEN	  "010594Y9032"
#define CITIZEN_B "020594X903P"
#define CANARY_Q  "CANARY-question-5e1d"
#define CANARY_A  "CANARY-answer-9b27"
#define CANARY_N  "CANARY-after-rotation-c4f0"

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

#define CANARY_F "CANARY-attachment-71aa"
#define FILE_LEN (ADVICE_FILE_CHUNK_BYTES + 100)

/* A PDF of FILE_LEN bytes with the canary inside. */
static uint8_t *attachment_plain(void)
{
	static const char head[] = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% " CANARY_F "\n";
	uint8_t *p = malloc(FILE_LEN);

	memset(p, ' ', FILE_LEN);
	memcpy(p, head, sizeof head - 1);
	memcpy(p + FILE_LEN - 6, "%%EOF\n", 6);
	return p;
}

/* The sender's side of the PDF attachment for `thread`: its real type checked, encrypted in
 * two chunks (ct, malloc'd, and their lengths), its reference (key, hash, type) into *f. */
static void attachment_encrypt(const char *thread, struct advice_file_ref *f, uint8_t *ct[2], size_t len[2])
{
	uint8_t *plain = attachment_plain(), tid[16];
	struct advice_file_stream *s;

	memset(f, 0, sizeof *f);
	f->size = FILE_LEN;
	f->media = (uint8_t)advice_media_sniff(plain, FILE_LEN);
	assert_int_equal(f->media, ADVICE_MEDIA_PDF); /* the sender checks the real type first */
	advice_unhex(tid, 16, thread);
	advice_random(f->file_id, 16);
	advice_random(f->key, 32);
	advice_random(f->header, 24);
	s = advice_file_stream_new(1, f->key, f->header, tid, f->file_id, FILE_LEN);
	for (int i = 0; i < 2; i++) {
		size_t n = i == 0 ? ADVICE_FILE_CHUNK_BYTES : FILE_LEN - ADVICE_FILE_CHUNK_BYTES;

		ct[i] = malloc(ADVICE_FILE_CHUNK_MAX_CIPHER);
		assert_int_equal(
			advice_file_push(s, plain + i * ADVICE_FILE_CHUNK_BYTES, n, i == 1, ct[i], &len[i]),
			0);
	}
	assert_int_equal(advice_file_hash(s, f->hash), 0);
	advice_file_stream_free(s);
	free(plain);
}

/*
 * The citizen attaches a PDF to the thread: type checked, encrypted, uploaded in two chunks
 * with a reconnect in between (resumed from file.status), and announced in a message.
 */
static struct advice_conn *citizen_attach(struct itest_e2e *t, struct advice_conn *k, const char *thread,
					  const uint8_t tkey[32], const uint8_t share[32],
					  const struct advice_keys *dev, const struct advice_thread *order)
{
	uint8_t *ct[2], tid[16], content[512], mkey[32];
	uint8_t *env = malloc(ADVICE_ENVELOPE_MAX_BYTES);
	size_t len[2], clen = 0, elen = 0;
	struct advice_file_ref f;
	struct advice_envelope_hdr h;
	char fid_hex[33], *session = NULL, *body;
	json_t *r;

	attachment_encrypt(thread, &f, ct, len);
	advice_unhex(tid, 16, thread);
	advice_hex(fid_hex, f.file_id, 16);

	r = itest_request(
		k, "ok",
		"{\"type\":\"file.begin\",\"id\":\"fb\",\"thread\":\"%s\",\"file\":\"%s\",\"size\":%llu}",
		thread, fid_hex,
		(unsigned long long)advice_file_padded_size(FILE_LEN)); /* the server sees the bucket */
	assert_int_equal(json_integer_value(json_object_get(r, "chunks")), 2);
	json_decref(r);
	/* Quotas answer clearly. */
	json_decref(itest_request(
		k, "too_large",
		"{\"type\":\"file.begin\",\"id\":\"fq\",\"thread\":\"%s\",\"file\":\"%032x\",\"size\":%lld}",
		thread, 7, 30LL << 20));
	itest_chunk_send(k, f.file_id, 1, ct[1], len[1], "conflict"); /* chunks go in order */
	itest_chunk_send(k, f.file_id, 0, ct[0], len[0], "ok");
	/* The connection drops; a new one resumes where the server got to. */
	advice_conn_free(k);
	assert_int_equal(harness_login_citizen(&t->h, CITIZEN, &session), 0);
	k = harness_connect(&t->h, session);
	assert_non_null(k);
	free(session);
	r = itest_request(k, "ok", "{\"type\":\"file.status\",\"id\":\"fs\",\"file\":\"%s\"}", fid_hex);
	assert_int_equal(json_integer_value(json_object_get(r, "received")), 1);
	json_decref(r);
	itest_chunk_send(k, f.file_id, 0, ct[0], len[0], "ok"); /* a resend is acknowledged again */
	len[1] -= 1;
	itest_chunk_send(k, f.file_id, 1, ct[1], len[1], "bad_request"); /* wrong size */
	len[1] += 1;
	itest_chunk_send(k, f.file_id, 1, ct[1], len[1], "ok");

	/* The message that carries the file key. */
	memset(&h, 0, sizeof h);
	memcpy(h.thread_id, tid, 16);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	{
		uint8_t kid[16];

		advice_kid(kid, dev->sign_pk);
		advice_thread_next(order, kid, &h.sender_seq, h.prev_hash);
		assert_int_equal(h.sender_seq, 2);
	}
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, &f, 1, "liite", 5), 0);
	advice_thread_msg_key(mkey, tkey, tid, 0, share);
	assert_int_equal(
		advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen, dev), 0);
	body = itest_b64(env, elen);
	json_decref(itest_request(
		k, "ok", "{\"type\":\"message.send\",\"id\":\"ma\",\"thread\":\"%s\",\"body\":\"%s\"}",
		thread, body));
	free(body);
	free(env);
	free(ct[0]);
	free(ct[1]);
	return k;
}

/* A reader fetches the attachment named in message `seq`, decrypts it, checks hash and type. */
static void reader_fetch(struct advice_conn *k, const char *thread, long seq, const uint8_t tkey[32],
			 const uint8_t share[32], const uint8_t sender_pk[32])
{
	uint8_t tid[16], mkey[32], *plain = malloc(ADVICE_ENVELOPE_MAX_BYTES), *env,
				   *out = malloc(FILE_LEN + 10);
	uint8_t *pt = malloc(ADVICE_FILE_CHUNK_BYTES), hash[32];
	struct advice_file_ref files[ADVICE_CONTENT_MAX_FILES];
	struct advice_envelope_hdr h;
	struct advice_file_stream *s;
	size_t len = 0, plen = 0, n = 0, tlen = 0, off = 0;
	const uint8_t *text;
	char fid_hex[33];
	int final = 0;
	json_t *r;

	r = itest_request(k, "ok",
			  "{\"type\":\"thread.read\",\"id\":\"fr%ld\",\"thread\":\"%s\",\"after_seq\":%ld}",
			  seq, thread, seq - 1);
	env = itest_unb64(json_object_get(json_array_get(json_object_get(r, "messages"), 0), "body"), &len);
	json_decref(r);
	advice_unhex(tid, 16, thread);
	advice_thread_msg_key(mkey, tkey, tid, 0, share);
	assert_int_equal(advice_envelope_open(plain, ADVICE_ENVELOPE_MAX_BYTES, &plen, &h, env, len, tid,
					      mkey, sender_pk),
			 0);
	assert_int_equal(advice_content_decode(plain, plen, files, &n, &text, &tlen), 0);
	assert_int_equal(n, 1);
	advice_hex(fid_hex, files[0].file_id, 16);
	s = advice_file_stream_new(0, files[0].key, files[0].header, tid, files[0].file_id, files[0].size);
	for (long i = 0; !final; i++) {
		uint8_t *ct;
		size_t clen = 0, got = 0;

		r = itest_request(
			k, "ok", "{\"type\":\"file.get\",\"id\":\"fg%ld-%ld\",\"file\":\"%s\",\"index\":%ld}",
			seq, i, fid_hex, i);
		ct = itest_unb64(json_object_get(r, "chunk"), &clen);
		json_decref(r);
		assert_int_equal(advice_file_pull(s, ct, clen, pt, &got, &final), 0);
		assert_true(off + got <= FILE_LEN);
		memcpy(out + off, pt, got);
		off += got;
		free(ct);
	}
	assert_int_equal(advice_file_hash(s, hash), 0);
	assert_memory_equal(hash, files[0].hash, 32); /* the hash the signed message carries */
	assert_int_equal(off, files[0].size);
	/* The reader checks the real type again after decryption. */
	assert_int_equal(advice_media_sniff(out, off), files[0].media);
	assert_non_null(memmem(out, off, CANARY_F, strlen(CANARY_F)));
	advice_file_stream_free(s);
	free(env);
	free(plain);
	free(out);
	free(pt);
}

/* The client's clock (advicectl signs the unit log with the real one). */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* An envelope of `thread` at `epoch` by `sender`, its message `seq` after `prev`, base64url
 * (malloc'd). */
static char *envelope_at(const char *thread, uint32_t epoch, const uint8_t key[32], const uint8_t share[32],
			 const struct advice_keys *sender, uint64_t seq, const uint8_t prev[32])
{
	uint8_t content[64], mkey[32], *env = malloc(ADVICE_ENVELOPE_MAX_BYTES);
	struct advice_envelope_hdr h;
	size_t clen = 0, elen = 0;
	char *s;

	assert_non_null(env);
	memset(&h, 0, sizeof h);
	advice_unhex(h.thread_id, 16, thread);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	h.epoch = epoch;
	h.sender_seq = seq;
	memcpy(h.prev_hash, prev, 32);
	h.created_at = now_ms();
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, NULL, 0, "hei", 3), 0);
	assert_int_equal(advice_thread_msg_key(mkey, key, h.thread_id, epoch, share), 0);
	assert_int_equal(
		advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen, sender),
		0);
	s = itest_b64(env, elen);
	free(env);
	return s;
}

/*
 * After anna left the unit: the unit log advicectl signed names generation 2 and checks
 * against the pinned root; `thread`'s epoch 0 is sealed to generation 1 only, so sara's
 * client may not write there (stale) until it starts epoch 1, sealed to generation 2 and the
 * citizen's identity; then adviced refuses the citizen's message at epoch 0 and takes epoch 1.
 */
static void rekey_after_removal(struct itest_e2e *t, struct advice_conn *cit, struct advice_conn *sara,
				const struct itest_worker *ws, const struct advice_keys *id,
				const struct advice_keys *dev, const char *thread, const uint8_t share[32])
{
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	struct advice_ulog_state st;
	struct advice_epoch_event e;
	uint8_t admin_pk[1][32], unit[16], holders[4][16], gen_kid[16], k1[32], wrap[ADVICE_WRAP_BYTES],
		eph[32];
	uint8_t event[ADVICE_EPOCH_EVENT_MAX_BYTES], *entries[8], *last;
	size_t lens[8], n = 0, nh = 0, len = 0, elen = 0;
	char *w1, *w2, *eb, *body;
	json_t *served = NULL, *r, *x, *gens;
	struct itest_reader rc;
	int verdicts[8];
	uint8_t pks[8][32], dev_kid[16], prev[32];
	uint64_t seq = 0;

	assert_non_null(ev);
	assert_int_equal(itest_unit_key(t->root_pk, cit, "adult-social-work", ev, &served), 0);
	assert_int_equal(ev->generation, 2);
	assert_int_equal(itest_admin_key(t->root_pk, json_object_get(served, "certs"), admin_pk[0]), 0);
	json_array_foreach (json_object_get(served, "log"), len, x)
		if (n < 8) {
			entries[n] = itest_unb64(x, &lens[n]);
			n++;
		}
	assert_int_equal(n, 4); /* generation 1, the demo's renewal, anna removed, generation 2 */
	gens = json_object_get(served, "generations");
	last = itest_unb64(json_object_get(json_array_get(gens, json_array_size(gens) - 1), "event"), &len);
	assert_int_equal(advice_unhex(unit, 16, itest_str(served, "unit")), 0);
	assert_int_equal(advice_ulog_check(&st, unit, (const uint8_t *const *)entries, lens, n, admin_pk, 1,
					   NULL, last, len, now_ms()),
			 0);
	assert_int_equal(st.generation, 2);
	/* Without the newest generation's event, the client sees it withheld. */
	assert_int_equal(advice_ulog_check(&st, unit, (const uint8_t *const *)entries, lens, n, admin_pk, 1,
					   NULL, NULL, 0, now_ms()),
			 -ADVICE_ERR_WITHHELD);
	/* sara's client: epoch 0 is sealed to generation 1 only, so it may not write there. */
	r = itest_request(sara, "ok", "{\"type\":\"thread.keys\",\"id\":\"rk0\",\"thread\":\"%s\"}", thread);
	assert_int_equal(itest_num(r, "epoch"), 0);
	json_array_foreach (json_object_get(r, "wraps"), len, x) {
		struct advice_wrap_info wi;

		itest_unb64_fixed(x, wrap, sizeof wrap);
		assert_int_equal(advice_wrap_parse(wrap, sizeof wrap, &wi), 0);
		if (wi.epoch == 0 && nh < 4)
			memcpy(holders[nh++], wi.recipient_kid, 16);
	}
	json_decref(r);
	advice_kid(gen_kid, ev->box_pk);
	assert_int_equal(advice_epoch_writable(0, 0, (const uint8_t(*)[16])holders, nh, gen_kid),
			 -ADVICE_ERR_STALE_EPOCH);
	/* It starts epoch 1 for generation 2 and the citizen's identity. */
	advice_random(k1, 32);
	memset(&e, 0, sizeof e);
	advice_unhex(e.thread_id, 16, thread);
	e.epoch = 1;
	e.reason = ADVICE_EPOCH_UNIT_ROTATED;
	e.created_at = now_ms();
	e.n_recipients = 2;
	memcpy(e.recipients[0], gen_kid, 16);
	advice_kid(e.recipients[1], id->box_pk);
	assert_int_equal(advice_epoch_event_sign(event, sizeof event, &elen, &e, &ws->me), 0);
	advice_random(eph, 32);
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_THREAD_KEY, e.thread_id, 1, ev->box_pk, k1, eph, &ws->me),
		0);
	w1 = itest_b64(wrap, sizeof wrap);
	advice_random(eph, 32);
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_THREAD_KEY, e.thread_id, 1, id->box_pk, k1, eph, &ws->me),
		0);
	w2 = itest_b64(wrap, sizeof wrap);
	eb = itest_b64(event, elen);
	r = itest_request(sara, "ok",
			  "{\"type\":\"thread.rekey\",\"id\":\"rk1\",\"thread\":\"%s\",\"event\":\"%s\","
			  "\"wraps\":[\"%s\",\"%s\"]}",
			  thread, eb, w1, w2);
	assert_int_equal(itest_num(r, "epoch"), 1);
	json_decref(r);
	/* adviced refuses the citizen's message at the stale epoch and takes one at epoch 1, each
	 * written as the citizen's next message after what the citizen's client has read. */
	itest_reader_init(&rc, t->root_pk, thread);
	itest_reader_keys(&rc,
			  r = itest_request(cit, "ok",
					    "{\"type\":\"thread.keys\",\"id\":\"rk0\",\"thread\":\"%s\"}",
					    thread));
	json_decref(r);
	r = itest_request(cit, "ok", "{\"type\":\"thread.read\",\"id\":\"rk9\",\"thread\":\"%s\"}", thread);
	itest_reader_feed(&rc, r, verdicts, pks, 8);
	json_decref(r);
	advice_kid(dev_kid, dev->sign_pk);
	advice_thread_next(rc.order, dev_kid, &seq, prev);
	itest_reader_free(&rc);
	body = envelope_at(thread, 0, k1, share, dev, seq, prev);
	json_decref(
		itest_request(cit, "conflict",
			      "{\"type\":\"message.send\",\"id\":\"rk2\",\"thread\":\"%s\",\"body\":\"%s\"}",
			      thread, body));
	free(body);
	body = envelope_at(thread, 1, k1, share, dev, seq, prev);
	json_decref(itest_request(
		cit, "ok", "{\"type\":\"message.send\",\"id\":\"rk3\",\"thread\":\"%s\",\"body\":\"%s\"}",
		thread, body));
	free(body);
	for (size_t i = 0; i < n; i++)
		free(entries[i]);
	free(last);
	free(w1);
	free(w2);
	free(eb);
	json_decref(served);
	free(ev);
}

/* The steps of a device request, each with the field of the event it sets. */
static const char *const request_steps[] = { "commit", "challenge", "nonce", "wrap" };

/* Waits on k for the event `name` about `request` at step `step` (an index of request_steps:
 * that field set, the next one still null); returns it (caller decrefs). */
static json_t *wait_event(struct advice_conn *k, const char *name, const char *request, size_t step)
{
	char *text = NULL;
	json_t *found = NULL;

	while (found == NULL && advice_next_message(k, &text, HARNESS_TIMEOUT_MS) == 0) {
		json_t *j = json_loads(text, 0, NULL);

		if (j != NULL && strcmp(itest_str(j, "event") ?: "", name) == 0 &&
		    strcmp(itest_str(j, "request") ?: "", request) == 0 &&
		    !json_is_null(json_object_get(j, request_steps[step])) &&
		    (step + 1 == sizeof request_steps / sizeof request_steps[0] ||
		     json_is_null(json_object_get(j, request_steps[step + 1]))))
			found = json_incref(j);
		json_decref(j);
		free(text);
	}
	assert_non_null(found);
	return found;
}

/* The device certificates of a thread.keys reply, concatenated (malloc'd), and their number. */
static uint8_t *reply_certs(json_t *r, size_t *n)
{
	json_t *devs = json_object_get(r, "devices"), *d;
	uint8_t *certs = malloc(json_array_size(devs) * ADVICE_DEVICE_CERT_BYTES + 1);
	size_t i;

	assert_non_null(certs);
	json_array_foreach (devs, i, d)
		itest_unb64_fixed(json_object_get(d, "cert"), certs + i * ADVICE_DEVICE_CERT_BYTES,
				  ADVICE_DEVICE_CERT_BYTES);
	*n = json_array_size(devs);
	return certs;
}

/*
 * A reader's check of the thread's citizen: thread.keys for the certificates and identities,
 * the thread's identity from the certified device that signed its first message (body0), and
 * the sender of `body` (an envelope of the thread) through a certificate of that identity.
 * Fills identity (the thread's) and sender_pk; returns advice_citizen_sender's result.
 */
static int reader_citizen_sender(struct advice_conn *k, const char *thread, json_t *body0, json_t *body,
				 struct advice_device_cert *identity, uint8_t sender_pk[32])
{
	json_t *r = itest_request(k, "ok", "{\"type\":\"thread.keys\",\"id\":\"rc-%s\",\"thread\":\"%s\"}",
				  thread, thread);
	size_t n = 0, len0 = 0, len = 0;
	uint8_t *certs = reply_certs(r, &n), *env0 = itest_unb64(body0, &len0),
		*env = itest_unb64(body, &len);
	int rc;

	assert_int_equal(advice_citizen_thread_identity(identity, env0, len0, certs, n), 0);
	rc = advice_citizen_sender(sender_pk, env, len, identity->identity_sign_pk, certs, n);
	free(certs);
	free(env0);
	free(env);
	json_decref(r);
	return rc;
}

/* A citizen's client: thread.keys, a wrap to the identity `id` opened (signed by `signer_pk`),
 * and the first message's text. Returns the text (malloc'd) or NULL when no wrap opens. */
static char *citizen_reads_first(struct advice_conn *k, const char *rid, const char *thread,
				 const struct advice_keys *id, const uint8_t signer_pk[32],
				 const uint8_t first_pk[32])
{
	uint8_t wrap[ADVICE_WRAP_BYTES], tkey[32], share[32], tid[ADVICE_OID_BYTES];
	struct advice_wrap_info wi;
	json_t *r = itest_request(k, "ok", "{\"type\":\"thread.keys\",\"id\":\"%s-k\",\"thread\":\"%s\"}",
				  rid, thread),
	       *x;
	char *text = NULL;
	size_t i;
	int opened = 0;

	assert_int_equal(advice_unhex(tid, sizeof tid, thread), 0);
	itest_unb64_fixed(json_object_get(r, "share"), share, 32);
	json_array_foreach (json_object_get(r, "wraps"), i, x) {
		itest_unb64_fixed(x, wrap, sizeof wrap);
		opened |= !opened && advice_wrap_open(tkey, &wi, wrap, sizeof wrap, ADVICE_WRAP_THREAD_KEY,
						      tid, 0, id, signer_pk) == 0;
	}
	json_decref(r);
	if (!opened)
		return NULL;
	r = itest_request(k, "ok", "{\"type\":\"thread.read\",\"id\":\"%s-r\",\"thread\":\"%s\"}", rid,
			  thread);
	text = itest_envelope_text(json_object_get(json_array_get(json_object_get(r, "messages"), 0), "body"),
				   thread, tkey, share, first_pk);
	json_decref(r);
	return text;
}

/* The device certificate of dev by the identity id, base64url (malloc'd). */
static char *cert_b64(const struct advice_keys *id, const struct advice_keys *dev)
{
	struct advice_device_cert c = { .created_at = 1770000000000ULL };
	uint8_t cert[ADVICE_DEVICE_CERT_BYTES];

	memcpy(c.device_sign_pk, dev->sign_pk, 32);
	memcpy(c.device_box_pk, dev->box_pk, 32);
	assert_int_equal(advice_device_cert_sign(cert, &c, id), 0);
	return itest_b64(cert, sizeof cert);
}

/*
 * The new device (new_k, keys new_dev) approved by the old one (old_k, old_dev of identity id):
 * commit, challenge, reveal, each step by the live event; both devices show the same code (the
 * old one checked against the commitment and challenge it kept); the old device seals the
 * identity seed to the revealed key; the new device opens it (got_id).
 */
static void approve_new_device(struct advice_conn *old_k, struct advice_conn *new_k,
			       const struct advice_keys *id, const uint8_t id_seed[32],
			       const struct advice_keys *old_dev, const struct advice_keys *new_dev,
			       struct advice_keys *got_id)
{
	char *box = itest_b64(new_dev->box_pk, 32), *sign = itest_b64(new_dev->sign_pk, 32), *cert, *ws, *cs,
	     *ns, *chs, shown_new[ADVICE_COMPARE_CODE_SIZE], shown_old[ADVICE_COMPARE_CODE_SIZE], req[33],
	     iid_hex[33];
	uint8_t iid[16], eph[32], wrap[ADVICE_WRAP_BYTES], seed[32], rbox[32], rsign[32], nonce_new[32],
		nonce_old[32], commit[32], kept_commit[32], rnonce[32], got_challenge[32];
	struct advice_wrap_info wi;
	json_t *r, *ev;

	/* 1. The new device commits to its keys and a nonce. */
	advice_random(nonce_new, 32);
	advice_device_commit(commit, new_dev->sign_pk, new_dev->box_pk, nonce_new);
	cs = itest_b64(commit, 32);
	ns = itest_b64(nonce_new, 32);
	r = itest_request(new_k, "ok", "{\"type\":\"device.request\",\"id\":\"dr1\",\"commit\":\"%s\"}", cs);
	snprintf(req, sizeof req, "%s", itest_str(r, "request"));
	json_decref(r);
	/* 2. The old device sees the commitment, keeps it, and only then picks its challenge. */
	ev = wait_event(old_k, "device.request", req, 0);
	itest_unb64_fixed(json_object_get(ev, "commit"), kept_commit, 32);
	json_decref(ev);
	advice_random(nonce_old, 32);
	chs = itest_b64(nonce_old, 32);
	advice_identity_id(iid, id->sign_pk);
	advice_hex(iid_hex, iid, sizeof iid);
	json_decref(itest_request(old_k, "ok",
				  "{\"type\":\"device.challenge\",\"id\":\"dc1\",\"request\":\"%s\","
				  "\"identity\":\"%s\",\"challenge\":\"%s\"}",
				  req, iid_hex, chs));
	/* 3. The new device, once it has the challenge, reveals; its code uses that challenge. */
	ev = wait_event(new_k, "device.request", req, 1);
	itest_unb64_fixed(json_object_get(ev, "challenge"), got_challenge, 32);
	assert_string_equal(itest_str(ev, "identity"), iid_hex);
	json_decref(ev);
	json_decref(itest_request(new_k, "ok",
				  "{\"type\":\"device.reveal\",\"id\":\"dv1\",\"request\":\"%s\","
				  "\"box_pk\":\"%s\",\"sign_pk\":\"%s\",\"nonce\":\"%s\"}",
				  req, box, sign, ns));
	advice_compare_code(shown_new, id->sign_pk, new_dev->sign_pk, new_dev->box_pk, nonce_new,
			    got_challenge);
	/* 4. The old device checks the reveal against what it kept and shows the same code. */
	ev = wait_event(old_k, "device.request", req, 2);
	itest_unb64_fixed(json_object_get(ev, "box_pk"), rbox, 32);
	itest_unb64_fixed(json_object_get(ev, "sign_pk"), rsign, 32);
	itest_unb64_fixed(json_object_get(ev, "nonce"), rnonce, 32);
	json_decref(ev);
	assert_int_equal(advice_compare_code_checked(shown_old, kept_commit, id->sign_pk, rsign, rbox, rnonce,
						     nonce_old),
			 0);
	assert_string_equal(shown_old, shown_new);
	advice_random(eph, 32);
	assert_int_equal(
		advice_wrap_seal(wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0, rbox, id_seed, eph, old_dev), 0);
	cert = cert_b64(id, new_dev);
	ws = itest_b64(wrap, sizeof wrap);
	json_decref(itest_request(
		old_k, "ok",
		"{\"type\":\"device.approve\",\"id\":\"da1\",\"request\":\"%s\",\"cert\":\"%s\","
		"\"wrap\":\"%s\"}",
		req, cert, ws));
	/* The new device: the answer by the live event, the seed opened and checked. */
	ev = wait_event(new_k, "device.request", req, 3);
	itest_unb64_fixed(json_object_get(ev, "wrap"), wrap, sizeof wrap);
	json_decref(ev);
	assert_int_equal(advice_wrap_open(seed, &wi, wrap, sizeof wrap, ADVICE_WRAP_IDENTITY_SEED, iid, 0,
					  new_dev, old_dev->sign_pk),
			 0);
	assert_int_equal(wi.kind, ADVICE_WRAP_IDENTITY_SEED);
	assert_int_equal(advice_keys_personal(got_id, seed), 0);
	assert_memory_equal(got_id->sign_pk, id->sign_pk, 32);
	free(box);
	free(sign);
	free(cert);
	free(ws);
	free(cs);
	free(ns);
	free(chs);
}

static void test_e2e_scenario(void **state)
{
	struct itest_e2e *t = *state;
	struct advice_conn *cit, *anna, *sara, *ben;
	struct advice_conn *cit2, *cit3;
	struct advice_keys id = { 0 }, id_new = { 0 }, dev, dev2, dev3, dev4, got_id;
	struct advice_device_cert thread_id;
	struct itest_worker wa, ws, wb;
	char thread[33], thread2[33], *body, *text, path[400], *out, code[ADVICE_RECOVERY_CODE_SIZE];
	uint8_t tkey[32], share[32], k2[32], s2[32], cpk[32], got[32], id_seed[32], spk[32];
	struct itest_needles *nd = itest_needles_new();
	struct itest_reader ra, rc, rb;
	int files = 0, verdicts[8];
	uint8_t pks[8][32];
	json_t *r, *msgs;

	/* The citizen asks. */
	cit = itest_citizen(&t->h, CITIZEN);
	itest_device_new(cit, &id, id_seed, &dev, "dev1");
	itest_citizen_open(t, cit, &id, &dev, "t1", CANARY_Q, thread, tkey, share);

	/* anna reaches the thread key through her bundle and the unit seed, reads and answers. */
	anna = itest_worker(&t->h, "anna");
	itest_worker_keys(t, anna, "anna-demo", &wa);
	assert_int_equal(itest_worker_thread_key(t, anna, &wa, thread, got, s2, cpk), 0);
	assert_memory_equal(got, tkey, 32);
	assert_memory_equal(s2, share, 32);
	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.claim\",\"id\":\"c1\",\"thread\":\"%s\"}",
				  thread));
	itest_reader_init(&ra, t->root_pk, thread);
	r = itest_request(anna, "ok", "{\"type\":\"thread.keys\",\"id\":\"k1\",\"thread\":\"%s\"}", thread);
	itest_reader_keys(&ra, r);
	json_decref(r);
	r = itest_request(anna, "ok", "{\"type\":\"thread.read\",\"id\":\"r1\",\"thread\":\"%s\"}", thread);
	assert_int_equal(itest_reader_feed(&ra, r, verdicts, pks, 8), 1);
	assert_int_equal(verdicts[0], ADVICE_THREAD_OK);
	assert_memory_equal(pks[0], dev.sign_pk, 32); /* the citizen's certified device */
	msgs = json_object_get(r, "messages");
	/* The citizen's key counts only through a device certificate of the thread's identity. */
	assert_int_equal(reader_citizen_sender(anna, thread, json_object_get(json_array_get(msgs, 0), "body"),
					       json_object_get(json_array_get(msgs, 0), "body"), &thread_id,
					       spk),
			 0);
	assert_memory_equal(thread_id.identity_sign_pk, id.sign_pk, 32);
	assert_memory_equal(spk, dev.sign_pk, 32);
	text = itest_envelope_text(json_object_get(json_array_get(msgs, 0), "body"), thread, got, s2, spk);
	assert_non_null(text);
	assert_string_equal(text, CANARY_Q);
	free(text);
	json_decref(r);
	body = itest_envelope_after(ra.order, thread, got, s2, &wa.me, CANARY_A);
	itest_reader_free(&ra);
	json_decref(itest_request(
		anna, "ok", "{\"type\":\"message.send\",\"id\":\"m1\",\"thread\":\"%s\",\"body\":\"%s\"}",
		thread, body));
	free(body);
	/* With envelopes required, the server refuses a body that is no envelope of this thread. */
	json_decref(itest_request(
		anna, "bad_request",
		"{\"type\":\"message.send\",\"id\":\"m-plain\",\"thread\":\"%s\",\"body\":\"AAAA\"}",
		thread));
	/* The citizen reads the answer: anna's key is found through the certificates that come
	 * with thread.read (hers and her admin's), chained to the root the client pins; the
	 * answer follows the question. */
	itest_reader_init(&rc, t->root_pk, thread);
	r = itest_request(cit, "ok", "{\"type\":\"thread.keys\",\"id\":\"k2\",\"thread\":\"%s\"}", thread);
	itest_reader_keys(&rc, r);
	json_decref(r);
	r = itest_request(cit, "ok", "{\"type\":\"thread.read\",\"id\":\"r2\",\"thread\":\"%s\"}", thread);
	assert_int_equal(json_array_size(json_object_get(r, "certs")), 2);
	assert_int_equal(itest_reader_feed(&rc, r, verdicts, pks, 8), 2);
	assert_int_equal(verdicts[0], ADVICE_THREAD_OK);
	assert_int_equal(verdicts[1], ADVICE_THREAD_OK);
	assert_memory_equal(pks[1], wa.me.sign_pk, 32);
	assert_true(advice_thread_complete(rc.order));
	text = itest_envelope_text(json_object_get(json_array_get(json_object_get(r, "messages"), 1), "body"),
				   thread, tkey, share, pks[1]);
	assert_non_null(text);
	assert_string_equal(text, CANARY_A);
	free(text);
	json_decref(r);
	/* An attachment: uploaded with a resume, read back by anna, type checked on both sides. */
	cit = citizen_attach(t, cit, thread, tkey, share, &dev, rc.order);
	itest_reader_free(&rc);
	reader_fetch(anna, thread, 3, tkey, share, dev.sign_pk);
	{
		char blob[400];
		struct stat sb;

		snprintf(blob, sizeof blob, "%s/blobs", t->h.dir);
		assert_int_equal(stat(blob, &sb), 0); /* the blob store exists and is scanned below */
	}
	/* A message moved into another thread (the server replaying it there) fails to verify. */
	itest_citizen_open(t, cit, &id, &dev, "t2", "second question", thread2, k2, s2);
	r = itest_request(cit, "ok", "{\"type\":\"thread.read\",\"id\":\"r3\",\"thread\":\"%s\"}", thread);
	assert_null(itest_envelope_text(
		json_object_get(json_array_get(json_object_get(r, "messages"), 1), "body"), thread2, k2, s2,
		wa.me.sign_pk));
	json_decref(r);

	/* anna leaves the unit: the key rotates; a thread created afterwards is closed to her keys.
	 */
	out = itest_ctl(NULL, "-d %s unit-member-remove anna 'Adult social work' %s", t->h.dir,
			t->admin_file);
	assert_non_null(strstr(out, "generation 2"));
	free(out);
	itest_citizen_open(t, cit, &id, &dev, "t3", CANARY_N, thread2, k2, s2);
	json_decref(itest_request(anna, "not_found",
				  "{\"type\":\"thread.keys\",\"id\":\"x1\",\"thread\":\"%s\"}", thread2));
	/* Even with the wrap in hand (an ACL bypass), generation 1 does not open it. */
	sara = itest_worker(&t->h, "sara");
	itest_worker_keys(t, sara, "sara-demo", &ws);
	assert_true(ws.ngens >= 2); /* generation 2 and, through the chain, generation 1 */
	r = itest_request(sara, "ok", "{\"type\":\"thread.keys\",\"id\":\"x2\",\"thread\":\"%s\"}", thread2);
	{
		uint8_t wrap[ADVICE_WRAP_BYTES], tid2[ADVICE_OID_BYTES];
		struct advice_wrap_info wi;

		assert_int_equal(advice_unhex(tid2, sizeof tid2, thread2), 0);
		itest_unb64_fixed(json_array_get(json_object_get(r, "wraps"), 0), wrap, sizeof wrap);
		for (size_t g = 0; g < wa.ngens; g++)
			assert_int_not_equal(advice_wrap_open(got, &wi, wrap, sizeof wrap,
							      ADVICE_WRAP_THREAD_KEY, tid2, 0, &wa.gens[g],
							      dev.sign_pk),
					     0);
	}
	json_decref(r);
	/* sara (still a member) reads both the new thread and the old one. */
	assert_int_equal(itest_worker_thread_key(t, sara, &ws, thread2, got, s2, cpk), 0);
	assert_int_equal(itest_worker_thread_key(t, sara, &ws, thread, got, s2, cpk), 0);
	assert_memory_equal(got, tkey, 32);
	rekey_after_removal(t, cit, sara, &ws, &id, &dev, thread, share);

	/* A new device approved by the existing one reads the older thread: no re-wrap by anyone. */
	cit2 = itest_citizen(&t->h, CITIZEN);
	{
		uint8_t s[32];

		advice_random(s, 32);
		advice_keys_personal(&dev2, s);
	}
	approve_new_device(cit, cit2, &id, id_seed, &dev, &dev2, &got_id);
	text = citizen_reads_first(cit2, "nd", thread, &got_id, dev.sign_pk, dev.sign_pk);
	assert_non_null(text);
	assert_string_equal(text, CANARY_Q);
	free(text);

	/* The recovery code: shown once, the box stored; a third device types the code, signs its
	 * own certificate with the recovered identity and reads the older thread. */
	{
		uint8_t secret[ADVICE_RECOVERY_SECRET_BYTES], rkey[32], nonce[24],
			rbox[ADVICE_RECOVERY_BOX_BYTES], seed[32], s[32];
		char *b, *c;

		advice_random(secret, sizeof secret);
		advice_random(nonce, sizeof nonce);
		advice_recovery_code_format(code, secret);
		advice_recovery_key(rkey, secret);
		assert_int_equal(advice_recovery_box_seal(rbox, id_seed, 1770000000000ULL, rkey, nonce), 0);
		b = itest_b64(rbox, sizeof rbox);
		json_decref(itest_request(cit, "ok",
					  "{\"type\":\"recovery.put\",\"id\":\"rp\",\"box\":\"%s\"}", b));
		free(b);
		cit3 = itest_citizen(&t->h, CITIZEN);
		r = itest_request(cit3, "ok", "{\"type\":\"recovery.get\",\"id\":\"rg\"}");
		itest_unb64_fixed(json_object_get(json_array_get(json_object_get(r, "boxes"), 0), "box"),
				  rbox, sizeof rbox);
		json_decref(r);
		/* A typo (in the last group, all check bits: always caught) is refused as such. */
		code[40] = code[40] == '7' ? '8' : '7';
		assert_int_equal(advice_recovery_box_open(seed, rbox, sizeof rbox, code), -ADVICE_ERR_INVAL);
		advice_recovery_code_format(code, secret);
		assert_int_equal(advice_recovery_box_open(seed, rbox, sizeof rbox, code), 0);
		assert_int_equal(advice_keys_personal(&got_id, seed), 0);
		advice_random(s, 32);
		advice_keys_personal(&dev3, s);
		c = cert_b64(&got_id, &dev3);
		json_decref(itest_request(cit3, "ok",
					  "{\"type\":\"device.add\",\"id\":\"d3\",\"cert\":\"%s\"}", c));
		free(c);
		text = citizen_reads_first(cit3, "rd", thread, &got_id, dev.sign_pk, dev.sign_pk);
		assert_non_null(text);
		assert_string_equal(text, CANARY_Q);
		free(text);
	}

	/* A device with neither starts a new identity: it cannot open the older thread; sara's
	 * client reports "new identity since" and reaches it only by an explicit re-wrap. */
	itest_device_new(cit3, &id_new, NULL, &dev4, "d4");
	assert_null(citizen_reads_first(cit3, "ni", thread, &id_new, dev.sign_pk, dev.sign_pk));
	r = itest_request(sara, "ok", "{\"type\":\"thread.keys\",\"id\":\"ni-k\",\"thread\":\"%s\"}", thread);
	{
		struct advice_identity_seen seen[4];
		size_t n = 0, newest = 0, i;
		uint64_t since = 0;
		uint8_t wrap[ADVICE_WRAP_BYTES], eph[32];
		json_t *x;
		char *w;

		json_array_foreach (json_object_get(r, "identities"), i, x) {
			if (n == 4)
				break;
			itest_unb64_fixed(json_object_get(x, "sign_pk"), seen[n].sign_pk, 32);
			itest_unb64_fixed(json_object_get(x, "box_pk"), seen[n].box_pk, 32);
			seen[n++].first_seen = (uint64_t)json_integer_value(json_object_get(x, "first_seen"));
		}
		assert_int_equal(n, 2);
		assert_int_equal(
			advice_citizen_identity_status(seen, n, thread_id.identity_sign_pk, &newest, &since),
			1);
		assert_memory_equal(seen[newest].sign_pk, id_new.sign_pk, 32);
		assert_true(since > 0);
		/* The new identity's device writing in the old thread is not that thread's citizen.
		 */
		body = itest_envelope_b64(thread, got, share, &dev4, "from the new identity");
		{
			json_t *b = json_string(body), *rd;
			uint8_t pk[32];

			rd = itest_request(sara, "ok",
					   "{\"type\":\"thread.read\",\"id\":\"ni-r\",\"thread\":\"%s\"}",
					   thread);
			assert_int_equal(
				reader_citizen_sender(
					sara, thread,
					json_object_get(json_array_get(json_object_get(rd, "messages"), 0),
							"body"),
					b, &thread_id, pk),
				-ADVICE_ERR_FORBIDDEN);
			json_decref(b);
			json_decref(rd);
		}
		free(body);
		/* The worker confirmed the person by phone: the explicit re-wrap. */
		advice_random(eph, 32);
		{
			uint8_t tid[16];

			advice_unhex(tid, 16, thread);
			assert_int_equal(advice_citizen_rewrap(wrap, tid, 0, got, &seen[newest], eph, &ws.me),
					 0);
		}
		w = itest_b64(wrap, sizeof wrap);
		json_decref(itest_request(sara, "ok",
					  "{\"type\":\"wrap.put\",\"id\":\"ni-w\",\"thread\":\"%s\","
					  "\"wraps\":[\"%s\"]}",
					  thread, w));
		free(w);
	}
	json_decref(r);
	text = citizen_reads_first(cit3, "ni2", thread, &id_new, ws.me.sign_pk, dev.sign_pk);
	assert_non_null(text);
	assert_string_equal(text, CANARY_Q);
	free(text);
	advice_conn_free(cit2);
	advice_conn_free(cit3);

	/* Reassignment to children and families: sara wraps to its verified key, moves the thread. */
	r = itest_request(sara, "ok",
			  "{\"type\":\"keys.unit\",\"id\":\"ku\",\"category\":\"children-and-families\"}");
	{
		struct advice_unit_event *ev = calloc(1, sizeof *ev);

		assert_int_equal(itest_unit_current(json_object_get(r, "generations"), ws.admin_pk,
						    itest_str(r, "unit"), ev),
				 0);
		itest_wrap_put(sara, "rw2", thread, ev->box_pk, got, &ws.me, "ok");
		free(ev);
	}
	json_decref(r);
	json_decref(
		itest_request(sara, "ok",
			      "{\"type\":\"thread.reassign\",\"id\":\"mv\",\"thread\":\"%s\",\"to_category\":"
			      "\"children-and-families\",\"reason\":\"belongs to family services\"}",
			      thread));
	ben = itest_worker(&t->h, "ben");
	itest_worker_keys(t, ben, "ben-demo", &wb);
	assert_int_equal(itest_worker_thread_key(t, ben, &wb, thread, got, s2, cpk), 0);
	/* ben, in the other unit, checks anna's answer through thread.read's certificates too. */
	itest_reader_init(&rb, t->root_pk, thread);
	r = itest_request(ben, "ok", "{\"type\":\"thread.keys\",\"id\":\"k5\",\"thread\":\"%s\"}", thread);
	itest_reader_keys(&rb, r);
	json_decref(r);
	r = itest_request(ben, "ok", "{\"type\":\"thread.read\",\"id\":\"r5\",\"thread\":\"%s\"}", thread);
	assert_int_equal(itest_reader_feed(&rb, r, verdicts, pks, 8), 4); /* the last at epoch 1 */
	for (int i = 0; i < 4; i++)
		assert_int_equal(verdicts[i], ADVICE_THREAD_OK);
	assert_true(advice_thread_complete(rb.order));
	itest_reader_free(&rb);
	text = itest_envelope_text(json_object_get(json_array_get(json_object_get(r, "messages"), 1), "body"),
				   thread, got, s2, pks[1]);
	assert_non_null(text);
	assert_string_equal(text, CANARY_A);
	free(text);
	json_decref(r);

	advice_conn_free(cit);
	advice_conn_free(anna);
	advice_conn_free(sara);
	advice_conn_free(ben);

	/* No canary in any form anywhere the server writes: every file of the data folder
	 * (database, WAL, blobs, log, secrets) while the server runs, when the WAL holds the
	 * latest writes (the reassignment among them), and again after a clean stop. */
	itest_needles_add_secret(nd, "question", CANARY_Q, NULL);
	itest_needles_add_secret(nd, "answer", CANARY_A, NULL);
	itest_needles_add_secret(nd, "message after the rotation", CANARY_N, NULL);
	itest_needles_add_secret(nd, "attachment", CANARY_F, NULL);
	itest_scan_self_test(nd);
	snprintf(path, sizeof path, "%s/advice.db-wal", t->h.dir);
	assert_true(itest_file_contains(path, thread));
	assert_int_equal(itest_scan_dir(t->h.dir, nd, &files), 0);
	assert_true(files >= 6); /* database, WAL, its index, a blob, the log, the pepper at least */
	assert_int_equal(harness_restart(&t->h), 0);
	assert_int_equal(itest_scan_dir(t->h.dir, nd, NULL), 0);
	snprintf(path, sizeof path, "%s/advice.db", t->h.dir);
	/* The scan does see the database's text. */
	assert_true(itest_file_contains(path, "adult-social-work"));
	free(nd);
}

/* file.begin of `fid_hex` (the attachment's padded size) on `thread` by k; the reply must be
 * `expect`. */
static void begin_expect(struct advice_conn *k, const char *rid, const char *thread, const char *fid_hex,
			 const char *expect)
{
	json_decref(itest_request(
		k, expect,
		"{\"type\":\"file.begin\",\"id\":\"%s\",\"thread\":\"%s\",\"file\":\"%s\",\"size\":%llu}",
		rid, thread, fid_hex, (unsigned long long)advice_file_padded_size(FILE_LEN)));
}

/*
 * The browser app's order: the citizen prepares a thread, uploads the attachment to the
 * prepared id, then opens the thread with a first message that names the file; another
 * citizen cannot upload to that id or see the upload; anna reads the message and decrypts the
 * file. A prepared thread shredded before it was opened takes no more uploads.
 */
static void test_attach_before_open(void **state)
{
	struct itest_e2e *t = *state;
	struct advice_conn *cit = itest_citizen(&t->h, CITIZEN), *other = itest_citizen(&t->h, CITIZEN_B),
			   *anna;
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	struct advice_keys id = { 0 }, dev;
	struct advice_file_ref f;
	struct advice_envelope_hdr h;
	struct itest_worker wa;
	uint8_t *ct[2], *env = malloc(ADVICE_ENVELOPE_MAX_BYTES), content[512], mkey[32], share[32], tkey[32],
			got[32], s2[32], cpk[32];
	size_t len[2], clen = 0, elen = 0;
	char thread[33], dropped[33], fid_hex[33], *body;
	json_t *r;

	itest_device_new(cit, &id, NULL, &dev, "dev1");
	assert_int_equal(itest_unit_key(t->root_pk, cit, "adult-social-work", ev, NULL), 0);
	r = itest_request(cit, "ok", "{\"type\":\"thread.prepare\",\"id\":\"p1\"}");
	snprintf(thread, sizeof thread, "%s", itest_str(r, "thread"));
	itest_unb64_fixed(json_object_get(r, "share"), share, 32);
	json_decref(r);
	attachment_encrypt(thread, &f, ct, len);
	advice_hex(fid_hex, f.file_id, 16);
	begin_expect(other, "x1", thread, fid_hex, "not_found"); /* not the other citizen's */
	begin_expect(cit, "fb", thread, fid_hex, "ok");
	itest_chunk_send(cit, f.file_id, 0, ct[0], len[0], "ok");
	itest_chunk_send(cit, f.file_id, 1, ct[1], len[1], "ok");
	json_decref(itest_request(other, "not_found",
				  "{\"type\":\"file.status\",\"id\":\"x2\",\"file\":\"%s\"}", fid_hex));
	r = itest_request(cit, "ok", "{\"type\":\"file.status\",\"id\":\"fs\",\"file\":\"%s\"}", fid_hex);
	assert_true(json_is_true(json_object_get(r, "complete")));
	assert_string_equal(itest_str(r, "thread"), thread);
	json_decref(r);

	/* The first message names the file; the thread key goes to the unit and the identity. */
	memset(&h, 0, sizeof h);
	advice_unhex(h.thread_id, 16, thread);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	h.sender_seq = 1;
	h.created_at = 1770000000000ULL;
	advice_random(tkey, 32);
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, &f, 1, "kysymys ja liite", 16),
			 0);
	advice_thread_msg_key(mkey, tkey, h.thread_id, 0, share);
	assert_int_equal(
		advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen, &dev),
		0);
	body = itest_b64(env, elen);
	json_decref(
		itest_request(cit, "ok",
			      "{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\","
			      "\"thread\":\"%s\",\"body\":\"%s\"}",
			      thread, body));
	free(body);
	itest_wrap_put(cit, "wu", thread, ev->box_pk, tkey, &dev, "ok");
	itest_wrap_put(cit, "wi", thread, id.box_pk, tkey, &dev, "ok");

	/* anna opens the thread key, the message and the file. */
	anna = itest_worker(&t->h, "anna");
	itest_worker_keys(t, anna, "anna-demo", &wa);
	assert_int_equal(itest_worker_thread_key(t, anna, &wa, thread, got, s2, cpk), 0);
	assert_memory_equal(got, tkey, 32);
	reader_fetch(anna, thread, 1, got, s2, dev.sign_pk);
	begin_expect(other, "x3", thread, fid_hex, "not_found"); /* opened: still not theirs */

	/* Shredded before it was opened: the prepared id takes no uploads, its file is gone. */
	r = itest_request(cit, "ok", "{\"type\":\"thread.prepare\",\"id\":\"p2\"}");
	snprintf(dropped, sizeof dropped, "%s", itest_str(r, "thread"));
	json_decref(r);
	begin_expect(cit, "fb2", dropped, "0123456789abcdef0123456789abcdef", "ok");
	assert_int_equal(harness_ctl(&t->h, (const char *const[]){ "thread-shred", dropped, NULL }, NULL), 0);
	json_decref(itest_request(
		cit, "not_found",
		"{\"type\":\"file.status\",\"id\":\"fs2\",\"file\":\"0123456789abcdef0123456789abcdef\"}"));
	begin_expect(cit, "fb3", dropped, "fedcba9876543210fedcba9876543210", "not_found");
	advice_conn_free(cit);
	advice_conn_free(other);
	advice_conn_free(anna);
	free(ct[0]);
	free(ct[1]);
	free(env);
	free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_e2e_scenario, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_before_open, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
