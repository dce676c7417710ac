/*
 * core_identity.c - the citizen's identity, readable only by the unit that handles the thread
 * (ARCHITECTURE.md §3, PROTOCOL.md §12.9).
 *
 * At the bank login the name and identity code are sealed into the session row under a key
 * derived from the pepper (core_identity_keep), never stored in clear; they go with the session.
 * At thread.open the server opens them and seals an identity box (CRYPTO-FORMATS.md, type 15)
 * to the current key generation of the thread's unit (core_identity_opened). Staff of the unit
 * read the boxes with thread.identity, logged before the reply; a supervisor moving a thread to
 * another unit hands over the box re-sealed for that unit (core_identity_reassign). A unit
 * without a key generation (a test set-up without keys) gets no box. Nothing here logs a name
 * or an identity code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "advice_crypto.h"
#include "core_internal.h"
#include "log.h"

#define SESSION_KDF_CTX "advsesid" /* kdf context of the session's sealing key (from the pepper) */
#define SESSION_PADDED	(ADVICE_IDENTITY_CONTENT_MAX + 1)
#define SESSION_SEALED                                                                                       \
	(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + SESSION_PADDED +                                     \
	 crypto_aead_xchacha20poly1305_ietf_ABYTES)

_Static_assert(SESSION_SEALED <= STORE_SESSION_IDENTITY_MAX, "a sealed identity fits its column");

static void session_key(const struct ctx *x, uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES])
{
	crypto_kdf_derive_from_key(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, 1, SESSION_KDF_CTX,
				   x->c->cfg.pepper);
}

int core_identity_keep(struct ctx *x, const char *name, const char *hetu)
{
	uint8_t padded[SESSION_PADDED], sealed[SESSION_SEALED],
		key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	size_t clen = 0, plen = 0;
	int rc;

	if (name == NULL || name[0] == '\0' ||
	    advice_identity_content((char *)padded, ADVICE_IDENTITY_CONTENT_MAX, &clen, name, hetu,
				    (uint64_t)x->now) != 0) {
		log_notice("bank-ID login of user %s: no usable name in the token, no identity kept",
			   x->sess.user_id);
		return 0;
	}
	if (sodium_pad(&plen, padded, clen, SESSION_PADDED, sizeof padded) != 0 || plen != SESSION_PADDED) {
		sodium_memzero(padded, sizeof padded);
		return -1;
	}
	session_key(x, key);
	randombytes_buf(sealed, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
						   NULL, padded, SESSION_PADDED, x->sess.hash,
						   sizeof x->sess.hash, NULL, sealed, key);
	sodium_memzero(key, sizeof key);
	sodium_memzero(padded, sizeof padded);
	rc = x->st->ops->idbox->session_put(x->st, x->sess.hash, sealed, sizeof sealed);
	return rc == STORE_OK ? 0 : -1;
}

/* The identity kept in the caller's session: 1 with *id filled, 0 when there is none (or it
 * does not open: a changed pepper), -1 when the store failed. */
static int session_identity(struct ctx *x, struct advice_identity *id)
{
	uint8_t sealed[STORE_SESSION_IDENTITY_MAX], padded[SESSION_PADDED],
		key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	size_t len = 0, clen = 0;
	json_t *o = NULL, *t;
	int rc = x->st->ops->idbox->session_get(x->st, x->sess.hash, sealed, sizeof sealed, &len);

	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_OK)
		return -1;
	session_key(x, key);
	rc = len == SESSION_SEALED &&
			     crypto_aead_xchacha20poly1305_ietf_decrypt(
				     padded, NULL, NULL,
				     sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
				     len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, x->sess.hash,
				     sizeof x->sess.hash, sealed, key) == 0 &&
			     sodium_unpad(&clen, padded, SESSION_PADDED, SESSION_PADDED) == 0
		     ? 1
		     : 0;
	sodium_memzero(key, sizeof key);
	if (rc == 1) {
		o = json_loadb((const char *)padded, clen, 0, NULL);
		t = json_object_get(o, "verified_at");
		rc = json_is_string(json_object_get(o, "name")) &&
		     json_is_string(json_object_get(o, "hetu")) && json_is_integer(t) &&
		     snprintf(id->name, sizeof id->name, "%s",
			      json_string_value(json_object_get(o, "name"))) > 0 &&
		     snprintf(id->hetu, sizeof id->hetu, "%s",
			      json_string_value(json_object_get(o, "hetu"))) > 0;
		if (rc == 1)
			id->verified_at = (uint64_t)json_integer_value(t);
		json_decref(o); /* jansson does not wipe: its copy is freed at once */
	}
	sodium_memzero(padded, sizeof padded);
	if (rc == 0)
		log_warn("session of user %s: the kept identity does not open", x->sess.user_id);
	return rc;
}

/* The newest generation seen while walking a unit's generations. */
struct unit_current {
	int64_t generation;
	uint8_t box_pk[ADVICE_KEY_BYTES];
	int bad;
};

static int keep_newest(void *arg, const struct store_key_blob *b)
{
	struct unit_current *u = arg;
	struct advice_unit_event *ev;

	if (b->n <= u->generation)
		return 0;
	if ((ev = malloc(sizeof *ev)) == NULL)
		return -1;
	if (advice_unit_event_parse(b->data, b->len, ev) == 0 && ev->generation == b->n) {
		u->generation = b->n;
		memcpy(u->box_pk, ev->box_pk, ADVICE_KEY_BYTES);
	} else {
		u->bad = 1;
	}
	free(ev);
	return 0;
}

/* The current key generation of a unit and its X25519 key: 1, 0 when the unit has none, -1 when
 * the store failed or a stored event does not parse. */
