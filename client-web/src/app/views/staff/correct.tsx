// correct.tsx - corrections in the thread: the assignee's form (pick a staff message, the
// corrected text, the reason; the error summary pattern) and the corrected pair as the log
// shows it: the wrong entry struck through under a visible "Corrected" label (never the line
// alone), and beside it each corrected version with its corrector, date and reason; a
// correction the server links to another message than its signature says is flagged.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { StaffMessage, StaffThreadSnapshot, StaffThreadsController } from '../../staff/contract';
import { t, type Lang } from '../../i18n';
import { formatDateTime } from '../../format';
import { ErrorSummary, InlineError, type FieldError } from '../common';
import { errorCode } from './rules';
import { senderText } from './thread-messages';

/** One corrected version of a message: the text, who corrected it, when and why. */
export function CorrectionVersion({ lang, m }: { lang: Lang; m: StaffMessage }) {
  const c = m.content?.kind === 'correction' ? m.content : null;
  return (
    <div class="correction">
      <p class="correction-label">
        <strong>{t(lang, 'staff.correct.newVersion')}</strong>
      </p>
      <div class="msg-text">{m.text}</div>
      <p class="small">{t(lang, 'staff.correct.by', { who: senderText(lang, m), when: formatDateTime(m.time, lang) })}</p>
      {c && <p class="small correction-reason">{t(lang, 'staff.correct.reasonShown', { reason: c.reason })}</p>}
      {c?.mismatch && <p class="warning">{t(lang, 'staff.correct.mismatch')}</p>}
    </div>
  );
}

/** The wrong entry, struck through and labelled, for a message that has corrections. */
export function CorrectedText({ lang, m }: { lang: Lang; m: StaffMessage }) {
  return (
    <>
      <p class="corrected-label">
        <strong class="corrected-badge">{t(lang, 'staff.correct.corrected')}</strong> {t(lang, 'staff.correct.wrong')}
      </p>
      <del class="msg-text corrected-text">{m.text}</del>
    </>
  );
}

function preview(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? one.slice(0, 79) + '…' : one;
}

export function CorrectForm(props: { lang: Lang; threads: StaffThreadsController; snap: StaffThreadSnapshot; onDone(): void; onCancel(): void }) {
  const { lang, threads, snap } = props;
  const staff = snap.messages.filter((m) => m.from === 'staff' && m.id !== undefined && m.content?.kind !== 'rights_decision');
  const [target, setTarget] = useState('');
  const [text, setText] = useState('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failed, setFailed] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const head = useRef<HTMLHeadingElement>(null);
  useEffect(() => head.current?.focus(), []);
  const pick = (id: string) => {
    setTarget(id);
    if (text === '') setText(staff.find((m) => m.id === id)?.text ?? '');
  };
  const submit = async () => {
    const errs: FieldError[] = [];
    if (target === '') errs.push({ field: 'correct-target-0', text: t(lang, 'staff.correct.error.target') });
    if (text.trim() === '') errs.push({ field: 'correct-text', text: t(lang, 'staff.correct.error.text') });
    if (reason.trim() === '') errs.push({ field: 'correct-reason', text: t(lang, 'staff.correct.error.reason') });
    setErrors(errs);
    if (errs.length > 0) return;
    setBusy(true);
    setFailed(null);
    try {
      await threads.correct!(snap.thread, { target, text, reason });
      props.onDone();
    } catch (e) {
      setFailed(t(lang, errorCode(e) === 'restricted' ? 'staff.restrict.writeRefused' : 'staff.correct.failed'));
      setBusy(false);
    }
  };
  const errOf = (f: string) => errors.find((e) => e.field === f)?.text ?? null;
  const targetErr = errOf('correct-target-0'), textErr = errOf('correct-text'), reasonErr = errOf('correct-reason');
  return (
    <section class="confirm correct-form" aria-labelledby="correct-h">
      <h2 id="correct-h" tabIndex={-1} ref={head}>
        {t(lang, 'staff.correct.title')}
      </h2>
      <p>{t(lang, 'staff.correct.lead')}</p>
      <ErrorSummary lang={lang} errors={errors} />
      {staff.length === 0 ? (
        <p class="notice">{t(lang, 'staff.correct.none')}</p>
      ) : (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (!busy) void submit();
          }}
        >
          <fieldset class={targetErr ? 'field field-bad' : 'field'} aria-describedby={targetErr ? 'correct-target-error' : undefined}>
            <legend class="label">{t(lang, 'staff.correct.pick')}</legend>
            {targetErr && <InlineError lang={lang} id="correct-target-error" text={targetErr} />}
            {staff.map((m, i) => (
              <div class="radio" key={m.id}>
                <input type="radio" id={`correct-target-${i}`} name="correct-target" checked={target === m.id} onChange={() => pick(m.id as string)} />
                <label for={`correct-target-${i}`}>
                  {t(lang, 'staff.correct.option', { who: senderText(lang, m), when: formatDateTime(m.time, lang), text: preview(m.text) })}
                </label>
              </div>
            ))}
          </fieldset>
          <div class={textErr ? 'field field-bad' : 'field'}>
            <label class="label" for="correct-text">
              {t(lang, 'staff.correct.text')}
            </label>
            {textErr && <InlineError lang={lang} id="correct-text-error" text={textErr} />}
            <textarea id="correct-text" value={text} aria-invalid={textErr ? 'true' : undefined} aria-describedby={textErr ? 'correct-text-error' : undefined}
              onInput={(e) => setText(e.currentTarget.value)} />
          </div>
          <div class={reasonErr ? 'field field-bad' : 'field'}>
            <label class="label" for="correct-reason">
              {t(lang, 'staff.correct.reason')}
            </label>
            <p class="hint" id="correct-reason-hint">
              {t(lang, 'staff.correct.reasonHint')}
            </p>
            {reasonErr && <InlineError lang={lang} id="correct-reason-error" text={reasonErr} />}
            <textarea id="correct-reason" class="short" rows={2} value={reason} aria-invalid={reasonErr ? 'true' : undefined}
              aria-describedby={reasonErr ? 'correct-reason-hint correct-reason-error' : 'correct-reason-hint'} onInput={(e) => setReason(e.currentTarget.value)} />
          </div>
          {failed && (
            <p class="error" role="alert">
              {failed}
            </p>
          )}
          <div class="actions">
            <button type="submit" id="correct-send" disabled={busy}>
              {t(lang, busy ? 'staff.correct.busy' : 'staff.correct.submit')}
            </button>
            <button type="button" class="secondary" onClick={props.onCancel}>
              {t(lang, 'staff.cancel')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
