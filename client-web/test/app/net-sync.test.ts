// net-sync.test.ts - resynchronisation (PROTOCOL.md §7.4): after a drop, the thread list is
// fetched by change from the last `change` held and the open threads are read from their last
// seq, so that each message missed while away is delivered once, none twice (also when events
// and reads overlap), and the list holds every change; a full list when there is no change yet
// or the units differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../src/app/net/sync';
import { ThreadList, ThreadLog } from '../../src/app/net/sync';
import { setup } from './net-setup';

const T1 = '1'.repeat(32);
const T2 = '2'.repeat(32);
const T3 = '3'.repeat(32);

function keys(ms: Message[]): string[] {
  return ms.map((m) => `${m.thread.slice(0, 1)}:${m.seq}`);
}

test('live messages are delivered once each, in order', async () => {
  const { conn, server, clock } = setup();
  const t = server.addThread(T1, 2);
  conn.start();
  const th = conn.openThread(T1);
  const got: Message[] = [];
  th.subscribe((f) => got.push(...f));
  await clock.advance(0);
  server.appendMessage(t, 'worker');
  server.appendMessage(t, 'worker');
  // the same event again (a duplicate) and an old one
  server.broadcast({ type: 'event', event: 'message.new', thread: T1, seq: 4, role: 'worker', time: 1, body: 'dup' });
  server.broadcast({ type: 'event', event: 'message.new', thread: T1, seq: 1, role: 'citizen', time: 1, body: 'old' });
  await clock.advance(0);
  assert.deepEqual(keys(got), ['1:1', '1:2', '1:3', '1:4']);
  assert.deepEqual(th.messages().map((m) => m.body), ['body-1111-1', 'body-1111-2', 'body-1111-3', 'body-1111-4']);
});

test('own message.send: its reply stands for the message.new and thread.changed it gets no more', async () => {
  const { conn, server, clock } = setup();
  server.addThread(T1, 2);
  conn.start();
  const list = conn.watchList();
  const th = conn.openThread(T1);
  const got: Message[] = [];
  const changed: Record<string, unknown>[] = [];
  th.subscribe((f) => got.push(...f));
  conn.onEvent('thread.changed', (ev) => changed.push(ev));
  await clock.advance(0);
  server.received.length = 0;
  const reply = conn.request('message.send', { thread: T1, body: 'mine' });
  await clock.advance(0);
  const r = await reply;
  // no event reached the sender (the fake sends none to it, as the server does), yet:
  assert.deepEqual(keys(got), ['1:1', '1:2', '1:3']);
  assert.deepEqual([got[2].role, got[2].time, got[2].body], ['citizen', r.time, 'mine']);
  const held = list.summaries().find((x) => x.thread === T1);
  assert.equal(held?.last_seq, 3);
  assert.equal(held?.updated, r.time);
  assert.deepEqual(changed.map((e) => e.last_seq), [3]);
  // nothing had to be read again for it
  assert.equal(server.received.filter((q) => q.type === 'thread.read').length, 0);
});

test('after a drop: what was missed is delivered once, the list holds every change, by change', async () => {
  const { conn, server, clock } = setup();
  const t1 = server.addThread(T1, 3);
  const t2 = server.addThread(T2, 1);
  conn.start();
  const list = conn.watchList();
  const th = conn.openThread(T1);
  const got: Message[] = [];
  th.subscribe((f) => got.push(...f));
  await clock.advance(0);
  assert.equal(list.ready, true);
  assert.deepEqual(list.summaries().map((s) => s.thread).sort(), [T1, T2]);
  assert.deepEqual(keys(got), ['1:1', '1:2', '1:3']);

  server.socket.drop(1006);
  await clock.advance(0);
  // While away: answers in T1, a new thread, T2 read elsewhere. No events reach the client.
  for (let i = 0; i < 120; i++) server.appendMessage(t1, 'worker');
  server.addThread(T3, 1);
  t2.readSeq = 1;
  t2.change = ++server.change;
  server.received.length = 0;
  await clock.advance(10_000);
  assert.equal(conn.state.kind, 'open');
  assert.deepEqual(conn.state, { kind: 'open', syncing: false });

  const lists = server.received.filter((r) => r.type === 'thread.list');
  assert.ok(lists.length >= 1);
  assert.equal(typeof lists[0].changed_since, 'number', 'by change, not a full list');
  const reads = server.received.filter((r) => r.type === 'thread.read');
  assert.equal(reads[0].after_seq, 3, 'read from the last seq held');
  assert.deepEqual(keys(got), Array.from({ length: 123 }, (_, i) => `1:${i + 1}`), 'each message once, in order');
  const byId = new Map(list.summaries().map((s) => [s.thread, s]));
  assert.equal(byId.size, 3);
  assert.equal(byId.get(T1)!.last_seq, 123);
  assert.equal(byId.get(T2)!.read_seq, 1);
});

