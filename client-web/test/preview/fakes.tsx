// fakes.tsx - in-memory stand-ins for what the citizen's views are given (the connection, the
// key controller, the threads controller: src/app/citizen/contract.ts and session.ts), for
// the preview page: a thread with a worker's answer and an image, an unreadable message and a
// late one, a locked thread, a closed one, a file that stays uploading, the session warning,
// a failed write. Options come from the page's query string (preview.tsx).
import type { ConnectionState, FailedWrite, OutboxNotice, SessionInfo, Summary } from '../../src/app/net';
import type { ListHandle } from '../../src/app/net/connection';
import type {
  Category, ConsentController, ConsentStatus, FileCheck, KeyController, KeyState, PickedFile, ThreadSnapshot, ThreadsController,
  ThreadWatch, UploadProgress,
} from '../../src/app/citizen/contract';
import type { CitizenSession, SessionPhase, ShellConnection } from '../../src/app/citizen/session';
import type { ExportProgress, LogReport, MyDataController, RightsRequest } from '../../src/app/citizen/mydata-contract';

export interface FakeOptions {
  conn: 'open' | 'reconnecting' | 'offline' | 'connecting';
  warn: 'none' | 'idle' | 'absolute';
  keys: KeyState['kind'];
  empty: boolean;
  upload: 'ok' | 'hold' | 'fail';
  outbox: boolean;
  /** The consent of every thread: none given, given, given and handed over, withdrawn after a
   *  hand-over; `fail`: none given, and giving or withdrawing fails. */
  consent: 'none' | 'given' | 'handed' | 'withdrawn' | 'fail';
  /** The "Your data" page: the export stays at its progress (hold) or ends done or failed. */
  exportRun?: 'ok' | 'hold' | 'fail';
  /** The log report as a hostile server might send it (long texts). */
  reportLong?: boolean;
  /** The answered thread is restricted (GDPR 18): readable, no reply taken. */
  restricted?: boolean;
}

const NOW = Date.UTC(2026, 11, 7, 10, 30); // Monday 7.12.2026 12.30 in Helsinki
const MIN = 60_000;
const HOUR = 60 * MIN;
// A small PNG (160x100: sky, grass and a sun) for the attachment and its preview.
const PNG_B64 =
  'iVBORw0KGgoAAAANSUhEUgAAAKAAAABkCAIAAACO1KzYAAABBElEQVR42u3bsRGAIAxAUQajZjBrx3EIZ7JyAGtCiO/uD8DxKo6kjeNS4ZorACzAAizAAizAAgxYgAVYgAU4ec/dvwGu6ZpQGvAs2iTMgOfSLmcGHKS7yhhwnO4SY8ChuvHGgKN1g40BA6a7szFgwHR3NgYMGDBgummNAQMGDBgwYMCAAQMGDNg7GDBgAWbsNwkwYBMdgAEDNlUJ2Fy0bDYwtpuE2Xbhv5iXnxPwFOk8xwNcPMCABViABViABViAAQuwACsDcD+HCgcYsAALsAALsAALMGABFmABFmABFmDAAizAAizAAizAAgxYgAVYgAVYgAUYsAALsAALsAALMGAB1qa91UDuyGsvt/IAAAAASUVORK5CYII=';

function pngBytes() {
  return Uint8Array.from(atob(PNG_B64), (c) => c.charCodeAt(0));
}

const HEX = (n: number) => n.toString(16).padStart(32, '0');
export const THREAD_ANSWERED = HEX(0xa1);
export const THREAD_LOCKED = HEX(0xa2);
export const THREAD_CLOSED = HEX(0xa3);
export const THREAD_NEW = HEX(0xa4);

