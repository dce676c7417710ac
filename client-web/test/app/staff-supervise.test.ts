// staff-supervise.test.ts - the supervisor's tools (src/app/staff/supervise.ts) with the real
// encryption module against the fake adviced (staff-fake.ts): the dashboard; a move to another
// unit that re-keys (a new epoch the target unit and the citizen open), re-seals the identity
// box and copies the notes for the target before thread.reassign, in that order; a move within
// the unit that is only thread.reassign; a reason required; a refusal mapped to its code.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../../src/crypto/index';
import { createSupervise } from '../../src/app/staff/supervise';
import { b64, CATEGORY_B, NOW, unb64, WORKER_ID } from './staff-fake';
import { settle, setupStaff } from './staff-setup';

before(async () => {
  await c.ready();
});

test('a move to another unit: rekey, note copies, then reassign with the identity re-sealed; the target opens all of it', async () => {
  const s = setupStaff('supervisor');
  const sup = createSupervise(s.conn, { crypto: c, rootKey: s.w.root.signPk }, s.w.session('supervisor'), { clock: s.clock, threads: s.ctrl });
  for (let i = 0; i < 50 && sup.dashboards().length === 0; i++) await s.clock.advance(100);
  assert.deepEqual(sup.dashboards().map((d) => [d.name, d.queues[0].name, d.queues[0].waiting, d.workers[0].name?.name]),
    [['Aikuissosiaalityö', 'Aikuissosiaalityö', 2, 'Anna Virtanen']]);

  const t = s.server.citizenOpen('Perheasia');
  const tid = c.sodium.from_hex(t.thread);
  t.identityBoxes = [{ unit: s.w.unit, generation: 1, box: b64(c.identityBoxSeal({ threadId: tid, unitId: s.w.unitId, generation: 1 },
    { name: 'Maija Meikäläinen', hetu: '010190-123A', verifiedAt: NOW - 1000 }, s.w.unitKeys.boxPk)) }];
  t.notes.push({ note: '1'.repeat(32), unit: s.w.unit, generation: 1, author: WORKER_ID, author_name: null, created: NOW, copy_of: null,
    box: b64(c.unitTextSeal({ kind: 1, unitId: s.w.unitId, generation: 1, scopeId: tid, created: BigInt(NOW) },
      new TextEncoder().encode('Lapsiperheen asia'), s.w.unitKeys.boxPk, s.w.worker)) });

  await assert.rejects(settle(s.clock, sup.reassign(t.thread, { toCategory: CATEGORY_B, reason: '  ' })),
    (e: { code?: string }) => e.code === 'no_reason');
  await settle(s.clock, sup.reassign(t.thread, { toCategory: CATEGORY_B, reason: 'Kuuluu perhepalveluille' }));

  const writes = s.server.received.filter((r) => ['thread.rekey', 'note.add', 'thread.reassign', 'wrap.put'].includes(r.type as string));
  assert.deepEqual(writes.map((r) => r.type), ['wrap.put', 'thread.rekey', 'note.add', 'thread.reassign']);
  assert.equal(t.unit, s.w.unitB);
  // The new epoch: its event names unit B's generation and the citizen; both open their wrap.
  assert.equal(t.epoch, 1);
  const ev = c.epochEventVerify(unb64(t.epochs[0]), tid, s.w.supervisor.signPk, null);
  assert.equal(ev.reason, 2);
  assert.deepEqual(ev.recipients.map((k) => c.sodium.to_hex(k)).sort(),
    [c.kid(s.w.unitKeysB.boxPk), c.kid(s.w.identity.boxPk)].map((k) => c.sodium.to_hex(k)).sort());
  const wrapTo = (pk: Uint8Array): Uint8Array => t.wraps.map(unb64).find((x) => {
    const i = c.wrapParse(x);
    return i.epoch === 1 && c.equal(i.recipientKid, c.kid(pk));
  }) as Uint8Array;
  const kB = c.wrapOpen(wrapTo(s.w.unitKeysB.boxPk), 1, tid, 1, s.w.unitKeysB, s.w.supervisor.signPk).key;
  const kC = c.wrapOpen(wrapTo(s.w.identity.boxPk), 1, tid, 1, s.w.identity, s.w.supervisor.signPk).key;
  assert.deepEqual(kB, kC);
  // Epoch 0 wrapped to unit B before the move: unit B reads what was written before it.
  const k0 = c.wrapOpen(t.wraps.map(unb64).find((x) => {
    const i = c.wrapParse(x);
    return i.epoch === 0 && c.equal(i.recipientKid, c.kid(s.w.unitKeysB.boxPk));
  }) as Uint8Array, 1, tid, 0, s.w.unitKeysB, s.w.supervisor.signPk).key;
  assert.equal(k0.length, 32);
  // The identity box for unit B, and the note copied for unit B (copy_of the original).
  const reassign = writes[3];
  assert.equal(reassign.reason, 'Kuuluu perhepalveluille');
  assert.equal(reassign.to_category, CATEGORY_B);
  const id = c.identityBoxOpen(unb64(reassign.identity as string), { threadId: tid, unitId: s.w.unitIdB }, s.w.unitKeysB);
  assert.equal(id.hetu, '010190-123A');
  const copy = writes[2];
  assert.equal(copy.copy_of, '1'.repeat(32));
  const text = c.unitTextOpen(unb64(copy.note as string), { kind: 1, unitId: s.w.unitIdB, scopeId: tid }, s.w.unitKeysB, s.w.supervisor.signPk);
  assert.equal(new TextDecoder().decode(text), 'Lapsiperheen asia');
  s.conn.stop();
});