test('events during the resynchronisation: still each message once', async () => {
  const { conn, server, clock } = setup();
  const t1 = server.addThread(T1, 2);
  conn.start();
  const th = conn.openThread(T1);
  const got: Message[] = [];
  th.subscribe((f) => got.push(...f));
  await clock.advance(0);
  server.socket.drop(1006);
  await clock.advance(0);
  for (let i = 0; i < 60; i++) server.appendMessage(t1, 'worker');
  server.holdReplies = true;
  await clock.advance(10_000); // reconnected; the resync's requests are held
  assert.equal(conn.state.kind, 'open');
  // New messages arrive live while the first read page is outstanding.
  server.appendMessage(t1, 'worker');
  server.appendMessage(t1, 'worker');
  await clock.advance(0);
  server.holdReplies = false;
  for (let i = 0; i < 10 && server.held.length > 0; i++) {
    server.releaseHeld();
    await clock.advance(0);
  }
  await clock.advance(0);
  assert.deepEqual(keys(got), Array.from({ length: 64 }, (_, i) => `1:${i + 1}`));
});

test('a dropped connection during a paged read loses nothing and repeats nothing', async () => {
  const { conn, server, clock } = setup();
  const t1 = server.addThread(T1, 1);
  conn.start();
  const th = conn.openThread(T1);
  const got: Message[] = [];
  th.subscribe((f) => got.push(...f));
  await clock.advance(0);
  for (let i = 0; i < 170; i++) server.appendMessage(t1, 'worker', false);
  server.holdReplies = true;
  server.broadcast(server.changedEvent(t1));
  await clock.advance(0);
  server.releaseHeld(); // the first page (and the list) arrive
  await clock.advance(0);
  server.held.splice(0);
  server.holdReplies = false;
  server.socket.drop(1006); // while the second page is on the wire
  await clock.advance(10_000);
  assert.deepEqual(keys(got), Array.from({ length: 171 }, (_, i) => `1:${i + 1}`));
});

test('a gap in the events is filled by a read, not skipped', async () => {
  const { conn, server, clock } = setup();
  const t1 = server.addThread(T1, 1);
  conn.start();
  const th = conn.openThread(T1);
  const got: Message[] = [];
  th.subscribe((f) => got.push(...f));
  await clock.advance(0);
  server.appendMessage(t1, 'worker', false); // seq 2, its event lost
  server.appendMessage(t1, 'worker'); // seq 3 announced
  await clock.advance(0);
  assert.deepEqual(keys(got), ['1:1', '1:2', '1:3']);
});

test('staff events carry no body: the message is read, then delivered with it', async () => {
  const { conn, server, clock } = setup();
  const t1 = server.addThread(T1, 1);
  conn.start();
  const th = conn.openThread(T1);
  const got: Message[] = [];
  th.subscribe((f) => got.push(...f));
  await clock.advance(0);
  const m = server.appendMessage(t1, 'citizen', false);
  server.broadcast({ type: 'event', event: 'message.new', thread: T1, seq: m.seq, role: 'citizen', time: m.time });
  await clock.advance(0);
  assert.deepEqual(got.map((x) => x.body), ['body-1111-1', 'body-1111-2']);
});

