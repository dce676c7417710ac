// session.ts - the logged-in shell's wiring: the app's ONE connection (src/app/net) opened at
// start; its first welcome tells whether this browser has a session and whose (a refused
// first connection: no session, the pages before login). For a citizen the encryption module
// is loaded, the key controller made from the welcome's user, and once the keys are ready the
// connection gets its encrypted outbox and the threads controller is made; a device that
// forgets the citizen deletes their drafts and outbox too (forget.ts). Logout (POST
// /api/v1/logout, PROTOCOL.md §4.6) and the end of the session on "Exit this page" (sent with
// keepalive, so that leaving is not delayed). The views read a CitizenSession only.
import { attachBrowserOutbox, browserConnection, type Connection } from '../net';
import { browserSocket, sameOriginWsUrl, SUBPROTOCOL, type SocketFactory } from '../net/socket';
import { loadCrypto, type CryptoSession } from '../crypto-load';
import { fetchHealth } from '../session';
import type { KeyController, KeyState, ThreadsController } from './contract';
import type { MyDataController } from './mydata-contract';
import { createMyDataController } from './mydata';
import { packLazily } from './mydata-zip-load';
import { browserForget } from './forget';
import { createKeyController } from './keys';
import { createThreadsController } from './threads';

/** What the views use of the connection (a fake implements it in the preview harness). */
export type ShellConnection = Pick<
  Connection,
  | 'state' | 'onState' | 'retryNow' | 'sessionInfo' | 'onSession' | 'extendSession' | 'watchList' | 'onOutbox' | 'failedWrites'
  | 'retryWrite' | 'discardWrite' | 'request' | 'touch'
>;

export type SessionPhase =
  | { kind: 'checking' } // the first connection is under way
  | { kind: 'none' } // no session: the pages before login
  | { kind: 'staff'; role: string } // a staff session: this app is the citizens'
  | {
      kind: 'citizen';
      crypto: 'loading' | 'ready' | 'failed';
      /** Null until made; stays null when the key controller could not be made (keysFailed). */
      keys: KeyController | null;
      /** Null until the keys are ready. */
      threads: ThreadsController | null;
      keysFailed?: boolean;
      /** The "Your data" page's controller, made with the threads controller. */
      mydata?: MyDataController | null;
    }
  | { kind: 'ended' } // the session ended (expired, revoked): log in again
  | { kind: 'logged-out' };

export interface CitizenSession {
  readonly conn: ShellConnection;
  phase(): SessionPhase;
  subscribe(fn: (p: SessionPhase) => void): () => void;
  /** Logs out (POST /api/v1/logout); false when the server could not be told. */
  logout(): Promise<boolean>;
  /** "Exit this page": ends the session without waiting for the answer. */
  endOnExit(): void;
}

const LOGOUT = '/api/v1/logout';

function logoutRequest(keepalive: boolean): Promise<Response> {
  return fetch(LOGOUT, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
    credentials: 'same-origin',
    cache: 'no-store',
    keepalive,
  });
}

/** A socket factory that reports the role of each welcome before the manager sees it. */
function roleReporting(inner: SocketFactory, onRole: (role: string) => void): SocketFactory {
  return (h) =>
    inner({
      ...h,
      message: (text) => {
        if (text.includes('"welcome"')) {
          try {
            const m = JSON.parse(text) as { type?: unknown; event?: unknown; role?: unknown };
            if (m.type === 'event' && m.event === 'welcome' && typeof m.role === 'string') onRole(m.role);
          } catch {
            /* the manager reports malformed messages */
          }
        }
        h.message(text);
      },
    });
}

/**
 * Whether the session is still valid, for a connection refused after it had been open
 * (browsers cannot see the refusal's status): the service answers and a new WebSocket opens
 * (valid) or is refused (invalid); else unknown.
 */
export async function probeSession(): Promise<'valid' | 'invalid' | 'unknown'> {
  if ((await fetchHealth()) !== 'up') return 'unknown';
  return new Promise((resolve) => {
    let settled = false;
    const ws = new WebSocket(sameOriginWsUrl(), SUBPROTOCOL);
    const settle = (v: 'valid' | 'invalid' | 'unknown') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(v);
      try {
        ws.close(1000);
      } catch {
        /* closed already */
      }
    };
    const timer = setTimeout(() => settle('unknown'), 10_000);
    ws.addEventListener('open', () => settle('valid'));
    ws.addEventListener('close', () => settle('invalid'));
  });
}

/** Opens the app's connection and follows the session it finds (see the file's comment). */
export function openCitizenSession(): CitizenSession {
  let current: SessionPhase = { kind: 'checking' };
  let role: string | null = null;
  let welcomed = false;
  let leaving = false;
  const listeners = new Set<(p: SessionPhase) => void>();
  const set = (p: SessionPhase) => {
    current = p;
    for (const fn of [...listeners]) fn(p);
  };

  const { conn, dispose } = browserConnection({
    socket: roleReporting(browserSocket(), (r) => (role = r)),
    // Only a session seen before is probed: a refused first connection just means no session.
    checkSession: () => (welcomed && !leaving ? probeSession() : Promise.resolve('unknown' as const)),
  });

  conn.onState((s) => {
    if (leaving) return;
    if (s.kind === 'open' && !welcomed) {
      welcomed = true;
      if (role === 'citizen') startCitizen(conn.userId!);
      else set({ kind: 'staff', role: role ?? 'unknown' });
      return;
    }
    if (!welcomed && (s.kind === 'reconnecting' || s.kind === 'offline')) {
      // The first connection was refused: no session (or no service; the front page says so).
      dispose();
      set({ kind: 'none' });
      return;
    }
    if (welcomed && s.kind === 'offline' && s.cause === 'login_needed') set({ kind: 'ended' });
  });

  function startCitizen(userId: string): void {
    const phase = { kind: 'citizen' as const, crypto: 'loading' as const, keys: null, threads: null };
    set(phase);
    loadCrypto().then(
      (cs) => withCrypto(cs, userId),
      () => set({ ...phase, crypto: 'failed' }),
    );
  }

  function withCrypto(cs: CryptoSession, userId: string): void {
    let keys: KeyController;
    try {
      keys = createKeyController(conn, cs, userId, { onForget: browserForget(cs.crypto) });
    } catch {
      set({ kind: 'citizen', crypto: 'ready', keys: null, threads: null, keysFailed: true });
      return;
    }
    let threads: ThreadsController | null = null;
    const onKeys = (k: KeyState) => {
      if (k.kind !== 'ready' || threads !== null) return;
      void attachBrowserOutbox(conn, cs.crypto.sodium, k.keys.deviceSeed, userId).catch(() => undefined);
      const made = createThreadsController(conn, cs, k.keys);
      threads = made;
      const mydata = createMyDataController(conn, made, cs.crypto, { pack: packLazily });
      if (current.kind === 'citizen') set({ kind: 'citizen', crypto: 'ready', keys, threads, mydata });
    };
    keys.subscribe(onKeys);
    set({ kind: 'citizen', crypto: 'ready', keys, threads: null });
    onKeys(keys.state());
  }

  conn.start();

  return {
    conn,
    phase: () => current,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async logout() {
      leaving = true;
      dispose();
      try {
        const res = await logoutRequest(false);
        if (!res.ok) throw new Error(String(res.status));
      } catch {
        leaving = false;
        conn.start();
        return false;
      }
      set({ kind: 'logged-out' });
      return true;
    },
    endOnExit() {
      leaving = true;
      try {
        void logoutRequest(true).catch(() => undefined);
      } catch {
        /* leaving matters more than the answer */
      }
      dispose();
    },
  };
}
