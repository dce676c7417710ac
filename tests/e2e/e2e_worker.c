/*
 * e2e_worker.c - a demo worker for the browser end-to-end tests, on libadvice. Against a running
 * demo service (advicectl init --demo) it logs in as anna (her demo password and a code of the
 * published demo second factor), opens her bundle and her unit seeds, verified to the demo root
 * key DATADIR/root.pub, and reads a thread the way a worker's client must: the thread verifier
 * in the server's order, the citizen's messages only from devices certified by the thread's
 * identity, staff messages through certificates chained to the root, every attachment
 * decrypted and checked (hash, padding, real type). It prints the thread as one JSON object:
 *
 *   {"thread": ID, "messages": [{"seq", "role", "text", "files": [{"media", "size", "sha256"}]}],
 *    "answer": {"seq", "text", "files": [...]}}       ("answer" only with the command answer)
 *
 * Usage:
 *   e2e_worker URL DATADIR answer [--text TEXT] [--file PATH]
 *       the newest thread of anna's queues: claimed when new, read, then answered with TEXT
 *       and, when given, the file PATH uploaded first and named in the answer
 *   e2e_worker URL DATADIR read THREAD
 *       reads THREAD only
 *
 * Exit status 0 only when everything verified and the answer was accepted; 1 on a failure
 * (the reason on stderr); 2 for bad arguments. Threads are read at key epoch 0 (not re-keyed).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "advice.h"
#include "advice_crypto.h"
#include "advice_thread.h"
#include "staff.h"
#include "totp.h"

#define TIMEOUT_MS  15000
#define WORKER	    "anna"
#define PASSWORD    "anna-demo"
#define MAX_GENS    8
#define MAX_DEVICES 32
#define MAX_CERTS   64
#define FILE_MAX    (25 << 20) /* the largest attachment the worker sends */

/* The worker's session and keys. */
struct worker {
	const char *url, *datadir;
	struct advice_client *client;
	struct advice_conn *k;
	uint8_t root_pk[32], admin_pk[32];
	uint8_t admin_cert[ADVICE_CERT_BYTES];
	struct advice_keys me;
	struct advice_keys gens[MAX_GENS]; /* unit key generations reached */
	size_t ngens;
};

