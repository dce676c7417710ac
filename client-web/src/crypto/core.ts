// core.ts - the basics of the end-to-end encryption module, byte-identical to libadvice's
// lib/crypto_core.c: sodium loading, errors, the object prefix, little-endian fields, key
// ids, key pairs from seeds, the sealed box with a chosen ephemeral key, signatures with a
// context string. Byte layouts: proto/CRYPTO-FORMATS.md.
import sodium from 'libsodium-wrappers-sumo';

export { sodium };

/** Loads libsodium; call (and await) once before anything else. */
export async function ready(): Promise<void> {
  await sodium.ready;
}

export const KEY_BYTES = 32;
export const KID_BYTES = 16;
export const OID_BYTES = 16;
export const HASH_BYTES = 32;
export const SIG_BYTES = 64;
export const NONCE_BYTES = 24;
export const FMT_VERSION = 1;
export const SUITE_1 = 1;
export const PREFIX_BYTES = 6;

export const enum ObjType {
  Message = 1,
  File = 2,
  Wrap = 3,
  UnitEvent = 4,
  Consent = 5,
  Cert = 6,
  Bundle = 7,
  Chain = 8,
  DeviceCert = 9,
  RecoveryBox = 10,
  UnitLog = 11,
  EpochEvent = 12,
  KeyRequest = 13,
  UnitText = 14,
}

/**
 * 'inval': malformed, wrong size, unknown version/suite/type; 'forbidden': does not verify;
 * 'withheld': the server withheld or rolled back key state (a unit log, a generation);
 * 'revoked': signed by a revoked certificate; 'stale_epoch': a replaced thread key epoch.
 */
export type CryptoErrorCode = 'inval' | 'forbidden' | 'withheld' | 'revoked' | 'stale_epoch';

export class CryptoError extends Error {
  constructor(public readonly code: CryptoErrorCode, message: string) {
    super(message);
    this.name = 'CryptoError';
  }
}

export function inval(what: string): never {
  throw new CryptoError('inval', what);
}

export function forbidden(what: string): never {
  throw new CryptoError('forbidden', what);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function put32(b: Uint8Array, off: number, v: number): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(off, v >>> 0, true);
}

export function get32(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

export function put64(b: Uint8Array, off: number, v: bigint): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(off, BigInt.asUintN(64, v), true);
}

export function get64(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium.memcmp(a, b);
}

export function checkLen(b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) inval(`${what} must be ${n} bytes`);
}

export function prefixPut(b: Uint8Array, type: ObjType): void {
  b.set([0x51, 0x41, FMT_VERSION, type, SUITE_1, 0], 0);
}

export function prefixCheck(b: Uint8Array, type: ObjType): void {
  if (b.length < PREFIX_BYTES || b[0] !== 0x51 || b[1] !== 0x41) inval('not an advice object');
  if (b[2] !== FMT_VERSION) inval(`unknown format version ${b[2]}`);
  if (b[3] !== type) inval(`object type ${b[3]}, expected ${type}`);
  if (b[4] !== SUITE_1) inval(`unknown suite ${b[4]}`);
  if (b[5] !== 0) inval('unknown flags');
}

export function random(n: number): Uint8Array {
  return sodium.randombytes_buf(n);
}

export function wipe(b: Uint8Array): void {
  sodium.memzero(b);
}

/** kid = BLAKE2b-128(pk). */
export function kid(pk: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(KID_BYTES, pk, null);
}

/** BLAKE2b-256. */
export function hash(data: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(HASH_BYTES, data, null);
}

export interface Keys {
  boxPk: Uint8Array;
  boxSk: Uint8Array;
  signPk: Uint8Array;
  signSk: Uint8Array;
}

function keysDerive(seed: Uint8Array, ctxDh: string, ctxSg: string): Keys {
  checkLen(seed, KEY_BYTES, 'seed');
  const dh = sodium.crypto_box_seed_keypair(sodium.crypto_kdf_derive_from_key(32, 1, ctxDh, seed));
  const sg = sodium.crypto_sign_seed_keypair(sodium.crypto_kdf_derive_from_key(32, 2, ctxSg, seed));
  return { boxPk: dh.publicKey, boxSk: dh.privateKey, signPk: sg.publicKey, signSk: sg.privateKey };
}

/** Personal keys (worker, admin, citizen device, connector, root) from a seed. */
export function keysPersonal(seed: Uint8Array): Keys {
  return keysDerive(seed, 'QApersDH', 'QApersSG');
}

/** Unit generation keys and chain key from the generation's seed. */
export function keysUnit(seed: Uint8Array): Keys & { chainKey: Uint8Array } {
  const k = keysDerive(seed, 'QAunitDH', 'QAunitSG');
  return { ...k, chainKey: sodium.crypto_kdf_derive_from_key(32, 3, 'QAunitCH', seed) };
}

/** crypto_box_seal with the ephemeral key pair of ephSeed (same bytes, same opener). */
export function seal(msg: Uint8Array, recipientPk: Uint8Array, ephSeed: Uint8Array): Uint8Array {
  checkLen(recipientPk, KEY_BYTES, 'recipient key');
  checkLen(ephSeed, KEY_BYTES, 'ephemeral seed');
  const eph = sodium.crypto_box_seed_keypair(ephSeed);
  const nonce = sodium.crypto_generichash(24, concat(eph.publicKey, recipientPk), null);
  const out = concat(eph.publicKey, sodium.crypto_box_easy(msg, nonce, recipientPk, eph.privateKey));
  wipe(eph.privateKey);
  return out;
}

export function sealOpen(sealed: Uint8Array, keys: Keys): Uint8Array {
  try {
    return sodium.crypto_box_seal_open(sealed, keys.boxPk, keys.boxSk);
  } catch {
    return forbidden('sealed box does not open');
  }
}

export function sign(ctx: string, data: Uint8Array, sk: Uint8Array): Uint8Array {
  return sodium.crypto_sign_detached(concat(sodium.from_string(ctx), data), sk);
}

export function verify(sig: Uint8Array, ctx: string, data: Uint8Array, pk: Uint8Array, what: string): void {
  let ok = false;
  try {
    ok = sodium.crypto_sign_verify_detached(sig, concat(sodium.from_string(ctx), data), pk);
  } catch {
    ok = false;
  }
  if (!ok) forbidden(`${what}: bad signature`);
}

export function aeadEncrypt(m: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  return sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(m, ad, null, nonce, key);
}

export function aeadDecrypt(c: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array, what: string): Uint8Array {
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, c, ad, nonce, key);
  } catch {
    return forbidden(`${what} does not decrypt`);
  }
}
