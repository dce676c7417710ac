// net-outbox.test.ts - the outbox: writes stored encrypted before they are sent (nothing readable
// at rest, bound to the user and the request id), removed on their final reply; a connection
// dropped after the server committed a write but before its reply loses and duplicates nothing
// (resent with the same id, the server answers its original reply); a reload resends what was
// unsent with the original ids; a final error is removed from the store and told to the views,
// and the failed write is kept listed until it is retried with its original id or discarded.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../../src/crypto';
import { Connection, type OutboxNotice } from '../../src/app/net/connection';
import { MemoryOutboxStore, Outbox, type RecordCipher } from '../../src/app/net/outbox';
import { outboxCipher } from '../../src/app/net/outbox-cipher';
import type { Message } from '../../src/app/net/sync';
import { countingBytes, FakeClock, FakeServer, fixedRandom, USER } from './net-fakes';
import { setup } from './net-setup';

const T1 = '1'.repeat(32);
let seed: Uint8Array;
let cipher: RecordCipher;

before(async () => {
  await c.ready();
  seed = c.random(32);
  cipher = outboxCipher(c.sodium, seed, USER);
});

function text(b: Uint8Array): string {
  return Buffer.from(b).toString('latin1');
}

test('records are sealed: no plaintext at rest; another user, another seed, a moved or changed record do not open', async () => {
  const clock = new FakeClock();
  const store = new MemoryOutboxStore();
  const box = new Outbox(store, cipher, clock);
  await box.add({ type: 'message.send', id: 'req-one', thread: T1, body: 'SECRET-BODY-canary' });
  const [rec] = await store.list();
  assert.ok(!text(rec.data).includes('SECRET'), 'no plaintext');
  assert.ok(!text(rec.data).includes(T1), 'no thread id');
  assert.equal(rec.data.length % 16, 8, 'nonce + padded ciphertext + tag'); // 24 + 256k + 16
  assert.equal((await box.load())[0].request.body, 'SECRET-BODY-canary');

  assert.deepEqual(await new Outbox(store, outboxCipher(c.sodium, seed, 'f'.repeat(32)), clock).load(), [], 'another user');
  assert.deepEqual(await new Outbox(store, outboxCipher(c.sodium, c.random(32), USER), clock).load(), [], 'another seed');
  await store.put({ ...rec, id: 'req-two' });
  await store.remove('req-one');
  assert.deepEqual(await box.load(), [], 'moved to another request id');
  const flipped = rec.data.slice();
  flipped[30] ^= 1;
  await store.put({ ...rec, data: flipped });
  assert.deepEqual(await box.load(), [], 'changed');
  assert.deepEqual((await store.list()).length, 2, 'records that do not open are left alone');
  assert.throws(() => outboxCipher(c.sodium, seed, 'not-hex'));
  assert.throws(() => outboxCipher(c.sodium, seed.subarray(0, 31), USER));
});

test('a write is stored before it is sent and removed on its reply; the views are told', async () => {
  const { conn, server, clock } = setup();
  server.addThread(T1, 1);
  const store = new MemoryOutboxStore();
  conn.start();
  await conn.useOutbox(new Outbox(store, cipher, clock));
  await clock.advance(0);
  const notices: OutboxNotice[] = [];
  conn.onOutbox((n) => notices.push(n));
  server.holdReplies = true;
  const w = conn.request('message.send', { thread: T1, body: 'AAAA' });
  await clock.advance(0);
  assert.equal(store.records.size, 1, 'stored');
  assert.equal(server.received.filter((r) => r.type === 'message.send').length, 1);
  assert.equal(conn.pendingWrites().length, 1);
  server.releaseHeld();
  await clock.advance(0);
  assert.equal((await w).seq, 2);
  assert.equal(store.records.size, 0, 'removed on the reply');
  assert.deepEqual(notices.map((n) => n.kind), ['queued', 'done']);
  assert.equal(conn.pendingWrites().length, 0);
});

