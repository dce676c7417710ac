// queue.ts - the staff member's queues, live (the QueueController of contract.ts): every thread
// of the caller's units kept in sync by the connection manager's thread.list (full, then by
// change after each reconnect, PROTOCOL.md §6.3, §7.4), deadlines from the summaries and the
// deadline.changed events (§11.5), queue names and the working-day calendar from queue.settings
// (§11.6: Monday to Friday, not the listed closed days), counts, the filter and sort the views
// ask for (pure), duty (duty.get, duty.set) and the new arrivals since the worker last looked.
import type { Connection, ListHandle, Summary } from '../net';
import { systemClock, type Clock } from '../net/clock';
import type {
  Deadline, DutyState, PersonName, QueueController, QueueCounts, QueueFilter, QueueItem, QueueSnapshot, StaffSession, ThreadState,
} from './contract';
import { StaffError, codeOf } from './wire';

/** How often deadlines' working days are counted again without any change (ms). */
const RECOUNT_MS = 60_000;
const DAY_MS = 86_400_000;
const TIME_ZONE = 'Europe/Helsinki';

export interface QueueOptions {
  clock?: Clock;
}

// ---- working days ---------------------------------------------------------------------------

const dateFormat = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The date (YYYY-MM-DD) in Helsinki of a time (ms). */
export function helsinkiDate(ms: number): string {
  const parts = dateFormat.formatToParts(new Date(ms));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

function dayNumber(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
}

function isWorkingDay(day: number, closed: ReadonlySet<number>): boolean {
  const weekday = new Date(day * DAY_MS).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !closed.has(day);
}

/**
 * Working days from now until `due` (Helsinki dates): the working days after today up to and
 * including the due date (0 when due today or on the next non-working days); overdue, minus
 * the working days after the due date up to and including today. `closedDays` are dates
 * (YYYY-MM-DD) that are not working days besides weekends.
 */
export function workingDaysLeft(due: number, now: number, closedDays: Iterable<string>): number {
  const closed = new Set<number>();
  for (const d of closedDays) if (/^\d{4}-\d{2}-\d{2}$/.test(d)) closed.add(dayNumber(d));
  const today = dayNumber(helsinkiDate(now)), dueDay = dayNumber(helsinkiDate(due));
  const count = (from: number, to: number): number => {
    let n = 0;
    for (let d = from + 1; d <= to && n < 3660; d++) if (isWorkingDay(d, closed)) n++;
    return n;
  };
  if (due >= now) return count(today, dueDay);
  const over = count(dueDay, today);
  return over === 0 ? 0 : -over;
}

// ---- the pure parts ---------------------------------------------------------------------------

interface RawDeadline {
  kind: Deadline['kind'];
  state: Deadline['state'];
  level: Deadline['level'];
  due: number;
  warn_at?: number;
}

const KINDS = new Set(['first_answer', 'follow_up']);
const DSTATES = new Set(['running', 'paused', 'stopped']);
const LEVELS = new Set(['ok', 'at_risk', 'missed']);

function rawDeadline(v: unknown): RawDeadline | null {
  if (typeof v !== 'object' || v === null) return null;
  const d = v as Record<string, unknown>;
  if (!KINDS.has(d.kind as string) || !DSTATES.has(d.state as string) || !LEVELS.has(d.level as string) || typeof d.due !== 'number')
    return null;
  return { kind: d.kind as Deadline['kind'], state: d.state as Deadline['state'], level: d.level as Deadline['level'], due: d.due,
    ...(typeof d.warn_at === 'number' ? { warn_at: d.warn_at } : {}) };
}

function personName(v: unknown): PersonName | null {
  if (typeof v !== 'object' || v === null || typeof (v as { name?: unknown }).name !== 'string') return null;
  const t = (v as { title?: unknown }).title;
  return { name: (v as { name: string }).name, title: typeof t === 'string' ? t : null };
}

/** A deadline at risk or missed while its clock has not stopped. */
export function isEscalated(d: Deadline | null): boolean {
  return d !== null && d.state !== 'stopped' && d.level !== 'ok';
}

/** The items of a view (QueueFilter.view) before unit, category and sort. */
function inView(i: QueueItem, view: QueueFilter['view']): boolean {
  switch (view) {
    case 'new':
      return i.state === 'new';
    case 'mine':
      return i.mine && i.state !== 'closed';
    case 'waiting':
      return i.mine && i.state === 'waiting';
    case 'escalated':
      return i.escalated && i.state !== 'closed';
    case 'all':
      return i.state !== 'closed';
    case 'closed':
      return i.state === 'closed';
    default:
      return false;
  }
}

/** Pure: the items that pass the filter, sorted (deadline: soonest due first, none last). */
export function selectItems(items: QueueItem[], f: QueueFilter): QueueItem[] {
  const out = items.filter((i) => inView(i, f.view) && (f.unit === undefined || i.unit === f.unit) &&
    (f.category === undefined || i.category === f.category));
  const byId = (a: QueueItem, b: QueueItem): number => (a.thread < b.thread ? -1 : a.thread > b.thread ? 1 : 0);
  const cmp: Record<QueueFilter['sort'], (a: QueueItem, b: QueueItem) => number> = {
    deadline: (a, b) => (a.deadline?.due ?? Infinity) - (b.deadline?.due ?? Infinity) || a.created - b.created || byId(a, b),
    oldest: (a, b) => a.created - b.created || byId(a, b),
    updated: (a, b) => b.updated - a.updated || byId(a, b),
  };
  return out.sort(cmp[f.sort] ?? cmp.updated);
}

/** Pure: the counts of the navigation. */
export function countItems(items: QueueItem[]): QueueCounts {
  const n = (v: QueueFilter['view']): number => items.filter((i) => inView(i, v)).length;
  return { new: n('new'), mine: n('mine'), waiting: n('waiting'), escalated: n('escalated'),
    unread: items.reduce((s, i) => s + (i.state === 'closed' ? 0 : i.unread), 0) };
}

// ---- the controller -----------------------------------------------------------------------

interface Settings {
  names: Map<string, string>;
  categories: QueueSnapshot['categories'];
  closed: string[];
}

export function createQueueController(conn: Connection, session: StaffSession, opts: QueueOptions = {}): QueueController {
  const clock = opts.clock ?? systemClock;
  const units = new Set(session.units.map((u) => u.unit));
  const listeners = new Set<(s: QueueSnapshot) => void>();
  const list: ListHandle = conn.watchList({});
  /** deadline.changed events newer than the summary held (by the summary's change at the time). */
  const overlay = new Map<string, { change: number; d: RawDeadline }>();
  let settings: Settings | null = null;
  let duty: DutyState | null = null;
  /** The threads seen when the page opened or the worker last acknowledged; null before the list came. */
  let baseline: Set<string> | null = null;
  let snap: QueueSnapshot = build();
  const timer = { handle: undefined as unknown };

  function deadlineOf(s: Summary): Deadline | null {
    const o = overlay.get(s.thread);
    if (o !== undefined && o.change < s.change) overlay.delete(s.thread);
    const raw = overlay.get(s.thread)?.d ?? rawDeadline((s as { deadline?: unknown }).deadline);
    if (raw === null) return null;
    const warnAt = raw.warn_at ?? rawDeadline((s as { deadline?: unknown }).deadline)?.warn_at ?? raw.due;
    return { kind: raw.kind, state: raw.state, level: raw.level, due: raw.due, warnAt,
      workingDaysLeft: workingDaysLeft(raw.due, clock.now(), settings?.closed ?? []) };
  }

  function item(s: Summary): QueueItem {
    const deadline = deadlineOf(s);
    return {
      thread: s.thread, unit: s.unit, category: s.category,
      categoryName: settings?.names.get(`${s.unit}/${s.category}`) ?? s.category,
      state: s.state as ThreadState, assignee: s.assignee ?? null, assigneeName: personName(s.assignee_name),
      mine: s.assignee === session.userId, created: s.created, updated: s.updated, unread: s.unread, deadline,
      escalated: isEscalated(deadline),
    };
  }

  function build(): QueueSnapshot {
    const items = list.summaries().filter((s) => units.size === 0 || units.has(s.unit)).map(item);
    if (baseline === null && list.ready) baseline = new Set(items.map((i) => i.thread));
    const arrived = baseline === null ? 0 : items.filter((i) => i.state === 'new' && !(baseline as Set<string>).has(i.thread)).length;
    return { loading: !list.ready || settings === null, items, counts: countItems(items), duty: duty === null ? null : { ...duty },
      categories: settings?.categories.map((x) => ({ ...x })) ?? [], arrived };
  }

  function emit(): void {
    snap = build();
    for (const fn of [...listeners]) {
      try {
        fn(snap);
      } catch {
        // a view's failure does not stop the queue
      }
    }
  }

  async function loadSettings(): Promise<void> {
    try {
      const r = await conn.request('queue.settings', {});
      const names = new Map<string, string>();
      const categories: QueueSnapshot['categories'] = [];
      for (const q of r.queues) {
        names.set(`${q.unit}/${q.category}`, q.name);
        categories.push({ category: q.category, name: q.name, unit: q.unit });
      }
      settings = { names, categories, closed: r.closed_days.map((d) => d.date) };
      emit();
    } catch {
      // read again after the next reconnect
    }
  }

  function applyDuty(r: { duty: DutyState['mode']; until: number | null; units: { unit: string; on_duty: boolean }[] }): void {
    duty = { mode: r.duty, until: r.until, onDuty: r.units.some((u) => u.on_duty) };
    emit();
  }

  async function loadDuty(): Promise<void> {
    try {
      applyDuty(await conn.request('duty.get', {}));
    } catch {
      // read again after the next reconnect
    }
  }

  list.subscribe(() => emit());
  conn.onEvent('deadline.changed', (ev) => {
    const d = rawDeadline(ev);
    const held = list.summaries().find((s) => s.thread === ev.thread);
    if (d === null || typeof ev.thread !== 'string' || held === undefined) return;
    overlay.set(ev.thread, { change: held.change, d });
    emit();
  });
  let wasOpen = false;
  conn.onState((s) => {
    const open = s.kind === 'open';
    if (open && !wasOpen) {
      void loadSettings();
      void loadDuty();
    }
    wasOpen = open;
  });
  if (conn.state.kind === 'open') {
    wasOpen = true;
    void loadSettings();
    void loadDuty();
  }
  const tick = (): void => {
    timer.handle = clock.setTimer(tick, RECOUNT_MS);
    if (listeners.size > 0) emit();
  };
  timer.handle = clock.setTimer(tick, RECOUNT_MS);

  return {
    snapshot: () => snap,
    subscribe: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    select: (f) => selectItems(snap.items, f),
    setDuty: async (mode, until) => {
      try {
        applyDuty(await conn.request('duty.set', { duty: mode, ...(until !== undefined && mode !== 'roster' ? { until } : {}) }));
      } catch (e) {
        throw new StaffError(codeOf(e), 'the duty could not be set');
      }
    },
    acknowledge: () => {
      baseline = new Set(snap.items.map((i) => i.thread));
      emit();
    },
  };
}
