// workspace.tsx - the staff workspace, rendered by the staff shell (app.tsx) inside its <main>
// once the worker is logged in (the shell keeps the skip link, the service's name and the
// language switch): a bar with who is logged in, on/off duty, change password, lock and log
// out; the navigation (queue, mine; a supervisor's overview, roster, access log and canned
// answers); and the page the hash names inside /staff (#/queue, #/mine, #/thread/<id>,
// #/overview, #/roster, #/audit, #/canned, #/rights; each change replaces the history entry, sets the
// title and moves the focus to the new page's h1); the tab title's count of new questions
// ("(3) New questions") and the optional beep when one arrives.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CannedController, QueueController, RightsController, StaffSession, StaffThreadsController, SuperviseController } from '../../staff/contract';
import { t, type Key, type Lang } from '../../i18n';
import { staffHashOf, staffRouteOf, staffThreadOf, type StaffPage, type StaffRoute } from './rules';
import { useQueueSnapshot } from './use';
import { StaffLink, type StaffNavigate } from './parts';
import { QueuePage } from './queue';
import { StaffThreadPage } from './thread';
import { OverviewPage } from './overview';
import { RosterPage } from './roster';
import { AuditPage } from './audit';
import { CannedPage } from './canned';
import { RightsPage } from './rights';

const PAGE_TITLES: Record<StaffPage, Key> = {
  queue: 'staff.nav.queue',
  mine: 'staff.nav.mine',
  overview: 'staff.nav.overview',
  roster: 'staff.nav.roster',
  audit: 'staff.nav.audit',
  canned: 'staff.nav.canned',
  rights: 'staff.rights.nav',
};

function useStaffRoute(supervisor: boolean): [StaffRoute, StaffNavigate] {
  const [route, setRoute] = useState<StaffRoute>(() => staffRouteOf(location.hash, supervisor));
  useEffect(() => {
    const onHash = () => setRoute(staffRouteOf(location.hash, supervisor));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, [supervisor]);
  const nav = (to: StaffRoute) => {
    history.replaceState(null, '', staffHashOf(to));
    setRoute(to);
  };
  return [route, nav];
}

/** A short beep (WebAudio, no file): the context is made when the worker turns the sound on. */
function useBeep(): { enable(on: boolean): void; beep(): void } {
  const ctx = useRef<AudioContext | null>(null);
  return {
    enable(on) {
      if (on && ctx.current === null && typeof AudioContext !== 'undefined') ctx.current = new AudioContext();
      if (on) void ctx.current?.resume();
    },
    beep() {
      const c = ctx.current;
      if (c === null) return;
      const osc = c.createOscillator();
      const gain = c.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, c.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, c.currentTime + 0.25);
      osc.connect(gain).connect(c.destination);
      osc.start();
      osc.stop(c.currentTime + 0.25);
    },
  };
}

function Duty({ lang, queue }: { lang: Lang; queue: QueueController }) {
  const snap = useQueueSnapshot(queue);
  const [failed, setFailed] = useState(false);
  const [busy, setBusy] = useState(false);
  const duty = snap.duty;
  if (duty === null) return null;
  const set = (mode: 'on' | 'off' | 'roster') => {
    setBusy(true);
    setFailed(false);
    queue.setDuty(mode).then(
      () => setBusy(false),
      () => {
        setBusy(false);
        setFailed(true);
      },
    );
  };
  return (
    <div class={duty.onDuty ? 'duty duty-on' : 'duty duty-off'}>
      <p role="status" class="duty-state">
        <strong>{t(lang, duty.onDuty ? 'staff.duty.on' : 'staff.duty.off')}</strong>
        {duty.mode === 'roster' && <span> {t(lang, 'staff.duty.byRoster')}</span>}
      </p>
      <button type="button" class="secondary" disabled={busy} onClick={() => set(duty.onDuty ? 'off' : 'on')}>
        {t(lang, duty.onDuty ? 'staff.duty.goOff' : 'staff.duty.goOn')}
      </button>
      {duty.mode !== 'roster' && (
        <button type="button" class="link" disabled={busy} onClick={() => set('roster')}>
          {t(lang, 'staff.duty.followRoster')}
        </button>
      )}
      {failed && (
        <p class="field-error" role="alert">
          {t(lang, 'staff.duty.failed')}
        </p>
      )}
    </div>
  );
}

/** Who is logged in, the duty, and the session's buttons (a <section>: the shell's <header>
 *  holds the service's name). */
