// shell.tsx - the citizen's logged-in pages: the navigation (my questions, new question,
// devices, notifications, your data, log out), the connection line, the session warning, writes that
// could not be sent, and approvals asked by the citizen's new devices (on every page); the
// key setup while this device's keys are not ready; then the page the route names.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { KeyController, KeyState, ThreadsController } from '../../citizen/contract';
import type { MyDataController } from '../../citizen/mydata-contract';
import type { CitizenSession } from '../../citizen/session';
import type { Route } from '../../route';
import { rightsThreadOf, threadOf } from '../../route';
import { t, type Key, type Lang } from '../../i18n';
import { Heading, PageLink, type Navigate } from '../common';
import { DevicesPage, IncomingApprovals, KeySetup } from './keys/index';
import { ConnectionLine, OutboxFailures, SessionWarningDialog } from './status';
import { ThreadsPage } from './threads-list';
import { AskPage } from './ask';
import { ThreadPage } from './thread';
import { NotificationsPage } from './notify';
import { MyDataPage } from './mydata';
import { RightsRequestPage } from './mydata-rights';

function useKeyState(keys: KeyController | null): KeyState {
  const [state, setState] = useState<KeyState>(keys?.state() ?? { kind: 'loading' });
  useEffect(() => {
    if (keys === null) return;
    setState(keys.state());
    return keys.subscribe(setState);
  }, [keys]);
  return state;
}

const NAV: [Route, Key][] = [
  ['threads', 'nav.threads'],
  ['ask', 'nav.ask'],
  ['devices', 'nav.devices'],
  ['notifications', 'nav.notifications'],
  ['mydata', 'mydata.nav'],
];

/** The logged-in pages' links and logout; while the keys are being set up (not `ready`) only
 *  logout: every page would lead back to the setup. */
export function CitizenNav(props: { lang: Lang; route: Route; nav: Navigate; onLogout: () => void; ready: boolean }) {
  const { lang, route, nav, onLogout, ready } = props;
  const active = threadOf(route) !== null ? 'threads' : rightsThreadOf(route) !== null ? 'mydata' : route;
  return (
    <nav class="citizen-nav" aria-label={t(lang, 'nav.label')}>
      <ul>
        {(ready ? NAV : []).map(([r, key]) => (
          <li key={r}>
            <PageLink to={r} nav={nav} current={active === r}>
              {t(lang, key)}
            </PageLink>
          </li>
        ))}
        <li>
          <button type="button" class="link" onClick={onLogout}>
            {t(lang, 'nav.logout')}
          </button>
        </li>
      </ul>
    </nav>
  );
}

function Page(props: {
  lang: Lang;
  route: Route;
  nav: Navigate;
  session: CitizenSession;
  keys: KeyController;
  threads: ThreadsController;
  mydata: MyDataController | null;
}) {
  const { lang, route, nav, session, keys, threads, mydata } = props;
  const conn = session.conn;
  const thread = threadOf(route);
  if (thread !== null) return <ThreadPage key={thread} lang={lang} nav={nav} conn={conn} threads={threads} thread={thread} />;
  const rights = rightsThreadOf(route);
  if (rights !== null && mydata !== null)
    return <RightsRequestPage key={rights} lang={lang} nav={nav} conn={conn} threads={threads} mydata={mydata} thread={rights} />;
  switch (route) {
    case 'mydata':
      if (mydata !== null) return <MyDataPage lang={lang} nav={nav} conn={conn} threads={threads} mydata={mydata} />;
      return <p role="status">{t(lang, 'session.loading')}</p>;
    case 'ask':
      return <AskPage lang={lang} nav={nav} conn={conn} threads={threads} />;
    case 'devices':
      return <DevicesPage lang={lang} keys={keys} />;
    case 'notifications':
      return <NotificationsPage lang={lang} conn={conn} />;
    default:
      return <ThreadsPage lang={lang} nav={nav} conn={conn} threads={threads} />;
  }
}

/**
 * Moves the focus to the page's h1 once the key setup the citizen went through is done (the
 * route stays the same, so the router does not; the setup's last button is gone). A setup
 * never shown (keys ready at load) leaves the focus alone.
 */
function useFocusAfterSetup(keyState: KeyState, pageShown: boolean): void {
  const setupShown = useRef(false);
  if (keyState.kind !== 'ready' && keyState.kind !== 'loading') setupShown.current = true;
  useEffect(() => {
    if (!pageShown || !setupShown.current) return;
    setupShown.current = false;
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [pageShown]);
}

/** The logged-in frame around the page inside <main> (CitizenNav goes above it); `logout` is
 *  the shell's (it also moves to the front page). */
export function CitizenShell(props: {
  lang: Lang;
  route: Route;
  nav: Navigate;
  session: CitizenSession;
  keys: KeyController | null;
  threads: ThreadsController | null;
  /** The "Your data" controller (null: that page says it is loading). */
  mydata?: MyDataController | null;
  keysFailed: boolean;
  logout: () => void;
}) {
  const { lang, route, nav, session, keys, threads, keysFailed, logout } = props;
  const mydata = props.mydata ?? null;
  const keyState = useKeyState(keys);
  useFocusAfterSetup(keyState, !keysFailed && keys !== null && keyState.kind === 'ready' && threads !== null);
  return (
    <>
      <ConnectionLine lang={lang} conn={session.conn} />
      <SessionWarningDialog lang={lang} conn={session.conn} onLogout={logout} />
      <OutboxFailures lang={lang} conn={session.conn} />
      {keys !== null && keyState.kind === 'ready' && <IncomingApprovals lang={lang} keys={keys} />}
      {keysFailed ? (
        <>
          <Heading>{t(lang, 'session.keysFailedH')}</Heading>
          <p class="error">{t(lang, 'session.keysFailed')}</p>
        </>
      ) : keys === null ? (
        <p role="status">{t(lang, 'session.loading')}</p>
      ) : keyState.kind !== 'ready' ? (
        <KeySetup lang={lang} keys={keys} state={keyState} />
      ) : threads === null ? (
        <p role="status">{t(lang, 'session.loading')}</p>
      ) : (
        <Page lang={lang} route={route} nav={nav} session={session} keys={keys} threads={threads} mydata={mydata} />
      )}
    </>
  );
}
