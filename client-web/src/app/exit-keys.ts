// exit-keys.ts - the keyboard shortcut of "Exit this page": the Shift key pressed 3 times, each
// press within SHIFT_WINDOW_MS of the one before (as the GOV.UK pattern does). Pure: the view
// feeds it key presses and acts on what it returns.

export const SHIFT_PRESSES = 3;
export const SHIFT_WINDOW_MS = 5000;

export interface ShiftState {
  count: number; // Shift presses in the current run
  last: number; // time of the last one (ms)
}

export const SHIFT_START: ShiftState = { count: 0, last: 0 };

/**
 * The state after a key press (`key` as KeyboardEvent.key, `repeat` true for a held key) at
 * `now`: a Shift press counts when it comes within SHIFT_WINDOW_MS of the last one (else it
 * starts a new run), any other key ends the run, a held Shift counts once. `exit` is true on
 * the SHIFT_PRESSES-th press, which starts the count again.
 */
export function shiftPress(state: ShiftState, key: string, repeat: boolean, now: number): ShiftState & { exit: boolean } {
  if (key !== 'Shift') return { ...SHIFT_START, exit: false };
  if (repeat) return { ...state, exit: false };
  const count = state.count > 0 && now - state.last <= SHIFT_WINDOW_MS ? state.count + 1 : 1;
  if (count >= SHIFT_PRESSES) return { ...SHIFT_START, exit: true };
  return { count, last: now, exit: false };
}
