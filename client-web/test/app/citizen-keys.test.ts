// citizen-keys.test.ts - the citizen's keys on the device (src/app/citizen/keys.ts, approval.ts)
// against a fake adviced with real crypto (citizen-keys-server.ts): the first login and the
// next start on the same store; recovery with the right code, a typo and another code; approval
// of a new device end to end (the same code on both, the same identity), by events and by
// device.list when the events are missed; a server that puts its own keys in place of the
// reveal, or another identity's wrap in place of the answer, is refused; removing this device,
// or the server no longer listing it, wipes the keys here, and with them this citizen's drafts,
// questions being asked and outbox records (another user's on the same browser are left).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from '../../src/crypto/index';
import type { ApprovalAnswer, ApprovalAsk, KeyController, KeyState } from '../../src/app/citizen/contract';
import { createKeyController, KeyError } from '../../src/app/citizen/keys';
import { checkRecord, MemoryKeyStore } from '../../src/app/citizen/keystore';
import { b64u, hex } from '../../src/app/citizen/keys-wire';
import { forgetUserData } from '../../src/app/citizen/forget';
import { Drafts } from '../../src/app/citizen/drafts';
import { PendingOpens } from '../../src/app/citizen/pending-open';
import { MemoryKv } from '../../src/app/citizen/threads-util';
import { MemoryOutboxStore, Outbox } from '../../src/app/net/outbox';
import { outboxCipher } from '../../src/app/net/outbox-cipher';
import { FakeClock } from './net-fakes';
import { CITIZEN, KeyServer } from './citizen-keys-server';

const cs = { crypto };
type ForgetFn = (userId: string, deviceSeed: Uint8Array | null) => Promise<void>;

before(async () => {
  await crypto.ready();
});

interface Device {
  keys: KeyController;
  store: MemoryKeyStore;
  forgotten: string[];
}

function world() {
  const clock = new FakeClock();
  const server = new KeyServer(clock);
  const device = (store = new MemoryKeyStore(), opts: { deaf?: boolean; onForget?: ForgetFn } = {}): Device => {
    const forgotten: string[] = [];
    const keys = createKeyController(server.connect(opts), cs, CITIZEN, {
      store, clock, pollMs: 5_000, slowPollMs: 60_000, onForget: async (u, seed) => {
        forgotten.push(u);
        await opts.onForget?.(u, seed);
      },
    });
    return { keys, store, forgotten };
  };
  /** Lets the fake time run until `cond` holds (each round: pending work, then `stepMs`). */
  const until = async (cond: () => boolean, what: string, stepMs = 0): Promise<void> => {
    for (let i = 0; i < 200 && !cond(); i++) await clock.advance(stepMs);
    assert.ok(cond(), `never: ${what}`);
  };
  return { clock, server, device, until };
}

const kind = (k: KeyController): KeyState['kind'] => k.state().kind;

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof KeyError && e.code === code);
}

/** A citizen with one ready device; the recovery code shown at its first login. */
async function firstDevice(w: ReturnType<typeof world>): Promise<Device & { code: string }> {
  const d = w.device();
  await w.until(() => kind(d.keys) !== 'loading', 'the first device loads');
  assert.equal(kind(d.keys), 'first-login');
  const { recoveryCode } = await d.keys.createIdentity();
  assert.equal(kind(d.keys), 'first-login', 'not ready before the code is confirmed as saved');
  await d.keys.finishSetup!();
  assert.equal(kind(d.keys), 'ready');
  return { ...d, code: recoveryCode };
}

function readyIdentity(k: KeyController): string {
  const s = k.state();
  assert.equal(s.kind, 'ready');
  return s.kind === 'ready' ? s.keys.identityId : '';
}

