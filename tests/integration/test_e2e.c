/*
 * test_e2e.c - end-to-end encryption against the real adviced, with the keys set up by
 * advicectl (root key, admin, workers' identities and bundles, unit key generations) and
 * every client step done with libadvice the way a client does it: the citizen verifies the
 * unit key against the pinned root key, encrypts and wraps; the worker opens the bundle with
 * the password, reaches the unit seed, opens the thread key and answers. Then: a worker
 * removed from the unit (the key rotates) cannot open a thread created afterwards; the
 * citizen's new device reads the older thread once a unit member's client re-wrapped it; the
 * thread moves to another unit whose worker reads it, the server never holding a key; and
 * no canary string of any message is anywhere in the database, its WAL or the server's log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "advice.h"
#include "advice_crypto.h"
#include "harness.h"
#include "itest.h"

#define TIMEOUT_MS 10000
#define CITIZEN	   "010594Y9032"
#define CANARY_Q   "CANARY-question-5e1d"
#define CANARY_A   "CANARY-answer-9b27"
#define CANARY_N   "CANARY-after-rotation-c4f0"

struct t {
	struct harness h;
	char root_file[300], admin_file[300];
	uint8_t root_pk[32]; /* pinned: what root-create printed */
};

/* Runs advicectl with args (and `input` on stdin when not NULL); returns its stdout (malloc'd). */
static char *ctl(struct t *t, const char *input, const char *fmt, ...)
{
	char args[1024], cmd[2048], *out = calloc(1, 4096);
	va_list ap;
	FILE *p;
	size_t n;

	(void)t;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	if (input != NULL)
		snprintf(cmd, sizeof cmd, "printf '%%s\\n' '%s' | \"%s\" %s", input, getenv("ADVICECTL"),
			 args);
	else
		snprintf(cmd, sizeof cmd, "\"%s\" %s", getenv("ADVICECTL"), args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, 4095, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	return out;
}

static void keys_setup(struct t *t)
{
	const char *workers[] = { "anna", "ben", "sara" };
	uint8_t *pk = NULL;
	size_t len = 0;
	char *out;

	snprintf(t->root_file, sizeof t->root_file, "%s/root.key", t->h.dir);
	snprintf(t->admin_file, sizeof t->admin_file, "%s/admin.key", t->h.dir);
	out = ctl(t, NULL, "root-create %s", t->root_file);
	out[strcspn(out, "\n")] = '\0';
	assert_int_equal(advice_b64url_decode(out, &pk, &len), 0);
	assert_int_equal(len, 32);
	memcpy(t->root_pk, pk, 32);
	free(pk);
	free(ctl(t, NULL, "-d %s root-install %s", t->h.dir, out));
	free(out);
	free(ctl(t, NULL, "-d %s admin-certify %s %s", t->h.dir, t->root_file, t->admin_file));
	for (size_t i = 0; i < 3; i++) {
		char pw[32];

		snprintf(pw, sizeof pw, "%s-demo", workers[i]);
		free(ctl(t, pw, "-d %s worker-keys %s %s", t->h.dir, workers[i], t->admin_file));
	}
	free(ctl(t, NULL, "-d %s unit-key-rotate 'Adult social work' %s", t->h.dir, t->admin_file));
	free(ctl(t, NULL, "-d %s unit-key-rotate 'Children and families' %s", t->h.dir, t->admin_file));
}

/* Turns envelope enforcement on (test mode leaves it off) and restarts the server. */
static void require_envelopes(struct harness *h)
{
	char path[512], *text, *at;
	size_t len;
	FILE *f;

	snprintf(path, sizeof path, "%s/adviced.conf", h->dir);
	f = fopen(path, "r+");
	assert_non_null(f);
	text = calloc(1, 65536);
	assert_non_null(text);
	len = fread(text, 1, 65535, f);
	at = strstr(text, "require_envelopes = no");
	assert_non_null(at);
	memcpy(at + strlen("require_envelopes = "), "on", 2); /* "no" -> "on": same length */
	rewind(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	free(text);
	assert_int_equal(harness_restart(h), 0);
}

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof *t);

	assert_non_null(t);
	assert_int_equal(advice_crypto_init(), 0);
	assert_int_equal(harness_start(&t->h), 0);
	require_envelopes(&t->h);
	keys_setup(t);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	int rc = harness_stop(&t->h);

	free(t);
	return rc;
}

