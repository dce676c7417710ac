/*
 * core_session.c - the periodic session check, run by CORE_REQ_TICK every
 * cfg.session_check_ms: memberships whose end date has come are removed and their users'
 * sessions end; sessions of accounts that have ended, and sessions past their idle or
 * absolute end, are revoked. The reply lists every ended session (core_reply.ended), so
 * the network layer closes their WebSockets with 4001 within one check interval. Also the
 * session.logout request.
 */
#include <string.h>

#include "core_internal.h"
#include "log.h"

#define CHECK_BATCH 500 /* sessions ended per check; more wait for the next tick */

int core_session_check(struct ctx *x)
{
	struct core *c = x->c;
	size_t before = x->rep->nended, ended;

	if (c->cfg.session_check_ms <= 0 || x->now < c->next_session_check)
		return 0;
	c->next_session_check = x->now + c->cfg.session_check_ms;
	if (core_roles_expire(x, "") != 0 || core_end_due_sessions(x, CHECK_BATCH) != 0)
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
