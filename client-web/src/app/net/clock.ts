// clock.ts - time for the connection manager, behind an interface so that tests run it on a
// fake clock: the current time and one-shot timers.

export interface Clock {
  /** Milliseconds since 1970 (the server's times are in the same unit). */
  now(): number;
  /** Calls fn once after ms milliseconds; returns a handle for clear(). */
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** The real clock of the browser (or Node). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** One timer slot: setting it again replaces the previous timer. */
export class TimerSlot {
  private handle: unknown = undefined;

  constructor(private readonly clock: Clock) {}

  set(fn: () => void, ms: number): void {
    this.clear();
    this.handle = this.clock.setTimer(() => {
      this.handle = undefined;
      fn();
    }, Math.max(0, ms));
  }

  clear(): void {
    if (this.handle !== undefined) this.clock.clearTimer(this.handle);
    this.handle = undefined;
  }

  get active(): boolean {
    return this.handle !== undefined;
  }
}
