// app.tsx - the staff page's shell (/staff): the service's name and the language switch, the
// connection line and the session warning once logged in, and the view of the auth state
// (staff/auth.ts): the login, the code, the first login's password and authenticator, the
// password change, the keys being opened, the fingerprint awaiting certification, a failure;
// once the keys are ready the workspace (views/staff/workspace.tsx), which stays mounted,
// hidden and inert, under the lock screen and the password change so that nothing typed is
// lost. Input anywhere on the page moves the idle lock's time on.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { applyLang, initialLang, LANG_NAMES, LANGS, t, type Key, type Lang } from '../../i18n';
import type { StaffAuthState } from '../../staff/contract';
import type { StaffAuth } from '../../staff/auth';
import { ConnectionLine, SessionWarningDialog } from '../citizen/status';
import { LoginForm, SetupStartForm, TotpForm } from './login/login';
import { SetupPasswordForm, SetupTotpForm } from './login/setup';
import { ChangePasswordForm } from './login/password';
import { AwaitingCertification, Failed, KeysLoading, LockScreen } from './login/status';
import { StaffWorkspace } from './workspace';
import { createStaffWork } from '../../staff/work';

/** What the shell uses of the controller (the preview passes a fake). */
export type StaffShellAuth = Pick<
  StaffAuth,
  | 'state' | 'subscribe' | 'login' | 'totp' | 'startSetup' | 'choosePassword' | 'confirmTotp' | 'changePassword' | 'unlock'
  | 'lock' | 'logout' | 'connection' | 'cryptoSession' | 'activity' | 'cancel'
>;

const TITLES: Record<StaffAuthState['kind'], Key> = {
  checking: 'staffLogin.title',
  login: 'staffLogin.title',
  totp: 'staffLogin.totp.title',
  'setup-password': 'password.setupTitle',
  'setup-totp': 'staffLogin.enrol.title',
  'change-password': 'password.title',
  'keys-loading': 'staffLogin.keys.title',
  'awaiting-certification': 'staffLogin.await.title',
  ready: 'staffLogin.service',
  locked: 'lock.title',
  failed: 'staffLogin.failed.title',
};

const SIGNED_IN: StaffAuthState['kind'][] = ['keys-loading', 'awaiting-certification', 'ready', 'locked'];

function useAuthState(auth: StaffShellAuth): StaffAuthState {
  const [s, setS] = useState(auth.state());
  useEffect(() => {
    setS(auth.state());
    return auth.subscribe(setS);
  }, [auth]);
  return s;
}

/** Key presses, clicks and touches anywhere: the idle lock starts counting again. */
function useActivity(auth: StaffShellAuth): void {
  useEffect(() => {
    const on = () => auth.activity();
    const events = ['keydown', 'pointerdown', 'wheel', 'touchstart'];
    for (const e of events) document.addEventListener(e, on, { passive: true, capture: true });
    return () => {
      for (const e of events) document.removeEventListener(e, on, { capture: true });
    };
  }, [auth]);
}

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

/** The login's views (before the keys): the state's own, or the first login's start. */
function LoginViews(props: { lang: Lang; auth: StaffShellAuth; state: StaffAuthState; setup: boolean; setSetup: (b: boolean) => void;
  logout: () => void }) {
  const { lang, auth, state: s, setup, setSetup, logout } = props;
  const back = () => {
    setSetup(false);
    auth.cancel();
  };
  switch (s.kind) {
    case 'checking':
      return <p role="status">{t(lang, 'session.loading')}</p>;
    case 'login':
      return setup ? <SetupStartForm lang={lang} auth={auth} error={s.error} onBack={back} />
        : <LoginForm lang={lang} auth={auth} error={s.error} onSetup={() => setSetup(true)} />;
    case 'totp':
      return <TotpForm lang={lang} auth={auth} username={s.username} error={s.error} onBack={back} />;
    case 'setup-password':
      return <SetupPasswordForm lang={lang} auth={auth} username={s.username} error={s.error} />;
    case 'setup-totp':
      return <SetupTotpForm lang={lang} auth={auth} secret={s.secret} uri={s.uri} error={s.error} />;
    case 'change-password':
      return <ChangePasswordForm lang={lang} expired username={s.username} error={s.error} change={auth.changePassword} onCancel={back} />;
    case 'keys-loading':
      return <KeysLoading lang={lang} />;
    case 'awaiting-certification':
      return <AwaitingCertification lang={lang} fingerprint={s.fingerprint} onLogout={logout} />;
    case 'failed':
      return <Failed lang={lang} reason={s.reason} onLogout={logout} />;
    default:
      return null;
  }
}

