// citizen-threads.test.ts - the citizen's threads encrypted and decrypted in the app
// (src/app/citizen/threads.ts) with the real encryption module, a real Connection and a fake
// adviced holding real keys (citizen-threads-fake.ts): a question with text and a PNG that the
// unit opens and reads; a certified worker's answer shown with its author; staff and citizen
// senders that do not chain to the pinned root or the thread's identity refused; a dropped
// message shown as a gap until it comes; an upload resumed after a dropped connection; files
// refused before any upload; a download of another type refused; drafts bound to user and
// thread; a unit log that goes back refused; a thread restricted while open marked so, still
// readable.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../../src/crypto/index';
import { Connection } from '../../src/app/net/connection';
import type { CitizenKeys, ThreadSnapshot, UploadProgress } from '../../src/app/citizen/contract';
import { createThreadsController, type CitizenThreads } from '../../src/app/citizen/threads';
import { Drafts } from '../../src/app/citizen/drafts';
import { CHUNK_WINDOW, encryptFile } from '../../src/app/citizen/upload';
import { MemoryKv, ThreadsError } from '../../src/app/citizen/threads-util';
import { countingBytes, FakeClock, fixedRandom, flush } from './net-fakes';
import { b64, CATEGORY, CitizenServer, NOW, staffEnvelope, unb64, unitThreadKey, USER, workerRekey, World, type FakeThread } from './citizen-threads-fake';

before(async () => {
  await c.ready();
});

interface Setup {
  w: World;
  clock: FakeClock;
  server: CitizenServer;
  conn: Connection;
  ctrl: CitizenThreads;
  store: MemoryKv;
}

function setup(prev?: Setup): Setup {
  const w = prev?.w ?? new World(), clock = prev?.clock ?? new FakeClock(NOW);
  const server = prev?.server ?? new CitizenServer(clock, w), store = prev?.store ?? new MemoryKv();
  const conn = new Connection({ socket: server.factory, clock, random: fixedRandom(0.5), randomBytes: countingBytes });
  const keys: CitizenKeys = { userId: USER, identity: w.identity, identityId: c.sodium.to_hex(c.kid(w.identity.signPk)),
    device: w.device, deviceKid: c.sodium.to_hex(c.kid(w.device.boxPk)), deviceSeed: w.deviceSeed };
  conn.start();
  const ctrl = createThreadsController(conn, { crypto: c, rootKey: w.root.signPk }, keys, { clock, store });
  return { w, clock, server, conn, ctrl, store };
}

/** Runs the fake clock on (1 s steps) until p settles; its value, or its rejection rethrown. */
async function settle<T>(clock: FakeClock, p: Promise<T>, maxSteps = 300): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  for (let i = 0; i < maxSteps && !done; i++) await clock.advance(1000);
  assert.ok(done, 'the operation settled');
  return p;
}

/** A PNG of `n` bytes (its magic, then filler). */
function png(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  return b;
}

const PDF = new TextEncoder().encode('%PDF-1.7\n% a test document\n');

/** The unit opens message `seq` of t with its own key: text and file references. */
function unitReads(w: World, t: FakeThread, seq: number): { text: string; files: c.FileRef[] } {
  const tid = c.sodium.from_hex(t.thread), key = c.threadMsgKey(unitThreadKey(w, t), tid, 0, t.share);
  const env = unb64(t.messages[seq - 1].body);
  return c.contentDecode(c.envelopeOpen(env, tid, key, w.device.signPk).plain);
}

/** The unit decrypts a stored attachment. */
function unitFile(s: CitizenServer, t: FakeThread, ref: c.FileRef): Uint8Array {
  const f = s.files.get(c.sodium.to_hex(ref.fileId));
  assert.ok(f !== undefined && f.chunks.every((x) => x !== undefined), 'the file is complete on the server');
  const stream = new c.FileStream(false, ref.key, ref.header, c.sodium.from_hex(t.thread), ref.fileId, Number(ref.size));
  const parts = f.chunks.map((ch) => stream.pullChunk(ch as Uint8Array).plain);
  assert.deepEqual(stream.hash(), ref.hash);
  return c.concat(...parts);
}

