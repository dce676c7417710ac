// message.ts - thread message keys, the signed and padded envelope, and message content,
// byte-identical to libadvice's lib/crypto_msg.c. Byte layouts: proto/CRYPTO-FORMATS.md.
import {
  Keys, ObjType, aeadDecrypt, aeadEncrypt, checkLen, concat, equal, forbidden, get32, get64, inval, kid, prefixCheck,
  prefixPut, put32, put64, sign, sodium, verify,
} from './core';
import { utf8Valid } from './media';

export const ENVELOPE_HEADER_BYTES = 130;
export const PAD_BLOCK = 256;
export const ENVELOPE_MIN_BYTES = 130 + 16 + 256 + 64;
export const ENVELOPE_MAX_BYTES = 32768;
export const ENVELOPE_MAX_PLAIN = Math.floor((ENVELOPE_MAX_BYTES - 130 - 16 - 64) / PAD_BLOCK) * PAD_BLOCK - 1;

/** k_msg from the thread key, thread id, epoch and the server's shred share. */
export function threadMsgKey(threadKey: Uint8Array, threadId: Uint8Array, epoch: number, share: Uint8Array): Uint8Array {
  checkLen(threadId, 16, 'thread id');
  checkLen(share, 32, 'share');
  const e = new Uint8Array(4);
  put32(e, 0, epoch);
  const tk = sodium.crypto_generichash(32, concat(new Uint8Array([0x51, 0x41, 1, 0x54, 0x4b]), threadId, e, share), threadKey);
  const k = sodium.crypto_kdf_derive_from_key(32, 1, 'QAmsg___', tk);
  sodium.memzero(tk);
  return k;
}

export interface EnvelopeHeader {
  threadId: Uint8Array;
  messageId: Uint8Array;
  epoch: number;
  senderKid?: Uint8Array;
  senderSeq: bigint;
  prevHash: Uint8Array;
  createdAt: bigint;
  nonce: Uint8Array;
}

function headerPut(h: EnvelopeHeader, senderKid: Uint8Array): Uint8Array {
  const b = new Uint8Array(ENVELOPE_HEADER_BYTES);
  prefixPut(b, ObjType.Message);
  b.set(h.threadId, 6);
  b.set(h.messageId, 22);
  put32(b, 38, h.epoch);
  b.set(senderKid, 42);
  put64(b, 58, h.senderSeq);
  b.set(h.prevHash, 66);
  put64(b, 98, h.createdAt);
  b.set(h.nonce, 106);
  return b;
}

/** Pads, encrypts and signs plain into an envelope. */
export function envelopeSeal(h: EnvelopeHeader, msgKey: Uint8Array, plain: Uint8Array, sender: Keys): Uint8Array {
  if (plain.length > ENVELOPE_MAX_PLAIN) inval('message too long');
  checkLen(h.nonce, 24, 'nonce');
  const header = headerPut(h, kid(sender.signPk));
  const ct = aeadEncrypt(sodium.pad(plain, PAD_BLOCK), header, h.nonce, msgKey);
  const sig = sign('QA-v1-msg', concat(header, sodium.crypto_generichash(64, ct, null)), sender.signSk);
  return concat(header, ct, sig);
}

export function envelopeParse(b: Uint8Array): EnvelopeHeader {
  if (b.length < ENVELOPE_MIN_BYTES || b.length > ENVELOPE_MAX_BYTES) inval('envelope size');
  prefixCheck(b, ObjType.Message);
  if ((b.length - ENVELOPE_HEADER_BYTES - 64 - 16) % PAD_BLOCK !== 0) inval('envelope padding');
  return {
    threadId: b.slice(6, 22), messageId: b.slice(22, 38), epoch: get32(b, 38), senderKid: b.slice(42, 58),
    senderSeq: get64(b, 58), prevHash: b.slice(66, 98), createdAt: get64(b, 98), nonce: b.slice(106, 130),
  };
}

