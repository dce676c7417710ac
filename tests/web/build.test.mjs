// build.test.mjs - checks the browser app that web.build made (ADVICE_WEB_APP: its web/ folder
// and the test root key test-root.pub) without a browser: every script and stylesheet tag of
// index.html has an integrity hash (sha384) that matches its file, there is no inline script or
// style, the lazy chunks' hashes in the main bundle (the encryption module, the citizen export's
// zip packer, the logged-in pages' texts in each language) match their files, the pinned root
// key is the test key, and the front page is within its size budget before login; the staff
// page is built apart with its own checked tags. Then the
// build's refusals: no root key, a malformed one, a folder it did not make.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const src = process.env.ADVICE_SOURCE_DIR;
const app = process.env.ADVICE_WEB_APP;
const web = join(app, 'web');
const buildScript = join(src, 'client-web', 'build.mjs');
const FRONT_PAGE_LIMIT = 100 * 1024;

const sri = (bytes) => 'sha384-' + createHash('sha384').update(bytes).digest('base64');
const html = () => readFileSync(join(web, 'index.html'), 'utf8');

/** The tags of index.html that load something: { tag, url, integrity }. */
function loadingTags(text) {
  const tags = [];
  for (const m of text.matchAll(/<(script|link)\b([^>]*)>/g)) {
    const attr = (name) => m[2].match(new RegExp(`\\b${name}="([^"]*)"`))?.[1];
    if (m[1] === 'link' && !['stylesheet', 'modulepreload', 'preload'].includes(attr('rel'))) continue;
    tags.push({ tag: m[0], url: attr(m[1] === 'script' ? 'src' : 'href'), integrity: attr('integrity') });
  }
  return tags;
}

function mainBundle() {
  const main = loadingTags(html()).find((t) => t.tag.startsWith('<script'));
  return { path: join(web, main.url), text: readFileSync(join(web, main.url), 'utf8') };
}