async function ask(s: Setup, text: string, files: { name: string; bytes: Uint8Array }[] = [], progress: UploadProgress[] = []): Promise<FakeThread> {
  const thread = await settle(s.clock, s.ctrl.ask({ category: CATEGORY, text, files, lang: 'fi' }, (p) => progress.push(p)));
  const t = s.server.threads.get(thread);
  assert.ok(t !== undefined);
  return t;
}

/** A watch's snapshots until `until` holds. */
async function watchUntil(s: Setup, thread: string, until: (snap: ThreadSnapshot) => boolean): Promise<ThreadSnapshot> {
  const watch = s.ctrl.watch(thread);
  for (let i = 0; i < 100; i++) {
    const snap = watch.snapshot();
    if (snap !== null && until(snap)) {
      watch.close();
      return snap;
    }
    await s.clock.advance(100);
  }
  const last = watch.snapshot();
  watch.close();
  assert.fail(`the thread never reached the state looked for: ${JSON.stringify(last, null, 1)}`);
}

test('ask with text and a PNG: uploaded to the prepared thread before the open; the unit opens the wrap and reads both', async () => {
  const s = setup();
  const image = png(150_000), progress: UploadProgress[] = [];
  const t = await ask(s, 'Tarvitsen apua asumisen kanssa.', [{ name: 'kuva.png', bytes: image }], progress);
  const order = s.server.received.map((r) => r.type);
  assert.ok(order.indexOf('file.begin') > order.indexOf('thread.prepare'));
  assert.ok(order.indexOf('file.begin') < order.indexOf('thread.open'), 'the attachment goes up before the thread opens');
  assert.ok(order.indexOf('wrap.put') > order.indexOf('thread.open'));
  const begin = s.server.requests('file.begin')[0];
  assert.equal(begin.size, c.filePaddedSize(image.length), 'file.begin names the padded size');
  assert.equal(t.wraps.length, 2, 'wrapped to the unit and to the identity');
  const m = unitReads(s.w, t, 1);
  assert.equal(m.text, 'Tarvitsen apua asumisen kanssa.');
  assert.equal(m.files.length, 1);
  assert.equal(m.files[0].media, c.Media.Png);
  assert.deepEqual(unitFile(s.server, t, m.files[0]), image);
  assert.equal(progress[progress.length - 1].state, 'done');
  assert.equal(progress[progress.length - 1].sent, progress[progress.length - 1].total);
  // The citizen's own view of the question.
  const snap = await watchUntil(s, t.thread, (x) => x.messages.length === 1);
  assert.equal(snap.messages[0].mine, true);
  assert.equal(snap.messages[0].mark, 'ok');
  assert.equal(snap.messages[0].text, 'Tarvitsen apua asumisen kanssa.');
  assert.equal(snap.locked, false);
  assert.equal(snap.complete, true);
  // Downloaded again in the app: the same bytes, as a PNG.
  const blob = await settle(s.clock, s.ctrl.download(t.thread, snap.messages[0].files[0]));
  assert.equal(blob.type, 'image/png');
  assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), image);
});

test("a certified worker's answer shows live with its author; a reply goes out at the next sequence", async () => {
  const s = setup();
  const t = await ask(s, 'Kysymys');
  t.assigneeName = { name: 'Anna', title: 'Sosiaalityöntekijä' };
  const watch = s.ctrl.watch(t.thread);
  const seen: ThreadSnapshot[] = [];
  watch.subscribe((x) => seen.push(x));
  await s.clock.advance(100);
  s.server.append(t, 'worker', staffEnvelope(s.w, t, s.w.worker, 'Vastaus'));
  await s.clock.advance(100);
  const snap = watch.snapshot()!;
  assert.equal(snap.messages.length, 2, JSON.stringify(snap.unreadable));
  assert.deepEqual(snap.messages[1].author, { name: 'Anna', title: 'Sosiaalityöntekijä' });
  assert.equal(snap.messages[1].mine, false);
  assert.equal(snap.messages[1].text, 'Vastaus');
  assert.equal(snap.state, 'answered');
  assert.ok(seen.some((x) => x.messages.length === 2), 'the answer came to the subscriber');
  await settle(s.clock, s.ctrl.reply(t.thread, 'Kiitos', [], () => undefined));
  await s.clock.advance(100);
  const after = watch.snapshot()!;
  assert.equal(after.messages.length, 3);
  assert.equal(after.messages[2].mark, 'ok', 'sequence and previous hash from the verifier');
  assert.equal(after.messages[2].text, 'Kiitos');
  assert.deepEqual(after.sending, []);
  watch.close();
});

