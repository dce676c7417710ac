/*
 * core.c - the core's entry point: parse and validate a request, check the session,
 * replay idempotent writes, run the handler, and build the reply (core.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "core_internal.h"
#include "log.h"
#include "schema.h"

#define TOUCH_EVERY_MS 60000 /* last_seen is written at most this often */

struct request_type {
	const char *type;
	enum policy_action action;
	int is_write;  /* idempotent by request id */
	int on_thread; /* the handler checks the policy against the thread */
	core_handler_fn fn;
};

static int core_session_logout(struct ctx *x);

static const struct request_type request_types[] = {
	{ "categories.list", ACT_CATEGORIES_LIST, 0, 0, core_categories_list },
	{ "thread.open", ACT_THREAD_OPEN, 1, 0, core_thread_open },
	{ "thread.list", ACT_THREAD_LIST, 0, 0, core_thread_list },
	{ "thread.read", ACT_THREAD_READ, 0, 1, core_thread_read },
	{ "thread.claim", ACT_THREAD_CLAIM, 1, 1, core_thread_claim },
	{ "message.send", ACT_MESSAGE_SEND, 1, 1, core_message_send },
	{ "thread.close", ACT_THREAD_CLOSE, 1, 1, core_thread_close },
	{ "session.logout", ACT_SESSION_LOGOUT, 0, 0, core_session_logout },
	/* duty queues (core_queue.c) */
	{ "thread.reassign", ACT_THREAD_REASSIGN, 1, 1, core_thread_reassign },
	{ "thread.release", ACT_THREAD_RELEASE, 1, 1, core_thread_release },
	{ "duty.set", ACT_DUTY_SET, 1, 0, core_duty_set },
	{ "duty.get", ACT_DUTY_GET, 0, 0, core_duty_get },
	{ "dashboard.get", ACT_DASHBOARD_GET, 0, 0, core_dashboard_get },
	{ "notify.set", ACT_NOTIFY_SET, 1, 0, core_notify_set },
	{ "notify.get", ACT_NOTIFY_GET, 0, 0, core_notify_get },
	{ "notify.delete", ACT_NOTIFY_DELETE, 1, 0, core_notify_delete },
	/* end-to-end encryption (core_keys.c) */
	{ "keys.unit", ACT_KEYS_UNIT, 0, 0, core_keys_unit },
	{ "keys.mine", ACT_KEYS_MINE, 0, 0, core_keys_mine },
	{ "keys.bundle.put", ACT_KEYS_BUNDLE_PUT, 1, 0, core_keys_bundle_put },
	{ "device.add", ACT_DEVICE_ADD, 1, 0, core_device_add },
	{ "thread.prepare", ACT_THREAD_PREPARE, 1, 0, core_thread_prepare },
	{ "thread.keys", ACT_THREAD_KEYS, 0, 1, core_thread_keys },
	{ "wrap.put", ACT_WRAP_PUT, 1, 1, core_wrap_put },
	{ "file.begin", ACT_FILE_BEGIN, 1, 1, core_file_begin },
	{ "file.status", ACT_FILE_STATUS, 0, 1, core_file_status },
	{ "file.get", ACT_FILE_GET, 0, 1, core_file_get },
};

struct core *core_new(struct store *st, const struct core_config *cfg)
{
	struct core *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->st = st;
	c->cfg = *cfg;
	return c;
}

const uint8_t *core_config_pepper(const struct core *c)
{
	return c->cfg.pepper;
}

