// notify.tsx - notification settings (PROTOCOL.md §11.4): an e-mail address and/or a phone
// number for notices of new answers, and their language; notify.get fills the form, notify.set
// saves it, notify.delete removes the contact. The page says that a notice carries no content
// (no name, topic or text). Checked before sending, with the error summary.
import { useEffect, useState } from 'preact/hooks';
import type { ShellConnection } from '../../citizen/session';
import { LANG_NAMES, LANGS, t, type Key, type Lang } from '../../i18n';
import { ErrorSummary, Heading, InlineError, type FieldError } from '../common';
import { normalPhone, notifyProblems } from './forms';

type Load = 'loading' | 'failed' | 'ready';

/** One contact field (e-mail or phone): label, hint, its own error and the input they describe. */
function ContactField(props: { lang: Lang; id: string; type: 'email' | 'tel'; label: Key; hint: Key; value: string;
  onInput: (v: string) => void; error: FieldError | undefined }) {
  const { lang, id, type, label, hint, value, onInput, error } = props;
  return (
    <div class={error ? 'field field-bad' : 'field'}>
      <label for={id} class="label">
        {t(lang, label)}
      </label>
      <p class="hint" id={`${id}-hint`}>
        {t(lang, hint)}
      </p>
      {error && <InlineError lang={lang} id={`${id}-error`} text={error.text} />}
      <input
        {...(type === 'email' ? { type: 'email' as const, autoComplete: 'email' } : { type: 'tel' as const, autoComplete: 'tel' })}
        id={id}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
    </div>
  );
}

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
          <ContactField lang={lang} id="notify-email" type="email" label="notify.email" hint="notify.emailHint"
            value={email} onInput={setEmail} error={emailError} />
          <ContactField lang={lang} id="notify-phone" type="tel" label="notify.phone" hint="notify.phoneHint"
            value={phone} onInput={setPhone} error={phoneError} />
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