test('a thread restricted while open says so in its snapshot and stays readable (GDPR 18)', async () => {
  const s = setup();
  const t = await ask(s, 'Kysymys');
  const watch = s.ctrl.watch(t.thread);
  await s.clock.advance(100);
  assert.equal(watch.snapshot()!.restricted, undefined, 'not restricted to begin with');
  s.server.broadcast({ type: 'event', event: 'thread.changed', thread: t.thread, state: t.state, unit: s.w.unit, restricted: true });
  await s.clock.advance(100);
  const snap = watch.snapshot()!;
  assert.equal(snap.restricted, true);
  assert.equal(snap.messages.length, 1, 'the citizen still reads it');
  assert.equal(snap.messages[0].text, 'Kysymys');
  watch.close();
});

test('a staff envelope signed by a key not chained to the pinned root is unreadable (untrusted_sender)', async () => {
  const s = setup();
  const t = await ask(s, 'Kysymys');
  s.server.append(t, 'worker', staffEnvelope(s.w, t, s.w.rogue, 'väärennetty'));
  const snap = await watchUntil(s, t.thread, (x) => x.unreadable.length + x.messages.length === 2);
  assert.deepEqual(snap.unreadable.map((u) => [u.seq, u.reason]), [[2, 'untrusted_sender']]);
  assert.ok(!JSON.stringify(snap).includes('väärennetty'), 'no content of a refused message');
});

test("a citizen envelope from a device without a certificate under the thread's identity is unreadable", async () => {
  const s = setup();
  const t = await ask(s, 'Kysymys');
  // The other device is certified, but by another identity of the citizen; a made-up key has no certificate.
  s.server.append(t, 'citizen', staffEnvelope(s.w, t, s.w.otherDevice, 'toinen identiteetti'));
  s.server.append(t, 'citizen', staffEnvelope(s.w, t, c.keysPersonal(c.random(32)), 'keksitty avain'));
  const snap = await watchUntil(s, t.thread, (x) => x.unreadable.length + x.messages.length === 3);
  assert.deepEqual(snap.unreadable.map((u) => [u.seq, u.reason]), [[2, 'untrusted_sender'], [3, 'untrusted_sender']]);
  assert.equal(snap.messages.length, 1);
});

test('a dropped message shows as a gap (complete false); when it comes, the thread is complete', async () => {
  const s = setup();
  const t = await ask(s, 'Kysymys');
  const first = staffEnvelope(s.w, t, s.w.worker, 'eka');
  const h1 = c.hash(unb64(first));
  const second = staffEnvelope(s.w, t, s.w.worker, 'toka', [], { seq: 2n, prev: h1 });
  s.server.append(t, 'worker', second); // the first is withheld
  const watch = s.ctrl.watch(t.thread);
  let snap = await watchUntil(s, t.thread, (x) => x.messages.length === 2);
  assert.equal(snap.messages[1].mark, 'gap');
  assert.equal(snap.complete, false);
  s.server.append(t, 'worker', first);
  snap = await watchUntil(s, t.thread, (x) => x.messages.length === 3);
  assert.equal(snap.messages[2].mark, 'late');
  assert.equal(snap.messages[2].text, 'eka');
  assert.equal(snap.complete, true);
  watch.close();
});

test('a connection dropped during the upload resumes with file.status; every chunk is written once and the file arrives whole', async () => {
  const s = setup();
  s.server.dropAfterChunk = 1;
  s.server.chunkRateLimits = [2];
  const image = png(200_000);
  const t = await ask(s, 'Liite', [{ name: 'kuva.png', bytes: image }]);
  assert.ok(s.server.requests('file.status').length >= 1, 'asked where the upload stood');
  const f = [...s.server.files.values()][0];
  assert.deepEqual(f.writes, f.writes.map(() => 1), 'each chunk written once');
  assert.equal(s.server.binaries.filter((b) => b.index === 0).length, 2, 'the rate-limited chunk was resent once');
  const m = unitReads(s.w, t, 1);
  assert.deepEqual(unitFile(s.server, t, m.files[0]), image);
  assert.equal(s.server.requests('thread.open').length, 1);
});

