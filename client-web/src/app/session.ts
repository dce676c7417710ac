// session.ts - what the front page needs from the server: whether the service answers
// (/api/v1/health). Whether this browser has a session is told by the app's one connection
// (citizen/session.ts). Same origin as the page: a separate static origin forwards /api/ and
// /ws to adviced.

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
