/*
 * thread_read.c - reads one consented thread as the connector: thread.keys (the citizen's
 * identities and devices, the consent wraps of every epoch sealed to this connector), the
 * consent event checked (kind 1, this thread, this connector, signed by the thread's citizen),
 * thread.read through the thread verifier (every envelope: a device of the thread's identity or
 * a staff certificate chained to the pinned root), each message decrypted with the key of its
 * epoch, its attachments fetched (file.get), decrypted, their hash and real type (libmagic)
 * checked; the result is thread.json's document and the files in the bundle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "advice.h"
#include "advice_thread.h"
#include "connector_run.h"

#define MAX_DEVICES 64
#define MAX_CERTS   64
#define MAX_EPOCHS  64
#define TIMEOUT_MS  30000

struct reader {
	struct conn_ctx *ctx;
	const char *id_hex;
	uint8_t tid[ADVICE_OID_BYTES], share[ADVICE_KEY_BYTES];
	uint8_t keys[MAX_EPOCHS][ADVICE_KEY_BYTES];
	int have_key[MAX_EPOCHS];
	uint8_t citizen_pks[MAX_DEVICES + 1][ADVICE_KEY_BYTES]; /* the identity, then its devices */
	size_t n_citizen;
	uint8_t certs[MAX_CERTS * ADVICE_CERT_BYTES];
	size_t ncerts;
	int last_citizen;
	char err[256];
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* base64url of j into out (exactly want bytes). 0 or -1. */
static int unb64(json_t *j, uint8_t *out, size_t want)
{
	uint8_t *d = NULL;
	size_t n = 0;
	int rc;

	if (!json_is_string(j) || advice_b64url_decode(json_string_value(j), &d, &n) != 0)
		return -1;
	rc = n == want ? 0 : -1;
	if (rc == 0)
		memcpy(out, d, n);
	free(d);
	return rc;
}

