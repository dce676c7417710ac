/*
 * core_keys.c - the server side of end-to-end encryption: the core stores public keys,
 * certificates, unit key generations, sealed seeds, thread-key wraps, key bundles and the
 * per-thread shred shares, and hands them out. It checks formats and sizes
 * (advice_crypto.h parsers) and who may write and read each record, never content: it holds
 * no key that opens anything. Every delivery of wraps or bundles to staff writes the access
 * log first.
 *
 * Requests: keys.unit, keys.mine, keys.bundle.put, keys.enrol, thread.prepare, thread.keys, wrap.put
 * (PROTOCOL.md §12; a citizen's identities and devices are in core_devices.c). thread.open uses
 * core_keys_thread_id() for a prepared id; with require_envelopes (outside test mode) thread.open and
 * message.send accept only bodies that are envelopes of the thread signed by one of the caller's own keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "advice_crypto.h"
#include "audit.h"
#include "core_internal.h"
#include "log.h"

#define KEYS_MAX_PENDING 16		  /* prepared threads not opened yet, per citizen */
#define KEYS_PREPARED_MS (24 * 3600000LL) /* a prepared thread not opened by then is dropped */
#define KEYS_MAX_WRAPS	 16		  /* wraps in one wrap.put */

static const char *req_str(struct ctx *x, const char *name)
{
	return json_string_value(json_object_get(x->msg, name));
}

/* The 16 bytes of a 32-hex-digit id (thread, unit, user ids double as object ids). */
static int id_bytes(const char *hex, uint8_t out[ADVICE_OID_BYTES])
{
	return advice_unhex(out, ADVICE_OID_BYTES, hex);
}

/* Writes an access-log row about key material of `object` delivered to or written by staff. */
static int keys_audit(struct ctx *x, const char *object, const char *unit_id, const char *action)
{
	struct store_audit a = { .time = x->now, .role = x->sess.role };

	snprintf(a.user_id, sizeof a.user_id, "%s", x->sess.user_id);
	snprintf(a.unit_id, sizeof a.unit_id, "%s", unit_id ? unit_id : "");
	snprintf(a.object, sizeof a.object, "%s", object);
	snprintf(a.action, sizeof a.action, "%s", action);
	snprintf(a.outcome, sizeof a.outcome, "ok");
	if (audit_append(x->st, &a) != STORE_OK) {
		log_err("access log write failed: nothing is shown");
		return -1;
	}
	return 0;
}

/* --- List builders --- */

struct blob_acc {
	json_t *arr;
	int full; /* the list limit was reached */
};

static int add_blob(void *arg, const struct store_key_blob *b)
{
	struct blob_acc *a = arg;
	json_t *j;

	if (json_array_size(a->arr) == ADVICE_MAX_LIST) {
		a->full = 1;
		return 1;
	}
	j = core_b64_json(b->data, b->len);
	return j == NULL || json_array_append_new(a->arr, j) != 0 ? -1 : 0;
}

/* Only admin and connector certificates: the issuers a client must know. */
static int add_issuer_cert(void *arg, const struct store_key_blob *b)
{
	return b->n == ADVICE_ROLE_WORKER ? 0 : add_blob(arg, b);
}

static int add_generation(void *arg, const struct store_key_blob *b)
{
	struct blob_acc *a = arg;
	json_t *g;

	if (json_array_size(a->arr) == ADVICE_MAX_LIST) {
		a->full = 1;
		return 1;
	}
	g = json_pack("{s:I, s:o, s:o}", "generation", (json_int_t)b->n, "event",
		      core_b64_json(b->data, b->len), "chain",
		      b->extra ? core_b64_json(b->extra, b->extra_len) : json_null());
	return g == NULL || json_array_append_new(a->arr, g) != 0 ? -1 : 0;
}

/* The root key, issuer certificates and the generations of unit_id into the result. */
static int put_unit_keys(struct ctx *x, json_t *obj, const char *unit_id)
{
	struct blob_acc gens = { .arr = json_array() };

	json_object_set_new(obj, "unit", json_string(unit_id));
	json_object_set_new(obj, "generations", gens.arr);
	return x->st->ops->keys->unit_gen_list(x->st, unit_id, add_generation, &gens) == STORE_OK ? 0 : -1;
}

