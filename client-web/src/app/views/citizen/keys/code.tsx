// code.tsx - the recovery code, shown once: large and grouped, to print or copy, with a
// required "I have saved the code" before the app goes on (the code is not stored anywhere and
// cannot be shown again). The code is text with its hyphens, under its own heading: a screen
// reader reads it group by group, and a selection copies it as it is typed back.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { Heading } from '../../common';
import { t, type Lang } from '../../../i18n';
import { ErrorSummary, InlineError, errorText, useFocusOnStep, type FieldError } from './parts';

/** The code as inline text: each group a span, hyphens between them, a line may break after one. */
function CodeGroups({ code }: { code: string }) {
  return (
    <code class="recovery-code">
      {code.split('-').map((g, i) => (
        <Fragment key={i}>
          {i > 0 && (
            <>
              -<wbr />
            </>
          )}
          <span>{g}</span>
        </Fragment>
      ))}
    </code>
  );
}

export function RecoveryCodeScreen({ lang, code, onDone }: { lang: Lang; code: string; onDone: () => Promise<void> }) {
  const ref = useFocusOnStep(code);
  const [saved, setSaved] = useState(false);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [copied, setCopied] = useState<'' | 'ok' | 'failed'>('');
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);

  const copy = () => {
    const cb = navigator.clipboard;
    if (cb === undefined) return setCopied('failed');
    cb.writeText(code).then(() => setCopied('ok'), () => setCopied('failed'));
  };
  const submit = (ev: Event) => {
    ev.preventDefault();
    if (!saved) {
      setErrors([{ field: 'code-saved', text: t(lang, 'keys.code.savedMissing') }]);
      return;
    }
    setErrors([]);
    setBusy(true);
    onDone().catch((e) => {
      setBusy(false);
      setFailed(errorText(lang, e));
    });
  };
  const err = errors.find((e) => e.field === 'code-saved');
  return (
    <div ref={ref} class="keys-step">
      <ErrorSummary lang={lang} errors={errors} />
      <Heading>{t(lang, 'keys.code.title')}</Heading>
      <p>{t(lang, 'keys.code.intro')}</p>
      <p class="warning">
        <strong>{t(lang, 'keys.code.warningLabel')}</strong> {t(lang, 'keys.code.once')}
      </p>
      <div class="print-area">
        <p class="print-only">{t(lang, 'keys.code.printTitle')}</p>
        <div role="group" aria-labelledby="recovery-code-h">
          <h2 id="recovery-code-h" class="code-label">
            {t(lang, 'keys.code.label')}
          </h2>
          <p>
            <CodeGroups code={code} />
          </p>
        </div>
      </div>
      <div class="button-row">
        <button type="button" class="btn btn-secondary" onClick={() => window.print()}>
          {t(lang, 'keys.code.print')}
        </button>
        <button type="button" class="btn btn-secondary" onClick={copy}>
          {t(lang, 'keys.code.copy')}
        </button>
      </div>
      <p role="status" class="small">
        {copied === 'ok' ? t(lang, 'keys.code.copied') : copied === 'failed' ? t(lang, 'keys.code.copyFailed') : ''}
      </p>
      <p>{t(lang, 'keys.code.where')}</p>
      <form onSubmit={submit} noValidate>
        <div class={err ? 'field field-invalid' : 'field'}>
          {err && <InlineError lang={lang} id="code-saved-error" text={err.text} />}
          <div class="checkbox">
            <input
              type="checkbox"
              id="code-saved"
              checked={saved}
              aria-invalid={err ? true : undefined}
              aria-describedby={err ? 'code-saved-error' : undefined}
              onChange={(e) => setSaved((e.target as HTMLInputElement).checked)}
            />
            <label for="code-saved">{t(lang, 'keys.code.saved')}</label>
          </div>
        </div>
        {failed !== null && (
          <p class="error" role="alert">
            {failed}
          </p>
        )}
        <button type="submit" class="btn" disabled={busy}>
          {t(lang, 'keys.code.continue')}
        </button>
      </form>
    </div>
  );
}
