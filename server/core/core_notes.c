/*
 * core_notes.c - internal notes on threads (PROTOCOL.md §12.7): note.add stores a unit text
 * (CRYPTO-FORMATS.md type 14, kind 1) of the thread, sealed to a generation of its unit and
 * signed by the caller; note.list gives a thread's notes to its unit's staff after the access-
 * log row. Notes are never for citizens: the policy refuses them both requests, and neither
 * thread.read nor any message event carries one. A shredded thread's notes are deleted with its
 * share (admin_shred.c). Also the check of a unit text that canned answers share (core_canned.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice_crypto.h"
#include "core_internal.h"

/* The author kid of a unit text (CRYPTO-FORMATS.md: bytes 43 .. 58). */
#define UNIT_TEXT_AUTHOR_AT 43

/* --- The check every unit text gets --- */

struct gen_find {
	int64_t generation;
	int found;
};

static int gen_match(void *arg, const struct store_key_blob *b)
{
	struct gen_find *f = arg;

	f->found = b->n == f->generation;
	return f->found;
}

struct cert_find {
	const uint8_t *box;
	size_t len;
	int ok;
};

static int cert_signed(void *arg, const struct store_key_blob *b)
{
	struct cert_find *f = arg;
	struct advice_cert c;

	if (advice_cert_parse(b->data, b->len, &c) == 0 &&
	    advice_unit_text_verify(f->box, f->len, c.sign_pk) == 0)
		f->ok = 1;
	return f->ok;
}

int core_unit_text_check(struct ctx *x, const char *field, uint8_t kind, const char *unit_id,
			 const char *scope_id, const uint8_t *box, size_t len,
			 struct advice_unit_text_info *info, int *signed_ok)
{
	uint8_t unit[ADVICE_OID_BYTES], scope[ADVICE_OID_BYTES];
	struct gen_find g = { 0 };
	struct cert_find f = { .box = box, .len = len };

	*signed_ok = 0;
	snprintf(x->err_field, sizeof x->err_field, "%s", field);
	if (advice_unit_text_parse(box, len, info) != 0 || info->kind != kind)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the %s is no unit text (type 14) of kind %u",
				 field + 1, (unsigned)kind);
	if (advice_unhex(unit, sizeof unit, unit_id) != 0 || memcmp(unit, info->unit_id, sizeof unit) != 0)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the %s is sealed to another unit", field + 1);
	if (advice_unhex(scope, sizeof scope, scope_id) != 0 ||
	    memcmp(scope, info->scope_id, sizeof scope) != 0)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the %s names another %s", field + 1,
				 kind == ADVICE_UNIT_TEXT_NOTE ? "thread" : "answer");
	g.generation = info->generation;
	if (x->st->ops->keys->unit_gen_list(x->st, unit_id, gen_match, &g) != STORE_OK)
		return -1;
	if (!g.found)
		return core_fail(x, ADVICE_ERR_BAD_REQUEST, "the unit has no key generation %u",
				 (unsigned)info->generation);
	/* Outside test mode, as message bodies: signed by one of the caller's certificate keys. */
	if (x->c->cfg.require_envelopes &&
	    x->st->ops->keys->cert_list(x->st, x->sess.user_id, cert_signed, &f) != STORE_OK)
		return -1;
	*signed_ok = !x->c->cfg.require_envelopes || f.ok;
	x->err_field[0] = '\0';
	return 0;
}

int core_unit_text_decode(struct ctx *x, const char *name, uint8_t **box, size_t *len)
{
	char field[32];

	snprintf(field, sizeof field, "/%s", name);
	*box = malloc(ADVICE_UNIT_TEXT_MAX_BYTES);
	if (*box == NULL)
		return -1;
	return core_b64_decode(x, json_string_value(json_object_get(x->msg, name)), field, *box,
			       ADVICE_UNIT_TEXT_MAX_BYTES, len, 0);
}

int core_unit_text_author(const struct store_unit_text *t, uint8_t kid[ADVICE_KID_BYTES])
{
	if (t->box_len < UNIT_TEXT_AUTHOR_AT + ADVICE_KID_BYTES)
		return -1;
	memcpy(kid, t->box + UNIT_TEXT_AUTHOR_AT, ADVICE_KID_BYTES);
	return 0;
}

/* --- note.add --- */

