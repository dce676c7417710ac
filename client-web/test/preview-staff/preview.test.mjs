// preview.test.mjs - the staff workspace in a real browser (Debian's chromium via playwright-core
// from tests/e2e) on the staff preview page (fake controllers, fakes.tsx) served under the
// app's CSP with blob: images allowed: every view in Finnish, Swedish and English at 1280 px
// and 390x844 has no axe-core violation of the WCAG 2.0/2.1 A and AA rules, no sideways
// scrolling at 390 px and no CSP or page error; deadlines are words as well as colour; the
// identity shows only on request; the collision guard warns before claiming and sending and
// announces a colleague writing; the forms show the error summary; a worker claims and answers
// with the keyboard alone and dialogs keep and give back the focus; the tab title counts new
// questions; corrections keep both versions (struck through with a label, the corrector, date
// and reason), rights requests are flagged in words and decided with a reason (the confirmation
// takes the focus; a granted restriction freezes the open thread at once), and a restricted
// thread is frozen until read for a legal claim with a reason. Screenshots go to ADVICE_PREVIEW_SHOTS (default: none).
//
//   node --test test/preview-staff/preview.test.mjs     (from client-web; tests/e2e has npm ci'd)
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
import { buildStaffPreview } from './build-preview.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const requireE2e = createRequire(join(here, '..', '..', '..', 'tests', 'e2e', 'package.json'));
const { chromium } = requireE2e('playwright-core');
const axeSource = readFileSync(requireE2e.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
// adviced's CSP (server/net/net_http.c) with blob: added to img-src for the previews.
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; " +
  "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };
const SHOTS = process.env.ADVICE_PREVIEW_SHOTS || null;
const LANGS = ['fi', 'sv', 'en'];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

const hex = (n) => n.toString(16).padStart(32, '0');
const T_NEW = hex(0xc1);
const T_RISK = hex(0xc2);
const T_MINE = hex(0xc4);
const T_CLOSED = hex(0xc7);
const T_LOCKED = hex(0xc8);
const T_GONE = hex(0xc9);
const T_WAITING = hex(0xc5);
const T_RESTRICTED = hex(0xca);
const T_RIGHTS = hex(0xcb);
const T_TO_RESTRICT = hex(0xcc);

let dir, server, base, browser, typecheck;
const pages = {};

function startTypecheck() {
  const tsc = join(here, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', join(here, 'tsconfig.json'), '--noEmit'], (err, stdout, stderr) =>
      resolve(err ? `${err.message}\n${stdout}${stderr}` : null));
  });
}

function serve(req, res) {
  const path = new URL(req.url, 'http://x').pathname;
  const file = path === '/' ? 'index.html' : path.slice(1);
  if (file.includes('/') || file.includes('..')) {
    res.writeHead(404, { 'content-security-policy': CSP });
    return res.end();
  }
  try {
    const body = readFileSync(join(dir, file));
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-security-policy': CSP });
    res.end();
  }
}

async function openPage(lang) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused|error/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${base}?lang=${lang}#/queue`);
  await page.locator('main h1').first().waitFor();
  await page.evaluate(axeSource);
  return { context, page, problems, size: DESKTOP };
}

