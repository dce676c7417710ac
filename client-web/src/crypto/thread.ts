// thread.ts - the thread verifier, the same as libadvice's lib/crypto_thread.c: a reader's
// record of the envelopes it accepted in one thread, which catches a server that replays,
// reorders or drops messages, and the look-up of a staff sender's certificate chain. Pure:
// no I/O, no clock. Rules: proto/CRYPTO-FORMATS.md ("Thread order"); scenarios:
// proto/vectors/thread.json.
import { CryptoError, HASH_BYTES, equal, hash, kid } from './core';
import { Cert, Role, certParse, certVerify } from './keys';
import { EnvelopeHeader, envelopeParse, envelopeVerify } from './message';

/**
 * The verdict on one envelope. Accepted (the caller shows the message): 'ok', 'gap' (earlier
 * messages are missing), 'late' (it comes after messages that follow it: reordered), 'fork'
 * (its sender contradicts itself). Refused (not shown): 'replay', 'duplicate_id',
 * 'wrong_thread', 'untrusted_sender', 'bad_signature', 'malformed'.
 */
export type ThreadVerdict =
  | 'ok' | 'gap' | 'late' | 'fork'
  | 'replay' | 'duplicate_id' | 'wrong_thread' | 'untrusted_sender' | 'bad_signature' | 'malformed';

const ORDER: ThreadVerdict[] = ['ok', 'gap', 'late', 'fork'];

export function verdictAccepted(v: ThreadVerdict): boolean {
  return ORDER.includes(v);
}

/**
 * Asked once per envelope that passed the format and thread checks: the sender's Ed25519
 * public key when the sender (h.senderKid, at h.epoch, h.createdAt) may write in this
 * thread, or null to refuse it.
 */
export type SenderLookup = (h: EnvelopeHeader) => Uint8Array | null;

interface Accepted {
  hash: Uint8Array;
  messageId: Uint8Array;
  senderKid: Uint8Array;
  seq: bigint;
}

const ZERO_HASH = new Uint8Array(HASH_BYTES);