static int put_root_and_certs(struct ctx *x)
{
	uint8_t root[STORE_KEY_BYTES];
	struct blob_acc certs = { .arr = json_array() };
	int rc = x->st->ops->keys->root_get(x->st, root);

	if (rc == STORE_ERROR) {
		json_decref(certs.arr);
		return -1;
	}
	json_object_set_new(x->result, "root",
			    rc == STORE_OK ? core_b64_json(root, sizeof root) : json_null());
	json_object_set_new(x->result, "certs", certs.arr);
	return x->st->ops->keys->cert_list(x->st, "", add_issuer_cert, &certs) == STORE_OK ? 0 : -1;
}

/* --- keys.unit --- */

int core_keys_unit(struct ctx *x)
{
	const char *unit = req_str(x, "unit"), *category = req_str(x, "category");
	struct store_queue q;
	int rc;

	if ((unit == NULL) == (category == NULL)) {
		snprintf(x->err_field, sizeof x->err_field, "/unit");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "give either unit or category");
	}
	if (category != NULL) {
		rc = x->st->ops->queue->by_category(x->st, category, &q);
		if (rc == STORE_NOTFOUND) {
			snprintf(x->err_field, sizeof x->err_field, "/category");
			return core_fail(x, ADVICE_ERR_NOT_FOUND, "no such category");
		}
		if (rc != STORE_OK)
			return -1;
		unit = q.unit_id;
	}
	if (put_root_and_certs(x) != 0 || put_unit_keys(x, x->result, unit) != 0)
		return -1;
	return core_rekey_unit_log(x, unit);
}

/* --- keys.mine --- */

struct seed_acc {
	struct ctx *x;
	json_t *arr;
};

/* Seeds of units the caller is still a member of (a removed member gets none). */
static int add_seed(void *arg, const struct store_key_blob *b)
{
	struct seed_acc *a = arg;
	int member = 0;
	json_t *s;

	for (size_t i = 0; i < a->x->nunits; i++)
		member |= strcmp(a->x->units[i].unit_id, b->owner) == 0;
	if (!member)
		return 0;
	if (json_array_size(a->arr) == ADVICE_MAX_LIST)
		return 1;
	s = json_pack("{s:s, s:I, s:o}", "unit", b->owner, "generation", (json_int_t)b->n, "wrap",
		      core_b64_json(b->data, b->len));
	return s == NULL || json_array_append_new(a->arr, s) != 0 ? -1 : 0;
}

int core_keys_mine(struct ctx *x)
{
	uint8_t bundle[ADVICE_BUNDLE_BYTES];
	size_t len = 0;
	struct seed_acc seeds = { .x = x, .arr = json_array() };
	struct blob_acc own = { .arr = json_array() };
	json_t *units = json_array();
	char object[80];
	int rc;

	json_object_set_new(x->result, "seeds", seeds.arr);
	json_object_set_new(x->result, "own_certs", own.arr);
	json_object_set_new(x->result, "units", units);
	/* Key material goes to staff only after the access-log entry. */
	snprintf(object, sizeof object, "keys:%s", x->sess.user_id);
	if (keys_audit(x, object, NULL, "keys.read") != 0)
		return -1;
	rc = x->st->ops->keys->bundle_get(x->st, x->sess.user_id, bundle, sizeof bundle, &len);
	if (rc == STORE_ERROR)
		return -1;
	json_object_set_new(x->result, "bundle", rc == STORE_OK ? core_b64_json(bundle, len) : json_null());
	if (put_root_and_certs(x) != 0 ||
	    x->st->ops->keys->cert_list(x->st, x->sess.user_id, add_blob, &own) != STORE_OK ||
	    x->st->ops->keys->unit_seed_list(x->st, x->sess.user_id, add_seed, &seeds) != STORE_OK)
		return -1;
	for (size_t i = 0; i < x->nunits; i++) {
		json_t *u = json_object();

		if (u == NULL || json_array_append_new(units, u) != 0 ||
		    put_unit_keys(x, u, x->units[i].unit_id) != 0)
			return -1;
	}
	return 0;
}

/* --- keys.bundle.put, keys.enrol --- */

