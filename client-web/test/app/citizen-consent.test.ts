// citizen-consent.test.ts - the citizen's consent to hand a thread over to the client record
// (src/app/citizen/consent.ts) with the real encryption module, a real Connection and the fake
// adviced of citizen-threads-fake.ts, extended here with a connector certified by the pinned
// root, consent.give and consent.withdraw as adviced checks them, and the thread summary's
// `consent`/`handed_over`: the thread key of every epoch is sealed to the connector and opens
// with its key; the consent event hashes exactly the texts shown and names their language; a
// connector certificate of another root, of another role or out of date is refused before
// anything is sent; withdrawal's new epoch (reason 3) is sealed to the unit's current
// generation and the identity only, so the connector cannot read what is written after it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as c from '../../src/crypto/index';
import { Connection } from '../../src/app/net/connection';
import type { CitizenKeys, ConsentController, ShownConsent } from '../../src/app/citizen/contract';
import { connectorOf, consentStatusOf } from '../../src/app/citizen/consent';
import { createThreadsController, type CitizenThreads } from '../../src/app/citizen/threads';
import { MemoryKv, ThreadsError } from '../../src/app/citizen/threads-util';
import { countingBytes, FakeClock, fixedRandom } from './net-fakes';
import { b64, CATEGORY, CitizenServer, NOW, staffEnvelope, unb64, USER, World, type FakeThread } from './citizen-threads-fake';

before(async () => {
  await c.ready();
});

const hex = (b: Uint8Array): string => c.sodium.to_hex(b);
/** The consent event of the wire opened as the connector would: signed by the citizen's device. */
const consentEventRead = (_c: unknown, b: Uint8Array, signerPk: Uint8Array): c.ConsentInfo => {
  const p = c.consentParse(b);
  return c.consentOpen(b, { kind: p.kind, threadId: p.threadId }, signerPk);
};
const validity = { notBefore: BigInt(NOW - 86400_000), notAfter: BigInt(NOW + 365 * 86400_000) };
const SHOWN: ShownConsent = { lang: 'sv', recipient: 'Klientdatasystemet Lifecare', scope: 'Frågor och svar i denna tråd med bilagor',
  text: 'Jag samtycker till att tråden lagras i mina klienthandlingar.' };

interface ConsentRow {
  connector: string;
  given: number;
  withdrawn: number | null;
  epoch: number;
  event: string;
}

/** The fake adviced with a connector and consent.give / consent.withdraw (§14.3-14.5). */
class ConsentServer extends CitizenServer {
  /** The connector certificates keys.unit serves besides the admins'. */
  connectorCerts: Uint8Array[] = [];
  readonly consents = new Map<string, ConsentRow>();
  readonly connectorWraps = new Map<string, Uint8Array[]>();
  handedOver = false;

  receive(sock: Parameters<CitizenServer['receive']>[0], text: string): void {
    const req = JSON.parse(text) as Record<string, unknown>;
    const answer = (o: Record<string, unknown>): void => (sock as unknown as { push(o: unknown): void }).push({ id: req.id, ...o });
    if (!['keys.unit', 'thread.get', 'consent.give', 'consent.withdraw'].includes(req.type as string)) return super.receive(sock, text);
    this.received.push(req);
    try {
      answer({ type: 'ok', ...this.consentRun(req) });
    } catch (e) {
      const [code, field] = (e as Error).message.split(' ');
      answer({ type: 'error', code, message: 'refused', ...(field ? { field } : {}) });
    }
  }

  private t(id: unknown): FakeThread {
    const t = this.threads.get(id as string);
    if (t === undefined) throw new Error('not_found /thread');
    return t;
  }

