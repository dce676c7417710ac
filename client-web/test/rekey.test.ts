// rekey.test.ts - re-keying in the TypeScript module: the vectors of the unit log (type 11)
// and the thread epoch event (type 12), and a malicious server: one that withholds the newest
// unit key generation, rolls the unit log back or lets it go stale; one that serves a message
// signed by a revoked worker; one that accepts or serves a message at a stale epoch. The
// client refuses each with its own error code.
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
const rnd = (seed: Uint8Array, i: number, n: number): Uint8Array => sodium.crypto_kdf_derive_from_key(n, i, 'QAvector', seed);
const keys = (): c.Keys => c.keysPersonal(c.random(32));
const fails = (code: c.CryptoErrorCode, f: () => unknown): void => {
  assert.throws(f, (e: unknown) => e instanceof c.CryptoError && e.code === code);
};

function load(name: string): Case[] {
  const f = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  assert.equal(f.format_version, 1);
  assert.ok(f.cases.length > 0);
  return f.cases;
}

before(async () => {
  await c.ready();
});

test('vectors: unit log of four entries and the reader state', () => {
  const kinds = [c.UlogKind.Generation, c.UlogKind.MemberAdd, c.UlogKind.Revoke, c.UlogKind.Renew];
  for (const cs of load('unitlog')) {
    const seed = unhex(cs.seed), admin = c.keysPersonal(rnd(seed, 1, 32)), unitId = rnd(seed, 2, 16);
    const event = rnd(seed, 3, 64), at = BigInt(cs.at as number), validity = BigInt(cs.validity_ms as number);
    assert.equal(hex(rnd(seed, 1, 32)), cs.admin_seed);
    assert.equal(hex(unitId), cs.unit_id);
    assert.equal(hex(event), cs.event);
    const entries: Uint8Array[] = [];
    kinds.forEach((kind, i) => {
      let subject: Uint8Array = new Uint8Array(32);
      if (kind === c.UlogKind.Generation) subject = c.hash(event);
      else if (kind !== c.UlogKind.Renew) subject = c.concat(rnd(seed, 4 + 2 * i, 16), rnd(seed, 5 + 2 * i, 16));
      const e = c.ulogSign({ unitId, seq: i + 1, prevHash: i === 0 ? new Uint8Array(32) : c.hash(entries[i - 1]), kind,
        generation: 1, subject, at: at + BigInt(1000 * i), validUntil: at + BigInt(1000 * i) + validity }, admin);
      entries.push(e);
    });
    assert.deepEqual(entries.map((e) => ({ entry: hex(e) })), cs.entries);
    const st = c.ulogCheck(unitId, entries, [admin.signPk], null, event, at);
    assert.equal(st.seq, cs.state_seq);
    assert.equal(hex(st.head), cs.state_head);
    assert.equal(st.generation, cs.state_generation);
    assert.equal(st.validUntil, BigInt(cs.state_valid_until as number));
  }
});

test('vectors: two chained epoch events', () => {
  for (const cs of load('epoch')) {
    const seed = unhex(cs.seed), signer = c.keysPersonal(rnd(seed, 1, 32)), threadId = rnd(seed, 2, 16);
    const n = Number(cs.recipients), at = BigInt(cs.created_at as number);
    const recipients = Array.from({ length: n }, (_, i) => rnd(seed, 10 + i, 16));
    const ev1 = c.epochEventSign({ threadId, epoch: 1, prevEpoch: 0, prevHash: new Uint8Array(32),
      reason: c.EpochReason.UnitRotated, createdAt: at, recipients }, signer);
    const ev2 = c.epochEventSign({ threadId, epoch: 2, prevEpoch: 1, prevHash: c.hash(ev1),
      reason: c.EpochReason.Reassigned, createdAt: at + 60000n, recipients: [rnd(seed, 30, 16), ...recipients.slice(1)] },
    signer);
    assert.equal(hex(rnd(seed, 1, 32)), cs.signer_seed);
    assert.equal(hex(threadId), cs.thread_id);
    assert.equal(hex(ev1), cs.event1);
    assert.equal(hex(ev2), cs.event2);
    c.epochEventVerify(ev1, threadId, signer.signPk, null);
    assert.equal(c.epochEventVerify(ev2, threadId, signer.signPk, ev1).epoch, 2);
    fails('forbidden', () => c.epochEventVerify(ev2, threadId, signer.signPk, null));
    fails('forbidden', () => c.epochEventVerify(ev1, c.random(16), signer.signPk, null));
    fails('forbidden', () => c.epochEventVerify(ev1, threadId, keys().signPk, null));
  }
});

// --- A unit as an admin keeps it, and a server that serves it (honestly or not) ---

const T0 = 1770000000000n, DAY = 86400000n;

