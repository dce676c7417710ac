// Browser end-to-end test of the citizen's app in Finnish and in Swedish: the language chosen
// with the language switch on the front page, <html lang> following, then the whole main path
// (keys, my questions, a new question, the thread with the demo worker's answer) in that
// language, with dates and times in it; every view passes axe-core, fits 390 px and is saved
// as a screenshot. And a draft survives a re-login: the text typed in a new question, logged
// out, logged in again by bank, is back in the form. Environment: harness.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { artifact, Service } from './harness.mjs';
import { bankLogin, looked, makeKeys, navTo, openPage, text } from './citizen_helpers.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const LOCALES = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };
const PATHS = {
  fi: { person: /010594Y9032/, question: 'Miten haen toimeentulotukea? Olen ollut työttömänä kaksi kuukautta.',
    answer: 'Hae ensin perustoimeentulotukea Kelasta. Autan mielelläni.' },
  sv: { person: /020594X903P/, question: 'Hur ansöker jag om utkomststöd? Jag har varit arbetslös i två månader.',
    answer: 'Ansök först om grundläggande utkomststöd hos FPA. Jag hjälper gärna till.' },
};
const DRAFT = 'Luonnos: haluaisin kysyä vielä asumistuesta, kirjoitan tämän loppuun myöhemmin.';

before(() => svc.start(null, '', { ownApp: true }));
after(() => svc.finish());

const pages = {};

/** Today's short weekday in Helsinki in `lang` ("ma", "mån", "Mon"). */
function weekday(lang) {
  return new Intl.DateTimeFormat(LOCALES[lang], { timeZone: 'Europe/Helsinki', weekday: 'short' }).format(new Date());
}

/** The text holds today's weekday in `lang` and not in English. */
function inLanguage(s, lang, what) {
  assert.ok(s.split(/[\s,.]+/).includes(weekday(lang)), `${what} in ${lang}: ${s}`);
  assert.ok(!s.split(/[\s,.]+/).includes(weekday('en')), `${what} is not in English: ${s}`);
}

async function htmlLang(page) {
  return page.evaluate(() => document.documentElement.lang);
}

