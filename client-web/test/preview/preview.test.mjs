// preview.test.mjs - the citizen's logged-in views in a real browser (Debian's chromium via
// playwright-core from tests/e2e), on the preview page (fake controllers, fakes.tsx) served
// under the app's CSP with blob: images allowed: every view in Finnish, Swedish and English
// has no axe-core violation of the WCAG 2.0/2.1 A and AA rules, no sideways scrolling at
// 390x844 and no CSP violation; the forms show the error summary, files are checked with a
// preview and a held upload's progress, the session warning continues the session, a
// worker's answer is announced once without a time; a restricted thread says so and pauses
// the reply form; the consent panel in each state (none,
// given, handed over, withdrawn, failing) with its confirm step and the withdrawal's
// confirmation, by keyboard too; the privacy notice built from the register description
// (register.json), a hostile one refused or shown as text; screenshots (desktop and 390 px) go to
// ADVICE_PREVIEW_SHOTS (default: none). For speed, one browser and one page per language: each
// case starts the app afresh on that page (preview.show, no page load), its state is checked
// at desktop width and again at 390x844, and the type-check runs beside the browser.
//
//   node --test test/preview/preview.test.mjs     (from client-web; tests/e2e has npm ci'd)
import { test, before, after } from 'node:test';
import { execFile } from 'node:child_process';
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
const e2e = join(here, '..', '..', '..', 'tests', 'e2e');
const requireE2e = createRequire(join(e2e, 'package.json'));
const { chromium } = requireE2e('playwright-core');
const axeSource = readFileSync(requireE2e.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
// adviced's CSP (server/net/net_http.c) with blob: added to img-src for the previews.
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; " +
  "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };
const SHOTS = process.env.ADVICE_PREVIEW_SHOTS || null;

const ANSWERED = '000000000000000000000000000000a1';
const LOCKED = '000000000000000000000000000000a2';
const CLOSED = '000000000000000000000000000000a3';
const NEW = '000000000000000000000000000000a4';

const LANGS = ['fi', 'sv', 'en'];
const DESKTOP = { width: 1100, height: 900 };
const PHONE = { width: 390, height: 844 };

let dir, server, base, browser, typecheck;
/** The register description the server answers (register.json), or a test's own answer. */
const REGISTER = readFileSync(join(here, 'register.json'), 'utf8');
let registerAnswer = () => [200, REGISTER];
/** One page per language, kept open: each case is shown afresh on it (preview.show). */
const pages = {};

/** Type-checks the preview with the app in a child process, while the browser runs. */
function startTypecheck() {
  const tsc = join(here, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', join(here, 'tsconfig.json'), '--noEmit'], (err, stdout, stderr) =>
      resolve(err ? `${err.message}\n${stdout}${stderr}` : null));
  });
}

/** A page of the preview in `lang`, axe-core loaded; console and page errors are collected. */
async function openPage(lang) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused|error/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${base}?lang=${lang}#/threads`);
  await page.locator('main h1').first().waitFor();
  await page.evaluate(axeSource);
  return { context, page, problems, size: DESKTOP };
}

before(async () => {
  typecheck = startTypecheck();
  dir = mkdtempSync(join(tmpdir(), 'advice-preview-'));
  await buildPreview(dir);
  server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/api/v1/health') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-security-policy': CSP });
      return res.end('{"status":"ok"}');
    }
    if (path === '/api/v1/register') {
      const [status, body] = registerAnswer();
      res.writeHead(status, { 'content-type': 'application/json', 'content-security-policy': CSP });
      return res.end(body);
    }
    const file = path === '/' ? 'index.html' : path.slice(1);
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
  for (const lang of LANGS) pages[lang] = await openPage(lang);
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function resize(p, size) {
  if (p.size === size) return;
  await p.page.setViewportSize(size);
  p.size = size;
}

/**
 * The case `query` at `hash` on the page of `lang`, started afresh at desktop width (no page
 * load: the address's hash is set and the app started again on a new fake session).
 */
async function open(lang, query, hash) {
  const p = pages[lang];
  await resize(p, DESKTOP);
  p.problems.length = 0;
  await p.page.evaluate(([q, h]) => {
    history.replaceState(null, '', location.pathname + location.search + h);
    window.preview.show(q);
  }, [query, hash]);
  await p.page.locator('main h1').first().waitFor();
  return p;
}

