/*
 * shred.c - the phases of a thread's shred (shred.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "blobs.h"
#include "dirsync.h"
#include "log.h"
#include "shred.h"

int shred_mark(struct store *st, struct store_shred_mark *m, int64_t now)
{
	struct store_shred_mark old;
	int rc = st->ops->retention->get(st, m->thread_id, &old);

	if (rc != STORE_NOTFOUND)
		return rc == STORE_OK ? STORE_EXISTS : rc;
	if (st->ops->retention->counts(st, m->thread_id, &m->counts) != STORE_OK)
		return STORE_ERROR;
	m->phase = SHRED_MARKED;
	m->marked = now;
	m->done = 0;
	return st->ops->retention->mark(st, m);
}

int shred_share(struct store *st, const char *thread_id, int64_t now)
{
	int rc = st->ops->keys->share_shred(st, thread_id, now);

	return rc == STORE_EXISTS ? STORE_OK : rc;
}

struct blob_walk {
	const char *blob_dir;
	int failed;
};

static int blob_each(void *arg, const char *file_id)
{
	struct blob_walk *w = arg;

	if (blob_remove(w->blob_dir, file_id) != 0)
		w->failed = 1;
	return 0;
}

/* The access-log row of a finished shred: user "retention" or the admin, action "shred". */
static int shred_audit(struct store *st, const struct store_shred_mark *m, const char *unit_id, int64_t now)
{
	struct store_audit a = { .time = now,
				 .role = strncmp(m->by, "os:", 3) == 0 ? ROLE_ADMIN : ROLE_NONE };

	snprintf(a.user_id, sizeof a.user_id, "%.*s", (int)sizeof a.user_id - 1, m->by);
	snprintf(a.unit_id, sizeof a.unit_id, "%s", unit_id);
	snprintf(a.client, sizeof a.client, "%s", m->citizen_id);
	snprintf(a.object, sizeof a.object, "thread:%s", m->thread_id);
	snprintf(a.action, sizeof a.action, "shred");
	snprintf(a.outcome, sizeof a.outcome, "ok");
	return audit_append(st, &a) == STORE_OK ? 0 : -1;
}

/* Phase 3: blobs, then rows, then the note and the log row. 1 when it could not go on
 * (logged), 0 done, -1 store failure. */
static int shred_finish(struct store *st, const char *blob_dir, const struct store_shred_mark *m, int64_t now)
{
	struct blob_walk w = { blob_dir, 0 };
	struct store_thread t;
	int64_t other = 0;
	int rc = st->ops->thread->get(st, m->thread_id, &t);

	if (rc == STORE_ERROR)
		return -1;
	if (rc != STORE_OK)
		t.unit_id[0] = '\0';
	if (blob_dir[0] != '\0') {
		if (st->ops->retention->file_ids(st, m->thread_id, blob_each, &w) != STORE_OK)
			return -1;
		/* the unlinks durable before the rows that count the files go */
		if (w.failed || (dir_sync(blob_dir) != 0 && errno != ENOENT))
			return 1;
	}
	if (st->ops->retention->rows_delete(st, m->thread_id, &other) != STORE_OK ||
	    st->ops->retention->phase_set(st, m->thread_id, SHRED_DONE, now, other) != STORE_OK ||
	    shred_audit(st, m, t.unit_id, now) != 0)
		return -1;
	log_notice("shred: thread done (%s): %lld messages, %lld files, %lld wraps deleted",
		   m->erasure ? "erasure" : "retention", (long long)m->counts.messages,
		   (long long)m->counts.files, (long long)m->counts.wraps);
	return 0;
}

struct step_list {
	struct store_shred_mark marks[SHRED_STEP_MAX];
	int n;
};

static int collect(void *arg, const struct store_shred_mark *m)
{
	struct step_list *l = arg;

	l->marks[l->n++] = *m;
	return l->n == SHRED_STEP_MAX;
}

int shred_step(struct store *st, const char *blob_dir, int64_t now, int limit, struct shred_progress *p)
{
	static struct step_list l; /* the core thread's only */

	memset(p, 0, sizeof *p);
	l.n = 0;
	if (limit > SHRED_STEP_MAX)
		limit = SHRED_STEP_MAX;
	if (st->ops->retention->pending(st, limit, collect, &l) != STORE_OK)
		return -1;
	for (int i = 0; i < l.n; i++) {
		const struct store_shred_mark *m = &l.marks[i];
		int rc;

		if (m->phase == SHRED_MARKED) {
			if (shred_share(st, m->thread_id, now) != STORE_OK ||
			    st->ops->retention->phase_set(st, m->thread_id, SHRED_SHARE_GONE, now, 0) !=
				    STORE_OK)
				return -1;
			p->advanced++;
			continue;
		}
		if ((rc = shred_finish(st, blob_dir, m, now)) < 0)
			return -1;
		if (rc > 0) {
			p->stuck++;
			continue;
		}
		p->advanced++;
		p->done++;
	}
	return 0;
}

static int any(void *arg, const struct store_shred_mark *m)
{
	(void)m;
	*(int *)arg = 1;
	return 1;
}

int shred_pending(struct store *st)
{
	int found = 0;

	return st->ops->retention->pending(st, 1, any, &found) == STORE_OK ? found : -1;
}