static char *b64(const void *d, size_t n)
{
	char *s = advice_b64url_encode(d, n);

	assert_non_null(s);
	return s;
}

/* Decodes base64url into a malloc'd buffer. */
static uint8_t *unb64(json_t *j, size_t *len)
{
	uint8_t *d = NULL;

	assert_int_equal(advice_b64url_decode(json_string_value(j), &d, len), 0);
	return d;
}

static void unb64_fixed(json_t *j, uint8_t *out, size_t want)
{
	size_t len = 0;
	uint8_t *d = unb64(j, &len);

	assert_int_equal(len, want);
	memcpy(out, d, want);
	free(d);
}

static struct advice_conn *login(struct t *t, const char *who)
{
	char *session = NULL;
	struct advice_conn *k;

	if (strcmp(who, "citizen") == 0)
		assert_int_equal(harness_login_citizen(&t->h, CITIZEN, &session), 0);
	else
		assert_int_equal(harness_login_worker(&t->h, who, &session), 0);
	k = harness_connect(&t->h, session);
	assert_non_null(k);
	free(session);
	return k;
}

/* The admin's signing key from a list of certificates, verified against the pinned root. */
static void admin_key(struct t *t, json_t *certs, uint8_t admin_pk[32])
{
	struct advice_cert c;
	uint8_t cert[ADVICE_CERT_BYTES];

	assert_true(json_array_size(certs) >= 1);
	unb64_fixed(json_array_get(certs, 0), cert, sizeof cert);
	assert_int_equal(
		advice_cert_verify(cert, sizeof cert, NULL, 0, t->root_pk, (uint64_t)time(NULL) * 1000, &c),
		0);
	memcpy(admin_pk, c.sign_pk, 32);
}

/* A unit's current generation from a generations list, every event verified in order. */
static uint32_t unit_current(json_t *gens, const uint8_t admin_pk[32], struct advice_unit_event *ev)
{
	uint8_t prev[ADVICE_UNIT_EVENT_MAX_BYTES], cur[ADVICE_UNIT_EVENT_MAX_BYTES];
	size_t prev_len = 0, len = 0, i;
	json_t *g;

	assert_true(json_array_size(gens) >= 1);
	json_array_foreach (gens, i, g) {
		uint8_t *e = unb64(json_object_get(g, "event"), &len);

		assert_true(len <= sizeof cur);
		memcpy(cur, e, len);
		free(e);
		assert_int_equal(advice_unit_event_verify(cur, len, admin_pk, i ? prev : NULL, prev_len, ev),
				 0);
		memcpy(prev, cur, len);
		prev_len = len;
	}
	return ev->generation;
}

/* A citizen device: keys registered with device.add. */
static void device_new(struct advice_conn *k, struct advice_keys *dev, const char *rid)
{
	uint8_t seed[32];
	char *box, *sign;

	advice_random(seed, 32);
	advice_keys_personal(dev, seed);
	box = b64(dev->box_pk, 32);
	sign = b64(dev->sign_pk, 32);
	json_decref(itest_request(
		k, "ok", "{\"type\":\"device.add\",\"id\":\"%s\",\"box_pk\":\"%s\",\"sign_pk\":\"%s\"}", rid,
		box, sign));
	free(box);
	free(sign);
}

/* An envelope with text, base64url (malloc'd). */
static char *envelope_b64(const char *thread, const uint8_t tkey[32], const uint8_t share[32],
			  const struct advice_keys *sender, const char *text)
{
	uint8_t content[1024], mkey[32], *env = malloc(ADVICE_ENVELOPE_MAX_BYTES);
	struct advice_envelope_hdr h;
	size_t clen = 0, elen = 0;
	char *s;

	memset(&h, 0, sizeof h);
	advice_unhex(h.thread_id, 16, thread);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	h.created_at = 1770000000000ULL;
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, NULL, 0, text, strlen(text)),
			 0);
	assert_int_equal(advice_thread_msg_key(mkey, tkey, h.thread_id, 0, share), 0);
	assert_int_equal(
		advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen, sender),
		0);
	s = b64(env, elen);
	free(env);
	return s;
}

