// staff-fake.ts - a fake adviced for the staff app's logic (test/app/staff-*.test.ts), with the
// real keys of citizen-threads-fake.ts's World plus a supervisor and a second unit: threads a
// citizen opened (an envelope of the certified device, the key wrapped to the unit and the
// identity), the queue requests (thread.list with deadlines, queue.settings, duty, dashboard),
// the thread requests as staff (thread.get, thread.keys, thread.read with certificates, claim,
// message.send, close, release, reassign, rekey, files), notes, presence, the identity box,
// canned answers, roster and the access log. It records every request and frame it gets, and
// plays a hostile server when a test changes what it holds.
import * as c from '../../src/crypto/index';
import type { Clock } from '../../src/app/net/clock';
import type { SocketFactory, SocketHandlers, SocketLike } from '../../src/app/net/socket';
import type { StaffKeys, StaffSession, StaffUnit } from '../../src/app/staff/contract';
import { b64, CATEGORY, NOW, unb64, WORKER_ID, World, type FakeThread } from './citizen-threads-fake';

export { b64, CATEGORY, NOW, unb64, WORKER_ID };
export const SUPERVISOR_ID = 'd'.repeat(32);
export const OTHER_ID = 'e'.repeat(32);
export const CATEGORY_B = 'family-services';
const hex = (b: Uint8Array): string => c.sodium.to_hex(b);
const validity = { notBefore: BigInt(NOW - 86400_000), notAfter: BigInt(NOW + 365 * 86400_000) };
const WRITES = new Set(['roster.set', 'closed.set', 'thread.claim', 'message.send', 'thread.close', 'thread.release', 'thread.reassign', 'thread.rekey', 'wrap.put',
  'file.begin', 'note.add', 'canned.put', 'canned.delete', 'duty.set', 'read.set']);

/** The World with a supervisor and a second unit (B) of its own key generation and log. */
export class StaffWorld extends World {
  readonly supervisor = c.keysPersonal(c.random(32));
  readonly supervisorCert: Uint8Array;
  readonly unitIdB = c.random(16);
  readonly unitKeysB = c.keysUnit(c.random(32));
  readonly unitEventB: Uint8Array;
  readonly unitLogB: Uint8Array[] = [];

  constructor() {
    super();
    this.supervisorCert = c.certSign({ role: 2, subjectId: c.sodium.from_hex(SUPERVISOR_ID), signPk: this.supervisor.signPk,
      boxPk: this.supervisor.boxPk, ...validity }, this.admin);
    this.unitEventB = c.unitEventSign({ unitId: this.unitIdB, generation: 1, boxPk: this.unitKeysB.boxPk, signPk: this.unitKeysB.signPk,
      prevHash: new Uint8Array(32), createdAt: BigInt(NOW - 3600_000), members: [] }, this.admin);
    for (const [kind, subject] of [[1, c.hash(this.unitEventB)], [5, new Uint8Array(32)]] as [number, Uint8Array][]) {
      const prev = this.unitLogB[this.unitLogB.length - 1];
      this.unitLogB.push(c.ulogSign({ unitId: this.unitIdB, seq: this.unitLogB.length + 1, prevHash: prev ? c.hash(prev) : new Uint8Array(32),
        kind, generation: 1, subject, at: BigInt(NOW - 1000), validUntil: BigInt(NOW + 7 * 86400_000) }, this.admin));
    }
  }

  get unitB(): string {
    return hex(this.unitIdB);
  }

  /** The keys of the staff member `who` as the staff app holds them in memory. */
  staffKeys(who: 'worker' | 'supervisor'): StaffKeys {
    const identity = who === 'worker' ? this.worker : this.supervisor;
    const cert = who === 'worker' ? this.workerCert : this.supervisorCert;
    return {
      userId: who === 'worker' ? WORKER_ID : SUPERVISOR_ID, identity, ownCerts: [cert], adminCerts: [this.adminCert], root: this.root.signPk,
      // Generation 1, and the newest after a rotation (World.rotate keeps only the current keys).
      unitKeys: (unit, g) => (unit !== this.unit ? null : g === 1 ? this.unitKeys : g === this.generations.length ? this.current : null),
      currentGeneration: (unit) => (unit === this.unit ? this.generations.length : null),
    };
  }

