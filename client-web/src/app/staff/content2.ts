// content2.ts - message content version 2 (a correction, a rights request, a rights decision) as
// the staff app reads and writes it: `u8 version = 2 || u8 kind || 16 ref || u16 BE m || note
// (UTF-8, m <= 2000 bytes) || u8 n || n x file reference || text`, with message ids as hex; the
// bytes are the encryption module's (contentV2Encode, contentV2Decode); version 1 content passes
// through as kind 0. Pure.
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

type Codec = Pick<Crypto, 'contentV2Encode' | 'contentV2Decode'>;

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
  if (new TextEncoder().encode(note).length > NOTE_MAX_BYTES) throw new Error('the note is too long');
  return c.contentV2Encode({ kind, ref: refBytes(ref), note, files, text });
}

/** Either version; throws on anything malformed (the reader lists the message as damaged). */
export function contentAnyDecode(c: Codec, b: Uint8Array): AnyContent {
  const d = c.contentV2Decode(b);
  const zero = d.ref.every((x) => x === 0);
  return { version: d.version, kind: d.kind, ref: zero ? null : hexOf(d.ref), note: d.note, files: d.files, text: d.text };
}
