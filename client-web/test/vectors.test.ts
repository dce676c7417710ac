// vectors.test.ts - checks every known-answer vector of proto/vectors/ with the TypeScript
// module: each case is recomputed from its literal inputs and its seed (the same rules as
// tests/crypto/crypto_vectors.c) and every field must match the file.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as c from '../src/crypto';

const { sodium } = c;
const dir = process.env.ADVICE_SOURCE_DIR !== undefined ? join(process.env.ADVICE_SOURCE_DIR, 'proto', 'vectors')
  : join(__dirname, '..', '..', '..', 'proto', 'vectors');
type Case = Record<string, unknown>;

const hex = (b: Uint8Array): string => sodium.to_hex(b);
const unhex = (s: unknown): Uint8Array => sodium.from_hex(String(s));
const num = (v: unknown): number => Number(v);
const big = (v: unknown): bigint => BigInt(v as number);

function rnd(seed: Uint8Array, i: number, n: number): Uint8Array {
  return sodium.crypto_kdf_derive_from_key(n, i, 'QAvector', seed);
}

function load(name: string): Case[] {
  const f = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  assert.equal(f.format_version, 1);
  assert.ok(f.cases.length > 0);
  return f.cases;
}

/** Every field the computation produced must equal the file's. */
function expectFields(cs: Case, got: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(got)) assert.deepEqual(v, cs[k], `${String(cs.name)}: field ${k}`);
}

before(async () => {
  await c.ready();
});

test('anchors: libsodium primitives', () => {
  for (const cs of load('anchors')) {
    if (cs.op === 'pwhash') {
      expectFields(cs, { out: hex(sodium.crypto_pwhash(32, String(cs.password), unhex(cs.salt), num(cs.opslimit),
        num(cs.memlimit), sodium.crypto_pwhash_ALG_ARGON2ID13)) });
    } else if (cs.op === 'kdf') {
      expectFields(cs, { out: hex(sodium.crypto_kdf_derive_from_key(32, num(cs.subkey_id), String(cs.context), unhex(cs.key))) });
    } else if (cs.op === 'sign') {
      const kp = sodium.crypto_sign_seed_keypair(unhex(cs.seed));
      expectFields(cs, { pk: hex(kp.publicKey), out: hex(sodium.crypto_sign_detached(sodium.from_string(String(cs.message)), kp.privateKey)) });
    } else if (cs.op === 'aead') {
      expectFields(cs, { out: hex(c.aeadEncrypt(sodium.from_string(String(cs.message)), sodium.from_string(String(cs.ad)),
        unhex(cs.nonce), unhex(cs.key))) });
    } else {
      assert.fail(`unknown op ${String(cs.op)}`);
    }
  }
});

test('login: worker login key, and crypto_kdf as plain BLAKE2b', () => {
  for (const cs of load('login')) {
    const salt = unhex(cs.salt), ops = num(cs.opslimit), mem = num(cs.memlimit);
    const nfkc = c.passwordBytes(String(cs.password));
    const master = sodium.crypto_pwhash(32, nfkc, salt, ops, mem, sodium.crypto_pwhash_ALG_ARGON2ID13);
    const key = c.loginKey(String(cs.password), salt, ops, mem);
    // The layout of CRYPTO-FORMATS.md: salt = u64 LE subkey id || 8 zeros, personal = context || 8 zeros.
    const kdfSalt = new Uint8Array(16), kdfPersonal = new Uint8Array(16);
    kdfSalt[0] = 1;
    kdfPersonal.set(sodium.from_string('advlogin'));
    const plain = sodium.crypto_generichash_blake2b_salt_personal(32, master, kdfSalt, kdfPersonal);
    expectFields(cs, { password_nfkc: hex(nfkc), salt_b64: sodium.to_base64(salt, sodium.base64_variants.URLSAFE_NO_PADDING),
      master: hex(master), kdf_salt: hex(kdfSalt), kdf_personal: hex(kdfPersonal), auth_key: hex(key),
      auth_key_b64: sodium.to_base64(key, sodium.base64_variants.URLSAFE_NO_PADDING) });
    assert.deepEqual(plain, key, `${String(cs.name)}: crypto_kdf is the BLAKE2b of CRYPTO-FORMATS.md`);
  }
});

test('keys: personal and unit keys from seeds', () => {
  for (const cs of load('keys')) {
    const p = c.keysPersonal(unhex(cs.seed)), u = c.keysUnit(unhex(cs.seed));
    expectFields(cs, {
      personal_box_pk: hex(p.boxPk), personal_sign_pk: hex(p.signPk), personal_box_kid: hex(c.kid(p.boxPk)),
      personal_sign_kid: hex(c.kid(p.signPk)), unit_box_pk: hex(u.boxPk), unit_sign_pk: hex(u.signPk),
      unit_chain_key: hex(u.chainKey),
    });
  }
});

