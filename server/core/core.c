/*
 * core.c - the core's entry point and dispatcher: parse and validate a request, check the
 * session, find its row in the request table (core_requests.c, generated from
 * proto/requests.def), check the role's policy, replay idempotent writes, run the handler,
 * and finish the reply (core.h, core_reply.c). The handlers (core_*.c) never call back into
 * this file: what they share is in core_ctx.c, below them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "advice_crypto.h"
#include "core_requests.h"
#include "jose.h"
#include "log.h"
#include "schema.h"

#define TOUCH_EVERY_MS 60000 /* last_seen is written at most this often */

struct core *core_new(struct store *st, const struct core_config *cfg)
{
	struct core *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->st = st;
	c->cfg = *cfg;
	if ((c->auth = authcache_new()) == NULL) {
		free(c);
		return NULL;
	}
	if (core_metrics_labels() != 0)
		log_err("the request table does not fit the metrics' labels: requests are not counted");
	return c;
}

const uint8_t *core_config_pepper(const struct core *c)
{
	return c->cfg.pepper;
}

void core_free(struct core *c)
{
	if (c != NULL) {
		core_chunks_free(c);
		core_viewers_free(c->viewers);
		core_connector_challenges_free(c->challenges);
		authcache_free(c->auth);
		sodium_memzero(c->cfg.pepper, sizeof c->cfg.pepper);
	}
	free(c);
}

struct core_request *core_request_new(enum core_req_kind kind, uint64_t conn_id, const char *body, size_t len)
{
	struct core_request *r = calloc(1, sizeof *r + len + 1);

	if (r == NULL)
		return NULL;
	r->kind = kind;
	r->conn_id = conn_id;
	r->len = len;
	if (len > 0)
		memcpy(r->body, body, len);
	r->body[len] = '\0';
	return r;
}

/* A message.send or thread.open: decodes its body once, here on the submitting thread, for the
 * core thread to take (core_parsed.body); with require_envelopes, verifies its signature
 * against the device keys the core last kept for the session's user (a hint: see struct
 * core_parsed), so that the core thread need not. Leaves p->signer 0 when none verifies, and
 * p->body NULL when the body is not base64url of 1..ADVICE_MAX_BODY_BYTES (the core thread
 * then answers that). */
static void prepare_body(const struct core *c, struct core_request *req)
{
	struct core_parsed *p = &req->parsed;
	struct authcache_devices d;
	const char *type, *b64;
	uint8_t *body = NULL;
	size_t n, len = 0;

	if (p->rc != ADVICE_OK)
		return;
	type = json_string_value(json_object_get(p->msg, "type"));
	if (type == NULL || (strcmp(type, "message.send") != 0 && strcmp(type, "thread.open") != 0))
		return;
	b64 = json_string_value(json_object_get(p->msg, "body"));
	n = b64 ? strlen(b64) : 0;
	if (n == 0 || n > ADVICE_MAX_BODY_B64)
		return;
	if (jose_b64url_decode(b64, n, &body, &len) != 0 || len == 0 || len > ADVICE_MAX_BODY_BYTES) {
		free(body);
		return;
	}
	p->body = body;
	p->body_len = len;
	if (!c->cfg.require_envelopes || !req->has_session ||
	    !authcache_devices_of_session(c->auth, req->session_hash, &d))
		return;
	for (size_t i = 0; i < d.n && !p->signer; i++)
		if (advice_envelope_verify(body, len, d.d[i].sign_pk) == 0) {
			p->signer = 1;
			memcpy(p->signer_kid, d.d[i].kid, sizeof p->signer_kid);
			memcpy(p->signer_pk, d.d[i].sign_pk, sizeof p->signer_pk);
			crypto_generichash(p->signed_hash, sizeof p->signed_hash, body, len, NULL, 0);
		}
}

