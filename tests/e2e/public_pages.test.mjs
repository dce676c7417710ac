// Browser end-to-end test of the citizen's pages before login (client-web/src/app/views/), with
// the real adviced serving the app as ctest's web.build made it and GET /api/v1/service: the
// front page, the privacy notice and the accessibility statement in Finnish, Swedish and
// English, each with no axe-core violation of the WCAG 2.0/2.1 A and AA rules, no sideways
// scrolling at 390x844 and screenshots (desktop and phone); the front page tells the configured
// numbers and each category's hours; links move between pages with the title set and the
// heading focused; the keyboard alone reaches "Exit this page" and "Log in with bank ID"; "Exit
// this page" (button or Shift pressed 3 times, announced) leaves for the configured neutral
// site, replacing the app in the history. Environment: harness.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expectFocus } from '../../client-web/test/focus.mjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { artifact, Service, webApp } from './harness.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const EXIT_URL = 'http://exit.invalid/weather';
const SOCIAL = '0800 12 345';
const CONTROLLER = 'Esimerkkikunta, sosiaali- ja terveyslautakunta';
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const LANGS = {
  fi: { locale: 'fi-FI', front: 'Verkkoneuvonta', privacy: 'Tietosuojaseloste', accessibility: 'Saavutettavuusseloste', login: 'Tunnistaudu pankkitunnuksilla', exit: 'Poistu sivulta' },
  sv: { locale: 'sv-FI', front: 'Nätrådgivning', privacy: 'Dataskyddsbeskrivning', accessibility: 'Tillgänglighetsutlåtande', login: 'Identifiera dig med bankkoder', exit: 'Lämna sidan' },
  en: { locale: 'en-GB', front: 'Online advice', privacy: 'Privacy notice', accessibility: 'Accessibility statement', login: 'Log in with bank ID', exit: 'Exit this page' },
};
const PAGES = { front: '#/', privacy: '#/privacy', accessibility: '#/accessibility' };

// Over the demo's values; the privacy contact left empty, to show what an unset field says.
before(() =>
  svc.start(webApp().web,
    `exit_url = ${EXIT_URL}\nsocial_emergency_number = ${SOCIAL}\ncontroller_name = ${CONTROLLER}\nprivacy_contact =\n`));
after(() => svc.finish());

/** A page in its own context speaking `lang`; the neutral exit site is answered here, never fetched. */
async function newPage(lang, viewport = { width: 1280, height: 900 }) {
  const context = await svc.browser.newContext({ locale: LANGS[lang].locale, viewport });
  await context.route('http://exit.invalid/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Weather</title><h1>Weather</h1>' }));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Without a session the server refuses the WebSocket (session.ts): that one error is expected.
  page.on('console', (m) => m.type() === 'error' && !/WebSocket connection to .*\/ws' failed/.test(m.text()) && errors.push(m.text()));
  return { context, page, errors };
}

/** Opens `hash` and waits until the server's data is shown (the categories, or the contacts). */
async function open(page, hash) {
  await page.goto(svc.url + hash);
  await page.locator('main h1').waitFor();
  await page.waitForFunction(() => !/…/.test(document.querySelector('main').textContent));
}

async function axeViolations(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), AXE_TAGS);
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

async function shot(page, name) {
  const path = artifact(name);
  if (path) await page.screenshot({ path, fullPage: true });
}

for (const [lang, text] of Object.entries(LANGS)) {
  check(`${lang}: every page before login passes axe, fits 390 px and is captured`, async () => {
    for (const [name, hash] of Object.entries(PAGES)) {
      const { context, page, errors } = await newPage(lang);
      await open(page, hash);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal(await page.locator('main h1').textContent(), text[name]);
      assert.equal(await page.title(), name === 'front' ? text.front : `${text[name]} – ${text.front}`);
      assert.ok(await page.getByRole('button', { name: text.exit }).isVisible(), `${name}: exit button`);
      assert.deepEqual(await axeViolations(page), [], `${lang} ${name}: axe`);
      await shot(page, `public-${name}-${lang}.png`);
      await page.setViewportSize({ width: 390, height: 844 });
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, `${name}: 390 px`);
      assert.deepEqual(await axeViolations(page), [], `${lang} ${name} at 390 px: axe`);
      await shot(page, `public-${name}-${lang}-390.png`);
      assert.deepEqual(errors, []);
      await context.close();
    }
  });
}

