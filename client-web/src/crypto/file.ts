// file.ts - attachments, byte-identical to libadvice's lib/crypto_file.c: secretstream over
// 64 KiB chunks, the first chunk bound to the thread and file ids, TAG_FINAL required,
// BLAKE2b-256 over every chunk's ciphertext.
import { checkLen, concat, forbidden, inval, sodium } from './core';

export const FILE_CHUNK_BYTES = 65536;
export const FILE_CHUNK_OVERHEAD = 17;

export class FileStream {
  private state: unknown;
  private hashState: unknown;
  private readonly ad: Uint8Array;
  private chunks = 0;
  private done = false;
  private failed = false;
  private hashResult: Uint8Array | null = null;

  /** A writer (push = true) or reader for one file. */
  constructor(private readonly push: boolean, key: Uint8Array, header: Uint8Array, threadId: Uint8Array,
    fileId: Uint8Array) {
    checkLen(key, 32, 'file key');
    checkLen(header, 24, 'stream header');
    this.state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
    this.hashState = sodium.crypto_generichash_init(null, 32);
    this.ad = concat(sodium.from_string('QA-v1-file'), threadId, fileId);
  }

  /** Encrypts one chunk: exactly FILE_CHUNK_BYTES unless final. */
  pushChunk(plain: Uint8Array, final: boolean): Uint8Array {
    if (!this.push || this.done || this.failed) inval('stream cannot write');
    if (plain.length > FILE_CHUNK_BYTES || (!final && plain.length !== FILE_CHUNK_BYTES)) inval('chunk size');
    const tag = final ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    const c = sodium.crypto_secretstream_xchacha20poly1305_push(this.state, plain, this.chunks === 0 ? this.ad : null, tag);
    sodium.crypto_generichash_update(this.hashState, c);
    this.chunks++;
    this.done = final;
    return c;
  }

  /** Decrypts one chunk; final is true on the last. */
  pullChunk(c: Uint8Array): { plain: Uint8Array; final: boolean } {
    if (this.push || this.done || this.failed) inval('stream cannot read');
    if (c.length < FILE_CHUNK_OVERHEAD || c.length > FILE_CHUNK_BYTES + FILE_CHUNK_OVERHEAD) inval('chunk size');
    let r: { message: Uint8Array; tag: number } | false = false;
    try {
      r = sodium.crypto_secretstream_xchacha20poly1305_pull(this.state, c, this.chunks === 0 ? this.ad : null);
    } catch {
      r = false;
    }
    const final = r !== false && r.tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    if (r === false || (!final && (r.tag !== sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE ||
      r.message.length !== FILE_CHUNK_BYTES))) {
      this.failed = true;
      return forbidden('chunk does not authenticate');
    }
    sodium.crypto_generichash_update(this.hashState, c);
    this.chunks++;
    this.done = final;
    return { plain: r.message, final };
  }

  /** The ciphertext hash, once the final chunk went through. */
  hash(): Uint8Array {
    if (!this.done || this.failed) inval('stream not finished');
    if (this.hashResult === null) this.hashResult = sodium.crypto_generichash_final(this.hashState, 32);
    return this.hashResult.slice();
  }
}
