/*
 * test_core.c - the broker core without sockets: the question-and-answer round trip,
 * thread states, resumption by sequence number, idempotent writes, the policy, the access
 * log (including a log that cannot be written), sessions, and worker login backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "corefix.h"

#define CITIZEN_A "010594Y9032"
#define CITIZEN_B "020594X903P"

static const char *str(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

/* Opens a thread as `c` and returns its id (static buffer per call). */
static const char *open_thread(struct corefix *fx, const struct who *c, const char *req_id,
			       char out[STORE_ID_SIZE])
{
	char *body = corefix_body(100, 'q');
	json_t *r = corefix_ws(
		fx, c,
		"{\"type\":\"thread.open\",\"id\":\"%s\",\"category\":\"adult-social-work\",\"body\":\"%s\"}",
		req_id, body);

	assert_string_equal(corefix_code(r), "ok");
	snprintf(out, STORE_ID_SIZE, "%s", str(r, "thread"));
	json_decref(r);
	free(body);
	return out;
}

static int has_push(struct core_reply *rep, const char *topic_prefix, const char *needle)
{
	for (size_t i = 0; i < rep->npush; i++)
		if (strncmp(rep->pushes[i].topic, topic_prefix, strlen(topic_prefix)) == 0 &&
		    (needle == NULL || strstr(rep->pushes[i].json, needle) != NULL))
			return 1;
	return 0;
}

static void test_round_trip(void **state)
{
	struct corefix *fx = *state;
	struct who citizen, anna;
	struct store_audit last;
	char thread[STORE_ID_SIZE];
	char *answer = corefix_body(64, 'a');
	int64_t rows;
	json_t *r, *msgs;

	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	open_thread(fx, &citizen, "c1", thread);

	corefix_login_worker(fx, "anna", &anna);
	r = corefix_ws(fx, &anna, "{\"type\":\"thread.list\",\"id\":\"w1\"}");
	assert_string_equal(corefix_code(r), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "threads")), 1);
	assert_string_equal(str(json_array_get(json_object_get(r, "threads"), 0), "state"), "new");
	json_decref(r);

	r = corefix_ws(fx, &anna, "{\"type\":\"thread.claim\",\"id\":\"w2\",\"thread\":\"%s\"}", thread);
	assert_string_equal(str(r, "state"), "claimed");
	assert_string_equal(str(r, "assignee"), anna.user_id);
	json_decref(r);

	rows = corefix_audit_rows(fx, NULL);
	r = corefix_ws(fx, &anna, "{\"type\":\"thread.read\",\"id\":\"w3\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "ok");
	msgs = json_object_get(r, "messages");
	assert_int_equal(json_array_size(msgs), 1);
	assert_string_equal(str(json_array_get(msgs, 0), "role"), "citizen");
	json_decref(r);
	/* The read wrote an access-log entry naming the worker, the unit and the client. */
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.action, "read");
	assert_string_equal(last.outcome, "ok");
	assert_string_equal(last.user_id, anna.user_id);
	assert_string_equal(last.unit_id, fx->unit_adult);
	assert_string_equal(last.client, citizen.user_id);

	r = corefix_ws(fx, &anna,
		       "{\"type\":\"message.send\",\"id\":\"w4\",\"thread\":\"%s\",\"body\":\"%s\"}", thread,
		       answer);
	assert_string_equal(str(r, "state"), "answered");
	assert_int_equal(json_integer_value(json_object_get(r, "seq")), 2);
	json_decref(r);

	/* The citizen resumes after seq 1: exactly the answer, no gap, no duplicate. */
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"thread.read\",\"id\":\"c2\",\"thread\":\"%s\",\"after_seq\":1}", thread);
	msgs = json_object_get(r, "messages");
	assert_int_equal(json_array_size(msgs), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(msgs, 0), "seq")), 2);
	assert_string_equal(str(json_array_get(msgs, 0), "body"), answer);
	assert_string_equal(str(r, "state"), "answered");
	json_decref(r);
	free(answer);
}

