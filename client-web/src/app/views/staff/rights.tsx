// rights.tsx - the citizens' rights requests for supervisors: the list of their units'
// requests (kind, conversation, made, due, state) with the deadline flags in words (overdue; due
// within 7 days), and on a thread the requests made in it with the citizen's words and the
// decision form: grant, refuse (a reason required) or extend once, each outcome explained.
import { useState } from 'preact/hooks';
import type { DecisionError, RightsController, RightsKind, RightsOutcome, RightsRequest, StaffThreadSnapshot } from '../../staff/contract';
import { dueFlag, isPending } from '../../staff/rights';
import { t, type Key, type Lang } from '../../i18n';
import { formatDateTimeYear } from '../../format';
import { ErrorSummary, Heading, InlineError, type FieldError } from '../common';
import { LoadFailed, Loading, StaffLink, type StaffNavigate } from './parts';
import { errorCode } from './rules';
import { useLoaded, useNow } from './use';

const KIND: Record<RightsKind, Key> = {
  correction: 'staff.rights.kind.correction',
  restriction: 'staff.rights.kind.restriction',
  objection: 'staff.rights.kind.objection',
  erasure: 'staff.rights.kind.erasure',
};

const EXPLAIN: Record<RightsKind, Key> = {
  correction: 'staff.rights.explain.correction',
  restriction: 'staff.rights.explain.restriction',
  objection: 'staff.rights.explain.objection',
  erasure: 'staff.rights.explain.erasure',
};

function StateText({ lang, r }: { lang: Lang; r: RightsRequest }) {
  return <>{t(lang, `staff.rights.state.${r.state}` as Key)}</>;
}

/** The due date with its flag in words (the colour only repeats it). */
function DueText({ lang, r, now }: { lang: Lang; r: RightsRequest; now: number }) {
  const flag = dueFlag(r, now);
  return (
    <span class={flag === null ? 'dl' : flag === 'overdue' ? 'dl dl-missed' : 'dl dl-at_risk'}>
      {flag && <strong class="dl-badge">{t(lang, flag === 'overdue' ? 'staff.rights.flag.overdue' : 'staff.rights.flag.soon')}: </strong>}
      {formatDateTimeYear(r.due, lang)}
    </span>
  );
}

