#!/usr/bin/env node
// build-preview.mjs - bundles the staff login's preview page (preview.tsx) with esbuild into a
// folder: OUT/index.html, OUT/preview.js, OUT/preview.css; no inline script or style, so the
// page runs under the app's CSP.
//   node test/preview-login/build-preview.mjs OUT
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

export async function buildPreview(out) {
  mkdirSync(out, { recursive: true });
  await esbuild.build({
    absWorkingDir: join(here, '..', '..'),
    entryPoints: { preview: join(here, 'preview.tsx') },
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
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>Preview</title>\n' +
      '<link rel="stylesheet" href="preview.css">\n<script type="module" src="preview.js"></script>\n' +
      '</head>\n<body>\n<div id="app"></div>\n</body>\n</html>\n',
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: node test/preview-login/build-preview.mjs OUT\n');
    process.exit(2);
  }
  await buildPreview(resolve(out));
  process.stdout.write(`preview built in ${resolve(out)}\n`);
}