function Bar(props: { lang: Lang; session: StaffSession; queue: QueueController; onLock(): void; onLogout(): void; onChangePassword(): void }) {
  const { lang, session, queue } = props;
  const units = session.units.map((u) => u.name).join(', ');
  return (
    <section class="staff-bar" aria-label={t(lang, 'staff.barLabel')}>
      <p class="staff-who">
        {t(lang, 'staff.loggedInAs', { name: session.username })}
        {units && <span class="small"> · {units}</span>}
        {session.supervisor && <span class="small"> · {t(lang, 'staff.role.supervisor')}</span>}
      </p>
      <Duty lang={lang} queue={queue} />
      <div class="staff-tools">
        <button type="button" class="link" onClick={props.onChangePassword}>
          {t(lang, 'staff.changePassword')}
        </button>
        <button type="button" class="secondary" onClick={props.onLock}>
          {t(lang, 'staff.lock')}
        </button>
        <button type="button" class="secondary" onClick={props.onLogout}>
          {t(lang, 'staff.logout')}
        </button>
      </div>
    </section>
  );
}

function StaffNav({ lang, route, nav, supervisor, rights, counts }: { lang: Lang; route: StaffRoute; nav: StaffNavigate; supervisor: boolean; rights: boolean;
  counts: { new: number; mine: number } }) {
  const active: StaffPage = staffThreadOf(route) !== null ? 'queue' : (route as StaffPage);
  const pages: StaffPage[] = supervisor ? ['queue', 'mine', 'overview', 'roster', 'audit', 'canned', ...(rights ? ['rights' as const] : [])] : ['queue', 'mine'];
  return (
    <nav class="staff-nav" aria-label={t(lang, 'staff.nav.label')}>
      <ul>
        {pages.map((p) => (
          <li key={p}>
            <StaffLink to={p} nav={nav} current={active === p}>
              {t(lang, PAGE_TITLES[p])}
              {p === 'queue' && counts.new > 0 && <span class="nav-count"> ({t(lang, 'staff.nav.newCount', { n: String(counts.new) })})</span>}
              {p === 'mine' && counts.mine > 0 && <span class="nav-count"> ({counts.mine})</span>}
            </StaffLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function StaffWorkspace(props: {
  session: StaffSession;
  queue: QueueController;
  threads: StaffThreadsController;
  canned: CannedController;
  supervise: SuperviseController | null;
  /** Supervisors: the citizens' rights requests (absent: no such page). */
  rights?: RightsController | null;
  lang: Lang;
  onLock(): void;
  onLogout(): void;
  onChangePassword(): void;
}) {
  const { session, queue, threads, canned, supervise, lang } = props;
  const rights = props.rights ?? null;
  const supervisor = session.supervisor && supervise !== null;
  const [route, nav] = useStaffRoute(supervisor);
  const snap = useQueueSnapshot(queue);
  const [sound, setSound] = useState(false);
  const beep = useBeep();
  const arrived = useRef(snap.arrived);
  const first = useRef(true);
  const thread = staffThreadOf(route);
  const onQueue = route === 'queue' || route === 'mine';

  // A new question: a beep when asked for; seen at once when the queue is in view.
  useEffect(() => {
    if (snap.arrived > arrived.current && sound) beep.beep();
    arrived.current = snap.arrived;
    if (snap.arrived > 0 && onQueue && document.visibilityState === 'visible') queue.acknowledge();
  }, [snap.arrived, onQueue]);
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === 'visible' && onQueue && queue.snapshot().arrived > 0) queue.acknowledge();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [onQueue, queue]);

  useEffect(() => {
    const own = thread !== null ? t(lang, 'sthread.title') : t(lang, PAGE_TITLES[route as StaffPage]);
    const base = `${own} – ${t(lang, 'staff.service')}`;
    document.title = snap.arrived > 0 ? `(${snap.arrived}) ${t(lang, 'staff.titleNew')} – ${base}` : base;
  }, [route, lang, snap.arrived]);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [route]);

  let page;
  if (thread !== null)
    page = <StaffThreadPage key={thread} lang={lang} nav={nav} session={session} threads={threads} canned={canned} supervise={supervise} rights={rights} thread={thread} />;
  else if (route === 'overview' && supervise) page = <OverviewPage lang={lang} supervise={supervise} />;
  else if (route === 'roster' && supervise) page = <RosterPage lang={lang} session={session} supervise={supervise} />;
  else if (route === 'audit' && supervise) page = <AuditPage lang={lang} session={session} supervise={supervise} />;
  else if (route === 'canned' && supervise) page = <CannedPage lang={lang} session={session} canned={canned} />;
  else if (route === 'rights' && supervise && rights) page = <RightsPage lang={lang} rights={rights} nav={nav} />;
  else
    page = (
      <QueuePage
        key={route}
        lang={lang}
        nav={nav}
        session={session}
        queue={queue}
        initialView={route === 'mine' ? 'mine' : 'new'}
        sound={sound}
        onSound={(on) => {
          beep.enable(on);
          setSound(on);
        }}
      />
    );
  return (
    <div class="staff">
      <Bar lang={lang} session={session} queue={queue} onLock={props.onLock} onLogout={props.onLogout} onChangePassword={props.onChangePassword} />
      <StaffNav lang={lang} route={route} nav={nav} supervisor={supervisor} rights={rights !== null} counts={snap.counts} />
      <div class="staff-page" data-route={route}>
        {page}
      </div>
    </div>
  );
}
