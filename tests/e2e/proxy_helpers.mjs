// proxy_helpers.mjs - what the reverse-proxy test needs besides harness.mjs: a test CA and a
// certificate for localhost made with the openssl command, Debian's nginx started as the test
// user in a scratch folder with the example deploy/nginx/adviced.conf (only its ports, paths and
// host name substituted), HTTPS requests that trust only the test CA, and a small WebSocket
// client over TLS (Node 20 has none that takes a CA and a Cookie header).
//
// Environment: NGINX (optional, default /usr/sbin/nginx).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { join } from 'node:path';

/**
 * A test CA and a certificate for localhost, 127.0.0.1 and ::1 it signed (P-256 keys) in
 * `dir`: { ca, cert, key } (paths) and spki, the base64 SHA-256 of the server key's
 * SubjectPublicKeyInfo (what chromium's --ignore-certificate-errors-spki-list takes).
 */
export function makeCertificates(dir) {
  const ossl = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=advice proxy test CA']);
  ossl(['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'server.ext'), 'basicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n' +
    'subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1\n');
  ossl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '1',
    '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem']);
  const key = join(dir, 'server.key');
  const der = createPublicKey(readFileSync(key)).export({ type: 'spki', format: 'der' });
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key,
    spki: createHash('sha256').update(der).digest('base64') };
}

/**
 * The example `example` (deploy/nginx/adviced.conf) with each [from, to] of `subs` replaced
 * everywhere; throws when a `from` is not in it (the example changed under the test).
 */
export function substitute(example, subs) {
  let text = readFileSync(example, 'utf8');
  for (const [from, to] of subs) {
    if (!text.includes(from)) throw new Error(`the nginx example has no '${from}' any more: update the test`);
    text = text.split(from).join(to);
  }
  return text;
}

/** nginx's program: $NGINX or Debian's; throws (never skips) when it is not installed. */
export function nginxProgram() {
  const program = process.env.NGINX || '/usr/sbin/nginx';
  if (!existsSync(program)) throw new Error(`${program} is not installed: the reverse-proxy test needs Debian's nginx (deploy/dev/deps.sh)`);
  return program;
}

/**
 * Starts nginx in `dir` as the calling user (one process, no daemon, every file in `dir`) with
 * the http block including `site` (the substituted example). `nginx -t` runs first so that a
 * bad configuration fails with nginx's words; its output is returned as `checked` (warnings
 * included). Resolves { child, checked, errorLog }.
 */
export function startNginx(dir, site) {
  const program = nginxProgram();
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(dir, 'adviced.conf'), site);
  const errorLog = join(dir, 'error.log');
  writeFileSync(join(dir, 'nginx.conf'), [
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${errorLog} info;`,
    'events { worker_connections 256; }',
    'http {',
    '  default_type application/octet-stream;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(tmp, t)};`),
    `  include ${join(dir, 'adviced.conf')};`,
    '}',
    ''].join('\n'));
  const args = ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', errorLog];
  const test = spawnSync(program, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-t'],
    { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t: ${test.stderr}`);
  const checked = test.stderr;
  const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.on('exit', (code) => { if (code) process.stderr.write(`nginx exited with ${code}: ${stderr}\n`); });
  return { child, checked, errorLog };
}

/**
 * One HTTPS request to localhost:`port` trusting only `ca`; `localAddress` is the client's
 * source address (any 127.x.y.z on Linux). Resolves { status, headers, body }.
 */
export function https(port, ca, path, { method = 'GET', headers = {}, body, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, path, method, ca: readFileSync(ca),
      localAddress, agent: false, headers: { host: `localhost:${port}`, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls until nginx answers on `port` (any status); throws after `ms`. */
export async function waitForHttps(port, ca, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await https(port, ca, '/api/v1/health');
      return;
    } catch (e) {
      if (Date.now() > end) throw new Error(`nginx did not answer on ${port}: ${e.message}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A masked client frame (RFC 6455 section 5.2): `opcode` with `payload` (a Buffer). */
function clientFrame(opcode, payload) {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len])
    : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff])
      : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })()]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i % 4];
  return Buffer.concat([head, mask, body]);
}

/**
 * A WebSocket (subprotocol advice.v1) to wss://localhost:`port`/ws trusting only `ca`, with
 * `headers` (Origin, Cookie) on the upgrade. Resolves { response, next, send, close }: the
 * upgrade's status line and headers, next() the next text message parsed as JSON (pings are
 * answered; a close frame rejects), send(obj) a text message, close().
 */
export function wss(port, ca, headers, { localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const sock = connect({ host: '127.0.0.1', servername: 'localhost', port, ca: readFileSync(ca), localAddress });
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let partial = [];
    const queue = [];
    const waiters = [];
    const deliver = (item) => (waiters.length ? waiters.shift()(item) : queue.push(item));
    sock.on('error', (e) => (upgraded ? deliver({ error: e }) : reject(e)));
    sock.on('close', () => deliver({ error: new Error('connection closed') }));
    sock.on('secureConnect', () => {
      const lines = ['GET /ws HTTP/1.1', `Host: localhost:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: advice.v1',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    const frames = () => {
      for (;;) {
        if (buf.length < 2) return;
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return;
        const fin = buf[0] & 0x80;
        const opcode = buf[0] & 0x0f;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (opcode === 9) sock.write(clientFrame(10, payload));
        else if (opcode === 8) deliver({ error: new Error(`closed by the server: ${payload.length >= 2 ? payload.readUInt16BE(0) : ''}`) });
        else if (opcode === 1 || opcode === 2 || opcode === 0) {
          partial.push(Buffer.from(payload));
          if (fin) {
            deliver({ text: Buffer.concat(partial).toString() });
            partial = [];
          }
        }
      }
    };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [status, ...rest] = buf.subarray(0, end).toString().split('\r\n');
        buf = buf.subarray(end + 4);
        const response = { status, headers: Object.fromEntries(rest.map((l) => {
          const i = l.indexOf(':');
          return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
        })) };
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          sock.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        if (response.headers['sec-websocket-accept'] !== accept) {
          sock.destroy();
          reject(new Error('wrong Sec-WebSocket-Accept'));
          return;
        }
        upgraded = true;
        resolve({
          response,
          next: (ms = 10000) => new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error('no message in time')), ms);
            const take = (item) => {
              clearTimeout(timer);
              if (item.error) rej(item.error);
              else res(JSON.parse(item.text));
            };
            if (queue.length) take(queue.shift());
            else waiters.push(take);
          }),
          send: (obj) => sock.write(clientFrame(1, Buffer.from(JSON.stringify(obj)))),
          close: () => {
            sock.write(clientFrame(8, Buffer.from([0x03, 0xe8])));
            sock.end();
          },
        });
      }
      frames();
    });
  });
}
