// preview.tsx - the staff page's login views on a fake auth controller, so that they can be
// looked at and tested in a browser (preview.test.mjs) without a server: the query string picks
// the state (state=login|setup-start|totp|setup-password|setup-totp|change-password|keys-loading|
// awaiting|failed|locked|change; err=1 adds the server's error) and lang the language.
// window.preview.show(query) shows another state without loading the page again.
import { render } from 'preact';
import { StaffApp, type StaffShellAuth } from '../../src/app/views/staff/app';
import type { LoginError, StaffAuthState, StaffSession } from '../../src/app/staff/contract';
import type { Connection } from '../../src/app/net';
import type { CryptoSession } from '../../src/app/crypto-load';
import '../../src/app/app.css';
import '../../src/app/staff.css';
import type { StaffWork } from '../../src/app/staff/work';
import { fakeCanned, fakeQueue, fakeThreads } from '../preview-staff/fakes';

const SESSION: StaffSession = {
  userId: 'ab'.repeat(16), username: 'maija.meikalainen', supervisor: false, keys: () => null,
  units: [{ unit: 'cd'.repeat(16), name: 'Aikuissosiaalityö', role: 'worker' }],
};
const URI = 'otpauth://totp/Online%20advice:maija.meikalainen?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Online%20advice';

function stateOf(q: URLSearchParams): StaffAuthState {
  const err = (e: LoginError) => (q.get('err') === '1' ? { error: e } : {});
  switch (q.get('state')) {
    case 'totp':
      return { kind: 'totp', username: 'maija.meikalainen', ...err({ code: 'bad_credentials' }) };
    case 'setup-password':
      return { kind: 'setup-password', username: 'maija.meikalainen', ...err({ code: 'password_rules' }) };
    case 'setup-totp':
      return { kind: 'setup-totp', username: 'maija.meikalainen', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', uri: URI,
        ...err({ code: 'bad_credentials' }) };
    case 'change-password':
      return { kind: 'change-password', username: 'maija.meikalainen', ...err({ code: 'bad_credentials' }) };
    case 'keys-loading':
      return { kind: 'keys-loading' };
    case 'awaiting':
      return { kind: 'awaiting-certification', fingerprint: '3f2a 9c01 77be 0d4e a1c9 5b62 e803 44f7' };
    case 'failed':
      return { kind: 'failed', reason: 'certificate' };
    case 'locked':
      return { kind: 'locked', session: SESSION, ...err({ code: 'bad_credentials', retryAfter: 4 }) };
    case 'ready':
    case 'change':
      return { kind: 'ready', session: SESSION };
    default:
      return { kind: 'login', ...err({ code: 'locked', retryAfter: 300 }) };
  }
}

/** A connection that is open and quiet (the views only read its state and session). */
const conn = {
  state: { kind: 'open', syncing: false },
  onState: () => () => undefined,
  retryNow: () => undefined,
  sessionInfo: { sessionExpires: null, idleExpires: null, warning: null },
  onSession: () => () => undefined,
  extendSession: async () => ({ sessionExpires: null, idleExpires: null, warning: null }),
  touch: () => undefined,
} as unknown as Connection;

function fakeAuth(state: StaffAuthState): StaffShellAuth {
  let s = state;
  const subs = new Set<(s: StaffAuthState) => void>();
  const set = (n: StaffAuthState) => {
    s = n;
    subs.forEach((f) => f(n));
  };
  const never = () => new Promise<void>(() => undefined); // busy for ever: the view stays as it is
  return {
    state: () => s,
    subscribe: (f) => {
      subs.add(f);
      return () => subs.delete(f);
    },
    login: never, totp: never, choosePassword: never, confirmTotp: never, changePassword: never, unlock: never,
    startSetup: async (u) => set({ kind: 'setup-password', username: u }),
    lock: () => set({ kind: 'locked', session: SESSION }),
    logout: async () => set({ kind: 'login' }),
    cancel: () => set({ kind: 'login' }),
    connection: () => (s.kind === 'ready' || s.kind === 'locked' || s.kind === 'awaiting-certification' ? conn : null),
    cryptoSession: () => ({} as CryptoSession),
    activity: () => undefined,
  };
}

/** The workspace's controllers: the staff preview's fakes (a worker's view). */
function fakeWork(): StaffWork {
  const queue = fakeQueue({ role: 'worker', chain: 'ok', empty: false });
  return { queue, threads: fakeThreads(queue), canned: fakeCanned(), supervise: null };
}

const root = document.getElementById('app')!;
let shown = 0;

function show(query: string): void {
  const q = new URLSearchParams(query);
  render(null, root);
  const auth = fakeAuth(stateOf(q));
  render(<StaffApp key={++shown} auth={auth} makeWork={fakeWork} />, root);
  if (q.get('state') === 'setup-start') document.querySelector<HTMLButtonElement>('.staff-step button.secondary')?.click();
  if (q.get('state') === 'change') document.querySelector<HTMLButtonElement>('.staff-tools button')?.click(); // "Change password"
}

const first = new URLSearchParams(location.search);
try {
  const lang = first.get('lang');
  localStorage.setItem('advice.lang', lang === 'sv' || lang === 'en' ? lang : 'fi');
} catch {
  /* the language switch still works */
}
(window as unknown as { preview: unknown }).preview = { show };
show(location.search);