/* Opens an envelope and returns its text (malloc'd), or NULL when it does not verify. */
static char *envelope_text(json_t *body, const char *thread, const uint8_t tkey[32], const uint8_t share[32],
			   const uint8_t sender_pk[32])
{
	uint8_t tid[16], mkey[32], *plain = malloc(ADVICE_ENVELOPE_MAX_BYTES), *env;
	struct advice_file_ref files[ADVICE_CONTENT_MAX_FILES];
	struct advice_envelope_hdr h;
	size_t len = 0, plen = 0, n = 0, tlen = 0;
	const uint8_t *text;
	char *out = NULL;

	advice_unhex(tid, 16, thread);
	advice_thread_msg_key(mkey, tkey, tid, 0, share);
	env = unb64(body, &len);
	if (advice_envelope_open(plain, ADVICE_ENVELOPE_MAX_BYTES, &plen, &h, env, len, tid, mkey,
				 sender_pk) == 0 &&
	    advice_content_decode(plain, plen, files, &n, &text, &tlen) == 0)
		out = strndup((const char *)text, tlen);
	free(env);
	free(plain);
	return out;
}

static void wrap_put(struct advice_conn *k, const char *rid, const char *thread, const uint8_t *recipient_box,
		     const uint8_t tkey[32], const struct advice_keys *signer, const char *expect)
{
	uint8_t w[ADVICE_WRAP_BYTES], tid[16], eph[32];
	char *s;

	advice_unhex(tid, 16, thread);
	advice_random(eph, 32);
	assert_int_equal(
		advice_wrap_seal(w, ADVICE_WRAP_THREAD_KEY, tid, 0, recipient_box, tkey, eph, signer), 0);
	s = b64(w, sizeof w);
	json_decref(itest_request(
		k, expect, "{\"type\":\"wrap.put\",\"id\":\"%s\",\"thread\":\"%s\",\"wraps\":[\"%s\"]}", rid,
		thread, s));
	free(s);
}

/* The citizen opens a thread: verified unit key, prepared id, first message, wraps. */
static void citizen_open(struct t *t, struct advice_conn *k, const struct advice_keys *dev, const char *rid,
			 const char *text, char thread[33], uint8_t tkey[32], uint8_t share[32])
{
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	uint8_t admin_pk[32];
	char *body, id[64];
	json_t *r;

	r = itest_request(k, "ok",
			  "{\"type\":\"keys.unit\",\"id\":\"%s-u\",\"category\":\"adult-social-work\"}", rid);
	admin_key(t, json_object_get(r, "certs"), admin_pk);
	unit_current(json_object_get(r, "generations"), admin_pk, ev);
	json_decref(r);
	r = itest_request(k, "ok", "{\"type\":\"thread.prepare\",\"id\":\"%s-p\"}", rid);
	snprintf(thread, 33, "%s", json_string_value(json_object_get(r, "thread")));
	unb64_fixed(json_object_get(r, "share"), share, 32);
	json_decref(r);
	advice_random(tkey, 32);
	body = envelope_b64(thread, tkey, share, dev, text);
	json_decref(
		itest_request(k, "ok",
			      "{\"type\":\"thread.open\",\"id\":\"%s-o\",\"category\":\"adult-social-work\","
			      "\"thread\":\"%s\","
			      "\"body\":\"%s\"}",
			      rid, thread, body));
	free(body);
	snprintf(id, sizeof id, "%s-wu", rid);
	wrap_put(k, id, thread, ev->box_pk, tkey, dev, "ok");
	snprintf(id, sizeof id, "%s-wd", rid);
	wrap_put(k, id, thread, dev->box_pk, tkey, dev, "ok");
	free(ev);
}

/* A worker's client: opens the bundle with the password, its certificate, the unit seeds. */
struct worker {
	struct advice_keys me;
	uint8_t admin_pk[32];
	uint8_t admin_cert[ADVICE_CERT_BYTES];
	struct advice_keys gens[4]; /* unit key generations reached (current and through the chain) */
	size_t ngens;
};

