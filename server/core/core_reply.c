/*
 * core_reply.c - the reply of a request (core.h): its text (the ok result or the error object),
 * its HTTP status, its events rendered as text, and freeing it. Below the dispatcher (core.c)
 * and beside the handlers' helpers (core_ctx.c); it calls neither.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core_internal.h"
#include "log.h"
#include "schema.h"

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

int core_reply_set_json(struct core_reply *rep, json_t *obj)
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
	case ADVICE_ERR_RESTRICTED:
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

/* The error object for `code`: the request id on WebSocket replies, null on HTTP (http.error). */
static json_t *error_object(enum core_req_kind kind, const char *id, int code, const char *message,
			    const char *field)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "error", "code", advice_err_name(code), "message",
			      message ? message : advice_err_name(code));

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", id && !is_http(kind) ? json_string(id) : json_null());
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
	core_reply_set_json(rep, error_object(req->kind, id, code, message, NULL));
	json_decref(msg);
	return rep->json ? 0 : -1;
}

int core_reply_finish(struct ctx *x)
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
	return core_reply_set_json(x->rep, o);
}