/** Runs build.mjs with args (and env additions); { status, stderr }. */
function build(args, env = {}) {
  const r = spawnSync(process.execPath, [buildScript, ...args], {
    env: { ...process.env, ADVICE_ROOT_PUBKEY: '', ADVICE_ROOT_PUBKEY_FILE: '', ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

test('every script and stylesheet tag has a sha384 integrity hash that matches its file', () => {
  const tags = loadingTags(html());
  assert.ok(tags.some((t) => t.tag.startsWith('<script')), 'a script tag');
  assert.ok(tags.some((t) => /rel="stylesheet"/.test(t.tag)), 'a stylesheet tag');
  for (const t of tags) {
    assert.ok(t.url && !/^[a-z]+:|^\/\//i.test(t.url), `${t.tag}: a file of the app`);
    assert.match(t.integrity ?? '', /^sha384-[A-Za-z0-9+/]{64}$/, `${t.tag}: integrity`);
    assert.equal(t.integrity, sri(readFileSync(join(web, t.url))), `${t.url}: hash of the file`);
  }
});

test('index.html has no inline script or style', () => {
  const text = html();
  for (const m of text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(m[1], /\bsrc="/, 'a script without src');
    assert.equal(m[2].trim(), '', 'a script with content');
  }
  assert.doesNotMatch(text, /<style\b|\sstyle="|\son[a-z]+="/i);
});

/** The lazy chunk `name` as the main bundle's chunk map names it: its path and checked text. */
function lazyChunk(name) {
  const main = mainBundle();
  const m = main.text.match(new RegExp(`\\\\?"${name}\\\\?":\\{\\\\?"file\\\\?":\\\\?"([^"\\\\]+)\\\\?",\\\\?"integrity\\\\?":\\\\?"(sha384-[^"\\\\]+)\\\\?"\\}`));
  assert.ok(m, `the ${name} chunk in the main bundle's lazy chunk map`);
  const chunk = join(dirname(main.path), m[1]);
  assert.equal(m[2], sri(readFileSync(chunk)), `the hash of the ${name} chunk`);
  assert.ok(!html().includes(m[1].replace(/^(\.\.?\/)+/, '')), 'the page itself does not load the chunk');
  return readFileSync(chunk, 'utf8');
}

test('the lazy encryption chunk is named in the main bundle with its file and hash', () => {
  assert.match(lazyChunk('crypto'), /crypto_pwhash/, 'the chunk is the encryption module');
});

test("the citizen export's zip packer is a lazy chunk of its own, not in the main bundle", () => {
  assert.match(lazyChunk('zip'), /manifest\.json/, 'the chunk is the export packer');
  assert.doesNotMatch(mainBundle().text, /blake2b_256/, 'the packer is not in the main bundle');
});

test("the logged-in pages' texts are a lazy chunk per language, left out of the main bundle", () => {
  const split = JSON.parse(readFileSync(join(src, 'client-web', 'src', 'app', 'i18n-split.json'), 'utf8'));
  const main = mainBundle().text;
  for (const lang of ['fi', 'sv', 'en']) {
    const catalogue = JSON.parse(readFileSync(join(src, 'client-web', 'src', 'app', 'i18n', `${lang}.json`), 'utf8'));
    const later = Object.keys(catalogue).filter((k) => split.afterLogin.includes(k.split('.')[0]) && !split.beforeLogin.includes(k));
    const chunk = lazyChunk(`texts-${lang}`);
    const texts = JSON.parse(chunk.replace(/^export default /, '').replace(/;\s*$/, ''));
    assert.deepEqual(Object.keys(texts).sort(), later.sort(), `${lang}: the chunk holds the later texts`);
    for (const key of later) assert.ok(!main.includes(`"${key}":${JSON.stringify(catalogue[key])}`), `${key}'s text is not in the main bundle`);
  }
  assert.match(main, /"mydata\.title":"Omat tietosi"/, 'the page titles stay in the main bundle');
});

test('the pinned root key is the test root key', () => {
  const key = readFileSync(join(app, 'test-root.pub'), 'utf8').trim();
  assert.match(key, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(mainBundle().text.includes(`"${key}"`), 'the key in the main bundle');
});

test('the front page transfers at most 100 KB gzipped before login', () => {
  const index = readFileSync(join(web, 'index.html'));
  const files = [index, ...loadingTags(index.toString('utf8')).map((t) => readFileSync(join(web, t.url)))];
  const total = files.reduce((n, b) => n + gzipSync(b).length, 0);
  assert.ok(total <= FRONT_PAGE_LIMIT, `${total} bytes gzipped`);
  process.stdout.write(`# front page before login: ${total} bytes gzipped (${files.length} files)\n`);
});

test('the staff page (staff/index.html): its own bundle with checked tags, no inline code; the front page has none of its texts', () => {
  const staff = readFileSync(join(web, 'staff', 'index.html'), 'utf8');
  const tags = loadingTags(staff);
  assert.ok(tags.some((t) => t.tag.startsWith('<script')) && tags.some((t) => /rel="stylesheet"/.test(t.tag)));
  for (const t of tags) {
    assert.match(t.url, /^\.\.\/assets\/app\//, `${t.url}: relative to /staff/ and to /staff alike`);
    assert.equal(t.integrity, sri(readFileSync(join(web, 'staff', t.url))), `${t.url}: hash of the file`);
  }
  assert.doesNotMatch(staff, /<style\b|\sstyle="|\son[a-z]+="|<script\b(?![^>]*\bsrc=)/i);
  const staffJs = readFileSync(join(web, 'staff', tags.find((t) => t.tag.startsWith('<script')).url), 'utf8');
  assert.match(staffJs, /lock\.title/, 'the staff texts are in the staff bundle');
  const front = mainBundle().text;
  assert.doesNotMatch(front, /lock\.title|staffLogin\.title|password\.new/, 'the front page carries no staff texts');
  assert.match(front, /staffLogin\.link/, 'but its link to the staff login');
  assert.ok(!front.includes('otpauth'), 'nor the staff code');
});

test('the build pins the key from ADVICE_ROOT_PUBKEY and from a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'advice-web-build-'));
  try {
    const key = Buffer.alloc(32, 7).toString('base64url');
    let r = build([join(dir, 'a'), '--no-typecheck'], { ADVICE_ROOT_PUBKEY: key });
    assert.equal(r.status, 0, r.stderr);
    const mainOf = (out) => {
      const url = readFileSync(join(out, 'index.html'), 'utf8').match(/<script[^>]*src="([^"]+)"/)[1];
      return readFileSync(join(out, url), 'utf8');
    };
    assert.ok(mainOf(join(dir, 'a')).includes(`"${key}"`));
    const other = Buffer.alloc(32, 9).toString('base64url');
    writeFileSync(join(dir, 'root.pub'), other + '\n');
    r = build([join(dir, 'a'), '--no-typecheck', '--root-pubkey-file', join(dir, 'root.pub')]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(mainOf(join(dir, 'a')).includes(`"${other}"`), 'a second build into the same folder');
    assert.ok(!mainOf(join(dir, 'a')).includes(`"${key}"`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the build refuses to run without a root key, with a malformed one, or into a folder it did not make', () => {
  const dir = mkdtempSync(join(tmpdir(), 'advice-web-build-'));
  try {
    let r = build([join(dir, 'a'), '--no-typecheck']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no root public key to pin/);
    for (const bad of ['short', Buffer.alloc(31).toString('base64url') + 'AAAA', 'A'.repeat(42) + '+', 'A'.repeat(42) + 'B', Buffer.alloc(33).toString('base64url')]) {
      r = build([join(dir, 'a'), '--no-typecheck', '--root-pubkey', bad]);
      assert.equal(r.status, 1, bad);
      assert.match(r.stderr, /43 characters of base64url/, bad);
    }
    r = build([join(dir, 'a'), '--no-typecheck', '--root-pubkey-file', join(dir, 'missing.pub')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot read the root public key file .*ENOENT/);
    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'mine', 'notes.txt'), 'keep me');
    r = build([join(dir, 'mine'), '--no-typecheck', '--root-pubkey', Buffer.alloc(32).toString('base64url')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not made by this build/);
    assert.ok(existsSync(join(dir, 'mine', 'notes.txt')), 'the folder is left alone');
    assert.ok(!existsSync(join(dir, 'a')), 'nothing built');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
