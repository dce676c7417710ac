// unit-keys.ts - a unit's current key generation as the citizen's app trusts it (PROTOCOL.md
// §12.1, §12.6): keys.unit's admin certificates verified to the root key pinned in this build
// (never the `root` the server names), every generation's signed event under one of them and
// following the one before, and the unit log checked against the newest entry this browser
// checked before (kept per unit; a log that goes back, forks, is stale or withholds the newest
// generation is refused). The result is what a thread key is sealed to.
import type { Connection } from '../net';
import type { UlogState } from '../../crypto/index';
import { b64, type Crypto, type KvStore, ThreadsError, unb64, unhexId } from './threads-util';

const ROLE_ADMIN = 1;
const LOG_PAGES = 50;

export interface UnitKey {
  unit: string;
  generation: number;
  /** The generation's X25519 public key (wraps go to it) and its kid. */
  boxPk: Uint8Array;
  kid: Uint8Array;
  /** When the generation's event was signed (ms). */
  createdAt: number;
  /** The verified admin signing keys of the unit's certificates. */
  adminPks: Uint8Array[];
}

/** The newest checked log entry per unit, kept in this browser (public data: no secret). */
export class UlogMemory {
  constructor(private readonly c: Crypto, private readonly store: KvStore) {}

  async get(unit: string): Promise<UlogState | null> {
    const raw = await this.store.get(`ulog:${unit}`);
    if (raw === undefined) return null;
    try {
      const o = JSON.parse(new TextDecoder().decode(raw)) as Record<string, string | number>;
      return { unitId: unhexId(this.c, unit), seq: Number(o.seq), head: unb64(this.c, o.head), generation: Number(o.generation),
        genEvent: unb64(this.c, o.genEvent), validUntil: BigInt(o.validUntil) };
    } catch {
      return null;
    }
  }

  async put(unit: string, s: UlogState): Promise<void> {
    const o = { seq: s.seq, head: b64(this.c, s.head), generation: s.generation, genEvent: b64(this.c, s.genEvent),
      validUntil: s.validUntil.toString() };
    await this.store.put(`ulog:${unit}`, new TextEncoder().encode(JSON.stringify(o)));
  }
}

/** The admin certificates among certs that verify to the pinned root at now: their signing keys. */
function adminKeys(c: Crypto, certs: unknown[], rootKey: Uint8Array, now: bigint): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of certs) {
    try {
      const b = unb64(c, s);
      if (c.certParse(b).role !== ROLE_ADMIN) continue;
      out.push(c.certVerify(b, null, rootKey, now).signPk);
    } catch {
      // not an admin certificate of this root: ignored
    }
  }
  return out;
}

/** The generations' events, each verified under an admin key and following the one before; the newest. */
function newestGeneration(c: Crypto, unitId: Uint8Array, gens: { generation: number; event: string }[],
  adminPks: Uint8Array[]): { event: Uint8Array; parsed: ReturnType<Crypto['unitEventParse']> } {
  let prev: Uint8Array | null = null;
  let parsed: ReturnType<Crypto['unitEventParse']> | null = null;
  for (const g of gens) {
    const ev = unb64(c, g.event);
    const signer = c.unitEventParse(ev).signerKid as Uint8Array;
    const pk = adminPks.find((k) => c.equal(c.kid(k), signer));
    if (pk === undefined) throw new ThreadsError('unit_keys', 'a unit key generation signed by no admin of the root');
    parsed = c.unitEventVerify(ev, pk, prev);
    if (!c.equal(parsed.unitId, unitId) || parsed.generation !== g.generation)
      throw new ThreadsError('unit_keys', 'a unit key generation of another unit or number');
    prev = ev;
  }
  if (prev === null || parsed === null) throw new ThreadsError('unit_keys', 'the unit has no keys');
  return { event: prev, parsed };
}

/**
 * Fetches and checks the keys of the unit of a category (or a unit id). Rejects with
 * ThreadsError('unit_keys') when anything does not verify or the log went back.
 */
export async function unitKeyFetch(conn: Connection, c: Crypto, rootKey: Uint8Array, memory: UlogMemory,
  by: { category: string } | { unit: string }, nowMs: number): Promise<UnitKey> {
  const now = BigInt(nowMs);
  let reply = await conn.request('keys.unit', { ...by });
  const log: Uint8Array[] = [];
  for (let page = 0; ; page++) {
    for (const e of reply.log) log.push(unb64(c, e));
    if (!reply.log_more || reply.log.length === 0 || page >= LOG_PAGES) break;
    reply = await conn.request('keys.unit', { ...by, log_after: c.ulogParse(log[log.length - 1]).seq });
  }
  try {
    const unitId = unhexId(c, reply.unit);
    const adminPks = adminKeys(c, reply.certs, rootKey, now);
    if (adminPks.length === 0) throw new ThreadsError('unit_keys', 'no admin certificate chains to the pinned root');
    const newest = newestGeneration(c, unitId, reply.generations, adminPks);
    const known = await memory.get(reply.unit);
    const state = c.ulogCheck(unitId, log, adminPks, known, newest.event, now);
    await memory.put(reply.unit, state);
    return { unit: reply.unit, generation: newest.parsed.generation, boxPk: newest.parsed.boxPk,
      kid: c.kid(newest.parsed.boxPk), createdAt: Number(newest.parsed.createdAt), adminPks };
  } catch (e) {
    if (e instanceof ThreadsError) throw e;
    throw new ThreadsError('unit_keys', `the unit's keys are refused: ${(e as Error).message}`,
      (e as { code?: string }).code);
  }
}
