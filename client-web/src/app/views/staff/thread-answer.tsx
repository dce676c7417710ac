// thread-answer.tsx - the worker's answer: the text (the draft kept in memory by the threads
// controller, the others told "is writing" while it is not empty), a canned answer of the unit
// inserted at the cursor (the chosen language first), attachments checked before sending,
// "Ask for more information" explained, and a warning dialog before sending while someone else
// is writing.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CannedAnswer, CannedController, StaffThreadsController, StaffThreadWatch, UploadProgress, Viewer } from '../../staff/contract';
import { LANG_NAMES, LANGS, t, type Lang } from '../../i18n';
import { ErrorSummary, InlineError, type FieldError } from '../common';
import { FilePicker, usePickedFiles } from '../citizen/files';
import { MAX_TEXT_CHARS, textProblem } from '../citizen/forms';
import { Modal } from './parts';
import { errorCode, insertAt, orderCanned } from './rules';
import { useLoaded } from './use';

function CannedPicker(props: { lang: Lang; canned: CannedController; unit: string; onInsert(text: string): void }) {
  const { lang, canned, unit, onInsert } = props;
  const [list] = useLoaded(() => canned.list(unit), [canned, unit]);
  const [want, setWant] = useState<Lang | 'all'>(lang);
  const [chosen, setChosen] = useState('');
  if (list.kind !== 'ok' || list.value.length === 0) return null;
  const shown = orderCanned(list.value.filter((a) => want === 'all' || a.lang === want), lang);
  const pick: CannedAnswer | undefined = shown.find((a) => a.answer === chosen) ?? shown[0];
  return (
    <div class="canned-picker" role="group" aria-labelledby="canned-pick-h">
      <p class="label" id="canned-pick-h">
        {t(lang, 'canned.pick')}
      </p>
      <div class="canned-row">
        <div class="field">
          <label for="canned-lang">{t(lang, 'canned.language')}</label>
          <select id="canned-lang" value={want} onChange={(e) => setWant(e.currentTarget.value as Lang | 'all')}>
            {LANGS.map((l) => (
              <option key={l} value={l}>
                {LANG_NAMES[l]}
              </option>
            ))}
            <option value="all">{t(lang, 'canned.allLanguages')}</option>
          </select>
        </div>
        <div class="field">
          <label for="canned-answer">{t(lang, 'canned.answer')}</label>
          <select id="canned-answer" value={pick?.answer ?? ''} onChange={(e) => setChosen(e.currentTarget.value)} disabled={shown.length === 0}>
            {shown.length === 0 && <option value="">{t(lang, 'canned.noneInLanguage')}</option>}
            {shown.map((a) => (
              <option key={a.answer} value={a.answer}>
                {a.title} ({a.lang})
              </option>
            ))}
          </select>
        </div>
        <button type="button" class="secondary" disabled={!pick} onClick={() => pick && onInsert(pick.text)}>
          {t(lang, 'canned.insert')}
        </button>
      </div>
    </div>
  );
}

