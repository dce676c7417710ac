/*
 * test_core_rights.c - the citizen's rights (core_rights.c, core_restrict.c, core_correct.c,
 * admin_rights.c) over a real SQLite file: each kind of rights request stored as a message of
 * its thread with its deadline; decisions by a supervisor of the thread's unit only, a refusal
 * only with a body, one extension; a restricted thread refuses writes and plain staff reads
 * (logged) and lets a legal-claim read through with its reason beside the access-log row;
 * corrections name only staff messages of the same thread; advicectl restrict, unrestrict and
 * requests with its deadline flags.
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
#include "core.h"
#include "corefix.h"

#define CITIZEN_A "010594Y9032"
#define CITIZEN_B "020594X903P"
#define DAY_MS	  86400000LL
/* 2026-01-31 10:00 UTC: one month on is the last day of February. */
#define JAN_31 1769853600000LL
#define FEB_28 (JAN_31 + 28 * DAY_MS)

struct world {
	struct corefix *fx;
	struct who citizen, other, anna, sara, ben;
	struct advice_keys key;
	char thread[STORE_ID_SIZE];
	int seq;
};

/* An envelope of `thread` (base64url, malloc'd); its message id into msg_id (hex). */
static char *envelope(struct world *w, const char *thread, char msg_id[STORE_ID_SIZE])
{
	uint8_t key[32], share[32], mkey[32], content[64], *env = malloc(ADVICE_ENVELOPE_MAX_BYTES);
	struct advice_envelope_hdr h;
	size_t clen = 0, elen = 0;
	char *s;

	memset(&h, 0, sizeof h);
	advice_unhex(h.thread_id, 16, thread);
	advice_random(h.message_id, 16);
	advice_random(h.nonce, 24);
	h.sender_seq = 1;
	advice_random(key, 32);
	advice_random(share, 32);
	advice_thread_msg_key(mkey, key, h.thread_id, 0, share);
	assert_int_equal(advice_content_encode(content, sizeof content, &clen, NULL, 0, "hei", 3), 0);
	assert_int_equal(
		advice_envelope_seal(env, ADVICE_ENVELOPE_MAX_BYTES, &elen, &h, mkey, content, clen, &w->key),
		0);
	if (msg_id != NULL)
		advice_hex(msg_id, h.message_id, 16);
	assert_non_null(s = advice_b64url_encode(env, elen));
	free(env);
	return s;
}

/* Citizen A's new thread, claimed by anna; its id into `thread`. */
static void new_thread(struct world *w, char thread[STORE_ID_SIZE])
{
	json_t *r = corefix_ws(w->fx, &w->citizen,
			       "{\"type\":\"thread.open\",\"id\":\"o%d\",\"category\":\"adult-social-work\","
			       "\"body\":\"AAAA\"}",
			       ++w->seq);

	assert_string_equal(corefix_code(r), "ok");
	snprintf(thread, STORE_ID_SIZE, "%s", json_string_value(json_object_get(r, "thread")));
	json_decref(r);
	r = corefix_ws(w->fx, &w->anna, "{\"type\":\"thread.claim\",\"id\":\"c%d\",\"thread\":\"%s\"}",
		       ++w->seq, thread);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
}

/* Everyone logged in again (after the clock jumped past the sessions' ends). */
static void login_all(struct world *w)
{
	corefix_login_citizen(w->fx, CITIZEN_A, &w->citizen);
	corefix_login_citizen(w->fx, CITIZEN_B, &w->other);
	corefix_login_worker(w->fx, "anna", &w->anna);
	corefix_login_worker(w->fx, "sara", &w->sara);
	corefix_login_worker(w->fx, "ben", &w->ben);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);
	uint8_t seed[32];
	void *fx = NULL;

	assert_int_equal(corefix_setup(&fx), 0);
	w->fx = fx;
	w->fx->now = JAN_31;
	advice_random(seed, sizeof seed);
	assert_int_equal(advice_keys_personal(&w->key, seed), 0);
	login_all(w);
	/* ben supervises the family unit: a supervisor, but not of the adult unit's threads. */
	assert_int_equal(w->fx->st->ops->tx->begin(w->fx->st), STORE_OK);
	assert_int_equal(w->fx->st->ops->staff->membership_add(w->fx->st, w->ben.user_id, w->fx->unit_family,
							       ROLE_SUPERVISOR),
			 STORE_OK);
	assert_int_equal(w->fx->st->ops->tx->commit(w->fx->st), STORE_OK);
	new_thread(w, w->thread);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	void *fx = w->fx;

	corefix_teardown(&fx);
	free(w);
	return 0;
}

