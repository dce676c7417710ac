/*
 * test_core_notes.c - internal notes and canned answers (core_notes.c, core_canned.c) over a
 * real SQLite file: the unit texts are made with libadvice the way staff clients make them, and
 * the server checks their format, kind, unit, generation and scope (and, outside test mode, the
 * author's signature), keeps its limits, writes the access log before content reaches staff,
 * tells the unit's staff without the content, never gives a note to a citizen, and forgets a
 * shredded thread's notes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "advice.h"
#include "advice_crypto.h"
#include "corefix.h"

#define CITIZEN_A "010594Y9032"

/* The key world: root, an admin, anna's, sara's and ben's certified keys, generation 1 of the
 * adult unit and of the family unit. */
struct world {
	struct advice_keys root, admin, anna, sara, ben, adult, family;
	struct who w_anna, w_sara, w_ben, w_anton, citizen;
	char thread[STORE_ID_SIZE];
};

static void keys_new(struct advice_keys *k)
{
	uint8_t seed[32];

	advice_random(seed, sizeof seed);
	assert_int_equal(advice_keys_personal(k, seed), 0);
}

static void put_cert(struct corefix *fx, uint8_t role, const char *subject, const struct advice_keys *k,
		     const struct advice_keys *issuer)
{
	uint8_t cert[ADVICE_CERT_BYTES], kid[16];
	struct advice_cert c = { .role = role };

	advice_unhex(c.subject_id, 16, subject);
	memcpy(c.sign_pk, k->sign_pk, 32);
	memcpy(c.box_pk, k->box_pk, 32);
	c.not_after = fx->now + 86400000;
	assert_int_equal(advice_cert_sign(cert, &c, issuer), 0);
	advice_kid(kid, k->sign_pk);
	assert_int_equal(fx->st->ops->keys->cert_put(fx->st, subject, role, kid, cert, sizeof cert, fx->now),
			 STORE_OK);
}

/* Generation 1 of a unit (its event; the seed is sealed to nobody: the server needs only the event). */
static void put_generation(struct corefix *fx, struct world *w, const char *unit, struct advice_keys *gen)
{
	struct advice_unit_event *ev = calloc(1, sizeof *ev);
	uint8_t event[ADVICE_UNIT_EVENT_BYTES(0)], seed[32], kid[16];
	size_t len = 0;

	advice_random(seed, 32);
	assert_int_equal(advice_keys_unit(gen, NULL, seed), 0);
	advice_unhex(ev->unit_id, 16, unit);
	ev->generation = 1;
	memcpy(ev->box_pk, gen->box_pk, 32);
	memcpy(ev->sign_pk, gen->sign_pk, 32);
	ev->created_at = (uint64_t)fx->now;
	assert_int_equal(advice_unit_event_sign(event, sizeof event, &len, ev, &w->admin), 0);
	advice_kid(kid, gen->box_pk);
	assert_int_equal(fx->st->ops->keys->unit_gen_put(fx->st, unit, 1, kid, event, len, NULL, 0, fx->now),
			 STORE_OK);
	free(ev);
}

