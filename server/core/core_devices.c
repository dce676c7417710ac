/*
 * core_devices.c - a citizen's identities and devices (PROTOCOL.md §12.2). An identity is
 * registered with the certificate of its first device; every further device comes with a
 * certificate that one of the citizen's identities signed (device.add, or an approval: the new
 * device's device.request commits to its keys, an existing device's device.challenge answers
 * with a random challenge, device.reveal opens the commitment, device.approve seals the
 * identity seed to the revealed key; the comparison code is the devices' own). The server
 * checks the form and the signature, never whether the citizen trusts a key: a reader checks
 * the chain device -> identity itself. Recovery boxes are kept per identity. Devices unused
 * for device_idle_ms are removed and requests expire after ten minutes, so the caps never
 * lock a citizen out.
 *
 * Requests: identity.add, device.add, device.list, device.remove, device.request,
 * device.challenge, device.reveal, device.approve, recovery.put, recovery.get.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "advice_crypto.h"
#include "core_internal.h"

#define DEVICES_MAX	       16		  /* devices per citizen */
#define IDENTITIES_MAX	       64		  /* identities per citizen */
#define REQUESTS_MAX	       4		  /* device requests not answered, per citizen */
#define REQUEST_MS	       (10 * 60000LL)	  /* a device request expires after */
#define DEVICE_IDLE_DEFAULT_MS (180 * 86400000LL) /* device_idle_ms when not configured */

static const char *req_str(struct ctx *x, const char *name)
{
	return json_string_value(json_object_get(x->msg, name));
}

static int fail_field(struct ctx *x, int code, const char *field, const char *msg)
{
	snprintf(x->err_field, sizeof x->err_field, "%s", field);
	return core_fail(x, code, "%s", msg);
}

static int64_t idle_ms(const struct ctx *x)
{
	return x->c->cfg.device_idle_ms > 0 ? x->c->cfg.device_idle_ms : DEVICE_IDLE_DEFAULT_MS;
}

static json_t *hex_json(const uint8_t *data, size_t len)
{
	char hex[2 * 32 + 1];

	advice_hex(hex, data, len);
	return json_string(hex);
}

int core_devices_expire(struct ctx *x, const char *user_id)
{
	int64_t n = 0;

	return x->st->ops->citizen->device_expire(x->st, user_id, x->now - idle_ms(x), &n) == STORE_OK ? 0
												       : -1;
}

/* --- The signer of an envelope (core_keys_check_envelope) --- */

/* A device's last use is written at most this often by the envelope check (as a session's
 * last_seen): device.list's "last_used" is up to this much old, and expiry, which removes
 * devices unused for device_idle_ms (days), comes as much earlier at most. */
#define DEVICE_TOUCH_EVERY_MS 60000

static int add_cached_device(void *arg, const struct store_key_blob *b)
{
	struct authcache_devices *d = arg;

	if (b->extra_len != STORE_KEY_BYTES)
		return 0; /* no signing key: it signs nothing */
	if (d->n == AUTHCACHE_DEVICES_MAX) {
		d->n = AUTHCACHE_DEVICES_MAX + 1; /* too many to keep: the caller reads the store */
		return 1;
	}
	memcpy(d->d[d->n].kid, b->kid, STORE_KID_BYTES);
	memcpy(d->d[d->n].sign_pk, b->extra, STORE_KEY_BYTES);
	d->d[d->n++].last_used = b->m;
	return 0;
}

/* Whether some device of d is past its idle time at x->now (core_devices_expire removes it). */
static int device_due(const struct ctx *x, const struct authcache_devices *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->d[i].last_used < x->now - idle_ms(x))
			return 1;
	return 0;
}

/* The caller's current devices into *d: the cached ones unless one is due to expire, else
 * after core_devices_expire, from the store (then kept). 0, 1 when there are more than the
 * cache keeps (d is not usable), or -1. */
