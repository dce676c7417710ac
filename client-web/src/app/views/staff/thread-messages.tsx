// thread-messages.tsx - a thread's messages for the worker, in a role="log" list that is not
// itself live: the sender in words (the client, or the worker's name and title, "you"), the
// time in Helsinki, "asked for more information", the verifier's marks (gap, late, fork),
// unreadable messages with their reason (never content), messages being sent, and attachments
// with download and an image preview (a type mismatch refused with its reason); a corrected
// message struck through with its corrections beside it, rights requests and decisions tagged.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { FileInfo, StaffMessage, StaffThreadSnapshot, StaffThreadsController, UnreadableMessage } from '../../staff/contract';
import { t, type Lang } from '../../i18n';
import { formatDateTime, formatSize } from '../../format';
import { InlineError } from '../common';
import { MARK_TEXT, UNREADABLE_TEXT, downloadName, mediaKind, previewType } from '../citizen/forms';
import { personText } from './parts';
import { errorCode } from './rules';
import { CorrectedText, CorrectionVersion } from './correct';

export function senderText(lang: Lang, m: StaffMessage): string {
  if (m.from === 'citizen') return t(lang, 'sthread.from.client');
  if (m.me) return t(lang, 'sthread.from.me');
  return personText(m.author, t(lang, 'sthread.from.staff'));
}

function Attachment(props: { lang: Lang; threads: StaffThreadsController; thread: string; seq: number; f: FileInfo; index: number }) {
  const { lang, threads, thread, seq, f, index } = props;
  const [url, setUrl] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState(false);
  const link = useRef<HTMLAnchorElement>(null);
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  const image = previewType(f.media) !== null;
  const label = t(lang, 'files.attachment', { n: String(index + 1) });
  const errId = `att-${seq}-${index}-error`;

  const open = async (): Promise<string | null> => {
    if (url !== null) return url;
    setBusy(true);
    setError(null);
    try {
      const u = URL.createObjectURL(await threads.download(thread, f));
      setUrl(u);
      return u;
    } catch (e) {
      setError(t(lang, errorCode(e) === 'type_mismatch' ? 'files.download.mismatch' : 'files.download.failed'));
      return null;
    } finally {
      setBusy(false);
    }
  };
  const save = async () => {
    const u = await open();
    if (u === null || link.current === null) return;
    link.current.href = u;
    link.current.click();
  };
  return (
    <li class="attachment">
      <p>
        {label}: {t(lang, mediaKind(f.media))}, {formatSize(f.size, lang)}
      </p>
      <div class="actions">
        <button type="button" class="secondary" disabled={busy} onClick={() => void save()} aria-describedby={error ? errId : undefined}>
          {t(lang, 'files.download')}
          <span class="visually-hidden"> {label}</span>
        </button>
        {image && !shown && (
          <button type="button" class="secondary" disabled={busy} onClick={() => void open().then((u) => u && setShown(true))}>
            {t(lang, 'files.show')}
            <span class="visually-hidden"> {label}</span>
          </button>
        )}
      </div>
      <a ref={link} class="visually-hidden" download={downloadName(t(lang, 'files.downloadBase'), index, f.media)} tabIndex={-1} aria-hidden="true" />
      {busy && <p class="small">{t(lang, 'files.download.busy')}</p>}
      {error && <InlineError lang={lang} id={errId} text={error} />}
      {shown && url && <img class="attachment-image" src={url} alt={t(lang, 'files.imageAlt', { n: String(index + 1) })} />}
    </li>
  );
}

