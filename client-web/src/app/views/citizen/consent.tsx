// consent.tsx - in a thread: saving the conversation to the citizen's client record. What it
// means (the recipient system, what is handed over and the consent text, all from the register
// description, GET /api/v1/register, shown as text in one language), the confirm step (GOV.UK
// pattern: an unticked checkbox and a button; the error summary when it is not ticked), the
// state (given on a date, handed over, withdrawn), and withdrawal with a confirmation saying
// what it does and does not do. A failure leaves the form as it was, with the reason.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ConsentController, ConsentStatus, ShownConsent } from '../../citizen/contract';
import { consentTexts, textIn } from '../../citizen/register';
import { t, type Key, type Lang } from '../../i18n';
import { ErrorSummary, InlineError, type FieldError } from '../common';
import { useRegister } from '../privacy';

const LOCALES: Record<Lang, string> = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };

/** A date in Helsinki with its year, e.g. "3.12.2026" / "3 December 2026". */
function formatDate(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALES[lang], { timeZone: 'Europe/Helsinki', day: 'numeric', month: lang === 'en' ? 'long' : 'numeric',
    year: 'numeric' }).format(new Date(ms));
}

/** The text of a failed give or withdraw, by the error's code. */
function failureText(lang: Lang, e: unknown, fallback: Key): string {
  const code = (e as { code?: string }).code;
  if (code === 'no_connector') return t(lang, 'consent.error.noConnector');
  if (code === 'locked' || code === 'stale_epoch') return t(lang, 'consent.error.locked');
  if (code === 'network' || code === 'timeout' || code === 'offline') return t(lang, 'consent.error.offline');
  return t(lang, fallback);
}

type Loaded<T> = T | 'loading' | 'failed';

/** A text shown in another language than the page's is marked with its own (WCAG 3.1.2). */
function Shown({ text, lang, page, as = 'dd' }: { text: string; lang: Lang; page: Lang; as?: 'dd' | 'p' | 'div' }) {
  const Tag = as;
  return (
    <Tag class="register-text" lang={lang !== page ? lang : undefined}>
      {text}
    </Tag>
  );
}

function GiveForm(props: { lang: Lang; shown: ShownConsent; consent: ConsentController; thread: string; again: boolean;
  onDone: (s: ConsentStatus) => void }) {
  const { lang, shown, consent, thread, again, onDone } = props;
  const [ticked, setTicked] = useState(false);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    if (!ticked) {
      setErrors([{ field: 'consent-confirm', text: t(lang, 'consent.error.tick') }]);
      return;
    }
    setBusy(true);
    setErrors([]);
    try {
      onDone(await consent.give(thread, shown));
    } catch (e) {
      setErrors([{ field: 'consent-give', text: failureText(lang, e, 'consent.error.giveFailed') }]);
    } finally {
      setBusy(false);
    }
  };
  const tickError = errors.find((e) => e.field === 'consent-confirm');
  return (
    <>
      <p>{t(lang, again ? 'consent.again' : 'consent.what')}</p>
      <dl class="consent-facts">
        <div>
          <dt>{t(lang, 'consent.recipient')}</dt>
          <Shown text={shown.recipient} lang={shown.lang} page={lang} />
        </div>
        <div>
          <dt>{t(lang, 'consent.scope')}</dt>
          <Shown text={shown.scope} lang={shown.lang} page={lang} />
        </div>
      </dl>
      <h3>{t(lang, 'consent.textH')}</h3>
      <Shown text={shown.text} lang={shown.lang} page={lang} as="div" />
      <p>{t(lang, 'consent.withdrawAnyTime')}</p>
      <ErrorSummary lang={lang} errors={errors} />
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) void submit();
        }}
      >
        <div class={tickError ? 'checkbox field-invalid' : 'checkbox'}>
          <input type="checkbox" id="consent-confirm" checked={ticked} aria-describedby={tickError ? 'consent-confirm-error' : undefined}
            aria-invalid={tickError ? true : undefined} onChange={(e) => setTicked((e.target as HTMLInputElement).checked)} />
          <label for="consent-confirm">{t(lang, 'consent.confirm')}</label>
        </div>
        {tickError && <InlineError lang={lang} id="consent-confirm-error" text={tickError.text} />}
        <div class="actions">
          <button type="submit" id="consent-give" disabled={busy}>
            {t(lang, busy ? 'consent.giving' : 'consent.give')}
          </button>
        </div>
      </form>
    </>
  );
}

