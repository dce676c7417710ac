// auth-welcome.ts - what the staff page reads of the connection's welcome (PROTOCOL.md §7.1): the
// user, whether the session is a staff member's, and their units with names and roles. The
// connection manager checks the welcome itself; this wrapper of its socket only listens.
import type { SocketFactory } from '../net/socket';
import type { StaffUnit } from './contract';

export interface Welcome {
  user: string;
  /** A worker's or supervisor's session (not a citizen's). */
  staff: boolean;
  units: StaffUnit[];
}

/** The welcome's fields, read without trusting them (malformed units left out), or null. */
export function parseWelcome(text: string): Welcome | null {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (m === null || typeof m !== 'object' || m.type !== 'event' || m.event !== 'welcome' || typeof m.user !== 'string') return null;
  const units: StaffUnit[] = [];
  for (const u of Array.isArray(m.units) ? m.units : []) {
    const x = u as Record<string, unknown> | null;
    if (x === null || typeof x !== 'object' || typeof x.unit !== 'string' || !/^[0-9a-f]{32}$/.test(x.unit)) continue;
    if (x.role !== 'worker' && x.role !== 'supervisor') continue;
    units.push({ unit: x.unit, name: typeof x.name === 'string' ? x.name : '', role: x.role });
  }
  return { user: m.user, staff: m.role === 'worker' || m.role === 'supervisor', units };
}

/** A socket factory that reports each welcome before the connection manager sees it. */
export function welcomeReporting(inner: SocketFactory, onWelcome: (w: Welcome) => void): SocketFactory {
  return (h) =>
    inner({
      ...h,
      message: (text) => {
        if (text.includes('"welcome"')) {
          const w = parseWelcome(text);
          if (w !== null) onWelcome(w);
        }
        h.message(text);
      },
    });
}
