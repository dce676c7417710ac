// staff-notes.test.ts - what staff seal to the unit (src/app/staff/thread.ts, canned.ts) with the
// real encryption module against the fake adviced (staff-fake.ts): a note shown to the unit and
// never sent anywhere but note.add (every request the server got is searched for its text and
// its box), notes of other authors, threads or roots; the citizen's identity opened from its
// box, a box of another thread refused; canned answers saved, listed, changed and removed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../../src/crypto/index';
import { createCanned } from '../../src/app/staff/canned';
import { countingBytes, FakeClock, fixedRandom } from './net-fakes';
import { Connection } from '../../src/app/net/connection';
import { b64, NOW, StaffServer, StaffWorld, unb64, type StaffThreadRec } from './staff-fake';
import { settle, setupStaff, watchUntil } from './staff-setup';

before(async () => {
  await c.ready();
});

/** The server's identity box of t for unit A's generation 1 (as thread.open makes it). */
function identityBoxFor(w: StaffWorld, t: StaffThreadRec, threadId = c.sodium.from_hex(t.thread)): string {
  return b64(c.identityBoxSeal({ threadId, unitId: w.unitId, generation: 1 }, { name: 'Maija Meikäläinen', hetu: '010190-123A',
    verifiedAt: NOW - 60_000 }, w.unitKeys.boxPk));
}

/** A note of t sealed to unit A by `author` (scope: `scope`, default the thread). */
function noteBy(w: StaffWorld, t: StaffThreadRec, author: c.Keys, text: string, scope = c.sodium.from_hex(t.thread)): string {
  return b64(c.unitTextSeal({ kind: 1, unitId: w.unitId, generation: 1, scopeId: scope, created: BigInt(NOW) }, new TextEncoder().encode(text),
    w.unitKeys.boxPk, author));
}

test('a note is shown to the unit and goes nowhere but note.add; notes that do not verify are not shown', async () => {
  const s = setupStaff();
  const t = s.server.citizenOpen('Kysymys');
  const entry = (note: string, author: string, box: string) => ({ note, unit: s.w.unit, generation: 1, author, author_name: null,
    created: NOW, copy_of: null, box });
  t.notes.push(entry('1'.repeat(32), 'd'.repeat(32), noteBy(s.w, t, s.w.supervisor, 'Esihenkilön huomio')));
  t.notes.push(entry('2'.repeat(32), 'e'.repeat(32), noteBy(s.w, t, s.w.rogue, 'Väärän juuren huomio')));
  t.notes.push(entry('3'.repeat(32), 'd'.repeat(32), noteBy(s.w, t, s.w.supervisor, 'Toisen ketjun huomio', c.random(16))));
  await settle(s.clock, s.ctrl.claim(t.thread));
  const secret = 'Asiakas mainitsi velkajärjestelyn puhelimessa';
  await settle(s.clock, s.ctrl.addNote(t.thread, secret));
  await settle(s.clock, s.ctrl.answer(t.thread, { text: 'Kiitos, palaamme asiaan', files: [], asksMore: false }, () => undefined));
  const w = await watchUntil(s, t.thread, (x) => x.notes.length === 4 && x.messages.length === 2);
  assert.deepEqual(w.snap.notes.map((n) => [n.text, n.refused, n.me]), [['Esihenkilön huomio', false, false], [null, false, false],
    [null, true, false], [secret, false, true]]);
  w.close();

  const added = s.server.requests('note.add');
  assert.equal(added.length, 1);
  const box = added[0].note as string;
  for (const r of s.server.received) {
    if (r === added[0]) continue;
    const text = JSON.stringify(r);
    assert.ok(!text.includes(secret) && !text.includes(box), `the note is not in ${String(r.type)}`);
  }
  for (const f of s.server.frames) assert.ok(!Buffer.from(f).toString('latin1').includes(secret));
  // The answer as the citizen would open it carries only its own text.
  const tid = c.sodium.from_hex(t.thread), env = unb64(t.messages[1].body);
  const wrap = t.wraps.map(unb64).find((x) => c.equal(c.wrapParse(x).recipientKid, c.kid(s.w.identity.boxPk))) as Uint8Array;
  const key = c.wrapOpen(wrap, 1, tid, 0, s.w.identity, s.w.device.signPk).key;
  const plain = c.contentDecode(c.envelopeOpen(env, tid, c.threadMsgKey(key, tid, 0, t.share), s.w.worker.signPk).plain);
  assert.equal(plain.text, 'Kiitos, palaamme asiaan');
  s.conn.stop();
});