static int current_devices(struct ctx *x, struct authcache_devices *d)
{
	const char *user = x->sess.user_id;
	uint64_t gen = x->st->ops->tx->generation(x->st, STORE_GEN_DEVICES);

	if (authcache_devices_get(x->c->auth, gen, user, d) && !device_due(x, d))
		return 0;
	if (core_devices_expire(x, user) != 0)
		return -1;
	memset(d, 0, sizeof *d);
	snprintf(d->user_id, sizeof d->user_id, "%s", user);
	gen = x->st->ops->tx->generation(x->st, STORE_GEN_DEVICES); /* the expiry may have bumped it */
	if (x->st->ops->keys->device_list(x->st, user, add_cached_device, d) != STORE_OK)
		return -1;
	if (d->n > AUTHCACHE_DEVICES_MAX)
		return 1;
	authcache_devices_put(x->c->auth, gen, d);
	return 0;
}

struct signer_scan {
	const uint8_t *env;
	size_t len;
	int *ok;
	uint8_t *kid;
};

static int scan_device(void *arg, const struct store_key_blob *b)
{
	struct signer_scan *s = arg;

	if (b->extra_len == STORE_KEY_BYTES && advice_envelope_verify(s->env, s->len, b->extra) == 0) {
		*s->ok = 1;
		memcpy(s->kid, b->kid, STORE_KID_BYTES);
	}
	return *s->ok;
}

/* More devices than the cache keeps: every one of the store's, as before the cache. */
static int signer_uncached(struct ctx *x, const uint8_t *env, size_t len, int *ok,
			   uint8_t kid[STORE_KID_BYTES])
{
	struct signer_scan s = { .env = env, .len = len, .ok = ok, .kid = kid };

	if (x->st->ops->keys->device_list(x->st, x->sess.user_id, scan_device, &s) != STORE_OK)
		return -1;
	if (*ok && x->st->ops->citizen->device_touch(x->st, x->sess.user_id, kid, x->now) == STORE_ERROR)
		return -1;
	return 0;
}

int core_devices_signer(struct ctx *x, const uint8_t *env, size_t len, int *ok, uint8_t kid[STORE_KID_BYTES])
{
	struct authcache_devices d;
	int rc, i;

	*ok = 0;
	if ((rc = current_devices(x, &d)) != 0)
		return rc < 0 ? -1 : signer_uncached(x, env, len, ok, kid);
	if ((i = authcache_signer(&d, &x->req->parsed, env, len)) < 0)
		return 0;
	*ok = 1;
	memcpy(kid, d.d[i].kid, STORE_KID_BYTES);
	if (x->now - d.d[i].last_used < DEVICE_TOUCH_EVERY_MS)
		return 0;
	if (x->st->ops->citizen->device_touch(x->st, x->sess.user_id, kid, x->now) == STORE_ERROR)
		return -1;
	authcache_device_touched(x->c->auth, x->sess.user_id, kid, x->now);
	return 0;
}

/* --- Listing --- */

static int add_identity(void *arg, const struct store_key_blob *b)
{
	json_t *i;

	if (json_array_size(arg) == ADVICE_MAX_LIST)
		return 1;
	i = json_pack("{s:o, s:o, s:o, s:I}", "identity", hex_json(b->kid, STORE_KID_BYTES), "sign_pk",
		      core_b64_json(b->data, b->len), "box_pk", core_b64_json(b->extra, b->extra_len),
		      "first_seen", (json_int_t)b->n);
	return i == NULL || json_array_append_new(arg, i) != 0 ? -1 : 0;
}

static int add_device_cert(void *arg, const struct store_key_blob *b)
{
	json_t *d;

	if (json_array_size(arg) == ADVICE_MAX_LIST)
		return 1;
	if (b->data == NULL || b->extra_len != STORE_KID_BYTES)
		return 0; /* not certified: no reader could check it */
	d = json_pack("{s:o, s:o, s:o, s:I, s:I}", "kid", hex_json(b->kid, STORE_KID_BYTES), "identity",
		      hex_json(b->extra, STORE_KID_BYTES), "cert", core_b64_json(b->data, b->len), "created",
		      (json_int_t)b->n, "last_used", (json_int_t)b->m);
	return d == NULL || json_array_append_new(arg, d) != 0 ? -1 : 0;
}

