// rekey.ts - re-keying, byte-identical to libadvice's lib/crypto_rekey.c: the signed,
// numbered, hash-chained unit log (type 11) and its reader checks (continuity, what this
// client saw before, freshness, the newest generation, revocations), and the signed thread
// epoch event (type 12) with the writer's and reader's epoch checks.
// Byte layouts: proto/CRYPTO-FORMATS.md.
import {
  CryptoError, HASH_BYTES, KID_BYTES, OID_BYTES, SIG_BYTES, ObjType, checkLen, equal, forbidden, get32, get64, hash,
  inval, kid, prefixCheck, prefixPut, put32, put64, sign, verify, type Keys,
} from './core';
import type { EnvelopeHeader } from './message';

function withheld(what: string): never {
  throw new CryptoError('withheld', what);
}

function staleEpoch(what: string): never {
  throw new CryptoError('stale_epoch', what);
}

// --- Unit log entries ---

export const ULOG_BYTES = 191;

export const enum UlogKind {
  Generation = 1,
  MemberAdd = 2,
  MemberRemove = 3,
  Revoke = 4,
  Renew = 5,
}

export interface UlogEntry {
  unitId: Uint8Array;
  seq: number;
  prevHash: Uint8Array;
  kind: number;
  generation: number;
  subject: Uint8Array; // 32 bytes; see UlogKind
  at: bigint;
  validUntil: bigint;
  signerKid?: Uint8Array;
}

export function ulogSign(e: UlogEntry, admin: Keys): Uint8Array {
  if (e.seq < 1 || e.kind < UlogKind.Generation || e.kind > UlogKind.Renew) inval('unit log entry number or kind');
  checkLen(e.subject, 32, 'unit log subject');
  const out = new Uint8Array(ULOG_BYTES);
  prefixPut(out, ObjType.UnitLog);
  out.set(e.unitId, 6);
  put32(out, 22, e.seq);
  out.set(e.prevHash, 26);
  out[58] = e.kind;
  put32(out, 59, e.generation);
  out.set(e.subject, 63);
  put64(out, 95, e.at);
  put64(out, 103, e.validUntil);
  out.set(kid(admin.signPk), 111);
  out.set(sign('QA-v1-ulog', out.subarray(0, 127), admin.signSk), 127);
  return out;
}

export function ulogParse(b: Uint8Array): UlogEntry {
  if (b.length !== ULOG_BYTES) inval('unit log entry size');
  prefixCheck(b, ObjType.UnitLog);
  if (get32(b, 22) === 0 || b[58] < UlogKind.Generation || b[58] > UlogKind.Renew) inval('unit log entry number or kind');
  return {
    unitId: b.slice(6, 22), seq: get32(b, 22), prevHash: b.slice(26, 58), kind: b[58], generation: get32(b, 59),
    subject: b.slice(63, 95), at: get64(b, 95), validUntil: get64(b, 103), signerKid: b.slice(111, 127),
  };
}

export function ulogVerify(b: Uint8Array, adminPk: Uint8Array): UlogEntry {
  const e = ulogParse(b);
  if (!equal(kid(adminPk), e.signerKid as Uint8Array)) forbidden('unit log entry of another signer');
  verify(b.subarray(127), 'QA-v1-ulog', b.subarray(0, 127), adminPk, 'unit log entry');
  return e;
}

/** What a reader knows of a unit's log; a client keeps it per unit between logins. */
export interface UlogState {
  unitId: Uint8Array;
  seq: number;
  head: Uint8Array;
  generation: number;
  genEvent: Uint8Array;
  validUntil: bigint;
}

