// Browser end-to-end test of the citizen's devices: the same test person on three browsers
// (contexts). The first makes the keys, asks, and the demo worker answers. The second is "This
// device is new": a typo in the recovery code is an error in the error summary tied to the
// field; the code captured from the first browser's code screen opens the earlier thread. The
// third is approved from the first: both show the same 12-digit number, the first approves,
// the third reads the thread. The first browser's device list shows the three with its own
// marked, and removes the third, which then finds itself removed. Every view passes axe-core and
// fits 390 px; screenshots are saved as artifacts. Environment: harness.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expectFocus } from '../../client-web/test/focus.mjs';
import { Service } from './harness.mjs';
import { bankLogin, looked, makeKeys, navTo, openPage, text, threadOfPage } from './citizen_helpers.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const PERSON = /010594Y9032/;
const QUESTION = 'My new phone should show this question too. What about my housing allowance?';
const ANSWER = 'You can read this on any of your devices. Send me the decision, please.';

before(() => svc.start(null, '', { ownApp: true }));
after(() => svc.finish());

let a, b, c; // the three browsers: { context, page, errors }
let code;
let thread;

/** The thread's messages as `page` shows them, once both the question and the answer are there. */
async function readsThread(page) {
  await page.getByRole('heading', { name: text('en', 'threads.title') }).waitFor({ timeout: 60000 });
  await page.locator('.thread-item a').click();
  await page.getByRole('log').getByText(ANSWER).waitFor({ timeout: 60000 });
  assert.equal(threadOfPage(page), thread);
  return page.getByRole('log').locator('li.msg .msg-text').allTextContents();
}

/** The 12-digit comparison number `page` shows. */
async function compareCode(page) {
  const digits = (await page.locator('.compare-code span').allTextContents()).join('');
  assert.match(digits, /^\d{12}$/);
  return digits;
}