int core_put_identities(struct ctx *x, json_t *obj, const char *user_id)
{
	json_t *ids = json_array(), *devs = json_array();

	json_object_set_new(obj, "identities", ids);
	json_object_set_new(obj, "devices", devs);
	if (ids == NULL || devs == NULL)
		return -1;
	if (x->st->ops->citizen->identity_list(x->st, user_id, add_identity, ids) != STORE_OK ||
	    x->st->ops->citizen->device_certs(x->st, user_id, add_device_cert, devs) != STORE_OK)
		return -1;
	return 0;
}

static int count_cb(void *arg, const struct store_key_blob *b)
{
	(void)b;
	(*(int *)arg)++;
	return 0;
}

/* --- Certificates --- */

/*
 * The request's field `cert`: decoded and verified under the identity named in it. 0 with out
 * and *c filled; 0 with a bad_request on /cert set.
 */
static int cert_arg(struct ctx *x, uint8_t out[ADVICE_DEVICE_CERT_BYTES], struct advice_device_cert *c)
{
	size_t len = 0;
	int rc;

	if ((rc = core_b64_decode(x, req_str(x, "cert"), "/cert", out, ADVICE_DEVICE_CERT_BYTES, &len, 1)) !=
		    0 ||
	    x->err)
		return rc;
	rc = advice_device_cert_verify(out, len, c);
	if (rc == -ADVICE_ERR_INVAL)
		return fail_field(x, ADVICE_ERR_BAD_REQUEST, "/cert", "cert is not a device certificate");
	if (rc != 0)
		return fail_field(x, ADVICE_ERR_BAD_REQUEST, "/cert",
				  "cert's signature does not verify under its identity");
	return 0;
}

/* Whether the identity of c is one of the caller's: 1, 0, or -1 when the store failed. */
static int identity_is_mine(struct ctx *x, const struct advice_device_cert *c)
{
	uint8_t iid[ADVICE_KID_BYTES];
	char owner[STORE_ID_SIZE];
	int rc;

	advice_identity_id(iid, c->identity_sign_pk);
	rc = x->st->ops->citizen->identity_owner(x->st, iid, owner);
	if (rc == STORE_ERROR)
		return -1;
	return rc == STORE_OK && strcmp(owner, x->sess.user_id) == 0;
}

/* Registers the caller's device certified by cert (checked), within the cap. 0 (err set when
 * refused) with kid the device's kid, or -1. */
static int device_store(struct ctx *x, const uint8_t cert[ADVICE_DEVICE_CERT_BYTES],
			const struct advice_device_cert *c, uint8_t kid[ADVICE_KID_BYTES])
{
	uint8_t iid[ADVICE_KID_BYTES];
	int n = 0, rc;

	if (core_devices_expire(x, x->sess.user_id) != 0 ||
	    x->st->ops->keys->device_list(x->st, x->sess.user_id, count_cb, &n) != STORE_OK)
		return -1;
	if (n >= DEVICES_MAX)
		return core_fail(x, ADVICE_ERR_CONFLICT,
				 "at most %d devices: remove one first (device.remove)", DEVICES_MAX);
	advice_kid(kid, c->device_box_pk);
	advice_identity_id(iid, c->identity_sign_pk);
	rc = x->st->ops->keys->device_put(x->st, x->sess.user_id, kid, c->device_box_pk, c->device_sign_pk,
					  iid, cert, ADVICE_DEVICE_CERT_BYTES, x->now);
	if (rc == STORE_EXISTS)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/cert", "this device key is registered already");
	return rc == STORE_OK ? 0 : -1;
}

/* --- identity.add, device.add --- */

