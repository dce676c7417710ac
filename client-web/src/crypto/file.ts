// file.ts - attachments, byte-identical to libadvice's lib/crypto_file.c: the plaintext padded
// with zeros to its size bucket, secretstream over 64 KiB chunks, the first chunk bound to the
// thread and file ids, TAG_FINAL required, BLAKE2b-256 over every chunk's ciphertext.
import { checkLen, concat, forbidden, inval, sodium } from './core';

export const FILE_CHUNK_BYTES = 65536;
export const FILE_CHUNK_OVERHEAD = 17;
export const FILE_PAD_MIN = FILE_CHUNK_BYTES;
export const FILE_PAD_MAX_SIZE = 2 ** 50;

/** floor(log2(n)) for an integer n >= 1. */
function log2Floor(n: number): number {
  let e = 0;
  while (2 ** (e + 1) <= n) e++;
  return e;
}

/**
 * The size bucket of an attachment of `size` bytes (see advice_file_padded_size): FILE_PAD_MIN up
 * to it; above, Padmé: with e = floor(log2(size)) and b = floor(log2(e)) + 1, size rounded up to a
 * multiple of 2^(e - b). The server sees only this size.
 */
export function filePaddedSize(size: number): number {
  if (!Number.isInteger(size) || size < 0 || size > FILE_PAD_MAX_SIZE) inval('file size');
  if (size <= FILE_PAD_MIN) return FILE_PAD_MIN;
  const e = log2Floor(size), step = 2 ** (e - (log2Floor(e) + 1));
  return Math.ceil(size / step) * step;
}

/** The number of chunks of a padded plaintext of `padded` bytes. */
export function fileChunkCount(padded: number): number {
  return padded === 0 ? 1 : Math.ceil(padded / FILE_CHUNK_BYTES);
}

export class FileStream {
  private state: unknown;
  private hashState: unknown;
  private readonly ad: Uint8Array;
  private readonly padded: number;
  private readonly count: number;
  private chunks = 0;
  private done = false;
  private failed = false;
  private hashResult: Uint8Array | null = null;

  /** A writer (push = true) or reader for one file of `size` real bytes (the file reference's size). */
  constructor(private readonly push: boolean, key: Uint8Array, header: Uint8Array, threadId: Uint8Array,
    fileId: Uint8Array, private readonly size: number) {
    checkLen(key, 32, 'file key');
    checkLen(header, 24, 'stream header');
    this.padded = filePaddedSize(size);
    this.count = fileChunkCount(this.padded);
    this.state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
    this.hashState = sodium.crypto_generichash_init(null, 32);
    this.ad = concat(sodium.from_string('QA-v1-file'), threadId, fileId);
  }

  /** The padded length of the next chunk and how many of its bytes are the file's. */
  private shape(): { padded: number; real: number } {
    const start = this.chunks * FILE_CHUNK_BYTES, end = Math.min(start + FILE_CHUNK_BYTES, this.padded);
    return { padded: end - start, real: Math.max(0, Math.min(this.size, end) - start) };
  }

  /**
   * Encrypts the next chunk: `plain` is the file's real bytes of it (FILE_CHUNK_BYTES but in the
   * last chunks: what is left, then none); the stream pads. `final` exactly on the last chunk.
   */
  pushChunk(plain: Uint8Array, final: boolean): Uint8Array {
    if (!this.push || this.done || this.failed) inval('stream cannot write');
    const shape = this.shape(), last = this.chunks + 1 === this.count;
    if (plain.length !== shape.real || final !== last) inval('chunk size');
    const padded = new Uint8Array(shape.padded);
    padded.set(plain, 0);
    const tag = last ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    const c = sodium.crypto_secretstream_xchacha20poly1305_push(this.state, padded, this.chunks === 0 ? this.ad : null, tag);
    sodium.memzero(padded);
    sodium.crypto_generichash_update(this.hashState, c);
    this.chunks++;
    this.done = last;
    return c;
  }

  /**
   * Decrypts the next chunk, checks that its length and tag are what the padded size gives and that
   * the padding is zeros, and strips it; final is true on the last.
   */
  pullChunk(c: Uint8Array): { plain: Uint8Array; final: boolean } {
    if (this.push || this.done || this.failed) inval('stream cannot read');
    if (c.length < FILE_CHUNK_OVERHEAD || c.length > FILE_CHUNK_BYTES + FILE_CHUNK_OVERHEAD) inval('chunk size');
    const shape = this.shape(), last = this.chunks + 1 === this.count;
    let r: { message: Uint8Array; tag: number } | false = false;
    try {
      r = sodium.crypto_secretstream_xchacha20poly1305_pull(this.state, c, this.chunks === 0 ? this.ad : null);
    } catch {
      r = false;
    }
    const want = last ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    if (r === false || r.tag !== want || r.message.length !== shape.padded ||
      r.message.subarray(shape.real).some((x) => x !== 0)) {
      this.failed = true;
      return forbidden('chunk does not authenticate, or is not the chunk the padded size gives');
    }
    sodium.crypto_generichash_update(this.hashState, c);
    this.chunks++;
    this.done = last;
    return { plain: r.message.slice(0, shape.real), final: last };
  }

  /** The ciphertext hash, once the final chunk went through. */
  hash(): Uint8Array {
    if (!this.done || this.failed) inval('stream not finished');
    if (this.hashResult === null) this.hashResult = sodium.crypto_generichash_final(this.hashState, 32);
    return this.hashResult.slice();
  }
}
