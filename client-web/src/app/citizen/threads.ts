// threads.ts - the citizen's threads, encrypted and decrypted in this browser (the
// ThreadsController of contract.ts): categories, the checks of a picked file, a new question
// (thread.prepare, attachments uploaded to the prepared thread, the first envelope, thread.open,
// the thread key wrapped to the unit's current key generation and to the identity, kept on the
// device until done), a thread watched decrypted and live, replies at the thread's current key
// epoch (re-keyed first when the unit's key changed), close, read state, downloads, drafts and the
// consent to hand a thread over to the client record.
// The parts live in upload.ts, download.ts, unit-keys.ts, thread-view*.ts, thread-rekey.ts,
// drafts.ts, pending-open.ts and consent.ts; this file wires them.
import type { FileRef } from '../../crypto/index';
import type { Connection } from '../net';
import { systemClock, type Clock } from '../net/clock';
import type { RecordCipher } from '../net/outbox';
import { outboxCipher } from '../net/outbox-cipher';
import type {
  AskInput, Category, CitizenKeys, FileCheck, FileInfo, PickedFile, ThreadSnapshot, ThreadsController, ThreadWatch,
  UploadProgress,
} from './contract';
import { createConsentController } from './consent';
import { downloadFile } from './download';
import { fileCheck, filesCheck } from './file-check';
import { Drafts } from './drafts';
import { PendingOpens, type PendingOpen } from './pending-open';
import { ensureWritable } from './thread-rekey';
import { ThreadSession } from './thread-view-session';
import { b64, type Crypto, type CryptoSession, type KvStore, openKv, ThreadsError, unb64, unhexId } from './threads-util';
import { UlogMemory, unitKeyFetch, type UnitKey } from './unit-keys';
import { uploadFile } from './upload';

/** A prepared thread not opened within this time is dropped by the server (§12.2). */
const PREPARED_KEEP_MS = 24 * 3600_000;
const WRAP_THREAD_KEY = 1;

export interface ThreadsOptions {
  clock?: Clock;
  /** Where drafts, pending questions and checked unit logs are kept (default IndexedDB). */
  store?: KvStore;
  /** Seals pending questions (default: the outbox cipher of the device seed). */
  pendingCipher?: RecordCipher;
}

export interface CitizenThreads extends ThreadsController {
  /** Finishes the questions an earlier page left half done; resolves with how many it finished. */
  finishPending(): Promise<number>;
  /** Runs `fn` on the thread decrypted with every message the server counted fed in (the
   *  "Your data" export and rights requests read threads through this). */
  withThread<T>(thread: string, fn: (s: ThreadSession) => T | Promise<T>): Promise<T>;
  /**
   * Seals encoded `content` as the next envelope of this device at the thread's current key
   * epoch (re-keyed first when the unit's key changed, as a reply) and hands the body to `send`
   * (a write such as rights.request); a stale epoch is read again and written once more.
   */
  sendContent(thread: string, content: Uint8Array, send: (body: string) => Promise<unknown>): Promise<void>;
}

function codeOf(e: unknown): string {
  return (e as { code?: unknown }).code !== undefined ? String((e as { code?: unknown }).code) : 'error';
}

