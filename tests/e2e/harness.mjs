// harness.mjs - what the browser tests share: a fresh demo data folder serving a web root, the
// real adviced and the test bank on free ports, Debian's chromium (playwright-core), and the
// teardown that stops them (adviced must exit 0 on SIGTERM), prints their logs when a test
// failed and deletes the folder.
//
// Environment: ADVICED, ADVICECTL (programs), E2E_WORKER (the demo worker, tests/e2e/e2e_worker.c),
// ADVICE_SOURCE_DIR (the tree), ADVICE_WEB_APP (what ctest's web.build made: the app in web/, its
// pinned test root key in test-root.pub), CHROMIUM (optional, default /usr/bin/chromium),
// ADVICE_E2E_ARTIFACTS (optional: a folder for screenshots), ADVICE_KEEP_TEST_DIR (optional: keep
// the test folder).
import { test } from 'node:test';
import { spawn, execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const src = process.env.ADVICE_SOURCE_DIR;

/** The built app (ctest's web.build); fails clearly when it is not there. */
export function webApp() {
  const app = process.env.ADVICE_WEB_APP;
  if (!app) throw new Error('ADVICE_WEB_APP is not set: run the browser tests from ctest (web.build builds the app)');
  return { web: join(app, 'web'), rootKey: readFileSync(join(app, 'test-root.pub'), 'utf8').trim() };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
}

export async function waitFor(url, ms = 20000) {
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

/** The path for a screenshot named `name`, or null when ADVICE_E2E_ARTIFACTS is not set. */
export function artifact(name) {
  const dir = process.env.ADVICE_E2E_ARTIFACTS;
  if (!dir) return null;
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

// Sends SIGTERM (unless the child has already exited) and waits for the exit: { code, signal },
// or null when it did not exit within ms (it is then killed).
export function stop(child, ms = 15000) {
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

/** The setting a configuration line sets, or null (comments, blank lines). */
const settingOf = (line) => line.match(/^\s*([A-Za-z0-9_]+)\s*=/)?.[1] ?? null;

/** Appends `extra` to the configuration file; a setting it gives that the file sets already (the
 * demo's front page values) is commented out there first, since a setting may be given once. */
function appendConf(path, extra) {
  const names = new Set(extra.split('\n').map(settingOf).filter(Boolean));
  const lines = readFileSync(path, 'utf8').split('\n')
    .map((line) => (names.has(settingOf(line)) ? `# (set again below) ${line}` : line));
  writeFileSync(path, lines.join('\n') + extra);
}

/**
 * The service for one test file: start() makes the data folder (serving webRoot, or an app
 * built for it) and starts the test bank, adviced and the browser; check(name, fn) is a test
 * whose failure prints the logs at the end; worker(args) runs the demo worker; finish() stops
 * everything. Fields: dir, data (the demo's data folder), port, bankPort, browser, adviced.
 */
export class Service {
  constructor() {
    this.children = [];
    this.failed = false;
  }

  /**
   * Starts everything; `confExtra` (lines of adviced.conf) is added to the demo's configuration.
   * With `ownApp`, webRoot is ignored (pass null): the app is built for this data folder into
   * DIR/web, pinned to the folder's own demo root key (init --demo makes a fresh one per
   * folder), so that a logged-in citizen's app verifies the demo's keys and a demo worker's
   * answers. `bankEnv` adds to (or overrides) the test bank's environment, `browserArgs` to
   * chromium's command line (a service behind a TLS proxy: its redirect URI, its certificate).
   */
  async start(webRoot, confExtra = '', { ownApp = false, bankEnv = {}, browserArgs = [] } = {}) {
    this.failed = true; // until the set-up is done
    this.dir = mkdtempSync(join(tmpdir(), 'advice-e2e-'));
    this.port = await freePort();
    do this.bankPort = await freePort(); while (this.bankPort === this.port);
    const data = join(this.dir, 'data');
    this.data = data;
    if (ownApp) {
      webRoot = join(this.dir, 'web');
      mkdirSync(webRoot);
    }
    execFileSync(process.env.ADVICECTL, ['init', data, '--demo', '--test-mode', '--port', String(this.port),
      '--bank-port', String(this.bankPort), '--web-root', webRoot], { stdio: 'ignore' });
    if (ownApp)
      execFileSync('node', ['build.mjs', webRoot, '--root-pubkey-file', join(data, 'root.pub'), '--no-typecheck'],
        { cwd: join(src, 'client-web'), stdio: ['ignore', 'ignore', 'inherit'] });
    if (confExtra) appendConf(join(data, 'adviced.conf'), confExtra);
    this.spawn('node', [join(src, 'deploy/testbank/server.js')], {
      TESTBANK_PORT: String(this.bankPort),
      TESTBANK_REDIRECT_URIS: `http://localhost:${this.port}/api/v1/auth/bank/callback`,
      TESTBANK_RP_JWKS: `http://127.0.0.1:${this.port}/api/v1/auth/jwks`,
      ...bankEnv,
    }, 'testbank.log');
    this.adviced = this.spawn(process.env.ADVICED, ['-c', join(data, 'adviced.conf')], {}, 'adviced.log');
    await waitFor(`http://127.0.0.1:${this.port}/api/v1/health`);
    await waitFor(`http://127.0.0.1:${this.bankPort}/.well-known/openid-configuration`);
    this.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync', ...browserArgs],
    });
    this.failed = false;
  }

  spawn(cmd, args, env, log) {
    const out = openSync(join(this.dir, log), 'a');
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
    this.children.push(child);
    return child;
  }

  get url() {
    return `http://localhost:${this.port}/`;
  }

  /**
   * Runs the demo worker (anna, tests/e2e/e2e_worker.c) on this service with `args` after the
   * service's address and data folder: ['answer', '--text', TEXT, '--file', PATH] answers the
   * newest thread of anna's queues, ['read', THREAD] reads one. Resolves with its JSON output
   * ({ thread, messages: [{ seq, role, text, files: [{ media, size, sha256 }] }], answer });
   * rejects with its standard error when it fails (anything that does not verify).
   */
  worker(args) {
    const program = process.env.E2E_WORKER;
    if (!program) return Promise.reject(new Error('E2E_WORKER is not set: run the browser tests from ctest'));
    return new Promise((resolve, reject) => {
      execFile(program, [`http://127.0.0.1:${this.port}`, this.data, ...args], { timeout: 120000 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`e2e_worker ${args.join(' ')}: ${stderr || err.message}`));
          else resolve(JSON.parse(stdout));
        });
    });
  }

  check(name, fn) {
    test(name, async () => {
      try {
        await fn();
      } catch (e) {
        this.failed = true;
        throw e;
      }
    });
  }

  printLog(name) {
    let text;
    try {
      text = readFileSync(join(this.dir, name), 'utf8');
    } catch (e) {
      text = `(cannot read: ${e.message})\n`;
    }
    process.stderr.write(`---- ${name}\n${text}---- end of ${name}\n`);
  }

  async finish() {
    await this.browser?.close();
    await Promise.all(this.children.map((c) => stop(c)));
    if (!this.dir) return;
    if (this.failed) for (const log of ['adviced.log', 'testbank.log']) this.printLog(log);
    if (!process.env.ADVICE_KEEP_TEST_DIR) rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last test of a file: adviced stops on SIGTERM with 0 and no sanitizer report. */
  async stopAdviced() {
    const exit = await stop(this.adviced);
    const log = readFileSync(join(this.dir, 'adviced.log'), 'utf8');
    return { exit, reports: log.split('\n').filter((line) => /Sanitizer|runtime error:/.test(line)) };
  }

  /** Kills adviced at once, as a crash would (SIGKILL: no draining); resolves when it is gone. */
  killAdviced() {
    const child = this.adviced;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Starts adviced again on the same data folder and port; resolves when it answers. */
  async restartAdviced() {
    this.adviced = this.spawn(process.env.ADVICED, ['-c', join(this.data, 'adviced.conf')], {}, 'adviced.log');
    await waitFor(`http://127.0.0.1:${this.port}/api/v1/health`);
  }

  /** Logs `page` in as a test person at the test bank; back on the app when it resolves. */
  async bankLogin(page, person = /010594Y9032/) {
    await page.getByRole('link', { name: 'Log in with bank ID' }).click();
    await page.waitForURL(`http://localhost:${this.bankPort}/**`);
    await page.getByRole('button', { name: person }).click();
    await page.waitForURL((u) => u.href.startsWith(this.url)); // the app then moves to its own page
  }
}
