// notes.tsx - a thread's internal notes, marked in words and style as never shown to the
// client: each note's author and time, a copy made when the thread moved units, a note that
// cannot be read here or does not verify (a warning, never its text), and a note to add.
import { useState } from 'preact/hooks';
import type { InternalNote, StaffThreadsController } from '../../staff/contract';
import { t, type Lang } from '../../i18n';
import { formatDateTime } from '../../format';
import { ErrorSummary, InlineError, type FieldError } from '../common';
import { personText } from './parts';

function NoteItem({ lang, n }: { lang: Lang; n: InternalNote }) {
  return (
    <li class={n.refused ? 'note note-refused' : 'note'}>
      <p class="msg-head">
        <strong>{n.me ? t(lang, 'sthread.from.me') : personText(n.author, t(lang, 'sthread.from.staff'))}</strong>
        <span class="msg-time"> · {formatDateTime(n.time, lang)}</span>
      </p>
      {n.copyOf !== null && <p class="small">{t(lang, 'notes.copy')}</p>}
      {n.refused ? (
        <p class="warning">{t(lang, 'notes.refused')}</p>
      ) : n.text === null ? (
        <p class="warning">{t(lang, 'notes.unreadable')}</p>
      ) : (
        <div class="msg-text">{n.text}</div>
      )}
    </li>
  );
}

export function NotesPanel({ lang, threads, thread, notes }: { lang: Lang; threads: StaffThreadsController; thread: string; notes: InternalNote[] }) {
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const add = async () => {
    if (text.trim() === '') {
      setErrors([{ field: 'note-text', text: t(lang, 'notes.error.empty') }]);
      return;
    }
    setErrors([]);
    setBusy(true);
    setFailed(false);
    try {
      await threads.addNote(thread, text);
      setText('');
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  };
  const bad = errors.length > 0;
  return (
    <section class="notes-panel" aria-labelledby="notes-h">
      <h2 id="notes-h">{t(lang, 'notes.title')}</h2>
      <p class="internal-banner">
        <strong>{t(lang, 'notes.internal')}</strong>
      </p>
      {notes.length === 0 ? (
        <p>{t(lang, 'notes.none')}</p>
      ) : (
        <ol class="note-list">
          {notes.map((n) => (
            <NoteItem key={n.note} lang={lang} n={n} />
          ))}
        </ol>
      )}
      <ErrorSummary lang={lang} errors={errors} />
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) void add();
        }}
      >
        <div class={bad ? 'field field-bad' : 'field'}>
          <label class="label" for="note-text">
            {t(lang, 'notes.add')}
          </label>
          <p class="hint" id="note-hint">
            {t(lang, 'notes.hint')}
          </p>
          {bad && <InlineError lang={lang} id="note-error" text={errors[0].text} />}
          <textarea
            id="note-text"
            class="note-text"
            rows={3}
            value={text}
            aria-invalid={bad ? 'true' : undefined}
            aria-describedby={bad ? 'note-hint note-error' : 'note-hint'}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </div>
        {failed && (
          <p class="error" role="alert">
            {t(lang, 'notes.failed')}
          </p>
        )}
        <button type="submit" class="secondary" disabled={busy}>
          {t(lang, 'notes.save')}
        </button>
      </form>
    </section>
  );
}
