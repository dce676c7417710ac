/*
 * core_log_report.c - log.report (PROTOCOL.md §14.2): a citizen's own log report, 703/2023
 * 11 §: who processed their data (unit, role, and the staff's display name) and to whom it
 * was disclosed, up to two years back (log_report.h). Older rows are the register keeper's to
 * give, for a special reason (advicectl log-report). The request is itself written to the
 * access log before the reply; the caller's own rows are not in the report.
 */
#include <stdio.h>

#include "audit.h"
#include "core_internal.h"
#include "log.h"
#include "log_report.h"

static int64_t time_field(struct ctx *x, const char *name, int64_t dflt)
{
	json_t *v = json_object_get(x->msg, name);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* A bad_request naming `field`. */
static int refuse(struct ctx *x, const char *field, const char *why)
{
	snprintf(x->err_field, sizeof x->err_field, "%s", field);
	return core_fail(x, ADVICE_ERR_BAD_REQUEST, "%s", why);
}

/* The access-log row of the request: the caller about themself. 0 or -1. */
static int log_request(struct ctx *x)
{
	struct store_audit a = { .time = x->now, .role = x->sess.role };

	snprintf(a.user_id, sizeof a.user_id, "%s", x->sess.user_id);
	snprintf(a.client, sizeof a.client, "%s", x->sess.user_id);
	snprintf(a.object, sizeof a.object, "log");
	snprintf(a.action, sizeof a.action, "log.report");
	snprintf(a.outcome, sizeof a.outcome, "ok");
	if (audit_append(x->st, &a) != STORE_OK) {
		log_err("access log write failed: nothing is shown");
		return -1;
	}
	return 0;
}

int core_log_report(struct ctx *x)
{
	int64_t oldest = x->now - LOG_REPORT_BACK_MS;
	struct log_report_query q = {
		.client = x->sess.user_id,
		.exclude_user = x->sess.user_id,
		.from = time_field(x, "from", oldest),
		.to = time_field(x, "to", x->now),
	};

	if (q.from < oldest)
		return refuse(x, "/from",
			      "the report goes two years back; older log data is given by the register "
			      "keeper for a special reason (703/2023 11 §)");
	if (q.to < q.from)
		return refuse(x, "/to", "to is before from");
	if (log_request(x) != 0 || log_report_build(x->st, &q, x->result) != 0)
		return -1;
	json_object_set_new(x->result, "from", json_integer(q.from));
	json_object_set_new(x->result, "to", json_integer(q.to));
	return 0;
}
