// sync.ts - what the app holds of the server's threads, and how replies and events change it,
// so that after a reconnect nothing is lost and nothing is shown twice (PROTOCOL.md §6.3, §7.4):
// a ThreadList keeps the summaries of one thread.list (its filters, and the `change` it resumes
// from); a ThreadLog keeps one open thread's messages, delivered once each, in seq order, without
// gaps. Pure: no requests are made here (connection.ts makes them). Server data is checked before
// use; what does not fit is ignored.
import type { Defs } from '../../generated/protocol';

export type Summary = Defs['thread_summary'];
export type ThreadState = Defs['thread_state'];

/** A message as delivered to views: from thread.read (with sender) or message.new (without). */
export interface Message {
  thread: string;
  seq: number;
  role: Defs['sender_role'];
  time: number;
  /** Ciphertext (base64url); absent when an event carried none (staff) and no read followed. */
  body?: string;
  sender?: string;
  /** A correction: the message id it corrects, as the server recorded it (thread.read). */
  corrects?: string;
}

export interface ListFilters {
  state?: ThreadState[];
  assignee?: 'me' | 'nobody' | 'anyone';
}

const HEX_ID = /^[0-9a-f]{32}$/;
const STATES: ReadonlySet<string> = new Set(['new', 'claimed', 'answered', 'waiting', 'closed']);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function isCount(v: unknown, min = 0): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_SAFE;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when `v` has the fields of a thread_summary this code relies on. */
export function isSummary(v: unknown): v is Summary {
  return isObject(v) && typeof v.thread === 'string' && HEX_ID.test(v.thread) && typeof v.state === 'string' &&
    STATES.has(v.state) && isCount(v.updated) && isCount(v.last_seq) && isCount(v.change) && isCount(v.read_seq) &&
    isCount(v.unread) && typeof v.category === 'string' && typeof v.unit === 'string';
}

function isMessage(v: unknown): v is { seq: number; role: Defs['sender_role']; time: number; body?: unknown; sender?: unknown } {
  return isObject(v) && isCount(v.seq, 1) && (v.role === 'citizen' || v.role === 'worker') && isCount(v.time);
}

/** The order of a full list: latest activity first, then thread id descending (§6.3). */
export function byActivity(a: Summary, b: Summary): number {
  return b.updated - a.updated || (a.thread < b.thread ? 1 : a.thread > b.thread ? -1 : 0);
}

/** `a` is not older than `b` (§7.4: apply only what is not older than what is held). */
function notOlder(a: { updated: number; last_seq: number }, b: { updated: number; last_seq: number }): boolean {
  return a.updated >= b.updated && a.last_seq >= b.last_seq;
}

/** One thread.list of the app (one set of filters) and where it resumes. */
export class ThreadList {
  /** The `change` to resume from (§6.3); null until a full list has been applied to the end. */
  change: number | null = null;
  /** The units (of `welcome`) the change is valid for. */
  units: string | null = null;
  private readonly threads = new Map<string, Summary>();
  /** The summaries of a full list being paged, swapped in at its last page. */
  private fresh: Map<string, Summary> | null = null;
  private freshChange = 0;

  constructor(readonly filters: ListFilters) {}

  /** The fields of the next thread.list request: by change when a change is held, else full. */
  nextRequest(cursor?: string): Record<string, unknown> {
    const req: Record<string, unknown> = { limit: 100 };
    if (this.filters.state !== undefined) req.state = this.filters.state;
    if (this.filters.assignee !== undefined) req.assignee = this.filters.assignee;
    if (this.change !== null) req.changed_since = this.change;
    else if (cursor !== undefined) req.cursor = cursor;
    return req;
  }

  /** Forgets the change (a full list comes next): other units in `welcome`, or a new user. */
  restart(units: string): void {
    if (this.units !== units) this.change = null;
    this.units = units;
  }

  /**
   * Applies one page of a reply to nextRequest(). Returns { changed, more, cursor }: `more`
   * asks for the next page (the cursor for a full list). A malformed reply changes nothing
   * and asks for nothing more.
   */
  applyPage(reply: Record<string, unknown>, firstPage: boolean): { changed: boolean; more: boolean; cursor?: string } {
    if (!Array.isArray(reply.threads) || !isCount(reply.change) || typeof reply.more !== 'boolean') return { changed: false, more: false };
    const threads = reply.threads.filter(isSummary);
    const removed = Array.isArray(reply.removed) ? reply.removed : [];
    if (this.change === null) return this.applyFullPage(threads, reply.change, reply.more, reply.cursor, firstPage);
    let changed = false;
    for (const s of threads) {
      this.threads.set(s.thread, s);
      changed = true;
    }
    for (const r of removed) {
      if (isObject(r) && typeof r.thread === 'string' && this.threads.delete(r.thread)) changed = true;
    }
    if (reply.change > this.change) this.change = reply.change;
    return { changed, more: reply.more };
  }

