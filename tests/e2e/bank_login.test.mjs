// Browser end-to-end test: a citizen opens the front page in Chromium, follows "Log in with
// bank ID", picks a test person at the test bank, comes back logged in (the page shows the
// WebSocket's welcome), and cancelling at the bank brings them back refused and logged out.
// Real adviced, real test bank, real browser (Debian's chromium driven by playwright-core), the
// app as ctest's web.build made it. Last, adviced must exit 0 on SIGTERM with no sanitizer
// report in its log; on any failure the logs of adviced and the test bank are printed before the
// test folder is deleted. Environment: harness.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { artifact, Service, webApp } from './harness.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
let port, bankPort, browser;

before(async () => {
  await svc.start(webApp().web);
  ({ port, bankPort, browser } = svc);
});

after(() => svc.finish());

check('a citizen logs in with bank ID and the page shows the session', async () => {
  const page = await browser.newPage({ locale: 'en-GB' });
  await page.goto(`http://localhost:${port}/`);
  await page.getByText('The service is running').waitFor();
  assert.equal(await page.locator('#session').isHidden(), true);

  await page.getByRole('link', { name: 'Log in with bank ID' }).click();
  await page.waitForURL(`http://localhost:${bankPort}/**`);
  await page.getByRole('button', { name: /010594Y9032/ }).click();

  // Back on the app, which moves on to the citizen's first page (#/threads) by itself.
  await page.waitForURL((u) => u.href.startsWith(`http://localhost:${port}/`));
  const session = page.locator('#session');
  await session.waitFor({ state: 'visible' });
  assert.match(await session.textContent(), /Logged in: citizen/);
  // The browser holds the session only as an HttpOnly cookie, never the ID token.
  const cookies = await page.context().cookies();
  const names = cookies.map((c) => c.name);
  assert.ok(names.includes('__Host-advice'));
  assert.equal(cookies.find((c) => c.name === '__Host-advice').httpOnly, true);
  assert.equal(await page.evaluate(() => document.cookie), '');
  const shot = artifact('bank-login-logged-in.png');
  if (shot) await page.screenshot({ path: shot });
  await page.close();
});

// Cancel at the bank sends the browser back to our callback with error=access_denied; adviced
// answers 401 and ends the login cookie that /auth/bank/start set, and no session begins.
check('cancelling at the bank brings the citizen back refused and logged out', async () => {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  const cookieNames = async () => (await context.cookies()).map((c) => c.name);
  await page.goto(`http://localhost:${port}/`);
  await page.getByRole('link', { name: 'Log in with bank ID' }).click();
  await page.waitForURL(`http://localhost:${bankPort}/**`);
  assert.ok((await cookieNames()).includes('__Host-advice-login'), 'the login cookie is set before the bank');

  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/bank/callback'),
    page.getByRole('button', { name: 'Cancel' }).click(),
  ]);
  const url = new URL(response.url());
  assert.equal(url.origin, `http://localhost:${port}`);
  assert.equal(url.searchParams.get('error'), 'access_denied');
  assert.ok(url.searchParams.get('state'), 'the bank returns the state');
  assert.equal(response.status(), 401);
  const body = await response.json();
  assert.equal(body.type, 'error');
  assert.match(body.message, /cancelled or refused at the identity provider/);

  const names = await cookieNames();
  assert.equal(names.includes('__Host-advice-login'), false, 'the login cookie is ended');
  assert.equal(names.includes('__Host-advice'), false, 'no session cookie');
  await context.close();
});

// Last: adviced stops on SIGTERM with exit status 0 and its log has no sanitizer report.
check('adviced exits 0 on SIGTERM with no sanitizer report in its log', async () => {
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
