// keys.ts - the citizen's keys on this device (contract.ts KeyController; PROTOCOL.md §12.2,
// CRYPTO-FORMATS.md "Citizen identity"). At the start it loads what this browser holds
// (keystore.ts) and asks the server (device.list, recovery.get) where the device stands: the
// citizen's first login (no identity yet), a new device (identities, none held here), ready
// (the identity seed gives the identity, the device's certificate under it is listed), or
// removed (the server no longer knows this device: the keys here are wiped). It makes the
// identity and the recovery code, recovers with the code, starts a new identity, lists and
// removes devices; approvals of new devices are approval.ts's.
//
// The recovery code is never stored: it is returned once to be shown. A setup is saved before
// it is sent and marked complete only once the citizen confirmed the code as saved
// (finishSetup), so a reload in between resumes it with the same keys and a new code.
import type { Connection } from '../net/index';
import { systemClock, type Clock } from '../net/clock';
import type { CitizenKeys, DeviceInfo, KeyController, KeyErrorCode, KeyState, ApprovalAsk, ApprovalAnswer } from './contract';
import { type KeyRecord, type KeyStore, MemoryKeyStore } from './keystore';
import { openIdbKeyStore } from './keystore-idb';
import { ApprovalDesk, NewDeviceApproval, type ApprovalContext, type CryptoModule } from './approval';

/** What the controller needs of crypto-load.ts's CryptoSession: the encryption module. */
export interface KeyCrypto {
  crypto: CryptoModule;
}
import { b64u, boxesOf, hex, listingOf, type DeviceListing } from './keys-wire';

