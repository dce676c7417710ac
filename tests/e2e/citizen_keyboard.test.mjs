// Browser end-to-end test of the citizen's app with the keyboard alone: from the front page
// through the bank, the key setup and "My questions" to a new question (the topic chosen with
// the arrow keys, the text typed) and its sending, with Tab, Space, Enter and the arrows only.
// At each change of view the focus is on the new view's h1; every control reached with Tab
// shows its focus (a visible outline); the demo worker reads the question as typed and its
// answer appears. Environment: harness.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Service } from './harness.mjs';
import { looked, openPage, text } from './citizen_helpers.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const QUESTION = 'Can I get help with my rent? I lost my job last month.';
const ANSWER = 'Yes: apply for basic income support from Kela first; I can help.';

before(() => svc.start(null, '', { ownApp: true }));
after(() => svc.finish());

let page;
let errors;

/** What has the focus: tag, id, type, role, its accessible text and whether its outline shows. */
function focused() {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (el === null || el === document.body) return { tag: 'body' };
    const style = getComputedStyle(el);
    // A file input is hidden: its label shows the focus (app.css).
    const shown = el.type === 'file' ? getComputedStyle(el.nextElementSibling) : style;
    return {
      tag: el.tagName.toLowerCase(), id: el.id, type: el.type ?? '', checked: el.checked === true,
      text: (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().replace(/\s+/g, ' '),
      outline: shown.outlineStyle !== 'none' && parseFloat(shown.outlineWidth) >= 2,
    };
  });
}

/**
 * Presses Tab until `want(focused)` holds (at most 40 times); the control's focus must show
 * (the app's outline; `ours` false: a page of the bank, which styles its own focus).
 */
async function tabTo(what, want, ours = true) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const f = await focused();
    if (want(f)) {
      if (ours) assert.equal(f.outline, true, `${what}: the focus is visible`);
      return f;
    }
  }
  throw new Error(`Tab did not reach ${what}`);
}

/** Waits until the focus is on the h1 `heading` (the view changed). */
async function focusOnHeading(heading) {
  await page.waitForFunction((h) => {
    const el = document.activeElement;
    return el?.tagName === 'H1' && el.textContent.trim() === h;
  }, heading, { timeout: 30000 }).catch(async () => {
    assert.fail(`the focus is not on the h1 "${heading}" but on ${JSON.stringify(await focused())}`);
  });
}

check('the citizen logs in at the bank and makes their keys with the keyboard alone', async () => {
  ({ page, errors } = await openPage(svc));
  await page.goto(svc.url);
  await page.getByRole('link', { name: text('en', 'login.bank') }).waitFor();
  await tabTo('the login link', (f) => f.tag === 'a' && f.text === text('en', 'login.bank'));
  await page.keyboard.press('Enter');
  await page.waitForURL(`http://localhost:${svc.bankPort}/**`);
  await tabTo('the test person', (f) => f.tag === 'button' && /010594Y9032/.test(f.text), false);
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.href.startsWith(svc.url));

  await focusOnHeading(text('en', 'keys.first.title'));
  await tabTo('Make my keys', (f) => f.tag === 'button' && f.text === text('en', 'keys.first.start'));
  await page.keyboard.press('Enter');
  await focusOnHeading(text('en', 'keys.code.title'));
  await tabTo('the saved box', (f) => f.id === 'code-saved');
  await page.keyboard.press('Space');
  assert.equal((await focused()).checked, true, 'Space ticks the box');
  await tabTo('Continue', (f) => f.tag === 'button' && f.text === text('en', 'keys.code.continue'));
  await page.keyboard.press('Enter');
  await focusOnHeading(text('en', 'threads.title'));
});

check('from My questions to a new question: the topic with the arrow keys, the text typed, sent', async () => {
  await tabTo('Ask a new question', (f) => f.tag === 'a' && f.text === text('en', 'threads.ask'));
  await page.keyboard.press('Enter');
  await focusOnHeading(text('en', 'ask.title'));
  await page.getByRole('radio').first().waitFor();
  const radios = await page.getByRole('radio').evaluateAll((rs) => rs.map((r) => r.id));
  assert.ok(radios.length >= 2, 'the demo has several topics');
  const first = await tabTo('the first topic', (f) => f.type === 'radio');
  assert.equal(first.id, radios[0], 'Tab enters the topics at the first one');
  await page.keyboard.press('ArrowDown');
  assert.deepEqual(await focused().then((f) => [f.id, f.checked]), [radios[1], true], 'ArrowDown picks the next topic');
  await page.keyboard.press('ArrowUp');
  assert.deepEqual(await focused().then((f) => [f.id, f.checked]), [radios[0], true], 'ArrowUp picks the first topic again');
  await tabTo('the question text', (f) => f.id === 'ask-text');
  await page.keyboard.type(QUESTION);
  await tabTo('the file button', (f) => f.type === 'file');
  await looked(page, 'keyboard-ask-filled');
  await tabTo('Send the question', (f) => f.tag === 'button' && f.text === text('en', 'ask.send'));
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/thread\/[0-9a-f]{32}$/, { timeout: 60000 });
  await page.getByRole('log').getByText(QUESTION).waitFor();
  await focusOnHeading('Adult social work');
  await looked(page, 'keyboard-thread');
});

check('the demo worker reads the question as typed and its answer appears', async () => {
  const thread = page.url().match(/thread\/([0-9a-f]{32})$/)[1];
  const out = await svc.worker(['answer', '--text', ANSWER]);
  assert.equal(out.thread, thread);
  assert.equal(out.messages.length, 1);
  assert.equal(out.messages[0].text, QUESTION);
  assert.deepEqual(out.messages[0].files, []);
  await page.getByRole('log').getByText(ANSWER).waitFor();
  // The reply form is the next stop after the thread's heading and messages.
  await tabTo('the reply text', (f) => f.id === 'reply-text');
});

check('no page error, no console error', async () => {
  assert.deepEqual(errors, []);
  await page.context().close();
});

check('adviced exits 0 on SIGTERM with no sanitizer report in its log', async () => {
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
