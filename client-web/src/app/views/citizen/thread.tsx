// thread.tsx - one thread: its messages in a role="log" list (own and staff messages told
// apart in words, the author's name and title, the time in Helsinki), one polite live region
// that announces messages arriving while the page is open (no clocks in it), the verifier's
// marks (gap, late, fork) and unreadable messages in plain words, a locked thread explained,
// attachments with download and image preview, the reply form with attachments, and closing
// with a confirmation, and the consent to save it in the client record (consent.tsx). What is
// shown is marked read. A restricted thread (GDPR 18) says what that means, and its reply form
// is disabled with the reason (a draft stays on the device); it is neither closed, marked read
// nor given a consent (the server takes no write on it).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { FileInfo, ShownMessage, ThreadSnapshot, ThreadsController, UnreadableMessage, UploadProgress } from '../../citizen/contract';
import type { ShellConnection } from '../../citizen/session';
import { t, type Lang } from '../../i18n';
import { formatDateTime, formatSize } from '../../format';
import { ErrorSummary, Heading, InlineError, PageLink, type FieldError, type Navigate } from '../common';
import { FilePicker, usePickedFiles } from './files';
import { MARK_TEXT, MAX_TEXT_CHARS, STATE_TEXT, UNREADABLE_TEXT, downloadName, mediaKind, previewType, textProblem } from './forms';
import { MessageText, useCategories, useDraft } from './ask';
import { categoryName, useThreadList, whoAnswers } from './threads-list';
import { ConsentPanel } from './consent';
import { ContentV2Line } from './mydata-thread';

function useSnapshot(threads: ThreadsController, thread: string): ThreadSnapshot | null {
  const [snap, setSnap] = useState<ThreadSnapshot | null>(null);
  useEffect(() => {
    const w = threads.watch(thread);
    setSnap(w.snapshot());
    const off = w.subscribe(setSnap);
    return () => {
      off();
      w.close();
    };
  }, [threads, thread]);
  return snap;
}

function authorText(lang: Lang, m: ShownMessage): string {
  if (m.mine) return t(lang, 'thread.you');
  if (m.author === null) return t(lang, 'thread.staffNeutral');
  return m.author.title ? `${m.author.name}, ${m.author.title}` : m.author.name;
}

/** The announcement of a message that arrived: who, and the start of the text (no time). */
function announcement(lang: Lang, m: ShownMessage): string {
  const text = m.text.length > 200 ? m.text.slice(0, 200) + '…' : m.text;
  return t(lang, 'thread.announce', { who: authorText(lang, m), text });
}

function Attachment(props: { lang: Lang; threads: ThreadsController; thread: string; f: FileInfo; index: number }) {
  const { lang, threads, thread, f, index } = props;
  const [url, setUrl] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState(false);
  const link = useRef<HTMLAnchorElement>(null);
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  const image = previewType(f.media) !== null;
  const name = downloadName(t(lang, 'files.downloadBase'), index, f.media);

  const fetchUrl = async (): Promise<string | null> => {
    if (url !== null) return url;
    setBusy(true);
    setError(null);
    try {
      const blob = await threads.download(thread, f);
      const u = URL.createObjectURL(blob);
      setUrl(u);
      return u;
    } catch (e) {
      const code = (e as { code?: string; message?: string }).code ?? (e as Error).message;
      setError(t(lang, code === 'type_mismatch' ? 'files.download.mismatch' : 'files.download.failed'));
      return null;
    } finally {
      setBusy(false);
    }
  };
  const save = async () => {
    const u = await fetchUrl();
    if (u === null || link.current === null) return;
    link.current.href = u;
    link.current.click();
  };
  const errId = `att-${f.file}-error`;
  return (
    <li class="attachment">
      <p>
        {t(lang, 'files.attachment', { n: String(index + 1) })}: {t(lang, mediaKind(f.media))}, {formatSize(f.size, lang)}
      </p>
      <div class="actions">
        <button type="button" class="secondary" disabled={busy} onClick={() => void save()} aria-describedby={error ? errId : undefined}>
          {t(lang, 'files.download')}
          <span class="visually-hidden"> {t(lang, 'files.attachment', { n: String(index + 1) })}</span>
        </button>
        {image && !shown && (
          <button type="button" class="secondary" disabled={busy} onClick={() => void fetchUrl().then((u) => u && setShown(true))}>
            {t(lang, 'files.show')}
            <span class="visually-hidden"> {t(lang, 'files.attachment', { n: String(index + 1) })}</span>
          </button>
        )}
      </div>
      {/* The download link, clicked by "Download" once the file is decrypted. */}
      <a ref={link} class="visually-hidden" download={name} tabIndex={-1} aria-hidden="true" />
      {busy && <p class="small">{t(lang, 'files.download.busy')}</p>}
      {error && <InlineError lang={lang} id={errId} text={error} />}
      {shown && url && <img class="attachment-image" src={url} alt={t(lang, 'files.imageAlt', { n: String(index + 1) })} />}
    </li>
  );
}