test("the citizen's identity opens from its box only when asked; a box of another thread is refused", async () => {
  const s = setupStaff();
  const t = s.server.citizenOpen('Kysymys');
  t.identityBoxes = [{ unit: s.w.unit, generation: 1, box: identityBoxFor(s.w, t) }];
  const quiet = await watchUntil(s, t.thread, (x) => x.messages.length > 0);
  await s.clock.advance(500);
  assert.equal(s.server.requests('thread.identity').length, 0, 'reading the identity is logged: not without asking');
  assert.equal(quiet.snap.identity.kind, 'loading');
  quiet.close();
  const w = await watchUntil(s, t.thread, (x) => x.identity.kind !== 'loading', { showIdentity: true });
  assert.deepEqual(w.snap.identity, { kind: 'ok', name: 'Maija Meikäläinen', hetu: '010190-123A', verifiedAt: NOW - 60_000 });
  w.close();
  const t2 = s.server.citizenOpen('Toinen');
  t2.identityBoxes = [{ unit: s.w.unit, generation: 1, box: identityBoxFor(s.w, t) }]; // t's box served as t2's
  const w2 = await watchUntil(s, t2.thread, (x) => x.identity.kind !== 'loading', { showIdentity: true });
  assert.deepEqual(w2.snap.identity, { kind: 'refused' });
  w2.close();
  const t3 = s.server.citizenOpen('Kolmas');
  const w3 = await watchUntil(s, t3.thread, (x) => x.identity.kind !== 'loading', { showIdentity: true });
  assert.deepEqual(w3.snap.identity, { kind: 'unavailable' });
  w3.close();
  s.conn.stop();
});

test('canned answers: saved sealed to the unit, listed, changed, removed; a box of another answer is not shown', async () => {
  const w = new StaffWorld(), clock = new FakeClock(NOW);
  const server = new StaffServer(clock, w, w.session('supervisor').userId, 'supervisor');
  const conn = new Connection({ socket: server.factory, clock, random: fixedRandom(0.5), randomBytes: countingBytes });
  conn.start();
  const canned = createCanned(conn, { crypto: c, rootKey: w.root.signPk }, w.session('supervisor'), { clock });
  const id = await settle(clock, canned.save(w.unit, { lang: 'sv', title: 'Hälsning', text: 'Tack för ditt meddelande.' }));
  assert.match(id, /^[0-9a-f]{32}$/);
  const put = server.requests('canned.put')[0];
  assert.ok(!JSON.stringify(put).includes('Tack'), 'only the sealed box goes to the server');
  let list = await settle(clock, canned.list(w.unit));
  assert.deepEqual(list.map((a) => [a.answer, a.lang, a.title, a.text]), [[id, 'sv', 'Hälsning', 'Tack för ditt meddelande.']]);
  await settle(clock, canned.save(w.unit, { answer: id, lang: 'sv', title: 'Hälsning', text: 'Tack!' }));
  list = await settle(clock, canned.list(w.unit));
  assert.deepEqual(list.map((a) => a.text), ['Tack!']);

  const other = c.sodium.to_hex(c.random(16));
  server.canned.push({ ...server.canned[0], answer: other }); // the same box served as another answer
  list = await settle(clock, canned.list(w.unit));
  assert.deepEqual(list.map((a) => a.answer), [id], 'a box of another answer is not shown');

  await settle(clock, canned.remove(w.unit, id));
  list = await settle(clock, canned.list(w.unit));
  assert.deepEqual(list.map((a) => a.answer), []);
  conn.stop();
});

test('a canned answer sealed to an older generation is read while held; saving it again seals it to the current one', async () => {
  const w = new StaffWorld(), clock = new FakeClock(NOW);
  const server = new StaffServer(clock, w, w.session('supervisor').userId, 'supervisor');
  const conn = new Connection({ socket: server.factory, clock, random: fixedRandom(0.5), randomBytes: countingBytes });
  conn.start();
  const canned = createCanned(conn, { crypto: c, rootKey: w.root.signPk }, w.session('supervisor'), { clock });
  const id = await settle(clock, canned.save(w.unit, { lang: 'fi', title: 'Tervehdys', text: 'Kiitos viestistä.' }));
  w.rotate(NOW + 1000);
  const list = await settle(clock, canned.list(w.unit));
  assert.deepEqual(list.map((a) => a.text), ['Kiitos viestistä.']);
  await settle(clock, canned.save(w.unit, { answer: id, lang: 'fi', title: 'Tervehdys', text: 'Kiitos viestistä!' }));
  const boxes = server.requests('canned.put').map((r) => c.unitTextParse(unb64(r.box as string)).generation);
  assert.deepEqual(boxes, [1, 2]);
  conn.stop();
});
