// queue.tsx - the queue dashboard, live: the views (new, mine, waiting for the client,
// escalated, all, closed) with their counts, the unit and queue filters, the sort, and a table
// of the threads (topic, state, waiting time, deadline in working days in words, who handles
// it, unread messages) that becomes a list on a phone; the sound for new questions (off until
// the worker turns it on).
import { useState } from 'preact/hooks';
import type { QueueController, QueueFilter, QueueItem, QueueSort, QueueView, StaffSession, ThreadState } from '../../staff/contract';
import { t, type Key, type Lang } from '../../i18n';
import { Heading } from '../common';
import { DeadlineText, personText, StaffLink, waitWords, type StaffNavigate } from './parts';
import { QUEUE_VIEWS } from './rules';
import { useNow, useQueueSnapshot } from './use';

export const VIEW_TEXT: Record<QueueView, Key> = {
  new: 'queue.view.new',
  mine: 'queue.view.mine',
  waiting: 'queue.view.waiting',
  escalated: 'queue.view.escalated',
  all: 'queue.view.all',
  closed: 'queue.view.closed',
};

export const STATE_TEXT: Record<ThreadState, Key> = {
  new: 'queue.state.new',
  claimed: 'queue.state.claimed',
  answered: 'queue.state.answered',
  waiting: 'queue.state.waiting',
  closed: 'queue.state.closed',
};

const SORT_TEXT: Record<QueueSort, Key> = {
  deadline: 'queue.sort.deadline',
  oldest: 'queue.sort.oldest',
  updated: 'queue.sort.updated',
};

function Row({ lang, nav, item, now }: { lang: Lang; nav: StaffNavigate; item: QueueItem; now: number }) {
  return (
    <tr class={item.unread > 0 ? 'unread' : undefined}>
      <th scope="row" data-label={t(lang, 'queue.col.topic')}>
        <StaffLink to={`thread/${item.thread}`} nav={nav}>
          {item.categoryName}
        </StaffLink>
      </th>
      <td data-label={t(lang, 'queue.col.state')}>{t(lang, STATE_TEXT[item.state])}</td>
      <td data-label={t(lang, 'queue.col.waiting')}>{item.state === 'closed' ? '–' : waitWords(lang, item.created, now)}</td>
      <td data-label={t(lang, 'queue.col.deadline')}>
        <DeadlineText lang={lang} d={item.deadline} />
      </td>
      <td data-label={t(lang, 'queue.col.assignee')}>
        {item.mine ? t(lang, 'queue.assignee.me') : item.assignee === null ? t(lang, 'queue.assignee.none') : personText(item.assigneeName, t(lang, 'queue.assignee.someone'))}
      </td>
      <td data-label={t(lang, 'queue.col.unread')}>
        {item.unread > 0 ? <strong class="unread-count">{item.unread}</strong> : <span>0</span>}
      </td>
    </tr>
  );
}

export function QueuePage(props: {
  lang: Lang;
  nav: StaffNavigate;
  session: StaffSession;
  queue: QueueController;
  initialView: QueueView;
  sound: boolean;
  onSound(on: boolean): void;
}) {
  const { lang, nav, session, queue, sound, onSound } = props;
  const snap = useQueueSnapshot(queue);
  const now = useNow();
  const [filter, setFilter] = useState<QueueFilter>({ view: props.initialView, sort: 'deadline' });
  const items = queue.select(filter);
  const countOf = (view: QueueView) => queue.select({ ...filter, view }).length;
  const categories = snap.categories.filter((c) => !filter.unit || c.unit === filter.unit);
  const set = (change: Partial<QueueFilter>) => setFilter((f) => ({ ...f, ...change }));

  return (
    <>
      <Heading>{t(lang, filter.view === 'mine' ? 'queue.titleMine' : 'queue.title')}</Heading>
      {snap.arrived > 0 && (
        <p class="notice" role="status">
          {t(lang, 'queue.arrived', { n: String(snap.arrived) })}
        </p>
      )}
      <div class="queue-views" role="group" aria-label={t(lang, 'queue.viewsLabel')}>
        {QUEUE_VIEWS.map((v) => (
          <button key={v} type="button" class={filter.view === v ? 'view-button current' : 'view-button'} aria-pressed={filter.view === v} onClick={() => set({ view: v })}>
            {t(lang, VIEW_TEXT[v])} <span class="view-count">{countOf(v)}</span>
          </button>
        ))}
      </div>
      <div class="queue-filters">
        {session.units.length > 1 && (
          <div class="field">
            <label for="queue-unit">{t(lang, 'queue.filter.unit')}</label>
            <select id="queue-unit" value={filter.unit ?? ''} onChange={(e) => set({ unit: e.currentTarget.value || undefined, category: undefined })}>
              <option value="">{t(lang, 'queue.filter.allUnits')}</option>
              {session.units.map((u) => (
                <option key={u.unit} value={u.unit}>
                  {u.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <div class="field">
          <label for="queue-category">{t(lang, 'queue.filter.category')}</label>
          <select id="queue-category" value={filter.category ?? ''} onChange={(e) => set({ category: e.currentTarget.value || undefined })}>
            <option value="">{t(lang, 'queue.filter.allCategories')}</option>
            {categories.map((c) => (
              <option key={c.unit + c.category} value={c.category}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="queue-sort">{t(lang, 'queue.sort.label')}</label>
          <select id="queue-sort" value={filter.sort} onChange={(e) => set({ sort: e.currentTarget.value as QueueSort })}>
            {(Object.keys(SORT_TEXT) as QueueSort[]).map((s) => (
              <option key={s} value={s}>
                {t(lang, SORT_TEXT[s])}
              </option>
            ))}
          </select>
        </div>
        <div class="checkbox queue-sound">
          <input type="checkbox" id="queue-sound" checked={sound} onChange={(e) => onSound(e.currentTarget.checked)} aria-describedby="queue-sound-hint" />
          <div>
            <label for="queue-sound">{t(lang, 'queue.sound')}</label>
            <p class="hint" id="queue-sound-hint">
              {t(lang, 'queue.soundHint')}
            </p>
          </div>
        </div>
      </div>
      {snap.loading ? (
        <p role="status">{t(lang, 'staff.loading')}</p>
      ) : items.length === 0 ? (
        <p class="empty">{t(lang, 'queue.empty')}</p>
      ) : (
        <table class="queue-table">
          <caption>{t(lang, 'queue.caption', { view: t(lang, VIEW_TEXT[filter.view]), n: String(items.length) })}</caption>
          <thead>
            <tr>
              <th scope="col">{t(lang, 'queue.col.topic')}</th>
              <th scope="col">{t(lang, 'queue.col.state')}</th>
              <th scope="col">{t(lang, 'queue.col.waiting')}</th>
              <th scope="col">{t(lang, 'queue.col.deadline')}</th>
              <th scope="col">{t(lang, 'queue.col.assignee')}</th>
              <th scope="col">{t(lang, 'queue.col.unread')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <Row key={item.thread} lang={lang} nav={nav} item={item} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
