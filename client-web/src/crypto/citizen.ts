// citizen.ts - a citizen's keys that the server cannot mint, byte-identical to libadvice's
// lib/crypto_citizen.c: the identity signs a device certificate for each device; the
// recovery code, its key and the recovery box that keeps the identity seed; the commitment
// and comparison code of a device approval (commit, then reveal); and the reader's checks (a
// citizen's envelope counts only through a device certificate of the thread's identity; a
// newer identity is reported, never followed). Byte layouts: proto/CRYPTO-FORMATS.md.
import {
  KEY_BYTES, NONCE_BYTES, Keys, ObjType, aeadDecrypt, aeadEncrypt, checkLen, concat, equal, forbidden,
  get64, hash, inval, keysPersonal, kid, prefixCheck, prefixPut, put64, sign, sodium, verify,
} from './core';
import { WrapKind, wrapSeal } from './keys';
import { envelopeParse, envelopeVerify } from './message';

export const DEVICE_CERT_BYTES = 206;
export const RECOVERY_BOX_BYTES = 102;
export const RECOVERY_SECRET_BYTES = 20;

/** The identity id: kid of the identity's Ed25519 public key. */
export function identityId(identitySignPk: Uint8Array): Uint8Array {
  return kid(identitySignPk);
}

// --- Device certificate (type 9) ---

export interface DeviceCert {
  identitySignPk: Uint8Array;
  identityBoxPk: Uint8Array;
  deviceSignPk: Uint8Array;
  deviceBoxPk: Uint8Array;
  createdAt: bigint;
}

/** The identity signs the device's public keys. */
export function deviceCertSign(identity: Keys, deviceSignPk: Uint8Array, deviceBoxPk: Uint8Array,
  createdAt: bigint): Uint8Array {
  checkLen(deviceSignPk, KEY_BYTES, 'device signing key');
  checkLen(deviceBoxPk, KEY_BYTES, 'device box key');
  const out = new Uint8Array(DEVICE_CERT_BYTES);
  prefixPut(out, ObjType.DeviceCert);
  out.set(identity.signPk, 6);
  out.set(identity.boxPk, 38);
  out.set(deviceSignPk, 70);
  out.set(deviceBoxPk, 102);
  put64(out, 134, createdAt);
  out.set(sign('QA-v1-device', out.subarray(0, 142), identity.signSk), 142);
  return out;
}

/** Format check only. */
export function deviceCertParse(b: Uint8Array): DeviceCert {
  if (b.length !== DEVICE_CERT_BYTES) inval('device certificate size');
  prefixCheck(b, ObjType.DeviceCert);
  return {
    identitySignPk: b.slice(6, 38), identityBoxPk: b.slice(38, 70), deviceSignPk: b.slice(70, 102),
    deviceBoxPk: b.slice(102, 134), createdAt: get64(b, 134),
  };
}

/** Format and the signature of the identity named inside (what the server checks). */
export function deviceCertVerify(b: Uint8Array): DeviceCert {
  const c = deviceCertParse(b);
  verify(b.subarray(142), 'QA-v1-device', b.subarray(0, 142), c.identitySignPk, 'device certificate');
  return c;
}

// --- Recovery code ---

const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_SYMBOLS = 35;

/** secret || the first 15 bits of BLAKE2b-256(secret), 22 bytes. */
function codeBits(secret: Uint8Array): Uint8Array {
  const h = hash(secret.subarray(0, RECOVERY_SECRET_BYTES));
  const bits = new Uint8Array(RECOVERY_SECRET_BYTES + 2);
  bits.set(secret.subarray(0, RECOVERY_SECRET_BYTES), 0);
  bits[20] = h[0];
  bits[21] = h[1] & 0xfe;
  return bits;
}

const bitAt = (b: Uint8Array, i: number): number => (b[i >> 3] >> (7 - (i & 7))) & 1;

/** The code shown once: 35 base32 characters (Crockford's alphabet) in groups of five. */
export function recoveryCodeFormat(secret: Uint8Array): string {
  checkLen(secret, RECOVERY_SECRET_BYTES, 'recovery secret');
  const bits = codeBits(secret);
  let out = '';
  for (let s = 0; s < CODE_SYMBOLS; s++) {
    let v = 0;
    for (let b = 0; b < 5; b++) v = (v << 1) | bitAt(bits, 5 * s + b);
    if (s > 0 && s % 5 === 0) out += '-';
    out += BASE32[v];
  }
  sodium.memzero(bits);
  return out;
}

