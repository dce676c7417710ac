// auth-keys.ts - the staff page's keys after a login (PROTOCOL.md §4.5.2, §4.5.3, §12.1), as the
// auth controller drives them: keys.mine; no bundle: a new identity made here, its bundle and
// key request filed with keys.enrol, its fingerprint shown until an administrator certifies it
// (keys.mine asked again every `pollMs` and after each reconnect); a bundle: opened with the
// password (re-sealed first under a new one when the password changed, keys.bundle.put), the
// worker's certificate and the unit keys verified (keys.ts). The bundle's bytes and keys.mine's
// public answer stay in memory so that the lock screen opens the bundle again without the
// server; the password and the seeds never stay.
import type { Connection } from '../net';
import type { Crypto } from '../citizen/threads-util';
import type { Keys } from '../../crypto/index';
import type { StaffKeys } from './contract';
import {
  keyUnb64, makeEnrolment, newBundleSealer, openBundle, openUnitKeys, ownCert, sealBundle, staffKeysOf, unhexId,
  verifiedAdmins, bundleVersion, keyB64, StaffKeyError, type BundleSealer, type KeysMine,
} from './keys';

/** Why the keys could not be had: 'network', 'bundle', 'certificate', 'enrol' (keys.enrol refused). */
export class KeyStepError extends Error {
  constructor(readonly reason: 'network' | 'bundle' | 'certificate' | 'enrol' | 'bad_password', message: string) {
    super(message);
    this.name = 'KeyStepError';
  }
}

export type KeyOutcome =
  | { kind: 'ready'; keys: StaffKeys & { wipe(): void } }
  | { kind: 'awaiting'; fingerprint: string };

/** What the login leaves for the keys: the password (to open the bundle), or a sealer of a new one. */
export interface KeySecrets {
  password?: string;
  /** The new password's bundle key (first login), or the new password (a change). */
  sealer?: BundleSealer;
  newPassword?: string;
}

export class StaffKeyState {
  /** The bundle as filed (opened again at unlock), and keys.mine's answer (public). */
  bundle: Uint8Array | null = null;
  mine: KeysMine | null = null;
  private identity: Keys | null = null;

  constructor(
    private readonly c: Crypto,
    private readonly root: Uint8Array,
    readonly userId: string,
    private readonly now: () => number,
    private readonly problem: (what: string) => void,
  ) {}

  /** keys.mine, kept. */
  async fetch(conn: Connection): Promise<KeysMine> {
    try {
      this.mine = (await conn.request('keys.mine', {})) as unknown as KeysMine;
    } catch (e) {
      throw new KeyStepError('network', `keys.mine failed: ${(e as Error).message}`);
    }
    if (this.mine.bundle !== null) this.bundle = this.decode(this.mine.bundle);
    return this.mine;
  }

  private decode(s: string): Uint8Array {
    try {
      return keyUnb64(this.c, s);
    } catch {
      throw new KeyStepError('bundle', 'the key bundle is not base64url');
    }
  }

  private uid(): Uint8Array {
    return unhexId(this.c, this.userId);
  }

  /** After a login: the keys made (no bundle, or a first login) or opened. */
  async afterLogin(conn: Connection, s: KeySecrets): Promise<KeyOutcome> {
    const mine = await this.fetch(conn);
    if (mine.bundle === null || (s.sealer !== undefined && s.password === undefined)) {
      const sealer = s.sealer ?? (s.password !== undefined ? newBundleSealer(this.c, s.newPassword ?? s.password) : undefined);
      if (sealer === undefined) throw new KeyStepError('bundle', 'no bundle and no password to make one');
      return this.enrol(conn, sealer);
    }
    if (s.password === undefined) throw new KeyStepError('bundle', 'no password to open the bundle');
    const seed = this.openSeed(s.password);
    try {
      if (s.newPassword !== undefined) await this.reseal(conn, seed, s.newPassword);
      this.identity = this.c.keysPersonal(seed);
    } finally {
      this.c.wipe(seed);
    }
    return this.certified();
  }

  private openSeed(password: string): Uint8Array {
    if (this.bundle === null) throw new KeyStepError('bundle', 'no bundle in memory');
    try {
      return openBundle(this.c, this.bundle, this.uid(), password);
    } catch (e) {
      if (e instanceof StaffKeyError && e.code === 'bad_password') throw new KeyStepError('bad_password', e.message);
      throw new KeyStepError('bundle', (e as Error).message);
    }
  }

  /** The seed sealed again under `password` (a fresh salt, the next version), filed. */
  private async reseal(conn: Connection, seed: Uint8Array, password: string): Promise<void> {
    const sealer = newBundleSealer(this.c, password);
    const next = sealBundle(this.c, sealer, this.uid(), bundleVersion(this.c, this.bundle!) + 1, seed);
    this.c.wipe(sealer.key);
    try {
      await conn.request('keys.bundle.put', { bundle: keyB64(this.c, next) });
    } catch (e) {
      throw new KeyStepError('network', `keys.bundle.put failed: ${(e as Error).message}`);
    }
    this.bundle = next;
  }

  /** A logged-in password change: the bundle in memory opened with `current`, re-sealed under `next`. */
  async changePassword(conn: Connection, current: string, next: string): Promise<void> {
    const seed = this.openSeed(current);
    try {
      await this.reseal(conn, seed, next);
    } finally {
      this.c.wipe(seed);
    }
  }

  private async enrol(conn: Connection, sealer: BundleSealer): Promise<KeyOutcome> {
    const e = makeEnrolment(this.c, this.uid(), sealer, this.now());
    this.c.wipe(sealer.key);
    this.c.wipe(e.seed);
    try {
      await conn.request('keys.enrol', { bundle: keyB64(this.c, e.bundle), request: keyB64(this.c, e.request) });
    } catch (err) {
      throw new KeyStepError('enrol', `keys.enrol failed: ${(err as Error).message}`);
    }
    this.bundle = e.bundle;
    this.identity = e.identity;
    return { kind: 'awaiting', fingerprint: e.fingerprint };
  }

  /** keys.mine again while awaiting certification. */
  async poll(conn: Connection): Promise<KeyOutcome> {
    await this.fetch(conn);
    return this.certified();
  }

  /** The lock screen: the bundle in memory opened with the password; the keys as before. */
  unlock(password: string): KeyOutcome {
    const seed = this.openSeed(password);
    this.identity = this.c.keysPersonal(seed);
    this.c.wipe(seed);
    return this.certified();
  }

  /** The identity's certificate and unit keys from keys.mine in memory, verified to the root. */
  private certified(): KeyOutcome {
    const id = this.identity!;
    const mine = this.mine!;
    const now = BigInt(this.now());
    const admins = verifiedAdmins(this.c, mine.certs, this.root, now);
    const own = ownCert(this.c, mine.own_certs, admins, id, this.root, now);
    if (own.kind === 'none') return { kind: 'awaiting', fingerprint: this.c.keyFingerprint(id.signPk, id.boxPk) };
    if (own.kind === 'refused') {
      this.forget();
      throw new KeyStepError('certificate', 'the certificate of these keys does not verify to the pinned root');
    }
    const units = openUnitKeys(this.c, mine, id, admins, this.problem);
    this.identity = null; // the StaffKeys own it now (and wipe it)
    return { kind: 'ready', keys: staffKeysOf(this.c, this.userId, id, [own.cert], admins, this.root, units) };
  }

  /** Wipes an identity held while awaiting certification. */
  forget(): void {
    if (this.identity === null) return;
    this.c.wipe(this.identity.boxSk);
    this.c.wipe(this.identity.signSk);
    this.identity = null;
  }
}
