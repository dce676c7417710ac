// preview.test.mjs - the staff page's login views in a real browser (Debian's chromium via
// playwright-core from tests/e2e) on the preview page (a fake auth controller, preview.tsx)
// served under the app's CSP: every view in Finnish, Swedish and English has no axe-core
// violation of the WCAG 2.0/2.1 A and AA rules at 1280 px and at 390x844, no sideways scrolling
// at 390 px and no CSP violation; the forms' own checks show the error summary, focused, with
// links to the fields; the QR code is drawn; the workspace stays mounted under the lock.
// Screenshots (1280 and 390 px) go to ADVICE_PREVIEW_SHOTS (default: none).
//
//   node --test test/preview-login/preview.test.mjs     (from client-web; tests/e2e has npm ci'd)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectFocus } from '../focus.mjs';
import { buildPreview } from './build-preview.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const requireE2e = createRequire(join(here, '..', '..', '..', 'tests', 'e2e', 'package.json'));
const { chromium } = requireE2e('playwright-core');
const axeSource = readFileSync(requireE2e.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
// adviced's CSP (server/net/net_http.c).
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; " +
  "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };
const SHOTS = process.env.ADVICE_PREVIEW_SHOTS || null;
const LANGS = ['fi', 'sv', 'en'];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let dir, server, base, browser;
const pages = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'advice-preview-login-'));
  await buildPreview(dir);
  server = createServer((req, res) => {
    const file = new URL(req.url, 'http://x').pathname.slice(1) || 'index.html';
    let body;
    try {
      if (file.includes('/') || file.includes('..')) throw new Error('no');
      body = readFileSync(join(dir, file));
    } catch {
      res.writeHead(404, { 'content-security-policy': CSP });
      return res.end();
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  for (const lang of LANGS) {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused|error/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(`${base}?lang=${lang}`);
    await page.locator('main h1').first().waitFor();
    await page.evaluate(axeSource);
    pages[lang] = { page, problems };
  }
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function axe(page) {
  const r = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), AXE_TAGS);
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The view of `query` in every language, brought to its state by `act`, checked at 1280 and 390 px. */
async function checkView(name, query, act = async () => {}) {
  for (const lang of LANGS) {
    const { page, problems } = pages[lang];
    problems.length = 0;
    await page.setViewportSize(DESKTOP);
    await page.evaluate((q) => window.preview.show(q), query);
    await page.locator('main h1').first().waitFor();
    await act(page, lang);
    assert.deepEqual(await axe(page), [], `${name} ${lang} 1280px: axe`);
    await shot(page, `staff-${name}-${lang}`);
    await page.setViewportSize(PHONE);
    assert.deepEqual(await axe(page), [], `${name} ${lang} 390px: axe`);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(wide <= 0, `${name} ${lang}: ${wide} px of sideways scrolling at 390 px`);
    assert.deepEqual(problems, [], `${name} ${lang}: console`);
    await shot(page, `staff-${name}-${lang}-390`);
  }
}

/** Submits the form empty: the summary shows, focused, its links lead to the fields. */
async function emptySubmit(page, n) {
  await page.locator('main form button[type="submit"]').click();
  await page.locator('.error-summary').waitFor();
  await expectFocus(page, () => document.activeElement?.classList.contains('error-summary'), true, 'the summary is focused');
  assert.equal(await page.locator('.error-summary li').count(), n);
  const target = await page.locator('.error-summary a').first().getAttribute('href');
  await page.locator('.error-summary a').first().click();
  await expectFocus(page, () => '#' + document.activeElement?.id, target, 'the link moves to its field');
  assert.equal(await page.locator(`${target}[aria-invalid="true"]`).count(), 1);
}

test('the login: username and password, the server\'s wait, the form\'s own checks, the first login\'s start', async () => {
  await checkView('login', 'state=login', async (page) => {
    assert.equal(await page.locator('#username[autocomplete="username"]').count(), 1);
    assert.equal(await page.locator('#password[autocomplete="current-password"][type="password"]').count(), 1);
  });
  await checkView('login-locked', 'state=login&err=1', async (page) => {
    await page.locator('.error-summary').waitFor();
    assert.match(await page.locator('.error-summary').innerText(), /5/);
  });
  await checkView('login-empty', 'state=login', (page) => emptySubmit(page, 2));
  await checkView('setup-start', 'state=setup-start', async (page) => {
    await page.locator('#setup-code').waitFor();
    await page.locator('#username').fill('maija');
    await page.locator('#setup-code').fill('ABCD EFGH');
    await page.locator('main form button[type="submit"]').click();
    await page.locator('#setup-code-error').waitFor();
  });
});

test('the code, the new password, the authenticator with its QR code', async () => {
  await checkView('totp', 'state=totp', async (page) => {
    assert.equal(await page.locator('#totp[autocomplete="one-time-code"][inputmode="numeric"]').count(), 1);
  });
  await checkView('totp-wrong', 'state=totp&err=1', (page) => page.locator('#totp-error').waitFor());
  await checkView('setup-password', 'state=setup-password', async (page) => {
    await page.locator('#new-password').fill('lyhyt');
    await page.locator('#new-password-again').fill('lyhyt');
    await page.locator('main form button[type="submit"]').click();
    await page.locator('#new-password-error').waitFor();
    assert.equal(await page.locator('#new-password[autocomplete="new-password"]').count(), 1);
  });
  await checkView('setup-totp', 'state=setup-totp', async (page) => {
    await page.locator('.qr-box svg path').waitFor({ state: 'attached' });
    const d = await page.locator('.qr-box svg path').getAttribute('d');
    assert.ok(d.length > 1000, 'the QR code is drawn');
    assert.equal(await page.locator('.totp-secret').innerText(), 'JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
  });
  await checkView('setup-totp-wrong', 'state=setup-totp&err=1', (page) => page.locator('#first-code-error').waitFor());
});

test('the password change, the waiting states, the failure', async () => {
  await checkView('change-password', 'state=change-password', (page) => emptySubmit(page, 3));
  await checkView('change-password-wrong', 'state=change-password&err=1', (page) => page.locator('.error-summary').waitFor());
  await checkView('keys-loading', 'state=keys-loading');
  await checkView('awaiting', 'state=awaiting', async (page) => {
    assert.equal((await page.locator('.fingerprint').innerText()).replace(/\s+/g, ' '), '3f2a 9c01 77be 0d4e a1c9 5b62 e803 44f7');
  });
  await checkView('failed', 'state=failed');
});

test('the lock screen over the workspace, kept mounted and inert; the password change from the workspace', async () => {
  await checkView('locked', 'state=ready', async (page) => {
    await page.locator('.staff-tools button').nth(1).click(); // "Lock"
    await page.locator('#lock-password').waitFor();
    assert.equal(await page.locator('.staff-work[hidden][inert]').count(), 1, 'the workspace is kept, hidden and inert');
  });
  await checkView('locked-wrong', 'state=locked&err=1', (page) => page.locator('#lock-password-error').waitFor());
  await checkView('change-logged-in', 'state=change', async (page) => {
    await page.locator('#current-password').waitFor();
    assert.equal(await page.locator('.staff-work[hidden]').count(), 1);
  });
});
