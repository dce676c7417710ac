/*
 * core_session.c - the periodic session check, run by CORE_REQ_TICK every
 * cfg.session_check_ms: memberships whose end date has come are removed and their users'
 * sessions end; sessions of accounts that have ended, and sessions past their idle or
 * absolute end, are revoked. The reply lists every ended session (core_reply.ended), so
 * the network layer closes their WebSockets with 4001 within one check interval. The same
 * check warns the connections of sessions that end within cfg.session_warn_ms
 * (session.expiring). Also the session.logout and session.extend requests.
 */
#include <string.h>

#include "core_internal.h"
#include "log.h"

#define CHECK_BATCH 500 /* sessions ended per check; more wait for the next tick */
#define WARN_BATCH  500 /* sessions warned per check; more wait for the next tick */

struct warn_acc {
	struct ctx *x;
	size_t n;
	int64_t last_end; /* the end of the last session warned */
	int failed;
};

/* Pushes the session.expiring event of `s` to its own topic. Non-zero stops the list. */
static int warn_session(void *arg, const struct store_session *s)
{
	struct warn_acc *a = arg;
	int64_t end = core_session_end(s);
	char topic[48];

	core_session_topic(s->hash, topic);
	if (core_push(a->x, topic,
		      json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "type", "event", "event",
				"session.expiring", "reason", end < s->expires ? "idle" : "absolute", "ends",
				(json_int_t)end, "session_expires", (json_int_t)s->expires, "idle_expires",
				(json_int_t)end)) != 0) {
		a->failed = 1;
		return 1;
	}
	a->n++;
	a->last_end = end;
	return 0;
}

/*
 * Warns the sessions whose end falls in (what the last check covered, now + lead]. Each end
 * is warned once as the window slides; an end that activity moved later is warned again
 * when it comes near, since the lead is shorter than the idle time (config_check). After a
 * restart the window starts at now, so a session may be warned twice. 0 or -1.
 */
static int warn_ending_sessions(struct ctx *x)
{
	struct core *c = x->c;
	struct warn_acc a = { .x = x };
	int64_t from = c->warned_until > x->now ? c->warned_until : x->now;
	int64_t to = x->now + c->cfg.session_warn_ms;

	if (c->cfg.session_warn_ms <= 0 || to <= from)
		return 0;
	if (x->st->ops->session->ending(x->st, from, to, WARN_BATCH, warn_session, &a) != STORE_OK ||
	    a.failed)
		return -1;
	/* A full batch: the next check goes on after the last end warned. */
	c->warned_until = a.n == WARN_BATCH ? a.last_end : to;
	return 0;
}

int core_session_check(struct ctx *x)
{
	struct core *c = x->c;
	size_t before = x->rep->nended, ended;

	if (c->cfg.session_check_ms <= 0 || x->now < c->next_session_check)
		return 0;
	c->next_session_check = x->now + c->cfg.session_check_ms;
	if (core_roles_expire(x, "") != 0 || core_end_due_sessions(x, CHECK_BATCH) != 0 ||
	    warn_ending_sessions(x) != 0)
		return -1;
	ended = x->rep->nended - before;
	if (ended >= CHECK_BATCH)
		c->next_session_check = x->now; /* more to do: again at the next tick */
	if (ended > 0)
		log_info("session check: %zu sessions ended", ended);
	return 0;
}

int core_session_logout(struct ctx *x)
{
	if (x->st->ops->session->revoke(x->st, x->sess.hash) == STORE_ERROR)
		return -1;
	x->rep->end_session = 1;
	memcpy(x->rep->session_hash, x->sess.hash, STORE_HASH_BYTES);
	log_notice("logout of user %s", x->sess.user_id);
	return 0;
}

int core_session_extend(struct ctx *x)
{
	if (x->sess.last_seen != x->now) {
		if (x->st->ops->session->touch(x->st, x->sess.hash, x->now) != STORE_OK)
			return -1;
		x->sess.last_seen = x->now;
		authcache_session_touched(x->c->auth, x->sess.hash, x->now); /* a touch bumps no generation */
	}
	x->rep->session_expires_ms = core_session_end(&x->sess);
	json_object_set_new(x->result, "session_expires", json_integer(x->sess.expires));
	json_object_set_new(x->result, "idle_expires", json_integer(core_session_end(&x->sess)));
	return 0;
}
