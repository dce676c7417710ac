// citizen-threads-fake.ts - a fake adviced for the citizen's threads (test/app/citizen-threads
// tests), with real keys made here: a pinned root, an admin certified by it, a worker certified
// by the admin, a unit with one key generation and a signed unit log; the citizen's identity and
// certified device; and a rogue chain (another root) for a staff key the app must refuse. It
// answers the requests of the threads controller (keys.unit, thread.prepare, thread.open,
// thread.keys, wrap.put, thread.rekey, file.begin and binary chunks, file.status, file.get,
// thread.read with staff certificates, thread.get, message.send, thread.close, read.set,
// categories.list), idempotent writes by request id, events to every open socket; rotates the
// unit's key as unit-member-remove does; and plays a hostile server on request (dropped
// connections mid-upload, messages withheld, a unit log that goes back, something done just
// before a request is answered, such as another writer's re-key).
import * as c from '../../src/crypto/index';
import type { Clock } from '../../src/app/net/clock';
import type { SocketFactory, SocketHandlers, SocketLike } from '../../src/app/net/socket';

export const NOW = 1_770_000_000_000;
export const USER = 'a'.repeat(32);
export const WORKER_ID = 'c'.repeat(32);
export const CATEGORY = 'adult-social-work';
const WRITES = new Set(['thread.open', 'message.send', 'read.set', 'thread.close', 'thread.prepare', 'wrap.put', 'file.begin',
  'thread.rekey']);

export const b64 = (b: Uint8Array): string => c.sodium.to_base64(b, c.sodium.base64_variants.URLSAFE_NO_PADDING);
export const unb64 = (s: string): Uint8Array => c.sodium.from_base64(s, c.sodium.base64_variants.URLSAFE_NO_PADDING);
const hex = (b: Uint8Array): string => c.sodium.to_hex(b);
const validity = { notBefore: BigInt(NOW - 86400_000), notAfter: BigInt(NOW + 365 * 86400_000) };

/** Every key of the test's world, made fresh. */
export class World {
  readonly root = c.keysPersonal(c.random(32));
  readonly admin = c.keysPersonal(c.random(32));
  readonly worker = c.keysPersonal(c.random(32));
  readonly adminCert: Uint8Array;
  readonly workerCert: Uint8Array;
  readonly rogueRoot = c.keysPersonal(c.random(32));
  readonly rogueAdmin = c.keysPersonal(c.random(32));
  readonly rogue = c.keysPersonal(c.random(32));
  readonly rogueAdminCert: Uint8Array;
  readonly rogueCert: Uint8Array;
  readonly unitId = c.random(16);
  readonly unitSeed = c.random(32);
  readonly unitKeys = c.keysUnit(this.unitSeed);
  readonly unitEvent: Uint8Array;
  readonly unitLog: Uint8Array[] = [];
  /** The unit's generations as keys.unit serves them, oldest first. */
  readonly generations: { generation: number; event: string; chain: string | null }[] = [];
  /** The current generation's keys. */
  current = this.unitKeys;
  readonly identitySeed = c.random(32);
  readonly identity = c.keysPersonal(this.identitySeed);
  readonly deviceSeed = c.random(32);
  readonly device = c.keysPersonal(this.deviceSeed);
  readonly deviceCert: Uint8Array;
  /** A device of another identity of the same citizen: not the thread's. */
  readonly otherIdentity = c.keysPersonal(c.random(32));
  readonly otherDevice = c.keysPersonal(c.random(32));
  readonly otherDeviceCert: Uint8Array;

