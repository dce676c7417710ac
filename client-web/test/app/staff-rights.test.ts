// staff-rights.test.ts - corrections, rights decisions and restricted threads in the staff app
// (src/app/staff/correct.ts, rights.ts, restrict.ts) with the real encryption module against the
// fake adviced (staff-fake.ts): a correction sent with `corrects` and paired on reading, one
// whose signed ref disagrees with the server's `corrects` flagged, a correction signed by the
// citizen refused as untrusted senders are; a refusal without a reason blocked before sending,
// a decision sealed as content kind 3; a restricted thread refused, then read for a legal claim
// with the purpose and reason on every read; a thread restricted while open showing no content
// and reading no identity until read for a legal claim; the deadline flags.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../../src/crypto/index';
import { content2Encode, contentAnyDecode, KIND_CORRECTION, KIND_RIGHTS_REQUEST } from '../../src/app/staff/content2';
import { createRights, dueFlag, rightsRequestOf } from '../../src/app/staff/rights';
import type { RightsRequest } from '../../src/app/staff/contract';
import { unitThreadKey } from './citizen-threads-fake';
import { NOW, unb64, b64, type StaffThreadRec, type StaffWorld } from './staff-fake';
import { settle, setupStaff, watchUntil } from './staff-setup';

before(async () => {
  await c.ready();
});

const hex = (b: Uint8Array): string => c.sodium.to_hex(b);

/** An envelope of `plain` by `signer` after the thread's last message; returns it and its message id. */
function sealed(w: StaffWorld, t: StaffThreadRec, signer: c.Keys, plain: Uint8Array): { body: string; id: string } {
  const tid = c.sodium.from_hex(t.thread), key = c.threadMsgKey(unitThreadKey(w, t), tid, 0, t.share);
  const mine = t.messages.filter((m) => c.equal(c.envelopeParse(unb64(m.body)).senderKid as Uint8Array, c.kid(signer.signPk))).length;
  const last = t.messages[t.messages.length - 1], messageId = c.random(16);
  const body = b64(c.envelopeSeal({ threadId: tid, messageId, epoch: 0, senderSeq: BigInt(mine + 1), prevHash: c.hash(unb64(last.body)),
    createdAt: BigInt(NOW), nonce: c.random(24) }, key, plain, signer));
  return { body, id: hex(messageId) };
}

const idOf = (t: StaffThreadRec, seq: number): string => hex(c.envelopeParse(unb64(t.messages[seq - 1].body)).messageId);

test('a correction: sent with corrects as content kind 1, paired on reading; a ref the server contradicts flagged', async () => {
  const s = setupStaff();
  const t = s.server.citizenOpen('Kysymys');
  await settle(s.clock, s.ctrl.claim(t.thread));
  const w = await watchUntil(s, t.thread, (x) => x.messages.length === 1);
  await settle(s.clock, s.ctrl.answer(t.thread, { text: 'Tuki on 500 euroa.', files: [], asksMore: false }, () => undefined));
  const wrongId = idOf(t, 2);
  await assert.rejects(s.ctrl.correct!(t.thread, { target: wrongId, text: 'Tuki on 550 euroa.', reason: ' ' }),
    (e: { code?: string }) => e.code === 'reason', 'a correction needs a reason');
  await settle(s.clock, s.ctrl.correct!(t.thread, { target: wrongId, text: 'Tuki on 550 euroa.', reason: 'Laskuvirhe' }));
  const send = s.server.requests('message.send').at(-1)!;
  assert.equal(send.corrects, wrongId);
  w.close();

  const r = await watchUntil(s, t.thread, (x) => x.messages.length === 3);
  const [, wrong, fix] = r.snap.messages;
  assert.deepEqual(wrong.correctedBy, [3], 'the wrong entry knows its correction');
  assert.equal(wrong.text, 'Tuki on 500 euroa.', 'the wrong entry stays readable');
  assert.deepEqual(fix.content, { kind: 'correction', ref: wrongId, reason: 'Laskuvirhe', target: 2, mismatch: false });
  assert.equal(fix.text, 'Tuki on 550 euroa.');
  r.close();

  // The server names another message than the signed ref: flagged, the signed ref wins.
  t.messages[2].corrects = idOf(t, 1);
  const s2 = setupStaff('worker', s.w);
  s2.server.threads.set(t.thread, t);
  const r2 = await watchUntil(s2, t.thread, (x) => x.messages.length === 3);
  assert.equal(r2.snap.messages[2].content?.kind === 'correction' && r2.snap.messages[2].content.mismatch, true);
  assert.deepEqual(r2.snap.messages[1].correctedBy, [3]);
  r2.close();
  s.conn.stop();
  s2.conn.stop();
});