for (const lang of ['fi', 'sv']) {
  const { person, question, answer } = PATHS[lang];

  check(`${lang}: the language switch on the front page, <html lang> following`, async () => {
    const p = await openPage(svc, { locale: 'en-GB' });
    pages[lang] = p;
    const { page } = p;
    await page.goto(svc.url);
    await page.getByRole('link', { name: text('en', 'login.bank') }).waitFor();
    assert.equal(await htmlLang(page), 'en');
    await page.getByRole('navigation', { name: text('en', 'lang.label') }).getByRole('button', { name: { fi: 'Suomi', sv: 'Svenska' }[lang] }).click();
    await page.getByRole('link', { name: text(lang, 'login.bank') }).waitFor().catch(async (e) => {
      const shot = artifact(`lang-${lang}-front-failed.png`); // what the page showed instead
      if (shot) await page.screenshot({ path: shot, fullPage: true });
      throw e;
    });
    assert.equal(await htmlLang(page), lang);
    assert.equal(await page.title(), text(lang, 'app.title'));
    await looked(page, `lang-${lang}-front`);
  });

  check(`${lang}: keys, my questions, a new question and the worker's answer in ${lang}`, async () => {
    const { page } = pages[lang];
    await bankLogin(svc, page, lang, person);
    assert.equal(await htmlLang(page), lang, 'the language kept through the bank');
    await makeKeys(page, lang, `lang-${lang}`);
    await page.getByText(text(lang, 'threads.empty')).waitFor();
    await looked(page, `lang-${lang}-threads-empty`);

    await navTo(page, lang, 'nav.ask');
    await page.getByRole('heading', { name: text(lang, 'ask.title') }).waitFor();
    await page.getByRole('radio').first().waitFor();
    await looked(page, `lang-${lang}-ask`);
    await page.getByRole('button', { name: text(lang, 'ask.send') }).click();
    await page.getByRole('alert').getByText(text(lang, 'nav.errorSummary')).waitFor();
    await page.getByRole('alert').getByText(text(lang, 'ask.error.text')).waitFor();
    await looked(page, `lang-${lang}-ask-errors`);
    await page.getByRole('radio').first().check();
    await page.getByLabel(text(lang, 'ask.text')).fill(question);
    await page.getByRole('button', { name: text(lang, 'ask.send') }).click();
    await page.waitForURL(/#\/thread\/[0-9a-f]{32}$/, { timeout: 60000 });
    const log = page.getByRole('log');
    await log.getByText(question).waitFor();
    assert.equal(await page.title(), `${text(lang, 'thread.title')} – ${text(lang, 'app.title')}`);

    const out = await svc.worker(['answer', '--text', answer]);
    assert.equal(out.messages[0].text, question);
    await log.getByText(answer).waitFor();
    const times = await log.locator('.msg-time').allTextContents();
    assert.equal(times.length, 2);
    for (const t of times) inLanguage(t, lang, 'a message time');
    assert.equal(await log.locator('li.msg.mine .msg-who').textContent(), text(lang, 'thread.you'));
    assert.match(await log.locator('li.msg.staff .msg-tag').textContent(), new RegExp(text(lang, 'thread.staffTag')));
    await looked(page, `lang-${lang}-thread`);

    await navTo(page, lang, 'nav.threads');
    await page.locator('.thread-item').waitFor();
    const item = page.locator('.thread-item');
    assert.equal(await item.locator('.state').textContent(), text(lang, 'threads.state.answered'));
    inLanguage(await item.locator('dd').nth(2).textContent(), lang, 'the last activity');
    await looked(page, `lang-${lang}-threads`);
    assert.equal(await htmlLang(page), lang);

    // Logged in, the switch changes the page's language at once, and back.
    const other = lang === 'fi' ? 'sv' : 'fi';
    const sw = page.getByRole('navigation', { name: text(lang, 'lang.label') });
    await sw.getByRole('button', { name: { fi: 'Suomi', sv: 'Svenska' }[other] }).click();
    await page.getByRole('heading', { name: text(other, 'threads.title') }).waitFor();
    // <html lang> follows in the same update's effect: wait for it rather than race it
    await page.waitForFunction((l) => document.documentElement.lang === l, other, { timeout: 5000 }).catch(() => {});
    assert.equal(await htmlLang(page), other);
    inLanguage(await item.locator('dd').nth(2).textContent(), other, 'the last activity after the switch');
    // A text the front page loads after login, in the other language's chunk.
    assert.equal(await item.locator('.state').textContent(), text(other, 'threads.state.answered'));
    await page.getByRole('navigation', { name: text(other, 'lang.label') })
      .getByRole('button', { name: { fi: 'Suomi', sv: 'Svenska' }[lang] }).click();
    await page.getByRole('heading', { name: text(lang, 'threads.title') }).waitFor();
    assert.equal(await htmlLang(page), lang);
  });
}

check('fi: a draft of a new question survives logging out and in again', async () => {
  const { page } = pages.fi;
  await navTo(page, 'fi', 'nav.ask');
  const field = page.getByLabel(text('fi', 'ask.text'));
  await field.fill(DRAFT);
  await page.getByRole('navigation', { name: text('fi', 'nav.label') }).getByRole('button', { name: text('fi', 'nav.logout') }).click();
  await page.getByText(text('fi', 'session.loggedOut')).waitFor({ timeout: 60000 });
  await bankLogin(svc, page, 'fi', PATHS.fi.person);
  await page.getByRole('heading', { name: text('fi', 'threads.title') }).waitFor({ timeout: 60000 });
  await navTo(page, 'fi', 'nav.ask');
  await page.getByRole('heading', { name: text('fi', 'ask.title') }).waitFor();
  await page.waitForFunction((d) => document.getElementById('ask-text')?.value === d, DRAFT, { timeout: 30000 });
  await looked(page, 'lang-fi-ask-draft');
});

check('no page error, no console error', async () => {
  for (const lang of ['fi', 'sv']) {
    assert.deepEqual(pages[lang].errors, [], lang);
    await pages[lang].context.close();
  }
});

check('adviced exits 0 on SIGTERM with no sanitizer report in its log', async () => {
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
