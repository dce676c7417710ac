// unittext.test.ts - the unit text (type 14): proto/vectors/unit-text.json recomputed by the
// module (the object, and the verdict on each named change or wrong expectation, made the way
// crypto_unittext_vectors.c makes them), the size bounds, and what a server or another staff
// member can try: a note moved to another thread, a canned answer served as a note, a box
// re-signed by someone else.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as c from '../src/crypto';

const { sodium } = c;
const dir = process.env.ADVICE_SOURCE_DIR !== undefined ? join(process.env.ADVICE_SOURCE_DIR, 'proto', 'vectors')
  : join(__dirname, '..', '..', '..', 'proto', 'vectors');
const hex = (b: Uint8Array): string => sodium.to_hex(b);
const unhex = (s: unknown): Uint8Array => sodium.from_hex(String(s));
const utf8 = (s: string): Uint8Array => sodium.from_string(s);
const NOW = 1770000000000n;

before(async () => {
  await c.ready();
});

interface Expect { kind: number; unitId: Uint8Array; scopeId: Uint8Array; unit: c.Keys; authorPk: Uint8Array }

function verdict(b: Uint8Array, e: Expect): string {
  try {
    c.unitTextOpen(b, e, e.unit, e.authorPk);
    return 'ok';
  } catch (err) {
    return err instanceof c.CryptoError ? err.code : String(err);
  }
}

function flip(b: Uint8Array, i: number, mask: number): Uint8Array {
  const m = b.slice();
  m[i] ^= mask;
  return m;
}

/** Another staff member's re-signature of a changed object (the header's author kid set to theirs). */
function resign(b: Uint8Array, other: c.Keys): Uint8Array {
  const m = b.slice();
  m.set(c.kid(other.signPk), 43);
  m.set(c.sign('QA-v1-unittext', m.subarray(0, m.length - 64), other.signSk), m.length - 64);
  return m;
}

/** The changes named in unit-text.json's "refusals": each gives the object and the expectations to open with. */
const CHANGES: Record<string, (b: Uint8Array, e: Expect, other: c.Keys, old: c.Keys) => [Uint8Array, Expect]> = {
  'object type 3': (b, e) => [flip(b, 3, 14 ^ 3), e],
  'one byte short': (b, e) => [b.slice(0, b.length - 1), e],
  'one byte more': (b, e) => [Uint8Array.from([...b, 0]), e],
  'kind 3': (b, e) => [Uint8Array.from([...b, 0]).map((v, i) => (i === 6 ? 3 : v)), e],
  'another generation': (b, e) => [flip(b, 23, 0x01), e],
  'sealed box bit flipped': (b, e) => [flip(b, 200, 0x01), e],
  'signature bit flipped': (b, e) => [flip(b, b.length - 1, 0x80), e],
  'moved to another scope and signed by another': (b, e, other) =>
    [resign(flip(b, 27, 0x01), other), { ...e, scopeId: flip(e.scopeId, 0, 0x01), authorPk: other.signPk }],
  'expected the other kind': (b, e) => [b, { ...e, kind: e.kind === 1 ? 2 : 1 }],
  'expected another unit': (b, e) => [b, { ...e, unitId: flip(e.unitId, 15, 0x01) }],
  'expected another scope': (b, e) => [b, { ...e, scopeId: flip(e.scopeId, 15, 0x01) }],
  'expected another author': (b, e, other) => [b, { ...e, authorPk: other.signPk }],
  'keys of another generation': (b, e, _o, old) => [b, { ...e, unit: old }],
};

