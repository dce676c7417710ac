// restrict.tsx - a restricted thread (GDPR 18) as staff see it: a banner saying it is frozen
// (no answer box, no changes) and "Read for a legal claim", a dialog that asks the reason
// (1..500 characters, the error summary pattern) before anything is read; once read, the
// reason stays in view.
import { useState } from 'preact/hooks';
import type { StaffThreadSnapshot, StaffThreadsController } from '../../staff/contract';
import { t, type Lang } from '../../i18n';
import { ErrorSummary, InlineError, type FieldError } from '../common';
import { Modal } from './parts';
import { errorCode } from './rules';

function ClaimDialog(props: { lang: Lang; threads: StaffThreadsController; thread: string; onDone(): void; onCancel(): void }) {
  const { lang, threads, thread } = props;
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failed, setFailed] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const r = reason.trim();
    if (r.length === 0 || r.length > 500) {
      setErrors([{ field: 'claim-reason', text: t(lang, 'staff.restrict.error.reason') }]);
      return;
    }
    setErrors([]);
    setBusy(true);
    setFailed(false);
    try {
      await threads.readForClaim!(thread, r);
      props.onDone();
    } catch (e) {
      if (errorCode(e) === 'reason') setErrors([{ field: 'claim-reason', text: t(lang, 'staff.restrict.error.reason') }]);
      else setFailed(true);
      setBusy(false);
    }
  };
  const bad = errors.length > 0;
  return (
    <Modal id="claim" title={t(lang, 'staff.restrict.read')} onCancel={props.onCancel}>
      <ErrorSummary lang={lang} errors={errors} />
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) void submit();
        }}
      >
        <div class={bad ? 'field field-bad' : 'field'}>
          <label class="label" for="claim-reason">
            {t(lang, 'staff.restrict.reason')}
          </label>
          <p class="hint" id="claim-reason-hint">
            {t(lang, 'staff.restrict.reasonHint')}
          </p>
          {bad && <InlineError lang={lang} id="claim-reason-error" text={errors[0].text} />}
          <textarea id="claim-reason" class="short" rows={3} maxLength={500} value={reason} data-autofocus aria-invalid={bad ? 'true' : undefined}
            aria-describedby={bad ? 'claim-reason-hint claim-reason-error' : 'claim-reason-hint'} onInput={(e) => setReason(e.currentTarget.value)} />
        </div>
        {failed && (
          <p class="error" role="alert">
            {t(lang, 'staff.restrict.failed')}
          </p>
        )}
        <div class="actions">
          <button type="submit" id="claim-send" disabled={busy}>
            {t(lang, 'staff.restrict.submit')}
          </button>
          <button type="button" class="secondary" onClick={props.onCancel}>
            {t(lang, 'staff.cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** The frozen thread's banner; the legal-claim reading is offered until it is under way. */
export function RestrictedBanner({ lang, threads, snap }: { lang: Lang; threads: StaffThreadsController; snap: StaffThreadSnapshot }) {
  const [asking, setAsking] = useState(false);
  return (
    <section class="restricted-banner" aria-labelledby="restricted-h">
      <h2 id="restricted-h">{t(lang, 'staff.restrict.title')}</h2>
      <p>{t(lang, 'staff.restrict.banner')}</p>
      {snap.legalClaim ? (
        <p class="notice" role="status">
          {t(lang, 'staff.restrict.reading', { reason: snap.legalClaim })}
        </p>
      ) : (
        threads.readForClaim && (
          <button type="button" id="claim-open" class="secondary" onClick={() => setAsking(true)}>
            {t(lang, 'staff.restrict.read')}
          </button>
        )
      )}
      {asking && <ClaimDialog lang={lang} threads={threads} thread={snap.thread} onDone={() => setAsking(false)} onCancel={() => setAsking(false)} />}
    </section>
  );
}
