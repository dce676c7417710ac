// thread.ts - threads as staff work on them (the StaffThreadsController of contract.ts): a
// thread watched decrypted and live (thread-watch.ts), claim with the collision guard (someone
// else writing: 'others_writing' unless forced), answers at the thread's current key epoch
// (re-keyed first, sealed to the unit's current generation and the citizen's identity, when it
// is not; attachments uploaded as the assignee), "ask for more" (await_reply), close, release,
// notes sealed to the unit (never in a message), read state, downloads, drafts in memory only;
// corrections of staff messages (correct.ts) and legal-claim reads of a restricted thread
// (restrict.ts).
import type { FileRef } from '../../crypto/index';
import type { Connection } from '../net';
import { systemClock, type Clock } from '../net/clock';
import { downloadFile } from '../citizen/download';
import { ensureWritable, writableCheck } from '../citizen/thread-rekey';
import { fileCheck, filesCheck } from '../citizen/file-check';
import { b64, type CryptoSession, MemoryKv, ThreadsError, unhexId } from '../citizen/threads-util';
import { UlogMemory, unitKeyFetch } from '../citizen/unit-keys';
import { uploadFile } from '../citizen/upload';
import { content2Encode, KIND_CORRECTION } from './content2';
import { correctionProblems } from './correct';
import { claimReason } from './restrict';
import type {
  ClaimError, CorrectionInput, FileCheck, PickedFile, StaffSession, StaffThreadsController, StaffThreadWatch, UploadProgress,
} from './contract';
import { sealUnitText } from './thread-notes';
import { StaffThread, type WatchContext } from './thread-watch';
import { codeOf, isNetwork, StaffError, staffRequest } from './wire';
import { UNIT_TEXT_NOTE } from './wire-types';


export interface StaffThreadsOptions {
  clock?: Clock;
}

/** The staff threads controller, with the shared parts that supervise.ts reuses. */
export interface StaffThreads extends StaffThreadsController {
  /** A thread held open for an operation (release it with done()). */
  acquire(thread: string): StaffThread;
  done(t: StaffThread): void;
  /** Seals `plain` at the thread's current epoch (re-keyed first when needed) and sends it as
   *  `type` with `fields` and the body; resolves with the reply. */
  sendSealed(t: StaffThread, plain: Uint8Array, type: 'message.send' | 'rights.decide', fields: Record<string, unknown>): Promise<unknown>;
}

function claimError(e: unknown): ClaimError {
  const code = codeOf(e);
  if (code === 'conflict') return 'taken';
  if (code === 'thread_closed') return 'closed';
  return isNetwork(code) ? 'network' : 'failed';
}

