/*
 * core_purge.c - what the store keeps only for a while, purged by its age on CORE_REQ_TICK
 * (at most once a minute, and at once again while a batch came back full): the stored replies
 * of writes after cfg.request_keep_ms (from then on a resend with the same request id runs
 * again, PROTOCOL.md §5.3), sessions whose absolute end is older than cfg.session_keep_ms,
 * prepared threads not opened within a day, and the files of prepared threads that were
 * dropped or shredded before they were opened.
 */
#include "core_internal.h"
#include "log.h"

#define PURGE_BATCH	2000		 /* rows of each kind deleted per tick */
#define PURGE_FILES	200		 /* files (blobs and records) deleted per tick */
#define PURGE_EVERY_MS	60000		 /* between two purges when nothing is left */
#define REQUEST_KEEP_MS (7 * 86400000LL) /* when cfg.request_keep_ms is 0 */
#define SESSION_KEEP_MS 86400000LL	 /* when cfg.session_keep_ms is 0 */

int core_purge_check(struct ctx *x)
{
	struct core *c = x->c;
	int64_t request_keep = c->cfg.request_keep_ms > 0 ? c->cfg.request_keep_ms : REQUEST_KEEP_MS;
	int64_t session_keep = c->cfg.session_keep_ms > 0 ? c->cfg.session_keep_ms : SESSION_KEEP_MS;
	int requests = 0, sessions = 0;
	size_t files = 0;

	if (x->now < c->next_purge)
		return 0;
	if (x->st->ops->request->purge(x->st, x->now - request_keep, PURGE_BATCH, &requests) != STORE_OK ||
	    x->st->ops->session->purge(x->st, x->now - session_keep, PURGE_BATCH, &sessions) != STORE_OK ||
	    core_keys_prepared_expire(x) != 0 || core_files_purge(x, PURGE_FILES, &files) != 0)
		return -1;
	c->next_purge = requests == PURGE_BATCH || sessions == PURGE_BATCH || files == PURGE_FILES
				? x->now
				: x->now + PURGE_EVERY_MS;
	if (requests > 0 || sessions > 0 || files > 0)
		log_info("purge: %d stored replies, %d ended sessions, %zu files of threads never opened",
			 requests, sessions, files);
	return 0;
}
