// mydata-content.ts - message content of either version as the citizen's reader opens it:
// version 1 (files and text) and version 2 (proto-s7: a kind — 1 correction, 2 rights request,
// 3 rights decision —, the message it refers to, a note, files and text), and version 2 made
// for a rights request. The one place the app meets content version 2, so that the thread view
// and the "Your data" modules depend on this small interface only. Pure.
import type { FileRef } from '../../crypto/index';
import type { Crypto } from './threads-util';

export const CONTENT_V2_CORRECTION = 1;
export const CONTENT_V2_RIGHTS_REQUEST = 2;
export const CONTENT_V2_RIGHTS_DECISION = 3;
/** The most UTF-8 bytes of a version 2 note. */
export const CONTENT_V2_MAX_NOTE = 2000;

/** Opened content: version 1 has kind 0, a zero ref and an empty note. */
export interface OpenedContent {
  version: 1 | 2;
  kind: 0 | 1 | 2 | 3;
  ref: Uint8Array;
  note: string;
  files: FileRef[];
  text: string;
}

export interface ContentV2 {
  kind: 1 | 2 | 3;
  ref: Uint8Array;
  note: string;
  files: FileRef[];
  text: string;
}

function bad(what: string): never {
  throw new Error(`content: ${what}`);
}

const utf8 = (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);

/** Encodes version 2 content (u8 2, u8 kind, 16 ref, u16 BE m, note, u8 n, n file refs, text). */
export function contentV2Make(c: Crypto, x: ContentV2): Uint8Array {
  if (![1, 2, 3].includes(x.kind) || x.ref.length !== 16) bad('kind or ref');
  const note = new TextEncoder().encode(x.note);
  if (note.length > CONTENT_V2_MAX_NOTE) bad('note too long');
  const v1 = c.contentEncode(x.files, x.text); // u8 1, u8 n, refs, text: the same refs and text
  const out = new Uint8Array(2 + 16 + 2 + note.length + v1.length - 1);
  out[0] = 2;
  out[1] = x.kind;
  out.set(x.ref, 2);
  out[18] = note.length >> 8;
  out[19] = note.length & 0xff;
  out.set(note, 20);
  out.set(v1.subarray(1), 20 + note.length);
  return out;
}

/** Opens content of version 1 or 2; throws on anything else or on a malformed one. */
export function contentOpen(c: Crypto, b: Uint8Array): OpenedContent {
  if (b.length > 0 && b[0] === 1) {
    const { files, text } = c.contentDecode(b);
    return { version: 1, kind: 0, ref: new Uint8Array(16), note: '', files, text };
  }
  if (b.length < 21 || b[0] !== 2) bad('version or size');
  const kind = b[1];
  if (kind !== 1 && kind !== 2 && kind !== 3) bad('kind');
  const m = (b[18] << 8) | b[19];
  if (m > CONTENT_V2_MAX_NOTE || b.length < 20 + m + 1) bad('note');
  let note: string;
  try {
    note = utf8(b.subarray(20, 20 + m));
  } catch {
    bad('note is not UTF-8');
  }
  // The rest is a version 1 body after its version byte: checked by the version 1 decoder.
  const rest = new Uint8Array(1 + b.length - 20 - m);
  rest[0] = 1;
  rest.set(b.subarray(20 + m), 1);
  const { files, text } = c.contentDecode(rest);
  return { version: 2, kind, ref: b.slice(2, 18), note, files, text };
}
