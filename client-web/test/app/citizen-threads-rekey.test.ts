// citizen-threads-rekey.test.ts - re-keying in the citizen's app (src/app/citizen/thread-rekey.ts,
// PROTOCOL.md §12.6) with the real encryption module, a real Connection and the fake adviced of
// citizen-threads-fake.ts: after the unit's key rotates (a member left), the citizen's reply
// starts a new epoch sealed to the unit's new generation and the identity, which the new
// generation opens and the old one cannot; old messages still read; another writer's re-key in
// between is followed; an epoch event not signed by staff of the pinned root or the thread's
// identity is refused; a message written at an epoch after it ended is unreadable.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../../src/crypto/index';
import { Connection } from '../../src/app/net/connection';
import type { CitizenKeys, ThreadSnapshot } from '../../src/app/citizen/contract';
import { createThreadsController, type CitizenThreads } from '../../src/app/citizen/threads';
import { newEpoch } from '../../src/app/citizen/thread-rekey';
import { MemoryKv, ThreadsError } from '../../src/app/citizen/threads-util';
import { countingBytes, FakeClock, fixedRandom } from './net-fakes';
import {
  CATEGORY, CitizenServer, NOW, staffEnvelope, staffEnvelopeAt, unb64, unitEpochKey, unitThreadKey, USER, workerRekey, World,
  type FakeThread,
} from './citizen-threads-fake';

before(async () => {
  await c.ready();
});

const MINUTE = 60_000;

interface Setup {
  w: World;
  clock: FakeClock;
  server: CitizenServer;
  ctrl: CitizenThreads;
}

function setup(): Setup {
  const w = new World(), clock = new FakeClock(NOW);
  const server = new CitizenServer(clock, w);
  const conn = new Connection({ socket: server.factory, clock, random: fixedRandom(0.5), randomBytes: countingBytes });
  const keys: CitizenKeys = { userId: USER, identity: w.identity, identityId: c.sodium.to_hex(c.kid(w.identity.signPk)),
    device: w.device, deviceKid: c.sodium.to_hex(c.kid(w.device.boxPk)), deviceSeed: w.deviceSeed };
  conn.start();
  const ctrl = createThreadsController(conn, { crypto: c, rootKey: w.root.signPk }, keys, { clock, store: new MemoryKv() });
  return { w, clock, server, ctrl };
}

/** Runs the fake clock on (1 s steps) until p settles; its value, or its rejection rethrown. */
async function settle<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  for (let i = 0; i < 300 && !done; i++) await clock.advance(1000);
  assert.ok(done, 'the operation settled');
  return p;
}

async function ask(s: Setup, text: string): Promise<FakeThread> {
  const thread = await settle(s.clock, s.ctrl.ask({ category: CATEGORY, text, files: [], lang: 'fi' }, () => undefined));
  return s.server.threads.get(thread) as FakeThread;
}

const reply = (s: Setup, t: FakeThread, text: string): Promise<void> =>
  settle(s.clock, s.ctrl.reply(t.thread, text, [], () => undefined));

/** A watch's snapshot once `until` holds. */
async function watchUntil(s: Setup, t: FakeThread, until: (snap: ThreadSnapshot) => boolean): Promise<ThreadSnapshot> {
  const watch = s.ctrl.watch(t.thread);
  try {
    for (let i = 0; i < 100; i++) {
      const snap = watch.snapshot();
      if (snap !== null && until(snap)) return snap;
      await s.clock.advance(100);
    }
    return assert.fail(`the thread never reached the state looked for: ${JSON.stringify(watch.snapshot(), null, 1)}`);
  } finally {
    watch.close();
  }
}

/** The holder of a thread key opens message `seq` of t (written by the citizen's device or the worker). */
function readWith(s: Setup, t: FakeThread, seq: number, key: Uint8Array): string {
  const tid = c.sodium.from_hex(t.thread), env = unb64(t.messages[seq - 1].body), h = c.envelopeParse(env);
  const sender = [s.w.device, s.w.worker].find((k) => c.equal(c.kid(k.signPk), h.senderKid as Uint8Array)) as c.Keys;
  return c.contentDecode(c.envelopeOpen(env, tid, c.threadMsgKey(key, tid, h.epoch, t.share), sender.signPk).plain).text;
}

