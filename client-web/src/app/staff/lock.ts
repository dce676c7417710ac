// lock.ts - when the staff page locks itself: after a time without input (15 minutes by
// default), counted on the page's clock; every key press, click or touch moves it on. The
// page's listeners call activity(); the auth controller wipes the keys on onIdle. Also the
// lock screen's own count of wrong passwords, with a short wait after a few (the bundle opens
// in the browser, so no server counts them). Pure apart from the clock.
import type { Clock } from '../net/clock';
import { unlockDelayMs } from './auth-rules';

export const DEFAULT_IDLE_MS = 15 * 60_000;

export class IdleLock {
  private timer: unknown = null;
  private last = 0;
  private armed = false;

  constructor(private readonly clock: Clock, private readonly idleMs: number, private readonly onIdle: () => void) {}

  /** Starts counting (the keys were opened). */
  arm(): void {
    this.armed = true;
    this.last = this.clock.now();
    this.schedule(this.idleMs);
  }

  /** Stops counting (locked, logged out). */
  disarm(): void {
    this.armed = false;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  /** Input on the page: the idle time starts again (the timer is moved lazily). */
  activity(): void {
    if (this.armed) this.last = this.clock.now();
  }

  private schedule(ms: number): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = this.clock.setTimer(() => this.check(), ms);
  }

  private check(): void {
    this.timer = null;
    if (!this.armed) return;
    const left = this.last + this.idleMs - this.clock.now();
    if (left > 0) return this.schedule(left);
    this.disarm();
    this.onIdle();
  }
}

/** Wrong passwords at the lock screen and the wait they impose. */
export class UnlockThrottle {
  private failures = 0;
  private until = 0;

  constructor(private readonly clock: Clock) {}

  /** Seconds still to wait before the next try, or 0. */
  wait(): number {
    const ms = this.until - this.clock.now();
    return ms > 0 ? Math.ceil(ms / 1000) : 0;
  }

  failed(): void {
    this.failures++;
    this.until = this.clock.now() + unlockDelayMs(this.failures);
  }

  reset(): void {
    this.failures = 0;
    this.until = 0;
  }
}