export function createThreadsController(conn: Connection, cs: CryptoSession, keys: CitizenKeys,
  opts: ThreadsOptions = {}): CitizenThreads {
  const c: Crypto = cs.crypto;
  const clock = opts.clock ?? systemClock;
  const now = (): number => clock.now();
  const store = opts.store !== undefined ? Promise.resolve(opts.store) : openKv('advice-citizen');
  const cipher = opts.pendingCipher ?? outboxCipher(c.sodium, keys.deviceSeed, keys.userId);
  const drafts = store.then((s) => new Drafts(c, s, keys.deviceSeed, keys.userId));
  const pending = store.then((s) => new PendingOpens(c, s, cipher));
  const ulog = store.then((s) => new UlogMemory(c, s));
  const sessions = new Map<string, ThreadSession>();
  const deviceKid = c.kid(keys.device.signPk);
  /** Threads of questions being asked on this page (not for finishPending). */
  const asking = new Set<string>();
  const upCtx = { conn, c, clock };
  const rekeyCtx = { conn, c, identity: keys.identity, device: keys.device, now };

  const unitKey = async (by: { category: string } | { unit: string }): Promise<UnitKey> =>
    unitKeyFetch(conn, c, cs.rootKey, await ulog, by, now());

  function acquire(thread: string): ThreadSession {
    let s = sessions.get(thread);
    if (s === undefined) {
      s = new ThreadSession(conn, c, cs.rootKey, keys.identity, thread, now);
      sessions.set(thread, s);
    }
    s.refs++;
    return s;
  }

  function release(s: ThreadSession): void {
    if (--s.refs > 0) return;
    s.close();
    if (sessions.get(s.thread) === s) sessions.delete(s.thread);
  }

  const checkFile = (f: PickedFile): FileCheck => fileCheck(c, f);
  const checkAll = (text: string, files: PickedFile[]): number[] => filesCheck(c, text, files);

  async function uploadAll(thread: string, files: PickedFile[], media: number[],
    onProgress: (p: UploadProgress) => void): Promise<FileRef[]> {
    files.forEach((f, i) => onProgress({ file: i, state: 'waiting', sent: 0, total: c.filePaddedSize(f.bytes.length) }));
    const refs: FileRef[] = [];
    for (let i = 0; i < files.length; i++) refs.push(await uploadFile(upCtx, thread, i, files[i], media[i], onProgress));
    return refs;
  }

  function seal(threadId: Uint8Array, epoch: number, msgKey: Uint8Array, next: { senderSeq: bigint; prevHash: Uint8Array },
    content: Uint8Array): string {
    const env = c.envelopeSeal({ threadId, messageId: c.random(16), epoch, senderSeq: next.senderSeq, prevHash: next.prevHash,
      createdAt: BigInt(now()), nonce: c.random(24) }, msgKey, content, keys.device);
    return b64(c, env);
  }

  /** wrap.put of the thread key to the unit's generation and to the identity, signed by this device. */
  async function wrapKey(thread: string, key: Uint8Array, unit: UnitKey): Promise<void> {
    const tid = unhexId(c, thread);
    const wraps = [unit.boxPk, keys.identity.boxPk].map((pk) =>
      b64(c, c.wrapSeal(WRAP_THREAD_KEY, tid, 0, pk, key, c.random(32), keys.device)));
    await conn.request('wrap.put', { thread, wraps });
  }

  async function ask(input: AskInput, onProgress: (p: UploadProgress) => void): Promise<string> {
    const media = checkAll(input.text, input.files);
    const unit = await unitKey({ category: input.category });
    const prep = await conn.request('thread.prepare', {});
    const thread = prep.thread, tid = unhexId(c, thread), share = unb64(c, prep.share);
    const key = c.random(32);
    const p: PendingOpen = { thread, category: input.category, lang: input.lang, key, body: null, created: now() };
    const pend = await pending;
    asking.add(thread);
    try {
      const id = await pend.add(p);
      const refs = await uploadAll(thread, input.files, media, onProgress);
      p.body = seal(tid, 0, c.threadMsgKey(key, tid, 0, share), { senderSeq: 1n, prevHash: new Uint8Array(32) },
        c.contentEncode(refs, input.text));
      await pend.put(id, p);
      try {
        await conn.request('thread.open', { category: input.category, thread, body: p.body, lang: input.lang });
      } catch (e) {
        // The server refused it (a write is not rejected for a lost connection): nothing to finish.
        if (codeOf(e) !== 'timeout') await pend.remove(id);
        throw e;
      }
      await wrapKey(thread, key, unit);
      await pend.remove(id);
    } finally {
      asking.delete(thread);
    }
    await (await drafts).discard(null).catch(() => undefined);
    return thread;
  }

  /** One pending question finished: opened if it was not, then its key wrapped. */
  async function finishOne(pend: PendingOpens, id: string, p: PendingOpen): Promise<boolean> {
    let opened = true;
    try {
      await conn.request('thread.get', { thread: p.thread });
    } catch (e) {
      if (codeOf(e) !== 'not_found') return false;
      opened = false;
    }
    if (!opened) {
      const queued = conn.pendingWrites().some((w) => w.type === 'thread.open' && w.thread === p.thread);
      if (queued) return false; // the outbox still sends it
      if (p.body === null || now() - p.created > PREPARED_KEEP_MS) {
        await pend.remove(id); // never written out, or the server dropped the prepared thread
        return false;
      }
      await conn.request('thread.open', { category: p.category, thread: p.thread, body: p.body, lang: p.lang });
    }
    await wrapKey(p.thread, p.key, await unitKey({ category: p.category }));
    await pend.remove(id);
    return true;
  }

  let finishing: Promise<number> | null = null;

  /** One run at a time: a call while one runs gets that run's result. */
  function finishPending(): Promise<number> {
    finishing ??= (async () => {
      const pend = await pending;
      let n = 0;
      for (const { id, p } of await pend.list()) {
        if (asking.has(p.thread)) continue;
        try {
          if (await finishOne(pend, id, p)) n++;
        } catch {
          // left for the next start
        }
      }
      return n;
    })().finally(() => {
      finishing = null;
    });
    return finishing;
  }

  async function sendMessage(s: ThreadSession, unitRef: { unit: string }, content: Uint8Array,
    send: (body: string) => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const epoch = s.keyring.epoch, mk = s.keyring.messageKey(epoch);
      if (mk === null) throw new ThreadsError('locked', 'no key of the current epoch opens');
      const body = seal(s.threadId, epoch, mk, s.view.next(deviceKid), content);
      try {
        await send(body);
        return;
      } catch (e) {
        if (attempt > 0 || codeOf(e) !== 'conflict' || (e as { field?: string }).field !== '/body') throw e;
      }
      await s.refreshKeys(); // a stale epoch: read the keys again and write at the current one, once
      if (s.keyring.epoch === epoch) throw new ThreadsError('stale_epoch', 'the server refused the current epoch');
      await ensureWritable(rekeyCtx, s, await unitKey(unitRef));
    }
  }

  async function reply(thread: string, text: string, files: PickedFile[], onProgress: (p: UploadProgress) => void): Promise<void> {
    const media = checkAll(text, files);
    const s = acquire(thread);
    const local = c.sodium.to_hex(c.random(8));
    try {
      await s.ready;
      if (s.view.state === 'closed') throw new ThreadsError('thread_closed', 'the thread is closed');
      s.view.sending.push({ local, text, files: files.map((f) => f.name) });
      s.emit();
      if (s.unit === null) throw new ThreadsError('not_found', 'the thread has no unit');
      const unitRef = { unit: s.unit };
      await ensureWritable(rekeyCtx, s, await unitKey(unitRef)); // re-keyed first when the unit's key changed
      const refs = await uploadAll(thread, files, media, onProgress);
      await sendMessage(s, unitRef, c.contentEncode(refs, text), (body) => conn.request('message.send', { thread, body }));
      s.view.sending = s.view.sending.filter((x) => x.local !== local);
      s.emit();
      await (await drafts).discard(thread).catch(() => undefined);
    } catch (e) {
      const entry = s.view.sending.find((x) => x.local === local);
      if (entry !== undefined) entry.failed = codeOf(e);
      s.emit();
      throw e;
    } finally {
      release(s);
    }
  }

  function watch(thread: string): ThreadWatch {
    const s = acquire(thread);
    const offs: (() => void)[] = [];
    let closed = false;
    return {
      snapshot: (): ThreadSnapshot | null => s.snapshot(),
      subscribe: (fn) => {
        const off = s.subscribe(fn);
        offs.push(off);
        return off;
      },
      close: () => {
        if (closed) return;
        closed = true;
        for (const off of offs) off();
        release(s);
      },
    };
  }

  async function withThread<T>(thread: string, fn: (s: ThreadSession) => T | Promise<T>): Promise<T> {
    const s = acquire(thread);
    try {
      await s.ready;
      return await fn(s);
    } finally {
      release(s);
    }
  }

  async function sendContent(thread: string, content: Uint8Array, send: (body: string) => Promise<unknown>): Promise<void> {
    await withThread(thread, async (s) => {
      if (s.unit === null) throw new ThreadsError('not_found', 'the thread has no unit');
      const unitRef = { unit: s.unit };
      await ensureWritable(rekeyCtx, s, await unitKey(unitRef));
      await sendMessage(s, unitRef, content, send);
    });
  }

  async function download(thread: string, f: FileInfo): Promise<Blob> {
    const s = acquire(thread);
    try {
      await s.ready;
      const ref = s.view.fileRef(f.file);
      if (ref === undefined || Number(ref.size) !== f.size || ref.media !== f.media)
        throw new ThreadsError('not_found', 'no such attachment in the thread');
      return await downloadFile(conn, c, s.threadId, ref);
    } finally {
      release(s);
    }
  }

  async function categories(): Promise<Category[]> {
    const r = await conn.request('categories.list', {});
    return r.categories.map((x) => ({
      category: x.category, name: x.name, openNow: x.open_now,
      serviceHours: { open: x.service_hours.open, close: x.service_hours.close },
      answerDays: x.answer_days, expectedBy: x.expected_by,
    }));
  }

  const consent = createConsentController({ conn, c, rootKey: cs.rootKey, keys, now,
    session: (thread) => {
      const s = acquire(thread);
      return { s, release: () => release(s) };
    },
    unitKey: (unit) => unitKey({ unit }) });

  void finishPending();

  return {
    categories, checkFile, ask, watch, reply, download, finishPending, consent, withThread, sendContent,
    close: async (thread) => {
      await conn.request('thread.close', { thread });
    },
    markRead: (thread, seq) => {
      conn.request('read.set', { thread, seq }).catch(() => undefined);
    },
    loadDraft: async (thread) => (await drafts).load(thread),
    saveDraft: async (thread, text) => (await drafts).save(thread, text),
    discardDraft: async (thread) => (await drafts).discard(thread),
  };
}
