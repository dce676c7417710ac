// identitybox.ts - the identity box (type 15), byte-identical to libadvice's
// lib/crypto_identitybox.c: the citizen's name and personal identity code as the bank login
// gave them, sealed (by the server at thread.open, by a supervisor's client when it reassigns
// the thread to another unit) to one key generation of the unit that handles the thread, with
// the thread id, unit id and generation as associated data, and the content padded to one size.
// Byte layout: proto/CRYPTO-FORMATS.md, "Identity box".
import {
  KEY_BYTES, NONCE_BYTES, OID_BYTES, Keys, ObjType, aeadDecrypt, aeadEncrypt, checkLen, concat, equal, forbidden, get32,
  inval, prefixCheck, prefixPut, put32, random, sodium, wipe,
} from './core';

export const IDENTITY_BOX_BYTES = 626;
/** The longest content (JSON, UTF-8 bytes); it is padded to one more. */
export const IDENTITY_CONTENT_MAX = 511;
/** The latest verified_at (2^53 - 1 ms): exact in every JSON reader. */
export const IDENTITY_TIME_MAX = Number.MAX_SAFE_INTEGER;

const IB_THREAD = 6;
const IB_UNIT = 22;
const IB_GEN = 38;
const IB_EPH = 42;
const IB_NONCE = 74;
const IB_CT = 98;
const IB_PADDED = IDENTITY_CONTENT_MAX + 1;
const KEY_CTX = 'QA-v1-idbox';

export interface IdentityBoxHeader {
  threadId: Uint8Array;
  unitId: Uint8Array;
  /** the unit's key generation the box is sealed to (>= 1) */
  generation: number;
}

export interface CitizenIdentityContent {
  name: string;
  /** the personal identity code */
  hetu: string;
  /** ms since 1970: when the bank login verified it */
  verifiedAt: number;
}

/** key = BLAKE2b-256("QA-v1-idbox" || X25519(sk, pk) || ephPk || unitPk). */
function boxKey(sk: Uint8Array, pk: Uint8Array, ephPk: Uint8Array, unitPk: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = sodium.crypto_scalarmult(sk, pk);
  } catch {
    return forbidden('identity box: degenerate key');
  }
  const key = sodium.crypto_generichash(32, concat(sodium.from_string(KEY_CTX), shared, ephPk, unitPk), null);
  wipe(shared);
  return key;
}

function fieldOk(s: unknown): s is string {
  if (typeof s !== 'string' || s.length === 0 || /[\u0000-\u001f\u007f]/.test(s)) return false;
  // Well-formed: no lone surrogates (they would not survive UTF-8).
  return new TextDecoder('utf-8', { fatal: true }).decode(new TextEncoder().encode(s)) === s;
}

/**
 * The content bytes: {"name":N,"hetu":H,"verified_at":T}, no whitespace, '"' and '\' escaped,
 * every other character as its UTF-8. 'inval' for an empty field, a control character, a time
 * that is not an integer 0 … 2^53 - 1, or more than IDENTITY_CONTENT_MAX bytes.
 */
export function identityContent(id: CitizenIdentityContent): Uint8Array {
  if (!fieldOk(id.name) || !fieldOk(id.hetu)) inval('identity: name or code empty, not text or with control characters');
  if (!Number.isSafeInteger(id.verifiedAt) || id.verifiedAt < 0) inval('identity: verified_at');
  // JSON.stringify escapes exactly '"' and '\' in strings without control characters or lone surrogates.
  const text = `{"name":${JSON.stringify(id.name)},"hetu":${JSON.stringify(id.hetu)},"verified_at":${id.verifiedAt}}`;
  const b = new TextEncoder().encode(text);
  if (b.length > IDENTITY_CONTENT_MAX) inval('identity: too long');
  return b;
}

/**
 * Seals id to unitBoxPk (the X25519 key of generation h.generation of unit h.unitId) for
 * thread h.threadId. ephSeed and nonce are fresh random bytes unless given (vectors).
 */