test('first login: the identity, this device and the recovery box on the server; the next start is ready', async () => {
  const w = world();
  const a = await firstDevice(w);
  assert.match(a.code, /^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){6}$/);
  assert.equal(w.server.identities.size, 1);
  assert.equal(w.server.devices.size, 1);
  assert.equal(w.server.boxes.size, 1);
  const rec = checkRecord(await a.store.load(CITIZEN))!;
  assert.equal(rec.complete, true);
  assert.ok(!JSON.stringify([...a.store.users()]).includes(a.code));

  const again = w.device(a.store);
  await w.until(() => kind(again.keys) !== 'loading', 'the second start loads');
  assert.equal(readyIdentity(again.keys), readyIdentity(a.keys));
  const devs = await again.keys.devices();
  assert.equal(devs.length, 1);
  assert.ok(devs[0].current && devs[0].verified);
});

test('a reload before the code was confirmed resumes the setup with the same keys and a new code', async () => {
  const w = world();
  const a = w.device();
  await w.until(() => kind(a.keys) === 'first-login', 'first login');
  const first = await a.keys.createIdentity();
  const again = w.device(a.store);
  await w.until(() => kind(again.keys) !== 'loading', 'reloaded');
  assert.equal(kind(again.keys), 'first-login');
  const second = await again.keys.createIdentity();
  assert.notEqual(second.recoveryCode, first.recoveryCode);
  assert.equal(w.server.identities.size, 1, 'the same identity, not a second one');
  await again.keys.finishSetup!();
  assert.equal(kind(again.keys), 'ready');
});

test('recovery: a typo and another code are told apart; the right code as typed gives the identity', async () => {
  const w = world();
  const a = await firstDevice(w);
  const b = w.device();
  await w.until(() => kind(b.keys) !== 'loading', 'the new device loads');
  assert.deepEqual(b.keys.state(), { kind: 'new-device', identities: 1, hasRecovery: true });

  const last = a.code.slice(-1);
  const typo = a.code.slice(0, -1) + (last === 'Z' ? 'Y' : 'Z');
  await rejectsWith(b.keys.recover(typo), 'typo');
  await rejectsWith(b.keys.recover('not a code'), 'typo');
  const other = crypto.recoveryCodeFormat(crypto.random(crypto.RECOVERY_SECRET_BYTES));
  await rejectsWith(b.keys.recover(other), 'wrong_code');
  assert.equal(kind(b.keys), 'new-device');

  await b.keys.recover(a.code.toLowerCase().replace(/-/g, ' '));
  assert.equal(readyIdentity(b.keys), readyIdentity(a.keys));
  assert.equal(w.server.devices.size, 2);
  assert.equal(checkRecord(await b.store.load(CITIZEN))!.identityId, readyIdentity(a.keys));
});

test('without a recovery box: no_recovery; starting anew makes a second identity', async () => {
  const w = world();
  const a = await firstDevice(w);
  w.server.boxes.clear();
  const b = w.device();
  await w.until(() => kind(b.keys) !== 'loading', 'the new device loads');
  assert.deepEqual(b.keys.state(), { kind: 'new-device', identities: 1, hasRecovery: false });
  await rejectsWith(b.keys.recover(a.code), 'no_recovery');
  const { recoveryCode } = await b.keys.startNewIdentity();
  assert.ok(recoveryCode.length > 0);
  await b.keys.finishSetup!();
  assert.notEqual(readyIdentity(b.keys), readyIdentity(a.keys));
  assert.equal(w.server.identities.size, 2);
});

/** Runs an approval of a new device `b` from `a` up to the codes; returns what each side saw. */
async function approvalToCodes(w: ReturnType<typeof world>, a: Device, b: Device, stepMs = 0) {
  const answers: ApprovalAnswer[][] = [];
  const unwatch = a.keys.watchApprovals((r) => answers.push(r));
  const asks: ApprovalAsk[] = [];
  const ask = b.keys.askApproval((s) => asks.push(s));
  await w.until(() => asks.at(-1)?.kind === 'waiting', 'the request is filed', stepMs);
  await w.until(() => answers.at(-1)?.[0]?.kind === 'incoming', 'the existing device sees it', stepMs);
  const request = answers.at(-1)![0].request;
  await a.keys.challenge(request);
  await w.until(() => asks.at(-1)?.kind !== 'waiting', 'the new device reveals', stepMs);
  await w.until(() => answers.at(-1)?.[0]?.kind !== 'waiting', 'the existing device checks the reveal', stepMs);
  return { answers, asks, request, ask, unwatch };
}