check('the first browser makes the keys, asks, and the worker answers', async () => {
  a = await openPage(svc);
  await a.page.goto(svc.url);
  await bankLogin(svc, a.page, 'en', PERSON);
  code = await makeKeys(a.page, 'en');
  await navTo(a.page, 'en', 'nav.ask');
  await a.page.getByRole('radio').first().check();
  await a.page.getByLabel(text('en', 'ask.text')).fill(QUESTION);
  await a.page.getByRole('button', { name: text('en', 'ask.send') }).click();
  await a.page.waitForURL(/#\/thread\/[0-9a-f]{32}$/, { timeout: 60000 });
  thread = threadOfPage(a.page);
  const out = await svc.worker(['answer', '--text', ANSWER]);
  assert.equal(out.thread, thread);
  await a.page.getByRole('log').getByText(ANSWER).waitFor();
});

check('a second browser: "This device is new", a typo in the code, then the code opens the thread', async () => {
  b = await openPage(svc);
  await b.page.goto(svc.url);
  await bankLogin(svc, b.page, 'en', PERSON);
  await b.page.getByRole('heading', { name: text('en', 'keys.new.title') }).waitFor({ timeout: 60000 });
  await looked(b.page, 'devices-new');
  await b.page.getByRole('button', { name: text('en', 'keys.new.recoverButton') }).click();
  await b.page.getByRole('heading', { name: text('en', 'keys.recover.title') }).waitFor();
  await looked(b.page, 'devices-recover');

  // One character mistyped (a digit for another digit, never an alias of the original).
  const at = 8;
  const typo = code.slice(0, at) + (code[at] === '7' ? '8' : '7') + code.slice(at + 1);
  const field = b.page.getByLabel(text('en', 'keys.recover.label'));
  await field.fill(typo);
  await b.page.getByRole('button', { name: text('en', 'keys.recover.submit') }).click();
  const summary = b.page.locator('.error-summary');
  await summary.waitFor();
  assert.equal(await summary.getAttribute('role'), 'alert');
  const link = summary.getByRole('link', { name: text('en', 'keys.error.typo') });
  assert.equal(await link.getAttribute('href'), '#recovery-code', 'the summary links to the field');
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  const described = (await field.getAttribute('aria-describedby')).split(' ');
  assert.ok(described.includes('recovery-code-error'), 'the field names its error');
  assert.match(await b.page.locator('#recovery-code-error').textContent(), new RegExp(text('en', 'keys.error.typo').slice(0, 30)));
  await looked(b.page, 'devices-recover-typo');
  await link.click();
  await expectFocus(b.page, () => document.activeElement?.id, 'recovery-code', 'the link moves to the field');

  // Typed as a person might: small letters, spaces for hyphens.
  await field.fill(code.toLowerCase().replace(/-/g, ' '));
  await b.page.getByRole('button', { name: text('en', 'keys.recover.submit') }).click();
  assert.deepEqual(await readsThread(b.page), [QUESTION, ANSWER]);
  await looked(b.page, 'devices-recovered-thread');
  assert.deepEqual(b.errors, []);
  await b.context.close();
});

check('a third browser is approved from the first: the same 12-digit number on both', async () => {
  c = await openPage(svc);
  await c.page.goto(svc.url);
  await bankLogin(svc, c.page, 'en', PERSON);
  await c.page.getByRole('heading', { name: text('en', 'keys.new.title') }).waitFor({ timeout: 60000 });
  await c.page.getByRole('button', { name: text('en', 'keys.new.approveButton') }).click();
  await c.page.getByRole('heading', { name: text('en', 'approve.ask.title') }).waitFor();
  await c.page.getByText(text('en', 'approve.ask.waiting')).waitFor({ timeout: 60000 });
  await looked(c.page, 'devices-approve-waiting');

  const notice = a.page.locator('.approval-notice');
  await notice.getByRole('heading', { name: text('en', 'approve.title') }).waitFor({ timeout: 60000 });
  await looked(a.page, 'devices-approve-incoming');
  await notice.getByRole('button', { name: text('en', 'approve.showCode') }).click();
  await notice.locator('.compare-code').waitFor({ timeout: 60000 });
  await c.page.getByRole('heading', { name: text('en', 'approve.ask.compareTitle') }).waitFor({ timeout: 60000 });
  assert.equal(await compareCode(c.page), await compareCode(a.page), 'the same number on both');
  await looked(a.page, 'devices-approve-compare');
  await looked(c.page, 'devices-approve-compare-new');

  await notice.getByRole('button', { name: text('en', 'approve.match') }).click();
  await notice.getByText(text('en', 'approve.done')).waitFor({ timeout: 60000 });
  assert.deepEqual(await readsThread(c.page), [QUESTION, ANSWER]);
  await looked(c.page, 'devices-approved-thread');
});

check('the first browser lists three devices, its own marked, and removes the third', async () => {
  // The third's own device list names it (its heading's id carries the device's kid).
  await navTo(c.page, 'en', 'nav.devices');
  await c.page.locator('.device-list').waitFor();
  const third = await c.page.locator('li.device h2', { hasText: text('en', 'devices.thisDevice') }).getAttribute('id');
  assert.deepEqual(c.errors, []);

  await navTo(a.page, 'en', 'nav.devices');
  await a.page.getByRole('heading', { name: text('en', 'devices.title') }).waitFor();
  const items = a.page.locator('.device-list li.device');
  await items.first().waitFor();
  assert.equal(await items.count(), 3, 'three devices');
  const heads = await items.locator('h2').allTextContents();
  assert.deepEqual(heads.filter((h) => h === text('en', 'devices.thisDevice')).length, 1, 'one marked as this device');
  assert.deepEqual(heads.filter((h) => h === text('en', 'devices.otherDevice')).length, 2);
  await looked(a.page, 'devices-list');

  const item = items.filter({ has: a.page.locator(`h2[id="${third}"]`) });
  assert.equal(await item.locator('h2').textContent(), text('en', 'devices.otherDevice'));
  await item.getByRole('button', { name: new RegExp(`^${text('en', 'devices.remove')}`) }).click();
  await item.getByRole('group', { name: text('en', 'devices.confirmLabel') }).waitFor();
  await looked(a.page, 'devices-remove-confirm');
  await item.getByRole('button', { name: text('en', 'devices.confirmYes') }).click();
  await a.page.getByRole('status').getByText(text('en', 'devices.removed')).waitFor({ timeout: 60000 });
  await a.page.waitForFunction(() => document.querySelectorAll('.device-list li.device').length === 2, null, { timeout: 60000 });
  assert.equal(await a.page.locator(`h2[id="${third}"]`).count(), 0, 'the third is gone');
  await looked(a.page, 'devices-removed');

  // The third browser finds itself removed when it next starts.
  await c.page.reload();
  await c.page.getByRole('heading', { name: text('en', 'keys.removed.title') }).waitFor({ timeout: 60000 });
  await looked(c.page, 'devices-third-removed');
  await c.context.close();
});

check('no page error, no console error in the first browser', async () => {
  assert.deepEqual(a.errors, []);
  await a.context.close();
});

check('adviced exits 0 on SIGTERM with no sanitizer report in its log', async () => {
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
