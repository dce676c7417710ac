// route.test.ts - the router's addresses (src/app/route.ts): each page has its hash, the hash
// leads back to it, and anything else is the front page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashOf, needsSession, rightsThreadOf, routeOf, ROUTES, threadOf } from '../../src/app/route';

test('every page has a hash that leads back to it', () => {
  for (const r of ROUTES) assert.equal(routeOf(hashOf(r)), r);
  assert.equal(hashOf('front'), '#/');
  assert.equal(hashOf('privacy'), '#/privacy');
  assert.equal(hashOf('accessibility'), '#/accessibility');
});

test('no hash, a bare one, a trailing slash and unknown pages', () => {
  assert.equal(routeOf(''), 'front');
  assert.equal(routeOf('#'), 'front');
  assert.equal(routeOf('#/privacy/'), 'privacy');
  assert.equal(routeOf('#/nothing'), 'front');
  assert.equal(routeOf('#privacy'), 'front');
  assert.equal(routeOf('#/PRIVACY'), 'front');
});

test('the logged-in pages and one thread by its id', () => {
  const id = '0123456789abcdef0123456789abcdef';
  assert.equal(hashOf('threads'), '#/threads');
  assert.equal(hashOf(`thread/${id}`), `#/thread/${id}`);
  assert.equal(routeOf(`#/thread/${id}`), `thread/${id}`);
  assert.equal(routeOf(`#/thread/${id}/`), `thread/${id}`);
  assert.equal(threadOf(`thread/${id}`), id);
  assert.equal(threadOf('threads'), null);
  // Not a thread id: 31 or 33 digits, upper case, anything else.
  assert.equal(routeOf(`#/thread/${id.slice(1)}`), 'front');
  assert.equal(routeOf(`#/thread/${id}0`), 'front');
  assert.equal(routeOf(`#/thread/${id.toUpperCase()}`), 'front');
  assert.equal(routeOf('#/thread/'), 'front');
});

test('which pages need a session', () => {
  for (const r of ['threads', 'ask', 'devices', 'notifications', 'mydata'] as const) assert.equal(needsSession(r), true, r);
  for (const r of ['front', 'privacy', 'accessibility'] as const) assert.equal(needsSession(r), false, r);
  assert.equal(needsSession('thread/0123456789abcdef0123456789abcdef'), true);
  assert.equal(needsSession('mydata/0123456789abcdef0123456789abcdef'), true);
});

test('"Your data" and a rights request on one thread by its id', () => {
  const id = '0123456789abcdef0123456789abcdef';
  assert.equal(hashOf('mydata'), '#/mydata');
  assert.equal(hashOf(`mydata/${id}`), `#/mydata/${id}`);
  assert.equal(routeOf(`#/mydata/${id}`), `mydata/${id}`);
  assert.equal(rightsThreadOf(`mydata/${id}`), id);
  assert.equal(rightsThreadOf('mydata'), null);
  assert.equal(threadOf(`mydata/${id}`), null, 'not a thread page');
  assert.equal(routeOf(`#/mydata/${id.slice(2)}`), 'front');
  assert.equal(routeOf('#/mydata/x'), 'front');
});