void core_free(struct core *c)
{
	if (c != NULL) {
		core_batch_sync(c, 0);
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
	return 0;
}

void core_request_free(struct core_request *req)
{
	if (req == NULL)
		return;
	json_decref(req->parsed.msg);
	free(req);
}

/* Drops every event of the reply, rendered or not. */
static void pushes_clear(struct core_reply *rep)
{
	for (size_t i = 0; i < rep->npush; i++) {
		json_decref(rep->pushes[i].event);
		free(rep->pushes[i].json);
	}
	rep->npush = 0;
}

size_t core_reply_render(struct core_reply *rep)
{
	size_t kept = 0, dropped = 0;

	for (size_t i = 0; i < rep->npush; i++) {
		struct core_push *p = &rep->pushes[i];

		if (p->json == NULL && p->event != NULL) {
			p->json = json_dumps(p->event, JSON_COMPACT);
			p->len = p->json ? strlen(p->json) : 0;
			/* The same event for other topics: copy the text rather than encode it again. */
			for (size_t j = i + 1; j < rep->npush && p->json != NULL; j++) {
				if (rep->pushes[j].event != p->event)
					continue;
				rep->pushes[j].json = strdup(p->json);
				rep->pushes[j].len = p->len;
				json_decref(rep->pushes[j].event);
				rep->pushes[j].event = NULL;
			}
		}
		json_decref(p->event);
		p->event = NULL;
		if (p->json == NULL) {
			log_err("out of memory rendering an event for %s: dropped", p->topic);
			dropped++;
			continue;
		}
		rep->pushes[kept++] = *p;
	}
	rep->npush = kept;
	return dropped;
}

void core_reply_free(struct core_reply *rep)
{
	if (rep == NULL)
		return;
	free(rep->json);
	for (size_t i = 0; i < rep->ntopics; i++)
		free(rep->topics[i]);
	free(rep->topics);
	pushes_clear(rep);
	free(rep->pushes);
	free(rep->ended);
	sodium_memzero(rep->session_token, sizeof rep->session_token);
	free(rep);
}

/* Helpers shared by the handlers */

void core_random_id(char out[STORE_ID_SIZE])
{
	uint8_t b[ADVICE_ID_HEX / 2];

	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, STORE_ID_SIZE, b, sizeof b);
}

void core_keyed_hash(const uint8_t pepper[32], const char *label, const void *data, size_t len,
		     uint8_t out[STORE_HASH_BYTES])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, pepper, 32, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)label, strlen(label) + 1);
	crypto_generichash_update(&h, data, len);
	crypto_generichash_final(&h, out, STORE_HASH_BYTES);
}

void core_session_hash(const uint8_t pepper[32], const char *token, size_t len, uint8_t out[STORE_HASH_BYTES])
{
	crypto_generichash_state h;
	static const char label[] = "session";

	crypto_generichash_init(&h, pepper, 32, STORE_HASH_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)label, sizeof label);
	crypto_generichash_update(&h, (const unsigned char *)token, len);
	crypto_generichash_final(&h, out, STORE_HASH_BYTES);
}

int core_session_valid(const struct store_session *s, int64_t now_ms)
{
	return !s->revoked && now_ms < s->expires && now_ms < s->last_seen + s->idle_ms;
}

/* When the session ends if nothing more happens. */
static int64_t session_end(const struct store_session *s)
{
	int64_t idle_end = s->last_seen + s->idle_ms;

	return idle_end < s->expires ? idle_end : s->expires;
}

int core_fail(struct ctx *x, int code, const char *fmt, ...)
{
	va_list ap;

	x->err = code;
	va_start(ap, fmt);
	vsnprintf(x->err_msg, sizeof x->err_msg, fmt, ap);
	va_end(ap);
	return 0;
}

const char *core_state_name(enum thread_state s)
{
	static const char *const names[] = { "new", "claimed", "answered", "waiting", "closed" };

	return s <= THREAD_CLOSED ? names[s] : "unknown";
}

const char *core_role_name(enum store_role r)
{
	static const char *const names[] = { "none", "citizen", "worker", "supervisor", "admin" };

	return r <= ROLE_ADMIN ? names[r] : "none";
}

enum store_role core_role_in_unit(const struct ctx *x, const char *unit_id)
{
	if (x->sess.role == ROLE_CITIZEN)
		return ROLE_CITIZEN;
	for (size_t i = 0; i < x->nunits; i++)
		if (strcmp(x->units[i].unit_id, unit_id) == 0)
			return x->units[i].role;
	return ROLE_WORKER;
}

unsigned core_relations(const struct ctx *x, const struct store_thread *t)
{
	const char *me = x->sess.user_id;
	unsigned rel = REL_NONE;

	if (x->sess.role == ROLE_CITIZEN)
		return strcmp(t->citizen_id, me) == 0 ? REL_OWNER : REL_NONE;
	for (size_t i = 0; i < x->nunits; i++)
		if (strcmp(x->units[i].unit_id, t->unit_id) == 0)
			rel |= REL_MEMBER;
	if (t->assignee_id[0] != '\0' && strcmp(t->assignee_id, me) == 0)
		rel |= REL_ASSIGNEE;
	return rel;
}