/** Checks format, sender and signature without decrypting (what the server checks). */
export function envelopeVerify(b: Uint8Array, senderPk: Uint8Array): EnvelopeHeader {
  const h = envelopeParse(b);
  const header = b.subarray(0, ENVELOPE_HEADER_BYTES), ct = b.subarray(ENVELOPE_HEADER_BYTES, b.length - 64);
  if (!equal(kid(senderPk), h.senderKid as Uint8Array)) forbidden('envelope of another sender');
  verify(b.subarray(b.length - 64), 'QA-v1-msg', concat(header, sodium.crypto_generichash(64, ct, null)), senderPk,
    'envelope');
  return h;
}

/** Verifies (sender, signature, thread), decrypts and unpads. */
export function envelopeOpen(b: Uint8Array, threadId: Uint8Array, msgKey: Uint8Array,
  senderPk: Uint8Array): { header: EnvelopeHeader; plain: Uint8Array } {
  const h = envelopeParse(b);
  const header = b.subarray(0, ENVELOPE_HEADER_BYTES), ct = b.subarray(ENVELOPE_HEADER_BYTES, b.length - 64);
  if (!equal(kid(senderPk), h.senderKid as Uint8Array)) forbidden('envelope of another sender');
  verify(b.subarray(b.length - 64), 'QA-v1-msg', concat(header, sodium.crypto_generichash(64, ct, null)), senderPk,
    'envelope');
  if (!equal(h.threadId, threadId)) forbidden('envelope of another thread');
  const padded = aeadDecrypt(ct, header, h.nonce, msgKey, 'envelope');
  try {
    return { header: h, plain: sodium.unpad(padded, PAD_BLOCK) };
  } catch {
    return forbidden('envelope padding');
  }
}

/** BLAKE2b-256 of a whole envelope, the prev_hash of the next one. */
export function envelopeHash(b: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(32, b, null);
}

// --- Content ---

export const FILE_REF_BYTES = 113;
export const CONTENT_MAX_FILES = 8;
export const MEDIA_COUNT = 12;

export interface FileRef {
  fileId: Uint8Array;
  key: Uint8Array;
  header: Uint8Array;
  size: bigint;
  media: number;
  hash: Uint8Array;
}

function fileRefPut(out: Uint8Array, p: number, f: FileRef): void {
  if (f.media <= 0 || f.media >= MEDIA_COUNT) inval('media type');
  checkLen(f.fileId, 16, 'file id');
  checkLen(f.key, 32, 'file key');
  checkLen(f.header, 24, 'stream header');
  checkLen(f.hash, 32, 'file hash');
  out.set(f.fileId, p);
  out.set(f.key, p + 16);
  out.set(f.header, p + 48);
  put64(out, p + 72, f.size);
  out[p + 80] = f.media;
  out.set(f.hash, p + 81);
}

export function contentEncode(files: FileRef[], text: string): Uint8Array {
  if (files.length > CONTENT_MAX_FILES) inval('too many files');
  const t = sodium.from_string(text);
  const out = new Uint8Array(2 + files.length * FILE_REF_BYTES + t.length);
  out[0] = 1;
  out[1] = files.length;
  files.forEach((f, i) => fileRefPut(out, 2 + i * FILE_REF_BYTES, f));
  out.set(t, 2 + files.length * FILE_REF_BYTES);
  return out;
}

/** The file references and text from p on: n, n references, the text. */
function filesText(b: Uint8Array, p: number): { files: FileRef[]; text: string } {
  if (b.length < p + 1 || b[p] > CONTENT_MAX_FILES) inval('content file count');
  const n = b[p];
  const start = p + 1;
  if (b.length < start + n * FILE_REF_BYTES) inval('content size');
  const files: FileRef[] = [];
  for (let i = 0; i < n; i++) {
    const q = start + i * FILE_REF_BYTES;
    if (b[q + 80] <= 0 || b[q + 80] >= MEDIA_COUNT) inval('media type');
    files.push({
      fileId: b.slice(q, q + 16), key: b.slice(q + 16, q + 48), header: b.slice(q + 48, q + 72),
      size: get64(b, q + 72), media: b[q + 80], hash: b.slice(q + 81, q + 113),
    });
  }
  const tb = b.subarray(start + n * FILE_REF_BYTES);
  if (!utf8Valid(tb)) inval('content text is not UTF-8'); // the same rule as libadvice's
  return { files, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(tb) };
}

