// pending-open.ts - a question being asked, kept on this device until its thread key is wrapped
// (thread.open and wrap.put are two writes): the prepared thread id, the thread key, category
// and language, and once made the first message's envelope. Each record is sealed as an outbox
// record is (CRYPTO-FORMATS.md "Outbox": the device seed's outbox key, bound to the user and the
// record's random id), so nothing readable is stored; on the next start the app finishes what
// is left (threads.ts).
import type { RecordCipher } from '../net/outbox';
import type { Lang } from '../i18n-langs';
import { b64, type Crypto, type KvStore, unb64 } from './threads-util';

export interface PendingOpen {
  thread: string;
  category: string;
  lang: Lang;
  /** The thread key (epoch 0). */
  key: Uint8Array;
  /** The first message's envelope (base64url), once made; null while attachments upload. */
  body: string | null;
  created: number;
}

const PREFIX = 'open-';

export class PendingOpens {
  constructor(private readonly c: Crypto, private readonly store: KvStore, private readonly cipher: RecordCipher) {}

  /** Stores a new record; resolves with its id. */
  async add(p: PendingOpen): Promise<string> {
    const id = PREFIX + this.c.sodium.to_hex(this.c.random(16));
    await this.put(id, p);
    return id;
  }

  async put(id: string, p: PendingOpen): Promise<void> {
    const json = JSON.stringify({ ...p, key: b64(this.c, p.key) });
    await this.store.put(id, await this.cipher.seal(new TextEncoder().encode(json), id));
  }

  async remove(id: string): Promise<void> {
    await this.store.remove(id);
  }

  /** Every record of this user that opens (others' are left for them). */
  async list(): Promise<{ id: string; p: PendingOpen }[]> {
    const out: { id: string; p: PendingOpen }[] = [];
    for (const id of await this.store.keys()) {
      if (!id.startsWith(PREFIX)) continue;
      const data = await this.store.get(id);
      const plain = data === undefined ? null : await this.cipher.open(data, id);
      if (plain === null) continue;
      try {
        const o = JSON.parse(new TextDecoder().decode(plain)) as PendingOpen & { key: string };
        out.push({ id, p: { ...o, key: unb64(this.c, o.key) } });
      } catch {
        // a damaged record: left as it is
      }
    }
    return out;
  }
}
