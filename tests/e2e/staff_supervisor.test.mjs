// Browser end-to-end test of the staff app's supervisor tasks against the real adviced, with the
// app built for the demo data folder: the supervisor sara writes a canned answer in Swedish and
// anna, on a Swedish page, inserts it into her answer, which the citizen receives; sara
// reassigns anna's thread with a reason to the queue of another unit (Children and families)
// and anna's open view loses it at once while ben sees it; anna claims and answers another
// question with the keyboard alone. Every view passes axe-core and fits 390 px; screenshots of
// the overview, roster, access log, canned answers and reassign dialog are saved as artifacts.
// Environment: harness.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Service } from './harness.mjs';
import { looked as lookedAt, openPage, text } from './citizen_helpers.mjs';
import { citizenAsks, LOGIN_401, openStaff, staffLogin, staffNav } from './staff_helpers.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const CANNED_TITLE = 'Utkomststöd';
const CANNED_TEXT = 'Ansök om utkomststöd hos FPA. Vi hjälper dig gärna med blanketten.';
const QUESTION = 'Jag har inte råd med hyran. Vad kan jag göra?';
const SECOND = 'Can I get help with the electricity bill?';
const KEY_ANSWER = 'Yes: apply for income support; the bill counts as a housing cost.';

before(() => svc.start(null, '', { ownApp: true }));
after(() => svc.finish());

const looked = (page, name) => lookedAt(page, `staff-${name}`);

let sara;
let anna;
let citizen;
let citizenContext;
let thread;
const errors = [];

check('sara writes a canned answer in Swedish; the overview, roster and access log pass', async () => {
  let e;
  ({ page: sara, errors: e } = await openPage(svc, { allow: LOGIN_401 }));
  errors.push(e);
  await openStaff(sara, svc, 'en');
  await staffLogin(sara, 'en', 'sara');
  await staffNav(sara, 'en', 'staff.nav.overview');
  await sara.getByRole('heading', { name: 'Overview' }).waitFor();
  await sara.locator('table').first().waitFor();
  await looked(sara, 'overview');
  await staffNav(sara, 'en', 'staff.nav.roster');
  await sara.getByRole('heading', { name: 'Roster and closed days' }).waitFor();
  await sara.getByText('Shift 1').first().waitFor();
  await looked(sara, 'roster');
  await staffNav(sara, 'en', 'staff.nav.audit');
  await sara.getByRole('heading', { name: 'Access log' }).waitFor();
  await sara.getByRole('button', { name: 'Search' }).click();
  await sara.locator('table').first().waitFor();
  await looked(sara, 'audit');
  await staffNav(sara, 'en', 'staff.nav.canned');
  await sara.getByRole('heading', { name: 'Canned answers', exact: true }).waitFor();
  await sara.getByRole('button', { name: 'New canned answer' }).click();
  await sara.locator('#canned-form-lang').selectOption('sv');
  await sara.locator('#canned-title').fill(CANNED_TITLE);
  await sara.locator('#canned-text').fill(CANNED_TEXT);
  await sara.getByRole('button', { name: 'Save', exact: true }).click();
  await sara.getByText('The canned answer has been saved.').waitFor();
  await sara.getByRole('list', { name: 'Canned answers' }).getByRole('heading', { name: new RegExp(CANNED_TITLE) }).waitFor();
  await looked(sara, 'canned');
});

check('anna on a Swedish page inserts the canned answer into her answer; the citizen receives it', async () => {
  let e;
  ({ page: anna, errors: e } = await openPage(svc, { locale: 'sv-FI', allow: LOGIN_401 }));
  errors.push(e);
  await openStaff(anna, svc, 'sv');
  await staffLogin(anna, 'sv', 'anna');
  citizenContext = await svc.browser.newContext({ locale: 'en-GB' });
  citizen = await citizenAsks(svc, citizenContext, { topic: /Adult social work/, question: QUESTION });
  thread = citizen.url().match(/thread\/([0-9a-f]{32})$/)[1];
  await anna.locator(`table.queue-table a[href$="${thread}"]`).click();
  await anna.getByRole('log').getByText(QUESTION).waitFor();
  await anna.getByRole('button', { name: text('sv', 'sthread.claim.button'), exact: true }).click();
  await anna.locator('#canned-lang').selectOption('sv');
  await anna.locator('#canned-answer').selectOption({ label: `${CANNED_TITLE} (sv)` });
  await anna.getByRole('button', { name: text('sv', 'canned.insert') }).click();
  assert.match(await anna.getByRole('textbox', { name: text('sv', 'sthread.answerText'), exact: true }).inputValue(), /Ansök om utkomststöd/);
  await looked(anna, 'thread-sv-canned');
  await anna.getByRole('button', { name: text('sv', 'sthread.send') }).click();
  await anna.getByText(text('sv', 'sthread.answerSent')).waitFor();
  await citizen.getByRole('log').getByText(CANNED_TEXT).waitFor();
});