test('approval: both devices show the same code; the new device holds the same identity', async () => {
  const w = world();
  const a = await firstDevice(w);
  const b = w.device();
  await w.until(() => kind(b.keys) === 'new-device', 'the new device loads');
  const { answers, asks, request } = await approvalToCodes(w, a, b);
  const shownNew = asks.at(-1)!, shownOld = answers.at(-1)![0];
  assert.equal(shownNew.kind, 'compare');
  assert.equal(shownOld.kind, 'compare');
  assert.match((shownNew as { code: string }).code, /^\d{4} \d{4} \d{4}$/);
  assert.equal((shownNew as { code: string }).code, (shownOld as { code: string }).code);
  await a.keys.approve(request);
  await w.until(() => asks.at(-1)?.kind === 'done', 'the new device takes the identity');
  assert.equal(answers.at(-1)![0].kind, 'done');
  assert.equal(readyIdentity(b.keys), readyIdentity(a.keys));
  assert.equal(w.server.devices.size, 2);
  assert.equal(w.server.received.filter((r) => r.type === 'device.reveal').length, 1, 'revealed once');
  const devs = await b.keys.devices();
  assert.equal(devs.filter((d) => d.current).length, 1);
  assert.ok(devs.every((d) => d.verified));
});

test('approval with every event missed: device.list carries the steps, and a later challenge is ignored', async () => {
  const w = world();
  const a = await firstDevice(w);
  const b = w.device(new MemoryKeyStore(), { deaf: true });
  await w.until(() => kind(b.keys) === 'new-device', 'the new device loads');
  const { asks, answers, request } = await approvalToCodes(w, a, b, 1_000);
  assert.equal(asks.at(-1)!.kind, 'compare');
  assert.equal((asks.at(-1) as { code: string }).code, (answers.at(-1)![0] as { code: string }).code);
  // The server changes the challenge afterwards: the new device keeps the one it revealed with.
  w.server.requests.get(request)!.challenge = b64u(crypto.random(32));
  await w.clock.advance(10_000);
  assert.equal(asks.filter((s) => s.kind === 'compare').length, 1);
  await a.keys.approve(request);
  await w.until(() => asks.at(-1)?.kind === 'done', 'the answer by device.list', 1_000);
  assert.equal(readyIdentity(b.keys), readyIdentity(a.keys));
});

test('the server puts its own keys in place of the reveal: refused on the existing device, nothing approved', async () => {
  const w = world();
  const a = await firstDevice(w);
  const b = w.device();
  await w.until(() => kind(b.keys) === 'new-device', 'the new device loads');
  const own = crypto.keysPersonal(crypto.random(32));
  w.server.substituteReveal = { box_pk: b64u(own.boxPk), sign_pk: b64u(own.signPk), nonce: b64u(crypto.random(32)) };
  const { answers, request } = await approvalToCodes(w, a, b);
  assert.deepEqual(answers.at(-1)![0], { kind: 'refused', request, reason: 'commitment' });
  await rejectsWith(a.keys.approve(request), 'failed');
  assert.equal(w.server.received.filter((r) => r.type === 'device.approve').length, 0);
});