static int worker_keys(struct t *t, struct advice_conn *k, const char *password, struct worker *w)
{
	uint8_t bundle[ADVICE_BUNDLE_BYTES], master[32], bkey[32], seed[32], wrap[ADVICE_WRAP_BYTES],
		chain[32];
	struct advice_bundle_info bi;
	struct advice_wrap_info wi;
	json_t *r, *s;
	size_t i;

	memset(w, 0, sizeof *w);
	r = itest_request(k, "ok", "{\"type\":\"keys.mine\",\"id\":\"mine\"}");
	admin_key(t, json_object_get(r, "certs"), w->admin_pk);
	unb64_fixed(json_array_get(json_object_get(r, "certs"), 0), w->admin_cert, sizeof w->admin_cert);
	unb64_fixed(json_object_get(r, "bundle"), bundle, sizeof bundle);
	assert_int_equal(advice_bundle_parse(bundle, sizeof bundle, &bi), 0);
	assert_int_equal(advice_password_master(master, password, bi.salt, bi.opslimit, bi.memlimit), 0);
	advice_bundle_key(bkey, master);
	assert_int_equal(advice_bundle_open(seed, bundle, sizeof bundle, bi.user_id, bkey), 0);
	advice_keys_personal(&w->me, seed);
	json_array_foreach (json_object_get(r, "seeds"), i, s) {
		uint8_t prev[32];
		json_t *u, *g;
		size_t j, gi;

		unb64_fixed(json_object_get(s, "wrap"), wrap, sizeof wrap);
		assert_int_equal(advice_wrap_open(seed, &wi, wrap, sizeof wrap, &w->me, w->admin_pk), 0);
		advice_keys_unit(&w->gens[w->ngens], chain, seed);
		/* Walk back through the chain boxes of this unit. */
		json_array_foreach (json_object_get(r, "units"), j, u) {
			if (strcmp(json_string_value(json_object_get(u, "unit")),
				   json_string_value(json_object_get(s, "unit"))) != 0)
				continue;
			for (gi = json_array_size(json_object_get(u, "generations")); gi > 1 && w->ngens < 3;
			     gi--) {
				uint8_t box[ADVICE_CHAIN_BYTES];

				g = json_array_get(json_object_get(u, "generations"), gi - 1);
				if (json_integer_value(json_object_get(g, "generation")) != wi.epoch)
					continue;
				unb64_fixed(json_object_get(g, "chain"), box, sizeof box);
				assert_int_equal(advice_chain_open(prev, box, sizeof box, wi.scope_id,
								   wi.epoch, chain),
						 0);
				w->ngens++;
				advice_keys_unit(&w->gens[w->ngens], chain, prev);
				wi.epoch--;
			}
		}
		w->ngens++;
	}
	json_decref(r);
	return 0;
}

/*
 * The worker opens the thread key with any unit generation reached, accepting wraps signed by
 * the citizen's devices or by staff whose certificate chains to the pinned root. 0, or -1 when
 * none opens.
 */
static int worker_thread_key(struct t *t, struct advice_conn *k, const struct worker *w, const char *thread,
			     uint8_t tkey[32], uint8_t share[32], uint8_t citizen_pk[32])
{
	uint8_t wrap[ADVICE_WRAP_BYTES], signers[8][32], cert[ADVICE_CERT_BYTES];
	struct advice_wrap_info wi;
	struct advice_cert c;
	json_t *r = itest_request(k, "ok", "{\"type\":\"thread.keys\",\"id\":\"tk-%s\",\"thread\":\"%s\"}",
				  thread, thread),
	       *x;
	size_t i, n = 0;
	int rc = -1;

	unb64_fixed(json_object_get(r, "share"), share, 32);
	unb64_fixed(json_object_get(json_array_get(json_object_get(r, "devices"), 0), "sign_pk"), citizen_pk,
		    32);
	json_array_foreach (json_object_get(r, "devices"), i, x)
		if (n < 8)
			unb64_fixed(json_object_get(x, "sign_pk"), signers[n++], 32);
	json_array_foreach (json_object_get(r, "certs"), i, x) {
		unb64_fixed(x, cert, sizeof cert);
		if (n < 8 && advice_cert_verify(cert, sizeof cert, w->admin_cert, sizeof w->admin_cert,
						t->root_pk, (uint64_t)time(NULL) * 1000, &c) == 0)
			memcpy(signers[n++], c.sign_pk, 32);
	}
	json_array_foreach (json_object_get(r, "wraps"), i, x) {
		unb64_fixed(x, wrap, sizeof wrap);
		for (size_t g = 0; g < w->ngens && rc != 0; g++)
			for (size_t si = 0; si < n && rc != 0; si++)
				if (advice_wrap_open(tkey, &wi, wrap, sizeof wrap, &w->gens[g],
						     signers[si]) == 0)
					rc = 0;
	}
	json_decref(r);
	return rc;
}

