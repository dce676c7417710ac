// forget.ts - what this device keeps for a citizen under the device seed besides the keys: the
// drafts (drafts.ts), the questions being asked (pending-open.ts) and the outbox's writes
// (net/outbox.ts), deleted together when the device forgets the citizen (this device removed,
// or no longer known to the server: keys.ts's onForget). Records of other users on this
// browser do not open under this user's keys and are left alone.
import type { OutboxStore } from '../net/outbox';
import { Outbox } from '../net/outbox';
import { outboxCipher } from '../net/outbox-cipher';
import { openIdbOutboxStore } from '../net/outbox-idb';
import { systemClock } from '../net/clock';
import { Drafts } from './drafts';
import { PendingOpens } from './pending-open';
import { type Crypto, type KvStore, openKv } from './threads-util';

export interface ForgetStores {
  /** The citizen's key-value store (drafts, questions being asked). */
  kv: KvStore;
  /** The outbox's records; null when there is none (no IndexedDB). */
  outbox: OutboxStore | null;
}

/** How many records of each kind were deleted. */
export interface Forgotten {
  drafts: number;
  pending: number;
  outbox: number;
}

/** Deletes the drafts, questions being asked and outbox records of `userId` sealed under `deviceSeed`. */
export async function forgetUserData(c: Crypto, stores: ForgetStores, userId: string, deviceSeed: Uint8Array): Promise<Forgotten> {
  const drafts = await new Drafts(c, stores.kv, deviceSeed, userId).clear();
  const cipher = outboxCipher(c.sodium, deviceSeed, userId);
  const opens = new PendingOpens(c, stores.kv, cipher);
  let pending = 0;
  for (const { id } of await opens.list()) {
    await opens.remove(id);
    pending++;
  }
  const outbox = stores.outbox === null ? 0 : await new Outbox(stores.outbox, cipher, systemClock).clear();
  return { drafts, pending, outbox };
}

/** keys.ts's onForget for the browser: the stores in IndexedDB that threads.ts and the outbox use. */
export function browserForget(c: Crypto): (userId: string, deviceSeed: Uint8Array | null) => Promise<void> {
  return async (userId, deviceSeed) => {
    if (deviceSeed === null) return; // nothing that was kept opens any more
    const outbox = await openIdbOutboxStore().catch(() => null);
    await forgetUserData(c, { kv: await openKv('advice-citizen'), outbox }, userId, deviceSeed);
  };
}