/* The request's "bundle": a bundle of the caller's, into bundle. 0, or the refusal (x->err). */
static int take_own_bundle(struct ctx *x, uint8_t bundle[ADVICE_BUNDLE_BYTES])
{
	uint8_t uid[ADVICE_OID_BYTES];
	struct advice_bundle_info bi;
	size_t len = 0;
	int rc;

	if ((rc = core_b64_decode(x, req_str(x, "bundle"), "/bundle", bundle, ADVICE_BUNDLE_BYTES, &len,
				  1)) != 0 ||
	    x->err)
		return rc;
	if (advice_bundle_parse(bundle, len, &bi) != 0) {
		snprintf(x->err_field, sizeof x->err_field, "/bundle");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "bundle has an unknown format or parameters");
	}
	if (id_bytes(x->sess.user_id, uid) != 0 || memcmp(uid, bi.user_id, sizeof uid) != 0) {
		snprintf(x->err_field, sizeof x->err_field, "/bundle");
		return core_fail(x, ADVICE_ERR_FORBIDDEN, "the bundle belongs to another user");
	}
	return 0;
}

int core_keys_bundle_put(struct ctx *x)
{
	uint8_t bundle[ADVICE_BUNDLE_BYTES];
	int rc;

	if ((rc = take_own_bundle(x, bundle)) != 0 || x->err)
		return rc;
	if (keys_audit(x, "bundle", NULL, "keys.bundle.put") != 0)
		return -1;
	return x->st->ops->keys->bundle_put(x->st, x->sess.user_id, bundle, sizeof bundle, x->now) == STORE_OK
		       ? 0
		       : -1;
}

#define ENROL_SKEW_MS (24LL * 3600 * 1000) /* how far a key request's date may be from now */

static int has_worker_cert(void *arg, const struct store_key_blob *b)
{
	if (b->n == ADVICE_ROLE_WORKER)
		*(int *)arg = 1;
	return 0;
}

/*
 * keys.enrol: a new worker's own keys, made by the worker's client at the first login: the
 * bundle and the key request signed by the identity it names, for the caller. The request
 * waits for an admin's certificate (advicectl worker-certify); a caller with a worker
 * certificate already is refused (conflict).
 */
int core_keys_enrol(struct ctx *x)
{
	uint8_t bundle[ADVICE_BUNDLE_BYTES], request[ADVICE_KEY_REQUEST_BYTES], uid[ADVICE_OID_BYTES];
	struct advice_key_request kr;
	size_t len = 0;
	int rc, certified = 0;

	if ((rc = take_own_bundle(x, bundle)) != 0 || x->err)
		return rc;
	if ((rc = core_b64_decode(x, req_str(x, "request"), "/request", request, sizeof request, &len, 1)) !=
		    0 ||
	    x->err)
		return rc;
	snprintf(x->err_field, sizeof x->err_field, "/request");
	if (advice_key_request_verify(request, len, &kr) != 0)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "request is no key request signed by its key");
	if (id_bytes(x->sess.user_id, uid) != 0 || memcmp(uid, kr.user_id, sizeof uid) != 0)
		return core_fail(x, ADVICE_ERR_FORBIDDEN, "the key request names another user");
	if ((int64_t)kr.created_at < x->now - ENROL_SKEW_MS ||
	    (int64_t)kr.created_at > x->now + ENROL_SKEW_MS)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the key request's date is more than a day off");
	x->err_field[0] = '\0';
	if (x->st->ops->keys->cert_list(x->st, x->sess.user_id, has_worker_cert, &certified) != STORE_OK)
		return -1;
	if (certified)
		return core_fail(x, ADVICE_ERR_CONFLICT, "your keys are certified already");
	if (keys_audit(x, "bundle", NULL, "keys.enrol") != 0)
		return -1;
	if (x->st->ops->keys->bundle_put(x->st, x->sess.user_id, bundle, sizeof bundle, x->now) != STORE_OK ||
	    x->st->ops->keys->key_request_put(x->st, x->sess.user_id, request, sizeof request, x->now) !=
		    STORE_OK)
		return -1;
	return 0;
}

/* --- thread.prepare and thread.open --- */

int core_thread_prepare(struct ctx *x)
{
	uint8_t share[STORE_KEY_BYTES];
	char id[STORE_ID_SIZE];
	int64_t pending = 0;

	/* Prepared threads not opened within a day are dropped, so they never block the cap. */
	if (x->st->ops->citizen->share_expire(x->st, x->sess.user_id, x->now - KEYS_PREPARED_MS) !=
		    STORE_OK ||
	    x->st->ops->keys->share_pending(x->st, x->sess.user_id, &pending) != STORE_OK)
		return -1;
	if (pending >= KEYS_MAX_PENDING)
		return core_fail(x, ADVICE_ERR_RATE_LIMITED, "open the prepared threads first");
	core_random_id(id);
	randombytes_buf(share, sizeof share);
	if (x->st->ops->keys->share_put(x->st, id, x->sess.user_id, share, 0, x->now) != STORE_OK)
		return -1;
	json_object_set_new(x->result, "thread", json_string(id));
	json_object_set_new(x->result, "share", core_b64_json(share, sizeof share));
	sodium_memzero(share, sizeof share);
	return 0;
}

