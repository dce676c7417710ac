// upload.ts - one attachment encrypted and uploaded (PROTOCOL.md §12.4, CRYPTO-FORMATS.md
// "Attachments"): padded to its size bucket and encrypted as a secretstream bound to the thread
// and a fresh file id, announced with file.begin (the padded size, never the real one), sent as
// binary "QC" chunks, a few on their way at once, each answered by a file.chunk event (ok: the
// next; rate_limited: wait and resend; unavailable, the server could not write it: wait, then
// resume; anything else: fail), resumed from file.status after a dropped connection or a
// missing answer. The file reference that the message carries is the result.
import type { Connection } from '../net';
import type { Clock } from '../net/clock';
import type { FileRef } from '../../crypto/index';
import type { PickedFile, UploadProgress } from './contract';
import { type Crypto, hex, ThreadsError, unhexId } from './threads-util';

/** How long a chunk may wait for its file.chunk before the upload asks file.status (ms). */
export const CHUNK_ANSWER_MS = 30_000;
/** Chunks sent ahead of their answers (each up to 64 KiB; the server reads 64 messages ahead). */
export const CHUNK_WINDOW = 4;
const MAX_RESUMES = 20;

export interface UploadContext {
  conn: Connection;
  c: Crypto;
  clock: Clock;
}

/** The binary message of one chunk: "QC", version 1, 0, file id, index (u32 LE), ciphertext. */
export function chunkMessage(fileId: Uint8Array, index: number, ct: Uint8Array): Uint8Array {
  const out = new Uint8Array(24 + ct.length);
  out.set([0x51, 0x43, 1, 0], 0);
  out.set(fileId, 4);
  new DataView(out.buffer).setUint32(20, index, true);
  out.set(ct, 24);
  return out;
}

/** Pads and encrypts a whole file: its reference (hash included) and its chunks' ciphertexts. */
export function encryptFile(c: Crypto, threadId: Uint8Array, bytes: Uint8Array, media: number):
  { ref: FileRef; chunks: Uint8Array[]; padded: number } {
  const ref: FileRef = { fileId: c.random(16), key: c.random(32), header: c.random(24), size: BigInt(bytes.length), media,
    hash: new Uint8Array(32) };
  const stream = new c.FileStream(true, ref.key, ref.header, threadId, ref.fileId, bytes.length);
  const padded = c.filePaddedSize(bytes.length), count = c.fileChunkCount(padded);
  const chunks: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const start = k * c.FILE_CHUNK_BYTES;
    const real = bytes.subarray(Math.min(start, bytes.length), Math.min(start + c.FILE_CHUNK_BYTES, bytes.length));
    chunks.push(stream.pushChunk(real, k + 1 === count));
  }
  ref.hash = stream.hash();
  return { ref, chunks, padded };
}

type ChunkAnswer =
  | { kind: 'ok'; received: number; complete: boolean }
  | { kind: 'wait'; ms: number }
  | { kind: 'resume'; ms?: number } // ask file.status, after ms when given
  | { kind: 'fail'; code: string };

/**
 * Waits for the file.chunk of (file, index); a dropped connection or no answer in time:
 * 'resume'. cancel() ends the wait at once with 'resume'.
 */
function chunkAnswer(ctx: UploadContext, file: string, index: number): { answer: Promise<ChunkAnswer>; cancel(): void } {
  let cancel = (): void => undefined;
  const answer = new Promise<ChunkAnswer>((resolve) => {
    const offs: (() => void)[] = [];
    let timer: unknown;
    let ended = false;
    const end = (a: ChunkAnswer): void => {
      if (ended) return;
      ended = true;
      for (const off of offs) off();
      ctx.clock.clearTimer(timer);
      resolve(a);
    };
    cancel = () => end({ kind: 'resume' });
    offs.push(ctx.conn.onEvent('file.chunk', (ev) => {
      if (ev.file !== file || ev.index !== index) return;
      if (ev.code === 'ok') {
        end({ kind: 'ok', received: typeof ev.received === 'number' ? ev.received : index + 1, complete: ev.complete === true });
      } else if (ev.code === 'rate_limited') {
        end({ kind: 'wait', ms: Math.max(1, typeof ev.retry_after === 'number' ? ev.retry_after : 1) * 1000 });
      } else if (ev.code === 'conflict') {
        end({ kind: 'resume' }); // ahead of what the server has: ask where it stands
      } else if (ev.code === 'unavailable') {
        // The server could not write it (nor the chunks behind it): nothing of it counts.
        end({ kind: 'resume', ms: Math.max(1, typeof ev.retry_after === 'number' ? ev.retry_after : 1) * 1000 });
      } else {
        end({ kind: 'fail', code: typeof ev.code === 'string' ? ev.code : 'internal' });
      }
    }));
    offs.push(ctx.conn.onState((s) => {
      if (s.kind !== 'open') end({ kind: 'resume' });
    }));
    timer = ctx.clock.setTimer(() => end({ kind: 'resume' }), CHUNK_ANSWER_MS);
  });
  return { answer, cancel };
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(resolve, ms));
}