json_t *conn_call(struct conn_ctx *ctx, const char *type, json_t *fields, int *rc_out)
{
	char *text = fields ? json_dumps(fields, JSON_COMPACT) : NULL, *reply = NULL;
	int rc = advice_call(ctx->k, type, text, &reply, TIMEOUT_MS);
	json_t *j = reply ? json_loads(reply, 0, NULL) : NULL;

	json_decref(fields);
	free(text);
	free(reply);
	if (rc_out != NULL)
		*rc_out = rc;
	if (rc != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int sender_of(void *arg, const struct advice_envelope_hdr *h, uint8_t sign_pk[ADVICE_KEY_BYTES])
{
	struct reader *r = arg;
	struct advice_cert c;
	uint8_t kid[ADVICE_KID_BYTES];

	for (size_t i = 1; i < r->n_citizen; i++) {
		advice_kid(kid, r->citizen_pks[i]);
		if (memcmp(kid, h->sender_kid, sizeof kid) == 0) {
			memcpy(sign_pk, r->citizen_pks[i], ADVICE_KEY_BYTES);
			r->last_citizen = 1;
			return 0;
		}
	}
	if (advice_cert_find(r->certs, r->ncerts, h->sender_kid, r->ctx->root_pk, wall_ms(), &c) != 0)
		return -1;
	memcpy(sign_pk, c.sign_pk, ADVICE_KEY_BYTES);
	r->last_citizen = 0;
	return 0;
}

/* The thread's citizen: the identity of the certified device that signed the first envelope,
 * and every device that identity certified. */
static int citizen_keys(struct reader *r, json_t *keys, const uint8_t *first, size_t len)
{
	json_t *devs = json_object_get(keys, "devices"), *d;
	size_t n = json_array_size(devs), i;
	uint8_t *certs = calloc(n + 1, ADVICE_DEVICE_CERT_BYTES);
	struct advice_device_cert id, c;
	int rc = -1;

	if (certs == NULL)
		return -1;
	json_array_foreach (devs, i, d)
		if (unb64(json_object_get(d, "cert"), certs + i * ADVICE_DEVICE_CERT_BYTES,
			  ADVICE_DEVICE_CERT_BYTES) != 0)
			goto out;
	if (advice_citizen_thread_identity(&id, first, len, certs, n) != 0) {
		snprintf(r->err, sizeof r->err, "the first message has no sender certified by an identity");
		goto out;
	}
	memcpy(r->citizen_pks[0], id.identity_sign_pk, ADVICE_KEY_BYTES);
	r->n_citizen = 1;
	for (i = 0; i < n && r->n_citizen <= MAX_DEVICES; i++)
		if (advice_device_cert_verify(certs + i * ADVICE_DEVICE_CERT_BYTES, ADVICE_DEVICE_CERT_BYTES,
					      &c) == 0 &&
		    memcmp(c.identity_sign_pk, id.identity_sign_pk, ADVICE_KEY_BYTES) == 0)
			memcpy(r->citizen_pks[r->n_citizen++], c.device_sign_pk, ADVICE_KEY_BYTES);
	rc = 0;
out:
	free(certs);
	return rc;
}

/* The signing key of a wrap's signer: a key of the thread's citizen, or staff whose certificate
 * (thread.keys "certs") chains to the pinned root. 0 or -1. */
static int wrap_signer(struct reader *r, json_t *keys, const struct advice_wrap_info *wi,
		       uint8_t pk[ADVICE_KEY_BYTES])
{
	uint8_t kid[ADVICE_KID_BYTES], *certs;
	struct advice_cert c;
	json_t *x;
	size_t i, n = 0;
	int rc;

	for (size_t s = 0; s < r->n_citizen; s++) {
		advice_kid(kid, r->citizen_pks[s]);
		if (memcmp(kid, wi->signer_kid, sizeof kid) == 0) {
			memcpy(pk, r->citizen_pks[s], ADVICE_KEY_BYTES);
			return 0;
		}
	}
	certs = calloc(MAX_CERTS, ADVICE_CERT_BYTES);
	if (certs == NULL)
		return -1;
	json_array_foreach (json_object_get(keys, "certs"), i, x)
		if (n < MAX_CERTS && unb64(x, certs + n * ADVICE_CERT_BYTES, ADVICE_CERT_BYTES) == 0)
			n++;
	rc = advice_cert_find(certs, n, wi->signer_kid, r->ctx->root_pk, wall_ms(), &c);
	free(certs);
	if (rc != 0)
		return -1;
	memcpy(pk, c.sign_pk, ADVICE_KEY_BYTES);
	return 0;
}

/* The recipient keys of a wrap: this connector's own (a consent), or a unit generation it
 * holds as a unit member. NULL when it holds neither. */
static const struct advice_keys *wrap_recipient(const struct reader *r, const struct advice_wrap_info *wi)
{
	uint8_t kid[ADVICE_KID_BYTES];

	advice_kid(kid, r->ctx->me.box_pk);
	if (memcmp(kid, wi->recipient_kid, sizeof kid) == 0)
		return &r->ctx->me;
	for (size_t g = 0; g < r->ctx->ngens; g++) {
		advice_kid(kid, r->ctx->gens[g].box_pk);
		if (memcmp(kid, wi->recipient_kid, sizeof kid) == 0)
			return &r->ctx->gens[g];
	}
	return NULL;
}

/* The thread keys of every epoch from the wraps this connector can open: sealed to it (a
 * consent, signed by the citizen) or to a unit generation it holds (signed by the citizen or
 * by staff certified under the root). */
static void thread_keys(struct reader *r, json_t *keys)
{
	uint8_t wrap[ADVICE_WRAP_BYTES], key[ADVICE_KEY_BYTES], signer[ADVICE_KEY_BYTES];
	const struct advice_keys *to;
	struct advice_wrap_info wi;
	json_t *x;
	size_t i;

	json_array_foreach (json_object_get(keys, "wraps"), i, x) {
		json_t *b = json_is_object(x) ? json_object_get(x, "wrap") : x;

		if (unb64(b, wrap, sizeof wrap) != 0 || advice_wrap_parse(wrap, sizeof wrap, &wi) != 0 ||
		    wi.epoch >= MAX_EPOCHS || r->have_key[wi.epoch] ||
		    (to = wrap_recipient(r, &wi)) == NULL || wrap_signer(r, keys, &wi, signer) != 0)
			continue;
		if (advice_wrap_open(key, NULL, wrap, sizeof wrap, ADVICE_WRAP_THREAD_KEY, r->tid, wi.epoch,
				     to, signer) == 0) {
			memcpy(r->keys[wi.epoch], key, sizeof key);
			r->have_key[wi.epoch] = 1;
		}
	}
	sodium_memzero(key, sizeof key);
}

/* The consent event of the pending entry: kind 1, this thread, this connector, by the citizen. */
static int consent_check(struct reader *r, json_t *consent, json_t **out)
{
	uint8_t ev[ADVICE_CONSENT_BYTES], my_kid[ADVICE_KID_BYTES];
	struct advice_consent c;
	char hex[2 * ADVICE_HASH_BYTES + 1];

	advice_kid(my_kid, r->ctx->me.box_pk);
	if (unb64(json_object_get(consent, "event"), ev, sizeof ev) != 0)
		return snprintf(r->err, sizeof r->err, "no consent event"), -1;
	for (size_t s = 0; s < r->n_citizen; s++)
		if (advice_consent_open(&c, ev, sizeof ev, ADVICE_CONSENT_GIVEN, r->tid, my_kid,
					r->citizen_pks[s]) == 0) {
			json_t *o = json_object();

			json_object_set_new(o, "epoch", json_integer(c.epoch));
			json_object_set_new(o, "language", json_string(c.lang));
			json_object_set_new(o, "created_at", json_integer((json_int_t)c.created_at));
			advice_hex(hex, c.scope_hash, sizeof c.scope_hash);
			json_object_set_new(o, "scope_hash", json_string(hex));
			advice_hex(hex, c.text_hash, sizeof c.text_hash);
			json_object_set_new(o, "text_hash", json_string(hex));
			json_object_set(o, "event", json_object_get(consent, "event"));
			*out = o;
			return 0;
		}
	snprintf(r->err, sizeof r->err, "the consent event is not the citizen's consent to this connector");
	return -1;
}

/* Fetches, decrypts and checks one attachment into the bundle; its description. */
static json_t *fetch_file(struct reader *r, struct bundle *b, const struct advice_file_ref *ref)
{
	struct advice_file_stream *s =
		advice_file_stream_new(0, ref->key, ref->header, r->tid, ref->file_id, ref->size);
	uint8_t *data = ref->size <= CONN_FILE_MAX ? malloc(ref->size + 1) : NULL,
		*pt = malloc(ADVICE_FILE_CHUNK_BYTES);
	uint8_t hash[ADVICE_HASH_BYTES];
	char fid[33], name[64];
	size_t off = 0;
	int final = 0, ok = s && data && pt;
	json_t *out = NULL;

	advice_hex(fid, ref->file_id, sizeof ref->file_id);
	for (long i = 0; ok && !final; i++) {
		json_t *rep = conn_call(r->ctx, "file.get",
					json_pack("{s:s, s:I}", "file", fid, "index", (json_int_t)i), NULL);
		const char *c64 = json_string_value(json_object_get(rep, "chunk"));
		uint8_t *ct = NULL;
		size_t clen = 0, got = 0;

		ok = c64 && advice_b64url_decode(c64, &ct, &clen) == 0 &&
		     advice_file_pull(s, ct, clen, pt, &got, &final) == 0 && off + got <= ref->size;
		if (ok) {
			memcpy(data + off, pt, got);
			off += got;
		}
		free(ct);
		json_decref(rep);
	}
	if (!ok || advice_file_hash(s, hash) != 0 || memcmp(hash, ref->hash, sizeof hash) != 0 ||
	    off != ref->size)
		snprintf(r->err, sizeof r->err, "attachment %s does not decrypt to what its message names",
			 fid);
	else if (advice_media_sniff(data, off < 8192 ? off : 8192) != ref->media)
		snprintf(r->err, sizeof r->err,
			 "attachment %s: its real type is not the one its message names", fid);
	else {
		char path[80];

		snprintf(name, sizeof name, "%s.%s", fid, bundle_ext(ref->media));
		snprintf(path, sizeof path, "files/%s", name); /* as the manifest names it */
		if (bundle_add_file(b, name, data, off) == 0)
			out = json_pack("{s:s, s:s, s:s, s:I}", "id", fid, "path", path, "media_type",
					advice_media_name(ref->media), "size", (json_int_t)off);
	}
	advice_file_stream_free(s);
	if (data)
		sodium_memzero(data, ref->size);
	free(data);
	free(pt);
	return out;
}

static const char *kind_name(const struct advice_content *c)
{
	if (c->version == 1)
		return "message";
	return c->kind == ADVICE_CONTENT_CORRECTION	  ? "correction"
	       : c->kind == ADVICE_CONTENT_RIGHTS_REQUEST ? "rights_request"
							  : "rights_decision";
}

/* Decrypts an accepted envelope into its thread.json entry (with its files in the bundle). */
static json_t *open_message(struct reader *r, struct bundle *b, const uint8_t *env, size_t len,
			    const uint8_t sign_pk[ADVICE_KEY_BYTES], json_t *m, const char *verdict)
{
	uint8_t *plain = malloc(len), mkey[ADVICE_KEY_BYTES], kid[ADVICE_KID_BYTES];
	struct advice_content c;
	struct advice_envelope_hdr h;
	size_t plen = 0;
	char hex[33];
	json_t *o = NULL, *files = json_array();

	if (plain == NULL || advice_envelope_parse(env, len, &h) != 0 || h.epoch >= MAX_EPOCHS ||
	    !r->have_key[h.epoch]) {
		snprintf(r->err, sizeof r->err, "a message of an epoch this connector holds no key of");
		goto out;
	}
	advice_thread_msg_key(mkey, r->keys[h.epoch], r->tid, h.epoch, r->share);
	if (advice_envelope_open(plain, len, &plen, &h, env, len, r->tid, mkey, sign_pk) != 0 ||
	    advice_content_v2_decode(plain, plen, &c) != 0) {
		snprintf(r->err, sizeof r->err, "a message does not decrypt");
		goto out;
	}
	for (size_t i = 0; i < c.n_files; i++) {
		json_t *f = fetch_file(r, b, &c.files[i]);

		if (f == NULL)
			goto out;
		json_array_append_new(files, f);
	}
	advice_hex(hex, h.message_id, sizeof h.message_id);
	advice_kid(kid, sign_pk);
	o = json_pack("{s:s, s:O, s:I, s:s, s:{s:s, s:s}, s:s, s:s%, s:o}", "id", hex, "seq",
		      json_object_get(m, "seq"), "created_at", (json_int_t)h.created_at, "kind",
		      kind_name(&c), "sender", "role", r->last_citizen ? "citizen" : "staff", "kid", "",
		      "order", verdict, "text", (const char *)c.text, c.text_len, "files", files);
	files = NULL;
	if (o == NULL)
		goto out;
	advice_hex(hex, kid, sizeof kid);
	json_object_set_new(json_object_get(o, "sender"), "kid", json_string(hex));
	if (json_is_string(json_object_get(m, "sender_name")))
		json_object_set(json_object_get(o, "sender"), "name", json_object_get(m, "sender_name"));
	if (c.version == 2) {
		advice_hex(hex, c.ref, sizeof c.ref);
		json_object_set_new(o, "ref", json_string(hex));
		json_object_set_new(o, "note", json_stringn((const char *)c.note, c.note_len));
	}
out:
	json_decref(files);
	if (plain != NULL)
		sodium_memzero(plain, len);
	free(plain);
	sodium_memzero(mkey, sizeof mkey);
	return o;
}

json_t *conn_read_thread(struct conn_ctx *ctx, json_t *pending, int consented, struct bundle *b, char *err,
			 size_t errlen)
{
	struct reader *r = calloc(1, sizeof *r);
	const char *id = json_string_value(json_object_get(pending, "thread"));
	struct advice_thread *order = NULL;
	json_t *keys = NULL, *msgs = json_array(), *doc = NULL, *consent = NULL, *rep, *m, *c;
	json_int_t after = 0;
	int more = 1, failed = 0;
	size_t i;

	if (r == NULL || id == NULL || advice_unhex(r->tid, sizeof r->tid, id) != 0) {
		snprintf(err, errlen, "bad pending entry");
		goto out;
	}
	r->ctx = ctx;
	r->id_hex = id;
	if ((order = advice_thread_new(r->tid, sender_of, r)) == NULL ||
	    (keys = conn_call(ctx, "thread.keys", json_pack("{s:s}", "thread", id), NULL)) == NULL ||
	    unb64(json_object_get(keys, "share"), r->share, sizeof r->share) != 0) {
		snprintf(r->err, sizeof r->err, "thread.keys failed");
		failed = 1;
	}
	while (!failed && more) {
		rep = conn_call(ctx, "thread.read", json_pack("{s:s, s:I}", "thread", id, "after_seq", after),
				NULL);
		if (rep == NULL) {
			snprintf(r->err, sizeof r->err, "thread.read failed");
			failed = 1;
			break;
		}
		json_array_foreach (json_object_get(rep, "certs"), i, c)
			if (r->ncerts < MAX_CERTS &&
			    unb64(c, r->certs + ADVICE_CERT_BYTES * r->ncerts, ADVICE_CERT_BYTES) == 0)
				r->ncerts++;
		json_array_foreach (json_object_get(rep, "messages"), i, m) {
			uint8_t *env = NULL, sign_pk[ADVICE_KEY_BYTES];
			struct advice_envelope_hdr h;
			size_t len = 0;
			json_t *o;
			int v;

			after = json_integer_value(json_object_get(m, "seq"));
			if (advice_b64url_decode(json_string_value(json_object_get(m, "body")) ?: "", &env,
						 &len) != 0) {
				snprintf(r->err, sizeof r->err, "a message body is not base64url");
				failed = 1;
				break;
			}
			if (r->n_citizen == 0 &&
			    (citizen_keys(r, keys, env, len) != 0 || (thread_keys(r, keys), 0) ||
			     (consented &&
			      consent_check(r, json_object_get(pending, "consent"), &consent) != 0))) {
				free(env);
				failed = 1;
				break;
			}
			v = advice_thread_add(order, env, len, &h);
			if (!ADVICE_THREAD_ACCEPTED(v) || sender_of(r, &h, sign_pk) != 0) {
				snprintf(r->err, sizeof r->err, "message %lld refused: %s", (long long)after,
					 advice_thread_verdict_name(v) ?: "unknown sender");
				free(env);
				failed = 1;
				break;
			}
			o = open_message(r, b, env, len, sign_pk, m, advice_thread_verdict_name(v));
			free(env);
			if (o == NULL) {
				failed = 1;
				break;
			}
			if (json_is_string(json_object_get(m, "corrects")))
				json_object_set(o, "corrects", json_object_get(m, "corrects"));
			json_array_append_new(msgs, o);
		}
		more = json_is_true(json_object_get(rep, "more"));
		json_decref(rep);
	}
	if (!failed && (json_array_size(msgs) == 0 || !advice_thread_complete(order))) {
		snprintf(r->err, sizeof r->err, "the thread is incomplete: messages are missing");
		failed = 1;
	}
	if (failed) {
		snprintf(err, errlen, "thread %s: %s", id, r->err);
		goto out;
	}
	doc = json_pack("{s:s, s:s, s:O, s:O, s:O, s:O}", "format", "advice-handover-1", "thread", id,
			"epoch",
			consented ? json_object_get(pending, "epoch") : json_object_get(keys, "epoch"),
			"citizen", json_object_get(pending, "citizen"), "consent",
			consent ? consent : json_null(), "messages", msgs);
out:
	json_decref(consent);
	json_decref(msgs);
	json_decref(keys);
	advice_thread_free(order);
	if (r != NULL)
		sodium_memzero(r, sizeof *r);
	free(r);
	return doc;
}
