// outbox-idb.ts - the outbox's records in IndexedDB of the app's origin: one object store of
// { id, order, data } records (data sealed by outbox-cipher.ts; nothing readable is stored).
import { openIdbStore } from '../idb';
import type { OutboxRecord, OutboxStore } from './outbox';

const STORE = 'outbox';

/** Opens (making it on first use) the outbox database `name`; rejects without IndexedDB. */
export async function openIdbOutboxStore(name = 'advice-outbox', idb: IDBFactory = indexedDB): Promise<OutboxStore> {
  const run = await openIdbStore(name, STORE, 'id', idb);
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