test('a correction or decision signed by the citizen is refused as an untrusted sender; the request is the citizen\'s', async () => {
  const s = setupStaff();
  const t = s.server.citizenOpen('Kysymys');
  const ans = sealed(s.w, t, s.w.worker, c.contentEncode([], 'Vastaus'));
  s.server.append(t, 'worker', ans.body);
  const forged = sealed(s.w, t, s.w.device, content2Encode(c, KIND_CORRECTION, ans.id, 'väärennetty', [], 'Toinen vastaus'));
  s.server.append(t, 'citizen', forged.body);
  t.messages[2].corrects = ans.id;
  const ask = sealed(s.w, t, s.w.device, content2Encode(c, KIND_RIGHTS_REQUEST, null, '', [], 'Pyydän korjaamaan viestin.'));
  s.server.append(t, 'citizen', ask.body);
  const w = await watchUntil(s, t.thread, (x) => x.messages.length + x.unreadable.length === 4);
  assert.deepEqual(w.snap.unreadable.map((u) => [u.seq, u.reason]), [[3, 'untrusted_sender']]);
  assert.equal(w.snap.messages.find((m) => m.seq === 2)?.correctedBy, undefined, 'the forged correction pairs with nothing');
  assert.deepEqual(w.snap.messages.find((m) => m.seq === 4)?.content, { kind: 'rights_request' });
  assert.ok(!w.snap.messages.some((m) => m.text === 'Toinen vastaus'), 'the forged text is never shown');
  w.close();
  s.conn.stop();
});

test('decisions: a refusal without a reason is blocked, an extension only once, the reason sealed as kind 3', async () => {
  const s = setupStaff('supervisor');
  const t = s.server.citizenOpen('Kysymys');
  const ask = sealed(s.w, t, s.w.device, content2Encode(c, KIND_RIGHTS_REQUEST, null, '', [], 'Rajoittakaa käsittelyä.'));
  s.server.append(t, 'citizen', ask.body);
  const row = { id: 'a'.repeat(32), thread: t.thread, unit: s.w.unit, kind: 'restriction', state: 'open', made: NOW - 20 * 86400_000,
    due: NOW + 3 * 86400_000, decided: null, decided_by: null, message: ask.id, decision_message: null };
  s.server.rights.push(row, { id: 'bad' }, { ...row, id: 'b'.repeat(32), state: 'extended', due: NOW + 40 * 86400_000 });
  const rights = createRights(s.conn, { crypto: c, rootKey: s.w.root.signPk }, { threads: s.ctrl });
  const list = await settle(s.clock, rights.list());
  assert.equal(list.length, 2, 'a row that does not parse is dropped');
  assert.deepEqual(list.map((r) => dueFlag(r, NOW)), ['soon', null]);
  await assert.rejects(rights.decide(list[0], 'refused', '  '), (e: { code?: string }) => e.code === 'reason');
  await assert.rejects(rights.decide(list[1], 'extended', ''), (e: { code?: string }) => e.code === 'extend_once');
  assert.equal(s.server.requests('rights.decide').length, 0, 'nothing sent');
  await settle(s.clock, rights.decide(list[0], 'refused', 'Käsittely on tarpeen oikeudellisen vaateen vuoksi.'));
  const sent = s.server.requests('rights.decide')[0];
  assert.equal(sent.request, row.id);
  assert.equal(sent.outcome, 'refused');
  const tid = c.sodium.from_hex(t.thread), env = unb64(sent.body as string);
  const plain = c.envelopeOpen(env, tid, c.threadMsgKey(unitThreadKey(s.w, t), tid, 0, t.share), s.w.supervisor.signPk).plain;
  const content = contentAnyDecode(c, plain);
  assert.deepEqual([content.kind, content.ref, content.note], [3, ask.id, 'Käsittely on tarpeen oikeudellisen vaateen vuoksi.']);
  s.conn.stop();
});