int core_keys_prepare_refill(struct ctx *x, json_t *reply)
{
	const char *id = json_string_value(json_object_get(reply, "thread"));
	uint8_t share[STORE_KEY_BYTES];
	char owner[STORE_ID_SIZE];
	int opened = 0, rc;

	if (id == NULL)
		return -1;
	rc = x->st->ops->keys->share_get(x->st, id, owner, &opened, share);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND || strcmp(owner, x->sess.user_id) != 0) {
		sodium_memzero(share, sizeof share);
		return core_fail(x, ADVICE_ERR_NOT_FOUND,
				 "the prepared thread is gone (shredded); prepare another");
	}
	json_object_set_new(reply, "share", core_b64_json(share, sizeof share));
	sodium_memzero(share, sizeof share);
	return json_object_get(reply, "share") != NULL ? 0 : -1;
}

int core_keys_prepared(struct ctx *x, const char *thread_id, int *mine)
{
	uint8_t share[STORE_KEY_BYTES];
	char owner[STORE_ID_SIZE];
	int opened = 0, rc;

	*mine = 0;
	if (x->sess.role != ROLE_CITIZEN || thread_id == NULL)
		return 0;
	if (x->st->ops->citizen->share_expire(x->st, x->sess.user_id, x->now - KEYS_PREPARED_MS) != STORE_OK)
		return -1;
	rc = x->st->ops->keys->share_get(x->st, thread_id, owner, &opened, share);
	sodium_memzero(share, sizeof share);
	if (rc == STORE_ERROR)
		return -1;
	*mine = rc == STORE_OK && !opened && strcmp(owner, x->sess.user_id) == 0;
	return 0;
}

int core_keys_prepared_expire(struct ctx *x)
{
	return x->st->ops->citizen->share_expire(x->st, NULL, x->now - KEYS_PREPARED_MS) == STORE_OK ? 0 : -1;
}

int core_keys_thread_id(struct ctx *x, char id[STORE_ID_SIZE], const uint8_t *body, size_t len)
{
	const char *want = req_str(x, "thread");
	uint8_t share[STORE_KEY_BYTES];
	char owner[STORE_ID_SIZE];
	struct store_thread t = { .id = "" };
	int opened = 0, rc;

	if (want == NULL) {
		core_random_id(id);
		snprintf(t.id, sizeof t.id, "%s", id);
		return core_keys_check_envelope(x, &t, ACT_THREAD_OPEN, body, len);
	}
	if (x->st->ops->citizen->share_expire(x->st, x->sess.user_id, x->now - KEYS_PREPARED_MS) != STORE_OK)
		return -1;
	rc = x->st->ops->keys->share_get(x->st, want, owner, &opened, share);
	sodium_memzero(share, sizeof share);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND || opened || strcmp(owner, x->sess.user_id) != 0) {
		snprintf(x->err_field, sizeof x->err_field, "/thread");
		return core_fail(x, ADVICE_ERR_NOT_FOUND, "no such prepared thread");
	}
	snprintf(id, STORE_ID_SIZE, "%s", want);
	snprintf(t.id, sizeof t.id, "%s", want);
	/* Nothing changes unless the first message qualifies. */
	if ((rc = core_keys_check_envelope(x, &t, ACT_THREAD_OPEN, body, len)) != 0 || x->err)
		return rc;
	return x->st->ops->keys->share_opened(x->st, want) == STORE_OK ? 0 : -1;
}

/* --- thread.keys --- */

struct kid_set {
	uint8_t kids[ADVICE_MAX_LIST][STORE_KID_BYTES];
	size_t n;
};

static int kid_set_has(const struct kid_set *s, const uint8_t kid[STORE_KID_BYTES])
{
	for (size_t i = 0; i < s->n; i++)
		if (memcmp(s->kids[i], kid, STORE_KID_BYTES) == 0)
			return 1;
	return 0;
}

