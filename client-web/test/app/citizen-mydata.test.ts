// citizen-mydata.test.ts - the citizen's "Your data" (src/app/citizen/mydata*.ts) with the real
// encryption module, a real Connection and the fake adviced of citizen-mydata-fake.ts holding real
// keys: the export's zip unzipped and every manifest hash checked, the thread's messages,
// correction and files in thread.json, an unreadable message listed and not dropped,
// cancelling; a hostile log report (wrong types, huge strings, markup) dropped or kept as text,
// the period's bounds; a rights request whose body is content version 2 kind 2 opened by the
// unit; the list with a decision's reason decrypted, a decision that does not open, rows that
// are not requests dropped; content version 2 made and opened, malformed refused.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { unzipSync } from 'fflate';
import * as c from '../../src/crypto/index';
import { Connection } from '../../src/app/net/connection';
import type { CitizenKeys, ThreadSnapshot } from '../../src/app/citizen/contract';
import { createThreadsController, type CitizenThreads } from '../../src/app/citizen/threads';
import { createMyDataController } from '../../src/app/citizen/mydata';
import type { ExportProgress, MyDataController } from '../../src/app/citizen/mydata-contract';
import { contentOpen, contentV2Make } from '../../src/app/citizen/mydata-content';
import { cleanText, parseLogReport, REPORT_MAX_BACK_MS, REPORT_MAX_TEXT, reportPeriod } from '../../src/app/citizen/mydata-report';
import { helsinkiDayStart, periodOf } from '../../src/app/citizen/mydata-period';
import { packExport, safeName } from '../../src/app/citizen/mydata-zip';
import { MemoryKv } from '../../src/app/citizen/threads-util';
import { countingBytes, FakeClock, fixedRandom } from './net-fakes';
import { CATEGORY, NOW, staffEnvelope, USER, World, type FakeThread } from './citizen-threads-fake';
import { MyDataServer, staffContent, unitOpens } from './citizen-mydata-fake';

before(async () => {
  await c.ready();
});

interface Setup {
  w: World;
  clock: FakeClock;
  server: MyDataServer;
  ctrl: CitizenThreads;
  my: MyDataController;
}

function setup(): Setup {
  const w = new World(), clock = new FakeClock(NOW);
  const server = new MyDataServer(clock, w);
  const conn = new Connection({ socket: server.factory, clock, random: fixedRandom(0.5), randomBytes: countingBytes });
  const keys: CitizenKeys = { userId: USER, identity: w.identity, identityId: c.sodium.to_hex(c.kid(w.identity.signPk)),
    device: w.device, deviceKid: c.sodium.to_hex(c.kid(w.device.boxPk)), deviceSeed: w.deviceSeed };
  conn.start();
  const ctrl = createThreadsController(conn, { crypto: c, rootKey: w.root.signPk }, keys, { clock, store: new MemoryKv() });
  const my = createMyDataController(conn, ctrl, c, { clock, pack: async (...a) => packExport(...a) });
  return { w, clock, server, ctrl, my };
}

async function settle<T>(clock: FakeClock, p: Promise<T>, maxSteps = 300): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  for (let i = 0; i < maxSteps && !done; i++) await clock.advance(1000);
  assert.ok(done, 'the operation settled');
  return p;
}

function png(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  return b;
}

async function ask(s: Setup, text: string, files: { name: string; bytes: Uint8Array }[] = []): Promise<FakeThread> {
  const thread = await settle(s.clock, s.ctrl.ask({ category: CATEGORY, text, files, lang: 'fi' }, () => undefined));
  return s.server.threads.get(thread)!;
}

async function snapshotOf(s: Setup, thread: string, until: (x: ThreadSnapshot) => boolean): Promise<ThreadSnapshot> {
  const watch = s.ctrl.watch(thread);
  try {
    for (let i = 0; i < 100; i++) {
      const snap = watch.snapshot();
      if (snap !== null && until(snap)) return snap;
      await s.clock.advance(100);
    }
    assert.fail('the thread never reached the state looked for');
  } finally {
    watch.close();
  }
}

const json = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
const ZERO = new Uint8Array(16);