const CATEGORIES: Category[] = [
  { category: 'income', name: 'Toimeentulotuki ja raha-asiat', openNow: true, serviceHours: { open: '08:00', close: '16:00' }, answerDays: 3, expectedBy: NOW + 3 * 24 * HOUR },
  { category: 'family', name: 'Lapsiperheiden palvelut', openNow: false, serviceHours: { open: '09:00', close: '15:00' }, answerDays: 5, expectedBy: null },
];

function summary(thread: string, state: Summary['state'], category: string, updated: number, unread: number, assignee: boolean): Summary {
  return {
    thread, category, unit: HEX(1), state, assignee: assignee ? HEX(2) : null,
    assignee_name: assignee ? { name: 'Anna', title: 'sosiaalityöntekijä' } : null,
    created: updated - 26 * HOUR, updated, last_seq: 3, read_seq: 3 - unread, unread, deadline: null, change: 10,
  };
}

function snapshots(): Map<string, ThreadSnapshot> {
  const png = { file: HEX(0xf1), size: 317, media: 3 };
  const pdf = { file: HEX(0xf2), size: 183_000, media: 1 };
  return new Map<string, ThreadSnapshot>([
    [THREAD_ANSWERED, {
      thread: THREAD_ANSWERED, state: 'answered', category: 'income', complete: true, locked: false, sending: [],
      messages: [
        { seq: 1, time: NOW - 26 * HOUR, mine: true, author: null, files: [pdf], mark: 'ok',
          text: 'Hei. Sain päätöksen toimeentulotuesta, mutta en ymmärrä, miksi vuokraa ei huomioitu kokonaan.\nLiitän päätöksen mukaan.' },
        { seq: 2, time: NOW - 3 * HOUR, mine: false, author: { name: 'Anna', title: 'sosiaalityöntekijä' }, files: [png], mark: 'ok',
          text: 'Hei! Kiitos viestistä. Vuokrasta huomioidaan kuntakohtainen enimmäismäärä. Voit hakea oikaisua 30 päivän kuluessa. Liitin kuvan ohjeesta.' },
        { seq: 4, time: NOW - 1 * HOUR, mine: false, author: null, files: [], mark: 'late', text: 'Lisäys: oikaisuvaatimuksen voi tehdä myös kirjallisesti.' },
      ],
      unreadable: [{ seq: 3, time: NOW - 2 * HOUR, reason: 'bad_signature' }],
    }],
    [THREAD_LOCKED, { thread: THREAD_LOCKED, state: 'claimed', category: 'family', complete: true, locked: true, sending: [], messages: [], unreadable: [] }],
    [THREAD_CLOSED, {
      thread: THREAD_CLOSED, state: 'closed', category: 'family', complete: true, locked: false, sending: [], unreadable: [],
      messages: [
        { seq: 1, time: NOW - 240 * HOUR, mine: true, author: null, files: [], mark: 'ok', text: 'Miten haen tukea lapsen harrastukseen?' },
        { seq: 2, time: NOW - 200 * HOUR, mine: false, author: { name: 'Mikko', title: null }, files: [], mark: 'ok', text: 'Tukea haetaan lomakkeella. Kysymys on nyt suljettu.', id: HEX(0xe2) },
        // Content version 2: a correction of seq 2, the citizen's request, the decision on it.
        { seq: 3, time: NOW - 190 * HOUR, mine: false, author: { name: 'Mikko', title: null }, files: [], mark: 'ok', id: HEX(0xe3),
          text: 'Tukea haetaan sähköisellä lomakkeella tai paperilomakkeella.', v2: { kind: 1, ref: HEX(0xe2), note: 'Paperilomake puuttui ohjeesta.' } },
        { seq: 4, time: NOW - 180 * HOUR, mine: true, author: null, files: [], mark: 'ok', id: HEX(0xe4),
          text: 'Pyydän poistamaan tämän kysymyksen.', v2: { kind: 2, ref: HEX(0), note: '' } },
        { seq: 5, time: NOW - 170 * HOUR, mine: false, author: { name: 'Mikko', title: null }, files: [], mark: 'ok', id: HEX(0xe5),
          text: '', v2: { kind: 3, ref: HEX(0xe4), note: 'Kysymys on siirretty asiakastietoihisi.' } },
      ],
    }],
    [THREAD_NEW, {
      thread: THREAD_NEW, state: 'new', category: 'family', complete: false, locked: false, unreadable: [],
      messages: [{ seq: 1, time: NOW - 20 * MIN, mine: true, author: null, files: [], mark: 'ok', text: 'Tarvitsen apua päivähoitopaikan hakemiseen.' }],
      sending: [{ local: 'l1', text: 'Unohdin kertoa, että lapsi on 3-vuotias.', files: [] }, { local: 'l2', text: 'Onko jonoa?', files: [], failed: 'rate_limited' }],
    }],
  ]);
}

