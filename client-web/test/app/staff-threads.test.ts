// staff-threads.test.ts - threads as staff work on them (src/app/staff/thread.ts) with the real
// encryption module against a fake adviced (staff-fake.ts): the citizen's message and a
// colleague's answer decrypted with their senders verified, a forged staff sender refused and a
// withheld message shown as a gap; claim and an answer with an attachment that the unit's key
// opens (ask for more: await_reply); presence refreshed and left, the collision guard; a wrap of
// another thread opens nothing; the thread gone once moved to another unit.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../../src/crypto/index';
import type { StaffThreadSnapshot } from '../../src/app/staff/contract';
import { createStaffThreads } from '../../src/app/staff/thread';
import { PRESENCE_REFRESH_MS } from '../../src/app/staff/thread-watch';
import { staffEnvelope } from './citizen-threads-fake';
import { flush } from './net-fakes';
import { CATEGORY_B, NOW, OTHER_ID, StaffWorld, unb64, WORKER_ID, type StaffThreadRec } from './staff-fake';
import { settle, setupStaff, watchUntil } from './staff-setup';

before(async () => {
  await c.ready();
});

/** The unit opens message `seq` of t with its key of `epoch`. */
function unitReads(w: StaffWorld, t: StaffThreadRec, seq: number, signerPk: Uint8Array): { text: string; files: c.FileRef[] } {
  const tid = c.sodium.from_hex(t.thread), env = unb64(t.messages[seq - 1].body), epoch = c.envelopeParse(env).epoch;
  const unitKid = c.kid(w.unitKeys.boxPk);
  const wrap = t.wraps.map(unb64).find((x) => { const i = c.wrapParse(x); return i.epoch === epoch && c.equal(i.recipientKid, unitKid); });
  assert.ok(wrap !== undefined, 'a wrap of the epoch to the unit');
  const info = c.wrapParse(wrap);
  const signer = [w.device, w.worker, w.supervisor].find((k) => c.equal(c.kid(k.signPk), info.signerKid)) as c.Keys;
  const key = c.wrapOpen(wrap, 1, tid, epoch, w.unitKeys, signer.signPk).key;
  return c.contentDecode(c.envelopeOpen(env, tid, c.threadMsgKey(key, tid, epoch, t.share), signerPk).plain);
}

function png(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  return b;
}

test('senders verified: the citizen and a certified colleague shown, a forged staff key refused, a withheld message a gap', async () => {
  const s = setupStaff();
  const t = s.server.citizenOpen('Tarvitsen apua toimeentulotuessa');
  const first = staffEnvelope(s.w, t, s.w.worker, 'Vastaus');
  s.server.append(t, 'worker', first);
  s.server.append(t, 'worker', staffEnvelope(s.w, t, s.w.rogue, 'Väärennetty'));
  const w = await watchUntil(s, t.thread, (x) => x.messages.length + x.unreadable.length === 3);
  assert.deepEqual(w.snap.messages.map((m) => [m.seq, m.from, m.text, m.me]), [[1, 'citizen', 'Tarvitsen apua toimeentulotuessa', false],
    [2, 'staff', 'Vastaus', true]]);
  assert.deepEqual(w.snap.unreadable.map((u) => [u.seq, u.reason]), [[3, 'untrusted_sender']]);
  assert.equal(w.snap.locked, false);
  assert.equal(w.snap.newIdentitySince, NOW, 'the citizen has an identity first seen after the thread\'s');
  w.close();

  // A message withheld: the next one is shown marked as a gap and the thread is not complete.
  const t2 = s.server.citizenOpen('Toinen kysymys');
  const hidden = staffEnvelope(s.w, t2, s.w.worker, 'piilotettu');
  const after = staffEnvelope(s.w, t2, s.w.worker, 'seuraava', [], { seq: 2n, prev: c.hash(unb64(hidden)) });
  s.server.append(t2, 'worker', after);
  const w2 = await watchUntil(s, t2.thread, (x) => x.messages.length === 2);
  assert.equal(w2.snap.messages[1].mark, 'gap');
  assert.equal(w2.snap.complete, false);
  w2.close();
  s.conn.stop();
});

test('claim, then an answer with an attachment that asks for more: sealed for the unit, uploaded as the assignee', async () => {
  const s = setupStaff();
  const t = s.server.citizenOpen('Kysymys');
  await settle(s.clock, s.ctrl.claim(t.thread));
  assert.equal(t.assignee, WORKER_ID);
  await assert.rejects(settle(s.clock, s.ctrl.claim(t.thread)), (e: { code?: string }) => e.code === 'taken');
  const picture = png(70_000);
  const progress: string[] = [];
  await settle(s.clock, s.ctrl.answer(t.thread, { text: 'Lähetä vielä päätös', files: [{ name: 'kuva.png', bytes: picture }], asksMore: true },
    (p) => progress.push(p.state)));
  assert.ok(progress.includes('done'));
  const send = s.server.requests('message.send')[0];
  assert.equal(send.await_reply, true);
  assert.equal(t.state, 'waiting');
  const got = unitReads(s.w, t, 2, s.w.worker.signPk);
  assert.equal(got.text, 'Lähetä vielä päätös');
  assert.equal(got.files.length, 1);
  assert.equal(s.server.requests('file.begin')[0].size, 71680, 'the padded size, never the real one');
  const w = await watchUntil(s, t.thread, (x) => x.messages.length === 2);
  assert.equal(w.snap.messages[1].asksMore, true);
  assert.equal(w.snap.mine, true);
  const blob = await settle(s.clock, s.ctrl.download(t.thread, w.snap.messages[1].files[0]));
  assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), picture);
  w.close();

  s.ctrl.setDraft(t.thread, 'luonnos');
  assert.equal(s.ctrl.draft(t.thread), 'luonnos');
  await settle(s.clock, s.ctrl.close(t.thread));
  assert.equal(t.state, 'closed');
  s.conn.stop();
});