  constructor() {
    this.adminCert = c.certSign({ role: 1, subjectId: c.random(16), signPk: this.admin.signPk, boxPk: this.admin.boxPk, ...validity }, this.root);
    this.workerCert = c.certSign({ role: 2, subjectId: c.sodium.from_hex(WORKER_ID), signPk: this.worker.signPk,
      boxPk: this.worker.boxPk, ...validity }, this.admin);
    this.rogueAdminCert = c.certSign({ role: 1, subjectId: c.random(16), signPk: this.rogueAdmin.signPk,
      boxPk: this.rogueAdmin.boxPk, ...validity }, this.rogueRoot);
    this.rogueCert = c.certSign({ role: 2, subjectId: c.sodium.from_hex(WORKER_ID), signPk: this.rogue.signPk,
      boxPk: this.rogue.boxPk, ...validity }, this.rogueAdmin);
    this.unitEvent = c.unitEventSign({ unitId: this.unitId, generation: 1, boxPk: this.unitKeys.boxPk, signPk: this.unitKeys.signPk,
      prevHash: new Uint8Array(32), createdAt: BigInt(NOW - 3600_000), members: [c.kid(this.worker.boxPk)] }, this.admin);
    this.generations.push({ generation: 1, event: b64(this.unitEvent), chain: null });
    this.logAppend(1, 1, c.hash(this.unitEvent));
    this.logAppend(5, 1, new Uint8Array(32));
    this.logAppend(5, 1, new Uint8Array(32));
    this.deviceCert = c.deviceCertSign(this.identity, this.device.signPk, this.device.boxPk, BigInt(NOW));
    this.otherDeviceCert = c.deviceCertSign(this.otherIdentity, this.otherDevice.signPk, this.otherDevice.boxPk, BigInt(NOW));
  }

  /** A unit log entry of `kind` after the last one, valid for a week. */
  logAppend(kind: number, generation: number, subject: Uint8Array): void {
    const prev = this.unitLog[this.unitLog.length - 1];
    this.unitLog.push(c.ulogSign({ unitId: this.unitId, seq: this.unitLog.length + 1, prevHash: prev ? c.hash(prev) : new Uint8Array(32),
      kind, generation, subject, at: BigInt(NOW - 1000), validUntil: BigInt(NOW + 7 * 86400_000) }, this.admin));
  }

  /** A new key generation of the unit (a member left), made now (at `at`), logged. */
  rotate(at: number): void {
    const g = this.generations.length + 1, seed = c.random(32), keys = c.keysUnit(seed);
    const prev = unb64(this.generations[g - 2].event);
    const ev = c.unitEventSign({ unitId: this.unitId, generation: g, boxPk: keys.boxPk, signPk: keys.signPk, prevHash: c.hash(prev),
      createdAt: BigInt(at), members: [c.kid(this.worker.boxPk)] }, this.admin);
    this.generations.push({ generation: g, event: b64(ev), chain: null });
    this.logAppend(1, g, c.hash(ev));
    this.current = keys;
  }

  get unit(): string {
    return hex(this.unitId);
  }
}

export interface FakeMsg {
  seq: number;
  sender: string;
  role: 'citizen' | 'worker';
  time: number;
  body: string;
  /** A correction: the message id it corrects, as the server recorded it. */
  corrects?: string;
}

export interface FakeThread {
  thread: string;
  category: string;
  state: 'new' | 'claimed' | 'answered' | 'waiting' | 'closed';
  created: number;
  updated: number;
  share: Uint8Array;
  messages: FakeMsg[];
  wraps: string[];
  /** The current key epoch and the signed events that started each one after 0. */
  epoch: number;
  epochs: string[];
  assigneeName: { name: string; title: string | null } | null;
}

export interface FakeFile {
  thread: string;
  size: number;
  chunks: (Uint8Array | undefined)[];
  /** How many times each chunk was written (a chunk stored already is not written again). */
  writes: number[];
}

class Sock implements SocketLike {
  open = false;
  closed = false;

  constructor(readonly server: CitizenServer, readonly h: SocketHandlers) {}

  send(data: string | Uint8Array): void {
    if (!this.open) throw new Error('send on a socket that is not open');
    const copy = typeof data === 'string' ? data : data.slice();
    queueMicrotask(() => {
      if (!this.open) return;
      if (typeof copy === 'string') this.server.receive(this, copy);
      else this.server.binary(this, copy);
    });
  }