before(async () => {
  typecheck = startTypecheck();
  dir = mkdtempSync(join(tmpdir(), 'advice-staff-preview-'));
  await buildStaffPreview(dir);
  server = createServer(serve);
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

/** The case `query` at `hash` on the page of `lang`, started afresh at desktop width. */
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

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function expectCount(page, selector, n, what = selector) {
  await page.waitForFunction(([sel, want]) => document.querySelectorAll(sel).length === want, [selector, n], { timeout: 10000 })
    .catch(() => undefined);
  assert.equal(await page.locator(selector).count(), n, what);
}

/** Checks a view in every language at 1280 px and 390 px (axe, no sideways scrolling, no
 *  console problem); `act` brings it to the state. Screenshots: every language at both widths. */
async function checkView(name, query, hash, act = async () => {}) {
  for (const lang of LANGS) {
    const p = await open(lang, query, hash);
    const { page } = p;
    await act(page, lang);
    assert.deepEqual(await axe(page), [], `${name} ${lang} 1280px: axe`);
    await shot(page, `staff-${name}-${lang}`);
    await resize(p, PHONE);
    assert.deepEqual(await axe(page), [], `${name} ${lang} 390px: axe`);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(wide <= 0, `${name} ${lang}: ${wide} px of sideways scrolling at 390 px`);
    assert.deepEqual(p.problems, [], `${name} ${lang}: console`);
    await shot(page, `staff-${name}-${lang}-390`);
  }
}

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR42mNkYGD4z8DAwMDEwMDAAAAX9gH/2u7ftQAAAABJRU5ErkJggg==', 'base64');

test('the queue: views with counts, deadlines in words, filters, a worker without the supervisor pages', async () => {
  await checkView('queue', '', '#/queue', async (page, lang) => {
    await expectCount(page, 'table.queue-table tbody tr', 3, 'three new questions');
    await page.locator('table caption').waitFor();
    assert.equal(await page.locator('table th[scope="col"]').count(), 6);
    const words = await page.locator('.dl').allTextContents();
    const want = { fi: /myöhässä/, sv: /Försenad/, en: /Overdue by 1 working day/ }[lang];
    assert.ok(words.some((w) => want.test(w)), `${lang}: an overdue deadline in words: ${words}`);
    assert.ok(words.some((w) => /(tänään|i dag|Due today)/.test(w)), `${lang}: due today in words`);
  });
  await checkView('queue-all', '', '#/queue', async (page) => {
    await page.locator('.view-button').nth(4).click();
    await expectCount(page, 'table.queue-table tbody tr', 7, 'every open thread');
    await page.locator('#queue-sort').selectOption('oldest');
    await page.locator('#queue-category').selectOption('family');
    await expectCount(page, 'table.queue-table tbody tr', 3, 'the family queue');
  });
  await checkView('mine', '', '#/mine', async (page) => {
    await expectCount(page, 'table.queue-table tbody tr', 3, 'my open threads');
    assert.equal(await page.locator('.view-button[aria-pressed="true"]').count(), 1);
  });
  await checkView('queue-empty', 'empty=1', '#/queue', async (page) => {
    await page.locator('p.empty').waitFor();
  });
  await checkView('queue-worker', 'role=worker', '#/overview', async (page) => {
    await expectCount(page, '.staff-nav li', 2, 'a worker has the queue and their own only');
    assert.equal(await page.locator('.staff-page').getAttribute('data-route'), 'queue', 'a supervisor page falls back to the queue');
  });
});

test('the tab title counts new questions until the queue is seen; the sound is off by default', async () => {
  const { page } = await open('en', '', '#/overview');
  assert.equal(await page.locator('#queue-sound').count(), 0);
  await page.evaluate(() => window.preview.arrive());
  await page.waitForFunction(() => document.title.startsWith('(1) New questions'));
  await page.evaluate(() => window.preview.arrive());
  await page.waitForFunction(() => document.title.startsWith('(2) New questions'));
  await page.locator('.staff-nav a').first().click();
  await page.waitForFunction(() => !document.title.startsWith('('));
  await expectFocus(page, () => document.activeElement?.tagName, 'H1', 'the focus moves to the new page\'s heading');
  assert.equal(await page.locator('#queue-sound').isChecked(), false, 'no sound until asked');
  await page.locator('#queue-sound').check();
  await page.evaluate(() => window.preview.arrive());
  await expectCount(page, 'table.queue-table tbody tr', 6, 'the arrivals are listed');
});

test('a thread: messages, unreadable, gap, new identity, attachments, identity on request, notes', async () => {
  await checkView('thread-mine', '', `#/thread/${T_MINE}`, async (page, lang) => {
    await expectCount(page, '[role="log"] .msg.unreadable', 1);
    await expectCount(page, '.mark', 1, 'the message after the gap is marked');
    await expectCount(page, '.notes-panel .note', 4);
    assert.match(await page.locator('.internal-banner').textContent(), /(asiakkaalle|klienten|client)/);
    assert.equal(await page.locator('.hetu').count(), 0, 'the identity is hidden until asked');
    await page.locator('.identity button').click();
    await page.locator('.hetu').waitFor();
    await page.locator('.attachment button').filter({ hasText: /Näytä|Visa|Show/ }).click();
    const img = page.locator('img.attachment-image');
    await img.waitFor();
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'the image shows under the CSP');
    await page.locator('.attachment button').first().click();
    await page.locator('.attachment .field-error').waitFor();
    assert.match(await page.locator('.attachment .field-error').textContent(), { fi: /ei ole/, sv: /inte/, en: /not what it claims/ }[lang]);
    await page.locator('.presence').waitFor();
  });
  await checkView('thread-new', '', `#/thread/${T_NEW}`, async (page) => {
    await page.locator('#claim').waitFor();
    assert.equal(await page.locator('#answer-text').count(), 0, 'no answer before claiming');
  });
  await checkView('thread-closed', '', `#/thread/${T_CLOSED}`);
  await checkView('thread-locked', '', `#/thread/${T_LOCKED}`);
  await checkView('thread-gone', '', `#/thread/${T_GONE}`, async (page) => {
    await page.locator('.staff-page a[href="#/queue"]').waitFor();
  });
});

test('the collision guard: a warning before claiming and sending, a colleague writing announced', async () => {
  await checkView('thread-claim-warning', '', `#/thread/${T_RISK}`, async (page) => {
    await page.locator('#claim').click();
    await page.locator('dialog.staff-dialog[open]').waitFor();
  });
  const { page } = await open('en', '', `#/thread/${T_RISK}`);
  await page.locator('#claim').click();
  const dialog = page.locator('dialog.staff-dialog[open]');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Anna Virtanen is writing an answer/);
  await dialog.locator('button').filter({ hasText: 'Claim anyway' }).click();
  await page.locator('#answer-text').waitFor();

  await checkView('thread-send-warning', '', `#/thread/${T_MINE}`, async (page) => {
    await page.locator('#answer-text').fill('Hei, vuokran enimmäismäärä on laskettu oikein.');
    await page.locator('#answer-send').click();
    await page.locator('dialog.staff-dialog[open]').waitFor();
  });

  const p = await open('en', '', `#/thread/${T_NEW}`);
  await p.page.locator('[role="log"] .msg').first().waitFor(); // shown first: what comes before is what it opens
  assert.equal(await p.page.locator('#sthread-announcer').textContent(), '', 'nothing said on opening');
  await p.page.evaluate((t) => window.preview.writer(t), T_NEW);
  await p.page.locator('#sthread-announcer').filter({ hasText: 'Mikko Laine is writing an answer.' }).waitFor();
  await p.page.evaluate((t) => window.preview.message(t), T_NEW);
  await p.page.locator('#sthread-announcer').filter({ hasText: 'New message: Client.' }).waitFor();
  assert.doesNotMatch(await p.page.locator('#sthread-announcer').textContent(), /\d{1,2}[:.]\d{2}/, 'no clock in the live region');
});