async function axe(page) {
  const r = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), AXE_TAGS);
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Asserts that `selector` matches `n` elements, waiting for the view to draw them (a fake
 *  controller answers asynchronously, after the heading shows). */
async function expectCount(page, selector, n, what = selector) {
  await page.waitForFunction(([sel, want]) => document.querySelectorAll(sel).length === want, [selector, n], { timeout: 10000 })
    .catch(() => undefined);
  assert.equal(await page.locator(selector).count(), n, what);
}

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * Checks a view in every language; `act` brings it to the state, which is then checked at
 * desktop width and again at 390x844 (axe, no sideways scrolling, no console problem).
 */
async function checkView(name, query, hash, act = async () => {}) {
  for (const lang of LANGS) {
    const p = await open(lang, query, hash);
    const { page } = p;
    await act(page, lang);
    assert.deepEqual(await axe(page), [], `${name} ${lang} 1100px: axe`);
    if (lang === 'fi') await shot(page, `${name}-${lang}`);
    await resize(p, PHONE);
    assert.deepEqual(await axe(page), [], `${name} ${lang} 390px: axe`);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(wide <= 0, `${name} ${lang}: ${wide} px of sideways scrolling at 390 px`);
    assert.deepEqual(p.problems, [], `${name} ${lang}: console`);
    if (lang === 'fi' || lang === 'en') await shot(page, `${name}-${lang}-390`);
  }
}

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR42mNkYGD4z8DAwMDEwMDAAAAX9gH/2u7ftQAAAABJRU5ErkJggg==', 'base64');

test('my questions: the list, and the empty list that invites asking', async () => {
  await checkView('threads', '', '#/threads', async (page) => {
    await expectCount(page, '.thread-item', 4);
    assert.equal(await page.locator('[role="status"][class="conn-text"]').count(), 0, 'the connection line is quiet when open');
  });
  await checkView('threads-empty', 'empty=1', '#/threads', async (page) => {
    assert.equal(await page.locator('.thread-item').count(), 0);
    await page.locator('.empty').waitFor();
  });
});

test('a new question: topics, text, files checked with a preview, the error summary, progress', async () => {
  await checkView('ask', '', '#/ask');
  await checkView('ask-errors', '', '#/ask', async (page) => {
    await page.locator('button[type="submit"]').click();
    await page.locator('.error-summary').waitFor();
    await expectFocus(page, () => document.activeElement?.classList.contains('error-summary'), true, 'the summary is focused');
    await expectCount(page, '.error-summary li', 2);
    assert.match(await page.title(), /^(Virhe|Fel|Error): /);
    await page.locator('.error-summary a').nth(1).click();
    await expectFocus(page, () => document.activeElement?.id, 'ask-text', 'the link moves to its field');
  });
  await checkView('ask-files', 'upload=hold', '#/ask', async (page) => {
    await page.locator('input[name="category"]').first().check();
    await page.locator('#ask-text').fill('Voinko saada apua vuokran maksamiseen?');
    await page.locator('#ask-files').setInputFiles([
      { name: 'kuva.png', mimeType: 'image/png', buffer: PNG },
      { name: 'ohjelma.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ\x90\x00') },
    ]);
    await page.locator('.file-bad .field-error').waitFor();
    const img = page.locator('img.thumb');
    await img.waitFor();
    assert.match(await img.getAttribute('src'), /^blob:/);
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'the preview is shown under the CSP');
    await page.locator('button[type="submit"]').click();
    await page.locator('.error-summary').waitFor();
    await expectCount(page, '.error-summary li', 1, 'only the file problem');
    await page.locator('.file-bad button.link').click();
    await page.locator('button[type="submit"]').click();
    const progress = page.locator('.upload progress');
    await page.locator('.upload label').filter({ hasText: /\d %/ }).waitFor();
    assert.equal(await progress.count(), 1);
    const label = await page.locator('.upload label').textContent();
    assert.match(label, /kuva\.png/);
  });
  await checkView('ask-failed', 'upload=fail', '#/ask', async (page) => {
    await page.locator('input[name="category"]').first().check();
    await page.locator('#ask-text').fill('Kysymys');
    await page.locator('#ask-files').setInputFiles([{ name: 'kuva.png', mimeType: 'image/png', buffer: PNG }]);
    await page.locator('img.thumb').waitFor();
    await page.locator('button[type="submit"]').click();
    await page.locator('.upload-failed').waitFor();
    await page.locator('p.error[role="alert"]').waitFor();
  });
});

