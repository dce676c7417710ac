// staff-queue.test.ts - the staff member's queues (src/app/staff/queue.ts) against a fake
// adviced (staff-fake.ts): working days left with weekends and the calendar's closed days, the
// pure filter and sort, counts and category names from queue.settings, a deadline.changed
// event applied, new arrivals counted until acknowledged, duty set.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../../src/crypto/index';
import { Connection } from '../../src/app/net/connection';
import { countItems, createQueueController, helsinkiDate, selectItems, workingDaysLeft } from '../../src/app/staff/queue';
import type { QueueItem, QueueSnapshot } from '../../src/app/staff/contract';
import { countingBytes, FakeClock, fixedRandom, flush } from './net-fakes';
import { NOW, StaffServer, StaffWorld, WORKER_ID } from './staff-fake';

before(async () => {
  await c.ready();
});

const DAY = 86_400_000;
/** Monday 2026-02-02 10:00 Helsinki (08:00 UTC). */
const MONDAY = Date.UTC(2026, 1, 2, 8, 0);

test('working days: weekends and closed days do not count; overdue is negative', () => {
  assert.equal(helsinkiDate(MONDAY), '2026-02-02');
  assert.equal(workingDaysLeft(MONDAY + 2 * DAY, MONDAY, []), 2); // Wednesday
  assert.equal(workingDaysLeft(MONDAY + 7 * DAY, MONDAY, []), 5); // next Monday
  assert.equal(workingDaysLeft(MONDAY + 7 * DAY, MONDAY, ['2026-02-04']), 4);
  assert.equal(workingDaysLeft(MONDAY + 3600_000, MONDAY, []), 0); // due today
  assert.equal(workingDaysLeft(MONDAY - 3 * DAY, MONDAY, []), -1); // due Friday: Monday is one working day late
  assert.equal(workingDaysLeft(MONDAY - 7 * DAY, MONDAY, []), -5);
  // Helsinki's date, not UTC's: 23:30 UTC on Friday is already Saturday in Helsinki.
  assert.equal(helsinkiDate(Date.UTC(2026, 1, 6, 23, 30)), '2026-02-07');
});

function item(thread: string, over: Partial<QueueItem>): QueueItem {
  return { thread, unit: 'u', category: 'k', categoryName: 'K', state: 'new', assignee: null, assigneeName: null, mine: false, created: 0,
    updated: 0, unread: 0, deadline: null, escalated: false, ...over };
}

test('select filters by view, unit and category, and sorts; counts match the views', () => {
  const dl = (due: number, level: 'ok' | 'at_risk' | 'missed' = 'ok') => ({ kind: 'first_answer' as const, state: 'running' as const, level, due,
    warnAt: due, workingDaysLeft: 0 });
  const items = [
    item('1'.repeat(32), { created: 30, updated: 5, deadline: dl(300) }),
    item('2'.repeat(32), { created: 10, updated: 9, deadline: dl(100, 'at_risk'), escalated: true, unread: 2 }),
    item('3'.repeat(32), { state: 'waiting', mine: true, created: 20, unread: 1 }),
    item('4'.repeat(32), { state: 'closed', created: 5, unread: 7 }),
    item('5'.repeat(32), { state: 'claimed', mine: true, category: 'x', unit: 'v', created: 40 }),
  ];
  assert.deepEqual(selectItems(items, { view: 'new', sort: 'deadline' }).map((i) => i.thread[0]), ['2', '1']);
  assert.deepEqual(selectItems(items, { view: 'new', sort: 'oldest' }).map((i) => i.thread[0]), ['2', '1']);
  assert.deepEqual(selectItems(items, { view: 'all', sort: 'updated' }).map((i) => i.thread[0]), ['2', '1', '3', '5']);
  assert.deepEqual(selectItems(items, { view: 'mine', sort: 'oldest' }).map((i) => i.thread[0]), ['3', '5']);
  assert.deepEqual(selectItems(items, { view: 'mine', sort: 'oldest', unit: 'v' }).map((i) => i.thread[0]), ['5']);
  assert.deepEqual(selectItems(items, { view: 'all', sort: 'oldest', category: 'x' }).map((i) => i.thread[0]), ['5']);
  assert.deepEqual(selectItems(items, { view: 'closed', sort: 'oldest' }).map((i) => i.thread[0]), ['4']);
  assert.deepEqual(countItems(items), { new: 2, mine: 2, waiting: 1, escalated: 1, unread: 3 });
});

async function until(ctrl: { snapshot(): QueueSnapshot }, clock: FakeClock, ok: (s: QueueSnapshot) => boolean): Promise<QueueSnapshot> {
  for (let i = 0; i < 200; i++) {
    if (ok(ctrl.snapshot())) return ctrl.snapshot();
    await clock.advance(100);
  }
  assert.fail(`the queue did not reach the state: ${JSON.stringify(ctrl.snapshot().counts)}`);
}

test('the queue: items with names and working days, a deadline event, arrivals until acknowledged, duty', async () => {
  const w = new StaffWorld(), clock = new FakeClock(NOW);
  const server = new StaffServer(clock, w, WORKER_ID, 'worker');
  const due = NOW + 3 * DAY;
  const a = server.citizenOpen('Ensimmäinen', { created: NOW - DAY,
    deadline: { kind: 'first_answer', state: 'running', level: 'ok', due, warn_at: due - DAY } });
  const conn = new Connection({ socket: server.factory, clock, random: fixedRandom(0.5), randomBytes: countingBytes });
  conn.start();
  const ctrl = createQueueController(conn, w.session('worker'), { clock });
  let snap = await until(ctrl, clock, (s) => !s.loading && s.items.length === 1 && s.duty !== null);
  assert.equal(snap.items[0].categoryName, 'Aikuissosiaalityö');
  assert.equal(snap.items[0].deadline?.workingDaysLeft, workingDaysLeft(due, clock.now(), []));
  assert.equal(snap.counts.new, 1);
  assert.equal(snap.arrived, 0, 'what was there when the page opened has not arrived');
  assert.deepEqual(snap.categories, [{ category: 'adult-social-work', name: 'Aikuissosiaalityö', unit: w.unit }]);

  // The deadline becomes at risk: the event shows at once, escalated.
  server.broadcast({ event: 'deadline.changed', thread: a.thread, unit: w.unit, kind: 'first_answer', state: 'running', level: 'at_risk', due });
  snap = await until(ctrl, clock, (s) => s.items[0]?.escalated === true);
  assert.equal(snap.counts.escalated, 1);

  // A new thread arrives: counted until acknowledged.
  const b = server.citizenOpen('Toinen');
  server.touch(b);
  snap = await until(ctrl, clock, (s) => s.items.length === 2);
  assert.equal(snap.arrived, 1);
  ctrl.acknowledge();
  assert.equal(ctrl.snapshot().arrived, 0);

  await ctrl.setDuty('off', NOW + DAY);
  assert.deepEqual(ctrl.snapshot().duty, { mode: 'off', until: NOW + DAY, onDuty: false });
  assert.deepEqual(server.requests('duty.set').map((r) => [r.duty, r.until]), [['off', NOW + DAY]]);
  await ctrl.setDuty('roster');
  assert.equal(ctrl.snapshot().duty?.mode, 'roster');
  await flush();
  conn.stop();
});