function ulogFollow(s: UlogState, b: Uint8Array, adminPks: Uint8Array[]): void {
  const p = ulogParse(b);
  const pk = adminPks.find((k) => equal(kid(k), p.signerKid as Uint8Array));
  if (pk === undefined) forbidden('unit log entry signed by no known admin');
  const e = ulogVerify(b, pk);
  if (e.seq !== s.seq + 1 || !equal(e.unitId, s.unitId) || !equal(e.prevHash, s.seq === 0 ? new Uint8Array(32) : s.head))
    forbidden(`unit log entry ${e.seq} does not follow entry ${s.seq}`);
  if (e.kind === UlogKind.Generation) {
    if (e.generation !== s.generation + 1) forbidden('unit log generation does not follow');
    s.genEvent = e.subject.slice();
  } else if (e.generation !== s.generation) {
    forbidden('unit log entry changes the generation');
  }
  s.seq = e.seq;
  s.generation = e.generation;
  s.validUntil = e.validUntil;
  s.head = hash(b);
}

/**
 * Checks a unit log as served (oldest first), signed by the admins adminPks (certificates
 * verified to the root by the caller), against what this client saw before (`known`, or
 * null): the entries continue it (none when the log did not grow) or start at number 1 and
 * reach it with the same hash. The head must be valid at `now`, and latestEvent (the newest
 * unit event served, null when none) the log's newest generation. Throws 'forbidden' (bad
 * signature or chain) or 'withheld' (rolled back, forked, stale, or a generation held back).
 * The state returned is what the client keeps for its next check.
 */
export function ulogCheck(unitId: Uint8Array, entries: Uint8Array[], adminPks: Uint8Array[], known: UlogState | null,
  latestEvent: Uint8Array | null, now: bigint): UlogState {
  checkLen(unitId, OID_BYTES, 'unit id');
  let s: UlogState = { unitId, seq: 0, head: new Uint8Array(HASH_BYTES), generation: 0,
    genEvent: new Uint8Array(HASH_BYTES), validUntil: 0n };
  if (known !== null && known.seq > 0 && equal(known.unitId, unitId) &&
    (entries.length === 0 || ulogParse(entries[0]).seq === known.seq + 1)) s = { ...known };
  for (const b of entries) {
    ulogFollow(s, b, adminPks);
    if (known !== null && known.seq === s.seq && !equal(known.head, s.head))
      withheld(`unit log entry ${s.seq} differs from the one seen before`);
  }
  if (known !== null && known.seq > s.seq) withheld(`unit log ends at ${s.seq}; entry ${known.seq} was seen before`);
  if (s.seq === 0 || s.validUntil < now) withheld('the unit log is not fresh: newer entries may be withheld');
  if (latestEvent === null) {
    if (s.generation !== 0) withheld(`unit key generation ${s.generation} withheld`);
  } else if (s.generation === 0 || !equal(hash(latestEvent), s.genEvent)) {
    withheld(`the newest unit key generation ${s.generation} is withheld`);
  }
  return s;
}

/** Throws 'revoked' when the (checked) entries revoke the certificate of signing-key kid signerKid at or before `at`. */
export function ulogRevokedCheck(entries: Uint8Array[], signerKid: Uint8Array, at: bigint): void {
  for (const b of entries) {
    const e = ulogParse(b);
    if (e.kind === UlogKind.Revoke && equal(e.subject.subarray(16, 32), signerKid) && e.at <= at)
      throw new CryptoError('revoked', 'signed by a certificate revoked before');
  }
}

// --- Thread epoch events ---

export const EPOCH_MAX_RECIPIENTS = 16;
export const EPOCH_SKEW_MS = 300000n;
export const epochEventBytes = (n: number): number => 88 + 16 * n + SIG_BYTES;

export const enum EpochReason {
  UnitRotated = 1,
  Reassigned = 2,
  Consent = 3,
}

export interface EpochEvent {
  threadId: Uint8Array;
  epoch: number;
  prevEpoch: number;
  prevHash: Uint8Array;
  reason: number;
  createdAt: bigint;
  recipients: Uint8Array[];
  signerKid?: Uint8Array;
}

