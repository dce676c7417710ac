// format.ts - dates and times as the user reads them: Helsinki time, in the app's language.
import type { Lang } from './i18n-langs';

const LOCALES: Record<Lang, string> = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };

/** The day of a moment (ms since 1970) in Helsinki, as weekday and date, e.g. "maanantaina 23.11." */
export function formatDay(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALES[lang], { timeZone: 'Europe/Helsinki', weekday: 'long', day: 'numeric', month: 'numeric' }).format(
    new Date(ms),
  );
}

/** A phone number that does not break across lines (its spaces made non-breaking). */
export function unbroken(number: string): string {
  return number.replace(/ /g, '\u00a0');
}

/** A moment in Helsinki as day and time, e.g. "ma 23.11. klo 14.05" (the logged-in views). */
export function formatDateTime(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALES[lang], {
    timeZone: 'Europe/Helsinki',
    weekday: 'short',
    day: 'numeric',
    month: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(ms));
}

/** A moment in Helsinki as day, year and time, e.g. "ma 7.1.2027 klo 14.05": for dates that may
 *  fall in another year, such as the deadline of a rights request. */
export function formatDateTimeYear(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALES[lang], {
    timeZone: 'Europe/Helsinki',
    weekday: 'short',
    day: 'numeric',
    month: 'numeric',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(ms));
}

/** The time of day of a moment in Helsinki, e.g. "14.05". */
export function formatClock(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALES[lang], { timeZone: 'Europe/Helsinki', hour: '2-digit', minute: '2-digit' }).format(new Date(ms));
}

/** A file's size in the user's language, e.g. "1,2 Mt" / "1.2 MB" / "340 kB". */
export function formatSize(bytes: number, lang: Lang): string {
  const mb = lang === 'fi' ? 'Mt' : 'MB';
  const kb = lang === 'fi' ? 'kt' : 'kB';
  const nf = new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: 1 });
  if (bytes >= 1_000_000) return `${nf.format(bytes / 1_000_000)}\u00a0${mb}`;
  return `${nf.format(Math.max(1, Math.ceil(bytes / 1000)))}\u00a0${kb}`;
}