test('an upload keeps a few chunks on their way (CHUNK_WINDOW), not one per round trip', async () => {
  const s = setup();
  const image = png(600_000);
  const t = await ask(s, 'Liite', [{ name: 'kuva.png', bytes: image }]);
  const f = [...s.server.files.values()][0];
  assert.ok(f.chunks.length > CHUNK_WINDOW, 'more chunks than the window');
  assert.equal(s.server.mostChunksAhead, CHUNK_WINDOW);
  assert.equal(s.server.binaries.length, f.chunks.length, 'each chunk sent once');
  assert.deepEqual(unitFile(s.server, t, unitReads(s.w, t, 1).files[0]), image);
});

test('a chunk the server could not write (unavailable) is resent after file.status; the upload goes on and the file arrives whole', async () => {
  const s = setup();
  s.server.chunkWriteFails.add(1);
  const image = png(200_000);
  const t = await ask(s, 'Liite', [{ name: 'kuva.png', bytes: image }]);
  assert.equal(s.server.requests('file.status').length, 1, 'asked where the upload stood');
  assert.equal(s.server.binaries.filter((b) => b.index === 1).length, 2, 'the chunk not written was sent again');
  const f = [...s.server.files.values()][0];
  assert.deepEqual(f.writes, f.writes.map(() => 1), 'each chunk written once');
  assert.deepEqual(unitFile(s.server, t, unitReads(s.w, t, 1).files[0]), image);
});

test('a file of a disallowed type, one too large, an empty one and too many are refused before any upload', async () => {
  const s = setup();
  const elf = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]);
  assert.deepEqual(s.ctrl.checkFile({ name: 'a.exe', bytes: elf }), { ok: false, problem: 'type', image: false });
  const big = png(25 * 1024 * 1024 + 1);
  assert.equal(s.ctrl.checkFile({ name: 'big.png', bytes: big }).problem, 'too_large');
  assert.equal(s.ctrl.checkFile({ name: 'e.txt', bytes: new Uint8Array(0) }).problem, 'empty');
  assert.deepEqual(s.ctrl.checkFile({ name: 'ok.png', bytes: png(100) }), { ok: true, media: c.Media.Png, image: true });
  assert.equal(s.ctrl.checkFile({ name: 'ok.pdf', bytes: PDF }).image, false);
  for (const files of [[{ name: 'a.exe', bytes: elf }], [{ name: 'big.png', bytes: big }],
    Array.from({ length: 9 }, (_, i) => ({ name: `${i}.png`, bytes: png(100) }))]) {
    await assert.rejects(settle(s.clock, s.ctrl.ask({ category: CATEGORY, text: 'x', files, lang: 'fi' }, () => undefined)),
      (e: unknown) => e instanceof ThreadsError && ['file_refused', 'too_many_files'].includes(e.code));
  }
  assert.deepEqual(s.server.received.filter((r) => ['thread.prepare', 'file.begin', 'keys.unit'].includes(r.type as string)), []);
  assert.equal(s.server.binaries.length, 0);
});

test('download refuses a file whose content is not of the type its message names', async () => {
  const s = setup();
  const t = await ask(s, 'Kysymys');
  const { ref, chunks, padded } = encryptFile(c, c.sodium.from_hex(t.thread), PDF, c.Media.Png); // a PDF named a PNG
  s.server.files.set(c.sodium.to_hex(ref.fileId), { thread: t.thread, size: padded, chunks, writes: chunks.map(() => 1) });
  s.server.append(t, 'worker', staffEnvelope(s.w, t, s.w.worker, 'Liitteenä kuva', [ref]));
  const snap = await watchUntil(s, t.thread, (x) => x.messages.length === 2);
  await assert.rejects(settle(s.clock, s.ctrl.download(t.thread, snap.messages[1].files[0])),
    (e: unknown) => e instanceof ThreadsError && e.code === 'type_mismatch');
  // A chunk changed on the server: damaged, not shown.
  const { ref: ref2, chunks: ch2, padded: p2 } = encryptFile(c, c.sodium.from_hex(t.thread), PDF, c.Media.Pdf);
  ch2[0][5] ^= 1;
  s.server.files.set(c.sodium.to_hex(ref2.fileId), { thread: t.thread, size: p2, chunks: ch2, writes: [1] });
  s.server.append(t, 'worker', staffEnvelope(s.w, t, s.w.worker, 'PDF', [ref2]));
  const snap2 = await watchUntil(s, t.thread, (x) => x.messages.length === 3);
  await assert.rejects(settle(s.clock, s.ctrl.download(t.thread, snap2.messages[2].files[0])),
    (e: unknown) => e instanceof ThreadsError && e.code === 'damaged');
});

