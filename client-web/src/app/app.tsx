// app.tsx - the app shell: the layout of every page (the service's name, the language switch,
// "Exit this page", the footer's links), the router between the pages before login (route.ts:
// each change replaces the history entry, so that the app is one entry that "Exit this page"
// replaces; the new page's title is set and its h1 focused) and, once logged in, the session
// line; the encryption module is loaded after login. The logged-in views are built on this.
import { useEffect, useRef, useState } from 'preact/hooks';
import { applyLang, initialLang, LANG_NAMES, LANGS, t, type Key, type Lang } from './i18n';
import { fetchHealth, watchSession, type Health } from './session';
import { loadCrypto } from './crypto-load';
import { hashOf, routeOf, type Route } from './route';
import { DEFAULT_EXIT_URL, fetchService } from './service';
import { ExitThisPage } from './exit';
import { PageLink, type Navigate } from './views/common';
import { FrontPage, type ServiceState } from './views/front';
import { PrivacyNotice } from './views/privacy';
import { AccessibilityStatement } from './views/accessibility';

type CryptoState = 'idle' | 'loading' | 'ready' | 'failed';

const TITLES: Record<Route, Key> = { front: 'app.title', privacy: 'privacy.title', accessibility: 'a11y.title' };

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

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const [route, navigate] = useRoute();
  const [health, setHealth] = useState<Health>('checking');
  const [service, setService] = useState<ServiceState>('loading');
  const [role, setRole] = useState<string | null>(null);
  const [crypto, setCrypto] = useState<CryptoState>('idle');
  const firstRoute = useRef(true);

  useEffect(() => applyLang(lang), [lang]);
  useEffect(() => {
    document.title = route === 'front' ? t(lang, 'app.title') : `${t(lang, TITLES[route])} – ${t(lang, 'app.title')}`;
  }, [route, lang]);
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    window.scrollTo(0, 0);
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [route]);
  useEffect(() => {
    void fetchHealth().then(setHealth);
    void fetchService().then((s) => setService(s ?? 'failed'));
    const ws = watchSession(setRole);
    return () => ws.close();
  }, []);
  useEffect(() => {
    if (role === null) return;
    setCrypto('loading');
    loadCrypto().then(
      () => setCrypto('ready'),
      () => setCrypto('failed'),
    );
  }, [role]);

  const info = typeof service === 'object' ? service : null;
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
      <ExitThisPage lang={lang} url={info?.exit_url ?? DEFAULT_EXIT_URL} />
      <header>
        <PageLink to="front" nav={navigate} class="service-name">
          {t(lang, 'app.title')}
        </PageLink>
        <LangSwitch lang={lang} onChange={setLang} />
      </header>
      <main id="main" tabIndex={-1} data-crypto={crypto} data-route={route}>
        {route === 'privacy' ? (
          <PrivacyNotice lang={lang} service={info} />
        ) : route === 'accessibility' ? (
          <AccessibilityStatement lang={lang} service={info} />
        ) : (
          <FrontPage lang={lang} nav={navigate} service={service} health={health} role={role} />
        )}
        {crypto === 'failed' && (
          <p id="crypto-error" role="alert" class="error">
            {t(lang, 'crypto.failed')}
          </p>
        )}
      </main>
      <Footer lang={lang} nav={navigate} />
    </>
  );
}
