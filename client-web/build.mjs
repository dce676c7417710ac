#!/usr/bin/env node
// build.mjs - builds the browser app into a folder of static files (adviced's web_root, or any
// static web server):
//
//   node build.mjs OUT [--root-pubkey KEY | --root-pubkey-file FILE] [--no-typecheck]
//
// The municipal root public key (43 characters of base64url, as `advicectl root-create`
// prints it) is pinned in the app: from --root-pubkey, --root-pubkey-file (a file holding
// it), or the environment's ADVICE_ROOT_PUBKEY or ADVICE_ROOT_PUBKEY_FILE; the build refuses
// to run without one. It type-checks src/app (tsconfig.app.json), bundles it with esbuild
// into self-contained bundles (the main one: Preact, the shell, its stylesheet; lazy ones loaded
// after login: the encryption module, the export packer, the logged-in pages' texts in each
// language), names every file by its content hash and writes
// OUT/index.html with an integrity hash (sha384) on every script and stylesheet tag; the lazy
// bundle's file and hash are defined in the main bundle (src/app/lazy.ts). The staff page is a
// page of its own (src/app/staff-main.tsx into OUT/staff/index.html, served at /staff) with its
// own bundle and stylesheet, so that the front page carries none of it. Last it prints each
// file's size and the front page's (before login), raw and gzipped.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const MARKER = '.advice-web'; // marks a folder this script made, so that it may clear it
// lazy bundle name -> its entry: the encryption module; the citizen's export packer (its zip library)
const LAZY_CHUNKS = { crypto: 'src/crypto/index.ts', zip: 'src/app/citizen/mydata-zip.ts' };
const FRONT_PAGE_LIMIT = 100 * 1024; // gzip bytes before login (the app's size budget)
// The pages: each entry bundled on its own (the lazy chunks shared), its HTML from a template.
// The front page's catalogues leave out the staff page's texts (their prefixes), all but the
// front page's own link to the staff login, so that the staff page costs the front page nothing.
// It leaves out the logged-in pages' texts too (src/app/i18n-split.json): those come after login
// in a lazy chunk per language (`texts-fi`, ...; src/app/i18n-later.ts).
const STAFF_TEXTS = /^(staffLogin|lock|password|staff|queue|sthread|notes|canned|super|roster|audit)\./;
const LANGS = ['fi', 'sv', 'en'];
const SPLIT = JSON.parse(readFileSync(join(here, 'src/app/i18n-split.json'), 'utf8'));
/** Whether the front page loads the text `key` after login (src/app/i18n-split.json). */
const afterLogin = (key) => SPLIT.afterLogin.includes(key.split('.')[0]) && !SPLIT.beforeLogin.includes(key);
const PAGES = [
  { name: 'front', entry: 'src/app/main.tsx', template: 'src/app/index.html', html: 'index.html',
    dropTexts: (key) => (STAFF_TEXTS.test(key) && key !== 'staffLogin.link') || afterLogin(key) },
  { name: 'staff', entry: 'src/app/staff-main.tsx', template: 'src/app/staff.html', html: 'staff/index.html' },
];

function fail(msg) {
  process.stderr.write(`build.mjs: ${msg}\n`);
  process.exit(1);
}

/** { out, rootKey, typecheck } from the command line and the environment. */
function parseArgs(argv) {
  let out, key, keyFile, typecheck = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--root-pubkey' && i + 1 < argv.length) key = argv[++i];
    else if (a === '--root-pubkey-file' && i + 1 < argv.length) keyFile = argv[++i];
    else if (a === '--no-typecheck') typecheck = false;
    else if (!a.startsWith('-') && out === undefined) out = a;
    else fail(`unknown argument '${a}'\nusage: node build.mjs OUT [--root-pubkey KEY | --root-pubkey-file FILE] [--no-typecheck]`);
  }
  if (out === undefined) fail('usage: node build.mjs OUT [--root-pubkey KEY | --root-pubkey-file FILE] [--no-typecheck]');
  key ??= keyFile === undefined ? process.env.ADVICE_ROOT_PUBKEY || undefined : undefined;
  keyFile ??= key === undefined ? process.env.ADVICE_ROOT_PUBKEY_FILE || undefined : undefined;
  if (key === undefined && keyFile !== undefined) {
    try {
      key = readFileSync(keyFile, 'utf8');
    } catch (e) {
      fail(`cannot read the root public key file ${keyFile}: ${e.code ?? e.message}`);
    }
  }
  if (key === undefined)
    fail('no root public key to pin: give --root-pubkey KEY or --root-pubkey-file FILE (or set ' +
      'ADVICE_ROOT_PUBKEY or ADVICE_ROOT_PUBKEY_FILE); `advicectl root-create` prints it');
  return { out: resolve(out), rootKey: checkRootKey(key.trim()), typecheck };
}