static void test_pushes_carry_content_only_to_the_citizen(void **state)
{
	struct corefix *fx = *state;
	struct who citizen;
	char *body = corefix_body(10, 'z');
	char req[256];
	struct core_reply *rep;
	int rc;

	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	snprintf(
		req, sizeof req,
		"{\"type\":\"thread.open\",\"id\":\"p1\",\"category\":\"adult-social-work\",\"body\":\"%s\"}",
		body);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, &citizen, req, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_true(has_push(rep, "u:", body));		    /* the citizen's devices get the body */
	assert_true(has_push(rep, "unit:", "message.new")); /* the unit hears of it ... */
	assert_false(has_push(rep, "unit:", body));	    /* ... without content */
	assert_false(has_push(rep, "unit:", "\"body\""));
	core_reply_free(rep);
	free(body);
}

static void test_states_and_close(void **state)
{
	struct corefix *fx = *state;
	struct who citizen, anna;
	char thread[STORE_ID_SIZE];
	char *b = corefix_body(5, 'x');
	json_t *r;

	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	corefix_login_worker(fx, "anna", &anna);
	open_thread(fx, &citizen, "s1", thread);
	/* A worker may not answer before claiming. */
	r = corefix_ws(fx, &anna,
		       "{\"type\":\"message.send\",\"id\":\"s2\",\"thread\":\"%s\",\"body\":\"%s\"}", thread,
		       b);
	assert_string_equal(corefix_code(r), "forbidden");
	json_decref(r);
	json_decref(
		corefix_ws(fx, &anna, "{\"type\":\"thread.claim\",\"id\":\"s3\",\"thread\":\"%s\"}", thread));
	r = corefix_ws(fx, &anna,
		       "{\"type\":\"message.send\",\"id\":\"s4\",\"thread\":\"%s\",\"body\":\"%s\",\"await_"
		       "reply\":true}",
		       thread, b);
	assert_string_equal(str(r, "state"), "waiting");
	json_decref(r);
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"message.send\",\"id\":\"s5\",\"thread\":\"%s\",\"body\":\"%s\"}", thread,
		       b);
	assert_string_equal(str(r, "state"), "claimed");
	json_decref(r);
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"message.send\",\"id\":\"s6\",\"thread\":\"%s\",\"body\":\"%s\",\"await_"
		       "reply\":true}",
		       thread, b);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	r = corefix_ws(fx, &anna, "{\"type\":\"thread.close\",\"id\":\"s7\",\"thread\":\"%s\"}", thread);
	assert_string_equal(str(r, "state"), "closed");
	json_decref(r);
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"message.send\",\"id\":\"s8\",\"thread\":\"%s\",\"body\":\"%s\"}", thread,
		       b);
	assert_string_equal(corefix_code(r), "thread_closed");
	json_decref(r);
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.close\",\"id\":\"s9\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "conflict");
	json_decref(r);
	free(b);
}

