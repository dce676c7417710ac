/*
 * core_correct.c - corrections that keep both versions (seed 003, PROTOCOL.md §6.6): a staff
 * message names, in message.send's "corrects", an earlier staff message of the same thread;
 * the earlier one stays as it was, and the server records who corrected it, in what role,
 * when, and by which message. thread.read gives each correcting message the id it corrects,
 * so that a reader pairs the two before decrypting (the reason is in the encrypted content).
 */
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

static int bad_corrects(struct ctx *x, const char *why)
{
	snprintf(x->err_field, sizeof x->err_field, "/corrects");
	return core_fail(x, ADVICE_ERR_BAD_REQUEST, "%s", why);
}

int core_correct_check(struct ctx *x, const struct store_thread *t, struct core_correction *c)
{
	const char *id = json_string_value(json_object_get(x->msg, "corrects"));
	enum store_role role = ROLE_NONE;
	int64_t seq = 0;
	int rc;

	memset(c, 0, sizeof *c);
	if (id == NULL)
		return 0;
	if (x->sess.role == ROLE_CITIZEN)
		return bad_corrects(x, "corrections are made by staff: a citizen asks with rights.request");
	rc = x->st->ops->rights->message_find(x->st, t->id, id, &seq, &role);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND)
		return bad_corrects(x, "corrects names no message of this thread");
	if (role == ROLE_CITIZEN)
		return bad_corrects(x,
				    "corrects names a citizen's message: staff correct only staff entries");
	c->has = 1;
	snprintf(c->corrected_id, sizeof c->corrected_id, "%s", id);
	return 0;
}

int core_correct_record(struct ctx *x, const struct store_thread *t, const struct core_correction *c,
			int64_t seq, const char *message_id)
{
	struct store_correction r = { .seq = seq, .time = x->now };

	if (!c->has)
		return 0;
	snprintf(r.thread_id, sizeof r.thread_id, "%s", t->id);
	snprintf(r.corrected_id, sizeof r.corrected_id, "%s", c->corrected_id);
	snprintf(r.message_id, sizeof r.message_id, "%s", message_id);
	snprintf(r.corrector_id, sizeof r.corrector_id, "%s", x->sess.user_id);
	r.role = core_role_in_unit(x, t->unit_id);
	return x->st->ops->rights->correction_put(x->st, &r) == STORE_OK ? 0 : -1;
}

static int add_correction(void *arg, const struct store_correction *c)
{
	struct core_corrected *all = arg;

	if (all->n == all->cap) {
		size_t cap = all->cap ? 2 * all->cap : 8;
		struct store_correction *l = realloc(all->list, cap * sizeof *l);

		if (l == NULL) {
			all->failed = 1;
			return 1;
		}
		all->list = l;
		all->cap = cap;
	}
	all->list[all->n++] = *c;
	return 0;
}

int core_correct_load(struct ctx *x, const char *thread_id, int64_t after, struct core_corrected *out)
{
	core_correct_free(out);
	if (x->st->ops->rights->correction_list(x->st, thread_id, after, add_correction, out) != STORE_OK)
		return -1;
	return out->failed ? -1 : 0;
}

const char *core_correct_of(const struct core_corrected *c, int64_t seq)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->list[i].seq == seq)
			return c->list[i].corrected_id;
	return NULL;
}

void core_correct_free(struct core_corrected *c)
{
	free(c->list);
	memset(c, 0, sizeof *c);
}