/** The secret of a code as typed (any case, spaces or hyphens, I/L for 1, O for 0); 'inval' for a typo. */
export function recoveryCodeParse(code: string): Uint8Array {
  const bits = new Uint8Array(RECOVERY_SECRET_BYTES + 2);
  let s = 0;
  for (const raw of code) {
    if (raw === '-' || raw === ' ') continue;
    let ch = raw.toUpperCase();
    if (ch === 'I' || ch === 'L') ch = '1';
    if (ch === 'O') ch = '0';
    const v = ch.length === 1 ? BASE32.indexOf(ch) : -1;
    if (v < 0 || s === CODE_SYMBOLS) inval('the recovery code has a character that does not belong in it');
    for (let b = 0; b < 5; b++) if ((v >> (4 - b)) & 1) bits[(5 * s + b) >> 3] |= 0x80 >> ((5 * s + b) & 7);
    s++;
  }
  if (s !== CODE_SYMBOLS) inval(`the recovery code has ${s} characters, not ${CODE_SYMBOLS}`);
  if (!equal(codeBits(bits), bits)) inval('the recovery code has a typo (its check does not match)');
  return bits.slice(0, RECOVERY_SECRET_BYTES);
}

/** kdf(32, 1, "QArecov_", secret || 12 zero bytes): the secret has full entropy, no password hash. */
export function recoveryKey(secret: Uint8Array): Uint8Array {
  checkLen(secret, RECOVERY_SECRET_BYTES, 'recovery secret');
  const master = new Uint8Array(32);
  master.set(secret, 0);
  const key = sodium.crypto_kdf_derive_from_key(32, 1, 'QArecov_', master);
  sodium.memzero(master);
  return key;
}

// --- Recovery box (type 10) ---

export function recoveryBoxSeal(identitySeed: Uint8Array, createdAt: bigint, key: Uint8Array,
  nonce: Uint8Array): Uint8Array {
  checkLen(nonce, NONCE_BYTES, 'nonce');
  const id = keysPersonal(identitySeed);
  const out = new Uint8Array(RECOVERY_BOX_BYTES);
  prefixPut(out, ObjType.RecoveryBox);
  out.set(identityId(id.signPk), 6);
  put64(out, 22, createdAt);
  out.set(nonce, 30);
  out.set(aeadEncrypt(identitySeed, out.subarray(0, 54), nonce, key), 54);
  sodium.memzero(id.boxSk);
  sodium.memzero(id.signSk);
  return out;
}

export function recoveryBoxParse(b: Uint8Array): { identityId: Uint8Array; createdAt: bigint } {
  if (b.length !== RECOVERY_BOX_BYTES) inval('recovery box size');
  prefixCheck(b, ObjType.RecoveryBox);
  return { identityId: b.slice(6, 22), createdAt: get64(b, 22) };
}

/** The identity seed: 'inval' for a mistyped code, 'forbidden' for another code. */
export function recoveryBoxOpen(b: Uint8Array, code: string): Uint8Array {
  const info = recoveryBoxParse(b);
  const secret = recoveryCodeParse(code);
  const key = recoveryKey(secret);
  sodium.memzero(secret);
  let seed: Uint8Array;
  try {
    seed = aeadDecrypt(b.subarray(54), b.subarray(0, 54), b.subarray(30, 54), key,
      'recovery box (this is not the code of this identity)');
  } finally {
    sodium.memzero(key);
  }
  if (!equal(identityId(keysPersonal(seed).signPk), info.identityId)) forbidden('recovery box of another identity');
  return seed;
}

// --- Device approval ---

export const APPROVAL_NONCE_BYTES = 32;

/**
 * The new device's commitment to its keys and its random nonceNew:
 * BLAKE2b-256("QA-v1-devcommit" || device Ed25519 key || device X25519 key || nonceNew).
 */
export function deviceCommit(deviceSignPk: Uint8Array, deviceBoxPk: Uint8Array, nonceNew: Uint8Array): Uint8Array {
  checkLen(deviceSignPk, KEY_BYTES, 'device signing key');
  checkLen(deviceBoxPk, KEY_BYTES, 'device box key');
  checkLen(nonceNew, APPROVAL_NONCE_BYTES, 'new device nonce');
  return hash(concat(sodium.from_string('QA-v1-devcommit'), deviceSignPk, deviceBoxPk, nonceNew));
}

/**
 * The comparison code both devices show, 12 digits "dddd dddd dddd", from the identity, the new
 * device's keys, its nonce and the existing device's nonce (chosen after the commitment). The
 * new device computes it over its own keys with the nonceOld it received before it revealed.
 */
