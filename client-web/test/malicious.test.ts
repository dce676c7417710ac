// malicious.test.ts - a malicious server against the module: a /login/worker/start that names a
// cheap (or absurd) Argon2id cost gets no login key; a wrap of another thread, epoch, kind or
// unit opens nothing; a unit seed that is not its signed event's is refused; attachment padding
// that is tampered with, or chunks of another length than the padded size gives, are refused;
// passwords are hashed in Unicode NFKC.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../src/crypto';

const { sodium } = c;

before(async () => {
  await c.ready();
});

const keys = (): c.Keys => c.keysPersonal(c.random(32));
const refused = (f: () => unknown, code: c.CryptoErrorCode, text?: RegExp): void => {
  assert.throws(f, (e: unknown) => e instanceof c.CryptoError && e.code === code && (text === undefined || text.test(e.message)));
};
const b64 = (b: Uint8Array): string => sodium.to_base64(b, sodium.base64_variants.URLSAFE_NO_PADDING);

/** A fake login server: answers /start with `start`, records every request. */
function fakeServer(start: Record<string, unknown>): { post: c.LoginPost; seen: { path: string; body: Record<string, unknown> }[] } {
  const seen: { path: string; body: Record<string, unknown> }[] = [];
  const post: c.LoginPost = async (path, body) => {
    seen.push({ path, body });
    return path.endsWith('/start') ? { status: 200, body: start } : { status: 200, body: { type: 'ok' } };
  };
  return { post, seen };
}

