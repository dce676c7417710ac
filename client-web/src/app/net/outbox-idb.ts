// outbox-idb.ts - the outbox's records in IndexedDB of the app's origin: one object store of
// { id, order, data } records (data sealed by outbox-cipher.ts; nothing readable is stored).
import type { OutboxRecord, OutboxStore } from './outbox';

const STORE = 'outbox';

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

/** Opens (making it on first use) the outbox database `name`; rejects without IndexedDB. */
export async function openIdbOutboxStore(name = 'advice-outbox', idb: IDBFactory = indexedDB): Promise<OutboxStore> {
  const open = idb.open(name, 1);
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE, { keyPath: 'id' });
  };
  const db = await done(open);
  const run = async <T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const tx = db.transaction(STORE, mode);
    const result = done(f(tx.objectStore(STORE)));
    await finished(tx);
    return result;
  };
  return {
    async list() {
      const rows = (await run('readonly', (s) => s.getAll())) as unknown[];
      return rows.filter((r): r is OutboxRecord => {
        const o = r as Partial<OutboxRecord>;
        return typeof o.id === 'string' && typeof o.order === 'number' && o.data instanceof Uint8Array;
      });
    },
    async put(record) {
      await run('readwrite', (s) => s.put({ id: record.id, order: record.order, data: record.data }));
    },
    async remove(id) {
      await run('readwrite', (s) => s.delete(id));
    },
  };
}