function MessageItem({ lang, threads, thread, m, referred }: {
  lang: Lang; threads: ThreadsController; thread: string; m: ShownMessage; referred: (id: string) => number | null;
}) {
  return (
    <li class={m.mine ? 'msg mine' : 'msg staff'}>
      <p class="msg-head">
        <strong class="msg-who">{authorText(lang, m)}</strong>
        {!m.mine && <span class="msg-tag"> ({t(lang, 'thread.staffTag')})</span>}
        <span class="msg-time"> · {formatDateTime(m.time, lang)}</span>
      </p>
      <ContentV2Line lang={lang} m={m} referred={referred} />
      <div class="msg-text">{m.text}</div>
      {m.mark !== 'ok' && <p class="mark">{t(lang, MARK_TEXT[m.mark])}</p>}
      {m.files.length > 0 && (
        <ul class="attachments" aria-label={t(lang, 'files.attachmentsLabel')}>
          {m.files.map((f, i) => (
            <Attachment key={f.file} lang={lang} threads={threads} thread={thread} f={f} index={i} />
          ))}
        </ul>
      )}
    </li>
  );
}

function UnreadableItem({ lang, u }: { lang: Lang; u: UnreadableMessage }) {
  return (
    <li class="msg unreadable">
      <p class="msg-head">
        <strong>{t(lang, 'thread.unreadable')}</strong>
        <span class="msg-time"> · {formatDateTime(u.time, lang)}</span>
      </p>
      <p>{t(lang, UNREADABLE_TEXT[u.reason])}</p>
    </li>
  );
}

/** A restricted thread: what restriction means for the citizen (shown above the messages). */
function RestrictedNotice({ lang }: { lang: Lang }) {
  return (
    <section class="notice restricted-notice" aria-labelledby="restricted-h">
      <h2 id="restricted-h">{t(lang, 'thread.restrictedH')}</h2>
      <p>{t(lang, 'thread.restricted')}</p>
      <p>{t(lang, 'thread.restrictedUse')}</p>
    </section>
  );
}

/** The reply form; `paused`: the thread is restricted, so the form is shown disabled with the reason. */
function Reply(props: { lang: Lang; conn: ShellConnection; threads: ThreadsController; thread: string; paused: boolean }) {
  const { lang, conn, threads, thread, paused } = props;
  const draft = useDraft(threads, thread, conn);
  const files = usePickedFiles(threads);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const [sending, setSending] = useState(false);
  const [failed, setFailed] = useState(false);
  const [progress, setProgress] = useState(new Map<number, UploadProgress>());
  const p = textProblem(draft.text);
  const textError = p === 'empty' ? t(lang, 'thread.error.text') : p === 'too_long' ? t(lang, 'ask.error.long', { max: String(MAX_TEXT_CHARS) }) : null;

  const send = async () => {
    setSubmitted(true);
    const list: FieldError[] = [];
    if (textError) list.push({ field: 'reply-text', text: textError });
    list.push(...files.errors(lang, 'reply-files'));
    setErrors(list);
    if (list.length > 0) return;
    setSending(true);
    setFailed(false);
    setProgress(new Map());
    try {
      await threads.reply(thread, draft.text, files.sendable(), (u) => setProgress((old) => new Map(old).set(u.file, u)));
      draft.discard();
      files.clear();
      setSubmitted(false);
      setProgress(new Map());
    } catch {
      setFailed(true);
    } finally {
      setSending(false);
    }
  };
  return (
    <section class="reply" aria-labelledby="reply-h">
      <h2 id="reply-h">{t(lang, 'thread.reply')}</h2>
      {paused && (
        <p class="notice" id="reply-paused">
          {t(lang, 'thread.replyPaused')}
        </p>
      )}
      <ErrorSummary lang={lang} errors={errors} />
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!sending && !paused) void send();
        }}
      >
        <fieldset class="bare" disabled={paused} aria-describedby={paused ? 'reply-paused' : undefined}>
          <MessageText lang={lang} id="reply-text" label={t(lang, 'thread.replyText')} value={draft.text} error={submitted ? textError : null} onInput={draft.change} />
          <FilePicker lang={lang} id="reply-files" files={files} progress={progress} busy={sending} />
          {failed && (
            <p class="error" role="alert">
              {t(lang, 'thread.replyFailed')}
            </p>
          )}
          <div class="actions">
            <button type="submit" disabled={sending || paused}>
              {t(lang, sending ? 'ask.sending' : failed ? 'ask.retry' : 'thread.send')}
            </button>
          </div>
        </fieldset>
      </form>
    </section>
  );
}

