// login.tsx - the staff login's first steps: username and password (the code too, when the
// worker has it at hand), the second factor's code when the password was right, and the first
// login with the administrator's setup code. Each form checks what it can before sending and
// shows the error summary with the field's own error; the server's refusal comes as a
// LoginError in the state.
import { useState } from 'preact/hooks';
import { t, type Lang } from '../../../i18n';
import type { LoginError, StaffAuthController } from '../../../staff/contract';
import { normalSetupCode, normalTotp } from '../../../staff/auth-rules';
import { ErrorSummary, Heading } from '../../common';
import { Busy, Field, loginErrorText, Step, type FieldError } from './parts';

/** Runs a controller step with the busy line; the state (and its error) comes from the controller. */
export function useBusy(): [boolean, (p: Promise<unknown>) => void] {
  const [busy, setBusy] = useState(false);
  const run = (p: Promise<unknown>) => {
    setBusy(true);
    p.catch(() => undefined).finally(() => setBusy(false));
  };
  return [busy, run];
}

/** The server's error as the summary's one entry, on `field`. */
export function serverErrors(lang: Lang, error: LoginError | undefined, field: string): FieldError[] {
  return error ? [{ field, text: loginErrorText(lang, error) }] : [];
}

export function LoginForm(props: { lang: Lang; auth: StaffAuthController; error?: LoginError; onSetup: () => void }) {
  const { lang, auth, error, onSetup } = props;
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [local, setLocal] = useState<FieldError[]>([]);
  const [busy, run] = useBusy();
  const submit = (e: Event) => {
    e.preventDefault();
    const errs: FieldError[] = [];
    if (username.trim() === '') errs.push({ field: 'username', text: t(lang, 'staffLogin.err.usernameEmpty') });
    if (password === '') errs.push({ field: 'password', text: t(lang, 'staffLogin.err.passwordEmpty') });
    setLocal(errs);
    if (errs.length === 0) run(auth.login(username, password));
  };
  const errors = local.length > 0 ? local : serverErrors(lang, error, 'username');
  const fieldError = (f: string) => errors.find((x) => x.field === f)?.text;
  return (
    <Step step="login">
      <ErrorSummary lang={lang} errors={errors} />
      <Heading>{t(lang, 'staffLogin.title')}</Heading>
      <p>{t(lang, 'staffLogin.intro')}</p>
      <form onSubmit={submit} noValidate>
        <Field lang={lang} id="username" label={t(lang, 'staffLogin.username')} autocomplete="username" value={username}
          onInput={setUsername} error={fieldError('username')} />
        <Field lang={lang} id="password" type="password" label={t(lang, 'staffLogin.password')} autocomplete="current-password"
          value={password} onInput={setPassword} error={fieldError('password')} />
        {busy && <Busy lang={lang} />}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t(lang, 'staffLogin.submit')}
          </button>
        </div>
      </form>
      <h2>{t(lang, 'staffLogin.firstH')}</h2>
      <p>{t(lang, 'staffLogin.firstText')}</p>
      <p>
        <button type="button" class="secondary" onClick={onSetup}>
          {t(lang, 'staffLogin.firstButton')}
        </button>
      </p>
    </Step>
  );
}

export function TotpForm(props: { lang: Lang; auth: StaffAuthController; username: string; error?: LoginError; onBack: () => void }) {
  const { lang, auth, username, error, onBack } = props;
  const [code, setCode] = useState('');
  const [local, setLocal] = useState<FieldError[]>([]);
  const [busy, run] = useBusy();
  const submit = (e: Event) => {
    e.preventDefault();
    const errs = normalTotp(code) === null ? [{ field: 'totp', text: t(lang, 'staffLogin.err.codeFormat') }] : [];
    setLocal(errs);
    if (errs.length === 0) run(auth.totp(code));
  };
  const errors = local.length > 0 ? local : serverErrors(lang, error, 'totp');
  return (
    <Step step="totp">
      <ErrorSummary lang={lang} errors={errors} />
      <Heading>{t(lang, 'staffLogin.totp.title')}</Heading>
      <p>{t(lang, 'staffLogin.totp.intro', { username })}</p>
      <form onSubmit={submit} noValidate>
        <Field lang={lang} id="totp" label={t(lang, 'staffLogin.code')} hint={t(lang, 'staffLogin.codeHint')} autocomplete="one-time-code"
          numeric class="text-input code-short" value={code} onInput={setCode} error={errors[0]?.text} />
        {busy && <Busy lang={lang} />}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t(lang, 'staffLogin.totp.submit')}
          </button>
          <button type="button" class="secondary" onClick={onBack}>
            {t(lang, 'staffLogin.back')}
          </button>
        </div>
      </form>
    </Step>
  );
}

export function SetupStartForm(props: { lang: Lang; auth: StaffAuthController; error?: LoginError; onBack: () => void }) {
  const { lang, auth, error, onBack } = props;
  const [username, setUsername] = useState('');
  const [code, setCode] = useState('');
  const [local, setLocal] = useState<FieldError[]>([]);
  const submit = (e: Event) => {
    e.preventDefault();
    const errs: FieldError[] = [];
    if (username.trim() === '') errs.push({ field: 'username', text: t(lang, 'staffLogin.err.usernameEmpty') });
    if (normalSetupCode(code) === null) errs.push({ field: 'setup-code', text: t(lang, 'staffLogin.err.setupCodeFormat') });
    setLocal(errs);
    if (errs.length === 0) void auth.startSetup(username, code);
  };
  const errors = local.length > 0 ? local : serverErrors(lang, error, 'setup-code');
  const fieldError = (f: string) => errors.find((x) => x.field === f)?.text;
  return (
    <Step step="setup-start">
      <ErrorSummary lang={lang} errors={errors} />
      <Heading>{t(lang, 'staffLogin.setup.title')}</Heading>
      <p>{t(lang, 'staffLogin.setup.intro')}</p>
      <form onSubmit={submit} noValidate>
        <Field lang={lang} id="username" label={t(lang, 'staffLogin.username')} autocomplete="username" value={username}
          onInput={setUsername} error={fieldError('username')} />
        <Field lang={lang} id="setup-code" label={t(lang, 'staffLogin.setup.code')} hint={t(lang, 'staffLogin.setup.codeHint')}
          autocomplete="off" class="code-input" value={code} onInput={setCode} error={fieldError('setup-code')} />
        <div class="actions">
          <button type="submit">{t(lang, 'staffLogin.setup.submit')}</button>
          <button type="button" class="secondary" onClick={onBack}>
            {t(lang, 'staffLogin.back')}
          </button>
        </div>
      </form>
    </Step>
  );
}
