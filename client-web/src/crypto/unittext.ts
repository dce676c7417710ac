// unittext.ts - the unit text (type 14), byte-identical to libadvice's lib/crypto_unittext.c:
// a staff member's text for the members of a unit — an internal note on a thread or a canned
// answer — sealed to one unit key generation's X25519 key and signed by its author. Byte
// layout: proto/CRYPTO-FORMATS.md.
import {
  KEY_BYTES, KID_BYTES, OID_BYTES, SIG_BYTES, Keys, ObjType, checkLen, equal, forbidden, get32, get64, inval, kid,
  prefixCheck, prefixPut, put32, put64, random, seal, sealOpen, sign, sodium, verify,
} from './core';
import { utf8Valid } from './media';
import { PAD_BLOCK } from './message';

/** The kinds of unit text and what their scope id is. */
export const enum UnitTextKind {
  /** an internal note; scope: the thread id */
  Note = 1,
  /** a canned answer; scope: the canned answer's id */
  Canned = 2,
}
export const UNIT_TEXT_HEADER_BYTES = 67;
/** The longest text (UTF-8 bytes). */
export const UNIT_TEXT_MAX_PLAIN = 16384;
const SEAL_BYTES = 48;
const unitTextBytes = (padded: number): number => 2 * UNIT_TEXT_HEADER_BYTES + SEAL_BYTES + padded + SIG_BYTES;
export const UNIT_TEXT_MIN_BYTES = unitTextBytes(PAD_BLOCK);
export const UNIT_TEXT_MAX_BYTES = unitTextBytes((Math.floor(UNIT_TEXT_MAX_PLAIN / PAD_BLOCK) + 1) * PAD_BLOCK);

const SIG_UNITTEXT = 'QA-v1-unittext';
const T_KIND = 6;
const T_UNIT = 7;
const T_GEN = 23;
const T_SCOPE = 27;
const T_AUTHOR = 43;
const T_TIME = 59;
const T_SEALED = UNIT_TEXT_HEADER_BYTES;

export interface UnitTextHeader {
  kind: number;
  unitId: Uint8Array;
  /** the unit key generation it is sealed to */
  generation: number;
  /** the thread id (a note) or the canned answer's id */
  scopeId: Uint8Array;
  /** kid of the author's signing key */
  authorKid: Uint8Array;
  /** ms since 1970, the author's clock */
  created: bigint;
}

const kindValid = (k: number): boolean => k === UnitTextKind.Note || k === UnitTextKind.Canned;

/**
 * Seals text (UTF-8, at most UNIT_TEXT_MAX_PLAIN bytes) to the unit generation's X25519 key
 * and signs it with the author's key. ephSeed (32 bytes) only for reproducible tests: fresh
 * random bytes otherwise.
 */
export function unitTextSeal(t: { kind: number; unitId: Uint8Array; generation: number; scopeId: Uint8Array; created: bigint },
  text: Uint8Array, unitBoxPk: Uint8Array, author: Keys, ephSeed: Uint8Array = random(KEY_BYTES)): Uint8Array {
  if (!kindValid(t.kind)) inval(`unit text kind ${t.kind}`);
  checkLen(t.unitId, OID_BYTES, 'unit id');
  checkLen(t.scopeId, OID_BYTES, 'scope id');
  if (!(text instanceof Uint8Array) || text.length > UNIT_TEXT_MAX_PLAIN) inval('unit text too long');
  if (!utf8Valid(text)) inval('unit text is not UTF-8');
  if (!Number.isInteger(t.generation) || t.generation < 0 || t.generation > 0xffffffff) inval('generation');
  const header = new Uint8Array(T_SEALED);
  prefixPut(header, ObjType.UnitText);
  header[T_KIND] = t.kind;
  header.set(t.unitId, T_UNIT);
  put32(header, T_GEN, t.generation);
  header.set(t.scopeId, T_SCOPE);
  header.set(kid(author.signPk), T_AUTHOR);
  put64(header, T_TIME, t.created);
  const padded = sodium.pad(text, PAD_BLOCK);
  const rec = new Uint8Array(T_SEALED + padded.length);
  rec.set(header, 0);
  rec.set(padded, T_SEALED);
  const sealed = seal(rec, unitBoxPk, ephSeed);
  sodium.memzero(rec);
  sodium.memzero(padded);
  const out = new Uint8Array(T_SEALED + sealed.length + SIG_BYTES);
  out.set(header, 0);
  out.set(sealed, T_SEALED);
  out.set(sign(SIG_UNITTEXT, out.subarray(0, out.length - SIG_BYTES), author.signSk), out.length - SIG_BYTES);
  return out;
}