/* Whether `needle` occurs in the file. */
static int file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	size_t n = strlen(needle), len;
	char *buf;
	int found = 0;

	if (f == NULL)
		return 0;
	buf = malloc(1 << 24);
	len = fread(buf, 1, 1 << 24, f);
	fclose(f);
	for (size_t i = 0; i + n <= len && !found; i++)
		found = memcmp(buf + i, needle, n) == 0;
	free(buf);
	return found;
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

/* Waits for the file.chunk event of `index`; returns its code (malloc'd). */
static char *chunk_event(struct advice_conn *k, long index)
{
	char *text = NULL, *code = NULL;

	while (code == NULL && advice_next_message(k, &text, TIMEOUT_MS) == 0) {
		json_t *j = json_loads(text, 0, NULL);

		if (j != NULL &&
		    strcmp(json_string_value(json_object_get(j, "event")) ?: "", "file.chunk") == 0 &&
		    json_integer_value(json_object_get(j, "index")) == index)
			code = strdup(json_string_value(json_object_get(j, "code")));
		json_decref(j);
		free(text);
	}
	assert_non_null(code);
	return code;
}

/* Sends chunk `index` of the encrypted file as a binary message and expects `expect`. */
static void chunk_send(struct advice_conn *k, const uint8_t fid[16], uint32_t index, const uint8_t *ct,
		       size_t len, const char *expect)
{
	uint8_t *m = malloc(24 + len);
	char *code;

	memcpy(m, "QC\x01\x00", 4);
	memcpy(m + 4, fid, 16);
	for (int i = 0; i < 4; i++)
		m[20 + i] = (uint8_t)(index >> (8 * i));
	memcpy(m + 24, ct, len);
	assert_int_equal(advice_send_raw(k, m, 24 + len, ADVICE_FRAME_BINARY), 0);
	code = chunk_event(k, index);
	assert_string_equal(code, expect);
	free(code);
	free(m);
}

/*
 * The citizen attaches a PDF to the thread: type checked, encrypted, uploaded in two chunks
 * with a reconnect in between (resumed from file.status), and announced in a message.
 */
