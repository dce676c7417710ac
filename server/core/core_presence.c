/*
 * core_presence.c - the collision guard (PROTOCOL.md §11.8): which staff have which thread
 * open, and who is writing an answer. Kept in the core's memory only (the core thread owns
 * it; nothing is stored or logged: it is metadata of the callers' own activity). An entry
 * lapses CORE_PRESENCE_LAPSE_MS after its last refresh, and goes when its session ends or
 * when a move takes the thread out of its user's units. Each change of a thread's set is
 * sent to the thread's unit as thread.presence. Memory is bounded: at most
 * CORE_PRESENCE_PER_THREAD viewers of a thread and CORE_PRESENCE_MAX in all.
 */
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

struct viewer {
	char thread[STORE_ID_SIZE];
	char unit[STORE_ID_SIZE];
	char user[STORE_ID_SIZE];
	uint8_t session[STORE_HASH_BYTES]; /* the session that refreshed it last */
	int writing;
	int gone; /* marked for removal (drop_marked) */
	int64_t since, seen;
};

struct core_viewers {
	struct viewer *v;
	size_t n, cap;
};

/* A thread whose set changed, to be told to its unit. */
struct changed {
	char thread[STORE_ID_SIZE];
	char unit[STORE_ID_SIZE];
};

void core_viewers_free(struct core_viewers *vs)
{
	if (vs != NULL)
		free(vs->v);
	free(vs);
}

/* The core's table, made on first use; NULL when out of memory. */
static struct core_viewers *table(struct ctx *x)
{
	if (x->c->viewers == NULL)
		x->c->viewers = calloc(1, sizeof *x->c->viewers);
	return x->c->viewers;
}

static int find(const struct core_viewers *vs, const char *thread, const char *user)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].thread, thread) == 0 && strcmp(vs->v[i].user, user) == 0)
			return (int)i;
	return -1;
}

static size_t count_of(const struct core_viewers *vs, const char *thread)
{
	size_t n = 0;

	for (size_t i = 0; i < vs->n; i++)
		n += strcmp(vs->v[i].thread, thread) == 0;
	return n;
}

static int by_since(const void *a, const void *b)
{
	const struct viewer *va = *(const struct viewer *const *)a, *vb = *(const struct viewer *const *)b;

	if (va->since != vb->since)
		return va->since < vb->since ? -1 : 1;
	return strcmp(va->user, vb->user);
}

/* The viewers of `thread` as the wire shows them, longest first; NULL when the store failed
 * or memory ran out. */
static json_t *viewers_json(struct ctx *x, const char *thread)
{
	const struct core_viewers *vs = x->c->viewers;
	const struct viewer *list[CORE_PRESENCE_PER_THREAD];
	json_t *arr = json_array(), *name, *o;
	size_t n = 0;

	for (size_t i = 0; vs != NULL && i < vs->n && n < CORE_PRESENCE_PER_THREAD; i++)
		if (strcmp(vs->v[i].thread, thread) == 0)
			list[n++] = &vs->v[i];
	if (arr == NULL)
		return NULL;
	qsort(list, n, sizeof list[0], by_since);
	for (size_t i = 0; i < n; i++) {
		if (core_name_for_staff(x, list[i]->user, &name) != 0)
			goto fail;
		o = json_pack("{s:s, s:o, s:s, s:I}", "user", list[i]->user, "name", name, "state",
			      list[i]->writing ? "writing" : "viewing", "since", (json_int_t)list[i]->since);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/* thread.presence to `unit` with the viewers of `thread` (none with `empty`). 0 or -1. */
static int push_set(struct ctx *x, const char *thread, const char *unit, int empty)
{
	char topic[48];
	json_t *viewers = empty ? json_array() : viewers_json(x, thread);

	if (viewers == NULL)
		return -1;
	snprintf(topic, sizeof topic, "unit:%s", unit);
	return core_push(x, topic,
			 json_pack("{s:s, s:s, s:s, s:s, s:o}", "type", "event", "event", "thread.presence",
				   "thread", thread, "unit", unit, "viewers", viewers));
}

/* Removes the marked entries and tells each of their threads' units the new set. 0 or -1. */
static int drop_marked(struct ctx *x)
{
	struct core_viewers *vs = x->c->viewers;
	struct changed *ch = NULL;
	size_t nch = 0, kept = 0;
	int rc = 0;

	if (vs == NULL)
		return 0;
	for (size_t i = 0; i < vs->n; i++) {
		int seen = 0;

		if (!vs->v[i].gone)
			continue;
		for (size_t j = 0; j < nch && !seen; j++)
			seen = strcmp(ch[j].thread, vs->v[i].thread) == 0;
		if (seen)
			continue;
		struct changed *bigger = realloc(ch, (nch + 1) * sizeof *ch);

		if (bigger == NULL) {
			free(ch);
			return -1;
		}
		ch = bigger;
		memcpy(ch[nch].thread, vs->v[i].thread, STORE_ID_SIZE);
		memcpy(ch[nch++].unit, vs->v[i].unit, STORE_ID_SIZE);
	}
	for (size_t i = 0; i < vs->n; i++)
		if (!vs->v[i].gone)
			vs->v[kept++] = vs->v[i];
	vs->n = kept;
	for (size_t j = 0; j < nch && rc == 0; j++)
		rc = push_set(x, ch[j].thread, ch[j].unit, 0);
	free(ch);
	return rc;
}

/* Marks the entries whose last refresh is CORE_PRESENCE_LAPSE_MS old. */
static void mark_lapsed(struct core_viewers *vs, int64_t now)
{
	for (size_t i = 0; vs != NULL && i < vs->n; i++)
		if (vs->v[i].seen + CORE_PRESENCE_LAPSE_MS <= now)
			vs->v[i].gone = 1;
}

int core_presence_tick(struct ctx *x)
{
	mark_lapsed(x->c->viewers, x->now);
	return drop_marked(x);
}

static int session_ended(const struct core_reply *rep, const uint8_t hash[STORE_HASH_BYTES])
{
	if (rep->end_session && memcmp(rep->session_hash, hash, STORE_HASH_BYTES) == 0)
		return 1;
	for (size_t i = 0; i < rep->nended; i++)
		if (memcmp(rep->ended[i], hash, STORE_HASH_BYTES) == 0)
			return 1;
	return 0;
}

int core_presence_sessions_ended(struct ctx *x)
{
	struct core_viewers *vs = x->c->viewers;

	if (vs == NULL || (!x->rep->end_session && x->rep->nended == 0))
		return 0;
	for (size_t i = 0; i < vs->n; i++)
		if (session_ended(x->rep, vs->v[i].session))
			vs->v[i].gone = 1;
	return drop_marked(x);
}

/* Whether `user_id` is a member of `unit_id`: 1, 0, or -1 when the store failed. */
static int member_of(struct ctx *x, const char *user_id, const char *unit_id)
{
	struct store_membership m[CORE_MAX_UNITS];
	size_t n;

	if (x->st->ops->staff->membership_list(x->st, user_id, m, CORE_MAX_UNITS, &n) != STORE_OK)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].unit_id, unit_id) == 0)
			return 1;
	return 0;
}