test('answering: the error summary, a canned answer at the cursor, attachments, asking for more', async () => {
  await checkView('thread-answer-errors', '', `#/thread/${T_MINE}`, async (page) => {
    await page.locator('#answer-send').click();
    await page.locator('.answer .error-summary').waitFor();
    await page.locator('.answer .error-summary:focus').waitFor({ timeout: 5000 }); // the summary takes the focus (a frame later)
    assert.match(await page.title(), /^(Virhe|Fel|Error): /);
  });
  const { page } = await open('en', '', `#/thread/${T_MINE}`);
  await expectCount(page, '#canned-answer option', 1, 'English canned answers first (one)');
  await page.locator('#canned-lang').selectOption('all');
  await expectCount(page, '#canned-answer option', 5);
  assert.match(await page.locator('#canned-answer option').first().textContent(), /\(en\)/, 'the page\'s language first');
  await page.locator('#answer-text').fill('Hello.  Regards');
  await page.locator('#answer-text').evaluate((el) => el.setSelectionRange(7, 7));
  await page.locator('.canned-picker button').click();
  assert.equal(await page.locator('#answer-text').inputValue(), 'Hello. You can ask for the decision to be reviewed within 30 days. Regards');
  await page.locator('#answer-files').setInputFiles([
    { name: 'ohje.png', mimeType: 'image/png', buffer: PNG },
    { name: 'virus.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ\x90\x00') },
  ]);
  await page.locator('.file-bad .field-error').waitFor();
  await page.locator('.file-bad button.link').click();
  await page.locator('#answer-asks').check();
  await page.locator('#answer-send').click();
  await page.locator('dialog.staff-dialog[open] button').filter({ hasText: 'Send anyway' }).click();
  await page.locator('.answer p.success').waitFor();
  await page.locator('[role="log"] .msg.mine .asks-more').waitFor();
  assert.equal(await page.locator('#answer-text').inputValue(), '');
});