test('a new question is sent: its thread opens and the draft is gone', async () => {
  const { page } = await open('en', '', '#/ask');
  await page.locator('input[name="category"]').first().check();
  await page.locator('#ask-text').fill('Can I get help with the rent?');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(/#\/thread\/[0-9a-f]{32}$/);
  await page.locator('.msg.mine').filter({ hasText: 'Can I get help with the rent?' }).waitFor();
  await expectFocus(page, () => document.activeElement?.tagName, 'H1', 'focus on the new view\'s heading');
});

test('a thread: the answer, marks, unreadable, attachments, the live region, closing', async () => {
  await checkView('thread', '', `#/thread/${ANSWERED}`, async (page) => {
    await expectCount(page, '[role="log"] .msg.staff', 2);
    await expectCount(page, '[role="log"] .msg.unreadable', 1);
    await expectCount(page, '.mark', 1);
    await page.locator('.attachment button').filter({ hasText: /Näytä|Visa|Show/ }).click();
    const img = page.locator('img.attachment-image');
    await img.waitFor();
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'the image attachment shows under the CSP');
  });
  await checkView('thread-sending', '', `#/thread/${NEW}`, async (page) => {
    await expectCount(page, '.msg.sending', 2);
  });
  await checkView('thread-locked', '', `#/thread/${LOCKED}`);
  await checkView('thread-closed', '', `#/thread/${CLOSED}`, async (page) => {
    assert.equal(await page.locator('#reply-text').count(), 0, 'no reply to a closed thread');
    await expectCount(page, '.v2-line', 3, 'a correction, a request and a decision said so');
    await page.locator('.v2-line').first().filter({ hasText: /(Paperilomake puuttui ohjeesta\.)/ }).waitFor();
  });
  await checkView('thread-close', '', `#/thread/${ANSWERED}`, async (page) => {
    await page.locator('button').filter({ hasText: /^(Sulje kysymys|Stäng frågan|Close the question)$/ }).click();
    await page.locator('.confirm').waitFor();
    // The focus moves to the question once the confirmation is drawn (an effect after it).
    await page.waitForFunction(() => document.activeElement?.id === 'close-h', null, { timeout: 10000 });
  });

  const { page } = await open('en', '', `#/thread/${ANSWERED}`);
  const announcer = page.locator('#thread-announcer');
  // The thread is shown first: a message that comes before that is part of what the page opens.
  await expectCount(page, '[role="log"] .msg.staff', 2);
  assert.equal(await announcer.textContent(), '', 'nothing is announced on opening');
  await page.evaluate((t) => window.preview.push(t), ANSWERED);
  await page.locator('#thread-announcer').filter({ hasText: 'New message from Anna' }).waitFor();
  const said = await announcer.textContent();
  assert.doesNotMatch(said, /\d{1,2}[:.]\d{2}/, 'no clock in the live region');
  await expectCount(page, '[role="log"][aria-live="off"]', 1);
  await page.locator('button').filter({ hasText: 'Close the question' }).click();
  await page.locator('button').filter({ hasText: 'Yes, close it' }).click();
  await page.locator('p.notice').filter({ hasText: 'This question is closed' }).waitFor();
});

test('a restricted thread: what restriction means, replies paused with the reason, the draft kept, no closing', async () => {
  await checkView('thread-restricted', 'restricted=1', `#/thread/${ANSWERED}`, async (page, lang) => {
    const notice = page.locator('.restricted-notice');
    await notice.waitFor();
    assert.match(await notice.textContent(), { fi: /jäädytetty.*oikeudellisen vaatimuksen/s, sv: /frusen.*rättsligt anspråk/s, en: /frozen.*legal claim/s }[lang]);
    assert.ok(await page.locator('#reply-text').isDisabled(), 'the reply box is disabled');
    assert.ok(await page.locator('.reply button[type="submit"]').isDisabled(), 'so is its button');
    assert.match(await page.locator('#reply-paused').textContent(), { fi: /keskeytetty/, sv: /pausade/, en: /paused/ }[lang]);
    await expectCount(page, '[role="log"] .msg.staff', 2, 'the messages stay readable');
    assert.equal(await page.locator('button').filter({ hasText: /^(Sulje kysymys|Stäng frågan|Close the question)$/ }).count(), 0, 'no closing');
    await expectCount(page, '.consent', 0, 'no consent to give or withdraw');
  });
  // With the keyboard: the focus passes from the messages' links to what follows the disabled form.
  const { page } = await open('en', 'restricted=1', `#/thread/${ANSWERED}`);
  await page.locator('.restricted-notice').waitFor();
  await page.locator('main h1').focus();
  const seen = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    seen.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName));
  }
  assert.ok(!seen.includes('reply-text') && !seen.includes('reply-files'), `the disabled form takes no focus: ${seen.join(' ')}`);
});