export function compareCode(identitySignPk: Uint8Array, deviceSignPk: Uint8Array, deviceBoxPk: Uint8Array,
  nonceNew: Uint8Array, nonceOld: Uint8Array): string {
  checkLen(identitySignPk, KEY_BYTES, 'identity key');
  checkLen(deviceSignPk, KEY_BYTES, 'device signing key');
  checkLen(deviceBoxPk, KEY_BYTES, 'device box key');
  checkLen(nonceNew, APPROVAL_NONCE_BYTES, 'new device nonce');
  checkLen(nonceOld, APPROVAL_NONCE_BYTES, 'existing device nonce');
  const h = hash(concat(sodium.from_string('QA-v1-devcode'), identitySignPk, deviceSignPk, deviceBoxPk, nonceNew,
    nonceOld));
  let v = 0n;
  for (let i = 4; i >= 0; i--) v = (v << 8n) | BigInt(h[i]);
  const d = (v % 1000000000000n).toString().padStart(12, '0');
  return `${d.slice(0, 4)} ${d.slice(4, 8)} ${d.slice(8, 12)}`;
}

/**
 * The existing device's code: the revealed keys and nonceNew must open the commitment it saw
 * before it chose nonceOld (both kept on the device, never taken from the server again);
 * CryptoError 'forbidden' otherwise (a key substituted after the challenge), and no code.
 */
export function compareCodeChecked(commit: Uint8Array, identitySignPk: Uint8Array, deviceSignPk: Uint8Array,
  deviceBoxPk: Uint8Array, nonceNew: Uint8Array, nonceOld: Uint8Array): string {
  checkLen(commit, 32, 'commitment');
  if (!equal(deviceCommit(deviceSignPk, deviceBoxPk, nonceNew), commit)) {
    forbidden('the revealed device keys do not open the commitment');
  }
  return compareCode(identitySignPk, deviceSignPk, deviceBoxPk, nonceNew, nonceOld);
}

/** The existing device seals the identity seed to the approved device (a wrap of kind 3). */
export function identitySeedWrap(identitySeed: Uint8Array, newDeviceBoxPk: Uint8Array, ephSeed: Uint8Array,
  approver: Keys): Uint8Array {
  const id = keysPersonal(identitySeed);
  return wrapSeal(WrapKind.IdentitySeed, identityId(id.signPk), 0, newDeviceBoxPk, identitySeed, ephSeed, approver);
}

// --- Readers ---

/** The verified certificate of the envelope's sender among certs; 'forbidden' when there is none. */
export function citizenThreadIdentity(firstEnv: Uint8Array, certs: Uint8Array[]): DeviceCert {
  const h = envelopeParse(firstEnv);
  for (const b of certs) {
    let c: DeviceCert;
    try {
      c = deviceCertParse(b);
    } catch {
      continue;
    }
    if (!equal(kid(c.deviceSignPk), h.senderKid as Uint8Array)) continue;
    deviceCertVerify(b);
    envelopeVerify(firstEnv, c.deviceSignPk);
    return c;
  }
  return forbidden('the sender has no device certificate of a citizen identity');
}

/** The sender's key of a citizen envelope, only through a device certificate of the thread's identity. */
export function citizenSender(env: Uint8Array, identitySignPk: Uint8Array, certs: Uint8Array[]): Uint8Array {
  const c = citizenThreadIdentity(env, certs);
  if (!equal(c.identitySignPk, identitySignPk)) forbidden('the sender is a device of another identity');
  return c.deviceSignPk;
}

export interface IdentitySeen {
  signPk: Uint8Array;
  boxPk: Uint8Array;
  firstSeen: number;
}

/** 'same', or the citizen's newest identity when it is newer than the thread's ("new identity since"). */
export function citizenIdentityStatus(ids: IdentitySeen[], threadIdentitySignPk: Uint8Array):
  { status: 'same' } | { status: 'new'; identity: IdentitySeen; since: number } {
  const mine = ids.find((i) => equal(i.signPk, threadIdentitySignPk));
  if (mine === undefined) return forbidden("the thread's identity is not among the citizen's identities");
  const newest = ids.reduce((a, b) => (b.firstSeen > a.firstSeen ? b : a));
  if (newest.firstSeen <= mine.firstSeen) return { status: 'same' };
  return { status: 'new', identity: newest, since: newest.firstSeen };
}

/** The explicit re-wrap of a thread key to a citizen's new identity, after a worker confirmed the person. */
export function citizenRewrap(threadId: Uint8Array, epoch: number, threadKey: Uint8Array, identity: IdentitySeen,
  ephSeed: Uint8Array, signer: Keys): Uint8Array {
  return wrapSeal(WrapKind.ThreadKey, threadId, epoch, identity.boxPk, threadKey, ephSeed, signer);
}

