// The test bank: a development identity provider that behaves like a bank-ID broker of the
// Finnish Trust Network (OIDC profile 213/2023 S as brokers summarise it). Built on the npm
// package jose, independently of the server's C code, so that the two prove each other.
//
//   GET  /.well-known/openid-configuration   discovery
//   GET  /jwks                               signing keys (current and previous)
//   POST /admin/rotate                       new signing key (the old one stays published)
//   GET  /authorize?client_id&request=JWS    verifies the signed request object against the
//                                            relying party's JWKS; shows the test persons
//   POST /login                              a person chosen (or cancel): back with code + state
//   POST /token                              PKCE + private_key_jwt; the ID token is signed
//                                            (RS256) and then encrypted to the relying party
//   GET  /admin/stats                        requests counted so far: {token_requests, jwks_requests}
//
// TESTBANK_LATENCY_MS (default 0) delays every answer of the back channel (/token, /jwks) by
// that many milliseconds, like a slow broker.
//
// Pages are plain HTML forms (no JavaScript needed). Settings come from the environment
// (see README.md beside this file). Test persons only: identity codes with 900-999.
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import * as jose from 'jose';

const env = process.env;
const port = Number(env.TESTBANK_PORT || 8081);
const host = env.TESTBANK_HOST || '127.0.0.1';
const issuer = env.TESTBANK_ISSUER || 'https://testbank.localhost';
const clientId = env.TESTBANK_CLIENT_ID || 'advice-dev';
const redirectUris = (env.TESTBANK_REDIRECT_URIS || 'http://localhost:8080/api/v1/auth/bank/callback').split(',');
const rpJwksUrl = env.TESTBANK_RP_JWKS || 'http://127.0.0.1:8080/api/v1/auth/jwks';
const hetuClaim = env.TESTBANK_HETU_CLAIM || 'hetu';
const encAlg = env.TESTBANK_ENC_ALG || 'RSA-OAEP-256';
const encEnc = env.TESTBANK_ENC || 'A256GCM';
const acrTest = { 'http://ftn.ficora.fi/2017/loa2': 'http://ftn.ficora.fi/2017/loatest2',
                  'http://ftn.ficora.fi/2017/loa3': 'http://ftn.ficora.fi/2017/loatest3' };
const latencyMs = Number(env.TESTBANK_LATENCY_MS || 0);
const TTL_MS = 60_000;
const MAX_BODY = 64 * 1024;

const persons = [
  { hetu: '010594Y9032', given: 'Aino', family: 'Testinen' },
  { hetu: '020594X903P', given: 'Eino', family: 'Kokeilu' },
  { hetu: '010516B903X', given: 'Lilja', family: 'Demo' },
  { hetu: '070770-905D', given: 'Veikko', family: 'Esimerkki' },
];

const signingKeys = []; // newest first: { kid, privateKey, jwk }
const pending = new Map(); // authorization id -> request
const codes = new Map(); // code -> grant
const usedJti = new Map(); // client assertion jti -> expiry
const stats = { token_requests: 0, jwks_requests: 0 };
let rpKeys = null;
let rpKeysFetched = 0;

function log(msg) {
  process.stderr.write(`testbank: ${msg}\n`);
}

async function rotate() {
  const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = await jose.exportJWK(publicKey);
  const kid = await jose.calculateJwkThumbprint(jwk);
  signingKeys.unshift({ kid, privateKey, jwk: { ...jwk, kid, use: 'sig', alg: 'RS256' } });
  signingKeys.length = Math.min(signingKeys.length, 2);
  log(`signing key ${kid} in use`);
}

// The relying party's keys, fetched on first use and again for an unknown kid (at most every 5 s).
async function rpKey(kid, use) {
  const find = () => rpKeys && rpKeys.keys.find((k) => k.kid === kid && (!k.use || k.use === use));
  if (!find() && Date.now() - rpKeysFetched > 5000) {
    const r = await fetch(rpJwksUrl);
    if (!r.ok) throw new Error(`relying party JWKS: HTTP ${r.status}`);
    rpKeys = await r.json();
    rpKeysFetched = Date.now();
  }
  const k = find();
  if (!k) throw new Error(`relying party key ${kid} (${use}) not found`);
  return k;
}

// The relying party's encryption key (its JWKS is fetched when none is known yet).
async function rpEncKey() {
  const find = () => rpKeys && rpKeys.keys.find((k) => k.use === 'enc');
  if (!find()) {
    const r = await fetch(rpJwksUrl);
    if (!r.ok) throw new Error(`relying party JWKS: HTTP ${r.status}`);
    rpKeys = await r.json();
    rpKeysFetched = Date.now();
  }
  if (!find()) throw new Error('relying party has no encryption key');
  return find();
}

