// content2.ts - message content version 2 (a correction, a rights request, a rights decision) as
// the staff app reads and writes it: `u8 version = 2 || u8 kind || 16 ref || u16 BE m || note
// (UTF-8, m <= 2000 bytes) || u8 n || n x file reference || text`. The tail after the note is
// version 1's tail, so the file references and the text are read and written by the encryption
// module's version 1 functions; version 1 content passes through as kind 0. Pure.
import type { FileRef } from '../../crypto/index';
import type { Crypto } from '../citizen/threads-util';

export const KIND_CORRECTION = 1;
export const KIND_RIGHTS_REQUEST = 2;
export const KIND_RIGHTS_DECISION = 3;
export const NOTE_MAX_BYTES = 2000;

/** Decoded content: version 1 (kind 0, no ref or note) or version 2. */
export interface AnyContent {
  version: 1 | 2;
  kind: number;
  /** The message id the content refers to (hex), or null (version 1, or zeros). */
  ref: string | null;
  note: string;
  files: FileRef[];
  text: string;
}

type Codec = Pick<Crypto, 'contentEncode' | 'contentDecode'>;

const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function refBytes(ref: string | null): Uint8Array {
  const out = new Uint8Array(16);
  if (ref === null) return out;
  if (!/^[0-9a-f]{32}$/.test(ref)) throw new Error('a reference of 32 hex digits');
  for (let i = 0; i < 16; i++) out[i] = parseInt(ref.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Version 2 content of `kind` (1..3) referring to `ref`, with `note`, files and text. */
export function content2Encode(c: Codec, kind: number, ref: string | null, note: string, files: FileRef[], text: string): Uint8Array {
  if (kind < 1 || kind > 3) throw new Error('a content kind of 1..3');
  const n = new TextEncoder().encode(note);
  if (n.length > NOTE_MAX_BYTES) throw new Error('the note is too long');
  const tail = c.contentEncode(files, text).subarray(1); // n || refs || text
  const out = new Uint8Array(2 + 16 + 2 + n.length + tail.length);
  out[0] = 2;
  out[1] = kind;
  out.set(refBytes(ref), 2);
  out[18] = n.length >> 8;
  out[19] = n.length & 0xff;
  out.set(n, 20);
  out.set(tail, 20 + n.length);
  return out;
}

/** Either version; throws on anything malformed (the reader lists the message as damaged). */
export function contentAnyDecode(c: Codec, b: Uint8Array): AnyContent {
  if (b.length > 0 && b[0] === 1) {
    const v1 = c.contentDecode(b);
    return { version: 1, kind: 0, ref: null, note: '', files: v1.files, text: v1.text };
  }
  if (b.length < 21 || b[0] !== 2 || b[1] < 1 || b[1] > 3) throw new Error('content version or kind');
  const m = (b[18] << 8) | b[19];
  if (m > NOTE_MAX_BYTES || b.length < 20 + m + 1) throw new Error('content note size');
  const note = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b.subarray(20, 20 + m));
  const tail = new Uint8Array(b.length - 20 - m + 1);
  tail[0] = 1;
  tail.set(b.subarray(20 + m), 1);
  const v1 = c.contentDecode(tail);
  const ref = b.subarray(2, 18);
  return { version: 2, kind: b[1], ref: ref.every((x) => x === 0) ? null : hexOf(ref), note, files: v1.files, text: v1.text };
}
