// ask.tsx - a new question: the topic (a radio group, each with its service hours and answer
// time), the text with a character count, attachments (files.tsx), the error summary on
// sending, per-file progress and a retry when sending fails. The text is kept as a draft on
// this device while typed (encrypted by the threads controller) and discarded once sent.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Category, ThreadsController, UploadProgress } from '../../citizen/contract';
import type { ShellConnection } from '../../citizen/session';
import { t, type Lang } from '../../i18n';
import { formatDay, unbroken } from '../../format';
import { ErrorSummary, Heading, InlineError, type FieldError, type Navigate } from '../common';
import { FilePicker, usePickedFiles } from './files';
import { MAX_TEXT_CHARS, textProblem } from './forms';

type Categories = Category[] | 'loading' | 'failed';

export function useCategories(threads: ThreadsController): Categories {
  const [cats, setCats] = useState<Categories>('loading');
  useEffect(() => {
    let live = true;
    threads.categories().then(
      (c) => live && setCats(c),
      () => live && setCats('failed'),
    );
    return () => {
      live = false;
    };
  }, [threads]);
  return cats;
}

/**
 * The draft of `thread` (null: a new question): loaded once, saved a moment after typing, and
 * at once when the form goes away with a save still waiting (logging out or moving to another
 * page right after typing keeps the text).
 */
export function useDraft(threads: ThreadsController, thread: string | null, conn: ShellConnection) {
  const [text, setText] = useState('');
  const loaded = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const unsaved = useRef<string | null>(null);
  const save = () => {
    clearTimeout(timer.current);
    const v = unsaved.current;
    unsaved.current = null;
    if (v !== null) void threads.saveDraft(thread, v).catch(() => undefined);
  };
  useEffect(() => {
    let live = true;
    loaded.current = false;
    threads.loadDraft(thread).then(
      (d) => {
        if (!live) return;
        loaded.current = true;
        setText((now) => (now === '' ? d : now));
      },
      () => (loaded.current = true),
    );
    return () => {
      live = false;
      save();
    };
  }, [threads, thread]);
  const change = (v: string) => {
    setText(v);
    conn.touch();
    unsaved.current = v;
    clearTimeout(timer.current);
    timer.current = setTimeout(save, 800);
  };
  const discard = () => {
    clearTimeout(timer.current);
    unsaved.current = null;
    setText('');
    void threads.discardDraft(thread).catch(() => undefined);
  };
  return { text, change, discard };
}