test('notifications: the form, its checks and saving', async () => {
  await checkView('notify', '', '#/notifications');
  await checkView('notify-errors', '', '#/notifications', async (page) => {
    await page.locator('#notify-email').fill('not-an-address');
    await page.locator('#notify-phone').fill('12');
    await page.locator('button[type="submit"]').click();
    await page.locator('.error-summary').waitFor();
    await expectCount(page, '.error-summary li', 2);
    await expectCount(page, '#notify-email[aria-invalid="true"]', 1);
  });
  const { page } = await open('fi', '', '#/notifications');
  await page.locator('#notify-phone').fill('040 123 4567');
  await page.locator('button[type="submit"]').click();
  await page.locator('p.success').waitFor();
  assert.equal(await page.locator('#notify-phone').inputValue(), '+358401234567');
});

test('the connection line, the session warning and failed writes', async () => {
  await checkView('conn-reconnecting', 'conn=reconnecting', '#/threads', async (page) => {
    await page.locator('.conn-count').waitFor();
    assert.doesNotMatch(await page.locator('.conn [role="status"]').textContent(), /\d/, 'no countdown in the live region');
  });
  await checkView('conn-offline', 'conn=offline', '#/threads');
  await checkView('session-warning', 'warn=idle', '#/threads', async (page) => {
    await page.locator('dialog.session-warning[open]').waitFor();
    await expectFocus(page, () => document.querySelector('dialog.session-warning').contains(document.activeElement), true,
      'a warning there from the start has the focus');
  });
  await checkView('session-absolute', 'warn=absolute', '#/threads', async (page) => {
    await page.locator('dialog.session-warning[open]').waitFor();
  });
  await checkView('outbox-failed', 'outbox=1', '#/threads', async (page) => {
    await page.locator('.outbox-failed').waitFor();
  });
  for (const button of ['Try again', 'Discard']) {
    const { page } = await open('en', 'outbox=1', '#/threads');
    await page.locator('.outbox-failed button').filter({ hasText: button }).click();
    await page.locator('.outbox-failed').waitFor({ state: 'detached' });
  }

  const { page } = await open('en', 'warn=idle', '#/threads');
  await page.locator('dialog.session-warning[open]').waitFor();
  await page.locator('dialog button').filter({ hasText: 'Continue' }).click();
  await page.locator('dialog.session-warning[open]').waitFor({ state: 'detached' });
  assert.equal(await page.locator('dialog.session-warning').evaluate((d) => d.open), false);
});

test('the session warning takes the focus, keeps it while open, and gives it back on Continue', async () => {
  for (const lang of LANGS) {
    const { page } = await open(lang, '', `#/thread/${ANSWERED}`);
    await page.locator('#reply-text').focus();
    await page.keyboard.type('Kesken');
    await page.evaluate(() => window.preview.warn());
    const dialog = page.locator('dialog.session-warning[open]');
    await dialog.waitFor();
    const inDialog = () => document.querySelector('dialog.session-warning').contains(document.activeElement);
    await expectFocus(page, inDialog, true, `${lang}: the dialog has the focus`);
    const outside = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press(i % 2 ? 'Shift+Tab' : 'Tab');
      await page.keyboard.press('Tab');
      const where = await page.evaluate(() => {
        const a = document.activeElement;
        return a === null || a === document.body || document.querySelector('dialog.session-warning').contains(a) ? null : a.outerHTML.slice(0, 80);
      });
      if (where !== null) outside.push(where);
    }
    assert.deepEqual(outside, [], `${lang}: the focus stays in the modal dialog`);
    await dialog.locator('button').first().click();
    await dialog.waitFor({ state: 'detached' });
    await expectFocus(page, () => document.activeElement?.id, 'reply-text', `${lang}: Continue gives the focus back`);
    assert.equal(await page.locator('#reply-text').inputValue(), 'Kesken');
  }
  // Escape dismisses it too, and the focus goes back.
  const { page } = await open('en', '', '#/ask');
  await page.locator('#ask-text').focus();
  await page.evaluate(() => window.preview.warn());
  await page.locator('dialog.session-warning[open]').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('dialog.session-warning[open]').waitFor({ state: 'detached' });
  await expectFocus(page, () => document.activeElement?.id, 'ask-text', 'Escape gives the focus back');
});