  session(who: 'worker' | 'supervisor'): StaffSession {
    const units: StaffUnit[] = [{ unit: this.unit, name: 'Aikuissosiaalityö', role: who }];
    const keys = this.staffKeys(who);
    return { userId: keys.userId, username: who, units, supervisor: who === 'supervisor', keys: () => keys };
  }
}

export interface StaffThreadRec extends FakeThread {
  unit: string;
  assignee: string | null;
  change: number;
  deadline: Record<string, unknown> | null;
  notes: Record<string, unknown>[];
  identityBoxes: { unit: string; generation: number; box: string }[];
  viewers: { user: string; name: { name: string; title: string | null } | null; state: 'viewing' | 'writing'; since: number }[];
  /** Restricted (GDPR 18): reads need purpose legal_claim and a reason; writes but rights.decide refused. */
  restricted?: boolean;
}

class Sock implements SocketLike {
  open = false;
  closed = false;

  constructor(readonly server: StaffServer, readonly h: SocketHandlers) {}

  send(data: string | Uint8Array): void {
    const copy = typeof data === 'string' ? data : data.slice();
    queueMicrotask(() => {
      if (!this.open) return;
      if (typeof copy === 'string') this.server.receive(this, copy);
      else this.server.binary(this, copy);
    });
  }

  close(code = 1000): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    queueMicrotask(() => this.h.close({ code, opened: true }));
  }

  push(obj: Record<string, unknown>): void {
    const text = JSON.stringify(obj);
    if (this.open) queueMicrotask(() => this.open && this.h.message(text));
  }
}

export class StaffServer {
  readonly sockets: Sock[] = [];
  /** Every text request, in order of arrival. */
  readonly received: Record<string, unknown>[] = [];
  /** Every binary frame, as sent. */
  readonly frames: Uint8Array[] = [];
  readonly committed = new Map<string, Record<string, unknown>>();
  readonly threads = new Map<string, StaffThreadRec>();
  readonly files = new Map<string, { thread: string; size: number; chunks: (Uint8Array | undefined)[] }>();
  readonly canned: Record<string, unknown>[] = [];
  readonly closedDays: { date: string; kind: 'holiday' | 'closed' }[] = [];
  readonly refuseNext = new Map<string, string>();
  /** Extra certificates note.list and canned.list serve (the authors'). */
  noteCerts: Uint8Array[] = [];
  duty: { duty: string; until: number | null } = { duty: 'roster', until: null };
  shifts: Record<string, unknown>[] = [];
  unitClosed: { date: string; note: string | null }[] = [];
  private changeCounter = 10;
  private noteCount = 0;

  constructor(readonly clock: Clock, readonly w: StaffWorld, readonly user: string, readonly role: 'worker' | 'supervisor') {}

  readonly factory: SocketFactory = (h) => {
    const sock = new Sock(this, h);
    this.sockets.push(sock);
    setImmediate(() => {
      sock.open = true;
      h.open();
      sock.push({ type: 'event', event: 'welcome', protocol: 'advice.v1', user: this.user, role: this.role,
        units: [{ unit: this.w.unit, name: 'Aikuissosiaalityö', role: this.role }], session_expires: this.clock.now() + 8 * 3600_000,
        idle_expires: this.clock.now() + 1800_000 });
    });
    return sock;
  };

  broadcast(obj: Record<string, unknown>): void {
    for (const s of this.sockets) if (s.open) s.push({ type: 'event', ...obj });
  }

  requests(type: string): Record<string, unknown>[] {
    return this.received.filter((r) => r.type === type);
  }

