// Browser end-to-end test: a citizen opens the front page in Chromium, follows "Log in with
// bank ID", picks a test person at the test bank, comes back logged in (the page shows the
// WebSocket's welcome), and cancelling at the bank leaves them logged out. Real adviced, real
// test bank, real browser (Debian's chromium driven by playwright-core).
//
// Environment: ADVICED, ADVICECTL (programs), ADVICE_SOURCE_DIR (the tree), CHROMIUM (optional,
// default /usr/bin/chromium), ADVICE_E2E_SCREENSHOT (optional: where to save a screenshot).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const src = process.env.ADVICE_SOURCE_DIR;
const children = [];
let dir, port, bankPort, browser;

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

function start(cmd, args, env, log) {
  const out = openSync(join(dir, log), 'a');
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  children.push(child);
  return child;
}

before(async () => {
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
  start(process.env.ADVICED, ['-c', join(data, 'adviced.conf')], {}, 'adviced.log');
  await waitFor(`http://127.0.0.1:${port}/api/v1/health`);
  await waitFor(`http://127.0.0.1:${bankPort}/.well-known/openid-configuration`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  if (!process.env.ADVICE_KEEP_TEST_DIR) rmSync(dir, { recursive: true, force: true });
});

test('a citizen logs in with bank ID and the page shows the session', async () => {
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

test('cancelling at the bank leaves the citizen logged out', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`http://localhost:${port}/`);
  await page.getByRole('link', { name: 'Log in with bank ID' }).click();
  await page.waitForURL(`http://localhost:${bankPort}/**`);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.waitForLoadState('networkidle');
  const names = (await context.cookies()).map((c) => c.name);
  assert.equal(names.includes('__Host-advice'), false);
  await context.close();
});