int core_request_prepare(const struct core *c, struct core_request *req)
{
	struct core_parsed *p = &req->parsed;

	if (req->kind != CORE_REQ_MESSAGE || p->done)
		return 0;
	p->rc = schema_parse(req->body, req->len, &p->msg, p->err_msg, sizeof p->err_msg);
	if (p->rc == ADVICE_OK)
		p->rc = schema_check_request(c->cfg.schema, p->msg, p->err_msg, sizeof p->err_msg,
					     p->err_field, sizeof p->err_field);
	if (p->rc == ADVICE_ERR_INTERNAL) { /* out of memory: leave it to the core thread */
		json_decref(p->msg);
		memset(p, 0, sizeof *p);
		return -1;
	}
	p->done = 1;
	prepare_body(c, req);
	return 0;
}

/* The requests whose reply may come near ADVICE_MAX_REPLY_BYTES: those that answer with a
 * list or a page (their reply's schema has an array, directly or in a definition it refers
 * to) and file.get (a 64 KiB chunk). */
static const char *const core_large_replies[] = {
	"categories.list", "thread.list",   "thread.read",  "queue.settings",	"duty.set",
	"duty.get",	   "dashboard.get", "keys.unit",    "keys.mine",	"thread.keys",
	"file.get",	   "device.list",   "recovery.get", "thread.presence",	"roster.get",
	"roster.set",	   "closed.set",    "audit.query",  "thread.identity",	"note.list",
	"canned.list",	   "rights.list",   "log.report",   "handover.pending", "export.pending",
};

int core_large_reply(const char *type)
{
	for (size_t i = 0; i < sizeof core_large_replies / sizeof core_large_replies[0]; i++)
		if (strcmp(type, core_large_replies[i]) == 0)
			return 1;
	return 0;
}

size_t core_request_answer_room(const struct core_request *req)
{
	const struct core_parsed *p = &req->parsed;
	const char *type;

	if (req->kind != CORE_REQ_MESSAGE)
		return req->len + CORE_ANSWER_ROOM;
	if (!p->done)
		return ADVICE_MAX_REPLY_BYTES;
	if (p->rc != ADVICE_OK || p->msg == NULL)
		return req->len + CORE_ANSWER_ROOM; /* answered with an error */
	type = json_string_value(json_object_get(p->msg, "type"));
	if (type != NULL && core_large_reply(type))
		return ADVICE_MAX_REPLY_BYTES;
	return req->len + CORE_ANSWER_ROOM;
}

void core_request_free(struct core_request *req)
{
	if (req == NULL)
		return;
	json_decref(req->parsed.msg);
	free(req->parsed.body);
	free(req);
}

static int64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sessions */

/* The caller's session and, for staff, memberships: from the cache (core_authcache.c) at the
 * store's current generation, else from the store, then kept. A connector's are not kept
 * (core_connector_session reads them). STORE_OK, STORE_NOTFOUND or STORE_ERROR. */
static int session_read(struct ctx *x)
{
	struct store *st = x->st;
	uint64_t gen = st->ops->tx->generation(st, STORE_GEN_SESSIONS);
	int rc;

	/* A session the cache holds as ended is read again: the store has the last word. */
	if (authcache_session_get(x->c->auth, gen, x->req->session_hash, &x->sess, x->units, CORE_MAX_UNITS,
				  &x->nunits) &&
	    core_session_valid(&x->sess, x->now))
		return STORE_OK;
	x->nunits = 0;
	rc = st->ops->session->get(st, x->req->session_hash, &x->sess);
	if (rc != STORE_OK || x->sess.role == ROLE_CONNECTOR || !core_session_valid(&x->sess, x->now))
		return rc;
	if (x->sess.role != ROLE_CITIZEN &&
	    st->ops->staff->membership_list(st, x->sess.user_id, x->units, CORE_MAX_UNITS, &x->nunits) !=
		    STORE_OK)
		return STORE_ERROR;
	authcache_session_put(x->c->auth, gen, &x->sess, x->units, x->nunits);
	return STORE_OK;
}

