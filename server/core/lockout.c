/*
 * lockout.c - the backoff and lock of failed staff logins (lockout.h).
 */
#include "lockout.h"

enum lockout_verdict lockout_check(const struct lockout_policy *p, const struct lockout_state *s, int64_t now,
				   int64_t *retry_ms)
{
	*retry_ms = 0;
	if (s->locked_at > 0) {
		if (p->lock_ms <= 0)
			return LOCKOUT_LOCKED_FOR_GOOD;
		if (now < s->locked_at + p->lock_ms) {
			*retry_ms = s->locked_at + p->lock_ms - now;
			return LOCKOUT_LOCKED;
		}
	}
	if (s->locked_until > now) {
		*retry_ms = s->locked_until - now;
		return LOCKOUT_BACKING_OFF;
	}
	return LOCKOUT_OPEN;
}

int lockout_fail(const struct lockout_policy *p, struct lockout_state *s, int64_t now)
{
	int steps;
	int64_t wait;

	if (s->failures < 1000000)
		s->failures++;
	if (s->failures >= p->lock_after) {
		s->locked_at = now > 0 ? now : 1;
		s->locked_until = 0;
		return 1;
	}
	if (s->failures < p->backoff_after)
		return 0;
	steps = s->failures - p->backoff_after;
	wait = steps >= 20 ? p->backoff_max_ms : 1000LL << steps;
	if (wait > p->backoff_max_ms)
		wait = p->backoff_max_ms;
	s->locked_until = now + wait;
	return 0;
}

int64_t lockout_retry_s(int64_t ms)
{
	int64_t s = (ms + 999) / 1000;

	return s >= 1 ? s : 1;
}
