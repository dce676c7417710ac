// consent-event.ts - the consent event (CRYPTO-FORMATS.md, object type 5) as consent.ts uses
// it: made and signed by this device, read back. The one seam to the encryption module's
// consentMake/consentOpen: until those are in the module, a local encoder of the same layout
// (prefix, kind, thread, connector kid, epoch, scope hash, text hash, language, time, signer kid,
// signature over "QA-v1-consent" and bytes 0..132) stands in.
import type { Keys } from '../../crypto/index';
import type { Lang } from '../i18n-langs';
import type { Crypto } from './threads-util';

export const CONSENT_GIVEN = 1;
export const CONSENT_WITHDRAWN = 2;
export const CONSENT_EVENT_BYTES = 197;
const OBJ_CONSENT = 5;
const SIGNED = 133;

export interface ConsentEventFields {
  kind: typeof CONSENT_GIVEN | typeof CONSENT_WITHDRAWN;
  threadId: Uint8Array;
  /** kid of the connector's X25519 key: the recipient of the consent's wraps. */
  connectorKid: Uint8Array;
  /** Given: the thread's current epoch; withdrawn: the epoch the withdrawal starts. */
  epoch: number;
  /** BLAKE2b-256 of the scope text and of the consent text shown (UTF-8). */
  scopeHash: Uint8Array;
  textHash: Uint8Array;
  /** The language the texts were shown in. */
  lang: Lang;
  createdAt: bigint;
}

/** The event signed by `signer` (this device). */
export function consentEventMake(c: Crypto, f: ConsentEventFields, signer: Keys): Uint8Array {
  const out = new Uint8Array(CONSENT_EVENT_BYTES);
  out.set([0x51, 0x41, 1, OBJ_CONSENT, 1, 0], 0);
  out[6] = f.kind;
  out.set(f.threadId, 7);
  out.set(f.connectorKid, 23);
  c.put32(out, 39, f.epoch);
  out.set(f.scopeHash, 43);
  out.set(f.textHash, 75);
  out.set(c.sodium.from_string(f.lang), 107);
  c.put64(out, 109, f.createdAt);
  out.set(c.kid(signer.signPk), 117);
  out.set(c.sign('QA-v1-consent', out.subarray(0, SIGNED), signer.signSk), SIGNED);
  return out;
}

/** The fields of an event and its signer's kid; throws when it is not one or does not verify under signerPk. */
export function consentEventRead(c: Crypto, b: Uint8Array, signerPk: Uint8Array): ConsentEventFields & { signerKid: Uint8Array } {
  if (b.length !== CONSENT_EVENT_BYTES || b[0] !== 0x51 || b[1] !== 0x41 || b[2] !== 1 || b[3] !== OBJ_CONSENT || b[4] !== 1 ||
    b[5] !== 0 || (b[6] !== CONSENT_GIVEN && b[6] !== CONSENT_WITHDRAWN)) throw new Error('not a consent event');
  const lang = c.sodium.to_string(b.subarray(107, 109));
  if (lang !== 'fi' && lang !== 'sv' && lang !== 'en') throw new Error('a consent event of an unknown language');
  const signerKid = b.slice(117, 133);
  if (!c.equal(c.kid(signerPk), signerKid)) throw new Error('a consent event of another signer');
  c.verify(b.subarray(SIGNED), 'QA-v1-consent', b.subarray(0, SIGNED), signerPk, 'consent event');
  return {
    kind: b[6] as ConsentEventFields['kind'], threadId: b.slice(7, 23), connectorKid: b.slice(23, 39), epoch: c.get32(b, 39),
    scopeHash: b.slice(43, 75), textHash: b.slice(75, 107), lang, createdAt: c.get64(b, 109), signerKid,
  };
}
