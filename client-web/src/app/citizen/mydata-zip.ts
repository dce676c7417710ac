// mydata-zip.ts - the citizen's export as a zip (GDPR 15, 20): one folder per thread holding
// thread.json (the thread's facts, every message with its time, the sender's role and name,
// the text, corrections and files, and the messages that could not be opened, with the reason)
// and the attachments under safe names; manifest.json at the top lists every file with its size
// and BLAKE2b-256 hash, the export time and the format version. Pure: the decrypted threads come
// from mydata-export.ts.
import { zipSync, type Zippable } from 'fflate';

export const EXPORT_FORMAT = 'advice-export';
export const EXPORT_VERSION = 1;

export type ExportKind = 'message' | 'correction' | 'rights_request' | 'rights_decision';

export interface ExportFile {
  /** The file id (hex). */
  file: string;
  /** The name the app gives it (the real name is never sent): sanitised again here. */
  name: string;
  size: number;
  /** The media code of the signed reference (the crypto module's MEDIA_NAMES). */
  media: number;
  mime: string;
  /** The decrypted bytes, or null when the file could not be fetched or opened. */
  bytes: Uint8Array | null;
  error: string | null;
}

export interface ExportMessage {
  seq: number;
  id: string | null;
  time: number;
  role: 'citizen' | 'staff';
  /** The staff member's name as the unit lets the citizen see it; null when not known. */
  name: string | null;
  kind: ExportKind;
  text: string;
  /** A correction's or decision's reason. */
  note: string | null;
  /** The message a correction corrects, a request asks about or a decision answers. */
  ref: string | null;
  mark: string;
  files: ExportFile[];
}

export interface ExportThread {
  thread: string;
  category: string;
  categoryName: string | null;
  state: string;
  created: number | null;
  handedOver: boolean | null;
  restricted: boolean | null;
  retentionUntil: number | null;
  complete: boolean;
  locked: boolean;
  messages: ExportMessage[];
  unreadable: { seq: number; time: number; reason: string }[];
}

export interface Packed {
  zip: Uint8Array;
  /** Path -> bytes of every file in the zip (manifest.json included). */
  entries: Map<string, Uint8Array>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A file or folder name safe on every system: letters, digits, '.', '-', '_'; no leading dot; at most 80. */
export function safeName(name: string): string {
  let s = name.normalize('NFC').replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+/, '');
  if (s.length > 80) {
    const dot = s.lastIndexOf('.');
    const ext = dot > 0 && s.length - dot <= 10 ? s.slice(dot) : '';
    s = s.slice(0, 80 - ext.length) + ext;
  }
  return s === '' ? 'file' : s;
}

/** `name` made unique among `used` ("a.pdf", "a-2.pdf"); adds it to `used`. */
function unique(used: Set<string>, name: string): string {
  let n = name, i = 2;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  while (used.has(n.toLowerCase())) n = `${stem}-${i++}${ext}`;
  used.add(n.toLowerCase());
  return n;
}

const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o, null, 2) + '\n');

/** One thread's folder name: its number, the day it was opened and its topic. */
function folderName(i: number, t: ExportThread): string {
  const day = t.created === null ? 'unknown' : new Date(t.created).toISOString().slice(0, 10);
  return safeName(`${String(i + 1).padStart(2, '0')}-${day}-${t.category}-${t.thread.slice(0, 8)}`);
}

function threadJson(t: ExportThread, filePaths: Map<ExportFile, string>): unknown {
  const correctedBy = new Map<string, string[]>();
  for (const m of t.messages) {
    if (m.kind === 'correction' && m.ref !== null && m.id !== null) correctedBy.set(m.ref, [...(correctedBy.get(m.ref) ?? []), m.id]);
  }
  return {
    format: `${EXPORT_FORMAT}-thread`,
    version: EXPORT_VERSION,
    thread: t.thread,
    category: t.category,
    category_name: t.categoryName,
    state: t.state,
    created: iso(t.created),
    handed_over: t.handedOver,
    restricted: t.restricted,
    retention_until: iso(t.retentionUntil),
    complete: t.complete,
    locked: t.locked,
    messages: t.messages.map((m) => ({
      seq: m.seq,
      id: m.id,
      time: iso(m.time),
      sender: { role: m.role, name: m.name },
      kind: m.kind,
      text: m.text,
      ...(m.kind === 'correction' ? { corrects: m.ref, reason: m.note } : {}),
      ...(m.kind === 'rights_request' ? { about_message: m.ref } : {}),
      ...(m.kind === 'rights_decision' ? { decides: m.ref, reason: m.note } : {}),
      ...(m.id !== null && correctedBy.has(m.id) ? { corrected_by: correctedBy.get(m.id) } : {}),
      ...(m.mark !== 'ok' ? { order: m.mark } : {}),
      files: m.files.map((f) => ({
        file: f.file, name: f.name, size: f.size, type: f.mime,
        ...(f.bytes !== null ? { path: filePaths.get(f) } : { unreadable: f.error ?? 'damaged' }),
      })),
    })),
    unreadable: t.unreadable.map((u) => ({ seq: u.seq, time: iso(u.time), reason: u.reason })),
  };
}

/**
 * The zip of `threads` exported at `at` (ms): threads/<folder>/thread.json and
 * threads/<folder>/files/<name>, then manifest.json. `hash` is BLAKE2b-256, `hex` its text.
 */
export function packExport(threads: ExportThread[], at: number, hash: (b: Uint8Array) => Uint8Array,
  hex: (b: Uint8Array) => string): Packed {
  const entries = new Map<string, Uint8Array>();
  const folders = new Set<string>();
  threads.forEach((t, i) => {
    const dir = `threads/${unique(folders, folderName(i, t))}`;
    const names = new Set<string>(), paths = new Map<ExportFile, string>();
    for (const m of t.messages) {
      for (const f of m.files) {
        if (f.bytes === null) continue;
        const path = `${dir}/files/${unique(names, safeName(f.name))}`;
        paths.set(f, path.slice(dir.length + 1));
        entries.set(path, f.bytes);
      }
    }
    entries.set(`${dir}/thread.json`, enc(threadJson(t, paths)));
  });
  const manifest = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exported_at: iso(at),
    hash: 'blake2b-256',
    threads: threads.length,
    files: [...entries].map(([path, bytes]) => ({ path, size: bytes.length, blake2b_256: hex(hash(bytes)) })),
  };
  entries.set('manifest.json', enc(manifest));
  const zippable: Zippable = {};
  for (const [path, bytes] of entries) zippable[path] = [bytes, { level: path.endsWith('.json') ? 6 : 0 }];
  return { zip: zipSync(zippable, { mtime: new Date(at) }), entries };
}