static struct advice_conn *citizen_attach(struct t *t, struct advice_conn *k, const char *thread,
					  const uint8_t tkey[32], const uint8_t share[32],
					  const struct advice_keys *dev)
{
	uint8_t *plain = attachment_plain(), *ct[2], tid[16], content[512], mkey[32];
	uint8_t *env = malloc(ADVICE_ENVELOPE_MAX_BYTES);
	size_t len[2], clen = 0, elen = 0;
	struct advice_file_ref f = { .size = FILE_LEN };
	struct advice_envelope_hdr h;
	struct advice_file_stream *s;
	char fid_hex[33], *session = NULL, *body;
	json_t *r;

	f.media = (uint8_t)advice_media_sniff(plain, FILE_LEN);
	assert_int_equal(f.media, ADVICE_MEDIA_PDF); /* the sender checks the real type first */
	advice_unhex(tid, 16, thread);
	advice_random(f.file_id, 16);
	advice_random(f.key, 32);
	advice_random(f.header, 24);
	s = advice_file_stream_new(1, f.key, f.header, tid, f.file_id);
	for (int i = 0; i < 2; i++) {
		size_t n = i == 0 ? ADVICE_FILE_CHUNK_BYTES : FILE_LEN - ADVICE_FILE_CHUNK_BYTES;

		ct[i] = malloc(ADVICE_FILE_CHUNK_MAX_CIPHER);
		assert_int_equal(
			advice_file_push(s, plain + i * ADVICE_FILE_CHUNK_BYTES, n, i == 1, ct[i], &len[i]),
			0);
	}
	assert_int_equal(advice_file_hash(s, f.hash), 0);
	advice_file_stream_free(s);
	advice_hex(fid_hex, f.file_id, 16);

	r = itest_request(
		k, "ok",
		"{\"type\":\"file.begin\",\"id\":\"fb\",\"thread\":\"%s\",\"file\":\"%s\",\"size\":%d}",
		thread, fid_hex, FILE_LEN);
	assert_int_equal(json_integer_value(json_object_get(r, "chunks")), 2);
	json_decref(r);
	/* Quotas answer clearly. */
	json_decref(itest_request(
		k, "too_large",
		"{\"type\":\"file.begin\",\"id\":\"fq\",\"thread\":\"%s\",\"file\":\"%032x\",\"size\":%lld}",
		thread, 7, 30LL << 20));
	chunk_send(k, f.file_id, 1, ct[1], len[1], "conflict"); /* chunks go in order */
	chunk_send(k, f.file_id, 0, ct[0], len[0], "ok");
	/* The connection drops; a new one resumes where the server got to. */
	advice_conn_free(k);
	assert_int_equal(harness_login_citizen(&t->h, CITIZEN, &session), 0);
	k = harness_connect(&t->h, session);
	assert_non_null(k);
	free(session);
	r = itest_request(k, "ok", "{\"type\":\"file.status\",\"id\":\"fs\",\"file\":\"%s\"}", fid_hex);
	assert_int_equal(json_integer_value(json_object_get(r, "received")), 1);
	json_decref(r);
	chunk_send(k, f.file_id, 0, ct[0], len[0], "ok"); /* a resend is acknowledged again */
	len[1] -= 1;
	chunk_send(k, f.file_id, 1, ct[1], len[1], "bad_request"); /* wrong size */
	len[1] += 1;
	chunk_send(k, f.file_id, 1, ct[1], len[1], "ok");

	/* The message that carries the file key. */
	memset(&h, 0, sizeof h);
	memcpy(h.thread_id, tid, 16);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, &f, 1, "liite", 5), 0);
	advice_thread_msg_key(mkey, tkey, tid, 0, share);
	assert_int_equal(
		advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen, dev), 0);
	body = b64(env, elen);
	json_decref(itest_request(
		k, "ok", "{\"type\":\"message.send\",\"id\":\"ma\",\"thread\":\"%s\",\"body\":\"%s\"}",
		thread, body));
	free(body);
	free(env);
	free(ct[0]);
	free(ct[1]);
	free(plain);
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
	env = unb64(json_object_get(json_array_get(json_object_get(r, "messages"), 0), "body"), &len);
	json_decref(r);
	advice_unhex(tid, 16, thread);
	advice_thread_msg_key(mkey, tkey, tid, 0, share);
	assert_int_equal(advice_envelope_open(plain, ADVICE_ENVELOPE_MAX_BYTES, &plen, &h, env, len, tid,
					      mkey, sender_pk),
			 0);
	assert_int_equal(advice_content_decode(plain, plen, files, &n, &text, &tlen), 0);
	assert_int_equal(n, 1);
	advice_hex(fid_hex, files[0].file_id, 16);
	s = advice_file_stream_new(0, files[0].key, files[0].header, tid, files[0].file_id);
	for (long i = 0; !final; i++) {
		uint8_t *ct;
		size_t clen = 0, got = 0;

		r = itest_request(
			k, "ok", "{\"type\":\"file.get\",\"id\":\"fg%ld-%ld\",\"file\":\"%s\",\"index\":%ld}",
			seq, i, fid_hex, i);
		ct = unb64(json_object_get(r, "chunk"), &clen);
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

static const char *scan_dir;
static int scan_files, scan_hits;

/* nftw callback: counts files and canary hits. */
static int scan_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	const char *canaries[] = { CANARY_Q, CANARY_A, CANARY_N, CANARY_F };

	(void)sb;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	scan_files++;
	for (size_t c = 0; c < 4; c++)
		if (file_contains(path, canaries[c])) {
			fprintf(stderr, "canary %s found in %s (under %s)\n", canaries[c], path, scan_dir);
			scan_hits++;
		}
	return 0;
}

