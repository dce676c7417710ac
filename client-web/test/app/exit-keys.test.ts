// exit-keys.test.ts - the Shift×3 shortcut of "Exit this page" (src/app/exit-keys.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shiftPress, SHIFT_START, SHIFT_WINDOW_MS, type ShiftState } from '../../src/app/exit-keys';

/** Feeds [key, repeat, time] presses; the press numbers (from 1) on which it said exit. */
function run(presses: [string, boolean, number][]): { exits: number[]; last: ShiftState } {
  let s: ShiftState = SHIFT_START;
  const exits: number[] = [];
  presses.forEach(([key, repeat, now], i) => {
    const next = shiftPress(s, key, repeat, now);
    if (next.exit) exits.push(i + 1);
    s = { count: next.count, last: next.last };
  });
  return { exits, last: s };
}

test('three Shift presses in quick succession exit, and the count starts again', () => {
  assert.deepEqual(run([['Shift', false, 1000], ['Shift', false, 1500], ['Shift', false, 2000]]).exits, [3]);
  const six = run([1, 2, 3, 4, 5, 6].map((i) => ['Shift', false, i * 100] as [string, boolean, number]));
  assert.deepEqual(six.exits, [3, 6]);
});

test('two presses are counted, not acted on', () => {
  const r = run([['Shift', false, 1000], ['Shift', false, 1200]]);
  assert.deepEqual(r.exits, []);
  assert.equal(r.last.count, 2);
});

test('a held Shift counts once', () => {
  assert.deepEqual(run([['Shift', false, 0], ['Shift', true, 30], ['Shift', true, 60], ['Shift', false, 500]]).exits, []);
});

test('another key between the presses starts again', () => {
  assert.deepEqual(run([['Shift', false, 0], ['Shift', false, 100], ['a', false, 150], ['Shift', false, 200]]).exits, []);
  assert.equal(run([['Shift', false, 0], ['A', false, 10]]).last.count, 0);
});

test('a press later than the window starts a new run', () => {
  const slow = run([['Shift', false, 0], ['Shift', false, SHIFT_WINDOW_MS + 1], ['Shift', false, SHIFT_WINDOW_MS + 2]]);
  assert.deepEqual(slow.exits, []);
  assert.equal(slow.last.count, 2);
  const inTime = run([['Shift', false, 0], ['Shift', false, SHIFT_WINDOW_MS], ['Shift', false, 2 * SHIFT_WINDOW_MS]]);
  assert.deepEqual(inTime.exits, [3]);
});
