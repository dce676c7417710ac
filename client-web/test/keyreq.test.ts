// keyreq.test.ts - the worker key request: proto/vectors/keyreq.json recomputed by the module
// (the request, its fingerprint and the verdict on each named change), and what a malicious
// server can try when it passes a request on to the admin: a request of another type or
// size, one with a broken signature, a genuine request of another worker, and keys of its own
// signed by itself (which verify, but show another fingerprint than the worker's client did).
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
const keys = (): c.Keys => c.keysPersonal(c.random(32));
const NOW = 1770000000000n;
const fails = (f: () => unknown, code: c.CryptoErrorCode, message?: RegExp): void => {
  assert.throws(f, (e: unknown) => e instanceof c.CryptoError && e.code === code && (message === undefined || message.test(e.message)));
};

before(async () => {
  await c.ready();
});

/** The changes named in keyreq.json's "refusals", made the way crypto_keyreq_vectors.c makes them. */
const CHANGES: Record<string, (r: Uint8Array) => Uint8Array> = {
  'object type 6': (r) => flip(r, 3, 13 ^ 6),
  'one byte short': (r) => r.slice(0, r.length - 1),
  'one byte more': (r) => Uint8Array.from([...r, 0]),
  'another user id': (r) => flip(r, 6, 0x01),
  'another box key': (r) => flip(r, 54, 0x01),
  'another date': (r) => flip(r, 86, 0x01),
  'signature bit flipped': (r) => flip(r, r.length - 1, 0x80),
};

function flip(r: Uint8Array, i: number, mask: number): Uint8Array {
  const m = r.slice();
  m[i] ^= mask;
  return m;
}

function verdict(b: Uint8Array, userId: Uint8Array): string {
  try {
    c.keyRequestVerify(b, userId);
    return 'ok';
  } catch (e) {
    return e instanceof c.CryptoError ? e.code : String(e);
  }
}

test('vectors: keyreq.json', () => {
  const f = JSON.parse(readFileSync(join(dir, 'keyreq.json'), 'utf8'));
  assert.equal(f.format_version, 1);
  assert.ok(f.cases.length > 0);
  for (const cs of f.cases as Record<string, unknown>[]) {
    const seed = unhex(cs.seed), rnd = (i: number, n: number): Uint8Array => sodium.crypto_kdf_derive_from_key(n, i, 'QAvector', seed);
    const idSeed = rnd(1, 32), uid = rnd(2, 16), created = BigInt(cs.created_at as number), id = c.keysPersonal(idSeed);
    const req = c.keyRequestSign(uid, created, id);
    const got: Record<string, unknown> = {
      identity_seed: hex(idSeed), user_id: hex(uid), sign_pk: hex(id.signPk), box_pk: hex(id.boxPk), request: hex(req),
      fingerprint: c.keyFingerprint(id.signPk, id.boxPk),
    };
    for (const [k, v] of Object.entries(got)) assert.deepEqual(v, cs[k], `${String(cs.name)}: field ${k}`);
    // The file's request verifies for its user and names the keys and date.
    const r = c.keyRequestVerify(unhex(cs.request), uid);
    assert.deepEqual([hex(r.userId), hex(r.signPk), hex(r.boxPk), r.createdAt], [hex(uid), hex(id.signPk), hex(id.boxPk), created]);
    const refusals = cs.refusals as Record<string, string>;
    assert.deepEqual(Object.keys(refusals).sort(), Object.keys(CHANGES).sort(), `${String(cs.name)}: the named changes`);
    for (const [name, change] of Object.entries(CHANGES)) {
      assert.notEqual(refusals[name], 'ok', `${String(cs.name)}: ${name} is refused`);
      assert.equal(verdict(change(req), uid), refusals[name], `${String(cs.name)}: ${name}`);
    }
  }
});

