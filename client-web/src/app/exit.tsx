// exit.tsx - "Exit this page" (the GOV.UK pattern), on every citizen page: a button at the top,
// and the Shift key pressed 3 times (exit-keys.ts) anywhere on the page, each press announced to
// screen readers. Leaving clears the view first, then replaces this page in the history with a
// neutral site, so that Back does not bring the page back; onLeave (the logged-in shell's: it
// ends the session without waiting) runs just before.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t, type Key, type Lang } from './i18n';
import { shiftPress, SHIFT_START, SHIFT_WINDOW_MS } from './exit-keys';

/** Leaves at once for `url`: the page's content and title are cleared first. */
export function leave(url: string): void {
  document.body.replaceChildren();
  document.title = '';
  location.replace(url);
}

const ANNOUNCE: Record<number, Key> = { 1: 'exit.more2', 2: 'exit.more1' };

export function ExitThisPage({ lang, url, onLeave }: { lang: Lang; url: string; onLeave?: () => void }) {
  const [announce, setAnnounce] = useState<Key | null>(null);
  const state = useRef(SHIFT_START);
  const target = useRef(url);
  target.current = url;
  const before = useRef(onLeave);
  before.current = onLeave;
  const exit = () => {
    try {
      before.current?.();
    } finally {
      leave(target.current);
    }
  };

  useEffect(() => {
    let quiet: ReturnType<typeof setTimeout> | undefined;
    const onKey = (e: KeyboardEvent) => {
      const next = shiftPress(state.current, e.key, e.repeat, Date.now());
      state.current = next;
      clearTimeout(quiet);
      if (next.exit) {
        setAnnounce('exit.leaving');
        exit();
        return;
      }
      setAnnounce(next.count > 0 ? ANNOUNCE[next.count] : null);
      if (next.count > 0) quiet = setTimeout(() => setAnnounce(null), SHIFT_WINDOW_MS);
    };
    document.addEventListener('keydown', onKey);
    return () => {
      clearTimeout(quiet);
      document.removeEventListener('keydown', onKey);
    };
  }, []);

  return (
    <div class="exit">
      <button type="button" class="exit-button" aria-describedby="exit-hint" onClick={exit}>
        {t(lang, 'exit.button')}
      </button>
      <p id="exit-hint" class="visually-hidden">
        {t(lang, 'exit.hint')}
      </p>
      <p id="exit-announce" class="visually-hidden" role="status">
        {announce === null ? '' : t(lang, announce)}
      </p>
    </div>
  );
}
