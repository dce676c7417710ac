// preview.tsx - the preview page of the citizen's logged-in views: the real app shell
// (src/app/app.tsx) on the fake session of fakes.tsx, so that the views can be looked at and
// tested (preview.test.mjs) before and apart from the real key and thread controllers. The
// query string picks the case: lang=fi|sv|en, conn=open|reconnecting|offline|connecting,
// warn=none|idle|absolute, keys=ready|first-login|new-device|..., empty=1, upload=ok|hold|fail,
// outbox=1 (a failed write); the hash picks the page as in the app.
import { render } from 'preact';
import { App } from '../../src/app/app';
import '../../src/app/app.css';
import { fakeSession, type FakeOptions } from './fakes';

const q = new URLSearchParams(location.search);
const pick = <T extends string>(name: string, allowed: readonly T[], dflt: T): T => {
  const v = q.get(name);
  return allowed.includes(v as T) ? (v as T) : dflt;
};
const opts: FakeOptions = {
  conn: pick('conn', ['open', 'reconnecting', 'offline', 'connecting'] as const, 'open'),
  warn: pick('warn', ['none', 'idle', 'absolute'] as const, 'none'),
  keys: pick('keys', ['ready', 'loading', 'first-login', 'new-device', 'removed', 'failed'] as const, 'ready'),
  empty: q.get('empty') === '1',
  upload: pick('upload', ['ok', 'hold', 'fail'] as const, 'ok'),
  outbox: q.get('outbox') === '1',
};
try {
  localStorage.setItem('advice.lang', pick('lang', ['fi', 'sv', 'en'] as const, 'fi'));
} catch {
  /* the language switch still works */
}
const fake = fakeSession(opts);
// The test drives these: a worker's answer arriving, a write failing.
(window as unknown as { preview: unknown }).preview = { push: (t: string) => fake.threads.push(t), failWrite: () => fake.conn.failWrite() };
if (opts.outbox) setTimeout(() => fake.conn.failWrite(), 300);
render(<App openSession={() => fake.session} />, document.getElementById('app')!);
