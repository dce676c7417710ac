// rules.ts - the staff workspace's rules, apart from the views so that they can be tested
// without a browser: its pages and their addresses (the hash inside /staff), the deadline and
// waiting-time wording (catalogue keys with their numbers, never colour alone), the error code
// of a refused promise, the canned answers ordered by language, and the checks of the
// supervisor's forms (reassign, roster, closed days). Pure.
import type { Lang } from '../../i18n-langs';
import type { CannedAnswer, Deadline, QueueView, Shift } from '../../staff/contract';

// ---- pages ----------------------------------------------------------------------------------

export const STAFF_PAGES = ['queue', 'mine', 'overview', 'roster', 'audit', 'canned', 'rights'] as const;
export type StaffPage = (typeof STAFF_PAGES)[number];
/** A page of the workspace: a fixed one, or one thread by its id (32 hex digits). */
export type StaffRoute = StaffPage | `thread/${string}`;

/** The pages only a supervisor has. */
export const SUPERVISOR_PAGES: readonly StaffPage[] = ['overview', 'roster', 'audit', 'canned', 'rights'];

const THREAD_PATH = /^\/thread\/([0-9a-f]{32})$/;

/** The page a hash names ("#/queue", "#/thread/<id>"); anything unknown, and a supervisor's
 *  page for a worker, is the queue. */
export function staffRouteOf(hash: string, supervisor: boolean): StaffRoute {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '');
  const thread = THREAD_PATH.exec(path);
  if (thread !== null) return `thread/${thread[1]}`;
  const page = STAFF_PAGES.find((p) => '/' + p === path);
  if (page === undefined) return 'queue';
  if (!supervisor && SUPERVISOR_PAGES.includes(page)) return 'queue';
  return page;
}

export function staffHashOf(route: StaffRoute): string {
  return '#/' + route;
}

export function staffThreadOf(route: StaffRoute): string | null {
  return route.startsWith('thread/') ? route.slice('thread/'.length) : null;
}

// ---- deadlines and waiting ------------------------------------------------------------------

export type DeadlineKey =
  | 'queue.deadline.left'
  | 'queue.deadline.left1'
  | 'queue.deadline.today'
  | 'queue.deadline.over1'
  | 'queue.deadline.over'
  | 'queue.deadline.paused'
  | 'queue.deadline.stopped';

/** The deadline in words: the catalogue key and its {n} ("2 working days left", "due today",
 *  "overdue by 1 working day"; paused while the client is asked for more). */
export function deadlineText(d: Deadline): { key: DeadlineKey; n: number } {
  if (d.state === 'stopped') return { key: 'queue.deadline.stopped', n: 0 };
  if (d.state === 'paused') return { key: 'queue.deadline.paused', n: 0 };
  const n = d.workingDaysLeft;
  if (n > 1) return { key: 'queue.deadline.left', n };
  if (n === 1) return { key: 'queue.deadline.left1', n };
  if (n === 0) return { key: 'queue.deadline.today', n: 0 };
  if (n === -1) return { key: 'queue.deadline.over1', n: 1 };
  return { key: 'queue.deadline.over', n: -n };
}

/** The level's word shown beside the days (colour is never the only sign), or null when the
 *  days say it all. */
export function deadlineBadge(d: Deadline): 'queue.level.atRisk' | 'queue.level.missed' | null {
  if (d.state !== 'running') return null;
  // An overdue deadline says so in its days ("overdue by 2 working days"): no second word.
  if (d.level === 'missed') return d.workingDaysLeft < 0 ? null : 'queue.level.missed';
  return d.level === 'at_risk' ? 'queue.level.atRisk' : null;
}

export type WaitKey = 'queue.wait.minutes' | 'queue.wait.hours' | 'queue.wait.hours0' | 'queue.wait.day1' | 'queue.wait.days';

