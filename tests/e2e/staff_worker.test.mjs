// Browser end-to-end test of the staff app (/staff) against the real adviced, with the app built
// for the demo data folder: a new worker's first login with a setup code (password twice, the
// authenticator's secret read from the page and its code computed here, the fingerprint shown
// until an administrator certifies the keys with advicectl, then the queue by itself); a
// citizen asks with an image attached and the demo worker anna sees it arrive live, opens the
// text and the image, claims and answers, and the citizen's page shows the answer; an internal
// note reaches a colleague's browser but neither the citizen's page nor the server's files in
// the clear. Every view passes axe-core and fits 390 px; screenshots are saved as artifacts.
// Environment: harness.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Service } from './harness.mjs';
import { looked as lookedAt, openPage, png } from './citizen_helpers.mjs';
import { citizenAsks, ctl, LOGIN_401, openStaff, staffLogin, totp } from './staff_helpers.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const QUESTION = 'My rent is late this month. What can I do? A photo of the letter is attached.';
const ANSWER = 'Apply for income support; I can help you fill in the form.';
const NOTE = 'Internal: the client called on Monday, landlord contacted (note 7f3a)';
const PASSWORD = 'a long sentence makes a good password';

before(() => svc.start(null, '', { ownApp: true }));
after(() => svc.finish());

const looked = (page, name) => lookedAt(page, `staff-${name}`);

const image = png(64, 48);
let anna;
let annaErrors;
let citizen;
let citizenContext;

check('a new worker logs in with a setup code, sets up the authenticator and waits for certification', async () => {
  const out = ctl(svc, ['worker-add', 'maija', '--unit', 'Adult social work']);
  const code = out.match(/[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}/)?.[0];
  assert.ok(code, `no setup code in: ${out}`);
  const { page, errors } = await openPage(svc, { allow: LOGIN_401 });
  await openStaff(page, svc, 'en');
  await looked(page, 'login');
  await page.getByRole('button', { name: 'Log in with a setup code' }).click();
  await page.getByLabel('Setup code').waitFor();
  await looked(page, 'setup-start');
  await page.getByLabel('Username').fill('maija');
  await page.getByLabel('Setup code').fill(code);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Choose a password' }).waitFor();
  await looked(page, 'setup-password');
  await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('New password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
  await page.getByRole('img', { name: 'QR code for the authenticator app' }).waitFor();
  await looked(page, 'setup-totp');
  const secret = (await page.locator('.totp-secret').textContent()).replace(/\s/g, '');
  assert.match(secret, /^[A-Z2-7]{16,}$/);
  await page.getByLabel('First verification code').fill(totp(secret));
  await page.getByRole('button', { name: 'Confirm and log in' }).click();
  await page.getByRole('heading', { name: 'Your keys are waiting for approval' }).waitFor({ timeout: 60000 });
  const fingerprint = (await page.locator('.fingerprint span').allTextContents()).join(' ');
  assert.match(fingerprint, /^[0-9a-f]{4}( [0-9a-f]{4}){7}$/);
  await looked(page, 'awaiting');
  ctl(svc, ['worker-certify', 'maija', join(svc.data, 'secrets/demo-admin.key'), fingerprint]);
  await page.getByRole('heading', { name: 'Question queue' }).waitFor({ timeout: 40000 });
  assert.deepEqual(errors, []);
  await page.context().close();
});

check('anna logs in; a citizen asks with an image and the question arrives in her queue live', async () => {
  ({ page: anna, errors: annaErrors } = await openPage(svc, { allow: LOGIN_401 }));
  await openStaff(anna, svc, 'en');
  await staffLogin(anna, 'en', 'anna', { shot: (n) => looked(anna, n) });
  await anna.getByRole('heading', { name: 'Question queue' }).waitFor();
  await looked(anna, 'queue-empty');
  citizenContext = await svc.browser.newContext({ locale: 'en-GB' });
  citizen = await citizenAsks(svc, citizenContext, { topic: /Adult social work/, question: QUESTION, image });
  const row = anna.locator('table.queue-table tbody tr').first();
  await row.waitFor();
  await looked(anna, 'queue');
  await row.getByRole('link').click();
  await anna.getByRole('log').getByText(QUESTION).waitFor();
  await anna.getByRole('button', { name: /Show the image/ }).first().click();
  await anna.locator('img.attachment-image').waitFor();
  const [download] = await Promise.all([anna.waitForEvent('download'), anna.getByRole('button', { name: /^Download/ }).first().click()]);
  const saved = readFileSync(await download.path());
  assert.deepEqual(saved, image, 'the downloaded attachment is the citizen\'s file');
  await looked(anna, 'thread');
});

check('anna claims and answers; the citizen\'s open thread shows the answer', async () => {
  await anna.getByRole('button', { name: 'Claim', exact: true }).click();
  await anna.getByLabel('Answer', { exact: true }).fill(ANSWER);
  await looked(anna, 'thread-claimed');
  await anna.getByRole('button', { name: 'Send the answer' }).click();
  await anna.getByText('The answer has been sent.').waitFor();
  await anna.getByRole('log').getByText(ANSWER).waitFor();
  await citizen.getByRole('log').getByText(ANSWER).waitFor();
});

check('an internal note reaches a colleague but not the citizen nor the server\'s files in the clear', async () => {
  await anna.getByLabel('New note').fill(NOTE);
  await anna.getByRole('button', { name: 'Save the note' }).click();
  await anna.locator('.notes-panel').getByText(NOTE).waitFor();
  await looked(anna, 'notes');
  const thread = anna.url().match(/thread\/([0-9a-f]{32})/)[1];
  const { page: sara, errors: saraErrors } = await openPage(svc, { allow: LOGIN_401 });
  await openStaff(sara, svc, 'en');
  await staffLogin(sara, 'en', 'sara');
  await sara.goto(`${svc.url}staff#/thread/${thread}`);
  await sara.locator('.notes-panel').getByText(NOTE).waitFor();
  await citizen.reload();
  await citizen.getByRole('log').getByText(ANSWER).waitFor();
  assert.equal(await citizen.getByText(NOTE).count(), 0, 'the note in the citizen\'s page');
  assert.doesNotMatch(await citizen.content(), /note 7f3a/);
  for (const f of readdirSync(svc.data, { recursive: true }))
    if (/\.(sqlite|db)(-wal)?$|-wal$/.test(f))
      assert.equal(readFileSync(join(svc.data, f)).includes(Buffer.from('note 7f3a')), false, `the note in the clear in ${f}`);
  assert.deepEqual(saraErrors, []);
  await sara.context().close();
});

check('anna locks the page and unlocks it with her password', async () => {
  await anna.getByRole('button', { name: 'Lock', exact: true }).click();
  await anna.getByRole('heading', { name: 'The page is locked' }).waitFor();
  await looked(anna, 'lock');
  await anna.getByLabel('Password').fill('anna-demo');
  await anna.getByRole('button', { name: 'Unlock' }).click();
  await anna.locator('.notes-panel').getByText(NOTE).waitFor();
});

check('no page error, no console error in the worker\'s and the citizen\'s pages', async () => {
  assert.deepEqual(annaErrors, []);
  await anna.context().close();
  await citizenContext.close();
});

check('adviced exits 0 on SIGTERM with no sanitizer report in its log', async () => {
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