test('a wrap of another identity in place of the answer is refused by the new device', async () => {
  const w = world();
  const a = await firstDevice(w);
  // A second identity of the citizen, with a device of its own that signs the substituted wrap.
  const other = w.device();
  await w.until(() => kind(other.keys) === 'new-device', 'another device');
  await other.keys.startNewIdentity();
  await other.keys.finishSetup!();
  const os = other.keys.state();
  assert.equal(os.kind, 'ready');
  const b = w.device();
  await w.until(() => kind(b.keys) === 'new-device', 'the new device loads');
  const { asks, request } = await approvalToCodes(w, a, b);
  if (os.kind !== 'ready') return;
  const rec = checkRecord(await other.store.load(CITIZEN))!;
  const bBox = w.server.requests.get(request)!.box_pk!;
  // Sealed to the new device and signed by the approving device, but the other identity's seed.
  const as = a.keys.state();
  if (as.kind !== 'ready') return;
  w.server.substituteWrap = b64u(crypto.identitySeedWrap(rec.identitySeed!, fromB64(bBox), crypto.random(32), as.keys.device));
  await a.keys.approve(request);
  await w.until(() => asks.at(-1)?.kind === 'failed', 'the new device refuses');
  assert.deepEqual(asks.at(-1), { kind: 'failed', reason: 'wrong_wrap' });
  assert.equal(kind(b.keys), 'new-device');
  assert.equal(await b.store.load(CITIZEN), null);
});

function fromB64(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'base64url'));
}

test('an approval not answered in ten minutes expires on both devices', async () => {
  const w = world();
  const a = await firstDevice(w);
  const b = w.device();
  await w.until(() => kind(b.keys) === 'new-device', 'the new device loads');
  const answers: ApprovalAnswer[][] = [];
  a.keys.watchApprovals((r) => answers.push(r));
  const asks: ApprovalAsk[] = [];
  b.keys.askApproval((s) => asks.push(s));
  await w.until(() => answers.at(-1)?.[0]?.kind === 'incoming', 'incoming');
  await w.clock.advance(10 * 60_000 + 1);
  await w.until(() => asks.at(-1)?.kind === 'expired', 'the new device gives up');
  await w.until(() => answers.at(-1)?.[0]?.kind !== 'incoming', 'the existing device drops it', 30_000);
  assert.ok(answers.at(-1)!.length === 0 || answers.at(-1)![0].kind === 'refused');
});

test('removing this device wipes its keys here (and its drafts and outbox, by onForget)', async () => {
  const w = world();
  const a = await firstDevice(w);
  const s = a.keys.state();
  const kid = s.kind === 'ready' ? s.keys.deviceKid : '';
  await a.keys.removeDevice(kid);
  assert.equal(kind(a.keys), 'removed');
  assert.equal(await a.store.load(CITIZEN), null);
  assert.deepEqual(a.forgotten, [CITIZEN]);
  assert.equal(w.server.devices.size, 0);
  await rejectsWith(a.keys.removeDevice(kid), 'failed');
});

/** Puts a draft, a question being asked and an outbox record of `user` under `seed` in the stores. */
async function keepSomething(kv: MemoryKv, outbox: MemoryOutboxStore, user: string, seed: Uint8Array, clock: FakeClock): Promise<void> {
  const drafts = new Drafts(crypto, kv, seed, user);
  await drafts.save(null, 'uusi kysymys');
  await drafts.save('1'.repeat(32), 'vastaus');
  const cipher = outboxCipher(crypto.sodium, seed, user);
  await new PendingOpens(crypto, kv, cipher).add({ thread: '2'.repeat(32), category: 'income', lang: 'fi', key: crypto.random(32),
    body: null, created: clock.now() });
  const id = `req-${user.slice(0, 4)}-${hex(seed.subarray(0, 4))}`;
  await new Outbox(outbox, cipher, clock).add({ type: 'message.send', id, thread: '1'.repeat(32), body: 'x' });
}