function checkFile(f: PickedFile): FileCheck {
  const b = f.bytes;
  if (b.length === 0) return { ok: false, problem: 'empty', image: false };
  if (b.length > 25 * 1024 * 1024) return { ok: false, problem: 'too_large', image: false };
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { ok: true, media: 2, image: true };
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return { ok: true, media: 3, image: true };
  if (b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46) return { ok: true, media: 1, image: false };
  return { ok: false, problem: 'type', image: false };
}

class Emitter<T> {
  private readonly fns = new Set<(v: T) => void>();
  add(fn: (v: T) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  emit(v: T): void {
    for (const fn of [...this.fns]) fn(v);
  }
}

export function fakeThreads(opts: FakeOptions, list: Summary[], onListChange: () => void): ThreadsController & { push(thread: string): void } {
  const snaps = snapshots();
  if (opts.restricted) snaps.set(THREAD_ANSWERED, { ...snaps.get(THREAD_ANSWERED)!, restricted: true });
  const watchers = new Map<string, Emitter<ThreadSnapshot>>();
  const drafts = new Map<string, string>();
  const emitter = (t: string) => watchers.get(t) ?? watchers.set(t, new Emitter()).get(t)!;
  const progressRun = (files: PickedFile[], onProgress: (p: UploadProgress) => void): Promise<void> =>
    new Promise((resolve, reject) => {
      files.forEach((f, i) => onProgress({ file: i, state: 'waiting', sent: 0, total: Math.max(65536, f.bytes.length) }));
      let step = 0;
      const tick = () => {
        step++;
        files.forEach((f, i) => {
          const total = Math.max(65536, f.bytes.length);
          if (opts.upload === 'fail' && i === files.length - 1 && step >= 2) onProgress({ file: i, state: 'failed', sent: Math.floor(total / 3), total, error: 'network' });
          else if (opts.upload === 'hold' && i === files.length - 1) onProgress({ file: i, state: 'uploading', sent: Math.floor(total * 0.4), total });
          else onProgress({ file: i, state: step >= 2 ? 'done' : 'uploading', sent: step >= 2 ? total : total / 2, total });
        });
        if (step < 2) setTimeout(tick, 50);
        else if (opts.upload === 'fail' && files.length > 0) reject(new Error('network'));
        else if (opts.upload === 'hold' && files.length > 0) return; // stays uploading
        else resolve();
      };
      setTimeout(tick, 50);
    });
  return {
    categories: async () => CATEGORIES,
    checkFile,
    async ask(input, onProgress) {
      await progressRun(input.files, onProgress);
      const thread = HEX(0xb0 + list.length);
      snaps.set(thread, {
        thread, state: 'new', category: input.category, complete: true, locked: false, sending: [], unreadable: [],
        messages: [{ seq: 1, time: Date.now(), mine: true, author: null, files: [], mark: 'ok', text: input.text }],
      });
      list.unshift(summary(thread, 'new', input.category, Date.now(), 0, false));
      onListChange();
      return thread;
    },
    watch(thread): ThreadWatch {
      const e = emitter(thread);
      return { snapshot: () => snaps.get(thread) ?? null, subscribe: (fn) => e.add(fn), close: () => undefined };
    },
    async reply(thread, text, files, onProgress) {
      await progressRun(files, onProgress);
      const s = snaps.get(thread)!;
      const seq = Math.max(0, ...s.messages.map((m) => m.seq)) + 1;
      const next = { ...s, state: 'claimed' as const, messages: [...s.messages, { seq, time: Date.now(), mine: true, author: null, files: [], mark: 'ok' as const, text }] };
      snaps.set(thread, next);
      emitter(thread).emit(next);
    },
    async close(thread) {
      const next = { ...snaps.get(thread)!, state: 'closed' as const };
      snaps.set(thread, next);
      emitter(thread).emit(next);
    },
    markRead: () => undefined,
    async download(_thread, f) {
      if (f.media === 3) return new Blob([pngBytes()], { type: 'image/png' });
      return new Blob([new TextEncoder().encode('%PDF-1.4\n')], { type: 'application/pdf' });
    },
    loadDraft: async (t) => drafts.get(t ?? '') ?? '',
    saveDraft: async (t, text) => void drafts.set(t ?? '', text),
    discardDraft: async (t) => void drafts.delete(t ?? ''),
    consent: fakeConsent(opts),
    /** A worker's answer arrives in `thread` (for the live region). */
    push(thread) {
      const s = snaps.get(thread)!;
      const seq = Math.max(0, ...s.messages.map((m) => m.seq), ...s.unreadable.map((u) => u.seq)) + 1;
      const next = { ...s, messages: [...s.messages, { seq, time: NOW, mine: false, author: { name: 'Anna', title: 'sosiaalityöntekijä' }, files: [], mark: 'ok' as const, text: 'Tässä vielä linkki ohjeeseen.' }] };
      snaps.set(thread, next);
      emitter(thread).emit(next);
    },
  };
}

/** The consent of the threads as the option says; give and withdraw change it (or fail). */
export function fakeConsent(opts: FakeOptions): ConsentController {
  const connector = HEX(0xc0);
  let status: ConsentStatus = opts.consent === 'given' ? { consent: { connector, given: NOW - 24 * HOUR, withdrawn: null, epoch: 0 }, handedOver: false }
    : opts.consent === 'handed' ? { consent: { connector, given: NOW - 72 * HOUR, withdrawn: null, epoch: 0 }, handedOver: true }
    : opts.consent === 'withdrawn' ? { consent: { connector, given: NOW - 72 * HOUR, withdrawn: NOW - 2 * HOUR, epoch: 0 }, handedOver: true }
    : { consent: null, handedOver: false };
  const later = <T,>(v: () => T): Promise<T> => new Promise((resolve, reject) => setTimeout(() => {
    try {
      resolve(v());
    } catch (e) {
      reject(e);
    }
  }, 150));
  const failing = () => {
    if (opts.consent === 'fail') throw Object.assign(new Error('offline'), { code: 'network' });
  };
  return {
    status: () => later(() => status),
    give: () => later(() => {
      failing();
      status = { consent: { connector, given: Date.now(), withdrawn: null, epoch: 1 }, handedOver: status.handedOver };
      return status;
    }),
    withdraw: () => later(() => {
      failing();
      status = { consent: { ...status.consent!, withdrawn: Date.now() }, handedOver: status.handedOver };
      return status;
    }),
  };
}

export function fakeKeys(opts: FakeOptions): KeyController {
  const state: KeyState = opts.keys === 'ready'
    ? { kind: 'ready', keys: { userId: HEX(9), identity: {} as never, identityId: HEX(8), device: {} as never, deviceKid: HEX(7), deviceSeed: new Uint8Array(32) } }
    : opts.keys === 'new-device' ? { kind: 'new-device', identities: 1, hasRecovery: true }
    : opts.keys === 'failed' ? { kind: 'failed', reason: 'network' }
    : ({ kind: opts.keys } as KeyState);
  return {
    state: () => state,
    subscribe: () => () => undefined,
    createIdentity: async () => ({ recoveryCode: 'K7M2Q-9XJ4T-PW3RB-HC8NZ-4FDL6-TQ9VA-M2YE5' }),
    recover: async () => undefined,
    startNewIdentity: async () => ({ recoveryCode: 'K7M2Q-9XJ4T-PW3RB-HC8NZ-4FDL6-TQ9VA-M2YE5' }),
    askApproval: () => ({ cancel: () => undefined }),
    watchApprovals: () => () => undefined,
    challenge: async () => undefined,
    approve: async () => undefined,
    decline: () => undefined,
    devices: async () => [{ kid: HEX(7), current: true, created: NOW - 30 * 24 * HOUR, lastUsed: NOW, verified: true }],
    removeDevice: async () => undefined,
  };
}

export function fakeConnection(opts: FakeOptions, list: Summary[], listChanged: Emitter<Summary[]>): ShellConnection & { failWrite(): void; warn(): void } {
  const states = new Emitter<ConnectionState>();
  const sessions = new Emitter<SessionInfo>();
  const outbox = new Emitter<OutboxNotice>();
  const failed = new Map<string, FailedWrite>();
  let state: ConnectionState = opts.conn === 'reconnecting' ? { kind: 'reconnecting', attempt: 3, retryAt: Date.now() + 17_000, cause: 'dropped' }
    : opts.conn === 'offline' ? { kind: 'offline', cause: 'network' }
    : opts.conn === 'connecting' ? { kind: 'connecting', attempt: 0 }
    : { kind: 'open', syncing: false };
  const ends = Date.now() + 3 * MIN;
  let info: SessionInfo = {
    sessionExpires: opts.warn === 'absolute' ? ends : Date.now() + 8 * HOUR,
    idleExpires: ends,
    warning: opts.warn === 'none' ? null : { reason: opts.warn, ends },
  };
  let contact: { email: string | null; phone: string | null; lang: string | null } = { email: null, phone: null, lang: null };
  const conn = {
    get state() {
      return state;
    },
    onState: (fn: (s: ConnectionState) => void) => states.add(fn),
    retryNow() {
      state = { kind: 'connecting', attempt: 0 };
      states.emit(state);
      setTimeout(() => {
        state = { kind: 'open', syncing: false };
        states.emit(state);
      }, 300);
    },
    get sessionInfo() {
      return info;
    },
    onSession: (fn: (i: SessionInfo) => void) => sessions.add(fn),
    async extendSession() {
      info = { sessionExpires: info.sessionExpires, idleExpires: Date.now() + 30 * MIN, warning: null };
      sessions.emit(info);
      return info;
    },
    watchList(): ListHandle {
      return {
        summaries: () => [...list],
        ready: true,
        subscribe: (fn: (s: Summary[]) => void) => listChanged.add(fn),
        close: () => undefined,
      };
    },
    onOutbox: (fn: (n: OutboxNotice) => void) => outbox.add(fn),
    failedWrites: () => [...failed.values()],
    async retryWrite(id: string) {
      const f = failed.get(id);
      if (f === undefined) throw Object.assign(new Error('no such write'), { code: 'not_found' });
      failed.delete(id);
      outbox.emit({ kind: 'queued', request: f.request, restored: false });
      outbox.emit({ kind: 'done', request: f.request, reply: { type: 'ok', id } });
      return { type: 'ok', id };
    },
    discardWrite(id: string) {
      const f = failed.get(id);
      if (f === undefined) return false;
      failed.delete(id);
      outbox.emit({ kind: 'discarded', request: f.request });
      return true;
    },
    async request(type: string, fields: Record<string, unknown>) {
      if (type === 'notify.get') return { type: 'ok', ...contact };
      if (type === 'notify.set') {
        contact = { email: (fields.email as string) ?? null, phone: (fields.phone as string) ?? null, lang: fields.lang as string };
        return { type: 'ok', email: contact.email !== null, phone: contact.phone !== null };
      }
      if (type === 'notify.delete') {
        contact = { email: null, phone: null, lang: null };
        return { type: 'ok', deleted: true };
      }
      return { type: 'ok' };
    },
    touch: () => undefined,
    /** The session warning comes now (idle: "Continue" extends the session). */
    warn() {
      const end = Date.now() + 3 * MIN;
      info = { sessionExpires: info.sessionExpires, idleExpires: end, warning: { reason: 'idle', ends: end } };
      sessions.emit(info);
    },
    failWrite() {
      const f: FailedWrite = { request: { type: 'message.send', id: 'r1', thread: THREAD_NEW, body: 'x' },
        error: Object.assign(new Error('rate'), { code: 'rate_limited' }) as never };
      failed.set(f.request.id, f);
      outbox.emit({ kind: 'failed', ...f });
    },
  };
  return conn as unknown as ShellConnection & { failWrite(): void; warn(): void };
}

/** The "Your data" controller: a log report, an export that runs, requests with decisions. */
export function fakeMyData(opts: FakeOptions): MyDataController {
  const DAY = 24 * HOUR;
  const long = opts.reportLong ? ' ' + 'pitkä-teksti-ilman-välejä'.repeat(12) : '';
  const report = (from: number, to: number): LogReport => ({
    from, to, more: false, dropped: opts.reportLong ? 2 : 0,
    accesses: [
      { time: NOW - 3 * HOUR, unit: HEX(1), unitName: 'Aikuissosiaalityö, Keskusta', role: 'worker', name: 'Anna Virtanen' + long, action: 'thread.read', thread: THREAD_ANSWERED, outcome: 'ok' },
      { time: NOW - 26 * HOUR, unit: HEX(1), unitName: 'Aikuissosiaalityö, Keskusta', role: 'worker', name: null, action: 'file.get', thread: THREAD_ANSWERED, outcome: 'ok' },
      { time: NOW - 5 * DAY, unit: HEX(1), unitName: 'Aikuissosiaalityö, Keskusta', role: 'supervisor', name: 'Eeva Esimerkki', action: 'thread.identity', thread: THREAD_CLOSED, outcome: 'denied' },
      { time: NOW - 9 * DAY, unit: null, unitName: null, role: 'connector', name: null, action: 'handover', thread: THREAD_CLOSED, outcome: 'ok' },
      { time: NOW - 40 * DAY, unit: HEX(1), unitName: null, role: 'admin', name: null, action: '<b>unit.rekey</b>', thread: null, outcome: 'ok' },
    ],
    disclosures: [
      { time: NOW - 9 * DAY, thread: THREAD_CLOSED, recipient: 'Sosiaalihuollon asiakastietojärjestelmä (Kanta)', basis: 'Suostumuksesi 28.11.2026' + long, dataset: 'Kysymys viesteineen ja liitteineen', method: 'http' },
    ],
  });
  const requests: RightsRequest[] = [
    { id: HEX(0xc1), thread: THREAD_CLOSED, kind: 'erasure', state: 'refused', made: NOW - 20 * DAY, due: NOW + 11 * DAY, decided: NOW - 2 * DAY,
      decidedBy: 'Eeva Esimerkki', message: HEX(0xd1), decisionMessage: HEX(0xd2),
      decision: { reason: 'Kysymys on siirretty asiakastietoihisi. Asiakasasiakirja säilytetään lain mukaan 12 vuotta.', text: '' } },
    { id: HEX(0xc2), thread: THREAD_ANSWERED, kind: 'correction', state: 'open', made: NOW - 2 * DAY, due: NOW + 29 * DAY, decided: null,
      decidedBy: null, message: HEX(0xd3), decisionMessage: null, decision: null },
    { id: HEX(0xc3), thread: THREAD_ANSWERED, kind: 'restriction', state: 'granted', made: NOW - 60 * DAY, due: NOW - 29 * DAY, decided: NOW - 35 * DAY,
      decidedBy: null, message: HEX(0xd4), decisionMessage: HEX(0xd5), decision: 'unreadable' },
  ];
  return {
    logReport: async (from, to) => report(from ?? NOW - 730 * DAY, to ?? NOW),
    exportAll: (onProgress, signal) => new Promise((resolve, reject) => {
      const steps: ExportProgress[] = [
        { phase: 'threads', done: 0, total: 4, files: 0 }, { phase: 'threads', done: 1, total: 4, files: 2 },
        { phase: 'threads', done: 2, total: 4, files: 2 }, { phase: 'threads', done: 4, total: 4, files: 2 }, { phase: 'packing', done: 4, total: 4, files: 2 },
      ];
      let i = 0;
      signal.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { code: 'cancelled' })));
      const tick = () => {
        if (signal.aborted) return;
        if (opts.exportRun === 'hold' && i === 2) return; // stays at 1 of 4
        if (i < steps.length) {
          onProgress(steps[i++]);
          setTimeout(tick, 30);
          return;
        }
        if (opts.exportRun === 'fail') return reject(Object.assign(new Error('failed'), { code: 'network' }));
        resolve({ blob: new Blob([new Uint8Array(183_400)], { type: 'application/zip' }), name: 'x.zip', threads: 4, messages: 9, files: 2,
          unreadable: 1, failedFiles: 0 });
      };
      tick();
    }),
    threadFacts: async (thread) => ({
      thread, handedOver: thread === THREAD_CLOSED, restricted: thread === THREAD_LOCKED, retentionUntil: thread === THREAD_CLOSED ? Date.UTC(2038, 11, 31) : null,
      messages: (snapshots().get(thread)?.messages ?? []).map((m) => ({ id: HEX(0xe0 + m.seq), seq: m.seq, time: m.time, mine: m.mine, text: m.text })),
    }),
    requestRights: async (x) => ({ id: HEX(0xc9), thread: x.thread, kind: x.kind, state: 'open', made: NOW, due: NOW + 31 * DAY, decided: null,
      decidedBy: null, message: HEX(0xd9), decisionMessage: null, decision: null }),
    listRights: async () => requests,
  };
}