test('keyboard only: Tab reaches claim, the answer and send; dialogs keep and give back the focus', async () => {
  const { page } = await open('en', '', `#/thread/${T_NEW}`);
  await page.locator('main h1').focus();
  const tabTo = async (selector, most = 40) => {
    for (let i = 0; i < most; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    }
    assert.fail(`Tab never reached ${selector}`);
  };
  await tabTo('#claim');
  await page.keyboard.press('Enter');
  await page.locator('#answer-text').waitFor();
  await page.locator('main h1').focus();
  await tabTo('#answer-text');
  await page.keyboard.type('Thank you. I will look into it today.');
  await tabTo('#answer-send');
  await page.keyboard.press('Enter');
  await page.locator('[role="log"] .msg.mine').filter({ hasText: 'I will look into it today.' }).waitFor();

  // The reassign dialog: the focus goes in, stays in on Tab, and comes back to its button.
  const reassign = page.locator('.thread-actions button').filter({ hasText: 'Reassign' });
  await reassign.focus();
  await page.keyboard.press('Enter');
  const dialog = page.locator('dialog.staff-dialog[open]');
  await dialog.waitFor();
  const inDialog = () => document.querySelector('dialog[open]')?.contains(document.activeElement) ?? false;
  await expectFocus(page, inDialog, true, 'the dialog has the focus');
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    const ok = await page.evaluate(() => {
      const a = document.activeElement;
      return a === null || a === document.body || document.querySelector('dialog[open]').contains(a);
    });
    assert.ok(ok, 'the focus stays in the modal dialog');
  }
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await expectFocus(page, () => document.activeElement?.textContent, 'Reassign', 'Escape gives the focus back');
});

test('the supervisor: overview, reassign with its error summary, roster, closed days, access log, canned answers', async () => {
  await checkView('overview', '', '#/overview', async (page) => {
    await expectCount(page, 'table.data-table', 2);
    await expectCount(page, 'table.data-table caption', 2);
  });
  await checkView('reassign', '', `#/thread/${T_MINE}`, async (page, lang) => {
    await page.locator('.thread-actions button').nth(2).click();
    const dialog = page.locator('dialog.staff-dialog[open]');
    await dialog.waitFor();
    await dialog.locator('button[type="submit"]').click();
    await dialog.locator('.error-summary').waitFor();
    await expectCount(page, 'dialog .error-summary li', 2);
    await dialog.locator('#reassign-kind-queue').check();
    await dialog.locator('#reassign-queue').selectOption({ index: 4 });
    await dialog.locator('.notice').waitFor();
    assert.match(await dialog.locator('.notice').textContent(), { fi: /uusi avain/, sv: /ny nyckel/, en: /new key/ }[lang]);
  });
  await checkView('roster', '', '#/roster', async (page) => {
    await expectCount(page, 'fieldset.shift', 2);
    await expectCount(page, '.closed-days li', 2);
  });
  await checkView('roster-errors', '', '#/roster', async (page) => {
    await expectCount(page, 'fieldset.shift', 2);
    await page.locator('button').filter({ hasText: /Lisää vuoro|Lägg till ett pass|Add a shift/ }).click();
    await page.locator('fieldset.shift').nth(0).locator('input[type="time"]').first().fill('17:00');
    await page.locator('#shifts-h + p + form button[type="submit"], section[aria-labelledby="shifts-h"] button[type="submit"]').first().click();
    await expectCount(page, '.error-summary li', 2, 'a worker missing and a time the wrong way round');
    await page.locator('#closed-date').fill('2020-01-01');
    await page.locator('.closed-add button[type="submit"]').click();
    await page.locator('#closed-date-error').waitFor();
  });
  await checkView('audit', '', '#/audit', async (page) => {
    await expectCount(page, 'table.audit-table tbody tr', 25);
    await page.locator('.chain-state.success').waitFor();
    await page.locator('button').filter({ hasText: /Vanhemmat|Äldre|Older/ }).click();
    await expectCount(page, 'table.audit-table tbody tr', 50);
  });
  await checkView('audit-broken', 'chain=broken', '#/audit', async (page, lang) => {
    const warn = page.locator('.chain-broken');
    await warn.waitFor();
    assert.match(await warn.textContent(), { fi: /rivillä 4113/, sv: /rad 4113/, en: /broken at row 4113/ }[lang]);
  });
  await checkView('canned', '', '#/canned', async (page) => {
    await expectCount(page, '.canned-item', 5);
  });
  await checkView('canned-form', '', '#/canned', async (page) => {
    await page.locator('.staff-page > p > button').click();
    await page.locator('.canned-form button[type="submit"]').click();
    await expectCount(page, '.canned-form .error-summary li', 2);
  });
  const { page } = await open('sv', '', '#/canned');
  await page.locator('.staff-page > p > button').click();
  await page.locator('#canned-form-lang').selectOption('sv');
  await page.locator('#canned-title').fill('Kontaktuppgifter');
  await page.locator('#canned-text').fill('Du når oss på vardagar kl. 9–15.');
  await page.locator('.canned-form button[type="submit"]').click();
  await page.locator('p.success').waitFor();
  await expectCount(page, '.canned-item', 6);
});