test('the key views are in place: setup while keys are not ready, the devices page', async () => {
  await checkView('keys-new-device', 'keys=new-device', '#/threads');
  await checkView('keys-code', 'keys=first-login', '#/threads', async (page) => {
    await page.locator('.keys-step button.btn').first().click();
    const code = page.locator('.recovery-code');
    await code.waitFor();
    await expectCount(page, '.recovery-code span', 7, 'seven groups');
    assert.equal(await code.textContent(), 'K7M2Q-9XJ4T-PW3RB-HC8NZ-4FDL6-TQ9VA-M2YE5', 'the text has its hyphens');
    const group = page.locator('[role="group"]').filter({ has: code });
    assert.match(await group.evaluate((g) => document.getElementById(g.getAttribute('aria-labelledby')).textContent), /^(Palautuskoodi|Återställningskod|Recovery code)$/);
    assert.equal(await code.evaluate((c) => c.tagName), 'CODE');
    const copied = await page.evaluate(() => {
      const sel = getSelection();
      sel.selectAllChildren(document.querySelector('.recovery-code'));
      const text = sel.toString();
      sel.removeAllRanges();
      return text;
    });
    assert.equal(copied, 'K7M2Q-9XJ4T-PW3RB-HC8NZ-4FDL6-TQ9VA-M2YE5', 'a selection copies the code as typed');
  });
  await checkView('devices', '', '#/devices');
});

const SHOW_REPORT = /^(Näytä raportti|Visa rapporten|Show the report)$/;
const PREPARE = /^(Valmistele lataus|Förbered nedladdningen|Prepare the download)$/;

async function showReport(page) {
  await page.locator('button').filter({ hasText: SHOW_REPORT }).click();
  await page.locator('.mydata-report').waitFor();
}