/* Loads and checks the caller's session and memberships; touches last_seen now and then.
 * Whether the session is still valid is checked against the clock on every request, cached
 * or not. Returns 0 with ctx->err set when the session is not usable, -1 when the store failed. */
static int load_session(struct ctx *x)
{
	struct store *st = x->st;
	int rc;

	if (!x->req->has_session)
		return core_fail(x, ADVICE_ERR_UNAUTHENTICATED, "no session");
	rc = session_read(x);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND || !core_session_valid(&x->sess, x->now)) {
		x->rep->end_session = 1;
		memcpy(x->rep->session_hash, x->req->session_hash, STORE_HASH_BYTES);
		x->rep->close_conn = 1;
		return core_fail(x, ADVICE_ERR_UNAUTHENTICATED, "session ended");
	}
	if (x->now - x->sess.last_seen >= TOUCH_EVERY_MS) {
		if (st->ops->session->touch(st, x->sess.hash, x->now) != STORE_OK)
			return -1;
		x->sess.last_seen = x->now;
		authcache_session_touched(x->c->auth, x->sess.hash, x->now);
	}
	x->rep->session_expires_ms = core_session_end(&x->sess);
	if (x->sess.role == ROLE_CONNECTOR)
		return core_connector_session(x);
	return 0;
}

/* The role shown to the client and checked for requests not on a thread: a citizen's or an
 * administrator's own; for staff, supervisor if it supervises any unit. */
static enum store_role display_role(const struct ctx *x)
{
	if (x->sess.role == ROLE_CITIZEN || x->sess.role == ROLE_ADMIN || x->sess.role == ROLE_CONNECTOR)
		return x->sess.role;
	for (size_t i = 0; i < x->nunits; i++)
		if (x->units[i].role == ROLE_SUPERVISOR)
			return ROLE_SUPERVISOR;
	return ROLE_WORKER;
}

static int add_topic(struct core_reply *rep, const char *prefix, const char *id)
{
	char **t = realloc(rep->topics, (rep->ntopics + 1) * sizeof *t);
	size_t n = strlen(prefix) + strlen(id) + 1;

	if (t == NULL)
		return -1;
	rep->topics = t;
	if ((t[rep->ntopics] = malloc(n)) == NULL)
		return -1;
	snprintf(t[rep->ntopics++], n, "%s%s", prefix, id);
	return 0;
}

/* A new WebSocket: the welcome event, and the topics the connection listens to. */
static int handle_connect(struct ctx *x)
{
	char topic[48];
	json_t *units, *o;
	int rc;

	if ((rc = load_session(x)) != 0 || x->err)
		return rc;
	core_session_topic(x->sess.hash, topic);
	if (add_topic(x->rep, "u:", x->sess.user_id) != 0 || add_topic(x->rep, topic, "") != 0)
		return -1;
	units = json_array();
	for (size_t i = 0; i < x->nunits; i++) {
		struct store_unit u;

		if (x->st->ops->unit->get(x->st, x->units[i].unit_id, &u) != STORE_OK) {
			json_decref(units);
			return -1;
		}
		json_array_append_new(units, json_pack("{s:s, s:s, s:s}", "unit", x->units[i].unit_id, "name",
						       u.name, "role", core_role_name(x->units[i].role)));
		if (add_topic(x->rep, "unit:", x->units[i].unit_id) != 0) {
			json_decref(units);
			return -1;
		}
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I}", "type", "event", "event", "welcome",
		      "protocol", ADVICE_SUBPROTOCOL, "user", x->sess.user_id, "role",
		      core_role_name(display_role(x)), "units", units, "session_expires",
		      (json_int_t)x->sess.expires, "idle_expires", (json_int_t)core_session_end(&x->sess));
	x->rep->role = display_role(x);
	return core_reply_set_json(x->rep, o);
}

/* WebSocket requests */

