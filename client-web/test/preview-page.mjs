// preview-page.mjs - what the preview pages share (test/preview: the citizen's views,
// test/preview-login: the staff login, test/preview-staff: the staff workspace): a page's
// preview.tsx bundled with esbuild into OUT/preview.js and OUT/preview.css, and OUT/index.html
// loading them; no inline script or style, so the page runs under the app's CSP.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const clientWeb = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the preview page whose entry is `entry` (a file URL) into `out` (made if needed). */
export async function buildPreviewPage(entry, out, title) {
  mkdirSync(out, { recursive: true });
  await esbuild.build({
    absWorkingDir: clientWeb,
    entryPoints: { preview: fileURLToPath(entry) },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: {
      __ADVICE_ROOT_PUBKEY__: JSON.stringify('A'.repeat(43)),
      __ADVICE_LAZY_CHUNKS__: JSON.stringify('{}'),
    },
    logLevel: 'warning',
  });
  writeFileSync(
    join(out, 'index.html'),
    '<!doctype html>\n<html lang="fi">\n<head>\n<meta charset="utf-8">\n' +
      `<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${title}</title>\n` +
      '<link rel="stylesheet" href="preview.css">\n<script type="module" src="preview.js"></script>\n' +
      '</head>\n<body>\n<div id="app"></div>\n</body>\n</html>\n',
  );
}

/** When the script `moduleUrl` is run as a command (`node SCRIPT OUT`): builds with `build`. */
export async function previewCommand(moduleUrl, build) {
  const script = fileURLToPath(moduleUrl);
  if (!process.argv[1] || resolve(process.argv[1]) !== script) return;
  const out = process.argv[2];
  if (!out) {
    process.stderr.write(`usage: node ${script} OUT\n`);
    process.exit(2);
  }
  await build(resolve(out));
  process.stdout.write(`preview built in ${resolve(out)}\n`);
}
