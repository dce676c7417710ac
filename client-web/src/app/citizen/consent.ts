// consent.ts - the citizen's consent to hand a thread over to the client record system
// (PROTOCOL.md §14.3-14.5, CRYPTO.md "Consent to link to the client record"). Giving: the
// connector's certificate (role 3) is taken from keys.unit `certs` of the thread's unit only when
// it verifies to the root key pinned in this build; the thread key of every epoch is sealed to
// the connector's X25519 key (kind-1 wraps signed by this device); the consent event (kind 1)
// names the thread, the connector, the current epoch, the hashes of exactly the scope and the
// consent text shown and the language they were shown in; consent.give sends it all.
// Withdrawing: the consent event (kind 2) and a new epoch (reason 3) sealed to the unit's
// current key generation and the citizen's identity only, so that the connector reads nothing
// written after it; consent.withdraw stores both at once. The status comes from the thread's
// summary (`consent`, `handed_over`), checked for its shape.
import type { Connection } from '../net';
import type { ConsentController, ConsentInfo, ConsentStatus, CitizenKeys } from './contract';
import type { ConsentTexts } from './register';
import { newEpoch } from './thread-rekey';
import type { ThreadSession } from './thread-view-session';
import { b64, type Crypto, hex, ThreadsError, unb64, unhexId } from './threads-util';
import type { UnitKey } from './unit-keys';

const ROLE_CONNECTOR = 3;
const CONSENT_GIVEN = 1;
const CONSENT_WITHDRAWN = 2;
const WRAP_THREAD_KEY = 1;
const REASON_CONSENT = 3;

export interface ConsentDeps {
  conn: Connection;
  c: Crypto;
  /** The root key pinned in this build: the connector's certificate must be signed by it. */
  rootKey: Uint8Array;
  keys: CitizenKeys;
  now: () => number;
  /** The thread kept decrypted while an operation runs (threads.ts shares its sessions). */
  session: (thread: string) => { s: ThreadSession; release: () => void };
  /** The unit's current key generation, verified (unit-keys.ts). */
  unitKey: (unit: string) => Promise<UnitKey>;
}

/** The connector a consent goes to: its certificate's keys, verified to the pinned root. */
export interface Connector {
  kid: Uint8Array;
  boxPk: Uint8Array;
  notBefore: bigint;
}