static void test_claim_twice_conflicts(void **state)
{
	struct corefix *fx = *state;
	struct who citizen, anna, anton;
	char thread[STORE_ID_SIZE];
	json_t *r;

	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	corefix_login_worker(fx, "anna", &anna);
	corefix_login_worker(fx, "anton", &anton);
	open_thread(fx, &citizen, "k1", thread);
	json_decref(
		corefix_ws(fx, &anna, "{\"type\":\"thread.claim\",\"id\":\"k2\",\"thread\":\"%s\"}", thread));
	r = corefix_ws(fx, &anton, "{\"type\":\"thread.claim\",\"id\":\"k3\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "conflict");
	json_decref(r);
}

static void test_idempotent_resend(void **state)
{
	struct corefix *fx = *state;
	struct who citizen;
	char thread[STORE_ID_SIZE], again[STORE_ID_SIZE];
	char *b = corefix_body(20, 'r');
	json_t *r1, *r2, *list;

	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	open_thread(fx, &citizen, "same-id", thread);
	open_thread(fx, &citizen, "same-id", again); /* a resend after a reconnect */
	assert_string_equal(thread, again);
	list = corefix_ws(fx, &citizen, "{\"type\":\"thread.list\",\"id\":\"l\"}");
	assert_int_equal(json_array_size(json_object_get(list, "threads")), 1);
	json_decref(list);

	r1 = corefix_ws(fx, &citizen,
			"{\"type\":\"message.send\",\"id\":\"m\",\"thread\":\"%s\",\"body\":\"%s\"}", thread,
			b);
	r2 = corefix_ws(fx, &citizen,
			"{\"type\":\"message.send\",\"id\":\"m\",\"thread\":\"%s\",\"body\":\"%s\"}", thread,
			b);
	assert_true(json_equal(r1, r2));
	assert_int_equal(json_integer_value(json_object_get(r2, "seq")), 2);
	assert_true(json_is_integer(json_object_get(r2, "time")));
	json_decref(r2);
	/* The same id with another request still gets the first reply, rebuilt from the
	 * message.send record, which is a reference rather than the reply's text. */
	r2 = corefix_ws(fx, &citizen,
			"{\"type\":\"message.send\",\"id\":\"m\",\"thread\":\"%s\",\"body\":\"eA\"}", again);
	assert_true(json_equal(r1, r2));
	json_decref(r2);
	{
		char *stored = NULL;

		assert_int_equal(fx->st->ops->request->get(fx->st, citizen.user_id, "m", &stored), STORE_OK);
		assert_int_equal(stored[0], 's');
		assert_true(strstr(stored, thread) != NULL);
		free(stored);
	}
	/* A record kept before references, the reply's text, is answered as it is. */
	{
		char old[160];

		snprintf(old, sizeof old,
			 "{\"thread\":\"%s\",\"seq\":7,\"state\":\"new\",\"type\":\"ok\",\"id\":\"old\"}",
			 thread);
		assert_int_equal(fx->st->ops->request->put(fx->st, citizen.user_id, "old", old, fx->now),
				 STORE_OK);
	}
	r2 = corefix_ws(fx, &citizen,
			"{\"type\":\"message.send\",\"id\":\"old\",\"thread\":\"%s\",\"body\":\"eA\"}",
			thread);
	assert_int_equal(json_integer_value(json_object_get(r2, "seq")), 7);
	assert_null(json_object_get(r2, "time"));
	json_decref(r2);
	json_decref(r1);
	r1 = corefix_ws(fx, &citizen, "{\"type\":\"thread.read\",\"id\":\"rd\",\"thread\":\"%s\"}", thread);
	assert_int_equal(json_array_size(json_object_get(r1, "messages")), 2);
	json_decref(r1);
	free(b);
}

static void test_other_unit_refused_and_logged(void **state)
{
	struct corefix *fx = *state;
	struct who citizen, ben;
	struct store_audit last;
	char thread[STORE_ID_SIZE];
	int64_t rows;
	json_t *r;

	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	corefix_login_worker(fx, "ben", &ben);
	open_thread(fx, &citizen, "o1", thread);
	rows = corefix_audit_rows(fx, NULL);
	r = corefix_ws(fx, &ben, "{\"type\":\"thread.read\",\"id\":\"o2\",\"thread\":\"%s\"}", thread);
	assert_string_equal(corefix_code(r), "not_found"); /* as if there were no such thread (§6) */
	assert_null(json_object_get(r, "messages"));
	assert_null(json_object_get(r, "state")); /* no content and no metadata */
	json_decref(r);
	assert_int_equal(corefix_audit_rows(fx, &last), rows + 1);
	assert_string_equal(last.outcome, "denied");
	assert_string_equal(last.action, "thread.read");
	assert_string_equal(last.user_id, ben.user_id);
	r = corefix_ws(fx, &ben, "{\"type\":\"thread.list\",\"id\":\"o3\"}");
	assert_int_equal(json_array_size(json_object_get(r, "threads")), 0);
	json_decref(r);
}

static void test_citizen_sees_only_own_threads(void **state)
{
	struct corefix *fx = *state;
	struct who a, b;
	char thread[STORE_ID_SIZE];
	json_t *r;

	corefix_login_citizen(fx, CITIZEN_A, &a);
	corefix_login_citizen(fx, CITIZEN_B, &b);
	assert_string_not_equal(a.user_id, b.user_id);
	open_thread(fx, &a, "x1", thread);
	/* B learns nothing of A's thread: the answer is that of an id that does not exist. */
	for (int i = 0; i < 4; i++) {
		static const char *const reqs[][2] = {
			{ "thread.read", "" },
			{ "message.send", ",\"body\":\"AAAA\"" },
			{ "thread.close", "" },
			{ "thread.keys", "" },
		};
		static const char fmt[] = "{\"type\":\"%s\",\"id\":\"x2\",\"thread\":\"%s\"%s}";
		json_t *none =
			corefix_ws(fx, &b, fmt, reqs[i][0], "0123456789abcdef0123456789abcdef", reqs[i][1]);

		r = corefix_ws(fx, &b, fmt, reqs[i][0], thread, reqs[i][1]);
		assert_string_equal(corefix_code(r), "not_found");
		assert_true(json_equal(r, none));
		json_decref(none);
		json_decref(r);
	}
	r = corefix_ws(fx, &b, "{\"type\":\"thread.list\",\"id\":\"x3\"}");
	assert_int_equal(json_array_size(json_object_get(r, "threads")), 0);
	json_decref(r);
	/* Staff cannot open threads; the refusal is logged. */
	{
		struct who anna;
		char *body = corefix_body(4, 's');

		corefix_login_worker(fx, "anna", &anna);
		r = corefix_ws(fx, &anna,
			       "{\"type\":\"thread.open\",\"id\":\"x4\",\"category\":\"adult-social-work\","
			       "\"body\":\"%s\"}",
			       body);
		assert_string_equal(corefix_code(r), "forbidden");
		json_decref(r);
		free(body);
	}
}

static void test_no_content_when_access_log_fails(void **state)
{
	struct corefix *fx = *state;
	struct who citizen, anna;
	char thread[STORE_ID_SIZE], req[256];
	struct core_reply *rep;
	sqlite3 *db;
	int rc;

	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	corefix_login_worker(fx, "anna", &anna);
	open_thread(fx, &citizen, "f1", thread);
	/* Make every access-log write fail, as a full or broken disk would. */
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TRIGGER fail_log BEFORE INSERT ON access_log "
				      "BEGIN SELECT RAISE(ABORT, 'disk says no'); END;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	snprintf(req, sizeof req, "{\"type\":\"thread.read\",\"id\":\"f2\",\"thread\":\"%s\"}", thread);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, &anna, req, &rc, NULL);
	assert_int_equal(rc, -1); /* the dispatcher rolls back and answers "unavailable" */
	core_reply_free(rep);
	/* A denied request cannot be logged either, so it is not answered as a plain refusal. */
	{
		struct who ben;

		corefix_login_worker(fx, "ben", &ben);
		rep = corefix_call(fx, CORE_REQ_MESSAGE, &ben, req, &rc, NULL);
		assert_int_equal(rc, -1);
		core_reply_free(rep);
	}
}