int core_identity_add(struct ctx *x)
{
	uint8_t cert[ADVICE_DEVICE_CERT_BYTES], kid[ADVICE_KID_BYTES], iid[ADVICE_KID_BYTES];
	struct advice_device_cert c;
	char owner[STORE_ID_SIZE];
	int rc, n = 0;

	if ((rc = cert_arg(x, cert, &c)) != 0 || x->err)
		return rc;
	advice_identity_id(iid, c.identity_sign_pk);
	rc = x->st->ops->citizen->identity_owner(x->st, iid, owner);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_OK)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/cert", "this identity is registered already");
	if (x->st->ops->citizen->identity_list(x->st, x->sess.user_id, count_cb, &n) != STORE_OK)
		return -1;
	if (n >= IDENTITIES_MAX)
		return core_fail(x, ADVICE_ERR_CONFLICT, "at most %d identities", IDENTITIES_MAX);
	/* The device first: a refused device leaves no identity behind. */
	if ((rc = device_store(x, cert, &c, kid)) != 0 || x->err)
		return rc;
	if (x->st->ops->citizen->identity_put(x->st, iid, x->sess.user_id, c.identity_sign_pk,
					      c.identity_box_pk, x->now) != STORE_OK)
		return -1;
	json_object_set_new(x->result, "identity", hex_json(iid, sizeof iid));
	json_object_set_new(x->result, "kid", hex_json(kid, sizeof kid));
	return 0;
}

int core_device_add(struct ctx *x)
{
	uint8_t cert[ADVICE_DEVICE_CERT_BYTES], kid[ADVICE_KID_BYTES];
	struct advice_device_cert c;
	int rc;

	if ((rc = cert_arg(x, cert, &c)) != 0 || x->err)
		return rc;
	if ((rc = identity_is_mine(x, &c)) < 0)
		return -1;
	if (rc == 0)
		return fail_field(x, ADVICE_ERR_FORBIDDEN, "/cert",
				  "the certificate is not signed by one of your identities");
	if ((rc = device_store(x, cert, &c, kid)) != 0 || x->err)
		return rc;
	json_object_set_new(x->result, "kid", hex_json(kid, sizeof kid));
	return 0;
}

/* --- device.list, device.remove --- */

struct request_acc {
	json_t *arr;	  /* NULL: only count or find */
	const char *want; /* the request to find, or NULL */
	int pending;	  /* requests not answered */
	int found;
	struct store_device_request req; /* the one found (its answer not kept) */
	json_t *found_json;		 /* with want_json: the one found as request_json gives it */
	int want_json;
};

/* base64url of n bytes, or JSON null when absent. */
static json_t *b64_or_null(int present, const uint8_t *data, size_t n)
{
	return present ? core_b64_json(data, n) : json_null();
}

/* A request as device.list and the event device.request give it. */
static json_t *request_json(const struct store_device_request *r)
{
	int answered = r->answer != NULL && r->answer_len == ADVICE_DEVICE_CERT_BYTES + ADVICE_WRAP_BYTES;
	json_t *j = json_pack("{s:s, s:o, s:I, s:I}", "request", r->id, "commit",
			      core_b64_json(r->commit, STORE_KEY_BYTES), "created", (json_int_t)r->created,
			      "expires", (json_int_t)(r->created + REQUEST_MS));

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "identity",
			    r->challenged ? hex_json(r->identity_id, STORE_KID_BYTES) : json_null());
	json_object_set_new(j, "challenge", b64_or_null(r->challenged, r->challenge, STORE_KEY_BYTES));
	json_object_set_new(j, "box_pk", b64_or_null(r->revealed, r->box_pk, STORE_KEY_BYTES));
	json_object_set_new(j, "sign_pk", b64_or_null(r->revealed, r->sign_pk, STORE_KEY_BYTES));
	json_object_set_new(j, "nonce", b64_or_null(r->revealed, r->nonce, STORE_KEY_BYTES));
	json_object_set_new(j, "cert", b64_or_null(answered, r->answer, ADVICE_DEVICE_CERT_BYTES));
	json_object_set_new(j, "wrap",
			    b64_or_null(answered, answered ? r->answer + ADVICE_DEVICE_CERT_BYTES : NULL,
					ADVICE_WRAP_BYTES));
	return j;
}