static void world_setup(struct corefix *fx, struct world *w)
{
	char admin_hex[33];
	uint8_t admin_id[16];
	json_t *r;

	keys_new(&w->root);
	keys_new(&w->admin);
	keys_new(&w->anna);
	keys_new(&w->sara);
	keys_new(&w->ben);
	corefix_login_worker(fx, "anna", &w->w_anna);
	corefix_login_worker(fx, "sara", &w->w_sara);
	corefix_login_worker(fx, "ben", &w->w_ben);
	corefix_login_worker(fx, "anton", &w->w_anton);
	corefix_login_citizen(fx, CITIZEN_A, &w->citizen);
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(fx->st->ops->keys->root_put(fx->st, w->root.sign_pk, fx->now), STORE_OK);
	advice_random(admin_id, sizeof admin_id);
	advice_hex(admin_hex, admin_id, sizeof admin_id);
	put_cert(fx, ADVICE_ROLE_ADMIN, admin_hex, &w->admin, &w->root);
	put_cert(fx, ADVICE_ROLE_WORKER, w->w_anna.user_id, &w->anna, &w->admin);
	put_cert(fx, ADVICE_ROLE_WORKER, w->w_sara.user_id, &w->sara, &w->admin);
	put_cert(fx, ADVICE_ROLE_WORKER, w->w_ben.user_id, &w->ben, &w->admin);
	put_generation(fx, w, fx->unit_adult, &w->adult);
	put_generation(fx, w, fx->unit_family, &w->family);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	r = corefix_ws(fx, &w->citizen,
		       "{\"type\":\"thread.open\",\"id\":\"o1\",\"category\":\"adult-social-work\",\"body\":"
		       "\"AAAA\"}");
	assert_string_equal(corefix_code(r), "ok");
	snprintf(w->thread, sizeof w->thread, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
}

/* A unit text of `len` bytes of text, base64url (malloc'd). */
static char *unit_text(uint8_t kind, const char *unit, uint32_t generation, const char *scope,
		       const struct advice_keys *gen, const struct advice_keys *author, size_t len)
{
	static uint8_t obj[ADVICE_UNIT_TEXT_MAX_BYTES], text[ADVICE_UNIT_TEXT_MAX_PLAIN];
	struct advice_unit_text_info t = { .kind = kind,
					   .generation = generation,
					   .created = 1770000000000ULL };
	uint8_t eph[32];
	size_t n = 0;
	char *s;

	advice_unhex(t.unit_id, 16, unit);
	advice_unhex(t.scope_id, 16, scope);
	advice_random(eph, 32);
	memset(text, 'n', len);
	assert_int_equal(advice_unit_text_seal(obj, sizeof obj, &n, &t, text, len, gen->box_pk, eph, author),
			 0);
	assert_non_null(s = advice_b64url_encode(obj, n));
	return s;
}

/* note.add of `box` (consumed) as w, with copy_of when not NULL; the reply. */
static json_t *note_add(struct corefix *fx, const struct who *w, const char *rid, const char *thread,
			char *box, const char *copy_of)
{
	char extra[64] = "";
	json_t *r;

	if (copy_of != NULL)
		snprintf(extra, sizeof extra, ",\"copy_of\":\"%s\"", copy_of);
	r = corefix_ws(fx, w, "{\"type\":\"note.add\",\"id\":\"%s\",\"thread\":\"%s\",\"note\":\"%s\"%s}",
		       rid, thread, box, extra);
	free(box);
	return r;
}

static const char *code_of(json_t *r, char out[64])
{
	const char *f = json_string_value(json_object_get(r, "field"));

	snprintf(out, 64, "%s%s%s", corefix_code(r), f ? " " : "", f ? f : "");
	json_decref(r);
	return out;
}

/* The length of a reply as sent. */
static size_t reply_size(json_t *r)
{
	char *text = json_dumps(r, JSON_COMPACT);
	size_t n = strlen(text);

	free(text);
	return n;
}

static int has_push(const struct core_reply *rep, const char *topic, const char *event)
{
	for (size_t i = 0; i < rep->npush; i++)
		if (strcmp(rep->pushes[i].topic, topic) == 0 && strstr(rep->pushes[i].json, event) != NULL)
			return 1;
	return 0;
}

/* A note added by anna reaches the unit's staff through note.list (logged first), with an event
 * without its content; never a citizen, another unit, thread.read or a message event. */
static void test_notes_flow(void **state)
{
	struct corefix *fx = *state;
	struct world w;
	struct store_audit last;
	struct core_reply *rep;
	char body[32768], topic[48], code[64], note[STORE_ID_SIZE], *text;
	int64_t rows;
	json_t *r, *n;
	int rc;

	world_setup(fx, &w);
	text = unit_text(1, fx->unit_adult, 1, w.thread, &w.adult, &w.anna, 40);
	snprintf(body, sizeof body, "{\"type\":\"note.add\",\"id\":\"n1\",\"thread\":\"%s\",\"note\":\"%s\"}",
		 w.thread, text);
	free(text);
	rows = corefix_audit_rows(fx, NULL);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, &w.w_anna, body, &rc, &r);
	assert_string_equal(corefix_code(r), "ok");
	snprintf(note, sizeof note, "%s", json_string_value(json_object_get(r, "note")));
	assert_int_equal(json_integer_value(json_object_get(r, "created")), fx->now);
	snprintf(topic, sizeof topic, "unit:%s", fx->unit_adult);
	assert_true(has_push(rep, topic, "\"note.new\""));
	/* The event names the note, not its content; nothing goes to the citizen. */
	for (size_t i = 0; i < rep->npush; i++) {
		assert_null(strstr(rep->pushes[i].json, "\"box\""));
		assert_null(strstr(rep->pushes[i].topic, w.citizen.user_id));
	}
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "note.add");
	json_decref(r);
	core_reply_free(rep);

	/* sara (supervisor of the unit) lists it: the access log first. */
	rows = corefix_audit_rows(fx, NULL);
	r = corefix_ws(fx, &w.w_sara, "{\"type\":\"note.list\",\"id\":\"l1\",\"thread\":\"%s\"}", w.thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "notes")), 1);
	n = json_array_get(json_object_get(r, "notes"), 0);
	assert_string_equal(json_string_value(json_object_get(n, "note")), note);
	assert_string_equal(json_string_value(json_object_get(n, "author")), w.w_anna.user_id);
	assert_true(json_is_null(json_object_get(n, "copy_of")));
	assert_int_equal(json_array_size(json_object_get(r, "certs")), 2); /* anna's and her admin's */
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "note.read");
	assert_string_equal(last.outcome, "ok");
	assert_string_equal(last.user_id, w.w_sara.user_id);

	/* The citizen owner: forbidden by the policy, logged; a worker of another unit: as for no thread. */
	assert_string_equal(
		code_of(corefix_ws(fx, &w.citizen, "{\"type\":\"note.list\",\"id\":\"l2\",\"thread\":\"%s\"}",
				   w.thread),
			code),
		"forbidden");
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 2);
	assert_string_equal(last.outcome, "denied");
	assert_string_equal(
		code_of(note_add(fx, &w.citizen, "n2", w.thread,
				 unit_text(1, fx->unit_adult, 1, w.thread, &w.adult, &w.anna, 4), NULL),
			code),
		"forbidden");
	assert_string_equal(
		code_of(corefix_ws(fx, &w.w_ben, "{\"type\":\"note.list\",\"id\":\"l3\",\"thread\":\"%s\"}",
				   w.thread),
			code),
		"not_found");

	/* thread.read (staff and citizen) and a message's events carry no note. */
	r = corefix_ws(fx, &w.citizen, "{\"type\":\"thread.read\",\"id\":\"r1\",\"thread\":\"%s\"}",
		       w.thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_null(json_object_get(r, "notes"));
	text = json_dumps(r, JSON_COMPACT);
	assert_null(strstr(text, note));
	free(text);
	json_decref(r);
	snprintf(body, sizeof body,
		 "{\"type\":\"message.send\",\"id\":\"m1\",\"thread\":\"%s\",\"body\":\"AAAA\"}", w.thread);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, &w.citizen, body, &rc, &r);
	assert_string_equal(corefix_code(r), "ok");
	for (size_t i = 0; i < rep->npush; i++)
		assert_null(strstr(rep->pushes[i].json, note));
	json_decref(r);
	core_reply_free(rep);
}

