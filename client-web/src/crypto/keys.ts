// keys.ts - key objects, byte-identical to libadvice's lib/crypto_keys.c: the worker key
// bundle, certificates chained to the municipal root key, signed unit key events, chain
// boxes to older unit generations, signed wraps. Byte layouts: proto/CRYPTO-FORMATS.md.
import {
  KEY_BYTES, KID_BYTES, NONCE_BYTES, OID_BYTES, SIG_BYTES, HASH_BYTES, Keys, ObjType, aeadDecrypt, aeadEncrypt,
  checkLen, equal, forbidden, get32, get64, hash, inval, keysUnit, kid, prefixCheck, prefixPut, put32, put64, seal,
  sealOpen, sign, sodium, verify,
} from './core';

// --- Worker key bundle ---

export const BUNDLE_BYTES = 123;
export const PWHASH_ALG_ARGON2ID13 = 2;
/*
 * The bounds on the Argon2id13 parameters, pinned in the client (the same as libadvice's
 * ADVICE_PWHASH_*): below the floor (libsodium's interactive cost, what adviced hands out) no
 * password is hashed, so a server cannot ask for a login key that is cheap to guess from;
 * above the ceiling neither, so it cannot make the client hash for minutes.
 */
export const PWHASH_OPS_MIN = 2;
export const PWHASH_OPS_MAX = 16;
export const PWHASH_MEM_MIN = 64 * 1024 * 1024;
export const PWHASH_MEM_MAX = 1024 * 1024 * 1024;
export const PASSWORD_MAX_BYTES = 1024;

