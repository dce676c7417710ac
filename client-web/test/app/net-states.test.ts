// net-states.test.ts - the connection's states as the user sees them: connecting, open (syncing,
// then in sync), reconnecting with the backoff's delays (bounded, jittered, reset by a connection
// that lasted, escalating for one that did not), offline and why (session ended, refused, client
// error, the browser offline), an immediate try when the browser is online again, and no storm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffCeiling } from '../../src/app/net/backoff';
import { FakeClock, FakeServer, fixedRandom } from './net-fakes';
import { kinds, setup } from './net-setup';

test('start: connecting, then open and syncing, then open', async () => {
  const { conn, clock, states } = setup();
  assert.equal(conn.state.kind, 'idle');
  conn.start();
  await clock.advance(0);
  assert.deepEqual(kinds(states), ['connecting', 'open:syncing', 'open']);
  assert.equal(conn.userId, 'a'.repeat(32));
});

test('a dropped connection reconnects after a jittered delay within the backoff', async () => {
  const { conn, clock, server, states } = setup({ random: fixedRandom(0.5), backoff: { baseMs: 1000, capMs: 8000 } });
  conn.start();
  await clock.advance(20_000); // lasts past stableMs
  server.socket.drop(1006);
  await clock.advance(0);
  const r = conn.state;
  assert.equal(r.kind, 'reconnecting');
  assert.ok(r.kind === 'reconnecting' && r.cause === 'dropped');
  assert.ok(r.kind === 'reconnecting' && r.retryAt === clock.now() + 500, 'half of the first ceiling (1000)');
  await clock.advance(499);
  assert.equal(conn.state.kind, 'reconnecting');
  await clock.advance(1);
  assert.equal(conn.state.kind, 'open');
  assert.deepEqual(kinds(states).slice(-4), ['reconnecting:dropped', 'connecting', 'open:syncing', 'open']);
});

test('failed tries escalate up to the cap; one socket at a time; no storm', async () => {
  const clock = new FakeClock();
  const server = new FakeServer(clock);
  server.refusals = Array.from({ length: 10 }, () => ({})); // refused, the transport cannot say why
  const { conn, states } = setup({ random: fixedRandom(0.999), backoff: { baseMs: 1000, capMs: 8000 } }, clock, server);
  conn.start();
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    await clock.advance(0);
    const s = conn.state;
    assert.equal(s.kind, 'reconnecting');
    if (s.kind !== 'reconnecting') return;
    delays.push(s.retryAt - clock.now());
    assert.ok(server.sockets.filter((x) => !x.closed).length <= 1, 'at most one socket at a time');
    await clock.advance(s.retryAt - clock.now());
  }
  assert.deepEqual(delays, [0, 1, 2, 3, 3, 3, 3, 3, 3, 3].map((a) => Math.floor(0.999 * backoffCeiling(a, { baseMs: 1000, capMs: 8000 }))));
  assert.equal(server.sockets.length, 11);
  await clock.advance(0);
  assert.equal(conn.state.kind, 'open');
  assert.equal(kinds(states).filter((k) => k === 'connecting').length, 11);
});

test('a connection that did not last does not reset the backoff; one that lasted does', async () => {
  const { conn, clock, server } = setup({ random: fixedRandom(0.999), backoff: { baseMs: 1000, capMs: 64_000 }, stableMs: 10_000 });
  conn.start();
  await clock.advance(0);
  const delayAfterDrop = async (): Promise<number> => {
    server.socket.drop(1006);
    await clock.advance(0);
    const s = conn.state;
    assert.equal(s.kind, 'reconnecting');
    const d = s.kind === 'reconnecting' ? s.retryAt - clock.now() : -1;
    await clock.advance(d);
    assert.equal(conn.state.kind, 'open');
    return d;
  };
  // Each short-lived connection: the ceiling grows (a server that accepts and drops at once).
  assert.deepEqual([await delayAfterDrop(), await delayAfterDrop(), await delayAfterDrop()], [999, 1998, 3996]);
  await clock.advance(10_000);
  assert.equal(await delayAfterDrop(), 999, 'reset after a connection that lasted');
});

test('close codes: 1001 and 4008 reconnect, 4001 needs a login, 1008/1009 are client errors, 1000 stays closed', async () => {
  for (const [code, expected] of [[1001, 'reconnecting:server_restart'], [4008, 'reconnecting:slow_consumer'],
    [1006, 'reconnecting:dropped'], [4001, 'offline:login_needed'], [1008, 'offline:client_error'],
    [1009, 'offline:client_error'], [1000, 'offline:closed']] as const) {
    const { conn, clock, server, states } = setup();
    conn.start();
    await clock.advance(0);
    server.socket.drop(code);
    await clock.advance(0);
    assert.equal(kinds(states).at(-1), expected, `close ${code}`);
    if (expected.startsWith('offline')) {
      await clock.advance(120_000);
      assert.equal(server.sockets.length, 1, `no retry after ${code}`);
    }
  }
});