test('content version 2: made and opened; version 1 opens as kind 0; malformed content is refused', () => {
  const ref = c.random(16);
  const b = contentV2Make(c, { kind: 2, ref, note: '', files: [], text: 'Pyydän korjausta' });
  assert.equal(b[0], 2);
  assert.equal(b[1], 2);
  const o = contentOpen(c, b);
  assert.deepEqual([o.version, o.kind, o.note, o.text, o.files.length], [2, 2, '', 'Pyydän korjausta', 0]);
  assert.deepEqual(o.ref, ref);
  const d = contentOpen(c, contentV2Make(c, { kind: 3, ref, note: 'Perustelu: ä', files: [], text: '' }));
  assert.equal(d.note, 'Perustelu: ä');
  const v1 = contentOpen(c, c.contentEncode([], 'vanha'));
  assert.deepEqual([v1.version, v1.kind, v1.text], [1, 0, 'vanha']);
  assert.throws(() => contentOpen(c, new Uint8Array([3, 1])));
  const bad = b.slice();
  bad[1] = 4;
  assert.throws(() => contentOpen(c, bad), /kind/);
  const long = b.slice();
  long[18] = 0xff; // a note longer than the content
  assert.throws(() => contentOpen(c, long));
  assert.throws(() => contentV2Make(c, { kind: 1, ref, note: 'x'.repeat(2001), files: [], text: '' }), /note/);
});

test('export: every thread and attachment decrypted into a zip; manifest hashes match; correction and unreadable listed', async () => {
  const s = setup();
  const image = png(70_000);
  const t = await ask(s, 'Tarvitsen apua vuokran kanssa.', [{ name: '../../etc/kuva.png', bytes: image }]);
  t.assigneeName = { name: 'Anna', title: 'sosiaalityöntekijä' };
  const answer = staffContent(s.w, t, s.w.worker, c.contentEncode([], 'Vuokra on 900 euroa.'));
  s.server.append(t, 'worker', answer.body);
  const fix = staffContent(s.w, t, s.w.worker, contentV2Make(c, { kind: 1, ref: c.sodium.from_hex(answer.id),
    note: 'Summa oli väärin.', files: [], text: 'Vuokra on 800 euroa.' }));
  s.server.append(t, 'worker', fix.body);
  s.server.append(t, 'worker', staffEnvelope(s.w, t, s.w.rogue, 'väärennetty'));
  const t2 = await ask(s, 'Toinen kysymys');

  const progress: ExportProgress[] = [];
  const asked = s.server.received.length;
  const r = await settle(s.clock, s.my.exportAll((p) => progress.push(p), new AbortController().signal));
  assert.deepEqual([r.threads, r.messages, r.files, r.unreadable, r.failedFiles], [2, 4, 1, 1, 0]);
  assert.equal(r.blob.type, 'application/zip');
  assert.deepEqual(progress[progress.length - 1], { phase: 'done', done: 2, total: 2, files: 1 });
  assert.ok(progress.some((p) => p.phase === 'threads' && p.done === 1), 'progress per thread');

  const zip = unzipSync(new Uint8Array(await r.blob.arrayBuffer()));
  const manifest = json(zip['manifest.json']);
  assert.equal(manifest.format, 'advice-export');
  assert.equal(manifest.version, 1);
  const at = Date.parse(manifest.exported_at);
  assert.ok(at >= NOW && at <= s.clock.now(), 'the export time');
  const paths = Object.keys(zip).filter((p) => p !== 'manifest.json').sort();
  assert.deepEqual(manifest.files.map((f: { path: string }) => f.path).sort(), paths, 'the manifest lists every file');
  for (const f of manifest.files) {
    assert.equal(f.size, zip[f.path].length, f.path);
    assert.equal(f.blake2b_256, c.sodium.to_hex(c.hash(zip[f.path])), `${f.path}: BLAKE2b-256`);
  }
  assert.equal(paths.filter((p) => p.endsWith('/thread.json')).length, 2, 'one folder per thread');
  const folderOf = (thread: string) => paths.find((p) => p.endsWith('/thread.json') && json(zip[p]).thread === thread)!.replace(/\/thread\.json$/, '');
  const dir = folderOf(t.thread);
  const tj = json(zip[`${dir}/thread.json`]);
  assert.equal(tj.thread, t.thread);
  assert.equal(tj.category_name, 'Adult social work');
  assert.deepEqual(tj.messages.map((m: { kind: string }) => m.kind), ['message', 'message', 'correction']);
  const [first, second, third] = tj.messages;
  assert.deepEqual(first.sender, { role: 'citizen', name: null });
  assert.equal(first.text, 'Tarvitsen apua vuokran kanssa.');
  assert.deepEqual(second.sender, { role: 'staff', name: 'Anna, sosiaalityöntekijä' });
  assert.deepEqual(second.corrected_by, [fix.id]);
  assert.deepEqual([third.corrects, third.reason, third.text], [answer.id, 'Summa oli väärin.', 'Vuokra on 800 euroa.']);
  assert.deepEqual(tj.unreadable.map((u: { seq: number; reason: string }) => [u.seq, u.reason]), [[4, 'untrusted_sender']]);
  assert.ok(!JSON.stringify(tj).includes('väärennetty'), 'nothing of an unreadable message');
  // The attachment: its bytes, under a safe name the app gives it (the real name is never sent).
  assert.equal(first.files.length, 1);
  assert.equal(first.files[0].path, 'files/message-1-attachment-1.png');
  assert.deepEqual(zip[`${dir}/${first.files[0].path}`], image);
  assert.equal(first.files[0].type, 'image/png');
  const other = json(zip[`${folderOf(t2.thread)}/thread.json`]);
  assert.equal(other.messages[0].text, 'Toinen kysymys');
  // What the server was asked: only reads (thread.read and file.get are what it logs), nothing written.
  const types = new Set(s.server.received.slice(asked).map((q) => q.type as string));
  assert.ok(types.has('thread.list') && types.has('file.get'));
  const reads = new Set(['thread.list', 'thread.get', 'thread.keys', 'thread.read', 'file.get', 'categories.list']);
  assert.deepEqual([...types].filter((x) => !reads.has(x)), [], 'the export writes nothing');
});

