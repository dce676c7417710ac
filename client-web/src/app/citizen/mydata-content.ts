// mydata-content.ts - message content of either version as the citizen's reader opens it:
// version 1 (files and text) and version 2 (CRYPTO-FORMATS.md: a kind — 1 correction, 2 rights
// request, 3 rights decision —, the message it refers to, a note, files and text), and version
// 2 made for a rights request; the encryption module's contentV2Decode/contentV2Encode behind
// the small interface the thread view and the "Your data" modules use.
import type { FileRef } from '../../crypto/index';
import type { Crypto } from './threads-util';

export const CONTENT_V2_CORRECTION = 1;
export const CONTENT_V2_RIGHTS_REQUEST = 2;
export const CONTENT_V2_RIGHTS_DECISION = 3;

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

/** Encodes version 2 content; throws on a kind, ref or note the format refuses. */
export function contentV2Make(c: Crypto, x: ContentV2): Uint8Array {
  return c.contentV2Encode(x);
}

/** Opens content of version 1 or 2; throws on anything else or on a malformed one. */
export function contentOpen(c: Crypto, b: Uint8Array): OpenedContent {
  const o = c.contentV2Decode(b);
  if (o.kind !== 0 && o.kind !== 1 && o.kind !== 2 && o.kind !== 3) throw new Error('content kind');
  return { version: o.version, kind: o.kind, ref: o.ref, note: o.note, files: o.files, text: o.text };
}