/** `makeWork` makes the controllers of a logged-in session (the preview passes fakes). */
export function StaffApp({ auth, makeWork = createStaffWork }: { auth: StaffShellAuth; makeWork?: typeof createStaffWork }) {
  const [lang, setLang] = useState<Lang>(initialLang);
  const s = useAuthState(auth);
  const [setup, setSetup] = useState(false);
  const [changing, setChanging] = useState(false);
  const [changed, setChanged] = useState(false);
  const [notice, setNotice] = useState<'logged-out' | 'ended' | null>(null);
  // The workspace is made at the first `ready` and kept (under the lock) until the login again.
  const [working, setWorking] = useState(false);
  const prev = useRef<StaffAuthState['kind']>(s.kind);
  const loggingOut = useRef(false);
  useActivity(auth);

  useEffect(() => applyLang(lang), [lang]);
  useEffect(() => {
    if (s.kind === 'ready') return; // the workspace names its own views (and the new questions' count)
    document.title = s.kind === 'login' || s.kind === 'checking' ? t(lang, 'staffLogin.title') + ' – ' + t(lang, 'staffLogin.service')
      : `${t(lang, TITLES[s.kind])} – ${t(lang, 'staffLogin.service')}`;
  }, [s.kind, lang]);
  useEffect(() => {
    const was = prev.current;
    prev.current = s.kind;
    if (s.kind === 'ready' || s.kind === 'totp' || s.kind === 'setup-password') setNotice(null);
    if (s.kind === 'login' && SIGNED_IN.includes(was)) {
      setNotice(loggingOut.current ? 'logged-out' : 'ended');
      setSetup(false);
      setChanging(false);
    }
    if (s.kind === 'setup-password' || s.kind === 'ready') setSetup(false);
    if (s.kind === 'ready') setWorking(true);
    if (!SIGNED_IN.includes(s.kind)) setWorking(false);
    loggingOut.current = false;
  }, [s]);

  const logout = () => {
    loggingOut.current = true;
    void auth.logout();
  };
  const conn = auth.connection();
  const crypto = auth.cryptoSession();
  const session = s.kind === 'ready' || s.kind === 'locked' ? s.session : null;
  const showConn = conn !== null && SIGNED_IN.includes(s.kind);
  // One set of controllers per logged-in session, kept under the lock.
  const work = useMemo(() => (session !== null && conn !== null && crypto !== null ? makeWork(conn, crypto, session) : null),
    [session, conn, crypto, makeWork]);

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById('main')?.focus();
      }}>
        {t(lang, 'skip')}
      </a>
      <header>
        <span class="service-name">{t(lang, 'staffLogin.service')}</span>
        <LangSwitch lang={lang} onChange={setLang} />
      </header>
      <main id="main" tabIndex={-1} class="staff-main" data-auth={s.kind}>
        {notice !== null && (
          <p class={notice === 'ended' ? 'notice' : 'success'} role="status">
            {t(lang, notice === 'ended' ? 'staffLogin.sessionEnded' : 'staffLogin.loggedOut')}
          </p>
        )}
        {showConn && <ConnectionLine lang={lang} conn={conn} />}
        {showConn && <SessionWarningDialog lang={lang} conn={conn} onLogout={logout} drafts="lock.sessionDrafts" />}
        {session !== null && conn !== null && crypto !== null && work !== null ? (
          <>
            {s.kind === 'locked' && <LockScreen lang={lang} auth={auth} username={session.username} error={s.error} onLogout={logout} />}
            {s.kind === 'ready' && changing && (
              <ChangePasswordForm lang={lang} expired={false} username={session.username} change={auth.changePassword}
                onCancel={() => setChanging(false)} onDone={() => {
                  setChanging(false);
                  setChanged(true);
                }} />
            )}
            {s.kind === 'ready' && changed && !changing && (
              <p class="success" role="status">
                {t(lang, 'password.done')}
              </p>
            )}
            {(working || s.kind === 'ready') && (
              <div class="staff-work" hidden={s.kind === 'locked' || changing} inert={s.kind === 'locked' || changing}>
                <StaffWorkspace session={session} queue={work.queue} threads={work.threads} canned={work.canned} supervise={work.supervise} rights={work.rights}
                  lang={lang} onLock={auth.lock} onLogout={logout}
                  onChangePassword={() => {
                    setChanged(false);
                    setChanging(true);
                  }} />
              </div>
            )}
          </>
        ) : (
          <LoginViews lang={lang} auth={auth} state={s} setup={setup} setSetup={setSetup} logout={logout} />
        )}
      </main>
      <footer>
        <p class="small">
          <a href="/">{t(lang, 'staffLogin.toFront')}</a>
        </p>
        <p class="small">
          <a href="/#/privacy">{t(lang, 'footer.privacy')}</a>
        </p>
      </footer>
    </>
  );
}