static void test_bad_requests_change_nothing(void **state)
{
	struct corefix *fx = *state;
	struct who citizen;
	char thread[STORE_ID_SIZE];
	json_t *r;

	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	open_thread(fx, &citizen, "b0", thread);
	r = corefix_ws(fx, &citizen, "not json");
	assert_string_equal(corefix_code(r), "bad_json");
	assert_true(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.delete\",\"id\":\"b1\"}");
	assert_string_equal(corefix_code(r), "unknown_type");
	assert_string_equal(str(r, "id"), "b1");
	json_decref(r);
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.read\",\"id\":\"b2\",\"thread\":\"%s\",\"extra\":1}",
		       thread);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	r = corefix_ws(fx, &citizen,
		       "{\"type\":\"message.send\",\"id\":\"b3\",\"thread\":\"%s\",\"body\":\"***\"}",
		       thread);
	assert_string_equal(corefix_code(r), "bad_request");
	json_decref(r);
	r = corefix_ws(
		fx, &citizen,
		"{\"type\":\"thread.open\",\"id\":\"b4\",\"category\":\"no-such-area\",\"body\":\"AAAA\"}");
	assert_string_equal(corefix_code(r), "not_found");
	assert_string_equal(str(r, "field"), "/category"); /* §6.2 */
	json_decref(r);
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.read\",\"id\":\"b5\",\"thread\":\"%032d\"}", 7);
	assert_string_equal(corefix_code(r), "not_found");
	json_decref(r);
	/* Nothing changed: still one thread with one message. */
	r = corefix_ws(fx, &citizen, "{\"type\":\"thread.read\",\"id\":\"b6\",\"thread\":\"%s\"}", thread);
	assert_int_equal(json_array_size(json_object_get(r, "messages")), 1);
	json_decref(r);
}