  close(code = 1000): void {
    this.drop(code);
  }

  drop(code = 1006): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    queueMicrotask(() => this.h.close({ code, opened: true }));
  }

  push(obj: Record<string, unknown>): void {
    const text = JSON.stringify(obj);
    if (!this.open) return;
    queueMicrotask(() => {
      if (!this.open) return;
      if (obj.event === 'file.chunk') this.server.chunkAnswersSeen++;
      this.h.message(text);
    });
  }
}

export class CitizenServer {
  readonly sockets: Sock[] = [];
  readonly received: Record<string, unknown>[] = [];
  readonly binaries: { file: string; index: number }[] = [];
  /** file.chunk events the client has been given, and the most chunks it had sent beyond them. */
  chunkAnswersSeen = 0;
  mostChunksAhead = 0;
  readonly committed = new Map<string, Record<string, unknown>>();
  readonly threads = new Map<string, FakeThread>();
  readonly prepared = new Map<string, Uint8Array>();
  readonly files = new Map<string, FakeFile>();
  /** The unit log keys.unit serves (the world's, unless a test rolls it back). */
  log: Uint8Array[];
  /** Drop the connection after storing this chunk index, before its answer (once). */
  dropAfterChunk: number | null = null;
  /** Answer the next chunks with rate_limited (each entry: retry_after). */
  chunkRateLimits: number[] = [];
  /** Chunk indexes the server fails to write (once each): answered unavailable, nothing stored. */
  readonly chunkWriteFails = new Set<number>();
  /** The next request of each type listed is taken and never answered (once): the page went away. */
  readonly swallowNext = new Set<string>();
  /** The next request of each type listed is refused with this code (once). */
  readonly refuseNext = new Map<string, string>();
  /** Run once just before the next request of each type listed is answered (another writer meanwhile). */
  readonly beforeNext = new Map<string, () => void>();
  /** Staff certificates by the hex kid of their signing key: the leaf and its issuer. */
  readonly staff = new Map<string, Uint8Array[]>();
  private threadCount = 0;

  constructor(readonly clock: Clock, readonly w: World) {
    this.log = w.unitLog.slice();
    this.addStaff(w.worker, [w.workerCert, w.adminCert]);
    this.addStaff(w.rogue, [w.rogueCert, w.rogueAdminCert]);
  }

  addStaff(k: c.Keys, certs: Uint8Array[]): void {
    this.staff.set(hex(c.kid(k.signPk)), certs);
  }

  /** A member left: the unit's key rotates (a new generation made at `at`) and keys.unit serves its log. */
  rotateUnit(at: number): void {
    this.w.rotate(at);
    this.log = this.w.unitLog.slice();
  }

  readonly factory: SocketFactory = (h) => {
    const sock = new Sock(this, h);
    this.sockets.push(sock);
    setImmediate(() => {
      sock.open = true;
      h.open();
      sock.push({ type: 'event', event: 'welcome', protocol: 'advice.v1', user: USER, role: 'citizen', units: [],
        session_expires: this.clock.now() + 8 * 3600_000, idle_expires: this.clock.now() + 1800_000 });
    });
    return sock;
  };

  get socket(): Sock {
    return this.sockets[this.sockets.length - 1];
  }

  broadcast(obj: Record<string, unknown>): void {
    for (const s of this.sockets) if (s.open) s.push(obj);
  }

  requests(type: string): Record<string, unknown>[] {
    return this.received.filter((r) => r.type === type);
  }

  summary(t: FakeThread): Record<string, unknown> {
    return { thread: t.thread, category: t.category, unit: this.w.unit, state: t.state, assignee: t.assigneeName ? WORKER_ID : null,
      assignee_name: t.assigneeName, created: t.created, updated: t.updated, last_seq: t.messages.length, read_seq: 0, unread: 0,
      deadline: null, change: t.updated };
  }

