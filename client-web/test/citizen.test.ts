// citizen.test.ts - a citizen's keys: proto/vectors/citizen.json recomputed by the module, and
// what a malicious server can try: a device key it made up (no certificate of the identity),
// a swapped identity (reported as new, nothing re-wrapped), a mistyped or wrong recovery code,
// and at approval a key substituted after the challenge (the commitment does not open) or
// committed to by the server itself (another comparison code).
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
const fails = (f: () => unknown, code: c.CryptoErrorCode): void => {
  assert.throws(f, (e: unknown) => e instanceof c.CryptoError && e.code === code);
};

before(async () => {
  await c.ready();
});

function envelope(tid: Uint8Array, mkey: Uint8Array, sender: c.Keys, text: string): Uint8Array {
  return c.envelopeSeal({ threadId: tid, messageId: c.random(16), epoch: 0, senderSeq: 0n, prevHash: new Uint8Array(32),
    createdAt: 1770000000000n, nonce: c.random(24) }, mkey, c.contentEncode([], text), sender);
}

test('vectors: citizen.json', () => {
  const f = JSON.parse(readFileSync(join(dir, 'citizen.json'), 'utf8'));
  assert.ok(f.cases.length > 0);
  for (const cs of f.cases as Record<string, unknown>[]) {
    const seed = unhex(cs.seed), rnd = (i: number, n: number): Uint8Array => sodium.crypto_kdf_derive_from_key(n, i, 'QAvector', seed);
    const idSeed = rnd(1, 32), devSeed = rnd(2, 32), secret = rnd(3, 20), nonce = rnd(4, 24), newSeed = rnd(5, 32);
    const eph = rnd(6, 32), created = BigInt(cs.created_at as number), nonceNew = rnd(7, 32), nonceOld = rnd(8, 32);
    const id = c.keysPersonal(idSeed), dev = c.keysPersonal(devSeed), nd = c.keysPersonal(newSeed);
    const code = c.recoveryCodeFormat(secret), rkey = c.recoveryKey(secret);
    const box = c.recoveryBoxSeal(idSeed, created, rkey, nonce);
    const got: Record<string, unknown> = {
      identity_seed: hex(idSeed), identity_sign_pk: hex(id.signPk), identity_box_pk: hex(id.boxPk),
      identity_id: hex(c.identityId(id.signPk)), device_seed: hex(devSeed),
      device_cert: hex(c.deviceCertSign(id, dev.signPk, dev.boxPk, created)), recovery_secret: hex(secret),
      recovery_code: code, recovery_key: hex(rkey), recovery_nonce: hex(nonce), recovery_box: hex(box),
      recovery_opens: equalBytes(c.recoveryBoxOpen(box, code), idSeed), new_device_seed: hex(newSeed),
      approval_nonce_new: hex(nonceNew), approval_commit: hex(c.deviceCommit(nd.signPk, nd.boxPk, nonceNew)),
      approval_nonce_old: hex(nonceOld), compare_code: c.compareCode(id.signPk, nd.signPk, nd.boxPk, nonceNew, nonceOld),
      new_device_cert: hex(c.deviceCertSign(id, nd.signPk, nd.boxPk, created + 1n)), eph_seed: hex(eph),
      seed_wrap: hex(c.identitySeedWrap(idSeed, nd.boxPk, eph, dev)),
    };
    for (const [k, v] of Object.entries(got)) assert.deepEqual(v, cs[k], `${String(cs.name)}: field ${k}`);
    // And the other way: the file's objects open and verify.
    assert.deepEqual(c.deviceCertVerify(unhex(cs.device_cert)).deviceSignPk, dev.signPk);
    assert.deepEqual(c.wrapOpen(unhex(cs.seed_wrap), 3, c.identityId(id.signPk), 0, nd, dev.signPk).key, idSeed);
    assert.equal(c.compareCodeChecked(unhex(cs.approval_commit), id.signPk, nd.signPk, nd.boxPk, nonceNew, nonceOld),
      cs.compare_code);
  }
});

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

