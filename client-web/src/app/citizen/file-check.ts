// file-check.ts - attachments checked before anything is sent, the same for citizens and staff:
// not empty, at most 25 MiB, a type of the allow-list found by content (the crypto module's
// media sniffing), at most 8 per message, and text and file references within one envelope.
import type { FileCheck, PickedFile } from './contract';
import { type Crypto, ThreadsError } from './threads-util';

export const FILE_MAX_BYTES = 25 * 1024 * 1024;
export const FILES_MAX = 8;
const MEDIA_JPEG = 2;
const MEDIA_PNG = 3;

/** What a picked file is, or why it cannot be sent. */
export function fileCheck(c: Crypto, f: PickedFile): FileCheck {
  if (f.bytes.length === 0) return { ok: false, problem: 'empty', image: false };
  if (f.bytes.length > FILE_MAX_BYTES) return { ok: false, problem: 'too_large', image: false };
  const media = c.mediaSniff(f.bytes);
  if (media === 0 || c.MEDIA_NAMES[media] === undefined) return { ok: false, problem: 'type', image: false };
  return { ok: true, media, image: media === MEDIA_JPEG || media === MEDIA_PNG };
}

/** The media type of each file, or a ThreadsError before anything is sent. */
export function filesCheck(c: Crypto, text: string, files: PickedFile[]): number[] {
  if (files.length > FILES_MAX) throw new ThreadsError('too_many_files', `at most ${FILES_MAX} attachments`);
  if (2 + files.length * c.FILE_REF_BYTES + c.sodium.from_string(text).length > c.ENVELOPE_MAX_PLAIN)
    throw new ThreadsError('too_long', 'the message is too long');
  return files.map((f, i) => {
    const r = fileCheck(c, f);
    if (!r.ok || r.media === undefined) throw new ThreadsError('file_refused', `attachment ${i + 1}: ${r.problem}`, r.problem);
    return r.media;
  });
}
