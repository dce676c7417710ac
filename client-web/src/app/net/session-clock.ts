// session-clock.ts - when the session ends and when to warn the user (PROTOCOL.md §6.12, §7.6):
// the two ends come from `welcome`, from each session.extend reply and from session.expiring
// events; the warning is shown `leadMs` before the nearer end (at least two minutes, so the user
// has time to answer "Continue?"), from the server's event or from this clock's own timer,
// whichever is first, since the event is a convenience the client must not count on. Pure.

export interface SessionWarning {
  /** idle: session.extend moves the end; absolute: the user must log in again. */
  reason: 'idle' | 'absolute';
  /** When the session ends (ms). */
  ends: number;
}

export interface SessionInfo {
  sessionExpires: number | null;
  idleExpires: number | null;
  warning: SessionWarning | null;
}

/** Warn this long before the end by default: the server warns 300 s before, up to 30 s late. */
export const DEFAULT_WARN_LEAD_MS = 180_000;

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;
}

export class SessionClock {
  sessionExpires: number | null = null;
  idleExpires: number | null = null;
  /** A warning the server sent, kept until the end it names has moved. */
  private announced: SessionWarning | null = null;

  constructor(readonly leadMs: number = DEFAULT_WARN_LEAD_MS) {}

  /** welcome or a session.extend reply. False when the times are malformed. */
  setEnds(sessionExpires: unknown, idleExpires: unknown): boolean {
    if (!isTime(sessionExpires) || !isTime(idleExpires)) return false;
    this.sessionExpires = sessionExpires;
    this.idleExpires = Math.min(idleExpires, sessionExpires);
    if (this.announced !== null && this.nearestEnd()?.ends !== this.announced.ends) this.announced = null;
    return true;
  }

  /** A session.expiring event. False when malformed. */
  announce(ev: Record<string, unknown>): boolean {
    if ((ev.reason !== 'idle' && ev.reason !== 'absolute') || !isTime(ev.ends)) return false;
    this.setEnds(ev.session_expires, ev.idle_expires);
    this.announced = { reason: ev.reason, ends: ev.ends };
    return true;
  }

  /** The nearer end and its reason, or null before any times are known. */
  nearestEnd(): SessionWarning | null {
    if (this.sessionExpires === null || this.idleExpires === null) return null;
    return this.idleExpires < this.sessionExpires ? { reason: 'idle', ends: this.idleExpires }
      : { reason: 'absolute', ends: this.sessionExpires };
  }

  /** The warning to show at `now`, or null. */
  warning(now: number): SessionWarning | null {
    const end = this.nearestEnd();
    if (this.announced !== null && (end === null || end.ends === this.announced.ends)) return this.announced;
    if (end !== null && now >= end.ends - this.leadMs) return end;
    return null;
  }

  /** When warning() will next change by time alone (the start of the lead), or null. */
  nextCheck(now: number): number | null {
    const end = this.nearestEnd();
    if (end === null) return null;
    const at = end.ends - this.leadMs;
    return at > now ? at : null;
  }

  info(now: number): SessionInfo {
    return { sessionExpires: this.sessionExpires, idleExpires: this.idleExpires, warning: this.warning(now) };
  }
}