/* "code field" of a reply ("ok" when it is no error), into buf. */
static const char *code_of(json_t *r, char buf[128])
{
	const char *field = json_string_value(json_object_get(r, "field"));

	snprintf(buf, 128, "%s%s%s", corefix_code(r), field ? " " : "", field ? field : "");
	json_decref(r);
	return buf;
}

static json_t *rights_request(struct world *w, const struct who *as, const char *thread, const char *kind,
			      const char *body)
{
	return corefix_ws(w->fx, as,
			  "{\"type\":\"rights.request\",\"id\":\"q%d\",\"thread\":\"%s\",\"kind\":\"%s\","
			  "\"body\":\"%s\"}",
			  ++w->seq, thread, kind, body);
}

/* rights.decide with a body (an envelope) or none. */
static json_t *decide(struct world *w, const struct who *as, const char *thread, const char *request,
		      const char *outcome, int with_body)
{
	char *body = with_body ? envelope(w, thread, NULL) : NULL;
	char extra[4096] = "";
	json_t *r;

	if (body != NULL)
		snprintf(extra, sizeof extra, ",\"body\":\"%s\"", body);
	r = corefix_ws(w->fx, as,
		       "{\"type\":\"rights.decide\",\"id\":\"d%d\",\"thread\":\"%s\",\"request\":\"%s\","
		       "\"outcome\":\"%s\"%s}",
		       ++w->seq, thread, request, outcome, extra);
	free(body);
	return r;
}

/* A request of `kind` on `thread` made by citizen A; its id into `id`. */
static void make_request(struct world *w, const char *thread, const char *kind, char id[STORE_ID_SIZE])
{
	char *body = envelope(w, thread, NULL);
	json_t *r = rights_request(w, &w->citizen, thread, kind, body), *q = json_object_get(r, "request");

	assert_string_equal(corefix_code(r), "ok");
	snprintf(id, STORE_ID_SIZE, "%s", json_string_value(json_object_get(q, "id")));
	free(body);
	json_decref(r);
}

/* Each kind of request is a message of the thread with a one-month deadline; one open request
 * per kind and thread; the citizen lists their own, a supervisor their units', workers none. */
