// identitybox.test.ts - the identity box: proto/vectors/identity-box.json recomputed by the
// module (the content bytes, the box, the verdict on each named change), and what a malicious
// server can try with a box it stores: hand it out for another thread or unit, relabel its
// generation, or give a reader a box sealed to keys of its own (which does not open with the
// unit's keys). A supervisor's re-sealing for another unit opens only there.
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
const AINO = { name: 'Aino Testinen', hetu: '010594Y9032', verifiedAt: 1770000000000 };
const fails = (f: () => unknown, code: c.CryptoErrorCode): void => {
  assert.throws(f, (e: unknown) => e instanceof c.CryptoError && e.code === code);
};

before(async () => {
  await c.ready();
});

function flip(b: Uint8Array, i: number, mask: number): Uint8Array {
  const m = b.slice();
  m[i] ^= mask;
  return m;
}

interface Reader { threadId: Uint8Array; unitId: Uint8Array; keys: c.Keys }

function verdict(b: Uint8Array, r: Reader): string {
  try {
    c.identityBoxOpen(b, { threadId: r.threadId, unitId: r.unitId }, r.keys);
    return 'ok';
  } catch (e) {
    return e instanceof c.CryptoError ? e.code : String(e);
  }
}

/** The changes named in identity-box.json's "refusals", made as crypto_identitybox_vectors.c makes them. */
const CHANGES: Record<string, (b: Uint8Array, r: Reader, other: c.Keys) => [Uint8Array, Reader]> = {
  'object type 14': (b, r) => [flip(b, 3, 15 ^ 14), r],
  'one byte short': (b, r) => [b.slice(0, b.length - 1), r],
  'one byte more': (b, r) => [Uint8Array.from([...b, 0]), r],
  'generation 0': (b, r) => { const m = b.slice(); m.fill(0, 38, 42); return [m, r]; },
  'another generation named': (b, r) => [flip(b, 38, 0x01), r],
  'moved to another thread': (b, r) => [flip(b, 6, 0x01), { ...r, threadId: flip(r.threadId, 0, 0x01) }],
  'moved to another unit': (b, r) => [flip(b, 22, 0x01), { ...r, unitId: flip(r.unitId, 0, 0x01) }],
  'read for another thread': (b, r) => [b, { ...r, threadId: flip(r.threadId, 15, 0x80) }],
  'read for another unit': (b, r) => [b, { ...r, unitId: flip(r.unitId, 15, 0x80) }],
  'keys of another generation': (b, r, other) => [b, { ...r, keys: other }],
  'ciphertext bit flipped': (b, r) => [flip(b, b.length - 1, 0x80), r],
};

test('vectors: identity-box.json', () => {
  const f = JSON.parse(readFileSync(join(dir, 'identity-box.json'), 'utf8'));
  assert.equal(f.format_version, 1);
  assert.ok(f.cases.length > 0);
  for (const cs of f.cases as Record<string, unknown>[]) {
    const seed = unhex(cs.seed), rnd = (i: number, n: number): Uint8Array => sodium.crypto_kdf_derive_from_key(n, i, 'QAvector', seed);
    const unitSeed = rnd(1, 32), threadId = rnd(2, 16), unitId = rnd(3, 16), ephSeed = rnd(4, 32), nonce = rnd(5, 24);
    const otherSeed = rnd(6, 32), keys = c.keysUnit(unitSeed), other = c.keysUnit(otherSeed);
    const id = { name: String(cs.person_name), hetu: String(cs.hetu), verifiedAt: cs.verified_at as number };
    const box = c.identityBoxSeal({ threadId, unitId, generation: cs.generation as number }, id, keys.boxPk, ephSeed, nonce);
    const got: Record<string, unknown> = {
      unit_seed: hex(unitSeed), thread_id: hex(threadId), unit_id: hex(unitId), unit_box_pk: hex(keys.boxPk),
      eph_seed: hex(ephSeed), nonce: hex(nonce), other_generation_seed: hex(otherSeed), content: hex(c.identityContent(id)),
      box: hex(box),
    };
    for (const [k, v] of Object.entries(got)) assert.deepEqual(v, cs[k], `${String(cs.name)}: field ${k}`);
    // The file's box opens to the case's person and parses to its header.
    const r: Reader = { threadId, unitId, keys };
    assert.deepEqual(c.identityBoxOpen(unhex(cs.box), r, keys), id);
    const h = c.identityBoxParse(unhex(cs.box));
    assert.deepEqual([hex(h.threadId), hex(h.unitId), h.generation], [hex(threadId), hex(unitId), cs.generation]);
    const refusals = cs.refusals as Record<string, string>;
    assert.deepEqual(Object.keys(refusals).sort(), Object.keys(CHANGES).sort(), `${String(cs.name)}: the named changes`);
    for (const [name, change] of Object.entries(CHANGES)) {
      assert.notEqual(refusals[name], 'ok', `${String(cs.name)}: ${name} is refused`);
      const [m, rr] = change(box, r, other);
      assert.equal(verdict(m, rr), refusals[name], `${String(cs.name)}: ${name}`);
    }
  }
});