test('corrections: the form with its error summary, the pair struck through with a label, a mismatch flagged', async () => {
  await checkView('correct-form', '', `#/thread/${T_MINE}`, async (page) => {
    await page.locator('#correct-open').click();
    await page.locator('#correct-send').click();
    await expectCount(page, '.correct-form .error-summary li', 3, 'message, text and reason missing');
  });
  await checkView('corrected-pair', '', `#/thread/${T_WAITING}`, async (page, lang) => {
    await page.locator('del.corrected-text').waitFor();
    assert.match(await page.locator('.corrected-badge').first().textContent(), { fi: /Korjattu/, sv: /Korrigerat/, en: /Corrected/ }[lang]);
    assert.match(await page.locator('.correction').first().textContent(), /30\.4\./);
    assert.match(await page.locator('.correction-reason').first().textContent(), /Päivämäärä oli väärin/);
    await expectCount(page, '[role="log"] .msg .warning', 2, 'the unpaired correction: no such message, and the server disagrees');
    assert.match(await page.locator('.thread-facts-staff').textContent(), { fi: /Annettu/, sv: /Givet/, en: /Given/ }[lang]);
  });
  const { page } = await open('en', '', `#/thread/${T_MINE}`);
  await page.locator('#correct-open').click();
  await page.locator('#correct-target-0').check();
  assert.equal(await page.locator('#correct-text').inputValue(), 'Kiitos viestistä. Katsomme asiaa ja vastaamme pian.', 'the text to correct is filled in');
  await page.locator('#correct-text').fill('Kiitos viestistä. Vastaamme huomenna.');
  await page.locator('#correct-reason').fill('Wrong day');
  await page.locator('#correct-send').click();
  await page.locator('p.success').waitFor();
  await page.locator('del.corrected-text').waitFor();
  assert.match(await page.locator('.correction').textContent(), /Vastaamme huomenna\.Corrected by You, .*Reason: Wrong day/s);
});

test('rights requests: the list with due flags in words, the decision with its errors and what each outcome does', async () => {
  await checkView('rights-list', '', '#/rights', async (page, lang) => {
    await expectCount(page, 'table.rights-table tbody tr', 5);
    const text = await page.locator('table.rights-table').textContent();
    assert.match(text, { fi: /Myöhässä/, sv: /Försenad/, en: /Overdue/ }[lang]);
    assert.match(text, { fi: /Erääntyy 7 päivän sisällä/, sv: /Förfaller inom 7 dagar/, en: /Due within 7 days/ }[lang]);
  });
  await checkView('rights-decide-errors', '', `#/thread/${T_RIGHTS}`, async (page, lang) => {
    const form = page.locator('.decide-form').first();
    await form.waitFor();
    assert.match(await page.locator('.rights-item blockquote').first().textContent(), /Pyydän poistamaan/);
    assert.match(await form.textContent(), { fi: /Rekisterinpitäjä toteuttaa poiston/, sv: /personuppgiftsansvarige utför/, en: /register keeper carries out/ }[lang]);
    await form.locator('button[type="submit"]').click();
    await expectCount(page, '.decide-form .error-summary li', 1, 'no outcome chosen');
    await form.locator('input[type="radio"]').nth(1).check();
    await form.locator('button[type="submit"]').click();
    await form.locator('.field-bad textarea').waitFor();
  });
  const { page } = await open('en', '', `#/thread/${T_RIGHTS}`);
  const form = page.locator('.decide-form').first();
  await form.locator('input[type="radio"]').first().check();
  await form.locator('button[type="submit"]').click();
  assert.match(await form.locator('p.error').textContent(), /handed over to the client record/);
  const second = page.locator('.decide-form').nth(1);
  await second.locator('input[type="radio"]').nth(1).check();
  await second.locator('textarea').fill('The entry was correct.');
  await second.locator('button[type="submit"]').click();
  await page.locator('#sthread-done').waitFor();
  await expectFocus(page, () => document.activeElement?.id, 'sthread-done', 'the confirmation has the focus');
  assert.equal(await page.locator('#sthread-done').textContent(), 'The decision has been saved.');
  await expectCount(page, '.decide-form', 1, 'the refused request has no form any more');
});

