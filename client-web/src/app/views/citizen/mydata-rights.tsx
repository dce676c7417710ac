// mydata-rights.tsx - rights requests: the list on the "Your data" page (each request's kind,
// question, state, made and due dates, and the decision with its reason decrypted from the
// question, all server texts as text) with the questions one can make a request about; and the
// request page of one question ("#/mydata/<id>"): the four kinds each explained, which of
// them applies to erasure (a question handed over to the client record is a client document
// kept until its retention ends, GDPR 17(3)(b); one never handed over can be erased), the
// message to correct, the citizen's words, the one-month deadline, the error summary.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ThreadsController } from '../../citizen/contract';
import type { MyDataController, RightsKind, RightsRequest, ThreadFacts } from '../../citizen/mydata-contract';
import { RIGHTS_MAX_TEXT } from '../../citizen/mydata-rights';
import type { ShellConnection } from '../../citizen/session';
import { t, type Key, type Lang } from '../../i18n';
import { formatDateTime } from '../../format';
import { ErrorSummary, Heading, InlineError, PageLink, type FieldError, type Navigate } from '../common';
import { useCategories } from './ask';
import { categoryName, useThreadList } from './threads-list';
import { formatDate } from './mydata-report';

export const KIND_TEXT: Record<RightsKind, Key> = {
  correction: 'mydata.kind.correction',
  restriction: 'mydata.kind.restriction',
  objection: 'mydata.kind.objection',
  erasure: 'mydata.kind.erasure',
};

const KIND_HINT: Record<Exclude<RightsKind, 'erasure'>, Key> = {
  correction: 'mydata.kind.correctionHint',
  restriction: 'mydata.kind.restrictionHint',
  objection: 'mydata.kind.objectionHint',
};

const STATE_TEXT: Record<RightsRequest['state'], Key> = {
  open: 'mydata.state.open',
  granted: 'mydata.state.granted',
  refused: 'mydata.state.refused',
  extended: 'mydata.state.extended',
};

const KINDS: RightsKind[] = ['correction', 'restriction', 'objection', 'erasure'];

type Loaded<T> = T | 'loading' | 'failed';

function RequestItem({ lang, nav, q, topic }: { lang: Lang; nav: Navigate; q: RightsRequest; topic: string }) {
  return (
    <li class="rights-item">
      <h3>
        {t(lang, KIND_TEXT[q.kind])}: {topic}
      </h3>
      <dl>
        <div>
          <dt>{t(lang, 'mydata.rights.state')}</dt>
          <dd>{t(lang, STATE_TEXT[q.state])}</dd>
        </div>
        <div>
          <dt>{t(lang, 'mydata.rights.made')}</dt>
          <dd>{formatDate(q.made, lang)}</dd>
        </div>
        <div>
          <dt>{t(lang, q.state === 'open' || q.state === 'extended' ? 'mydata.rights.due' : 'mydata.rights.dueWas')}</dt>
          <dd>{formatDate(q.due, lang)}</dd>
        </div>
        {q.decided !== null && (
          <div>
            <dt>{t(lang, 'mydata.rights.decided')}</dt>
            <dd>
              {formatDate(q.decided, lang)}
              {q.decidedBy !== null && `, ${q.decidedBy}`}
            </dd>
          </div>
        )}
      </dl>
      {q.decision === 'unreadable' && <p class="notice">{t(lang, 'mydata.rights.decisionUnreadable')}</p>}
      {q.decision !== null && q.decision !== 'unreadable' && (
        <div class="decision">
          <h4>{t(lang, 'mydata.rights.reason')}</h4>
          <p class="msg-text">{q.decision.reason || t(lang, 'mydata.rights.noReason')}</p>
          {q.decision.text !== '' && <p class="msg-text">{q.decision.text}</p>}
        </div>
      )}
      <p>
        <PageLink to={`thread/${q.thread}`} nav={nav}>
          {t(lang, 'mydata.rights.openThread')}
        </PageLink>
      </p>
    </li>
  );
}

