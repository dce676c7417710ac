// preview.tsx - the preview page of the staff workspace: views/staff/workspace.tsx on the fake
// controllers of fakes.tsx, inside a frame like the staff shell's (skip link, the service's name
// and the language switch in <header>, the workspace in <main>), so that the views can be looked at and tested (preview.test.mjs)
// apart from the real server and keys. The query string picks the case: lang=fi|sv|en,
// role=supervisor|worker, chain=ok|broken, empty=1; the hash picks the page as in the app.
// window.preview.show(query) starts the workspace again on new fakes without loading the page
// again; arrive() brings a new question, writer(thread) has a colleague start writing,
// message(thread) has the client write.
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { StaffWorkspace } from '../../src/app/views/staff/workspace';
import { applyLang, isLang, LANG_NAMES, LANGS, t, type Lang } from '../../src/app/i18n';
import '../../src/app/app.css';
import '../../src/app/staff.css';
import { fakeCanned, fakeQueue, fakeRights, fakeSession, fakeSupervise, fakeThreads, type FakeOptions } from './fakes';

function optionsOf(q: URLSearchParams): FakeOptions {
  return {
    role: q.get('role') === 'worker' ? 'worker' : 'supervisor',
    chain: q.get('chain') === 'broken' ? 'broken' : 'ok',
    empty: q.get('empty') === '1',
  };
}

const first = new URLSearchParams(location.search);
const startLang: Lang = isLang(first.get('lang')) ? (first.get('lang') as Lang) : 'fi';
const root = document.getElementById('app')!;
let fakes: { queue: ReturnType<typeof fakeQueue>; threads: ReturnType<typeof fakeThreads> };
let shown = 0;

function Page({ opts }: { opts: FakeOptions }) {
  const [lang, setLang] = useState<Lang>(startLang);
  const [said, setSaid] = useState('');
  const [parts] = useState(() => {
    const queue = fakeQueue(opts);
    const threads = fakeThreads(queue);
    fakes = { queue, threads };
    return { session: fakeSession(opts), queue, threads, canned: fakeCanned(), supervise: opts.role === 'supervisor' ? fakeSupervise(opts) : null,
      rights: opts.role === 'supervisor' ? fakeRights((thread) => threads.restrict(thread)) : null };
  });
  applyLang(lang);
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        {t(lang, 'skip')}
      </a>
      <header>
        <span class="service-name">{t(lang, 'staff.service')}</span>
        <nav class="lang" aria-label={t(lang, 'lang.label')}>
          <ul>
            {LANGS.map((l) => (
              <li key={l}>
                <button type="button" lang={l} aria-pressed={l === lang} onClick={() => setLang(l)}>
                  {LANG_NAMES[l]}
                </button>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1} class="staff-main">
        {said && (
          <p class="notice" id="preview-said">
            {said}
          </p>
        )}
        <StaffWorkspace
          {...parts}
          lang={lang}
          onLock={() => setSaid(t(lang, 'staff.lock'))}
          onLogout={() => setSaid(t(lang, 'staff.logout'))}
          onChangePassword={() => setSaid(t(lang, 'staff.changePassword'))}
        />
      </main>
    </>
  );
}

/** Starts the workspace afresh on the case of `query` (a query string) at the current hash. */
function show(query: string): void {
  render(null, root);
  render(<Page key={++shown} opts={optionsOf(new URLSearchParams(query))} />, root);
}

(window as unknown as { preview: unknown }).preview = {
  show,
  arrive: () => fakes.queue.arrive(),
  writer: (thread: string) => fakes.threads.writer(thread),
  message: (thread: string) => fakes.threads.message(thread),
};
show(location.search);
