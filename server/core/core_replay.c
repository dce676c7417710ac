/*
 * core_replay.c - idempotency records that hold no secret (PROTOCOL.md §5.3). A write whose
 * reply carries a secret (thread.prepare's shred share) is stored without it, and a resend
 * gets the secret read again from where it lives: an idempotency record, a backup of the
 * database or a purge that did not run yet never keeps a copy of it.
 *
 * message.send, the most frequent write, keeps a reference instead of its reply's text:
 * "s<seq> <time> <state> <thread>", from which the same reply is rebuilt (about half the
 * bytes). A record that starts with '{' is a reply's text (every other write, and message.send
 * records kept before references).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

/* A write whose reply holds a secret: the member that holds it, and how it is read again. */
struct secret_reply {
	const char *type;
	const char *member;
	int (*refill)(struct ctx *x, json_t *reply);
};

static const struct secret_reply secret_replies[] = {
	{ "thread.prepare", "share", core_keys_prepare_refill },
};

static const struct secret_reply *secret_reply_of(const char *type)
{
	for (size_t i = 0; i < sizeof secret_replies / sizeof secret_replies[0]; i++)
		if (strcmp(secret_replies[i].type, type) == 0)
			return &secret_replies[i];
	return NULL;
}

/* The reference of a message.send's ok reply (its result in ctx->result); NULL when out of
 * memory or a member is missing. */
static char *send_reference(const struct ctx *x)
{
	const char *thread = json_string_value(json_object_get(x->result, "thread"));
	const char *state = json_string_value(json_object_get(x->result, "state"));
	json_t *seq = json_object_get(x->result, "seq"), *time = json_object_get(x->result, "time");
	size_t n = STORE_ID_SIZE + 64;
	char *ref;

	if (thread == NULL || state == NULL || !json_is_integer(seq) || !json_is_integer(time) ||
	    (ref = malloc(n)) == NULL)
		return NULL;
	snprintf(ref, n, "s%lld %lld %s %s", (long long)json_integer_value(seq),
		 (long long)json_integer_value(time), state, thread);
	return ref;
}

/* Rebuilds a message.send's ok reply from its reference. 1, or -1 when the record is not one. */
static int replay_send(struct ctx *x, const char *ref)
{
	char state[16], thread[STORE_ID_SIZE];
	long long seq, time;
	int n = -1;

	if (sscanf(ref, "s%lld %lld %15[a-z] %32[0-9a-f]%n", &seq, &time, state, thread, &n) != 4 || n < 0 ||
	    ref[n] != '\0')
		return -1;
	json_decref(x->result);
	x->result = json_pack("{s:s, s:I, s:s, s:I}", "thread", thread, "seq", (json_int_t)seq, "state",
			      state, "time", (json_int_t)time);
	return x->result != NULL && core_reply_finish(x) == 0 ? 1 : -1;
}

char *core_replay_record(struct ctx *x, const char *type)
{
	const struct secret_reply *s = secret_reply_of(type);
	const char *reply = x->rep->json;
	json_t *o;
	char *text;

	if (strcmp(type, "message.send") == 0)
		return send_reference(x);
	if (s == NULL)
		return strdup(reply);
	if ((o = json_loads(reply, 0, NULL)) == NULL)
		return NULL;
	json_object_del(o, s->member);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

int core_replay(struct ctx *x, const char *type, const char *stored)
{
	const struct secret_reply *s = secret_reply_of(type);
	json_t *o;
	int rc;

	if (stored[0] == 's')
		return replay_send(x, stored);
	if (s == NULL) {
		free(x->rep->json);
		x->rep->json = strdup(stored);
		x->rep->len = x->rep->json ? strlen(x->rep->json) : 0;
		return x->rep->json ? 1 : -1;
	}
	if ((o = json_loads(stored, 0, NULL)) == NULL)
		return -1;
	if ((rc = s->refill(x, o)) != 0 || x->err) {
		json_decref(o);
		return rc;
	}
	return core_reply_set_json(x->rep, o) == 0 ? 1 : -1;
}
