// preview.tsx - the preview page of the citizen's logged-in views: the real app shell
// (src/app/app.tsx) on the fake session of fakes.tsx, so that the views can be looked at and
// tested (preview.test.mjs) before and apart from the real key and thread controllers. The
// query string picks the case: lang=fi|sv|en, conn=open|reconnecting|offline|connecting,
// warn=none|idle|absolute, keys=ready|first-login|new-device|..., empty=1, upload=ok|hold|fail,
// outbox=1 (a failed write), consent=none|given|handed|withdrawn|fail, export=ok|hold|fail and
// report=long ("Your data"); the hash picks the page as in the app. window.preview.show(query)
// starts the app again on a new fake session of another case without loading the page again
// (the language stays the page's).
import { render } from 'preact';
import { App } from '../../src/app/app';
import '../../src/app/app.css';
import { fakeSession, type FakeOptions } from './fakes';

function optionsOf(q: URLSearchParams): FakeOptions {
  const pick = <T extends string>(name: string, allowed: readonly T[], dflt: T): T => {
    const v = q.get(name);
    return allowed.includes(v as T) ? (v as T) : dflt;
  };
  return {
    conn: pick('conn', ['open', 'reconnecting', 'offline', 'connecting'] as const, 'open'),
    warn: pick('warn', ['none', 'idle', 'absolute'] as const, 'none'),
    keys: pick('keys', ['ready', 'loading', 'first-login', 'new-device', 'removed', 'failed'] as const, 'ready'),
    empty: q.get('empty') === '1',
    upload: pick('upload', ['ok', 'hold', 'fail'] as const, 'ok'),
    outbox: q.get('outbox') === '1',
    consent: pick('consent', ['none', 'given', 'handed', 'withdrawn', 'fail'] as const, 'none'),
    exportRun: pick('export', ['ok', 'hold', 'fail'] as const, 'ok'),
    reportLong: q.get('report') === 'long',
    restricted: q.get('restricted') === '1',
  };
}

const first = new URLSearchParams(location.search);
try {
  const lang = first.get('lang');
  localStorage.setItem('advice.lang', lang === 'sv' || lang === 'en' ? lang : 'fi');
} catch {
  /* the language switch still works */
}

const root = document.getElementById('app')!;
let fake: ReturnType<typeof fakeSession>;
let shown = 0;

/** Starts the app afresh on the case of `query` (a query string) at the current hash. */
function show(query: string): void {
  render(null, root);
  const opts = optionsOf(new URLSearchParams(query));
  const next = fakeSession(opts);
  fake = next;
  if (opts.outbox) next.conn.failWrite();
  render(<App key={++shown} openSession={() => next.session} />, root);
}

// The test drives these: a case shown afresh, a worker's answer arriving, a write failing, the
// session warning coming.
(window as unknown as { preview: unknown }).preview = {
  show,
  push: (t: string) => fake.threads.push(t),
  failWrite: () => fake.conn.failWrite(),
  warn: () => fake.conn.warn(),
};
show(location.search);