/* The row of the request table (core_requests.c, generated) for `type`, or NULL. */
static const struct core_request_type *find_type(const char *type)
{
	for (size_t i = 0; i < core_request_type_count; i++)
		if (strcmp(core_request_types[i].type, type) == 0)
			return &core_request_types[i];
	return NULL;
}

/* Takes the parsed request from core_request_prepare, or parses and checks it here; a refused
 * message leaves its error in ctx->err. Returns 0. */
static int parse_message(struct ctx *x)
{
	const struct core_parsed *p = &x->req->parsed;
	int rc;

	if (p->done) {
		x->msg = json_incref(p->msg);
		snprintf(x->err_msg, sizeof x->err_msg, "%s", p->err_msg);
		snprintf(x->err_field, sizeof x->err_field, "%s", p->err_field);
		rc = p->rc;
	} else {
		rc = schema_parse(x->req->body, x->req->len, &x->msg, x->err_msg, sizeof x->err_msg);
		if (rc == ADVICE_OK)
			rc = schema_check_request(x->c->cfg.schema, x->msg, x->err_msg, sizeof x->err_msg,
						  x->err_field, sizeof x->err_field);
	}
	if (x->msg != NULL)
		x->id = schema_request_id(x->c->cfg.schema, x->msg);
	x->err = rc;
	return 0;
}

/* Keeps the ok reply of a write for its resends (core_replay.c: without its secrets). 0 or -1. */
static int record_reply(struct ctx *x, const struct core_request_type *rt)
{
	char *record = core_replay_record(x, rt->type);
	int rc;

	if (record == NULL)
		return -1;
	rc = x->st->ops->request->put(x->st, x->sess.user_id, x->id, record, x->now) == STORE_OK ? 0 : -1;
	free(record);
	return rc;
}

static int handle_message(struct ctx *x)
{
	const struct core_request_type *rt;
	char *stored = NULL;
	int rc;

	if ((rc = parse_message(x)) != 0 || x->err)
		return rc;
	if ((rc = load_session(x)) != 0 || x->err)
		return rc;
	rt = find_type(json_string_value(json_object_get(x->msg, "type")));
	if (rt == NULL)
		return core_fail(x, ADVICE_ERR_UNKNOWN_TYPE, "unknown request type");
	if (!rt->on_thread && !policy_allows(rt->action, display_role(x), REL_NONE))
		return core_deny(x, rt->action, NULL);
	if (rt->is_write) {
		rc = x->st->ops->request->get(x->st, x->sess.user_id, x->id, &stored);
		if (rc == STORE_ERROR)
			return -1;
		if (rc == STORE_OK) { /* an earlier identical write: its reply again, nothing changes */
			rc = core_replay(x, rt->type, stored);
			free(stored);
			return rc;
		}
	}
	x->result = json_object();
	if (x->result == NULL || rt->fn(x) != 0)
		return -1;
	if (core_reply_finish(x) != 0)
		return -1;
	if (rt->is_write && x->err == ADVICE_OK && record_reply(x, rt) != 0)
		return -1;
	return 1; /* reply already built */
}

/* A binary message: one attachment chunk, answered with a file.chunk event (core_files.c). */
static int handle_chunk(struct ctx *x)
{
	int rc;

	if ((rc = load_session(x)) != 0 || x->err)
		return rc == 0 ? core_reply_finish(x) : rc;
	if ((x->result = json_object()) == NULL || core_file_chunk(x) != 0)
		return -1;
	return core_reply_set_json(x->rep, json_incref(x->result));
}