static void test_e2e_scenario(void **state)
{
	struct t *t = *state;
	struct advice_conn *cit, *anna, *sara, *ben;
	struct advice_keys dev, dev2;
	struct worker wa, ws, wb;
	char thread[33], thread2[33], *body, *text, path[400], *out;
	uint8_t tkey[32], share[32], k2[32], s2[32], cpk[32], got[32];
	json_t *r, *msgs;

	/* The citizen asks. */
	cit = login(t, "citizen");
	device_new(cit, &dev, "dev1");
	citizen_open(t, cit, &dev, "t1", CANARY_Q, thread, tkey, share);

	/* anna reaches the thread key through her bundle and the unit seed, reads and answers. */
	anna = login(t, "anna");
	worker_keys(t, anna, "anna-demo", &wa);
	assert_int_equal(worker_thread_key(t, anna, &wa, thread, got, s2, cpk), 0);
	assert_memory_equal(got, tkey, 32);
	assert_memory_equal(s2, share, 32);
	json_decref(itest_request(anna, "ok", "{\"type\":\"thread.claim\",\"id\":\"c1\",\"thread\":\"%s\"}",
				  thread));
	r = itest_request(anna, "ok", "{\"type\":\"thread.read\",\"id\":\"r1\",\"thread\":\"%s\"}", thread);
	msgs = json_object_get(r, "messages");
	text = envelope_text(json_object_get(json_array_get(msgs, 0), "body"), thread, got, s2, dev.sign_pk);
	assert_non_null(text);
	assert_string_equal(text, CANARY_Q);
	free(text);
	json_decref(r);
	body = envelope_b64(thread, got, s2, &wa.me, CANARY_A);
	json_decref(itest_request(
		anna, "ok", "{\"type\":\"message.send\",\"id\":\"m1\",\"thread\":\"%s\",\"body\":\"%s\"}",
		thread, body));
	free(body);
	/* With envelopes required, the server refuses a body that is no envelope of this thread. */
	json_decref(itest_request(
		anna, "bad_request",
		"{\"type\":\"message.send\",\"id\":\"m-plain\",\"thread\":\"%s\",\"body\":\"AAAA\"}",
		thread));
	/* The citizen reads the answer, signed by anna's certified key. */
	r = itest_request(cit, "ok", "{\"type\":\"thread.read\",\"id\":\"r2\",\"thread\":\"%s\"}", thread);
	text = envelope_text(json_object_get(json_array_get(json_object_get(r, "messages"), 1), "body"),
			     thread, tkey, share, wa.me.sign_pk);
	assert_non_null(text);
	assert_string_equal(text, CANARY_A);
	free(text);
	json_decref(r);
	/* An attachment: uploaded with a resume, read back by anna, type checked on both sides. */
	cit = citizen_attach(t, cit, thread, tkey, share, &dev);
	reader_fetch(anna, thread, 3, tkey, share, dev.sign_pk);
	{
		char blob[400];
		struct stat sb;

		snprintf(blob, sizeof blob, "%s/blobs", t->h.dir);
		assert_int_equal(stat(blob, &sb), 0); /* the blob store exists and is scanned below */
	}
	/* A message moved into another thread (the server replaying it there) fails to verify. */
	citizen_open(t, cit, &dev, "t2", "second question", thread2, k2, s2);
	r = itest_request(cit, "ok", "{\"type\":\"thread.read\",\"id\":\"r3\",\"thread\":\"%s\"}", thread);
	assert_null(envelope_text(json_object_get(json_array_get(json_object_get(r, "messages"), 1), "body"),
				  thread2, k2, s2, wa.me.sign_pk));
	json_decref(r);

	/* anna leaves the unit: the key rotates; a thread created afterwards is closed to her keys. */
	out = ctl(t, NULL, "-d %s unit-member-remove anna 'Adult social work' %s", t->h.dir, t->admin_file);
	assert_non_null(strstr(out, "generation 2"));
	free(out);
	citizen_open(t, cit, &dev, "t3", CANARY_N, thread2, k2, s2);
	json_decref(itest_request(anna, "forbidden",
				  "{\"type\":\"thread.keys\",\"id\":\"x1\",\"thread\":\"%s\"}", thread2));
	/* Even with the wrap in hand (an ACL bypass), generation 1 does not open it. */
	sara = login(t, "sara");
	worker_keys(t, sara, "sara-demo", &ws);
	assert_true(ws.ngens >= 2); /* generation 2 and, through the chain, generation 1 */
	r = itest_request(sara, "ok", "{\"type\":\"thread.keys\",\"id\":\"x2\",\"thread\":\"%s\"}", thread2);
	{
		uint8_t wrap[ADVICE_WRAP_BYTES];
		struct advice_wrap_info wi;

		unb64_fixed(json_array_get(json_object_get(r, "wraps"), 0), wrap, sizeof wrap);
		for (size_t g = 0; g < wa.ngens; g++)
			assert_int_not_equal(
				advice_wrap_open(got, &wi, wrap, sizeof wrap, &wa.gens[g], dev.sign_pk), 0);
	}
	json_decref(r);
	/* sara (still a member) reads both the new thread and the old one. */
	assert_int_equal(worker_thread_key(t, sara, &ws, thread2, got, s2, cpk), 0);
	assert_int_equal(worker_thread_key(t, sara, &ws, thread, got, s2, cpk), 0);
	assert_memory_equal(got, tkey, 32);

	/* The citizen's new device reads the older thread after sara's client re-wraps it. */
	device_new(cit, &dev2, "dev2");
	wrap_put(sara, "rw1", thread, dev2.box_pk, got, &ws.me, "ok");
	r = itest_request(cit, "ok", "{\"type\":\"thread.keys\",\"id\":\"nd\",\"thread\":\"%s\"}", thread);
	{
		uint8_t wrap[ADVICE_WRAP_BYTES];
		struct advice_wrap_info wi;
		json_t *x;
		size_t i;
		int opened = 0;

		json_array_foreach (json_object_get(r, "wraps"), i, x) {
			unb64_fixed(x, wrap, sizeof wrap);
			opened |= advice_wrap_open(got, &wi, wrap, sizeof wrap, &dev2, ws.me.sign_pk) == 0;
		}
		assert_true(opened);
	}
	json_decref(r);
	r = itest_request(cit, "ok", "{\"type\":\"thread.read\",\"id\":\"r4\",\"thread\":\"%s\"}", thread);
	text = envelope_text(json_object_get(json_array_get(json_object_get(r, "messages"), 0), "body"),
			     thread, got, share, dev.sign_pk);
	assert_non_null(text);
	assert_string_equal(text, CANARY_Q);
	free(text);
	json_decref(r);

	/* Reassignment to children and families: sara wraps to its verified key, moves the thread. */
	r = itest_request(sara, "ok",
			  "{\"type\":\"keys.unit\",\"id\":\"ku\",\"category\":\"children-and-families\"}");
	{
		struct advice_unit_event *ev = calloc(1, sizeof *ev);

		unit_current(json_object_get(r, "generations"), ws.admin_pk, ev);
		wrap_put(sara, "rw2", thread, ev->box_pk, got, &ws.me, "ok");
		free(ev);
	}
	json_decref(r);
	json_decref(
		itest_request(sara, "ok",
			      "{\"type\":\"thread.reassign\",\"id\":\"mv\",\"thread\":\"%s\",\"to_category\":"
			      "\"children-and-families\",\"reason\":\"belongs to family services\"}",
			      thread));
	ben = login(t, "ben");
	worker_keys(t, ben, "ben-demo", &wb);
	assert_int_equal(worker_thread_key(t, ben, &wb, thread, got, s2, cpk), 0);
	r = itest_request(ben, "ok", "{\"type\":\"thread.read\",\"id\":\"r5\",\"thread\":\"%s\"}", thread);
	text = envelope_text(json_object_get(json_array_get(json_object_get(r, "messages"), 1), "body"),
			     thread, got, s2, wa.me.sign_pk);
	assert_non_null(text);
	assert_string_equal(text, CANARY_A);
	free(text);
	json_decref(r);

	advice_conn_free(cit);
	advice_conn_free(anna);
	advice_conn_free(sara);
	advice_conn_free(ben);

	/* No canary anywhere the server writes: every file of the data folder (database, WAL,
	 * log, secrets) after a clean stop, and the database file exists and was checked. */
	assert_int_equal(harness_restart(&t->h), 0);
	scan_dir = t->h.dir;
	scan_files = 0;
	scan_hits = 0;
	assert_int_equal(nftw(t->h.dir, scan_file, 16, FTW_PHYS), 0);
	assert_int_equal(scan_hits, 0);
	assert_true(scan_files >= 4);
	snprintf(path, sizeof path, "%s/advice.db", t->h.dir);
	assert_int_equal(access(path, R_OK), 0);
	assert_true(file_contains(path, "adult-social-work")); /* the scan does see the database's text */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_e2e_scenario, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