/* One thread as the worker reads it. */
struct thread_view {
	char id[33];
	uint8_t tid[16], tkey[32], share[32];
	uint8_t devices[MAX_DEVICES][32]; /* signing keys of devices certified by the thread's identity */
	size_t ndevices;
	uint8_t certs[MAX_CERTS * ADVICE_CERT_BYTES]; /* staff certificates of thread.read */
	size_t ncerts;
	const uint8_t *root_pk;
	struct advice_thread *order;
	int last_citizen; /* the sender the verifier accepted last was the citizen */
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("e2e_worker: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One request of `type` with `fields` (taken); the "ok" reply, or the program ends. */
static json_t *call(struct worker *w, const char *type, json_t *fields)
{
	char *text = fields ? json_dumps(fields, JSON_COMPACT) : NULL, *reply = NULL;
	int rc = advice_call(w->k, type, text, &reply, TIMEOUT_MS);
	json_t *j;

	json_decref(fields);
	free(text);
	if (rc != 0)
		die("%s: %s", type, reply ? reply : advice_err_name(-rc));
	if ((j = json_loads(reply, 0, NULL)) == NULL)
		die("%s: the reply is no JSON", type);
	free(reply);
	return j;
}

static const char *str(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

/* A base64url string of exactly `want` bytes (want 0: any length, *len set) decoded. */
static uint8_t *unb64(json_t *j, size_t want, size_t *len, const char *what)
{
	uint8_t *d = NULL;
	size_t n = 0;

	if (!json_is_string(j) || advice_b64url_decode(json_string_value(j), &d, &n) != 0 ||
	    (want != 0 && n != want))
		die("%s: not %zu bytes of base64url", what, want);
	if (len != NULL)
		*len = n;
	return d;
}

static void unb64_into(json_t *j, uint8_t *out, size_t want, const char *what)
{
	uint8_t *d = unb64(j, want, NULL, what);

	memcpy(out, d, want);
	free(d);
}

static void read_root(struct worker *w)
{
	char path[600], line[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/root.pub", w->datadir);
	if ((f = fopen(path, "r")) == NULL || fgets(line, sizeof line, f) == NULL)
		die("cannot read %s", path);
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	{
		json_t *j = json_string(line);

		unb64_into(j, w->root_pk, 32, "root.pub");
		json_decref(j);
	}
}

/* --- Login --- */

/* The demo second factor's code of TOTP step `step`. */
static void demo_code(int64_t step, char code[8])
{
	long v = totp_hotp((const uint8_t *)STAFF_DEMO_SECRET, strlen(STAFF_DEMO_SECRET), TOTP_SHA1,
			   (uint64_t)step, TOTP_DIGITS);

	if (v < 0 || v > 999999)
		die("cannot compute the demo code");
	snprintf(code, 8, "%06d", (int)v);
}

/*
 * A code is good once per account, and the server takes a step either side of now: the step
 * used last is kept in DATADIR/e2e-worker.step, so that runs in quick succession take the
 * next step (waiting for the clock when it is too far ahead) instead of failing a login.
 */
static int64_t next_step(const struct worker *w)
{
	char path[600];
	long long last = 0;
	int64_t step;
	FILE *f;

	snprintf(path, sizeof path, "%s/e2e-worker.step", w->datadir);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%lld", &last) != 1)
			last = 0;
		fclose(f);
	}
	/* Now's step, not the oldest one still taken: that may expire before a loaded server reads it. */
	step = (int64_t)time(NULL) / TOTP_STEP_S;
	if (step <= last)
		step = last + 1;
	while ((int64_t)time(NULL) / TOTP_STEP_S + TOTP_WINDOW < step)
		usleep(200000); /* the step is ahead of the server's window: wait for the clock */
	if ((f = fopen(path, "w")) == NULL || fprintf(f, "%lld\n", (long long)step) < 0 || fclose(f) != 0)
		die("cannot write %s", path);
	return step;
}

static void login(struct worker *w)
{
	char code[8], *session = NULL;
	int rc, err = 0;

	if ((w->client = advice_client_new()) == NULL)
		die("out of memory");
	demo_code(next_step(w), code);
	rc = advice_login_worker_totp(w->client, w->url, w->url, WORKER, PASSWORD, code, &session,
				      TIMEOUT_MS);
	if (rc != 0)
		die("login of %s: %s (%s)", WORKER, advice_err_name(-rc),
		    advice_client_error_message(w->client, NULL) ?: "");
	w->k = advice_connect(w->client, w->url, w->url, session, TIMEOUT_MS, &err);
	free(session);
	if (w->k == NULL)
		die("connect: %s", advice_err_name(-err));
}

/* --- Keys --- */

/* The first admin certificate of `certs` that verifies under the root. */
static void admin_find(struct worker *w, json_t *certs)
{
	struct advice_cert c;
	json_t *x;
	size_t i, len;

	json_array_foreach (certs, i, x) {
		uint8_t *d = unb64(x, 0, &len, "certs");
		int ok = len == ADVICE_CERT_BYTES &&
			 advice_cert_verify(d, len, NULL, 0, w->root_pk, wall_ms(), &c) == 0 &&
			 c.role == ADVICE_ROLE_ADMIN;

		if (ok) {
			memcpy(w->admin_cert, d, ADVICE_CERT_BYTES);
			memcpy(w->admin_pk, c.sign_pk, 32);
		}
		free(d);
		if (ok)
			return;
	}
	die("no admin certificate verifies under the demo root");
}

/* The signed generation events of the unit `unit` of keys.mine, each following the one
 * before: evs[g - 1] is generation g. How many (at most max). */
static size_t unit_events(struct worker *w, json_t *mine, const char *unit, struct advice_unit_event *evs,
			  size_t max)
{
	uint8_t *prev = NULL, *cur;
	size_t prev_len = 0, len, i, j, n = 0;
	json_t *u, *g;

	json_array_foreach (json_object_get(mine, "units"), j, u) {
		if (strcmp(str(u, "unit") ?: "", unit) != 0)
			continue;
		json_array_foreach (json_object_get(u, "generations"), i, g) {
			if (n == max)
				break;
			cur = unb64(json_object_get(g, "event"), 0, &len, "generation event");
			if (advice_unit_event_verify(cur, len, w->admin_pk, prev, prev_len, &evs[n]) != 0)
				die("unit %s: generation %zu does not verify", unit, n + 1);
			free(prev);
			prev = cur;
			prev_len = len;
			n++;
		}
	}
	free(prev);
	return n;
}

/* The chain box of generation g of unit `unit` (keys.mine "units"). */
static void chain_box(json_t *mine, const char *unit, uint32_t g, uint8_t box[ADVICE_CHAIN_BYTES])
{
	json_t *u;
	size_t j;

	json_array_foreach (json_object_get(mine, "units"), j, u)
		if (strcmp(str(u, "unit") ?: "", unit) == 0) {
			unb64_into(json_object_get(json_array_get(json_object_get(u, "generations"), g - 1),
						   "chain"),
				   box, ADVICE_CHAIN_BYTES, "chain box");
			return;
		}
	die("unit %s: no generation %u", unit, g);
}

/* The unit seeds of keys.mine, each checked against its signed generation event, and the
 * older generations reached through each unit's chain boxes. */
static void open_seeds(struct worker *w, json_t *mine)
{
	struct advice_unit_event *evs = calloc(MAX_GENS, sizeof *evs);
	uint8_t seed[32], chain[32], wrap[ADVICE_WRAP_BYTES];
	struct advice_wrap_info wi;
	json_t *s;
	size_t i;

	if (evs == NULL)
		die("out of memory");
	json_array_foreach (json_object_get(mine, "seeds"), i, s) {
		const char *unit = str(s, "unit") ?: "";
		size_t nev = unit_events(w, mine, unit, evs, MAX_GENS);

		unb64_into(json_object_get(s, "wrap"), wrap, sizeof wrap, "seed wrap");
		if (advice_wrap_parse(wrap, sizeof wrap, &wi) != 0 || wi.epoch < 1 || wi.epoch > nev ||
		    w->ngens == MAX_GENS)
			die("unit %s: a seed of an unknown generation", unit);
		if (advice_unit_seed_open(seed, &w->gens[w->ngens], chain, wrap, sizeof wrap,
					  &evs[wi.epoch - 1], &w->me, w->admin_pk) != 0)
			die("unit %s: the seed does not open or match its generation", unit);
		w->ngens++;
		for (uint32_t g = wi.epoch; g > 1 && w->ngens < MAX_GENS; g--) {
			uint8_t box[ADVICE_CHAIN_BYTES], prev[32];

			chain_box(mine, unit, g, box);
			if (advice_chain_open(prev, box, sizeof box, evs[g - 1].unit_id, g, chain) != 0 ||
			    advice_unit_seed_check(prev, &evs[g - 2], &w->gens[w->ngens], chain) != 0)
				die("unit %s: generation %u's chain does not open", unit, g - 1);
			w->ngens++;
		}
	}
	free(evs);
	sodium_memzero(seed, sizeof seed);
	if (w->ngens == 0)
		die("no unit seed opens");
}

/* keys.mine: the admin verified to the root, the bundle opened with the password, the seeds. */
static void worker_keys(struct worker *w)
{
	uint8_t bundle[ADVICE_BUNDLE_BYTES], master[32], bkey[32], seed[32];
	struct advice_bundle_info bi;
	json_t *mine = call(w, "keys.mine", NULL);

	admin_find(w, json_object_get(mine, "certs"));
	unb64_into(json_object_get(mine, "bundle"), bundle, sizeof bundle, "bundle");
	if (advice_bundle_parse(bundle, sizeof bundle, &bi) != 0 ||
	    advice_password_master(master, PASSWORD, bi.salt, bi.opslimit, bi.memlimit) != 0 ||
	    advice_bundle_key(bkey, master) != 0 ||
	    advice_bundle_open(seed, bundle, sizeof bundle, bi.user_id, bkey) != 0)
		die("the bundle does not open with the demo password");
	advice_keys_personal(&w->me, seed);
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(master, sizeof master);
	sodium_memzero(bkey, sizeof bkey);
	open_seeds(w, mine);
	json_decref(mine);
}

/* --- Reading a thread --- */

/* The verifier's question: a device of the thread's identity, or a staff certificate of
 * thread.read that chains to the root now. */
static int thread_sender(void *arg, const struct advice_envelope_hdr *h, uint8_t sign_pk[32])
{
	struct thread_view *v = arg;
	struct advice_cert c;
	uint8_t kid[16];

	for (size_t i = 0; i < v->ndevices; i++) {
		advice_kid(kid, v->devices[i]);
		if (memcmp(kid, h->sender_kid, 16) == 0) {
			memcpy(sign_pk, v->devices[i], 32);
			v->last_citizen = 1;
			return 0;
		}
	}
	if (advice_cert_find(v->certs, v->ncerts, h->sender_kid, v->root_pk, wall_ms(), &c) != 0)
		return -1;
	memcpy(sign_pk, c.sign_pk, 32);
	v->last_citizen = 0;
	return 0;
}

/* The device certificates of a thread.keys reply, concatenated (malloc'd), their count in *n. */
static uint8_t *device_certs(json_t *keys, size_t *n)
{
	json_t *devs = json_object_get(keys, "devices"), *d;
	uint8_t *certs = calloc(json_array_size(devs) + 1, ADVICE_DEVICE_CERT_BYTES);
	size_t i;

	if (certs == NULL)
		die("out of memory");
	json_array_foreach (devs, i, d)
		unb64_into(json_object_get(d, "cert"), certs + i * ADVICE_DEVICE_CERT_BYTES,
			   ADVICE_DEVICE_CERT_BYTES, "device certificate");
	*n = json_array_size(devs);
	return certs;
}

/*
 * The thread's citizen: the identity of the certified device that signed the first message
 * (first, an envelope), and the devices certified by that identity, into v->devices.
 */
static void thread_identity(struct thread_view *v, json_t *keys, const uint8_t *first, size_t len)
{
	struct advice_device_cert id, c;
	size_t n = 0;
	uint8_t *certs = device_certs(keys, &n);

	if (advice_citizen_thread_identity(&id, first, len, certs, n) != 0)
		die("thread %s: the first message has no sender certified by an identity", v->id);
	for (size_t i = 0; i < n && v->ndevices < MAX_DEVICES; i++)
		if (advice_device_cert_verify(certs + i * ADVICE_DEVICE_CERT_BYTES, ADVICE_DEVICE_CERT_BYTES,
					      &c) == 0 &&
		    memcmp(c.identity_sign_pk, id.identity_sign_pk, 32) == 0)
			memcpy(v->devices[v->ndevices++], c.device_sign_pk, 32);
	free(certs);
}

/* The thread key from a wrap of thread.keys that one of the worker's generations opens, signed
 * by a device of the thread's identity or by staff certified under the demo admin. */
static void thread_key(struct worker *w, struct thread_view *v, json_t *keys)
{
	uint8_t signers[MAX_DEVICES + MAX_CERTS][32], wrap[ADVICE_WRAP_BYTES], cert[ADVICE_CERT_BYTES];
	struct advice_wrap_info wi;
	struct advice_cert c;
	size_t n = 0, i;
	json_t *x;

	for (i = 0; i < v->ndevices; i++)
		memcpy(signers[n++], v->devices[i], 32);
	json_array_foreach (json_object_get(keys, "certs"), i, x) {
		unb64_into(x, cert, sizeof cert, "staff certificate");
		if (n < MAX_DEVICES + MAX_CERTS &&
		    advice_cert_verify(cert, sizeof cert, w->admin_cert, sizeof w->admin_cert, w->root_pk,
				       wall_ms(), &c) == 0)
			memcpy(signers[n++], c.sign_pk, 32);
	}
	json_array_foreach (json_object_get(keys, "wraps"), i, x) {
		unb64_into(x, wrap, sizeof wrap, "wrap");
		for (size_t g = 0; g < w->ngens; g++)
			for (size_t si = 0; si < n; si++)
				if (advice_wrap_open(v->tkey, &wi, wrap, sizeof wrap, ADVICE_WRAP_THREAD_KEY,
						     v->tid, 0, &w->gens[g], signers[si]) == 0)
					return;
	}
	die("thread %s: no wrap opens with anna's unit keys", v->id);
}

static char *hex_of(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);

	if (s == NULL)
		die("out of memory");
	sodium_bin2hex(s, 2 * n + 1, b, n);
	return s;
}

/* Fetches, decrypts and checks attachment `ref` of the thread: every chunk (file.get), the
 * padding, the ciphertext hash the signed message names, the real type again. Its
 * description {media, size, sha256 of the plaintext}. */
static json_t *fetch_file(struct worker *w, struct thread_view *v, const struct advice_file_ref *ref)
{
	struct advice_file_stream *s =
		advice_file_stream_new(0, ref->key, ref->header, v->tid, ref->file_id, ref->size);
	uint8_t *pt = malloc(ADVICE_FILE_CHUNK_BYTES), *head = calloc(1, 8192), hash[32], sha[32];
	crypto_hash_sha256_state st;
	char *fid = hex_of(ref->file_id, 16), *sha_hex;
	size_t off = 0;
	int final = 0;
	json_t *out;

	if (s == NULL || pt == NULL || head == NULL)
		die("out of memory");
	crypto_hash_sha256_init(&st);
	for (long i = 0; !final; i++) {
		json_t *r = call(w, "file.get", json_pack("{s:s, s:I}", "file", fid, "index", (json_int_t)i));
		size_t clen = 0, got = 0;
		uint8_t *ct = unb64(json_object_get(r, "chunk"), 0, &clen, "chunk");

		if (advice_file_pull(s, ct, clen, pt, &got, &final) != 0)
			die("file %s: chunk %ld does not decrypt (or its padding is wrong)", fid, i);
		if (off + got > ref->size)
			die("file %s: longer than its reference says", fid);
		if (off < 8192)
			memcpy(head + off, pt, got < 8192 - off ? got : 8192 - off);
		crypto_hash_sha256_update(&st, pt, got);
		off += got;
		free(ct);
		json_decref(r);
	}
	if (advice_file_hash(s, hash) != 0 || memcmp(hash, ref->hash, 32) != 0)
		die("file %s: the ciphertext is not the one the message names", fid);
	if (off != ref->size)
		die("file %s: %zu bytes, the reference says %llu", fid, off, (unsigned long long)ref->size);
	if (advice_media_sniff(head, off < 8192 ? off : 8192) != ref->media)
		die("file %s: its real type is not the one the message names", fid);
	crypto_hash_sha256_final(&st, sha);
	sha_hex = hex_of(sha, 32);
	out = json_pack("{s:s, s:s, s:I, s:s}", "file", fid, "media", advice_media_name(ref->media) ?: "?",
			"size", (json_int_t)ref->size, "sha256", sha_hex);
	advice_file_stream_free(s);
	free(sha_hex);
	free(fid);
	free(pt);
	free(head);
	return out;
}

/* Decrypts an accepted envelope of the thread from sign_pk: {seq, role, text, files}. */
static json_t *open_message(struct worker *w, struct thread_view *v, const uint8_t *env, size_t len,
			    const uint8_t sign_pk[32], json_int_t seq, int citizen)
{
	uint8_t *plain = malloc(ADVICE_ENVELOPE_MAX_BYTES), mkey[32];
	struct advice_file_ref files[ADVICE_CONTENT_MAX_FILES];
	struct advice_envelope_hdr h;
	size_t plen = 0, n = 0, tlen = 0;
	const uint8_t *text;
	json_t *m, *list = json_array();

	if (plain == NULL)
		die("out of memory");
	advice_thread_msg_key(mkey, v->tkey, v->tid, 0, v->share);
	if (advice_envelope_open(plain, ADVICE_ENVELOPE_MAX_BYTES, &plen, &h, env, len, v->tid, mkey,
				 sign_pk) != 0 ||
	    advice_content_decode(plain, plen, files, &n, &text, &tlen) != 0)
		die("thread %s: message %lld does not decrypt", v->id, (long long)seq);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, fetch_file(w, v, &files[i]));
	m = json_pack("{s:I, s:s, s:s%, s:o}", "seq", seq, "role", citizen ? "citizen" : "staff", "text",
		      (const char *)text, tlen, "files", list);
	free(plain);
	return m;
}

/*
 * Reads thread `id` into v: its keys (thread.keys), every message (thread.read, page by page)
 * through the verifier, each decrypted with its files. The messages as a JSON array.
 */
static json_t *read_thread(struct worker *w, struct thread_view *v, const char *id)
{
	json_t *keys, *msgs = json_array(), *r, *m, *c;
	json_int_t after = 0;
	int more = 1;
	size_t i;

	memset(v, 0, sizeof *v);
	snprintf(v->id, sizeof v->id, "%s", id);
	v->root_pk = w->root_pk;
	if (advice_unhex(v->tid, 16, id) != 0)
		die("%s is no thread id", id);
	if ((v->order = advice_thread_new(v->tid, thread_sender, v)) == NULL)
		die("out of memory");
	keys = call(w, "thread.keys", json_pack("{s:s}", "thread", id));
	unb64_into(json_object_get(keys, "share"), v->share, 32, "share");
	while (more) {
		r = call(w, "thread.read", json_pack("{s:s, s:I}", "thread", id, "after_seq", after));
		json_array_foreach (json_object_get(r, "certs"), i, c)
			if (v->ncerts < MAX_CERTS)
				unb64_into(c, v->certs + ADVICE_CERT_BYTES * v->ncerts++, ADVICE_CERT_BYTES,
					   "certs");
		json_array_foreach (json_object_get(r, "messages"), i, m) {
			struct advice_envelope_hdr h;
			uint8_t sign_pk[32];
			size_t len = 0;
			uint8_t *env = unb64(json_object_get(m, "body"), 0, &len, "body");
			int verdict;

			after = json_integer_value(json_object_get(m, "seq"));
			if (v->ndevices == 0) { /* the first message: the thread's identity, its key */
				thread_identity(v, keys, env, len);
				thread_key(w, v, keys);
			}
			verdict = advice_thread_add(v->order, env, len, &h);
			if (verdict != ADVICE_THREAD_OK)
				die("thread %s: message %lld: %s", id, (long long)after,
				    advice_thread_verdict_name(verdict) ?: "refused");
			if (thread_sender(v, &h, sign_pk) != 0)
				die("thread %s: message %lld: unknown sender", id, (long long)after);
			json_array_append_new(msgs,
					      open_message(w, v, env, len, sign_pk, after, v->last_citizen));
			free(env);
		}
		more = json_is_true(json_object_get(r, "more"));
		json_decref(r);
	}
	json_decref(keys);
	if (json_array_size(msgs) == 0)
		die("thread %s has no message", id);
	if (!advice_thread_complete(v->order))
		die("thread %s: messages are missing", id);
	return msgs;
}

/* --- Answering --- */

/* The newest thread of the worker's queues (new, claimed, answered or waiting); claimed when
 * it is new. Its id into id. */
static void newest_thread(struct worker *w, char id[33])
{
	json_t *r = call(w, "thread.list",
			 json_pack("{s:[ssss], s:i}", "state", "new", "claimed", "answered", "waiting",
				   "limit", 100)),
	       *t, *best = NULL;
	size_t i;

	json_array_foreach (json_object_get(r, "threads"), i, t)
		if (best == NULL || json_integer_value(json_object_get(t, "created")) >
					    json_integer_value(json_object_get(best, "created")))
			best = t;
	if (best == NULL)
		die("no thread in %s's queues", WORKER);
	snprintf(id, 33, "%s", str(best, "thread") ?: "");
	if (strcmp(str(best, "state") ?: "", "new") == 0)
		json_decref(call(w, "thread.claim", json_pack("{s:s}", "thread", id)));
	json_decref(r);
}

/* Reads the file at `path` (at most FILE_MAX bytes): malloc'd, its length in *len. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *d = malloc(FILE_MAX + 1);

	if (f == NULL || d == NULL)
		die("cannot read %s: %s", path, strerror(errno));
	*len = fread(d, 1, FILE_MAX + 1, f);
	if (ferror(f) || *len > FILE_MAX)
		die("%s: unreadable or larger than %d bytes", path, FILE_MAX);
	fclose(f);
	return d;
}

/* Waits for the file.chunk event of chunk `index`, which must be ok. */
static void chunk_ack(struct worker *w, const char *fid, long index)
{
	for (;;) {
		char *text = NULL;
		json_t *j;
		int done;

		if (advice_next_message(w->k, &text, TIMEOUT_MS) != 0)
			die("file %s: no acknowledgement of chunk %ld", fid, index);
		j = json_loads(text, 0, NULL);
		free(text);
		done = j != NULL && strcmp(str(j, "event") ?: "", "file.chunk") == 0 &&
		       strcmp(str(j, "file") ?: "", fid) == 0 &&
		       json_integer_value(json_object_get(j, "index")) == index;
		if (done && strcmp(str(j, "code") ?: "", "ok") != 0)
			die("file %s: chunk %ld: %s", fid, index, str(j, "code") ?: "?");
		json_decref(j);
		if (done)
			return;
	}
}

/* Encrypts the file at `path` for the thread and uploads it (file.begin, every chunk); its
 * reference into *ref. */
static void upload(struct worker *w, struct thread_view *v, const char *path, struct advice_file_ref *ref)
{
	size_t len = 0, off = 0;
	uint8_t *plain = slurp(path, &len), *msg = malloc(24 + ADVICE_FILE_CHUNK_MAX_CIPHER);
	uint64_t chunks = advice_file_chunk_count(advice_file_padded_size(len));
	struct advice_file_stream *s;
	char *fid;

	memset(ref, 0, sizeof *ref);
	ref->size = len;
	ref->media = (uint8_t)advice_media_sniff(plain, len < 8192 ? len : 8192);
	if (ref->media == ADVICE_MEDIA_UNKNOWN)
		die("%s: not a type on the allow-list", path);
	advice_random(ref->file_id, 16);
	advice_random(ref->key, 32);
	advice_random(ref->header, 24);
	fid = hex_of(ref->file_id, 16);
	if (msg == NULL ||
	    (s = advice_file_stream_new(1, ref->key, ref->header, v->tid, ref->file_id, len)) == NULL)
		die("out of memory");
	json_decref(call(w, "file.begin",
			 json_pack("{s:s, s:s, s:I}", "thread", v->id, "file", fid, "size",
				   (json_int_t)advice_file_padded_size(len))));
	for (uint64_t i = 0; i < chunks; i++) {
		size_t n = len - off < ADVICE_FILE_CHUNK_BYTES ? len - off : ADVICE_FILE_CHUNK_BYTES,
		       clen = 0;

		memcpy(msg, "QC\x01\x00", 4);
		memcpy(msg + 4, ref->file_id, 16);
		for (int b = 0; b < 4; b++)
			msg[20 + b] = (uint8_t)(i >> (8 * b));
		if (advice_file_push(s, plain + off, n, i == chunks - 1, msg + 24, &clen) != 0)
			die("file %s: cannot encrypt chunk %llu", fid, (unsigned long long)i);
		off += n;
		if (advice_send_raw(w->k, msg, 24 + clen, ADVICE_FRAME_BINARY) != 0)
			die("file %s: the connection closed", fid);
		chunk_ack(w, fid, (long)i);
	}
	if (advice_file_hash(s, ref->hash) != 0)
		die("file %s: no hash", fid);
	advice_file_stream_free(s);
	free(plain);
	free(msg);
	free(fid);
}

/* Answers in the thread read into v: `text` and, when path is not NULL, that file uploaded
 * first. {seq, text, files}. */
static json_t *answer(struct worker *w, struct thread_view *v, const char *text, const char *path)
{
	uint8_t *content = malloc(ADVICE_ENVELOPE_MAX_PLAIN), *env = malloc(ADVICE_ENVELOPE_MAX_BYTES),
		mkey[32];
	struct advice_file_ref ref;
	struct advice_envelope_hdr h;
	size_t clen = 0, elen = 0;
	json_t *r, *files = json_array(), *out;
	char *body;

	if (content == NULL || env == NULL)
		die("out of memory");
	if (path != NULL)
		upload(w, v, path, &ref);
	memset(&h, 0, sizeof h);
	memcpy(h.thread_id, v->tid, 16);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	advice_kid(h.sender_kid, w->me.sign_pk);
	advice_thread_next(v->order, h.sender_kid, &h.sender_seq, h.prev_hash);
	h.created_at = wall_ms();
	if (advice_content_encode(content, ADVICE_ENVELOPE_MAX_PLAIN, &clen, path ? &ref : NULL, path ? 1 : 0,
				  text, strlen(text)) != 0)
		die("the answer does not fit in a message");
	advice_thread_msg_key(mkey, v->tkey, v->tid, 0, v->share);
	if (advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen, &w->me) !=
		    0 ||
	    (body = advice_b64url_encode(env, elen)) == NULL)
		die("cannot seal the answer");
	r = call(w, "message.send", json_pack("{s:s, s:s}", "thread", v->id, "body", body));
	if (path != NULL) {
		char *fid = hex_of(ref.file_id, 16);

		json_array_append_new(files, json_pack("{s:s, s:s, s:I}", "file", fid, "media",
						       advice_media_name(ref.media) ?: "?", "size",
						       (json_int_t)ref.size));
		free(fid);
	}
	out = json_pack("{s:O, s:s, s:o}", "seq", json_object_get(r, "seq"), "text", text, "files", files);
	json_decref(r);
	free(body);
	free(content);
	free(env);
	return out;
}

