// canned.ts - a unit's canned answers (the CannedController of contract.ts, PROTOCOL.md §12.8):
// each a unit text of kind 2 whose scope is the answer's id, JSON {lang, title, text}, opened
// with the generation it names when the caller holds it (older generations too) and its
// author's key chained to the pinned root; a supervisor's save seals it to the unit's current
// generation (so an answer saved again moves to the newest key), canned.delete removes one.
import type { Connection } from '../net';
import { systemClock, type Clock } from '../net/clock';
import { b64, type CryptoSession, hex, MemoryKv, unb64, unhexId } from '../citizen/threads-util';
import { UlogMemory, unitKeyFetch } from '../citizen/unit-keys';
import type { CannedAnswer, CannedController, StaffSession } from './contract';
import type { Lang } from '../i18n-langs';
import { certPool, openUnitText, sealUnitText } from './thread-notes';
import { codeOf, StaffError, staffRequest } from './wire';
import { UNIT_TEXT_CANNED, type CannedEntry } from './wire-types';

const LANGS: ReadonlySet<string> = new Set(['fi', 'sv', 'en']);
const TITLE_MAX = 200;

export interface CannedOptions {
  clock?: Clock;
}

/** The answer of one entry, or null when it cannot be read here or does not verify. */
export function openCanned(cs: CryptoSession, session: StaffSession, e: CannedEntry, pool: Uint8Array[], now: number): CannedAnswer | null {
  const c = cs.crypto, keys = session.keys();
  if (keys === null) return null;
  try {
    const plain = openUnitText(c, unb64(c, e.box), { kind: UNIT_TEXT_CANNED, unit: e.unit, scopeId: unhexId(c, e.answer) }, keys,
      pool, now);
    if (!(plain instanceof Uint8Array)) return null;
    const o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain)) as Record<string, unknown>;
    if (!LANGS.has(o.lang as string) || typeof o.title !== 'string' || typeof o.text !== 'string') return null;
    return { answer: e.answer, unit: e.unit, lang: o.lang as Lang, title: o.title, text: o.text, updated: e.updated };
  } catch {
    return null;
  }
}

export function createCanned(conn: Connection, cs: CryptoSession, session: StaffSession, opts: CannedOptions = {}): CannedController {
  const c = cs.crypto;
  const ulog = new UlogMemory(c, new MemoryKv()); // nothing of a work PC's session is kept
  const clock = opts.clock ?? systemClock;

  function keysOrThrow(): NonNullable<ReturnType<StaffSession['keys']>> {
    const k = session.keys();
    if (k === null) throw new StaffError('locked', 'the keys are locked');
    return k;
  }

  return {
    async list(unit) {
      const keys = keysOrThrow();
      let r: Awaited<ReturnType<typeof staffRequest<'canned.list'>>>;
      try {
        r = await staffRequest(conn, 'canned.list', { unit });
      } catch (e) {
        throw new StaffError(codeOf(e), 'the canned answers could not be read');
      }
      const served = (r as { certs?: unknown }).certs;
      const pool = certPool(c, keys, Array.isArray(served) ? served : []);
      const out: CannedAnswer[] = [];
      for (const e of Array.isArray(r.answers) ? r.answers : []) {
        if (e.unit !== unit) continue;
        const a = openCanned(cs, session, e, pool, clock.now());
        if (a !== null) out.push(a);
      }
      return out.sort((a, b) => a.lang.localeCompare(b.lang) || a.title.localeCompare(b.title));
    },

    async save(unit, a) {
      const keys = keysOrThrow();
      if (!LANGS.has(a.lang)) throw new StaffError('bad_request', 'a language of fi, sv, en');
      if (a.title.trim() === '' || a.title.length > TITLE_MAX || a.text.trim() === '') throw new StaffError('bad_request', 'a title and a text');
      const answer = a.answer ?? hex(c, c.random(16));
      const json = JSON.stringify({ lang: a.lang, title: a.title, text: a.text });
      if (new TextEncoder().encode(json).length > 16 * 1024) throw new StaffError('too_long', 'the answer is too long');
      let box: Uint8Array;
      try {
        box = sealUnitText(c, UNIT_TEXT_CANNED, await unitKeyFetch(conn, c, cs.rootKey, ulog, { unit }, clock.now()), unhexId(c, answer),
          json, keys, clock.now());
      } catch {
        throw new StaffError('keys', "the unit's current key does not verify");
      }
      try {
        await staffRequest(conn, 'canned.put', { unit, answer, box: b64(c, box) });
      } catch (e) {
        throw new StaffError(codeOf(e), 'the canned answer could not be saved');
      }
      return answer;
    },

    async remove(unit, answer) {
      try {
        await staffRequest(conn, 'canned.delete', { unit, answer });
      } catch (e) {
        throw new StaffError(codeOf(e), 'the canned answer could not be removed');
      }
    },
  };
}
