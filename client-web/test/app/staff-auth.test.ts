// staff-auth.test.ts - the staff page's login and keys (src/app/staff/auth.ts) against a fake
// adviced with real keys (staff-auth-server.ts): the first login with the setup code end to end
// (password rules, the authenticator, the keys made here and their fingerprint the same as the
// one the administrator sees, then certified: ready with the unit's keys, the older generation
// through its chain box); the next login opens the bundle; a hostile server's weak Argon2id
// parameters are refused before anything is sent, a seed that is not its event's and a
// certificate that does not chain to the root are refused; the lock wipes the keys and the
// lock screen opens them again without the server (a wrong password counted, with a wait); a
// password change and an expired password re-seal the bundle; a reload shows the lock screen.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from '../../src/crypto/index';
import { createStaffAuth, StaffAuthError, type StaffAuth } from '../../src/app/staff/auth';
import type { StaffAuthState, StaffKeys } from '../../src/app/staff/contract';
import { unb64u } from '../../src/app/citizen/keys-wire';
import { FakeClock } from './net-fakes';
import { StaffServer, TOTP, UNIT } from './staff-auth-server';

const PW = 'kesäkuun ensimmäinen päivä';
const NEW_PW = 'syyskuun viimeinen ilta 7';
const SETUP = 'ABCD EFGH IJKL MN23';

before(async () => {
  await crypto.ready();
});

function world(server?: StaffServer) {
  const clock = server?.clock ?? new FakeClock();
  const srv = server ?? new StaffServer(clock);
  const problems: string[] = [];
  const root = srv.root.signPk;
  const auth = createStaffAuth({ post: srv.post, loadCrypto: async () => ({ crypto, rootKey: root }), connect: srv.connect, clock,
    onProblem: (p) => problems.push(p) });
  return { clock, srv, auth, problems };
}

function kind(a: StaffAuth): StaffAuthState['kind'] {
  return a.state().kind;
}

function readyKeys(a: StaffAuth): StaffKeys {
  const s = a.state();
  assert.equal(s.kind, 'ready', `ready, not ${JSON.stringify(s)}`);
  const k = s.kind === 'ready' ? s.session.keys() : null;
  assert.ok(k !== null);
  return k;
}

/** The first login of maija up to awaiting-certification; the fingerprint shown. */
async function firstLogin(w: ReturnType<typeof world>): Promise<string> {
  w.srv.addWorker('maija', SETUP.replace(/ /g, '-'));
  await w.auth.startSetup('Maija', SETUP.toLowerCase());
  assert.deepEqual(w.auth.state(), { kind: 'setup-password', username: 'maija' });
  await w.auth.choosePassword(PW, PW);
  const s = w.auth.state();
  assert.equal(s.kind, 'setup-totp');
  assert.ok(s.kind === 'setup-totp' && s.uri.startsWith('otpauth://totp/') && s.secret.length > 0);
  await w.auth.confirmTotp(TOTP);
  const a = w.auth.state();
  assert.equal(a.kind, 'awaiting-certification', JSON.stringify(a));
  return a.kind === 'awaiting-certification' ? a.fingerprint : '';
}

/** maija enrolled and certified, logged in: ready. */
async function readyWorker(w: ReturnType<typeof world>): Promise<StaffKeys> {
  const fp = await firstLogin(w);
  assert.equal(w.srv.certify('maija'), fp);
  await w.clock.advance(20_000);
  return readyKeys(w.auth);
}