test('identity box: one size for every name; a supervisor re-seals it for another unit', () => {
  const a = c.keysUnit(c.random(32)), b = c.keysUnit(c.random(32));
  const threadId = c.random(16), unitA = c.random(16), unitB = c.random(16);
  const short = c.identityBoxSeal({ threadId, unitId: unitA, generation: 1 }, { ...AINO, name: 'A' }, a.boxPk);
  const long = c.identityBoxSeal({ threadId, unitId: unitA, generation: 1 }, { ...AINO, name: 'Ä'.repeat(200) }, a.boxPk);
  assert.equal(short.length, c.IDENTITY_BOX_BYTES);
  assert.equal(long.length, c.IDENTITY_BOX_BYTES);
  // Opened by unit A's client and re-sealed to unit B's generation 4: only B opens the new box.
  const id = c.identityBoxOpen(short, { threadId, unitId: unitA }, a);
  const moved = c.identityBoxSeal({ threadId, unitId: unitB, generation: 4 }, id, b.boxPk);
  assert.deepEqual(c.identityBoxOpen(moved, { threadId, unitId: unitB }, b), { ...AINO, name: 'A' });
  fails(() => c.identityBoxOpen(moved, { threadId, unitId: unitB }, a), 'forbidden');
  fails(() => c.identityBoxOpen(moved, { threadId, unitId: unitA }, b), 'forbidden');
  assert.equal(c.identityBoxParse(moved).generation, 4);
});

test('identity box: a box sealed to a key of the server\'s own does not open with the unit\'s keys', () => {
  const unit = c.keysUnit(c.random(32)), server = c.keysUnit(c.random(32));
  const threadId = c.random(16), unitId = c.random(16);
  const forged = c.identityBoxSeal({ threadId, unitId, generation: 2 }, { ...AINO, name: 'Someone Else' }, server.boxPk);
  fails(() => c.identityBoxOpen(forged, { threadId, unitId }, unit), 'forbidden');
});

test('identity box: bad input is refused before sealing', () => {
  const k = c.keysUnit(c.random(32)), h = { threadId: c.random(16), unitId: c.random(16), generation: 1 };
  const bad: c.CitizenIdentityContent[] = [
    { ...AINO, name: '' }, { ...AINO, hetu: '' }, { ...AINO, name: 'A\nB' }, { ...AINO, name: 'A\u007f' },
    { ...AINO, name: 'A\ud800' }, { ...AINO, verifiedAt: -1 }, { ...AINO, verifiedAt: 1.5 },
    { ...AINO, verifiedAt: 2 ** 53 }, { ...AINO, name: 'a'.repeat(500) },
  ];
  for (const id of bad) fails(() => c.identityBoxSeal(h, id, k.boxPk), 'inval');
  fails(() => c.identityBoxSeal({ ...h, generation: 0 }, AINO, k.boxPk), 'inval');
  fails(() => c.identityBoxSeal({ ...h, threadId: c.random(15) }, AINO, k.boxPk), 'inval');
  fails(() => c.identityBoxParse(new Uint8Array(10)), 'inval');
});
