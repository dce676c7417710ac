// consent.ts - the consent event (type 5), byte-identical to libadvice's lib/crypto_consent.c:
// the citizen's signed consent to hand a thread to the client record through one connector
// (kind 1), or its withdrawal (kind 2). The scope and consent texts shown are bound by their
// BLAKE2b-256 hashes, with the language shown. Byte layout: proto/CRYPTO-FORMATS.md.
import {
  HASH_BYTES, KEY_BYTES, KID_BYTES, OID_BYTES, SIG_BYTES, Keys, ObjType, checkLen, equal, forbidden, get32, get64, hash,
  inval, kid, prefixCheck, prefixPut, put32, put64, sign, sodium, verify,
} from './core';

export const CONSENT_BYTES = 197;
export const enum ConsentKind {
  Given = 1,
  Withdrawn = 2,
}
/** The languages a consent may be shown in. */
export const CONSENT_LANGS = ['fi', 'sv', 'en'] as const;
export type ConsentLang = (typeof CONSENT_LANGS)[number];

const SIG_CONSENT = 'QA-v1-consent';
const C_KIND = 6;
const C_THREAD = 7;
const C_CONN = 23;
const C_EPOCH = 39;
const C_SCOPE = 43;
const C_TEXT = 75;
const C_LANG = 107;
const C_TIME = 109;
const C_SIGNER = 117;
const C_SIG = 133;

export interface ConsentEvent {
  kind: number;
  threadId: Uint8Array;
  /** kid of the connector's X25519 key: the recipient of the thread-key wraps */
  connectorKid: Uint8Array;
  /** given: the thread's current epoch; withdrawn: the new epoch */
  epoch: number;
  /** BLAKE2b-256 of the scope text shown (UTF-8) */
  scopeHash: Uint8Array;
  /** BLAKE2b-256 of the consent text shown (UTF-8) */
  textHash: Uint8Array;
  lang: ConsentLang;
  /** ms since 1970 */
  created: bigint;
}
export interface ConsentInfo extends ConsentEvent {
  /** kid of the citizen's signing key that signed the event */
  signerKid: Uint8Array;
}

const kindValid = (k: number): boolean => k === ConsentKind.Given || k === ConsentKind.Withdrawn;
const langValid = (l: string): l is ConsentLang => (CONSENT_LANGS as readonly string[]).includes(l);

/** The hash a consent event binds a text shown with (scope or consent text). */
export function consentTextHash(text: string): Uint8Array {
  return hash(sodium.from_string(text));
}

/** Signs a consent event with the citizen's keys (identity or device). */
export function consentMake(c: ConsentEvent, signer: Keys): Uint8Array {
  if (!kindValid(c.kind)) inval(`consent kind ${c.kind}`);
  if (!langValid(c.lang)) inval(`consent language ${String(c.lang)}`);
  checkLen(c.threadId, OID_BYTES, 'thread id');
  checkLen(c.connectorKid, KID_BYTES, 'connector kid');
  checkLen(c.scopeHash, HASH_BYTES, 'scope hash');
  checkLen(c.textHash, HASH_BYTES, 'text hash');
  if (!Number.isInteger(c.epoch) || c.epoch < 0 || c.epoch > 0xffffffff) inval('epoch');
  const out = new Uint8Array(CONSENT_BYTES);
  prefixPut(out, ObjType.Consent);
  out[C_KIND] = c.kind;
  out.set(c.threadId, C_THREAD);
  out.set(c.connectorKid, C_CONN);
  put32(out, C_EPOCH, c.epoch);
  out.set(c.scopeHash, C_SCOPE);
  out.set(c.textHash, C_TEXT);
  out.set(sodium.from_string(c.lang), C_LANG);
  put64(out, C_TIME, c.created);
  out.set(kid(signer.signPk), C_SIGNER);
  out.set(sign(SIG_CONSENT, out.subarray(0, C_SIG), signer.signSk), C_SIG);
  return out;
}

/** Format check only ('inval'); the fields are not vouched for (what the server checks first). */
export function consentParse(b: Uint8Array): ConsentInfo {
  if (!(b instanceof Uint8Array) || b.length !== CONSENT_BYTES) inval('consent event size');
  prefixCheck(b, ObjType.Consent);
  if (!kindValid(b[C_KIND])) inval(`consent kind ${b[C_KIND]}`);
  const lang = String.fromCharCode(b[C_LANG], b[C_LANG + 1]);
  if (!langValid(lang)) inval('consent language');
  return {
    kind: b[C_KIND], threadId: b.slice(C_THREAD, C_CONN), connectorKid: b.slice(C_CONN, C_EPOCH), epoch: get32(b, C_EPOCH),
    scopeHash: b.slice(C_SCOPE, C_TEXT), textHash: b.slice(C_TEXT, C_LANG), lang, created: get64(b, C_TIME),
    signerKid: b.slice(C_SIGNER, C_SIG),
  };
}

/**
 * Opens a consent event the caller expects: of expect.kind, for expect.threadId and (when
 * given) expect.connectorKid, signed by signerPk (a key of the thread's citizen the caller
 * verified). 'inval' for a malformed event; 'forbidden' for another signer, a bad signature,
 * another kind, thread or connector.
 */
export function consentOpen(b: Uint8Array, expect: { kind: number; threadId: Uint8Array; connectorKid?: Uint8Array },
  signerPk: Uint8Array): ConsentInfo {
  const c = consentParse(b);
  checkLen(signerPk, KEY_BYTES, 'signer key');
  if (!equal(kid(signerPk), c.signerKid)) forbidden('consent event: another signer');
  verify(b.subarray(C_SIG, C_SIG + SIG_BYTES), SIG_CONSENT, b.subarray(0, C_SIG), signerPk, 'consent event');
  if (c.kind !== expect.kind) forbidden('consent event of another kind');
  if (!equal(c.threadId, expect.threadId)) forbidden('consent event of another thread');
  if (expect.connectorKid !== undefined && !equal(c.connectorKid, expect.connectorKid)) forbidden('consent event for another connector');
  return c;
}
