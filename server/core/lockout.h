/*
 * lockout.h - the rules for failed staff logins, as plain functions of the numbers kept per
 * worker account (and per unknown name, so that the answers do not tell them apart): after
 * backoff_after failures in a row every attempt must wait, the wait doubling up to
 * backoff_max_ms; at lock_after failures the account is locked, for lock_ms, or with lock_ms 0
 * until an administrator unlocks it. A lock that has run out lets one attempt through: right,
 * it resets everything; wrong, it locks again at once. No store and no clock: the caller
 * passes the time, so the rules are tested alone (tests/unit/test_lockout.c).
 */
#ifndef ADVICE_LOCKOUT_H
#define ADVICE_LOCKOUT_H

#include <stdint.h>

struct lockout_policy {
	int backoff_after;	/* failures before attempts must wait (>= 1) */
	int lock_after;		/* failures that lock (> backoff_after) */
	int64_t backoff_max_ms; /* the longest wait */
	int64_t lock_ms;	/* how long a lock lasts; 0: until an administrator unlocks it */
};

/* What the store keeps per account or unknown name. */
struct lockout_state {
	int failures;	      /* failed attempts in a row */
	int64_t locked_until; /* backoff: no attempt before this (ms since the epoch; 0: none) */
	int64_t locked_at;    /* when lock_after failures locked it (0: not locked) */
};

enum lockout_verdict {
	LOCKOUT_OPEN,	     /* the attempt is checked */
	LOCKOUT_BACKING_OFF, /* wait *retry_ms, then try again */
	LOCKOUT_LOCKED,	     /* locked for *retry_ms more (or until unlocked) */
	LOCKOUT_LOCKED_FOR_GOOD,
};

/*
 * What an attempt at `now` meets. *retry_ms gets the time until an attempt is checked again
 * (> 0) for BACKING_OFF and LOCKED, 0 otherwise.
 */
enum lockout_verdict lockout_check(const struct lockout_policy *p, const struct lockout_state *s, int64_t now,
				   int64_t *retry_ms);

/*
 * Records a failed attempt at `now` in `s`: one more failure, then a backoff or a lock.
 * Returns 1 when this failure locked it, else 0.
 */
int lockout_fail(const struct lockout_policy *p, struct lockout_state *s, int64_t now);

/* The seconds a client is told to wait for `ms` milliseconds: rounded up, at least 1. */
int64_t lockout_retry_s(int64_t ms);

#endif
