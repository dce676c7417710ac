// Browser end-to-end test of the citizen's app when the service goes away while sending: a
// question with a photo large enough for many chunks is sent, adviced is killed (SIGKILL, as
// a crash) while the photo uploads and started again on the same data folder; the app
// reconnects by itself (the connection line says so, then goes quiet) and the question arrives
// exactly once with its photo whole. A reply typed and sent while adviced is down waits as
// "sending" and arrives once when it is back. A reload afterwards sends nothing twice. The demo
// worker reads what the server holds. Environment: harness.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Service } from './harness.mjs';
import { bankLogin, looked, makeKeys, navTo, openPage, png, text, threadOfPage } from './citizen_helpers.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const QUESTION = 'Our benefit decision is wrong. Here is a photo of the whole letter.';
const REPLY = 'I wrote this while your service was down. It should arrive once.';
// About 2 MB of random pixels: some thirty 64 KiB chunks, each answered before the next.
const photo = png(1500, 1400, { noise: true });
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

before(() => svc.start(null, '', { ownApp: true }));
after(() => svc.finish());

let page;
let errors;

/** The connection line's state (data-conn: open, reconnecting, ...). */
const connState = () => page.locator('.conn').getAttribute('data-conn');

/** Waits for the connection line to say it reconnects, then (adviced started again) to go quiet. */
async function reconnectsByItself(name) {
  await page.locator('.conn[data-conn="reconnecting"]').waitFor({ timeout: 30000 });
  await page.locator('.conn').getByText(text('en', 'conn.reconnecting')).waitFor();
  if (name) await looked(page, name);
  await svc.restartAdviced();
  await page.locator('.conn[data-conn="open"]').waitFor({ state: 'attached', timeout: 60000 });
  assert.equal(await page.locator('.conn-text').count(), 0, 'the connection line is quiet again');
}

/** The messages the thread's log shows: [texts of sent ones, count of those still sending]. */
async function shown() {
  const log = page.getByRole('log');
  const sent = await log.locator('li.msg:not(.sending) .msg-text').allTextContents();
  return [sent, await log.locator('li.msg.sending').count()];
}

check('the citizen logs in and makes their keys', async () => {
  ({ page, errors } = await openPage(svc, { allow: /ERR_CONNECTION_REFUSED|net::ERR_/ }));
  await page.goto(svc.url);
  await bankLogin(svc, page, 'en', /010594Y9032/);
  await makeKeys(page, 'en');
});

check('adviced dies while the photo uploads; the app reconnects by itself and sends the question once', async () => {
  await navTo(page, 'en', 'nav.ask');
  await page.getByRole('heading', { name: text('en', 'ask.title') }).waitFor();
  await page.getByRole('radio').first().check();
  await page.getByLabel(text('en', 'ask.text')).fill(QUESTION);
  await page.locator('input[type=file]').setInputFiles({ name: 'letter.png', mimeType: 'image/png', buffer: photo });
  await page.getByRole('img', { name: /letter\.png/ }).waitFor();
  await page.getByRole('button', { name: text('en', 'ask.send') }).click();
  // Killed once some chunks have gone and others have not.
  await page.waitForFunction(() => {
    const p = document.querySelector('.upload progress');
    return p !== null && p.value > 0 && p.value < p.max;
  }, null, { polling: 'raf', timeout: 60000 });
  await svc.killAdviced();
  await reconnectsByItself('resilience-ask-reconnecting');
  await page.waitForURL(/#\/thread\/[0-9a-f]{32}$/, { timeout: 60000 });
  await page.getByRole('log').getByText(QUESTION).waitFor();
  await looked(page, 'resilience-thread-asked');

  const thread = threadOfPage(page);
  const out = await svc.worker(['read', thread]);
  assert.equal(out.thread, thread);
  assert.equal(out.messages.length, 1, 'one message');
  assert.equal(out.messages[0].text, QUESTION);
  assert.equal(out.messages[0].files.length, 1, 'one attachment');
  assert.equal(out.messages[0].files[0].size, photo.length);
  assert.equal(out.messages[0].files[0].sha256, sha256(photo), 'the photo arrived whole');

  await navTo(page, 'en', 'nav.threads');
  await page.getByRole('heading', { name: text('en', 'threads.title') }).waitFor();
  await page.locator('.thread-list').waitFor();
  assert.equal(await page.locator('.thread-item').count(), 1, 'one thread');
  await page.locator('.thread-item a').click();
  await page.getByRole('log').getByText(QUESTION).waitFor();
});

check('a reply sent while adviced is down waits as sending and arrives once when it is back', async () => {
  const thread = threadOfPage(page);
  await svc.killAdviced();
  await page.locator('.conn[data-conn="reconnecting"]').waitFor({ timeout: 30000 });
  await page.getByLabel(text('en', 'thread.replyText')).fill(REPLY);
  await page.getByRole('button', { name: text('en', 'thread.send') }).click();
  await page.getByRole('log').locator('li.msg.sending').getByText(REPLY).waitFor();
  await reconnectsByItself('resilience-reply-reconnecting');
  await page.waitForFunction((r) => {
    const log = document.querySelector('[role=log]');
    return log.querySelectorAll('li.msg.sending').length === 0 &&
      [...log.querySelectorAll('li.msg .msg-text')].some((m) => m.textContent === r);
  }, REPLY, { timeout: 60000 });
  assert.deepEqual(await shown(), [[QUESTION, REPLY], 0]);
  assert.equal(await page.getByLabel(text('en', 'thread.replyText')).inputValue(), '', 'the form is empty again');
  const out = await svc.worker(['read', thread]);
  assert.deepEqual(out.messages.map((m) => m.text), [QUESTION, REPLY], 'the reply once, after the question');
  await looked(page, 'resilience-thread-replied');
});

check('a reload sends nothing twice', async () => {
  const thread = threadOfPage(page);
  await page.reload();
  await page.getByRole('log').getByText(REPLY).waitFor({ timeout: 60000 });
  await page.locator('.conn[data-conn="open"]').waitFor({ state: 'attached' });
  assert.deepEqual(await shown(), [[QUESTION, REPLY], 0]);
  const out = await svc.worker(['read', thread]);
  assert.deepEqual(out.messages.map((m) => m.text), [QUESTION, REPLY]);
  await navTo(page, 'en', 'nav.threads');
  await page.locator('.thread-list').waitFor();
  assert.equal(await page.locator('.thread-item').count(), 1, 'still one thread');
});

check('no page error, no console error but the refused connections while adviced was down', async () => {
  assert.deepEqual(errors, []);
  await page.context().close();
});

check('adviced exits 0 on SIGTERM with no sanitizer report in its log', async () => {
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