test('vectors: unit-text.json', () => {
  const f = JSON.parse(readFileSync(join(dir, 'unit-text.json'), 'utf8'));
  assert.equal(f.format_version, 1);
  assert.ok(f.cases.length >= 3);
  for (const cs of f.cases as Record<string, unknown>[]) {
    const seed = unhex(cs.seed), rnd = (i: number, n: number): Uint8Array => sodium.crypto_kdf_derive_from_key(n, i, 'QAvector', seed);
    const unitSeed = rnd(1, 32), authorSeed = rnd(2, 32), unitId = rnd(3, 16), scopeId = rnd(4, 16), eph = rnd(5, 32);
    const unit = c.keysUnit(unitSeed), author = c.keysPersonal(authorSeed), other = c.keysPersonal(rnd(6, 32)), old = c.keysUnit(rnd(7, 32));
    const t = { kind: cs.kind as number, unitId, generation: cs.generation as number, scopeId, created: BigInt(cs.created as number) };
    const obj = c.unitTextSeal(t, utf8(cs.text as string), unit.boxPk, author, eph);
    const got: Record<string, unknown> = {
      unit_seed: hex(unitSeed), author_seed: hex(authorSeed), unit_id: hex(unitId), scope_id: hex(scopeId), eph_seed: hex(eph),
      unit_box_pk: hex(unit.boxPk), author_sign_pk: hex(author.signPk), author_kid: hex(c.kid(author.signPk)), size: obj.length,
      object: hex(obj),
    };
    for (const [k, v] of Object.entries(got)) assert.deepEqual(v, cs[k], `${String(cs.name)}: field ${k}`);
    // The file's object parses to the case's header and opens to its text.
    const h = c.unitTextParse(unhex(cs.object));
    assert.deepEqual([h.kind, hex(h.unitId), h.generation, hex(h.scopeId), hex(h.authorKid), h.created],
      [t.kind, hex(unitId), t.generation, hex(scopeId), hex(c.kid(author.signPk)), t.created]);
    const e: Expect = { kind: t.kind, unitId, scopeId, unit, authorPk: author.signPk };
    assert.equal(sodium.to_string(c.unitTextOpen(unhex(cs.object), e, unit, author.signPk)), cs.text);
    const refusals = cs.refusals as Record<string, string>;
    assert.deepEqual(Object.keys(refusals).sort(), Object.keys(CHANGES).sort(), `${String(cs.name)}: the named changes`);
    for (const [name, change] of Object.entries(CHANGES)) {
      assert.notEqual(refusals[name], 'ok', `${String(cs.name)}: ${name} is refused`);
      const [b, x] = change(obj, e, other, old);
      assert.equal(verdict(b, x), refusals[name], `${String(cs.name)}: ${name}`);
    }
  }
});

test('unit text: sizes, the longest text, and what seal refuses', () => {
  const unit = c.keysUnit(c.random(32)), author = c.keysPersonal(c.random(32));
  const t = { kind: c.UnitTextKind.Note, unitId: c.random(16), generation: 2, scopeId: c.random(16), created: NOW };
  const e: Expect = { kind: t.kind, unitId: t.unitId, scopeId: t.scopeId, unit, authorPk: author.signPk };
  const longest = new Uint8Array(c.UNIT_TEXT_MAX_PLAIN).fill(0x61);
  const big = c.unitTextSeal(t, longest, unit.boxPk, author);
  assert.equal(big.length, c.UNIT_TEXT_MAX_BYTES);
  assert.deepEqual(c.unitTextOpen(big, e, unit, author.signPk), longest);
  assert.equal(c.unitTextSeal(t, new Uint8Array(255), unit.boxPk, author).length, c.UNIT_TEXT_MIN_BYTES);
  assert.equal(c.unitTextSeal(t, new Uint8Array(256), unit.boxPk, author).length, c.UNIT_TEXT_MIN_BYTES + 256);
  const fails = (f: () => unknown, re: RegExp): void => {
    assert.throws(f, (err: unknown) => err instanceof c.CryptoError && err.code === 'inval' && re.test(err.message));
  };
  fails(() => c.unitTextSeal(t, new Uint8Array(c.UNIT_TEXT_MAX_PLAIN + 1), unit.boxPk, author), /too long/);
  fails(() => c.unitTextSeal(t, Uint8Array.from([0x61, 0xc0, 0xaf]), unit.boxPk, author), /UTF-8/);
  fails(() => c.unitTextSeal({ ...t, kind: 3 }, utf8('x'), unit.boxPk, author), /kind/);
  fails(() => c.unitTextSeal({ ...t, unitId: new Uint8Array(15) }, utf8('x'), unit.boxPk, author), /unit id/);
  fails(() => c.unitTextParse(new Uint8Array(c.UNIT_TEXT_MAX_BYTES + 256)), /size/);
});

test('unit text: verify checks the author, parse vouches for nothing', () => {
  const unit = c.keysUnit(c.random(32)), author = c.keysPersonal(c.random(32)), other = c.keysPersonal(c.random(32));
  const t = { kind: c.UnitTextKind.Canned, unitId: c.random(16), generation: 1, scopeId: c.random(16), created: NOW };
  const b = c.unitTextSeal(t, utf8('{"lang":"fi","title":"Liitteet","text":"Lähetä liitteet."}'), unit.boxPk, author);
  assert.equal(c.unitTextVerify(b, author.signPk).kind, 2);
  assert.throws(() => c.unitTextVerify(b, other.signPk), (err: unknown) => err instanceof c.CryptoError && err.code === 'forbidden');
  // Re-signed by another with their kid: parses and verifies under the other key, opens for nobody expecting the author.
  const r = resign(b, other);
  assert.equal(hex(c.unitTextParse(r).authorKid), hex(c.kid(other.signPk)));
  assert.throws(() => c.unitTextOpen(r, t, unit, author.signPk), (err: unknown) => err instanceof c.CryptoError && err.code === 'forbidden');
});