  /** A citizen's new thread: the first envelope by the certified device, its key wrapped to unit A and the identity. */
  citizenOpen(text: string, opts: { category?: string; created?: number; deadline?: Record<string, unknown> | null } = {}): StaffThreadRec {
    const w = this.w, tid = c.random(16), thread = hex(tid), share = c.random(32), key = c.random(32);
    const created = opts.created ?? this.clock.now();
    const t: StaffThreadRec = { thread, category: opts.category ?? CATEGORY, unit: w.unit, state: 'new', created, updated: created, share,
      messages: [], wraps: [w.unitKeys.boxPk, w.identity.boxPk].map((pk) => b64(c.wrapSeal(1, tid, 0, pk, key, c.random(32), w.device))),
      epoch: 0, epochs: [], assigneeName: null, assignee: null, change: ++this.changeCounter, deadline: opts.deadline ?? null, notes: [],
      identityBoxes: [], viewers: [] };
    const env = c.envelopeSeal({ threadId: tid, messageId: c.random(16), epoch: 0, senderSeq: 1n, prevHash: new Uint8Array(32),
      createdAt: BigInt(created), nonce: c.random(24) }, c.threadMsgKey(key, tid, 0, share), c.contentEncode([], text), w.device);
    t.messages.push({ seq: 1, sender: 'f'.repeat(32), role: 'citizen', time: created, body: b64(env) });
    this.threads.set(thread, t);
    return t;
  }

  summary(t: StaffThreadRec): Record<string, unknown> {
    return { thread: t.thread, category: t.category, unit: t.unit, state: t.state, assignee: t.assignee, assignee_name: t.assigneeName,
      created: t.created, updated: t.updated, last_seq: t.messages.length, read_seq: 0, unread: t.messages.length, deadline: t.deadline,
      change: t.change, ...(t.restricted === true ? { restricted: true } : {}) };
  }

  /** The thread changed (state, assignee, unit, a message): the counter moves and staff are told. */
  touch(t: StaffThreadRec): void {
    t.change = ++this.changeCounter;
    t.updated = Math.max(t.updated + 1, this.clock.now());
    this.broadcast({ event: 'thread.changed', thread: t.thread, state: t.state, assignee: t.assignee, unit: t.unit, category: t.category,
      last_seq: t.messages.length, updated: t.updated, assignee_name: t.assigneeName, restricted: t.restricted === true });
  }

  /** A message appended as the server orders them (metadata only to staff). */
  append(t: StaffThreadRec, role: 'citizen' | 'worker', body: string, sender = role === 'worker' ? OTHER_ID : 'f'.repeat(32)): void {
    const seq = t.messages.length + 1;
    t.messages.push({ seq, sender, role, time: this.clock.now(), body });
    this.broadcast({ event: 'message.new', thread: t.thread, seq, role, time: this.clock.now() });
    this.touch(t);
  }

  receive(sock: Sock, text: string): void {
    const req = JSON.parse(text) as Record<string, unknown>;
    this.received.push(req);
    const id = req.id as string;
    const stored = this.committed.get(id);
    if (stored !== undefined) return sock.push(stored);
    let out: Record<string, unknown>;
    try {
      const refusal = this.refuseNext.get(req.type as string);
      if (refusal !== undefined) {
        this.refuseNext.delete(req.type as string);
        throw new Error(refusal);
      }
      out = { type: 'ok', id, ...this.run(req) };
    } catch (e) {
      const [code, field] = (e as Error).message.split(' ');
      return sock.push({ type: 'error', id, code, message: 'refused', ...(field ? { field } : {}) });
    }
    if (WRITES.has(req.type as string)) this.committed.set(id, out);
    sock.push(out);
  }

  binary(sock: Sock, b: Uint8Array): void {
    this.frames.push(b.slice());
    const file = hex(b.subarray(4, 20)), index = new DataView(b.buffer, b.byteOffset).getUint32(20, true);
    const f = this.files.get(file);
    const answer = (o: Record<string, unknown>): void => sock.push({ type: 'event', event: 'file.chunk', file, index, ...o });
    if (f === undefined) return answer({ code: 'not_found' });
    f.chunks[index] = b.slice(24);
    const received = f.chunks.findIndex((x) => x === undefined);
    answer({ code: 'ok', received: received < 0 ? f.chunks.length : received, complete: received < 0 });
  }

  private thread(id: unknown): StaffThreadRec {
    const t = this.threads.get(id as string);
    if (t === undefined || t.unit !== this.w.unit) throw new Error('not_found /thread');
    return t;
  }