test('a draft opens only for its user and thread; the store does not name the thread', async () => {
  const s = setup();
  const T1 = '1'.repeat(32), T2 = '2'.repeat(32);
  await s.ctrl.saveDraft(T1, 'keskeneräinen vastaus');
  await s.ctrl.saveDraft(null, 'uusi kysymys');
  assert.equal(await s.ctrl.loadDraft(T1), 'keskeneräinen vastaus');
  assert.equal(await s.ctrl.loadDraft(null), 'uusi kysymys');
  assert.equal(await s.ctrl.loadDraft(T2), '');
  const keys = [...s.store.map.keys()].filter((k) => k.startsWith('draft:'));
  assert.equal(keys.length, 2);
  assert.ok(keys.every((k) => !k.includes(T1)));
  const mine = new Drafts(c, s.store, s.w.deviceSeed, USER);
  const record = (await s.store.get(mine.storeKey(T1)))!;
  assert.equal(mine.open(T2, record), null, 'copied to another thread: does not open');
  assert.equal(new Drafts(c, s.store, s.w.deviceSeed, 'd'.repeat(32)).open(T1, record), null, 'another user: does not open');
  assert.equal(new Drafts(c, s.store, c.random(32), USER).open(T1, record), null, 'another device seed: does not open');
  await s.store.put(mine.storeKey(T2), record);
  assert.equal(await s.ctrl.loadDraft(T2), '');
  await s.ctrl.discardDraft(T1);
  assert.equal(await s.ctrl.loadDraft(T1), '');
});

test('a unit log that goes back is refused before anything is sealed to the unit', async () => {
  const s = setup();
  await ask(s, 'Ensimmäinen');
  s.server.log = s.server.log.slice(0, 2); // the server serves an older log than this browser checked
  const prepares = s.server.requests('thread.prepare').length;
  await assert.rejects(settle(s.clock, s.ctrl.ask({ category: CATEGORY, text: 'Toinen', files: [], lang: 'fi' }, () => undefined)),
    (e: unknown) => e instanceof ThreadsError && e.code === 'unit_keys' && e.detail === 'withheld');
  assert.equal(s.server.requests('thread.prepare').length, prepares);
  // The log as this browser checked it is accepted again.
  s.server.log = s.w.unitLog.slice();
  await settle(s.clock, s.ctrl.ask({ category: CATEGORY, text: 'Kolmas', files: [], lang: 'fi' }, () => undefined));
});

test('a question left half done by a reload is finished on the next start: opened if it was not, its key wrapped', async () => {
  const s = setup();
  s.server.refuseNext.set('wrap.put', 'forbidden'); // the page goes away after thread.open
  await assert.rejects(settle(s.clock, s.ctrl.ask({ category: CATEGORY, text: 'Eka', files: [], lang: 'fi' }, () => undefined)));
  s.server.swallowNext.add('thread.open'); // the page goes away after the uploads, its open unanswered
  void s.ctrl.ask({ category: CATEGORY, text: 'Toka', files: [{ name: 'k.png', bytes: png(1000) }], lang: 'sv' }, () => undefined);
  for (let i = 0; i < 50 && s.server.requests('thread.open').length < 2; i++) await s.clock.advance(100);
  assert.equal(s.server.threads.size, 1);
  assert.ok([...s.store.map.keys()].filter((k) => k.startsWith('open-')).length === 2, 'two questions pending, sealed');
  s.conn.stop();
  const again = setup(s); // the next page, with the same device store
  const finished = await settle(again.clock, again.ctrl.finishPending());
  assert.equal(finished, 2);
  assert.equal(again.server.threads.size, 2);
  for (const t of again.server.threads.values()) assert.equal(t.wraps.length, 2, 'wrapped to the unit and the identity');
  const second = [...again.server.threads.values()].find((t) => unitReads(again.w, t, 1).text === 'Toka')!;
  assert.equal(unitReads(again.w, second, 1).files.length, 1);
  assert.deepEqual([...again.store.map.keys()].filter((k) => k.startsWith('open-')), []);
});