export function epochEventSign(ev: EpochEvent, signer: Keys): Uint8Array {
  const n = ev.recipients.length;
  if (ev.epoch < 1 || ev.prevEpoch + 1 !== ev.epoch || n < 1 || n > EPOCH_MAX_RECIPIENTS || ev.reason < 1 ||
    ev.reason > EpochReason.Consent) inval('epoch event fields');
  const body = 88 + 16 * n, out = new Uint8Array(body + SIG_BYTES);
  prefixPut(out, ObjType.EpochEvent);
  out.set(ev.threadId, 6);
  put32(out, 22, ev.epoch);
  put32(out, 26, ev.prevEpoch);
  out.set(ev.prevHash, 30);
  out[62] = ev.reason;
  put64(out, 63, ev.createdAt);
  out.set(kid(signer.signPk), 71);
  out[87] = n;
  ev.recipients.forEach((r, i) => out.set(r, 88 + KID_BYTES * i));
  out.set(sign('QA-v1-epoch', out.subarray(0, body), signer.signSk), body);
  return out;
}

export function epochEventParse(b: Uint8Array): EpochEvent {
  prefixCheck(b, ObjType.EpochEvent);
  if (b.length < epochEventBytes(1)) inval('epoch event size');
  const n = b[87];
  if (n < 1 || n > EPOCH_MAX_RECIPIENTS || b.length !== epochEventBytes(n) || get32(b, 22) === 0 ||
    get32(b, 26) + 1 !== get32(b, 22) || b[62] < 1 || b[62] > EpochReason.Consent) inval('epoch event fields');
  const recipients: Uint8Array[] = [];
  for (let i = 0; i < n; i++) recipients.push(b.slice(88 + 16 * i, 104 + 16 * i));
  return {
    threadId: b.slice(6, 22), epoch: get32(b, 22), prevEpoch: get32(b, 26), prevHash: b.slice(30, 62), reason: b[62],
    createdAt: get64(b, 63), signerKid: b.slice(71, 87), recipients,
  };
}

/** Verifies an event of threadId signed with signerPk that follows prev (or starts epoch 1). */
export function epochEventVerify(b: Uint8Array, threadId: Uint8Array, signerPk: Uint8Array,
  prev: Uint8Array | null): EpochEvent {
  const ev = epochEventParse(b);
  if (!equal(kid(signerPk), ev.signerKid as Uint8Array)) forbidden('epoch event of another signer');
  if (!equal(ev.threadId, threadId)) forbidden('epoch event of another thread');
  verify(b.subarray(b.length - SIG_BYTES), 'QA-v1-epoch', b.subarray(0, b.length - SIG_BYTES), signerPk, 'epoch event');
  if (prev === null) {
    if (ev.epoch !== 1 || ev.prevHash.some((x) => x !== 0)) forbidden('first epoch event must start epoch 1');
  } else {
    const p = epochEventParse(prev);
    if (!equal(p.threadId, ev.threadId) || p.epoch !== ev.prevEpoch || !equal(hash(prev), ev.prevHash))
      forbidden('epoch event does not follow the previous one');
  }
  return ev;
}

/**
 * A writer's check before writing at `epoch`: `current` is the newest verified epoch and
 * `holders` the kids its key is sealed to; the unit's current generation (unitKid) must be
 * one. Throws 'stale_epoch' (re-key first) or 'inval' (an epoch nobody started).
 */
export function epochWritable(epoch: number, current: number, holders: Uint8Array[], unitKid: Uint8Array): void {
  if (epoch > current) inval(`epoch ${epoch} was never started`);
  if (epoch < current) staleEpoch(`epoch ${epoch} was replaced by epoch ${current}`);
  if (!holders.some((h) => equal(h, unitKid)))
    staleEpoch(`epoch ${epoch} is sealed to an older unit key generation: start a new epoch first`);
}

/** A reader's check of a message against the verified epoch events (events[i] starts epoch i + 1). */
export function epochMessageCheck(h: EnvelopeHeader, events: EpochEvent[]): void {
  if (h.epoch > events.length) staleEpoch(`message at epoch ${h.epoch}, which was never started`);
  if (h.epoch === events.length) return;
  const next = events[h.epoch];
  if (next.epoch !== h.epoch + 1 || h.createdAt > next.createdAt + EPOCH_SKEW_MS)
    staleEpoch(`message at epoch ${h.epoch} written after epoch ${h.epoch + 1} began`);
}
