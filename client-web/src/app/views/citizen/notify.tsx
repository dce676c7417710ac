// notify.tsx - notification settings (PROTOCOL.md §11.4): an e-mail address and/or a phone
// number for notices of new answers, and their language; notify.get fills the form, notify.set
// saves it, notify.delete removes the contact. The page says that a notice carries no content
// (no name, topic or text). Checked before sending, with the error summary.
import { useEffect, useState } from 'preact/hooks';
import type { ShellConnection } from '../../citizen/session';
import { LANG_NAMES, LANGS, t, type Lang } from '../../i18n';
import { ErrorSummary, Heading, InlineError, type FieldError } from '../common';
import { normalPhone, notifyProblems } from './forms';

type Load = 'loading' | 'failed' | 'ready';

export function NotificationsPage({ lang, conn }: { lang: Lang; conn: ShellConnection }) {
  const [load, setLoad] = useState<Load>('loading');
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [nlang, setNlang] = useState<Lang>(lang);
  const [has, setHas] = useState(false);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [done, setDone] = useState<'saved' | 'deleted' | 'failed' | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    conn.request('notify.get', {}).then(
      (r) => {
        setEmail(r.email ?? '');
        setPhone(r.phone ?? '');
        if (r.lang === 'fi' || r.lang === 'sv' || r.lang === 'en') setNlang(r.lang);
        setHas(r.email !== null || r.phone !== null);
        setLoad('ready');
      },
      () => setLoad('failed'),
    );
  }, [conn]);

  const emailError = errors.find((e) => e.field === 'notify-email');
  const phoneError = errors.find((e) => e.field === 'notify-phone');

  const save = () => {
    setDone(null);
    const problems = notifyProblems({ email, phone });
    const list: FieldError[] = problems.map((p) =>
      p === 'none' ? { field: 'notify-email', text: t(lang, 'notify.error.none') }
        : p === 'email' ? { field: 'notify-email', text: t(lang, 'notify.error.email') }
        : { field: 'notify-phone', text: t(lang, 'notify.error.phone') },
    );
    setErrors(list);
    if (list.length > 0) return;
    const fields: { lang: Lang; email?: string; phone?: string } = { lang: nlang };
    if (email.trim() !== '') fields.email = email.trim();
    if (phone.trim() !== '') fields.phone = normalPhone(phone)!;
    setBusy(true);
    conn.request('notify.set', fields).then(
      () => {
        setHas(true);
        if (fields.phone) setPhone(fields.phone);
        setDone('saved');
      },
      (e: { field?: string }) => {
        if (e.field === '/email') setErrors([{ field: 'notify-email', text: t(lang, 'notify.error.email') }]);
        else if (e.field === '/phone') setErrors([{ field: 'notify-phone', text: t(lang, 'notify.error.phone') }]);
        else setDone('failed');
      },
    ).finally(() => setBusy(false));
  };

  const remove = () => {
    setDone(null);
    setErrors([]);
    setBusy(true);
    conn.request('notify.delete', {}).then(
      () => {
        setEmail('');
        setPhone('');
        setHas(false);
        setDone('deleted');
      },
      () => setDone('failed'),
    ).finally(() => setBusy(false));
  };

  return (
    <>
      <ErrorSummary lang={lang} errors={errors} />
      <Heading>{t(lang, 'notify.title')}</Heading>
      <p>{t(lang, 'notify.intro')}</p>
      <p>{t(lang, 'notify.noContent')}</p>
      {load === 'loading' && <p role="status">{t(lang, 'notify.loading')}</p>}
      {load === 'failed' && <p class="error">{t(lang, 'notify.loadFailed')}</p>}
      <p role="status" class={done === null ? 'visually-hidden' : done === 'failed' ? 'error' : 'success'}>
        {done === null ? '' : t(lang, done === 'saved' ? 'notify.saved' : done === 'deleted' ? 'notify.deleted' : 'notify.failed')}
      </p>
      {load === 'ready' && (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (!busy) save();
          }}
        >
          <div class={emailError ? 'field field-bad' : 'field'}>
            <label for="notify-email" class="label">
              {t(lang, 'notify.email')}
            </label>
            <p class="hint" id="notify-email-hint">
              {t(lang, 'notify.emailHint')}
            </p>
            {emailError && <InlineError lang={lang} id="notify-email-error" text={emailError.text} />}
            <input
              type="email"
              id="notify-email"
              autoComplete="email"
              value={email}
              aria-invalid={emailError ? true : undefined}
              aria-describedby={`notify-email-hint${emailError ? ' notify-email-error' : ''}`}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </div>
          <div class={phoneError ? 'field field-bad' : 'field'}>
            <label for="notify-phone" class="label">
              {t(lang, 'notify.phone')}
            </label>
            <p class="hint" id="notify-phone-hint">
              {t(lang, 'notify.phoneHint')}
            </p>
            {phoneError && <InlineError lang={lang} id="notify-phone-error" text={phoneError.text} />}
            <input
              type="tel"
              id="notify-phone"
              autoComplete="tel"
              value={phone}
              aria-invalid={phoneError ? true : undefined}
              aria-describedby={`notify-phone-hint${phoneError ? ' notify-phone-error' : ''}`}
              onInput={(e) => setPhone(e.currentTarget.value)}
            />
          </div>
          <fieldset class="field">
            <legend class="label">{t(lang, 'notify.lang')}</legend>
            {LANGS.map((l) => (
              <div class="radio" key={l}>
                <input type="radio" id={`notify-lang-${l}`} name="notify-lang" value={l} checked={nlang === l} onChange={() => setNlang(l)} />
                <label for={`notify-lang-${l}`} lang={l}>
                  {LANG_NAMES[l]}
                </label>
              </div>
            ))}
          </fieldset>
          <div class="actions">
            <button type="submit" disabled={busy}>
              {t(lang, 'notify.save')}
            </button>
            {has && (
              <button type="button" class="secondary" disabled={busy} onClick={remove}>
                {t(lang, 'notify.delete')}
              </button>
            )}
          </div>
        </form>
      )}
    </>
  );
}
