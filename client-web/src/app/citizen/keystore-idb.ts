// keystore-idb.ts - the citizen's keys on this device in IndexedDB of the app's origin (its own
// database, 'advice-keys'): one record per citizen user id. What is stored, in plain, and
// why: keystore.ts.
import { checkRecord, type KeyRecord, type KeyStore } from './keystore';

const STORE = 'keys';

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function finished(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

/** Opens (making it on first use) the key database `name`; rejects without IndexedDB. */
export async function openIdbKeyStore(name = 'advice-keys', idb: IDBFactory = indexedDB): Promise<KeyStore> {
  const open = idb.open(name, 1);
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE, { keyPath: 'user' });
  };
  const db = await done(open);
  const run = async <T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const tx = db.transaction(STORE, mode);
    const result = done(f(tx.objectStore(STORE)));
    await finished(tx);
    return result;
  };
  return {
    async load(userId) {
      const row = (await run('readonly', (s) => s.get(userId))) as { record?: unknown } | undefined;
      return row === undefined ? null : checkRecord(row.record);
    },
    async save(userId, record: KeyRecord) {
      await run('readwrite', (s) => s.put({ user: userId, record }));
    },
    async remove(userId) {
      await run('readwrite', (s) => s.delete(userId));
    },
  };
}