export function contentDecode(b: Uint8Array): { files: FileRef[]; text: string } {
  if (b.length < 2 || b[0] !== 1) inval('content version or file count');
  return filesText(b, 1);
}

// --- Content version 2: a correction, a rights request, a rights decision ---

export const enum ContentKind {
  /** ref: the corrected message of the same thread; note: the reason (non-empty); text, files: the corrected ones */
  Correction = 1,
  /** the citizen's words; ref: zeros or the message asked to be corrected; no note */
  RightsRequest = 2,
  /** ref: the message id of the request; note: the reason of the decision; text optional */
  RightsDecision = 3,
}
/** The longest note (UTF-8 bytes). */
export const CONTENT_NOTE_MAX = 2000;

export interface ContentV2 {
  kind: number;
  /** a message id (16 bytes), zeros where the kind allows none */
  ref: Uint8Array;
  note: string;
  files: FileRef[];
  text: string;
}
/** A decoded content of either version: version 1 has kind 0, a ref of zeros and no note. */
export interface ContentAny extends ContentV2 {
  version: 1 | 2;
}

const C2_NOTE = 20;

/** The rules of a version 2 content's kind, ref and note (the encoder's and the decoder's). */
function contentV2Check(kind: number, ref: Uint8Array, note: Uint8Array): void {
  const refZero = ref.every((v) => v === 0);
  if (note.length > CONTENT_NOTE_MAX) inval('content note too long');
  if (!utf8Valid(note)) inval('content note is not UTF-8');
  if (kind === ContentKind.Correction) {
    if (refZero) inval('a correction names the corrected message');
    if (note.length === 0) inval('a correction gives its reason');
  } else if (kind === ContentKind.RightsRequest) {
    if (note.length !== 0) inval('a rights request has no note');
  } else if (kind === ContentKind.RightsDecision) {
    if (refZero) inval('a decision names the request');
  } else {
    inval(`content kind ${kind}`);
  }
}

/** Encodes a version 2 content: 2 || kind || ref || u16 big-endian note length || note || n || files || text. */
export function contentV2Encode(c: ContentV2): Uint8Array {
  checkLen(c.ref, 16, 'ref');
  const note = sodium.from_string(c.note);
  const t = sodium.from_string(c.text);
  contentV2Check(c.kind, c.ref, note);
  if (c.files.length > CONTENT_MAX_FILES) inval('too many files');
  const out = new Uint8Array(C2_NOTE + note.length + 1 + c.files.length * FILE_REF_BYTES + t.length);
  out[0] = 2;
  out[1] = c.kind;
  out.set(c.ref, 2);
  out[18] = note.length >> 8; // big-endian, as the format names it
  out[19] = note.length & 0xff;
  out.set(note, C2_NOTE);
  const p = C2_NOTE + note.length;
  out[p] = c.files.length;
  c.files.forEach((f, i) => fileRefPut(out, p + 1 + i * FILE_REF_BYTES, f));
  out.set(t, p + 1 + c.files.length * FILE_REF_BYTES);
  return out;
}

/** Decodes a content of version 1 or 2 ('inval' for any other, or one the encoders would not make). */
export function contentV2Decode(b: Uint8Array): ContentAny {
  if (b.length >= 1 && b[0] === 1) return { version: 1, kind: 0, ref: new Uint8Array(16), note: '', ...contentDecode(b) };
  if (b.length < C2_NOTE || b[0] !== 2) inval('content version');
  const noteLen = (b[18] << 8) | b[19];
  if (b.length - C2_NOTE < noteLen) inval('content note size');
  const ref = b.slice(2, 18);
  const note = b.subarray(C2_NOTE, C2_NOTE + noteLen);
  contentV2Check(b[1], ref, note);
  return {
    version: 2, kind: b[1], ref, note: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note),
    ...filesText(b, C2_NOTE + noteLen),
  };
}