test('refused upgrades: 401 and 403 need a login, 429 waits retry_after, 503 backs off', async () => {
  for (const [status, expected] of [[401, 'offline:login_needed'], [403, 'offline:login_needed'],
    [429, 'reconnecting:too_many_connections'], [503, 'reconnecting:server_busy'], [400, 'offline:client_error']] as const) {
    const clock = new FakeClock();
    const server = new FakeServer(clock);
    server.refusals = [{ httpStatus: status, retryAfter: 5 }];
    const { conn, states } = setup({ random: fixedRandom(0.25) }, clock, server);
    conn.start();
    await clock.advance(0);
    assert.equal(kinds(states).at(-1), expected, `status ${status}`);
    const s = conn.state;
    if (status === 429 && s.kind === 'reconnecting') assert.equal(s.retryAt - clock.now(), 5000 + 250, 'retry_after plus jitter');
  }
});

test('a refusal the browser cannot explain: the session check decides (invalid: log in)', async () => {
  const clock = new FakeClock();
  const server = new FakeServer(clock);
  server.refusals = [{}];
  let asked = 0;
  const { conn, states } = setup({ checkSession: async () => (asked++, 'invalid') }, clock, server);
  conn.start();
  await clock.advance(0);
  assert.equal(asked, 1);
  assert.deepEqual(kinds(states), ['connecting', 'reconnecting:dropped', 'offline:login_needed']);
  await clock.advance(60_000);
  assert.equal(server.sockets.length, 1);

  const clock2 = new FakeClock();
  const server2 = new FakeServer(clock2);
  server2.refusals = [{}];
  const b = setup({ checkSession: async () => 'valid' }, clock2, server2);
  b.conn.start();
  await clock2.advance(5_000);
  assert.equal(b.conn.state.kind, 'open');
});

test('the browser offline: no tries while offline, one at once when it is back', async () => {
  const { conn, clock, server, states } = setup({ backoff: { baseMs: 10_000, capMs: 60_000 } });
  conn.start();
  await clock.advance(0);
  conn.setBrowserOnline(false);
  server.socket.drop(1006);
  await clock.advance(0);
  assert.equal(kinds(states).at(-1), 'offline:network');
  await clock.advance(600_000);
  assert.equal(server.sockets.length, 1, 'no tries while offline');
  conn.setBrowserOnline(true);
  await clock.advance(0);
  assert.equal(conn.state.kind, 'open', 'tried at once');
  assert.equal(server.sockets.length, 2);
});

test('online again while waiting to reconnect: tries at once instead of waiting', async () => {
  const { conn, clock, server } = setup({ random: fixedRandom(0.9), backoff: { baseMs: 30_000, capMs: 60_000 } });
  conn.start();
  await clock.advance(0);
  server.socket.drop(1006);
  await clock.advance(0);
  assert.equal(conn.state.kind, 'reconnecting');
  conn.setBrowserOnline(true);
  await clock.advance(0);
  assert.equal(conn.state.kind, 'open');
  conn.setBrowserOnline(true); // a second online event does not open a second socket
  await clock.advance(0);
  assert.equal(server.sockets.length, 2);
});

test('no welcome in time: the connection is dropped and tried again', async () => {
  const clock = new FakeClock();
  const server = new FakeServer(clock);
  server.silent = true;
  const { conn, states } = setup({ welcomeTimeoutMs: 5_000 }, clock, server);
  conn.start();
  await clock.advance(4_999);
  assert.equal(conn.state.kind, 'connecting');
  server.silent = false;
  await clock.advance(1);
  assert.equal(kinds(states)[1], 'reconnecting:no_answer');
  await clock.advance(2_000);
  assert.equal(conn.state.kind, 'open');
});

test('stop: offline for good; start again opens', async () => {
  const { conn, clock, server, states } = setup();
  conn.start();
  await clock.advance(0);
  conn.stop();
  await clock.advance(0);
  assert.equal(kinds(states).at(-1), 'offline:stopped');
  assert.ok(server.sockets[0].closed);
  await clock.advance(120_000);
  assert.equal(server.sockets.length, 1);
  conn.start();
  await clock.advance(0);
  assert.equal(conn.state.kind, 'open');
});

test('stopped by a state listener on a refusal (no session): no recursion, no retry later', async () => {
  const clock = new FakeClock();
  const server = new FakeServer(clock);
  server.refusals = [{}]; // the first connection refused, the transport cannot say why
  const { conn, states } = setup({}, clock, server);
  let stops = 0;
  conn.onState((s) => {
    if (s.kind === 'reconnecting' || s.kind === 'offline') {
      stops++;
      conn.stop(); // as the app does when the first connection is refused
    }
  });
  conn.start();
  await clock.advance(0);
  assert.equal(conn.state.kind, 'offline');
  assert.deepEqual(kinds(states), ['connecting', 'reconnecting:dropped', 'offline:stopped']);
  assert.equal(stops, 2, 'once for reconnecting, once for its own offline: then quiet');
  await clock.advance(120_000);
  assert.equal(server.sockets.length, 1, 'no try after the stop');
});

test('a late event of an old socket changes nothing', async () => {
  const { conn, clock, server } = setup();
  conn.start();
  await clock.advance(0);
  const old = server.socket;
  old.drop(1006);
  await clock.advance(2_000);
  assert.equal(conn.state.kind, 'open');
  old.h.close({ code: 4001, opened: true }); // a stray close of the old socket
  old.h.message(JSON.stringify(server.welcome()));
  await clock.advance(0);
  assert.equal(conn.state.kind, 'open');
});
