// net-fakes.ts - what the connection manager's tests run it against: a fake clock whose timers
// run only when the test moves time on, and a fake adviced for one citizen (threads, messages,
// the change counter, idempotent writes by request id, events to every open socket) whose
// sockets the test can refuse, drop, slow down or fill with hostile input.
import type { Clock } from '../../src/app/net/clock';
import type { SocketFactory, SocketHandlers, SocketLike } from '../../src/app/net/socket';

/** Lets every pending promise callback and queued microtask run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  constructor(start = 1_770_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** The times of the timers set, soonest first. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }

  /** Moves time on by ms, running each timer at its time (and the promises it starts). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flush();
    for (;;) {
      const next = [...this.timers.values()].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined) break;
      this.timers.delete(next.seq);
      this.t = Math.max(this.t, next.at);
      next.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

/** A random source that repeats the given values (for jitter). */
export function fixedRandom(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

let idCounter = 0;
/** Distinct, deterministic random bytes for request ids. */
export function countingBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  let v = ++idCounter;
  for (let i = 0; i < n && v > 0; i++, v = Math.floor(v / 256)) b[i] = v % 256;
  return b;
}

export const USER = 'a'.repeat(32);
export const UNIT = 'b'.repeat(32);

interface Msg {
  seq: number;
  sender: string;
  role: 'citizen' | 'worker';
  time: number;
  body: string;
}

interface Thread {
  thread: string;
  category: string;
  state: 'new' | 'claimed' | 'answered' | 'waiting' | 'closed';
  created: number;
  updated: number;
  change: number;
  readSeq: number;
  messages: Msg[];
}

export class FakeSocket implements SocketLike {
  open = false;
  closed = false;
  readonly sent: string[] = [];

  constructor(readonly server: FakeServer, readonly h: SocketHandlers) {}

  send(data: string | Uint8Array): void {
    if (!this.open) throw new Error('send on a socket that is not open');
    if (typeof data !== 'string') return;
    this.sent.push(data);
    this.server.receive(this, data);
  }

  close(code = 1000): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    queueMicrotask(() => this.h.close({ code, opened: true }));
  }

  /** The server closes the connection (1006: dropped without a close frame). */
  drop(code = 1006): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    queueMicrotask(() => this.h.close({ code, opened: true }));
  }

  /** Sends raw text to the client. */
  push(text: string): void {
    if (this.open) queueMicrotask(() => this.open && this.h.message(text));
  }
}

export interface Refusal {
  httpStatus?: number;
  retryAfter?: number;
}

/** A fake adviced for one citizen session. */
export class FakeServer {
  readonly sockets: FakeSocket[] = [];
  /** Every request received, in order, as parsed objects. */
  readonly received: Record<string, unknown>[] = [];
  /** The stored ok replies of committed writes, by request id (§5.3). */
  readonly committed = new Map<string, Record<string, unknown>>();
  readonly threads = new Map<string, Thread>();
  change = 0;
  sessionExpires: number;
  idleExpires: number;
  /** Upgrades refused while this holds entries (one per attempt); undefined: accepted. */
  refusals: Refusal[] = [];
  /** Replies held back instead of sent (to see what is outstanding). */
  holdReplies = false;
  readonly held: { sock: FakeSocket; reply: Record<string, unknown> }[] = [];
  /** Next requests answered with rate_limited (each entry: retry_after), before anything is done. */
  rateLimits: number[] = [];
  /** Commit the next write of these types, then drop the connection before the reply. */
  dropAfterCommit = new Set<string>();
  /** Sends no welcome on new connections while true. */
  silent = false;

  constructor(readonly clock: Clock) {
    this.sessionExpires = clock.now() + 8 * 3600_000;
    this.idleExpires = clock.now() + 30 * 60_000;
  }

