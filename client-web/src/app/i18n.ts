// i18n.ts - the app's texts in Finnish, Swedish and English: one catalogue per language
// (i18n/<lang>.json, the same keys in each; test/app/catalogue.test.ts fails when one lacks a
// key), the chosen language remembered in this browser, and <html lang> following the choice.
// The front page's bundle carries only the texts needed before login (i18n-split.json); the
// others are added after login by i18n-later.ts.
import fi from './i18n/fi.json';
import sv from './i18n/sv.json';
import en from './i18n/en.json';
import { isLang, LANGS, type Lang } from './i18n-langs';

export { isLang, LANGS, type Lang };
export type Key = keyof typeof fi;

/** Each language's own name, shown in the language switch. */
export const LANG_NAMES: Record<Lang, string> = { fi: 'Suomi', sv: 'Svenska', en: 'English' };

const catalogues: Record<Lang, Partial<Record<Key, string>>> = { fi, sv, en };
const later: Partial<Record<Lang, Record<string, string>>> = {};
const STORAGE_KEY = 'advice.lang';

/**
 * The text of `key` in `lang`, with each {name} replaced by params[name]. A placeholder
 * without a value stays as it is, so that a missing parameter shows instead of vanishing; a
 * text not (yet) in this page shows as its key.
 */
export function t(lang: Lang, key: Key, params: Record<string, string> = {}): string {
  const text = catalogues[lang][key] ?? later[lang]?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => params[name] ?? m);
}

/** Adds the texts loaded after login in `lang` (i18n-later.ts); only strings are taken. */
export function addTexts(lang: Lang, texts: unknown): void {
  const own: Record<string, string> = {};
  if (typeof texts === 'object' && texts !== null)
    for (const [key, text] of Object.entries(texts)) if (typeof text === 'string') own[key] = text;
  later[lang] = { ...later[lang], ...own };
}

/** The language to start in: the one chosen before in this browser, else the browser's
 *  first preferred language we have, else Finnish. */
export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (isLang(saved)) return saved;
  } catch {
    /* storage off: fall through */
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLang(base)) return base;
  }
  return 'fi';
}

/** Makes `lang` the page's language (<html lang>) and remembers it. */
export function applyLang(lang: Lang): void {
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* storage off: the choice lasts for this page only */
  }
}
