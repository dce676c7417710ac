// thread-view-session.ts - one thread kept decrypted while something uses it (a view's watch,
// a reply, a download): its summary and keys fetched, its messages from the connection
// manager's ThreadHandle fed in order into a ThreadView, and what a message needs fetched
// first: thread.keys again for an epoch or a device not known yet, the certificates of
// thread.read for a staff sender that arrived by event. Shared by reference count.
import type { Keys } from '../../crypto/index';
import type { Connection, Message, ThreadHandle } from '../net';
import type { ThreadSnapshot } from './contract';
import { ThreadKeyring, type WrapOpener } from './thread-view-keys';
import { type ContentDecoder, ThreadView } from './thread-view';
import { type Crypto, ThreadsError, unb64, unhexId } from './threads-util';

const STATES: ReadonlySet<string> = new Set(['new', 'claimed', 'answered', 'waiting', 'closed']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class ThreadSession {
  readonly keyring: ThreadKeyring;
  readonly view: ThreadView;
  readonly threadId: Uint8Array;
  /** The unit whose queue holds the thread, and when the thread was opened (thread.get). */
  unit: string | null = null;
  created = 0;
  refs = 0;
  /** Resolves once the keys are in and every message the summary counted has been fed. */
  readonly ready: Promise<void>;
  failed: ThreadsError | null = null;
  private handle: ThreadHandle | null = null;
  private readonly offs: (() => void)[] = [];
  private readonly listeners = new Set<(s: ThreadSnapshot) => void>();
  private readonly queue: Message[] = [];
  private running = false;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private closed = false;
  /** The last seq the server counted (summary, thread.changed). */
  private lastCounted = 0;
  /** The summary's fields as the last thread.get or thread.changed gave them (merged). */
  summary: Record<string, unknown> = {};

  /** `me`: the citizen's identity; staff pass null and an opener of their units' generations
   *  (and a decoder that reads content version 2 too). */
  constructor(private readonly conn: Connection, private readonly c: Crypto, rootKey: Uint8Array, me: Keys | null,
    readonly thread: string, now: () => number, opener?: WrapOpener, decode?: ContentDecoder) {
    this.threadId = unhexId(c, thread);
    this.keyring = new ThreadKeyring(c, rootKey, this.threadId, me, now, opener);
    this.view = new ThreadView(c, thread, this.keyring, decode);
    this.ready = this.start();
    this.ready.catch(() => undefined);
  }

  private async start(): Promise<void> {
    try {
      // The summary is kept even when the keys are refused (a restricted thread says so in it).
      const keys = this.conn.request('thread.keys', { thread: this.thread });
      keys.catch(() => undefined);
      const got = await this.conn.request('thread.get', { thread: this.thread });
      this.applySummary(got.summary as unknown as Record<string, unknown>);
      this.keyring.update(await keys);
    } catch (e) {
      this.failed = new ThreadsError((e as { code?: string }).code ?? 'not_found', 'the thread could not be opened');
      this.emit();
      throw this.failed;
    }
    if (this.closed) return;
    this.offs.push(this.conn.onEvent('thread.changed', (ev) => {
      if (ev.thread === this.thread) {
        this.applySummary(ev);
        this.emit();
      }
    }));
    const handle = this.conn.openThread(this.thread);
    this.handle = handle;
    this.offs.push(handle.subscribe((fresh) => this.enqueue(fresh)));
    this.enqueue(handle.messages());
    const counted = this.lastCounted;
    this.emit();
    await this.caughtUp(counted);
  }

  /** A summary or a thread.changed: state, category, the assignee's name as shown to citizens. */
  private applySummary(s: Record<string, unknown>): void {
    this.summary = { ...this.summary, ...s };
    if (typeof s.state === 'string' && STATES.has(s.state)) this.view.state = s.state as ThreadSnapshot['state'];
    if (typeof s.category === 'string') this.view.category = s.category;
    if (typeof s.unit === 'string') this.unit = s.unit;
    if (typeof s.created === 'number') this.created = s.created;
    if (typeof s.last_seq === 'number') this.lastCounted = Math.max(this.lastCounted, s.last_seq);
    const n = s.assignee_name;
    if (n === null) this.view.author = null;
    else if (isObject(n) && typeof n.name === 'string') {
      this.view.author = { name: n.name, title: typeof n.title === 'string' ? n.title : null };
    }
  }

  /** Resolves once the messages up to seq have been fed in. */
  caughtUp(seq: number): Promise<void> {
    if (this.view.lastSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  subscribe(fn: (s: ThreadSnapshot) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The snapshot, or null before the keys came. */
  snapshot(): ThreadSnapshot | null {
    const restricted = this.summary.restricted === true ? { restricted: true } : {};
    if (this.failed !== null) {
      return { thread: this.thread, state: this.view.state, category: this.view.category, messages: [], unreadable: [],
        complete: true, locked: true, sending: [], missing: this.failed.code === 'not_found', ...restricted };
    }
    return this.keyring.share === null ? null : { ...this.view.snapshot(), ...restricted };
  }

  emit(): void {
    const snap = this.snapshot();
    this.waiters = this.waiters.filter((w) => {
      if (this.view.lastSeq < w.seq) return true;
      w.resolve();
      return false;
    });
    if (snap === null) return;
    for (const fn of [...this.listeners]) {
      try {
        fn(snap);
      } catch {
        // a view's failure does not stop the thread
      }
    }
  }

  private enqueue(ms: Message[]): void {
    this.queue.push(...ms);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const m = this.queue.shift() as Message;
        if (m.seq <= this.view.lastSeq) continue;
        await this.prepare(m);
        this.view.add(m);
        this.emit();
      }
    } finally {
      this.running = false;
    }
  }

  /** Re-reads thread.keys (a new epoch, a new device of the citizen). */
  async refreshKeys(): Promise<void> {
    this.keyring.update(await this.conn.request('thread.keys', { thread: this.thread }));
  }

  /** Fetches what message m needs before it can be judged; failures leave it to be refused. */
  private async prepare(m: Message): Promise<void> {
    let env: Uint8Array;
    let h: ReturnType<Crypto['envelopeParse']>;
    try {
      env = unb64(this.c, m.body);
      h = this.c.envelopeParse(env);
    } catch {
      return;
    }
    try {
      if (this.handle !== null) this.keyring.addCerts(this.handle.certs());
      let refreshed = false;
      if (h.epoch > this.keyring.epoch) {
        await this.refreshKeys();
        refreshed = true;
      }
      if (m.seq === 1 && this.keyring.identity === null && !this.keyring.setFirst(env) && !refreshed) {
        await this.refreshKeys();
        refreshed = true;
        this.keyring.setFirst(env);
      }
      if (this.keyring.sender(h) !== null) return;
      if (m.role === 'worker') {
        const r = await this.conn.request('thread.read', { thread: this.thread, after_seq: m.seq - 1, limit: 1 });
        this.keyring.addCerts(r.certs);
      } else if (!refreshed) {
        await this.refreshKeys();
      }
    } catch {
      // offline or refused: the message is judged with what is known
    }
  }

  close(): void {
    this.closed = true;
    for (const off of this.offs) off();
    this.handle?.close();
    this.listeners.clear();
  }
}
