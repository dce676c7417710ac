// idb.ts - the app's IndexedDB databases of this origin (the outbox, the device's keys, the
// threads' small records): each holds one object store, made on first use; every call is one
// request in its own transaction, and its result counts only once the transaction committed.

/** Runs one request on the store in a transaction of `mode`; resolves after the commit. */
export type IdbRun = <T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>) => Promise<T>;

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

/**
 * Opens the database `name` with its one object store `store` (keyed by the records' field
 * `keyPath`, or by keys given apart when it is absent); rejects without IndexedDB.
 */
export async function openIdbStore(name: string, store: string, keyPath?: string, idb: IDBFactory = indexedDB): Promise<IdbRun> {
  const open = idb.open(name, 1);
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(store)) open.result.createObjectStore(store, keyPath === undefined ? {} : { keyPath });
  };
  const db = await done(open);
  return async (mode, f) => {
    const tx = db.transaction(store, mode);
    const result = done(f(tx.objectStore(store)));
    await finished(tx);
    return result;
  };
}