const epochOf = (body: unknown): number => c.envelopeParse(unb64(body as string)).epoch;

/** A question the worker answered, then a member left the unit: its key rotated. */
async function rotatedThread(s: Setup): Promise<FakeThread> {
  const t = await ask(s, 'Kysymys');
  s.server.append(t, 'worker', staffEnvelope(s.w, t, s.w.worker, 'Vastaus'));
  s.server.rotateUnit(s.clock.now() + 1000);
  await s.clock.advance(5000);
  return t;
}

test("after the unit's key rotates, the reply re-keys: the new generation reads it, the old one cannot; old messages still read", async () => {
  const s = setup();
  const t = await rotatedThread(s);
  const oldGen = s.w.unitKeys, newGen = s.w.current;
  await reply(s, t, 'Uusi viesti');
  const types = s.server.received.map((r) => r.type);
  assert.ok(types.indexOf('thread.rekey') < types.indexOf('message.send'), 're-keyed before writing');
  assert.deepEqual(s.server.requests('message.send').map((r) => epochOf(r.body)), [1], 'written at the new epoch only');
  // The event: epoch 1 after epoch 0, reason 1, signed by this device, for the new generation and the identity.
  assert.equal(t.epoch, 1);
  const tid = c.sodium.from_hex(t.thread), event = unb64(t.epochs[0]);
  const ev = c.epochEventVerify(event, tid, s.w.device.signPk, null);
  assert.deepEqual([ev.epoch, ev.prevEpoch, ev.reason], [1, 0, 1]);
  assert.deepEqual(ev.recipients, [c.kid(newGen.boxPk), c.kid(s.w.identity.boxPk)]);
  assert.deepEqual(s.server.requests('thread.rekey')[0].wraps, t.wraps.slice(2), 'one wrap per recipient, stored');
  // The new generation opens epoch 1 and reads the reply; the removed member's generation has no wrap of it.
  const k1 = unitEpochKey(s.w, t, 1, newGen);
  assert.ok(k1 !== null);
  assert.equal(readWith(s, t, 3, k1), 'Uusi viesti');
  assert.equal(unitEpochKey(s.w, t, 1, oldGen), null);
  for (const x of t.wraps.map(unb64).filter((w) => c.wrapParse(w).epoch === 1)) {
    assert.throws(() => c.wrapOpen(x, 1, tid, 1, oldGen, s.w.device.signPk), (e: unknown) => (e as c.CryptoError).code === 'forbidden');
  }
  assert.throws(() => readWith(s, t, 3, unitThreadKey(s.w, t)), 'the key of epoch 0 does not open the reply');
  assert.equal(readWith(s, t, 1, unitThreadKey(s.w, t)), 'Kysymys', 'epoch 0 still reads with its key');
  // The worker answers at epoch 1; the citizen reads every epoch, each with its own key.
  s.server.append(t, 'worker', staffEnvelopeAt(s.w, t, s.w.worker, 'Vastaus uudella avaimella', { epoch: 1, key: k1,
    createdAt: s.clock.now() }));
  const snap = await watchUntil(s, t, (x) => x.messages.length + x.unreadable.length === 4);
  assert.deepEqual(snap.unreadable, []);
  assert.deepEqual(snap.messages.map((m) => [m.text, m.mark]),
    [['Kysymys', 'ok'], ['Vastaus', 'ok'], ['Uusi viesti', 'ok'], ['Vastaus uudella avaimella', 'ok']]);
  // The next reply finds epoch 1 sealed to the current generation: no second re-key.
  await reply(s, t, 'Kiitos');
  assert.equal(s.server.requests('thread.rekey').length, 1);
  assert.deepEqual(s.server.requests('message.send').map((r) => epochOf(r.body)), [1, 1]);
  assert.equal(readWith(s, t, 5, k1), 'Kiitos');
});