  private consentRun(req: Record<string, unknown>): Record<string, unknown> {
    const w = this.w;
    switch (req.type) {
      case 'keys.unit':
        return { root: null, certs: [b64(w.adminCert), b64(w.rogueAdminCert), ...this.connectorCerts.map(b64)], unit: w.unit,
          generations: w.generations, log: this.log.map(b64), log_more: false };
      case 'thread.get': {
        const t = this.t(req.thread);
        return { summary: { ...this.summary(t), consent: this.consents.get(t.thread) ?? null, handed_over: this.handedOver } };
      }
      case 'consent.give': {
        const t = this.t(req.thread);
        const live = this.consents.get(t.thread);
        if (live !== undefined && live.withdrawn === null) throw new Error('conflict');
        const ev = consentEventRead(c, unb64(req.event as string), w.device.signPk);
        if (hex(ev.threadId) !== t.thread || hex(ev.connectorKid) !== req.connector || ev.kind !== 1 || ev.epoch !== t.epoch)
          throw new Error('bad_request /event');
        const wraps = (req.wraps as string[]).map(unb64);
        const epochs = wraps.map((x) => c.wrapParse(x)).map((i) => {
          if (hex(i.recipientKid) !== req.connector || hex(i.scopeId) !== t.thread) throw new Error('bad_request /wraps');
          return i.epoch;
        }).sort();
        if (epochs.join() !== Array.from({ length: t.epoch + 1 }, (_, i) => i).join()) throw new Error('bad_request /wraps');
        const row = { connector: req.connector as string, given: this.clock.now(), withdrawn: null, epoch: t.epoch, event: req.event as string };
        this.consents.set(t.thread, row);
        this.connectorWraps.set(t.thread, wraps);
        return { consent: row };
      }
      case 'consent.withdraw': {
        const t = this.t(req.thread);
        const live = this.consents.get(t.thread);
        if (live === undefined || live.withdrawn !== null) throw new Error('conflict');
        const ev = consentEventRead(c, unb64(req.event as string), w.device.signPk);
        const event = unb64(req.epoch_event as string), epoch = c.epochEventParse(event);
        if (epoch.epoch !== t.epoch + 1) throw new Error('conflict /epoch_event');
        c.epochEventVerify(event, epoch.threadId, w.device.signPk, t.epochs.length > 0 ? unb64(t.epochs[t.epochs.length - 1]) : null);
        if (ev.kind !== 2 || hex(ev.connectorKid) !== live.connector || ev.epoch !== epoch.epoch || epoch.reason !== 3)
          throw new Error('bad_request /event');
        const wraps = req.wraps as string[];
        if (wraps.length !== epoch.recipients.length) throw new Error('bad_request /wraps');
        t.epochs.push(req.epoch_event as string);
        t.wraps.push(...wraps);
        t.epoch = epoch.epoch;
        live.withdrawn = this.clock.now();
        this.connectorWraps.delete(t.thread);
        return { consent: live };
      }
      default:
        throw new Error('unknown_type');
    }
  }
}

interface Setup {
  w: World;
  clock: FakeClock;
  server: ConsentServer;
  ctrl: CitizenThreads;
  consent: ConsentController;
  connector: c.Keys;
}

function connectorCert(w: World, k: c.Keys, issuer: c.Keys, over: Partial<c.Cert> = {}): Uint8Array {
  return c.certSign({ role: 3, subjectId: c.random(16), signPk: k.signPk, boxPk: k.boxPk, ...validity, ...over }, issuer);
}

function setup(): Setup {
  const w = new World(), clock = new FakeClock(NOW);
  const server = new ConsentServer(clock, w);
  const connector = c.keysPersonal(c.random(32));
  server.connectorCerts = [connectorCert(w, connector, w.root)];
  const conn = new Connection({ socket: server.factory, clock, random: fixedRandom(0.5), randomBytes: countingBytes });
  const keys: CitizenKeys = { userId: USER, identity: w.identity, identityId: hex(c.kid(w.identity.signPk)),
    device: w.device, deviceKid: hex(c.kid(w.device.boxPk)), deviceSeed: w.deviceSeed };
  conn.start();
  const ctrl = createThreadsController(conn, { crypto: c, rootKey: w.root.signPk }, keys, { clock, store: new MemoryKv() });
  assert.ok(ctrl.consent !== undefined);
  return { w, clock, server, ctrl, consent: ctrl.consent, connector };
}

