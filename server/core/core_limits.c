/*
 * core_limits.c - what one citizen may cost the service (issue 14): open threads, threads
 * opened a day and bytes of messages written a day, from the configuration (0: no limit).
 * The day is the Helsinki day (calendar.h); its counts start from zero at local midnight.
 *
 * The counts come from the store in O(1) (struct store_usage). A refusal is 429
 * rate_limited, with retry_after until midnight for the daily limits; without it for open
 * threads, where waiting does not help but closing a thread does. Refusals are logged as
 * counts at most once a minute, never one line per request.
 */
#include "calendar.h"
#include "core_internal.h"
#include "log.h"

#define LIMIT_REPORT_MS 60000 /* refusals are logged as a count at most once a minute */

/* Counts a refusal of `kind` and logs the counts when the last report is a minute old. */
static void report_refusal(struct ctx *x, enum core_limit_kind kind)
{
	struct core_limit_log *l = &x->c->limit_log;

	l->refused[kind]++;
	if (l->logged_ms != 0 && x->now - l->logged_ms < LIMIT_REPORT_MS)
		return;
	log_notice("citizen limits refused (429) since the last report: %llu over open threads, %llu "
		   "over threads a day, %llu over bytes a day",
		   (unsigned long long)l->refused[LIMIT_OPEN], (unsigned long long)l->refused[LIMIT_THREADS],
		   (unsigned long long)l->refused[LIMIT_BYTES]);
	for (int i = 0; i < LIMIT__COUNT; i++)
		l->refused[i] = 0;
	l->logged_ms = x->now;
}

/* The whole seconds from x->now until the next Helsinki midnight, at least 1. */
static int64_t seconds_to_midnight(const struct ctx *x, int32_t today)
{
	int64_t ms = cal_day_start(today + 1) - x->now;

	return ms > 1000 ? (ms + 999) / 1000 : 1;
}

/* 429 rate_limited until the day turns. Returns 0. */
static int refuse_today(struct ctx *x, enum core_limit_kind kind, int32_t today, const char *what,
			int64_t limit)
{
	report_refusal(x, kind);
	json_decref(x->err_extra);
	x->err_extra = json_pack("{s:I}", "retry_after", (json_int_t)seconds_to_midnight(x, today));
	return core_fail(x, ADVICE_ERR_RATE_LIMITED, "at most %lld %s a day: try again tomorrow",
			 (long long)limit, what);
}

int32_t core_limits_today(const struct ctx *x)
{
	struct cal_local l;

	cal_local(x->now, &l);
	return l.day;
}

int core_limits_admit(struct ctx *x, int new_thread, size_t bytes)
{
	const struct core_config *cfg = &x->c->cfg;
	int32_t today = core_limits_today(x);
	struct store_usage u;

	if (x->sess.role != ROLE_CITIZEN)
		return 0;
	if (x->st->ops->thread->usage_get(x->st, x->sess.user_id, today, &u) != STORE_OK)
		return -1;
	if (new_thread && cfg->citizen_open_threads > 0 && u.open >= cfg->citizen_open_threads) {
		report_refusal(x, LIMIT_OPEN);
		return core_fail(x, ADVICE_ERR_RATE_LIMITED,
				 "at most %d open threads: close one to open another",
				 cfg->citizen_open_threads);
	}
	if (new_thread && cfg->citizen_threads_per_day > 0 && u.threads >= cfg->citizen_threads_per_day)
		return refuse_today(x, LIMIT_THREADS, today, "new threads", cfg->citizen_threads_per_day);
	if (cfg->citizen_bytes_per_day > 0 && u.bytes + (int64_t)bytes > cfg->citizen_bytes_per_day)
		return refuse_today(x, LIMIT_BYTES, today, "bytes of messages", cfg->citizen_bytes_per_day);
	return 0;
}

int core_limits_count(struct ctx *x, int new_thread, size_t bytes)
{
	if (x->sess.role != ROLE_CITIZEN)
		return 0;
	return x->st->ops->thread->usage_add(x->st, x->sess.user_id, core_limits_today(x), new_thread ? 1 : 0,
					     (int64_t)bytes) == STORE_OK
		       ? 0
		       : -1;
}
