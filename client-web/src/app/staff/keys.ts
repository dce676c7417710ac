// keys.ts - the worker's end-to-end keys in the browser (PROTOCOL.md §4.5.2, §12.1): made here at
// the first login (an identity seed, its key bundle sealed under the password with a fresh salt,
// the signed key request whose fingerprint an administrator compares), opened at every login
// from the bundle with the password, and trusted only as far as they verify to the root key
// pinned in this build: the admin certificates, the worker's own certificate for these very
// keys, each unit's signed generations in order, each unit seed checked against its
// generation's event (a seed that is not its event's is refused, whoever signed its wrap), and
// older generations reached through the chain boxes. Nothing here is stored.
import type { Keys, UnitEvent } from '../../crypto/index';
import type { Crypto } from '../citizen/threads-util';
import type { StaffKeys } from './contract';

const ROLE_ADMIN = 1;
const ROLE_WORKER = 2;
const BUNDLE_OPSLIMIT = 2; // a new bundle's cost: libadvice's ADVICE_BUNDLE_OPSLIMIT/MEMLIMIT
const BUNDLE_MEMLIMIT = 64 * 1024 * 1024;

/**
 * 'bad_password': the bundle does not open with it; 'bundle': a bundle that is not one of this
 * user's; 'certificate': the worker's certificate for these keys does not verify to the root.
 */
export class StaffKeyError extends Error {
  constructor(readonly code: 'bad_password' | 'bundle' | 'certificate', message: string) {
    super(message);
    this.name = 'StaffKeyError';
  }
}

/** keys.mine's reply as this module reads it (the server's, not trusted). */
export interface KeysMine {
  bundle: string | null;
  certs: string[];
  own_certs: string[];
  seeds: { unit: string; generation: number; wrap: string }[];
  units: { unit: string; generations: { generation: number; event: string; chain: string | null }[] }[];
}

function b64(c: Crypto, b: Uint8Array): string {
  return c.sodium.to_base64(b, c.sodium.base64_variants.URLSAFE_NO_PADDING);
}

function unb64(c: Crypto, s: unknown): Uint8Array {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  return c.sodium.from_base64(s, c.sodium.base64_variants.URLSAFE_NO_PADDING);
}

export function unhexId(c: Crypto, s: string): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(s)) throw new Error('not an id of 32 hex digits');
  return c.sodium.from_hex(s);
}

// ---- the bundle ----------------------------------------------------------------------------

/** A bundle key derived from a new password with a fresh salt; wipe() when sealed. */
export interface BundleSealer {
  salt: Uint8Array;
  opslimit: number;
  memlimit: number;
  key: Uint8Array;
}

/** Derives the key of a new bundle under `password` (a fresh salt, the default cost). */
export function newBundleSealer(c: Crypto, password: string): BundleSealer {
  const salt = c.random(16);
  const master = c.passwordMaster(password, salt, BUNDLE_OPSLIMIT, BUNDLE_MEMLIMIT);
  const key = c.bundleKey(master);
  c.wipe(master);
  return { salt, opslimit: BUNDLE_OPSLIMIT, memlimit: BUNDLE_MEMLIMIT, key };
}

/** The identity seed sealed as the user's bundle of `version`. */
export function sealBundle(c: Crypto, s: BundleSealer, userId: Uint8Array, version: number, seed: Uint8Array): Uint8Array {
  const info = { userId, version, opslimit: s.opslimit, memlimit: s.memlimit, salt: s.salt };
  return c.bundleSeal(info, s.key, c.random(24), seed);
}

/** The bundle's version (the next one seals version + 1). */
export function bundleVersion(c: Crypto, bundle: Uint8Array): number {
  return c.bundleParse(bundle).version;
}

/**
 * The identity seed in `bundle`, opened with the password (the bundle's own salt and cost, which
 * must be within the pinned bounds). StaffKeyError 'bad_password' when it does not open,
 * 'bundle' when it is malformed or another user's.
 */