/* What note.add refuses: not a unit text, a canned answer, another thread or unit, an unknown
 * generation, a copy of no note; with require_envelopes another's signature (logged). */
static void test_note_checks(void **state)
{
	struct corefix *fx = *state;
	struct core_config cc = fx->cc;
	struct store_audit last;
	struct world w;
	char code[64], note[STORE_ID_SIZE], *box;
	json_t *r;

	world_setup(fx, &w);
	cc.require_envelopes = 1;
	core_free(fx->core);
	fx->core = core_new(fx->st, &cc);
	box = advice_b64url_encode("QA not a unit text at all, but long enough to look like one......", 66);
	assert_string_equal(code_of(note_add(fx, &w.w_anna, "a1", w.thread, box, NULL), code),
			    "bad_request /note");
	assert_string_equal(
		code_of(note_add(fx, &w.w_anna, "a2", w.thread,
				 unit_text(2, fx->unit_adult, 1, w.thread, &w.adult, &w.anna, 4), NULL),
			code),
		"bad_request /note");
	assert_string_equal(
		code_of(note_add(fx, &w.w_anna, "a3", w.thread,
				 unit_text(1, fx->unit_adult, 1, fx->unit_adult, &w.adult, &w.anna, 4), NULL),
			code),
		"bad_request /note");
	assert_string_equal(
		code_of(note_add(fx, &w.w_anna, "a4", w.thread,
				 unit_text(1, fx->unit_family, 1, w.thread, &w.family, &w.anna, 4), NULL),
			code),
		"bad_request /note");
	assert_string_equal(
		code_of(note_add(fx, &w.w_anna, "a5", w.thread,
				 unit_text(1, fx->unit_adult, 2, w.thread, &w.adult, &w.anna, 4), NULL),
			code),
		"bad_request /note");
	/* Signed with sara's key, sent by anna: forbidden, logged. */
	assert_string_equal(
		code_of(note_add(fx, &w.w_anna, "a6", w.thread,
				 unit_text(1, fx->unit_adult, 1, w.thread, &w.adult, &w.sara, 4), NULL),
			code),
		"forbidden /note");
	corefix_audit_rows(fx, &last);
	assert_string_equal(last.action, "note.add");
	assert_string_equal(last.outcome, "denied");
	/* anna's own: ok; a copy of it for the family unit (before a reassignment): ok; a copy of no note:
	 * not_found. */
	r = note_add(fx, &w.w_anna, "a7", w.thread,
		     unit_text(1, fx->unit_adult, 1, w.thread, &w.adult, &w.anna, 4), NULL);
	assert_string_equal(corefix_code(r), "ok");
	snprintf(note, sizeof note, "%s", json_string_value(json_object_get(r, "note")));
	json_decref(r);
	assert_string_equal(
		code_of(note_add(fx, &w.w_anna, "a8", w.thread,
				 unit_text(1, fx->unit_family, 1, w.thread, &w.family, &w.anna, 4), note),
			code),
		"ok");
	assert_string_equal(
		code_of(note_add(fx, &w.w_anna, "a9", w.thread,
				 unit_text(1, fx->unit_family, 1, w.thread, &w.family, &w.anna, 4),
				 "0123456789abcdef0123456789abcdef"),
			code),
		"not_found /copy_of");
	r = corefix_ws(fx, &w.w_anton, "{\"type\":\"note.list\",\"id\":\"l1\",\"thread\":\"%s\"}", w.thread);
	assert_int_equal(json_array_size(json_object_get(r, "notes")), 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(r, "notes"), 1), "copy_of")),
		note);
	json_decref(r);
}