static int add_kid(void *arg, const struct store_key_blob *b)
{
	struct kid_set *s = arg;

	if (s->n == ADVICE_MAX_LIST)
		return 1;
	memcpy(s->kids[s->n++], b->kid, STORE_KID_BYTES);
	return 0;
}

/* Identities list: the recipient kid is that of the box key (extra). */
static int add_identity_kid(void *arg, const struct store_key_blob *b)
{
	struct kid_set *s = arg;

	if (s->n == ADVICE_MAX_LIST)
		return 1;
	advice_kid(s->kids[s->n++], b->extra);
	return 0;
}

/* The recipient kids whose wraps the caller may read: own identities, or their units'
 * generations (a records connector: its own key too, what consents seal to). */
static int reader_kids(struct ctx *x, struct kid_set *s)
{
	struct store_connector c;

	if (x->sess.role == ROLE_CONNECTOR) {
		if (x->st->ops->consent->connector_get(x->st, x->sess.user_id, &c) != STORE_OK)
			return -1;
		memcpy(s->kids[s->n++], c.kid, STORE_KID_BYTES);
	}
	if (x->sess.role == ROLE_CITIZEN)
		return x->st->ops->citizen->identity_list(x->st, x->sess.user_id, add_identity_kid, s) ==
				       STORE_OK
			       ? 0
			       : -1;
	for (size_t i = 0; i < x->nunits; i++)
		if (x->st->ops->keys->unit_gen_list(x->st, x->units[i].unit_id, add_kid, s) != STORE_OK)
			return -1;
	return 0;
}

struct wrap_acc {
	const struct kid_set *readable;
	json_t *arr;
	struct kid_set *signers; /* signer kids of the wraps handed out */
};

static int add_readable_wrap(void *arg, const struct store_key_blob *b)
{
	struct wrap_acc *a = arg;
	struct advice_wrap_info wi;
	json_t *j;

	if (!kid_set_has(a->readable, b->kid))
		return 0;
	if (json_array_size(a->arr) == ADVICE_MAX_LIST)
		return 1;
	if (advice_wrap_parse(b->data, b->len, &wi) == 0 && !kid_set_has(a->signers, wi.signer_kid) &&
	    a->signers->n < ADVICE_MAX_LIST)
		memcpy(a->signers->kids[a->signers->n++], wi.signer_kid, STORE_KID_BYTES);
	j = core_b64_json(b->data, b->len);
	return j == NULL || json_array_append_new(a->arr, j) != 0 ? -1 : 0;
}

struct signer_certs {
	const struct kid_set *signers;
	json_t *arr;
};

/* The certificates of staff who signed wraps handed out (devices need none: listed apart). */
static int add_signer_cert(void *arg, const struct store_key_blob *b)
{
	struct signer_certs *a = arg;
	json_t *j;

	if (!kid_set_has(a->signers, b->kid))
		return 0;
	if (json_array_size(a->arr) == ADVICE_MAX_LIST)
		return 1;
	j = core_b64_json(b->data, b->len);
	return j == NULL || json_array_append_new(a->arr, j) != 0 ? -1 : 0;
}

/* The thread's share; made (already opened) for threads that were not prepared, never for
 * a shredded one (not_found: its messages open no more). 0 (or ctx->err set) or -1. */
static int thread_share(struct ctx *x, const struct store_thread *t, uint8_t share[STORE_KEY_BYTES])
{
	char owner[STORE_ID_SIZE];
	int64_t shredded = 0;
	int opened = 0, rc = x->st->ops->keys->share_get(x->st, t->id, owner, &opened, share);

	if (rc != STORE_NOTFOUND)
		return rc == STORE_OK ? 0 : -1;
	rc = x->st->ops->keys->share_shredded(x->st, t->id, &shredded);
	if (rc == STORE_OK)
		return core_fail(x, ADVICE_ERR_NOT_FOUND,
				 "the thread was shredded: its messages open no more");
	if (rc != STORE_NOTFOUND)
		return -1;
	randombytes_buf(share, STORE_KEY_BYTES);
	return x->st->ops->keys->share_put(x->st, t->id, t->citizen_id, share, 1, x->now) == STORE_OK ? 0
												      : -1;
}