  /** A message appended by the server (as it orders them), announced to every socket. */
  append(t: FakeThread, role: 'citizen' | 'worker', body: string): FakeMsg {
    const m: FakeMsg = { seq: t.messages.length + 1, sender: role === 'citizen' ? USER : WORKER_ID, role, time: this.clock.now(), body };
    t.messages.push(m);
    t.updated = this.clock.now() + m.seq;
    if (role === 'worker' && t.state !== 'closed') t.state = 'answered';
    this.broadcast({ type: 'event', event: 'message.new', thread: t.thread, seq: m.seq, role, time: m.time, body });
    this.broadcast({ type: 'event', event: 'thread.changed', thread: t.thread, state: t.state, assignee: null, unit: this.w.unit,
      category: t.category, last_seq: t.messages.length, updated: t.updated, assignee_name: t.assigneeName });
    return m;
  }

  receive(sock: Sock, text: string): void {
    const req = JSON.parse(text) as Record<string, unknown>;
    this.received.push(req);
    const id = req.id as string;
    const stored = this.committed.get(id);
    if (stored !== undefined) return sock.push(stored);
    if (this.swallowNext.delete(req.type as string)) return;
    const before = this.beforeNext.get(req.type as string);
    if (before !== undefined) {
      this.beforeNext.delete(req.type as string);
      before();
    }
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
    const file = hex(b.subarray(4, 20)), index = new DataView(b.buffer, b.byteOffset).getUint32(20, true);
    this.binaries.push({ file, index });
    this.mostChunksAhead = Math.max(this.mostChunksAhead, this.binaries.length - this.chunkAnswersSeen);
    const answer = (o: Record<string, unknown>): void => sock.push({ type: 'event', event: 'file.chunk', file, index, ...o });
    if (this.chunkRateLimits.length > 0) return answer({ code: 'rate_limited', retry_after: this.chunkRateLimits.shift() });
    const f = this.files.get(file);
    if (b[0] !== 0x51 || b[1] !== 0x43 || b[2] !== 1 || f === undefined) return answer({ code: f ? 'bad_request' : 'not_found' });
    const next = f.chunks.findIndex((x) => x === undefined);
    if (index > (next < 0 ? f.chunks.length : next)) return answer({ code: 'conflict' });
    if (this.chunkWriteFails.delete(index)) return answer({ code: 'unavailable' });
    if (f.chunks[index] === undefined) {
      f.chunks[index] = b.slice(24);
      f.writes[index]++;
    }
    if (this.dropAfterChunk === index) {
      this.dropAfterChunk = null;
      sock.drop();
      return;
    }
    const received = f.chunks.findIndex((x) => x === undefined);
    answer({ code: 'ok', received: received < 0 ? f.chunks.length : received, complete: received < 0 });
  }

  private thread(id: unknown): FakeThread {
    const t = this.threads.get(id as string);
    if (t === undefined) throw new Error('not_found /thread');
    return t;
  }

