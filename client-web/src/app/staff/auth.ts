// auth.ts - the staff page's login (PROTOCOL.md §4.3–4.6) and the worker's keys in memory: the
// password turned into the login key in the browser (the Argon2id cost the server names checked
// against the pinned bounds first: outside them nothing more is sent), the second-factor step,
// the first login with the setup code (a new password, the authenticator enrolled, then the
// keys made here: auth-keys.ts), the password change (login with new_auth_key, the bundle
// re-sealed), then the page's one connection and the keys; a lock after idle that wipes them
// (the connection and the views stay), the lock screen that opens the bundle held in memory
// again, and logout. A reload finds the session by its connection and shows the lock screen.
// The state is StaffAuthState (contract.ts) for the views.
import type { Connection } from '../net';
import type { SocketFactory } from '../net/socket';
import { systemClock, type Clock } from '../net/clock';
import type { CryptoSession } from '../citizen/threads-util';
import type { LoginPost } from '../../crypto/index';
import type { LoginError, LoginErrorCode, StaffAuthController, StaffAuthState, StaffKeys, StaffSession, StaffUnit } from './contract';
import { loginErrorOf, normalSetupCode, normalTotp, normalUsername, passwordProblem } from './auth-rules';
import { KeyStepError, StaffKeyState, type KeyOutcome, type KeySecrets } from './auth-keys';
import { newBundleSealer, type BundleSealer } from './keys';
import { DEFAULT_IDLE_MS, IdleLock, UnlockThrottle } from './lock';
import { welcomeReporting, type Welcome } from './auth-welcome';

export const DEFAULT_POLL_MS = 20_000;

export interface StaffAuthDeps {
  /** POST of a JSON body to the service; status 0 when it could not be reached. */
  post: LoginPost;
  loadCrypto(): Promise<CryptoSession>;
  /** The page's connection on the socket `wrap` makes of the real one (not started). */
  connect(wrap: (inner: SocketFactory) => SocketFactory): { conn: Connection; dispose(): void };
  clock?: Clock;
  idleMs?: number;
  pollMs?: number;
  onProblem?: (what: string) => void;
}

/** A refused step while logged in (changePassword in `ready`): the code the views explain. */
export class StaffAuthError extends Error {
  constructor(readonly error: LoginError) {
    super(error.code);
    this.name = 'StaffAuthError';
  }
}

/** The controller and what the shell needs besides (contract.ts: auth.ts owns the connection). */
export interface StaffAuth extends StaffAuthController {
  /** The second factor's code with a password change (additive to the contract's method). */
  changePassword(current: string, next: string, again: string, totp?: string): Promise<void>;
  connection(): Connection | null;
  cryptoSession(): CryptoSession | null;
  /** Input on the page: the idle lock starts counting again. */
  activity(): void;
  /** Looks for a session already there (a reload): 'checking', then 'locked' or 'login'. */
  start(): void;
  /** Back to the login from a step of it (the code, the first login): what was typed is forgotten. */
  cancel(): void;
}

/** What a login step carries to the next one (never stored; the password only until the keys open). */
interface Pending {
  username: string;
  auth?: string;
  password?: string;
  setupCode?: string;
  sealer?: BundleSealer;
  totp?: string;
  /** enrol_required: an account with a password but no second factor. */
  enrolOnly?: boolean;
}

type Failure = Extract<StaffAuthState, { kind: 'failed' }>;

