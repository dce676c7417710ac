// Browser end-to-end test of the register duties (issue 18) against the real adviced, test bank
// and records connector, with the app built for the demo data folder: a citizen asks and the
// demo worker answers; the citizen reads the privacy notice (every section of the register, in
// Finnish and Swedish), consents in the thread (the server's snapshot agrees), closes it and the
// connector hands it over; on "Your data" the log report names the worker (unit, role, name)
// and the disclosure and prints; the export zip unpacks with its manifest's hashes right and
// the texts inside; a restriction request with its words goes to the supervisor sara, who sees
// its deadline and grants it, and the thread is frozen for staff at once (the confirmation takes
// the focus; no content, no "Show identity"; advicectl requests agrees) and says it is restricted
// in the citizen's own view.
// The register keeper's side from advicectl: log-report, breach-scope naming the citizen's
// pseudonym, audit-verify, thread-erase of a thread never handed over (gone from the citizen's
// app; the handed-over one refused) and privacy-notice --lang sv. Every view passes axe-core
// and fits 390 px; screenshots are saved as artifacts. Environment: harness.mjs, and
// ADVICE_CONNECTOR (the advice-connector program).
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expectFocus } from '../../client-web/test/focus.mjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifact, Service } from './harness.mjs';
import { looked as lookedAt, navTo, openPage, png, text } from './citizen_helpers.mjs';
import { citizenAsks, ctl, LOGIN_401, openStaff, staffLogin, staffNav } from './staff_helpers.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const PERSON = '010594Y9032';
const QUESTION = 'Voinko saada apua vuokraan? Olen ollut työttömänä kolme kuukautta.';
const ANSWER = 'Hae ensin asumistukea Kelasta; autan mielelläni hakemuksen kanssa.';
const SECOND = 'Tämä kysymys oli virhe, poistakaa se.';
const WORDS = 'Rajoittakaa tämän keskustelun käsittelyä, kunnes valitukseni on käsitelty.';
const DECISION = 'Käsittelyä rajoitetaan valituksen ajaksi.';
const RECIPIENT = 'Demokunta client record system';

before(() => svc.start(null, '', { ownApp: true }));
after(() => svc.finish());

const looked = (page, name) => lookedAt(page, `register-${name}`);
const errors = [];
let citizen;
let citizenContext;
let sara;
let thread;
let second;
let pseudonym;
let connectorKid;
const api = () => `http://127.0.0.1:${svc.port}`;

/** advicectl --json on the service: the parsed result. */
const ctlJson = (args) => JSON.parse(ctl(svc, ['--json', ...args]));

/** One protocol request as the test citizen, through advicectl (a dev token of the test bank). */
function asCitizen(type, fields) {
  const token = ctl(svc, ['dev-token', PERSON]).trim();
  const out = execFileSync(process.env.ADVICECTL, ['request', api(), '--citizen', type, JSON.stringify(fields)],
    { input: `${token}\n`, encoding: 'utf8' });
  return JSON.parse(out);
}

/** A time of advicectl's JSON (ms or ISO 8601) in ms. */
const ms = (t) => (typeof t === 'number' ? t : Date.parse(t));

/** Helsinki's date today, YYYY-MM-DD. */
const today = () => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Helsinki' }).format(new Date());

