// i18n-langs.ts - the app's languages, apart from the catalogues so that pure modules (and their
// unit tests) can name them without loading the texts.
export const LANGS = ['fi', 'sv', 'en'] as const;
export type Lang = (typeof LANGS)[number];

export function isLang(s: unknown): s is Lang {
  return typeof s === 'string' && (LANGS as readonly string[]).includes(s);
}