int core_audit(struct ctx *x, const struct store_thread *t, const char *action, const char *outcome)
{
	struct store_audit a = { .time = x->now };

	snprintf(a.user_id, sizeof a.user_id, "%s", x->sess.user_id);
	a.role = t ? core_role_in_unit(x, t->unit_id) : x->sess.role;
	if (t != NULL) {
		snprintf(a.unit_id, sizeof a.unit_id, "%s", t->unit_id);
		snprintf(a.client, sizeof a.client, "%s", t->citizen_id);
		snprintf(a.object, sizeof a.object, "thread:%s", t->id);
	} else {
		snprintf(a.object, sizeof a.object, "request");
	}
	snprintf(a.action, sizeof a.action, "%s", action);
	snprintf(a.outcome, sizeof a.outcome, "%s", outcome);
	if (audit_append(x->st, &a) != STORE_OK) {
		log_err("access log write failed: nothing is shown");
		return -1;
	}
	return 0;
}

int core_deny(struct ctx *x, enum policy_action action, const struct store_thread *t)
{
	if (core_audit(x, t, policy_action_name(action), "denied") != 0)
		return -1;
	log_notice("denied %s to user %s", policy_action_name(action), x->sess.user_id);
	return core_fail(x, ADVICE_ERR_FORBIDDEN, "not allowed");
}

/* A new, empty push for `topic` at the end of the reply's list; NULL when out of memory. */
static struct core_push *push_add(struct core_reply *rep, const char *topic)
{
	struct core_push *p = realloc(rep->pushes, (rep->npush + 1) * sizeof *p);

	if (p == NULL)
		return NULL;
	rep->pushes = p;
	p = &rep->pushes[rep->npush++];
	memset(p, 0, sizeof *p);
	snprintf(p->topic, sizeof p->topic, "%s", topic);
	return p;
}

int core_push(struct ctx *x, const char *topic, json_t *event)
{
	struct core_push *p = event ? push_add(x->rep, topic) : NULL;

	if (p == NULL) {
		json_decref(event);
		return -1;
	}
	p->event = event;
	return 0;
}

int core_push_text(struct ctx *x, const char *topic, char *text)
{
	struct core_push *p = text ? push_add(x->rep, topic) : NULL;

	if (p == NULL) {
		free(text);
		return -1;
	}
	p->json = text;
	p->len = strlen(text);
	return 0;
}

int core_session_create(struct ctx *x, const char *user_id, enum store_role role)
{
	const struct core_config *cfg = &x->c->cfg;
	struct store_session s = { .role = role, .created = x->now, .last_seen = x->now };
	uint8_t raw[32];
	int64_t abs_ms = role == ROLE_CITIZEN ? cfg->citizen_abs_ms : cfg->staff_abs_ms;

	s.idle_ms = role == ROLE_CITIZEN ? cfg->citizen_idle_ms : cfg->staff_idle_ms;
	s.expires = x->now + abs_ms;
	snprintf(s.user_id, sizeof s.user_id, "%s", user_id);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(x->rep->session_token, sizeof x->rep->session_token, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	core_session_hash(cfg->pepper, x->rep->session_token, strlen(x->rep->session_token), s.hash);
	if (x->st->ops->session_insert(x->st, &s) != STORE_OK) {
		x->rep->session_token[0] = '\0';
		return -1;
	}
	x->rep->session_max_age_s = abs_ms / 1000;
	x->sess = s;
	return 0;
}

/* Reply text */

static int64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_json(struct core_reply *rep, json_t *obj)
{
	free(rep->json);
	rep->json = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	rep->len = rep->json ? strlen(rep->json) : 0;
	return rep->json ? 0 : -1;
}

static int http_status_of(int code)
{
	switch (code) {
	case ADVICE_OK: return 200;
	case ADVICE_ERR_UNAUTHENTICATED:
	case ADVICE_ERR_BAD_CREDENTIALS:
	case ADVICE_ERR_BAD_TOKEN:
	case ADVICE_ERR_TOTP_REQUIRED: return 401;
	case ADVICE_ERR_FORBIDDEN:
	case ADVICE_ERR_ENROL_REQUIRED:
	case ADVICE_ERR_PASSWORD_AGE: return 403;
	case ADVICE_ERR_NOT_FOUND: return 404;
	case ADVICE_ERR_CONFLICT:
	case ADVICE_ERR_THREAD_CLOSED: return 409;
	case ADVICE_ERR_TOO_LARGE: return 413;
	case ADVICE_ERR_LOCKED: return 423;
	case ADVICE_ERR_RATE_LIMITED: return 429;
	case ADVICE_ERR_UNAVAILABLE: return 503;
	case ADVICE_ERR_INTERNAL: return 500;
	default: return 400;
	}
}

static int is_http(enum core_req_kind kind)
{
	return kind != CORE_REQ_CONNECT && kind != CORE_REQ_MESSAGE && kind != CORE_REQ_CHUNK;
}

/* The error object for `code`; the request id only on WebSocket replies. */
static json_t *error_object(enum core_req_kind kind, const char *id, int code, const char *message,
			    const char *field)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "error", "code", advice_err_name(code), "message",
			      message ? message : advice_err_name(code));

	if (o == NULL)
		return NULL;
	if (!is_http(kind))
		json_object_set_new(o, "id", id ? json_string(id) : json_null());
	if (field != NULL && field[0] != '\0')
		json_object_set_new(o, "field", json_string(field));
	return o;
}