test('key request: made and verified for its user; parse vouches for nothing', () => {
  const id = keys(), uid = c.random(16);
  const req = c.keyRequestSign(uid, NOW, id);
  assert.equal(req.length, c.KEY_REQUEST_BYTES);
  const r = c.keyRequestVerify(req, uid);
  assert.ok(c.equal(r.signPk, id.signPk) && c.equal(r.boxPk, id.boxPk) && c.equal(r.userId, uid));
  assert.equal(r.createdAt, NOW);
  // parse reads a request whose signature is broken; verify does not.
  const broken = flip(req, 100, 0x04);
  assert.equal(c.keyRequestParse(broken).createdAt, NOW);
  fails(() => c.keyRequestVerify(broken, uid), 'forbidden', /bad signature/);
  fails(() => c.keyRequestSign(c.random(15), NOW, id), 'inval', /user id/);
  fails(() => c.keyRequestVerify(req, c.random(15)), 'inval', /user id/);
});

test('key request: another type, size or prefix is inval', () => {
  const id = keys(), uid = c.random(16), req = c.keyRequestSign(uid, NOW, id);
  const cert = c.certSign({ role: 2, subjectId: uid, signPk: id.signPk, boxPk: id.boxPk, notBefore: 0n, notAfter: NOW }, id);
  fails(() => c.keyRequestVerify(cert, uid), 'inval', /size/);
  fails(() => c.keyRequestVerify(flip(req, 3, 13 ^ 6), uid), 'inval', /object type 6/);
  fails(() => c.keyRequestVerify(flip(req, 0, 0x01), uid), 'inval', /not an advice object/);
  fails(() => c.keyRequestVerify(flip(req, 2, 0x03), uid), 'inval', /format version/);
  fails(() => c.keyRequestVerify(flip(req, 4, 0x03), uid), 'inval', /suite/);
  fails(() => c.keyRequestVerify(flip(req, 5, 0x01), uid), 'inval', /flags/);
  fails(() => c.keyRequestVerify(new Uint8Array(0), uid), 'inval', /size/);
  fails(() => c.keyRequestParse(req.subarray(0, 157)), 'inval', /size/);
});

test('malicious server: a genuine request of another worker is refused', () => {
  const maija = c.random(16), other = c.random(16);
  const theirs = c.keyRequestSign(other, NOW, keys());
  fails(() => c.keyRequestVerify(theirs, maija), 'forbidden', /another user/);
});

test('malicious server: its own keys for the worker verify, but the fingerprint tells them apart', () => {
  const uid = c.random(16), worker = keys(), server = keys();
  const shown = c.keyFingerprint(worker.signPk, worker.boxPk); // on the worker's screen
  const swapped = c.keyRequestSign(uid, NOW, server); // what the server hands the admin
  const r = c.keyRequestVerify(swapped, uid);
  assert.equal(c.keyFingerprintEqual(c.keyFingerprint(r.signPk, r.boxPk), shown), false);
  // Only the box key swapped (the request re-signed by the worker's key is impossible for the
  // server): the signature no longer verifies.
  const mixed = c.keyRequestSign(uid, NOW, worker);
  mixed.set(server.boxPk, 54);
  fails(() => c.keyRequestVerify(mixed, uid), 'forbidden');
});

test('fingerprint: format, and compared as people type it', () => {
  const id = keys(), fp = c.keyFingerprint(id.signPk, id.boxPk);
  assert.equal(fp.length, c.FINGERPRINT_CHARS);
  assert.match(fp, /^[0-9a-f]{4}( [0-9a-f]{4}){7}$/);
  assert.ok(c.keyFingerprintEqual(fp, fp.toUpperCase().replace(/ /g, '-')));
  assert.ok(c.keyFingerprintEqual(fp, fp.replace(/ /g, '')));
  const last = fp[fp.length - 1] === '0' ? '1' : '0';
  assert.equal(c.keyFingerprintEqual(fp, fp.slice(0, -1) + last), false);
  assert.equal(c.keyFingerprintEqual(fp, fp.slice(0, -1)), false);
  // Each key counts: the same sign key with another box key is another fingerprint.
  assert.notEqual(c.keyFingerprint(id.signPk, keys().boxPk), fp);
  fails(() => c.keyFingerprint(id.signPk, id.boxPk.subarray(0, 31)), 'inval', /box key/);
});