export function identityBoxSeal(h: IdentityBoxHeader, id: CitizenIdentityContent, unitBoxPk: Uint8Array,
  ephSeed: Uint8Array = random(KEY_BYTES), nonce: Uint8Array = random(NONCE_BYTES)): Uint8Array {
  checkLen(h.threadId, OID_BYTES, 'thread id');
  checkLen(h.unitId, OID_BYTES, 'unit id');
  checkLen(unitBoxPk, KEY_BYTES, 'unit key');
  checkLen(ephSeed, KEY_BYTES, 'ephemeral seed');
  checkLen(nonce, NONCE_BYTES, 'nonce');
  if (!Number.isInteger(h.generation) || h.generation < 1 || h.generation > 0xffffffff) inval('identity box: generation');
  const content = identityContent(id);
  const padded = sodium.pad(content, IB_PADDED);
  if (padded.length !== IB_PADDED) inval('identity box: padding');
  const out = new Uint8Array(IDENTITY_BOX_BYTES);
  prefixPut(out, ObjType.IdentityBox);
  out.set(h.threadId, IB_THREAD);
  out.set(h.unitId, IB_UNIT);
  put32(out, IB_GEN, h.generation);
  const eph = sodium.crypto_box_seed_keypair(ephSeed);
  out.set(eph.publicKey, IB_EPH);
  out.set(nonce, IB_NONCE);
  const key = boxKey(eph.privateKey, unitBoxPk, eph.publicKey, unitBoxPk);
  out.set(aeadEncrypt(padded, out.subarray(0, IB_CT), nonce, key), IB_CT);
  wipe(eph.privateKey);
  wipe(key);
  wipe(padded);
  wipe(content);
  return out;
}

/** Format check (size, prefix, generation >= 1): the box's thread, unit and generation. */
export function identityBoxParse(b: Uint8Array): IdentityBoxHeader {
  if (!(b instanceof Uint8Array) || b.length !== IDENTITY_BOX_BYTES) inval('identity box size');
  prefixCheck(b, ObjType.IdentityBox);
  const generation = get32(b, IB_GEN);
  if (generation === 0) inval('identity box: generation 0');
  return { threadId: b.slice(IB_THREAD, IB_UNIT), unitId: b.slice(IB_UNIT, IB_GEN), generation };
}

/** The content's values, when its bytes are exactly what identityContent makes of them. */
function contentParse(content: Uint8Array): CitizenIdentityContent {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(content));
  } catch {
    return inval('identity box: content is not JSON');
  }
  const o = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(o).length !== 3) inval('identity box: content');
  const id = { name: o.name, hetu: o.hetu, verifiedAt: o.verified_at };
  if (!fieldOk(id.name) || !fieldOk(id.hetu) || typeof id.verifiedAt !== 'number') inval('identity box: content fields');
  const res: CitizenIdentityContent = { name: id.name, hetu: id.hetu, verifiedAt: id.verifiedAt };
  let again: Uint8Array;
  try {
    again = identityContent(res);
  } catch {
    return inval('identity box: content fields');
  }
  if (!equal(again, content)) inval('identity box: content not in its one form');
  return res;
}

/**
 * Opens a box that must be of expect.threadId and expect.unitId with the keys of the unit
 * generation it names (identityBoxParse tells which). 'inval': malformed box or content;
 * 'forbidden': another thread or unit (moved), another generation's keys, does not decrypt.
 */
export function identityBoxOpen(b: Uint8Array, expect: { threadId: Uint8Array; unitId: Uint8Array },
  unitKeys: Keys): CitizenIdentityContent {
  const h = identityBoxParse(b);
  if (!equal(h.threadId, expect.threadId)) forbidden('identity box of another thread');
  if (!equal(h.unitId, expect.unitId)) forbidden('identity box of another unit');
  const ephPk = b.subarray(IB_EPH, IB_NONCE);
  const key = boxKey(unitKeys.boxSk, ephPk, ephPk, unitKeys.boxPk);
  let padded: Uint8Array;
  try {
    padded = aeadDecrypt(b.subarray(IB_CT), b.subarray(0, IB_CT), b.subarray(IB_NONCE, IB_CT), key,
      'identity box (not of this unit generation)');
  } finally {
    wipe(key);
  }
  let content: Uint8Array;
  try {
    content = sodium.unpad(padded, IB_PADDED);
  } catch {
    return inval('identity box: padding');
  }
  try {
    return contentParse(content);
  } finally {
    wipe(padded);
  }
}