/** The key itself when it is 43 characters of base64url that decode to 32 bytes. */
function checkRootKey(key) {
  if (!/^[A-Za-z0-9_-]{43}$/.test(key) || Buffer.from(key, 'base64url').toString('base64url') !== key)
    fail(`the root public key must be 43 characters of base64url (32 bytes), as advicectl root-create prints it; got '${key.slice(0, 60)}'`);
  return key;
}

function sri(bytes) {
  return 'sha384-' + createHash('sha384').update(bytes).digest('base64');
}

/** Refuses OUT unless it is new, empty, or made by this script (which may then empty it). */
function checkOut(out) {
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, MARKER)))
    fail(`${out} is not empty and was not made by this build: give a new or empty folder`);
}

/** Empties OUT (checked by checkOut) and marks it as made here. */
function prepareOut(out) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, MARKER), 'made by client-web/build.mjs; emptied by the next build\n');
}

// libsodium's Emscripten code names Node's modules in branches the browser never takes.
const nodeBuiltinsEmpty = {
  name: 'node-builtins-empty',
  setup(build) {
    build.onResolve({ filter: /^(fs|path|crypto)$/ }, (a) => ({ path: a.path, namespace: 'empty' }));
    build.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

// libsodium-wrappers-sumo's ES module imports a file it does not ship and awaits Node's modules
// at the top level: its CommonJS build is taken instead (the one Node's tests run).
const libsodiumCjs = {
  name: 'libsodium-cjs',
  setup(build) {
    build.onResolve({ filter: /^libsodium-wrappers-sumo$/ }, (a) =>
      a.kind === 'require-call' ? undefined : build.resolve(a.path, { kind: 'require-call', resolveDir: a.resolveDir }));
  },
};

/** Leaves the texts `drop` names out of the catalogues (src/app/i18n/*.json) of one bundle. */
function catalogueFilter(drop) {
  return {
    name: 'catalogue-filter',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]app[\\/]i18n[\\/][a-z]+\.json$/ }, (a) => {
        const texts = JSON.parse(readFileSync(a.path, 'utf8'));
        for (const key of Object.keys(texts)) if (drop(key)) delete texts[key];
        return { contents: JSON.stringify(texts), loader: 'json' };
      });
    },
  };
}

/**
 * One self-contained ES module bundle of `entry` (no code splitting: a module that imported
 * another file would have the browser fetch that file without an integrity check), with
 * `define`; { files (path relative to here -> bytes), js, css }.
 */
