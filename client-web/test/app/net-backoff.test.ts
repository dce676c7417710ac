// net-backoff.test.ts - the reconnection delays: exponential ceilings up to the cap, full jitter
// within [0, ceiling), and bad random values kept in range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffCeiling, backoffDelay, DEFAULT_BACKOFF } from '../../src/app/net/backoff';

test('the ceiling doubles from the base and stops at the cap', () => {
  const p = { baseMs: 500, capMs: 30_000 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffCeiling(a, p)), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(backoffCeiling(1e9, p), 30_000);
  assert.equal(backoffCeiling(-3, p), 500);
});

test('full jitter: every delay is within [0, ceiling), and spread over it', () => {
  let seed = 42;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = backoffCeiling(attempt);
    const delays = Array.from({ length: 400 }, () => backoffDelay(attempt, DEFAULT_BACKOFF, rnd));
    for (const d of delays) assert.ok(d >= 0 && d < ceiling, `attempt ${attempt}: ${d} not in [0, ${ceiling})`);
    // spread: some in the lowest and some in the highest quarter
    assert.ok(delays.some((d) => d < ceiling / 4) && delays.some((d) => d >= (3 * ceiling) / 4), `attempt ${attempt} not spread`);
  }
});

test('the extremes of the random source', () => {
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0), 0);
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0.999999), 3999);
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => NaN), 0);
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 7), 3999);
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => -1), 0);
});
