// mydata-report.ts - the citizen's log report (log.report, 703/2023 §11): the period it may
// cover (at most two years back: older logs are asked from the register keeper), and the
// server's reply checked as a hostile server's would be: a row with a field of the wrong type
// is dropped and counted, a long text is cut, at most 2000 rows of each list; every text is
// handed to the views as text. Pure apart from the one request.
import type { AccessRow, DisclosureRow, LogReport, StaffRole } from './mydata-contract';

const DAY = 86_400_000;
/** The farthest back a citizen's own report reaches (two years; the server's bound is not shorter). */
export const REPORT_MAX_BACK_MS = 730 * DAY;
/** The most rows of each list kept (the server's cut). */
export const REPORT_MAX_ROWS = 2000;
/** The most characters of one text shown; a longer one is cut with an ellipsis. */
export const REPORT_MAX_TEXT = 300;

const ROLES: ReadonlySet<string> = new Set(['worker', 'supervisor', 'admin', 'connector']);
const HEX_ID = /^[0-9a-f]{32}$/;

export class MyDataError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'MyDataError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** A text for the views: control characters but line breaks removed, cut to REPORT_MAX_TEXT. */
export function cleanText(s: string): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '');
  return t.length > REPORT_MAX_TEXT ? t.slice(0, REPORT_MAX_TEXT) + '…' : t;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? cleanText(v) : undefined;
}

function textOrNull(v: unknown): string | null | undefined {
  return v === null ? null : text(v);
}

function idOrNull(v: unknown): string | null | undefined {
  return v === null ? null : typeof v === 'string' && HEX_ID.test(v) ? v : undefined;
}

function accessRow(r: unknown): AccessRow | null {
  if (!isObject(r)) return null;
  const row = {
    time: isTime(r.time) ? r.time : undefined,
    unit: idOrNull(r.unit),
    unitName: textOrNull(r.unit_name),
    role: typeof r.role === 'string' && ROLES.has(r.role) ? (r.role as StaffRole) : undefined,
    name: textOrNull(r.name),
    action: text(r.action),
    thread: idOrNull(r.thread),
    outcome: text(r.outcome),
  };
  return Object.values(row).some((v) => v === undefined) ? null : (row as AccessRow);
}

function disclosureRow(r: unknown): DisclosureRow | null {
  if (!isObject(r)) return null;
  const row = {
    time: isTime(r.time) ? r.time : undefined,
    thread: idOrNull(r.thread),
    recipient: text(r.recipient),
    basis: text(r.basis),
    dataset: text(r.dataset),
    method: text(r.method),
  };
  return Object.values(row).some((v) => v === undefined) ? null : (row as DisclosureRow);
}

function rows<T>(list: unknown, parse: (r: unknown) => T | null): { kept: T[]; dropped: number; cut: boolean } {
  if (!Array.isArray(list)) return { kept: [], dropped: 1, cut: false };
  const kept: T[] = [];
  let dropped = 0;
  for (const r of list.slice(0, REPORT_MAX_ROWS)) {
    const x = parse(r);
    if (x === null) dropped++;
    else kept.push(x);
  }
  kept.sort((a, b) => (b as { time: number }).time - (a as { time: number }).time);
  return { kept, dropped, cut: list.length > REPORT_MAX_ROWS };
}

/** The reply of log.report as the views may show it; throws MyDataError('failed') when it is not
 *  a report at all. `asked` is the period requested (used when the reply's is not a time). */
export function parseLogReport(raw: unknown, asked: { from: number; to: number }): LogReport {
  if (!isObject(raw)) throw new MyDataError('failed', 'the log report is not an object');
  const a = rows(raw.accesses, accessRow), d = rows(raw.disclosures, disclosureRow);
  return {
    from: isTime(raw.from) ? raw.from : asked.from,
    to: isTime(raw.to) ? raw.to : asked.to,
    accesses: a.kept,
    disclosures: d.kept,
    more: raw.more === true || a.cut || d.cut,
    dropped: a.dropped + d.dropped,
  };
}

/** The period a report may ask for: [from, to] clamped to at most two years back from `now`. */
export function reportPeriod(now: number, from?: number, to?: number): { from: number; to: number } {
  const end = to === undefined ? now : Math.min(to, now);
  // A start up to a day past the bound (a day chosen two years back) is moved to the bound.
  if (from !== undefined && from < now - REPORT_MAX_BACK_MS - DAY) throw new MyDataError('too_old', 'the period starts more than two years back');
  const start = Math.max(from ?? 0, now - REPORT_MAX_BACK_MS);
  if (start > end) throw new MyDataError('failed', 'the period ends before it starts');
  return { from: start, to: end };
}

export type Requester = { request(type: string, fields: Record<string, unknown>): Promise<unknown> };

/** log.report for [from, to]; a refusal of /from (too far back) is MyDataError('too_old'). */
export async function fetchLogReport(conn: Requester, now: number, from?: number, to?: number): Promise<LogReport> {
  const asked = reportPeriod(now, from, to);
  let raw: unknown;
  try {
    raw = await conn.request('log.report', { from: asked.from, to: asked.to });
  } catch (e) {
    const err = e as { code?: string; field?: string };
    if (err.code === 'bad_request' && err.field === '/from') throw new MyDataError('too_old', 'the server refused the period');
    throw new MyDataError('failed', 'the log report could not be fetched');
  }
  return parseLogReport(raw, asked);
}