check('the records connector is added with its certificate; the citizen asks and the demo worker answers', async () => {
  const program = process.env.ADVICE_CONNECTOR;
  assert.ok(program, 'ADVICE_CONNECTOR is not set: run the browser tests from ctest');
  const key = join(svc.dir, 'connector.key');
  const keys = Object.fromEntries(execFileSync(program, ['keygen', key], { encoding: 'utf8' })
    .trim().split('\n').map((l) => l.split(' ')));
  ctl(svc, ['connector-add', 'records', '--box-pk', keys.box_pk, '--sign-pk', keys.sign_pk, join(svc.data, 'secrets/demo-root.key')]);
  const list = ctlJson(['connector-list']);
  const records = Object.values(list).flat().find((c) => c?.name === 'records');
  assert.ok(records && /^[0-9a-f]{32}$/.test(records.kid), `the connector in ${JSON.stringify(list)}`);
  connectorKid = records.kid;

  citizenContext = await svc.browser.newContext({ locale: 'en-GB' });
  citizen = await citizenAsks(svc, citizenContext, { topic: /Adult social work/, question: QUESTION, image: png(64, 48) });
  collect(citizen);
  thread = citizen.url().match(/thread\/([0-9a-f]{32})$/)[1];
  const out = await svc.worker(['answer', '--text', ANSWER]);
  assert.equal(out.thread, thread);
  await citizen.getByRole('log').getByText(ANSWER).waitFor();
});

/** The page's errors, console errors and failed responses into `errors` (as openPage does). */
function collect(page, allow = null) {
  const allowed = (s) => allow !== null && allow.test(s);
  page.on('pageerror', (e) => !allowed(e.message) && errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/WebSocket connection to .*\/ws' failed/.test(m.text()) &&
    !/status of 404/.test(m.text()) && !allowed(m.text()) && errors.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && !allowed(`${r.status()} ${r.url()}`) && errors.push(`${r.status()} ${r.url()}`));
}