test('your data: the log report as text, its checks, and the print view', async () => {
  await checkView('mydata', '', '#/mydata', async (page) => {
    await expectCount(page, '.rights-item', 3);
    await expectCount(page, '.rights-threads li', 4);
    await expectCount(page, '.decision', 1);
  });
  await checkView('mydata-report', 'report=long', '#/mydata', async (page) => {
    await showReport(page);
    await expectCount(page, '.log-row', 6);
    assert.equal(await page.locator('.log-list b').count(), 0, 'markup from the server stays text');
    await page.locator('.log-row dd').filter({ hasText: '<b>unit.rekey</b>' }).waitFor();
    await page.locator('.mydata-report .notice').waitFor();
  });
  await checkView('mydata-report-errors', '', '#/mydata', async (page) => {
    await page.locator('#period-custom').check();
    await page.locator('#report-to').fill('');
    await showReportErrors(page, 2);
    await page.locator('#report-from').fill('2019-01-01');
    await page.locator('#report-to').fill('2026-01-01');
    await showReportErrors(page, 1);
    assert.match(await page.locator('.error-summary').textContent(), /(rekisterinpitäjältä|personuppgiftsansvarige|register keeper)/);
  });

  // Print: only the report, with its period and the print date; no navigation, no buttons.
  const { page } = await open('en', '', '#/mydata');
  await showReport(page);
  await page.evaluate(() => {
    window.printed = 0;
    window.print = () => void window.printed++;
  });
  await page.locator('button').filter({ hasText: 'Print the report' }).click();
  assert.equal(await page.evaluate(() => window.printed), 1, 'Print calls window.print');
  await page.emulateMedia({ media: 'print' });
  try {
    assert.equal(await page.locator('nav.citizen-nav').isVisible(), false, 'no navigation in print');
    assert.equal(await page.locator('main button:visible').count(), 0, 'no buttons in print');
    assert.match(await page.locator('#report-h').textContent(), /^Log report \d{1,2}\/\d{1,2}\/\d{4}–\d{1,2}\/\d{1,2}\/\d{4}$/);
    assert.equal(await page.locator('.mydata-report .print-only').first().isVisible(), true, 'the print date shows');
    assert.match(await page.locator('.mydata-report .print-only').first().textContent(), /^Printed on /);
    if (SHOTS) await page.pdf({ path: join(SHOTS, 'mydata-print-en.pdf') }).catch(() => undefined);
    await shot(page, 'mydata-print-en');
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
});

async function showReportErrors(page, n) {
  await page.locator('button').filter({ hasText: SHOW_REPORT }).click();
  await page.locator('.error-summary').waitFor();
  await expectCount(page, '.error-summary li', n);
  await expectFocus(page, () => document.activeElement?.classList.contains('error-summary'), true, 'the summary is focused');
}

test('your data: the export with its progress, cancel, and the download when done', async () => {
  await checkView('mydata-export-progress', 'export=hold', '#/mydata', async (page) => {
    await page.locator('button').filter({ hasText: PREPARE }).click();
    await page.locator('.export-progress label').filter({ hasText: /1\D+4/ }).waitFor();
    assert.equal(await page.locator('#export-progress').getAttribute('max'), '4');
  });
  await checkView('mydata-export-done', '', '#/mydata', async (page) => {
    await page.locator('button').filter({ hasText: PREPARE }).click();
    const link = page.locator('a.download-link');
    await link.waitFor();
    assert.match(await link.getAttribute('href'), /^blob:/);
    assert.match(await link.getAttribute('download'), /^(omat-tiedot|mina-uppgifter|my-data)-\d{4}-\d{2}-\d{2}\.zip$/);
    await page.locator('.export-done p').filter({ hasText: /1/ }).first().waitFor();
  });
  const { page } = await open('en', 'export=hold', '#/mydata');
  await page.locator('button').filter({ hasText: 'Prepare the download' }).click();
  await page.locator('.export-progress').waitFor();
  await page.locator('button').filter({ hasText: 'Cancel' }).click();
  await page.locator('.export-status .notice').filter({ hasText: 'The download was cancelled.' }).waitFor();
  const fail = await open('en', 'export=fail', '#/mydata');
  await fail.page.locator('button').filter({ hasText: 'Prepare the download' }).click();
  await fail.page.locator('.export-status .error').waitFor();
});

test('your data: a rights request from the thread, its form with errors, erasure as it applies, sent by keyboard', async () => {
  await checkView('rights-form-errors', '', `#/mydata/${ANSWERED}`, async (page) => {
    await page.locator('button[type="submit"]').click();
    await page.locator('.error-summary').waitFor();
    await expectCount(page, '.error-summary li', 2);
    await page.locator('#rights-kind-correction').check();
    await page.locator('button[type="submit"]').click();
    await expectCount(page, '.error-summary li', 2);
    await expectCount(page, 'input[name="rights-msg"]', 3);
    await page.locator('.error-summary a').first().click();
    await expectFocus(page, () => document.activeElement?.id, 'rights-msg-first', 'the link moves to the messages');
  });
  await checkView('rights-form-erasure', '', `#/mydata/${CLOSED}`, async (page) => {
    await page.locator('#rights-kind-erasure-hint').filter({ hasText: /(17|31\.12\.2038|2038)/ }).waitFor();
    assert.match(await page.locator('#rights-kind-erasure-hint').textContent(), /2038/, 'kept until');
  });
  await checkView('rights-restricted', '', `#/mydata/${LOCKED}`, async (page) => {
    await page.locator('p.notice').waitFor();
    assert.equal(await page.locator('#rights-text').count(), 0, 'no request form in a restricted question');
  });
  await checkView('rights-form-open', '', `#/mydata/${ANSWERED}`, async (page) => {
    assert.doesNotMatch(await page.locator('#rights-kind-erasure-hint').textContent(), /17/, 'never handed over: erasure can be done');
  });

  // From the thread's page to its request form; then only the keyboard.
  const { page } = await open('en', '', `#/thread/${ANSWERED}`);
  await page.locator('a').filter({ hasText: 'Ask for data to be corrected, restricted or erased' }).click();
  await page.waitForURL(new RegExp(`#/mydata/${ANSWERED}$`));
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1', null, { timeout: 10000 });
  for (let i = 0; i < 40 && (await page.evaluate(() => document.activeElement?.name)) !== 'rights-kind'; i++) await page.keyboard.press('Tab');
  await expectFocus(page, () => document.activeElement?.name, 'rights-kind', 'the kinds are reached by Tab');
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowDown'); // restriction
  assert.equal(await page.locator('#rights-kind-restriction').isChecked(), true);
  await page.keyboard.press('Tab');
  await expectFocus(page, () => document.activeElement?.id, 'rights-text');
  await page.keyboard.type('Please do not use my data while the mistake is checked.');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('.success h2').filter({ hasText: 'Your request has been sent' }).waitFor();
  await page.waitForFunction(() => document.activeElement?.tagName === 'H2', null, { timeout: 10000 });
  assert.deepEqual(await axe(page), [], 'sent: axe');
  await shot(page, 'rights-sent-en');
});

test('logging out leaves the logged-in pages', async () => {
  const { page } = await open('en', '', '#/threads');
  await page.locator('nav.citizen-nav button').click();
  await page.locator('p.success').filter({ hasText: 'You have logged out.' }).waitFor();
  assert.equal(await page.locator('nav.citizen-nav').count(), 0);
});

test('consent in a thread: what it means, the confirm step, the error summary, the states', async () => {
  const panel = '.consent';
  await checkView('consent-none', '', `#/thread/${ANSWERED}`, async (page) => {
    await page.locator(`${panel} form`).waitFor();
    assert.equal(await page.locator('#consent-confirm').isChecked(), false, 'not ticked beforehand');
    await expectCount(page, `${panel} .consent-facts dd`, 2, 'the recipient system and the scope');
    assert.match(await page.locator(`${panel} div.register-text`).textContent(), /\n/, 'the consent text with its line breaks, as text');
    await page.locator(panel).scrollIntoViewIfNeeded();
  });
  await checkView('consent-errors', 'consent=fail', `#/thread/${ANSWERED}`, async (page, lang) => {
    await page.locator('#consent-give').click();
    await page.locator(`${panel} .error-summary`).waitFor();
    await expectFocus(page, () => document.activeElement?.classList.contains('error-summary'), true, 'the summary is focused');
    assert.match(await page.title(), /^(Virhe|Fel|Error): /);
    await expectCount(page, '#consent-confirm[aria-invalid="true"]', 1);
    await page.locator(`${panel} .error-summary a`).click();
    await expectFocus(page, () => document.activeElement?.id, 'consent-confirm', 'the link moves to the checkbox');
    // Ticked and sent, the server unreachable: the reason in the summary, the tick kept.
    await page.keyboard.press('Space');
    await page.locator('#consent-give').click();
    await page.locator(`${panel} .error-summary a[href="#consent-give"]`).waitFor();
    assert.equal(await page.locator('#consent-confirm').isChecked(), true, `${lang}: nothing lost`);
    assert.equal(await page.locator('#consent-state').count(), 0, 'no state claimed');
  });
  await checkView('consent-given', 'consent=given', `#/thread/${ANSWERED}`, async (page) => {
    await page.locator('#consent-state.success').waitFor();
    assert.match(await page.locator('#consent-state').textContent(), /2026/);
    await expectCount(page, `${panel} form`, 0);
  });
  await checkView('consent-withdraw', 'consent=handed', `#/thread/${ANSWERED}`, async (page) => {
    await page.locator('#consent-state.success').waitFor();
    await page.locator(`${panel} button.secondary`).click();
    await page.locator(`${panel} .confirm`).waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'consent-withdraw-h', null, { timeout: 10000 });
    await expectCount(page, `${panel} .confirm p`, 4, 'does, does not, whom to contact, the contact');
  });
  await checkView('consent-withdrawn', 'consent=withdrawn', `#/thread/${ANSWERED}`, async (page) => {
    await page.locator('#consent-state.notice').waitFor();
    await page.locator(`${panel} form`).waitFor();
  });
});