int core_presence_moved(struct ctx *x, const struct store_thread *t, const char *old_unit)
{
	struct core_viewers *vs = x->c->viewers;
	size_t had = 0, dropped = 0;
	int member;

	for (size_t i = 0; vs != NULL && i < vs->n; i++) {
		struct viewer *v = &vs->v[i];

		if (strcmp(v->thread, t->id) != 0)
			continue;
		had++;
		if ((member = member_of(x, v->user, t->unit_id)) < 0)
			return -1;
		snprintf(v->unit, sizeof v->unit, "%s", t->unit_id);
		v->gone = !member;
		dropped += !member;
	}
	if (had == 0 || drop_marked(x) != 0) /* drop_marked tells the thread's unit when some went */
		return had == 0 ? 0 : -1;
	if (strcmp(old_unit, t->unit_id) == 0)
		return 0;
	if (push_set(x, t->id, old_unit, 1) != 0) /* the unit it left: nobody of it is there now */
		return -1;
	return dropped == 0 ? push_set(x, t->id, t->unit_id, 0) : 0;
}

/* Adds the caller as a viewer of `t`. 0 (ctx->err set when a bound is reached), or -1. */
static int add_viewer(struct ctx *x, struct core_viewers *vs, const struct store_thread *t, int writing)
{
	struct viewer *v;

	if (count_of(vs, t->id) >= CORE_PRESENCE_PER_THREAD)
		return core_fail(x, ADVICE_ERR_CONFLICT, "the thread has the most viewers kept (%d)",
				 CORE_PRESENCE_PER_THREAD);
	if (vs->n >= CORE_PRESENCE_MAX) {
		x->err_extra = json_pack("{s:i}", "retry_after", (int)(CORE_PRESENCE_LAPSE_MS / 1000));
		return core_fail(x, ADVICE_ERR_UNAVAILABLE, "the server keeps no more viewers now");
	}
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 64;
		struct viewer *bigger = realloc(vs->v, cap * sizeof *bigger);

		if (bigger == NULL)
			return -1;
		vs->v = bigger;
		vs->cap = cap;
	}
	v = &vs->v[vs->n++];
	memset(v, 0, sizeof *v);
	snprintf(v->thread, sizeof v->thread, "%s", t->id);
	snprintf(v->unit, sizeof v->unit, "%s", t->unit_id);
	snprintf(v->user, sizeof v->user, "%s", x->sess.user_id);
	memcpy(v->session, x->sess.hash, STORE_HASH_BYTES);
	v->writing = writing;
	v->since = v->seen = x->now;
	return 0;
}

int core_thread_presence(struct ctx *x)
{
	const char *state = json_string_value(json_object_get(x->msg, "state"));
	struct core_viewers *vs = table(x);
	struct store_thread t;
	int rc, i, writing = strcmp(state, "writing") == 0, changed = 0;
	json_t *viewers;

	if (vs == NULL)
		return -1;
	if ((rc = core_thread_for(x, ACT_THREAD_PRESENCE, &t)) != 0 || x->err)
		return rc;
	if (core_presence_tick(x) != 0)
		return -1;
	i = find(vs, t.id, x->sess.user_id);
	if (strcmp(state, "left") == 0) {
		if (i >= 0) {
			vs->v[i] = vs->v[--vs->n];
			changed = 1;
		}
	} else if (i < 0) {
		if ((rc = add_viewer(x, vs, &t, writing)) != 0 || x->err)
			return rc;
		changed = 1;
	} else {
		struct viewer *v = &vs->v[i];

		v->seen = x->now;
		memcpy(v->session, x->sess.hash, STORE_HASH_BYTES);
		if (v->writing != writing) {
			v->writing = writing;
			v->since = x->now;
			changed = 1;
		}
	}
	if ((viewers = viewers_json(x, t.id)) == NULL)
		return -1;
	json_object_set_new(x->result, "thread", json_string(t.id));
	json_object_set_new(x->result, "viewers", viewers);
	return changed ? push_set(x, t.id, t.unit_id, 0) : 0;
}
