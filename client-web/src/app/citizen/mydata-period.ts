// mydata-period.ts - the log report's period as the citizen chooses it: the last three
// months, the last year, the last two years, or two dates (days in Helsinki, the last day
// included); the choice checked with a reason per field. Pure.
import { REPORT_MAX_BACK_MS } from './mydata-report';

const DAY = 86_400_000;
export type PeriodChoice = '3m' | '12m' | '24m' | 'custom';
export type PeriodProblem = 'from_missing' | 'to_missing' | 'from_after_to' | 'too_old' | 'future';

export const PRESET_DAYS: Record<Exclude<PeriodChoice, 'custom'>, number> = { '3m': 91, '12m': 365, '24m': REPORT_MAX_BACK_MS / DAY };

/** The moment a Helsinki day ("YYYY-MM-DD") starts, or null for anything else. */
export function helsinkiDayStart(day: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (m === null) return null;
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  const utc = Date.UTC(y, mo - 1, d);
  const back = new Date(utc);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  // Helsinki is UTC+2 or +3: the offset read from the formatter at that day's noon.
  const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Helsinki', hour: '2-digit', hourCycle: 'h23' })
    .format(new Date(utc + 12 * 3600_000)));
  return utc - (hour - 12) * 3600_000;
}

/** The Helsinki day of a moment as "YYYY-MM-DD" (for date inputs). */
export function helsinkiDay(ms: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Helsinki', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(ms));
}

export interface PeriodResult {
  from?: number;
  to?: number;
  problems: { field: 'from' | 'to'; problem: PeriodProblem }[];
}

/** The period of a choice at `now`; problems name the date field they belong to. */
export function periodOf(choice: PeriodChoice, fromDay: string, toDay: string, now: number): PeriodResult {
  if (choice !== 'custom') return { from: now - PRESET_DAYS[choice] * DAY, to: now, problems: [] };
  const problems: PeriodResult['problems'] = [];
  const from = helsinkiDayStart(fromDay.trim());
  const toStart = helsinkiDayStart(toDay.trim());
  if (from === null) problems.push({ field: 'from', problem: 'from_missing' });
  else if (from < now - REPORT_MAX_BACK_MS - DAY) problems.push({ field: 'from', problem: 'too_old' });
  else if (from > now) problems.push({ field: 'from', problem: 'future' });
  if (toStart === null) problems.push({ field: 'to', problem: 'to_missing' });
  if (from !== null && toStart !== null && from > toStart) problems.push({ field: 'to', problem: 'from_after_to' });
  if (problems.length > 0) return { problems };
  return { from: from as number, to: Math.min(now, (toStart as number) + DAY - 1), problems };
}