check('the front page tells the numbers, the categories with their hours, and links the privacy notice', async () => {
  const { context, page } = await newPage('en');
  await open(page, '');
  const main = page.locator('main');
  await main.getByText('In an emergency, call the emergency number 112.').waitFor();
  await main.getByText(`call the social emergency service: ${SOCIAL}.`).waitFor();
  const categories = main.locator('.categories li');
  assert.ok((await categories.count()) > 0, 'the demo categories');
  assert.match(await categories.first().textContent(), /Service hours on working days \d\d:\d\d–\d\d:\d\d\. (Open|Closed) now/);
  assert.match(await categories.first().textContent(), /within \d+ working days/);
  // The privacy notice is built from the register description (GET /api/v1/register), with the
  // right to complain to the Data Protection Ombudsman.
  await main.getByRole('link', { name: 'Read the privacy notice' }).click();
  await main.locator('#privacy-purposes-h').waitFor();
  await main.getByText('Email: tietosuoja@om.fi').waitFor();
  await context.close();
});

check('links move between pages: the address, the title and the focus follow, the history does not grow', async () => {
  const { context, page } = await newPage('en');
  await open(page, '');
  const length = await page.evaluate(() => history.length);
  await page.getByRole('contentinfo').getByRole('link', { name: 'Accessibility statement' }).click();
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  await expectFocus(page, () => document.activeElement.textContent, 'Accessibility statement');
  assert.equal(new URL(page.url()).hash, '#/accessibility');
  assert.equal(await page.title(), 'Accessibility statement – Online advice');
  await page.getByRole('contentinfo').getByRole('link', { name: 'Front page' }).click();
  await page.waitForFunction(() => document.activeElement?.textContent === 'Online advice' && document.activeElement.tagName === 'H1');
  assert.equal(await page.evaluate(() => history.length), length);
  // An address typed by hand is followed too.
  await page.evaluate(() => (location.hash = '#/privacy'));
  await page.locator('main h1', { hasText: 'Privacy notice' }).waitFor();
  await context.close();
});

/** Presses Tab until the focused element's accessible text is `name` (at most 25 times); the
 *  texts focused on the way. */
async function tabTo(page, name) {
  const seen = [];
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press('Tab');
    const t = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    seen.push(t);
    if (t === name) return seen;
  }
  assert.fail(`Tab never reached "${name}": ${seen.join(' | ')}`);
}

check('the keyboard alone reaches Exit this page first, then Log in with bank ID, which goes to the bank', async () => {
  const { context, page } = await newPage('fi');
  await open(page, '');
  const seen = await tabTo(page, LANGS.fi.login);
  assert.ok(seen.includes(LANGS.fi.exit), `exit before login: ${seen.join(' | ')}`);
  assert.ok(seen.indexOf(LANGS.fi.exit) < 3, `exit among the first stops: ${seen.join(' | ')}`);
  // A visible focus indicator on the login link.
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none');
  await shot(page, 'public-front-fi-keyboard.png');
  await page.keyboard.press('Enter');
  await page.waitForURL(`http://localhost:${svc.bankPort}/**`);
  await context.close();
});

check('Exit this page by keyboard leaves for the neutral site and Back does not return', async () => {
  const { context, page } = await newPage('en');
  await open(page, '#/privacy');
  await tabTo(page, 'Exit this page');
  await page.keyboard.press('Enter');
  await page.waitForURL(EXIT_URL);
  await page.goBack().catch(() => null);
  assert.ok(!page.url().startsWith(svc.url), `Back returned to ${page.url()}`);
  await context.close();
});

check('Shift pressed 3 times leaves at once, each press announced', async () => {
  const { context, page } = await newPage('en');
  await open(page, '');
  const status = page.locator('#exit-announce');
  assert.equal(await status.getAttribute('role'), 'status');
  await page.keyboard.press('Shift');
  await page.waitForFunction(() => document.getElementById('exit-announce').textContent === 'Press Shift 2 more times to exit this page.');
  await page.keyboard.press('Shift');
  await page.waitForFunction(() => document.getElementById('exit-announce').textContent === 'Press Shift 1 more time to exit this page.');
  // Another key starts the count again.
  await page.keyboard.press('a');
  await page.keyboard.press('Shift');
  await page.waitForFunction(() => document.getElementById('exit-announce').textContent === 'Press Shift 2 more times to exit this page.');
  await page.keyboard.press('Shift');
  await page.keyboard.press('Shift');
  await page.waitForURL(EXIT_URL);
  assert.equal(await page.title(), 'Weather');
  await context.close();
});

// Last: adviced stops on SIGTERM with exit status 0 and its log has no sanitizer report.
check('adviced exits 0 on SIGTERM with no sanitizer report in its log', async () => {
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