static int each_request(void *arg, const struct store_device_request *r)
{
	struct request_acc *a = arg;
	json_t *j;

	a->pending += r->answered == 0;
	if (a->want != NULL && strcmp(a->want, r->id) == 0) {
		a->found = 1;
		a->req = *r;
		a->req.answer = NULL;
		a->req.answer_len = 0;
		if (a->want_json && a->found_json == NULL && (a->found_json = request_json(r)) == NULL)
			return -1;
	}
	if (a->arr == NULL)
		return 0;
	if (json_array_size(a->arr) == ADVICE_MAX_LIST)
		return 1;
	j = request_json(r);
	return j == NULL || json_array_append_new(a->arr, j) != 0 ? -1 : 0;
}

/* The caller's requests that have not expired, through acc. 0 or -1. */
static int requests_scan(struct ctx *x, struct request_acc *a)
{
	return x->st->ops->citizen->request_list(x->st, x->sess.user_id, x->now - REQUEST_MS, each_request,
						 a) == STORE_OK
		       ? 0
		       : -1;
}

/* A kid field (32 hex digits, checked by the schema) into out; 0, or 0 with bad_request set. */
static int kid_arg(struct ctx *x, const char *name, const char *field, uint8_t out[ADVICE_KID_BYTES])
{
	const char *hex = req_str(x, name);

	if (hex == NULL || advice_unhex(out, ADVICE_KID_BYTES, hex) != 0)
		return fail_field(x, ADVICE_ERR_BAD_REQUEST, field, "not a key id");
	return 0;
}

int core_device_list(struct ctx *x)
{
	struct request_acc reqs = { .arr = json_array() };
	uint8_t kid[ADVICE_KID_BYTES];
	int rc;

	json_object_set_new(x->result, "requests", reqs.arr);
	if (reqs.arr == NULL || core_devices_expire(x, x->sess.user_id) != 0)
		return -1;
	if (json_object_get(x->msg, "kid") != NULL) {
		if ((rc = kid_arg(x, "kid", "/kid", kid)) != 0 || x->err)
			return rc;
		rc = x->st->ops->citizen->device_touch(x->st, x->sess.user_id, kid, x->now);
		if (rc == STORE_NOTFOUND)
			return fail_field(x, ADVICE_ERR_NOT_FOUND, "/kid",
					  "no such device (removed or expired)");
		if (rc != STORE_OK)
			return -1;
	}
	if (core_put_identities(x, x->result, x->sess.user_id) != 0 || requests_scan(x, &reqs) != 0)
		return -1;
	json_object_set_new(x->result, "idle_days", json_integer((idle_ms(x) + 86399999LL) / 86400000LL));
	return 0;
}

int core_device_remove(struct ctx *x)
{
	uint8_t kid[ADVICE_KID_BYTES];
	int rc;

	if ((rc = kid_arg(x, "kid", "/kid", kid)) != 0 || x->err)
		return rc;
	rc = x->st->ops->citizen->device_remove(x->st, x->sess.user_id, kid);
	if (rc == STORE_NOTFOUND)
		return fail_field(x, ADVICE_ERR_NOT_FOUND, "/kid", "no such device");
	if (rc != STORE_OK)
		return -1;
	json_object_set_new(x->result, "kid", json_string(req_str(x, "kid")));
	return 0;
}

/* --- device.request, device.approve --- */

/* The event device.request to every connection of the caller. 0 or -1. */
static int push_request(struct ctx *x, json_t *r)
{
	char topic[48];

	if (r == NULL)
		return -1;
	json_object_set_new(r, "type", json_string("event"));
	json_object_set_new(r, "event", json_string("device.request"));
	snprintf(topic, sizeof topic, "u:%s", x->sess.user_id);
	return core_push(x, topic, r);
}

