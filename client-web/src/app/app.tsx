// app.tsx - the app shell: the layout of every page (the service's name, the language switch,
// "Exit this page", the footer's links), the router (route.ts: each change replaces the
// history entry, so that the app is one entry that "Exit this page" replaces; the new page's
// title is set and its h1 focused), and the app's one connection (citizen/session.ts): without
// a session the pages before login, with a citizen's session the logged-in pages
// (views/citizen/shell.tsx; the front page gives way to "My questions"), with a staff
// session the front page's session line. The encryption module and the logged-in pages' texts
// (i18n-later.ts) are loaded after login.
import { useEffect, useRef, useState } from 'preact/hooks';
import { applyLang, initialLang, LANG_NAMES, LANGS, t, type Key, type Lang } from './i18n';
import { laterTextsReady, loadLaterTexts } from './i18n-later';
import { fetchHealth, type Health } from './session';
import { hashOf, needsSession, rightsThreadOf, routeOf, threadOf, type Route, type StaticRoute } from './route';
import { openCitizenSession, type CitizenSession, type SessionPhase } from './citizen/session';
import { DEFAULT_EXIT_URL, fetchService } from './service';
import { ExitThisPage } from './exit';
import { PageLink, type Navigate } from './views/common';
import { FrontPage, type ServiceState } from './views/front';
import { PrivacyNotice } from './views/privacy';
import { AccessibilityStatement } from './views/accessibility';
import { CitizenNav, CitizenShell } from './views/citizen/shell';
import { Heading } from './views/common';

const TITLES: Record<StaticRoute, Key> = {
  front: 'app.title',
  privacy: 'privacy.title',
  accessibility: 'a11y.title',
  threads: 'threads.title',
  ask: 'ask.title',
  devices: 'nav.devices',
  notifications: 'notify.title',
  mydata: 'mydata.title',
};