class Unit {
  readonly id = c.random(16);
  readonly admin = keys();
  readonly log: Uint8Array[] = [];
  readonly events: Uint8Array[] = [];
  readonly gens: Array<c.Keys & { chainKey: Uint8Array }> = [];

  private append(kind: number, subject: Uint8Array, at: bigint, validity = 7n * DAY): void {
    this.log.push(c.ulogSign({ unitId: this.id, seq: this.log.length + 1,
      prevHash: this.log.length === 0 ? new Uint8Array(32) : c.hash(this.log[this.log.length - 1]), kind,
      generation: this.gens.length, subject, at, validUntil: at + validity }, this.admin));
  }

  rotate(members: c.Keys[], at: bigint): void {
    const g = c.keysUnit(c.random(32));
    this.gens.push(g);
    this.events.push(c.unitEventSign({ unitId: this.id, generation: this.gens.length, boxPk: g.boxPk, signPk: g.signPk,
      prevHash: this.events.length === 0 ? new Uint8Array(32) : c.hash(this.events[this.events.length - 1]),
      createdAt: at, members: members.map((m) => c.kid(m.boxPk)) }, this.admin));
    this.append(c.UlogKind.Generation, c.hash(this.events[this.events.length - 1]), at);
  }

  revoke(userId: Uint8Array, worker: c.Keys, at: bigint): void {
    this.append(c.UlogKind.Revoke, c.concat(userId, c.kid(worker.signPk)), at);
  }

  renew(at: bigint, validity = 7n * DAY): void {
    this.append(c.UlogKind.Renew, new Uint8Array(32), at, validity);
  }

  current(): c.Keys {
    return this.gens[this.gens.length - 1];
  }
}

test('malicious server: a withheld unit key generation is detected', () => {
  const u = new Unit(), anna = keys(), sara = keys();
  u.rotate([anna, sara], T0);
  const seen = c.ulogCheck(u.id, u.log, [u.admin.signPk], null, u.events[0], T0 + 1000n);
  // sara leaves: generation 2. A server that serves the old log and generation 1 only...
  u.rotate([anna], T0 + DAY);
  fails('withheld', () => c.ulogCheck(u.id, u.log.slice(0, 1), [u.admin.signPk], null, u.events[0], T0 + 8n * DAY));
  // ...or the new log with generation 1 as the newest event...
  fails('withheld', () => c.ulogCheck(u.id, u.log, [u.admin.signPk], seen, u.events[0], T0 + DAY + 1000n));
  // ...or a log shorter than the one this client saw before.
  const later = c.ulogCheck(u.id, u.log, [u.admin.signPk], seen, u.events[1], T0 + DAY + 1000n);
  assert.equal(later.generation, 2);
  fails('withheld', () => c.ulogCheck(u.id, u.log.slice(0, 1), [u.admin.signPk], later, u.events[0], T0 + DAY + 2000n));
  fails('withheld', () => c.ulogCheck(u.id, [], [u.admin.signPk], null, null, T0));
  // A fork (another entry 2 signed by the admin) is not what this client saw.
  const fork = new Unit();
  Object.assign(fork, { id: u.id, admin: u.admin });
  fork.log.push(u.log[0]);
  fork.gens.push(u.gens[0]);
  fork.events.push(u.events[0]);
  fork.renew(T0 + DAY);
  fails('withheld', () => c.ulogCheck(u.id, fork.log, [u.admin.signPk], later, u.events[0], T0 + DAY + 1000n));
  // Paging: the entries after the state kept continue it; none at all when nothing changed.
  u.renew(T0 + 2n * DAY);
  const paged = c.ulogCheck(u.id, u.log.slice(2), [u.admin.signPk], later, u.events[1], T0 + 2n * DAY);
  assert.equal(paged.seq, 3);
  assert.equal(c.ulogCheck(u.id, [], [u.admin.signPk], paged, u.events[1], T0 + 3n * DAY).seq, 3);
  // Freshness: past the head's validity the client refuses until an admin renews the log.
  fails('withheld', () => c.ulogCheck(u.id, [], [u.admin.signPk], paged, u.events[1], T0 + 10n * DAY));
  // Entries signed by someone who is no admin, or edited, do not verify.
  fails('forbidden', () => c.ulogCheck(u.id, u.log, [keys().signPk], null, u.events[1], T0));
  const edited = u.log.map((e) => e.slice());
  edited[1][70] ^= 1;
  fails('forbidden', () => c.ulogCheck(u.id, edited, [u.admin.signPk], null, u.events[1], T0));
});

function envelopeAt(tid: Uint8Array, epoch: number, tkey: Uint8Array, share: Uint8Array, sender: c.Keys,
  createdAt: bigint): Uint8Array {
  return c.envelopeSeal({ threadId: tid, messageId: c.random(16), epoch, senderSeq: 0n, prevHash: new Uint8Array(32),
    createdAt, nonce: c.random(24) }, c.threadMsgKey(tkey, tid, epoch, share), c.contentEncode([], 'hei'), sender);
}

