// status.tsx - the staff page's waiting and end states: keys being opened, the fingerprint to
// compare while an administrator certifies the new keys (checked again every 20 seconds), a
// failure that needs a reload or a call, and the lock screen (the password again; the work
// behind it stays, hidden and inert).
import { useState } from 'preact/hooks';
import { t, type Key, type Lang } from '../../../i18n';
import type { LoginError, StaffAuthController } from '../../../staff/contract';
import { ErrorSummary, Heading } from '../../common';
import { Busy, Field, Step, loginErrorText, type FieldError } from './parts';
import { useBusy } from './login';

export function KeysLoading({ lang }: { lang: Lang }) {
  return (
    <Step step="keys-loading">
      <Heading>{t(lang, 'staffLogin.keys.title')}</Heading>
      <p role="status">{t(lang, 'staffLogin.keys.loading')}</p>
    </Step>
  );
}

export function AwaitingCertification({ lang, fingerprint, onLogout }: { lang: Lang; fingerprint: string; onLogout: () => void }) {
  return (
    <Step step="awaiting">
      <Heading>{t(lang, 'staffLogin.await.title')}</Heading>
      <p>{t(lang, 'staffLogin.await.intro')}</p>
      <p class="code-label" id="fingerprint-label">
        {t(lang, 'staffLogin.await.fingerprint')}
      </p>
      <p class="compare-code fingerprint">
        {fingerprint.split(' ').map((g, i) => (
          <span key={i}>{g}</span>
        ))}
      </p>
      <p>{t(lang, 'staffLogin.await.next')}</p>
      <p role="status" class="small">
        {t(lang, 'staffLogin.await.checking')}
      </p>
      <div class="actions">
        <button type="button" class="secondary" onClick={onLogout}>
          {t(lang, 'staffLogin.logout')}
        </button>
      </div>
    </Step>
  );
}

const FAILED_TEXT: Record<string, Key> = {
  crypto: 'staffLogin.failed.crypto',
  network: 'staffLogin.failed.network',
  certificate: 'staffLogin.failed.certificate',
  bundle: 'staffLogin.failed.bundle',
  enrol: 'staffLogin.failed.enrol',
};

export function Failed({ lang, reason, onLogout }: { lang: Lang; reason: string; onLogout: () => void }) {
  return (
    <Step step="failed">
      <Heading>{t(lang, 'staffLogin.failed.title')}</Heading>
      <p class="error" role="alert">
        {t(lang, FAILED_TEXT[reason] ?? 'staffLogin.failed.other')}
      </p>
      <p>{t(lang, 'staffLogin.failed.next')}</p>
      <div class="actions">
        <button type="button" class="secondary" onClick={onLogout}>
          {t(lang, 'staffLogin.logout')}
        </button>
      </div>
    </Step>
  );
}

export function LockScreen(props: { lang: Lang; auth: StaffAuthController; username: string; error?: LoginError; onLogout: () => void }) {
  const { lang, auth, username, error, onLogout } = props;
  const [pw, setPw] = useState('');
  const [local, setLocal] = useState<FieldError[]>([]);
  const [busy, run] = useBusy();
  const submit = (e: Event) => {
    e.preventDefault();
    const errs = pw === '' ? [{ field: 'lock-password', text: t(lang, 'staffLogin.err.passwordEmpty') }] : [];
    setLocal(errs);
    if (errs.length > 0) return;
    run(auth.unlock(pw));
    setPw('');
  };
  const server = error === undefined ? [] : [{ field: 'lock-password',
    text: error.code === 'bad_credentials' || error.code === 'rate_limited' ? lockWrongText(lang, error) : loginErrorText(lang, error) }];
  const errors = local.length > 0 ? local : server;
  return (
    <Step step="locked">
      <section class="lock-screen" aria-labelledby="lock-h">
        <ErrorSummary lang={lang} errors={errors} />
        <h1 id="lock-h" tabIndex={-1}>
          {t(lang, 'lock.title')}
        </h1>
        <p>{t(lang, 'lock.intro')}</p>
        <form onSubmit={submit} noValidate>
          <input type="text" class="visually-hidden" autocomplete="username" value={username} readOnly tabIndex={-1} aria-hidden="true" />
          <Field lang={lang} id="lock-password" type="password" label={t(lang, 'lock.password')} autocomplete="current-password"
            value={pw} onInput={setPw} error={errors[0]?.text} />
          {busy && <Busy lang={lang} />}
          <div class="actions">
            <button type="submit" disabled={busy}>
              {t(lang, 'lock.submit')}
            </button>
            <button type="button" class="secondary" onClick={onLogout}>
              {t(lang, 'staffLogin.logout')}
            </button>
          </div>
        </form>
      </section>
    </Step>
  );
}

function lockWrongText(lang: Lang, e: LoginError): string {
  const wrong = t(lang, e.code === 'rate_limited' ? 'lock.tooMany' : 'lock.wrong');
  return e.retryAfter === undefined ? wrong : `${wrong} ${t(lang, 'lock.wait', { seconds: String(e.retryAfter) })}`;
}