test('consent by keyboard alone: tick, give, then withdraw; the new state is read out', async () => {
  const { page } = await open('en', '', `#/thread/${ANSWERED}`);
  await page.locator('#consent-confirm').waitFor();
  await page.locator('#consent-confirm').focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await expectFocus(page, () => document.activeElement?.id, 'consent-give');
  await page.keyboard.press('Enter');
  await page.locator('#consent-state').filter({ hasText: /^You gave your consent on \d+ December 2026\. The conversation will be saved/ }).waitFor();
  await page.waitForFunction(() => document.activeElement?.classList.contains('consent-state'), null, { timeout: 10000 });
  await page.keyboard.press('Tab');
  await expectFocus(page, () => document.activeElement?.textContent, 'Withdraw consent');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'consent-withdraw-h', null, { timeout: 10000 });
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('#consent-state.notice').filter({ hasText: /^You withdrew your consent on/ }).waitFor();
  await page.locator('#consent-confirm').waitFor();
  assert.equal(await page.locator('#consent-confirm').isChecked(), false, 'giving again starts unticked');
});

test('the privacy notice from the register description: every section, three languages', async () => {
  await checkView('privacy', '', '#/privacy', async (page, lang) => {
    await page.locator('#privacy-demo').waitFor();
    await expectCount(page, 'main h2', 14, `${lang}: demo, controller, dpo, purposes, data, subjects, sources, recipients, processors, ` +
      'transfers, retention, rights, complaint, security');
    await expectCount(page, '.purposes > li', 2);
    await expectCount(page, '#privacy-retention-h ~ ul li', 2, 'each retention rule');
    assert.match(await page.locator('main').textContent(), /tietosuoja@om\.fi/);
    assert.equal(await page.locator('main a[href="#/mydata"]').count(), 1, 'the link to Your data');
    assert.equal(await page.locator('footer a[href="#/privacy"]').count(), 1, 'linked from the footer');
  });
  // Logged out, the front page's footer links it too; the page shows without a session.
  const { page } = await open('sv', '', '#/');
  await page.locator('nav.citizen-nav button').click();
  await page.locator('footer a[href="#/privacy"]').click();
  await page.locator('#privacy-controller-h').waitFor();
  assert.equal(await page.locator('main h1').textContent(), 'Dataskyddsbeskrivning');
});

