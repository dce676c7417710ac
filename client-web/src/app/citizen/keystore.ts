// keystore.ts - where this browser keeps a citizen's keys, per citizen user id: the device
// seed (32 bytes) and, once the device holds one, the identity seed, the identity id and the
// device's kid (proto/CRYPTO-FORMATS.md "Citizen identity").
//
// The seeds are stored as they are, not encrypted: the browser's storage is this device's key
// store, as a phone's key store is a phone app's. Anyone who holds this browser profile (the
// files of the profile, or the unlocked computer) holds the keys and reads the citizen's
// threads; there is nothing to encrypt them with that would not be stored beside them.
// Logging out keeps them (the next login on this device reads at once). Removing this device
// (device.remove, or the server no longer knowing it) and "forget this device" delete them,
// and with them the drafts and the outbox of that user, whose key is the device seed.
/** The keys of one citizen on this device. */
export interface KeyRecord {
  /** The seed of this device's own keys. */
  deviceSeed: Uint8Array;
  /** The identity seed, once this device holds the identity. */
  identitySeed?: Uint8Array;
  /** kid(identity Ed25519 key), hex. */
  identityId?: string;
  /** kid(device X25519 key), hex, as device.list names it. */
  deviceKid?: string;
  /** False while the setup is not finished (the recovery code not yet confirmed as saved): the
   *  next start resumes it with the same keys. */
  complete?: boolean;
}

export interface KeyStore {
  /** The record of `userId`, or null when this browser holds none (or an unreadable one). */
  load(userId: string): Promise<KeyRecord | null>;
  save(userId: string, record: KeyRecord): Promise<void>;
  /** Deletes the record of `userId` (nothing happens when there is none). */
  remove(userId: string): Promise<void>;
}

const HEX32 = /^[0-9a-f]{32}$/;

/** The record when `v` has the form of one (a stored value is not trusted to be), else null. */
export function checkRecord(v: unknown): KeyRecord | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (!(o.deviceSeed instanceof Uint8Array) || o.deviceSeed.length !== 32) return null;
  const rec: KeyRecord = { deviceSeed: o.deviceSeed, complete: o.complete === true };
  if (o.identitySeed !== undefined) {
    if (!(o.identitySeed instanceof Uint8Array) || o.identitySeed.length !== 32) return null;
    if (typeof o.identityId !== 'string' || !HEX32.test(o.identityId)) return null;
    if (typeof o.deviceKid !== 'string' || !HEX32.test(o.deviceKid)) return null;
    rec.identitySeed = o.identitySeed;
    rec.identityId = o.identityId;
    rec.deviceKid = o.deviceKid;
  }
  return rec;
}

function copy(r: KeyRecord): KeyRecord {
  return {
    ...r,
    deviceSeed: r.deviceSeed.slice(),
    ...(r.identitySeed !== undefined ? { identitySeed: r.identitySeed.slice() } : {}),
  };
}

/** A store in memory (tests, and a browser without IndexedDB: the keys last for the page). */
export class MemoryKeyStore implements KeyStore {
  private readonly records = new Map<string, KeyRecord>();

  async load(userId: string): Promise<KeyRecord | null> {
    const r = this.records.get(userId);
    return r === undefined ? null : checkRecord(copy(r));
  }

  async save(userId: string, record: KeyRecord): Promise<void> {
    this.records.set(userId, copy(record));
  }

  async remove(userId: string): Promise<void> {
    this.records.delete(userId);
  }

  /** The user ids held (for tests). */
  users(): string[] {
    return [...this.records.keys()];
  }
}
