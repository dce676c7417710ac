// interop.ts - the cross-implementation exchange with libadvice (tests/crypto/crypto_interop.c):
//   node interop.js write FILE   a whole scenario made by this module from fresh random keys
//                                (the worker's key request and its fingerprint included)
//   node interop.js read FILE    checks one written by libadvice, knowing only what a real
//                                reader knows (pinned root key, the worker's seed and password,
//                                the citizen device's public key)
// Exit status 0 when everything verified.
import { readFileSync, writeFileSync } from 'node:fs';
import * as c from '../src/crypto';

const { sodium } = c;
const FILE_LEN = c.FILE_CHUNK_BYTES + 333;
const TEXT = 'Cross-implementation message from TypeScript: äöå €';
const PASSWORD = 'interop password ä';
const OPS = c.PWHASH_OPS_MIN;
const MEM = c.PWHASH_MEM_MIN;
const NOW = 1770000000000n;
const hex = (b: Uint8Array): string => sodium.to_hex(b);
const unhex = (s: unknown): Uint8Array => sodium.from_hex(String(s));
const fileByte = (i: number): number => (i * 13 + 5) & 0xff;

function write(path: string): void {
  const rootSeed = c.random(32), ws = c.random(32), s1 = c.random(32), s2 = c.random(32);
  const root = c.keysPersonal(rootSeed), admin = c.keysPersonal(c.random(32)), worker = c.keysPersonal(ws);
  const citizen = c.keysPersonal(c.random(32)), u1 = c.keysUnit(s1), u2 = c.keysUnit(s2);
  const validity = { notBefore: NOW - 1000n, notAfter: NOW + 1000n };
  const uid = c.random(16), unitId = c.random(16);
  const adminCert = c.certSign({ role: 1, subjectId: c.random(16), signPk: admin.signPk, boxPk: admin.boxPk, ...validity }, root);
  const workerCert = c.certSign({ role: 2, subjectId: uid, signPk: worker.signPk, boxPk: worker.boxPk, ...validity }, admin);
  const members = [c.kid(worker.boxPk)];
  const ev1 = c.unitEventSign({ unitId, generation: 1, boxPk: u1.boxPk, signPk: u1.signPk, prevHash: new Uint8Array(32),
    createdAt: NOW, members }, admin);
  const ev2 = c.unitEventSign({ unitId, generation: 2, boxPk: u2.boxPk, signPk: u2.signPk, prevHash: c.hash(ev1),
    createdAt: NOW, members }, admin);
  const chain = c.chainSeal(unitId, 2, u2.chainKey, c.random(24), s1);
  const w1 = c.wrapSeal(2, unitId, 1, worker.boxPk, s1, c.random(32), admin);
  const w2 = c.wrapSeal(2, unitId, 2, worker.boxPk, s2, c.random(32), admin);
  const tid = c.random(16), tkey = c.random(32), share = c.random(32);
  const tw = c.wrapSeal(1, tid, 0, u2.boxPk, tkey, c.random(32), citizen);

  const f: c.FileRef = { fileId: c.random(16), key: c.random(32), header: c.random(24), size: BigInt(FILE_LEN), media: 1,
    hash: new Uint8Array(32) };
  const stream = new c.FileStream(true, f.key, f.header, tid, f.fileId, FILE_LEN);
  const chunks: string[] = [];
  const count = c.fileChunkCount(c.filePaddedSize(FILE_LEN));
  for (let k = 0, off = 0; k < count; k++) {
    const n = Math.max(0, Math.min(FILE_LEN - off, c.FILE_CHUNK_BYTES));
    const pt = Uint8Array.from({ length: n }, (_, i) => fileByte(off + i));
    chunks.push(hex(stream.pushChunk(pt, k + 1 === count)));
    off += n;
  }
  f.hash = stream.hash();
  const mkey = c.threadMsgKey(tkey, tid, 0, share);
  const env = c.envelopeSeal({ threadId: tid, messageId: c.random(16), epoch: 0, senderSeq: 1n, prevHash: new Uint8Array(32),
    createdAt: NOW, nonce: c.random(24) }, mkey, c.contentEncode([f], TEXT), citizen);

  const info = { userId: uid, version: 1, opslimit: OPS, memlimit: MEM, salt: c.random(16) };
  const bundle = c.bundleSeal(info, c.bundleKey(c.passwordMaster(PASSWORD, info.salt, OPS, MEM)), c.random(24), ws);
  const keyRequest = c.keyRequestSign(uid, NOW, worker);
  writeFileSync(path, JSON.stringify({
    writer: 'ts', now: Number(NOW), root_sign_pk: hex(root.signPk), worker_seed: hex(ws), citizen_sign_pk: hex(citizen.signPk),
    password: PASSWORD, admin_cert: hex(adminCert), worker_cert: hex(workerCert), event1: hex(ev1), event2: hex(ev2),
    chain2: hex(chain), seed_wrap1: hex(w1), seed_wrap2: hex(w2), thread_wrap: hex(tw), share: hex(share), thread_id: hex(tid),
    envelope: hex(env), bundle: hex(bundle), key_request: hex(keyRequest), fingerprint: c.keyFingerprint(worker.signPk, worker.boxPk),
    text: TEXT, file_length: FILE_LEN, chunks,
  }, null, 1));
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`read: ${what} failed`);
}