test('malicious server: a revoked worker\'s message is refused', () => {
  const u = new Unit(), anna = keys(), mallory = keys(), malloryId = c.random(16);
  u.rotate([anna, mallory], T0);
  u.revoke(malloryId, mallory, T0 + DAY);
  const st = c.ulogCheck(u.id, u.log, [u.admin.signPk], null, u.events[0], T0 + DAY);
  assert.equal(st.seq, 2);
  const tid = c.random(16), tkey = c.random(32), share = c.random(32);
  const before = c.envelopeParse(envelopeAt(tid, 0, tkey, share, mallory, T0 + 1000n));
  const after = c.envelopeParse(envelopeAt(tid, 0, tkey, share, mallory, T0 + DAY + 1n));
  c.ulogRevokedCheck(u.log, c.kid(mallory.signPk), before.createdAt);
  fails('revoked', () => c.ulogRevokedCheck(u.log, c.kid(mallory.signPk), after.createdAt));
  c.ulogRevokedCheck(u.log, c.kid(anna.signPk), after.createdAt);
});

test('malicious server: stale epochs are refused by writers and readers', () => {
  const u = new Unit(), anna = keys(), sara = keys(), citizen = keys();
  u.rotate([anna, sara], T0);
  const tid = c.random(16), share = c.random(32), k0 = c.random(32);
  const wraps0 = [c.wrapSeal(c.WrapKind.ThreadKey, tid, 0, u.current().boxPk, k0, c.random(32), citizen),
    c.wrapSeal(c.WrapKind.ThreadKey, tid, 0, citizen.boxPk, k0, c.random(32), citizen)];
  const holders0 = wraps0.map((w) => c.wrapParse(w).recipientKid);
  c.epochWritable(0, 0, holders0, c.kid(u.current().boxPk));
  // sara leaves; the unit's log names generation 2: epoch 0 is sealed to generation 1 only, so
  // the next writer (anna's client) must start epoch 1 before writing.
  u.rotate([anna], T0 + DAY);
  const st = c.ulogCheck(u.id, u.log, [u.admin.signPk], null, u.events[1], T0 + DAY);
  assert.equal(st.generation, 2);
  fails('stale_epoch', () => c.epochWritable(0, 0, holders0, c.kid(u.current().boxPk)));
  const k1 = c.random(32), recipients = [c.kid(u.current().boxPk), c.kid(citizen.boxPk)];
  const ev1 = c.epochEventSign({ threadId: tid, epoch: 1, prevEpoch: 0, prevHash: new Uint8Array(32),
    reason: c.EpochReason.UnitRotated, createdAt: T0 + DAY + 10n, recipients }, anna);
  const events = [c.epochEventVerify(ev1, tid, anna.signPk, null)];
  c.epochWritable(1, 1, events[0].recipients, c.kid(u.current().boxPk));
  fails('stale_epoch', () => c.epochWritable(0, 1, events[0].recipients, c.kid(u.current().boxPk)));
  fails('inval', () => c.epochWritable(2, 1, events[0].recipients, c.kid(u.current().boxPk)));
  // The citizen reads every epoch: an old message at epoch 0, a new one at epoch 1...
  const old = c.envelopeParse(envelopeAt(tid, 0, k0, share, citizen, T0 + 5000n));
  const fresh = c.envelopeParse(envelopeAt(tid, 1, k1, share, anna, T0 + DAY + 20n));
  c.epochMessageCheck(old, events);
  c.epochMessageCheck(fresh, events);
  // ...but a message at epoch 0 written after epoch 1 began (sara, removed, through a server
  // that accepted it) is refused, and so is one at an epoch nobody started.
  const late = c.envelopeParse(envelopeAt(tid, 0, k0, share, sara, T0 + DAY + 10n + c.EPOCH_SKEW_MS + 1n));
  fails('stale_epoch', () => c.epochMessageCheck(late, events));
  const ahead = c.envelopeParse(envelopeAt(tid, 2, k1, share, anna, T0 + DAY + 30n));
  fails('stale_epoch', () => c.epochMessageCheck(ahead, events));
  // The wraps of epoch 1 open for the unit's new generation and the citizen, not for sara.
  const w1 = c.wrapSeal(c.WrapKind.ThreadKey, tid, 1, u.current().boxPk, k1, c.random(32), anna);
  assert.deepEqual(c.wrapOpen(w1, c.WrapKind.ThreadKey, tid, 1, u.current(), anna.signPk).key, k1);
  fails('forbidden', () => c.wrapOpen(w1, c.WrapKind.ThreadKey, tid, 1, u.gens[0], anna.signPk));
});
