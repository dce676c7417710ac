// drafts.ts - unsent texts kept on this device only (PROTOCOL.md §12.5, CRYPTO-FORMATS.md
// "Drafts"): XChaCha20-Poly1305 under kdf(32, 1, "QAdraft_", s), s this device's seed, with
// AD = "QA-v1-draft" || user id (16) || thread id (16; zeros for a question not sent yet), the
// text padded to 256 bytes. Records are stored under two keyed hashes, of the user and of user
// and thread ("draft:" tag ":" hash), so the store names neither the user nor the threads that
// have drafts, yet the user's drafts can be deleted together (clear: this device forgets the
// user); a record moved to another user or thread does not open.
import { type Crypto, type KvStore, unhexId } from './threads-util';

const NONCE = 24;
const PAD = 256;

export class Drafts {
  private readonly key: Uint8Array;
  private readonly user: Uint8Array;

  constructor(private readonly c: Crypto, private readonly store: KvStore, deviceSeed: Uint8Array, userId: string) {
    this.key = c.sodium.crypto_kdf_derive_from_key(32, 1, 'QAdraft_', deviceSeed);
    this.user = unhexId(c, userId);
  }

  private threadBytes(thread: string | null): Uint8Array {
    return thread === null ? new Uint8Array(16) : unhexId(this.c, thread);
  }

  private ad(thread: string | null): Uint8Array {
    return this.c.concat(this.c.sodium.from_string('QA-v1-draft'), this.user, this.threadBytes(thread));
  }

  /** The prefix of this user's drafts in the store: a keyed hash of the user. */
  private userPrefix(): string {
    const tag = this.c.sodium.crypto_generichash(16, this.c.concat(this.c.sodium.from_string('QA-v1-draft-user'), this.user), this.key);
    return `draft:${this.c.sodium.to_hex(tag)}:`;
  }

  /** The store's key of a draft: keyed hashes of the user and of user and thread (say nothing by themselves). */
  storeKey(thread: string | null): string {
    return this.userPrefix() + this.c.sodium.to_hex(this.c.sodium.crypto_generichash(16, this.ad(thread), this.key));
  }

  seal(thread: string | null, text: string): Uint8Array {
    const nonce = this.c.random(NONCE);
    const ct = this.c.aeadEncrypt(this.c.sodium.pad(this.c.sodium.from_string(text), PAD), this.ad(thread), nonce, this.key);
    return this.c.concat(nonce, ct);
  }

  /** The text of a record of this user and thread, or null when it does not open. */
  open(thread: string | null, record: Uint8Array): string | null {
    if (record.length < NONCE + 16) return null;
    try {
      const padded = this.c.aeadDecrypt(record.subarray(NONCE), this.ad(thread), record.subarray(0, NONCE), this.key, 'draft');
      return new TextDecoder('utf-8', { fatal: true }).decode(this.c.sodium.unpad(padded, PAD));
    } catch {
      return null;
    }
  }

  async load(thread: string | null): Promise<string> {
    const rec = await this.store.get(this.storeKey(thread));
    return rec === undefined ? '' : this.open(thread, rec) ?? '';
  }

  async save(thread: string | null, text: string): Promise<void> {
    if (text === '') return this.discard(thread);
    await this.store.put(this.storeKey(thread), this.seal(thread, text));
  }

  async discard(thread: string | null): Promise<void> {
    await this.store.remove(this.storeKey(thread));
  }

  /** Deletes every draft of this user on this device (others' are left); resolves with how many. */
  async clear(): Promise<number> {
    const prefix = this.userPrefix();
    const mine = (await this.store.keys()).filter((k) => k.startsWith(prefix));
    for (const k of mine) await this.store.remove(k);
    return mine.length;
  }
}
