// threads-util.ts - small pieces the citizen's thread modules share: the error they reject
// with (a code the views translate), base64url and hex as the protocol writes bytes, and a
// key-value store of sealed records (IndexedDB of the app's origin, memory when there is none).
import type * as CryptoModule from '../../crypto/index';
import { openIdbStore } from '../idb';

/**
 * Codes of ThreadsError, for the views to translate (besides the protocol's error codes, §8,
 * passed on from the server): 'file_refused' (a file failed checkFile), 'too_many_files',
 * 'too_long' (the text does not fit in one message), 'unit_keys' (the unit's keys did not
 * verify to the pinned root, or its log went back), 'locked' (no thread key opens),
 * 'rekey_needed' (the thread's key is still not sealed to the unit's current key generation
 * after re-keying), 'stale_epoch' (the thread's key epochs do not verify, or the server refused
 * the current one), 'upload_failed', 'type_mismatch'
 * (a download is not of the type its message names), 'damaged' (a download that does not
 * decrypt, or is cut or changed), 'not_found'.
 */
export class ThreadsError extends Error {
  constructor(readonly code: string, message: string, readonly detail?: string) {
    super(message);
    this.name = 'ThreadsError';
  }
}

/** The encryption module (loaded after login, crypto-load.ts). */
export type Crypto = typeof CryptoModule;

/**
 * crypto-load.ts's CryptoSession, by its shape: importing that file would pull the page's
 * loader into the modules and tests that only need the encryption module.
 */
export interface CryptoSession {
  crypto: Crypto;
  /** The municipal root public key pinned in this build. */
  rootKey: Uint8Array;
}

export function b64(c: Crypto, b: Uint8Array): string {
  return c.sodium.to_base64(b, c.sodium.base64_variants.URLSAFE_NO_PADDING);
}

/** Bytes of unpadded base64url; throws ThreadsError('damaged') for anything else. */
export function unb64(c: Crypto, s: unknown): Uint8Array {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) throw new ThreadsError('damaged', 'not base64url');
  try {
    return c.sodium.from_base64(s, c.sodium.base64_variants.URLSAFE_NO_PADDING);
  } catch {
    throw new ThreadsError('damaged', 'not base64url');
  }
}

export function hex(c: Crypto, b: Uint8Array): string {
  return c.sodium.to_hex(b);
}

/** The 16 bytes of a 32-hex-digit id (thread, user, unit, file). */
export function unhexId(c: Crypto, s: string): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(s)) throw new ThreadsError('damaged', 'not an id of 32 hex digits');
  return c.sodium.from_hex(s);
}

/** Sealed records by an opaque key. */
export interface KvStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  remove(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

export class MemoryKv implements KvStore {
  readonly map = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.map.get(key)?.slice();
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.map.set(key, value.slice());
  }

  async remove(key: string): Promise<void> {
    this.map.delete(key);
  }

  async keys(): Promise<string[]> {
    return [...this.map.keys()];
  }
}

/** A KvStore in the IndexedDB database `name` (one object store), or memory without IndexedDB. */
export async function openKv(name: string): Promise<KvStore> {
  if (typeof indexedDB === 'undefined') return new MemoryKv();
  try {
    const run = await openIdbStore(name, 'kv');
    return {
      async get(key) {
        const v: unknown = await run('readonly', (s) => s.get(key));
        return v instanceof Uint8Array ? v : undefined;
      },
      async put(key, value) {
        await run('readwrite', (s) => s.put(value, key));
      },
      async remove(key) {
        await run('readwrite', (s) => s.delete(key));
      },
      async keys() {
        return ((await run('readonly', (s) => s.getAllKeys())) as unknown[]).filter((k): k is string => typeof k === 'string');
      },
    };
  } catch {
    return new MemoryKv();
  }
}