test("another writer's re-key meanwhile (conflict on /event) is followed: the reply goes out at that epoch", async () => {
  const s = setup();
  const t = await rotatedThread(s);
  let workerKey: Uint8Array | null = null;
  s.server.beforeNext.set('thread.rekey', () => {
    workerKey = workerRekey(s.w, t, s.clock.now());
  });
  await reply(s, t, 'Samaan aikaan');
  assert.equal(s.server.requests('thread.rekey').length, 1, 'one attempt, refused as a conflict');
  assert.equal(t.epoch, 1);
  assert.equal(c.epochEventParse(unb64(t.epochs[0])).signerKid?.join(), c.kid(s.w.worker.signPk).join(), "the worker's epoch");
  assert.deepEqual(s.server.requests('message.send').map((r) => epochOf(r.body)), [1]);
  assert.ok(workerKey !== null);
  assert.equal(readWith(s, t, 3, workerKey), 'Samaan aikaan', "written with the worker's key of epoch 1");
  assert.deepEqual(unitEpochKey(s.w, t, 1, s.w.current), workerKey);
  const snap = await watchUntil(s, t, (x) => x.messages.length === 3);
  assert.deepEqual(snap.sending, []);
  assert.equal(snap.messages[2].text, 'Samaan aikaan');
});

test("a re-key in between that is stale too is followed by the citizen's own next epoch", async () => {
  const s = setup();
  const t = await rotatedThread(s);
  const newGen = s.w.current;
  s.server.beforeNext.set('thread.rekey', () => {
    // A client that did not know of the rotation yet seals epoch 1 to the old generation.
    s.w.current = s.w.unitKeys;
    workerRekey(s.w, t, s.clock.now());
    s.w.current = newGen;
  });
  await reply(s, t, 'Kolmas kerta');
  assert.equal(s.server.requests('thread.rekey').length, 2);
  assert.equal(t.epoch, 2);
  assert.deepEqual(s.server.requests('message.send').map((r) => epochOf(r.body)), [2]);
  const k2 = unitEpochKey(s.w, t, 2, newGen);
  assert.ok(k2 !== null);
  assert.equal(readWith(s, t, 3, k2), 'Kolmas kerta');
  assert.equal(unitEpochKey(s.w, t, 2, s.w.unitKeys), null);
});

test('an epoch event signed by neither staff of the pinned root nor the thread\'s identity is refused; older messages still read', async () => {
  for (const forger of ['rogue staff', 'another identity'] as const) {
    const s = setup();
    const t = await rotatedThread(s);
    // The server serves epoch 1 under a key of its own choosing, with a wrap of its key to the identity.
    const signer = forger === 'rogue staff' ? s.w.rogue : s.w.otherDevice;
    const forgedKey = workerRekey(s.w, t, s.clock.now(), signer);
    await assert.rejects(reply(s, t, 'ei lähde'), (e: unknown) => e instanceof ThreadsError && e.code === 'stale_epoch', forger);
    assert.deepEqual(s.server.requests('thread.rekey'), [], `${forger}: nothing built on a forged epoch`);
    assert.deepEqual(s.server.requests('message.send'), [], `${forger}: nothing written`);
    // A message at the forged epoch is unreadable; those before it still read.
    s.server.append(t, 'worker', staffEnvelopeAt(s.w, t, s.w.worker, 'väärä avain', { epoch: 1, key: forgedKey,
      createdAt: s.clock.now() }));
    const snap = await watchUntil(s, t, (x) => x.messages.length + x.unreadable.length === 3);
    assert.deepEqual(snap.messages.map((m) => m.text), ['Kysymys', 'Vastaus'], forger);
    assert.deepEqual(snap.unreadable.map((u) => [u.seq, u.reason]), [[3, 'no_key']], forger);
    assert.ok(!JSON.stringify(snap).includes('väärä avain'));
  }
});

test('a forged epoch served after a conflict is refused: nothing is written', async () => {
  const s = setup();
  const t = await rotatedThread(s);
  s.server.beforeNext.set('thread.rekey', () => {
    workerRekey(s.w, t, s.clock.now(), s.w.rogue);
  });
  await assert.rejects(reply(s, t, 'ei lähde'), (e: unknown) => e instanceof ThreadsError && e.code === 'stale_epoch');
  assert.equal(s.server.requests('thread.rekey').length, 1);
  assert.deepEqual(s.server.requests('message.send'), []);
});

