// keystore-idb.ts - the citizen's keys on this device in IndexedDB of the app's origin (its own
// database, 'advice-keys'): one record per citizen user id. What is stored, in plain, and
// why: keystore.ts.
import { openIdbStore } from '../idb';
import { checkRecord, type KeyRecord, type KeyStore } from './keystore';

const STORE = 'keys';

/** Opens (making it on first use) the key database `name`; rejects without IndexedDB. */
export async function openIdbKeyStore(name = 'advice-keys', idb: IDBFactory = indexedDB): Promise<KeyStore> {
  const run = await openIdbStore(name, STORE, 'user', idb);
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
