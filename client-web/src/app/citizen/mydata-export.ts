// mydata-export.ts - the citizen's export read in this browser: the thread list (thread.list,
// page by page), each thread decrypted through the threads controller's own reader (every
// message fed through the thread verifier; what does not open listed with its reason, never
// dropped), each attachment fetched and checked with the app's download, then packed
// (mydata-zip.ts). Progress per thread and per file; cancelled between any two steps. The
// server logs every thread.read and file.get as it does for the thread view.
import type { ExportProgress, ExportResult } from './mydata-contract';
import { MyDataError, type Requester } from './mydata-report';
import type { ExportKind, ExportMessage, ExportThread, packExport } from './mydata-zip';
import type { CitizenThreads } from './threads';
import type { ThreadSession } from './thread-view-session';
import { type Crypto, hex } from './threads-util';
import { safeMime } from './download';
import { downloadName } from '../views/citizen/forms';

const KINDS: Record<number, ExportKind> = { 1: 'correction', 2: 'rights_request', 3: 'rights_decision' };
const ZERO_REF = '0'.repeat(32);
const HEX_ID = /^[0-9a-f]{32}$/;

export interface ExportDeps {
  conn: Requester;
  threads: Pick<CitizenThreads, 'withThread' | 'download' | 'categories'>;
  c: Crypto;
  now: () => number;
  /** mydata-zip.ts's packExport (in the app loaded after login as its own checked bundle). */
  pack: (...args: Parameters<typeof packExport>) => Promise<ReturnType<typeof packExport>>;
}

/** Every thread id of the citizen (thread.list, following its cursor). */
async function listThreads(conn: Requester, signal: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    check(signal);
    const r = (await conn.request('thread.list', cursor === undefined ? {} : { cursor })) as { threads?: unknown; more?: unknown; cursor?: unknown };
    for (const s of Array.isArray(r.threads) ? r.threads : []) {
      const id = (s as { thread?: unknown }).thread;
      if (typeof id === 'string' && HEX_ID.test(id) && !out.includes(id)) out.push(id);
    }
    if (r.more !== true || typeof r.cursor !== 'string') break;
    cursor = r.cursor;
  }
  return out;
}

function check(signal: AbortSignal): void {
  if (signal.aborted) throw new MyDataError('cancelled', 'the export was cancelled');
}

const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const time = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);

/** The thread as its session has it decrypted (files not yet fetched). */
function readThread(s: ThreadSession, names: Map<string, string>, c: Crypto): ExportThread {
  const snap = s.view.snapshot();
  const sum = s.summary;
  const assignee = typeof sum.assignee === 'string' ? sum.assignee : null;
  const an = sum.assignee_name as { name?: unknown; title?: unknown } | null | undefined;
  const assigneeName = an && typeof an.name === 'string' ? (typeof an.title === 'string' && an.title ? `${an.name}, ${an.title}` : an.name) : null;
  const senders = new Map(s.view.senders.map((x) => [x.seq, x.sender]));
  const messages: ExportMessage[] = snap.messages.map((m) => {
    const sender = senders.get(m.seq) ?? null;
    const kind = m.v2 === undefined ? 'message' : KINDS[m.v2.kind];
    return {
      seq: m.seq, id: m.id ?? null, time: m.time, role: m.mine ? 'citizen' : 'staff',
      name: m.mine ? null : sender !== null && sender === assignee ? assigneeName : null,
      kind, text: m.text, note: m.v2 !== undefined && m.v2.note !== '' ? m.v2.note : null,
      ref: m.v2 !== undefined && m.v2.ref !== ZERO_REF ? m.v2.ref : null, mark: m.mark,
      files: m.files.map((f, i) => ({
        file: f.file, name: downloadName(`message-${m.seq}-attachment`, i, f.media), size: f.size, media: f.media,
        mime: safeMime(c, f.media), bytes: null, error: null,
      })),
    };
  });
  return {
    thread: s.thread, category: snap.category, categoryName: names.get(snap.category) ?? null, state: snap.state,
    created: time(sum.created), handedOver: bool(sum.handed_over), restricted: bool(sum.restricted),
    retentionUntil: time(sum.retention_until), complete: snap.complete, locked: snap.locked, messages,
    unreadable: snap.unreadable.map((u) => ({ seq: u.seq, time: u.time, reason: u.reason })),
  };
}

const todayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The export (see the file's comment). */
export async function exportAll(d: ExportDeps, onProgress: (p: ExportProgress) => void, signal: AbortSignal): Promise<ExportResult> {
  const ids = await listThreads(d.conn, signal);
  const names = new Map<string, string>();
  try {
    for (const cat of await d.threads.categories()) names.set(cat.category, cat.name);
  } catch {
    // the topics' names are a convenience: the ids stay
  }
  const threads: ExportThread[] = [];
  let files = 0, failedFiles = 0;
  const progress = (phase: ExportProgress['phase']) => onProgress({ phase, done: threads.length, total: ids.length, files });
  progress('threads');
  for (const id of ids) {
    check(signal);
    // The attachments are fetched while the thread's session is held, so it is read once.
    const t = await d.threads.withThread(id, async (s) => {
      const t = readThread(s, names, d.c);
      for (const m of t.messages) {
        for (const f of m.files) {
          check(signal);
          try {
            const blob = await d.threads.download(id, { file: f.file, size: f.size, media: f.media });
            f.bytes = new Uint8Array(await blob.arrayBuffer());
            files++;
          } catch (e) {
            f.error = (e as { code?: string }).code ?? 'damaged';
            failedFiles++;
          }
          progress('threads');
        }
      }
      return t;
    }).catch((e: unknown) => {
      if (e instanceof MyDataError) throw e;
      return null;
    });
    threads.push(t ?? {
      thread: id, category: '', categoryName: null, state: 'unknown', created: null, handedOver: null, restricted: null,
      retentionUntil: null, complete: false, locked: true, messages: [], unreadable: [],
    });
    progress('threads');
  }
  check(signal);
  progress('packing');
  const at = d.now();
  const { zip } = await d.pack(threads, at, (b) => d.c.hash(b), (b) => hex(d.c, b));
  progress('done');
  return {
    blob: new Blob([zip.buffer as ArrayBuffer], { type: 'application/zip' }),
    name: `advice-export-${todayOf(at)}.zip`,
    threads: threads.length,
    messages: threads.reduce((n, t) => n + t.messages.length, 0),
    files,
    unreadable: threads.reduce((n, t) => n + t.unreadable.length, 0),
    failedFiles,
  };
}
