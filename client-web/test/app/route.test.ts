// route.test.ts - the router's addresses (src/app/route.ts): each page has its hash, the hash
// leads back to it, and anything else is the front page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashOf, routeOf, ROUTES } from '../../src/app/route';

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
