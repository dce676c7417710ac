// mydata-zip-load.ts - the export's zip packer (mydata-zip.ts with its zip library) loaded when
// an export is first packed, as its own bundle checked by its integrity hash (lazy.ts; build.mjs
// names it "zip"), so that the page before login does not carry it.
import { preloadChecked } from '../lazy';
import type { ExportDeps } from './mydata-export';

type ZipModule = typeof import('./mydata-zip');
let loading: Promise<ZipModule> | undefined;

/** packExport of the lazily loaded bundle; rejects when the bundle fails its integrity check. */
export const packLazily: ExportDeps['pack'] = async (...args) => {
  loading ??= preloadChecked('zip').then((url) => import(/* the checked bundle, not bundled here */ url) as Promise<ZipModule>);
  loading.catch(() => {
    loading = undefined;
  });
  return (await loading).packExport(...args);
};