function LangSwitch({ lang, onChange }: { lang: Lang; onChange: (l: Lang) => void }) {
  return (
    <nav class="lang" aria-label={t(lang, 'lang.label')}>
      <ul>
        {LANGS.map((l) => (
          <li key={l}>
            <button type="button" lang={l} aria-pressed={l === lang} onClick={() => onChange(l)}>
              {LANG_NAMES[l]}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Footer({ lang, nav }: { lang: Lang; nav: Navigate }) {
  return (
    <footer>
      <nav aria-label={t(lang, 'footer.label')}>
        <ul>
          <li>
            <PageLink to="front" nav={nav}>
              {t(lang, 'footer.front')}
            </PageLink>
          </li>
          <li>
            <PageLink to="accessibility" nav={nav}>
              {t(lang, 'footer.accessibility')}
            </PageLink>
          </li>
          <li>
            <PageLink to="privacy" nav={nav}>
              {t(lang, 'footer.privacy')}
            </PageLink>
          </li>
        </ul>
      </nav>
    </footer>
  );
}

/** The current page, following the address; navigate() replaces the history entry. */
function useRoute(): [Route, Navigate] {
  const [route, setRoute] = useState<Route>(() => routeOf(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const navigate = (to: Route) => {
    history.replaceState(null, '', hashOf(to));
    setRoute(to);
  };
  return [route, navigate];
}

function usePhase(session: CitizenSession): SessionPhase {
  const [phase, setPhase] = useState<SessionPhase>(session.phase());
  useEffect(() => {
    setPhase(session.phase());
    return session.subscribe(setPhase);
  }, [session]);
  return phase;
}

function titleOf(lang: Lang, route: Route): string {
  const own = threadOf(route) !== null ? t(lang, 'thread.title')
    : rightsThreadOf(route) !== null ? t(lang, 'mydata.rights.title') : t(lang, TITLES[route as StaticRoute]);
  return route === 'front' ? own : `${own} – ${t(lang, 'app.title')}`;
}

/** The session ended while the page was open: log in again; drafts stay on this device. */
function SessionEnded({ lang }: { lang: Lang }) {
  return (
    <>
      <Heading>{t(lang, 'session.endedH')}</Heading>
      <p>{t(lang, 'session.ended')}</p>
      <p>
        <a class="button" href="/api/v1/auth/bank/start">
          {t(lang, 'session.loginAgain')}
        </a>
      </p>
    </>
  );
}

/**
 * The logged-in pages' texts while `wanted` (a citizen's session): loaded in `lang` (a chunk of
 * their own, i18n-later.ts) and, on a language change, in the new one before it is shown, so
 * that the logged-in pages never show a text's key nor lose what is typed in them.
 * { ready: the texts of `lang` are here, failed: a chunk was refused, change: the language
 * switch's handler }.
 */
function useLaterTexts(lang: Lang, setLang: (l: Lang) => void, wanted: boolean) {
  const [, setLoaded] = useState(0);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!wanted || laterTextsReady(lang)) return;
    let live = true;
    loadLaterTexts(lang).then(
      () => live && setLoaded((n) => n + 1),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [wanted, lang]);
  const change = (l: Lang) => {
    if (!wanted || laterTextsReady(l)) setLang(l);
    else
      loadLaterTexts(l).then(
        () => {
          setFailed(false);
          setLang(l);
        },
        () => setFailed(true),
      );
  };
  return { ready: !wanted || laterTextsReady(lang), failed: wanted && failed, change };
}

/** The app; `openSession` is the app's connection (the preview harness passes a fake one). */
export function App({ openSession = openCitizenSession }: { openSession?: () => CitizenSession }) {
  const [lang, setLang] = useState<Lang>(initialLang);
  const [route, navigate] = useRoute();
  const [health, setHealth] = useState<Health>('checking');
  const [service, setService] = useState<ServiceState>('loading');
  const [session] = useState(openSession);
  const phase = usePhase(session);
  const [logoutFailed, setLogoutFailed] = useState(false);
  const firstRoute = useRef(true);

  const citizen = phase.kind === 'citizen' ? phase : null;
  const texts = useLaterTexts(lang, setLang, citizen !== null);
  // Logged in, the front page is "My questions".
  const shown: Route = citizen !== null && route === 'front' ? 'threads' : route;
  const loggedInView = citizen !== null && needsSession(shown) && texts.ready;

  useEffect(() => applyLang(lang), [lang]);
  useEffect(() => {
    if (shown !== route) history.replaceState(null, '', hashOf(shown));
  }, [shown, route]);
  useEffect(() => {
    document.title = titleOf(lang, needsSession(shown) && citizen === null && phase.kind !== 'ended' ? 'front' : shown);
  }, [shown, lang, citizen === null, phase.kind]);
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    window.scrollTo(0, 0);
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [shown]);
  useEffect(() => {
    void fetchHealth().then(setHealth);
    void fetchService().then((s) => setService(s ?? 'failed'));
  }, []);

  const logout = () => {
    setLogoutFailed(false);
    void session.logout().then((ok) => {
      if (ok) navigate('front');
      else setLogoutFailed(true);
    });
  };

  const info = typeof service === 'object' ? service : null;
  const role = phase.kind === 'staff' ? phase.role : null;
  let view;
  if (loggedInView) {
    view = (
      <CitizenShell lang={lang} route={shown} nav={navigate} session={session} keys={citizen.keys} threads={citizen.threads}
        mydata={citizen.mydata ?? null} keysFailed={citizen.keysFailed === true} logout={logout} />
    );
  } else if (needsSession(shown) && (phase.kind === 'checking' || (citizen !== null && !texts.ready && !texts.failed))) {
    view = <p role="status">{t(lang, 'session.loading')}</p>;
  } else if (needsSession(shown) && phase.kind === 'ended') {
    view = <SessionEnded lang={lang} />;
  } else if (shown === 'privacy') {
    view = <PrivacyNotice lang={lang} nav={navigate} service={info} />;
  } else if (shown === 'accessibility') {
    view = <AccessibilityStatement lang={lang} service={info} />;
  } else {
    view = (
      <>
        {phase.kind === 'logged-out' && (
          <p class="success" role="status">
            {t(lang, 'session.loggedOut')}
          </p>
        )}
        {phase.kind === 'ended' && (
          <p class="notice" role="status">
            {t(lang, 'session.ended')}
          </p>
        )}
        <FrontPage lang={lang} nav={navigate} service={service} health={health} role={role} />
      </>
    );
  }
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        {t(lang, 'skip')}
      </a>
      <ExitThisPage lang={lang} url={info?.exit_url ?? DEFAULT_EXIT_URL} onLeave={() => session.endOnExit()} />
      <header>
        <PageLink to="front" nav={navigate} class="service-name">
          {t(lang, 'app.title')}
        </PageLink>
        <LangSwitch lang={lang} onChange={texts.change} />
      </header>
      {citizen !== null && (
        <>
          <p id="session" class="session-line">
            {t(lang, 'session.loggedIn', { role: t(lang, 'role.citizen') })}
          </p>
          <CitizenNav lang={lang} route={shown} nav={navigate} onLogout={logout} ready={citizen.threads !== null} />
        </>
      )}
      <main id="main" tabIndex={-1} data-crypto={citizen?.crypto ?? 'idle'} data-route={shown}>
        {logoutFailed && (
          <p class="error" role="alert">
            {t(lang, 'session.logoutFailed')}
          </p>
        )}
        {view}
        {(citizen?.crypto === 'failed' || texts.failed) && (
          <p id="crypto-error" role="alert" class="error">
            {t(lang, 'crypto.failed')}
          </p>
        )}
      </main>
      <Footer lang={lang} nav={navigate} />
    </>
  );
}
