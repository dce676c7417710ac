// net-requests.test.ts - requests and replies: matched by id in any order, pipelined within the
// limits (outstanding requests, at most two large replies), the writes of one thread in order,
// rate_limited waited out and resent with the same id, final errors to the caller, a reply that
// does not come in time, and hostile input from the server (bad JSON, unknown events and fields,
// replies to no request) survived without a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestError } from '../../src/app/net/connection';
import { setup } from './net-setup';

const T1 = '1'.repeat(32);
const T2 = '2'.repeat(32);

async function opened(opts = {}) {
  const s = setup(opts);
  s.server.addThread(T1, 3);
  s.server.addThread(T2, 1);
  s.conn.start();
  await s.clock.advance(0);
  s.server.received.length = 0;
  return s;
}

test('replies are matched by id, in whatever order they come', async () => {
  const { conn, server, clock } = await opened();
  server.holdReplies = true;
  const a = conn.request('thread.read', { thread: T1 });
  const b = conn.request('categories.list', {});
  await clock.advance(0);
  assert.equal(server.held.length, 2);
  server.held.reverse();
  server.releaseHeld();
  await clock.advance(0);
  assert.equal((await a).thread, T1);
  assert.deepEqual((await b).categories, []);
  const ids = server.received.map((r) => r.id);
  assert.equal(new Set(ids).size, 2);
  for (const id of ids) assert.match(id as string, /^[A-Za-z0-9_-]{22}$/);
});

test('pipelining: at most maxInFlight outstanding, at most two large replies at a time', async () => {
  const { conn, server, clock } = await opened({ limits: { maxInFlight: 5 } });
  server.holdReplies = true;
  const all = [];
  for (let i = 0; i < 4; i++) all.push(conn.request('thread.read', { thread: T1 }));
  for (let i = 0; i < 6; i++) all.push(conn.request('categories.list', {}));
  await clock.advance(0);
  const sentTypes = server.held.map((h) => server.received.find((r) => r.id === h.reply.id)!.type);
  assert.equal(server.held.length, 5, 'five outstanding');
  assert.equal(sentTypes.filter((t) => t === 'thread.read').length, 2, 'two large at a time');
  let maxLarge = 0;
  while (server.held.length > 0) {
    server.releaseHeld();
    await clock.advance(0);
    const outstandingLarge = server.held.filter((h) => server.received.find((r) => r.id === h.reply.id)!.type === 'thread.read').length;
    maxLarge = Math.max(maxLarge, outstandingLarge);
    assert.ok(server.held.length <= 5);
  }
  assert.ok(maxLarge <= 2);
  const replies = await Promise.all(all);
  assert.equal(replies.length, 10);
});

test('limits beyond the protocol are clamped: never more than the 64 the server reads ahead', async () => {
  const { conn, server, clock } = await opened({ limits: { maxInFlight: 1000, maxLargeInFlight: 10 } });
  server.holdReplies = true;
  const ignore = (): void => undefined;
  for (let i = 0; i < 80; i++) conn.request('categories.list', {}).catch(ignore);
  for (let i = 0; i < 5; i++) conn.request('thread.list', {}).catch(ignore);
  await clock.advance(0);
  assert.equal(server.held.length, 64);
  server.held.splice(0);
  conn.stop();
  await clock.advance(0);
});

test('the writes of one thread go one at a time, in order; other threads are not held up', async () => {
  const { conn, server, clock } = await opened();
  server.holdReplies = true;
  const w1 = conn.request('message.send', { thread: T1, body: 'AAAA' });
  const w2 = conn.request('message.send', { thread: T1, body: 'BBBB' });
  const w3 = conn.request('message.send', { thread: T2, body: 'CCCC' });
  await clock.advance(0);
  assert.deepEqual(server.received.map((r) => r.body), ['AAAA', 'CCCC']);
  server.releaseHeld();
  await clock.advance(0);
  assert.deepEqual(server.received.map((r) => r.body), ['AAAA', 'CCCC', 'BBBB']);
  server.releaseHeld();
  await clock.advance(0);
  const seqs = [(await w1).seq, (await w2).seq, (await w3).seq];
  assert.deepEqual(seqs, [4, 5, 2]);
});

test('rate_limited: waits retry_after, sends nothing meanwhile, then resends with the same id', async () => {
  const { conn, server, clock } = await opened();
  server.rateLimits = [3];
  const w = conn.request('message.send', { thread: T1, body: 'AAAA' });
  await clock.advance(0);
  assert.equal(server.received.length, 1);
  const r = conn.request('categories.list', {});
  await clock.advance(2_999);
  assert.equal(server.received.length, 1, 'nothing sent during the wait');
  await clock.advance(1);
  assert.equal(server.received.length, 3);
  assert.equal(server.received[1].id, server.received[0].id, 'resent with the same id');
  assert.equal((await w).seq, 4);
  await r;
  assert.equal(server.threads.get(T1)!.messages.length, 4, 'written once');
});

test('a rate limit that lasts till midnight is a final error with its retry_after', async () => {
  const { conn, server, clock } = await opened();
  server.rateLimits = [5 * 3600];
  const w = assert.rejects(conn.request('message.send', { thread: T1, body: 'AAAA' }),
    (e: unknown) => e instanceof RequestError && e.code === 'rate_limited' && e.retryAfter === 18000);
  await clock.advance(0);
  await w;
});