test('dropped after the commit, before the reply: resent with the same id, written once, shown once', async () => {
  const { conn, server, clock } = setup();
  server.addThread(T1, 1);
  const store = new MemoryOutboxStore();
  conn.start();
  await conn.useOutbox(new Outbox(store, cipher, clock));
  const th = conn.openThread(T1);
  const got: Message[] = [];
  th.subscribe((f) => got.push(...f));
  await clock.advance(0);
  server.dropAfterCommit.add('message.send');
  const w = conn.request('message.send', { thread: T1, body: 'HELLO' });
  await clock.advance(10_000);
  assert.equal(conn.state.kind, 'open');
  const reply = await w;
  assert.equal(reply.seq, 2);
  const sends = server.received.filter((r) => r.type === 'message.send');
  assert.equal(sends.length, 2, 'resent once');
  assert.equal(sends[0].id, sends[1].id, 'with the same id');
  assert.equal(server.threads.get(T1)!.messages.length, 2, 'written once');
  assert.deepEqual(got.map((m) => m.seq), [1, 2], 'shown once');
  assert.equal(store.records.size, 0);
});

test('a reload: the unsent writes are resent with their original ids, in order', async () => {
  const clock = new FakeClock();
  const server = new FakeServer(clock);
  server.addThread(T1, 1);
  const store = new MemoryOutboxStore();
  const a = setup({}, clock, server);
  a.conn.start();
  await a.conn.useOutbox(new Outbox(store, cipher, clock));
  await clock.advance(0);
  server.dropAfterCommit.add('message.send'); // the first reaches the server, its reply does not
  const ignore = (): void => undefined;
  a.conn.request('message.send', { thread: T1, body: 'ONE' }).catch(ignore);
  await clock.advance(0);
  server.refusals = [{}, {}, {}]; // the network is gone
  a.conn.request('message.send', { thread: T1, body: 'TWO' }).catch(ignore);
  a.conn.request('read.set', { thread: T1, seq: 1 }).catch(ignore);
  await clock.advance(0);
  assert.equal(store.records.size, 3);
  const ids = server.received.filter((r) => r.type === 'message.send').map((r) => r.id);
  a.conn.stop(); // the page is gone
  server.refusals = [];

  const b = new Connection({ socket: server.factory, clock, random: fixedRandom(0.5), randomBytes: countingBytes });
  const notices: OutboxNotice[] = [];
  b.onOutbox((n) => notices.push(n));
  b.start();
  await b.useOutbox(new Outbox(store, cipher, clock));
  await clock.advance(0);
  assert.deepEqual(notices.filter((n) => n.kind === 'queued').map((n) => n.kind === 'queued' && n.restored), [true, true, true]);
  await clock.advance(1_000);
  const t = server.threads.get(T1)!;
  assert.deepEqual(t.messages.map((m) => m.body), ['body-1111-1', 'ONE', 'TWO'], 'each once, in order');
  const sends = server.received.filter((r) => r.type === 'message.send');
  assert.equal(sends.at(-2)!.id, ids[0], 'the original id');
  assert.equal(store.records.size, 0);
  assert.deepEqual(notices.filter((n) => n.kind === 'done').length, 3);
});

test('a final error removes the write and tells the views; unsent writes survive a session end', async () => {
  const { conn, server, clock } = setup();
  server.addThread(T1, 1).state = 'closed';
  const store = new MemoryOutboxStore();
  conn.start();
  await conn.useOutbox(new Outbox(store, cipher, clock));
  await clock.advance(0);
  const notices: OutboxNotice[] = [];
  conn.onOutbox((n) => notices.push(n));
  const w = assert.rejects(conn.request('message.send', { thread: T1, body: 'LATE' }), { code: 'thread_closed' });
  await clock.advance(0);
  await w;
  assert.equal(store.records.size, 0);
  assert.deepEqual(notices.map((n) => n.kind), ['queued', 'failed']);
  assert.deepEqual(conn.failedWrites().map((f) => [f.request.body, f.error.code]), [['LATE', 'thread_closed']], 'listed');

  server.socket.drop(4001);
  await clock.advance(0);
  assert.equal(conn.state.kind, 'offline');
  conn.request('read.set', { thread: T1, seq: 1 }).catch(() => undefined);
  await clock.advance(0);
  assert.equal(store.records.size, 1, 'kept for after the login');
});

test('an outbox whose storage fails: the write is still sent', async () => {
  const { conn, server, clock, problems } = setup();
  server.addThread(T1, 1);
  const broken = new MemoryOutboxStore();
  broken.put = async () => {
    throw new Error('quota');
  };
  conn.start();
  await conn.useOutbox(new Outbox(broken, cipher, clock));
  await clock.advance(0);
  const w = conn.request('message.send', { thread: T1, body: 'AAAA' });
  await clock.advance(0);
  assert.equal((await w).seq, 2);
  assert.ok(problems.some((p) => p.includes('outbox')));
});