test('recovery code: typed freely; a typo is inval, another code forbidden', () => {
  // A fixed secret, so that the typo below is always one the 15-bit check catches.
  const secret = Uint8Array.from({ length: 20 }, (_, i) => 7 * i + 3), seed = c.random(32);
  const code = c.recoveryCodeFormat(secret);
  assert.match(code, /^([0-9A-HJKMNP-TV-Z]{5}-){6}[0-9A-HJKMNP-TV-Z]{5}$/);
  const box = c.recoveryBoxSeal(seed, 1770000000000n, c.recoveryKey(secret), c.random(24));
  assert.deepEqual(c.recoveryBoxOpen(box, code.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l')), seed);
  const i = code.search(/[2-9]/);
  const typo = code.slice(0, i) + (code[i] === '2' ? '3' : '2') + code.slice(i + 1);
  fails(() => c.recoveryBoxOpen(box, typo), 'inval');
  fails(() => c.recoveryBoxOpen(box, code.slice(0, -1)), 'inval');
  fails(() => c.recoveryBoxOpen(box, `${code}0`), 'inval');
  fails(() => c.recoveryBoxOpen(box, code.replace(/.$/, 'U')), 'inval');
  fails(() => c.recoveryBoxOpen(box, c.recoveryCodeFormat(c.random(20))), 'forbidden');
  // A box of another identity relabelled by the server does not open as this one.
  const other = c.recoveryBoxSeal(c.random(32), 1n, c.recoveryKey(secret), c.random(24));
  other.set(box.subarray(6, 22), 6);
  fails(() => c.recoveryBoxOpen(other, code), 'forbidden');
});

test('approval: commit, challenge, reveal; both devices show the same code', () => {
  const id = keys(), real = keys(), nonceNew = c.random(32);
  const commit = c.deviceCommit(real.signPk, real.boxPk, nonceNew);
  const nonceOld = c.random(32); // chosen by the existing device after it saw the commitment
  const code = c.compareCode(id.signPk, real.signPk, real.boxPk, nonceNew, nonceOld);
  assert.match(code, /^\d{4} \d{4} \d{4}$/);
  assert.equal(c.compareCodeChecked(commit, id.signPk, real.signPk, real.boxPk, nonceNew, nonceOld), code);
  assert.notEqual(c.compareCode(keys().signPk, real.signPk, real.boxPk, nonceNew, nonceOld), code);
  assert.notEqual(c.compareCode(id.signPk, real.signPk, real.boxPk, c.random(32), nonceOld), code);
  assert.notEqual(c.compareCode(id.signPk, real.signPk, real.boxPk, nonceNew, c.random(32)), code);
  fails(() => c.compareCode(id.signPk, real.signPk, real.boxPk, nonceNew, c.random(31)), 'inval');
});

test('malicious server: keys substituted after the challenge do not open the commitment', () => {
  const id = keys(), real = keys(), server = keys(), nonceNew = c.random(32), nonceOld = c.random(32);
  const commit = c.deviceCommit(real.signPk, real.boxPk, nonceNew);
  for (let i = 0; i < 64; i++) {
    fails(() => c.compareCodeChecked(commit, id.signPk, server.signPk, server.boxPk, c.random(32), nonceOld), 'forbidden');
  }
  fails(() => c.compareCodeChecked(commit, id.signPk, server.signPk, server.boxPk, nonceNew, nonceOld), 'forbidden');
  fails(() => c.compareCodeChecked(commit, id.signPk, real.signPk, server.boxPk, nonceNew, nonceOld), 'forbidden');
  fails(() => c.compareCodeChecked(commit, id.signPk, server.signPk, real.boxPk, nonceNew, nonceOld), 'forbidden');
  const other = nonceNew.slice();
  other[0] ^= 1;
  fails(() => c.compareCodeChecked(commit, id.signPk, real.signPk, real.boxPk, other, nonceOld), 'forbidden');
});

test('malicious server: keys it committed to itself give another code', () => {
  const id = keys(), real = keys(), server = keys(), nonceNew = c.random(32), nonceServer = c.random(32);
  const commitServer = c.deviceCommit(server.signPk, server.boxPk, nonceServer);
  const nonceOld = c.random(32); // the existing device answers the server's commitment
  const shownOld = c.compareCodeChecked(commitServer, id.signPk, server.signPk, server.boxPk, nonceServer, nonceOld);
  // The real new device gets the existing device's challenge, or one the server picked.
  assert.notEqual(c.compareCode(id.signPk, real.signPk, real.boxPk, nonceNew, nonceOld), shownOld);
  for (let i = 0; i < 64; i++) {
    assert.notEqual(c.compareCode(id.signPk, real.signPk, real.boxPk, nonceNew, c.random(32)), shownOld);
  }
});

test('malicious server: a device key without a certificate of the identity is refused', () => {
  const idSeed = c.random(32), id = c.keysPersonal(idSeed), dev = keys(), minted = keys(), fake = keys();
  const tid = c.random(16), mkey = c.random(32);
  const certs = [c.deviceCertSign(id, dev.signPk, dev.boxPk, 1n)];
  const first = envelope(tid, mkey, dev, 'first');
  assert.deepEqual(c.citizenThreadIdentity(first, certs).identitySignPk, id.signPk);
  assert.deepEqual(c.citizenSender(first, id.signPk, certs), dev.signPk);
  // The server lists a key of its own: with no certificate, with one it signed itself as the
  // identity (the signature does not verify), with a certificate of another identity.
  const forged = c.deviceCertSign(id, minted.signPk, minted.boxPk, 2n);
  forged[150] ^= 1;
  const byServer = envelope(tid, mkey, minted, 'from the server');
  fails(() => c.citizenSender(byServer, id.signPk, certs), 'forbidden');
  fails(() => c.citizenSender(byServer, id.signPk, [...certs, forged]), 'forbidden');
  fails(() => c.citizenSender(byServer, id.signPk, [...certs, c.deviceCertSign(fake, minted.signPk, minted.boxPk, 2n)]),
    'forbidden');
  fails(() => c.deviceCertVerify(forged), 'forbidden');
});

test('malicious server: a swapped identity is reported as new, nothing is re-wrapped', () => {
  const a = keys(), b = keys(), dev = keys(), bdev = keys(), worker = keys(), unit = c.keysUnit(c.random(32));
  const tid = c.random(16), tkey = c.random(32), share = c.random(32), mkey = c.threadMsgKey(tkey, tid, 0, share);
  const certs = [c.deviceCertSign(a, dev.signPk, dev.boxPk, 1n), c.deviceCertSign(b, bdev.signPk, bdev.boxPk, 2n)];
  const first = envelope(tid, mkey, dev, 'opened under A');
  const ids: c.IdentitySeen[] = [{ signPk: a.signPk, boxPk: a.boxPk, firstSeen: 1000 },
    { signPk: b.signPk, boxPk: b.boxPk, firstSeen: 5000 }];
  const threadId = c.citizenThreadIdentity(first, certs).identitySignPk;
  const st = c.citizenIdentityStatus(ids, threadId);
  assert.equal(st.status, 'new');
  assert.equal(st.status === 'new' ? st.since : 0, 5000);
  // A message of B's device in A's thread does not count as the citizen's.
  fails(() => c.citizenSender(envelope(tid, mkey, bdev, 'from B'), threadId, certs), 'forbidden');
  // The status changes nothing: B opens the thread only after the explicit re-wrap.
  const toUnit = c.wrapSeal(1, tid, 0, unit.boxPk, tkey, c.random(32), dev);
  const k = c.wrapOpen(toUnit, 1, tid, 0, unit, dev.signPk).key;
  const rewrap = st.status === 'new' ? c.citizenRewrap(tid, 0, k, st.identity, c.random(32), worker) : new Uint8Array();
  assert.deepEqual(c.wrapOpen(rewrap, 1, tid, 0, b, worker.signPk).key, tkey);
  assert.equal(c.citizenIdentityStatus(ids.slice(0, 1), threadId).status, 'same');
  fails(() => c.citizenIdentityStatus(ids.slice(1), threadId), 'forbidden');
});

test('new device: approval or recovery gives the identity seed; the thread opens without a re-wrap', () => {
  const idSeed = c.random(32), id = c.keysPersonal(idSeed), dev = keys(), newDev = keys(), unit = c.keysUnit(c.random(32));
  const tid = c.random(16), tkey = c.random(32), share = c.random(32), mkey = c.threadMsgKey(tkey, tid, 0, share);
  const toId = c.wrapSeal(1, tid, 0, id.boxPk, tkey, c.random(32), dev);
  c.wrapSeal(1, tid, 0, unit.boxPk, tkey, c.random(32), dev);
  const env = envelope(tid, mkey, dev, 'older question');
  // Approval: the comparison codes match, the old device seals the seed and signs the new device.
  const nonceNew = c.random(32), commit = c.deviceCommit(newDev.signPk, newDev.boxPk, nonceNew), nonceOld = c.random(32);
  const shown = c.compareCode(id.signPk, newDev.signPk, newDev.boxPk, nonceNew, nonceOld);
  assert.equal(c.compareCodeChecked(commit, id.signPk, newDev.signPk, newDev.boxPk, nonceNew, nonceOld), shown);
  const sealed = c.identitySeedWrap(idSeed, newDev.boxPk, c.random(32), dev);
  const opened = c.wrapOpen(sealed, 3, c.identityId(id.signPk), 0, newDev, dev.signPk);
  assert.equal(opened.info.kind, 3);
  assert.deepEqual(opened.info.scopeId, c.identityId(id.signPk));
  const mine = c.keysPersonal(opened.key);
  const k = c.wrapOpen(toId, 1, tid, 0, mine, dev.signPk).key;
  const certs = [c.deviceCertSign(id, dev.signPk, dev.boxPk, 1n), c.deviceCertSign(mine, newDev.signPk, newDev.boxPk, 2n)];
  const sender = c.citizenSender(env, id.signPk, certs);
  assert.equal(c.contentDecode(c.envelopeOpen(env, tid, c.threadMsgKey(k, tid, 0, share), sender).plain).text, 'older question');
  // Recovery: the code opens the box to the same seed.
  const secret = c.random(20), box = c.recoveryBoxSeal(idSeed, 1n, c.recoveryKey(secret), c.random(24));
  assert.deepEqual(c.recoveryBoxOpen(box, c.recoveryCodeFormat(secret)), idSeed);
});