/**
 * Uploads one checked file to thread `thread` (hex; a thread the caller prepared, or one it
 * may write to): encrypts, file.begin, chunks, resumes. Progress goes to onProgress with the
 * file's index. Resolves with the file reference for the message.
 */
export async function uploadFile(ctx: UploadContext, thread: string, index: number, file: PickedFile, media: number,
  onProgress: (p: UploadProgress) => void): Promise<FileRef> {
  const { conn, c } = ctx;
  onProgress({ file: index, state: 'encrypting', sent: 0, total: c.filePaddedSize(file.bytes.length) });
  const { ref, chunks, padded } = encryptFile(c, unhexId(c, thread), file.bytes, media);
  const fileHex = hex(c, ref.fileId);
  const progress = (state: UploadProgress['state'], next: number, error?: string): void =>
    onProgress({ file: index, state, sent: Math.min(padded, next * c.FILE_CHUNK_BYTES), total: padded, ...(error ? { error } : {}) });
  const fail = (code: string): never => {
    progress('failed', 0, code);
    throw new ThreadsError('upload_failed', `the attachment could not be uploaded (${code})`, code);
  };
  let next: number;
  try {
    const begun = await conn.request('file.begin', { thread, file: fileHex, size: padded });
    if (begun.chunks !== chunks.length) fail('chunks');
    next = begun.complete ? chunks.length : begun.received;
  } catch (e) {
    if (e instanceof ThreadsError) throw e;
    return fail((e as { code?: string }).code ?? 'error');
  }
  let resumes = 0;
  const inFlight: { index: number; wait: ReturnType<typeof chunkAnswer> }[] = [];
  let sent = next;
  while (next < chunks.length) {
    // Up to CHUNK_WINDOW chunks on their way: over a slow link each waits a round trip.
    sent = Math.max(sent, next);
    while (sent < chunks.length && sent - next < CHUNK_WINDOW) {
      const wait = chunkAnswer(ctx, fileHex, sent);
      inFlight.push({ index: sent, wait });
      if (!conn.sendBinary(chunkMessage(ref.fileId, sent, chunks[sent]))) wait.cancel();
      sent++;
    }
    progress('uploading', next);
    const oldest = inFlight.shift()!;
    const a = await oldest.wait.answer;
    if (a.kind === 'ok') {
      next = a.complete ? chunks.length : Math.max(next, oldest.index + 1, Math.min(a.received, chunks.length));
      continue;
    }
    // Anything else: the chunks behind it are answered in vain; stop waiting for them.
    for (const f of inFlight.splice(0)) f.wait.cancel();
    if (a.kind === 'fail') return fail(a.code);
    if (a.kind === 'wait') {
      await sleep(ctx.clock, a.ms);
      sent = next = Math.max(next, oldest.index); // nothing of it was done: the same chunk again
      continue;
    }
    if (++resumes > MAX_RESUMES) fail('no_progress');
    if (a.ms !== undefined) await sleep(ctx.clock, a.ms);
    try {
      const st = await conn.request('file.status', { file: fileHex });
      sent = next = st.complete ? chunks.length : st.received;
    } catch (e) {
      fail((e as { code?: string }).code ?? 'error');
    }
  }
  for (const f of inFlight.splice(0)) f.wait.cancel();
  progress('done', chunks.length);
  return ref;
}
