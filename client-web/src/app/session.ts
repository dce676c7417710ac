// session.ts - what the front page needs from the server before the real connection manager
// lands: whether the service answers (/api/v1/health), and whether this browser has a session
// (the advice.v1 WebSocket opens only with the session cookie, and its welcome event names the
// role). Same origin as the page: a separate static origin forwards /api/ and /ws to adviced.

export type Health = 'checking' | 'up' | 'down' | 'unreachable';

export async function fetchHealth(): Promise<Health> {
  try {
    const res = await fetch('/api/v1/health', { cache: 'no-store' });
    const body: unknown = await res.json();
    return typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'ok' ? 'up' : 'down';
  } catch {
    return 'unreachable';
  }
}

/**
 * Opens the advice.v1 WebSocket and calls onWelcome(role) when the server greets a session.
 * Without a session the server refuses the upgrade and nothing is called. Returns the socket
 * (the caller closes it).
 */
export function watchSession(onWelcome: (role: string) => void): WebSocket {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${scheme}//${location.host}/ws`, 'advice.v1');
  ws.addEventListener('message', (ev) => {
    let msg: unknown;
    try {
      msg = JSON.parse(String(ev.data));
    } catch {
      return;
    }
    const m = msg as { type?: unknown; event?: unknown; role?: unknown };
    if (m.type === 'event' && m.event === 'welcome' && typeof m.role === 'string') onWelcome(m.role);
  });
  return ws;
}
