/*
 * core_replay.c - idempotency records that hold no secret (PROTOCOL.md §5.3). A write whose
 * reply carries a secret (thread.prepare's shred share) is stored without it, and a resend
 * gets the secret read again from where it lives: an idempotency record, a backup of the
 * database or a purge that did not run yet never keeps a copy of it.
 */
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

char *core_replay_record(const char *type, const char *reply)
{
	const struct secret_reply *s = secret_reply_of(type);
	json_t *o;
	char *text;

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