int core_reply_set_error(const struct core *c, struct core_reply *rep, const struct core_request *req,
			 int code, const char *message)
{
	json_t *msg = NULL;
	const char *id = NULL;

	if (req->kind == CORE_REQ_MESSAGE && req->parsed.msg != NULL)
		msg = json_incref(req->parsed.msg);
	else if (req->kind == CORE_REQ_MESSAGE)
		schema_parse(req->body, req->len, &msg, NULL, 0);
	if (msg != NULL)
		id = schema_request_id(c->cfg.schema, msg);
	rep->http_status = http_status_of(code);
	rep->session_token[0] = '\0';
	rep->end_session = 0;
	rep->nended = 0;
	pushes_clear(rep);
	set_json(rep, error_object(req->kind, id, code, message, NULL));
	json_decref(msg);
	return rep->json ? 0 : -1;
}

/* Builds the final reply text from ctx->err / ctx->result. */
static int finish_reply(struct ctx *x)
{
	json_t *o;

	x->rep->http_status = http_status_of(x->err);
	if (x->err != ADVICE_OK) {
		o = error_object(x->req->kind, x->id, x->err, x->err_msg, x->err_field);
		if (o != NULL && x->err_extra != NULL)
			json_object_update_missing(o, x->err_extra);
	} else {
		o = x->result ? json_incref(x->result) : json_object();
		json_object_set_new(o, "type", json_string("ok"));
		if (!is_http(x->req->kind) && x->id)
			json_object_set_new(o, "id", json_string(x->id));
	}
	return set_json(x->rep, o);
}

/* Sessions */

/* Loads and checks the caller's session and memberships; touches last_seen now and then.
 * Returns 0 with ctx->err set when the session is not usable, -1 when the store failed. */
static int load_session(struct ctx *x)
{
	struct store *st = x->st;
	int rc;

	if (!x->req->has_session)
		return core_fail(x, ADVICE_ERR_UNAUTHENTICATED, "no session");
	rc = st->ops->session_get(st, x->req->session_hash, &x->sess);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND || !core_session_valid(&x->sess, x->now)) {
		x->rep->end_session = 1;
		memcpy(x->rep->session_hash, x->req->session_hash, STORE_HASH_BYTES);
		x->rep->close_conn = 1;
		return core_fail(x, ADVICE_ERR_UNAUTHENTICATED, "session ended");
	}
	if (x->now - x->sess.last_seen >= TOUCH_EVERY_MS) {
		if (st->ops->session_touch(st, x->sess.hash, x->now) != STORE_OK)
			return -1;
		x->sess.last_seen = x->now;
	}
	x->rep->session_expires_ms = session_end(&x->sess);
	if (x->sess.role != ROLE_CITIZEN &&
	    st->ops->membership_list(st, x->sess.user_id, x->units, CORE_MAX_UNITS, &x->nunits) != STORE_OK)
		return -1;
	return 0;
}

static int core_session_logout(struct ctx *x)
{
	if (x->st->ops->session_revoke(x->st, x->sess.hash) == STORE_ERROR)
		return -1;
	x->rep->end_session = 1;
	memcpy(x->rep->session_hash, x->sess.hash, STORE_HASH_BYTES);
	log_notice("logout of user %s", x->sess.user_id);
	return 0;
}

/* The role shown to the client: supervisor if it supervises any unit. */
static enum store_role display_role(const struct ctx *x)
{
	if (x->sess.role == ROLE_CITIZEN)
		return ROLE_CITIZEN;
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
	json_t *units, *o;
	int rc;