/** A key operation's failure, by code (contract.ts KeyErrorCode); the views translate it. */
export class KeyError extends Error {
  constructor(readonly code: KeyErrorCode, message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

export interface KeyControllerOptions {
  /** Where the keys are kept (default: IndexedDB 'advice-keys', memory when it cannot open). */
  store?: KeyStore;
  clock?: Clock;
  /**
   * Deletes what else this device keeps under the device seed (drafts, outbox) for the user:
   * called with the seed those records open under (null when no readable keys were kept).
   */
  onForget?: (userId: string, deviceSeed: Uint8Array | null) => Promise<void>;
  /** device.list is read this often while an approval step is awaited (ms). */
  pollMs?: number;
  /** ... and this often while approvals are watched and none is under way (ms). */
  slowPollMs?: number;
}

const NETWORK_CODES = new Set(['timeout', 'login_needed', 'client_error', 'closed', 'stopped', 'user_changed', 'unavailable', 'internal']);

/** Any failure as a KeyError: the server's conflict and rate limit, the connection's, or 'failed'. */
export function keyError(e: unknown): KeyError {
  if (e instanceof KeyError) return e;
  const code = String((e as { code?: unknown })?.code ?? '');
  const msg = (e as Error)?.message ?? String(e);
  if (code === 'conflict' || code === 'rate_limited') return new KeyError('conflict', msg);
  if (NETWORK_CODES.has(code)) return new KeyError('network', msg);
  return new KeyError('failed', msg);
}

const errorCode = (e: unknown): string => String((e as { code?: unknown })?.code ?? '');

/** The default store: IndexedDB, or memory (the keys last for the page) without it. */
async function defaultStore(): Promise<KeyStore> {
  try {
    return await openIdbKeyStore();
  } catch {
    return new MemoryKeyStore();
  }
}

class Controller implements KeyController {
  private current: KeyState = { kind: 'loading' };
  private readonly listeners = new Set<(s: KeyState) => void>();
  private readonly clock: Clock;
  private storePromise: Promise<KeyStore>;
  /** An unfinished setup (saved, not confirmed): resumed by createIdentity. */
  private pending: KeyRecord | null = null;
  /** The keys made by the last setup, ready once finishSetup is called. */
  private made: KeyRecord | null = null;
  private ready: { keys: CitizenKeys; identitySeed: Uint8Array } | null = null;
  private desk: ApprovalDesk | null = null;
  private run = 0;
  private readonly ctx: ApprovalContext;

  constructor(private readonly conn: Connection, private readonly cs: KeyCrypto, private readonly userId: string,
    private readonly opts: KeyControllerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.storePromise = opts.store !== undefined ? Promise.resolve(opts.store) : defaultStore();
    this.ctx = { conn, c: cs.crypto, clock: this.clock, listing: () => this.listing(), pollMs: opts.pollMs ?? 5_000 };
    void this.start();
  }

  // ---- state ------------------------------------------------------------------------------

  state(): KeyState {
    return this.current;
  }

  subscribe(fn: (s: KeyState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private setState(s: KeyState): void {
    this.current = s;
    if (s.kind !== 'ready') this.closeDesk();
    for (const fn of [...this.listeners]) {
      try {
        fn(s);
      } catch {
        // a view's failure does not stop the others
      }
    }
  }

  restart(): void {
    void this.start();
  }

  // ---- the server's view of this citizen --------------------------------------------------

  /** device.list, naming this device when it holds keys (marked used). */
  private async listing(): Promise<DeviceListing> {
    const kid = this.ready?.keys.deviceKid;
    return listingOf(await this.conn.request('device.list', kid !== undefined ? { kid } : {}));
  }

  /** The keys of a record whose identity seed and device seed give its ids; null otherwise. */
  private keysOf(rec: KeyRecord): CitizenKeys | null {
    const c = this.cs.crypto;
    if (rec.identitySeed === undefined) return null;
    const identity = c.keysPersonal(rec.identitySeed);
    const device = c.keysPersonal(rec.deviceSeed);
    if (hex(c.identityId(identity.signPk)) !== rec.identityId || hex(c.kid(device.boxPk)) !== rec.deviceKid) return null;
    return { userId: this.userId, identity, identityId: rec.identityId, device, deviceKid: rec.deviceKid, deviceSeed: rec.deviceSeed };
  }

  /** True when the listing has this device's certificate, under this identity, for these keys. */
  private certified(l: DeviceListing, k: CitizenKeys): boolean {
    const c = this.cs.crypto;
    const d = l.devices.find((x) => x.kid === k.deviceKid);
    if (d === undefined || d.identity !== k.identityId) return false;
    try {
      const cert = c.deviceCertVerify(d.cert);
      return c.equal(cert.identitySignPk, k.identity.signPk) && c.equal(cert.identityBoxPk, k.identity.boxPk) &&
        c.equal(cert.deviceSignPk, k.device.signPk) && c.equal(cert.deviceBoxPk, k.device.boxPk);
    } catch {
      return false;
    }
  }

  private async start(): Promise<void> {
    const run = ++this.run;
    this.ready = null;
    this.pending = null;
    this.made = null;
    this.setState({ kind: 'loading' });
    try {
      const store = await this.storePromise;
      let rec = await store.load(this.userId);
      const keys = rec !== null ? this.keysOf(rec) : null;
      if (rec !== null && keys === null) {
        await store.remove(this.userId); // a record that does not hold together is no key
        rec = null;
      }
      const next = rec !== null && keys !== null ? await this.check(rec, keys) : await this.withoutKeys(null);
      if (run === this.run) this.setState(next);
    } catch (e) {
      if (run === this.run) this.setState({ kind: 'failed', reason: keyError(e).code });
    }
  }

  /** Where a device holding keys stands. */
  private async check(rec: KeyRecord, keys: CitizenKeys): Promise<KeyState> {
    let l: DeviceListing;
    try {
      l = listingOf(await this.conn.request('device.list', { kid: keys.deviceKid }));
    } catch (e) {
      if (errorCode(e) !== 'not_found') throw e;
      if (rec.complete) {
        await this.forget();
        return { kind: 'removed' };
      }
      return this.withoutKeys(rec); // a setup whose identity.add never arrived
    }
    if (!rec.complete) return this.withoutKeys(rec, l);
    if (!this.certified(l, keys)) return { kind: 'failed', reason: 'device_cert' };
    this.ready = { keys, identitySeed: rec.identitySeed! };
    return { kind: 'ready', keys };
  }

  /** First login, or a new device (with or without a recovery box); resumes an unfinished setup. */
  private async withoutKeys(unfinished: KeyRecord | null, known?: DeviceListing): Promise<KeyState> {
    const l = known ?? (await this.listing());
    // An unfinished setup's own identity does not count: createIdentity or startNewIdentity
    // resumes it with the same keys.
    const others = l.identities.filter((i) => i.identity !== unfinished?.identityId);
    this.pending = unfinished;
    if (others.length === 0) return { kind: 'first-login' };
    const boxes = boxesOf(await this.conn.request('recovery.get', {}));
    return { kind: 'new-device', identities: others.length, hasRecovery: boxes.length > 0 };
  }

  // ---- making, recovering, starting anew --------------------------------------------------

  createIdentity(): Promise<{ recoveryCode: string }> {
    return this.newIdentity();
  }

  startNewIdentity(): Promise<{ recoveryCode: string }> {
    return this.newIdentity();
  }

  /**
   * A new identity and this device under it (or the unfinished one resumed): saved first, then
   * identity.add, then a new recovery box; resolves with the code to show once.
   */
  private async newIdentity(): Promise<{ recoveryCode: string }> {
    const c = this.cs.crypto;
    try {
      const store = await this.storePromise;
      let rec = this.pending;
      if (rec === null) {
        const deviceSeed = c.random(32), identitySeed = c.random(32);
        rec = {
          deviceSeed, identitySeed, identityId: hex(c.identityId(c.keysPersonal(identitySeed).signPk)),
          deviceKid: hex(c.kid(c.keysPersonal(deviceSeed).boxPk)), complete: false,
        };
        await store.save(this.userId, rec);
        this.pending = rec;
      }
      const keys = this.keysOf(rec)!;
      const l = await this.listing();
      if (!this.certified(l, keys)) {
        const cert = c.deviceCertSign(keys.identity, keys.device.signPk, keys.device.boxPk, BigInt(this.clock.now()));
        const r = await this.conn.request('identity.add', { cert: b64u(cert) });
        if (r.identity !== keys.identityId || r.kid !== keys.deviceKid) throw new KeyError('failed', 'identity.add named other keys');
      }
      const code = await this.putRecoveryBox(rec.identitySeed!);
      this.made = rec;
      return { recoveryCode: code };
    } catch (e) {
      throw keyError(e);
    }
  }

  /** A new recovery secret, its box stored (recovery.put); the code, formatted, to show once. */
  private async putRecoveryBox(identitySeed: Uint8Array): Promise<string> {
    const c = this.cs.crypto;
    const secret = c.random(c.RECOVERY_SECRET_BYTES);
    const key = c.recoveryKey(secret);
    const box = c.recoveryBoxSeal(identitySeed, BigInt(this.clock.now()), key, c.random(c.NONCE_BYTES));
    c.wipe(key);
    try {
      await this.conn.request('recovery.put', { box: b64u(box) });
      return c.recoveryCodeFormat(secret);
    } finally {
      c.wipe(secret);
    }
  }

  async finishSetup(): Promise<void> {
    const rec = this.made;
    if (rec === null) throw new KeyError('failed', 'no setup to finish');
    const done: KeyRecord = { ...rec, complete: true };
    await (await this.storePromise).save(this.userId, done);
    this.made = null;
    this.pending = null;
    const keys = this.keysOf(done)!;
    this.ready = { keys, identitySeed: done.identitySeed! };
    this.setState({ kind: 'ready', keys });
  }

  async recover(code: string): Promise<void> {
    const c = this.cs.crypto;
    try {
      try {
        c.wipe(c.recoveryCodeParse(code));
      } catch {
        throw new KeyError('typo', 'the recovery code is not well formed');
      }
      const boxes = boxesOf(await this.conn.request('recovery.get', {}));
      if (boxes.length === 0) throw new KeyError('no_recovery', 'no recovery box is stored');
      let identitySeed: Uint8Array | null = null;
      for (const b of boxes) {
        try {
          const seed = c.recoveryBoxOpen(b.box, code);
          if (hex(c.identityId(c.keysPersonal(seed).signPk)) === b.identity) {
            identitySeed = seed;
            break;
          }
        } catch {
          // another identity's box, or not this code's
        }
      }
      if (identitySeed === null) throw new KeyError('wrong_code', 'the code opens no recovery box');
      await this.addDevice(identitySeed);
    } catch (e) {
      throw keyError(e);
    }
  }

  /** This device's certificate signed by the recovered identity, registered (device.add). */
  private async addDevice(identitySeed: Uint8Array): Promise<void> {
    const c = this.cs.crypto;
    const deviceSeed = c.random(32);
    const rec: KeyRecord = {
      deviceSeed, identitySeed, identityId: hex(c.identityId(c.keysPersonal(identitySeed).signPk)),
      deviceKid: hex(c.kid(c.keysPersonal(deviceSeed).boxPk)), complete: true,
    };
    const keys = this.keysOf(rec)!;
    const l = await this.listing();
    if (!l.identities.some((i) => i.identity === keys.identityId && c.equal(i.signPk, keys.identity.signPk))) {
      throw new KeyError('failed', 'the recovered identity is not among the citizen\'s identities');
    }
    const cert = c.deviceCertSign(keys.identity, keys.device.signPk, keys.device.boxPk, BigInt(this.clock.now()));
    const r = await this.conn.request('device.add', { cert: b64u(cert) });
    if (r.kid !== keys.deviceKid) throw new KeyError('failed', 'device.add named another key');
    await this.becomeReady(rec);
  }

  private async becomeReady(rec: KeyRecord): Promise<void> {
    const keys = this.keysOf(rec);
    if (keys === null) throw new KeyError('failed', 'the keys do not hold together');
    await (await this.storePromise).save(this.userId, rec);
    this.pending = null;
    this.ready = { keys, identitySeed: rec.identitySeed! };
    this.setState({ kind: 'ready', keys });
  }

  // ---- approvals --------------------------------------------------------------------------

  askApproval(onChange: (s: ApprovalAsk) => void): { cancel(): void } {
    const a = new NewDeviceApproval(this.ctx, onChange, (rec) => this.becomeReady(rec));
    void a.start();
    return { cancel: () => a.cancel() };
  }

  private closeDesk(): void {
    this.desk?.close();
    this.desk = null;
  }

  watchApprovals(onChange: (requests: ApprovalAnswer[]) => void): () => void {
    if (this.ready === null) {
      onChange([]);
      return () => undefined;
    }
    this.desk ??= new ApprovalDesk(this.ctx, this.ready.keys, this.ready.identitySeed, this.opts.slowPollMs ?? 60_000);
    return this.desk.watch(onChange);
  }

  private deskFor(): ApprovalDesk {
    if (this.desk === null) throw new KeyError('failed', 'approvals are not watched on this device');
    return this.desk;
  }

  async challenge(request: string): Promise<void> {
    try {
      await this.deskFor().challenge(request);
    } catch (e) {
      throw keyError(e);
    }
  }

  async approve(request: string): Promise<void> {
    try {
      await this.deskFor().approve(request);
    } catch (e) {
      throw keyError(e);
    }
  }

  decline(request: string): void {
    this.desk?.decline(request);
  }

  // ---- devices ----------------------------------------------------------------------------

  async devices(): Promise<DeviceInfo[]> {
    const c = this.cs.crypto;
    let l: DeviceListing;
    try {
      l = await this.listing();
    } catch (e) {
      if (errorCode(e) === 'not_found' && this.ready !== null) await this.removed();
      throw keyError(e);
    }
    const current = this.ready?.keys.deviceKid;
    return l.devices.map((d) => {
      let verified = false;
      try {
        const cert = c.deviceCertVerify(d.cert);
        verified = hex(c.kid(cert.deviceBoxPk)) === d.kid &&
          l.identities.some((i) => i.identity === d.identity && c.equal(i.signPk, cert.identitySignPk));
      } catch {
        verified = false;
      }
      return { kid: d.kid, current: d.kid === current, created: d.created, lastUsed: d.lastUsed, verified };
    });
  }

  async removeDevice(kid: string): Promise<void> {
    try {
      await this.conn.request('device.remove', { kid });
    } catch (e) {
      throw keyError(e);
    }
    if (this.ready !== null && kid === this.ready.keys.deviceKid) await this.removed();
  }

  /** This device is gone: its keys (and what they keep) deleted, state 'removed'. */
  private async removed(): Promise<void> {
    this.run++;
    await this.forget();
    this.setState({ kind: 'removed' });
  }

  /** Deletes this user's keys on this device and, through onForget, the drafts and outbox. */
  private async forget(): Promise<void> {
    const seed = this.ready?.identitySeed;
    this.ready = null;
    this.pending = null;
    this.made = null;
    const store = await this.storePromise;
    const deviceSeed = (await store.load(this.userId).catch(() => null))?.deviceSeed ?? null;
    await store.remove(this.userId);
    if (seed !== undefined) this.cs.crypto.wipe(seed);
    try {
      await this.opts.onForget?.(this.userId, deviceSeed);
    } catch {
      // the keys are gone; what they kept cannot be opened any more
    }
    if (deviceSeed !== null) this.cs.crypto.wipe(deviceSeed);
  }
}

/** The key controller of `userId` on this device; starts at once (state 'loading'). */
export function createKeyController(conn: Connection, cs: KeyCrypto, userId: string,
  opts: KeyControllerOptions = {}): KeyController {
  return new Controller(conn, cs, userId, opts);
}