export function createStaffThreads(conn: Connection, cs: CryptoSession, session: StaffSession,
  opts: StaffThreadsOptions = {}): StaffThreads {
  const c = cs.crypto;
  const clock = opts.clock ?? systemClock;
  const now = (): number => clock.now();
  const threads = new Map<string, StaffThread>();
  const drafts = new Map<string, string>();
  const ulog = new UlogMemory(c, new MemoryKv()); // nothing of a work PC's session is kept
  let settings: ReturnType<WatchContext['settings']> | null = null;
  const ctx: WatchContext = {
    conn, cs, session, clock,
    settings: () => {
      settings ??= conn.request('queue.settings', {}).then((r) => ({
        names: new Map(r.queues.map((q) => [`${q.unit}/${q.category}`, q.name] as [string, string])),
        closed: r.closed_days.map((d) => d.date),
      }));
      settings.catch(() => {
        settings = null;
      });
      return settings;
    },
  };

  function acquire(thread: string): StaffThread {
    let t = threads.get(thread);
    if (t === undefined) {
      t = new StaffThread(ctx, thread);
      threads.set(thread, t);
    }
    t.refs++;
    return t;
  }

  function done(t: StaffThread): void {
    if (--t.refs > 0) return;
    t.close();
    if (threads.get(t.thread) === t) threads.delete(t.thread);
  }

  function keysOrThrow(): NonNullable<ReturnType<StaffSession['keys']>> {
    const k = session.keys();
    if (k === null) throw new StaffError('locked', 'the keys are locked');
    return k;
  }

  const checkFile = (f: PickedFile): FileCheck => fileCheck(c, f);
  const checkAll = (text: string, files: PickedFile[]): number[] => filesCheck(c, text, files);

  async function claim(thread: string, force = false): Promise<void> {
    if (!force) {
      const held = threads.get(thread);
      let writers = held?.viewers.filter((v) => v.state === 'writing') ?? [];
      if (held === undefined || held.watchers === 0) {
        try {
          const r = await staffRequest(conn, 'thread.presence', { thread, state: 'viewing' });
          writers = (Array.isArray(r.viewers) ? r.viewers : []).filter((v) => v.user !== session.userId && v.state === 'writing')
            .map((v) => ({ user: v.user, name: null, state: 'writing' as const, since: v.since }));
        } catch {
          // the guard is a courtesy: without presence the server's claim decides
        }
      }
      if (writers.length > 0) throw new StaffError('others_writing', 'someone else is writing in this thread');
    }
    try {
      await conn.request('thread.claim', { thread });
    } catch (e) {
      throw new StaffError(claimError(e), 'the thread could not be claimed');
    }
  }

  /** The envelope of an answer at the thread's current epoch, signed by the worker's certified key. */
  function seal(t: StaffThread, plain: Uint8Array): string {
    const keys = keysOrThrow(), s = t.s, epoch = s.keyring.epoch, mk = s.keyring.messageKey(epoch);
    if (mk === null) throw new ThreadsError('locked', 'no key of the current epoch opens');
    const next = s.view.next(c.kid(keys.identity.signPk));
    const env = c.envelopeSeal({ threadId: s.threadId, messageId: c.random(16), epoch, senderSeq: next.senderSeq, prevHash: next.prevHash,
      createdAt: BigInt(now()), nonce: c.random(24) }, mk, plain, keys.identity);
    return b64(c, env);
  }

  /** Re-keys when the current epoch is not sealed to the unit's current generation (as a citizen's writer does). */
  async function makeWritable(t: StaffThread): Promise<void> {
    const keys = keysOrThrow(), s = t.s;
    if (s.unit === null) throw new ThreadsError('not_found', 'the thread has no unit');
    const citizen = s.keyring.identity;
    const unit = await unitKeyFetch(conn, c, cs.rootKey, ulog, { unit: s.unit }, now());
    // Without the thread's identity a new epoch would not reach the citizen: only the check.
    if (citizen === null) return writableCheck(c, s, unit);
    await ensureWritable({ conn, c, identity: { boxPk: citizen.identityBoxPk }, device: keys.identity, now }, s, unit);
  }

  async function sendSealed(t: StaffThread, plain: Uint8Array, type: 'message.send' | 'rights.decide',
    fields: Record<string, unknown>): Promise<unknown> {
    const send = conn.request.bind(conn) as unknown as (t: string, f: Record<string, unknown>) => Promise<unknown>;
    for (let attempt = 0; ; attempt++) {
      const epoch = t.s.keyring.epoch;
      const body = seal(t, plain);
      try {
        return await send(type, { thread: t.thread, ...fields, body });
      } catch (e) {
        if (attempt > 0 || codeOf(e) !== 'conflict' || (e as { field?: string }).field !== '/body') throw e;
      }
      await t.s.refreshKeys();
      if (t.s.keyring.epoch === epoch) throw new ThreadsError('stale_epoch', 'the server refused the current epoch');
      await makeWritable(t);
    }
  }

  async function sendAnswer(t: StaffThread, refs: FileRef[], text: string, asksMore: boolean): Promise<number> {
    const r = await sendSealed(t, c.contentEncode(refs, text), 'message.send', asksMore ? { await_reply: true } : {});
    return (r as { seq: number }).seq;
  }

  /** The assignee's correction of a staff message: content version 2 kind 1, message.send `corrects`. */
  async function correct(thread: string, input: CorrectionInput): Promise<void> {
    const t = acquire(thread);
    try {
      await t.s.ready;
      if (t.gone) throw new StaffError('not_found', 'the thread is no longer in your units');
      const snap = t.snapshot();
      const staffIds = (snap?.messages ?? []).filter((m) => m.from === 'staff' && m.content?.kind !== 'rights_decision').map((m) => m.id ?? '');
      const problems = correctionProblems(input, staffIds);
      if (problems.length > 0) throw new StaffError(problems[0], 'the correction is not complete');
      if (snap?.restricted === true) throw new StaffError('restricted', 'the thread is restricted');
      if (t.s.view.state === 'closed') throw new ThreadsError('thread_closed', 'the thread is closed');
      // The corrected version keeps the attachments of the message it corrects.
      const old = snap?.messages.find((m) => m.id === input.target);
      const refs = (old?.files ?? []).map((f) => t.s.view.fileRef(f.file)).filter((r): r is FileRef => r !== undefined);
      await makeWritable(t);
      await sendSealed(t, content2Encode(c, KIND_CORRECTION, input.target, input.reason.trim(), refs, input.text), 'message.send',
        { corrects: input.target });
    } finally {
      done(t);
    }
  }

  async function answer(thread: string, input: { text: string; files: PickedFile[]; asksMore: boolean },
    onProgress: (p: UploadProgress) => void): Promise<void> {
    const media = checkAll(input.text, input.files);
    const t = acquire(thread);
    const local = t.localId();
    try {
      await t.s.ready;
      if (t.gone) throw new StaffError('not_found', 'the thread is no longer in your units');
      if (t.s.view.state === 'closed') throw new ThreadsError('thread_closed', 'the thread is closed');
      t.sending.push({ local, text: input.text, files: input.files.map((f) => f.name) });
      t.emit();
      await makeWritable(t);
      input.files.forEach((f, i) => onProgress({ file: i, state: 'waiting', sent: 0, total: c.filePaddedSize(f.bytes.length) }));
      const refs: FileRef[] = [];
      for (let i = 0; i < input.files.length; i++) {
        refs.push(await uploadFile({ conn, c, clock }, thread, i, input.files[i], media[i], onProgress));
      }
      const seq = await sendAnswer(t, refs, input.text, input.asksMore);
      if (input.asksMore) t.asked.add(seq);
      t.sending = t.sending.filter((x) => x.local !== local);
      drafts.delete(thread);
      t.emit();
    } catch (e) {
      const entry = t.sending.find((x) => x.local === local);
      if (entry !== undefined) entry.failed = codeOf(e);
      if (codeOf(e) === 'not_found') t.leave();
      t.emit();
      throw e;
    } finally {
      done(t);
    }
  }

  async function addNote(thread: string, text: string): Promise<void> {
    const keys = keysOrThrow();
    if (text.trim().length === 0) throw new StaffError('bad_request', 'an empty note');
    if (new TextEncoder().encode(text).length > 16 * 1024) throw new StaffError('too_long', 'the note is too long');
    const t = acquire(thread);
    try {
      await t.s.ready;
      if (t.gone || t.s.unit === null) throw new StaffError('not_found', 'the thread is no longer in your units');
      const target = await unitKeyFetch(conn, c, cs.rootKey, ulog, { unit: t.s.unit }, now());
      const box = sealUnitText(c, UNIT_TEXT_NOTE, target, unhexId(c, thread), text, keys, now());
      await staffRequest(conn, 'note.add', { thread, note: b64(c, box) });
      await t.loadNotes();
    } finally {
      done(t);
    }
  }

  function watch(thread: string): StaffThreadWatch {
    const t = acquire(thread);
    t.watchers++;
    t.startPresence();
    const offs: (() => void)[] = [];
    let closed = false;
    return {
      snapshot: () => t.snapshot(),
      subscribe: (fn) => {
        const off = t.subscribe(fn);
        offs.push(off);
        return off;
      },
      setWriting: (w) => t.setWriting(w),
      showIdentity: () => t.showIdentity(),
      close: () => {
        if (closed) return;
        closed = true;
        for (const off of offs) off();
        if (--t.watchers === 0) {
          t.stopPresence();
          t.writing = false;
          if (!t.gone) void t.presence('left');
        }
        done(t);
      },
    };
  }

  return {
    acquire, done, sendSealed, watch, checkFile, claim, answer, addNote, correct,
    readForClaim: async (thread, reason) => {
      const r = claimReason(reason);
      if (r === null) throw new StaffError('reason', 'a reason of 1..500 characters');
      const t = acquire(thread);
      try {
        await t.readForClaim(r);
      } finally {
        done(t);
      }
    },
    close: async (thread) => {
      await conn.request('thread.close', { thread });
    },
    release: async (thread, reason) => {
      await conn.request('thread.release', { thread, ...(reason !== undefined && reason.trim() !== '' ? { reason } : {}) });
    },
    markRead: (thread, seq) => {
      conn.request('read.set', { thread, seq }).catch(() => undefined);
    },
    download: async (thread, f) => {
      const t = acquire(thread);
      try {
        await t.s.ready;
        const ref = t.s.view.fileRef(f.file);
        if (ref === undefined || Number(ref.size) !== f.size || ref.media !== f.media)
          throw new ThreadsError('not_found', 'no such attachment in the thread');
        return await downloadFile(t.conn, c, t.s.threadId, ref);
      } finally {
        done(t);
      }
    },
    draft: (thread) => drafts.get(thread) ?? '',
    setDraft: (thread, text) => {
      if (text === '') drafts.delete(thread);
      else drafts.set(thread, text);
    },
  };
}
