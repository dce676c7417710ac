// flows.test.ts - the TypeScript module's own checks beyond the vectors: every flipped byte
// of an envelope, a wrap and a chunk is detected; a message moved into another thread fails;
// unknown versions are refused; rotation on removal, reassignment to another unit (the
// citizen's keys: citizen.test.ts); the media allow-list by magic numbers.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../src/crypto';

before(async () => {
  await c.ready();
});

const keys = (): c.Keys => c.keysPersonal(c.random(32));
const rejects = (f: () => unknown): void => {
  assert.throws(f, (e: unknown) => e instanceof c.CryptoError);
};

function envelope(tid: Uint8Array, mkey: Uint8Array, sender: c.Keys, text: string): Uint8Array {
  return c.envelopeSeal({ threadId: tid, messageId: c.random(16), epoch: 0, senderSeq: 0n, prevHash: new Uint8Array(32),
    createdAt: 1770000000000n, nonce: c.random(24) }, mkey, c.contentEncode([], text), sender);
}

test('envelope: every flipped byte is detected; moved to another thread fails', () => {
  const sender = keys(), tid = c.random(16), tid2 = c.random(16), tkey = c.random(32), share = c.random(32);
  const mkey = c.threadMsgKey(tkey, tid, 0, share);
  const env = envelope(tid, mkey, sender, 'canary-ts');
  assert.equal(c.contentDecode(c.envelopeOpen(env, tid, mkey, sender.signPk).plain).text, 'canary-ts');
  c.envelopeVerify(env, sender.signPk);
  rejects(() => c.envelopeVerify(env, keys().signPk));
  for (let i = 0; i < env.length; i++) {
    env[i] ^= 1;
    rejects(() => c.envelopeOpen(env, tid, mkey, sender.signPk));
    env[i] ^= 1;
  }
  rejects(() => c.envelopeOpen(env, tid2, c.threadMsgKey(tkey, tid2, 0, share), sender.signPk));
  rejects(() => c.envelopeOpen(env, tid2, mkey, sender.signPk));
  for (const i of [0, 1, 2, 3, 4, 5]) {
    env[i] ^= 2;
    assert.throws(() => c.envelopeParse(env), (e: unknown) => e instanceof c.CryptoError && e.code === 'inval');
    env[i] ^= 2;
  }
  rejects(() => c.envelopeParse(env.subarray(0, env.length - 1)));
});

test('wrap: every flipped byte is detected; wrong recipient or signer', () => {
  const signer = keys(), r = keys(), tid = c.random(16), key = c.random(32);
  const w = c.wrapSeal(1, tid, 0, r.boxPk, key, c.random(32), signer);
  assert.deepEqual(c.wrapOpen(w, 1, tid, 0, r, signer.signPk).key, key);
  for (let i = 0; i < w.length; i++) {
    w[i] ^= 0x80;
    rejects(() => c.wrapOpen(w, 1, tid, 0, r, signer.signPk));
    w[i] ^= 0x80;
  }
  rejects(() => c.wrapOpen(w, 1, tid, 0, signer, signer.signPk));
  rejects(() => c.wrapOpen(w, 1, tid, 0, r, r.signPk));
});

test('file: flipped, truncated, reordered chunks are detected', () => {
  const key = c.random(32), hdr = c.random(24), tid = c.random(16), fid = c.random(16);
  const size = c.FILE_CHUNK_BYTES + 10;
  const w = new c.FileStream(true, key, hdr, tid, fid, size);
  const chunks = [w.pushChunk(new Uint8Array(c.FILE_CHUNK_BYTES).fill(1), false), w.pushChunk(new Uint8Array(10).fill(2), true)];
  const readAll = (list: Uint8Array[], t = tid): void => {
    const s = new c.FileStream(false, key, hdr, t, fid, size);
    let final = false;
    for (const ch of list) final = s.pullChunk(ch).final;
    if (!final) throw new c.CryptoError('forbidden', 'truncated');
    s.hash();
  };
  readAll(chunks);
  rejects(() => readAll([chunks[0]]));
  rejects(() => readAll([chunks[1], chunks[0]]));
  rejects(() => readAll(chunks, c.random(16)));
  for (const ch of chunks) {
    for (const i of [0, 1, 16, ch.length >> 1, ch.length - 1]) {
      ch[i] ^= 4;
      rejects(() => readAll(chunks));
      ch[i] ^= 4;
    }
  }
});