static void test_sessions(void **state)
{
	struct corefix *fx = *state;
	struct who citizen, forged;
	struct core_reply *rep;
	json_t *r;
	int rc;

	corefix_login_citizen(fx, CITIZEN_A, &citizen);
	rep = corefix_call(fx, CORE_REQ_CONNECT, &citizen, "", &rc, &r);
	assert_string_equal(str(r, "event"), "welcome");
	assert_string_equal(str(r, "role"), "citizen");
	assert_int_equal(rep->ntopics, 2); /* the user and the session */
	assert_string_equal(rep->topics[0] + 2, citizen.user_id);
	json_decref(r);
	core_reply_free(rep);

	memset(&forged, 0, sizeof forged);
	r = corefix_ws(fx, &forged, "{\"type\":\"thread.list\",\"id\":\"z\"}");
	assert_string_equal(corefix_code(r), "unauthenticated");
	json_decref(r);

	/* Idle for longer than the idle timeout: the session has ended. */
	fx->now += fx->cc.citizen_idle_ms + 1;
	rep = corefix_call(fx, CORE_REQ_MESSAGE, &citizen, "{\"type\":\"thread.list\",\"id\":\"z\"}", &rc,
			   &r);
	assert_string_equal(corefix_code(r), "unauthenticated");
	assert_true(rep->end_session);
	assert_true(rep->close_conn);
	json_decref(r);
	core_reply_free(rep);
}

static void test_logout(void **state)
{
	struct corefix *fx = *state;
	struct who anna;
	struct core_reply *rep;
	json_t *r;
	int rc;

	corefix_login_worker(fx, "anna", &anna);
	rep = corefix_call(fx, CORE_REQ_CONNECT, &anna, "", &rc, &r);
	assert_string_equal(str(r, "role"), "worker");
	assert_int_equal(rep->ntopics, 3); /* the user, the session and the unit */
	json_decref(r);
	core_reply_free(rep);
	rep = corefix_call(fx, CORE_REQ_MESSAGE, &anna, "{\"type\":\"session.logout\",\"id\":\"lo\"}", &rc,
			   &r);
	assert_string_equal(corefix_code(r), "ok");
	assert_true(rep->end_session);
	assert_memory_equal(rep->session_hash, anna.hash, STORE_HASH_BYTES);
	json_decref(r);
	core_reply_free(rep);
	r = corefix_ws(fx, &anna, "{\"type\":\"thread.list\",\"id\":\"after\"}");
	assert_string_equal(corefix_code(r), "unauthenticated");
	json_decref(r);
}