  /**
   * thread.rekey as adviced checks it (§12.6): the event of this thread starts the next epoch
   * (else conflict /event), follows the current one's hash and is signed by the citizen's device
   * (else forbidden); one wrap of that epoch per recipient, signed by the same key. All or nothing.
   */
  private rekey(t: FakeThread, event: Uint8Array, wraps: Uint8Array[]): Record<string, unknown> {
    const ev = c.epochEventParse(event);
    if (hex(ev.threadId) !== t.thread) throw new Error('bad_request /event');
    if (ev.epoch !== t.epoch + 1) throw new Error('conflict /event');
    const head = t.epochs.length > 0 ? c.hash(unb64(t.epochs[t.epochs.length - 1])) : new Uint8Array(32);
    if (!c.equal(ev.prevHash, head)) throw new Error('forbidden /event');
    if (!c.equal(ev.signerKid as Uint8Array, c.kid(this.w.device.signPk))) throw new Error('forbidden /event');
    c.epochEventVerify(event, ev.threadId, this.w.device.signPk, t.epochs.length > 0 ? unb64(t.epochs[t.epochs.length - 1]) : null);
    const left = ev.recipients.map(hex);
    wraps.forEach((x, i) => {
      const info = c.wrapParse(x), at = left.indexOf(hex(info.recipientKid));
      if (info.kind !== 1 || info.epoch !== ev.epoch || hex(info.scopeId) !== t.thread || at < 0 ||
        !c.equal(info.signerKid, ev.signerKid as Uint8Array)) throw new Error(`bad_request /wraps/${i}`);
      left.splice(at, 1);
    });
    if (left.length > 0) throw new Error('bad_request /wraps');
    t.epochs.push(b64(event));
    for (const x of wraps) t.wraps.push(b64(x));
    t.epoch = ev.epoch;
    return { thread: t.thread, epoch: t.epoch };
  }

