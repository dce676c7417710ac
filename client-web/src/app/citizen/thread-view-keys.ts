// thread-view-keys.ts - what a citizen's reader knows of one thread's keys (PROTOCOL.md §12.3,
// §12.6): the shred share, the thread key of each epoch opened from the wraps to this device's
// identity (as kind 1 of this thread and that epoch only), the epoch events verified in order,
// and who may have written: a citizen device only through a certificate under the thread's
// identity (the identity of the device that signed the first message), staff only through a
// worker certificate chained to the root key pinned in this build. A staff reader opens the
// wraps to its units' key generations instead (an opener by recipient). Pure: thread.keys and
// the certificates of thread.read are handed in; no requests here.
import type { DeviceCert, EnvelopeHeader, EpochEvent, Keys } from '../../crypto/index';
import { type Crypto, unb64 } from './threads-util';

const WRAP_THREAD_KEY = 1;

/** The fields of reply.thread.keys this reader uses. */
export interface KeysReply {
  share: string;
  wraps: string[];
  devices: { cert: string }[];
  /** The citizen's identities with the time the server first saw each (read by staff readers). */
  identities?: { sign_pk: string; box_pk: string; first_seen: number }[];
  certs: string[];
  epoch: number;
  epochs: string[];
}

/** The epoch events that verify, oldest first, and whether they are all that was served. */
export interface EpochChain {
  events: EpochEvent[];
  intact: boolean;
  /** H(the last verified event): what the next epoch's event follows; zeros before epoch 1. */
  head: Uint8Array;
}

/** The keys a wrap's recipient kid names, when the reader holds them (staff: a unit generation). */
export type WrapOpener = (recipientKid: Uint8Array) => Keys | null;

export interface Sender {
  pk: Uint8Array;
  /** A device of the thread's citizen (else staff). */
  citizen: boolean;
}

function decodeAll(c: Crypto, list: unknown[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of list) {
    try {
      out.push(unb64(c, s));
    } catch {
      // dropped: a reader ignores what does not decode
    }
  }
  return out;
}

export class ThreadKeyring {
  share: Uint8Array | null = null;
  /** The thread's current key epoch (thread.keys `epoch`). */
  epoch = 0;
  private devices: Uint8Array[] = [];
  /** The citizen's identities as thread.keys lists them (public keys; trusted only through `identity`). */
  identities: { signPk: Uint8Array; boxPk: Uint8Array; firstSeen: number }[] = [];
  private staffCerts: Uint8Array[] = [];
  private staffSeen = new Set<string>();
  private wraps: Uint8Array[] = [];
  private rawEpochs: Uint8Array[] = [];
  private chain: EpochChain | null = null;
  private readonly threadKeys = new Map<number, Uint8Array>();
  /** The identity of the device that signed the first message; null until it is known. */
  identity: DeviceCert | null = null;

  /**
   * `me`: the citizen's identity (its wraps are opened, its devices sign); null for staff, whose
   * `opener` gives the unit generation keys a wrap is sealed to.
   */
  constructor(private readonly c: Crypto, private readonly rootKey: Uint8Array, readonly threadId: Uint8Array,
    private readonly me: Keys | null, private readonly now: () => number, private readonly opener?: WrapOpener) {}

  /** The keys of a wrap's recipient held here, or null. */
  private recipient(kid: Uint8Array): Keys | null {
    if (this.opener !== undefined) return this.opener(kid);
    return this.me !== null && this.c.equal(this.c.kid(this.me.boxPk), kid) ? this.me : null;
  }

  /** Takes a thread.keys reply (a newer one replaces what an older one said). */
  update(r: KeysReply): void {
    this.share = unb64(this.c, r.share);
    this.epoch = r.epoch;
    this.devices = decodeAll(this.c, r.devices.map((d) => d.cert));
    this.identities = [];
    for (const i of r.identities ?? []) {
      try {
        this.identities.push({ signPk: unb64(this.c, i.sign_pk), boxPk: unb64(this.c, i.box_pk), firstSeen: Number(i.first_seen) });
      } catch {
        // dropped: a reader ignores what does not decode
      }
    }
    this.wraps = decodeAll(this.c, r.wraps);
    this.rawEpochs = decodeAll(this.c, r.epochs);
    this.chain = null;
    this.addCerts(r.certs);
  }

  /** Staff certificates (thread.keys, thread.read), each once. */
  addCerts(certs: unknown[]): void {
    for (const b of decodeAll(this.c, certs)) {
      const key = this.c.sodium.to_hex(b);
      if (this.staffSeen.has(key)) continue;
      this.staffSeen.add(key);
      this.staffCerts.push(b);
    }
  }