  /** The SocketFactory for the Connection. */
  readonly factory: SocketFactory = (h) => {
    const sock = new FakeSocket(this, h);
    this.sockets.push(sock);
    const refusal = this.refusals.shift();
    setImmediate(() => {
      if (refusal !== undefined) {
        sock.closed = true;
        h.close({ code: 1006, opened: false, ...refusal });
        return;
      }
      sock.open = true;
      h.open();
      if (!this.silent) this.send(sock, this.welcome());
    });
    return sock;
  };

  welcome(): Record<string, unknown> {
    return { type: 'event', event: 'welcome', protocol: 'advice.v1', user: USER, role: 'citizen', units: [],
      session_expires: this.sessionExpires, idle_expires: this.idleExpires };
  }

  get socket(): FakeSocket {
    return this.sockets[this.sockets.length - 1];
  }

  openSockets(): FakeSocket[] {
    return this.sockets.filter((s) => s.open);
  }

  send(sock: FakeSocket, obj: Record<string, unknown>): void {
    sock.push(JSON.stringify(obj));
  }

  /** To every open socket but `except` (the one whose message.send's reply stands for it, §6.6). */
  broadcast(obj: Record<string, unknown>, except?: FakeSocket): void {
    for (const s of this.openSockets()) if (s !== except) this.send(s, obj);
  }

  releaseHeld(): void {
    const h = this.held.splice(0);
    for (const { sock, reply } of h) this.send(sock, reply);
  }

  /** Makes a thread with `n` messages (the worker's after the first). */
  addThread(id: string, n: number): Thread {
    const t: Thread = { thread: id, category: 'adult-social-work', state: 'new', created: this.clock.now(),
      updated: this.clock.now(), change: ++this.change, readSeq: 0, messages: [] };
    this.threads.set(id, t);
    for (let i = 0; i < n; i++) this.appendMessage(t, i === 0 ? 'citizen' : 'worker', false);
    return t;
  }

  /** A new message in `t`, with its events to every open socket when `announce`. */
  appendMessage(t: Thread, role: 'citizen' | 'worker', announce = true, body?: string, except?: FakeSocket): Msg {
    const seq = t.messages.length + 1;
    const m: Msg = { seq, sender: role === 'citizen' ? USER : 'c'.repeat(32), role, time: this.clock.now(), body: body ?? `body-${t.thread.slice(0, 4)}-${seq}` };
    t.messages.push(m);
    t.updated = this.clock.now() + seq; // strictly growing
    t.change = ++this.change;
    if (role === 'worker') t.state = 'answered';
    if (announce) {
      this.broadcast({ type: 'event', event: 'message.new', thread: t.thread, seq, role, time: m.time, body: m.body }, except);
      this.broadcast(this.changedEvent(t), except);
    }
    return m;
  }

  changedEvent(t: Thread): Record<string, unknown> {
    return { type: 'event', event: 'thread.changed', thread: t.thread, state: t.state, assignee: null, unit: UNIT,
      category: t.category, last_seq: t.messages.length, updated: t.updated, assignee_name: null };
  }

  summary(t: Thread): Record<string, unknown> {
    const unread = t.messages.filter((m) => m.seq > t.readSeq && m.role !== 'citizen').length;
    return { thread: t.thread, category: t.category, unit: UNIT, state: t.state, assignee: null, assignee_name: null,
      created: t.created, updated: t.updated, last_seq: t.messages.length, read_seq: t.readSeq, unread, deadline: null,
      change: t.change };
  }