test('rotation: a removed worker cannot open a thread created after it', () => {
  const admin = keys(), stay = keys(), leave = keys(), citizen = keys(), unitId = c.random(16);
  const s1 = c.random(32), s2 = c.random(32), g1 = c.keysUnit(s1), g2 = c.keysUnit(s2);
  const leaveSeed = c.wrapOpen(c.wrapSeal(2, unitId, 1, leave.boxPk, s1, c.random(32), admin), 2, unitId, 1, leave,
    admin.signPk).key;
  const stayWrap2 = c.wrapSeal(2, unitId, 2, stay.boxPk, s2, c.random(32), admin);
  const chain = c.chainSeal(unitId, 2, g2.chainKey, c.random(24), s1);
  const tNew = c.random(16), kNew = c.random(32), tOld = c.random(16), kOld = c.random(32);
  const wrapNew = c.wrapSeal(1, tNew, 0, g2.boxPk, kNew, c.random(32), citizen);
  const wrapOld = c.wrapSeal(1, tOld, 0, g1.boxPk, kOld, c.random(32), citizen);
  rejects(() => c.wrapOpen(wrapNew, 1, tNew, 0, c.keysUnit(leaveSeed), citizen.signPk));
  rejects(() => c.wrapOpen(stayWrap2, 2, unitId, 2, leave, admin.signPk));
  const mine = c.keysUnit(c.wrapOpen(stayWrap2, 2, unitId, 2, stay, admin.signPk).key);
  assert.deepEqual(c.wrapOpen(wrapNew, 1, tNew, 0, mine, citizen.signPk).key, kNew);
  const older = c.keysUnit(c.chainOpen(chain, unitId, 2, mine.chainKey));
  assert.deepEqual(c.wrapOpen(wrapOld, 1, tOld, 0, older, citizen.signPk).key, kOld);
});

test('reassignment: a unit member re-wraps to another unit, no server key', () => {
  const dev = keys(), identity = keys(), worker = keys(), unitA = c.keysUnit(c.random(32)), unitB = c.keysUnit(c.random(32));
  const tid = c.random(16), key = c.random(32), share = c.random(32);
  const toA = c.wrapSeal(1, tid, 0, unitA.boxPk, key, c.random(32), dev);
  const toId = c.wrapSeal(1, tid, 0, identity.boxPk, key, c.random(32), dev);
  const env = envelope(tid, c.threadMsgKey(key, tid, 0, share), worker, 'older answer');
  const opened = c.wrapOpen(toA, 1, tid, 0, unitA, dev.signPk);
  // Every device holding the identity seed reads the thread (citizen.test.ts: approval, recovery).
  const k2 = c.wrapOpen(toId, 1, tid, 0, identity, dev.signPk).key;
  assert.equal(c.contentDecode(c.envelopeOpen(env, tid, c.threadMsgKey(k2, tid, 0, share), worker.signPk).plain).text,
    'older answer');
  rejects(() => c.wrapOpen(toA, 1, tid, 0, unitB, dev.signPk));
  const toB = c.wrapSeal(1, opened.info.scopeId, opened.info.epoch, unitB.boxPk, opened.key, c.random(32), worker);
  assert.deepEqual(c.wrapOpen(toB, 1, tid, 0, unitB, worker.signPk).key, key);
});

test('media: magic numbers against the allow-list', () => {
  const b = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
  assert.equal(c.mediaSniff(b('%PDF-1.7\n')), c.Media.Pdf);
  assert.equal(c.mediaSniff(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])), c.Media.Png);
  assert.equal(c.mediaSniff(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0])), c.Media.Jpeg);
  assert.equal(c.mediaSniff(b('\0\0\0\x18ftypheic\0\0\0\0')), c.Media.Heic);
  assert.equal(c.mediaSniff(b('PK\x03\x04' + '\0'.repeat(26) + 'mimetypeapplication/vnd.oasis.opendocument.text')), c.Media.Odt);
  assert.equal(c.mediaSniff(b('PK\x03\x04' + '\0'.repeat(26) + '[Content_Types].xml....word/document.xml')), c.Media.Docx);
  assert.equal(c.mediaSniff(new TextEncoder().encode('Hyvä työntekijä\n')), c.Media.Text);
  assert.equal(c.mediaSniff(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])), c.Media.Unknown);
  assert.equal(c.mediaSniff(b('PK\x03\x04' + '\0'.repeat(40))), c.Media.Unknown);
});