  private keysUnit(unit: string): Record<string, unknown> {
    const w = this.w;
    if (unit === w.unit) return { root: null, certs: [b64(w.adminCert)], unit, generations: w.generations, log: w.unitLog.map(b64), log_more: false };
    if (unit === w.unitB) {
      return { root: null, certs: [b64(w.adminCert)], unit, generations: [{ generation: 1, event: b64(w.unitEventB), chain: null }],
        log: w.unitLogB.map(b64), log_more: false };
    }
    throw new Error('not_found /unit');
  }

  /** Rights requests rights.list serves and rights.decide decides. */
  rights: Record<string, unknown>[] = [];

  /** A restricted thread's reads need the legal-claim purpose and a reason; its writes are refused. */
  private restriction(req: Record<string, unknown>): void {
    const t = this.threads.get(req.thread as string);
    if (t?.restricted !== true) return;
    const reads = ['thread.read', 'thread.keys', 'note.list', 'thread.identity'];
    if (reads.includes(req.type as string)) {
      const reason = req.reason;
      if (req.purpose !== 'legal_claim' || typeof reason !== 'string' || reason.length < 1 || reason.length > 500) throw new Error('restricted');
    } else if (WRITES.has(req.type as string) || req.type === 'message.send') throw new Error('restricted');
  }