int core_thread_keys(struct ctx *x)
{
	struct kid_set *readable = calloc(1, sizeof *readable), *signers = calloc(1, sizeof *signers);
	struct wrap_acc wraps = { .readable = readable, .arr = json_array(), .signers = signers };
	struct signer_certs certs = { .signers = signers, .arr = json_array() };
	uint8_t share[STORE_KEY_BYTES];
	struct store_thread t;
	int rc = -1;

	json_object_set_new(x->result, "wraps", wraps.arr);
	json_object_set_new(x->result, "certs", certs.arr);
	if (readable == NULL || signers == NULL)
		goto out;
	if ((rc = core_thread_for(x, ACT_THREAD_KEYS, &t)) != 0 || x->err)
		goto out;
	rc = -1;
	/* Wraps of thread keys go to staff only after the access-log entry. */
	if (x->sess.role != ROLE_CITIZEN && core_audit(x, &t, "keys", "ok") != 0)
		goto out;
	if (thread_share(x, &t, share) != 0 || x->err || reader_kids(x, readable) != 0) {
		rc = x->err ? 0 : -1;
		goto out;
	}
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "share", core_b64_json(share, sizeof share));
	sodium_memzero(share, sizeof share);
	if (x->st->ops->keys->wrap_list(x->st, t.id, add_readable_wrap, &wraps) != STORE_OK ||
	    core_put_identities(x, x->result, t.citizen_id) != 0 ||
	    x->st->ops->keys->cert_list(x->st, "", add_signer_cert, &certs) != STORE_OK ||
	    core_rekey_thread_epochs(x, t.id) != 0)
		goto out;
	rc = 0;
out:
	free(readable);
	free(signers);
	return rc;
}

/* --- wrap.put --- */

struct signer_acc {
	const uint8_t *kid;
	int found;
	uint8_t device[STORE_KID_BYTES]; /* the signing device's kid (citizens) */
};

/* Devices list: extra is the signing key; cert list: the kid column is the signing key's kid. */
static int match_device_signer(void *arg, const struct store_key_blob *b)
{
	struct signer_acc *a = arg;
	uint8_t kid[STORE_KID_BYTES];

	advice_kid(kid, b->extra);
	if (memcmp(kid, a->kid, STORE_KID_BYTES) == 0) {
		a->found = 1;
		memcpy(a->device, b->kid, STORE_KID_BYTES);
	}
	return 0;
}

static int match_cert_signer(void *arg, const struct store_key_blob *b)
{
	struct signer_acc *a = arg;

	a->found |= memcmp(b->kid, a->kid, STORE_KID_BYTES) == 0;
	return 0;
}

/*
 * Checks one wrap for thread t from the caller: the format, a thread-key wrap of this thread,
 * signed under the caller's own key (a device of the citizen, a certificate of staff), to a
 * recipient the thread may have (an identity of its citizen, or a unit key generation).
 * 0 with *ok set (1 acceptable, 0 not allowed, -1 malformed), or -1 when the store failed.
 */
static int wrap_acceptable(struct ctx *x, const struct store_thread *t, const uint8_t *w, size_t len,
			   const struct kid_set *citizen_identities, struct advice_wrap_info *wi, int *ok)
{
	uint8_t tid[ADVICE_OID_BYTES];
	struct signer_acc s;
	char unit[STORE_ID_SIZE];
	int64_t g = 0;
	int rc;

	*ok = -1;
	if (advice_wrap_parse(w, len, wi) != 0)
		return 0;
	*ok = 0;
	if (wi->kind != ADVICE_WRAP_THREAD_KEY || id_bytes(t->id, tid) != 0 ||
	    memcmp(tid, wi->scope_id, sizeof tid) != 0)
		return 0;
	s = (struct signer_acc){ .kid = wi->signer_kid };
	if (x->sess.role == ROLE_CITIZEN)
		rc = x->st->ops->keys->device_list(x->st, x->sess.user_id, match_device_signer, &s);
	else
		rc = x->st->ops->keys->cert_list(x->st, x->sess.user_id, match_cert_signer, &s);
	if (rc != STORE_OK)
		return -1;
	if (!s.found)
		return 0;
	if (x->sess.role == ROLE_CITIZEN &&
	    x->st->ops->citizen->device_touch(x->st, x->sess.user_id, s.device, x->now) == STORE_ERROR)
		return -1;
	if (kid_set_has(citizen_identities, wi->recipient_kid)) {
		*ok = 1;
		return 0;
	}
	rc = x->st->ops->keys->unit_gen_by_kid(x->st, wi->recipient_kid, unit, &g);
	if (rc == STORE_ERROR)
		return -1;
	*ok = rc == STORE_OK;
	return 0;
}

