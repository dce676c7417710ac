// Browser end-to-end test of the app shell as ctest's web.build made it, served by the real
// adviced from a copy (so that files can be tampered with): the front page in Finnish, Swedish
// and English with <html lang> following the switch; every script and stylesheet tag's
// integrity hash matches the file adviced serves; before login the page loads only its own
// files, not the encryption module, within 100 KB gzipped; after a bank-ID login the encryption
// module loads once, with libsodium's WebAssembly and no CSP violation; a tampered script,
// stylesheet or encryption module is refused by the browser. Screenshots of each state go to
// ADVICE_E2E_ARTIFACTS. Environment: harness.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { artifact, Service, webApp } from './harness.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const FRONT_PAGE_LIMIT = 100 * 1024;
let web; // the copy of the app that adviced serves

const sri = (bytes) => 'sha384-' + createHash('sha384').update(bytes).digest('base64');

before(async () => {
  web = mkdtempSync(join(tmpdir(), 'advice-e2e-web-'));
  cpSync(webApp().web, web, { recursive: true });
  await svc.start(web);
});

after(async () => {
  await svc.finish();
  if (web) rmSync(web, { recursive: true, force: true });
});

/** The tags of index.html that load a file: { tag, url, integrity }. */
function loadingTags(html) {
  return [...html.matchAll(/<(script|link)\b([^>]*)>/g)]
    .map((m) => {
      const attr = (name) => m[2].match(new RegExp(`\\b${name}="([^"]*)"`))?.[1];
      return { tag: m[0], rel: attr('rel'), url: attr(m[1] === 'script' ? 'src' : 'href'), integrity: attr('integrity') };
    })
    .filter((t) => t.tag.startsWith('<script') || ['stylesheet', 'modulepreload', 'preload'].includes(t.rel));
}

/** The served app's files by role: main script, stylesheet, the lazy encryption chunk. */
function appFiles() {
  const tags = loadingTags(readFileSync(join(web, 'index.html'), 'utf8'));
  const main = tags.find((t) => t.tag.startsWith('<script')).url;
  const css = tags.find((t) => t.rel === 'stylesheet').url;
  const text = readFileSync(join(web, main), 'utf8');
  const lazy = text.match(/\\?"crypto\\?":\{\\?"file\\?":\\?"([^"\\]+)\\?"/)[1];
  const crypto = new URL(lazy, `http://x/${main}`).pathname.slice(1);
  return { main, css, crypto, preloads: tags.filter((t) => t.rel === 'modulepreload').map((t) => t.url) };
}

/** Runs fn with `file` of the served app changed by one byte at its end, then restores it. */
async function tampered(file, fn) {
  const path = join(web, file);
  const good = readFileSync(path);
  writeFileSync(path, Buffer.concat([good, Buffer.from('\n')]));
  try {
    await fn();
  } finally {
    writeFileSync(path, good);
  }
}

/** A new page (own context: no cache, no cookies) recording console messages and page errors. */
async function newPage(options = {}) {
  const context = await svc.browser.newContext({ locale: 'en-GB', ...options });
  const page = await context.newPage();
  const log = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  return { context, page, log };
}

async function screenshot(page, name) {
  const path = artifact(name);
  if (path) await page.screenshot({ path, fullPage: true });
}

check('the front page speaks Finnish, Swedish and English, and <html lang> follows the switch', async () => {
  const { context, page } = await newPage({ locale: 'fi-FI' });
  await page.goto(svc.url);
  const heading = page.getByRole('heading', { level: 1 });
  await page.getByText('Palvelu toimii').waitFor();
  assert.equal(await heading.textContent(), 'Verkkoneuvonta');
  assert.equal(await page.getAttribute('html', 'lang'), 'fi');
  assert.ok(await page.getByRole('link', { name: 'Tunnistaudu pankkitunnuksilla' }).isVisible());
  await screenshot(page, 'front-fi.png');

  await page.getByRole('button', { name: 'Svenska' }).click();
  await page.getByText('Tjänsten fungerar').waitFor();
  assert.equal(await heading.textContent(), 'Nätrådgivning');
  assert.equal(await page.getAttribute('html', 'lang'), 'sv');
  assert.equal(await page.getByRole('button', { name: 'Svenska' }).getAttribute('aria-pressed'), 'true');
  assert.equal(await page.title(), 'Nätrådgivning');
  await screenshot(page, 'front-sv.png');

  await page.getByRole('button', { name: 'English' }).click();
  await page.getByText('The service is running').waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await screenshot(page, 'front-en.png');
  // The choice is remembered in this browser.
  await page.reload();
  await page.getByText('The service is running').waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  // A phone-sized screen: nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
  await screenshot(page, 'front-en-390.png');
  await context.close();
});

