// browser.ts - the connection manager in the browser: the page's WebSocket, the online/offline
// events (an immediate try when the browser is online again), and the outbox in IndexedDB once
// the encryption module has the device's seed.
import { Connection, type ConnectionOptions } from './connection';
import { Outbox } from './outbox';
import { outboxCipher, type OutboxSodium } from './outbox-cipher';
import { openIdbOutboxStore } from './outbox-idb';
import { browserSocket } from './socket';
import { systemClock } from './clock';

/** A Connection on the page's own /ws, following the browser's online state. Call start(). */
export function browserConnection(opts: Partial<ConnectionOptions> = {}): { conn: Connection; dispose(): void } {
  const conn = new Connection({ socket: browserSocket(), ...opts });
  const online = (): void => conn.setBrowserOnline(true);
  const offline = (): void => conn.setBrowserOnline(false);
  window.addEventListener('online', online);
  window.addEventListener('offline', offline);
  if (navigator.onLine === false) conn.setBrowserOnline(false);
  return {
    conn,
    dispose() {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      conn.stop();
    },
  };
}

/**
 * Gives `conn` its outbox in IndexedDB, encrypted under the key from `seed` (the user's
 * personal seed on this device) for `userId`; `sodium` is the encryption module's. Unsent
 * writes of an earlier page are resent with their original ids. Without IndexedDB the writes
 * are still resent after a reconnect, not after a reload.
 */
export async function attachBrowserOutbox(conn: Connection, sodium: OutboxSodium, seed: Uint8Array, userId: string): Promise<void> {
  const store = await openIdbOutboxStore();
  await conn.useOutbox(new Outbox(store, outboxCipher(sodium, seed, userId), systemClock));
}
