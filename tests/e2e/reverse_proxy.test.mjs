// Reverse-proxy test: Debian's nginx with the example deploy/nginx/adviced.conf (only its
// ports, certificate paths, log path and host name substituted) in front of the real adviced,
// with a certificate of a test CA made here. Through nginx: https pages with HSTS and adviced's
// own headers, http sent to https, TLS 1.2 only with AEAD ciphers, a protocol round trip over
// wss (a citizen's login, welcome, thread.list, and a WebSocket message larger than any HTTP
// body), a body over adviced's HTTP limit refused by nginx with 413 (one at the limit passes),
// the per-address limits counting the client's address from X-Forwarded-For (and not one the
// client claims), and a citizen's bank-ID login in chromium, which trusts exactly the test
// certificate's key. Last, nginx's log has no error and adviced exits 0 on SIGTERM.
// Environment: harness.mjs, proxy_helpers.mjs (NGINX).
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, Service, stop, webApp } from './harness.mjs';
import { https, makeCertificates, nginxProgram, startNginx, substitute, waitForHttps, wss } from './proxy_helpers.mjs';

const svc = new Service();
const check = svc.check.bind(svc);
const PERSON = '010594Y9032';
// The front page's data (GET /api/v1/service) is limited per client address: a small burst,
// enough for the browser's page loads, shows whose address adviced counts.
const SERVICE_BURST = 20;
let dir, certs, port, httpPort, origin, nginx;

/** Whether a socket can listen on ::1. */
function hasIPv6Loopback() {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

before(async () => {
  nginxProgram(); // fails at once when nginx is missing
  dir = mkdtempSync(join(tmpdir(), 'advice-proxy-'));
  certs = makeCertificates(dir);
  port = await freePort();
  do httpPort = await freePort(); while (httpPort === port);
  origin = `https://localhost:${port}`;
  await svc.start(webApp().web, [
    '',
    '# behind the test nginx',
    'trusted_proxies = 127.0.0.1',
    `origins = ${origin}`,
    `public_url = ${origin}/`,
    `oidc_redirect_uri = ${origin}/api/v1/auth/bank/callback`,
    `service_rate_burst = ${SERVICE_BURST}`,
    'service_rate_per_minute = 1',
    'log_level = info',
    ''].join('\n'), {
    // The test bank sends the browser back through nginx and fetches our keys through it too.
    bankEnv: {
      TESTBANK_REDIRECT_URIS: `${origin}/api/v1/auth/bank/callback`,
      TESTBANK_RP_JWKS: `${origin}/api/v1/auth/jwks`,
      NODE_EXTRA_CA_CERTS: certs.ca,
    },
    browserArgs: [`--ignore-certificate-errors-spki-list=${certs.spki}`],
  });
  // The IPv6 listeners on ::1, or commented out where the machine has no IPv6 loopback.
  const v6 = (await hasIPv6Loopback()) ? '' : '# (no IPv6 loopback) ';
  const site = substitute(join(process.env.ADVICE_SOURCE_DIR, 'deploy/nginx/adviced.conf'), [
    ['listen 80;', `listen 127.0.0.1:${httpPort};`],
    ['listen [::]:80;', `${v6}listen [::1]:${httpPort};`],
    ['listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`],
    ['listen [::]:443 ssl http2;', `${v6}listen [::1]:${port} ssl http2;`],
    ['server 127.0.0.1:8080;', `server 127.0.0.1:${svc.port};`],
    ['/etc/letsencrypt/live/advice.example.fi/fullchain.pem', certs.cert],
    ['/etc/letsencrypt/live/advice.example.fi/privkey.pem', certs.key],
    ['/var/log/nginx/adviced-access.log', join(dir, 'access.log')],
    ['advice.example.fi', 'localhost'],
  ]);
  nginx = startNginx(dir, site);
  await waitForHttps(port, certs.ca);
});

after(async () => {
  if (nginx) await stop(nginx.child);
  if (svc.failed && dir) {
    for (const f of ['error.log', 'access.log']) {
      let text;
      try {
        text = readFileSync(join(dir, f), 'utf8');
      } catch (e) {
        text = `(cannot read: ${e.message})\n`;
      }
      process.stderr.write(`---- nginx ${f}\n${text}---- end of nginx ${f}\n`);
    }
  }
  await svc.finish();
  if (dir && !process.env.ADVICE_KEEP_TEST_DIR) rmSync(dir, { recursive: true, force: true });
});

check('the example loads in nginx without a warning', () => {
  const lines = nginx.checked.split('\n').filter((l) => /\[(warn|emerg|alert|crit|error)\]/.test(l));
  assert.deepEqual(lines, []);
});

check('pages come over https with HSTS and adviced\'s own security headers; http sends to https', async () => {
  const page = await https(port, certs.ca, '/');
  assert.equal(page.status, 200);
  assert.match(page.headers['strict-transport-security'] ?? '', /^max-age=(\d+); includeSubDomains$/);
  assert.ok(Number(/max-age=(\d+)/.exec(page.headers['strict-transport-security'])[1]) >= 31536000, 'HSTS for a year at least');
  assert.match(page.headers['content-security-policy'] ?? '', /default-src 'none'/, 'adviced\'s CSP passes');
  assert.equal(page.headers['x-frame-options'], 'deny');
  const gzip = { 'accept-encoding': 'gzip' };
  const health = await https(port, certs.ca, '/api/v1/health', { headers: gzip });
  assert.equal(health.status, 200);
  assert.ok(health.headers['strict-transport-security'], 'HSTS on the API too');
  const service = await https(port, certs.ca, '/api/v1/service', { headers: gzip }); // 898 bytes of JSON
  assert.equal(service.status, 200);
  assert.equal(service.headers['content-encoding'], undefined, 'no compression of the API (BREACH)');
  // The app's files are compressed: they hold no secret.
  const script = /src="([^"]+\.js)"/.exec(page.body)?.[1];
  assert.ok(script, 'the page names its script');
  const js = await https(port, certs.ca, new URL(script, `${origin}/`).pathname, { headers: gzip });
  assert.equal(js.status, 200);
  assert.equal(js.headers['content-encoding'], 'gzip');

  const plain = await new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port: httpPort, path: '/some/page?x=1', headers: { host: 'localhost' } }, (res) => {
      res.resume();
      resolve(res);
    }).on('error', reject);
  });
  assert.equal(plain.statusCode, 301);
  assert.equal(plain.headers.location, 'https://localhost/some/page?x=1');
});