/* A 32-byte base64url field into out; 0, or 0 with a bad_request on field set. */
static int bytes32_arg(struct ctx *x, const char *name, const char *field, uint8_t out[STORE_KEY_BYTES])
{
	size_t len = 0;

	return core_b64_decode(x, req_str(x, name), field, out, STORE_KEY_BYTES, &len, 1);
}

int core_device_request(struct ctx *x)
{
	struct store_device_request r = { .created = x->now };
	struct request_acc reqs = { 0 };
	int rc;

	if ((rc = bytes32_arg(x, "commit", "/commit", r.commit)) != 0 || x->err)
		return rc;
	if (x->st->ops->citizen->request_expire(x->st, x->now - REQUEST_MS) != STORE_OK ||
	    requests_scan(x, &reqs) != 0)
		return -1;
	if (reqs.pending >= REQUESTS_MAX)
		return core_fail(x, ADVICE_ERR_RATE_LIMITED,
				 "at most %d device requests at a time; each expires after 10 minutes",
				 REQUESTS_MAX);
	core_random_id(r.id);
	if (x->st->ops->citizen->request_put(x->st, r.id, x->sess.user_id, r.commit, x->now) != STORE_OK)
		return -1;
	if (push_request(x, request_json(&r)) != 0)
		return -1;
	json_object_set_new(x->result, "request", json_string(r.id));
	json_object_set_new(x->result, "expires", json_integer(x->now + REQUEST_MS));
	return 0;
}

/*
 * The caller's request named by the field `request`, not answered, into acc: 0 with acc->req
 * filled; 0 with not_found or conflict on /request set; -1 when the store failed.
 */
static int request_arg(struct ctx *x, struct request_acc *acc)
{
	acc->want = req_str(x, "request");
	if (requests_scan(x, acc) != 0)
		return -1;
	if (!acc->found)
		return fail_field(x, ADVICE_ERR_NOT_FOUND, "/request",
				  "no such device request (it may have expired)");
	if (acc->req.answered != 0)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/request",
				  "the device request is answered already");
	return 0;
}

/* The request's state changed: the event to every connection of the caller, the reply. */
static int request_moved(struct ctx *x, const char *id)
{
	struct request_acc acc = { .want = id, .want_json = 1 };

	if (requests_scan(x, &acc) != 0 || acc.found_json == NULL) {
		json_decref(acc.found_json);
		return -1;
	}
	if (push_request(x, acc.found_json) != 0)
		return -1;
	json_object_set_new(x->result, "request", json_string(id));
	return 0;
}

int core_device_challenge(struct ctx *x)
{
	struct request_acc req = { 0 };
	uint8_t iid[ADVICE_KID_BYTES], challenge[STORE_KEY_BYTES];
	char owner[STORE_ID_SIZE];
	int rc;

	if ((rc = request_arg(x, &req)) != 0 || x->err)
		return rc;
	if ((rc = kid_arg(x, "identity", "/identity", iid)) != 0 || x->err ||
	    (rc = bytes32_arg(x, "challenge", "/challenge", challenge)) != 0 || x->err)
		return rc;
	rc = x->st->ops->citizen->identity_owner(x->st, iid, owner);
	if (rc == STORE_ERROR)
		return -1;
	if (rc != STORE_OK || strcmp(owner, x->sess.user_id) != 0)
		return fail_field(x, ADVICE_ERR_FORBIDDEN, "/identity", "not one of your identities");
	if (req.req.challenged)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/request",
				  "the device request is challenged already");
	rc = x->st->ops->citizen->request_challenge(x->st, req.want, x->sess.user_id, iid, challenge);
	if (rc == STORE_NOTFOUND)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/request",
				  "the device request is challenged already");
	if (rc != STORE_OK)
		return -1;
	return request_moved(x, req.want);
}