test('a restricted thread: refused without a purpose, then every read for a legal claim carries the purpose and reason', async () => {
  const s = setupStaff();
  const t = s.server.citizenOpen('Kysymys');
  t.restricted = true;
  const w = await watchUntil(s, t.thread, (x) => x.restricted === true && x.locked);
  assert.equal(w.snap.messages.length, 0, 'nothing read');
  await assert.rejects(s.ctrl.readForClaim!(t.thread, ' '), (e: { code?: string }) => e.code === 'reason');
  await assert.rejects(s.ctrl.readForClaim!(t.thread, 'x'.repeat(501)), (e: { code?: string }) => e.code === 'reason');
  const before = s.server.received.length;
  await settle(s.clock, s.ctrl.readForClaim!(t.thread, 'Valitus hallinto-oikeuteen'));
  const r = await watchUntil(s, t.thread, (x) => x.messages.length === 1 && x.legalClaim === 'Valitus hallinto-oikeuteen');
  assert.equal(r.snap.messages[0].text, 'Kysymys');
  const reads = s.server.received.slice(before).filter((q) => ['thread.read', 'thread.keys', 'note.list', 'thread.identity', 'file.get'].includes(q.type as string));
  assert.ok(reads.some((q) => q.type === 'thread.read') && reads.some((q) => q.type === 'thread.keys') && reads.some((q) => q.type === 'note.list'));
  for (const q of reads) assert.deepEqual([q.type, q.purpose, q.reason], [q.type, 'legal_claim', 'Valitus hallinto-oikeuteen']);
  await assert.rejects(settle(s.clock, s.ctrl.correct!(t.thread, { target: 'c'.repeat(32), text: 'x', reason: 'y' })));
  r.close();
  w.close();
  s.conn.stop();
});

test('a thread restricted while open: its content, notes and identity go at once; no identity read until a legal-claim read', async () => {
  const s = setupStaff('supervisor');
  const t = s.server.citizenOpen('Kysymys');
  const w = await watchUntil(s, t.thread, (x) => x.messages.length === 1 && x.restricted !== true);
  // A granted restriction (rights.decide): the server restricts the thread and tells its watchers.
  t.restricted = true;
  s.server.touch(t);
  const r = await watchUntil(s, t.thread, (x) => x.restricted === true);
  assert.equal(r.snap.messages.length, 0, 'the messages read before are not shown');
  assert.equal(r.snap.unreadable.length, 0);
  assert.deepEqual(r.snap.notes, []);
  assert.equal(r.snap.identity.kind, 'unavailable');
  assert.equal(r.snap.legalClaim, null);
  const identityReads = () => s.server.requests('thread.identity').length;
  const before = identityReads();
  const i = await watchUntil(s, t.thread, (x) => x.restricted === true, { showIdentity: true });
  await s.clock.advance(500);
  assert.equal(identityReads(), before, '"Show identity" reads nothing while restricted');
  await settle(s.clock, s.ctrl.readForClaim!(t.thread, 'Oikaisuvaatimus'));
  const claim = await watchUntil(s, t.thread, (x) => x.messages.length === 1 && x.legalClaim === 'Oikaisuvaatimus', { showIdentity: true });
  assert.equal(claim.snap.messages[0].text, 'Kysymys', 'the content again through the legal-claim read');
  await s.clock.advance(500);
  const asked = s.server.requests('thread.identity').slice(before);
  assert.ok(asked.length > 0 && asked.every((q) => q.purpose === 'legal_claim' && q.reason === 'Oikaisuvaatimus'), 'the identity only with the purpose');
  for (const x of [claim, i, r, w]) x.close();
  s.conn.stop();
});

test('rights rows are read as hostile input', () => {
  assert.equal(rightsRequestOf({ id: 'a'.repeat(32), thread: '<b>', kind: 'erasure', state: 'open', made: 1, due: 2, message: 'c'.repeat(32) }), null);
  assert.equal(rightsRequestOf({ id: 'a'.repeat(32), thread: 'b'.repeat(32), kind: 'delete', state: 'open', made: 1, due: 2, message: 'c'.repeat(32) }), null);
  const r = rightsRequestOf({ id: 'a'.repeat(32), thread: 'b'.repeat(32), kind: 'erasure', state: 'granted', made: 1, due: 2, message: 'c'.repeat(32),
    decided_by: 'Anna' }) as RightsRequest;
  assert.equal(dueFlag(r, 10), null, 'a decided request is not flagged');
  assert.equal(dueFlag({ ...r, state: 'open' }, 10), 'overdue');
});