test('seal: sealed box with a chosen ephemeral key', () => {
  for (const cs of load('seal')) {
    const seed = unhex(cs.seed), rs = rnd(seed, 1, 32), eph = rnd(seed, 2, 32), msg = rnd(seed, 3, 40);
    const r = c.keysPersonal(rs), sealed = c.seal(msg, r.boxPk, eph);
    expectFields(cs, { recipient_seed: hex(rs), eph_seed: hex(eph), message: hex(msg), recipient_box_pk: hex(r.boxPk), sealed: hex(sealed) });
    assert.deepEqual(c.sealOpen(sealed, r), msg);
  }
});

test('bundle: worker key bundle', () => {
  for (const cs of load('bundle')) {
    const seed = unhex(cs.seed);
    const info = { salt: rnd(seed, 1, 16), userId: rnd(seed, 2, 16), version: num(cs.bundle_version),
      opslimit: num(cs.opslimit), memlimit: num(cs.memlimit) };
    const ws = rnd(seed, 3, 32), nonce = rnd(seed, 4, 24);
    const master = c.passwordMaster(String(cs.password), info.salt, info.opslimit, info.memlimit);
    const key = c.bundleKey(master), b = c.bundleSeal(info, key, nonce, ws);
    expectFields(cs, { salt: hex(info.salt), user_id: hex(info.userId), worker_seed: hex(ws), nonce: hex(nonce),
      master: hex(master), bundle_key: hex(key), bundle: hex(b) });
    assert.deepEqual(c.bundleOpen(unhex(cs.bundle), info.userId, key), ws);
  }
});

test('cert: root -> admin -> worker, root -> connector', () => {
  for (const cs of load('cert')) {
    const seed = unhex(cs.seed);
    const root = c.keysPersonal(rnd(seed, 1, 32)), admin = c.keysPersonal(rnd(seed, 2, 32));
    const worker = c.keysPersonal(rnd(seed, 3, 32)), conn = c.keysPersonal(rnd(seed, 4, 32));
    const nb = big(cs.not_before), na = big(cs.not_after);
    const mk = (role: number, id: number, k: c.Keys, by: c.Keys) => c.certSign({ role, subjectId: rnd(seed, id, 16),
      signPk: k.signPk, boxPk: k.boxPk, notBefore: nb, notAfter: na }, by);
    const ac = mk(1, 5, admin, root), wc = mk(2, 6, worker, admin), cc = mk(3, 7, conn, root);
    expectFields(cs, { root_seed: hex(rnd(seed, 1, 32)), admin_seed: hex(rnd(seed, 2, 32)), worker_seed: hex(rnd(seed, 3, 32)),
      connector_seed: hex(rnd(seed, 4, 32)), root_sign_pk: hex(root.signPk), admin_cert: hex(ac), worker_cert: hex(wc),
      connector_cert: hex(cc) });
    const leaf = c.certVerify(wc, ac, root.signPk, big(cs.now));
    assert.deepEqual(leaf.boxPk, worker.boxPk);
  }
});

test('unit: two generations, chain box, seed wraps', () => {
  for (const cs of load('unit')) {
    const seed = unhex(cs.seed), n = num(cs.members);
    const admin = c.keysPersonal(rnd(seed, 1, 32)), unitId = rnd(seed, 2, 16);
    const s1 = rnd(seed, 3, 32), s2 = rnd(seed, 4, 32), nonce = rnd(seed, 5, 24);
    const u1 = c.keysUnit(s1), u2 = c.keysUnit(s2);
    const members = Array.from({ length: n }, (_, i) => c.keysPersonal(rnd(seed, 10 + i, 32)));
    const kids = members.map((m) => c.kid(m.boxPk));
    const ev1 = c.unitEventSign({ unitId, generation: 1, boxPk: u1.boxPk, signPk: u1.signPk, prevHash: new Uint8Array(32),
      createdAt: big(cs.created_at), members: kids }, admin);
    const ev2 = c.unitEventSign({ unitId, generation: 2, boxPk: u2.boxPk, signPk: u2.signPk, prevHash: c.hash(ev1),
      createdAt: big(cs.created_at) + 1000n, members: kids.slice(0, n - 1) }, admin);
    const chain = c.chainSeal(unitId, 2, u2.chainKey, nonce, s1);
    const wraps = members.slice(0, n - 1).map((m, i) => {
      const eph = rnd(seed, 30 + i, 32);
      return { member_seed: hex(rnd(seed, 10 + i, 32)), member_kid: hex(c.kid(m.boxPk)), eph_seed: hex(eph),
        wrap: hex(c.wrapSeal(2, unitId, 2, m.boxPk, s2, eph, admin)) };
    });
    expectFields(cs, { admin_seed: hex(rnd(seed, 1, 32)), unit_id: hex(unitId), gen1_seed: hex(s1), gen2_seed: hex(s2),
      chain_nonce: hex(nonce), event1: hex(ev1), event2: hex(ev2), chain2: hex(chain), seed_wraps: wraps });
    c.unitEventVerify(ev2, admin.signPk, ev1);
    assert.deepEqual(c.chainOpen(chain, unitId, 2, u2.chainKey), s1);
  }
});