int core_wrap_put(struct ctx *x)
{
	json_t *list = json_object_get(x->msg, "wraps"), *item;
	struct kid_set *identities = calloc(1, sizeof *identities);
	uint8_t w[ADVICE_WRAP_BYTES];
	struct advice_wrap_info wi;
	struct store_thread t;
	int rc = -1, stored = 0, ok = 0;
	size_t i, len = 0;

	if (identities == NULL)
		return -1;
	if ((rc = core_thread_for(x, ACT_WRAP_PUT, &t)) != 0 || x->err)
		goto out;
	rc = -1;
	if (json_array_size(list) == 0 || json_array_size(list) > KEYS_MAX_WRAPS) {
		snprintf(x->err_field, sizeof x->err_field, "/wraps");
		rc = core_fail(x, ADVICE_ERR_BAD_REQUEST, "1..%d wraps", KEYS_MAX_WRAPS);
		goto out;
	}
	if (x->st->ops->citizen->identity_list(x->st, t.citizen_id, add_identity_kid, identities) != STORE_OK)
		goto out;
	/* Check every wrap before storing any: a refused request changes nothing. */
	json_array_foreach (list, i, item) {
		char field[32];

		snprintf(field, sizeof field, "/wraps/%zu", i);
		if (core_b64_decode(x, json_string_value(item), field, w, sizeof w, &len, 1) != 0 || x->err) {
			rc = 0;
			goto out;
		}
		if (wrap_acceptable(x, &t, w, len, identities, &wi, &ok) != 0)
			goto out;
		if (ok < 0) {
			snprintf(x->err_field, sizeof x->err_field, "%s", field);
			rc = core_fail(x, ADVICE_ERR_BAD_REQUEST, "wrap %zu has an unknown format", i);
			goto out;
		}
		if (!ok) {
			snprintf(x->err_field, sizeof x->err_field, "%s", field);
			rc = core_deny(x, ACT_WRAP_PUT, &t);
			goto out;
		}
		/* A new epoch's wraps come with its event (thread.rekey). */
		if ((rc = core_rekey_check_wrap_epoch(x, &t, field, wi.epoch)) != 0 || x->err)
			goto out;
		rc = -1;
	}
	if (x->sess.role != ROLE_CITIZEN && core_audit(x, &t, "wrap.put", "ok") != 0)
		goto out;
	json_array_foreach (list, i, item) {
		core_b64_decode(x, json_string_value(item), "/wraps", w, sizeof w, &len, 1);
		advice_wrap_parse(w, len, &wi);
		rc = x->st->ops->keys->wrap_put(x->st, t.id, wi.epoch, wi.recipient_kid, w, len,
						x->sess.user_id, x->now);
		if (rc == STORE_ERROR)
			goto out;
		stored += rc == STORE_OK;
	}
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "stored", json_integer(stored));
	rc = 0;
out:
	free(identities);
	return rc;
}

/* --- Envelopes in message bodies --- */

struct sender_acc {
	const uint8_t *env;
	size_t len;
	int ok;
	uint8_t device[STORE_KID_BYTES]; /* the signing device's kid (citizens) */
};

static int cert_signed(void *arg, const struct store_key_blob *b)
{
	struct sender_acc *a = arg;
	struct advice_cert c;

	if (advice_cert_parse(b->data, b->len, &c) == 0 &&
	    advice_envelope_verify(a->env, a->len, c.sign_pk) == 0)
		a->ok = 1;
	return a->ok;
}

static int add_cert_key(void *arg, const struct store_key_blob *b)
{
	struct authcache_devices *d = arg;
	struct advice_cert c;

	if (advice_cert_parse(b->data, b->len, &c) != 0)
		return 0;
	if (d->n == AUTHCACHE_DEVICES_MAX) {
		d->n = AUTHCACHE_DEVICES_MAX + 1; /* too many to keep: read the store each time */
		return 1;
	}
	memcpy(d->d[d->n].kid, b->kid, STORE_KID_BYTES);
	memcpy(d->d[d->n].sign_pk, c.sign_pk, STORE_KEY_BYTES);
	d->d[d->n++].last_used = AUTHCACHE_NEVER;
	return 0;
}

/* Whether one of the keys of the caller's (staff) certificates signed the envelope, as
 * cert_signed over cert_list: the keys from the cache (core_authcache.c; certificates count as
 * devices there) or read and kept. 0 with a->ok set, or -1. */