/** A TLS handshake with nginx with client `options`: the protocol and cipher, or the error. */
function handshake(options) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(certs.ca), ...options });
    s.on('secureConnect', () => {
      resolve({ protocol: s.getProtocol(), cipher: s.getCipher().name });
      s.end();
    });
    s.on('error', (e) => resolve({ error: e.code || e.message }));
  });
}

check('TLS 1.2 only with ECDHE and AEAD ciphers; TLS 1.1 and CBC ciphers are refused', async () => {
  assert.deepEqual(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
    { protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
  assert.equal((await handshake({})).protocol, 'TLSv1.3');
  // The client offers only what nginx must refuse (OpenSSL's client allows them at level 0),
  // and nginx says no with an alert.
  const cbc = await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:@SECLEVEL=0' });
  assert.match(cbc.error ?? `accepted: ${JSON.stringify(cbc)}`, /ALERT_HANDSHAKE_FAILURE/, 'a CBC cipher');
  const old = await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
  assert.match(old.error ?? `accepted: ${JSON.stringify(old)}`, /ALERT_PROTOCOL_VERSION/, 'TLS 1.1');
});

/** A citizen's session cookie, logged in through nginx with a test bank token (test mode). */
async function citizenCookie(localAddress) {
  const token = execFileSync(process.env.ADVICECTL, ['-d', svc.data, 'dev-token', PERSON], { encoding: 'utf8' }).trim();
  const r = await https(port, certs.ca, '/api/v1/login/citizen', { method: 'POST', localAddress,
    headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ id_token: token }) });
  assert.equal(r.status, 200, r.body);
  const cookie = [r.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('__Host-advice='));
  assert.match(cookie, /; Secure/);
  return cookie.split(';')[0];
}

check('a protocol round trip over wss through nginx', async () => {
  await assert.rejects(wss(port, certs.ca, { origin }, { localAddress: '127.0.0.3' }), /upgrade refused: HTTP\/1.1 401/,
    'no session cookie');
  const cookie = await citizenCookie('127.0.0.2');
  const ws = await wss(port, certs.ca, { origin, cookie }, { localAddress: '127.0.0.2' });
  assert.equal(ws.response.headers['sec-websocket-protocol'], 'advice.v1');
  const welcome = await ws.next();
  assert.equal(welcome.event, 'welcome');
  assert.equal(welcome.role, 'citizen');
  ws.send({ type: 'thread.list', id: 'px1' });
  const list = await ws.next();
  assert.equal(list.id, 'px1');
  assert.equal(list.type, 'ok', JSON.stringify(list));
  assert.ok(Array.isArray(list.threads));
  // A message of 60000 bytes (three times an HTTP body's limit) reaches adviced: nginx leaves
  // a WebSocket message's size to adviced (max_message_bytes).
  ws.send({ type: 'thread.list', id: 'px2', pad: 'x'.repeat(60000) });
  const big = await ws.next();
  assert.equal(big.id, 'px2');
  assert.equal(big.type, 'error');
  assert.equal(big.code, 'bad_request', JSON.stringify(big));
  ws.close();
});

