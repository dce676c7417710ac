// lazy.ts - loads the parts of the app that are not needed before login (the encryption
// module, the export packer, the logged-in pages' texts) with the same integrity check as the
// page's own tags. build.mjs bundles each such part on its own (it imports no other file) and
// defines its file name and sha384 in LAZY_CHUNKS; the file is fetched first through a
// <link rel="modulepreload" integrity>, so a file that does not match is refused by the
// browser and never runs, and only then imported, which takes the module the browser has
// already checked.

/** Lazy bundle name -> { file (relative to this bundle), integrity }, as JSON; defined by build.mjs. */
declare const __ADVICE_LAZY_CHUNKS__: string;
const LAZY_CHUNKS: Record<string, { file: string; integrity: string }> = JSON.parse(__ADVICE_LAZY_CHUNKS__);

export class IntegrityError extends Error {
  constructor(chunk: string) {
    super(`the ${chunk} module failed its integrity check`);
    this.name = 'IntegrityError';
  }
}

/** Whether this bundle names the lazy bundle `name`. */
export function hasLazyChunk(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(LAZY_CHUNKS, name);
}

/** Resolves with the URL of the lazy bundle `name` once the browser has fetched and checked
 *  it; rejects with an IntegrityError when it is refused (wrong hash, missing file) or unknown. */
export function preloadChecked(name: string): Promise<string> {
  const chunk = hasLazyChunk(name) ? LAZY_CHUNKS[name] : undefined;
  if (chunk === undefined) return Promise.reject(new IntegrityError(name));
  const url = new URL(chunk.file, import.meta.url).href;
  return new Promise((resolve, reject) => {
    const link = document.createElement('link');
    link.rel = 'modulepreload';
    link.href = url;
    link.integrity = chunk.integrity;
    link.addEventListener('load', () => resolve(url));
    link.addEventListener('error', () => reject(new IntegrityError(name)));
    document.head.append(link);
  });
}