export function createStaffAuth(deps: StaffAuthDeps): StaffAuth {
  const clock = deps.clock ?? systemClock;
  const pollMs = deps.pollMs ?? DEFAULT_POLL_MS;
  const problem = deps.onProblem ?? (() => undefined);
  let current: StaffAuthState = { kind: 'login' };
  const listeners = new Set<(s: StaffAuthState) => void>();
  let cs: CryptoSession | null = null;
  let pending: Pending | null = null;
  let conn: { conn: Connection; dispose(): void } | null = null;
  let keyState: StaffKeyState | null = null;
  let keys: (StaffKeys & { wipe(): void }) | null = null;
  let session: StaffSession | null = null;
  let pollTimer: unknown = null;
  const throttle = new UnlockThrottle(clock);
  const idle = new IdleLock(clock, deps.idleMs ?? DEFAULT_IDLE_MS, () => lock());

  const set = (s: StaffAuthState): void => {
    current = s;
    for (const fn of [...listeners]) fn(s);
  };
  const fail = (reason: Failure['reason']): void => set({ kind: 'failed', reason });

  async function crypto(): Promise<CryptoSession> {
    cs ??= await deps.loadCrypto();
    return cs;
  }

  // ---- the login endpoints ----------------------------------------------------------------

  /** /login/worker/start and the login keys of `passwords` (with its salt); a LoginError when refused. */
  async function derive(username: string, ...passwords: string[]): Promise<string[] | LoginError> {
    const c = (await crypto()).crypto;
    const start = await deps.post('/api/v1/login/worker/start', { username });
    if (start.status !== 200) return loginErrorOf(start.status, start.body);
    let p;
    try {
      p = c.loginStartParse(start.body);
    } catch (e) {
      return { code: (e as { code?: string }).code === 'forbidden' ? 'weak_parameters' : 'failed' };
    }
    try {
      return passwords.map((pw) => {
        const k = c.loginKey(pw, p.salt, p.opslimit, p.memlimit);
        const s = c.sodium.to_base64(k, c.sodium.base64_variants.URLSAFE_NO_PADDING);
        c.wipe(k);
        return s;
      });
    } catch {
      return { code: 'password_rules' }; // not valid Unicode, or too long
    }
  }

  async function postLogin(body: Record<string, unknown>): Promise<LoginError | null> {
    const r = await deps.post('/api/v1/login/worker', body);
    return r.status === 200 ? null : loginErrorOf(r.status, r.body);
  }

  /** Runs a step that may throw (the encryption module failed to load: 'failed'). */
  async function guarded(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (e) {
      problem(`a login step failed: ${(e as Error).message}`);
      if (current.kind !== 'failed') fail(cs === null ? 'crypto' : 'failed');
    }
  }

  /** A refused /login/worker: the state that asks for what is missing, or shows the error. */
  async function refused(p: Pending, err: LoginError, back: StaffAuthState): Promise<void> {
    if (err.code === 'totp_required') return set({ kind: 'totp', username: p.username });
    if (err.code === 'password_expired') return set({ kind: 'change-password', username: p.username });
    if (err.code === 'enrol_required' && p.auth !== undefined) {
      const r = await deps.post('/api/v1/login/worker/enrol', { username: p.username, auth_key: p.auth });
      p.enrolOnly = true;
      return enrolled(p, r);
    }
    set({ ...back, error: err } as StaffAuthState);
  }

  /** An /enrol answer: the secret and its URI shown, or the error. */
  function enrolled(p: Pending, r: { status: number; body: unknown }): void {
    const b = r.body as { totp_secret?: unknown; totp_uri?: unknown } | null;
    if (r.status !== 200) {
      const err = loginErrorOf(r.status, r.body);
      if (err.code === 'bad_credentials') return set({ kind: 'login', error: err });
      return set({ kind: p.setupCode !== undefined ? 'setup-password' : 'login', username: p.username, error: err });
    }
    if (typeof b?.totp_secret !== 'string' || typeof b.totp_uri !== 'string' || !b.totp_uri.startsWith('otpauth://totp/'))
      return fail('failed');
    set({ kind: 'setup-totp', username: p.username, secret: b.totp_secret, uri: b.totp_uri });
  }

  // ---- after the login: the connection and the keys ------------------------------------------

  function openConnection(): Promise<Welcome | null> {
    conn?.dispose();
    let seen: Welcome | null = null;
    const made = deps.connect((inner) => welcomeReporting(inner, (w) => (seen = w)));
    conn = made;
    return new Promise((resolve) => {
      let opened = false;
      made.conn.onState((s) => {
        if (conn !== made) return;
        if (s.kind === 'open' && !opened) {
          opened = true;
          return resolve(seen);
        }
        if (!opened && (s.kind === 'reconnecting' || s.kind === 'offline')) {
          conn = null;
          made.dispose();
          return resolve(null);
        }
        if (opened && s.kind === 'offline' && s.cause === 'login_needed') return sessionEnded();
        if (opened && s.kind === 'open' && current.kind === 'awaiting-certification') void pollNow();
      });
      made.conn.start();
    });
  }

  function makeSession(w: Welcome, username: string): StaffSession {
    const units: StaffUnit[] = w.units;
    return { userId: w.user, username, units, supervisor: units.some((u) => u.role === 'supervisor'), keys: () => keys };
  }

  async function loggedIn(p: Pending, secrets: KeySecrets): Promise<void> {
    pending = null;
    set({ kind: 'keys-loading' });
    const w = await openConnection();
    if (w === null || !w.staff) return fail('network');
    session = makeSession(w, p.username);
    const c = await crypto();
    keyState = new StaffKeyState(c.crypto, c.rootKey, w.user, () => clock.now(), problem);
    await keysStep(() => keyState!.afterLogin(conn!.conn, secrets));
  }

  async function keysStep(step: () => Promise<KeyOutcome> | KeyOutcome): Promise<void> {
    let out: KeyOutcome;
    try {
      out = await step();
    } catch (e) {
      if (e instanceof KeyStepError && e.reason === 'bad_password' && current.kind === 'locked') throw e;
      problem(`keys: ${(e as Error).message}`);
      return fail(e instanceof KeyStepError ? e.reason : 'failed');
    }
    if (out.kind === 'awaiting') {
      // The identity is held in memory while awaiting: it locks the same way (a poll is no input).
      if (current.kind !== 'awaiting-certification') idle.arm();
      set({ kind: 'awaiting-certification', fingerprint: out.fingerprint });
      return schedulePoll();
    }
    keys = out.keys;
    throttle.reset();
    idle.arm();
    set({ kind: 'ready', session: session! });
  }

  function schedulePoll(): void {
    if (pollTimer !== null) clock.clearTimer(pollTimer);
    pollTimer = clock.setTimer(() => {
      pollTimer = null;
      void pollNow();
    }, pollMs);
  }

  async function pollNow(): Promise<void> {
    if (current.kind !== 'awaiting-certification' || keyState === null || conn === null) return;
    const ks = keyState;
    const c = conn.conn;
    try {
      const out = await ks.poll(c);
      if (current.kind !== 'awaiting-certification' || ks !== keyState) return;
      await keysStep(() => out);
    } catch (e) {
      if (e instanceof KeyStepError && e.reason !== 'network') return keysStep(() => Promise.reject(e));
      if (current.kind === 'awaiting-certification') schedulePoll(); // offline for now: asked again
    }
  }

  // ---- lock, session end, logout ------------------------------------------------------------

  function wipeKeys(): void {
    keys?.wipe();
    keys = null;
    keyState?.forget();
    idle.disarm();
  }

  function clearAll(): void {
    wipeKeys();
    if (pollTimer !== null) clock.clearTimer(pollTimer);
    pollTimer = null;
    pending = null;
    keyState = null;
    session = null;
    conn?.dispose();
    conn = null;
  }

  function sessionEnded(): void {
    clearAll();
    set({ kind: 'login' });
  }

  /** Wipes the keys (or the identity awaiting certification); the connection and views stay. */
  function lock(): void {
    if ((current.kind !== 'ready' && current.kind !== 'awaiting-certification') || session === null) return;
    wipeKeys();
    if (pollTimer !== null) clock.clearTimer(pollTimer);
    pollTimer = null;
    set({ kind: 'locked', session });
  }

  /** A reload: the session already there (its connection's welcome), its bundle fetched, locked. */
  async function resume(): Promise<void> {
    set({ kind: 'checking' });
    const w = await openConnection();
    if (w === null) return set({ kind: 'login' });
    if (!w.staff) {
      clearAll();
      return set({ kind: 'login' });
    }
    session = makeSession(w, '');
    try {
      const c = await crypto();
      keyState = new StaffKeyState(c.crypto, c.rootKey, w.user, () => clock.now(), problem);
      const mine = await keyState.fetch(conn!.conn);
      if (mine.bundle === null) return sessionEnded(); // the first login was not finished: again
    } catch (e) {
      problem(`resume: ${(e as Error).message}`);
      return fail(cs === null ? 'crypto' : 'network');
    }
    set({ kind: 'locked', session });
  }

  // ---- the controller -----------------------------------------------------------------------

  const err = (code: LoginErrorCode): LoginError => ({ code });

  return {
    state: () => current,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    connection: () => conn?.conn ?? null,
    cryptoSession: () => cs,
    activity: () => {
      idle.activity();
      conn?.conn.touch();
    },
    start: () => void guarded(resume),
    cancel: () => {
      if (current.kind !== 'totp' && current.kind !== 'setup-password' && current.kind !== 'setup-totp' &&
        current.kind !== 'change-password' && current.kind !== 'login') return;
      if (pending?.sealer !== undefined && cs !== null) cs.crypto.wipe(pending.sealer.key);
      pending = null;
      set({ kind: 'login' });
    },

    login: (username, password, totp) => guarded(async () => {
      const u = normalUsername(username);
      const code = totp === undefined || totp.trim() === '' ? undefined : normalTotp(totp);
      if (u === null || password === '' || code === null) return set({ kind: 'login', error: err('bad_credentials') });
      const keys = await derive(u, password);
      if (!Array.isArray(keys)) return set({ kind: 'login', error: keys });
      const p: Pending = { username: u, auth: keys[0], password, totp: code };
      pending = p;
      const r = await postLogin({ username: u, auth_key: p.auth, ...(code ? { totp: code } : {}) });
      if (r === null) return loggedIn(p, { password });
      await refused(p, r, { kind: 'login' });
    }),

    totp: (code) => guarded(async () => {
      const p = pending;
      if (p === null || p.auth === undefined) return set({ kind: 'login' });
      const c = normalTotp(code);
      if (c === null) return set({ kind: 'totp', username: p.username, error: err('bad_credentials') });
      p.totp = c;
      const r = await postLogin({ username: p.username, auth_key: p.auth, totp: c });
      if (r === null) return loggedIn(p, { password: p.password });
      await refused(p, r, { kind: 'totp', username: p.username });
    }),

    startSetup: async (username, setupCode) => {
      const u = normalUsername(username);
      const code = normalSetupCode(setupCode);
      if (u === null || code === null) return set({ kind: 'login', error: err('bad_credentials') });
      pending = { username: u, setupCode: code };
      set({ kind: 'setup-password', username: u });
    },

    choosePassword: (password, again) => guarded(async () => {
      const p = pending;
      if (p === null || p.setupCode === undefined) return set({ kind: 'login' });
      if (passwordProblem(password, again) !== null) return set({ kind: 'setup-password', username: p.username, error: err('password_rules') });
      const keys = await derive(p.username, password);
      if (!Array.isArray(keys)) return set({ kind: 'setup-password', username: p.username, error: keys });
      p.auth = keys[0];
      if (p.sealer !== undefined) (await crypto()).crypto.wipe(p.sealer.key);
      p.sealer = newBundleSealer((await crypto()).crypto, password);
      enrolled(p, await deps.post('/api/v1/login/worker/enrol', { username: p.username, setup_code: p.setupCode }));
    }),

    confirmTotp: (code) => guarded(async () => {
      const p = pending;
      const s = current;
      if (p === null || p.auth === undefined || s.kind !== 'setup-totp') return set({ kind: 'login' });
      const c = normalTotp(code);
      if (c === null) return set({ ...s, error: err('bad_credentials') });
      const body = { username: p.username, auth_key: p.auth, totp: c, ...(p.setupCode ? { setup_code: p.setupCode } : {}) };
      const r = await postLogin(body);
      if (r === null) return loggedIn(p, p.enrolOnly ? { password: p.password } : { sealer: p.sealer });
      if (r.code === 'password_expired') return set({ kind: 'change-password', username: p.username });
      set({ ...s, error: r });
    }),

    changePassword: (currentPw, next, again, totp) => {
      const s = current;
      if (s.kind === 'ready' || s.kind === 'locked') return changeLoggedIn(s.session, currentPw, next, again, totp);
      return guarded(async () => {
        const p = pending;
        if (s.kind !== 'change-password' || p === null) return set({ kind: 'login' });
        const back = { kind: 'change-password' as const, username: p.username };
        if (passwordProblem(next, again) !== null) return set({ ...back, error: err('password_rules') });
        const code = totp === undefined || totp.trim() === '' ? p.totp : normalTotp(totp) ?? undefined;
        const keys = await derive(p.username, currentPw, next);
        if (!Array.isArray(keys)) return set({ ...back, error: keys });
        const r = await postLogin({ username: p.username, auth_key: keys[0], new_auth_key: keys[1], ...(code ? { totp: code } : {}) });
        if (r === null) return loggedIn(p, { password: currentPw, newPassword: next });
        set({ ...back, error: r });
      });
    },

    unlock: async (password) => {
      const s = current;
      if (s.kind !== 'locked' || keyState === null) return;
      const wait = throttle.wait();
      if (wait > 0) return set({ ...s, error: { code: 'rate_limited', retryAfter: wait } });
      try {
        await keysStep(() => keyState!.unlock(password));
      } catch {
        throttle.failed();
        const w = throttle.wait();
        set({ kind: 'locked', session: s.session, error: w > 0 ? { code: 'bad_credentials', retryAfter: w } : err('bad_credentials') });
      }
    },

    lock,

    async logout() {
      clearAll();
      await deps.post('/api/v1/logout', {});
      set({ kind: 'login' });
    },
  };

  /** A password change while logged in: login with new_auth_key, then the bundle re-sealed. */
  async function changeLoggedIn(sess: StaffSession, currentPw: string, next: string, again: string, totp?: string): Promise<void> {
    if (passwordProblem(next, again) !== null) throw new StaffAuthError(err('password_rules'));
    if (keyState === null || conn === null || sess.username === '') throw new StaffAuthError(err('failed'));
    const code = totp === undefined || totp.trim() === '' ? undefined : normalTotp(totp);
    if (code === null) throw new StaffAuthError(err('bad_credentials'));
    const keys = await derive(sess.username, currentPw, next);
    if (!Array.isArray(keys)) throw new StaffAuthError(keys);
    const r = await postLogin({ username: sess.username, auth_key: keys[0], new_auth_key: keys[1], ...(code ? { totp: code } : {}) });
    if (r !== null) throw new StaffAuthError(r);
    try {
      await keyState.changePassword(conn.conn, currentPw, next);
    } catch (e) {
      throw new StaffAuthError(err(e instanceof KeyStepError && e.reason === 'bad_password' ? 'bad_credentials' : 'failed'));
    }
  }
}