async function bundleEntry(out, entry, define, plugins = []) {
  const result = await esbuild.build({
    absWorkingDir: here,
    entryPoints: [entry],
    outdir: join(out, 'assets'),
    outbase: 'src',
    entryNames: '[dir]/[name]-[hash]',
    assetNames: 'media/[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    legalComments: 'none',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define,
    plugins: [nodeBuiltinsEmpty, libsodiumCjs, ...plugins],
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const files = new Map(result.outputFiles.map((f) => [relative(here, f.path), Buffer.from(f.contents)]));
  const outputs = result.metafile.outputs;
  const js = Object.keys(outputs).find((o) => outputs[o].entryPoint === entry);
  for (const [file, o] of Object.entries(outputs))
    if (o.imports.some((i) => !i.external))
      fail(`${file} imports ${o.imports.map((i) => i.path).join(', ')}: every bundle must stand alone`);
  return { files, js, css: outputs[js].cssBundle };
}

/**
 * The logged-in pages' texts in `lang` as a module of their own (its default export: key ->
 * text), named by its content hash: { js (path relative to here), bytes }.
 */
function laterTextsChunk(out, lang) {
  const all = JSON.parse(readFileSync(join(here, 'src/app/i18n', `${lang}.json`), 'utf8'));
  const texts = Object.fromEntries(Object.entries(all).filter(([key]) => afterLogin(key)));
  const bytes = Buffer.from(`export default ${JSON.stringify(texts)};\n`, 'utf8');
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 8).toUpperCase();
  return { js: posix.join(posix.relative(here, out), 'assets', 'app', 'i18n', `later-${lang}-${hash}.js`), bytes };
}

/**
 * The app's files: first each lazy chunk (the encryption module, the export packer, the
 * logged-in pages' texts per language), then each page's bundle with the chunks' files and
 * hashes defined in it (as a JSON string, for src/app/lazy.ts).
 */
async function bundle(out, rootKey) {
  const files = new Map();
  const lazy = {};
  const define = { __ADVICE_ROOT_PUBKEY__: JSON.stringify(rootKey) };
  const chunks = [];
  for (const [name, entry] of Object.entries(LAZY_CHUNKS)) {
    const b = await bundleEntry(out, entry, define);
    b.files.forEach((bytes, f) => files.set(f, bytes));
    chunks.push([name, b.js]);
  }
  for (const lang of LANGS) {
    const c = laterTextsChunk(out, lang);
    files.set(c.js, c.bytes);
    chunks.push([`texts-${lang}`, c.js]);
  }
  const mainDir = posix.join(posix.relative(here, out), 'assets', 'app');
  for (const [name, js] of chunks) lazy[name] = { file: posix.relative(mainDir, js), integrity: sri(files.get(js)) };
  const pages = {};
  for (const page of PAGES) {
    const b = await bundleEntry(out, page.entry, { ...define, __ADVICE_LAZY_CHUNKS__: JSON.stringify(JSON.stringify(lazy)) },
      page.dropTexts ? [catalogueFilter(page.dropTexts)] : []);
    if (posix.dirname(b.js) !== mainDir) fail(`the bundle ${b.js} is not in ${mainDir}`);
    b.files.forEach((bytes, f) => files.set(f, bytes));
    pages[page.name] = { js: b.js, css: b.css };
  }
  return { files, pages, lazy };
}

/** A page's HTML from its template with the page's tags, each with its integrity hash. */
function pageHtml(out, b, page) {
  const from = posix.dirname(posix.join(posix.relative(here, out), page.html));
  const href = (f) => posix.relative(from, f);
  const { js, css } = b.pages[page.name];
  const tags = [];
  if (css) tags.push(`<link rel="stylesheet" href="${href(css)}" integrity="${sri(b.files.get(css))}">`);
  tags.push(`<script type="module" src="${href(js)}" integrity="${sri(b.files.get(js))}"></script>`);
  const template = readFileSync(join(here, page.template), 'utf8');
  if (template.split('<!--ADVICE_ASSETS-->').length !== 2) fail(`${page.template} needs <!--ADVICE_ASSETS--> once`);
  return template.replace('<!--ADVICE_ASSETS-->', tags.join('\n'));
}

function sizeLine(name, bytes) {
  const kb = (n) => (n / 1024).toFixed(1).padStart(7) + ' KB';
  return `${kb(bytes.length)} ${kb(gzipSync(bytes).length)} gzip  ${name}`;
}

const args = parseArgs(process.argv.slice(2));
checkOut(args.out);
if (args.typecheck)
  try {
    execFileSync(process.execPath, [join(here, 'node_modules/typescript/bin/tsc'), '-p', join(here, 'tsconfig.app.json')], { stdio: 'inherit' });
  } catch {
    fail('type errors in src/app (above)');
  }
const b = await bundle(args.out, args.rootKey);
prepareOut(args.out);
for (const [file, bytes] of b.files) {
  const path = join(here, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}
const html = {};
for (const page of PAGES) {
  html[page.name] = Buffer.from(pageHtml(args.out, b, page), 'utf8');
  mkdirSync(dirname(join(args.out, page.html)), { recursive: true });
  writeFileSync(join(args.out, page.html), html[page.name]);
}

const pageGzip = (name) => [html[name], ...[b.pages[name].css, b.pages[name].js].filter(Boolean).map((f) => b.files.get(f))]
  .reduce((n, bytes) => n + gzipSync(bytes).length, 0);
const frontGzip = pageGzip('front');
const lines = [...b.files].map(([f, bytes]) => sizeLine(relative(args.out, join(here, f)), bytes));
process.stdout.write(`client-web built into ${args.out} (root key ${args.rootKey})\n` +
  `${PAGES.map((p) => sizeLine(p.html, html[p.name])).join('\n')}\n${lines.join('\n')}\n` +
  `front page before login: ${(frontGzip / 1024).toFixed(1)} KB gzip (limit ${FRONT_PAGE_LIMIT / 1024} KB)\n` +
  `staff page before login: ${(pageGzip('staff') / 1024).toFixed(1)} KB gzip\n`);
if (frontGzip > FRONT_PAGE_LIMIT) fail(`the front page is ${frontGzip} bytes gzipped, over the ${FRONT_PAGE_LIMIT}-byte limit`);