static void usage(void)
{
	fputs("usage: e2e_worker URL DATADIR answer [--text TEXT] [--file PATH]\n"
	      "       e2e_worker URL DATADIR read THREAD\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct worker w = { 0 };
	struct thread_view v;
	const char *text = "Kiitos viestistäsi. Vastaamme tässä.", *file = NULL;
	char id[33] = "";
	json_t *out;
	char *dump;

	if (argc < 4)
		usage();
	w.url = argv[1];
	if (w.url[0] == '\0' || w.url[strlen(w.url) - 1] == '/')
		die("URL is the service's base, such as http://127.0.0.1:8080 (no trailing slash)");
	w.datadir = argv[2];
	if (strcmp(argv[3], "read") == 0 && argc == 5) {
		snprintf(id, sizeof id, "%s", argv[4]);
	} else if (strcmp(argv[3], "answer") == 0) {
		for (int i = 4; i < argc; i++) {
			if (strcmp(argv[i], "--text") == 0 && i + 1 < argc)
				text = argv[++i];
			else if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
				file = argv[++i];
			else
				usage();
		}
	} else {
		usage();
	}
	if (advice_crypto_init() != 0)
		die("cannot initialise the crypto library");
	read_root(&w);
	login(&w);
	worker_keys(&w);
	if (id[0] == '\0')
		newest_thread(&w, id);
	out = json_pack("{s:s, s:o}", "thread", id, "messages", read_thread(&w, &v, id));
	if (strcmp(argv[3], "answer") == 0)
		json_object_set_new(out, "answer", answer(&w, &v, text, file));
	if ((dump = json_dumps(out, JSON_COMPACT)) == NULL)
		die("out of memory");
	puts(dump);
	free(dump);
	json_decref(out);
	advice_thread_free(v.order);
	advice_conn_free(w.k);
	advice_client_free(w.client);
	return 0;
}