function MessageItem({ lang, threads, thread, m, bySeq }: { lang: Lang; threads: StaffThreadsController; thread: string; m: StaffMessage;
  bySeq: Map<number, StaffMessage> }) {
  const cls = m.from === 'citizen' ? 'msg client' : m.me ? 'msg mine' : 'msg colleague';
  const corrections = (m.correctedBy ?? []).map((s) => bySeq.get(s)).filter((x): x is StaffMessage => x !== undefined);
  const content = m.content;
  return (
    <li class={cls}>
      <p class="msg-head">
        <strong class="msg-who">{senderText(lang, m)}</strong>
        {m.from === 'staff' && <span class="msg-tag"> ({t(lang, 'sthread.staffTag')})</span>}
        <span class="msg-time"> · {formatDateTime(m.time, lang)}</span>
      </p>
      {content?.kind === 'rights_request' && <p class="msg-kind"><strong>{t(lang, 'staff.rights.requestTag')}</strong></p>}
      {content?.kind === 'rights_decision' && <p class="msg-kind"><strong>{t(lang, 'staff.rights.decisionTag')}</strong></p>}
      {content?.kind === 'correction' && content.target === null && (
        <p class="warning">{t(lang, 'staff.correct.orphan')} {t(lang, 'staff.correct.reasonShown', { reason: content.reason })}</p>
      )}
      {content?.kind === 'correction' && content.target === null && content.mismatch && <p class="warning">{t(lang, 'staff.correct.mismatch')}</p>}
      {corrections.length > 0 ? <CorrectedText lang={lang} m={m} /> : m.text !== '' && <div class="msg-text">{m.text}</div>}
      {content?.kind === 'rights_decision' && content.reason !== '' && (
        <p class="decision-reason">{t(lang, 'staff.rights.decisionReason', { reason: content.reason })}</p>
      )}
      {corrections.map((x) => (
        <CorrectionVersion key={x.seq} lang={lang} m={x} />
      ))}
      {m.asksMore && <p class="asks-more">{t(lang, 'sthread.askedMore')}</p>}
      {m.mark !== 'ok' && <p class="mark">{t(lang, MARK_TEXT[m.mark])}</p>}
      {m.files.length > 0 && (
        <ul class="attachments" aria-label={t(lang, 'files.attachmentsLabel')}>
          {m.files.map((f, i) => (
            <Attachment key={f.file} lang={lang} threads={threads} thread={thread} seq={m.seq} f={f} index={i} />
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
        <strong>{t(lang, 'sthread.unreadable')}</strong>
        <span class="msg-time"> · {formatDateTime(u.time, lang)}</span>
      </p>
      <p>{t(lang, UNREADABLE_TEXT[u.reason])}</p>
    </li>
  );
}

export function MessageLog({ lang, threads, snap }: { lang: Lang; threads: StaffThreadsController; snap: StaffThreadSnapshot }) {
  const items: ({ k: 'm'; m: StaffMessage } | { k: 'u'; u: UnreadableMessage })[] = [
    ...snap.messages.map((m) => ({ k: 'm' as const, m })),
    ...snap.unreadable.map((u) => ({ k: 'u' as const, u })),
  ]
    // A correction paired with the message it corrects is shown beside that message.
    .filter((x) => x.k !== 'm' || x.m.content?.kind !== 'correction' || x.m.content.target === null)
    .sort((a, b) => (a.k === 'm' ? a.m.seq : a.u.seq) - (b.k === 'm' ? b.m.seq : b.u.seq));
  const bySeq = new Map(snap.messages.map((m) => [m.seq, m] as [number, StaffMessage]));
  return (
    <>
      <h2 id="messages-h">{t(lang, 'sthread.messages')}</h2>
      {!snap.complete && <p class="warning">{t(lang, 'sthread.gap')}</p>}
      {snap.unreadable.length > 0 && <p class="warning">{t(lang, 'sthread.unreadableWarning', { n: String(snap.unreadable.length) })}</p>}
      <div role="log" aria-live="off" aria-labelledby="messages-h">
        <ol class="messages">
          {items.map((x) =>
            x.k === 'm' ? (
              <MessageItem key={`m${x.m.seq}`} lang={lang} threads={threads} thread={snap.thread} m={x.m} bySeq={bySeq} />
            ) : (
              <UnreadableItem key={`u${x.u.seq}`} lang={lang} u={x.u} />
            ),
          )}
          {snap.sending.map((s) => (
            <li key={s.local} class="msg mine sending">
              <p class="msg-head">
                <strong class="msg-who">{t(lang, 'sthread.from.me')}</strong>
                <span class="msg-time"> · {t(lang, s.failed ? 'sthread.notSent' : 'sthread.sending')}</span>
              </p>
              <div class="msg-text">{s.text}</div>
              {s.files.length > 0 && <p class="small">{t(lang, 'sthread.sendingFiles', { n: String(s.files.length) })}</p>}
            </li>
          ))}
        </ol>
      </div>
      {items.length === 0 && snap.sending.length === 0 && <p>{t(lang, 'sthread.noMessages')}</p>}
    </>
  );
}