function worse(a: ThreadVerdict, b: ThreadVerdict): ThreadVerdict {
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

/** A verifier of one thread, fed its envelopes in the server's order. */
export class ThreadVerifier {
  private readonly msgs: Accepted[] = [];
  private missing: Uint8Array[] = [];

  constructor(private readonly threadId: Uint8Array, private readonly sender: SenderLookup) {}

  get count(): number {
    return this.msgs.length;
  }

  /** Checks the next envelope; an accepted one is kept. */
  add(env: Uint8Array): { verdict: ThreadVerdict; header?: EnvelopeHeader } {
    let h: EnvelopeHeader;
    try {
      h = envelopeParse(env);
    } catch {
      return { verdict: 'malformed' };
    }
    const verdict = this.check(env, h);
    return { verdict, header: h };
  }

  private check(env: Uint8Array, h: EnvelopeHeader): ThreadVerdict {
    if (h.senderSeq === 0n) return 'malformed';
    if (!equal(h.threadId, this.threadId)) return 'wrong_thread';
    const hh = hash(env);
    if (this.findHash(hh) >= 0) return 'replay';
    const pk = this.sender(h);
    if (pk === null) return 'untrusted_sender';
    try {
      envelopeVerify(env, pk);
    } catch (e) {
      if (e instanceof CryptoError) return 'bad_signature';
      throw e;
    }
    if (this.msgs.some((m) => equal(m.messageId, h.messageId))) return 'duplicate_id';
    const { verdict, unknownPrev } = this.order(h, hh);
    this.keep(h, hh, unknownPrev);
    return verdict;
  }

  private findHash(hh: Uint8Array): number {
    return this.msgs.findIndex((m) => equal(m.hash, hh));
  }

  private senderView(senderKid: Uint8Array, seq: bigint) {
    let same = -1, before = -1, hasPrevious = false, hasLater = false;
    this.msgs.forEach((m, i) => {
      if (!equal(m.senderKid, senderKid)) return;
      if (m.seq === seq) same = i;
      else if (m.seq > seq) hasLater = true;
      else if (before < 0 || m.seq > this.msgs[before].seq) before = i;
      if (m.seq + 1n === seq) hasPrevious = true;
    });
    return { same, before, hasPrevious, hasLater };
  }

  private order(h: EnvelopeHeader, hh: Uint8Array): { verdict: ThreadVerdict; unknownPrev: boolean } {
    const sk = h.senderKid as Uint8Array;
    const v = this.senderView(sk, h.senderSeq);
    let verdict: ThreadVerdict = 'ok';
    if (v.same >= 0) verdict = worse(verdict, 'fork');
    if (v.hasLater) verdict = worse(verdict, 'late');
    if (h.senderSeq > 1n && !v.hasPrevious) verdict = worse(verdict, 'gap');
    if (this.missing.some((m) => equal(m, hh))) verdict = worse(verdict, 'late'); // named before it came
    if (equal(h.prevHash, ZERO_HASH)) {
      // "Seen nothing" after an own earlier message contradicts it.
      return { verdict: v.before >= 0 ? worse(verdict, 'fork') : verdict, unknownPrev: false };
    }
    const target = this.findHash(h.prevHash);
    if (target < 0) return { verdict: worse(verdict, 'gap'), unknownPrev: true };
    // The sender saw its own previous message: what it saw last cannot precede it, nor be one
    // of its own later messages.
    const t = this.msgs[target];
    if ((v.before >= 0 && target < v.before) || (equal(t.senderKid, sk) && t.seq >= h.senderSeq)) {
      verdict = worse(verdict, 'fork');
    }
    return { verdict, unknownPrev: false };
  }

  private keep(h: EnvelopeHeader, hh: Uint8Array, unknownPrev: boolean): void {
    this.msgs.push({ hash: hh, messageId: h.messageId, senderKid: h.senderKid as Uint8Array, seq: h.senderSeq });
    this.missing = this.missing.filter((m) => !equal(m, hh));
    if (unknownPrev && !this.missing.some((m) => equal(m, h.prevHash))) this.missing.push(h.prevHash);
  }

  /**
   * True when nothing known is missing: every prev hash names a message accepted and every
   * sender's sequences run 1, 2, … without a hole. (The newest messages can still be withheld.)
   */
  complete(): boolean {
    if (this.missing.length > 0) return false;
    return this.msgs.every((m) => m.seq === 1n || this.senderView(m.senderKid, m.seq).hasPrevious);
  }

  /** What a writer puts in its next envelope: its last sequence + 1, H(last accepted message). */
  next(senderKid: Uint8Array): { senderSeq: bigint; prevHash: Uint8Array } {
    let last = 0n;
    for (const m of this.msgs) if (equal(m.senderKid, senderKid) && m.seq > last) last = m.seq;
    const prev = this.msgs.length > 0 ? this.msgs[this.msgs.length - 1].hash : ZERO_HASH;
    return { senderSeq: last + 1n, prevHash: prev.slice() };
  }
}

/**
 * Finds among certificates (workers' and their admins', as thread.read gives them) a worker
 * or admin certificate whose signing key has kid signKid and whose chain verifies to the
 * pinned root key at now (ms). The leaf, or null when none does.
 */
export function certFind(certs: Uint8Array[], signKid: Uint8Array, rootPk: Uint8Array, now: bigint): Cert | null {
  const parsed = certs.map((b) => {
    try {
      return certParse(b);
    } catch {
      return null;
    }
  });
  for (let i = 0; i < certs.length; i++) {
    const c = parsed[i];
    if (c === null || !equal(kid(c.signPk), signKid)) continue;
    const issuers = c.role === Role.Admin ? [null]
      : c.role === Role.Worker
        ? certs.filter((_, j) => parsed[j] !== null && equal(kid((parsed[j] as Cert).signPk), c.issuerKid as Uint8Array))
        : [];
    for (const issuer of issuers) {
      try {
        return certVerify(certs[i], issuer, rootPk, now);
      } catch (e) {
        if (!(e instanceof CryptoError)) throw e;
      }
    }
  }
  return null;
}