function CloseThread({ lang, threads, thread }: { lang: Lang; threads: ThreadsController; thread: string }) {
  const [asking, setAsking] = useState(false);
  const [failed, setFailed] = useState(false);
  const confirm = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  if (!asking)
    return (
      <p>
        <button type="button" class="secondary" onClick={() => setAsking(true)}>
          {t(lang, 'thread.close')}
        </button>
      </p>
    );
  return (
    <section class="confirm" aria-labelledby="close-h">
      <h2 id="close-h" tabIndex={-1} ref={confirm}>
        {t(lang, 'thread.closeConfirmH')}
      </h2>
      <p>{t(lang, 'thread.closeConfirm')}</p>
      {failed && <p class="error">{t(lang, 'thread.closeFailed')}</p>}
      <div class="actions">
        <button type="button" onClick={() => threads.close(thread).then(() => setAsking(false), () => setFailed(true))}>
          {t(lang, 'thread.closeYes')}
        </button>
        <button type="button" class="secondary" onClick={() => setAsking(false)}>
          {t(lang, 'thread.closeNo')}
        </button>
      </div>
    </section>
  );
}

/** Announces messages from others that arrive after the page showed the thread. */
function useAnnouncer(lang: Lang, snap: ThreadSnapshot | null): string {
  const seen = useRef<number | null>(null);
  const [text, setText] = useState('');
  useEffect(() => {
    if (snap === null) return;
    const last = snap.messages.reduce((n, m) => Math.max(n, m.seq), 0);
    if (seen.current === null) {
      seen.current = last;
      return;
    }
    const fresh = snap.messages.filter((m) => m.seq > seen.current! && !m.mine);
    seen.current = Math.max(seen.current, last);
    if (fresh.length > 0) setText(fresh.map((m) => announcement(lang, m)).join(' '));
  }, [snap, lang]);
  return text;
}

