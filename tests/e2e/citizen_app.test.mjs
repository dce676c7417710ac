// Browser end-to-end test of the citizen's app against the real adviced and test bank, with the
// app built for the demo data folder (its own root key pinned): a citizen logs in with bank ID,
// makes their keys and sees the recovery code once, asks with an image attached, and a demo
// worker (tests/e2e/e2e_worker.c, on libadvice) reads the question — text and image decrypted
// and verified — and answers; the answer appears in the citizen's open thread without a reload,
// announced once. Every view passes axe-core and fits 390 px; screenshots are saved as
// artifacts. Environment: harness.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Service } from './harness.mjs';
import { looked as lookedAt, openPage, png } from './citizen_helpers.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const QUESTION = 'How do I apply for income support? I attach a photo of the letter.';
const ANSWER = 'Fill in the form on the municipality page; I can help you with it.';

before(() => svc.start(null, '', { ownApp: true }));
after(() => svc.finish());

/** axe with zero violations, no horizontal scroll at 390 px, screenshots at both widths. */
const looked = (page, name) => lookedAt(page, `citizen-${name}`);

let page;
let errors;
const image = png(64, 48);

check('a citizen logs in with bank ID, makes their keys and sees the recovery code once', async () => {
  ({ page, errors } = await openPage(svc, { locale: 'en-GB' }));
  await page.goto(svc.url);
  await svc.bankLogin(page);
  await page.getByRole('heading', { name: 'Welcome! Let us make your keys' }).waitFor();
  await looked(page, 'keys-first');
  await page.getByRole('button', { name: 'Make my keys' }).click();
  await page.getByRole('heading', { name: 'Save your recovery code' }).waitFor();
  const groups = await page.locator('.recovery-code span').allTextContents();
  assert.equal(groups.length, 7, 'the code in seven groups');
  for (const g of groups) assert.match(g, /^[0-9A-Z]{5}$/);
  await looked(page, 'keys-code');
  // Continuing without ticking the box is an error tied to the box.
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('Save the code and select “I have saved the code”.').first().waitFor();
  await page.getByLabel('I have saved the code').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'My questions' }).waitFor();
  await page.getByText('You have not asked anything yet.').waitFor();
  await looked(page, 'threads-empty');
  assert.equal(await page.locator('.recovery-code').count(), 0, 'the code is not shown again');
});

check('the citizen asks with an image attached; the question opens in its thread', async () => {
  await page.getByRole('navigation', { name: 'Your pages' }).getByRole('link', { name: 'New question' }).click();
  await page.getByRole('heading', { name: 'New question' }).waitFor();
  await page.getByRole('radio').first().waitFor();
  await looked(page, 'ask');
  // Sending an empty form: the error summary, linked to the fields.
  await page.getByRole('button', { name: 'Send the question' }).click();
  await page.getByRole('alert').getByText('There is a problem').waitFor();
  await looked(page, 'ask-errors');
  await page.getByRole('radio').first().check();
  await page.getByLabel('Your question').fill(QUESTION);
  await page.locator('input[type=file]').setInputFiles({ name: 'letter.png', mimeType: 'image/png', buffer: image });
  await page.getByRole('img', { name: /letter\.png/ }).waitFor();
  await looked(page, 'ask-filled');
  await page.getByRole('button', { name: 'Send the question' }).click();
  await page.waitForURL(/#\/thread\/[0-9a-f]{32}$/);
  await page.getByRole('log').getByText(QUESTION).waitFor();
  await looked(page, 'thread-asked');
});

check('a worker reads the question and the image, verified, and the answer appears live', async () => {
  const thread = page.url().match(/thread\/([0-9a-f]{32})$/)[1];
  const reload = await page.evaluate(() => performance.getEntriesByType('navigation').length);
  const out = await svc.worker(['answer', '--text', ANSWER]);
  assert.equal(out.thread, thread);
  const first = out.messages[0];
  assert.equal(first.text, QUESTION);
  assert.equal(first.files.length, 1);
  assert.equal(first.files[0].size, image.length);
  assert.equal(first.files[0].sha256, createHash('sha256').update(image).digest('hex'));
  const log = page.getByRole('log');
  await log.getByText(ANSWER).waitFor();
  assert.match(await page.locator('#thread-announcer').textContent(), new RegExp(ANSWER.slice(0, 20)));
  assert.doesNotMatch(await page.locator('#thread-announcer').textContent(), /\d\d[:.]\d\d/, 'no clock in the announcement');
  assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), reload, 'no reload');
  await looked(page, 'thread-answered');
  await page.getByRole('navigation', { name: 'Your pages' }).getByRole('link', { name: 'My questions' }).click();
  await page.getByRole('heading', { name: 'My questions' }).waitFor();
  await looked(page, 'threads');
});

check('no page error, no console error, no cookie but the session\'s', async () => {
  assert.deepEqual(errors, []);
  const cookies = await page.context().cookies();
  assert.deepEqual(cookies.map((c) => c.name), ['__Host-advice']);
  await page.context().close();
});

check('adviced exits 0 on SIGTERM with no sanitizer report in its log', async () => {
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
