// approval.ts - a new device approved by one of the citizen's other devices (PROTOCOL.md §12.2,
// CRYPTO-FORMATS.md "Approval of a new device"): commit, challenge, reveal, approve.
//
// The new device (NewDeviceApproval) makes its own keys and a nonce, files only the commitment,
// reveals once, with the first challenge it received, shows the code computed with the identity
// the challenge names, and takes the identity seed only when the certificate is for its own keys
// under that identity and the seed gives that identity. The existing device (ApprovalDesk) keeps
// each commitment as it first saw it, picks a fresh challenge only after that, checks the reveal
// against its own copy (a reveal that does not open it is refused and nothing is sent), and
// approves exactly the revealed keys. Requests challenged by another device are not offered.
// Steps come by the event device.request; device.list is read on every reconnect and now and
// then, for an event missed.
import type { Connection } from '../net/index';
import type { Clock } from '../net/clock';
import type { Keys } from '../../crypto/index';
import type { ApprovalAnswer, ApprovalAsk, CitizenKeys } from './contract';
import type { KeyRecord } from './keystore';

/** The encryption module (as crypto-load.ts loads it; named here so that tests need no bundle). */
export type CryptoModule = typeof import('../../crypto/index');
import { b64u, hex, unhex, type DeviceListing, type ListedIdentity, type ListedRequest, requestOf } from './keys-wire';

/** What both sides need: the connection, the encryption module, time, and device.list. */
export interface ApprovalContext {
  conn: Connection;
  c: CryptoModule;
  clock: Clock;
  /** device.list (with this device's kid when it has one), its well-formed parts. */
  listing(): Promise<DeviceListing>;
  /** How often device.list is read while a step is awaited (ms). */
  pollMs: number;
}

/** A request lives ten minutes (§12.2); a deadline is never set later than this. */
export const REQUEST_LIFETIME_MS = 10 * 60_000;

/** Wrap kind 3: an identity seed (CRYPTO-FORMATS.md; the module's WrapKind is a const enum). */
const WRAP_IDENTITY_SEED = 3;

const errorCode = (e: unknown): string => String((e as { code?: unknown })?.code ?? 'failed');

/**
 * The new device's check of an answer: the certificate is for exactly its keys under the
 * identity its code was computed with, the wrap (kind 3, scope that identity, epoch 0) is signed
 * by a device that identity certified, and the seed in it gives that identity. The identity seed,
 * or the reason it was refused.
 */
export function checkApprovalAnswer(c: CryptoModule, dev: Keys, ident: ListedIdentity, answer: { cert: Uint8Array; wrap: Uint8Array }, listing: DeviceListing):
  { seed: Uint8Array } | { reason: string } {
  let cert;
  try {
    cert = c.deviceCertVerify(answer.cert);
  } catch {
    return { reason: 'bad_cert' };
  }
  if (!c.equal(cert.identitySignPk, ident.signPk) || !c.equal(cert.deviceSignPk, dev.signPk) || !c.equal(cert.deviceBoxPk, dev.boxPk)) {
    return { reason: 'wrong_cert' };
  }
  let signerKid: Uint8Array;
  try {
    signerKid = c.wrapParse(answer.wrap).signerKid;
  } catch {
    return { reason: 'bad_wrap' };
  }
  // The approving device: a device of that identity, certified by it, that signed the wrap.
  let signerPk: Uint8Array | null = null;
  for (const d of listing.devices) {
    if (d.identity !== ident.identity) continue;
    try {
      const dc = c.deviceCertVerify(d.cert);
      if (c.equal(dc.identitySignPk, ident.signPk) && c.equal(c.kid(dc.deviceSignPk), signerKid)) signerPk = dc.deviceSignPk;
    } catch {
      // a certificate that does not verify names no signer
    }
  }
  if (signerPk === null) return { reason: 'unknown_signer' };
  let seed: Uint8Array;
  try {
    seed = c.wrapOpen(answer.wrap, WRAP_IDENTITY_SEED, unhex(ident.identity), 0, dev, signerPk).key;
  } catch {
    return { reason: 'wrong_wrap' };
  }
  const idKeys = c.keysPersonal(seed);
  if (!c.equal(idKeys.signPk, ident.signPk) || hex(c.identityId(idKeys.signPk)) !== ident.identity) {
    c.wipe(seed);
    return { reason: 'wrong_identity' };
  }
  return { seed };
}