  private run(req: Record<string, unknown>): Record<string, unknown> {
    const w = this.w;
    this.restriction(req);
    switch (req.type) {
      case 'rights.list':
        return { requests: this.rights.filter((r) => req.thread === undefined || r.thread === req.thread) };
      case 'rights.decide': {
        const t = this.thread(req.thread);
        const r = this.rights.find((x) => x.id === req.request);
        if (r === undefined) throw new Error('not_found /request');
        this.append(t, 'worker', req.body as string, this.user);
        r.state = req.outcome;
        r.decided = this.clock.now();
        return { request: r };
      }
      case 'thread.list': {
        const since = req.changed_since as number | undefined;
        const mine = [...this.threads.values()].filter((t) => t.unit === w.unit && (since === undefined || t.change > since));
        const removed = since === undefined ? [] : [...this.threads.values()].filter((t) => t.unit !== w.unit && t.change > since)
          .map((t) => ({ thread: t.thread, change: t.change, reason: 'gone' }));
        return { threads: mine.map((t) => this.summary(t)), removed, change: this.changeCounter, more: false };
      }
      case 'queue.settings':
        return { queues: [{ queue: '1'.repeat(32), category: CATEGORY, name: 'Aikuissosiaalityö', unit: w.unit, policy: 'manual', fallback: null,
          first_answer_days: 3, follow_up_days: 3, warn_percent: 75, service_hours: { open: '08:00', close: '16:00' } }],
        closed_days: this.closedDays, time: this.clock.now() };
      case 'categories.list':
        return { categories: [{ category: CATEGORY_B, name: 'Perhepalvelut', unit: w.unitB, service_hours: { open: '08:00', close: '16:00' },
          open_now: true, answer_days: 3, expected_by: null }] };
      case 'duty.get':
      case 'duty.set':
        if (req.type === 'duty.set') this.duty = { duty: req.duty as string, until: (req.until as number | undefined) ?? null };
        return { ...this.duty, units: [{ unit: w.unit, on_duty: this.duty.duty !== 'off', staff_on_duty: [] }] };
      case 'dashboard.get':
        return { units: [{ unit: w.unit, queues: [{ queue: '1'.repeat(32), category: CATEGORY, waiting: 2, oldest_waiting: NOW, at_risk: 1,
          missed: 0, open: 3 }], workers: [{ user: WORKER_ID, username: 'worker', role: 'worker', on_duty: true, load: 1, name: 'Anna Virtanen',
          title: 'Sosiaalityöntekijä' }], time: this.clock.now() }] };
      case 'keys.unit':
        return this.keysUnit(req.unit as string);
      case 'thread.get':
        return { summary: this.summary(this.thread(req.thread)) };
      case 'thread.keys': {
        const t = this.thread(req.thread);
        return { thread: t.thread, share: b64(t.share), wraps: t.wraps,
          identities: [{ identity: hex(c.kid(w.identity.signPk)), sign_pk: b64(w.identity.signPk), box_pk: b64(w.identity.boxPk), first_seen: NOW - 86400_000 },
            { identity: hex(c.kid(w.otherIdentity.signPk)), sign_pk: b64(w.otherIdentity.signPk), box_pk: b64(w.otherIdentity.boxPk), first_seen: NOW }],
          devices: [w.deviceCert, w.otherDeviceCert].map((cert) => ({ kid: hex(c.kid(c.deviceCertParse(cert).deviceBoxPk)),
            identity: hex(c.kid(c.deviceCertParse(cert).identitySignPk)), cert: b64(cert), created: NOW, last_used: NOW })),
          certs: [b64(w.workerCert), b64(w.supervisorCert), b64(w.adminCert)], epoch: t.epoch, epochs: t.epochs };
      }
      case 'thread.read': {
        const t = this.thread(req.thread);
        const page = t.messages.filter((m) => m.seq > ((req.after_seq as number) ?? 0)).slice(0, (req.limit as number) ?? 50);
        const certs = [w.workerCert, w.adminCert, w.rogueCert, w.rogueAdminCert].map(b64);
        return { thread: t.thread, state: t.state, messages: page, certs,
          more: page.length > 0 && page[page.length - 1].seq < t.messages.length };
      }
      case 'thread.claim': {
        const t = this.thread(req.thread);
        if (t.state !== 'new') throw new Error('conflict');
        t.state = 'claimed';
        t.assignee = this.user;
        t.assigneeName = { name: 'Anna Virtanen', title: 'Sosiaalityöntekijä' };
        this.touch(t);
        return { thread: t.thread, state: t.state, assignee: this.user };
      }
      case 'message.send': {
        const t = this.thread(req.thread);
        if (t.state === 'closed') throw new Error('thread_closed');
        if (t.assignee !== this.user) throw new Error('forbidden');
        if (c.envelopeParse(unb64(req.body as string)).epoch !== t.epoch) throw new Error('conflict /body');
        t.state = req.await_reply === true ? 'waiting' : 'answered';
        this.append(t, 'worker', req.body as string, this.user);
        if (typeof req.corrects === 'string') t.messages[t.messages.length - 1].corrects = req.corrects;
        return { thread: t.thread, seq: t.messages.length, state: t.state };
      }
      case 'thread.close':
      case 'thread.release': {
        const t = this.thread(req.thread);
        if (t.state === 'closed') throw new Error('conflict');
        if (req.type === 'thread.close') t.state = 'closed';
        else {
          t.state = 'new';
          t.assignee = null;
          t.assigneeName = null;
        }
        this.touch(t);
        return { thread: t.thread, state: t.state, unit: t.unit, category: t.category, assignee: t.assignee, assignee_name: t.assigneeName };
      }
      case 'thread.reassign': {
        const t = this.thread(req.thread);
        if (typeof req.reason !== 'string' || req.reason.trim() === '') throw new Error('bad_request /reason');
        if (req.to_category === CATEGORY_B) {
          t.unit = w.unitB;
          t.category = CATEGORY_B;
          t.state = 'new';
          t.assignee = null;
        } else if (typeof req.to_user === 'string') {
          t.assignee = req.to_user;
          if (t.state === 'new') t.state = 'claimed';
        }
        this.touch(t);
        return { thread: t.thread, state: t.state, unit: t.unit, category: t.category, assignee: t.assignee, assignee_name: null };
      }
      case 'thread.rekey': {
        const t = this.thread(req.thread);
        const ev = c.epochEventParse(unb64(req.event as string));
        if (ev.epoch !== t.epoch + 1) throw new Error('conflict /event');
        t.epochs.push(req.event as string);
        for (const x of req.wraps as string[]) t.wraps.push(x);
        t.epoch = ev.epoch;
        return { thread: t.thread, epoch: t.epoch };
      }
      case 'wrap.put': {
        // A wrap of an epoch the thread has started, kept once per (epoch, recipient).
        const t = this.thread(req.thread);
        let stored = 0;
        for (const x of req.wraps as string[]) {
          const i = c.wrapParse(unb64(x));
          if (i.epoch > t.epoch) throw new Error('conflict /wraps');
          const same = t.wraps.some((w) => {
            const j = c.wrapParse(unb64(w));
            return j.epoch === i.epoch && c.equal(j.recipientKid, i.recipientKid);
          });
          if (!same) {
            t.wraps.push(x);
            stored++;
          }
        }
        return { thread: t.thread, stored };
      }
      case 'file.begin': {
        const t = this.thread(req.thread);
        if (t.assignee !== this.user) throw new Error('forbidden');
        const n = Math.max(1, Math.ceil((req.size as number) / 65536));
        this.files.set(req.file as string, { thread: t.thread, size: req.size as number, chunks: new Array(n).fill(undefined) });
        return { file: req.file, chunks: n, received: 0, complete: false };
      }
      case 'file.get': {
        const f = this.files.get(req.file as string);
        if (f === undefined) throw new Error('not_found /file');
        return { file: req.file, index: req.index, chunk: b64(f.chunks[req.index as number] as Uint8Array) };
      }
      case 'read.set':
        return { thread: req.thread, read_seq: req.seq, unread: 0 };
      case 'note.add': {
        const t = this.thread(req.thread);
        const note = (++this.noteCount).toString(16).padStart(32, '0');
        const entry = { note, unit: t.unit, generation: 1, author: this.user, author_name: null, created: this.clock.now(),
          copy_of: (req.copy_of as string | undefined) ?? null, box: req.note };
        t.notes.push(entry);
        this.broadcast({ event: 'note.new', thread: t.thread, note: entry });
        return { thread: t.thread, note, created: entry.created };
      }
      case 'note.list': {
        const t = this.thread(req.thread);
        return { thread: t.thread, notes: t.notes, certs: this.noteCerts.map(b64) };
      }
      case 'thread.identity': {
        const t = this.thread(req.thread);
        return { thread: t.thread, boxes: t.identityBoxes };
      }
      case 'thread.presence': {
        const t = this.thread(req.thread);
        return { thread: t.thread, viewers: t.viewers };
      }
      case 'canned.list':
        return { answers: this.canned.filter((a) => req.unit === undefined || a.unit === req.unit), certs: this.noteCerts.map(b64) };
      case 'canned.put': {
        const at = this.canned.findIndex((a) => a.answer === req.answer);
        const entry = { answer: req.answer, unit: req.unit, generation: 1, updated: this.clock.now(), author: this.user, box: req.box };
        if (at >= 0) this.canned[at] = entry;
        else this.canned.push(entry);
        return { answer: req.answer, updated: entry.updated };
      }
      case 'canned.delete': {
        const at = this.canned.findIndex((a) => a.answer === req.answer);
        if (at >= 0) this.canned.splice(at, 1);
        return { answer: req.answer, deleted: at >= 0 };
      }
      case 'roster.get':
        return { unit: req.unit, shifts: this.shifts, closed_days: this.unitClosed, time: this.clock.now() };
      case 'roster.set':
        this.shifts = (req.shifts as Record<string, unknown>[]).map((x, i) => ({ shift: i + 1, username: 'worker', name: null, ...x }));
        return { unit: req.unit, shifts: this.shifts };
      case 'closed.set': {
        const remove = new Set((req.remove as string[] | undefined) ?? []);
        this.unitClosed = [...this.unitClosed.filter((d) => !remove.has(d.date)), ...((req.add as { date: string; note: string | null }[]) ?? [])];
        return { unit: req.unit, closed_days: this.unitClosed };
      }
      case 'audit.query':
        return { rows: [{ row: 7, time: NOW, user: WORKER_ID, username: 'worker', role: 'worker', unit: w.unit, client: 'p-1234', object: 'thread:x',
          action: 'thread.read', purpose: null, outcome: 'ok', reason: null }], more: true, chain: { state: 'broken', checked: 7, first_broken: 3 } };
      case 'session.extend':
        return { session_expires: this.clock.now() + 3600_000, idle_expires: this.clock.now() + 1800_000 };
      default:
        throw new Error('unknown_type');
    }
  }
}