test('login: a server naming 1 pass / 8 KiB gets nothing, nor one naming more than the maximum', async () => {
  const salt = b64(c.random(16));
  for (const [ops, mem] of [[1, 8192], [1, c.PWHASH_MEM_MIN], [c.PWHASH_OPS_MIN, c.PWHASH_MEM_MIN - 1],
    [c.PWHASH_OPS_MAX + 1, c.PWHASH_MEM_MIN], [c.PWHASH_OPS_MIN, c.PWHASH_MEM_MAX + 1], [2.5, c.PWHASH_MEM_MIN]]) {
    const srv = fakeServer({ type: 'ok', salt, opslimit: ops, memlimit: mem, alg: 'argon2id13' });
    await assert.rejects(c.workerLogin(srv.post, 'maija', 'a password'),
      (e: unknown) => e instanceof c.CryptoError && e.code === 'forbidden' && /outside this client's bounds/.test(e.message));
    assert.deepEqual(srv.seen.map((r) => r.path), ['/api/v1/login/worker/start'], `${ops}/${mem}: nothing after /start`);
  }
  // The derivation itself refuses too, before hashing.
  refused(() => c.loginKey('a password', c.random(16), 1, 8192), 'forbidden');
  refused(() => c.passwordMaster('a password', c.random(16), c.PWHASH_OPS_MIN, 8 * 1024 * 1024), 'forbidden');
  // A malformed /start reply is refused as such.
  for (const bad of [{}, { salt, opslimit: 2, memlimit: c.PWHASH_MEM_MIN, alg: 'argon2i13' },
    { salt: 'short', opslimit: 2, memlimit: c.PWHASH_MEM_MIN, alg: 'argon2id13' }]) {
    const srv = fakeServer(bad);
    await assert.rejects(c.workerLogin(srv.post, 'maija', 'pw'), (e: unknown) => e instanceof c.CryptoError && e.code === 'inval');
    assert.equal(srv.seen.length, 1);
  }
});

test('login: at the floor the key is derived and sent, in NFKC', async () => {
  const salt = c.random(16);
  const srv = fakeServer({ type: 'ok', salt: b64(salt), opslimit: c.PWHASH_OPS_MIN, memlimit: c.PWHASH_MEM_MIN, alg: 'argon2id13' });
  const r = await c.workerLogin(srv.post, 'maija', '\ufb01ve \uff2b', { totp: '123456' });
  assert.equal(r.status, 200);
  assert.equal(srv.seen.length, 2);
  assert.equal(srv.seen[1].path, '/api/v1/login/worker');
  assert.equal(srv.seen[1].body.totp, '123456');
  const want = c.loginKey('five K', salt, c.PWHASH_OPS_MIN, c.PWHASH_MEM_MIN);
  assert.equal(srv.seen[1].body.auth_key, b64(want));
  refused(() => c.passwordBytes('a\ud800b'), 'inval');
  refused(() => c.passwordBytes('x'.repeat(c.PASSWORD_MAX_BYTES + 1)), 'inval');
});

test('wrap open: another thread, epoch, kind or unit is refused before decrypting', () => {
  const signer = keys(), r = keys(), tid = c.random(16), other = c.random(16), key = c.random(32);
  const w = c.wrapSeal(1, tid, 3, r.boxPk, key, c.random(32), signer);
  assert.deepEqual(c.wrapOpen(w, 1, tid, 3, r, signer.signPk).key, key);
  refused(() => c.wrapOpen(w, 1, other, 3, r, signer.signPk), 'forbidden', /another thread/);
  refused(() => c.wrapOpen(w, 1, tid, 2, r, signer.signPk), 'forbidden', /epoch 3, expected 2/);
  refused(() => c.wrapOpen(w, 2, tid, 3, r, signer.signPk), 'forbidden', /kind 1, expected 2/);
  // A server swapping in a genuine wrap of another thread of the same unit is caught.
  const w2 = c.wrapSeal(1, other, 3, r.boxPk, c.random(32), c.random(32), signer);
  refused(() => c.wrapOpen(w2, 1, tid, 3, r, signer.signPk), 'forbidden');
});

test('unit seed: a seed that is not its signed event\'s is refused in the worker flow', () => {
  const admin = keys(), worker = keys(), unitId = c.random(16), s1 = c.random(32), s2 = c.random(32);
  const g1 = c.keysUnit(s1);
  const ev1b = c.unitEventSign({ unitId, generation: 1, boxPk: g1.boxPk, signPk: g1.signPk, prevHash: new Uint8Array(32),
    createdAt: 1770000000000n, members: [c.kid(worker.boxPk)] }, admin);
  const ev1 = c.unitEventVerify(ev1b, admin.signPk, null);
  const good = c.wrapSeal(2, unitId, 1, worker.boxPk, s1, c.random(32), admin);
  const opened = c.unitSeedOpen(good, ev1, worker, admin.signPk);
  assert.deepEqual(opened.seed, s1);
  assert.deepEqual(opened.keys.boxPk, g1.boxPk);
  // The admin's key signed a wrap of some other seed (a server holding such a wrap, or a bug).
  const wrong = c.wrapSeal(2, unitId, 1, worker.boxPk, s2, c.random(32), admin);
  refused(() => c.unitSeedOpen(wrong, ev1, worker, admin.signPk), 'forbidden', /not the one its signed event names/);
  refused(() => c.unitSeedCheck(s2, ev1), 'forbidden');
  // A wrap of generation 2, or of another unit, for the event of generation 1.
  refused(() => c.unitSeedOpen(c.wrapSeal(2, unitId, 2, worker.boxPk, s1, c.random(32), admin), ev1, worker, admin.signPk),
    'forbidden');
  refused(() => c.unitSeedOpen(c.wrapSeal(2, c.random(16), 1, worker.boxPk, s1, c.random(32), admin), ev1, worker,
    admin.signPk), 'forbidden');
});

test('file: padding is added, checked and stripped; the server sees the bucket only', () => {
  const key = c.random(32), hdr = c.random(24), tid = c.random(16), fid = c.random(16), size = 70000;
  const data = c.random(size);
  data[size - 1] = 0x55; // a file byte where a smaller size would have padding
  const padded = c.filePaddedSize(size);
  assert.equal(padded, 71680);
  const w = new c.FileStream(true, key, hdr, tid, fid, size);
  refused(() => w.pushChunk(data.subarray(0, 100), false), 'inval'); // a chunk of another length
  const chunks = [w.pushChunk(data.subarray(0, c.FILE_CHUNK_BYTES), false), w.pushChunk(data.subarray(c.FILE_CHUNK_BYTES), true)];
  assert.equal(chunks[0].length + chunks[1].length, padded + 2 * c.FILE_CHUNK_OVERHEAD);
  const read = (n: number): Uint8Array => {
    const s = new c.FileStream(false, key, hdr, tid, fid, n);
    return c.concat(...chunks.map((ch) => s.pullChunk(ch).plain));
  };
  assert.deepEqual(read(size), data);
  // A reference naming a smaller size in the same bucket: the padding would hold file bytes.
  refused(() => read(size - 1), 'forbidden');
  // One naming another bucket: the chunks have the wrong length.
  refused(() => read(c.FILE_PAD_MIN), 'forbidden');
  // Every file up to one chunk looks the same to the server.
  for (const n of [0, 1, 500, c.FILE_CHUNK_BYTES]) assert.equal(c.filePaddedSize(n), c.FILE_PAD_MIN);
  refused(() => c.filePaddedSize(-1), 'inval');
});

test('text: HTML and CSV are plain text in both implementations; overlong forms, surrogates, NUL are not', () => {
  const t = (s: string): Uint8Array => new TextEncoder().encode(s);
  assert.equal(c.mediaSniff(t('<html><script>x()</script></html>')), c.Media.Text);
  assert.equal(c.mediaSniff(t('a;b\r\n1;2\r\n')), c.Media.Text);
  assert.equal(c.mediaSniff(Uint8Array.from([0x61, 0xc0, 0xaf])), c.Media.Unknown);
  assert.equal(c.mediaSniff(Uint8Array.from([0x61, 0xed, 0xa0, 0x80])), c.Media.Unknown);
  assert.equal(c.mediaSniff(Uint8Array.from([0x61, 0x00, 0x62])), c.Media.Unknown);
  refused(() => c.contentDecode(Uint8Array.from([1, 0, 0xed, 0xa0, 0x80])), 'inval');
});
