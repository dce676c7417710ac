// i18n-later.ts - the texts of the logged-in pages, which the front page's bundle leaves out
// (i18n-split.json): one lazy chunk per language (`texts-fi`, ...), fetched after login with the
// integrity check of lazy.ts and added to the catalogues (i18n.ts). A bundle that has no such
// chunk (the staff page, the preview pages) carries every text already.
import { addTexts, type Lang } from './i18n';
import { hasLazyChunk, preloadChecked } from './lazy';

const loaded = new Set<Lang>();
const loading = new Map<Lang, Promise<void>>();

/** Whether the logged-in pages' texts in `lang` are in this page (loaded, or bundled). */
export function laterTextsReady(lang: Lang): boolean {
  return loaded.has(lang) || !hasLazyChunk(`texts-${lang}`);
}

/** Loads the logged-in pages' texts in `lang`, once; rejects with an IntegrityError when the
 *  chunk is refused (a failed load may be tried again). */
export function loadLaterTexts(lang: Lang): Promise<void> {
  if (laterTextsReady(lang)) return Promise.resolve();
  let p = loading.get(lang);
  if (p === undefined) {
    p = (async () => {
      const url = await preloadChecked(`texts-${lang}`);
      const module: { default?: unknown } = await import(/* the checked chunk, not bundled here */ url);
      addTexts(lang, module.default);
      loaded.add(lang);
    })();
    p.catch(() => loading.delete(lang));
    loading.set(lang, p);
  }
  return p;
}
