// recover.tsx - a new device opens the recovery box with the code as the citizen types it:
// the error summary and the field's own error, a mistyped code told apart from a code that is
// well formed but not this citizen's.
import { useState } from 'preact/hooks';
import type { KeyController } from '../../../citizen/contract';
import { Heading } from '../../common';
import { t, type Lang } from '../../../i18n';
import { Busy, ErrorSummary, InlineError, errorText, useFocusOnStep, type FieldError } from './parts';

export function RecoverForm({ lang, keys, onBack }: { lang: Lang; keys: KeyController; onBack: () => void }) {
  const ref = useFocusOnStep('recover');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);

  const submit = (ev: Event) => {
    ev.preventDefault();
    if (code.trim() === '') {
      setErrors([{ field: 'recovery-code', text: t(lang, 'keys.recover.empty') }]);
      return;
    }
    setBusy(true);
    setErrors([]);
    keys.recover(code).then(
      () => setBusy(false), // the state becomes ready: the shell moves on
      (e) => {
        setBusy(false);
        setErrors([{ field: 'recovery-code', text: errorText(lang, e) }]);
      },
    );
  };
  const err = errors[0];
  return (
    <div ref={ref} class="keys-step">
      <ErrorSummary lang={lang} errors={errors} />
      <Heading>{t(lang, 'keys.recover.title')}</Heading>
      <p>{t(lang, 'keys.recover.intro')}</p>
      <form onSubmit={submit} noValidate>
        <div class={err ? 'field field-invalid' : 'field'}>
          <label for="recovery-code">{t(lang, 'keys.recover.label')}</label>
          <p id="recovery-code-hint" class="hint">
            {t(lang, 'keys.recover.hint')}
          </p>
          {err && <InlineError lang={lang} id="recovery-code-error" text={err.text} />}
          <input
            id="recovery-code"
            class="code-input"
            type="text"
            autocomplete="off"
            autocapitalize="characters"
            spellcheck={false}
            value={code}
            aria-invalid={err ? true : undefined}
            aria-describedby={err ? 'recovery-code-hint recovery-code-error' : 'recovery-code-hint'}
            onInput={(e) => setCode((e.target as HTMLInputElement).value)}
          />
        </div>
        {busy && <Busy lang={lang} />}
        <div class="button-row">
          <button type="submit" class="btn" disabled={busy}>
            {t(lang, 'keys.recover.submit')}
          </button>
          <button type="button" class="btn btn-secondary" onClick={onBack}>
            {t(lang, 'keys.back')}
          </button>
        </div>
      </form>
    </div>
  );
}