/** The new device's side: one request, followed until it is answered, expires or is cancelled. */
export class NewDeviceApproval {
  private readonly seed: Uint8Array;
  private readonly dev: CitizenKeys['device'];
  private readonly nonce: Uint8Array;
  private request: string | null = null;
  /** The identity and challenge of the first challenge received: fixed once set. */
  private revealed: { ident: ListedIdentity; nOld: Uint8Array } | null = null;
  private accepting = false;
  private finished = false;
  private readonly stops: (() => void)[] = [];
  private pollTimer: unknown = undefined;

  constructor(private readonly ctx: ApprovalContext, private readonly onChange: (s: ApprovalAsk) => void,
    /** Saves the keys and makes them ready; a rejection fails the approval. */
    private readonly onApproved: (record: KeyRecord) => Promise<void>) {
    const c = ctx.c;
    this.seed = c.random(32);
    this.dev = c.keysPersonal(this.seed);
    this.nonce = c.random(c.APPROVAL_NONCE_BYTES);
  }

  async start(): Promise<void> {
    const { conn, c, clock } = this.ctx;
    this.stops.push(conn.onEvent('device.request', (m) => this.seen(requestOf(m))));
    this.stops.push(conn.onState((s) => {
      if (s.kind === 'open') this.poll();
    }));
    const deadline = clock.setTimer(() => this.fail('expired'), REQUEST_LIFETIME_MS);
    this.stops.push(() => clock.clearTimer(deadline));
    try {
      const r = await conn.request('device.request', { commit: b64u(c.deviceCommit(this.dev.signPk, this.dev.boxPk, this.nonce)) });
      if (this.finished) return;
      this.request = r.request;
    } catch (e) {
      this.fail(errorCode(e) === 'rate_limited' ? 'rate_limited' : errorCode(e));
      return;
    }
    this.emit({ kind: 'waiting' });
    this.schedulePoll();
  }

  cancel(): void {
    if (this.finished) return;
    this.stop();
  }

  private emit(s: ApprovalAsk): void {
    if (this.finished && s.kind !== 'done' && s.kind !== 'expired' && s.kind !== 'failed') return;
    try {
      this.onChange(s);
    } catch {
      // a view's failure does not stop the approval
    }
  }

  private stop(): void {
    this.finished = true;
    for (const f of this.stops.splice(0)) f();
    if (this.pollTimer !== undefined) this.ctx.clock.clearTimer(this.pollTimer);
    this.ctx.c.wipe(this.seed);
  }

  private fail(reason: string): void {
    if (this.finished) return;
    this.stop();
    this.emit(reason === 'expired' || reason === 'not_found' ? { kind: 'expired' } : { kind: 'failed', reason });
  }

  private schedulePoll(): void {
    if (this.finished) return;
    if (this.pollTimer !== undefined) this.ctx.clock.clearTimer(this.pollTimer);
    this.pollTimer = this.ctx.clock.setTimer(() => {
      this.pollTimer = undefined;
      this.poll();
      this.schedulePoll();
    }, this.ctx.pollMs);
  }

  /** device.list: the request's step, when its event was missed; gone from the list: expired. */
  private poll(): void {
    if (this.finished || this.request === null) return;
    this.ctx.listing().then((l) => {
      const mine = l.requests.find((r) => r.request === this.request);
      if (mine === undefined) this.fail('expired');
      else this.seen(mine, l);
    }, () => undefined);
  }

  private seen(req: ListedRequest | null, listing?: DeviceListing): void {
    if (this.finished || req === null || req.request !== this.request) return;
    if (this.revealed === null && req.identity !== null && req.challenge !== null) {
      void this.reveal(req.identity, req.challenge, listing);
    } else if (this.revealed !== null && req.answer !== null && !this.accepting) {
      void this.accept(req.answer);
    }
  }

  /** Reveals once, with the first challenge received; shows the code of the challenge's identity. */
  private async reveal(identity: string, challenge: Uint8Array, listing?: DeviceListing): Promise<void> {
    const { conn, c } = this.ctx;
    const kept: { ident: ListedIdentity; nOld: Uint8Array } = { ident: { identity, signPk: new Uint8Array(32), boxPk: new Uint8Array(32), firstSeen: 0 }, nOld: challenge.slice() };
    this.revealed = kept; // fixed now: any later challenge is ignored
    try {
      const l = listing ?? (await this.ctx.listing());
      const ident = l.identities.find((i) => i.identity === identity);
      if (ident === undefined) return this.fail('unknown_identity');
      kept.ident = ident;
      if (this.finished) return;
      await conn.request('device.reveal', {
        request: this.request!, box_pk: b64u(this.dev.boxPk), sign_pk: b64u(this.dev.signPk), nonce: b64u(this.nonce),
      });
      if (this.finished) return;
      this.emit({ kind: 'compare', code: c.compareCode(ident.signPk, this.dev.signPk, this.dev.boxPk, this.nonce, kept.nOld) });
      this.poll(); // the answer may have come before the reply
    } catch (e) {
      this.fail(errorCode(e));
    }
  }