test('ThreadList: a full list is paged and swapped in whole; by change replaces and drops', () => {
  const l = new ThreadList({});
  const s = (id: string, change: number, updated = change) => ({ thread: id, category: 'c', unit: 'u', state: 'new', assignee: null,
    assignee_name: null, created: 1, updated, last_seq: 1, read_seq: 0, unread: 0, deadline: null, change });
  assert.deepEqual(l.nextRequest(), { limit: 100 });
  assert.deepEqual(l.applyPage({ threads: [s(T1, 5)], removed: [], change: 9, more: true, cursor: 'c1' }, true),
    { changed: false, more: true, cursor: 'c1' });
  assert.deepEqual(l.summaries(), [], 'not shown before the last page');
  assert.deepEqual(l.nextRequest('c1'), { limit: 100, cursor: 'c1' });
  l.applyPage({ threads: [s(T2, 3)], removed: [], change: 9, more: false }, false);
  assert.equal(l.change, 9);
  assert.deepEqual(l.nextRequest(), { limit: 100, changed_since: 9 });
  l.applyPage({ threads: [s(T3, 10)], removed: [{ thread: T1, change: 11, reason: 'gone' }, { thread: 'x', change: 1 }], change: 11, more: false }, true);
  assert.deepEqual(l.summaries().map((x) => x.thread), [T3, T2]);
  assert.equal(l.change, 11);
  // malformed replies change nothing
  for (const bad of [{}, { threads: 'x', change: 1, more: false }, { threads: [], change: -1, more: false }, { threads: [], change: 1.5, more: false }])
    assert.deepEqual(l.applyPage(bad, true), { changed: false, more: false });
  assert.equal(l.change, 11);
  // an older thread.changed is not applied; a newer one is
  assert.equal(l.applyChanged({ thread: T3, state: 'closed', updated: 9, last_seq: 1 }), false);
  assert.equal(l.applyChanged({ thread: T3, state: 'closed', updated: 12, last_seq: 2 }), true);
  assert.equal(l.get(T3)!.state, 'closed');
  assert.equal(l.applyRead({ thread: T3, read_seq: 2, unread: 0 }), true);
  assert.equal(l.applyRead({ thread: T3, read_seq: 1, unread: 1 }), false, 'read state never moves back');
  l.restart('units-b');
  assert.equal(l.change, null, 'other units: a full list');
});

test('ThreadLog: duplicates, gaps and junk', () => {
  const log = new ThreadLog(T1);
  const m = (seq: number, body?: string) => ({ seq, role: 'worker', time: 1, body: body ?? `b${seq}`, sender: 'x' });
  assert.deepEqual(log.accept([m(2), m(1), m(1), { seq: 'x' }, null, m(0), m(3.5)], false).fresh.map((x) => x.seq), [1, 2]);
  assert.deepEqual(log.accept([m(4)], true), { fresh: [], gap: true });
  assert.deepEqual(log.accept([m(2), m(3)], false).fresh.map((x) => x.seq), [3]);
  assert.equal(log.lastSeq, 3);
  assert.deepEqual(log.accept([{ seq: 4, role: 'worker', time: 1 }], true), { fresh: [], gap: true }, 'no body: read it');
});

test('other units in welcome: the next list is a full one', async () => {
  const { conn, server, clock } = setup();
  server.addThread(T1, 1);
  conn.start();
  conn.watchList();
  await clock.advance(0);
  server.received.length = 0;
  const welcome = server.welcome.bind(server);
  server.welcome = () => ({ ...welcome(), units: [{ unit: 'b'.repeat(32), name: 'U', role: 'worker' }] });
  server.socket.drop(1006);
  await clock.advance(10_000);
  const lists = server.received.filter((r) => r.type === 'thread.list');
  assert.equal(lists[0].changed_since, undefined);
});