static void test_requests(void **state)
{
	static const char *const kinds[] = { "correction", "restriction", "objection", "erasure" };
	struct world *w = *state;
	char msg_id[STORE_ID_SIZE], code[128], *body;
	json_t *r, *q, *msgs;
	int64_t last_seq;

	for (size_t i = 0; i < 4; i++) {
		body = envelope(w, w->thread, msg_id);
		r = rights_request(w, &w->citizen, w->thread, kinds[i], body);
		free(body);
		assert_string_equal(corefix_code(r), "ok");
		q = json_object_get(r, "request");
		assert_string_equal(json_string_value(json_object_get(q, "kind")), kinds[i]);
		assert_string_equal(json_string_value(json_object_get(q, "state")), "open");
		assert_int_equal(json_integer_value(json_object_get(q, "made")), JAN_31);
		assert_int_equal(json_integer_value(json_object_get(q, "due")), FEB_28);
		assert_true(json_is_null(json_object_get(q, "decided")));
		assert_true(json_is_null(json_object_get(q, "decided_by")));
		assert_string_equal(json_string_value(json_object_get(q, "message")), msg_id);
		assert_null(json_object_get(q, "unit")); /* citizens are not told the unit */
		json_decref(r);
	}
	/* The requests are messages of the thread, in thread.read; the state stays claimed. */
	r = corefix_ws(w->fx, &w->citizen, "{\"type\":\"thread.read\",\"id\":\"r1\",\"thread\":\"%s\"}",
		       w->thread);
	msgs = json_object_get(r, "messages");
	assert_int_equal(json_array_size(msgs), 5);
	last_seq = json_integer_value(json_object_get(json_array_get(msgs, 4), "seq"));
	assert_int_equal(last_seq, 5);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "claimed");
	json_decref(r);
	/* A second open request of a kind; a body that is no envelope; another citizen's thread. */
	body = envelope(w, w->thread, NULL);
	assert_string_equal(code_of(rights_request(w, &w->citizen, w->thread, "erasure", body), code),
			    "conflict /kind");
	assert_string_equal(code_of(rights_request(w, &w->other, w->thread, "erasure", body), code),
			    "not_found");
	assert_string_equal(code_of(rights_request(w, &w->anna, w->thread, "erasure", body), code),
			    "forbidden");
	free(body);
	{
		char other[STORE_ID_SIZE];

		new_thread(w, other);
		assert_string_equal(code_of(rights_request(w, &w->citizen, other, "objection", "AAAA"), code),
				    "bad_request /body");
	}
	/* Lists: the citizen's own four; sara's with the unit; ben's (another unit) none; anna none. */
	r = corefix_ws(w->fx, &w->citizen, "{\"type\":\"rights.list\",\"id\":\"l1\"}");
	assert_int_equal(json_array_size(json_object_get(r, "requests")), 4);
	json_decref(r);
	r = corefix_ws(w->fx, &w->other, "{\"type\":\"rights.list\",\"id\":\"l2\"}");
	assert_int_equal(json_array_size(json_object_get(r, "requests")), 0);
	json_decref(r);
	r = corefix_ws(w->fx, &w->sara, "{\"type\":\"rights.list\",\"id\":\"l3\",\"open_only\":true}");
	assert_int_equal(json_array_size(json_object_get(r, "requests")), 4);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(r, "requests"), 0), "unit")),
		w->fx->unit_adult);
	json_decref(r);
	{
		struct store_audit last;

		corefix_audit_rows(w->fx, &last);
		assert_string_equal(last.action, "rights.list"); /* staff saw clients' metadata: logged */
		assert_string_equal(last.client, w->citizen.user_id);
	}
	r = corefix_ws(w->fx, &w->ben, "{\"type\":\"rights.list\",\"id\":\"l4\"}");
	assert_int_equal(json_array_size(json_object_get(r, "requests")), 0);
	json_decref(r);
	assert_string_equal(
		code_of(corefix_ws(w->fx, &w->anna, "{\"type\":\"rights.list\",\"id\":\"l5\"}"), code),
		"forbidden");
}

/* Decisions: a supervisor of the unit only; a refusal only with a body; one extension of two
 * months; a decided request stays decided. */
