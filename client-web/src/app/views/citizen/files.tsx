// files.tsx - attachments of a new question or a reply: picked with the file picker or dropped
// on a labelled drop zone, each checked by its content before any upload (checkFile: type,
// size, emptiness; the count here), problems shown inline under the file, JPEG and PNG shown
// as previews (object URLs, revoked when the file goes), and each file's upload progress as a
// labelled <progress>.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { FileCheck, PickedFile, ThreadsController, UploadProgress } from '../../citizen/contract';
import { t, type Lang } from '../../i18n';
import { formatSize } from '../../format';
import { InlineError, type FieldError } from '../common';
import { FILE_PROBLEM_TEXT, MAX_FILES, MAX_READ_BYTES, mediaKind, previewType } from './forms';

export interface PickedEntry {
  key: number;
  name: string;
  size: number;
  bytes: Uint8Array | null;
  check: FileCheck;
  preview: string | null;
}

export interface PickedFiles {
  entries: PickedEntry[];
  add(files: File[]): Promise<void>;
  remove(key: number): void;
  clear(): void;
  /** The files that may be sent, in order (UploadProgress.file indexes these). */
  sendable(): PickedFile[];
  /** The files' problems for the error summary, linked to the picker `inputId`. */
  errors(lang: Lang, inputId: string): FieldError[];
}

let nextKey = 1;

function problemText(lang: Lang, e: PickedEntry): string {
  return t(lang, FILE_PROBLEM_TEXT[e.check.problem ?? 'type'], { name: e.name, max: String(MAX_FILES) });
}

/** The picked files of one form and their checks. */
export function usePickedFiles(threads: Pick<ThreadsController, 'checkFile'>): PickedFiles {
  const [entries, setEntries] = useState<PickedEntry[]>([]);
  const live = useRef<PickedEntry[]>([]);
  live.current = entries;
  useEffect(() => () => live.current.forEach((e) => e.preview && URL.revokeObjectURL(e.preview)), []);

  const checked = async (f: File, count: number): Promise<PickedEntry> => {
    const base = { key: nextKey++, name: f.name, size: f.size, bytes: null, preview: null };
    if (count >= MAX_FILES) return { ...base, check: { ok: false, problem: 'too_many', image: false } };
    if (f.size > MAX_READ_BYTES) return { ...base, check: { ok: false, problem: 'too_large', image: false } };
    const bytes = new Uint8Array(await f.arrayBuffer());
    const check = threads.checkFile({ name: f.name, bytes });
    const type = check.ok && check.image ? previewType(check.media) : null;
    const preview = type === null ? null : URL.createObjectURL(new Blob([bytes], { type }));
    return { ...base, bytes, check, preview };
  };

  return {
    entries,
    async add(files) {
      let count = live.current.filter((e) => e.check.ok).length;
      const added: PickedEntry[] = [];
      for (const f of files) {
        const e = await checked(f, count);
        if (e.check.ok) count++;
        added.push(e);
      }
      setEntries((old) => [...old, ...added]);
    },
    remove(key) {
      const e = live.current.find((x) => x.key === key);
      if (e?.preview) URL.revokeObjectURL(e.preview);
      setEntries((old) => old.filter((x) => x.key !== key));
    },
    clear() {
      live.current.forEach((e) => e.preview && URL.revokeObjectURL(e.preview));
      setEntries([]);
    },
    sendable: () => live.current.filter((e) => e.check.ok && e.bytes !== null).map((e) => ({ name: e.name, bytes: e.bytes! })),
    errors: (lang, inputId) => live.current.filter((e) => !e.check.ok).map((e) => ({ field: inputId, text: problemText(lang, e) })),
  };
}

const PROGRESS_TEXT = {
  waiting: 'files.progress.waiting',
  encrypting: 'files.progress.encrypting',
  uploading: 'files.progress.uploading',
  done: 'files.progress.done',
  failed: 'files.progress.failed',
} as const;

function Progress({ lang, id, name, p }: { lang: Lang; id: string; name: string; p: UploadProgress }) {
  const percent = p.total > 0 ? Math.floor((p.sent / p.total) * 100) : 0;
  return (
    <div class={p.state === 'failed' ? 'upload upload-failed' : 'upload'}>
      <label for={id}>{t(lang, PROGRESS_TEXT[p.state], { name, percent: String(percent) })}</label>
      <progress id={id} max={p.total > 0 ? p.total : 1} value={p.state === 'done' ? Math.max(1, p.total) : p.sent} />
    </div>
  );
}

/**
 * The picker: a labelled drop zone holding the file button (a real <input type="file">, so
 * the keyboard and screen readers use it as such), the picked files with their previews,
 * sizes, kinds, problems, progress and a remove button each.
 */
export function FilePicker(props: {
  lang: Lang;
  id: string;
  files: PickedFiles;
  /** Progress of the files being sent, by their index among sendable(). */
  progress: Map<number, UploadProgress>;
  busy: boolean;
}) {
  const { lang, id, files, progress, busy } = props;
  const [dragging, setDragging] = useState(false);
  let sendIndex = 0;
  return (
    <div class="files" role="group" aria-labelledby={`${id}-label`}>
      <p class="label" id={`${id}-label`}>
        {t(lang, 'files.label')}
      </p>
      <p class="hint" id={`${id}-hint`}>
        {t(lang, 'files.hint', { max: String(MAX_FILES) })}
      </p>
      <div
        class={dragging ? 'dropzone dragging' : 'dropzone'}
        onDragOver={(e) => {
          e.preventDefault();
          if (!busy) setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          if (!busy && e.dataTransfer) void files.add([...e.dataTransfer.files]);
        }}
      >
        <input
          type="file"
          id={id}
          class="file-input"
          multiple
          disabled={busy}
          aria-describedby={`${id}-hint`}
          onChange={(e) => {
            const input = e.currentTarget;
            void files.add([...(input.files ?? [])]);
            input.value = '';
          }}
        />
        <label for={id} class="file-button">
          {t(lang, 'files.choose')}
        </label>
        <p class="drop-text">{t(lang, 'files.drop')}</p>
      </div>
      {files.entries.length > 0 && (
        <ul class="file-list" aria-label={t(lang, 'files.listLabel')}>
          {files.entries.map((e) => {
            const p = e.check.ok ? progress.get(sendIndex++) : undefined;
            return (
              <li key={e.key} class={e.check.ok ? 'file' : 'file file-bad'}>
                {e.preview !== null && <img class="thumb" src={e.preview} alt={t(lang, 'files.previewAlt', { name: e.name })} />}
                <div class="file-body">
                  <p class="file-name">{e.name}</p>
                  <p class="small">
                    {formatSize(e.size, lang)}
                    {e.check.ok && e.check.media !== undefined && ` · ${t(lang, mediaKind(e.check.media))}`}
                  </p>
                  {!e.check.ok && <InlineError lang={lang} id={`${id}-err-${e.key}`} text={problemText(lang, e)} />}
                  {p !== undefined && <Progress lang={lang} id={`${id}-progress-${e.key}`} name={e.name} p={p} />}
                  {!busy && (
                    <button type="button" class="link" onClick={() => files.remove(e.key)}>
                      {t(lang, 'files.remove')}
                      <span class="visually-hidden"> {e.name}</span>
                    </button>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