test('a write that timed out but landed: retried with its original id and fields, written once', async () => {
  const { conn, server, clock } = setup({ requestTimeoutMs: 1_000 });
  server.addThread(T1, 1);
  const store = new MemoryOutboxStore();
  conn.start();
  await conn.useOutbox(new Outbox(store, cipher, clock));
  await clock.advance(0);
  const notices: OutboxNotice[] = [];
  conn.onOutbox((n) => notices.push(n));
  server.holdReplies = true; // the server commits the write, its replies never come
  const w = assert.rejects(conn.request('message.send', { thread: T1, body: 'ONCE' }), { code: 'timeout' });
  for (let i = 0; i < 10 && conn.failedWrites().length === 0; i++) await clock.advance(5_000);
  await w;
  const [failed] = conn.failedWrites();
  assert.equal(failed.error.code, 'timeout');
  assert.equal(failed.request.body, 'ONCE');
  assert.equal(store.records.size, 0, 'out of the store with its final answer');
  assert.equal(server.threads.get(T1)!.messages.length, 2, 'it did land');

  server.holdReplies = false;
  server.held.length = 0;
  const before = server.received.filter((r) => r.type === 'message.send');
  const retried = conn.retryWrite(failed.request.id);
  assert.deepEqual(conn.failedWrites(), [], 'no longer listed once retried');
  await clock.advance(0);
  const reply = await retried;
  assert.equal(reply.seq, 2, 'the original reply');
  const sends = server.received.filter((r) => r.type === 'message.send');
  assert.equal(sends.length, before.length + 1);
  assert.deepEqual(sends.at(-1), before[0], 'the same id and fields as the first try');
  assert.deepEqual(server.threads.get(T1)!.messages.map((m) => m.body), ['body-1111-1', 'ONCE'], 'written once');
  assert.equal(store.records.size, 0);
  assert.deepEqual(notices.map((n) => n.kind), ['queued', 'failed', 'queued', 'done']);
});

test('a refused write: retried once the cause is gone, or discarded; unknown ids are told', async () => {
  const { conn, server, clock } = setup();
  const t = server.addThread(T1, 1);
  t.state = 'closed';
  const store = new MemoryOutboxStore();
  conn.start();
  await conn.useOutbox(new Outbox(store, cipher, clock));
  await clock.advance(0);
  const notices: OutboxNotice[] = [];
  conn.onOutbox((n) => notices.push(n));
  const ignore = (): void => undefined;
  conn.request('message.send', { thread: T1, body: 'FIRST' }).catch(ignore);
  conn.request('message.send', { thread: T1, body: 'SECOND' }).catch(ignore);
  conn.request('read.set', { thread: T1, seq: 1 }).catch(ignore);
  await clock.advance(0);
  assert.deepEqual(conn.failedWrites().map((f) => f.request.body), ['FIRST', 'SECOND'], 'in order; read.set is not kept');

  // Retried while it still fails: listed again, with the same id.
  const first = conn.failedWrites()[0].request.id;
  await assert.rejects(Promise.all([conn.retryWrite(first), clock.advance(0)]), { code: 'thread_closed' });
  assert.deepEqual(conn.failedWrites().map((f) => f.request.body), ['SECOND', 'FIRST']);
  assert.equal(conn.failedWrites()[1].request.id, first);

  t.state = 'answered';
  await Promise.all([conn.retryWrite(first), clock.advance(0)]);
  assert.deepEqual(t.messages.map((m) => m.body), ['body-1111-1', 'FIRST']);
  const second = conn.failedWrites()[0].request.id;
  assert.equal(conn.discardWrite(second), true);
  assert.equal(conn.discardWrite(second), false, 'gone');
  assert.deepEqual(conn.failedWrites(), []);
  assert.equal(notices.at(-1)!.kind, 'discarded');
  await assert.rejects(conn.retryWrite(second), { code: 'not_found' });
  await clock.advance(0);
  assert.deepEqual(t.messages.map((m) => m.body), ['body-1111-1', 'FIRST'], 'the discarded write was not sent');
  assert.equal(store.records.size, 0);
});