int core_device_reveal(struct ctx *x)
{
	struct request_acc req = { 0 };
	uint8_t box[STORE_KEY_BYTES], sign[STORE_KEY_BYTES], nonce[STORE_KEY_BYTES],
		commit[ADVICE_HASH_BYTES];
	int rc;

	if ((rc = request_arg(x, &req)) != 0 || x->err)
		return rc;
	if ((rc = bytes32_arg(x, "box_pk", "/box_pk", box)) != 0 || x->err ||
	    (rc = bytes32_arg(x, "sign_pk", "/sign_pk", sign)) != 0 || x->err ||
	    (rc = bytes32_arg(x, "nonce", "/nonce", nonce)) != 0 || x->err)
		return rc;
	if (!req.req.challenged)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/request",
				  "the device request is not challenged yet: reveal after the challenge");
	if (req.req.revealed)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/request",
				  "the device request is revealed already");
	advice_device_commit(commit, sign, box, nonce);
	if (sodium_memcmp(commit, req.req.commit, sizeof commit) != 0)
		return fail_field(x, ADVICE_ERR_BAD_REQUEST, "/nonce",
				  "the keys and nonce do not open the request's commitment");
	rc = x->st->ops->citizen->request_reveal(x->st, req.want, x->sess.user_id, box, sign, nonce);
	if (rc == STORE_NOTFOUND)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/request",
				  "the device request is revealed already");
	if (rc != STORE_OK)
		return -1;
	return request_moved(x, req.want);
}

struct approver_acc {
	const uint8_t *identity_id, *signer_kid;
	int found;
};

/* A device of the caller of the identity that signed the wrap. */
static int match_approver(void *arg, const struct store_key_blob *b)
{
	struct approver_acc *a = arg;
	struct advice_device_cert c;
	uint8_t kid[ADVICE_KID_BYTES];

	if (b->extra_len != STORE_KID_BYTES || memcmp(b->extra, a->identity_id, STORE_KID_BYTES) != 0 ||
	    advice_device_cert_parse(b->data, b->len, &c) != 0)
		return 0;
	advice_kid(kid, c.device_sign_pk);
	a->found |= memcmp(kid, a->signer_kid, ADVICE_KID_BYTES) == 0;
	return a->found;
}

/*
 * The request's `wrap`: the identity seed (kind 3) of identity iid sealed to box_pk, epoch 0,
 * signed by one of the caller's devices of that identity. 0 with out filled; 0 with an error
 * on /wrap set; -1 when the store failed.
 */
static int seed_wrap_arg(struct ctx *x, const uint8_t iid[ADVICE_KID_BYTES],
			 const uint8_t box_pk[STORE_KEY_BYTES], uint8_t out[ADVICE_WRAP_BYTES])
{
	struct advice_wrap_info wi;
	struct approver_acc a = { .identity_id = iid };
	uint8_t kid[ADVICE_KID_BYTES];
	size_t len = 0;
	int rc;

	if ((rc = core_b64_decode(x, req_str(x, "wrap"), "/wrap", out, ADVICE_WRAP_BYTES, &len, 1)) != 0 ||
	    x->err)
		return rc;
	advice_kid(kid, box_pk);
	if (advice_wrap_parse(out, len, &wi) != 0 || wi.kind != ADVICE_WRAP_IDENTITY_SEED || wi.epoch != 0 ||
	    memcmp(wi.scope_id, iid, ADVICE_KID_BYTES) != 0 ||
	    memcmp(wi.recipient_kid, kid, ADVICE_KID_BYTES) != 0)
		return fail_field(x, ADVICE_ERR_BAD_REQUEST, "/wrap",
				  "wrap is not the identity seed sealed to the requested device");
	a.signer_kid = wi.signer_kid;
	if (x->st->ops->citizen->device_certs(x->st, x->sess.user_id, match_approver, &a) != STORE_OK)
		return -1;
	if (!a.found)
		return fail_field(x, ADVICE_ERR_FORBIDDEN, "/wrap",
				  "wrap is not signed by one of your devices of this identity");
	return 0;
}

