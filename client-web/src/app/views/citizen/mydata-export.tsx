// mydata-export.tsx - the export on the "Your data" page (GDPR 15, 20): what the zip holds,
// a button that reads and decrypts every question and attachment in this browser with a
// labelled progress bar and a Cancel button, then what was exported (questions, messages,
// attachments; messages and attachments that could not be opened are counted and listed in
// the zip) and a download link to the zip (an object URL, revoked when the view goes).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ExportProgress, ExportResult, MyDataController } from '../../citizen/mydata-contract';
import { helsinkiDay } from '../../citizen/mydata-period';
import { t, type Lang } from '../../i18n';
import { formatSize } from '../../format';

type State =
  | { kind: 'idle' }
  | { kind: 'running'; progress: ExportProgress }
  | { kind: 'done'; result: ExportResult; url: string }
  | { kind: 'cancelled' }
  | { kind: 'failed' };

export function ExportSection({ lang, mydata }: { lang: Lang; mydata: MyDataController }) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const abort = useRef<AbortController | null>(null);
  const status = useRef<HTMLDivElement>(null);
  const url = state.kind === 'done' ? state.url : null;
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  useEffect(() => () => abort.current?.abort(), []);

  const start = async () => {
    const ctl = new AbortController();
    abort.current = ctl;
    setState({ kind: 'running', progress: { phase: 'threads', done: 0, total: 0, files: 0 } });
    try {
      const result = await mydata.exportAll((progress) => {
        if (!ctl.signal.aborted) setState({ kind: 'running', progress });
      }, ctl.signal);
      setState({ kind: 'done', result, url: URL.createObjectURL(result.blob) });
    } catch (e) {
      setState({ kind: (e as { code?: string }).code === 'cancelled' ? 'cancelled' : 'failed' });
    } finally {
      abort.current = null;
      setTimeout(() => status.current?.focus(), 0);
    }
  };

  const fileName = `${t(lang, 'mydata.export.fileBase')}-${helsinkiDay(Date.now())}.zip`;
  return (
    <section class="mydata-section no-print" aria-labelledby="export-h">
      <h2 id="export-h" tabIndex={-1}>{t(lang, 'mydata.export.title')}</h2>
      <p>{t(lang, 'mydata.export.intro')}</p>
      <ul>
        <li>{t(lang, 'mydata.export.holds1')}</li>
        <li>{t(lang, 'mydata.export.holds2')}</li>
        <li>{t(lang, 'mydata.export.holds3')}</li>
      </ul>
      <p class="hint">{t(lang, 'mydata.export.logged')}</p>
      {state.kind === 'running' ? (
        <div class="export-progress">
          <label for="export-progress">
            {state.progress.phase === 'packing'
              ? t(lang, 'mydata.export.packing')
              : t(lang, 'mydata.export.reading', {
                  done: String(state.progress.done),
                  total: String(state.progress.total),
                  files: String(state.progress.files),
                })}
          </label>
          <progress id="export-progress" max={Math.max(1, state.progress.total)} value={state.progress.done} />
          <div class="actions">
            <button type="button" class="secondary" onClick={() => abort.current?.abort()}>
              {t(lang, 'mydata.export.cancel')}
            </button>
          </div>
        </div>
      ) : (
        <div class="actions">
          <button type="button" onClick={() => void start()}>
            {t(lang, state.kind === 'idle' ? 'mydata.export.start' : 'mydata.export.again')}
          </button>
        </div>
      )}
      <div ref={status} tabIndex={-1} role="status" class="export-status">
        {state.kind === 'cancelled' && <p class="notice">{t(lang, 'mydata.export.cancelled')}</p>}
        {state.kind === 'failed' && <p class="error">{t(lang, 'mydata.export.failed')}</p>}
        {state.kind === 'done' && (
          <div class="success export-done">
            <p>
              {t(lang, 'mydata.export.done', {
                threads: String(state.result.threads),
                messages: String(state.result.messages),
                files: String(state.result.files),
              })}
            </p>
            {state.result.unreadable > 0 && <p>{t(lang, 'mydata.export.unreadable', { n: String(state.result.unreadable) })}</p>}
            {state.result.failedFiles > 0 && <p>{t(lang, 'mydata.export.failedFiles', { n: String(state.result.failedFiles) })}</p>}
            <p>
              <a class="download-link" href={state.url} download={fileName}>
                {t(lang, 'mydata.export.download', { size: formatSize(state.result.blob.size, lang) })}
              </a>
            </p>
          </div>
        )}
      </div>
    </section>
  );
}