test('forgetting this device deletes its drafts, questions being asked and outbox, not another user\'s', async () => {
  const w = world();
  const kv = new MemoryKv(), outbox = new MemoryOutboxStore();
  const seeds: (Uint8Array | null)[] = [];
  const a = await firstDevice(w);
  const b = w.device(a.store, {
    onForget: async (u, seed) => {
      seeds.push(seed === null ? null : seed.slice());
      if (seed !== null) await forgetUserData(crypto, { kv, outbox }, u, seed);
    },
  });
  await w.until(() => kind(b.keys) !== 'loading', 'reloaded');
  const rec = checkRecord(await a.store.load(CITIZEN))!;
  const OTHER = 'e'.repeat(32), otherSeed = crypto.random(32);
  await keepSomething(kv, outbox, CITIZEN, rec.deviceSeed, w.clock);
  await keepSomething(kv, outbox, OTHER, otherSeed, w.clock);
  await keepSomething(kv, outbox, OTHER, rec.deviceSeed, w.clock); // another user, the same seed
  assert.equal(kv.map.size, 9);
  assert.equal(outbox.records.size, 3);

  const s = b.keys.state();
  await b.keys.removeDevice(s.kind === 'ready' ? s.keys.deviceKid : '');
  assert.equal(kind(b.keys), 'removed');
  assert.deepEqual(seeds, [rec.deviceSeed], 'told with the seed its records open under');
  assert.equal(await new Drafts(crypto, kv, rec.deviceSeed, CITIZEN).load(null), '', 'the drafts are gone');
  assert.equal(kv.map.size, 6, 'three records of this user deleted');
  assert.equal(outbox.records.size, 2);
  assert.deepEqual(await new Outbox(outbox, outboxCipher(crypto.sodium, rec.deviceSeed, CITIZEN), w.clock).load(), []);
  for (const seed of [otherSeed, rec.deviceSeed]) {
    const drafts = new Drafts(crypto, kv, seed, OTHER);
    assert.equal(await drafts.load(null), 'uusi kysymys', 'another user\'s drafts are left');
    assert.equal(await drafts.load('1'.repeat(32)), 'vastaus');
    const cipher = outboxCipher(crypto.sodium, seed, OTHER);
    assert.equal((await new PendingOpens(crypto, kv, cipher).list()).length, 1);
    assert.equal((await new Outbox(outbox, cipher, w.clock).load()).length, 1);
  }
});

test('a device the server no longer lists starts as removed, its keys wiped', async () => {
  const w = world();
  const a = await firstDevice(w);
  w.server.devices.clear();
  const again = w.device(a.store);
  await w.until(() => kind(again.keys) !== 'loading', 'reloaded');
  assert.equal(kind(again.keys), 'removed');
  assert.equal(await a.store.load(CITIZEN), null);
  assert.deepEqual(again.forgotten, [CITIZEN]);
  again.keys.restart!();
  await w.until(() => kind(again.keys) !== 'loading', 'set up again');
  assert.deepEqual(again.keys.state(), { kind: 'new-device', identities: 1, hasRecovery: true });
});

test('a stored record that does not hold together is dropped; a certificate not listed for it fails', async () => {
  const w = world();
  const a = await firstDevice(w);
  const rec = checkRecord(await a.store.load(CITIZEN))!;
  await a.store.save(CITIZEN, { ...rec, identityId: 'f'.repeat(32) });
  const b = w.device(a.store);
  await w.until(() => kind(b.keys) !== 'loading', 'loaded');
  assert.equal(kind(b.keys), 'new-device');
  assert.equal(await a.store.load(CITIZEN), null);

  const c = await firstDevice(world());
  const crec = checkRecord(await c.store.load(CITIZEN))!;
  const w2 = world();
  const d = await firstDevice(w2);
  const drec = checkRecord(await d.store.load(CITIZEN))!;
  // w2's server lists d's device; give d's kid another identity's certificate.
  const cert = crypto.deviceCertSign(crypto.keysPersonal(crec.identitySeed!), crypto.keysPersonal(drec.deviceSeed).signPk,
    crypto.keysPersonal(drec.deviceSeed).boxPk, 1n);
  w2.server.devices.get(drec.deviceKid!)!.cert = b64u(cert);
  const e = w2.device(d.store);
  await w2.until(() => kind(e.keys) !== 'loading', 'loaded');
  assert.deepEqual(e.keys.state(), { kind: 'failed', reason: 'device_cert' });
  assert.equal(hex(crypto.kid(crypto.keysPersonal(drec.deviceSeed).boxPk)), drec.deviceKid);
});
