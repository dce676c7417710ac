// thread.test.ts - the thread verifier (src/crypto/thread.ts) on the scenarios of
// proto/vectors/thread.json, the same as tests/crypto/crypto_thread_vectors.c: the envelopes
// are made again from the seed and must equal the file's, each delivery must get the verdict
// written there, and each sender's next sequence and prev hash must match. Then a staff
// sender's certificate chain: found through thread.read's certificates, refused when the
// server made the "worker" certificate under a key of its own.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as c from '../src/crypto';

const { sodium } = c;
const dir = process.env.ADVICE_SOURCE_DIR !== undefined ? join(process.env.ADVICE_SOURCE_DIR, 'proto', 'vectors')
  : join(__dirname, '..', '..', '..', 'proto', 'vectors');

interface Msg {
  sender: number; seq: number; prev: number | 'zero' | 'unknown'; epoch?: number; id_of?: number;
  other_thread?: boolean; tamper?: boolean;
}
interface Scenario {
  name: string; seed: string; senders: boolean[]; messages: Msg[]; deliver: [number, c.ThreadVerdict][];
  complete: boolean; thread_id: string; sender_sign_pks: string[]; envelopes: string[];
  next: { seq: number; prev_hash: string }[];
}

const hex = (b: Uint8Array): string => sodium.to_hex(b);
const rnd = (seed: Uint8Array, i: number, n: number): Uint8Array => sodium.crypto_kdf_derive_from_key(n, i, 'QAvector', seed);

before(async () => {
  await c.ready();
});

/** The scenario's envelopes, made as crypto_thread_vectors.c makes them. */
function build(s: Scenario): { senders: c.Keys[]; envs: Uint8Array[]; tid: Uint8Array } {
  const seed = sodium.from_hex(s.seed);
  const tkey = rnd(seed, 1, 32), share = rnd(seed, 2, 32), tid = rnd(seed, 3, 16), other = rnd(seed, 4, 16);
  const senders = s.senders.map((_, i) => c.keysPersonal(rnd(seed, 16 + i, 32)));
  const envs: Uint8Array[] = [];
  s.messages.forEach((m, i) => {
    const threadId = m.other_thread === true ? other : tid;
    const epoch = m.epoch ?? 0;
    const prevHash = m.prev === 'zero' ? new Uint8Array(32) : m.prev === 'unknown' ? rnd(seed, 192 + i, 32)
      : c.envelopeHash(envs[m.prev]);
    const env = c.envelopeSeal({
      threadId, messageId: rnd(seed, 64 + (m.id_of ?? i), 16), epoch, senderSeq: BigInt(m.seq), prevHash,
      createdAt: 1765000000000n + 1000n * BigInt(i), nonce: rnd(seed, 128 + i, 24),
    }, c.threadMsgKey(tkey, threadId, epoch, share), c.contentEncode([], `message ${i}`), senders[m.sender]);
    if (m.tamper === true) env[c.ENVELOPE_HEADER_BYTES] ^= 1;
    envs.push(env);
  });
  return { senders, envs, tid };
}

test('thread: the scenarios of thread.json', () => {
  const f = JSON.parse(readFileSync(join(dir, 'thread.json'), 'utf8'));
  assert.ok(f.cases.length >= 8);
  for (const s of f.cases as Scenario[]) {
    const { senders, envs, tid } = build(s);
    assert.equal(hex(tid), s.thread_id, s.name);
    assert.deepEqual(senders.map((k) => hex(k.signPk)), s.sender_sign_pks, s.name);
    assert.deepEqual(envs.map(hex), s.envelopes, `${s.name}: envelopes`);
    const lookup: c.SenderLookup = (h) => {
      const i = senders.findIndex((k, j) => s.senders[j] && c.equal(c.kid(k.signPk), h.senderKid as Uint8Array));
      return i < 0 ? null : senders[i].signPk;
    };
    const t = new c.ThreadVerifier(tid, lookup);
    s.deliver.forEach(([i, want], k) => {
      assert.equal(t.add(envs[i]).verdict, want, `${s.name}: delivery ${k} (message ${i})`);
    });
    assert.equal(t.complete(), s.complete, `${s.name}: complete`);
    senders.forEach((k, i) => {
      const n = t.next(c.kid(k.signPk));
      assert.deepEqual({ seq: Number(n.senderSeq), prev_hash: hex(n.prevHash) }, s.next[i], `${s.name}: next ${i}`);
    });
  }
});

test('thread: garbage is malformed, not a crash', () => {
  const t = new c.ThreadVerifier(new Uint8Array(16), () => null);
  assert.equal(t.add(new Uint8Array(10)).verdict, 'malformed');
  assert.equal(t.add(new Uint8Array(466)).verdict, 'malformed');
  assert.equal(t.count, 0);
  assert.ok(t.complete());
  assert.ok(c.verdictAccepted('late') && !c.verdictAccepted('replay'));
});

test('thread: a staff sender is found only through a chain to the pinned root', () => {
  const root = c.keysPersonal(c.random(32)), admin = c.keysPersonal(c.random(32));
  const worker = c.keysPersonal(c.random(32)), rogue = c.keysPersonal(c.random(32));
  const now = 1770000000000n;
  const cert = (role: number, k: c.Keys, issuer: c.Keys): Uint8Array => c.certSign({
    role, subjectId: c.random(16), signPk: k.signPk, boxPk: k.boxPk, notBefore: now - 1000n, notAfter: now + 1000n,
  }, issuer);
  const adminCert = cert(1, admin, root), workerCert = cert(2, worker, admin);
  const wk = c.kid(worker.signPk);
  const found = c.certFind([workerCert, adminCert], wk, root.signPk, now);
  assert.ok(found !== null && c.equal(found.signPk, worker.signPk));
  assert.equal(c.certFind([workerCert], wk, root.signPk, now), null, 'no admin certificate');
  assert.equal(c.certFind([workerCert, adminCert], wk, root.signPk, now + 5000n), null, 'expired');
  // The server mints a "worker" certificate for a key of its own under an admin key of its own.
  const fakeAdmin = cert(1, rogue, rogue), fake = cert(2, worker, rogue);
  assert.equal(c.certFind([fake, fakeAdmin], wk, root.signPk, now), null, 'server-made chain');
  assert.equal(c.certFind([fake, fakeAdmin], wk, rogue.signPk, now)?.role, 2, 'it chains to its own root only');
});