async function verifyRp(jwt, audience) {
  const { kid, alg } = jose.decodeProtectedHeader(jwt);
  if (alg !== 'RS256') throw new Error(`alg ${alg} not allowed`);
  const key = await jose.importJWK(await rpKey(kid, 'sig'), 'RS256');
  const { payload } = await jose.jwtVerify(jwt, key, { algorithms: ['RS256'], issuer: clientId, audience });
  return payload;
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function json(res, status, obj) {
  send(res, status, 'application/json', JSON.stringify(obj));
}

function oauthError(res, status, error, description) {
  log(`refused: ${error}: ${description}`);
  json(res, status, { error, error_description: description });
}

function redirectBack(res, uri, params) {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  res.writeHead(302, { location: u.toString(), 'cache-control': 'no-store' });
  res.end();
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
      if (body.length > MAX_BODY) reject(new Error('body too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function base(req) {
  return `http://${req.headers.host || `${host}:${port}`}`;
}

function discovery(req) {
  const b = base(req);
  return {
    issuer,
    authorization_endpoint: `${b}/authorize`,
    token_endpoint: `${b}/token`,
    jwks_uri: `${b}/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    scopes_supported: ['openid'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256'],
    request_parameter_supported: true,
    request_object_signing_alg_values_supported: ['RS256'],
    id_token_signing_alg_values_supported: ['RS256'],
    id_token_encryption_alg_values_supported: ['RSA-OAEP', 'RSA-OAEP-256'],
    id_token_encryption_enc_values_supported: ['A128CBC-HS256', 'A128GCM', 'A256GCM'],
    acr_values_supported: Object.values(acrTest),
    claims_supported: ['sub', 'acr', 'nonce', hetuClaim, 'given_name', 'family_name', 'birthdate'],
  };
}

async function authorize(req, res, url) {
  const request = url.searchParams.get('request');
  if (url.searchParams.get('client_id') !== clientId || !request)
    return send(res, 400, 'text/plain', 'unknown client or no signed request object\n');
  let ro;
  try {
    ro = await verifyRp(request, issuer);
  } catch (e) {
    log(`request object refused: ${e.message}`);
    return send(res, 400, 'text/plain', 'request object refused\n');
  }
  if (!redirectUris.includes(ro.redirect_uri) || ro.response_type !== 'code' || !ro.state || !ro.nonce ||
      ro.code_challenge_method !== 'S256' || !ro.code_challenge || !String(ro.scope || '').split(' ').includes('openid'))
    return send(res, 400, 'text/plain', 'request object lacks redirect_uri, code, state, nonce, openid or PKCE\n');
  const id = randomBytes(16).toString('base64url');
  pending.set(id, { ...ro, expires: Date.now() + 10 * TTL_MS });
  const rows = persons
    .map((p, i) => `<li><form method="post" action="/login"><input type="hidden" name="auth" value="${id}">` +
      `<input type="hidden" name="person" value="${i}"><button type="submit">${escapeHtml(p.given)} ` +
      `${escapeHtml(p.family)} (${p.hetu})</button></form></li>`)
    .join('\n');
  send(res, 200, 'text/html; charset=utf-8', `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test bank</title></head>
<body><h1>Test bank</h1>
<p>Development identity provider: choose a test person to log in as.</p>
<ul>
${rows}
</ul>
<form method="post" action="/login"><input type="hidden" name="auth" value="${id}">
<input type="hidden" name="cancel" value="1"><button type="submit">Cancel</button></form>
</body></html>
`);
}

async function login(req, res) {
  const form = await readForm(req);
  const auth = pending.get(form.get('auth') || '');
  pending.delete(form.get('auth') || '');
  if (!auth || auth.expires < Date.now()) return send(res, 400, 'text/plain', 'no such login\n');
  if (form.get('cancel')) return redirectBack(res, auth.redirect_uri, { error: 'access_denied', state: auth.state });
  const person = persons[Number(form.get('person'))];
  if (!person) return send(res, 400, 'text/plain', 'no such person\n');
  const code = randomBytes(24).toString('base64url');
  codes.set(code, { auth, person, expires: Date.now() + TTL_MS });
  log(`code issued for a test person`);
  redirectBack(res, auth.redirect_uri, { code, state: auth.state });
}

async function token(req, res) {
  const form = await readForm(req);
  if (form.get('grant_type') !== 'authorization_code') return oauthError(res, 400, 'unsupported_grant_type', 'code only');
  if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    return oauthError(res, 401, 'invalid_client', 'private_key_jwt required');
  let assertion;
  try {
    const aud = [`${base(req)}/token`, `http://${host}:${port}/token`, `http://localhost:${port}/token`, issuer];
    assertion = await verifyRp(form.get('client_assertion') || '', aud);
  } catch (e) {
    return oauthError(res, 401, 'invalid_client', `client assertion: ${e.message}`);
  }
  if (assertion.sub !== clientId || !assertion.jti || usedJti.has(assertion.jti))
    return oauthError(res, 401, 'invalid_client', 'client assertion sub or jti');
  usedJti.set(assertion.jti, (assertion.exp || 0) * 1000);
  const grant = codes.get(form.get('code') || '');
  codes.delete(form.get('code') || '');
  if (!grant || grant.expires < Date.now()) return oauthError(res, 400, 'invalid_grant', 'unknown or used code');
  if (form.get('redirect_uri') !== grant.auth.redirect_uri) return oauthError(res, 400, 'invalid_grant', 'redirect_uri');
  const challenge = createHash('sha256').update(form.get('code_verifier') || '').digest('base64url');
  if (challenge !== grant.auth.code_challenge) return oauthError(res, 400, 'invalid_grant', 'PKCE verifier');

  const p = grant.person;
  const century = { '+': 1800, '-': 1900, Y: 1900, X: 1900, W: 1900, V: 1900, U: 1900 }[p.hetu[6]] || 2000;
  const birthdate = `${century + Number(p.hetu.slice(4, 6))}-${p.hetu.slice(2, 4)}-${p.hetu.slice(0, 2)}`;
  const requested = String(grant.auth.acr_values || 'http://ftn.ficora.fi/2017/loa2').split(' ')[0];
  const sk = signingKeys[0];
  const inner = await new jose.SignJWT({
    nonce: grant.auth.nonce,
    acr: acrTest[requested] || acrTest['http://ftn.ficora.fi/2017/loa2'],
    [hetuClaim]: p.hetu,
    given_name: p.given,
    family_name: p.family,
    birthdate,
    auth_time: Math.floor(Date.now() / 1000),
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: sk.kid })
    .setIssuer(issuer)
    .setAudience(clientId)
    .setSubject(createHash('sha256').update(`${clientId}:${p.hetu}`).digest('base64url'))
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(sk.privateKey);
  const encJwk = await rpEncKey();
  const encKey = await jose.importJWK(encJwk, encAlg);
  const idToken = await new jose.CompactEncrypt(new TextEncoder().encode(inner))
    .setProtectedHeader({ alg: encAlg, enc: encEnc, kid: encJwk.kid, cty: 'JWT' })
    .encrypt(encKey);
  log(`ID token issued (${encAlg} + ${encEnc}, signed by ${sk.kid})`);
  json(res, 200, { access_token: randomBytes(24).toString('base64url'), token_type: 'Bearer', expires_in: 300,
    id_token: idToken });
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function route(req, res) {
  const url = new URL(req.url, 'http://testbank');
  const m = req.method;
  if (m === 'GET' && url.pathname === '/.well-known/openid-configuration') return json(res, 200, discovery(req));
  if (m === 'GET' && url.pathname === '/admin/stats') return json(res, 200, stats);
  if ((m === 'GET' && url.pathname === '/jwks') || (m === 'POST' && url.pathname === '/token')) {
    stats[url.pathname === '/jwks' ? 'jwks_requests' : 'token_requests']++;
    if (latencyMs > 0) await pause(latencyMs);
  }
  if (m === 'GET' && url.pathname === '/jwks') return json(res, 200, { keys: signingKeys.map((k) => k.jwk) });
  if (m === 'POST' && url.pathname === '/admin/rotate') {
    await rotate();
    return json(res, 200, { kid: signingKeys[0].kid });
  }
  if (m === 'GET' && url.pathname === '/authorize') return authorize(req, res, url);
  if (m === 'POST' && url.pathname === '/login') return login(req, res);
  if (m === 'POST' && url.pathname === '/token') return token(req, res);
  if (m === 'GET' && url.pathname === '/health') return json(res, 200, { status: 'ok' });
  send(res, 404, 'text/plain', 'not found\n');
}

function sweep() {
  const now = Date.now();
  for (const [k, v] of pending) if (v.expires < now) pending.delete(k);
  for (const [k, v] of codes) if (v.expires < now) codes.delete(k);
  for (const [k, exp] of usedJti) if (exp < now - 60_000) usedJti.delete(k);
}

await rotate();
setInterval(sweep, 30_000).unref();
const server = createServer((req, res) => {
  route(req, res).catch((e) => {
    log(`error: ${e.message}`);
    if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
  });
});
server.listen(port, host, () => log(`listening on http://${host}:${port} as ${issuer}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
