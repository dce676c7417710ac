// canned.tsx - the supervisor's canned answers of a unit: listed by language (the page's
// language first), each editable and removable (with a confirmation), and a form to add or
// change one (language, title, text) with the error summary pattern. They are sealed to the
// unit's key by the controller; only the unit's staff can read them.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CannedAnswer, CannedController, StaffSession } from '../../staff/contract';
import { LANG_NAMES, LANGS, t, type Lang } from '../../i18n';
import { formatDateTime } from '../../format';
import { ErrorSummary, Heading, InlineError, type FieldError } from '../common';
import { LoadFailed, Loading } from './parts';
import { orderCanned } from './rules';
import { useLoaded } from './use';

type Editing = { answer?: string; lang: Lang; title: string; text: string };

function CannedForm(props: { lang: Lang; initial: Editing; save(e: Editing): Promise<void>; onCancel(): void }) {
  const { lang } = props;
  const [e, setE] = useState(props.initial);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const head = useRef<HTMLHeadingElement>(null);
  useEffect(() => head.current?.focus(), []);
  const submit = async () => {
    const errs: FieldError[] = [];
    if (e.title.trim() === '') errs.push({ field: 'canned-title', text: t(lang, 'canned.error.title') });
    if (e.text.trim() === '') errs.push({ field: 'canned-text', text: t(lang, 'canned.error.text') });
    setErrors(errs);
    if (errs.length > 0) return;
    setBusy(true);
    setFailed(false);
    try {
      await props.save({ ...e, title: e.title.trim() });
    } catch {
      setFailed(true);
      setBusy(false);
    }
  };
  const err = (f: string) => errors.find((x) => x.field === f)?.text ?? null;
  const titleErr = err('canned-title');
  const textErr = err('canned-text');
  return (
    <section class="canned-form" aria-labelledby="canned-form-h">
      <h2 id="canned-form-h" tabIndex={-1} ref={head}>
        {t(lang, e.answer ? 'canned.edit' : 'canned.new')}
      </h2>
      <ErrorSummary lang={lang} errors={errors} />
      <form
        noValidate
        onSubmit={(ev) => {
          ev.preventDefault();
          if (!busy) void submit();
        }}
      >
        <div class="field">
          <label for="canned-form-lang">{t(lang, 'canned.language')}</label>
          <select id="canned-form-lang" value={e.lang} onChange={(ev) => setE({ ...e, lang: ev.currentTarget.value as Lang })}>
            {LANGS.map((l) => (
              <option key={l} value={l}>
                {LANG_NAMES[l]}
              </option>
            ))}
          </select>
        </div>
        <div class={titleErr ? 'field field-bad' : 'field'}>
          <label for="canned-title">{t(lang, 'canned.titleLabel')}</label>
          {titleErr && <InlineError lang={lang} id="canned-title-error" text={titleErr} />}
          <input type="text" id="canned-title" value={e.title} onInput={(ev) => setE({ ...e, title: ev.currentTarget.value })} aria-invalid={titleErr ? 'true' : undefined} aria-describedby={titleErr ? 'canned-title-error' : undefined} />
        </div>
        <div class={textErr ? 'field field-bad' : 'field'}>
          <label for="canned-text">{t(lang, 'canned.textLabel')}</label>
          {textErr && <InlineError lang={lang} id="canned-text-error" text={textErr} />}
          <textarea id="canned-text" value={e.text} onInput={(ev) => setE({ ...e, text: ev.currentTarget.value })} aria-invalid={textErr ? 'true' : undefined} aria-describedby={textErr ? 'canned-text-error' : undefined} />
        </div>
        {failed && (
          <p class="error" role="alert">
            {t(lang, 'canned.failed')}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t(lang, 'canned.save')}
          </button>
          <button type="button" class="secondary" onClick={props.onCancel}>
            {t(lang, 'staff.cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}

function AnswerItem(props: { lang: Lang; a: CannedAnswer; onEdit(): void; remove(): Promise<void> }) {
  const { lang, a } = props;
  const [asking, setAsking] = useState(false);
  const [failed, setFailed] = useState(false);
  return (
    <li class="canned-item">
      <h3>
        {a.title} <span class="small">({LANG_NAMES[a.lang]})</span>
      </h3>
      <div class="msg-text">{a.text}</div>
      <p class="small">{t(lang, 'canned.updated', { when: formatDateTime(a.updated, lang) })}</p>
      {asking ? (
        <div class="confirm-inline" role="group" aria-label={t(lang, 'canned.deleteConfirm', { title: a.title })}>
          <p>{t(lang, 'canned.deleteConfirm', { title: a.title })}</p>
          <div class="actions">
            <button type="button" class="danger" onClick={() => props.remove().catch(() => setFailed(true))}>
              {t(lang, 'canned.deleteYes')}
            </button>
            <button type="button" class="secondary" onClick={() => setAsking(false)}>
              {t(lang, 'staff.cancel')}
            </button>
          </div>
        </div>
      ) : (
        <div class="actions">
          <button type="button" class="secondary" onClick={props.onEdit}>
            {t(lang, 'canned.editButton')}
            <span class="visually-hidden"> {a.title}</span>
          </button>
          <button type="button" class="secondary" onClick={() => setAsking(true)}>
            {t(lang, 'canned.delete')}
            <span class="visually-hidden"> {a.title}</span>
          </button>
        </div>
      )}
      {failed && (
        <p class="error" role="alert">
          {t(lang, 'canned.failed')}
        </p>
      )}
    </li>
  );
}

export function CannedPage({ lang, session, canned }: { lang: Lang; session: StaffSession; canned: CannedController }) {
  const units = session.units.filter((u) => u.role === 'supervisor');
  const [unit, setUnit] = useState(units[0]?.unit ?? '');
  const [filter, setFilter] = useState<Lang | 'all'>('all');
  const [list, reload] = useLoaded(() => canned.list(unit), [canned, unit]);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [saved, setSaved] = useState(false);
  const shown = list.kind === 'ok' ? orderCanned(list.value.filter((a) => filter === 'all' || a.lang === filter), lang) : [];
  return (
    <>
      <Heading>{t(lang, 'canned.title')}</Heading>
      <p class="hint">{t(lang, 'canned.lead')}</p>
      <div class="queue-filters">
        {units.length > 1 && (
          <div class="field">
            <label for="canned-unit">{t(lang, 'queue.filter.unit')}</label>
            <select id="canned-unit" value={unit} onChange={(e) => setUnit(e.currentTarget.value)}>
              {units.map((u) => (
                <option key={u.unit} value={u.unit}>
                  {u.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <div class="field">
          <label for="canned-filter">{t(lang, 'canned.language')}</label>
          <select id="canned-filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value as Lang | 'all')}>
            <option value="all">{t(lang, 'canned.allLanguages')}</option>
            {LANGS.map((l) => (
              <option key={l} value={l}>
                {LANG_NAMES[l]}
              </option>
            ))}
          </select>
        </div>
      </div>
      {saved && (
        <p class="success" role="status">
          {t(lang, 'canned.saved')}
        </p>
      )}
      {editing === null ? (
        <p>
          <button type="button" onClick={() => setEditing({ lang, title: '', text: '' })}>
            {t(lang, 'canned.new')}
          </button>
        </p>
      ) : (
        <CannedForm
          key={editing.answer ?? 'new'}
          lang={lang}
          initial={editing}
          onCancel={() => setEditing(null)}
          save={async (e) => {
            await canned.save(unit, e);
            setEditing(null);
            setSaved(true);
            reload();
          }}
        />
      )}
      {list.kind === 'loading' && <Loading lang={lang} />}
      {list.kind === 'failed' && <LoadFailed lang={lang} retry={reload} />}
      {list.kind === 'ok' && shown.length === 0 && <p class="empty">{t(lang, 'canned.none')}</p>}
      {shown.length > 0 && (
        <ul class="canned-list" aria-label={t(lang, 'canned.listLabel')}>
          {shown.map((a) => (
            <AnswerItem
              key={a.answer}
              lang={lang}
              a={a}
              onEdit={() => {
                setSaved(false);
                setEditing({ answer: a.answer, lang: a.lang, title: a.title, text: a.text });
              }}
              remove={async () => {
                await canned.remove(unit, a.answer);
                reload();
              }}
            />
          ))}
        </ul>
      )}
    </>
  );
}
