// requests.ts - the requests of one connection manager that have no final answer yet, and which
// of them may go on the wire now (PROTOCOL.md §2.1, §9): at most `maxInFlight` outstanding on a
// connection (the server reads 64 ahead of its replies), at most `maxLargeInFlight` of those
// with a possibly large reply, the writes of one thread one at a time and in the order they were
// made, and nothing before a rate limit's wait is over. Pure bookkeeping: connection.ts sends.
import type { WireRequest } from './outbox';
import { hasLargeReply, isWrite } from './wire';

export type PendingStatus = 'storing' | 'queued' | 'sent';

export interface Pending {
  req: WireRequest;
  /** The JSON text sent. */
  text: string;
  write: boolean;
  large: boolean;
  /** Writes with the same key go one at a time, in order (the thread they write to). */
  orderKey: string | null;
  status: PendingStatus;
  /** Not sent before this time (ms): a rate limit's or a busy server's wait. */
  notBefore: number;
  /** How often its answer did not come in time. */
  timeouts: number;
  /** An `internal` error was answered once already. */
  retried: boolean;
  /** Made by the connection manager itself (resynchronisation), not by a view. */
  internal: boolean;
  /** Kept in the outbox (removed from it with the final answer). */
  stored: boolean;
  resolve(reply: Record<string, unknown>): void;
  reject(err: Error): void;
}

export interface PipelineLimits {
  maxInFlight: number;
  maxLargeInFlight: number;
}

/** The server reads at most 64 requests of a connection ahead of their replies (§2.1, §9). */
export const SERVER_READ_AHEAD = 64;
export const DEFAULT_LIMITS: PipelineLimits = { maxInFlight: 32, maxLargeInFlight: 2 };

/** Limits within what the protocol allows. */
export function clampLimits(l: Partial<PipelineLimits>): PipelineLimits {
  const inFlight = Math.max(1, Math.min(SERVER_READ_AHEAD, Math.floor(l.maxInFlight ?? DEFAULT_LIMITS.maxInFlight)));
  const large = Math.max(1, Math.min(2, Math.floor(l.maxLargeInFlight ?? DEFAULT_LIMITS.maxLargeInFlight)));
  return { maxInFlight: inFlight, maxLargeInFlight: Math.min(large, inFlight) };
}

/** The order key of a write: the thread it writes to, when it names one. */
export function orderKeyOf(req: WireRequest): string | null {
  return isWrite(req.type) && typeof req.thread === 'string' ? req.thread : null;
}

export function makePending(req: WireRequest, text: string, internal: boolean, resolve: Pending['resolve'],
  reject: Pending['reject']): Pending {
  return {
    req, text, write: isWrite(req.type), large: hasLargeReply(req.type), orderKey: orderKeyOf(req), status: 'queued',
    notBefore: 0, timeouts: 0, retried: false, internal, stored: false, resolve, reject,
  };
}

export class RequestTable {
  private readonly byId = new Map<string, Pending>();

  constructor(readonly limits: PipelineLimits) {}

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): Pending | undefined {
    return this.byId.get(id);
  }

  /** Appends; the order of adding is the order of sending. */
  add(p: Pending): void {
    this.byId.set(p.req.id, p);
  }

  remove(id: string): Pending | undefined {
    const p = this.byId.get(id);
    this.byId.delete(id);
    return p;
  }

  all(): Pending[] {
    return [...this.byId.values()];
  }

  inFlight(): number {
    let n = 0;
    for (const p of this.byId.values()) if (p.status === 'sent') n++;
    return n;
  }

  /** After a connection ends: whatever was on the wire waits to be sent again. */
  unsendAll(): void {
    for (const p of this.byId.values()) if (p.status === 'sent') p.status = 'queued';
  }

  /**
   * The queued requests that may be sent at `now`, in order, within the limits. Also returns
   * the earliest notBefore that held one back (to wake up then), or null.
   */
  sendable(now: number): { ready: Pending[]; wakeAt: number | null } {
    let inFlight = 0, large = 0;
    for (const p of this.byId.values()) {
      if (p.status !== 'sent') continue;
      inFlight++;
      if (p.large) large++;
    }
    const ready: Pending[] = [];
    const busyKeys = new Set<string>();
    let wakeAt: number | null = null;
    for (const p of this.byId.values()) {
      const key = p.orderKey;
      const blocked = key !== null && busyKeys.has(key);
      if (key !== null) busyKeys.add(key);
      if (p.status !== 'queued' || blocked) continue;
      if (p.notBefore > now) {
        wakeAt = wakeAt === null ? p.notBefore : Math.min(wakeAt, p.notBefore);
        continue;
      }
      if (inFlight >= this.limits.maxInFlight) break;
      if (p.large && large >= this.limits.maxLargeInFlight) continue;
      ready.push(p);
      inFlight++;
      if (p.large) large++;
    }
    return { ready, wakeAt };
  }
}