export function RightsPage({ lang, rights, nav }: { lang: Lang; rights: RightsController; nav: StaffNavigate }) {
  const [list, retry] = useLoaded(() => rights.list(), [rights]);
  const now = useNow();
  return (
    <>
      <Heading>{t(lang, 'staff.rights.title')}</Heading>
      <p class="hint">{t(lang, 'staff.rights.lead')}</p>
      {list.kind === 'loading' && <Loading lang={lang} />}
      {list.kind === 'failed' && <LoadFailed lang={lang} retry={retry} />}
      {list.kind === 'ok' && list.value.length === 0 && <p class="empty">{t(lang, 'staff.rights.none')}</p>}
      {list.kind === 'ok' && list.value.length > 0 && (
        <table class="data-table rights-table">
          <caption>{t(lang, 'staff.rights.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t(lang, 'staff.rights.col.kind')}</th>
              <th scope="col">{t(lang, 'staff.rights.col.thread')}</th>
              <th scope="col">{t(lang, 'staff.rights.col.made')}</th>
              <th scope="col">{t(lang, 'staff.rights.col.due')}</th>
              <th scope="col">{t(lang, 'staff.rights.col.state')}</th>
            </tr>
          </thead>
          <tbody>
            {list.value.map((r) => (
              <tr key={r.id}>
                <th scope="row" data-label={t(lang, 'staff.rights.col.kind')}>
                  {t(lang, KIND[r.kind])}
                </th>
                <td data-label={t(lang, 'staff.rights.col.thread')}>
                  <StaffLink to={`thread/${r.thread}`} nav={nav}>
                    {t(lang, 'staff.rights.open', { n: r.thread.slice(0, 8) })}
                  </StaffLink>
                </td>
                <td data-label={t(lang, 'staff.rights.col.made')}>{formatDateTimeYear(r.made, lang)}</td>
                <td data-label={t(lang, 'staff.rights.col.due')}>{isPending(r) ? <DueText lang={lang} r={r} now={now} /> : '–'}</td>
                <td data-label={t(lang, 'staff.rights.col.state')}>
                  <StateText lang={lang} r={r} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

const DECISION_ERROR: Record<DecisionError, Key> = {
  reason: 'staff.rights.error.reason',
  extend_once: 'staff.rights.error.extend_once',
  handed_over: 'staff.rights.failed.handed_over',
  restricted: 'staff.restrict.failed',
  forbidden: 'staff.rights.failed',
  keys: 'staff.rights.failed',
  network: 'staff.rights.failed',
  failed: 'staff.rights.failed',
};

function DecideForm({ lang, rights, r, onDone }: { lang: Lang; rights: RightsController; r: RightsRequest; onDone(outcome: RightsOutcome): void }) {
  const [outcome, setOutcome] = useState<RightsOutcome | ''>('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failed, setFailed] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = (s: string) => `decide-${r.id.slice(0, 8)}-${s}`;
  const outcomes: RightsOutcome[] = r.state === 'open' ? ['granted', 'refused', 'extended'] : ['granted', 'refused'];
  const submit = async () => {
    const errs: FieldError[] = [];
    if (outcome === '') errs.push({ field: id('granted'), text: t(lang, 'staff.rights.error.outcome') });
    if (outcome === 'refused' && reason.trim() === '') errs.push({ field: id('reason'), text: t(lang, 'staff.rights.error.reason') });
    setErrors(errs);
    if (errs.length > 0 || outcome === '') return;
    setBusy(true);
    setFailed(null);
    try {
      await rights.decide(r, outcome, reason);
      onDone(outcome);
    } catch (e) {
      setFailed(t(lang, DECISION_ERROR[errorCode(e) as DecisionError] ?? 'staff.rights.failed'));
      setBusy(false);
    }
  };
  const outcomeErr = errors.find((e) => e.field === id('granted'))?.text ?? null;
  const reasonErr = errors.find((e) => e.field === id('reason'))?.text ?? null;
  return (
    <form
      class="decide-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy) void submit();
      }}
    >
      <ErrorSummary lang={lang} errors={errors} />
      <fieldset class={outcomeErr ? 'field field-bad' : 'field'}>
        <legend class="label">{t(lang, 'staff.rights.outcome')}</legend>
        {outcomeErr && <InlineError lang={lang} id={id('outcome-error')} text={outcomeErr} />}
        {outcomes.map((o) => (
          <div class="radio" key={o}>
            <input type="radio" id={id(o)} name={id('outcome')} checked={outcome === o} onChange={() => setOutcome(o)}
              aria-describedby={o === 'granted' ? id('explain-granted') : o === 'extended' ? id('explain-extended') : undefined} />
            <label for={id(o)}>{t(lang, `staff.rights.outcome.${o}` as Key)}</label>
          </div>
        ))}
      </fieldset>
      <p class="hint" id={id('explain-granted')}>
        {t(lang, EXPLAIN[r.kind])}
      </p>
      {r.state === 'open' && (
        <p class="hint" id={id('explain-extended')}>
          {t(lang, 'staff.rights.explain.extended')}
        </p>
      )}
      <div class={reasonErr ? 'field field-bad' : 'field'}>
        <label class="label" for={id('reason')}>
          {t(lang, 'staff.rights.reason')}
        </label>
        <p class="hint" id={id('reason-hint')}>
          {t(lang, 'staff.rights.reasonHint')}
        </p>
        {reasonErr && <InlineError lang={lang} id={id('reason-error')} text={reasonErr} />}
        <textarea id={id('reason')} class="short" rows={3} value={reason} aria-invalid={reasonErr ? 'true' : undefined}
          aria-describedby={reasonErr ? `${id('reason-hint')} ${id('reason-error')}` : id('reason-hint')} onInput={(e) => setReason(e.currentTarget.value)} />
      </div>
      {failed && (
        <p class="error" role="alert">
          {failed}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {t(lang, busy ? 'staff.rights.busy' : 'staff.rights.submit')}
        </button>
      </div>
    </form>
  );
}

/**
 * The requests made in one thread, with the citizen's words and the decision form; `onDecided`
 * gets the confirmation to show (the page shows it and moves the focus to it: a granted
 * restriction freezes the thread, and this panel is then not shown).
 */
export function ThreadRights(props: { lang: Lang; rights: RightsController; snap: StaffThreadSnapshot; onDecided(text: Key): void }) {
  const { lang, rights, snap, onDecided } = props;
  const [list, retry] = useLoaded(() => rights.forThread(snap.thread), [rights, snap.thread]);
  const now = useNow();
  if (list.kind !== 'ok' || list.value.length === 0) return list.kind === 'failed' ? <LoadFailed lang={lang} retry={retry} /> : null;
  return (
    <section class="thread-rights" aria-labelledby="thread-rights-h">
      <h2 id="thread-rights-h">{t(lang, 'staff.rights.panel')}</h2>
      <ul class="rights-list">
        {list.value.map((r) => {
          const words = snap.messages.find((m) => m.id === r.message && m.content?.kind === 'rights_request');
          return (
            <li key={r.id} class="rights-item">
              <h3>{t(lang, KIND[r.kind])}</h3>
              <p>
                <StateText lang={lang} r={r} /> · {isPending(r) ? <DueText lang={lang} r={r} now={now} /> : t(lang, 'staff.rights.decidedBy', {
                  who: r.decidedBy ?? '–', when: r.decided === null ? '–' : formatDateTimeYear(r.decided, lang) })}
              </p>
              <p class="label">{t(lang, 'staff.rights.words')}</p>
              {words ? <blockquote class="msg-text">{words.text}</blockquote> : <p class="notice">{t(lang, 'staff.rights.wordsMissing')}</p>}
              {isPending(r) && (
                <DecideForm lang={lang} rights={rights} r={r} onDone={(outcome) => {
                  onDecided(r.kind === 'restriction' && outcome === 'granted' ? 'staff.rights.doneRestricted' : 'staff.rights.done');
                  retry();
                }} />
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
