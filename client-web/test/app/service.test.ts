// service.test.ts - the front page's data as the app takes it (src/app/service.ts): the
// protocol's example is taken; a hostile or broken answer is refused whole; the exit address
// is only ever http(s). Dates are shown in Helsinki time (src/app/format.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isWebAddress, parseService } from '../../src/app/service';
import { formatDay, unbroken } from '../../src/app/format';

const src = process.env.ADVICE_SOURCE_DIR ?? join(__dirname, '..', '..', '..', '..');
const example = () => JSON.parse(readFileSync(join(src, 'proto', 'examples', 'http.reply.service.json'), 'utf8'));

test('the protocol example is taken as it is', () => {
  const s = parseService(example());
  assert.ok(s);
  assert.equal(s.categories[0].name, 'Adult social work');
  assert.equal(s.accessibility_contact, null);
});

test('an answer of another shape is refused', () => {
  const broken: [string, (e: any) => void][] = [
    ['not ok', (e) => (e.type = 'error')],
    ['no categories', (e) => delete e.categories],
    ['a category without hours', (e) => delete e.categories[0].service_hours],
    ['hours not HH:MM', (e) => (e.categories[0].service_hours.open = '8')],
    ['open_now a string', (e) => (e.categories[0].open_now = 'yes')],
    ['answer_days 0', (e) => (e.categories[0].answer_days = 0)],
    ['expected_by a string', (e) => (e.categories[0].expected_by = 'soon')],
    ['no emergency number', (e) => (e.emergency_number = '')],
    ['a contact not text', (e) => (e.privacy_contact = { html: '<b>x</b>' })],
    ['too many categories', (e) => (e.categories = Array(101).fill(e.categories[0]))],
    ['exit to javascript:', (e) => (e.exit_url = 'javascript:alert(1)')],
    ['exit to data:', (e) => (e.exit_url = 'data:text/html,hi')],
    ['exit relative', (e) => (e.exit_url = '/somewhere')],
  ];
  for (const [why, change] of broken) {
    const e = example();
    change(e);
    assert.equal(parseService(e), null, why);
  }
  assert.equal(parseService(null), null);
  assert.equal(parseService([]), null);
});

test('only http(s) addresses are web addresses', () => {
  assert.equal(isWebAddress('https://www.ilmatieteenlaitos.fi/'), true);
  assert.equal(isWebAddress('http://127.0.0.1:9/weather'), true);
  assert.equal(isWebAddress('ftp://example.fi/'), false);
  assert.equal(isWebAddress('https://' + 'a'.repeat(300)), false);
  assert.equal(isWebAddress(42), false);
});

test('days are shown in Helsinki time in the chosen language; numbers do not break', () => {
  // 2026-11-22 22:30 UTC is already Monday 23 November in Helsinki (EET, +2).
  const ms = Date.UTC(2026, 10, 22, 22, 30);
  assert.match(formatDay(ms, 'fi'), /maanantai.*23\.11\./);
  assert.match(formatDay(ms, 'sv'), /måndag.*23/);
  assert.match(formatDay(ms, 'en'), /Monday.*23/);
  assert.equal(unbroken('0800 12 345'), '0800\u00a012\u00a0345');
});