export function openBundle(c: Crypto, bundle: Uint8Array, userId: Uint8Array, password: string): Uint8Array {
  let info;
  try {
    info = c.bundleParse(bundle);
  } catch (e) {
    throw new StaffKeyError('bundle', `the key bundle is refused: ${(e as Error).message}`);
  }
  if (!c.equal(info.userId, userId)) throw new StaffKeyError('bundle', 'the key bundle is of another user');
  const master = c.passwordMaster(password, info.salt, info.opslimit, info.memlimit);
  const key = c.bundleKey(master);
  c.wipe(master);
  try {
    return c.bundleOpen(bundle, userId, key);
  } catch {
    throw new StaffKeyError('bad_password', 'the key bundle does not open with this password');
  } finally {
    c.wipe(key);
  }
}

// ---- the first login's keys ----------------------------------------------------------------

export interface Enrolment {
  seed: Uint8Array;
  identity: Keys;
  bundle: Uint8Array;
  request: Uint8Array;
  fingerprint: string;
}

/** A new identity for userId: its bundle under the sealer's key and its signed key request. */
export function makeEnrolment(c: Crypto, userId: Uint8Array, sealer: BundleSealer, nowMs: number): Enrolment {
  const seed = c.random(32);
  const identity = c.keysPersonal(seed);
  return {
    seed, identity,
    bundle: sealBundle(c, sealer, userId, 1, seed),
    request: c.keyRequestSign(userId, BigInt(nowMs), identity),
    fingerprint: c.keyFingerprint(identity.signPk, identity.boxPk),
  };
}

// ---- certificates --------------------------------------------------------------------------

/** The admin certificates among `certs` that verify to the pinned root at now. */
export function verifiedAdmins(c: Crypto, certs: unknown[], root: Uint8Array, now: bigint): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of certs) {
    try {
      const b = unb64(c, s);
      if (c.certParse(b).role !== ROLE_ADMIN) continue;
      c.certVerify(b, null, root, now);
      out.push(b);
    } catch {
      // not an admin certificate of this root: ignored
    }
  }
  return out;
}

/**
 * The worker's certificate for `identity` that verifies to the root through one of the admins:
 * 'none' when the server holds none for these keys yet (awaiting certification), 'refused' when
 * one names these keys but does not verify.
 */
export function ownCert(c: Crypto, own: unknown[], admins: Uint8Array[], identity: Keys, root: Uint8Array,
  now: bigint): { kind: 'ok'; cert: Uint8Array } | { kind: 'none' } | { kind: 'refused' } {
  let named = false;
  for (const s of own) {
    let b: Uint8Array;
    let cert;
    try {
      b = unb64(c, s);
      cert = c.certParse(b);
    } catch {
      continue;
    }
    if (cert.role !== ROLE_WORKER || !c.equal(cert.signPk, identity.signPk) || !c.equal(cert.boxPk, identity.boxPk)) continue;
    named = true;
    for (const a of admins) {
      if (!c.equal(c.kid(c.certParse(a).signPk), cert.issuerKid as Uint8Array)) continue;
      try {
        c.certVerify(b, a, root, now);
        return { kind: 'ok', cert: b };
      } catch {
        // another admin of the same key, or a forgery: go on
      }
    }
  }
  return named ? { kind: 'refused' } : { kind: 'none' };
}

// ---- unit keys -----------------------------------------------------------------------------

type UnitKeys = Keys & { chainKey: Uint8Array };

/** A unit's generations, each event verified under an admin key and following the one before. */
function verifiedEvents(c: Crypto, unitId: Uint8Array, gens: KeysMine['units'][number]['generations'],
  adminPks: Uint8Array[]): Map<number, { ev: UnitEvent; chain: string | null }> {
  const out = new Map<number, { ev: UnitEvent; chain: string | null }>();
  let prev: Uint8Array | null = null;
  for (const g of gens) {
    const b = unb64(c, g.event);
    const signer = c.unitEventParse(b).signerKid as Uint8Array;
    const pk = adminPks.find((k) => c.equal(c.kid(k), signer));
    if (pk === undefined) throw new Error('a unit key generation signed by no admin of the root');
    const ev = c.unitEventVerify(b, pk, prev);
    if (!c.equal(ev.unitId, unitId) || ev.generation !== g.generation) throw new Error('a generation of another unit or number');
    out.set(ev.generation, { ev, chain: g.chain });
    prev = b;
  }
  return out;
}

