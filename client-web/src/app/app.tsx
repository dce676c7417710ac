// app.tsx - the app shell: the language switch, the front page (service status, bank-ID
// login, the emergency number) and, once logged in, the session line; the encryption module
// is loaded after login. The views of the citizen's and the staff's app are built on this.
import { useEffect, useState } from 'preact/hooks';
import { applyLang, initialLang, LANG_NAMES, LANGS, t, type Key, type Lang } from './i18n';
import { fetchHealth, watchSession, type Health } from './session';
import { loadCrypto } from './crypto-load';

type CryptoState = 'idle' | 'loading' | 'ready' | 'failed';

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

const HEALTH_TEXT: Record<Health, Key> = {
  checking: 'status.checking',
  up: 'status.up',
  down: 'status.down',
  unreachable: 'status.unreachable',
};

function roleText(lang: Lang, role: string): string {
  return role === 'citizen' ? t(lang, 'role.citizen') : role === 'worker' ? t(lang, 'role.worker') : role;
}

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const [health, setHealth] = useState<Health>('checking');
  const [role, setRole] = useState<string | null>(null);
  const [crypto, setCrypto] = useState<CryptoState>('idle');

  useEffect(() => applyLang(lang), [lang]);
  useEffect(() => {
    void fetchHealth().then(setHealth);
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

  return (
    <>
      <header>
        <LangSwitch lang={lang} onChange={setLang} />
      </header>
      <main data-crypto={crypto}>
        <h1>{t(lang, 'app.title')}</h1>
        <p>{t(lang, 'app.tagline')}</p>
        <p id="status" role="status" class={health === 'up' || health === 'checking' ? '' : 'down'}>
          {t(lang, HEALTH_TEXT[health])}
        </p>
        {role !== null ? (
          <p id="session" role="status">
            {t(lang, 'session.loggedIn', { role: roleText(lang, role) })}
          </p>
        ) : (
          <p>
            <a class="button" href="/api/v1/auth/bank/start">
              {t(lang, 'login.bank')}
            </a>
          </p>
        )}
        {crypto === 'failed' && (
          <p id="crypto-error" role="alert" class="error">
            {t(lang, 'crypto.failed')}
          </p>
        )}
        <p>{t(lang, 'emergency')}</p>
      </main>
    </>
  );
}