test('export: an attachment that fails to open is listed as such; cancelling stops the export', async () => {
  const s = setup();
  const t = await ask(s, 'Kysymys', [{ name: 'a.png', bytes: png(1000) }]);
  // The server damages the stored file: the download refuses it, the export lists it.
  for (const f of s.server.files.values()) f.chunks[0]![40] ^= 1;
  const r = await settle(s.clock, s.my.exportAll(() => undefined, new AbortController().signal));
  assert.deepEqual([r.files, r.failedFiles], [0, 1]);
  const zip = unzipSync(new Uint8Array(await r.blob.arrayBuffer()));
  const tj = json(zip[Object.keys(zip).find((p) => p.endsWith('thread.json'))!]);
  assert.equal(tj.messages[0].files[0].unreadable, 'damaged');
  assert.equal(tj.messages[0].files[0].path, undefined);
  void t;

  const ctl = new AbortController();
  const p = s.my.exportAll((x) => {
    if (x.phase === 'threads' && x.total > 0) ctl.abort();
  }, ctl.signal);
  await assert.rejects(settle(s.clock, p), (e: { code?: string }) => e.code === 'cancelled');
});

test('safe names: no folders, no leading dots, bounded; the zip has no path outside its folders', () => {
  assert.equal(safeName('../../etc/passwd'), 'etc_passwd');
  assert.equal(safeName('.hidden'), 'hidden');
  assert.equal(safeName('kuva äö.png'), 'kuva_äö.png');
  assert.equal(safeName(''), 'file');
  assert.ok(safeName('a'.repeat(300) + '.pdf').length <= 80);
  assert.ok(safeName('a'.repeat(300) + '.pdf').endsWith('.pdf'));
  const f = (name: string) => ({ file: 'f'.repeat(32), name, size: 1, media: 7, mime: 'text/plain', bytes: new Uint8Array([65]), error: null });
  const thread = { thread: 'a'.repeat(32), category: '../x', categoryName: null, state: 'closed', created: NOW, handedOver: true,
    restricted: false, retentionUntil: NOW + 1000, complete: true, locked: false, unreadable: [],
    messages: [{ seq: 1, id: null, time: NOW, role: 'citizen' as const, name: null, kind: 'message' as const, text: 'x', note: null,
      ref: null, mark: 'ok', files: [f('same.txt'), f('same.txt'), f('../same.txt')] }] };
  const { entries } = packExport([thread], NOW, (b) => c.hash(b), (b) => c.sodium.to_hex(b));
  const paths = [...entries.keys()];
  assert.ok(paths.every((p) => p === 'manifest.json' || /^threads\/[^/.][^/]*\/(thread\.json|files\/[^/.][^/]*)$/.test(p)), paths.join(' '));
  assert.equal(paths.filter((p) => p.includes('/files/')).length, 3, 'same names made unique');
  const tj = json(entries.get(paths.find((p) => p.endsWith('thread.json'))!)!);
  assert.equal(tj.handed_over, true);
  assert.equal(tj.retention_until, new Date(NOW + 1000).toISOString());
});