/** A page of its own (the register is fetched once per page) whose server answers `answer`. */
async function freshPage(answer, hash) {
  registerAnswer = answer;
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${base}?lang=en${hash}`);
  await page.locator('main h1').first().waitFor();
  await page.evaluate(axeSource);
  return { context, page, problems };
}

test('a hostile register description: refused when of another shape, shown as text when it is markup', async () => {
  try {
    const doc = JSON.parse(REGISTER);
    doc.controller.name = { html: '<b>x</b>' };
    const bad = await freshPage(() => [200, JSON.stringify(doc)], '#/privacy');
    await bad.page.locator('main .error[role="alert"]').waitFor();
    await bad.page.locator('#privacy-complain-h').waitFor();
    assert.equal(await bad.page.locator('#privacy-purposes-h').count(), 0, 'nothing of the refused document');
    assert.deepEqual(await axe(bad.page), []);
    await shot(bad.page, 'privacy-refused-en');
    // Retry after the server is fixed.
    registerAnswer = () => [200, REGISTER];
    await bad.page.locator('main button.secondary').click();
    await bad.page.locator('#privacy-purposes-h').waitFor();
    await bad.context.close();

    const markup = JSON.parse(REGISTER);
    markup.controller.name = { en: '<img src=x onerror="alert(1)"><script>alert(2)</script>' };
    markup.consent.text = { en: '<a href="javascript:alert(3)">Click</a>' };
    const { context, page, problems } = await freshPage(() => [200, JSON.stringify(markup)], '#/privacy');
    await page.locator('#privacy-controller-h').waitFor();
    assert.equal(await page.locator('main img, main script').count(), 0, 'no element made of the text');
    await page.locator('main dd').filter({ hasText: '<img src=x onerror="alert(1)"><script>alert(2)</script>' }).waitFor();
    assert.equal(await page.locator('main dd[lang="en"]').count(), 0, 'in the page language: no lang mark');
    await page.evaluate((t) => {
      history.replaceState(null, '', location.pathname + location.search + `#/thread/${t}`);
      window.preview.show('');
    }, ANSWERED);
    await page.locator('.consent div.register-text').filter({ hasText: '<a href="javascript:alert(3)">Click</a>' }).waitFor();
    assert.equal(await page.locator('.consent a').count(), 0);
    assert.deepEqual(problems, []);
    await context.close();

    // A text only in Finnish on the English page is marked as Finnish.
    const fiOnly = JSON.parse(REGISTER);
    fiOnly.dpo.name = { fi: 'Tietosuojavastaava' };
    const fb = await freshPage(() => [200, JSON.stringify(fiOnly)], '#/privacy');
    await fb.page.locator('main dd[lang="fi"]').filter({ hasText: 'Tietosuojavastaava' }).waitFor();
    assert.deepEqual(await axe(fb.page), []);
    await fb.context.close();
  } finally {
    registerAnswer = () => [200, REGISTER];
  }
});

test('the preview and the app type-check together (the fakes implement the contract)', async () => {
  assert.equal(await typecheck, null);
});