test('presence: viewing, refreshed every 20 s, writing, left on close; the collision guard refuses unless forced', async () => {
  const s = setupStaff();
  const t = s.server.citizenOpen('Kysymys');
  t.viewers = [{ user: OTHER_ID, name: { name: 'Pekka', title: null }, state: 'writing', since: NOW }];
  const w = await watchUntil(s, t.thread, (x) => x.viewers.length === 1);
  assert.deepEqual(w.snap.viewers.map((v) => [v.user, v.state]), [[OTHER_ID, 'writing']]);
  const states = (): unknown[] => s.server.requests('thread.presence').map((r) => r.state);
  const before = states().length;
  await s.clock.advance(PRESENCE_REFRESH_MS);
  assert.ok(states().length > before, 'refreshed');
  w.setWriting(true);
  await flush();
  assert.equal(states()[states().length - 1], 'writing');

  await assert.rejects(settle(s.clock, s.ctrl.claim(t.thread)), (e: { code?: string }) => e.code === 'others_writing');
  assert.equal(s.server.requests('thread.claim').length, 0, 'nothing claimed');
  await settle(s.clock, s.ctrl.claim(t.thread, true));
  assert.equal(t.assignee, WORKER_ID);

  // Another staff member's presence event replaces the list; the caller is never among them.
  s.server.broadcast({ event: 'thread.presence', thread: t.thread, unit: s.w.unit, viewers: [
    { user: WORKER_ID, name: null, state: 'writing', since: NOW }] });
  await flush();
  w.close();
  await flush();
  assert.equal(states()[states().length - 1], 'left');
  const n = states().length;
  await s.clock.advance(3 * PRESENCE_REFRESH_MS);
  assert.equal(states().length, n, 'no refresh after close');
  s.conn.stop();
});

test('hostile server: a wrap of another thread opens nothing (locked); a thread moved to another unit is gone', async () => {
  const s = setupStaff();
  const t = s.server.citizenOpen('Kysymys');
  const other = s.server.citizenOpen('Toinen');
  t.wraps = other.wraps.slice(); // the unit's wrap of another thread, served as this one's
  const w = await watchUntil(s, t.thread, (x) => x.unreadable.length === 1);
  assert.equal(w.snap.locked, true);
  assert.equal(w.snap.unreadable[0].reason, 'no_key');
  assert.equal(w.snap.messages.length, 0);
  w.close();

  const watch = s.ctrl.watch(other.thread);
  const poll = async (ok: (x: StaffThreadSnapshot) => boolean): Promise<StaffThreadSnapshot> => {
    for (let i = 0; i < 100; i++) {
      const x = watch.snapshot();
      if (x !== null && ok(x)) return x;
      await s.clock.advance(100);
    }
    assert.fail('the thread did not reach the state');
  };
  await poll((x) => x.messages.length === 1);
  other.unit = s.w.unitB;
  other.category = CATEGORY_B;
  s.server.touch(other);
  const gone = await poll((x) => x.gone);
  assert.equal(gone.messages.length, 0, 'nothing of a gone thread is shown');
  watch.close();
  s.conn.stop();
});

test('an answer after the unit key rotated re-keys first: a new epoch for the current generation and the citizen, signed by the worker', async () => {
  const s = setupStaff();
  const t = s.server.citizenOpen('Kysymys');
  await settle(s.clock, s.ctrl.claim(t.thread));
  s.w.rotate(NOW + 1000); // a member left after the thread was opened
  await s.clock.advance(2000);
  await settle(s.clock, s.ctrl.answer(t.thread, { text: 'Vastaus uudella avaimella', files: [], asksMore: false }, () => undefined));
  const order = s.server.received.map((r) => r.type).filter((x) => x === 'thread.rekey' || x === 'message.send');
  assert.deepEqual(order, ['thread.rekey', 'message.send']);
  assert.equal(t.epoch, 1);
  const ev = c.epochEventVerify(unb64(t.epochs[0]), c.sodium.from_hex(t.thread), s.w.worker.signPk, null);
  assert.deepEqual(ev.recipients.map((k) => c.sodium.to_hex(k)), [c.kid(s.w.current.boxPk), c.kid(s.w.identity.boxPk)].map((k) => c.sodium.to_hex(k)));
  assert.equal(c.envelopeParse(unb64(t.messages[1].body)).epoch, 1);
  s.conn.stop();
});

test('while the app is locked (no keys in memory) a note or an answer is refused and nothing is sent', async () => {
  const w = new StaffWorld();
  const s = setupStaff('worker', w);
  const locked = { ...w.session('worker'), keys: () => null };
  const ctrl = createStaffThreads(s.conn, { crypto: c, rootKey: w.root.signPk }, locked, { clock: s.clock });
  const t = s.server.citizenOpen('Kysymys');
  await assert.rejects(settle(s.clock, ctrl.addNote(t.thread, 'muistiinpano')), (e: { code?: string }) => e.code === 'locked');
  t.assignee = WORKER_ID;
  t.state = 'claimed';
  await assert.rejects(settle(s.clock, ctrl.answer(t.thread, { text: 'vastaus', files: [], asksMore: false }, () => undefined)));
  assert.equal(s.server.requests('note.add').length + s.server.requests('message.send').length, 0);
  s.conn.stop();
});