  private async accept(answer: { cert: Uint8Array; wrap: Uint8Array }): Promise<void> {
    const c = this.ctx.c;
    this.accepting = true;
    try {
      const ident = this.revealed!.ident;
      const listing = await this.ctx.listing();
      if (this.finished) return;
      const checked = checkApprovalAnswer(c, this.dev, ident, answer, listing);
      if ('reason' in checked) return this.fail(checked.reason);
      const record: KeyRecord = {
        deviceSeed: this.seed.slice(), identitySeed: checked.seed, identityId: ident.identity,
        deviceKid: hex(c.kid(this.dev.boxPk)), complete: true,
      };
      await this.onApproved(record);
      if (this.finished) return;
      this.stop();
      this.emit({ kind: 'done' });
    } catch (e) {
      this.fail(errorCode(e));
    }
  }
}

interface DeskEntry {
  request: string;
  created: number;
  /** Local time after which the request is taken as expired. */
  deadline: number;
  /** The commitment as this device first saw it, before it chose its challenge. */
  commit: Uint8Array;
  /** This device's challenge, once it sent one (never reused). */
  nOld: Uint8Array | null;
  /** The revealed keys that opened the commitment. */
  reveal: { boxPk: Uint8Array; signPk: Uint8Array } | null;
  state: ApprovalAnswer;
  /** The number of device.list reads asked before this entry was seen. */
  polls: number;
}

/** The existing device's side: the requests of new devices, challenged and approved from here. */
export class ApprovalDesk {
  private readonly entries = new Map<string, DeskEntry>();
  private readonly watchers = new Set<(requests: ApprovalAnswer[]) => void>();
  private readonly stops: (() => void)[] = [];
  private pollTimer: unknown = undefined;
  private polls = 0;

  constructor(private readonly ctx: ApprovalContext, private readonly keys: CitizenKeys,
    private readonly identitySeed: Uint8Array, private readonly slowPollMs: number) {}

  watch(fn: (requests: ApprovalAnswer[]) => void): () => void {
    this.watchers.add(fn);
    if (this.watchers.size === 1) {
      this.stops.push(this.ctx.conn.onEvent('device.request', (m) => this.seen(requestOf(m))));
      this.stops.push(this.ctx.conn.onState((s) => {
        if (s.kind === 'open') this.poll();
      }));
      this.poll();
    }
    fn(this.snapshot());
    return () => {
      this.watchers.delete(fn);
      if (this.watchers.size === 0) this.close();
    };
  }

  close(): void {
    for (const f of this.stops.splice(0)) f();
    if (this.pollTimer !== undefined) this.ctx.clock.clearTimer(this.pollTimer);
    this.pollTimer = undefined;
    this.watchers.clear();
  }

  snapshot(): ApprovalAnswer[] {
    return [...this.entries.values()].sort((a, b) => a.created - b.created).map((e) => e.state);
  }

  private emit(): void {
    const list = this.snapshot();
    for (const fn of [...this.watchers]) {
      try {
        fn(list);
      } catch {
        // a view's failure does not stop the others
      }
    }
  }

  private set(e: DeskEntry, state: ApprovalAnswer): void {
    e.state = state;
    this.emit();
  }

  private schedulePoll(): void {
    if (this.watchers.size === 0) return;
    if (this.pollTimer !== undefined) this.ctx.clock.clearTimer(this.pollTimer);
    const waiting = [...this.entries.values()].some((e) => e.state.kind === 'waiting');
    this.pollTimer = this.ctx.clock.setTimer(() => {
      this.pollTimer = undefined;
      this.poll();
    }, waiting ? this.ctx.pollMs : this.slowPollMs);
  }

  /** device.list: requests new to this device, steps whose event was missed, and those gone. */
  private poll(): void {
    const asked = ++this.polls;
    this.ctx.listing().then((l) => {
      const listed = new Set(l.requests.map((r) => r.request));
      for (const r of l.requests) this.seen(r);
      let changed = false;
      for (const [id, e] of this.entries) {
        // Only an entry seen before this read was asked can be missing from it.
        if (!listed.has(id) && e.polls < asked) changed = this.expire(e) || changed;
      }
      this.expireDue();
      if (changed) this.emit();
    }, () => undefined).finally(() => this.schedulePoll());
  }

