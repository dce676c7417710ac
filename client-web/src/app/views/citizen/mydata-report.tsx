// mydata-report.tsx - the log report on the "Your data" page (703/2023 §11): the period chosen
// (three presets or two dates, checked with the error summary), who processed the citizen's
// data (time, unit, role, name where given, what) and to whom it was disclosed (recipient,
// basis, what, when), every server text shown as text; "Print" prints the report alone with a
// heading naming the period and the print date (the print stylesheet hides the rest). Older
// logs and refusals go through the register keeper.
import { useRef, useState } from 'preact/hooks';
import type { AccessRow, DisclosureRow, LogReport, MyDataController } from '../../citizen/mydata-contract';
import { helsinkiDay, periodOf, type PeriodChoice, type PeriodProblem } from '../../citizen/mydata-period';
import { t, type Key, type Lang } from '../../i18n';
import { ErrorSummary, InlineError, PageLink, type FieldError, type Navigate } from '../common';

const PROBLEM_TEXT: Record<PeriodProblem, Key> = {
  from_missing: 'mydata.report.error.from',
  to_missing: 'mydata.report.error.to',
  from_after_to: 'mydata.report.error.order',
  too_old: 'mydata.report.error.tooOld',
  future: 'mydata.report.error.future',
};

const ROLE_TEXT: Record<AccessRow['role'], Key> = {
  worker: 'mydata.role.worker',
  supervisor: 'mydata.role.supervisor',
  admin: 'mydata.role.admin',
  connector: 'mydata.role.connector',
};

/** The actions a citizen is told of in words: the access log's names (PROTOCOL.md §14.2) and the
 *  request types a refusal is logged with; any other is shown as the server wrote it. */
const ACTION_TEXT: Record<string, Key> = {
  read: 'mydata.action.read',
  summary: 'mydata.action.get',
  keys: 'mydata.action.keys',
  claim: 'mydata.action.claim',
  write: 'mydata.action.send',
  close: 'mydata.action.close',
  'identity.read': 'mydata.action.identity',
  'note.read': 'mydata.action.notes',
  'thread.read': 'mydata.action.read',
  'thread.get': 'mydata.action.get',
  'thread.keys': 'mydata.action.keys',
  'file.get': 'mydata.action.file',
  'thread.identity': 'mydata.action.identity',
  'note.list': 'mydata.action.notes',
  'message.send': 'mydata.action.send',
  'handover': 'mydata.action.handover',
  'export': 'mydata.action.export',
};

const OUTCOME_TEXT: Record<string, Key> = { ok: 'mydata.outcome.ok', denied: 'mydata.outcome.denied', refused: 'mydata.outcome.denied' };

const CHOICES: [PeriodChoice, Key][] = [
  ['3m', 'mydata.report.period.3m'],
  ['12m', 'mydata.report.period.12m'],
  ['24m', 'mydata.report.period.24m'],
  ['custom', 'mydata.report.period.custom'],
];

const LOCALES: Record<Lang, string> = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };

/** A day in Helsinki with its year ("7.12.2026"). */
export function formatDate(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALES[lang], { timeZone: 'Europe/Helsinki', day: 'numeric', month: 'numeric', year: 'numeric' }).format(new Date(ms));
}

/** A moment in Helsinki with the year (a report spans two years): "7.12.2026 klo 9.30". */
function formatWhen(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALES[lang], {
    timeZone: 'Europe/Helsinki', day: 'numeric', month: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit',
  }).format(new Date(ms));
}

function Access({ lang, r }: { lang: Lang; r: AccessRow }) {
  // A read of a restricted thread for a legal claim is logged as e.g. "read:legal_claim".
  const legal = r.action.endsWith(':legal_claim');
  const base = legal ? r.action.slice(0, -':legal_claim'.length) : r.action;
  const key = ACTION_TEXT[base];
  const what = key ? t(lang, key) : base;
  const outcome = OUTCOME_TEXT[r.outcome];
  return (
    <li class="log-row">
      <p class="log-when">{formatWhen(r.time, lang)}</p>
      <dl>
        <div>
          <dt>{t(lang, 'mydata.report.unit')}</dt>
          <dd>{r.unitName ?? r.unit ?? t(lang, 'mydata.report.none')}</dd>
        </div>
        <div>
          <dt>{t(lang, 'mydata.report.role')}</dt>
          <dd>{t(lang, ROLE_TEXT[r.role])}</dd>
        </div>
        <div>
          <dt>{t(lang, 'mydata.report.name')}</dt>
          <dd>{r.name ?? t(lang, 'mydata.report.nameHidden')}</dd>
        </div>
        <div>
          <dt>{t(lang, 'mydata.report.what')}</dt>
          <dd>
            {legal ? t(lang, 'mydata.action.legalClaim', { what }) : what}
            {r.outcome !== 'ok' && ` (${outcome ? t(lang, outcome) : r.outcome})`}
          </dd>
        </div>
      </dl>
    </li>
  );
}

function Disclosure({ lang, r }: { lang: Lang; r: DisclosureRow }) {
  return (
    <li class="log-row">
      <p class="log-when">{formatWhen(r.time, lang)}</p>
      <dl>
        <div>
          <dt>{t(lang, 'mydata.report.recipient')}</dt>
          <dd>{r.recipient}</dd>
        </div>
        <div>
          <dt>{t(lang, 'mydata.report.basis')}</dt>
          <dd>{r.basis}</dd>
        </div>
        <div>
          <dt>{t(lang, 'mydata.report.dataset')}</dt>
          <dd>{r.dataset}</dd>
        </div>
      </dl>
    </li>
  );
}