check('a body over adviced\'s limit (20480 bytes) is refused by nginx with 413; one at the limit passes', async () => {
  const post = (size) => {
    const body = JSON.stringify({ id_token: 'a'.repeat(size - 15) });
    assert.equal(body.length, size);
    return https(port, certs.ca, '/api/v1/login/citizen', { method: 'POST',
      headers: { origin, 'content-type': 'application/json' }, body });
  };
  const over = await post(20481);
  assert.equal(over.status, 413);
  assert.match(over.headers['content-type'], /^text\/html/, 'nginx\'s own page, not adviced\'s JSON');
  assert.ok(over.headers['strict-transport-security'], 'HSTS on the refusal too');
  const at = await post(20480);
  assert.equal(at.headers['content-type'], 'application/json', 'adviced answered');
  assert.equal(JSON.parse(at.body).type, 'error');
  assert.equal(at.status, 400, at.body); // the token is too long for adviced, not the body
  const log = readFileSync(join(svc.dir, 'adviced.log'), 'utf8');
  assert.equal(/api request refused \(413\)/.test(log), false, 'adviced never saw the body over the limit');
});

check('per-address limits count the client\'s address from X-Forwarded-For, not one the client claims', async () => {
  const service = (localAddress, headers = {}) => https(port, certs.ca, '/api/v1/service', { localAddress, headers });
  for (let i = 0; i < SERVICE_BURST; i++) assert.equal((await service('127.0.0.4')).status, 200, `request ${i + 1}`);
  assert.equal((await service('127.0.0.4')).status, 429, 'the burst of 127.0.0.4 is spent');
  assert.equal((await service('127.0.0.4', { 'x-forwarded-for': '127.0.0.9' })).status, 429,
    'a client cannot name another address');
  assert.equal((await service('127.0.0.5')).status, 200, 'another client has its own burst');
  const log = readFileSync(join(svc.dir, 'adviced.log'), 'utf8').split('\n');
  assert.ok(log.some((l) => /429/.test(l) && /\b127\.0\.0\.4\b/.test(l)), 'adviced logs the client\'s address with the refusal');
  assert.ok(log.some((l) => /open/.test(l) && /\b127\.0\.0\.2\b/.test(l)), 'the WebSocket of the round trip was 127.0.0.2\'s');
  assert.ok(log.some((l) => /upgrade refused \(401/.test(l) && /\b127\.0\.0\.3\b/.test(l)), 'the refused upgrade was 127.0.0.3\'s');
  assert.equal(log.some((l) => /\b127\.0\.0\.9\b/.test(l)), false, 'the claimed address appears nowhere');
});

check('a citizen logs in with bank ID in the browser through nginx', async () => {
  const page = await svc.browser.newPage({ locale: 'en-GB' });
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const first = await page.goto(`${origin}/`);
  assert.equal(first.status(), 200);
  assert.match(first.headers()['strict-transport-security'] ?? '', /max-age=/);
  await page.getByText('The service is running').waitFor();
  await page.getByRole('link', { name: 'Log in with bank ID' }).click();
  await page.waitForURL(`http://localhost:${svc.bankPort}/**`);
  await page.getByRole('button', { name: new RegExp(PERSON) }).click();
  await page.waitForURL((u) => u.href.startsWith(`${origin}/`));
  const session = page.locator('#session');
  await session.waitFor({ state: 'visible' });
  assert.match(await session.textContent(), /Logged in: citizen/);
  const cookie = (await page.context().cookies()).find((c) => c.name === '__Host-advice');
  assert.ok(cookie?.secure && cookie.httpOnly, 'a Secure, HttpOnly session cookie');
  assert.ok(sockets.includes(`wss://localhost:${port}/ws`), `the app's WebSocket went through nginx: ${sockets}`);
  await page.close();
  // The bank's callback carries a one-time code: nginx's access log keeps no query string.
  const access = readFileSync(join(dir, 'access.log'), 'utf8');
  assert.match(access, /GET \/api\/v1\/auth\/bank\/callback HTTP/);
  assert.equal(/code=|state=/.test(access), false, 'no query string in the access log');
});

// Last: nginx logged no error but the body it refused, and adviced stops on SIGTERM with 0 and
// no sanitizer report.
check('nginx logged no error but the refused body; adviced exits 0 on SIGTERM with no sanitizer report', async () => {
  const errors = readFileSync(nginx.errorLog, 'utf8').split('\n').filter((l) => /\[(error|crit|alert|emerg)\]/.test(l));
  const refused = errors.filter((l) => /client intended to send too large body: 20481 bytes/.test(l));
  assert.equal(refused.length, 1, 'the body over the limit');
  assert.deepEqual(errors.filter((l) => !refused.includes(l)), []);
  const { exit, reports } = await svc.stopAdviced();
  assert.deepEqual(exit, { code: 0, signal: null }, 'adviced exit on SIGTERM');
  assert.deepEqual(reports, [], 'sanitizer lines in adviced.log');
});
