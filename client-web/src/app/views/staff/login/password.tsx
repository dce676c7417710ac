// password.tsx - changing the password: the current one, the new one twice (the rules said
// first and checked here), and the second factor's code (the change is a login, PROTOCOL.md
// §4.5.3). Shown when the password has expired (the controller's change-password state: the
// error comes in the state) and from the workspace while logged in (the error comes as the
// promise's StaffAuthError; done: a success line and back).
import { useState } from 'preact/hooks';
import { t, type Lang } from '../../../i18n';
import type { LoginError } from '../../../staff/contract';
import { normalTotp, PASSWORD_MIN_CHARS } from '../../../staff/auth-rules';
import { ErrorSummary, Heading } from '../../common';
import { Busy, Field, Step, loginErrorText, type FieldError } from './parts';
import { newPasswordErrors } from './setup';

export interface ChangePasswordProps {
  lang: Lang;
  /** Shown when the password has expired: why the change is asked. */
  expired: boolean;
  username: string;
  error?: LoginError;
  change: (current: string, next: string, again: string, totp?: string) => Promise<void>;
  /** Logged in: back to the work without changing; done after a change. */
  onCancel?: () => void;
  onDone?: () => void;
}

export function ChangePasswordForm(p: ChangePasswordProps) {
  const { lang } = p;
  const [current, setCurrent] = useState('');
  const [pw, setPw] = useState('');
  const [again, setAgain] = useState('');
  const [code, setCode] = useState('');
  const [local, setLocal] = useState<FieldError[]>([]);
  const [refused, setRefused] = useState<LoginError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    const errs: FieldError[] = [];
    if (current === '') errs.push({ field: 'current-password', text: t(lang, 'password.err.currentEmpty') });
    errs.push(...newPasswordErrors(lang, pw, again, 'new-password', 'new-password-again'));
    if (normalTotp(code) === null) errs.push({ field: 'password-code', text: t(lang, 'staffLogin.err.codeFormat') });
    setLocal(errs);
    setRefused(undefined);
    if (errs.length > 0) return;
    setBusy(true);
    p.change(current, pw, again, code).then(
      () => {
        setBusy(false);
        p.onDone?.();
      },
      (err: unknown) => {
        setBusy(false);
        setRefused((err as { error?: LoginError }).error ?? { code: 'failed' });
      },
    );
  };
  const server = refused ?? p.error;
  const errors = local.length > 0 ? local : server ? [{ field: 'current-password', text: loginErrorText(lang, server) }] : [];
  const fieldError = (f: string) => errors.find((x) => x.field === f)?.text;
  return (
    <Step step="change-password">
      <ErrorSummary lang={lang} errors={errors} />
      <Heading>{t(lang, 'password.title')}</Heading>
      <p>{t(lang, p.expired ? 'password.expired' : 'password.intro')}</p>
      <form onSubmit={submit} noValidate>
        <input type="text" class="visually-hidden" autocomplete="username" value={p.username} readOnly tabIndex={-1} aria-hidden="true" />
        <Field lang={lang} id="current-password" type="password" label={t(lang, 'password.current')} autocomplete="current-password"
          value={current} onInput={setCurrent} error={fieldError('current-password')} />
        <Field lang={lang} id="new-password" type="password" label={t(lang, 'password.new')}
          hint={t(lang, 'password.rules', { min: String(PASSWORD_MIN_CHARS) })} autocomplete="new-password" value={pw}
          onInput={setPw} error={fieldError('new-password')} />
        <Field lang={lang} id="new-password-again" type="password" label={t(lang, 'password.again')} autocomplete="new-password"
          value={again} onInput={setAgain} error={fieldError('new-password-again')} />
        <Field lang={lang} id="password-code" label={t(lang, 'staffLogin.code')} hint={t(lang, 'staffLogin.codeHint')}
          autocomplete="one-time-code" numeric class="text-input code-short" value={code} onInput={setCode} error={fieldError('password-code')} />
        {busy && <Busy lang={lang} />}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t(lang, 'password.submit')}
          </button>
          {p.onCancel && (
            <button type="button" class="secondary" onClick={p.onCancel}>
              {t(lang, 'password.cancel')}
            </button>
          )}
        </div>
      </form>
    </Step>
  );
}