test('a hostile log report: rows of wrong types dropped and counted, long and marked-up texts kept as cut text', async () => {
  const ok = { time: NOW, unit: 'b'.repeat(32), unit_name: 'Aikuissosiaalityö', role: 'worker', name: 'Anna', action: 'thread.read',
    thread: 'c'.repeat(32), outcome: 'ok' };
  const huge = 'x'.repeat(1_000_000);
  const r = parseLogReport({
    from: NOW - 1000, to: NOW,
    accesses: [ok, { ...ok, time: '1' }, { ...ok, role: 'root' }, { ...ok, unit: '<b>' }, null, 7, { ...ok, name: huge, time: NOW + 1 },
      { ...ok, action: '<img src=x onerror=alert(1)>', time: NOW - 5, name: null, unit: null, unit_name: null }],
    disclosures: [{ time: NOW, thread: null, recipient: 'Asiakastietojärjestelmä', basis: 'Suostumus', dataset: 'Kysymys', method: 'http' },
      { time: NOW, recipient: 5 }],
    more: 'yes',
  }, { from: 0, to: 1 });
  assert.equal(r.accesses.length, 3);
  assert.equal(r.dropped, 6);
  assert.equal(r.more, false, 'only true is true');
  assert.equal(r.accesses[0].name!.length, REPORT_MAX_TEXT + 1, 'a huge text is cut');
  assert.equal(r.accesses[2].action, '<img src=x onerror=alert(1)>', 'markup stays text for the views to show as text');
  assert.deepEqual(r.disclosures.map((d) => d.recipient), ['Asiakastietojärjestelmä']);
  assert.equal(cleanText('a\u202eb\u0000c\nd'), 'abc\nd', 'direction overrides and control characters removed');
  assert.throws(() => parseLogReport('nope', { from: 0, to: 1 }));
  const many = parseLogReport({ accesses: new Array(2500).fill(ok), disclosures: 'x' }, { from: 1, to: 2 });
  assert.deepEqual([many.accesses.length, many.more, many.from, many.dropped], [2000, true, 1, 1]);
});

test('log.report: the period asked (two years at most), the reply shown, a refusal of /from told as too old', async () => {
  const s = setup();
  s.server.report = { accesses: [{ time: NOW - 1, unit: null, unit_name: null, role: 'connector', name: null, action: 'handover',
    thread: null, outcome: 'ok' }], disclosures: [], more: false };
  const r = await settle(s.clock, s.my.logReport());
  const asked = s.server.requests('log.report')[0];
  assert.ok((asked.to as number) >= NOW && (asked.to as number) <= s.clock.now(), 'to now');
  assert.equal((asked.to as number) - (asked.from as number), REPORT_MAX_BACK_MS, 'two years back by default');
  assert.equal(r.accesses[0].role, 'connector');
  await assert.rejects(s.my.logReport(NOW - REPORT_MAX_BACK_MS - 3 * 86400_000), (e: { code?: string }) => e.code === 'too_old');
  s.server.report = new Error('bad_request /from');
  await assert.rejects(settle(s.clock, s.my.logReport(NOW - 1000)), (e: { code?: string }) => e.code === 'too_old');
  s.server.report = new Error('internal');
  await assert.rejects(settle(s.clock, s.my.logReport()), (e: { code?: string }) => e.code === 'failed');
  assert.deepEqual(reportPeriod(NOW, NOW - 10, NOW + 99), { from: NOW - 10, to: NOW }, 'never past now');
  assert.throws(() => reportPeriod(NOW, NOW, NOW - 1));
});

test('the period chooser: presets, two dates in Helsinki, each problem on its field', () => {
  const now = Date.UTC(2026, 11, 7, 10, 30);
  assert.equal(helsinkiDayStart('2026-12-07'), Date.UTC(2026, 11, 6, 22));
  assert.equal(helsinkiDayStart('2026-07-01'), Date.UTC(2026, 5, 30, 21), 'summer time');
  assert.equal(helsinkiDayStart('2026-02-30'), null);
  assert.equal(periodOf('3m', '', '', now).from, now - 91 * 86400_000);
  const ok = periodOf('custom', '2026-01-01', '2026-01-31', now);
  assert.deepEqual(ok, { from: Date.UTC(2025, 11, 31, 22), to: Date.UTC(2026, 0, 30, 22) + 86400_000 - 1, problems: [] });
  assert.deepEqual(periodOf('custom', '', '', now).problems.map((p) => p.problem), ['from_missing', 'to_missing']);
  assert.deepEqual(periodOf('custom', '2026-02-01', '2026-01-01', now).problems, [{ field: 'to', problem: 'from_after_to' }]);
  assert.deepEqual(periodOf('custom', '2020-01-01', '2026-01-01', now).problems, [{ field: 'from', problem: 'too_old' }]);
  assert.deepEqual(periodOf('custom', '2027-01-01', '2027-01-02', now).problems, [{ field: 'from', problem: 'future' }]);
});

