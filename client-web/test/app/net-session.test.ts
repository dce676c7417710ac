// net-session.test.ts - the session's end (PROTOCOL.md §6.12, §7.6): a warning at least two
// minutes before it, from the server's session.expiring or from the client's own clock when the
// event does not come; "Continue" (session.extend) moves the idle end and clears the warning; an
// absolute end cannot be moved; touch() extends at most once a minute; the end needs a login.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionInfo } from '../../src/app/net/session-clock';
import { SessionClock } from '../../src/app/net/session-clock';
import { kinds, setup } from './net-setup';

test('without the event: the warning comes from the own clock, lead before the idle end', async () => {
  const { conn, server, clock } = setup({ warnLeadMs: 180_000 });
  const infos: SessionInfo[] = [];
  conn.onSession((i) => infos.push(i));
  conn.start();
  await clock.advance(0);
  assert.equal(conn.sessionInfo.idleExpires, server.idleExpires);
  assert.equal(conn.sessionInfo.warning, null);
  await clock.advance(30 * 60_000 - 180_000 - 1);
  assert.equal(conn.sessionInfo.warning, null);
  await clock.advance(1);
  assert.deepEqual(infos.at(-1)!.warning, { reason: 'idle', ends: server.idleExpires });
  assert.ok(server.idleExpires - clock.now() >= 120_000, 'at least two minutes left');
});

test('the server warns first: shown at once; Continue extends and clears it', async () => {
  const { conn, server, clock } = setup();
  const infos: SessionInfo[] = [];
  conn.onSession((i) => infos.push(i));
  conn.start();
  await clock.advance(25 * 60_000);
  server.broadcast({ type: 'event', event: 'session.expiring', reason: 'idle', ends: server.idleExpires,
    session_expires: server.sessionExpires, idle_expires: server.idleExpires });
  await clock.advance(0);
  assert.deepEqual(infos.at(-1)!.warning, { reason: 'idle', ends: server.idleExpires });
  const p = conn.extendSession();
  await clock.advance(0);
  const after = await p;
  assert.equal(after.warning, null);
  assert.equal(after.idleExpires, clock.now() + 30 * 60_000);
  assert.equal(infos.at(-1)!.warning, null);
  assert.equal(server.received.filter((r) => r.type === 'session.extend').length, 1);
});

test('an absolute end: the warning stays after extend (log in again)', async () => {
  const { conn, server, clock } = setup();
  server.sessionExpires = clock.now() + 10 * 60_000;
  conn.start();
  await clock.advance(0);
  await clock.advance(8 * 60_000);
  assert.deepEqual(conn.sessionInfo.warning, { reason: 'absolute', ends: server.sessionExpires });
  const p = conn.extendSession();
  await clock.advance(0);
  assert.deepEqual((await p).warning, { reason: 'absolute', ends: server.sessionExpires });
  server.socket.drop(4001);
  await clock.advance(0);
  assert.equal(conn.state.kind, 'offline');
  assert.equal(conn.state.kind === 'offline' && conn.state.cause, 'login_needed');
});

test('touch: session.extend only after a minute without requests, and not twice at once', async () => {
  const { conn, server, clock } = setup();
  conn.start();
  await clock.advance(0);
  const extends_ = (): number => server.received.filter((r) => r.type === 'session.extend').length;
  conn.touch();
  await clock.advance(0);
  assert.equal(extends_(), 0, 'the connection just opened');
  await clock.advance(60_000);
  conn.touch();
  conn.touch();
  await clock.advance(0);
  assert.equal(extends_(), 1);
  await clock.advance(30_000);
  conn.touch();
  await clock.advance(0);
  assert.equal(extends_(), 1, 'not again within a minute');
});

test('SessionClock: malformed times are refused; the lead is at least two minutes', () => {
  const s = new SessionClock(180_000);
  assert.equal(s.setEnds('x', 5), false);
  assert.equal(s.setEnds(10, -1), false);
  assert.equal(s.announce({ reason: 'maybe', ends: 5 }), false);
  assert.equal(s.warning(0), null);
  assert.equal(s.setEnds(1_000_000, 2_000_000), true);
  assert.equal(s.idleExpires, 1_000_000, 'the idle end never passes the absolute one');
  assert.deepEqual(s.warning(1_000_000 - 180_000), { reason: 'absolute', ends: 1_000_000 });
  assert.equal(s.nextCheck(0), 1_000_000 - 180_000);
});

test('a short lead asked for is raised to two minutes', async () => {
  const { conn, server, clock, states } = setup({ warnLeadMs: 10_000 });
  conn.start();
  await clock.advance(30 * 60_000 - 120_000);
  assert.deepEqual(conn.sessionInfo.warning, { reason: 'idle', ends: server.idleExpires });
  assert.deepEqual(kinds(states), ['connecting', 'open:syncing', 'open']);
});