/** Older generations of a unit from the chain boxes of the ones held, each checked against its event. */
function walkChains(c: Crypto, unitId: Uint8Array, events: Map<number, { ev: UnitEvent; chain: string | null }>,
  held: Map<number, UnitKeys>, problem: (what: string) => void): void {
  const top = Math.max(...held.keys());
  for (let g = top; g >= 2; g--) {
    const k = held.get(g);
    const e = events.get(g);
    const older = events.get(g - 1);
    if (k === undefined || e === undefined || e.chain === null || older === undefined || held.has(g - 1)) continue;
    try {
      const seed = c.chainOpen(unb64(c, e.chain), unitId, g, k.chainKey);
      held.set(g - 1, c.unitSeedCheck(seed, older.ev));
      c.wipe(seed);
    } catch (err) {
      problem(`generation ${g - 1} refused: ${(err as Error).message}`);
    }
  }
}

/**
 * The unit keys the worker holds: each unit's verified generations, each seed opened as the
 * wrap of that unit and generation (kind 2, signed by an admin of the root) whose keys must be
 * the event's, then the older generations by their chain boxes. What does not verify is left
 * out and told to `problem` (never its content).
 */
export function openUnitKeys(c: Crypto, mine: KeysMine, identity: Keys, adminCerts: Uint8Array[],
  problem: (what: string) => void): Map<string, Map<number, UnitKeys>> {
  const adminPks = adminCerts.map((a) => c.certParse(a).signPk);
  const out = new Map<string, Map<number, UnitKeys>>();
  for (const u of mine.units) {
    let unitId: Uint8Array;
    let events;
    try {
      unitId = unhexId(c, u.unit);
      events = verifiedEvents(c, unitId, u.generations, adminPks);
    } catch (err) {
      problem(`unit ${u.unit} refused: ${(err as Error).message}`);
      continue;
    }
    const held = new Map<number, UnitKeys>();
    for (const s of mine.seeds) {
      if (s.unit !== u.unit) continue;
      const e = events.get(s.generation);
      try {
        if (e === undefined) throw new Error('a seed of a generation the unit does not list');
        const wrap = unb64(c, s.wrap);
        const signer = c.wrapParse(wrap).signerKid;
        const pk = adminPks.find((k) => c.equal(c.kid(k), signer));
        if (pk === undefined) throw new Error('a seed sealed by no admin of the root');
        const { seed, keys } = c.unitSeedOpen(wrap, e.ev, identity, pk);
        c.wipe(seed);
        held.set(s.generation, keys);
      } catch (err) {
        problem(`seed of unit ${u.unit} generation ${s.generation} refused: ${(err as Error).message}`);
      }
    }
    if (held.size === 0) continue;
    walkChains(c, unitId, events, held, problem);
    out.set(u.unit, held);
  }
  return out;
}

function wipeKeys(c: Crypto, k: Keys & { chainKey?: Uint8Array }): void {
  c.wipe(k.boxSk);
  c.wipe(k.signSk);
  if (k.chainKey !== undefined) c.wipe(k.chainKey);
}

/** StaffKeys over what was opened, with wipe() that zeroes every secret key in place. */
export function staffKeysOf(c: Crypto, userId: string, identity: Keys, ownCerts: Uint8Array[], adminCerts: Uint8Array[],
  root: Uint8Array, units: Map<string, Map<number, UnitKeys>>): StaffKeys & { wipe(): void } {
  return {
    userId, identity, ownCerts, adminCerts, root,
    unitKeys: (unit, generation) => units.get(unit)?.get(generation) ?? null,
    currentGeneration(unit) {
      const held = units.get(unit);
      return held === undefined || held.size === 0 ? null : Math.max(...held.keys());
    },
    wipe() {
      wipeKeys(c, identity);
      for (const held of units.values()) for (const k of held.values()) wipeKeys(c, k);
      units.clear();
    },
  };
}

export { b64 as keyB64, unb64 as keyUnb64 };