test('granting a restriction: the confirmation takes the focus, the thread is frozen at once, no identity offered', async () => {
  const frozen = async (page, lang) => {
    await page.locator('#sthread-done').waitFor();
    await expectFocus(page, () => document.activeElement?.id, 'sthread-done', 'the confirmation has the focus');
    assert.match(await page.locator('#sthread-done').textContent(), { fi: /nyt rajoitettu/, sv: /nu begränsad/, en: /now restricted/ }[lang]);
    await page.locator('.restricted-banner').waitFor();
    await expectCount(page, '.thread-rights', 0, 'the requests panel goes with the content');
    await expectCount(page, '[role="log"]', 0, 'no messages before a legal-claim read');
    await expectCount(page, '.identity', 0, '"Show identity" is not offered');
    await expectCount(page, '#answer-text', 0, 'no answer box');
  };
  await checkView('rights-restriction-granted', '', `#/thread/${T_TO_RESTRICT}`, async (page, lang) => {
    const form = page.locator('.decide-form').first();
    await form.locator('input[type="radio"]').first().check();
    await form.locator('button[type="submit"]').click();
    await frozen(page, lang);
  });
  // With the keyboard alone: the outcome, the reason, the button; then the legal-claim read
  // gives back the content and offers the identity again (the server allows it with the purpose).
  const { page } = await open('en', '', `#/thread/${T_TO_RESTRICT}`);
  await page.locator('.decide-form').first().waitFor();
  await page.locator('main h1').focus();
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('type') ?? document.activeElement?.tagName);
  for (let i = 0; i < 60 && (await focused()) !== 'radio'; i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  for (let i = 0; i < 10 && (await focused()) !== 'TEXTAREA'; i++) await page.keyboard.press('Tab');
  await page.keyboard.type('The accuracy is being checked.');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'submit');
  await page.keyboard.press('Enter');
  await frozen(page, 'en');
  for (let i = 0; i < 40 && !(await page.evaluate(() => document.activeElement?.id === 'claim-open')); i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('#claim-reason:focus').waitFor(); // the dialog gives its field the focus: then type
  await page.keyboard.type('Court case 456');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('.restricted-banner [role="status"]').filter({ hasText: 'Court case 456' }).waitFor();
  await page.locator('.identity button').waitFor();
});

test('a restricted thread: frozen, read only for a legal claim with a reason, with the keyboard', async () => {
  await checkView('restricted', '', `#/thread/${T_RESTRICTED}`, async (page) => {
    await page.locator('.restricted-banner').waitFor();
    assert.equal(await page.locator('#answer-text').count(), 0, 'no answer box');
    assert.equal(await page.locator('.thread-actions button').count(), 0, 'no claim, close, release or move');
  });
  await checkView('restricted-reason', '', `#/thread/${T_RESTRICTED}`, async (page) => {
    await page.locator('#claim-open').click();
    await page.locator('#claim-send').click();
    await page.locator('dialog .error-summary').waitFor();
  });
  await checkView('restricted-read', '', `#/thread/${T_RESTRICTED}`, async (page) => {
    await page.locator('#claim-open').click();
    await page.locator('#claim-reason').fill('Valitus hallinto-oikeuteen');
    await page.locator('#claim-send').click();
    await page.locator('.restricted-banner [role="status"]').waitFor();
    await expectCount(page, '[role="log"] .msg', 2);
  });
  const { page } = await open('en', '', `#/thread/${T_RESTRICTED}`);
  await page.locator('main h1').focus();
  for (let i = 0; i < 40 && !(await page.evaluate(() => document.activeElement?.id === 'claim-open')); i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('dialog[open]').waitFor();
  await expectFocus(page, () => document.activeElement?.id, 'claim-reason', 'the reason has the focus');
  await page.keyboard.type('Court case 123');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('.restricted-banner [role="status"]').filter({ hasText: 'Court case 123' }).waitFor();
});

test('the preview and the app type-check together (the fakes implement the contract)', async () => {
  assert.equal(await typecheck, null);
});
