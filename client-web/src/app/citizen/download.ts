// download.ts - an attachment fetched and opened (PROTOCOL.md §12.4): file.get chunk by chunk,
// decrypted as the stream its signed reference names (the first chunk bound to thread and
// file), every chunk of the length the padded size gives with zero padding, TAG_FINAL on the
// last and nothing after it, the ciphertext hash equal to the reference's, then the real type
// checked again; the result a Blob with a safe type (text only ever as text/plain).
import type { Connection } from '../net';
import type { FileRef } from '../../crypto/index';
import { type Crypto, hex, ThreadsError, unb64 } from './threads-util';

const MEDIA_TEXT = 7;

/** The type a Blob of `media` gets: the allow-list's name; text as plain text only. */
export function safeMime(c: Crypto, media: number): string {
  if (media === MEDIA_TEXT) return 'text/plain;charset=utf-8';
  return c.MEDIA_NAMES[media] ?? 'application/octet-stream';
}

/** Decrypts and checks the chunks of one file (pure); the real bytes. */
export function decryptFile(c: Crypto, threadId: Uint8Array, ref: FileRef, chunks: Uint8Array[]): Uint8Array {
  const size = Number(ref.size);
  const stream = new c.FileStream(false, ref.key, ref.header, threadId, ref.fileId, size);
  const out = new Uint8Array(size);
  let off = 0, final = false;
  try {
    for (const ch of chunks) {
      if (final) throw new ThreadsError('damaged', 'data after the final chunk');
      const r = stream.pullChunk(ch);
      out.set(r.plain, off);
      off += r.plain.length;
      final = r.final;
    }
    if (!final || off !== size) throw new ThreadsError('damaged', 'the file ends early');
    if (!c.equal(stream.hash(), ref.hash)) throw new ThreadsError('damaged', 'the file is not the one its message names');
  } catch (e) {
    if (e instanceof ThreadsError) throw e;
    throw new ThreadsError('damaged', 'the file does not decrypt');
  }
  const media = c.mediaSniff(out);
  if (media !== ref.media) throw new ThreadsError('type_mismatch', 'the file is not of the type its message names');
  return out;
}

/** Fetches, decrypts and checks one attachment of thread `threadId`. */
export async function downloadFile(conn: Connection, c: Crypto, threadId: Uint8Array, ref: FileRef): Promise<Blob> {
  const file = hex(c, ref.fileId);
  const count = c.fileChunkCount(c.filePaddedSize(Number(ref.size)));
  const chunks: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const r = await conn.request('file.get', { file, index });
    if (r.file !== file || r.index !== index) throw new ThreadsError('damaged', 'another chunk than the one asked');
    chunks.push(unb64(c, r.chunk));
  }
  const bytes = decryptFile(c, threadId, ref, chunks);
  return new Blob([bytes.slice().buffer as ArrayBuffer], { type: safeMime(c, ref.media) });
}
