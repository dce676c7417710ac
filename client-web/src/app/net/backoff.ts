// backoff.ts - when to try the next connection: exponential backoff with full jitter (a random
// delay between 0 and min(cap, base * 2^attempt)), so that many clients dropped at once by a
// restart do not all come back at the same moment.

export interface BackoffPolicy {
  /** The bound of the first retry's delay, ms. */
  baseMs: number;
  /** No delay is longer than this, ms. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/** The upper bound of the delay before retry number `attempt` (0 for the first retry). */
export function backoffCeiling(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(0, Math.min(attempt, 30)); // 2^30 * base is past any cap
  return Math.min(policy.capMs, policy.baseMs * 2 ** n);
}

/**
 * The delay before retry number `attempt`: uniformly random in [0, ceiling), `random` giving a
 * number in [0, 1) (Math.random by default; tests pass their own).
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random): number {
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
  return Math.floor(unit * backoffCeiling(attempt, policy));
}