	if ((rc = load_session(x)) != 0 || x->err)
		return rc;
	if (add_topic(x->rep, "u:", x->sess.user_id) != 0)
		return -1;
	units = json_array();
	for (size_t i = 0; i < x->nunits; i++) {
		json_array_append_new(units, json_pack("{s:s, s:s}", "unit", x->units[i].unit_id, "role",
						       core_role_name(x->units[i].role)));
		if (add_topic(x->rep, "unit:", x->units[i].unit_id) != 0) {
			json_decref(units);
			return -1;
		}
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I}", "type", "event", "event", "welcome", "protocol",
		      ADVICE_SUBPROTOCOL, "user", x->sess.user_id, "role", core_role_name(display_role(x)),
		      "units", units, "session_expires", (json_int_t)session_end(&x->sess));
	return set_json(x->rep, o);
}

/* WebSocket requests */

static const struct request_type *find_type(const char *type)
{
	for (size_t i = 0; i < sizeof request_types / sizeof request_types[0]; i++)
		if (strcmp(request_types[i].type, type) == 0)
			return &request_types[i];
	return NULL;
}

/* A stored reply of an earlier identical write: send it again, change nothing. */
static int replay(struct ctx *x, const char *stored)
{
	free(x->rep->json);
	x->rep->json = strdup(stored);
	x->rep->len = x->rep->json ? strlen(x->rep->json) : 0;
	return x->rep->json ? 1 : -1;
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

static int handle_message(struct ctx *x)
{
	const struct request_type *rt;
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
		rc = x->st->ops->request_get(x->st, x->sess.user_id, x->id, &stored);
		if (rc == STORE_ERROR)
			return -1;
		if (rc == STORE_OK) {
			rc = replay(x, stored);
			free(stored);
			return rc;
		}
	}
	x->result = json_object();
	if (x->result == NULL || rt->fn(x) != 0)
		return -1;
	if (finish_reply(x) != 0)
		return -1;
	if (rt->is_write && x->err == ADVICE_OK &&
	    x->st->ops->request_put(x->st, x->sess.user_id, x->id, x->rep->json, x->now) != STORE_OK)
		return -1;
	return 1; /* reply already built */
}

/* A binary message: one attachment chunk, answered with a file.chunk event (core_files.c). */
static int handle_chunk(struct ctx *x)
{
	int rc;

	if ((rc = load_session(x)) != 0 || x->err)
		return rc == 0 ? finish_reply(x) : rc;
	if ((x->result = json_object()) == NULL || core_file_chunk(x) != 0)
		return -1;
	return set_json(x->rep, json_incref(x->result));
}

static int handle_http(struct ctx *x)
{
	static const char *const defs[] = {
		[CORE_REQ_LOGIN_CITIZEN] = "http.login.citizen",
		[CORE_REQ_LOGIN_START] = "http.login.worker.start",
		[CORE_REQ_LOGIN_WORKER] = "http.login.worker",
		[CORE_REQ_LOGOUT] = "http.logout",
		[CORE_REQ_LOGIN_ENROL] = "http.login.worker.enrol",
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
			rc = finish_reply(&x);
		}
		break;
	case CORE_REQ_MESSAGE:
		rc = handle_message(&x);
		if (rc == 0)
			rc = finish_reply(&x);
		else if (rc == 1)
			rc = 0;
		break;
	case CORE_REQ_TICK:
		rc = core_queue_tick(&x);
		if (rc == 0)
			rc = core_session_check(&x);
		break;
	case CORE_REQ_CHUNK: rc = handle_chunk(&x); break;
	case CORE_REQ_CALL:
		rc = req->call == NULL || req->call(req->call_arg) < 0 ? -1 : finish_reply(&x);
		break;
	case CORE_REQ_ADMIN:
		x.result = json_object();
		rc = x.result ? core_admin(&x) : -1;
		if (rc == 0)
			rc = finish_reply(&x);
		break;
	case CORE_REQ_LOGIN_BANK:
		x.result = json_object();
		rc = x.result ? core_login_bank(&x) : -1;
		if (rc == 0)
			rc = finish_reply(&x);
		break;
	default:
		rc = handle_http(&x);
		if (rc == 0)
			rc = finish_reply(&x);
		break;
	}
	json_decref(x.msg);
	json_decref(x.result);
	json_decref(x.err_extra);
	return rc < 0 ? -1 : 0;
}