test('final errors reach the caller with code and field', async () => {
  const { conn, server, clock } = await opened();
  server.threads.get(T1)!.state = 'closed';
  const w = assert.rejects(conn.request('message.send', { thread: T1, body: 'AAAA' }),
    (e: unknown) => e instanceof RequestError && e.code === 'thread_closed');
  const r = assert.rejects(conn.request('thread.read', { thread: '9'.repeat(32) }),
    (e: unknown) => e instanceof RequestError && e.code === 'not_found');
  await clock.advance(0);
  await w;
  await r;
});

test('a request over 65536 bytes is refused here, never sent (the server would close with 1009)', async () => {
  const { conn, server, clock } = await opened();
  const w = conn.request('message.send', { thread: T1, body: 'A'.repeat(70_000) });
  await assert.rejects(w, (e: unknown) => e instanceof RequestError && e.code === 'too_large');
  await clock.advance(0);
  assert.equal(server.received.length, 0);
});

test('no reply in time: the read fails, the connection is renewed, a write is resent with its id', async () => {
  const { conn, server, clock } = await opened({ requestTimeoutMs: 10_000 });
  server.holdReplies = true;
  const r = assert.rejects(conn.request('categories.list', {}), (e: unknown) => e instanceof RequestError && e.code === 'timeout');
  const w = conn.request('message.send', { thread: T1, body: 'AAAA' });
  await clock.advance(10_000);
  await r;
  server.holdReplies = false;
  server.held.splice(0);
  await clock.advance(5_000);
  assert.equal(conn.state.kind, 'open');
  assert.equal((await w).seq, 4);
  const sends = server.received.filter((x) => x.type === 'message.send');
  assert.equal(sends.length, 2);
  assert.equal(sends[0].id, sends[1].id);
  assert.equal(server.threads.get(T1)!.messages.length, 4, 'the server wrote it once');
});

test('hostile input: bad JSON, non-objects, unknown types, unknown events, replies to no request', async () => {
  const { conn, server, clock, problems } = await opened();
  const seen: unknown[] = [];
  conn.onEvent('surprise', (m) => seen.push(m.x));
  const sock = server.socket;
  for (const text of ['{', 'null', '[]', '42', '"x"', '{"type":"ok"}', '{"type":"ok","id":"no such"}',
    '{"type":"ok","id":"nosuchrequest"}', '{"type":"error","id":"nosuchrequest","code":"forbidden"}',
    '{"type":"error","id":null,"code":"bad_json","message":"x"}', '{"type":"error","id":5}', '{"type":"weird"}',
    '{"type":"event"}', '{"type":"event","event":"surprise","x":1}', '{"type":"event","event":"welcome","user":"x"}',
    '{"type":"event","event":"message.new","thread":5,"seq":"x"}', '{"type":"event","event":"message.new"}',
    '{"type":"event","event":"thread.changed","thread":"' + T1 + '","updated":-1}',
    '{"type":"event","event":"read.changed","thread":null}', '{"type":"event","event":"session.expiring","ends":"soon"}',
    '{"type":"event","event":"__proto__"}', '{"__proto__":{"type":"ok"},"type":"ok","id":"x"}', '\u0000\uffff']) sock.push(text);
  await clock.advance(0);
  assert.deepEqual(seen, [1], 'unknown events reach their subscribers');
  assert.ok(problems.length >= 10);
  assert.equal(conn.state.kind, 'open', 'still open');
  const r = await conn.request('categories.list', {});
  assert.deepEqual(r.categories, []);
});

test('a throwing subscriber does not stop the connection', async () => {
  const { conn, server, clock } = await opened();
  conn.onState(() => {
    throw new Error('view bug');
  });
  conn.onEvent('surprise', () => {
    throw new Error('view bug');
  });
  server.socket.push('{"type":"event","event":"surprise"}');
  server.socket.drop();
  await clock.advance(5_000);
  assert.equal(conn.state.kind, 'open');
});

test('reads wait across a reconnect and are resent; after a session end they fail', async () => {
  const { conn, server, clock } = await opened();
  server.holdReplies = true;
  const r = conn.request('categories.list', {});
  await clock.advance(0);
  server.held.splice(0);
  server.holdReplies = false;
  server.socket.drop(1001);
  await clock.advance(5_000);
  assert.deepEqual((await r).categories, []);
  server.holdReplies = true;
  const r2 = assert.rejects(conn.request('categories.list', {}), (e: unknown) => e instanceof RequestError && e.code === 'login_needed');
  await clock.advance(0);
  server.socket.drop(4001);
  await clock.advance(0);
  await r2;
  await assert.rejects(conn.request('categories.list', {}), (e: unknown) => e instanceof RequestError && e.code === 'login_needed');
});

test('unavailable with retry_after (server busy) waits and resends with the same id', async () => {
  const { conn, server, clock } = await opened();
  let first = true;
  const orig = server.receive.bind(server);
  server.receive = (sock, text) => {
    if (first) {
      first = false;
      server.received.push(JSON.parse(text));
      server.send(sock, { type: 'error', id: JSON.parse(text).id, code: 'unavailable', message: 'server busy', retry_after: 2 });
      return;
    }
    orig(sock, text);
  };
  const w = conn.request('message.send', { thread: T1, body: 'AAAA' });
  await clock.advance(1_999);
  assert.equal(server.received.length, 1);
  await clock.advance(1);
  assert.equal((await w).seq, 4);
  assert.equal(server.received[0].id, server.received[1].id);
});
