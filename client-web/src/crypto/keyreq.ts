// keyreq.ts - the worker key request (type 13), byte-identical to libadvice's
// lib/crypto_keyreq.c: at a worker's first login the client makes the worker's identity and
// signs "this user holds these public keys, at this time" with the identity's own signing
// key; an admin certifies the keys after comparing their fingerprint with the one the
// worker's client showed. Byte layout: proto/CRYPTO-FORMATS.md.
import {
  KEY_BYTES, OID_BYTES, Keys, ObjType, checkLen, equal, forbidden, get64, inval, prefixCheck, prefixPut, put64, sign,
  sodium, verify,
} from './core';

export const KEY_REQUEST_BYTES = 158;
/** "xxxx xxxx xxxx xxxx xxxx xxxx xxxx xxxx" */
export const FINGERPRINT_CHARS = 39;

const SIG_KEYREQ = 'QA-v1-keyreq';
const R_USER = 6;
const R_SIGN = 22;
const R_BOX = 54;
const R_TIME = 86;
const R_SIG = 94;

export interface KeyRequest {
  userId: Uint8Array;
  signPk: Uint8Array;
  boxPk: Uint8Array;
  /** ms since 1970, the worker's clock */
  createdAt: bigint;
}

/** "User userId holds identity's public keys, at createdAt", signed by the identity itself. */
export function keyRequestSign(userId: Uint8Array, createdAt: bigint, identity: Keys): Uint8Array {
  checkLen(userId, OID_BYTES, 'user id');
  const out = new Uint8Array(KEY_REQUEST_BYTES);
  prefixPut(out, ObjType.KeyRequest);
  out.set(userId, R_USER);
  out.set(identity.signPk, R_SIGN);
  out.set(identity.boxPk, R_BOX);
  put64(out, R_TIME, createdAt);
  out.set(sign(SIG_KEYREQ, out.subarray(0, R_SIG), identity.signSk), R_SIG);
  return out;
}

/** Format check only ('inval'); the fields are not vouched for. */
export function keyRequestParse(b: Uint8Array): KeyRequest {
  if (!(b instanceof Uint8Array) || b.length !== KEY_REQUEST_BYTES) inval('key request size');
  prefixCheck(b, ObjType.KeyRequest);
  return {
    userId: b.slice(R_USER, R_SIGN), signPk: b.slice(R_SIGN, R_BOX), boxPk: b.slice(R_BOX, R_TIME),
    createdAt: get64(b, R_TIME),
  };
}

/**
 * A request for userId: the format ('inval'), the signature by the key it names and the user
 * (both 'forbidden'). What an admin's client checks before showing the fingerprint to compare;
 * the server checks the same at keys.enrol, and the date besides.
 */
export function keyRequestVerify(b: Uint8Array, userId: Uint8Array): KeyRequest {
  checkLen(userId, OID_BYTES, 'user id');
  const r = keyRequestParse(b);
  verify(b.subarray(R_SIG), SIG_KEYREQ, b.subarray(0, R_SIG), r.signPk, 'key request');
  if (!equal(r.userId, userId)) forbidden('the key request names another user');
  return r;
}

/** BLAKE2b-128 of signPk || boxPk as eight groups of four lowercase hex digits. */
export function keyFingerprint(signPk: Uint8Array, boxPk: Uint8Array): string {
  checkLen(signPk, KEY_BYTES, 'signing key');
  checkLen(boxPk, KEY_BYTES, 'box key');
  const both = new Uint8Array(2 * KEY_BYTES);
  both.set(signPk, 0);
  both.set(boxPk, KEY_BYTES);
  return sodium.to_hex(sodium.crypto_generichash(16, both, null)).replace(/(.{4})(?!$)/g, '$1 ');
}

/** Whether two fingerprints as people type them are the same (spaces and dashes ignored, any case). */
export function keyFingerprintEqual(a: string, b: string): boolean {
  const norm = (s: string): string => s.replace(/[ -]/g, '').toLowerCase();
  return norm(a) === norm(b);
}
