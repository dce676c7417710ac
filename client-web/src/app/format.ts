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