  /** A request no longer listed: expired when it was open, forgotten once finished. */
  private expire(e: DeskEntry): boolean {
    const k = e.state.kind;
    if (k === 'done' || k === 'refused') {
      this.entries.delete(e.request);
    } else {
      e.state = { kind: 'refused', request: e.request, reason: 'expired' };
    }
    return true;
  }

  private expireDue(): void {
    const now = this.ctx.clock.now();
    let changed = false;
    for (const e of this.entries.values()) {
      const k = e.state.kind;
      if (now >= e.deadline && k !== 'done' && k !== 'refused') {
        e.state = { kind: 'refused', request: e.request, reason: 'expired' };
        changed = true;
      }
    }
    if (changed) this.emit();
  }

  private seen(req: ListedRequest | null): void {
    if (req === null) return;
    const e = this.entries.get(req.request);
    if (e === undefined) {
      // Offered only while no device has challenged it: one challenged elsewhere is not ours.
      if (req.identity !== null || req.challenge !== null || req.answer !== null) return;
      const life = Math.min(REQUEST_LIFETIME_MS, Math.max(0, req.expires - req.created));
      this.entries.set(req.request, {
        request: req.request, created: req.created, deadline: this.ctx.clock.now() + life, commit: req.commit.slice(),
        nOld: null, reveal: null, state: { kind: 'incoming', request: req.request, created: req.created }, polls: this.polls,
      });
      this.emit();
      return;
    }
    if (e.state.kind === 'waiting' && e.nOld !== null && req.reveal !== null) this.check(e, req.reveal);
  }

  /** The reveal against this device's own copy of the commitment: the code, or refused. */
  private check(e: DeskEntry, reveal: { boxPk: Uint8Array; signPk: Uint8Array; nonce: Uint8Array }): void {
    const c = this.ctx.c;
    let code: string;
    try {
      code = c.compareCodeChecked(e.commit, this.keys.identity.signPk, reveal.signPk, reveal.boxPk, reveal.nonce, e.nOld!);
    } catch {
      this.set(e, { kind: 'refused', request: e.request, reason: 'commitment' });
      return;
    }
    e.reveal = { boxPk: reveal.boxPk.slice(), signPk: reveal.signPk.slice() };
    this.set(e, { kind: 'compare', request: e.request, code });
  }

  private entry(request: string, kind: ApprovalAnswer['kind']): DeskEntry {
    const e = this.entries.get(request);
    if (e === undefined || e.state.kind !== kind) throw Object.assign(new Error(`the request is not at '${kind}'`), { code: 'failed' });
    return e;
  }

  /** A fresh challenge, chosen now (after the commitment was kept), sent with this identity. */
  async challenge(request: string): Promise<void> {
    const { c, conn } = this.ctx;
    const e = this.entry(request, 'incoming');
    const nOld = c.random(c.APPROVAL_NONCE_BYTES);
    e.nOld = nOld;
    this.set(e, { kind: 'waiting', request });
    try {
      await conn.request('device.challenge', { request, identity: this.keys.identityId, challenge: b64u(nOld) });
    } catch (err) {
      const code = errorCode(err);
      if (code === 'conflict') this.entries.delete(request); // another device took it
      else if (code === 'not_found') e.state = { kind: 'refused', request, reason: 'expired' };
      else if (e.state.kind === 'waiting') {
        e.nOld = null; // never reused: a new try picks a new one
        e.state = { kind: 'incoming', request, created: e.created };
      }
      this.emit();
      throw err;
    }
    this.schedulePoll();
  }

  /** The certificate for exactly the revealed keys and the identity seed sealed to them. */
  async approve(request: string): Promise<void> {
    const { c, conn, clock } = this.ctx;
    const e = this.entry(request, 'compare');
    const r = e.reveal!;
    const cert = c.deviceCertSign(this.keys.identity, r.signPk, r.boxPk, BigInt(clock.now()));
    const wrap = c.identitySeedWrap(this.identitySeed, r.boxPk, c.random(32), this.keys.device);
    try {
      await conn.request('device.approve', { request, cert: b64u(cert), wrap: b64u(wrap) });
    } catch (err) {
      if (errorCode(err) === 'not_found') this.set(e, { kind: 'refused', request, reason: 'expired' });
      throw err;
    }
    this.set(e, { kind: 'done', request });
  }

  /** Refused here: nothing is sent (the request expires on the server). */
  decline(request: string): void {
    const e = this.entries.get(request);
    if (e === undefined || e.state.kind === 'done' || e.state.kind === 'refused') return;
    this.set(e, { kind: 'refused', request, reason: e.state.kind === 'compare' ? 'mismatch' : 'declined' });
  }
}