check('sara reassigns the thread with a reason to Children and families; anna loses it at once, ben sees it', async () => {
  await sara.goto(`${svc.url}staff#/thread/${thread}`);
  await sara.getByRole('log').getByText(QUESTION).waitFor();
  await sara.getByRole('button', { name: 'Reassign', exact: true }).click();
  await sara.getByRole('heading', { name: 'Reassign the question' }).waitFor();
  await sara.getByLabel('To another queue or unit').check();
  await sara.locator('#reassign-queue').selectOption({ label: 'Children and families' });
  await sara.getByLabel('Reason', { exact: true }).fill('The family has children under school age.');
  await looked(sara, 'reassign');
  await sara.getByRole('button', { name: 'Reassign', exact: true }).last().click();
  // sara is not in the new unit: her view loses the thread too, and says her move was made.
  await sara.getByRole('status').getByText('The question has been reassigned.').waitFor({ timeout: 30000 });
  await anna.getByRole('heading', { name: text('sv', 'sthread.gone.title') }).waitFor();
  await looked(anna, 'thread-gone');
  await anna.getByRole('link', { name: text('sv', 'sthread.gone.link') }).click();
  await anna.getByRole('heading', { name: text('sv', 'queue.title') }).waitFor();
  assert.equal(await anna.locator(`a[href$="${thread}"]`).count(), 0, 'the thread in anna\'s queue');
  const { page: ben, errors: e } = await openPage(svc, { allow: LOGIN_401 });
  errors.push(e);
  await openStaff(ben, svc, 'en');
  await staffLogin(ben, 'en', 'ben');
  await ben.locator(`table.queue-table a[href$="${thread}"]`).click();
  await ben.getByRole('heading', { name: 'Children and families' }).waitFor();
  // The keys of what was written before the move reached ben's unit: he reads the question and
  // the answer, decrypted and verified in his browser.
  await ben.getByRole('log').getByText(QUESTION).waitFor();
  await ben.getByRole('log').getByText(CANNED_TEXT).waitFor();
  await ben.context().close();
});

/** Presses Tab until the focused element's text or label matches `name`; fails after 80. */
async function tabTo(page, name) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const label = await page.evaluate(() => {
      const el = document.activeElement;
      return `${el?.textContent ?? ''} ${el?.getAttribute('aria-label') ?? ''} ${el?.labels?.[0]?.textContent ?? ''} ${el?.getAttribute('href') ?? ''} ${el?.tagName}`;
    });
    if (name.test(label)) return;
  }
  assert.fail(`no focusable element ${name} by Tab`);
}

check('anna claims and answers another question with the keyboard alone', async () => {
  const page = await citizenContext.newPage();
  await page.goto(citizen.url().replace(/#.*$/, '#/ask'));
  await page.getByRole('radio', { name: /Adult social work/ }).check();
  await page.getByLabel('Your question').fill(SECOND);
  await page.getByRole('button', { name: 'Send the question' }).click();
  await page.waitForURL(/#\/thread\/[0-9a-f]{32}$/);
  await anna.locator('main h1').focus();
  const second = page.url().match(/thread\/([0-9a-f]{32})$/)[1];
  await anna.locator(`table.queue-table a[href$="${second}"]`).waitFor();
  await tabTo(anna, new RegExp(second));
  await anna.keyboard.press('Enter');
  await anna.getByRole('log').getByText(SECOND).waitFor();
  await tabTo(anna, new RegExp(`^${text('sv', 'sthread.claim.button')}\\s+BUTTON$`));
  await anna.keyboard.press('Enter');
  await tabTo(anna, new RegExp(`${text('sv', 'sthread.answerText')}.* TEXTAREA$`));
  await anna.keyboard.type(KEY_ANSWER);
  await tabTo(anna, new RegExp(text('sv', 'sthread.send')));
  await anna.keyboard.press('Enter');
  await anna.getByText(text('sv', 'sthread.answerSent')).waitFor();
  await page.getByRole('log').getByText(KEY_ANSWER).waitFor();
});

check('no page error, no console error in the staff pages', async () => {
  assert.deepEqual(errors.flat(), []);
  await anna.context().close();
  await sara.context().close();
  await citizenContext.close();
});

check('adviced exits 0 on SIGTERM with no sanitizer report in its log', async () => {
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