function read(path: string): void {
  const o = JSON.parse(readFileSync(path, 'utf8'));
  const now = BigInt(o.now), rootPk = unhex(o.root_sign_pk), citPk = unhex(o.citizen_sign_pk);
  const ws = unhex(o.worker_seed), worker = c.keysPersonal(ws);
  const adminCert = unhex(o.admin_cert), ev1 = unhex(o.event1), ev2 = unhex(o.event2);

  const wc = c.certVerify(unhex(o.worker_cert), adminCert, rootPk, now);
  check(c.equal(wc.boxPk, worker.boxPk), 'worker certificate keys');
  const admin = c.certVerify(adminCert, null, rootPk, now);
  c.unitEventVerify(ev1, admin.signPk, null);
  const e2 = c.unitEventVerify(ev2, admin.signPk, ev1);

  // Each unit seed is checked against its generation's signed event (unitSeedOpen, unitSeedCheck).
  const u2 = c.unitSeedOpen(unhex(o.seed_wrap2), e2, worker, admin.signPk).keys;
  const s1 = c.chainOpen(unhex(o.chain2), e2.unitId, 2, u2.chainKey);
  const e1 = c.unitEventParse(ev1);
  c.unitSeedCheck(s1, e1);
  check(c.equal(c.unitSeedOpen(unhex(o.seed_wrap1), e1, worker, admin.signPk).seed, s1), 'seed wrap 1 matches the chain');

  const tw = c.wrapOpen(unhex(o.thread_wrap), 1, unhex(o.thread_id), 0, u2, citPk);
  const mkey = c.threadMsgKey(tw.key, tw.info.scopeId, tw.info.epoch, unhex(o.share));
  const { plain } = c.envelopeOpen(unhex(o.envelope), tw.info.scopeId, mkey, citPk);
  const content = c.contentDecode(plain);
  check(content.text === o.text && content.files.length === 1, 'message text');
  const f = content.files[0];
  const stream = new c.FileStream(false, f.key, f.header, tw.info.scopeId, f.fileId, Number(f.size));
  let off = 0, final = false;
  for (const ch of o.chunks as string[]) {
    check(!final, 'nothing after the final chunk');
    const r = stream.pullChunk(unhex(ch));
    r.plain.forEach((x, i) => check(x === fileByte(off + i), 'attachment bytes'));
    off += r.plain.length;
    final = r.final;
  }
  check(final && off === o.file_length && BigInt(off) === f.size && c.equal(stream.hash(), f.hash), 'attachment');

  const b = unhex(o.bundle), bi = c.bundleParse(b);
  const key = c.bundleKey(c.passwordMaster(o.password, bi.salt, bi.opslimit, bi.memlimit));
  check(c.equal(c.bundleOpen(b, bi.userId, key), ws), 'bundle');

  // The worker's key request names the bundle's user and the worker's keys, whose fingerprint
  // is the one the writer showed.
  const kr = c.keyRequestVerify(unhex(o.key_request), bi.userId);
  check(c.equal(kr.signPk, worker.signPk) && c.equal(kr.boxPk, worker.boxPk), 'key request keys');
  check(c.keyFingerprint(kr.signPk, kr.boxPk) === o.fingerprint, 'key request fingerprint');
  console.log(`read: every object of ${path} verified`);
}

async function main(): Promise<number> {
  await c.ready();
  const [cmd, path] = process.argv.slice(2);
  if (cmd === 'write' && path) write(path);
  else if (cmd === 'read' && path) read(path);
  else {
    console.error('usage: interop.js write|read FILE');
    return 2;
  }
  return 0;
}

main().then((rc) => { process.exitCode = rc; }, (e: unknown) => { console.error(String(e)); process.exitCode = 1; });