/** The language switch of the citizen's app, to `lang`. */
async function switchTo(page, from, lang) {
  const name = { fi: 'Suomi', sv: 'Svenska', en: 'English' }[lang];
  await page.getByRole('navigation', { name: text(from, 'lang.label') }).getByRole('button', { name }).click();
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

const SECTIONS = [['controller', 'privacy.controller.h'], ['dpo', 'privacy.dpo.h'], ['purposes', 'privacy.purposes.h'],
  ['data', 'privacy.data.h'], ['subjects', 'privacy.subjects.h'], ['sources', 'privacy.sources.h'],
  ['recipients', 'privacy.recipients.h'], ['processors', 'privacy.processors.h'], ['transfers', 'privacy.transfers.h'],
  ['retention', 'privacy.retention.h'], ['rights', 'privacy.rights.h'], ['complain', 'privacy.complain.h']];

check('the privacy notice shows every section of the register in Finnish and in Swedish', async () => {
  const reg = await (await fetch(`${api()}/api/v1/register`)).json();
  assert.equal(reg.type, 'ok');
  let from = 'en';
  for (const lang of ['fi', 'sv']) {
    await switchTo(citizen, from, lang);
    from = lang;
    await citizen.getByRole('contentinfo').getByRole('link', { name: text(lang, 'footer.privacy') }).click();
    await citizen.getByRole('heading', { name: text(lang, 'privacy.title'), level: 1 }).waitFor();
    await citizen.locator('#privacy-controller-h').waitFor();
    for (const [id, key] of SECTIONS)
      assert.equal((await citizen.locator(`#privacy-${id}-h`).textContent()).trim(), text(lang, key), `${lang}: section ${id}`);
    const main = (await citizen.locator('main').innerText()).replace(/\s+/g, ' ');
    const shown = [reg.controller.name, reg.controller.contact, reg.dpo.name, reg.dpo.contact, reg.rights_contact,
      ...reg.purposes.flatMap((p) => [p.purpose, p.basis]), ...reg.data_categories, ...reg.subjects, ...reg.recipients,
      ...reg.regular_disclosures, ...reg.processors.map((p) => p.task)];
    for (const t of shown) assert.ok(main.includes(t[lang].replace(/\s+/g, ' ')), `${lang}: ${t[lang]}`);
    assert.ok(main.includes(text(lang, 'privacy.complain.name')), `${lang}: the Data Protection Ombudsman`);
    await looked(citizen, `privacy-${lang}`);
  }
  await switchTo(citizen, from, 'en');
});

check('the citizen consents in the thread; the server\'s snapshot agrees; closed, the connector hands it over', async () => {
  await citizen.goto(`${svc.url}#/thread/${thread}`);
  const panel = citizen.locator('section.consent');
  await panel.getByRole('heading', { name: text('en', 'consent.h') }).waitFor();
  await panel.getByRole('button', { name: text('en', 'consent.give') }).waitFor();
  await looked(citizen, 'consent');
  // Without the box ticked: the error summary.
  await panel.getByRole('button', { name: text('en', 'consent.give') }).click();
  await citizen.getByRole('alert').getByText(text('en', 'consent.error.tick')).waitFor();
  await looked(citizen, 'consent-error');
  await panel.getByLabel(text('en', 'consent.confirm')).check();
  await panel.getByRole('button', { name: text('en', 'consent.give') }).click();
  await panel.getByText(text('en', 'consent.stateWaiting')).waitFor();
  assert.match(await panel.locator('#consent-state').innerText(), /You gave your consent on/);
  await looked(citizen, 'consent-given');

  const summary = asCitizen('thread.get', { thread }).summary;
  assert.equal(summary.consent?.connector, connectorKid, `the snapshot's consent: ${JSON.stringify(summary.consent)}`);
  assert.equal(summary.consent.withdrawn, null);
  assert.equal(summary.handed_over, false);

  await citizen.getByRole('button', { name: text('en', 'thread.close') }).click();
  await citizen.getByRole('button', { name: text('en', 'thread.closeYes') }).click();
  await citizen.getByText(text('en', 'thread.closed')).waitFor();

  const target = join(svc.dir, 'records');
  mkdirSync(target);
  const rootPk = readFileSync(join(svc.data, 'root.pub'), 'utf8').trim();
  const out = execFileSync(process.env.ADVICE_CONNECTOR, ['run', '--once', '--server', api(), '--origin', api(),
    '--key', join(svc.dir, 'connector.key'), '--root-pk', rootPk, '--state', join(svc.dir, 'connector-state'),
    '--adapter', 'directory', '--target', target, '--recipient', RECIPIENT,
    '--basis', 'Client Data Act 703/2023, the client\'s consent', '--dataset', 'the conversation and its attachments'],
  { encoding: 'utf8', timeout: 60000 });
  assert.match(out, new RegExp(`${thread}-0 handed over`));
  assert.equal(readdirSync(target).length, 1, 'one bundle in the record system\'s folder');
  assert.equal(asCitizen('thread.get', { thread }).summary.handed_over, true);
  await citizen.reload();
  await citizen.locator('section.consent').getByText(text('en', 'consent.stateHandedOver')).waitFor();
});

check('"Your data": the log report names the worker and the disclosure, and prints', async () => {
  await navTo(citizen, 'en', 'mydata.nav');
  await citizen.getByRole('heading', { name: text('en', 'mydata.title'), level: 1 }).waitFor();
  await citizen.getByRole('heading', { name: text('en', 'mydata.rights.listH') }).waitFor();
  await looked(citizen, 'mydata');
  await citizen.getByRole('button', { name: text('en', 'mydata.report.show') }).click();
  const report = citizen.locator('.mydata-report');
  await report.waitFor();
  const rows = await report.locator('ol.log-list').first().locator('li').allInnerTexts();
  const anna = rows.filter((r) => r.includes('Anna Virtanen'));
  assert.ok(anna.length > 0, `Anna Virtanen in the report: ${rows.join(' | ')}`);
  assert.ok(anna.every((r) => r.includes('Adult social work') && r.includes(text('en', 'mydata.role.worker'))), anna.join(' | '));
  const connector = rows.filter((r) => r.includes(text('en', 'mydata.role.connector')));
  assert.ok(connector.length > 0 && connector.every((r) => /\brecords\b/.test(r)), `the connector's reads, named: ${connector.join(' | ')}`);
  // What was done, in words: the access log's actions are each in the catalogue.
  const done = await report.locator('ol.log-list').first().locator(`div:has(> dt:text-is("${text('en', 'mydata.report.what')}")) dd`).allInnerTexts();
  const raw = new Set(['read', 'summary', 'keys', 'claim', 'write', 'file.get']);
  assert.deepEqual(done.filter((w) => raw.has(w)), [], `actions not in words: ${done.join(' | ')}`);
  assert.ok(done.includes(text('en', 'mydata.action.read')) && done.includes(text('en', 'mydata.action.claim')), done.join(' | '));
  const disclosures = await report.locator('ol.log-list').nth(1).locator('li').allInnerTexts();
  assert.equal(disclosures.length, 1, disclosures.join(' | '));
  assert.match(disclosures[0], new RegExp(RECIPIENT));
  await looked(citizen, 'report');
  await citizen.emulateMedia({ media: 'print' });
  assert.equal(await citizen.locator('#export-h').isVisible(), false, 'the export is not printed');
  assert.equal(await citizen.locator('nav').first().isVisible(), false, 'the navigation is not printed');
  assert.equal(await report.isVisible(), true, 'the report is printed');
  const shot = artifact('register-report-print.png');
  if (shot) await citizen.screenshot({ path: shot, fullPage: true });
  await citizen.emulateMedia({ media: 'screen' });
});

check('the export: a zip whose manifest\'s hashes match, with the question and the answer inside', async () => {
  await citizen.getByRole('button', { name: text('en', 'mydata.export.start') }).click();
  const link = citizen.locator('a.download-link');
  await link.waitFor({ timeout: 60000 });
  await looked(citizen, 'export-done');
  const [download] = await Promise.all([citizen.waitForEvent('download'), link.click()]);
  const zip = join(svc.dir, 'export.zip');
  await download.saveAs(zip);
  const dir = join(svc.dir, 'export');
  execFileSync('unzip', ['-q', zip, '-d', dir]);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.format, 'advice-export');
  assert.equal(manifest.hash, 'blake2b-256');
  assert.equal(manifest.threads, 1);
  assert.ok(manifest.files.length >= 2, 'thread.json and the attachment');
  for (const f of manifest.files) {
    const sum = execFileSync('b2sum', ['-l', '256', join(dir, f.path)], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(sum, f.blake2b_256, f.path);
    assert.equal(readFileSync(join(dir, f.path)).length, f.size, f.path);
  }
  const json = manifest.files.find((f) => f.path.endsWith('thread.json'));
  const content = readFileSync(join(dir, json.path), 'utf8');
  assert.ok(content.includes(QUESTION), 'the question in thread.json');
  assert.ok(content.includes(ANSWER), 'the answer in thread.json');
  assert.ok(manifest.files.some((f) => /\.png$/.test(f.path)), 'the attachment');
});

check('the citizen asks for restriction with their words; the request shows its deadline', async () => {
  await citizen.locator('ul.rights-threads a').first().click();
  await citizen.getByRole('heading', { name: text('en', 'mydata.rights.title'), level: 1 }).waitFor();
  await citizen.getByText(text('en', 'mydata.rights.handedOver')).waitFor();
  await looked(citizen, 'rights-form');
  await citizen.getByRole('button', { name: text('en', 'mydata.rights.send') }).click();
  await citizen.getByRole('alert').getByText(text('en', 'mydata.rights.error.kind')).waitFor();
  await looked(citizen, 'rights-errors');
  await citizen.getByLabel(text('en', 'mydata.kind.restriction'), { exact: true }).check();
  await citizen.getByLabel(text('en', 'mydata.rights.text')).fill(WORDS);
  await citizen.getByRole('button', { name: text('en', 'mydata.rights.send') }).click();
  await citizen.getByRole('heading', { name: text('en', 'mydata.rights.sentH') }).waitFor();
  await looked(citizen, 'rights-sent');
  const list = ctlJson(['requests', '--open']).requests;
  assert.equal(list.length, 1, JSON.stringify(list));
  assert.equal(list[0].kind, 'restriction');
  assert.equal(list[0].thread, thread);
  assert.equal(list[0].state, 'open');
});

check('sara sees the request with its deadline and grants it; the thread is frozen for staff', async () => {
  let e;
  ({ page: sara, errors: e } = await openPage(svc, { allow: LOGIN_401 }));
  errors.push(e);
  await openStaff(sara, svc, 'en');
  await staffLogin(sara, 'en', 'sara');
  await staffNav(sara, 'en', 'staff.rights.nav');
  await sara.getByRole('heading', { name: text('en', 'staff.rights.title') }).waitFor();
  const row = sara.locator('table.rights-table tbody tr');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  const cells = await row.first().innerText();
  assert.match(cells, new RegExp(text('en', 'staff.rights.kind.restriction')));
  assert.match(cells, new RegExp(text('en', 'staff.rights.state.open')));
  const [req] = ctlJson(['requests']).requests;
  const month = ms(req.due) - ms(req.made);
  assert.ok(month >= 28 * 86400000 && month <= 31 * 86400000, `due a month after it was made: ${req.made} ${req.due}`);
  const dueYear = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Helsinki', year: 'numeric' }).format(ms(req.due));
  assert.match(cells.split('\t')[3], new RegExp(dueYear), 'the due date with its year in the list');
  await looked(sara, 'staff-rights');
  await row.first().getByRole('link').click();
  const panel = sara.locator('section.thread-rights');
  await panel.waitFor();
  await panel.getByText(WORDS).waitFor();
  await looked(sara, 'staff-decide');
  await panel.getByLabel(text('en', 'staff.rights.outcome.granted')).check();
  await panel.getByLabel(text('en', 'staff.rights.reason')).fill(DECISION);
  await panel.getByRole('button', { name: text('en', 'staff.rights.submit') }).click();
  // The granted restriction freezes the thread at once: the banner replaces the requests panel,
  // the confirmation takes the focus, and no content or "Show identity" is left in view.
  await sara.getByText(text('en', 'staff.restrict.title')).first().waitFor();
  await sara.getByText(text('en', 'staff.restrict.banner')).waitFor();
  await sara.locator('#sthread-done').filter({ hasText: text('en', 'staff.rights.doneRestricted') }).waitFor();
  await expectFocus(sara, () => document.activeElement?.id, 'sthread-done', 'the confirmation has the focus');
  assert.equal(await sara.locator('section.thread-rights').count(), 0);
  assert.equal(await sara.locator('.identity').count(), 0, '"Show identity" is not offered');
  assert.equal(await sara.getByText(WORDS).count(), 0, 'the messages read before are gone');
  await looked(sara, 'staff-restricted');
  const [decided] = ctlJson(['requests']).requests;
  assert.equal(decided.state, 'granted');
  assert.ok(ms(decided.decided) > ms(decided.made), 'decided after it was made');
  assert.equal(asCitizen('thread.get', { thread }).summary.restricted, true);
});

check('the citizen sees the decision with its reason, and no new request on the frozen thread', async () => {
  await citizen.goto(`${svc.url}#/mydata`);
  const item = citizen.locator('li.rights-item');
  await item.getByText(text('en', 'mydata.state.granted')).waitFor();
  await item.getByText(DECISION).waitFor();
  await looked(citizen, 'rights-decided');
  await citizen.goto(`${svc.url}#/mydata/${thread}`);
  await citizen.getByText(text('en', 'mydata.rights.restrictedNoForm')).waitFor();
  await looked(citizen, 'rights-restricted');
  await citizen.goto(`${svc.url}#/thread/${thread}`);
  const notice = citizen.locator('.restricted-notice');
  await notice.getByText(text('en', 'thread.restrictedH')).waitFor();
  await notice.getByText(text('en', 'thread.restricted')).waitFor();
  await citizen.getByText(WORDS).waitFor(); // the citizen still reads it
  await looked(citizen, 'thread-restricted');
});

check('the register keeper: log-report, breach-scope, audit-verify, privacy-notice --lang sv', async () => {
  pseudonym = execFileSync(process.env.ADVICECTL, ['-d', svc.data, 'citizen-find'], { input: `${PERSON}\n`, encoding: 'utf8' })
    .match(/[0-9a-f]{32}/)?.[0];
  assert.ok(pseudonym, 'citizen-find gives a pseudonym');
  const { report } = ctlJson(['log-report', pseudonym]);
  const anna = report.accesses.filter((a) => a.name === 'Anna Virtanen');
  assert.ok(anna.length > 0 && anna.every((a) => a.role === 'worker' && a.unit_name === 'Adult social work'), JSON.stringify(report.accesses));
  assert.ok(report.accesses.some((a) => a.role === 'connector' && a.name === 'records'), 'the connector named');
  assert.equal(report.disclosures.length, 1);
  assert.equal(report.disclosures[0].recipient, RECIPIENT);
  const scope = ctlJson(['breach-scope', '--user', 'anna', '--from', today(), '--to', today()]);
  assert.ok(JSON.stringify(scope).includes(pseudonym), `breach-scope names the citizen: ${JSON.stringify(scope)}`);
  ctl(svc, ['audit-verify']); // throws unless exit 0
  const notice = ctl(svc, ['privacy-notice', '--lang', 'sv']);
  const reg = await (await fetch(`${api()}/api/v1/register`)).json();
  assert.ok(notice.includes(reg.controller.name.sv), 'the Swedish controller');
  assert.ok(notice.includes(reg.rights_contact.sv.split('\n')[0]), 'the Swedish rights contact');
});

check('thread-erase: a thread never handed over is gone from the citizen\'s app; the handed-over one is refused', async () => {
  await navTo(citizen, 'en', 'nav.ask');
  await citizen.getByRole('radio', { name: /Adult social work/ }).check();
  await citizen.getByLabel(text('en', 'ask.text')).fill(SECOND);
  await citizen.getByRole('button', { name: text('en', 'ask.send') }).click();
  await citizen.waitForURL(/#\/thread\/[0-9a-f]{32}$/);
  second = citizen.url().match(/thread\/([0-9a-f]{32})$/)[1];
  assert.notEqual(second, thread);
  await navTo(citizen, 'en', 'nav.threads');
  await citizen.locator(`a[href$="${second}"]`).waitFor();

  assert.throws(() => execFileSync(process.env.ADVICECTL, ['-d', svc.data, 'thread-erase', thread, '--reason', 'asked by the client'],
    { encoding: 'utf8', stdio: 'pipe' }), /handed over|client document|retention/);
  const erased = ctlJson(['thread-erase', second, '--reason', 'the client asked for erasure']);
  assert.equal(erased.shredded.length, 1);
  assert.equal(erased.shredded[0].why, 'erasure');
  assert.equal(erased.shredded[0].citizen, pseudonym);

  await citizen.reload();
  await citizen.getByRole('heading', { name: text('en', 'threads.title') }).waitFor();
  await citizen.locator(`a[href$="${thread}"]`).waitFor();
  assert.equal(await citizen.locator(`a[href$="${second}"]`).count(), 0, 'the erased thread in the list');
  await looked(citizen, 'threads-after-erase');
  await citizen.goto(`${svc.url}#/thread/${second}`);
  await citizen.getByRole('heading', { name: text('en', 'thread.missingH'), level: 1 }).waitFor();
  assert.equal(await citizen.getByText(text('en', 'thread.lockedH')).count(), 0, 'not shown as a thread of other keys');
  await looked(citizen, 'erased-thread');
  assert.equal(await citizen.getByText(SECOND).count(), 0, 'the erased question is not shown');
});

check('no page error, no console error; adviced exits 0 on SIGTERM with no sanitizer report', async () => {
  await citizenContext.close();
  await sara?.context().close();
  assert.deepEqual(errors.flat(), []);
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