/** True when the Argon2id parameters are within the pinned bounds. */
export function pwParamsOk(ops: number, mem: number): boolean {
  return Number.isInteger(ops) && Number.isInteger(mem) && ops >= PWHASH_OPS_MIN && ops <= PWHASH_OPS_MAX &&
    mem >= PWHASH_MEM_MIN && mem <= PWHASH_MEM_MAX;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The password as the derivation takes it: UTF-8 of its Unicode normalization form NFKC. */
export function passwordBytes(password: string): Uint8Array {
  if (LONE_SURROGATE.test(password)) inval('password is not valid Unicode (a lone surrogate)');
  const b = sodium.from_string(password);
  if (b.length > PASSWORD_MAX_BYTES) inval('password too long');
  return sodium.from_string(password.normalize('NFKC'));
}

/** M = crypto_pwhash(32, NFKC(password), salt, ops, mem, Argon2id13): the same M as the login's. */
export function passwordMaster(password: string, salt: Uint8Array, ops: number, mem: number): Uint8Array {
  checkLen(salt, 16, 'salt');
  if (!pwParamsOk(ops, mem)) {
    forbidden(`Argon2id parameters outside this client's bounds (${ops} passes, ${mem} bytes; allowed ` +
      `${PWHASH_OPS_MIN}..${PWHASH_OPS_MAX} passes, ${PWHASH_MEM_MIN}..${PWHASH_MEM_MAX} bytes): refused`);
  }
  const pw = passwordBytes(password);
  const master = sodium.crypto_pwhash(32, pw, salt, ops, mem, sodium.crypto_pwhash_ALG_ARGON2ID13);
  sodium.memzero(pw);
  return master;
}

/**
 * The worker's login key (PROTOCOL.md §4.4): kdf(32, 1, "advlogin", M), M = crypto_pwhash of the
 * password's UTF-8 bytes after Unicode normalization NFKC, with the salt and parameters of
 * /login/worker/start, which must be within the pinned bounds (else CryptoError 'forbidden',
 * before any hashing). Sent base64url (43 characters) as auth_key.
 */
export function loginKey(password: string, salt: Uint8Array, ops: number, mem: number): Uint8Array {
  const master = passwordMaster(password, salt, ops, mem);
  const key = sodium.crypto_kdf_derive_from_key(32, 1, 'advlogin', master);
  sodium.memzero(master);
  return key;
}

/** The bundle key kdf(32, 2, "QAwrap__", M). */
export function bundleKey(master: Uint8Array): Uint8Array {
  return sodium.crypto_kdf_derive_from_key(32, 2, 'QAwrap__', master);
}

export interface BundleInfo {
  userId: Uint8Array;
  version: number;
  opslimit: number;
  memlimit: number;
  salt: Uint8Array;
}

export function bundleSeal(info: BundleInfo, key: Uint8Array, nonce: Uint8Array, seed: Uint8Array): Uint8Array {
  if (!pwParamsOk(info.opslimit, info.memlimit)) inval('bundle password hash parameters out of bounds');
  checkLen(info.userId, OID_BYTES, 'user id');
  checkLen(nonce, NONCE_BYTES, 'nonce');
  const out = new Uint8Array(BUNDLE_BYTES);
  prefixPut(out, ObjType.Bundle);
  out.set(info.userId, 6);
  put32(out, 22, info.version);
  out[26] = PWHASH_ALG_ARGON2ID13;
  put32(out, 27, info.opslimit);
  put32(out, 31, info.memlimit);
  out.set(info.salt, 35);
  out.set(nonce, 51);
  out.set(aeadEncrypt(seed, out.subarray(0, 51), nonce, key), 75);
  return out;
}

export function bundleParse(b: Uint8Array): BundleInfo {
  if (b.length !== BUNDLE_BYTES) inval('bundle size');
  prefixCheck(b, ObjType.Bundle);
  const ops = get32(b, 27), mem = get32(b, 31);
  if (b[26] !== PWHASH_ALG_ARGON2ID13 || !pwParamsOk(ops, mem)) inval('bundle password hash parameters');
  return { userId: b.slice(6, 22), version: get32(b, 22), opslimit: ops, memlimit: mem, salt: b.slice(35, 51) };
}

export function bundleOpen(b: Uint8Array, userId: Uint8Array, key: Uint8Array): Uint8Array {
  const info = bundleParse(b);
  if (!equal(info.userId, userId)) forbidden('bundle of another user');
  return aeadDecrypt(b.subarray(75), b.subarray(0, 51), b.subarray(51, 75), key, 'bundle');
}

// --- Certificates ---

export const CERT_BYTES = 183;
export const enum Role {
  Admin = 1,
  Worker = 2,
  Connector = 3,
}

export interface Cert {
  role: number;
  subjectId: Uint8Array;
  signPk: Uint8Array;
  boxPk: Uint8Array;
  notBefore: bigint;
  notAfter: bigint;
  issuerKid?: Uint8Array;
}

function roleOk(role: number): boolean {
  return role >= 1 && role <= 3;
}

export function certSign(c: Cert, issuer: Keys): Uint8Array {
  if (!roleOk(c.role) || c.notAfter < c.notBefore) inval('certificate role or validity');
  const out = new Uint8Array(CERT_BYTES);
  prefixPut(out, ObjType.Cert);
  out[6] = c.role;
  out.set(c.subjectId, 7);
  out.set(c.signPk, 23);
  out.set(c.boxPk, 55);
  put64(out, 87, c.notBefore);
  put64(out, 95, c.notAfter);
  out.set(kid(issuer.signPk), 103);
  out.set(sign('QA-v1-cert', out.subarray(0, 119), issuer.signSk), 119);
  return out;
}

export function certParse(b: Uint8Array): Cert {
  if (b.length !== CERT_BYTES) inval('certificate size');
  prefixCheck(b, ObjType.Cert);
  const c: Cert = {
    role: b[6], subjectId: b.slice(7, 23), signPk: b.slice(23, 55), boxPk: b.slice(55, 87),
    notBefore: get64(b, 87), notAfter: get64(b, 95), issuerKid: b.slice(103, 119),
  };
  if (!roleOk(c.role) || c.notAfter < c.notBefore) inval('certificate role or validity');
  return c;
}

function certLink(b: Uint8Array, c: Cert, issuerPk: Uint8Array, now: bigint): void {
  if (!equal(kid(issuerPk), c.issuerKid as Uint8Array)) forbidden('certificate of another issuer');
  if (now < c.notBefore || now > c.notAfter) forbidden('certificate not valid now');
  verify(b.subarray(119), 'QA-v1-cert', b.subarray(0, 119), issuerPk, 'certificate');
}

/** Verifies a certificate and its chain to the pinned root key (see advice_cert_verify). */
export function certVerify(b: Uint8Array, issuer: Uint8Array | null, rootPk: Uint8Array, now: bigint): Cert {
  const leaf = certParse(b);
  if (leaf.role === Role.Admin || leaf.role === Role.Connector) {
    certLink(b, leaf, rootPk, now);
    return leaf;
  }
  if (issuer === null) forbidden('worker certificate without its admin');
  const admin = certParse(issuer);
  if (admin.role !== Role.Admin) forbidden('issuer is no admin');
  certLink(issuer, admin, rootPk, now);
  certLink(b, leaf, admin.signPk, now);
  return leaf;
}

// --- Unit events ---

export const UNIT_MAX_MEMBERS = 256;
export const unitEventBytes = (n: number): number => 148 + 16 * n + SIG_BYTES;

export interface UnitEvent {
  unitId: Uint8Array;
  generation: number;
  boxPk: Uint8Array;
  signPk: Uint8Array;
  prevHash: Uint8Array;
  createdAt: bigint;
  members: Uint8Array[];
  signerKid?: Uint8Array;
}

export function unitEventSign(ev: UnitEvent, admin: Keys): Uint8Array {
  if (ev.generation < 1 || ev.members.length > UNIT_MAX_MEMBERS) inval('unit event generation or members');
  const n = ev.members.length, body = 148 + 16 * n;
  const out = new Uint8Array(body + SIG_BYTES);
  prefixPut(out, ObjType.UnitEvent);
  out.set(ev.unitId, 6);
  put32(out, 22, ev.generation);
  out.set(ev.boxPk, 26);
  out.set(ev.signPk, 58);
  out.set(ev.prevHash, 90);
  put64(out, 122, ev.createdAt);
  out.set(kid(admin.signPk), 130);
  out[146] = n & 0xff;
  out[147] = n >> 8;
  ev.members.forEach((m, i) => out.set(m, 148 + 16 * i));
  out.set(sign('QA-v1-unit', out.subarray(0, body), admin.signSk), body);
  return out;
}

export function unitEventParse(b: Uint8Array): UnitEvent {
  prefixCheck(b, ObjType.UnitEvent);
  if (b.length < unitEventBytes(0)) inval('unit event size');
  const n = b[146] | (b[147] << 8);
  if (n > UNIT_MAX_MEMBERS || b.length !== unitEventBytes(n) || get32(b, 22) === 0) inval('unit event size');
  const members: Uint8Array[] = [];
  for (let i = 0; i < n; i++) members.push(b.slice(148 + 16 * i, 164 + 16 * i));
  return {
    unitId: b.slice(6, 22), generation: get32(b, 22), boxPk: b.slice(26, 58), signPk: b.slice(58, 90),
    prevHash: b.slice(90, 122), createdAt: get64(b, 122), signerKid: b.slice(130, 146), members,
  };
}

/** Verifies an admin's signature and, with prev, the continuity of the unit log. */
export function unitEventVerify(b: Uint8Array, adminPk: Uint8Array, prev: Uint8Array | null): UnitEvent {
  const ev = unitEventParse(b);
  if (!equal(kid(adminPk), ev.signerKid as Uint8Array)) forbidden('unit event of another signer');
  verify(b.subarray(b.length - SIG_BYTES), 'QA-v1-unit', b.subarray(0, b.length - SIG_BYTES), adminPk, 'unit event');
  if (prev === null) {
    if (ev.generation !== 1 || ev.prevHash.some((x) => x !== 0)) forbidden('first unit event must be generation 1');
  } else {
    const p = unitEventParse(prev);
    if (!equal(p.unitId, ev.unitId) || p.generation + 1 !== ev.generation || !equal(hash(prev), ev.prevHash))
      forbidden('unit event does not follow the previous one');
  }
  return ev;
}

// --- Chain boxes ---

export const CHAIN_BYTES = 98;

export function chainSeal(unitId: Uint8Array, g: number, chainKey: Uint8Array, nonce: Uint8Array,
  prevSeed: Uint8Array): Uint8Array {
  if (g < 2) inval('chain box generation');
  const out = new Uint8Array(CHAIN_BYTES);
  prefixPut(out, ObjType.Chain);
  out.set(unitId, 6);
  put32(out, 22, g);
  out.set(nonce, 26);
  out.set(aeadEncrypt(prevSeed, out.subarray(0, 26), nonce, chainKey), 50);
  return out;
}

export function chainParse(b: Uint8Array): { unitId: Uint8Array; generation: number } {
  if (b.length !== CHAIN_BYTES) inval('chain box size');
  prefixCheck(b, ObjType.Chain);
  if (get32(b, 22) < 2) inval('chain box generation');
  return { unitId: b.slice(6, 22), generation: get32(b, 22) };
}

export function chainOpen(b: Uint8Array, unitId: Uint8Array, g: number, chainKey: Uint8Array): Uint8Array {
  const p = chainParse(b);
  if (!equal(p.unitId, unitId) || p.generation !== g) forbidden('chain box of another unit or generation');
  return aeadDecrypt(b.subarray(50), b.subarray(0, 26), b.subarray(26, 50), chainKey, 'chain box');
}

// --- Wraps ---

export const WRAP_BYTES = 246;
export const enum WrapKind {
  ThreadKey = 1,
  UnitSeed = 2,
  IdentitySeed = 3,
}

export interface WrapInfo {
  kind: number;
  scopeId: Uint8Array;
  epoch: number;
  recipientKid: Uint8Array;
  signerKid: Uint8Array;
}

export function wrapSeal(kind: number, scopeId: Uint8Array, epoch: number, recipientBoxPk: Uint8Array,
  key: Uint8Array, ephSeed: Uint8Array, signer: Keys): Uint8Array {
  if (kind !== WrapKind.ThreadKey && kind !== WrapKind.UnitSeed && kind !== WrapKind.IdentitySeed) inval('wrap kind');
  checkLen(scopeId, OID_BYTES, 'scope id');
  checkLen(key, KEY_BYTES, 'key');
  const out = new Uint8Array(WRAP_BYTES);
  prefixPut(out, ObjType.Wrap);
  out[6] = kind;
  out.set(scopeId, 7);
  put32(out, 23, epoch);
  out.set(kid(recipientBoxPk), 27);
  const inner = new Uint8Array(75);
  inner.set(out.subarray(0, 43), 0);
  inner.set(key, 43);
  out.set(kid(signer.signPk), 43);
  out.set(seal(inner, recipientBoxPk, ephSeed), 59);
  sodium.memzero(inner);
  out.set(sign('QA-v1-wrap', out.subarray(0, 182), signer.signSk), 182);
  return out;
}

export function wrapParse(b: Uint8Array): WrapInfo {
  if (b.length !== WRAP_BYTES) inval('wrap size');
  prefixCheck(b, ObjType.Wrap);
  if (b[6] !== WrapKind.ThreadKey && b[6] !== WrapKind.UnitSeed && b[6] !== WrapKind.IdentitySeed) inval('wrap kind');
  return {
    kind: b[6], scopeId: b.slice(7, 23), epoch: get32(b, 23), recipientKid: b.slice(27, 43),
    signerKid: b.slice(43, 59),
  };
}

/**
 * Opens a wrap the caller expects: of `kind`, for `scopeId` (the thread or unit asked about) and
 * `epoch` (thread key epoch or unit generation); anything else is refused ('forbidden') before
 * any decryption. Verifies the signer and signature, opens, and checks the sealed record
 * repeats the outer fields (see advice_wrap_open).
 */
export function wrapOpen(b: Uint8Array, kind: number, scopeId: Uint8Array, epoch: number, recipient: Keys,
  signerPk: Uint8Array): { key: Uint8Array; info: WrapInfo } {
  const info = wrapParse(b);
  if (info.kind !== kind) forbidden(`wrap of kind ${info.kind}, expected ${kind}`);
  if (!equal(info.scopeId, scopeId)) forbidden('wrap of another thread or unit');
  if (info.epoch !== epoch) forbidden(`wrap of epoch ${info.epoch}, expected ${epoch}`);
  if (!equal(kid(signerPk), info.signerKid)) forbidden('wrap of another signer');
  verify(b.subarray(182), 'QA-v1-wrap', b.subarray(0, 182), signerPk, 'wrap');
  if (!equal(kid(recipient.boxPk), info.recipientKid)) forbidden('wrap for another recipient');
  const inner = sealOpen(b.subarray(59, 182), recipient);
  if (inner.length !== 75 || !equal(inner.subarray(0, 43), b.subarray(0, 43))) forbidden('wrap record mismatch');
  const key = inner.slice(43, 75);
  sodium.memzero(inner);
  return { key, info };
}

/**
 * The keys of a unit seed, checked against the admin-signed event of its generation (an event
 * the caller verified with unitEventVerify): the derived keys must be the event's.
 */
export function unitSeedCheck(seed: Uint8Array, ev: UnitEvent): Keys & { chainKey: Uint8Array } {
  const k = keysUnit(seed);
  if (!equal(k.boxPk, ev.boxPk) || !equal(k.signPk, ev.signPk)) {
    forbidden(`unit seed of generation ${ev.generation} is not the one its signed event names`);
  }
  return k;
}

/**
 * A unit seed opened in the worker flow: the seed wrap of generation ev.generation of unit
 * ev.unitId (kind 2), whose derived keys must be the signed event's (see advice_unit_seed_open).
 */
export function unitSeedOpen(wrap: Uint8Array, ev: UnitEvent, recipient: Keys,
  signerPk: Uint8Array): { seed: Uint8Array; keys: Keys & { chainKey: Uint8Array } } {
  const { key } = wrapOpen(wrap, WrapKind.UnitSeed, ev.unitId, ev.generation, recipient, signerPk);
  return { seed: key, keys: unitSeedCheck(key, ev) };
}

export { HASH_BYTES, KID_BYTES };