static int staff_signed(struct ctx *x, struct sender_acc *a)
{
	struct authcache_devices d;
	uint64_t gen = x->st->ops->tx->generation(x->st, STORE_GEN_DEVICES);

	if (!authcache_devices_get(x->c->auth, gen, x->sess.user_id, &d)) {
		memset(&d, 0, sizeof d);
		snprintf(d.user_id, sizeof d.user_id, "%s", x->sess.user_id);
		if (x->st->ops->keys->cert_list(x->st, x->sess.user_id, add_cert_key, &d) != STORE_OK)
			return -1;
		if (d.n > AUTHCACHE_DEVICES_MAX)
			return x->st->ops->keys->cert_list(x->st, x->sess.user_id, cert_signed, a) == STORE_OK
				       ? 0
				       : -1;
		authcache_devices_put(x->c->auth, gen, &d);
	}
	a->ok = authcache_signer(&d, &x->req->parsed, a->env, a->len) >= 0;
	return 0;
}

int core_keys_check_envelope(struct ctx *x, const struct store_thread *t, enum policy_action action,
			     const uint8_t *body, size_t len)
{
	struct advice_envelope_hdr h;
	struct sender_acc a = { .env = body, .len = len };
	uint8_t tid[ADVICE_OID_BYTES];
	int rc;

	if ((rc = core_rekey_check_body(x, t, body, len)) != 0 || x->err)
		return rc;
	if (!x->c->cfg.require_envelopes)
		return 0;
	if (advice_envelope_parse(body, len, &h) != 0 || id_bytes(t->id, tid) != 0 ||
	    memcmp(tid, h.thread_id, sizeof tid) != 0) {
		snprintf(x->err_field, sizeof x->err_field, "/body");
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the body is no envelope of this thread");
	}
	if (x->sess.role == ROLE_CITIZEN) {
		if (core_devices_signer(x, body, len, &a.ok, a.device) != 0)
			return -1;
	} else if (staff_signed(x, &a) != 0) {
		return -1;
	}
	if (!a.ok) {
		snprintf(x->err_field, sizeof x->err_field, "/body");
		return core_deny(x, action, t->id[0] != '\0' && action != ACT_THREAD_OPEN ? t : NULL);
	}
	return 0;
}

/* --- Certificates of the staff who wrote the messages a reader gets --- */

/* Appends the certificate of signing key `kid` unless `added` has it; fills *c. 1 when it
 * was appended, 0 when not (none, or added before), -1 on failure. */
static int add_cert_by_kid(struct ctx *x, const uint8_t kid[STORE_KID_BYTES], struct kid_set *added,
			   json_t *arr, struct advice_cert *c)
{
	uint8_t cert[ADVICE_CERT_BYTES];
	size_t len = 0;
	int rc;

	if (kid_set_has(added, kid) || added->n == ADVICE_MAX_LIST)
		return 0;
	rc = x->st->ops->keys->cert_get(x->st, kid, cert, sizeof cert, &len);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_OK)
		return -1;
	if (advice_cert_parse(cert, len, c) != 0)
		return 0; /* the server checked it when it was installed; show nothing odd */
	memcpy(added->kids[added->n++], kid, STORE_KID_BYTES);
	return json_array_append_new(arr, core_b64_json(cert, len)) == 0 ? 1 : -1;
}

int core_keys_sender_certs(struct ctx *x, const uint8_t (*kids)[16], size_t n, json_t *arr)
{
	struct kid_set *added = calloc(1, sizeof *added);
	struct advice_cert c;
	int rc = added != NULL ? 0 : -1;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = add_cert_by_kid(x, kids[i], added, arr, &c);
		if (rc == 1 && c.role == ADVICE_ROLE_WORKER)
			rc = add_cert_by_kid(x, c.issuer_kid, added, arr, &c);
		rc = rc < 0 ? -1 : 0;
	}
	free(added);
	return rc;
}

/* --- For the re-keying requests (core_rekey.c) --- */

int core_keys_wrap_check(struct ctx *x, const struct store_thread *t, const uint8_t *w, size_t len,
			 struct advice_wrap_info *wi, int *ok)
{
	struct kid_set *identities = calloc(1, sizeof *identities);
	int rc = -1;

	if (identities != NULL && x->st->ops->citizen->identity_list(x->st, t->citizen_id, add_identity_kid,
								     identities) == STORE_OK)
		rc = wrap_acceptable(x, t, w, len, identities, wi, ok);
	free(identities);
	return rc;
}