int core_device_approve(struct ctx *x)
{
	uint8_t answer[ADVICE_DEVICE_CERT_BYTES + ADVICE_WRAP_BYTES], kid[ADVICE_KID_BYTES],
		iid[ADVICE_KID_BYTES];
	struct request_acc req = { 0 };
	struct advice_device_cert c;
	int rc;

	if ((rc = request_arg(x, &req)) != 0 || x->err)
		return rc;
	if (!req.req.revealed)
		return fail_field(x, ADVICE_ERR_CONFLICT, "/request",
				  "the new device has not revealed its keys yet");
	if ((rc = cert_arg(x, answer, &c)) != 0 || x->err)
		return rc;
	if (memcmp(c.device_box_pk, req.req.box_pk, STORE_KEY_BYTES) != 0 ||
	    memcmp(c.device_sign_pk, req.req.sign_pk, STORE_KEY_BYTES) != 0)
		return fail_field(x, ADVICE_ERR_BAD_REQUEST, "/cert",
				  "the certificate is not for the requested device's keys");
	if ((rc = identity_is_mine(x, &c)) < 0)
		return -1;
	if (rc == 0)
		return fail_field(x, ADVICE_ERR_FORBIDDEN, "/cert",
				  "the certificate is not signed by one of your identities");
	advice_identity_id(iid, c.identity_sign_pk);
	if ((rc = seed_wrap_arg(x, iid, req.req.box_pk, answer + ADVICE_DEVICE_CERT_BYTES)) != 0 || x->err)
		return rc;
	if ((rc = device_store(x, answer, &c, kid)) != 0 || x->err)
		return rc;
	if (x->st->ops->citizen->request_answer(x->st, req.want, x->sess.user_id, answer, sizeof answer,
						x->now) != STORE_OK)
		return -1;
	if (request_moved(x, req.want) != 0)
		return -1;
	json_object_set_new(x->result, "kid", hex_json(kid, sizeof kid));
	return 0;
}

/* --- recovery.put, recovery.get --- */

int core_recovery_put(struct ctx *x)
{
	uint8_t box[ADVICE_RECOVERY_BOX_BYTES], iid[ADVICE_KID_BYTES];
	char owner[STORE_ID_SIZE];
	size_t len = 0;
	int rc;

	if ((rc = core_b64_decode(x, req_str(x, "box"), "/box", box, sizeof box, &len, 1)) != 0 || x->err)
		return rc;
	if (advice_recovery_box_parse(box, len, iid, NULL) != 0)
		return fail_field(x, ADVICE_ERR_BAD_REQUEST, "/box", "box is not a recovery box");
	rc = x->st->ops->citizen->identity_owner(x->st, iid, owner);
	if (rc == STORE_ERROR)
		return -1;
	if (rc != STORE_OK || strcmp(owner, x->sess.user_id) != 0)
		return fail_field(x, ADVICE_ERR_FORBIDDEN, "/box",
				  "the box is for an identity that is not yours");
	if (x->st->ops->citizen->recovery_put(x->st, iid, x->sess.user_id, box, len, x->now) != STORE_OK)
		return -1;
	json_object_set_new(x->result, "identity", hex_json(iid, sizeof iid));
	return 0;
}

static int add_box(void *arg, const struct store_key_blob *b)
{
	json_t *j;

	if (json_array_size(arg) == ADVICE_MAX_LIST)
		return 1;
	j = json_pack("{s:o, s:o, s:I}", "identity", hex_json(b->kid, STORE_KID_BYTES), "box",
		      core_b64_json(b->data, b->len), "updated", (json_int_t)b->n);
	return j == NULL || json_array_append_new(arg, j) != 0 ? -1 : 0;
}

int core_recovery_get(struct ctx *x)
{
	json_t *boxes = json_array();

	json_object_set_new(x->result, "boxes", boxes);
	if (boxes == NULL)
		return -1;
	return x->st->ops->citizen->recovery_list(x->st, x->sess.user_id, add_box, boxes) == STORE_OK ? 0
												      : -1;
}