test('wrap: thread key and unit seed wraps', () => {
  for (const cs of load('wrap')) {
    const seed = unhex(cs.seed);
    const signer = c.keysPersonal(rnd(seed, 1, 32)), recip = c.keysPersonal(rnd(seed, 2, 32));
    const scope = rnd(seed, 3, 16), key = rnd(seed, 4, 32), eph = rnd(seed, 5, 32);
    const w = c.wrapSeal(num(cs.kind), scope, num(cs.epoch), recip.boxPk, key, eph, signer);
    expectFields(cs, { signer_seed: hex(rnd(seed, 1, 32)), recipient_seed: hex(rnd(seed, 2, 32)), scope_id: hex(scope),
      key: hex(key), eph_seed: hex(eph), wrap: hex(w) });
    assert.deepEqual(c.wrapOpen(w, num(cs.kind), scope, num(cs.epoch), recip, signer.signPk).key, key);
  }
});

test('envelope: message key, content, envelope', () => {
  for (const cs of load('envelope')) {
    const seed = unhex(cs.seed);
    const tkey = rnd(seed, 1, 32), share = rnd(seed, 2, 32);
    const h: c.EnvelopeHeader = { threadId: rnd(seed, 3, 16), messageId: rnd(seed, 4, 16), prevHash: rnd(seed, 5, 32),
      nonce: rnd(seed, 6, 24), epoch: num(cs.epoch), senderSeq: big(cs.sender_seq), createdAt: big(cs.created_at) };
    const sender = c.keysPersonal(rnd(seed, 7, 32));
    const files: c.FileRef[] = cs.file_size === undefined ? [] : [{ fileId: rnd(seed, 8, 16), key: rnd(seed, 9, 32),
      header: rnd(seed, 10, 24), hash: rnd(seed, 11, 32), size: big(cs.file_size), media: num(cs.file_media) }];
    const content = c.contentEncode(files, String(cs.text));
    const mkey = c.threadMsgKey(tkey, h.threadId, h.epoch, share);
    const env = c.envelopeSeal(h, mkey, content, sender);
    expectFields(cs, { thread_key: hex(tkey), share: hex(share), thread_id: hex(h.threadId), message_id: hex(h.messageId),
      prev_hash: hex(h.prevHash), nonce: hex(h.nonce), sender_seed: hex(rnd(seed, 7, 32)), msg_key: hex(mkey),
      content: hex(content), envelope: hex(env) });
    const opened = c.envelopeOpen(env, h.threadId, mkey, sender.signPk);
    assert.equal(c.contentDecode(opened.plain).text, cs.text);
  }
});

test('file: secretstream chunks and ciphertext hash', () => {
  for (const cs of load('file')) {
    const seed = unhex(cs.seed), len = num(cs.length);
    const key = rnd(seed, 1, 32), header = rnd(seed, 2, 24), tid = rnd(seed, 3, 16), fid = rnd(seed, 4, 16);
    const w = new c.FileStream(true, key, header, tid, fid, len);
    const chunks: Record<string, unknown>[] = [];
    const count = c.fileChunkCount(c.filePaddedSize(len));
    for (let k = 0, off = 0; k < count; k++) {
      const n = Math.max(0, Math.min(len - off, c.FILE_CHUNK_BYTES));
      const pt = Uint8Array.from({ length: n }, (_, i) => ((off + i) * 7 + 3) & 0xff);
      const ct = w.pushChunk(pt, k + 1 === count);
      const entry: Record<string, unknown> = {};
      if (ct.length <= 1024) entry.cipher = hex(ct);
      entry.cipher_hash = hex(c.hash(ct));
      entry.cipher_len = ct.length;
      chunks.push(entry);
      off += n;
    }
    expectFields(cs, { key: hex(key), header: hex(header), thread_id: hex(tid), file_id: hex(fid), chunks,
      file_hash: hex(w.hash()) });
  }
});

test('text: the shared plain-text rule of the sniff and strict UTF-8 of message text', () => {
  for (const cs of load('text')) {
    const pre = cs.prefix_a === undefined ? 0 : num(cs.prefix_a), data = unhex(cs.data);
    const b = new Uint8Array(pre + data.length);
    b.fill(0x61, 0, pre);
    b.set(data, pre);
    const content = new Uint8Array(2 + b.length);
    content[0] = 1;
    content.set(b, 2);
    let textOk = true;
    try {
      c.contentDecode(content);
    } catch (e) {
      assert.ok(e instanceof c.CryptoError);
      textOk = false;
    }
    expectFields(cs, { media: c.mediaSniff(b), message_text_ok: textOk });
  }
});

test('pad: attachment size buckets', () => {
  for (const cs of load('pad')) {
    const padded = c.filePaddedSize(num(cs.size)), chunks = c.fileChunkCount(padded);
    expectFields(cs, { padded, chunks, last_chunk: padded - (chunks - 1) * c.FILE_CHUNK_BYTES,
      cipher_bytes: padded + chunks * c.FILE_CHUNK_OVERHEAD });
  }
});
