// overview.tsx - the supervisor's overview, live: per unit, its queues (waiting, the oldest
// waiting, at risk, missed, open) and its workers (on duty or not, and their load), as tables
// with captions that become lists on a phone.
import type { DashboardQueue, SuperviseController } from '../../staff/contract';
import { t, type Lang } from '../../i18n';
import { formatDateTime } from '../../format';
import { Heading } from '../common';
import { personText, waitWords } from './parts';
import { useDashboards, useNow } from './use';

function QueueRow({ lang, q, now }: { lang: Lang; q: DashboardQueue; now: number }) {
  return (
    <tr>
      <th scope="row" data-label={t(lang, 'super.col.queue')}>
        {q.name}
      </th>
      <td data-label={t(lang, 'super.col.waiting')}>{q.waiting}</td>
      <td data-label={t(lang, 'super.col.oldest')}>{q.oldestWaiting === null ? '–' : waitWords(lang, q.oldestWaiting, now)}</td>
      <td data-label={t(lang, 'super.col.atRisk')} class={q.atRisk > 0 ? 'count-risk' : undefined}>
        {q.atRisk}
      </td>
      <td data-label={t(lang, 'super.col.missed')} class={q.missed > 0 ? 'count-missed' : undefined}>
        {q.missed}
      </td>
      <td data-label={t(lang, 'super.col.open')}>{q.open}</td>
    </tr>
  );
}

export function OverviewPage({ lang, supervise }: { lang: Lang; supervise: SuperviseController }) {
  const dashboards = useDashboards(supervise);
  const now = useNow();
  return (
    <>
      <Heading>{t(lang, 'super.overview.title')}</Heading>
      <p class="hint">{t(lang, 'super.overview.lead')}</p>
      {dashboards.length === 0 && <p role="status">{t(lang, 'staff.loading')}</p>}
      {dashboards.map((d) => {
        const missed = d.queues.reduce((n, q) => n + q.missed, 0);
        const atRisk = d.queues.reduce((n, q) => n + q.atRisk, 0);
        return (
          <section key={d.unit} class="unit-overview" aria-labelledby={`unit-${d.unit}`}>
            <h2 id={`unit-${d.unit}`}>{d.name}</h2>
            <p class="small">{t(lang, 'super.overview.updated', { when: formatDateTime(d.time, lang) })}</p>
            {(missed > 0 || atRisk > 0) && (
              <p class={missed > 0 ? 'warning' : 'notice'}>{t(lang, 'super.overview.summary', { missed: String(missed), atRisk: String(atRisk) })}</p>
            )}
            <table class="data-table">
              <caption>{t(lang, 'super.queues.caption', { unit: d.name })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t(lang, 'super.col.queue')}</th>
                  <th scope="col">{t(lang, 'super.col.waiting')}</th>
                  <th scope="col">{t(lang, 'super.col.oldest')}</th>
                  <th scope="col">{t(lang, 'super.col.atRisk')}</th>
                  <th scope="col">{t(lang, 'super.col.missed')}</th>
                  <th scope="col">{t(lang, 'super.col.open')}</th>
                </tr>
              </thead>
              <tbody>
                {d.queues.map((q) => (
                  <QueueRow key={q.queue} lang={lang} q={q} now={now} />
                ))}
              </tbody>
            </table>
            <table class="data-table">
              <caption>{t(lang, 'super.workers.caption', { unit: d.name })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t(lang, 'super.col.worker')}</th>
                  <th scope="col">{t(lang, 'super.col.role')}</th>
                  <th scope="col">{t(lang, 'super.col.duty')}</th>
                  <th scope="col">{t(lang, 'super.col.load')}</th>
                </tr>
              </thead>
              <tbody>
                {d.workers.map((w) => (
                  <tr key={w.user}>
                    <th scope="row" data-label={t(lang, 'super.col.worker')}>
                      {personText(w.name, w.username)}
                      {w.name && <span class="small"> ({w.username})</span>}
                    </th>
                    <td data-label={t(lang, 'super.col.role')}>{t(lang, w.role === 'supervisor' ? 'staff.role.supervisor' : 'staff.role.worker')}</td>
                    <td data-label={t(lang, 'super.col.duty')}>
                      <span class={w.onDuty ? 'duty-pill on' : 'duty-pill off'}>{t(lang, w.onDuty ? 'super.onDuty' : 'super.offDuty')}</span>
                    </td>
                    <td data-label={t(lang, 'super.col.load')}>{w.load}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        );
      })}
    </>
  );
}