static void test_decide(void **state)
{
	struct world *w = *state;
	char id[STORE_ID_SIZE], erase[STORE_ID_SIZE], code[128];
	json_t *r, *q;

	make_request(w, w->thread, "correction", id);
	assert_string_equal(code_of(decide(w, &w->anna, w->thread, id, "granted", 1), code), "forbidden");
	assert_string_equal(code_of(decide(w, &w->ben, w->thread, id, "granted", 1), code), "not_found");
	assert_string_equal(code_of(decide(w, &w->citizen, w->thread, id, "granted", 1), code), "forbidden");
	assert_string_equal(
		code_of(decide(w, &w->sara, w->thread, "0123456789abcdef0123456789abcdef", "granted", 0),
			code),
		"not_found /request");
	assert_string_equal(code_of(decide(w, &w->sara, w->thread, id, "refused", 0), code),
			    "bad_request /body");
	/* Extended: two more months, once. */
	r = decide(w, &w->sara, w->thread, id, "extended", 0);
	assert_string_equal(corefix_code(r), "ok");
	q = json_object_get(r, "request");
	assert_string_equal(json_string_value(json_object_get(q, "state")), "extended");
	/* 28 February + 2 months = 28 April. */
	assert_int_equal(json_integer_value(json_object_get(q, "due")), FEB_28 + (31 + 28) * DAY_MS);
	assert_true(json_is_null(json_object_get(q, "decided")));
	json_decref(r);
	assert_string_equal(code_of(decide(w, &w->sara, w->thread, id, "extended", 0), code),
			    "conflict /outcome");
	/* Refused with a body (its reason): decided, the decision is a message of the thread. */
	w->fx->now += DAY_MS;
	login_all(w);
	r = decide(w, &w->sara, w->thread, id, "refused", 1);
	assert_string_equal(corefix_code(r), "ok");
	q = json_object_get(r, "request");
	assert_string_equal(json_string_value(json_object_get(q, "state")), "refused");
	assert_int_equal(json_integer_value(json_object_get(q, "decided")), w->fx->now);
	assert_true(json_is_string(json_object_get(q, "decision_message")));
	json_decref(r);
	assert_string_equal(code_of(decide(w, &w->sara, w->thread, id, "granted", 0), code),
			    "conflict /request");
	/* Erasure of a thread not handed over: granted and recorded (advicectl carries it out). */
	make_request(w, w->thread, "erasure", erase);
	r = decide(w, &w->sara, w->thread, erase, "granted", 0);
	assert_string_equal(corefix_code(r), "ok");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "request"), "state")),
			    "granted");
	json_decref(r);
	{
		struct store_audit last;

		corefix_audit_rows(w->fx, &last);
		assert_string_equal(last.action, "rights.granted");
		assert_string_equal(last.user_id, w->sara.user_id);
	}
}

/* An admin command's reply text (the output), and its exit ok; rc of core_handle checked. */
static json_t *admin(struct corefix *fx, const char *args_json, const char *command)
{
	char body[1024];
	struct core_request *req;
	struct core_reply *rep;
	json_t *r;

	snprintf(body, sizeof body, "{\"user\":\"root\",\"command\":\"%s\",\"args\":%s}", command, args_json);
	assert_non_null(req = core_request_new(CORE_REQ_ADMIN, 1, body, strlen(body)));
	assert_non_null(rep = calloc(1, sizeof *rep));
	req->now_ms = fx->now;
	assert_int_equal(fx->st->ops->tx->begin(fx->st), STORE_OK);
	assert_int_equal(core_handle(fx->core, req, rep), 0);
	assert_int_equal(fx->st->ops->tx->commit(fx->st), STORE_OK);
	assert_non_null(r = json_loads(rep->json, 0, NULL));
	core_request_free(req);
	core_reply_free(rep);
	return r;
}

static const char *summary_restricted(struct world *w, const struct who *as, char buf[16])
{
	json_t *r = corefix_ws(w->fx, as, "{\"type\":\"thread.get\",\"id\":\"g%d\",\"thread\":\"%s\"}",
			       ++w->seq, w->thread);

	snprintf(buf, 16, "%s",
		 json_is_true(json_object_get(json_object_get(r, "summary"), "restricted")) ? "true"
											    : "false");
	json_decref(r);
	return buf;
}

/* A granted restriction freezes the thread: writes refused (but rights.decide), plain staff
 * reads refused and logged, a legal-claim read through with its reason beside its row, the
 * citizen still reads; advicectl unrestrict lifts it. */