static json_t *worker_login_raw(struct corefix *fx, const char *name, const uint8_t key[32], int *status)
{
	char b64[64], body[256];
	struct core_reply *rep;
	json_t *j;
	int rc;

	sodium_bin2base64(b64, sizeof b64, key, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(body, sizeof body, "{\"username\":\"%s\",\"auth_key\":\"%s\"}", name, b64);
	rep = corefix_call(fx, CORE_REQ_LOGIN_WORKER, NULL, body, &rc, &j);
	assert_int_equal(rc, 0);
	*status = rep->http_status;
	if (rep->http_status != 200)
		assert_string_equal(rep->session_token, "");
	core_reply_free(rep);
	return j;
}

static void test_worker_backoff_and_lock(void **state)
{
	struct corefix *fx = *state;
	uint8_t wrong[32] = { 1 }, right[32];
	int status;
	json_t *r;

	corefix_worker_key("anna", right);
	for (int i = 1; i <= 3; i++) {
		r = worker_login_raw(fx, "anna", wrong, &status);
		assert_int_equal(status, 401);
		assert_string_equal(corefix_code(r), "bad_credentials");
		json_decref(r);
	}
	/* Backing off: even the right key waits. */
	r = worker_login_raw(fx, "anna", right, &status);
	assert_int_equal(status, 423);
	assert_true(json_integer_value(json_object_get(r, "retry_after")) >= 1);
	json_decref(r);
	fx->now += 2000;
	r = worker_login_raw(fx, "anna", right, &status);
	assert_int_equal(status, 200); /* success resets the count */
	json_decref(r);
	for (int i = 0; i < 6; i++) {
		fx->now += 120000;
		json_decref(worker_login_raw(fx, "anna", wrong, &status));
	}
	fx->now += 3600000;
	r = worker_login_raw(fx, "anna", right, &status);
	assert_int_equal(status, 423); /* locked until an administrator unlocks */
	assert_null(json_object_get(r, "retry_after"));
	json_decref(r);
	r = worker_login_raw(fx, "nobody", right, &status);
	assert_int_equal(status, 401);
	json_decref(r);
}

static void test_login_start_hides_who_exists(void **state)
{
	struct corefix *fx = *state;
	struct core_reply *rep;
	json_t *a, *b, *c;
	int rc;

	rep = corefix_call(fx, CORE_REQ_LOGIN_START, NULL, "{\"username\":\"nobody\"}", &rc, &a);
	core_reply_free(rep);
	rep = corefix_call(fx, CORE_REQ_LOGIN_START, NULL, "{\"username\":\"nobody\"}", &rc, &b);
	core_reply_free(rep);
	rep = corefix_call(fx, CORE_REQ_LOGIN_START, NULL, "{\"username\":\"anna\"}", &rc, &c);
	core_reply_free(rep);
	assert_string_equal(str(a, "salt"), str(b, "salt")); /* deterministic for a name */
	assert_string_not_equal(str(a, "salt"), str(c, "salt"));
	assert_string_equal(str(a, "alg"), "argon2id13");
	assert_int_equal(json_object_size(a), json_object_size(c));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void test_citizen_login_refusals(void **state)
{
	struct corefix *fx = *state;
	char body[20000];
	struct core_reply *rep;
	char *tok;
	json_t *r;
	int rc;

	/* A real (non-test) identity code in test mode, and a low assurance level. */
	tok = corefix_id_token(fx, "131052-308T", "http://ftn.ficora.fi/2017/loa2", fx->now / 1000);
	snprintf(body, sizeof body, "{\"id_token\":\"%s\"}", tok);
	rep = corefix_call(fx, CORE_REQ_LOGIN_CITIZEN, NULL, body, &rc, &r);
	assert_int_equal(rep->http_status, 401);
	assert_string_equal(corefix_code(r), "bad_token");
	assert_string_equal(rep->session_token, "");
	json_decref(r);
	core_reply_free(rep);
	free(tok);
	rep = corefix_call(fx, CORE_REQ_LOGIN_CITIZEN, NULL, "{\"id_token\":5}", &rc, &r);
	assert_int_equal(rep->http_status, 400);
	json_decref(r);
	core_reply_free(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_pushes_carry_content_only_to_the_citizen, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_states_and_close, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_claim_twice_conflicts, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_idempotent_resend, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_other_unit_refused_and_logged, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_citizen_sees_only_own_threads, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_no_content_when_access_log_fails, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_change_nothing, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_sessions, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_logout, corefix_setup, corefix_teardown),
		cmocka_unit_test_setup_teardown(test_worker_backoff_and_lock, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_login_start_hides_who_exists, corefix_setup,
						corefix_teardown),
		cmocka_unit_test_setup_teardown(test_citizen_login_refusals, corefix_setup, corefix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