/** The fake session: a citizen with keys and threads as the options say. */
export function fakeSession(opts: FakeOptions): { session: CitizenSession; threads: ReturnType<typeof fakeThreads>; conn: ReturnType<typeof fakeConnection> } {
  const list: Summary[] = opts.empty ? [] : [
    summary(THREAD_ANSWERED, 'answered', 'income', NOW - 1 * HOUR, 2, true),
    summary(THREAD_NEW, 'new', 'family', NOW - 20 * MIN, 0, false),
    summary(THREAD_LOCKED, 'claimed', 'family', NOW - 50 * HOUR, 0, true),
    summary(THREAD_CLOSED, 'closed', 'family', NOW - 200 * HOUR, 0, true),
  ];
  const listChanged = new Emitter<Summary[]>();
  const conn = fakeConnection(opts, list, listChanged);
  const threads = fakeThreads(opts, list, () => listChanged.emit([...list]));
  const keys = fakeKeys(opts);
  let phase: SessionPhase = { kind: 'citizen', crypto: 'ready', keys, threads: opts.keys === 'ready' ? threads : null, mydata: fakeMyData(opts) };
  const phases = new Emitter<SessionPhase>();
  const session: CitizenSession = {
    conn,
    phase: () => phase,
    subscribe: (fn) => phases.add(fn),
    async logout() {
      phase = { kind: 'logged-out' };
      phases.emit(phase);
      return true;
    },
    endOnExit: () => undefined,
  };
  return { session, threads, conn };
}
