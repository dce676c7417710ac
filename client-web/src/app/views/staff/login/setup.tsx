// setup.tsx - the first login after the setup code: the new password typed twice (its rules
// said before it is typed and checked here first), then the authenticator: the QR code of the
// otpauth URI, the secret as text in groups for typing it in, and the first code to confirm.
import { useState } from 'preact/hooks';
import { t, type Lang } from '../../../i18n';
import type { LoginError, StaffAuthController } from '../../../staff/contract';
import { normalTotp, PASSWORD_MIN_CHARS, passwordProblem, secretGroups } from '../../../staff/auth-rules';
import { ErrorSummary, Heading } from '../../common';
import { Busy, Field, Step, type FieldError } from './parts';
import { serverErrors, useBusy } from './login';
import { QrCode } from './qr';

/** The errors of a new password typed twice (on the fields `first` and `second`). */
export function newPasswordErrors(lang: Lang, pw: string, again: string, first: string, second: string): FieldError[] {
  switch (passwordProblem(pw, again)) {
    case 'short':
      return [{ field: first, text: t(lang, 'password.err.short', { min: String(PASSWORD_MIN_CHARS) }) }];
    case 'long':
      return [{ field: first, text: t(lang, 'password.err.long') }];
    case 'mismatch':
      return [{ field: second, text: t(lang, 'password.err.mismatch') }];
    default:
      return [];
  }
}

export function SetupPasswordForm(props: { lang: Lang; auth: StaffAuthController; username: string; error?: LoginError }) {
  const { lang, auth, username, error } = props;
  const [pw, setPw] = useState('');
  const [again, setAgain] = useState('');
  const [local, setLocal] = useState<FieldError[]>([]);
  const [busy, run] = useBusy();
  const submit = (e: Event) => {
    e.preventDefault();
    const errs = newPasswordErrors(lang, pw, again, 'new-password', 'new-password-again');
    setLocal(errs);
    if (errs.length === 0) run(auth.choosePassword(pw, again));
  };
  const errors = local.length > 0 ? local : serverErrors(lang, error, 'new-password');
  const fieldError = (f: string) => errors.find((x) => x.field === f)?.text;
  return (
    <Step step="setup-password">
      <ErrorSummary lang={lang} errors={errors} />
      <Heading>{t(lang, 'password.setupTitle')}</Heading>
      <p>{t(lang, 'password.setupIntro', { username })}</p>
      <form onSubmit={submit} noValidate>
        <input type="text" class="visually-hidden" autocomplete="username" value={username} readOnly tabIndex={-1} aria-hidden="true" />
        <Field lang={lang} id="new-password" type="password" label={t(lang, 'password.new')}
          hint={t(lang, 'password.rules', { min: String(PASSWORD_MIN_CHARS) })} autocomplete="new-password" value={pw}
          onInput={setPw} error={fieldError('new-password')} />
        <Field lang={lang} id="new-password-again" type="password" label={t(lang, 'password.again')} autocomplete="new-password"
          value={again} onInput={setAgain} error={fieldError('new-password-again')} />
        {busy && <Busy lang={lang} />}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t(lang, 'password.setupSubmit')}
          </button>
        </div>
      </form>
    </Step>
  );
}

export function SetupTotpForm(props: { lang: Lang; auth: StaffAuthController; secret: string; uri: string; error?: LoginError }) {
  const { lang, auth, secret, uri, error } = props;
  const [code, setCode] = useState('');
  const [local, setLocal] = useState<FieldError[]>([]);
  const [busy, run] = useBusy();
  const submit = (e: Event) => {
    e.preventDefault();
    const errs = normalTotp(code) === null ? [{ field: 'first-code', text: t(lang, 'staffLogin.err.codeFormat') }] : [];
    setLocal(errs);
    if (errs.length === 0) run(auth.confirmTotp(code));
  };
  const errors = local.length > 0 ? local : serverErrors(lang, error, 'first-code');
  return (
    <Step step="setup-totp">
      <ErrorSummary lang={lang} errors={errors} />
      <Heading>{t(lang, 'staffLogin.enrol.title')}</Heading>
      <ol class="steps">
        <li>{t(lang, 'staffLogin.enrol.step1')}</li>
        <li>{t(lang, 'staffLogin.enrol.step2')}</li>
        <li>{t(lang, 'staffLogin.enrol.step3')}</li>
      </ol>
      <QrCode text={uri} label={t(lang, 'staffLogin.enrol.qrLabel')} />
      <h2 class="code-label" id="secret-h">
        {t(lang, 'staffLogin.enrol.secretH')}
      </h2>
      <p class="hint">{t(lang, 'staffLogin.enrol.secretHint')}</p>
      <p class="totp-secret">
        {secretGroups(secret)}
      </p>
      <form onSubmit={submit} noValidate>
        <Field lang={lang} id="first-code" label={t(lang, 'staffLogin.enrol.code')} hint={t(lang, 'staffLogin.codeHint')}
          autocomplete="one-time-code" numeric class="text-input code-short" value={code} onInput={setCode} error={errors[0]?.text} />
        {busy && <Busy lang={lang} />}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t(lang, 'staffLogin.enrol.submit')}
          </button>
        </div>
      </form>
    </Step>
  );
}
