// staff-auth-rules.test.ts - the staff login's pure rules (src/app/staff/auth-rules.ts): the new
// password's rules, codes as typed, the secret's groups, the server's answers as LoginErrors,
// the lock screen's wait; the welcome as the staff page reads it (auth-welcome.ts); the idle
// lock and the unlock throttle on a fake clock (lock.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loginErrorOf, normalSetupCode, normalTotp, normalUsername, passwordProblem, secretGroups, unlockDelayMs } from '../../src/app/staff/auth-rules';
import { parseWelcome } from '../../src/app/staff/auth-welcome';
import { IdleLock, UnlockThrottle } from '../../src/app/staff/lock';
import { FakeClock } from './net-fakes';

test('a new password: at least 12 characters as seen, at most 1024 bytes, typed the same twice', () => {
  assert.equal(passwordProblem('a'.repeat(11), 'a'.repeat(11)), 'short');
  assert.equal(passwordProblem('ääääääääääää', 'ääääääääääää'), null, '12 characters, 24 bytes');
  assert.equal(passwordProblem('🙂'.repeat(11), '🙂'.repeat(11)), 'short', 'counted as characters, not UTF-16 units');
  assert.equal(passwordProblem('a'.repeat(1025), 'a'.repeat(1025)), 'long');
  assert.equal(passwordProblem('a'.repeat(12), 'a'.repeat(12) + ' '), 'mismatch');
});

test('codes and usernames as people type them', () => {
  assert.equal(normalTotp(' 123 456 '), '123456');
  assert.equal(normalTotp('12345'), null);
  assert.equal(normalTotp('12345a'), null);
  assert.equal(normalSetupCode('abcd-efgh ijkl mn23'), 'ABCD-EFGH-IJKL-MN23');
  assert.equal(normalSetupCode('ABCDEFGHIJKLMN23'), 'ABCD-EFGH-IJKL-MN23');
  assert.equal(normalSetupCode('ABCD EFGH IJKL MN21'), null, '1 is not base32');
  assert.equal(normalUsername(' Maija.Meikalainen '), 'maija.meikalainen');
  assert.equal(normalUsername('maija meikäläinen'), null);
  assert.equal(secretGroups('JBSWY3DPEHPK3PXP'), 'JBSW Y3DP EHPK 3PXP');
});

test('the login endpoints\' refusals as LoginErrors, with the wait of locked and rate_limited', () => {
  assert.deepEqual(loginErrorOf(423, { code: 'locked', retry_after: 120 }), { code: 'locked', retryAfter: 120 });
  assert.deepEqual(loginErrorOf(423, { code: 'locked' }), { code: 'locked' });
  assert.deepEqual(loginErrorOf(429, { code: 'rate_limited', retry_after: 30 }), { code: 'rate_limited', retryAfter: 30 });
  assert.deepEqual(loginErrorOf(401, { code: 'bad_credentials', retry_after: 30 }), { code: 'bad_credentials' });
  assert.deepEqual(loginErrorOf(403, { code: 'password_expired' }), { code: 'password_expired' });
  assert.deepEqual(loginErrorOf(500, { code: 'internal' }), { code: 'failed' });
  assert.deepEqual(loginErrorOf(0, null), { code: 'network' });
  assert.deepEqual(loginErrorOf(423, { code: 'locked', retry_after: -1 }), { code: 'locked' }, 'a hostile wait is dropped');
});

test('the lock screen waits after three wrong passwords, doubling up to a minute', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 10].map(unlockDelayMs), [0, 0, 0, 2000, 4000, 8000, 60_000]);
  const clock = new FakeClock();
  const th = new UnlockThrottle(clock);
  th.failed();
  th.failed();
  assert.equal(th.wait(), 0);
  th.failed();
  assert.equal(th.wait(), 2);
  th.reset();
  assert.equal(th.wait(), 0);
});

test('the idle lock fires after the idle time without input, and not while disarmed', async () => {
  const clock = new FakeClock();
  let fired = 0;
  const idle = new IdleLock(clock, 60_000, () => fired++);
  idle.activity();
  await clock.advance(120_000);
  assert.equal(fired, 0, 'not armed');
  idle.arm();
  await clock.advance(50_000);
  idle.activity();
  await clock.advance(50_000);
  assert.equal(fired, 0);
  await clock.advance(10_001);
  assert.equal(fired, 1);
  await clock.advance(120_000);
  assert.equal(fired, 1, 'once');
});

test('the welcome: staff or not, well-formed units only', () => {
  const u = 'ab'.repeat(16);
  const w = parseWelcome(JSON.stringify({ type: 'event', event: 'welcome', user: 'cd'.repeat(16), role: 'supervisor',
    units: [{ unit: u, name: 'Lapsiperheet', role: 'supervisor' }, { unit: 'x', name: 'bad', role: 'worker' }, { unit: u, role: 'admin' }] }));
  assert.deepEqual(w, { user: 'cd'.repeat(16), staff: true, units: [{ unit: u, name: 'Lapsiperheet', role: 'supervisor' }] });
  assert.equal(parseWelcome('{"type":"event","event":"welcome","user":"' + 'cd'.repeat(16) + '","role":"citizen"}')?.staff, false);
  assert.equal(parseWelcome('not json'), null);
});