/* A thread keeps at most CORE_NOTES_MAX notes and CORE_NOTES_MAX_BYTES of them; shredding
 * deletes them. */
static void test_note_limits_and_shred(void **state)
{
	struct corefix *fx = *state;
	struct world w;
	char code[64], rid[16], other[STORE_ID_SIZE], body[256];
	struct core_request *req;
	struct core_reply *rep;
	json_t *r;
	int n = 0;

	world_setup(fx, &w);
	/* The longest notes: the bytes run out after six. */
	for (;; n++) {
		snprintf(rid, sizeof rid, "b%d", n);
		r = note_add(fx, &w.w_anna, rid, w.thread,
			     unit_text(1, fx->unit_adult, 1, w.thread, &w.adult, &w.anna,
				       ADVICE_UNIT_TEXT_MAX_PLAIN),
			     NULL);
		if (strcmp(corefix_code(r), "ok") != 0)
			break;
		json_decref(r);
	}
	assert_int_equal(n, 100 * 1024 / ADVICE_UNIT_TEXT_MAX_BYTES);
	assert_string_equal(code_of(r, code), "conflict /note");
	/* Another thread: 200 short notes, then conflict. */
	r = corefix_ws(fx, &w.citizen,
		       "{\"type\":\"thread.open\",\"id\":\"o2\",\"category\":\"adult-social-work\",\"body\":"
		       "\"AAAA\"}");
	snprintf(other, sizeof other, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
	for (n = 0; n < 200; n++) {
		snprintf(rid, sizeof rid, "s%d", n);
		assert_string_equal(
			code_of(note_add(fx, &w.w_anna, rid, other,
					 unit_text(1, fx->unit_adult, 1, other, &w.adult, &w.anna, 10), NULL),
				code),
			"ok");
	}
	assert_string_equal(
		code_of(note_add(fx, &w.w_anna, "s200", other,
				 unit_text(1, fx->unit_adult, 1, other, &w.adult, &w.anna, 10), NULL),
			code),
		"conflict /note");
	r = corefix_ws(fx, &w.w_anna, "{\"type\":\"note.list\",\"id\":\"l1\",\"thread\":\"%s\"}", other);
	assert_int_equal(json_array_size(json_object_get(r, "notes")), 200);
	assert_true(reply_size(r) < ADVICE_MAX_REPLY_BYTES);
	json_decref(r);
	/* advicectl thread-shred: the thread's notes go, the other thread's stay. */
	snprintf(body, sizeof body, "{\"user\":\"root\",\"command\":\"thread-shred\",\"args\":[\"%s\"]}",
		 other);
	assert_non_null(req = core_request_new(CORE_REQ_ADMIN, 1, body, strlen(body)));
	assert_non_null(rep = calloc(1, sizeof *rep));
	req->now_ms = fx->now;
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(core_handle(fx->core, req, rep), 0);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	assert_non_null(strstr(rep->json, "200 internal notes deleted"));
	core_request_free(req);
	core_reply_free(rep);
	r = corefix_ws(fx, &w.w_anna, "{\"type\":\"note.list\",\"id\":\"l2\",\"thread\":\"%s\"}", other);
	assert_int_equal(json_array_size(json_object_get(r, "notes")), 0);
	json_decref(r);
	r = corefix_ws(fx, &w.w_anna, "{\"type\":\"note.list\",\"id\":\"l3\",\"thread\":\"%s\"}", w.thread);
	assert_int_equal(json_array_size(json_object_get(r, "notes")),
			 100 * 1024 / ADVICE_UNIT_TEXT_MAX_BYTES);
	json_decref(r);
}

static json_t *canned_put(struct corefix *fx, const struct who *w, const char *rid, const char *unit,
			  const char *answer, char *box)
{
	json_t *r = corefix_ws(
		fx, w,
		"{\"type\":\"canned.put\",\"id\":\"%s\",\"unit\":\"%s\",\"answer\":\"%s\",\"box\":\"%s\"}",
		rid, unit, answer, box);

	free(box);
	return r;
}

/* Supervisors keep their units' canned answers; the unit's staff list them (logged per unit)
 * and hear of changes; the checks and limits of canned.put. */
static void test_canned(void **state)
{
	struct corefix *fx = *state;
	struct world w;
	struct store_audit last;
	struct core_reply *rep;
	char code[64], body[4096], topic[48], rid[16], id[STORE_ID_SIZE];
	const char *a1 = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", *a2 = "a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2";
	char *box;
	json_t *r;
	int rc;

	world_setup(fx, &w);
	box = unit_text(2, fx->unit_adult, 1, a1, &w.adult, &w.sara, 30);
	snprintf(body, sizeof body,
		 "{\"type\":\"canned.put\",\"id\":\"p1\",\"unit\":\"%s\",\"answer\":\"%s\",\"box\":\"%s\"}",
		 fx->unit_adult, a1, box);
	free(box);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, &w.w_sara, body, &rc, &r);
	assert_string_equal(corefix_code(r), "ok");
	assert_string_equal(json_string_value(json_object_get(r, "answer")), a1);
	snprintf(topic, sizeof topic, "unit:%s", fx->unit_adult);
	assert_true(has_push(rep, topic, "\"canned.changed\""));
	json_decref(r);
	core_reply_free(rep);
	/* Workers may not; a supervisor of no such unit: not_found; of another unit: forbidden, logged. */
	assert_string_equal(code_of(canned_put(fx, &w.w_anna, "p2", fx->unit_adult, a2,
					       unit_text(2, fx->unit_adult, 1, a2, &w.adult, &w.anna, 3)),
				    code),
			    "forbidden");
	assert_string_equal(code_of(canned_put(fx, &w.w_sara, "p3", "00000000000000000000000000000099", a2,
					       unit_text(2, fx->unit_adult, 1, a2, &w.adult, &w.sara, 3)),
				    code),
			    "not_found /unit");
	assert_string_equal(code_of(canned_put(fx, &w.w_sara, "p4", fx->unit_family, a2,
					       unit_text(2, fx->unit_family, 1, a2, &w.family, &w.sara, 3)),
				    code),
			    "forbidden /unit");
	corefix_audit_rows(fx, &last);
	assert_string_equal(last.action, "canned.put");
	assert_string_equal(last.outcome, "denied");
	assert_string_equal(last.unit_id, fx->unit_family);
	/* A note, another answer's scope, an unknown generation: bad_request. */
	assert_string_equal(code_of(canned_put(fx, &w.w_sara, "p5", fx->unit_adult, a2,
					       unit_text(1, fx->unit_adult, 1, a2, &w.adult, &w.sara, 3)),
				    code),
			    "bad_request /box");
	assert_string_equal(code_of(canned_put(fx, &w.w_sara, "p6", fx->unit_adult, a2,
					       unit_text(2, fx->unit_adult, 1, a1, &w.adult, &w.sara, 3)),
				    code),
			    "bad_request /box");
	assert_string_equal(code_of(canned_put(fx, &w.w_sara, "p7", fx->unit_adult, a2,
					       unit_text(2, fx->unit_adult, 7, a2, &w.adult, &w.sara, 3)),
				    code),
			    "bad_request /box");
	/* Replacing keeps one answer. */
	assert_string_equal(code_of(canned_put(fx, &w.w_sara, "p8", fx->unit_adult, a1,
					       unit_text(2, fx->unit_adult, 1, a1, &w.adult, &w.sara, 300)),
				    code),
			    "ok");
	/* anna lists the unit's answers (logged first); ben's unit has none; anna may not list the family
	 * unit. */
	r = corefix_ws(fx, &w.w_anna, "{\"type\":\"canned.list\",\"id\":\"c1\",\"unit\":\"%s\"}",
		       fx->unit_adult);
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "answers")), 1);
	assert_int_equal(json_array_size(json_object_get(r, "certs")), 2);
	assert_false(json_is_true(json_object_get(r, "more")));
	json_decref(r);
	corefix_audit_rows(fx, &last);
	assert_string_equal(last.action, "canned.read");
	assert_string_equal(last.unit_id, fx->unit_adult);
	r = corefix_ws(fx, &w.w_ben, "{\"type\":\"canned.list\",\"id\":\"c2\"}");
	assert_int_equal(json_array_size(json_object_get(r, "answers")), 0);
	json_decref(r);
	assert_string_equal(
		code_of(corefix_ws(fx, &w.w_anna, "{\"type\":\"canned.list\",\"id\":\"c3\",\"unit\":\"%s\"}",
				   fx->unit_family),
			code),
		"forbidden /unit");
	assert_string_equal(
		code_of(corefix_ws(fx, &w.citizen, "{\"type\":\"canned.list\",\"id\":\"c4\"}"), code),
		"forbidden");
	/* Limits: the bytes run out after seven of the longest answers (besides a1)... */
	for (int i = 1;; i++) {
		snprintf(id, sizeof id, "%032x", 1000 + i);
		snprintf(rid, sizeof rid, "b%d", i);
		r = canned_put(
			fx, &w.w_sara, rid, fx->unit_adult, id,
			unit_text(2, fx->unit_adult, 1, id, &w.adult, &w.sara, ADVICE_UNIT_TEXT_MAX_PLAIN));
		if (i == 8) {
			assert_string_equal(code_of(r, code), "conflict /box");
			break;
		}
		assert_string_equal(code_of(r, code), "ok");
	}
	for (int i = 1; i < 8; i++) {
		snprintf(id, sizeof id, "%032x", 1000 + i);
		snprintf(rid, sizeof rid, "e%d", i);
		r = corefix_ws(fx, &w.w_sara,
			       "{\"type\":\"canned.delete\",\"id\":\"%s\",\"unit\":\"%s\",\"answer\":\"%s\"}",
			       rid, fx->unit_adult, id);
		assert_true(json_is_true(json_object_get(r, "deleted")));
		json_decref(r);
	}
	/* ... and the count after 200 short ones. */
	for (int i = 1; i < 200; i++) {
		snprintf(id, sizeof id, "%032x", i);
		snprintf(rid, sizeof rid, "q%d", i);
		assert_string_equal(
			code_of(canned_put(fx, &w.w_sara, rid, fx->unit_adult, id,
					   unit_text(2, fx->unit_adult, 1, id, &w.adult, &w.sara, 10)),
				code),
			"ok");
	}
	assert_string_equal(code_of(canned_put(fx, &w.w_sara, "q200", fx->unit_adult, a2,
					       unit_text(2, fx->unit_adult, 1, a2, &w.adult, &w.sara, 10)),
				    code),
			    "conflict /box");
	r = corefix_ws(fx, &w.w_anna, "{\"type\":\"canned.list\",\"id\":\"c5\"}");
	assert_int_equal(json_array_size(json_object_get(r, "answers")), 200);
	assert_false(json_is_true(json_object_get(r, "more")));
	assert_true(reply_size(r) < ADVICE_MAX_REPLY_BYTES);
	json_decref(r);
	/* Delete: deleted, then not any more. */
	r = corefix_ws(fx, &w.w_sara,
		       "{\"type\":\"canned.delete\",\"id\":\"d1\",\"unit\":\"%s\",\"answer\":\"%s\"}",
		       fx->unit_adult, a1);
	assert_true(json_is_true(json_object_get(r, "deleted")));
	json_decref(r);
	r = corefix_ws(fx, &w.w_sara,
		       "{\"type\":\"canned.delete\",\"id\":\"d2\",\"unit\":\"%s\",\"answer\":\"%s\"}",
		       fx->unit_adult, a1);
	assert_string_equal(corefix_code(r), "ok");
	assert_false(json_is_true(json_object_get(r, "deleted")));
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notes_flow, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_note_checks, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_note_limits_and_shred, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_canned, corefix_setup, corefix_teardown),
	};

	if (advice_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