static int handle_http(struct ctx *x)
{
	static const char *const defs[] = {
		[CORE_REQ_LOGIN_CITIZEN] = "http.login.citizen",
		[CORE_REQ_LOGIN_START] = "http.login.worker.start",
		[CORE_REQ_LOGIN_WORKER] = "http.login.worker",
		[CORE_REQ_LOGOUT] = "http.logout",
		[CORE_REQ_LOGIN_ENROL] = "http.login.worker.enrol",
		[CORE_REQ_LOGIN_CONNECTOR_START] = "http.login.connector.start",
		[CORE_REQ_LOGIN_CONNECTOR] = "http.login.connector",
	};
	int rc;

	rc = schema_parse(x->req->body, x->req->len, &x->msg, x->err_msg, sizeof x->err_msg);
	if (rc != ADVICE_OK)
		return core_fail(x, rc, "%s", x->err_msg);
	rc = schema_check_def(x->c->cfg.schema, defs[x->req->kind], x->msg, x->err_msg, sizeof x->err_msg,
			      x->err_field, sizeof x->err_field);
	if (rc != ADVICE_OK) {
		x->err = ADVICE_ERR_BAD_REQUEST;
		return 0;
	}
	x->result = json_object();
	if (x->result == NULL)
		return -1;
	switch (x->req->kind) {
	case CORE_REQ_LOGIN_CITIZEN: return core_login_citizen(x);
	case CORE_REQ_LOGIN_START: return core_login_start(x);
	case CORE_REQ_LOGIN_WORKER: return core_login_worker(x);
	case CORE_REQ_LOGOUT: return core_logout(x);
	case CORE_REQ_LOGIN_ENROL: return core_login_enrol(x);
	case CORE_REQ_LOGIN_CONNECTOR_START: return core_login_connector_start(x);
	case CORE_REQ_LOGIN_CONNECTOR: return core_login_connector(x);
	default: return core_fail(x, ADVICE_ERR_INTERNAL, "unknown request kind");
	}
}

int core_handle(struct core *c, const struct core_request *req, struct core_reply *rep)
{
	struct ctx x = { .c = c, .st = c->st, .req = req, .rep = rep };
	int rc;

	x.now = req->now_ms ? req->now_ms : clock_ms();
	rep->conn_id = req->conn_id;
	rep->kind = req->kind;
	switch (req->kind) {
	case CORE_REQ_CONNECT:
		rc = handle_connect(&x);
		if (rc == 0 && x.err) {
			x.rep->close_conn = 1;
			rc = core_reply_finish(&x);
		}
		break;
	case CORE_REQ_MESSAGE:
		rc = handle_message(&x);
		if (rc == 0)
			rc = core_reply_finish(&x);
		else if (rc == 1)
			rc = 0;
		break;
	case CORE_REQ_TICK:
		rc = core_queue_tick(&x);
		if (rc == 0)
			rc = core_session_check(&x);
		if (rc == 0)
			rc = core_purge_check(&x);
		if (rc == 0)
			rc = core_presence_tick(&x);
		if (rc == 0)
			rc = core_retention_tick(&x);
		if (rc == 0)
			rc = core_metrics_tick(&x);
		break;
	case CORE_REQ_CHUNK: rc = handle_chunk(&x); break;
	case CORE_REQ_CALL:
		rc = req->call == NULL || req->call(req->call_arg) < 0 ? -1 : core_reply_finish(&x);
		break;
	case CORE_REQ_ADMIN:
		x.result = json_object();
		rc = x.result ? core_admin(&x) : -1;
		if (rc == 0)
			rc = core_reply_finish(&x);
		break;
	case CORE_REQ_SERVICE:
		x.result = json_object();
		rc = x.result ? core_service(&x) : -1;
		if (rc == 0)
			rc = core_reply_finish(&x);
		break;
	case CORE_REQ_LOGIN_BANK:
		x.result = json_object();
		rc = x.result ? core_login_bank(&x) : -1;
		if (rc == 0)
			rc = core_reply_finish(&x);
		break;
	default:
		rc = handle_http(&x);
		if (rc == 0)
			rc = core_reply_finish(&x);
		break;
	}
	if (rc == 0)
		rc = core_presence_sessions_ended(&x);
	core_metrics_count(&x, rc);
	json_decref(x.msg);
	json_decref(x.result);
	json_decref(x.err_extra);
	return rc < 0 ? -1 : 0;
}