async function settle<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  for (let i = 0; i < 300 && !done; i++) await clock.advance(1000);
  assert.ok(done, 'the operation settled');
  return p;
}

async function ask(s: Setup, text: string): Promise<FakeThread> {
  const thread = await settle(s.clock, s.ctrl.ask({ category: CATEGORY, text, files: [], lang: 'fi' }, () => undefined));
  return s.server.threads.get(thread) as FakeThread;
}

/** A thread at epoch 1: asked, answered, then the unit's key rotated and the citizen replied. */
async function twoEpochThread(s: Setup): Promise<FakeThread> {
  const t = await ask(s, 'Kysymys');
  s.server.append(t, 'worker', staffEnvelope(s.w, t, s.w.worker, 'Vastaus'));
  s.server.rotateUnit(s.clock.now() + 1000);
  await s.clock.advance(5000);
  await settle(s.clock, s.ctrl.reply(t.thread, 'Toinen viesti', [], () => undefined));
  assert.equal(t.epoch, 1);
  return t;
}

/** The thread key of `epoch` as a holder of `keys` opens it from t's wraps (signed by the device). */
function keyFor(t: FakeThread, wraps: Uint8Array[], epoch: number, keys: c.Keys, signer: c.Keys): Uint8Array | null {
  const tid = c.sodium.from_hex(t.thread);
  for (const x of wraps) {
    const i = c.wrapParse(x);
    if (i.epoch !== epoch || !c.equal(i.recipientKid, c.kid(keys.boxPk))) continue;
    return c.wrapOpen(x, 1, tid, epoch, keys, signer.signPk).key;
  }
  return null;
}

/** The text of message seq of t opened with the thread key of its epoch. */
function readWith(s: Setup, t: FakeThread, seq: number, key: Uint8Array): string {
  const tid = c.sodium.from_hex(t.thread), env = unb64(t.messages[seq - 1].body), h = c.envelopeParse(env);
  const sender = [s.w.device, s.w.worker].find((k) => c.equal(c.kid(k.signPk), h.senderKid as Uint8Array)) as c.Keys;
  return c.contentDecode(c.envelopeOpen(env, tid, c.threadMsgKey(key, tid, h.epoch, t.share), sender.signPk).plain).text;
}

test('giving consent seals the key of every epoch to the connector and signs what was shown', async () => {
  const s = setup();
  const t = await twoEpochThread(s);
  const before = await settle(s.clock, s.consent.status(t.thread));
  assert.deepEqual(before, { consent: null, handedOver: false });
  const st = await settle(s.clock, s.consent.give(t.thread, SHOWN));
  assert.equal(st.consent?.withdrawn, null);
  assert.equal(st.consent?.epoch, 1);
  const [req] = s.server.requests('consent.give');
  assert.equal(req.connector, hex(c.kid(s.connector.boxPk)), 'named by the kid of its X25519 key');
  // One wrap per epoch, each opening with the connector's key to that epoch's thread key.
  const wraps = (req.wraps as string[]).map(unb64);
  assert.deepEqual(wraps.map((x) => c.wrapParse(x).epoch).sort(), [0, 1]);
  const k0 = keyFor(t, wraps, 0, s.connector, s.w.device), k1 = keyFor(t, wraps, 1, s.connector, s.w.device);
  assert.ok(k0 !== null && k1 !== null);
  assert.equal(readWith(s, t, 1, k0), 'Kysymys');
  assert.equal(readWith(s, t, 2, k0), 'Vastaus');
  assert.equal(readWith(s, t, 3, k1), 'Toinen viesti');
  // The event: kind 1, this thread, the connector, the current epoch, the texts shown, their language.
  const ev = consentEventRead(c, unb64(req.event as string), s.w.device.signPk);
  assert.equal(ev.kind, 1);
  assert.equal(hex(ev.threadId), t.thread);
  assert.deepEqual(ev.connectorKid, c.kid(s.connector.boxPk));
  assert.equal(ev.epoch, 1);
  assert.deepEqual(ev.scopeHash, c.hash(new TextEncoder().encode(SHOWN.scope)));
  assert.deepEqual(ev.textHash, c.hash(new TextEncoder().encode(SHOWN.text)));
  assert.equal(ev.lang, 'sv');
  assert.ok(ev.created >= BigInt(NOW) && ev.created <= BigInt(s.clock.now()), 'dated');
  // Shown afterwards from the summary.
  const after = await settle(s.clock, s.consent.status(t.thread));
  assert.equal(after.consent?.connector, hex(c.kid(s.connector.boxPk)));
  // A second consent while one is live: the server says conflict, the live one is shown.
  const again = await settle(s.clock, s.consent.give(t.thread, SHOWN));
  assert.equal(again.consent?.given, after.consent?.given);
});