test('first login: the password rules, a wrong code, then the keys made here and filed; the fingerprint is the one the administrator sees', async () => {
  const w = world();
  w.srv.addWorker('maija', SETUP.replace(/ /g, '-'));
  await w.auth.startSetup('maija', 'not a code');
  assert.deepEqual(w.auth.state(), { kind: 'login', error: { code: 'bad_credentials' } });
  await w.auth.startSetup('maija', SETUP);
  await w.auth.choosePassword('lyhyt', 'lyhyt');
  assert.deepEqual(w.auth.state(), { kind: 'setup-password', username: 'maija', error: { code: 'password_rules' } });
  await w.auth.choosePassword(PW, PW + 'x');
  assert.deepEqual(w.auth.state(), { kind: 'setup-password', username: 'maija', error: { code: 'password_rules' } });
  assert.equal(w.srv.posts.length, 0, 'nothing sent before the rules pass');
  await w.auth.choosePassword(PW, PW);
  await w.auth.confirmTotp('135791');
  const s = w.auth.state();
  assert.equal(s.kind, 'setup-totp');
  assert.deepEqual(s.kind === 'setup-totp' && s.error, { code: 'bad_credentials' });
  await w.auth.confirmTotp(TOTP);
  const a = w.auth.state();
  assert.equal(a.kind, 'awaiting-certification');
  const fp = a.kind === 'awaiting-certification' ? a.fingerprint : '';
  assert.match(fp, /^[0-9a-f]{4}( [0-9a-f]{4}){7}$/);
  const acct = w.srv.accounts.get('maija')!;
  assert.ok(acct.bundle !== null && acct.request !== null, 'keys.enrol filed the bundle and the request');
  // The bundle opens with the password (a fresh salt, not the login's) and holds the requested keys.
  const bundle = unb64u(acct.bundle)!;
  assert.ok(!crypto.equal(crypto.bundleParse(bundle).salt, acct.salt), 'the bundle has its own salt');
  const info = crypto.bundleParse(bundle);
  const seed = crypto.bundleOpen(bundle, info.userId, crypto.bundleKey(crypto.passwordMaster(PW, info.salt, info.opslimit, info.memlimit)));
  const req = crypto.keyRequestParse(acct.request);
  assert.ok(crypto.equal(crypto.keysPersonal(seed).signPk, req.signPk));
  // Still not certified after a poll; certified: ready at the next one.
  await w.clock.advance(20_000);
  assert.equal(kind(w.auth), 'awaiting-certification');
  assert.equal(w.srv.certify('maija'), fp);
  await w.clock.advance(20_000);
  const k = readyKeys(w.auth);
  assert.equal(k.currentGeneration(UNIT), 2);
  assert.ok(crypto.equal(k.unitKeys(UNIT, 2)!.boxPk, w.srv.unitKeys(2).boxPk));
  assert.ok(crypto.equal(k.unitKeys(UNIT, 1)!.boxPk, w.srv.unitKeys(1).boxPk), 'generation 1 through the chain box');
  assert.equal(k.unitKeys(UNIT, 3), null);
  assert.ok(crypto.equal(k.root, w.srv.root.signPk));
  const s2 = w.auth.state();
  assert.ok(s2.kind === 'ready' && s2.session.units[0].unit === UNIT && s2.session.username === 'maija' && !s2.session.supervisor);
});

test('the next login: the code step, then the bundle opened and the unit keys verified', async () => {
  const w = world();
  const first = await readyWorker(w);
  const signPk = first.identity.signPk.slice();
  await w.auth.logout();
  assert.equal(kind(w.auth), 'login');
  assert.equal(w.auth.connection(), null);
  await w.auth.login('maija', 'väärä salasana on tämä');
  assert.deepEqual(w.auth.state(), { kind: 'login', error: { code: 'bad_credentials' } });
  await w.auth.login('maija', PW);
  assert.deepEqual(w.auth.state(), { kind: 'totp', username: 'maija' });
  await w.auth.totp('12345');
  assert.deepEqual(w.auth.state(), { kind: 'totp', username: 'maija', error: { code: 'bad_credentials' } });
  await w.auth.totp(TOTP);
  const k = readyKeys(w.auth);
  assert.ok(crypto.equal(k.identity.signPk, signPk), 'the same identity as at the first login');
  assert.ok(crypto.equal(k.unitKeys(UNIT, 2)!.signPk, w.srv.unitKeys(2).signPk));
});

test('a server that names weak Argon2id parameters gets nothing but the start', async () => {
  const w = world();
  await readyWorker(w);
  await w.auth.logout();
  w.srv.posts.length = 0;
  w.srv.startParams = { opslimit: 1, memlimit: 8192 };
  await w.auth.login('maija', PW, TOTP);
  assert.deepEqual(w.auth.state(), { kind: 'login', error: { code: 'weak_parameters' } });
  assert.deepEqual(w.srv.posts.map((p) => p.path), ['/api/v1/login/worker/start']);
  w.srv.startParams = { opslimit: 2, memlimit: 2 * 1024 * 1024 * 1024 };
  await w.auth.login('maija', PW, TOTP);
  assert.deepEqual(w.auth.state(), { kind: 'login', error: { code: 'weak_parameters' } }, 'an absurd cost is refused too');
  assert.equal(w.srv.posts.filter((p) => p.path !== '/api/v1/login/worker/start').length, 0);
});

