// Browser end-to-end test: a citizen opens the front page in Chromium, follows "Log in with
// bank ID", picks a test person at the test bank, comes back logged in (the page shows the
// WebSocket's welcome), and cancelling at the bank brings them back refused and logged out.
// Real adviced, real test bank, real browser (Debian's chromium driven by playwright-core).
// Last, adviced must exit 0 on SIGTERM with no sanitizer report in its log; on any failure the
// logs of adviced and the test bank are printed before the test folder is deleted.
//
// Environment: ADVICED, ADVICECTL (programs), ADVICE_SOURCE_DIR (the tree), CHROMIUM (optional,
// default /usr/bin/chromium), ADVICE_E2E_SCREENSHOT (optional: where to save a screenshot).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const src = process.env.ADVICE_SOURCE_DIR;
const children = [];
let dir, port, bankPort, browser, adviced;
let failed = false;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
}

async function waitFor(url, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer`);
}

// A test whose failure also has the logs printed at the end.
function check(name, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  });
}

// Sends SIGTERM (unless the child has already exited) and waits for the exit: { code, signal },
// or null when it did not exit within ms (it is then killed).
function stop(child, ms = 15000) {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
    child.kill('SIGTERM');
  });
}

function printLog(name) {
  let text;
  try {
    text = readFileSync(join(dir, name), 'utf8');
  } catch (e) {
    text = `(cannot read: ${e.message})\n`;
  }
  process.stderr.write(`---- ${name}\n${text}---- end of ${name}\n`);
}

function start(cmd, args, env, log) {
  const out = openSync(join(dir, log), 'a');
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  children.push(child);
  return child;
}

before(async () => {
  failed = true; // until the set-up is done
  dir = mkdtempSync(join(tmpdir(), 'advice-e2e-'));
  port = await freePort();
  do bankPort = await freePort(); while (bankPort === port);
  const data = join(dir, 'data');
  execFileSync(process.env.ADVICECTL, ['init', data, '--demo', '--test-mode', '--port', String(port),
    '--bank-port', String(bankPort), '--web-root', join(src, 'client-web')], { stdio: 'ignore' });
  start('node', [join(src, 'deploy/testbank/server.js')], {
    TESTBANK_PORT: String(bankPort),
    TESTBANK_REDIRECT_URIS: `http://localhost:${port}/api/v1/auth/bank/callback`,
    TESTBANK_RP_JWKS: `http://127.0.0.1:${port}/api/v1/auth/jwks`,
  }, 'testbank.log');
  adviced = start(process.env.ADVICED, ['-c', join(data, 'adviced.conf')], {}, 'adviced.log');
  await waitFor(`http://127.0.0.1:${port}/api/v1/health`);
  await waitFor(`http://127.0.0.1:${bankPort}/.well-known/openid-configuration`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  failed = false;
});

after(async () => {
  await browser?.close();
  await Promise.all(children.map((c) => stop(c)));
  if (!dir) return;
  if (failed) for (const log of ['adviced.log', 'testbank.log']) printLog(log);
  if (!process.env.ADVICE_KEEP_TEST_DIR) rmSync(dir, { recursive: true, force: true });
});

check('a citizen logs in with bank ID and the page shows the session', async () => {
  const page = await browser.newPage();
  await page.goto(`http://localhost:${port}/`);
  await page.getByText('The service is running').waitFor();
  assert.equal(await page.locator('#session').isHidden(), true);

  await page.getByRole('link', { name: 'Log in with bank ID' }).click();
  await page.waitForURL(`http://localhost:${bankPort}/**`);
  await page.getByRole('button', { name: /010594Y9032/ }).click();

  await page.waitForURL(`http://localhost:${port}/`);
  const session = page.locator('#session');
  await session.waitFor({ state: 'visible' });
  assert.match(await session.textContent(), /Logged in: citizen/);
  // The browser holds the session only as an HttpOnly cookie, never the ID token.
  const cookies = await page.context().cookies();
  const names = cookies.map((c) => c.name);
  assert.ok(names.includes('__Host-advice'));
  assert.equal(cookies.find((c) => c.name === '__Host-advice').httpOnly, true);
  assert.equal(await page.evaluate(() => document.cookie), '');
  if (process.env.ADVICE_E2E_SCREENSHOT) await page.screenshot({ path: process.env.ADVICE_E2E_SCREENSHOT });
  await page.close();
});

// Cancel at the bank sends the browser back to our callback with error=access_denied; adviced
// answers 401 and ends the login cookie that /auth/bank/start set, and no session begins.
check('cancelling at the bank brings the citizen back refused and logged out', async () => {
  const context = await browser.newContext();
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
  const exit = await stop(adviced);
  const log = readFileSync(join(dir, 'adviced.log'), 'utf8');
  const reports = log.split('\n').filter((line) => /Sanitizer|runtime error:/.test(line));
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