test('a connector certificate not chained to the pinned root, of another role or out of date is refused before sending', async () => {
  const cases: [string, (s: Setup) => Uint8Array[]][] = [
    ['signed by another root', (s) => [connectorCert(s.w, s.connector, s.w.rogueRoot)]],
    ['signed by an admin of the root', (s) => [connectorCert(s.w, s.connector, s.w.admin)]],
    ['expired', (s) => [connectorCert(s.w, s.connector, s.w.root, { notBefore: BigInt(NOW - 10 * 86400_000),
      notAfter: BigInt(NOW - 86400_000) })]],
    ['a worker certificate', (s) => [s.w.workerCert]],
    ['none at all', () => []],
  ];
  for (const [what, certs] of cases) {
    const s = setup();
    s.server.connectorCerts = certs(s);
    const t = await ask(s, 'Kysymys');
    await assert.rejects(settle(s.clock, s.consent.give(t.thread, SHOWN)),
      (e: unknown) => e instanceof ThreadsError && e.code === 'no_connector', what);
    assert.equal(s.server.requests('consent.give').length, 0, `${what}: nothing sent`);
  }
  // connectorOf alone: a rogue certificate beside the real one is passed over.
  const w = new World(), real = c.keysPersonal(c.random(32)), rogue = c.keysPersonal(c.random(32));
  const found = connectorOf(c, [b64(connectorCert(w, rogue, w.rogueRoot, { notBefore: BigInt(NOW - 1000) })),
    b64(connectorCert(w, real, w.root)), 'not base64!', 42], w.root.signPk, NOW);
  assert.deepEqual(found?.boxPk, real.boxPk);
});

test("withdrawal starts an epoch (reason 3) for the unit and the identity only: the connector cannot read what follows", async () => {
  const s = setup();
  const t = await twoEpochThread(s);
  await settle(s.clock, s.consent.give(t.thread, SHOWN));
  const st = await settle(s.clock, s.consent.withdraw(t.thread, SHOWN));
  assert.equal(st.consent?.withdrawn, s.server.consents.get(t.thread)?.withdrawn);
  assert.notEqual(st.consent?.withdrawn, null);
  const [req] = s.server.requests('consent.withdraw');
  const tid = c.sodium.from_hex(t.thread);
  const ev = c.epochEventVerify(unb64(req.epoch_event as string), tid, s.w.device.signPk, unb64(t.epochs[0]));
  assert.deepEqual([ev.epoch, ev.prevEpoch, ev.reason], [2, 1, 3]);
  assert.deepEqual(ev.recipients, [c.kid(s.w.current.boxPk), c.kid(s.w.identity.boxPk)], 'the unit generation and the identity');
  assert.ok(!ev.recipients.some((r) => c.equal(r, c.kid(s.connector.boxPk))), 'not the connector');
  const wraps = (req.wraps as string[]).map(unb64);
  assert.ok(wraps.every((x) => !c.equal(c.wrapParse(x).recipientKid, c.kid(s.connector.boxPk))), 'no wrap to the connector');
  const consentEv = consentEventRead(c, unb64(req.event as string), s.w.device.signPk);
  assert.deepEqual([consentEv.kind, consentEv.epoch], [2, 2]);
  assert.deepEqual(consentEv.connectorKid, c.kid(s.connector.boxPk));
  // The citizen writes on at epoch 2; the unit reads it, the connector's keys of epochs 0 and 1 do not.
  await settle(s.clock, s.ctrl.reply(t.thread, 'Peruutuksen jälkeen', [], () => undefined));
  const last = t.messages.length;
  assert.equal(c.envelopeParse(unb64(t.messages[last - 1].body)).epoch, 2);
  const unitKey = keyFor(t, t.wraps.map(unb64), 2, s.w.current, s.w.device);
  assert.ok(unitKey !== null);
  assert.equal(readWith(s, t, last, unitKey), 'Peruutuksen jälkeen');
  const given = (s.server.requests('consent.give')[0].wraps as string[]).map(unb64);
  for (const e of [0, 1]) {
    const k = keyFor(t, given, e, s.connector, s.w.device) as Uint8Array;
    assert.throws(() => readWith(s, t, last, k), `the connector's key of epoch ${e}`);
  }
  assert.equal(keyFor(t, t.wraps.map(unb64), 2, s.connector, s.w.device), null);
  // Nothing left to withdraw.
  await assert.rejects(settle(s.clock, s.consent.withdraw(t.thread, SHOWN)),
    (e: unknown) => e instanceof ThreadsError && e.code === 'no_consent');
});

