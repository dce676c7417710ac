// citizen_helpers.mjs - what the citizen app's browser tests share beyond harness.mjs: the app's
// texts from its catalogues, PNG files made in the test, a page with its errors collected,
// axe-core (WCAG 2.0/2.1 A and AA) with the 390 px check and screenshots of a view, the first
// key setup (returning the recovery code) and a log in by bank in any of the app's languages.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { artifact, src } from './harness.mjs';

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The app's catalogues: T.fi['ask.title'] is the Finnish text of 'ask.title'. */
export const T = Object.fromEntries(['fi', 'sv', 'en'].map((l) =>
  [l, JSON.parse(readFileSync(join(src, 'client-web/src/app/i18n', `${l}.json`), 'utf8'))]));

/** A text of the catalogue of `lang` with its {placeholders} filled from `params`. */
export function text(lang, key, params = {}) {
  const s = T[lang][key];
  assert.ok(s !== undefined, `no text ${key} in ${lang}`);
  return s.replace(/\{(\w+)\}/g, (m, name) => params[name] ?? m);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
}

/**
 * A valid greyscale PNG of w×h pixels; `noise` fills it with random pixels, which do not
 * compress, so that the file is about w×h bytes (a photo's worth of chunks).
 */
export function png(w, h, { noise = false } = {}) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = noise ? randomBytes((w + 1) * h) : Buffer.alloc((w + 1) * h, 0x80);
  for (let y = 0; y < h; y++) rows[y * (w + 1)] = 0; // filter: none
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(rows, { level: noise ? 0 : 6 })), pngChunk('IEND', Buffer.alloc(0))]);
}

/**
 * A new browser context and page on `svc` in `locale`, with the page's errors, console errors
 * and failed responses collected in `errors` (the WebSocket refused before login, a 404 the
 * app asks for on purpose and what `allow` matches are left out).
 */
export async function openPage(svc, { locale = 'en-GB', allow = null } = {}) {
  const context = await svc.browser.newContext({ locale });
  const page = await context.newPage();
  const errors = [];
  const allowed = (s) => allow !== null && allow.test(s);
  page.on('pageerror', (e) => !allowed(e.message) && errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/WebSocket connection to .*\/ws' failed/.test(m.text()) &&
    !/status of 404/.test(m.text()) && !allowed(m.text()) && errors.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && !allowed(`${r.status()} ${r.url()}`) && errors.push(`${r.status()} ${r.url()}`));
  return { context, page, errors };
}

async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), AXE_TAGS);
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** axe with zero violations, no horizontal scroll at 390 px, and screenshots at both widths. */
export async function looked(page, name) {
  assert.deepEqual(await axeViolations(page), [], `${name}: axe`);
  const a = artifact(`${name}.png`);
  if (a) await page.screenshot({ path: a, fullPage: true });
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, `${name}: 390 px`);
  assert.deepEqual(await axeViolations(page), [], `${name} at 390 px: axe`);
  const b = artifact(`${name}-390.png`);
  if (b) await page.screenshot({ path: b, fullPage: true });
  await page.setViewportSize(size);
}

/** Logs in at the test bank from the front page in `lang` as the person `person` (a RegExp). */
export async function bankLogin(svc, page, lang, person) {
  await page.getByRole('link', { name: text(lang, 'login.bank') }).click();
  await page.waitForURL(`http://localhost:${svc.bankPort}/**`);
  await page.getByRole('button', { name: person }).click();
  await page.waitForURL((u) => u.href.startsWith(svc.url));
}

/** The first login's key setup in `lang`, by clicks: resolves with the recovery code shown. */
export async function makeKeys(page, lang, shot = null) {
  await page.getByRole('heading', { name: text(lang, 'keys.first.title') }).waitFor();
  if (shot) await looked(page, `${shot}-keys-first`);
  await page.getByRole('button', { name: text(lang, 'keys.first.start') }).click();
  await page.getByRole('heading', { name: text(lang, 'keys.code.title') }).waitFor();
  const code = (await page.locator('.recovery-code span').allTextContents()).join('-');
  assert.match(code, /^([0-9A-Z]{5}-){6}[0-9A-Z]{5}$/);
  if (shot) await looked(page, `${shot}-keys-code`);
  await page.getByLabel(text(lang, 'keys.code.saved')).check();
  await page.getByRole('button', { name: text(lang, 'keys.code.continue') }).click();
  await page.getByRole('heading', { name: text(lang, 'threads.title') }).waitFor();
  return code;
}

/** The citizen's navigation in `lang` (the link `key` of it, clicked). */
export async function navTo(page, lang, key) {
  await page.getByRole('navigation', { name: text(lang, 'nav.label') }).getByRole('link', { name: text(lang, key) }).click();
}

/** The thread id of the page's address (#/thread/ID). */
export function threadOfPage(page) {
  const m = page.url().match(/#\/thread\/([0-9a-f]{32})$/);
  assert.ok(m, `not a thread's page: ${page.url()}`);
  return m[1];
}