  /** Handles one request from the client. */
  receive(sock: FakeSocket, text: string): void {
    const req = JSON.parse(text) as Record<string, unknown>;
    this.received.push(req);
    const id = req.id as string;
    const reply = (obj: Record<string, unknown>): void => {
      if (this.holdReplies) this.held.push({ sock, reply: obj });
      else this.send(sock, obj);
    };
    if (this.rateLimits.length > 0) {
      const ra = this.rateLimits.shift()!;
      this.send(sock, { type: 'error', id, code: 'rate_limited', message: 'rate limit', retry_after: ra });
      return;
    }
    const stored = this.committed.get(id);
    if (stored !== undefined) return reply(stored);
    let out: Record<string, unknown>;
    try {
      out = this.run(req, sock);
    } catch (e) {
      return reply({ type: 'error', id, code: (e as Error).message, message: 'refused' });
    }
    const type = req.type as string;
    if (['thread.open', 'message.send', 'read.set', 'thread.close'].includes(type)) {
      this.committed.set(id, out);
      if (this.dropAfterCommit.delete(type)) {
        sock.drop();
        return;
      }
    }
    reply(out);
  }

  private run(req: Record<string, unknown>, sock: FakeSocket): Record<string, unknown> {
    const id = req.id;
    switch (req.type) {
      case 'thread.list':
        return { type: 'ok', id, ...this.list(req) };
      case 'thread.read': {
        const t = this.threads.get(req.thread as string);
        if (t === undefined) throw new Error('not_found');
        const after = (req.after_seq as number) ?? 0, limit = (req.limit as number) ?? 50;
        const page = t.messages.filter((m) => m.seq > after).slice(0, limit);
        return { type: 'ok', id, thread: t.thread, state: t.state, messages: page,
          more: page.length > 0 && page[page.length - 1].seq < t.messages.length };
      }
      case 'message.send': {
        const t = this.threads.get(req.thread as string);
        if (t === undefined) throw new Error('not_found');
        if (t.state === 'closed') throw new Error('thread_closed');
        const m = this.appendMessage(t, 'citizen', true, req.body as string, sock);
        return { type: 'ok', id, thread: t.thread, seq: m.seq, state: t.state, time: t.updated };
      }
      case 'thread.open': {
        const tid = (this.threads.size + 1).toString(16).padStart(32, '0');
        const t = this.addThread(tid, 0);
        const m = this.appendMessage(t, 'citizen', true, req.body as string);
        return { type: 'ok', id, thread: tid, seq: m.seq, state: 'new' };
      }
      case 'read.set': {
        const t = this.threads.get(req.thread as string);
        if (t === undefined) throw new Error('not_found');
        t.readSeq = Math.max(t.readSeq, req.seq as number);
        t.change = ++this.change;
        const unread = (this.summary(t).unread as number);
        this.broadcast({ type: 'event', event: 'read.changed', thread: t.thread, read_seq: t.readSeq, unread, change: t.change });
        return { type: 'ok', id, thread: t.thread, read_seq: t.readSeq, unread };
      }
      case 'session.extend':
        this.idleExpires = Math.min(this.sessionExpires, this.clock.now() + 30 * 60_000);
        return { type: 'ok', id, session_expires: this.sessionExpires, idle_expires: this.idleExpires };
      case 'categories.list':
        return { type: 'ok', id, categories: [] };
      default:
        throw new Error('unknown_type');
    }
  }

  private list(req: Record<string, unknown>): Record<string, unknown> {
    const limit = (req.limit as number) ?? 50;
    const all = [...this.threads.values()];
    if (typeof req.changed_since === 'number') {
      const since = req.changed_since;
      const changed = all.filter((t) => t.change > since).sort((a, b) => a.change - b.change);
      const page = changed.slice(0, limit);
      const more = changed.length > page.length;
      return { threads: page.map((t) => this.summary(t)), removed: [],
        change: more ? page[page.length - 1].change : this.change, more };
    }
    const sorted = all.sort((a, b) => b.updated - a.updated || (a.thread < b.thread ? 1 : -1));
    let start = 0;
    if (typeof req.cursor === 'string') start = Number(req.cursor);
    const page = sorted.slice(start, start + limit);
    const more = start + page.length < sorted.length;
    const r: Record<string, unknown> = { threads: page.map((t) => this.summary(t)), removed: [], change: this.change, more };
    if (more) r.cursor = String(start + page.length);
    return r;
  }
}
