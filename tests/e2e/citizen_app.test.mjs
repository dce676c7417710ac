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
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { artifact, Service } from './harness.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const QUESTION = 'How do I apply for income support? I attach a photo of the letter.';
const ANSWER = 'Fill in the form on the municipality page; I can help you with it.';

before(() => svc.start(null, '', { ownApp: true }));
after(() => svc.finish());

/** A small valid PNG (w×h, grey): the bytes a phone's camera roll would hand over. */
function png(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.alloc((w + 1) * h, 0x80);
  for (let y = 0; y < h; y++) rows[y * (w + 1)] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), AXE_TAGS);
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** axe with zero violations, no horizontal scroll at 390 px, and screenshots at both widths. */
async function looked(page, name) {
  assert.deepEqual(await axeViolations(page), [], `${name}: axe`);
  const a = artifact(`citizen-${name}.png`);
  if (a) await page.screenshot({ path: a, fullPage: true });
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, `${name}: 390 px`);
  assert.deepEqual(await axeViolations(page), [], `${name} at 390 px: axe`);
  const b = artifact(`citizen-${name}-390.png`);
  if (b) await page.screenshot({ path: b, fullPage: true });
  await page.setViewportSize(size);
}

let page;
const errors = [];
const image = png(64, 48);

check('a citizen logs in with bank ID, makes their keys and sees the recovery code once', async () => {
  const context = await svc.browser.newContext({ locale: 'en-GB' });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  // Before login the app's WebSocket is refused (no session): the browser logs that itself.
  page.on('console', (m) => m.type() === 'error' && !/WebSocket connection to .*\/ws' failed/.test(m.text()) &&
    !/status of 404/.test(m.text()) && errors.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
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