/** How long since `from` at `now`, in words: minutes, hours and minutes, or days. */
export function waitText(from: number, now: number): { key: WaitKey; n: number; m: number } {
  const min = Math.max(0, Math.floor((now - from) / 60_000));
  if (min < 60) return { key: 'queue.wait.minutes', n: min, m: 0 };
  const hours = Math.floor(min / 60);
  if (hours < 24) return { key: min % 60 === 0 ? 'queue.wait.hours0' : 'queue.wait.hours', n: hours, m: min % 60 };
  const days = Math.floor(hours / 24);
  return { key: days === 1 ? 'queue.wait.day1' : 'queue.wait.days', n: days, m: 0 };
}

export const QUEUE_VIEWS: readonly QueueView[] = ['new', 'mine', 'waiting', 'escalated', 'all', 'closed'];

// ---- errors -----------------------------------------------------------------------------------

/** The code a controller rejected with: an Error whose message is the code, an object with a
 *  `code`, or a bare string; 'failed' for anything else. */
export function errorCode(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e !== null && typeof e === 'object') {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /^[a-z_]+$/.test(message)) return message;
  }
  return 'failed';
}

// ---- canned answers -------------------------------------------------------------------------

/** The answers in `first`'s language first, then the others by language, each by title. */
export function orderCanned(list: CannedAnswer[], first: Lang): CannedAnswer[] {
  const rank = (l: Lang) => (l === first ? 0 : l === 'fi' ? 1 : l === 'sv' ? 2 : 3);
  return [...list].sort((a, b) => rank(a.lang) - rank(b.lang) || a.title.localeCompare(b.title) || a.answer.localeCompare(b.answer));
}

/** `text` with `insert` put in place of the selection [start, end); the new cursor position. */
export function insertAt(text: string, start: number, end: number, insert: string): { text: string; cursor: number } {
  const s = Math.max(0, Math.min(start, text.length));
  const e = Math.max(s, Math.min(end, text.length));
  return { text: text.slice(0, s) + insert + text.slice(e), cursor: s + insert.length };
}

// ---- the supervisor's forms ------------------------------------------------------------------

export type ReassignProblem = 'target' | 'reason';

/** What is missing from a reassignment: a worker or queue chosen, and a reason. */
export function reassignProblems(input: { toUser?: string; toCategory?: string; reason: string }): ReassignProblem[] {
  const out: ReassignProblem[] = [];
  if (!input.toUser && !input.toCategory) out.push('target');
  if (input.reason.trim() === '') out.push('reason');
  return out;
}

export type ShiftProblem = 'user' | 'days' | 'time';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The problems of one shift row: a worker, at least one day, a start before the end. */
export function shiftProblems(s: Shift): ShiftProblem[] {
  const out: ShiftProblem[] = [];
  if (!s.user) out.push('user');
  if (s.days.length === 0) out.push('days');
  if (!HHMM.test(s.start) || !HHMM.test(s.end) || s.start >= s.end) out.push('time');
  return out;
}

export type ClosedDayProblem = 'date' | 'past' | 'note';

/** The problems of a closed day to add: a date (YYYY-MM-DD) not before `today`, a note of at
 *  most 200 characters. */
export function closedDayProblems(date: string, note: string, today: string): ClosedDayProblem[] {
  const out: ClosedDayProblem[] = [];
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date + 'T00:00:00Z'))) out.push('date');
  else if (date < today) out.push('past');
  if ([...note].length > 200) out.push('note');
  return out;
}

/** The date of a moment in Helsinki as YYYY-MM-DD. */
export function helsinkiDate(ms: number): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Helsinki', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

/** A date input's YYYY-MM-DD as the start (or, with `endOfDay`, the end) of that day in Helsinki. */
export function helsinkiDayStart(date: string, endOfDay = false): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const utc = Date.parse(date + 'T00:00:00Z');
  if (Number.isNaN(utc)) return null;
  // Helsinki is UTC+2 or +3: find the offset at that day's noon.
  const noon = new Date(utc + 12 * 3600_000);
  const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Helsinki', hour: '2-digit', hourCycle: 'h23' }).format(noon);
  const offsetHours = Number(local) - 12;
  const start = utc - offsetHours * 3600_000;
  return endOfDay ? start + 24 * 3600_000 - 1 : start;
}
