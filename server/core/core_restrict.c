/*
 * core_restrict.c - the restriction of a thread (GDPR 18, PROTOCOL.md §14.8): a restricted
 * thread is frozen. Every write on it is refused but a supervisor's decision of a rights
 * request; its citizen still reads it; staff read its content (thread.read, thread.keys,
 * file.get, thread.identity, note.list) only for a legal claim, with a reason kept beside the
 * read's access-log row. Metadata reads (thread.get, file.status, thread.presence) stay open.
 *
 * Below core_ctx.c, which asks it on every request on a thread: it calls only the store.
 */
#include <stdio.h>
#include <string.h>

#include "core_internal.h"

/* Staff reads of a thread's content: allowed on a restricted thread only for a legal claim. */
static int content_read(enum policy_action action)
{
	return action == ACT_THREAD_READ || action == ACT_THREAD_KEYS || action == ACT_FILE_GET ||
	       action == ACT_THREAD_IDENTITY || action == ACT_NOTE_LIST;
}

/* Requests a restriction leaves open: reads of metadata, and the decision of a rights request
 * (a request made before the restriction is still answered). Any other request on a thread
 * counts as a write, so that a request added later is refused until it is listed here. */
static int always_open(enum policy_action action)
{
	return action == ACT_THREAD_GET || action == ACT_FILE_STATUS || action == ACT_THREAD_PRESENCE ||
	       action == ACT_RIGHTS_DECIDE;
}

int core_restricted(struct ctx *x, const char *thread_id, int *restricted)
{
	struct store_restriction r;
	int rc;

	*restricted = 0;
	if (thread_id == NULL)
		return 0;
	rc = x->st->ops->rights->restriction_get(x->st, thread_id, &r);
	if (rc == STORE_ERROR)
		return -1;
	*restricted = rc == STORE_OK && r.restricted;
	return 0;
}

int core_restrict_verdict(struct ctx *x, enum policy_action action, const struct store_thread *t,
			  enum core_restrict_verdict *verdict)
{
	const char *purpose = json_string_value(json_object_get(x->msg, "purpose"));
	const char *reason = json_string_value(json_object_get(x->msg, "reason"));
	int restricted;

	*verdict = RESTRICT_OPEN;
	if (t->has_extras) /* read with the thread in this request */
		restricted = t->restricted;
	else if (core_restricted(x, t->id, &restricted) != 0)
		return -1;
	if (!restricted || always_open(action))
		return 0;
	if (!content_read(action)) {
		*verdict = RESTRICT_REFUSED_WRITE;
		return 0;
	}
	if (x->sess.role == ROLE_CITIZEN)
		return 0; /* the citizen reads their own thread */
	if (purpose == NULL || strcmp(purpose, "legal_claim") != 0 || reason == NULL || reason[0] == '\0') {
		*verdict = RESTRICT_REFUSED_READ;
		return 0;
	}
	x->legal_reason = reason;
	*verdict = RESTRICT_LEGAL_CLAIM;
	return 0;
}

int core_restrict_set(struct store *st, const struct store_thread *t, int restricted, const char *by,
		      const char *reason, int64_t now, int *changed)
{
	struct store_restriction r = { .restricted = restricted != 0, .time = now };
	struct store_restriction old;
	struct store_thread moved = *t;
	int rc = st->ops->rights->restriction_get(st, t->id, &old);

	*changed = 0;
	if (rc == STORE_ERROR)
		return -1;
	if ((rc == STORE_OK && old.restricted) == r.restricted)
		return 0;
	snprintf(r.thread_id, sizeof r.thread_id, "%s", t->id);
	snprintf(r.by, sizeof r.by, "%s", by);
	snprintf(r.reason, sizeof r.reason, "%s", reason);
	/* The thread moves in its lists (its change), so that lists by change show the flag. */
	if (st->ops->rights->restriction_put(st, &r) != STORE_OK ||
	    st->ops->thread->update(st, &moved) != STORE_OK)
		return -1;
	*changed = 1;
	return 0;
}

int core_restrict_reason_put(struct ctx *x, int64_t row)
{
	return x->st->ops->rights->reason_put(x->st, row, x->legal_reason) == STORE_OK ? 0 : -1;
}