test('a refused re-key fails the reply as the server gave it; a server that never keeps one ends in rekey_needed', async () => {
  const s = setup();
  const t = await rotatedThread(s);
  const watch = s.ctrl.watch(t.thread);
  s.server.refuseNext.set('thread.rekey', 'forbidden');
  await assert.rejects(reply(s, t, 'eka'), (e: unknown) => (e as { code?: string }).code === 'forbidden');
  // Every thread.rekey is answered with a conflict, yet the thread stays at epoch 0.
  const conflictAgain = (): void => {
    s.server.refuseNext.set('thread.rekey', 'conflict /event');
    s.server.beforeNext.set('thread.rekey', conflictAgain);
  };
  s.server.beforeNext.set('thread.rekey', conflictAgain);
  await assert.rejects(reply(s, t, 'toka'), (e: unknown) => e instanceof ThreadsError && e.code === 'rekey_needed');
  assert.equal(s.server.requests('thread.rekey').length, 3, 'one refused, then two attempts');
  assert.equal(t.epoch, 0);
  assert.deepEqual(s.server.requests('message.send'), [], 'nothing written at an epoch the unit no longer holds');
  assert.deepEqual(watch.snapshot()?.sending.map((x) => [x.text, x.failed]), [['eka', 'forbidden'], ['toka', 'rekey_needed']]);
  watch.close();
});

test('a message at an epoch that had ended when it was written is unreadable (stale_epoch); within the clock skew it reads', async () => {
  const s = setup();
  const t = await rotatedThread(s);
  await reply(s, t, 'Uusi avain');
  const ended = Number(c.epochEventParse(unb64(t.epochs[0])).createdAt);
  // The removed member still holds epoch 0's key, and the server takes their messages anyway.
  const leaver = c.keysPersonal(c.random(32));
  s.server.addStaff(leaver, [c.certSign({ role: 2, subjectId: c.random(16), signPk: leaver.signPk, boxPk: leaver.boxPk,
    notBefore: BigInt(NOW - 86400_000), notAfter: BigInt(NOW + 86400_000) }, s.w.admin), s.w.adminCert]);
  const k0 = unitThreadKey(s.w, t);
  s.server.append(t, 'worker', staffEnvelopeAt(s.w, t, leaver, 'kellot vähän sekaisin', { epoch: 0, key: k0, createdAt: ended + MINUTE }));
  s.server.append(t, 'worker', staffEnvelopeAt(s.w, t, leaver, 'kirjoitettu myöhemmin', { epoch: 0, key: k0,
    createdAt: ended + 6 * MINUTE }));
  const snap = await watchUntil(s, t, (x) => x.messages.length + x.unreadable.length === 5);
  assert.deepEqual(snap.messages.map((m) => m.text), ['Kysymys', 'Vastaus', 'Uusi avain', 'kellot vähän sekaisin']);
  assert.deepEqual(snap.unreadable.map((u) => [u.seq, u.reason]), [[5, 'stale_epoch']]);
  assert.ok(!JSON.stringify(snap).includes('kirjoitettu myöhemmin'));
});

test('newEpoch: the event follows the head given and names the unit generation and the identity; each wrap opens for its recipient', () => {
  const w = new World(), tid = c.random(16), head = c.random(32);
  const unit = { unit: w.unit, generation: 1, boxPk: w.unitKeys.boxPk, kid: c.kid(w.unitKeys.boxPk), createdAt: NOW, adminPks: [] };
  const e = newEpoch(c, tid, 3, head, unit, w.identity, w.device, NOW);
  const ev = c.epochEventParse(e.event);
  assert.deepEqual([e.epoch, ev.epoch, ev.prevEpoch, ev.reason, Number(ev.createdAt)], [4, 4, 3, 1, NOW]);
  assert.deepEqual(ev.prevHash, head);
  for (const [i, k] of [w.unitKeys, w.identity].entries()) {
    assert.deepEqual(c.wrapOpen(e.wraps[i], 1, tid, 4, k, w.device.signPk).key, e.key);
  }
});