  private run(req: Record<string, unknown>): Record<string, unknown> {
    const w = this.w;
    switch (req.type) {
      case 'categories.list':
        return { categories: [{ category: CATEGORY, name: 'Adult social work', unit: w.unit, service_hours: { open: '08:00', close: '16:00' },
          open_now: true, answer_days: 3, expected_by: NOW + 3 * 86400_000 }] };
      case 'keys.unit': {
        const after = (req.log_after as number) ?? 0;
        return { root: null, certs: [b64(w.adminCert), b64(w.rogueAdminCert)], unit: w.unit,
          generations: w.generations, log: this.log.slice(after).map(b64), log_more: false };
      }
      case 'thread.prepare': {
        const thread = (++this.threadCount).toString(16).padStart(32, '0'), share = c.random(32);
        this.prepared.set(thread, share);
        return { thread, share: b64(share) };
      }
      case 'thread.open': {
        const share = this.prepared.get(req.thread as string);
        if (share === undefined) throw new Error('not_found /thread');
        this.prepared.delete(req.thread as string);
        const t: FakeThread = { thread: req.thread as string, category: req.category as string, state: 'new', created: this.clock.now(),
          updated: this.clock.now(), share, messages: [], wraps: [], epoch: 0, epochs: [], assigneeName: null };
        this.threads.set(t.thread, t);
        this.append(t, 'citizen', req.body as string);
        return { thread: t.thread, seq: 1, state: 'new' };
      }
      case 'thread.get':
        return { summary: this.summary(this.thread(req.thread)) };
      case 'thread.keys': {
        const t = this.thread(req.thread);
        const mine = hex(c.kid(w.identity.boxPk));
        return { thread: t.thread, share: b64(t.share), wraps: t.wraps.filter((x) => hex(c.wrapParse(unb64(x)).recipientKid) === mine),
          identities: [{ identity: hex(c.kid(w.identity.signPk)), sign_pk: b64(w.identity.signPk), box_pk: b64(w.identity.boxPk), first_seen: NOW },
            { identity: hex(c.kid(w.otherIdentity.signPk)), sign_pk: b64(w.otherIdentity.signPk), box_pk: b64(w.otherIdentity.boxPk), first_seen: NOW }],
          devices: [w.deviceCert, w.otherDeviceCert].map((cert) => ({ kid: hex(c.kid(c.deviceCertParse(cert).deviceBoxPk)),
            identity: hex(c.kid(c.deviceCertParse(cert).identitySignPk)), cert: b64(cert), created: NOW, last_used: NOW })),
          certs: [b64(w.workerCert), b64(w.adminCert)], epoch: t.epoch, epochs: t.epochs };
      }
      case 'wrap.put': {
        const t = this.thread(req.thread);
        const wraps = req.wraps as string[];
        let stored = 0;
        for (const x of wraps) if (!t.wraps.includes(x)) { t.wraps.push(x); stored++; }
        return { thread: t.thread, stored };
      }
      case 'thread.rekey':
        return this.rekey(this.thread(req.thread), unb64(req.event as string), (req.wraps as string[]).map(unb64));
      case 'file.begin': {
        const thread = req.thread as string;
        if (!this.threads.has(thread) && !this.prepared.has(thread)) throw new Error('not_found /thread');
        const size = req.size as number, n = Math.max(1, Math.ceil(size / 65536));
        let f = this.files.get(req.file as string);
        if (f === undefined) {
          f = { thread, size, chunks: new Array(n).fill(undefined), writes: new Array(n).fill(0) };
          this.files.set(req.file as string, f);
        } else if (f.size !== size || f.thread !== thread) throw new Error('conflict /size');
        const received = f.chunks.findIndex((x) => x === undefined);
        return { file: req.file, chunks: n, received: received < 0 ? n : received, complete: received < 0 };
      }
      case 'file.status': {
        const f = this.files.get(req.file as string);
        if (f === undefined) throw new Error('not_found /file');
        const received = f.chunks.findIndex((x) => x === undefined);
        return { file: req.file, thread: f.thread, size: f.size, chunks: f.chunks.length, received: received < 0 ? f.chunks.length : received,
          complete: received < 0 };
      }
      case 'file.get': {
        const f = this.files.get(req.file as string);
        if (f === undefined) throw new Error('not_found /file');
        if (f.chunks.some((x) => x === undefined)) throw new Error('conflict /file');
        const ch = f.chunks[req.index as number];
        if (ch === undefined) throw new Error('bad_request /index');
        return { file: req.file, index: req.index, chunk: b64(ch) };
      }
      case 'thread.read': {
        const t = this.thread(req.thread);
        const after = (req.after_seq as number) ?? 0, limit = (req.limit as number) ?? 50;
        const page = t.messages.filter((m) => m.seq > after).slice(0, limit);
        const certs = new Set<string>();
        for (const m of page) {
          if (m.role !== 'worker') continue;
          try {
            for (const cert of this.staff.get(hex(c.envelopeParse(unb64(m.body)).senderKid as Uint8Array)) ?? []) certs.add(b64(cert));
          } catch {
            // not an envelope: no certificate
          }
        }
        return { thread: t.thread, state: t.state, messages: page, certs: [...certs],
          more: page.length > 0 && page[page.length - 1].seq < t.messages.length };
      }
      case 'message.send': {
        const t = this.thread(req.thread);
        if (t.state === 'closed') throw new Error('thread_closed');
        if (c.envelopeParse(unb64(req.body as string)).epoch !== t.epoch) throw new Error('conflict /body');
        const m = this.append(t, 'citizen', req.body as string);
        if (t.state !== 'new') t.state = 'claimed';
        return { thread: t.thread, seq: m.seq, state: t.state };
      }
      case 'thread.close': {
        const t = this.thread(req.thread);
        if (t.state === 'closed') throw new Error('conflict');
        t.state = 'closed';
        return { thread: t.thread, state: 'closed' };
      }
      case 'read.set': {
        const t = this.thread(req.thread);
        return { thread: t.thread, read_seq: req.seq, unread: 0 };
      }
      case 'thread.list':
        return { threads: [...this.threads.values()].map((t) => this.summary(t)), removed: [], change: 1, more: false };
      case 'session.extend':
        return { session_expires: this.clock.now() + 3600_000, idle_expires: this.clock.now() + 1800_000 };
      default:
        throw new Error('unknown_type');
    }
  }
}

/** The unit's side: the thread key from the unit's wrap (signed by the citizen's device). */
export function unitThreadKey(w: World, t: FakeThread): Uint8Array {
  const tid = c.sodium.from_hex(t.thread), unitKid = hex(c.kid(w.unitKeys.boxPk));
  const wrap = t.wraps.map(unb64).find((x) => hex(c.wrapParse(x).recipientKid) === unitKid);
  if (wrap === undefined) throw new Error('no wrap to the unit');
  return c.wrapOpen(wrap, 1, tid, 0, w.unitKeys, w.device.signPk).key;
}

