// catalogue.test.ts - the app's texts are complete in every language: each catalogue in
// src/app/i18n/ has the same keys as the Finnish one, no text is empty, and each text names the
// same {placeholders} in every language. Fails on a key missing (or extra) in one language. The
// front page's bundle splits each catalogue in two (src/app/i18n-split.json: the texts before
// login, and a chunk loaded after login): each part is complete in every language, and the views
// shown before login use no text of the later chunk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const appDir = process.env.ADVICE_SOURCE_DIR !== undefined ? join(process.env.ADVICE_SOURCE_DIR, 'client-web', 'src', 'app')
  : join(__dirname, '..', '..', '..', 'src', 'app');
const dir = join(appDir, 'i18n');
// The views the front page shows before login (and around the logged-in pages while their
// texts load: the logged-in menu of views/citizen/shell.tsx); app.tsx renders the logged-in
// pages only once their texts are in.
const BEFORE_LOGIN_VIEWS = ['app.tsx', 'exit.tsx', 'views/front.tsx', 'views/privacy.tsx', 'views/accessibility.tsx', 'views/common.tsx',
  'views/citizen/shell.tsx'];
const LANGS = ['fi', 'sv', 'en'];

function load(lang: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, `${lang}.json`), 'utf8'));
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

test('there is a catalogue for each language and no other', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
  assert.deepEqual(files, [...LANGS].sort());
});

test('every catalogue has the same keys as the Finnish one', () => {
  const keys = Object.keys(load('fi')).sort();
  assert.ok(keys.length > 0);
  for (const lang of LANGS) {
    const own = Object.keys(load(lang)).sort();
    assert.deepEqual(own.filter((k) => !keys.includes(k)), [], `${lang}: keys not in fi.json`);
    assert.deepEqual(keys.filter((k) => !own.includes(k)), [], `${lang}: keys missing`);
  }
});

test('every text is a non-empty string with the same placeholders in each language', () => {
  const fi = load('fi');
  for (const lang of LANGS) {
    const cat = load(lang);
    for (const [key, text] of Object.entries(cat)) {
      assert.equal(typeof text, 'string', `${lang} ${key}`);
      assert.notEqual((text as string).trim(), '', `${lang} ${key} is empty`);
      if (typeof fi[key] === 'string')
        assert.deepEqual(placeholders(text as string), placeholders(fi[key] as string), `${lang} ${key}: placeholders`);
    }
  }
});

interface Split {
  afterLogin: string[];
  beforeLogin: string[];
}

const split: Split = JSON.parse(readFileSync(join(appDir, 'i18n-split.json'), 'utf8'));
const afterLogin = (key: string) => split.afterLogin.includes(key.split('.')[0]) && !split.beforeLogin.includes(key);

test('the split names prefixes and keys the catalogue has', () => {
  const keys = Object.keys(load('fi'));
  assert.ok(split.afterLogin.length > 0);
  for (const prefix of split.afterLogin) assert.ok(keys.some((k) => k.startsWith(`${prefix}.`)), `no text under ${prefix}.`);
  for (const key of split.beforeLogin) {
    assert.ok(keys.includes(key), `${key} is not in fi.json`);
    assert.ok(split.afterLogin.includes(key.split('.')[0]), `${key}: not under a prefix loaded after login`);
  }
});

test('each part of the split catalogue (before login, after login) has the same keys in every language', () => {
  for (const part of [afterLogin, (k: string) => !afterLogin(k)]) {
    const keys = Object.keys(load('fi')).filter(part).sort();
    assert.ok(keys.length > 0);
    for (const lang of LANGS) {
      const own = Object.keys(load(lang)).filter(part).sort();
      assert.deepEqual(keys.filter((k) => !own.includes(k)), [], `${lang}: keys missing`);
      assert.deepEqual(own.filter((k) => !keys.includes(k)), [], `${lang}: keys not in fi.json`);
    }
  }
});

test('the views shown before login use no text loaded after login', () => {
  const keys = new Set(Object.keys(load('fi')));
  for (const file of BEFORE_LOGIN_VIEWS) {
    const source = readFileSync(join(appDir, file), 'utf8');
    const used = [...source.matchAll(/['"`]([a-zA-Z0-9]+\.[a-zA-Z0-9.]+)['"`]/g)].map((m) => m[1]).filter((k) => keys.has(k));
    assert.ok(used.length > 0, `${file}: no texts found`);
    assert.deepEqual(used.filter(afterLogin), [], `${file} uses texts the front page loads after login`);
    assert.doesNotMatch(source, /`(?:[a-zA-Z]+\.)+\$\{/, `${file}: a text key built at run time cannot be checked`);
  }
});