test('a rights request: the body is content version 2 kind 2 naming the message, sent with rights.request; the unit opens it', async () => {
  const s = setup();
  const t = await ask(s, 'Kysymys');
  const answer = staffContent(s.w, t, s.w.worker, c.contentEncode([], 'Väärä tieto'));
  s.server.append(t, 'worker', answer.body);
  const facts = await settle(s.clock, s.my.threadFacts(t.thread));
  assert.deepEqual(facts.messages.map((m) => [m.seq, m.mine]), [[1, true], [2, false]]);
  assert.equal(facts.messages[1].id, answer.id);
  assert.equal(facts.handedOver, false);
  const req = await settle(s.clock, s.my.requestRights({ thread: t.thread, kind: 'correction', text: ' Osoite on väärä. ', message: answer.id }));
  assert.equal(req.kind, 'correction');
  assert.equal(req.state, 'open');
  const sent = s.server.requests('rights.request')[0];
  assert.deepEqual([sent.thread, sent.kind], [t.thread, 'correction']);
  const opened = contentOpen(c, unitOpens(s.w, t, sent.body as string));
  assert.deepEqual([opened.version, opened.kind, opened.note, opened.text], [2, 2, '', 'Osoite on väärä.']);
  assert.equal(c.sodium.to_hex(opened.ref), answer.id);
  // The request is a message of the thread, in order after the answer.
  const snap = await snapshotOf(s, t.thread, (x) => x.messages.length === 3);
  assert.equal(snap.messages[2].mark, 'ok');
  assert.deepEqual(snap.messages[2].v2, { kind: 2, ref: answer.id, note: '' });
  // Erasure names no message; an empty text or a correction without a message is refused before anything is sent.
  await settle(s.clock, s.my.requestRights({ thread: t.thread, kind: 'erasure', text: 'Poistakaa', message: null }));
  const erase = contentOpen(c, unitOpens(s.w, t, s.server.requests('rights.request')[1].body as string));
  assert.deepEqual(erase.ref, ZERO);
  await assert.rejects(s.my.requestRights({ thread: t.thread, kind: 'objection', text: '  ', message: null }), /text/);
  await assert.rejects(s.my.requestRights({ thread: t.thread, kind: 'correction', text: 'x', message: null }), /message/);
  assert.equal(s.server.requests('rights.request').length, 2);
});

test("rights.list: a decision's reason decrypted from its kind 3 message; one that does not open said so; bad rows dropped", async () => {
  const s = setup();
  const t = await ask(s, 'Kysymys');
  const req = await settle(s.clock, s.my.requestRights({ thread: t.thread, kind: 'erasure', text: 'Poistakaa', message: null }));
  const decision = staffContent(s.w, t, s.w.worker, contentV2Make(c, { kind: 3, ref: c.sodium.from_hex(req.message),
    note: 'Kysymys on siirretty asiakastietoihin.', files: [], text: '' }));
  s.server.append(t, 'worker', decision.body);
  s.server.rights[0] = { ...s.server.rights[0], state: 'refused', decided: NOW + 5, decided_by: 'Eeva Esihenkilö',
    decision_message: decision.id };
  s.server.rights.push({ ...s.server.rights[0], id: 'e'.repeat(32), made: NOW + 1, decision_message: 'd'.repeat(32) });
  s.server.rights.push({ id: 'x', thread: t.thread }, { ...s.server.rights[0], id: 'f'.repeat(32), state: 'lost' });
  const list = await settle(s.clock, s.my.listRights());
  assert.equal(list.length, 2, 'rows that are not requests are dropped');
  const unreadable = list.find((q) => q.id === 'e'.repeat(32))!, refused = list.find((q) => q.id === req.id)!;
  assert.equal(unreadable.decision, 'unreadable');
  assert.equal(refused.state, 'refused');
  assert.equal(refused.decidedBy, 'Eeva Esihenkilö');
  assert.deepEqual(refused.decision, { reason: 'Kysymys on siirretty asiakastietoihin.', text: '' });
  s.server.rightsReply = { requests: 'no' };
  assert.deepEqual(await settle(s.clock, s.my.listRights()), []);
});