static void test_restriction(void **state)
{
	struct world *w = *state;
	char id[STORE_ID_SIZE], other[STORE_ID_SIZE], code[128], flag[16], reason[128];
	struct store_audit last;
	char *body;
	json_t *r;

	make_request(w, w->thread, "restriction", id);
	make_request(w, w->thread, "objection", other);
	assert_string_equal(summary_restricted(w, &w->anna, flag), "false");
	r = decide(w, &w->sara, w->thread, id, "granted", 1);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	assert_string_equal(summary_restricted(w, &w->anna, flag), "true");
	assert_string_equal(summary_restricted(w, &w->citizen, flag), "true");
	/* Writes: refused with restricted and logged. */
	body = envelope(w, w->thread, NULL);
	assert_string_equal(
		code_of(corefix_ws(
				w->fx, &w->anna,
				"{\"type\":\"message.send\",\"id\":\"m1\",\"thread\":\"%s\",\"body\":\"%s\"}",
				w->thread, body),
			code),
		"restricted");
	corefix_audit_rows(w->fx, &last);
	assert_string_equal(last.action, "message.send");
	assert_string_equal(last.outcome, "restricted");
	assert_string_equal(
		code_of(corefix_ws(
				w->fx, &w->citizen,
				"{\"type\":\"message.send\",\"id\":\"m2\",\"thread\":\"%s\",\"body\":\"%s\"}",
				w->thread, body),
			code),
		"restricted");
	assert_string_equal(code_of(rights_request(w, &w->citizen, w->thread, "erasure", body), code),
			    "restricted");
	assert_string_equal(
		code_of(corefix_ws(w->fx, &w->anna,
				   "{\"type\":\"thread.close\",\"id\":\"x1\",\"thread\":\"%s\"}", w->thread),
			code),
		"restricted");
	assert_string_equal(
		code_of(corefix_ws(w->fx, &w->anna,
				   "{\"type\":\"read.set\",\"id\":\"x2\",\"thread\":\"%s\",\"seq\":1}",
				   w->thread),
			code),
		"restricted");
	free(body);
	/* The decision of a request made before stays possible. */
	assert_string_equal(code_of(decide(w, &w->sara, w->thread, other, "refused", 1), code), "ok");
	/* Staff reads: refused without a legal claim, logged. */
	assert_string_equal(
		code_of(corefix_ws(w->fx, &w->anna,
				   "{\"type\":\"thread.read\",\"id\":\"t1\",\"thread\":\"%s\"}", w->thread),
			code),
		"restricted /purpose");
	corefix_audit_rows(w->fx, &last);
	assert_string_equal(last.action, "thread.read");
	assert_string_equal(last.outcome, "restricted");
	assert_string_equal(code_of(corefix_ws(w->fx, &w->anna,
					       "{\"type\":\"thread.read\",\"id\":\"t2\",\"thread\":\"%s\","
					       "\"reason\":\"court case 12/2026\"}",
					       w->thread),
				    code),
			    "restricted /purpose");
	assert_string_equal(
		code_of(corefix_ws(w->fx, &w->anna,
				   "{\"type\":\"note.list\",\"id\":\"t3\",\"thread\":\"%s\"}", w->thread),
			code),
		"restricted /purpose");
	assert_string_equal(
		code_of(corefix_ws(w->fx, &w->anna,
				   "{\"type\":\"thread.keys\",\"id\":\"t4\",\"thread\":\"%s\"}", w->thread),
			code),
		"restricted /purpose");
	/* A legal-claim read: through, its row names the purpose, the reason beside it. */
	r = corefix_ws(
		w->fx, &w->anna,
		"{\"type\":\"thread.read\",\"id\":\"t5\",\"thread\":\"%s\",\"purpose\":\"legal_claim\","
		"\"reason\":\"court case 12/2026\"}",
		w->thread);
	assert_string_equal(corefix_code(r), "ok");
	assert_true(json_array_size(json_object_get(r, "messages")) > 0);
	json_decref(r);
	corefix_audit_rows(w->fx, &last);
	assert_string_equal(last.action, "read:legal_claim");
	assert_string_equal(last.outcome, "ok");
	assert_int_equal(w->fx->st->ops->rights->reason_get(w->fx->st, last.row, reason, sizeof reason),
			 STORE_OK);
	assert_string_equal(reason, "court case 12/2026");
	assert_int_equal(w->fx->st->ops->rights->reason_get(w->fx->st, last.row - 1, reason, sizeof reason),
			 STORE_NOTFOUND);
	/* The citizen reads their own thread; metadata stays readable to staff. */
	r = corefix_ws(w->fx, &w->citizen, "{\"type\":\"thread.read\",\"id\":\"t6\",\"thread\":\"%s\"}",
		       w->thread);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	/* advicectl unrestrict: the reason is needed; then anna writes again. */
	r = admin(w->fx, "[\"x\"]", "unrestrict");
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	snprintf(reason, sizeof reason, "[\"%s\",\"--reason\",\"\"]", w->thread);
	r = admin(w->fx, reason, "unrestrict");
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	snprintf(reason, sizeof reason, "[\"%s\",\"--reason\",\"claim settled\"]", w->thread);
	r = admin(w->fx, reason, "unrestrict");
	assert_string_equal(corefix_code(r), "ok");
	assert_non_null(strstr(json_string_value(json_object_get(r, "output")), "no longer restricted"));
	json_decref(r);
	assert_string_equal(summary_restricted(w, &w->anna, flag), "false");
	r = corefix_ws(w->fx, &w->anna, "{\"type\":\"thread.read\",\"id\":\"t7\",\"thread\":\"%s\"}",
		       w->thread);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	/* advicectl restrict: frozen again; a second restrict only warns. */
	snprintf(reason, sizeof reason, "[\"%s\",\"--reason\",\"claim reopened\"]", w->thread);
	r = admin(w->fx, reason, "restrict");
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	r = admin(w->fx, reason, "restrict");
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "warnings")), 1);
	json_decref(r);
	assert_string_equal(
		code_of(corefix_ws(w->fx, &w->anna,
				   "{\"type\":\"thread.read\",\"id\":\"t8\",\"thread\":\"%s\"}", w->thread),
			code),
		"restricted /purpose");
}