check('every script and stylesheet tag has an integrity hash that matches the file adviced serves', async () => {
  const res = await fetch(svc.url);
  const html = await res.text();
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.doesNotMatch(csp, /'unsafe-inline'| 'unsafe-eval'/);
  const tags = loadingTags(html);
  assert.ok(tags.length >= 2);
  for (const t of tags) {
    assert.match(t.integrity ?? '', /^sha384-/, `${t.tag}`);
    const file = await fetch(new URL(t.url, svc.url));
    assert.equal(file.status, 200, t.url);
    assert.equal(t.integrity, sri(Buffer.from(await file.arrayBuffer())), `${t.url}: served bytes`);
  }
});

check('before login the page loads only its own files, not the encryption module, within 100 KB gzipped', async () => {
  const { crypto } = appFiles();
  const { context, page, log } = await newPage();
  const loaded = [];
  page.on('requestfinished', async (req) => {
    const res = await req.response();
    loaded.push({ url: req.url(), type: req.resourceType(), body: res ? await res.body().catch(() => Buffer.alloc(0)) : Buffer.alloc(0) });
  });
  await page.goto(svc.url, { waitUntil: 'load' });
  await page.getByText('The service is running').waitFor();
  for (const r of loaded) assert.equal(new URL(r.url).origin, new URL(svc.url).origin, `a request to ${r.url}`);
  assert.ok(!loaded.some((r) => r.url.endsWith(crypto)), 'the encryption module is not loaded before login');
  const files = loaded.filter((r) => ['document', 'script', 'stylesheet'].includes(r.type));
  const gzip = files.reduce((n, r) => n + gzipSync(r.body).length, 0);
  const raw = files.reduce((n, r) => n + r.body.length, 0);
  process.stdout.write(`# front page before login: ${files.length} files, ${raw} bytes, ${gzip} bytes gzipped\n`);
  assert.ok(gzip <= FRONT_PAGE_LIMIT, `${gzip} bytes gzipped`);
  assert.deepEqual(log.filter((l) => /Content Security Policy|integrity|pageerror/i.test(l)), []);
  await context.close();
});

check('after login the encryption module loads once, with WebAssembly, and no CSP violation', async () => {
  const { crypto } = appFiles();
  const { context, page, log } = await newPage();
  const fetched = [];
  page.on('request', (req) => fetched.push(new URL(req.url()).pathname));
  await page.goto(svc.url);
  await svc.bankLogin(page);
  await page.locator('#session').waitFor({ state: 'visible' });
  await page.locator('main[data-crypto="ready"]').waitFor({ timeout: 60000 });
  assert.equal(fetched.filter((p) => p === `/${crypto}`).length, 1, 'the encryption module fetched once');
  assert.deepEqual(log.filter((l) => /Content Security Policy|violates|wasm|integrity|pageerror/i.test(l)), []);
  assert.equal(await page.locator('#crypto-error').count(), 0);
  await screenshot(page, 'logged-in-en.png');
  await context.close();
});

check('a tampered script or stylesheet is refused by the browser', async () => {
  const { main, css, preloads } = appFiles();
  for (const file of [main, ...preloads]) {
    await tampered(file, async () => {
      const { context, page, log } = await newPage();
      const refused = page.waitForEvent('console', (m) => /integrity/i.test(m.text()));
      await page.goto(svc.url);
      await refused;
      await page.waitForLoadState('load');
      assert.equal(await page.locator('#app').innerHTML(), '', `${file}: the app did not run`);
      assert.ok(log.some((l) => /integrity/i.test(l)), log.join('\n'));
      if (file === main) await screenshot(page, 'tampered-script.png');
      await context.close();
    });
  }
  await tampered(css, async () => {
    const { context, page } = await newPage();
    const refused = page.waitForEvent('console', (m) => /integrity/i.test(m.text()));
    await page.goto(svc.url);
    await refused;
    await page.getByText('The service is running').waitFor();
    // The app runs, but without its stylesheet: the page keeps the browser's own background.
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgba(0, 0, 0, 0)');
    await context.close();
  });
  // The untouched app has the stylesheet (the check above can fail).
  const { context, page } = await newPage();
  await page.goto(svc.url);
  await page.getByText('The service is running').waitFor();
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(250, 250, 250)');
  await context.close();
});

check('a tampered encryption module is refused after login and the citizen is told', async () => {
  const { crypto } = appFiles();
  await tampered(crypto, async () => {
    const { context, page, log } = await newPage();
    await page.goto(svc.url);
    await svc.bankLogin(page);
    await page.locator('main[data-crypto="failed"]').waitFor({ timeout: 60000 });
    const alert = page.getByRole('alert');
    assert.match(await alert.textContent(), /integrity check failed/);
    assert.ok(log.some((l) => /integrity/i.test(l)), log.join('\n'));
    await screenshot(page, 'tampered-crypto-en.png');
    await context.close();
  });
});

// Last: adviced stops on SIGTERM with exit status 0 and its log has no sanitizer report.
check('adviced exits 0 on SIGTERM with no sanitizer report in its log', async () => {
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
