// auth-browser.ts - the staff auth controller in the browser: the login endpoints by fetch on
// the page's own origin (JSON, no cookie but the session's), the encryption module loaded with
// its integrity check (crypto-load.ts), and the page's connection on /ws, which asks over HTTP
// whether the session still holds when a reconnect is refused (as the citizen app does).
import { browserConnection } from '../net';
import { browserSocket } from '../net/socket';
import { loadCrypto } from '../crypto-load';
import { probeSession } from '../citizen/session';
import type { LoginPost } from '../../crypto/index';
import { createStaffAuth, type StaffAuth } from './auth';

/** POST of JSON to the service; status 0 when it could not be reached. */
export const fetchPost: LoginPost = async (path, body) => {
  try {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    let parsed: unknown = null;
    try {
      parsed = await res.json();
    } catch {
      /* not JSON: the status tells */
    }
    return { status: res.status, body: parsed };
  } catch {
    return { status: 0, body: null };
  }
};

export function browserStaffAuth(): StaffAuth {
  return createStaffAuth({
    post: fetchPost,
    loadCrypto,
    connect(wrap) {
      const made = browserConnection({
        socket: wrap(browserSocket()),
        checkSession: () => (made.conn.userId !== null ? probeSession() : Promise.resolve('unknown' as const)),
      });
      return made;
    },
  });
}
