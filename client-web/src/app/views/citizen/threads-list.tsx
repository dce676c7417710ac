// threads-list.tsx - "My questions", the home page after login: each thread with its topic,
// its state in words, who answers (the name and title the unit shows, or a neutral text), the
// last activity in Helsinki time and the unread messages as text; kept in sync by the
// connection's thread list. With no threads it invites asking.
import { useEffect, useState } from 'preact/hooks';
import type { Summary } from '../../net';
import type { Category, ThreadsController } from '../../citizen/contract';
import type { ShellConnection } from '../../citizen/session';
import { t, type Lang } from '../../i18n';
import { formatDateTime, formatDay } from '../../format';
import { Heading, PageLink, type Navigate } from '../common';
import { STATE_TEXT } from './forms';
import { useCategories } from './ask';

/** The connection's list of the citizen's threads, and whether it has been fetched. */
export function useThreadList(conn: ShellConnection): { list: Summary[]; ready: boolean } {
  const [state, setState] = useState<{ list: Summary[]; ready: boolean }>({ list: [], ready: false });
  useEffect(() => {
    const h = conn.watchList();
    setState({ list: h.summaries(), ready: h.ready });
    const off = h.subscribe((list) => setState({ list, ready: h.ready }));
    return () => {
      off();
      h.close();
    };
  }, [conn]);
  return state;
}

export function categoryName(cats: Category[] | 'loading' | 'failed', id: string, lang: Lang): string {
  return (Array.isArray(cats) ? cats.find((c) => c.category === id)?.name : undefined) ?? t(lang, 'threads.topicUnknown');
}

/** Who answers, in words: the assignee's name and title, or a neutral text. */
export function whoAnswers(lang: Lang, s: Pick<Summary, 'assignee' | 'assignee_name' | 'state'>): string {
  if (s.assignee_name) {
    const n = s.assignee_name;
    return n.title ? `${n.name}, ${n.title}` : n.name;
  }
  return t(lang, s.assignee === null && s.state === 'new' ? 'threads.nobodyYet' : 'threads.someWorker');
}

function unreadText(lang: Lang, n: number): string {
  return n === 0 ? t(lang, 'threads.unread0') : n === 1 ? t(lang, 'threads.unread1') : t(lang, 'threads.unreadN', { n: String(n) });
}

function ThreadItem({ lang, nav, s, topic }: { lang: Lang; nav: Navigate; s: Summary; topic: string }) {
  return (
    <li class={s.unread > 0 ? 'thread-item unread' : 'thread-item'}>
      <h2>
        <PageLink to={`thread/${s.thread}`} nav={nav}>
          {t(lang, 'threads.itemTitle', { topic, date: formatDay(s.created, lang) })}
        </PageLink>
      </h2>
      <dl>
        <div>
          <dt>{t(lang, 'threads.stateLabel')}</dt>
          <dd class={`state state-${s.state}`}>{t(lang, STATE_TEXT[s.state])}</dd>
        </div>
        <div>
          <dt>{t(lang, 'threads.whoLabel')}</dt>
          <dd>{whoAnswers(lang, s)}</dd>
        </div>
        <div>
          <dt>{t(lang, 'threads.lastLabel')}</dt>
          <dd>{formatDateTime(s.updated, lang)}</dd>
        </div>
        <div>
          <dt>{t(lang, 'threads.unreadLabel')}</dt>
          <dd class={s.unread > 0 ? 'unread-count' : ''}>{unreadText(lang, s.unread)}</dd>
        </div>
      </dl>
    </li>
  );
}

export function ThreadsPage({ lang, nav, conn, threads }: { lang: Lang; nav: Navigate; conn: ShellConnection; threads: ThreadsController }) {
  const { list, ready } = useThreadList(conn);
  const cats = useCategories(threads);
  return (
    <>
      <Heading>{t(lang, 'threads.title')}</Heading>
      {!ready ? (
        <p role="status">{t(lang, 'threads.loading')}</p>
      ) : list.length === 0 ? (
        <div class="empty">
          <p>{t(lang, 'threads.empty')}</p>
          <p>{t(lang, 'threads.emptyWho')}</p>
        </div>
      ) : (
        <ul class="thread-list">
          {list.map((s) => (
            <ThreadItem key={s.thread} lang={lang} nav={nav} s={s} topic={categoryName(cats, s.category, lang)} />
          ))}
        </ul>
      )}
      <p>
        <PageLink to="ask" nav={nav} class="button">
          {t(lang, 'threads.ask')}
        </PageLink>
      </p>
    </>
  );
}