function WithdrawConfirm(props: { lang: Lang; shown: ShownConsent; rights: string | null; handedOver: boolean; consent: ConsentController;
  thread: string; onDone: (s: ConsentStatus) => void; onCancel: () => void }) {
  const { lang, shown, rights, handedOver, consent, thread, onDone, onCancel } = props;
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const submit = async () => {
    setBusy(true);
    setErrors([]);
    try {
      onDone(await consent.withdraw(thread, shown));
    } catch (e) {
      setErrors([{ field: 'consent-withdraw-yes', text: failureText(lang, e, 'consent.error.withdrawFailed') }]);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="confirm" aria-labelledby="consent-withdraw-h">
      <h3 id="consent-withdraw-h" tabIndex={-1} ref={heading}>
        {t(lang, 'consent.withdrawH')}
      </h3>
      <ErrorSummary lang={lang} errors={errors} />
      <p>{t(lang, 'consent.withdrawDoes')}</p>
      <p>{t(lang, handedOver ? 'consent.withdrawKeeps' : 'consent.withdrawKeepsIfAny')}</p>
      {rights !== null && (
        <>
          <p>{t(lang, 'consent.withdrawContact')}</p>
          <p class="register-text">{rights}</p>
        </>
      )}
      <div class="actions">
        <button type="button" id="consent-withdraw-yes" disabled={busy} onClick={() => void submit()}>
          {t(lang, busy ? 'consent.withdrawing' : 'consent.withdrawYes')}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={onCancel}>
          {t(lang, 'consent.withdrawNo')}
        </button>
      </div>
    </section>
  );
}

/** The consent's state in words: given (and handed over or waiting for the close), withdrawn. */
function StateLine({ lang, status }: { lang: Lang; status: ConsentStatus }) {
  const c = status.consent;
  if (c === null) return null;
  if (c.withdrawn !== null) {
    return (
      <p class="notice" id="consent-state">
        {t(lang, 'consent.stateWithdrawn', { date: formatDate(c.withdrawn, lang) })}{' '}
        {status.handedOver && t(lang, 'consent.stateWithdrawnKept')}
      </p>
    );
  }
  return (
    <p class="success" id="consent-state">
      {t(lang, 'consent.stateGiven', { date: formatDate(c.given, lang) })}{' '}
      {t(lang, status.handedOver ? 'consent.stateHandedOver' : 'consent.stateWaiting')}
    </p>
  );
}

/**
 * The consent section of a thread. `locked`: this device holds no key of the thread, so it can
 * show the state but not give consent.
 */
export function ConsentPanel(props: { lang: Lang; consent: ConsentController; thread: string; locked: boolean }) {
  const { lang, consent, thread, locked } = props;
  const [status, setStatus] = useState<Loaded<ConsentStatus>>('loading');
  const [register, retryRegister] = useRegister();
  const [asking, setAsking] = useState(false);
  const [round, setRound] = useState(0);
  const announce = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    let live = true;
    consent.status(thread).then((s) => live && setStatus(s), () => live && setStatus('failed'));
    return () => {
      live = false;
    };
  }, [consent, thread, round]);

  const done = (s: ConsentStatus) => {
    setStatus(s);
    setAsking(false);
    // The new state is read out: the form that had the focus is gone.
    setTimeout(() => announce.current?.focus(), 0);
  };
  const shown = typeof register === 'object' ? consentTexts(register, lang) : null;
  const rights = typeof register === 'object' ? textIn(register.rightsContact, lang).text : null;
  const live = typeof status === 'object' && status.consent !== null && status.consent.withdrawn === null;

  let body;
  if (status === 'loading' || (register === 'loading' && !live)) {
    body = <p role="status">{t(lang, 'consent.loading')}</p>;
  } else if (status === 'failed') {
    body = (
      <>
        <p class="error">{t(lang, 'consent.statusFailed')}</p>
        <button type="button" class="secondary" onClick={() => setRound((n) => n + 1)}>
          {t(lang, 'consent.retry')}
        </button>
      </>
    );
  } else if (live && shown === null) {
    body = register === 'loading' ? <p role="status">{t(lang, 'consent.loading')}</p> : (
      <>
        <p class="error">{t(lang, 'consent.registerFailed')}</p>
        <button type="button" class="secondary" onClick={retryRegister}>
          {t(lang, 'consent.retry')}
        </button>
      </>
    );
  } else if (live && shown !== null) {
    body = asking ? (
      <WithdrawConfirm lang={lang} shown={shown} rights={rights} handedOver={status.handedOver} consent={consent} thread={thread}
        onDone={done} onCancel={() => setAsking(false)} />
    ) : (
      <p>
        <button type="button" class="secondary" onClick={() => setAsking(true)}>
          {t(lang, 'consent.withdraw')}
        </button>
      </p>
    );
  } else if (locked) {
    body = <p>{t(lang, 'consent.lockedDevice')}</p>;
  } else if (shown === null) {
    body = (
      <>
        <p class="error">{t(lang, 'consent.registerFailed')}</p>
        <button type="button" class="secondary" onClick={retryRegister}>
          {t(lang, 'consent.retry')}
        </button>
      </>
    );
  } else {
    body = <GiveForm lang={lang} shown={shown} consent={consent} thread={thread} again={status.consent !== null} onDone={done} />;
  }
  return (
    <section class="consent" aria-labelledby="consent-h">
      <h2 id="consent-h">{t(lang, 'consent.h')}</h2>
      <div ref={announce} tabIndex={-1} class="consent-state">
        {typeof status === 'object' && <StateLine lang={lang} status={status} />}
      </div>
      {body}
    </section>
  );
}
