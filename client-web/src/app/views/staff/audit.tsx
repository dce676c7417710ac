// audit.tsx - the supervisor's monitoring of use: the access log of their units, filtered by
// worker, client pseudonym and days (Helsinki), newest first with "Older" paging; the log's
// chain state shown before the rows, as a plain success or a warning naming the first broken
// row. The query itself is logged by the server.
import { useEffect, useState } from 'preact/hooks';
import type { AuditPage as Page, AuditQuery, AuditRow, StaffSession, SuperviseController } from '../../staff/contract';
import { t, type Lang } from '../../i18n';
import { formatDateTime } from '../../format';
import { Heading } from '../common';
import { helsinkiDayStart } from './rules';
import { useDashboards } from './use';
import { personText } from './parts';

function Chain({ lang, chain }: { lang: Lang; chain: Page['chain'] }) {
  if (chain.state === 'ok')
    return (
      <p class="success chain-state" role="status">
        <strong>{t(lang, 'audit.chain.ok', { n: String(chain.checked) })}</strong>
      </p>
    );
  return (
    <div class="warning chain-state chain-broken" role="alert">
      <p>
        <strong>{t(lang, 'audit.chain.broken', { n: String(chain.firstBroken ?? chain.checked) })}</strong>
      </p>
      <p>{t(lang, 'audit.chain.brokenHelp')}</p>
    </div>
  );
}

function Row({ lang, r }: { lang: Lang; r: AuditRow }) {
  return (
    <tr class={r.outcome !== 'ok' ? 'refused' : undefined}>
      <td data-label={t(lang, 'audit.col.row')}>{r.row}</td>
      <td data-label={t(lang, 'audit.col.time')}>{formatDateTime(r.time, lang)}</td>
      <th scope="row" data-label={t(lang, 'audit.col.user')}>
        {r.username ?? t(lang, 'audit.system')}
        <span class="small"> ({r.role})</span>
      </th>
      <td data-label={t(lang, 'audit.col.client')}>{r.client ?? '–'}</td>
      <td data-label={t(lang, 'audit.col.action')}>
        <code>{r.action}</code> <span class="small">{r.object}</span>
      </td>
      <td data-label={t(lang, 'audit.col.purpose')}>{r.purpose ?? '–'}</td>
      <td data-label={t(lang, 'audit.col.outcome')}>
        {r.outcome}
        {r.reason && <span class="small"> ({r.reason})</span>}
      </td>
    </tr>
  );
}

export function AuditPage({ lang, session, supervise }: { lang: Lang; session: StaffSession; supervise: SuperviseController }) {
  const units = session.units.filter((u) => u.role === 'supervisor');
  const workers = useDashboards(supervise).flatMap((d) => d.workers);
  const [form, setForm] = useState({ unit: '', user: '', client: '', from: '', to: '' });
  const [query, setQuery] = useState<AuditQuery | null>(null);
  const [result, setResult] = useState<{ rows: AuditRow[]; more: boolean; chain: Page['chain'] } | null>(null);
  const [state, setState] = useState<'idle' | 'loading' | 'failed'>('idle');

  const run = async (q: AuditQuery, append: boolean) => {
    setState('loading');
    try {
      const page = await supervise.audit(q);
      setResult((old) => ({ rows: append && old ? [...old.rows, ...page.rows] : page.rows, more: page.more, chain: page.chain }));
      setState('idle');
    } catch {
      setState('failed');
    }
  };
  const search = () => {
    const q: AuditQuery = {
      unit: form.unit || undefined,
      user: form.user || undefined,
      client: form.client.trim() || undefined,
      from: helsinkiDayStart(form.from) ?? undefined,
      to: helsinkiDayStart(form.to, true) ?? undefined,
    };
    setQuery(q);
    void run(q, false);
  };
  useEffect(search, []);
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  const seen = new Set<string>();
  const uniqueWorkers = workers.filter((w) => !seen.has(w.user) && seen.add(w.user));
  return (
    <>
      <Heading>{t(lang, 'audit.title')}</Heading>
      <p class="hint">{t(lang, 'audit.lead')}</p>
      <form
        class="audit-filters"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          search();
        }}
      >
        {units.length > 1 && (
          <div class="field">
            <label for="audit-unit">{t(lang, 'queue.filter.unit')}</label>
            <select id="audit-unit" value={form.unit} onChange={set('unit')}>
              <option value="">{t(lang, 'queue.filter.allUnits')}</option>
              {units.map((u) => (
                <option key={u.unit} value={u.unit}>
                  {u.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <div class="field">
          <label for="audit-user">{t(lang, 'audit.filter.worker')}</label>
          <select id="audit-user" value={form.user} onChange={set('user')}>
            <option value="">{t(lang, 'audit.filter.allWorkers')}</option>
            {uniqueWorkers.map((w) => (
              <option key={w.user} value={w.user}>
                {personText(w.name, w.username)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="audit-client">{t(lang, 'audit.filter.client')}</label>
          <input type="text" id="audit-client" value={form.client} onInput={set('client')} aria-describedby="audit-client-hint" autoComplete="off" spellcheck={false} />
          <p class="hint" id="audit-client-hint">
            {t(lang, 'audit.filter.clientHint')}
          </p>
        </div>
        <div class="field">
          <label for="audit-from">{t(lang, 'audit.filter.from')}</label>
          <input type="date" id="audit-from" value={form.from} onInput={set('from')} />
        </div>
        <div class="field">
          <label for="audit-to">{t(lang, 'audit.filter.to')}</label>
          <input type="date" id="audit-to" value={form.to} onInput={set('to')} />
        </div>
        <div class="actions">
          <button type="submit" disabled={state === 'loading'}>
            {t(lang, 'audit.search')}
          </button>
        </div>
      </form>
      {state === 'failed' && (
        <p class="error" role="alert">
          {t(lang, 'audit.failed')}
        </p>
      )}
      {state === 'loading' && <p role="status">{t(lang, 'staff.loading')}</p>}
      {result !== null && (
        <>
          <Chain lang={lang} chain={result.chain} />
          {result.rows.length === 0 ? (
            <p class="empty">{t(lang, 'audit.none')}</p>
          ) : (
            <table class="data-table audit-table">
              <caption>{t(lang, 'audit.caption', { n: String(result.rows.length) })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t(lang, 'audit.col.row')}</th>
                  <th scope="col">{t(lang, 'audit.col.time')}</th>
                  <th scope="col">{t(lang, 'audit.col.user')}</th>
                  <th scope="col">{t(lang, 'audit.col.client')}</th>
                  <th scope="col">{t(lang, 'audit.col.action')}</th>
                  <th scope="col">{t(lang, 'audit.col.purpose')}</th>
                  <th scope="col">{t(lang, 'audit.col.outcome')}</th>
                </tr>
              </thead>
              <tbody>
                {result.rows.map((r) => (
                  <Row key={r.row} lang={lang} r={r} />
                ))}
              </tbody>
            </table>
          )}
          {result.more && query && (
            <button type="button" class="secondary" disabled={state === 'loading'} onClick={() => void run({ ...query, before: result.rows[result.rows.length - 1]?.row }, true)}>
              {t(lang, 'audit.older')}
            </button>
          )}
        </>
      )}
    </>
  );
}