test('a reply at a stale epoch reads the keys again and goes out at the current one; an epoch of an old generation is re-keyed', async () => {
  const s = setup();
  const t = await ask(s, 'Kysymys');
  const watch = s.ctrl.watch(t.thread);
  await s.clock.advance(100);
  workerRekey(s.w, t, s.clock.now()); // the worker re-keys; this page still holds epoch 0
  await settle(s.clock, s.ctrl.reply(t.thread, 'uusi avain', [], () => undefined));
  const sends = s.server.requests('message.send');
  assert.deepEqual(sends.map((r) => c.envelopeParse(unb64(r.body as string)).epoch), [0, 1], 'refused at 0, resent at 1');
  assert.notEqual(sends[0].id, sends[1].id, 'another body, another request id');
  let snap = await watchUntil(s, t.thread, (x) => x.messages.length === 2);
  assert.equal(snap.messages[1].text, 'uusi avain');
  assert.equal(snap.messages[1].mark, 'ok');

  s.w.rotate(s.clock.now() + 1000); // a member left the unit: epoch 1 is sealed to an older generation
  await s.clock.advance(5000);
  // Served without its log entry, the new generation is taken as the log withheld.
  await assert.rejects(settle(s.clock, s.ctrl.reply(t.thread, 'ei lähde', [], () => undefined)),
    (e: unknown) => e instanceof ThreadsError && e.code === 'unit_keys' && e.detail === 'withheld');
  assert.equal(s.server.requests('message.send').length, 2, 'nothing written before the unit log checks out');
  s.server.log = s.w.unitLog.slice();
  await settle(s.clock, s.ctrl.reply(t.thread, 'lähtee', [], () => undefined));
  assert.equal(t.epoch, 2, 'the citizen started epoch 2 for the new generation (citizen-threads-rekey.test.ts)');
  assert.equal(c.envelopeParse(unb64(s.server.requests('message.send')[2].body as string)).epoch, 2);
  snap = watch.snapshot()!;
  assert.deepEqual(snap.sending.map((x) => [x.text, x.failed]), [['ei lähde', 'unit_keys']]);
  watch.close();
});

test('a thread.open the server refuses leaves nothing to finish later', async () => {
  const s = setup();
  s.server.refuseNext.set('thread.open', 'rate_limited');
  await assert.rejects(settle(s.clock, s.ctrl.ask({ category: CATEGORY, text: 'Liikaa', files: [], lang: 'fi' }, () => undefined)),
    (e: unknown) => (e as { code?: string }).code === 'rate_limited');
  assert.deepEqual([...s.store.map.keys()].filter((k) => k.startsWith('open-')), []);
  assert.equal(await settle(s.clock, s.ctrl.finishPending()), 0);
});

test('categories, close and read state go to the server', async () => {
  const s = setup();
  const cats = await settle(s.clock, s.ctrl.categories());
  assert.deepEqual(cats, [{ category: CATEGORY, name: 'Adult social work', openNow: true, serviceHours: { open: '08:00', close: '16:00' },
    answerDays: 3, expectedBy: NOW + 3 * 86400_000 }]);
  const t = await ask(s, 'Kysymys');
  s.ctrl.markRead(t.thread, 1);
  await settle(s.clock, s.ctrl.close(t.thread));
  assert.equal(t.state, 'closed');
  assert.deepEqual(s.server.requests('read.set').map((r) => r.seq), [1]);
  await assert.rejects(settle(s.clock, s.ctrl.reply(t.thread, 'vielä', [], () => undefined)),
    (e: unknown) => e instanceof ThreadsError && e.code === 'thread_closed');
});

void flush;
void b64;
