// Browser end-to-end test of what the citizen's tests stand on: a service whose app is built for
// its own data folder (Service.start's ownApp) pins that folder's demo root key and serves the
// front page, whose data (GET /api/v1/service) has the demo's numbers and contacts; the demo worker (Service.worker, tests/e2e/e2e_worker.c) logs in as anna on it and
// verifies her keys to that root, and with no question asked yet it says so and fails. Last,
// adviced exits 0 on SIGTERM with no sanitizer report. Environment: harness.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Service } from './harness.mjs';

const svc = new Service();
const check = svc.check.bind(svc);

before(() => svc.start(null, '', { ownApp: true }));

after(() => svc.finish());

/** Whether a file under `dir` (any depth) contains `text`. */
function treeHas(dir, text) {
  return readdirSync(dir, { withFileTypes: true }).some((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? treeHas(p, text) : readFileSync(p, 'latin1').includes(text);
  });
}

check('the app built for the data folder pins its demo root key and serves the front page', async () => {
  const root = readFileSync(join(svc.data, 'root.pub'), 'utf8').trim();
  assert.match(root, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(treeHas(join(svc.dir, 'web'), root), 'the root key is in the built app');
  const page = await svc.browser.newPage({ locale: 'fi-FI' });
  const res = await page.goto(svc.url);
  assert.equal(res.status(), 200);
  assert.equal(await page.locator('html').getAttribute('lang'), 'fi');
  await page.close();
});

check('the demo front page data is filled in with demo values', async () => {
  const res = await fetch(`http://127.0.0.1:${svc.port}/api/v1/service`);
  assert.equal(res.status, 200);
  const s = await res.json();
  assert.equal(s.social_emergency_number, '0800 000 000');
  assert.equal(s.exit_url, 'https://www.ilmatieteenlaitos.fi/');
  for (const field of ['controller_name', 'privacy_contact', 'accessibility_contact'])
    assert.match(s[field], /\(demo\)/, field);
});

check('the demo worker verifies anna\'s keys to the root and finds no question yet', async () => {
  await assert.rejects(svc.worker(['answer', '--text', 'Hei']), /no thread in anna's queues/);
  await assert.rejects(svc.worker(['read', 'not-a-thread']), /not-a-thread is no thread id/);
});

check('adviced exits 0 on SIGTERM with no sanitizer report in its log', async () => {
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