  /** The staff certificates held (thread.keys, thread.read), base64url: to find note authors in. */
  threadCerts(): string[] {
    return this.staffCerts.map((b) => this.c.sodium.to_base64(b, this.c.sodium.base64_variants.URLSAFE_NO_PADDING));
  }

  /** Takes the thread's identity from its first message; false when its sender has no certificate. */
  setFirst(env: Uint8Array): boolean {
    try {
      this.identity = this.c.citizenThreadIdentity(env, this.devices);
      return true;
    } catch {
      return false;
    }
  }

  private citizenDevice(signerKid: Uint8Array, identities: Uint8Array[]): Uint8Array | null {
    for (const b of this.devices) {
      try {
        const d = this.c.deviceCertParse(b);
        if (!this.c.equal(this.c.kid(d.deviceSignPk), signerKid)) continue;
        const v = this.c.deviceCertVerify(b);
        if (identities.some((i) => this.c.equal(i, v.identitySignPk))) return v.deviceSignPk;
      } catch {
        // not a certificate that verifies
      }
    }
    return null;
  }

  private staff(signerKid: Uint8Array): Uint8Array | null {
    const cert = this.c.certFind(this.staffCerts, signerKid, this.rootKey, BigInt(this.now()));
    return cert === null ? null : cert.signPk;
  }

  /** The key of a message's sender when it may write in this thread, or null. */
  sender(h: EnvelopeHeader): Sender | null {
    const kid = h.senderKid as Uint8Array;
    if (this.identity !== null) {
      const pk = this.citizenDevice(kid, [this.identity.identitySignPk]);
      if (pk !== null) return { pk, citizen: true };
    }
    const pk = this.staff(kid);
    return pk === null ? null : { pk, citizen: false };
  }

  /** The signer of a wrap or epoch event: a device of the thread's (or this) identity, or staff. */
  private signer(kid: Uint8Array): Uint8Array | null {
    const ids = this.me === null ? [] : [this.me.signPk];
    if (this.identity !== null) ids.push(this.identity.identitySignPk);
    return this.citizenDevice(kid, ids) ?? this.staff(kid);
  }

  /**
   * The epoch events served, verified in order (each signed by a device of this or the
   * thread's identity or by staff chained to the root, of this thread, following the one
   * before): events[i] starts epoch i + 1. The chain stops at the first event that does not
   * verify; it is intact when every event verified and they reach the epoch served.
   */
  epochChain(): EpochChain {
    if (this.chain !== null) return this.chain;
    const events: EpochEvent[] = [];
    let prev: Uint8Array | null = null, intact = true;
    for (const b of this.rawEpochs) {
      try {
        const signer = this.signer(this.c.epochEventParse(b).signerKid as Uint8Array);
        if (signer === null) throw new Error('an epoch event of an unknown signer');
        events.push(this.c.epochEventVerify(b, this.threadId, signer, prev));
        prev = b;
      } catch {
        intact = false;
        break;
      }
    }
    this.chain = { events, intact: intact && events.length === this.epoch,
      head: prev === null ? new Uint8Array(32) : this.c.hash(prev) };
    return this.chain;
  }

  /** The verified epoch events when the whole chain verifies; null otherwise. */
  epochEvents(): EpochEvent[] | null {
    const chain = this.epochChain();
    return chain.intact ? chain.events : null;
  }

  /** The thread key of `epoch`, opened from a wrap to this identity (or a unit's generation); null when none opens. */
  threadKey(epoch: number): Uint8Array | null {
    const held = this.threadKeys.get(epoch);
    if (held !== undefined) return held;
    for (const w of this.wraps) {
      try {
        const info = this.c.wrapParse(w);
        if (info.kind !== WRAP_THREAD_KEY || info.epoch !== epoch) continue;
        const to = this.recipient(info.recipientKid);
        if (to === null) continue;
        const signer = this.signer(info.signerKid);
        if (signer === null) continue;
        const { key } = this.c.wrapOpen(w, WRAP_THREAD_KEY, this.threadId, epoch, to, signer);
        this.threadKeys.set(epoch, key);
        return key;
      } catch {
        // a wrap of another thread, epoch or signer opens nothing
      }
    }
    return null;
  }

  /** k_msg of `epoch`, or null without its thread key or the share. */
  messageKey(epoch: number): Uint8Array | null {
    const k = this.threadKey(epoch);
    if (k === null || this.share === null) return null;
    return this.c.threadMsgKey(k, this.threadId, epoch, this.share);
  }

  /** True when no wrap of any epoch opens for this identity (an older identity's thread). */
  locked(): boolean {
    for (let e = 0; e <= this.epoch; e++) if (this.threadKey(e) !== null) return false;
    return true;
  }
}