  private applyFullPage(threads: Summary[], change: number, more: boolean, cursor: unknown,
    firstPage: boolean): { changed: boolean; more: boolean; cursor?: string } {
    if (firstPage || this.fresh === null) {
      this.fresh = new Map();
      this.freshChange = change;
    }
    for (const s of threads) this.fresh.set(s.thread, s);
    if (more && typeof cursor === 'string' && cursor.length > 0) return { changed: false, more: true, cursor };
    // The last page: the full list replaces what was held, and the list resumes from its change.
    this.threads.clear();
    for (const [k, s] of this.fresh) this.threads.set(k, s);
    this.fresh = null;
    this.change = this.freshChange;
    return { changed: true, more: false };
  }

  /** thread.changed: updates a held thread when the event is not older. True when it did. */
  applyChanged(ev: Record<string, unknown>): boolean {
    if (typeof ev.thread !== 'string' || !isCount(ev.updated) || !isCount(ev.last_seq) || typeof ev.state !== 'string' ||
      !STATES.has(ev.state)) return false;
    const held = this.threads.get(ev.thread);
    if (held === undefined || !notOlder({ updated: ev.updated, last_seq: ev.last_seq }, held)) return false;
    const next: Summary = { ...held, state: ev.state as ThreadState, updated: ev.updated, last_seq: ev.last_seq };
    if (ev.assignee === null || typeof ev.assignee === 'string') next.assignee = ev.assignee;
    if (ev.assignee_name === null || isObject(ev.assignee_name)) next.assignee_name = ev.assignee_name as Summary['assignee_name'];
    this.threads.set(ev.thread, next);
    return true;
  }

  /** read.changed: the user's read state of a held thread rose. True when it changed. */
  applyRead(ev: Record<string, unknown>): boolean {
    if (typeof ev.thread !== 'string' || !isCount(ev.read_seq) || !isCount(ev.unread)) return false;
    const held = this.threads.get(ev.thread);
    if (held === undefined || ev.read_seq < held.read_seq) return false;
    if (ev.read_seq === held.read_seq && ev.unread === held.unread) return false;
    this.threads.set(ev.thread, { ...held, read_seq: ev.read_seq, unread: ev.unread });
    return true;
  }

  has(thread: string): boolean {
    return this.threads.has(thread);
  }

  get(thread: string): Summary | undefined {
    return this.threads.get(thread);
  }

  /** The summaries, latest activity first. */
  summaries(): Summary[] {
    return [...this.threads.values()].sort(byActivity);
  }
}

/** One open thread's messages: each seq delivered once, in order, without gaps. */
export class ThreadLog {
  /** The last seq delivered (every seq up to it is held). */
  lastSeq = 0;
  /** The thread's state as the last thread.read said. */
  state: ThreadState | null = null;
  private readonly held: Message[] = [];
  /** The staff certificates (base64url) that thread.read replies carried, each once (§6.4). */
  private readonly certSet = new Set<string>();

  constructor(readonly thread: string) {}

  /** Keeps the `certs` of a thread.read reply (strings only; the reader verifies them). */
  addCerts(certs: unknown): void {
    if (!Array.isArray(certs)) return;
    for (const c of certs) if (typeof c === 'string' && c.length > 0 && c.length <= 5800) this.certSet.add(c);
  }

  certs(): string[] {
    return [...this.certSet];
  }

  /**
   * Takes messages (from a thread.read page or events), returns those not delivered before, in
   * seq order. A message after a gap is not taken (`gap` true: read from lastSeq to fill it).
   */
  accept(items: unknown[], fromEvent: boolean): { fresh: Message[]; gap: boolean } {
    const candidates = items.filter(isMessage).sort((a, b) => a.seq - b.seq);
    const fresh: Message[] = [];
    let gap = false;
    for (const m of candidates) {
      if (m.seq <= this.lastSeq) continue;
      if (m.seq !== this.lastSeq + 1) {
        gap = true;
        break;
      }
      if (fromEvent && typeof m.body !== 'string') {
        gap = true; // an event without the content (staff): thread.read fetches it
        break;
      }
      const msg: Message = { thread: this.thread, seq: m.seq, role: m.role, time: m.time };
      if (typeof m.body === 'string') msg.body = m.body;
      if (typeof m.sender === 'string') msg.sender = m.sender;
      const corrects = (m as { corrects?: unknown }).corrects;
      if (typeof corrects === 'string' && HEX_ID.test(corrects)) msg.corrects = corrects;
      this.held.push(msg);
      fresh.push(msg);
      this.lastSeq = m.seq;
    }
    return { fresh, gap };
  }

  messages(): Message[] {
    return this.held.slice();
  }
}