/* The note's shape as lists and events show it: with its box, or (for the event) without. */
static json_t *note_json(struct ctx *x, const struct store_unit_text *n, int with_box)
{
	json_t *name = NULL, *o;

	if (core_name_for_staff(x, n->author_id, &name) != 0)
		return NULL;
	o = json_pack("{s:s, s:s, s:I, s:s, s:o, s:I, s:o}", "note", n->id, "unit", n->unit_id, "generation",
		      (json_int_t)n->generation, "author", n->author_id, "author_name", name, "created",
		      (json_int_t)n->time, "copy_of", n->copy_of[0] ? json_string(n->copy_of) : json_null());
	if (o != NULL && with_box && json_object_set_new(o, "box", core_b64_json(n->box, n->box_len)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* The thread's notes may take one more of len bytes (CORE_NOTES_MAX, CORE_NOTES_MAX_BYTES):
 * 0 (conflict set when not) or -1. */
static int notes_room(struct ctx *x, const struct store_thread *t, size_t len)
{
	int64_t count = 0, bytes = 0;

	if (x->st->ops->note->note_usage(x->st, t->id, &count, &bytes) != STORE_OK)
		return -1;
	snprintf(x->err_field, sizeof x->err_field, "/note");
	if (count >= CORE_NOTES_MAX)
		return core_fail(x, ADVICE_ERR_CONFLICT, "the thread has %d notes, the most it keeps",
				 CORE_NOTES_MAX);
	if (bytes + (int64_t)len > CORE_NOTES_MAX_BYTES)
		return core_fail(
			x, ADVICE_ERR_CONFLICT,
			"the thread's notes would take more than %d bytes together: write a shorter note",
			CORE_NOTES_MAX_BYTES);
	x->err_field[0] = '\0';
	return 0;
}

/* copy_of, when given, must be a note of this thread: the copy may then be sealed to any
 * unit's generation (the unit the thread is about to move to); without it, the thread's unit.
 * 0 with *unit set (ctx->err set when refused) or -1. */
static int note_unit(struct ctx *x, const struct store_thread *t, const char *copy_of,
		     char unit[STORE_ID_SIZE], const uint8_t *box, size_t len)
{
	struct advice_unit_text_info info;
	int rc;

	snprintf(unit, STORE_ID_SIZE, "%s", t->unit_id);
	if (copy_of == NULL)
		return 0;
	rc = x->st->ops->note->note_in_thread(x->st, t->id, copy_of);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND) {
		snprintf(x->err_field, sizeof x->err_field, "/copy_of");
		return core_fail(x, ADVICE_ERR_NOT_FOUND, "no such note in this thread");
	}
	if (advice_unit_text_parse(box, len, &info) == 0)
		advice_hex(unit, info.unit_id, sizeof info.unit_id);
	return 0;
}

int core_note_add(struct ctx *x)
{
	const char *copy_of = json_string_value(json_object_get(x->msg, "copy_of"));
	struct store_unit_text n = { .time = x->now };
	struct advice_unit_text_info info;
	struct store_thread t;
	char topic[48];
	uint8_t *box = NULL;
	int ok = 0, rc;
	json_t *ev;

	if ((rc = core_thread_for(x, ACT_NOTE_ADD, &t)) != 0 || x->err)
		return rc;
	rc = -1;
	if (core_unit_text_decode(x, "note", &box, &n.box_len) != 0)
		goto out;
	rc = 0;
	if (x->err || (rc = note_unit(x, &t, copy_of, n.unit_id, box, n.box_len)) != 0 || x->err ||
	    (rc = core_unit_text_check(x, "/note", ADVICE_UNIT_TEXT_NOTE, n.unit_id, t.id, box, n.box_len,
				       &info, &ok)) != 0 ||
	    x->err)
		goto out;
	if (!ok) {
		snprintf(x->err_field, sizeof x->err_field, "/note");
		rc = core_deny(x, ACT_NOTE_ADD, &t);
		goto out;
	}
	if ((rc = notes_room(x, &t, n.box_len)) != 0 || x->err)
		goto out;
	rc = -1;
	core_random_id(n.id);
	snprintf(n.thread_id, sizeof n.thread_id, "%s", t.id);
	snprintf(n.author_id, sizeof n.author_id, "%s", x->sess.user_id);
	snprintf(n.copy_of, sizeof n.copy_of, "%s", copy_of ? copy_of : "");
	n.generation = info.generation;
	n.box = box;
	if (x->st->ops->note->note_add(x->st, &n) != STORE_OK || core_audit(x, &t, "note.add", "ok") != 0)
		goto out;
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "note", json_string(n.id));
	json_object_set_new(x->result, "created", json_integer(n.time));
	/* To the unit's staff, without the box: its content comes with note.list, logged. */
	ev = note_json(x, &n, 0);
	ev = ev ? json_pack("{s:s, s:s, s:s, s:o}", "type", "event", "event", "note.new", "thread", t.id,
			    "note", ev)
		: NULL;
	snprintf(topic, sizeof topic, "unit:%s", t.unit_id);
	rc = ev != NULL && core_push(x, topic, ev) == 0 ? 0 : -1;
out:
	free(box);
	return rc;
}

/* --- note.list --- */

struct note_acc {
	struct ctx *x;
	json_t *arr;
	uint8_t (*kids)[ADVICE_KID_BYTES];
	size_t nkids;
	int failed;
};

static int add_note(void *arg, const struct store_unit_text *n)
{
	struct note_acc *a = arg;
	json_t *o;

	if (a->nkids >= CORE_NOTES_MAX)
		return 1;
	if (core_unit_text_author(n, a->kids[a->nkids]) == 0)
		a->nkids++;
	o = note_json(a->x, n, 1);
	if (o == NULL || json_array_append_new(a->arr, o) != 0) {
		a->failed = 1;
		return 1;
	}
	return 0;
}

int core_note_list(struct ctx *x)
{
	struct note_acc a = { .x = x, .arr = json_array(), .kids = calloc(CORE_NOTES_MAX, ADVICE_KID_BYTES) };
	json_t *certs = json_array();
	struct store_thread t;
	int rc;

	json_object_set_new(x->result, "notes", a.arr);
	json_object_set_new(x->result, "certs", certs);
	if (a.arr == NULL || certs == NULL || a.kids == NULL) {
		free(a.kids);
		return -1;
	}
	if ((rc = core_thread_for(x, ACT_NOTE_LIST, &t)) != 0 || x->err)
		goto out;
	rc = -1;
	/* The access log before any note reaches the caller. */
	if (core_audit(x, &t, "note.read", "ok") != 0 ||
	    x->st->ops->note->note_list(x->st, t.id, add_note, &a) != STORE_OK || a.failed ||
	    core_keys_sender_certs(x, (const uint8_t(*)[16])a.kids, a.nkids, certs) != 0)
		goto out;
	json_object_set_new(x->result, "thread", json_string(t.id));
	rc = 0;
out:
	free(a.kids);
	return rc;
}