/** A staff envelope of `text` (and file references) after the last message of t, by `signer`. */
export function staffEnvelope(w: World, t: FakeThread, signer: c.Keys, text: string, files: c.FileRef[] = [],
  order: { seq: bigint; prev: Uint8Array } | null = null): string {
  return staffEnvelopeAt(w, t, signer, text, { epoch: 0, key: unitThreadKey(w, t), createdAt: NOW, files, order });
}

/**
 * A staff envelope of `text` by `signer` at `epoch`, sealed with that epoch's thread key and
 * dated `createdAt`, after the last message of t (or at `order`).
 */
export function staffEnvelopeAt(w: World, t: FakeThread, signer: c.Keys, text: string, at: { epoch: number; key: Uint8Array;
  createdAt: number; files?: c.FileRef[]; order?: { seq: bigint; prev: Uint8Array } | null }): string {
  const tid = c.sodium.from_hex(t.thread);
  const key = c.threadMsgKey(at.key, tid, at.epoch, t.share);
  const last = t.messages[t.messages.length - 1];
  const mine = t.messages.filter((m) => {
    try {
      return c.equal(c.envelopeParse(unb64(m.body)).senderKid as Uint8Array, c.kid(signer.signPk));
    } catch {
      return false;
    }
  }).length;
  const order = at.order ?? null;
  const senderSeq = order?.seq ?? BigInt(mine + 1), prevHash = order?.prev ?? (last ? c.hash(unb64(last.body)) : new Uint8Array(32));
  return b64(c.envelopeSeal({ threadId: tid, messageId: c.random(16), epoch: at.epoch, senderSeq, prevHash,
    createdAt: BigInt(at.createdAt), nonce: c.random(24) }, key, c.contentEncode(at.files ?? [], text), signer));
}

/**
 * The thread key of `epoch` as the holder of a unit key generation `gen` opens it: its wrap of
 * that epoch to gen, signed by the citizen's device or the worker. Null when there is none.
 */
export function unitEpochKey(w: World, t: FakeThread, epoch: number, gen: c.Keys): Uint8Array | null {
  const tid = c.sodium.from_hex(t.thread), genKid = hex(c.kid(gen.boxPk));
  for (const x of t.wraps.map(unb64)) {
    const info = c.wrapParse(x);
    if (info.epoch !== epoch || hex(info.recipientKid) !== genKid) continue;
    const signer = [w.device, w.worker].find((k) => c.equal(c.kid(k.signPk), info.signerKid));
    if (signer !== undefined) return c.wrapOpen(x, 1, tid, epoch, gen, signer.signPk).key;
  }
  return null;
}

/**
 * The worker re-keys t (reason 1): a new thread key sealed to the unit's current generation and
 * the identity. `signer` (default the worker) signs the event and the wraps: another key plays a
 * server that forges an epoch.
 */
export function workerRekey(w: World, t: FakeThread, at: number, signer: c.Keys = w.worker): Uint8Array {
  const tid = c.sodium.from_hex(t.thread), key = c.random(32), e = t.epoch + 1;
  const prev = t.epochs.length > 0 ? c.hash(unb64(t.epochs[t.epochs.length - 1])) : new Uint8Array(32);
  const ev = c.epochEventSign({ threadId: tid, epoch: e, prevEpoch: e - 1, prevHash: prev, reason: 1, createdAt: BigInt(at),
    recipients: [c.kid(w.current.boxPk), c.kid(w.identity.boxPk)] }, signer);
  t.epochs.push(b64(ev));
  for (const pk of [w.current.boxPk, w.identity.boxPk]) t.wraps.push(b64(c.wrapSeal(1, tid, e, pk, key, c.random(32), signer)));
  t.epoch = e;
  return key;
}
