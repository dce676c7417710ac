// thread-notes.ts - what is sealed to a unit rather than to a thread key (PROTOCOL.md §12.7,
// §12.9): internal notes (unit text kind 1, scope the thread) opened with the unit generation
// they name and their author's key only when its certificate chains to the pinned root, sealed
// to the unit's current generation; and the citizen's identity box opened as a box of this
// thread and unit. Pure apart from the keys handed in; no requests here.
import type { Keys } from '../../crypto/index';
import { type Crypto, unb64, unhexId } from '../citizen/threads-util';
import type { UnitKey } from '../citizen/unit-keys';
import type { CitizenIdentity, InternalNote, StaffKeys } from './contract';
import { UNIT_TEXT_NOTE, type IdentityBoxEntry, type NoteEntry } from './wire-types';

/** Certificates (decoded, each once) to find staff signing keys in: own, admins', and served ones. */
export function certPool(c: Crypto, keys: StaffKeys, served: unknown[]): Uint8Array[] {
  const out: Uint8Array[] = [...keys.ownCerts, ...keys.adminCerts];
  for (const s of served) {
    try {
      out.push(unb64(c, s));
    } catch {
      // not a certificate: ignored
    }
  }
  return out;
}

/** The signing key of a staff kid whose certificate chains to the pinned root now, or null. */
export function staffSigner(c: Crypto, pool: Uint8Array[], kid: Uint8Array, keys: StaffKeys, now: number): Uint8Array | null {
  if (c.equal(c.kid(keys.identity.signPk), kid)) return keys.identity.signPk;
  return c.certFind(pool, kid, keys.root, BigInt(now))?.signPk ?? null;
}

/** The unit text's plaintext, or 'unreadable' (no key held), or 'refused' (does not verify). */
export function openUnitText(c: Crypto, box: Uint8Array, expect: { kind: number; unit: string; scopeId: Uint8Array },
  keys: StaffKeys, pool: Uint8Array[], now: number): Uint8Array | 'unreadable' | 'refused' {
  let h: ReturnType<Crypto['unitTextParse']>;
  try {
    h = c.unitTextParse(box);
  } catch {
    return 'refused';
  }
  const unitId = unhexId(c, expect.unit);
  if (h.kind !== expect.kind || !c.equal(h.unitId, unitId) || !c.equal(h.scopeId, expect.scopeId)) return 'refused';
  const unitKeys = keys.unitKeys(expect.unit, h.generation);
  if (unitKeys === null) return 'unreadable';
  const author = staffSigner(c, pool, h.authorKid, keys, now);
  if (author === null) return 'unreadable';
  try {
    return c.unitTextOpen(box, { kind: expect.kind, unitId, scopeId: expect.scopeId }, unitKeys, author);
  } catch {
    return 'refused';
  }
}

/** Seals text to `target`, the unit's current generation as its unit log says (unitKeyFetch:
 *  verified to the root, a generation the server withholds is refused), signed by the worker. */
export function sealUnitText(c: Crypto, kind: number, target: UnitKey, scopeId: Uint8Array, text: string, keys: StaffKeys,
  now: number): Uint8Array {
  return c.unitTextSeal({ kind, unitId: unhexId(c, target.unit), generation: target.generation, scopeId, created: BigInt(now) },
    new TextEncoder().encode(text), target.boxPk, keys.identity);
}

/** One note entry opened for the views. */
export function openNote(c: Crypto, e: NoteEntry, threadId: Uint8Array, keys: StaffKeys, pool: Uint8Array[], now: number): InternalNote {
  const base = { note: e.note, time: e.created, author: e.author_name ?? null, me: e.author === keys.userId, copyOf: e.copy_of ?? null };
  let box: Uint8Array;
  try {
    box = unb64(c, e.box);
  } catch {
    return { ...base, text: null, refused: true };
  }
  const r = openUnitText(c, box, { kind: UNIT_TEXT_NOTE, unit: e.unit, scopeId: threadId }, keys, pool, now);
  if (r === 'refused') return { ...base, text: null, refused: true };
  if (r === 'unreadable') return { ...base, text: null, refused: false };
  try {
    return { ...base, text: new TextDecoder('utf-8', { fatal: true }).decode(r), refused: false };
  } catch {
    return { ...base, text: null, refused: true };
  }
}

/** The unit generation keys a recipient kid names among the caller's units, or null. */
export function unitOpener(c: Crypto, keys: StaffKeys, units: string[]): (kid: Uint8Array) => Keys | null {
  return (kid) => {
    for (const u of units) {
      const newest = keys.currentGeneration(u);
      for (let g = newest ?? 0; g >= 1; g--) {
        const k = keys.unitKeys(u, g);
        if (k !== null && c.equal(c.kid(k.boxPk), kid)) return k;
      }
    }
    return null;
  };
}

/** The opened identity of the thread, from the boxes of thread.identity (the first that opens). */
export function openIdentity(c: Crypto, boxes: IdentityBoxEntry[], threadId: Uint8Array, unit: string,
  keys: StaffKeys): { kind: 'ok'; name: string; hetu: string; verifiedAt: number; box: Uint8Array } | CitizenIdentity {
  let refused = false;
  for (const e of boxes) {
    if (e.unit !== unit) continue;
    try {
      const box = unb64(c, e.box);
      const h = c.identityBoxParse(box);
      if (!c.equal(h.threadId, threadId) || !c.equal(h.unitId, unhexId(c, unit))) {
        refused = true;
        continue;
      }
      const uk = keys.unitKeys(unit, h.generation);
      if (uk === null) continue;
      const id = c.identityBoxOpen(box, { threadId, unitId: unhexId(c, unit) }, uk);
      return { kind: 'ok', name: id.name, hetu: id.hetu, verifiedAt: Number(id.verifiedAt), box };
    } catch {
      refused = true;
    }
  }
  return { kind: refused ? 'refused' : 'unavailable' };
}