export function ThreadPage(props: { lang: Lang; nav: Navigate; conn: ShellConnection; threads: ThreadsController; thread: string }) {
  const { lang, nav, conn, threads, thread } = props;
  const snap = useSnapshot(threads, thread);
  const { list } = useThreadList(conn);
  const cats = useCategories(threads);
  const summary = list.find((s) => s.thread === thread);
  const announce = useAnnouncer(lang, snap);
  const marked = useRef(0);

  useEffect(() => {
    // A restricted thread takes no read mark (read.set is a write, PROTOCOL.md §14.8).
    if (snap === null || snap.restricted === true || document.visibilityState === 'hidden') return;
    const last = snap.messages.reduce((n, m) => Math.max(n, m.seq), 0);
    if (last > marked.current) {
      marked.current = last;
      threads.markRead(thread, last);
    }
  }, [snap, threads, thread]);

  const state = snap?.state ?? summary?.state ?? null;
  const topic = categoryName(cats, snap?.category ?? summary?.category ?? '', lang);
  const category = Array.isArray(cats) ? cats.find((c) => c.category === (snap?.category ?? summary?.category)) : undefined;
  const items: ({ k: 'm'; m: ShownMessage } | { k: 'u'; u: UnreadableMessage })[] = snap === null ? [] : [
    ...snap.messages.map((m) => ({ k: 'm' as const, m })),
    ...snap.unreadable.map((u) => ({ k: 'u' as const, u })),
  ].sort((a, b) => (a.k === 'm' ? a.m.seq : a.u.seq) - (b.k === 'm' ? b.m.seq : b.u.seq));
  const referred = (id: string) => snap?.messages.find((m) => m.id === id)?.time ?? null;

  if (snap?.missing) {
    // Erased (GDPR 17, retention) or not this citizen's: nothing of it is shown, not even the list's stale facts.
    return (
      <>
        <p class="back">
          <PageLink to="threads" nav={nav}>
            {t(lang, 'thread.back')}
          </PageLink>
        </p>
        <Heading>{t(lang, 'thread.missingH')}</Heading>
        <p>{t(lang, 'thread.missing')}</p>
      </>
    );
  }

  return (
    <>
      <p class="back">
        <PageLink to="threads" nav={nav}>
          {t(lang, 'thread.back')}
        </PageLink>
      </p>
      <Heading>{topic}</Heading>
      {state !== null && (
        <dl class="thread-facts">
          <div>
            <dt>{t(lang, 'threads.stateLabel')}</dt>
            <dd>{t(lang, STATE_TEXT[state])}</dd>
          </div>
          {summary && (
            <div>
              <dt>{t(lang, 'threads.whoLabel')}</dt>
              <dd>{whoAnswers(lang, summary)}</dd>
            </div>
          )}
          {category && (state === 'new' || state === 'claimed') && (
            <div>
              <dt>{t(lang, 'thread.expectedLabel')}</dt>
              <dd>{t(lang, 'thread.expected', { days: String(category.answerDays) })}</dd>
            </div>
          )}
        </dl>
      )}
      <p class="thread-rights">
        <PageLink to={`mydata/${thread}`} nav={nav}>
          {t(lang, 'mydata.rights.fromThread')}
        </PageLink>
      </p>
      {snap === null && <p role="status">{t(lang, 'thread.loading')}</p>}
      {snap?.locked && (
        <div class="notice">
          <h2>{t(lang, 'thread.lockedH')}</h2>
          <p>{t(lang, 'thread.locked')}</p>
          <p>
            <PageLink to="devices" nav={nav}>
              {t(lang, 'thread.lockedLink')}
            </PageLink>
          </p>
        </div>
      )}
      {snap?.restricted === true && <RestrictedNotice lang={lang} />}
      {snap !== null && !snap.complete && <p class="notice">{t(lang, 'thread.incomplete')}</p>}
      <h2 id="messages-h">{t(lang, 'thread.messages')}</h2>
      {/* The log is not itself live: the one announcer below tells of new messages, without times. */}
      <div role="log" aria-live="off" aria-labelledby="messages-h">
      <ol class="messages">
        {items.map((x) =>
          x.k === 'm' ? (
            <MessageItem key={`m${x.m.seq}`} lang={lang} threads={threads} thread={thread} m={x.m} referred={referred} />
          ) : (
            <UnreadableItem key={`u${x.u.seq}`} lang={lang} u={x.u} />
          ),
        )}
        {snap?.sending.map((s) => (
          <li key={s.local} class="msg mine sending">
            <p class="msg-head">
              <strong class="msg-who">{t(lang, 'thread.you')}</strong>
              <span class="msg-time"> · {t(lang, s.failed ? 'thread.notSent' : 'thread.sending')}</span>
            </p>
            <div class="msg-text">{s.text}</div>
            {s.files.length > 0 && <p class="small">{t(lang, 'thread.sendingFiles', { n: String(s.files.length) })}</p>}
            {s.failed && <p class="mark">{t(lang, 'thread.notSentWhy')}</p>}
          </li>
        ))}
      </ol>
      </div>
      {snap !== null && items.length === 0 && snap.sending.length === 0 && <p>{t(lang, 'thread.noMessages')}</p>}
      <p class="visually-hidden" aria-live="polite" aria-atomic="true" id="thread-announcer">
        {announce}
      </p>
      {state === 'closed' ? (
        <p class="notice">{t(lang, 'thread.closed')}</p>
      ) : (
        snap !== null &&
        !snap.locked && (
          <>
            <Reply lang={lang} conn={conn} threads={threads} thread={thread} paused={snap.restricted === true} />
            {snap.restricted !== true && <CloseThread lang={lang} threads={threads} thread={thread} />}
          </>
        )
      )}
      {/* Consent is a write on the thread too, which a restricted thread does not take. */}
      {snap !== null && snap.restricted !== true && threads.consent !== undefined && (
        <ConsentPanel lang={lang} consent={threads.consent} thread={thread} locked={snap.locked} />
      )}
    </>
  );
}
