// catalogue.test.ts - the app's texts are complete in every language: each catalogue in
// src/app/i18n/ has the same keys as the Finnish one, no text is empty, and each text names the
// same {placeholders} in every language. Fails on a key missing (or extra) in one language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.ADVICE_SOURCE_DIR !== undefined ? join(process.env.ADVICE_SOURCE_DIR, 'client-web', 'src', 'app', 'i18n')
  : join(__dirname, '..', '..', '..', 'src', 'app', 'i18n');
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