static json_t *send_correcting(struct world *w, const struct who *as, const char *thread,
			       const char *corrects, char msg_id[STORE_ID_SIZE])
{
	char *body = envelope(w, thread, msg_id);
	json_t *r = corefix_ws(
		w->fx, as,
		"{\"type\":\"message.send\",\"id\":\"s%d\",\"thread\":\"%s\",\"body\":\"%s\"%s%s%s}",
		++w->seq, thread, body, corrects ? ",\"corrects\":\"" : "", corrects ? corrects : "",
		corrects ? "\"" : "");

	free(body);
	return r;
}

/* A correction names a staff message of the same thread; thread.read pairs the two. */
static void test_corrections(void **state)
{
	struct world *w = *state;
	char staff_msg[STORE_ID_SIZE], citizen_msg[STORE_ID_SIZE], other_msg[STORE_ID_SIZE],
		fix_msg[STORE_ID_SIZE], other[STORE_ID_SIZE], code[128];
	json_t *r, *msgs, *m;
	int found = 0;

	r = send_correcting(w, &w->anna, w->thread, NULL, staff_msg);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	r = send_correcting(w, &w->citizen, w->thread, NULL, citizen_msg);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	new_thread(w, other);
	r = send_correcting(w, &w->anna, other, NULL, other_msg);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	/* Refused: a citizen's message, another thread's message, an unknown id, a citizen correcting. */
	assert_string_equal(code_of(send_correcting(w, &w->anna, w->thread, citizen_msg, NULL), code),
			    "bad_request /corrects");
	assert_string_equal(code_of(send_correcting(w, &w->anna, w->thread, other_msg, NULL), code),
			    "bad_request /corrects");
	assert_string_equal(
		code_of(send_correcting(w, &w->anna, w->thread, "0123456789abcdef0123456789abcdef", NULL),
			code),
		"bad_request /corrects");
	assert_string_equal(code_of(send_correcting(w, &w->citizen, w->thread, staff_msg, NULL), code),
			    "bad_request /corrects");
	/* The correction: both versions stay; thread.read gives the correcting message its corrects. */
	r = send_correcting(w, &w->anna, w->thread, staff_msg, fix_msg);
	assert_string_equal(corefix_code(r), "ok");
	json_decref(r);
	r = corefix_ws(w->fx, &w->citizen, "{\"type\":\"thread.read\",\"id\":\"r9\",\"thread\":\"%s\"}",
		       w->thread);
	msgs = json_object_get(r, "messages");
	for (size_t i = 0; i < json_array_size(msgs); i++) {
		m = json_array_get(msgs, i);
		if (json_object_get(m, "corrects") != NULL) {
			assert_string_equal(json_string_value(json_object_get(m, "corrects")), staff_msg);
			assert_int_equal(json_integer_value(json_object_get(m, "seq")),
					 (json_int_t)json_array_size(msgs));
			found++;
		}
	}
	assert_int_equal(found, 1);
	assert_int_equal(json_array_size(msgs), 4); /* the first, the staff one, the citizen's, the fix */
	json_decref(r);
	/* A page after the correcting message carries nothing of it. */
	r = corefix_ws(w->fx, &w->anna,
		       "{\"type\":\"thread.read\",\"id\":\"r10\",\"thread\":\"%s\",\"after_seq\":3}",
		       w->thread);
	assert_int_equal(json_array_size(json_object_get(r, "messages")), 1);
	assert_non_null(json_object_get(json_array_get(json_object_get(r, "messages"), 0), "corrects"));
	json_decref(r);
}