test('a unit seed that is not its signed event\'s is refused, even sealed by the admin', async () => {
  const w = world();
  await firstLogin(w);
  w.srv.certify('maija');
  const acct = w.srv.accounts.get('maija')!;
  const req = crypto.keyRequestParse(acct.request!);
  w.srv.sealSeed(acct, req.boxPk, crypto.random(32));
  await w.clock.advance(20_000);
  const k = readyKeys(w.auth);
  assert.equal(k.unitKeys(UNIT, 2), null);
  assert.equal(k.unitKeys(UNIT, 1), null);
  assert.equal(k.currentGeneration(UNIT), null);
  assert.ok(w.problems.some((p) => /generation 2 refused|not the one its signed event names/.test(p)), w.problems.join('\n'));
});

test('a certificate that does not chain to the pinned root is refused', async () => {
  const w = world();
  await firstLogin(w);
  w.srv.certify('maija', crypto.keysPersonal(crypto.random(32)));
  await w.clock.advance(20_000);
  assert.deepEqual(w.auth.state(), { kind: 'failed', reason: 'certificate' });
});

test('the lock wipes the keys; the lock screen opens the bundle in memory again, counting wrong passwords', async () => {
  const w = world();
  const k = await readyWorker(w);
  const sk = k.identity.signSk;
  const unitSk = k.unitKeys(UNIT, 2)!.boxSk;
  const conn = w.auth.connection();
  w.auth.lock();
  const s = w.auth.state();
  assert.equal(s.kind, 'locked');
  assert.ok(s.kind === 'locked' && s.session.keys() === null);
  assert.ok(sk.every((x) => x === 0) && unitSk.every((x) => x === 0), 'the secret keys are zeroed in place');
  assert.equal(w.auth.connection(), conn, 'the connection stays');
  const sent = w.srv.requests.length + w.srv.posts.length;
  for (let i = 0; i < 3; i++) await w.auth.unlock('väärä salasana ' + i);
  const wrong = w.auth.state();
  assert.ok(wrong.kind === 'locked' && wrong.error?.code === 'bad_credentials' && (wrong.error.retryAfter ?? 0) > 0, JSON.stringify(wrong));
  await w.auth.unlock(PW);
  const waiting = w.auth.state();
  assert.ok(waiting.kind === 'locked' && waiting.error?.code === 'rate_limited', 'the right password waits too');
  await w.clock.advance(3_000);
  await w.auth.unlock(PW);
  const again = readyKeys(w.auth);
  assert.ok(crypto.equal(again.unitKeys(UNIT, 2)!.boxPk, w.srv.unitKeys(2).boxPk));
  assert.equal(w.srv.requests.length + w.srv.posts.length, sent, 'no round trip to the server');
});

test('awaiting certification locks too: the identity wiped, opened again with the password, then certified', async () => {
  const w = world();
  const fp = await firstLogin(w);
  await w.clock.advance(15 * 60_000);
  assert.equal(kind(w.auth), 'locked');
  const polls = w.srv.requests.filter((r) => r.type === 'keys.mine').length;
  await w.clock.advance(60_000);
  assert.equal(w.srv.requests.filter((r) => r.type === 'keys.mine').length, polls, 'no polling while locked');
  await w.auth.unlock(PW);
  assert.deepEqual(w.auth.state(), { kind: 'awaiting-certification', fingerprint: fp });
  w.srv.certify('maija');
  await w.clock.advance(20_000);
  readyKeys(w.auth);
});

test('idle for the configured time locks; input moves the time on', async () => {
  const w = world();
  await readyWorker(w);
  await w.clock.advance(10 * 60_000);
  w.auth.activity();
  await w.clock.advance(10 * 60_000);
  assert.equal(kind(w.auth), 'ready');
  await w.clock.advance(5 * 60_000 + 1);
  assert.equal(kind(w.auth), 'locked');
});