/** The requests list and the questions to make a request about (the "Your data" page). */
export function RightsSection(props: { lang: Lang; nav: Navigate; conn: ShellConnection; threads: ThreadsController; mydata: MyDataController }) {
  const { lang, nav, conn, threads, mydata } = props;
  const [requests, setRequests] = useState<Loaded<RightsRequest[]>>('loading');
  const { list, ready } = useThreadList(conn);
  const cats = useCategories(threads);
  useEffect(() => {
    let live = true;
    mydata.listRights().then((r) => live && setRequests(r), () => live && setRequests('failed'));
    return () => {
      live = false;
    };
  }, [mydata]);
  const topic = (thread: string) => categoryName(cats, list.find((s) => s.thread === thread)?.category ?? '', lang);
  return (
    <section class="mydata-section no-print" aria-labelledby="rights-h">
      <h2 id="rights-h" tabIndex={-1}>{t(lang, 'mydata.rights.sectionTitle')}</h2>
      <p>{t(lang, 'mydata.rights.intro')}</p>
      <p>{t(lang, 'mydata.rights.deadline')}</p>
      <h3>{t(lang, 'mydata.rights.listH')}</h3>
      {requests === 'loading' && <p role="status">{t(lang, 'mydata.rights.loading')}</p>}
      {requests === 'failed' && <p class="error">{t(lang, 'mydata.rights.loadFailed')}</p>}
      {Array.isArray(requests) && requests.length === 0 && <p>{t(lang, 'mydata.rights.none')}</p>}
      {Array.isArray(requests) && requests.length > 0 && (
        <ul class="rights-list">
          {requests.map((q) => (
            <RequestItem key={q.id} lang={lang} nav={nav} q={q} topic={topic(q.thread)} />
          ))}
        </ul>
      )}
      <h3>{t(lang, 'mydata.rights.makeH')}</h3>
      {!ready && list.length === 0 ? (
        <p role="status">{t(lang, 'mydata.rights.loading')}</p>
      ) : list.length === 0 ? (
        <p>{t(lang, 'mydata.rights.noThreads')}</p>
      ) : (
        <ul class="rights-threads">
          {list.map((s) => (
            <li key={s.thread}>
              <PageLink to={`mydata/${s.thread}`} nav={nav}>
                {t(lang, 'mydata.rights.askAbout', { topic: categoryName(cats, s.category, lang), date: formatDate(s.created, lang) })}
              </PageLink>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** What applies to erasure of this question, in words. */
function ErasureHint({ lang, facts, id }: { lang: Lang; facts: ThreadFacts | null; id: string }) {
  const until = facts?.retentionUntil != null ? formatDate(facts.retentionUntil, lang) : null;
  return (
    <div class="hint erasure-hint" id={id}>
      <p>
        {facts === null
          ? t(lang, 'mydata.kind.erasureHint')
          : facts.handedOver
            ? t(lang, 'mydata.kind.erasureHandedOver')
            : t(lang, 'mydata.kind.erasureOpen')}
      </p>
      {until !== null && <p>{t(lang, 'mydata.rights.keptUntil', { date: until })}</p>}
    </div>
  );
}

function preview(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 120 ? one.slice(0, 120) + '…' : one;
}

/** The request form of one question. */
export function RightsRequestPage(props: { lang: Lang; nav: Navigate; conn: ShellConnection; threads: ThreadsController; mydata: MyDataController; thread: string }) {
  const { lang, nav, conn, threads, mydata, thread } = props;
  const { list } = useThreadList(conn);
  const cats = useCategories(threads);
  const [facts, setFacts] = useState<Loaded<ThreadFacts>>('loading');
  const [kind, setKind] = useState<RightsKind | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [sending, setSending] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const [made, setMade] = useState<RightsRequest | null>(null);
  const doneRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    let live = true;
    mydata.threadFacts(thread).then((f) => live && setFacts(f), () => live && setFacts('failed'));
    return () => {
      live = false;
    };
  }, [mydata, thread]);
  useEffect(() => {
    if (made !== null) doneRef.current?.focus();
  }, [made]);

  const f = typeof facts === 'object' ? facts : null;
  const summary = list.find((s) => s.thread === thread);
  const topic = categoryName(cats, summary?.category ?? '', lang);
  const errOf = (field: string) => errors.find((e) => e.field === field)?.text ?? null;

  const submit = async () => {
    const list: FieldError[] = [];
    if (kind === null) list.push({ field: 'rights-kind-correction', text: t(lang, 'mydata.rights.error.kind') });
    if (kind === 'correction' && message === null) list.push({ field: 'rights-msg-first', text: t(lang, 'mydata.rights.error.message') });
    if (text.trim() === '') list.push({ field: 'rights-text', text: t(lang, 'mydata.rights.error.text') });
    else if (text.trim().length > RIGHTS_MAX_TEXT) list.push({ field: 'rights-text', text: t(lang, 'mydata.rights.error.long', { max: String(RIGHTS_MAX_TEXT) }) });
    setErrors(list);
    if (list.length > 0 || kind === null) return;
    setSending(true);
    setFailed(null);
    try {
      setMade(await mydata.requestRights({ thread, kind, text, message: kind === 'correction' ? message : null }));
    } catch (e) {
      setFailed(t(lang, (e as { code?: string }).code === 'restricted' ? 'mydata.rights.failedRestricted' : 'mydata.rights.failed'));
    } finally {
      setSending(false);
    }
  };

  const back = (
    <p class="back">
      <PageLink to="mydata" nav={nav}>
        {t(lang, 'mydata.rights.back')}
      </PageLink>
    </p>
  );
  if (made !== null) {
    return (
      <>
        {back}
        <Heading>{t(lang, 'mydata.rights.title')}</Heading>
        <div class="success">
          <h2 tabIndex={-1} ref={doneRef}>
            {t(lang, 'mydata.rights.sentH')}
          </h2>
          <p>{t(lang, 'mydata.rights.sent', { kind: t(lang, KIND_TEXT[made.kind]), date: formatDate(made.due, lang) })}</p>
        </div>
        <p>
          <PageLink to="mydata" nav={nav}>
            {t(lang, 'mydata.rights.toList')}
          </PageLink>
        </p>
      </>
    );
  }
  const msgs = f?.messages ?? [];
  return (
    <>
      {back}
      <Heading>{t(lang, 'mydata.rights.title')}</Heading>
      <p class="lead">{t(lang, 'mydata.rights.about', { topic })}</p>
      {facts === 'loading' && <p role="status">{t(lang, 'mydata.rights.loading')}</p>}
      {facts === 'failed' && <p class="error">{t(lang, 'mydata.rights.factsFailed')}</p>}
      {f !== null && (f.handedOver || f.restricted) && (
        <ul class="thread-notes">
          {f.handedOver && <li>{t(lang, 'mydata.rights.handedOver')}</li>}
          {f.restricted && <li>{t(lang, 'mydata.rights.restricted')}</li>}
        </ul>
      )}
      {f?.restricted ? (
        <p class="notice">
          {t(lang, 'mydata.rights.restrictedNoForm')}{' '}
          <PageLink to="privacy" nav={nav}>
            {t(lang, 'mydata.report.privacyLink')}
          </PageLink>
        </p>
      ) : (
        requestForm()
      )}
    </>
  );

  /** The form itself (called, not a component: a component made per render would lose the focus). */
  function requestForm() {
    return (
      <>
        <ErrorSummary lang={lang} errors={errors} />
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (!sending) void submit();
          }}
        >
          <fieldset class={errOf('rights-kind-correction') ? 'field field-bad' : 'field'} aria-describedby={errOf('rights-kind-correction') ? 'rights-kind-error' : undefined}>
            <legend class="label">{t(lang, 'mydata.rights.kindLegend')}</legend>
            {errOf('rights-kind-correction') && <InlineError lang={lang} id="rights-kind-error" text={errOf('rights-kind-correction')!} />}
            {KINDS.map((k) => (
              <div class="radio" key={k}>
                <input type="radio" id={`rights-kind-${k}`} name="rights-kind" value={k} checked={kind === k} onChange={() => setKind(k)}
                  aria-describedby={`rights-kind-${k}-hint`} />
                <label for={`rights-kind-${k}`}>{t(lang, KIND_TEXT[k])}</label>
                {k === 'erasure' ? (
                  <ErasureHint lang={lang} facts={f} id={`rights-kind-${k}-hint`} />
                ) : (
                  <p class="hint" id={`rights-kind-${k}-hint`}>
                    {t(lang, KIND_HINT[k])}
                  </p>
                )}
              </div>
            ))}
          </fieldset>
          {kind === 'correction' && (
            <fieldset class={errOf('rights-msg-first') ? 'field field-bad' : 'field'} aria-describedby={errOf('rights-msg-first') ? 'rights-msg-error' : undefined}>
              <legend class="label">{t(lang, 'mydata.rights.messageLegend')}</legend>
              {errOf('rights-msg-first') && <InlineError lang={lang} id="rights-msg-error" text={errOf('rights-msg-first')!} />}
              {msgs.length === 0 && <p>{t(lang, 'mydata.rights.noMessages')}</p>}
              {msgs.map((m, i) => (
                <div class="radio" key={m.id}>
                  <input type="radio" id={i === 0 ? 'rights-msg-first' : `rights-msg-${m.id}`} name="rights-msg" value={m.id}
                    checked={message === m.id} onChange={() => setMessage(m.id)} />
                  <label for={i === 0 ? 'rights-msg-first' : `rights-msg-${m.id}`}>
                    {t(lang, m.mine ? 'mydata.rights.msgMine' : 'mydata.rights.msgStaff', { time: formatDateTime(m.time, lang) })}
                    <span class="msg-preview">{preview(m.text)}</span>
                  </label>
                </div>
              ))}
            </fieldset>
          )}
          <div class={errOf('rights-text') ? 'field field-bad' : 'field'}>
            <label for="rights-text" class="label">
              {t(lang, kind === 'correction' ? 'mydata.rights.textCorrection' : 'mydata.rights.text')}
            </label>
            <p class="hint" id="rights-text-hint">
              {t(lang, 'mydata.rights.textHint')}
            </p>
            {errOf('rights-text') && <InlineError lang={lang} id="rights-text-error" text={errOf('rights-text')!} />}
            <textarea id="rights-text" rows={6} value={text} aria-invalid={errOf('rights-text') ? true : undefined}
              aria-describedby={`rights-text-hint${errOf('rights-text') ? ' rights-text-error' : ''}`} onInput={(e) => setText(e.currentTarget.value)} />
          </div>
          <p>{t(lang, 'mydata.rights.deadline')}</p>
          {failed && (
            <p class="error" role="alert">
              {failed}
            </p>
          )}
          <div class="actions">
            <button type="submit" disabled={sending}>
              {t(lang, sending ? 'mydata.rights.sending' : 'mydata.rights.send')}
            </button>
          </div>
        </form>
      </>
    );
  }
}