/** The report itself: the part that prints. */
export function ReportView({ lang, report, printedAt }: { lang: Lang; report: LogReport; printedAt: number }) {
  const range = { from: formatDate(report.from, lang), to: formatDate(report.to, lang) };
  return (
    <div class="print-area mydata-report" aria-labelledby="report-h">
      <h3 id="report-h">{t(lang, 'mydata.report.heading', range)}</h3>
      <p class="print-only">{t(lang, 'mydata.report.printed', { date: formatDate(printedAt, lang) })}</p>
      {report.more && <p class="notice">{t(lang, 'mydata.report.more')}</p>}
      {report.dropped > 0 && <p class="notice">{t(lang, 'mydata.report.dropped', { n: String(report.dropped) })}</p>}
      <h4>{t(lang, 'mydata.report.accessesH')}</h4>
      {report.accesses.length === 0 ? (
        <p>{t(lang, 'mydata.report.noAccesses')}</p>
      ) : (
        <ol class="log-list">
          {report.accesses.map((r, i) => (
            <Access key={i} lang={lang} r={r} />
          ))}
        </ol>
      )}
      <h4>{t(lang, 'mydata.report.disclosuresH')}</h4>
      {report.disclosures.length === 0 ? (
        <p>{t(lang, 'mydata.report.noDisclosures')}</p>
      ) : (
        <ol class="log-list">
          {report.disclosures.map((r, i) => (
            <Disclosure key={i} lang={lang} r={r} />
          ))}
        </ol>
      )}
      <p class="print-only">{t(lang, 'mydata.report.older')}</p>
    </div>
  );
}

export function LogReportSection(props: { lang: Lang; nav: Navigate; mydata: MyDataController; now?: () => number }) {
  const { lang, nav, mydata } = props;
  const now = props.now ?? Date.now;
  const [choice, setChoice] = useState<PeriodChoice>('24m');
  const [fromDay, setFromDay] = useState('');
  const [toDay, setToDay] = useState(() => helsinkiDay(now()));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [fieldErrors, setFieldErrors] = useState<{ from?: string; to?: string }>({});
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<LogReport | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const result = useRef<HTMLDivElement>(null);

  const show = async () => {
    const p = periodOf(choice, fromDay, toDay, now());
    const fe: { from?: string; to?: string } = {};
    for (const x of p.problems) fe[x.field] ??= t(lang, PROBLEM_TEXT[x.problem]);
    setFieldErrors(fe);
    setErrors(p.problems.map((x) => ({ field: `report-${x.field}`, text: t(lang, PROBLEM_TEXT[x.problem]) })));
    if (p.problems.length > 0) return;
    setBusy(true);
    setFailed(null);
    try {
      setReport(await mydata.logReport(p.from, p.to));
      setTimeout(() => result.current?.focus(), 0);
    } catch (e) {
      setReport(null);
      setFailed(t(lang, (e as { code?: string }).code === 'too_old' ? 'mydata.report.error.tooOld' : 'mydata.report.failed'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="mydata-section" aria-labelledby="report-section-h">
      <h2 id="report-section-h" tabIndex={-1}>{t(lang, 'mydata.report.title')}</h2>
      <div class="no-print">
        <p>{t(lang, 'mydata.report.intro')}</p>
        <p>
          {t(lang, 'mydata.report.older')}{' '}
          <PageLink to="privacy" nav={nav}>
            {t(lang, 'mydata.report.privacyLink')}
          </PageLink>
        </p>
        <ErrorSummary lang={lang} errors={errors} />
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (!busy) void show();
          }}
        >
          <fieldset class="period">
            <legend>{t(lang, 'mydata.report.period')}</legend>
            {CHOICES.map(([c, key]) => (
              <div class="radio" key={c}>
                <input type="radio" id={`period-${c}`} name="period" value={c} checked={choice === c} onChange={() => setChoice(c)} />
                <label for={`period-${c}`}>{t(lang, key)}</label>
              </div>
            ))}
            {choice === 'custom' && (
              <div class="period-dates">
                <div class={fieldErrors.from ? 'field field-bad' : 'field'}>
                  <label for="report-from">{t(lang, 'mydata.report.from')}</label>
                  {fieldErrors.from && <InlineError lang={lang} id="report-from-error" text={fieldErrors.from} />}
                  <input type="date" id="report-from" value={fromDay} aria-invalid={fieldErrors.from ? 'true' : undefined}
                    aria-describedby={fieldErrors.from ? 'report-from-error' : undefined} onInput={(e) => setFromDay(e.currentTarget.value)} />
                </div>
                <div class={fieldErrors.to ? 'field field-bad' : 'field'}>
                  <label for="report-to">{t(lang, 'mydata.report.to')}</label>
                  {fieldErrors.to && <InlineError lang={lang} id="report-to-error" text={fieldErrors.to} />}
                  <input type="date" id="report-to" value={toDay} aria-invalid={fieldErrors.to ? 'true' : undefined}
                    aria-describedby={fieldErrors.to ? 'report-to-error' : undefined} onInput={(e) => setToDay(e.currentTarget.value)} />
                </div>
              </div>
            )}
          </fieldset>
          <div class="actions">
            <button type="submit" disabled={busy}>
              {t(lang, busy ? 'mydata.report.loading' : 'mydata.report.show')}
            </button>
          </div>
        </form>
        {failed && (
          <p class="error" role="alert">
            {failed}
          </p>
        )}
      </div>
      {report !== null && (
        <div ref={result} tabIndex={-1} class="report-result">
          <ReportView lang={lang} report={report} printedAt={now()} />
          <div class="actions no-print">
            <button type="button" class="secondary" onClick={() => window.print()}>
              {t(lang, 'mydata.report.print')}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