/** The text area with its label, hint, character count and inline error. */
export function MessageText(props: { lang: Lang; id: string; label: string; value: string; error: string | null; onInput: (v: string) => void }) {
  const { lang, id, label, value, error, onInput } = props;
  const used = [...value].length;
  const left = MAX_TEXT_CHARS - used;
  return (
    <div class={error ? 'field field-bad' : 'field'}>
      <label for={id} class="label">
        {label}
      </label>
      {error && <InlineError lang={lang} id={`${id}-error`} text={error} />}
      <textarea
        id={id}
        rows={8}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-count${error ? ` ${id}-error` : ''}`}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      <p id={`${id}-count`} class={left < 0 ? 'count over' : 'count'}>
        {left >= 0 ? t(lang, 'ask.charsLeft', { n: String(left) }) : t(lang, 'ask.charsOver', { n: String(-left) })}
      </p>
    </div>
  );
}

function CategoryChoice({ lang, c, checked, onPick }: { lang: Lang; c: Category; checked: boolean; onPick: () => void }) {
  const id = `ask-cat-${c.category}`;
  return (
    <div class="radio">
      <input type="radio" id={id} name="category" value={c.category} checked={checked} onChange={onPick} aria-describedby={`${id}-hint`} />
      <label for={id}>{c.name}</label>
      <p class="hint" id={`${id}-hint`}>
        {t(lang, 'ask.hours', { open: c.serviceHours.open, close: c.serviceHours.close })}{' '}
        {t(lang, c.openNow ? 'ask.openNow' : 'ask.closedNow')}{' '}
        {c.expectedBy !== null
          ? t(lang, 'ask.expected', { days: String(c.answerDays), date: formatDay(c.expectedBy, lang) })
          : t(lang, 'ask.answerDays', { days: String(c.answerDays) })}
      </p>
    </div>
  );
}

export function AskPage({ lang, nav, conn, threads }: { lang: Lang; nav: Navigate; conn: ShellConnection; threads: ThreadsController }) {
  const cats = useCategories(threads);
  const draft = useDraft(threads, null, conn);
  const files = usePickedFiles(threads);
  const [category, setCategory] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const [sending, setSending] = useState(false);
  const [failed, setFailed] = useState(false);
  const [progress, setProgress] = useState(new Map<number, UploadProgress>());

  useEffect(() => {
    if (Array.isArray(cats) && cats.length === 1 && category === null) setCategory(cats[0].category);
  }, [cats]);

  const textError = (() => {
    const p = textProblem(draft.text);
    return p === 'empty' ? t(lang, 'ask.error.text') : p === 'too_long' ? t(lang, 'ask.error.long', { max: String(MAX_TEXT_CHARS) }) : null;
  })();
  const categoryError = category === null ? t(lang, 'ask.error.category') : null;

  const send = async () => {
    setSubmitted(true);
    const list: FieldError[] = [];
    if (categoryError && Array.isArray(cats) && cats.length > 0) list.push({ field: `ask-cat-${cats[0].category}`, text: categoryError });
    if (textError) list.push({ field: 'ask-text', text: textError });
    list.push(...files.errors(lang, 'ask-files'));
    setErrors(list);
    if (list.length > 0 || category === null) return;
    setSending(true);
    setFailed(false);
    setProgress(new Map());
    try {
      const thread = await threads.ask({ category, text: draft.text, files: files.sendable(), lang }, (p) =>
        setProgress((old) => new Map(old).set(p.file, p)),
      );
      draft.discard();
      files.clear();
      nav(`thread/${thread}`);
    } catch {
      setFailed(true);
      setSending(false);
    }
  };

  return (
    <>
      <ErrorSummary lang={lang} errors={errors} />
      <Heading>{t(lang, 'ask.title')}</Heading>
      <p>{t(lang, 'ask.intro')}</p>
      <p class="notice-emergency">{t(lang, 'ask.emergency', { number: unbroken('112') })}</p>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!sending) void send();
        }}
      >
        {cats === 'loading' && <p>{t(lang, 'ask.categoriesLoading')}</p>}
        {cats === 'failed' && <p class="error">{t(lang, 'ask.categoriesFailed')}</p>}
        {Array.isArray(cats) && (
          <fieldset class={submitted && categoryError ? 'field field-bad' : 'field'} aria-describedby={submitted && categoryError ? 'ask-cat-error' : undefined}>
            <legend class="label">{t(lang, 'ask.category')}</legend>
            {submitted && categoryError && <InlineError lang={lang} id="ask-cat-error" text={categoryError} />}
            {cats.map((c) => (
              <CategoryChoice key={c.category} lang={lang} c={c} checked={category === c.category} onPick={() => setCategory(c.category)} />
            ))}
          </fieldset>
        )}
        <MessageText lang={lang} id="ask-text" label={t(lang, 'ask.text')} value={draft.text} error={submitted ? textError : null} onInput={draft.change} />
        <p class="hint">{t(lang, 'ask.draftKept')}</p>
        <FilePicker lang={lang} id="ask-files" files={files} progress={progress} busy={sending} />
        {failed && (
          <p class="error" role="alert">
            {t(lang, 'ask.failed')}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={sending}>
            {t(lang, sending ? 'ask.sending' : failed ? 'ask.retry' : 'ask.send')}
          </button>
        </div>
      </form>
    </>
  );
}