test("withdrawal follows another writer's epoch started meanwhile", async () => {
  const s = setup();
  const t = await twoEpochThread(s);
  await settle(s.clock, s.consent.give(t.thread, SHOWN));
  // Another epoch lands between the keys read and the withdrawal: the first try is refused.
  let once = true;
  const orig = s.server.receive.bind(s.server);
  s.server.receive = (sock, text) => {
    if (once && (JSON.parse(text) as { type: string }).type === 'consent.withdraw') {
      once = false;
      const key = c.random(32), tid = c.sodium.from_hex(t.thread), e = t.epoch + 1;
      const ev = c.epochEventSign({ threadId: tid, epoch: e, prevEpoch: e - 1, prevHash: c.hash(unb64(t.epochs[t.epochs.length - 1])),
        reason: 1, createdAt: BigInt(s.clock.now()), recipients: [c.kid(s.w.current.boxPk), c.kid(s.w.identity.boxPk)] }, s.w.worker);
      t.epochs.push(b64(ev));
      for (const pk of [s.w.current.boxPk, s.w.identity.boxPk]) t.wraps.push(b64(c.wrapSeal(1, tid, e, pk, key, c.random(32), s.w.worker)));
      t.epoch = e;
    }
    orig(sock, text);
  };
  const st = await settle(s.clock, s.consent.withdraw(t.thread, SHOWN));
  assert.notEqual(st.consent?.withdrawn, null);
  assert.equal(s.server.requests('consent.withdraw').length, 2);
  assert.equal(t.epoch, 3);
  assert.equal(c.epochEventParse(unb64(t.epochs[2])).reason, 3);
});

test("a thread's consent of another shape is refused; absent fields mean none", () => {
  assert.deepEqual(consentStatusOf({}), { consent: null, handedOver: false });
  assert.deepEqual(consentStatusOf({ consent: null, handed_over: true }), { consent: null, handedOver: true });
  const good = { connector: 'ab'.repeat(16), given: NOW, withdrawn: null, epoch: 0, event: 'x' };
  assert.equal(consentStatusOf({ consent: good }).consent?.given, NOW);
  for (const bad of [{ ...good, connector: '<b>x</b>' }, { ...good, given: '1' }, { ...good, withdrawn: -1 }, { ...good, event: 5 },
    { ...good, epoch: 1.5 }, 'consent', [good]]) {
    assert.throws(() => consentStatusOf({ consent: bad }), (e: unknown) => e instanceof ThreadsError && e.code === 'damaged');
  }
  assert.equal(consentStatusOf({ handed_over: 'yes' }).handedOver, false);
});