/** Format check only ('inval'); the fields are not vouched for. */
export function unitTextParse(b: Uint8Array): UnitTextHeader {
  if (!(b instanceof Uint8Array) || b.length < UNIT_TEXT_MIN_BYTES || b.length > UNIT_TEXT_MAX_BYTES) inval('unit text size');
  prefixCheck(b, ObjType.UnitText);
  if ((b.length - unitTextBytes(0)) % PAD_BLOCK !== 0) inval('unit text padding');
  if (!kindValid(b[T_KIND])) inval(`unit text kind ${b[T_KIND]}`);
  return {
    kind: b[T_KIND], unitId: b.slice(T_UNIT, T_GEN), generation: get32(b, T_GEN), scopeId: b.slice(T_SCOPE, T_AUTHOR),
    authorKid: b.slice(T_AUTHOR, T_AUTHOR + KID_BYTES), created: get64(b, T_TIME),
  };
}

/** Format, author kid and signature under authorPk ('forbidden' when they fail). */
export function unitTextVerify(b: Uint8Array, authorPk: Uint8Array): UnitTextHeader {
  const h = unitTextParse(b);
  checkLen(authorPk, KEY_BYTES, 'author key');
  if (!equal(kid(authorPk), h.authorKid)) forbidden('unit text: another author');
  verify(b.subarray(b.length - SIG_BYTES), SIG_UNITTEXT, b.subarray(0, b.length - SIG_BYTES), authorPk, 'unit text');
  return h;
}

/**
 * Opens a unit text the caller expects: of expect.kind, for expect.unitId and expect.scopeId
 * (the thread it reads, the canned answer's id), signed by authorPk (a certificate the caller
 * verified), with the unit keys of the generation it names. Returns the text (UTF-8 bytes).
 * 'forbidden' when a binding, the signature or the box fails; 'inval' for a malformed object.
 */
export function unitTextOpen(b: Uint8Array, expect: { kind: number; unitId: Uint8Array; scopeId: Uint8Array },
  unitKeys: Keys, authorPk: Uint8Array): Uint8Array {
  const h = unitTextVerify(b, authorPk);
  if (h.kind !== expect.kind) forbidden('unit text of another kind');
  if (!equal(h.unitId, expect.unitId)) forbidden('unit text of another unit');
  if (!equal(h.scopeId, expect.scopeId)) forbidden('unit text of another scope');
  const rec = sealOpen(b.subarray(T_SEALED, b.length - SIG_BYTES), unitKeys);
  // The record repeats the header: the sealed box (no associated data) is bound to what the
  // signature covers.
  if (!equal(rec.subarray(0, T_SEALED), b.subarray(0, T_SEALED))) forbidden('unit text: the sealed header differs');
  let text: Uint8Array;
  try {
    text = sodium.unpad(rec.subarray(T_SEALED), PAD_BLOCK);
  } catch {
    return forbidden('unit text padding');
  }
  const out = text.slice();
  sodium.memzero(rec);
  if (out.length > UNIT_TEXT_MAX_PLAIN) inval('unit text too long');
  if (!utf8Valid(out)) inval('unit text is not UTF-8');
  return out;
}