static int unit_current(struct ctx *x, const char *unit_id, struct unit_current *u)
{
	memset(u, 0, sizeof *u);
	if (x->st->ops->keys->unit_gen_list(x->st, unit_id, keep_newest, u) != STORE_OK || u->bad)
		return -1;
	return u->generation > 0;
}

/* Binary form of a 32-hex-digit id. */
static int id_bin(uint8_t out[ADVICE_OID_BYTES], const char *hex)
{
	return advice_unhex(out, ADVICE_OID_BYTES, hex);
}

int core_identity_opened(struct ctx *x, const struct store_thread *t)
{
	struct advice_identity_box_hdr h = { 0 };
	uint8_t box[ADVICE_IDENTITY_BOX_BYTES], eph[ADVICE_KEY_BYTES], nonce[ADVICE_NONCE_BYTES];
	struct advice_identity *id;
	struct unit_current u;
	int rc;

	if ((rc = unit_current(x, t->unit_id, &u)) <= 0)
		return rc; /* no generation: no box (PROTOCOL.md §12.9) */
	if ((id = calloc(1, sizeof *id)) == NULL)
		return -1;
	if ((rc = session_identity(x, id)) <= 0)
		goto out;
	rc = -1;
	if (id_bin(h.thread_id, t->id) != 0 || id_bin(h.unit_id, t->unit_id) != 0)
		goto out;
	h.generation = (uint32_t)u.generation;
	randombytes_buf(eph, sizeof eph);
	randombytes_buf(nonce, sizeof nonce);
	if (advice_identity_box_seal(box, &h, id->name, id->hetu, id->verified_at, u.box_pk, eph, nonce) !=
	    0) {
		log_warn("thread %s: the identity box could not be sealed; none stored", t->id);
		rc = 0;
		goto out;
	}
	rc = x->st->ops->idbox->put(x->st, t->id, t->unit_id, u.generation, box, sizeof box, x->now) ==
			     STORE_OK
		     ? 0
		     : -1;
out:
	sodium_memzero(eph, sizeof eph);
	sodium_memzero(id, sizeof *id);
	free(id);
	return rc;
}

/* Fails the request as bad_request on /identity. */
static int identity_fail(struct ctx *x, const char *why)
{
	snprintf(x->err_field, sizeof x->err_field, "/identity");
	return core_fail(x, ADVICE_ERR_BAD_REQUEST, "%s", why);
}

int core_identity_reassign(struct ctx *x, const struct store_thread *before, const struct store_thread *after)
{
	const char *b64 = json_string_value(json_object_get(x->msg, "identity"));
	struct advice_identity_box_hdr h;
	uint8_t box[ADVICE_IDENTITY_BOX_BYTES], tid[ADVICE_OID_BYTES], uid[ADVICE_OID_BYTES];
	struct unit_current u;
	size_t len = 0;
	int64_t n = 0;
	int rc;

	if ((rc = unit_current(x, after->unit_id, &u)) < 0)
		return -1;
	if (b64 == NULL) {
		if (strcmp(before->unit_id, after->unit_id) == 0 || rc == 0)
			return 0;
		if (x->st->ops->idbox->count(x->st, before->id, &n) != STORE_OK)
			return -1;
		return n == 0 ? 0
			      : identity_fail(x,
					      "the thread has an identity box: identity, re-sealed for the "
					      "target unit's current key generation, is required");
	}
	if (rc == 0)
		return identity_fail(x, "the target unit has no key generation to seal the identity to");
	if ((rc = core_b64_decode(x, b64, "/identity", box, sizeof box, &len, 1)) != 0 || x->err)
		return rc;
	if (advice_identity_box_parse(box, len, &h) != 0)
		return identity_fail(x, "identity is not an identity box");
	if (id_bin(tid, after->id) != 0 || id_bin(uid, after->unit_id) != 0)
		return -1;
	if (memcmp(h.thread_id, tid, sizeof tid) != 0 || memcmp(h.unit_id, uid, sizeof uid) != 0 ||
	    (int64_t)h.generation != u.generation)
		return identity_fail(x, "identity is not a box of this thread for the target unit's current "
					"key generation");
	return x->st->ops->idbox->put(x->st, after->id, after->unit_id, u.generation, box, len, x->now) ==
			       STORE_OK
		       ? 0
		       : -1;
}

/* thread.identity */

struct box_acc {
	const struct ctx *x;
	json_t *arr;
};

static int add_readable_box(void *arg, const struct store_key_blob *b)
{
	struct box_acc *a = arg;
	json_t *j;

	for (size_t i = 0; i < a->x->nunits; i++) {
		if (strcmp(a->x->units[i].unit_id, b->owner) != 0)
			continue;
		j = json_pack("{s:s, s:I, s:o}", "unit", b->owner, "generation", (json_int_t)b->n, "box",
			      core_b64_json(b->data, b->len));
		return j == NULL || json_array_append_new(a->arr, j) != 0 ? -1 : 0;
	}
	return 0;
}

int core_thread_identity(struct ctx *x)
{
	struct box_acc acc = { .x = x, .arr = json_array() };
	struct store_thread t;
	int rc;

	if (acc.arr == NULL)
		return -1;
	json_object_set_new(x->result, "boxes", acc.arr);
	if ((rc = core_thread_for(x, ACT_THREAD_IDENTITY, &t)) != 0 || x->err)
		return rc;
	/* The identity goes to staff only after the access-log entry. */
	if (core_audit(x, &t, "identity.read", "ok") != 0)
		return -1;
	json_object_set_new(x->result, "thread", json_string(t.id));
	return x->st->ops->idbox->list(x->st, t.id, add_readable_box, &acc) == STORE_OK ? 0 : -1;
}
