#!/usr/bin/env node
// build-preview.mjs - bundles the staff preview page (preview.tsx on the fakes of fakes.tsx)
// into OUT/index.html, OUT/preview.js and OUT/preview.css: no inline script or style, so the
// page runs under the app's CSP. To look at it by hand, serve OUT with any static server.
//   node test/preview-staff/build-preview.mjs OUT
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const PAGE = `<!doctype html>
<html lang="fi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Staff preview</title>
<link rel="stylesheet" href="preview.css">
<script type="module" src="preview.js"></script>
</head>
<body>
<div id="app"></div>
</body>
</html>
`;

/** Builds the staff preview into `out` (made if needed). */
export async function buildStaffPreview(out) {
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
    define: { __ADVICE_ROOT_PUBKEY__: '"' + 'A'.repeat(43) + '"', __ADVICE_LAZY_CHUNKS__: '"{}"' },
    logLevel: 'warning',
  });
  writeFileSync(join(out, 'index.html'), PAGE);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) {
    process.stderr.write('usage: node test/preview-staff/build-preview.mjs OUT\n');
    process.exit(2);
  }
  await buildStaffPreview(resolve(process.argv[2]));
  process.stdout.write(`staff preview built in ${resolve(process.argv[2])}\n`);
}