type Wire = (type: string, fields: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** consent.give and consent.withdraw, named by the protocol; sent as any request is. */
function wire(conn: Connection): Wire {
  return conn.request.bind(conn) as unknown as Wire;
}

function codeOf(e: unknown): string {
  return (e as { code?: unknown }).code !== undefined ? String((e as { code?: unknown }).code) : 'error';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A `Consent` of the protocol as ConsentInfo; null when it is not of that shape. */
export function parseConsent(v: unknown): ConsentInfo | null {
  if (!isObject(v) || typeof v.connector !== 'string' || !/^[0-9a-f]{32}$/.test(v.connector)) return null;
  if (!isTime(v.given) || !(v.withdrawn === null || isTime(v.withdrawn)) || !isTime(v.epoch)) return null;
  if (typeof v.event !== 'string' || v.event.length > 400) return null;
  return { connector: v.connector, given: v.given, withdrawn: v.withdrawn, epoch: v.epoch };
}

/** The consent fields of a thread summary (absent: none given, nothing handed over). */
export function consentStatusOf(summary: Record<string, unknown>): ConsentStatus {
  const consent = summary.consent === undefined || summary.consent === null ? null : parseConsent(summary.consent);
  if (summary.consent !== undefined && summary.consent !== null && consent === null)
    throw new ThreadsError('damaged', "the thread's consent is not of the protocol's shape");
  return { consent, handedOver: summary.handed_over === true };
}

/**
 * The connector among certificates (keys.unit `certs`, base64url): a role-3 certificate signed
 * by the pinned root and valid at now (the newest when there are several); null when none is.
 */
export function connectorOf(c: Crypto, certs: unknown[], rootKey: Uint8Array, now: number): Connector | null {
  let best: Connector | null = null;
  for (const s of certs) {
    try {
      const b = unb64(c, s);
      if (c.certParse(b).role !== ROLE_CONNECTOR) continue;
      const cert = c.certVerify(b, null, rootKey, BigInt(now));
      if (cert.role !== ROLE_CONNECTOR) continue;
      if (best === null || cert.notBefore > best.notBefore) best = { kid: c.kid(cert.boxPk), boxPk: cert.boxPk, notBefore: cert.notBefore };
    } catch {
      // not a connector certificate of this root: ignored
    }
  }
  return best;
}

export function createConsentController(d: ConsentDeps): ConsentController {
  const { conn, c, keys } = d;
  const send = wire(conn);

  /** Runs fn on the thread's session once its keys are fresh. */
  async function withThread<T>(thread: string, fn: (s: ThreadSession) => Promise<T>): Promise<T> {
    const { s, release } = d.session(thread);
    try {
      await s.ready;
      await s.refreshKeys();
      return await fn(s);
    } finally {
      release();
    }
  }

  async function status(thread: string): Promise<ConsentStatus> {
    const got = await conn.request('thread.get', { thread });
    return consentStatusOf(got.summary as unknown as Record<string, unknown>);
  }

  /** The thread key of every epoch 0..current, each opened by this identity; 'locked' if one is missing. */
  function everyEpochKey(s: ThreadSession): { epoch: number; key: Uint8Array }[] {
    if (s.keyring.epochEvents() === null) throw new ThreadsError('stale_epoch', "the thread's key epochs do not verify");
    const out: { epoch: number; key: Uint8Array }[] = [];
    for (let e = 0; e <= s.keyring.epoch; e++) {
      const key = s.keyring.threadKey(e);
      if (key === null) throw new ThreadsError('locked', `the thread key of epoch ${e} does not open`);
      out.push({ epoch: e, key });
    }
    return out;
  }

  function event(kind: typeof CONSENT_GIVEN | typeof CONSENT_WITHDRAWN, s: ThreadSession, connectorKid: Uint8Array, epoch: number,
    shown: ConsentTexts): Uint8Array {
    return c.consentMake({ kind, threadId: s.threadId, connectorKid, epoch, scopeHash: c.consentTextHash(shown.scope),
      textHash: c.consentTextHash(shown.text), lang: shown.lang, created: BigInt(d.now()) }, keys.device);
  }

  async function give(thread: string, shown: ConsentTexts): Promise<ConsentStatus> {
    return withThread(thread, async (s) => {
      if (s.unit === null) throw new ThreadsError('not_found', 'the thread has no unit');
      const unit = await conn.request('keys.unit', { unit: s.unit });
      const connector = connectorOf(c, unit.certs, d.rootKey, d.now());
      if (connector === null) throw new ThreadsError('no_connector', 'no connector certificate chains to the pinned root');
      const wraps = everyEpochKey(s).map(({ epoch, key }) =>
        b64(c, c.wrapSeal(WRAP_THREAD_KEY, s.threadId, epoch, connector.boxPk, key, c.random(32), keys.device)));
      const ev = event(CONSENT_GIVEN, s, connector.kid, s.keyring.epoch, shown);
      let reply: Record<string, unknown>;
      try {
        reply = await send('consent.give', { thread, connector: hex(c, connector.kid), event: b64(c, ev), wraps });
      } catch (e) {
        if (codeOf(e) !== 'conflict') throw e;
        const now = await status(thread); // given meanwhile (another device): shown as it is
        if (now.consent !== null && now.consent.withdrawn === null) return now;
        throw e;
      }
      const consent = parseConsent(reply.consent);
      if (consent === null) throw new ThreadsError('damaged', 'consent.give answered with no consent');
      return { consent, handedOver: s.summary.handed_over === true };
    });
  }

  async function withdraw(thread: string, shown: ConsentTexts): Promise<ConsentStatus> {
    return withThread(thread, async (s) => {
      if (s.unit === null) throw new ThreadsError('not_found', 'the thread has no unit');
      const before = await status(thread);
      if (before.consent === null || before.consent.withdrawn !== null) throw new ThreadsError('no_consent', 'no live consent to withdraw');
      const unit = await d.unitKey(s.unit);
      for (let attempt = 0; ; attempt++) {
        const chain = s.keyring.epochChain();
        if (!chain.intact) throw new ThreadsError('stale_epoch', "the thread's key epochs do not verify");
        const next = newEpoch(c, s.threadId, s.keyring.epoch, chain.head, unit, keys.identity, keys.device, d.now(), REASON_CONSENT);
        const ev = event(CONSENT_WITHDRAWN, s, unhexId(c, before.consent.connector), next.epoch, shown);
        try {
          const reply = await send('consent.withdraw', { thread, event: b64(c, ev), epoch_event: b64(c, next.event),
            wraps: next.wraps.map((w) => b64(c, w)) });
          const consent = parseConsent(reply.consent);
          if (consent === null) throw new ThreadsError('damaged', 'consent.withdraw answered with no consent');
          await s.refreshKeys().catch(() => undefined); // the new epoch, for the next reply
          return { consent, handedOver: before.handedOver };
        } catch (e) {
          // Another epoch began meanwhile (a re-key): follow it and start the one after, once.
          if (attempt > 0 || codeOf(e) !== 'conflict' || (e as { field?: string }).field !== '/epoch_event') throw e;
          await s.refreshKeys();
        } finally {
          c.wipe(next.key);
        }
      }
    });
  }

  return { status, give, withdraw };
}