test('a password change logs in with the new key and re-seals the bundle under it', async () => {
  const w = world();
  const k = await readyWorker(w);
  const signPk = k.identity.signPk.slice();
  const acct = w.srv.accounts.get('maija')!;
  const oldBundle = acct.bundle!;
  await assert.rejects(w.auth.changePassword(PW, 'lyhyt', 'lyhyt', TOTP),
    (e: unknown) => e instanceof StaffAuthError && e.error.code === 'password_rules');
  await assert.rejects(w.auth.changePassword('ei tämä ole se salasana', NEW_PW, NEW_PW, TOTP),
    (e: unknown) => e instanceof StaffAuthError && e.error.code === 'bad_credentials');
  await w.auth.changePassword(PW, NEW_PW, NEW_PW, TOTP);
  assert.notEqual(acct.bundle, oldBundle);
  const b = unb64u(acct.bundle)!;
  const info = crypto.bundleParse(b);
  assert.equal(info.version, 2);
  assert.ok(!crypto.equal(info.salt, crypto.bundleParse(unb64u(oldBundle)!).salt), 'a fresh salt');
  const seed = crypto.bundleOpen(b, info.userId, crypto.bundleKey(crypto.passwordMaster(NEW_PW, info.salt, info.opslimit, info.memlimit)));
  assert.ok(crypto.equal(crypto.keysPersonal(seed).signPk, signPk), 'the same seed under the new password');
  assert.equal(kind(w.auth), 'ready');
  await w.auth.logout();
  await w.auth.login('maija', PW, TOTP);
  assert.deepEqual(w.auth.state(), { kind: 'login', error: { code: 'bad_credentials' } });
  await w.auth.login('maija', NEW_PW, TOTP);
  assert.ok(crypto.equal(readyKeys(w.auth).identity.signPk, signPk));
});

test('an expired password: the change first, then the keys (the bundle re-sealed)', async () => {
  const w = world();
  const k = await readyWorker(w);
  const signPk = k.identity.signPk.slice();
  await w.auth.logout();
  w.srv.accounts.get('maija')!.expired = true;
  await w.auth.login('maija', PW, TOTP);
  assert.deepEqual(w.auth.state(), { kind: 'change-password', username: 'maija' });
  await w.auth.changePassword(PW, NEW_PW, NEW_PW + '!');
  assert.deepEqual(w.auth.state(), { kind: 'change-password', username: 'maija', error: { code: 'password_rules' } });
  await w.auth.changePassword(PW, NEW_PW, NEW_PW);
  assert.ok(crypto.equal(readyKeys(w.auth).identity.signPk, signPk));
  const info = crypto.bundleParse(unb64u(w.srv.accounts.get('maija')!.bundle)!);
  assert.equal(info.version, 2);
});

test('a reload finds the session and shows the lock screen; the password opens the keys', async () => {
  const w = world();
  await readyWorker(w);
  const reloaded = world(w.srv);
  reloaded.auth.start();
  await reloaded.clock.advance(0);
  for (let i = 0; i < 50 && kind(reloaded.auth) === 'checking'; i++) await reloaded.clock.advance(10);
  assert.equal(kind(reloaded.auth), 'locked');
  await reloaded.auth.unlock(PW);
  assert.ok(crypto.equal(readyKeys(reloaded.auth).unitKeys(UNIT, 2)!.boxPk, w.srv.unitKeys(2).boxPk));
  // Without a session: the login.
  await reloaded.auth.logout();
  const fresh = world(w.srv);
  fresh.auth.start();
  for (let i = 0; i < 50 && kind(fresh.auth) === 'checking'; i++) await fresh.clock.advance(10);
  assert.equal(kind(fresh.auth), 'login');
});

test('locked and rate-limited answers carry their wait', async () => {
  const w = world();
  w.srv.addWorker('maija', SETUP.replace(/ /g, '-'));
  const post = w.srv.post;
  const auth = createStaffAuth({ post: async (path, body) => path.endsWith('/start') ? post(path, body)
    : { status: 423, body: { type: 'error', id: null, code: 'locked', message: 'locked', retry_after: 120 } },
  loadCrypto: async () => ({ crypto, rootKey: w.srv.root.signPk }), connect: w.srv.connect, clock: w.clock });
  await auth.login('maija', PW);
  assert.deepEqual(auth.state(), { kind: 'login', error: { code: 'locked', retryAfter: 120 } });
  const down = createStaffAuth({ post: async () => ({ status: 0, body: null }), loadCrypto: async () => ({ crypto, rootKey: w.srv.root.signPk }),
    connect: w.srv.connect, clock: w.clock });
  await down.login('maija', PW);
  assert.deepEqual(down.state(), { kind: 'login', error: { code: 'network' } });
});