test('a move to a worker of the same unit is only thread.reassign; a refusal comes back as its code', async () => {
  const s = setupStaff('supervisor');
  const sup = createSupervise(s.conn, { crypto: c, rootKey: s.w.root.signPk }, s.w.session('supervisor'), { clock: s.clock });
  const t = s.server.citizenOpen('Kysymys');
  await settle(s.clock, sup.reassign(t.thread, { toUser: WORKER_ID, reason: 'Tuttu asiakas' }));
  assert.deepEqual(s.server.received.filter((r) => ['thread.rekey', 'note.add', 'thread.reassign'].includes(r.type as string))
    .map((r) => [r.type, r.to_user, r.identity]), [['thread.reassign', WORKER_ID, undefined]]);
  assert.equal(t.assignee, WORKER_ID);
  s.server.refuseNext.set('thread.reassign', 'forbidden');
  await assert.rejects(settle(s.clock, sup.reassign(t.thread, { toUser: WORKER_ID, reason: 'Uudelleen' })),
    (e: { code?: string }) => e.code === 'forbidden');
  s.server.refuseNext.set('thread.release', 'conflict');
  await assert.rejects(settle(s.clock, sup.release(t.thread, 'Lomalle')), (e: { code?: string }) => e.code === 'closed');
  await settle(s.clock, sup.release(t.thread, 'Lomalle'));
  assert.equal(t.state, 'new');
  const targets = await settle(s.clock, sup.targets());
  assert.deepEqual(targets.map((x) => [x.category, x.unit]), [['adult-social-work', s.w.unit], [CATEGORY_B, s.w.unitB]]);
  s.conn.stop();
});

test('roster, closed days and the access log: sent and read back in the contract\'s shape', async () => {
  const s = setupStaff('supervisor');
  const sup = createSupervise(s.conn, { crypto: c, rootKey: s.w.root.signPk }, s.w.session('supervisor'), { clock: s.clock });
  await settle(s.clock, sup.setRoster(s.w.unit, [{ user: WORKER_ID, days: ['mon', 'tue'], start: '08:00', end: '16:00', onHolidays: false }]));
  assert.deepEqual(s.server.requests('roster.set')[0].shifts, [{ user: WORKER_ID, days: ['mon', 'tue'], start: '08:00', end: '16:00',
    on_holidays: false }]);
  await settle(s.clock, sup.setClosedDays(s.w.unit, [{ date: '2026-12-28', note: 'Koulutus' }], []));
  const r = await settle(s.clock, sup.roster(s.w.unit));
  assert.deepEqual(r.shifts.map((x) => [x.user, x.days, x.onHolidays]), [[WORKER_ID, ['mon', 'tue'], false]]);
  assert.deepEqual(r.closedDays, [{ date: '2026-12-28', note: 'Koulutus' }]);
  assert.deepEqual(r.members.map((m) => m.user), [WORKER_ID]);
  const page = await settle(s.clock, sup.audit({ user: WORKER_ID, client: 'p-1234' }));
  assert.deepEqual(s.server.requests('audit.query').map((q) => [q.user, q.client]), [[WORKER_ID, 'p-1234']]);
  assert.deepEqual(page.chain, { state: 'broken', checked: 7, firstBroken: 3 });
  assert.equal(page.more, true);
  assert.equal(page.rows[0].action, 'thread.read');
  s.conn.stop();
});