export function AnswerForm(props: {
  lang: Lang;
  threads: StaffThreadsController;
  canned: CannedController;
  watch: StaffThreadWatch;
  thread: string;
  unit: string;
  writers: Viewer[];
}) {
  const { lang, threads, canned, watch, thread, unit, writers } = props;
  const [text, setText] = useState(() => threads.draft(thread));
  const [asksMore, setAsksMore] = useState(false);
  const files = usePickedFiles(threads);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const [sending, setSending] = useState(false);
  const [failed, setFailed] = useState<boolean | 'restricted'>(false);
  const [warn, setWarn] = useState(false);
  const [sent, setSent] = useState(false);
  const [progress, setProgress] = useState(new Map<number, UploadProgress>());
  const area = useRef<HTMLTextAreaElement>(null);
  const writing = useRef(false);
  const p = textProblem(text);
  const textError = p === 'empty' ? t(lang, 'sthread.error.empty') : p === 'too_long' ? t(lang, 'sthread.error.long', { max: String(MAX_TEXT_CHARS) }) : null;

  const change = (next: string) => {
    setText(next);
    setSent(false);
    threads.setDraft(thread, next);
    const now = next.trim() !== '';
    if (now !== writing.current) {
      writing.current = now;
      watch.setWriting(now);
    }
  };
  useEffect(() => () => void (writing.current && watch.setWriting(false)), [watch]);

  const insert = (canned: string) => {
    const el = area.current;
    const r = insertAt(text, el?.selectionStart ?? text.length, el?.selectionEnd ?? text.length, canned);
    change(r.text);
    requestAnimationFrame(() => {
      if (!el) return;
      el.focus();
      el.setSelectionRange(r.cursor, r.cursor);
    });
  };

  const send = async (force: boolean) => {
    setSubmitted(true);
    const list: FieldError[] = [];
    if (textError) list.push({ field: 'answer-text', text: textError });
    list.push(...files.errors(lang, 'answer-files'));
    setErrors(list);
    if (list.length > 0) return;
    if (!force && writers.length > 0) {
      setWarn(true);
      return;
    }
    setWarn(false);
    setSending(true);
    setFailed(false);
    setProgress(new Map());
    try {
      await threads.answer(thread, { text, files: files.sendable(), asksMore }, (u) => setProgress((old) => new Map(old).set(u.file, u)));
      change('');
      files.clear();
      setAsksMore(false);
      setSubmitted(false);
      setSent(true);
      setProgress(new Map());
    } catch (e) {
      setFailed(errorCode(e) === 'restricted' ? 'restricted' : true);
    } finally {
      setSending(false);
    }
  };
  const bad = submitted && textError !== null;
  return (
    <section class="answer" aria-labelledby="answer-h">
      <h2 id="answer-h">{t(lang, 'sthread.answer')}</h2>
      <ErrorSummary lang={lang} errors={errors} />
      <CannedPicker lang={lang} canned={canned} unit={unit} onInsert={insert} />
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!sending) void send(false);
        }}
      >
        <div class={bad ? 'field field-bad' : 'field'}>
          <label class="label" for="answer-text">
            {t(lang, 'sthread.answerText')}
          </label>
          <p class="hint" id="answer-hint">
            {t(lang, 'sthread.answerHint')}
          </p>
          {bad && <InlineError lang={lang} id="answer-error" text={textError!} />}
          <textarea
            id="answer-text"
            ref={area}
            value={text}
            aria-invalid={bad ? 'true' : undefined}
            aria-describedby={bad ? 'answer-hint answer-error' : 'answer-hint'}
            onInput={(e) => change(e.currentTarget.value)}
          />
        </div>
        <FilePicker lang={lang} id="answer-files" files={files} progress={progress} busy={sending} />
        <div class="checkbox asks-more-field">
          <input type="checkbox" id="answer-asks" checked={asksMore} onChange={(e) => setAsksMore(e.currentTarget.checked)} aria-describedby="answer-asks-hint" />
          <div>
            <label for="answer-asks">{t(lang, 'sthread.asksMore')}</label>
            <p class="hint" id="answer-asks-hint">
              {t(lang, 'sthread.asksMoreHint')}
            </p>
          </div>
        </div>
        {failed && (
          <p class="error" role="alert">
            {t(lang, failed === 'restricted' ? 'staff.restrict.writeRefused' : 'sthread.answerFailed')}
          </p>
        )}
        {sent && (
          <p class="success" role="status">
            {t(lang, 'sthread.answerSent')}
          </p>
        )}
        <div class="actions">
          <button type="submit" id="answer-send" disabled={sending}>
            {t(lang, sending ? 'sthread.sending' : 'sthread.send')}
          </button>
        </div>
      </form>
      {warn && (
        <Modal id="send-warn" title={t(lang, 'sthread.collision.sendH')} onCancel={() => setWarn(false)}>
          <p>{t(lang, 'sthread.collision.send', { names: writers.map((w) => w.name?.name ?? t(lang, 'sthread.colleague')).join(', ') })}</p>
          <div class="actions">
            <button type="button" class="secondary" data-autofocus onClick={() => setWarn(false)}>
              {t(lang, 'sthread.collision.wait')}
            </button>
            <button type="button" onClick={() => void send(true)}>
              {t(lang, 'sthread.collision.sendAnyway')}
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}