/* advicectl requests: deadlines in order, open ones due within 7 days and overdue ones flagged. */
static void test_admin_requests(void **state)
{
	struct world *w = *state;
	char a[STORE_ID_SIZE], b[STORE_ID_SIZE], c[STORE_ID_SIZE];
	json_t *r, *list;
	const char *out;

	make_request(w, w->thread, "correction", a); /* due 28 February */
	w->fx->now += 10 * DAY_MS;
	login_all(w);
	make_request(w, w->thread, "objection", b); /* due 10 March */
	w->fx->now += 10 * DAY_MS;
	login_all(w);
	make_request(w, w->thread, "erasure", c); /* due 20 March */
	w->fx->now = FEB_28 + 2 * DAY_MS;	  /* a overdue, b due in 8 days, c in 18 */
	r = admin(w->fx, "[]", "requests");
	assert_string_equal(corefix_code(r), "ok");
	out = json_string_value(json_object_get(r, "output"));
	assert_non_null(strstr(out, "OVERDUE"));
	assert_null(strstr(out, "DUE WITHIN 7 DAYS"));
	assert_non_null(strstr(out, "3 requests; 1 overdue, 0 due within 7 days"));
	list = json_object_get(json_object_get(r, "data"), "requests");
	assert_int_equal(json_array_size(list), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")), a);
	assert_true(json_is_true(json_object_get(json_array_get(list, 0), "overdue")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "unit")),
			    "Adult social work");
	json_decref(r);
	w->fx->now += DAY_MS; /* b due in 7 days */
	r = admin(w->fx, "[\"--due-within\",\"7\"]", "requests");
	list = json_object_get(json_object_get(r, "data"), "requests");
	assert_int_equal(json_array_size(list), 2);
	assert_true(json_is_true(json_object_get(json_array_get(list, 1), "due_soon")));
	assert_non_null(strstr(json_string_value(json_object_get(r, "output")), "DUE WITHIN 7 DAYS"));
	json_decref(r);
	/* Decided requests leave --open. */
	login_all(w);
	json_decref(decide(w, &w->sara, w->thread, a, "refused", 1));
	r = admin(w->fx, "[\"--open\"]", "requests");
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "data"), "requests")), 2);
	json_decref(r);
	r = admin(w->fx, "[\"--due-within\",\"soon\"]", "requests");
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restriction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_requests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
