// outbox.ts - the writes that have no final reply yet (thread.open, message.send, read.set, ...),
// kept on the device so that a dropped connection or a reload loses none of them: each is
// stored encrypted (outbox-cipher.ts) before it is sent, resent with its original request id
// after a reconnect or reload (the server answers a write it already holds with its original
// reply, PROTOCOL.md §5.3), and removed on its reply. Storage is behind OutboxStore: IndexedDB
// in the browser (outbox-idb.ts), memory in tests.
import type { Clock } from './clock';

/** A write as sent on the wire: its type, its request id and its fields. */
export interface WireRequest {
  type: string;
  id: string;
  [field: string]: unknown;
}

/** One stored record: the request id (random, says nothing), an order and the sealed request. */
export interface OutboxRecord {
  id: string;
  order: number;
  data: Uint8Array;
}

export interface OutboxStore {
  /** Every record, in any order. */
  list(): Promise<OutboxRecord[]>;
  put(record: OutboxRecord): Promise<void>;
  remove(id: string): Promise<void>;
}

/**
 * Encrypts records for one user on this device. open() gives null for a record that does not
 * open under this key (another user's, or damaged): it is left for its owner.
 */
export interface RecordCipher {
  seal(plain: Uint8Array, requestId: string): Promise<Uint8Array> | Uint8Array;
  open(data: Uint8Array, requestId: string): Promise<Uint8Array | null> | Uint8Array | null;
}

export interface OutboxEntry {
  request: WireRequest;
  /** When it was first put in the outbox (ms). */
  created: number;
}

/** An OutboxStore in memory (tests, and browsers without IndexedDB). */
export class MemoryOutboxStore implements OutboxStore {
  readonly records = new Map<string, OutboxRecord>();

  async list(): Promise<OutboxRecord[]> {
    return [...this.records.values()].map((r) => ({ ...r, data: r.data.slice() }));
  }

  async put(record: OutboxRecord): Promise<void> {
    this.records.set(record.id, { ...record, data: record.data.slice() });
  }

  async remove(id: string): Promise<void> {
    this.records.delete(id);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function decodeEntry(plain: Uint8Array, id: string): OutboxEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(plain));
  } catch {
    return null;
  }
  const e = v as { request?: WireRequest; created?: unknown };
  if (typeof e !== 'object' || e === null || typeof e.request !== 'object' || e.request === null) return null;
  if (e.request.id !== id || typeof e.request.type !== 'string' || typeof e.created !== 'number') return null;
  return { request: e.request, created: e.created };
}

export class Outbox {
  private lastOrder = 0;

  constructor(private readonly store: OutboxStore, private readonly cipher: RecordCipher, private readonly clock: Clock) {}

  /** Seals and stores `request`; resolves once it is stored. */
  async add(request: WireRequest): Promise<OutboxEntry> {
    const entry: OutboxEntry = { request, created: this.clock.now() };
    const data = await this.cipher.seal(encoder.encode(JSON.stringify(entry)), request.id);
    this.lastOrder = Math.max(this.lastOrder + 1, entry.created);
    await this.store.put({ id: request.id, order: this.lastOrder, data });
    return entry;
  }

  async remove(id: string): Promise<void> {
    await this.store.remove(id);
  }

  /**
   * Deletes every record this cipher opens (this user's, when this device forgets the user);
   * others' are left. Resolves with how many were deleted.
   */
  async clear(): Promise<number> {
    let n = 0;
    for (const r of await this.store.list()) {
      let plain: Uint8Array | null;
      try {
        plain = await this.cipher.open(r.data, r.id);
      } catch {
        plain = null;
      }
      if (plain === null) continue;
      await this.store.remove(r.id);
      n++;
    }
    return n;
  }

  /** The entries this cipher opens, oldest first. Records that do not open are left alone. */
  async load(): Promise<OutboxEntry[]> {
    const records = (await this.store.list()).sort((a, b) => a.order - b.order);
    const out: OutboxEntry[] = [];
    for (const r of records) {
      this.lastOrder = Math.max(this.lastOrder, r.order);
      let plain: Uint8Array | null;
      try {
        plain = await this.cipher.open(r.data, r.id);
      } catch {
        plain = null;
      }
      const entry = plain === null ? null : decodeEntry(plain, r.id);
      if (entry !== null) out.push(entry);
    }
    return out;
  }
}
