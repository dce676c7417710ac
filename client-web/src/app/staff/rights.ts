// rights.ts - the citizens' rights requests as a supervisor handles them (GDPR 12(3), 16-18, 21;
// the RightsController of contract.ts): rights.list of the supervised units read as hostile
// input (rows that do not parse are dropped), the deadline flags (overdue; due within 7 days),
// and rights.decide with the reason sealed in the thread as content version 2 kind 3 (ref = the
// request's message id): a refusal needs a reason, an extension is allowed once.
import type { Connection } from '../net';
import type { CryptoSession } from '../citizen/threads-util';
import type { DecisionError, DueFlag, RightsController, RightsKind, RightsOutcome, RightsRequest, RightsState } from './contract';
import { content2Encode, KIND_RIGHTS_DECISION, NOTE_MAX_BYTES } from './content2';
import type { StaffThreads } from './thread';
import { codeOf, isNetwork, StaffError } from './wire';
import { isRestricted } from './restrict';

export const DUE_SOON_MS = 7 * 24 * 3600_000;
const KINDS: ReadonlySet<string> = new Set(['correction', 'restriction', 'objection', 'erasure']);
const STATES: ReadonlySet<string> = new Set(['open', 'granted', 'refused', 'extended']);
const HEX_ID = /^[0-9a-f]{32}$/;

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** One row of rights.list, or null when it does not parse. */
export function rightsRequestOf(v: unknown): RightsRequest | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || !HEX_ID.test(o.id) || typeof o.thread !== 'string' || !HEX_ID.test(o.thread)) return null;
  if (!KINDS.has(o.kind as string) || !STATES.has(o.state as string) || !isTime(o.made) || !isTime(o.due)) return null;
  if (typeof o.message !== 'string' || !HEX_ID.test(o.message)) return null;
  return {
    id: o.id, thread: o.thread, unit: typeof o.unit === 'string' && HEX_ID.test(o.unit) ? o.unit : null, kind: o.kind as RightsKind,
    state: o.state as RightsState, made: o.made, due: o.due, decided: isTime(o.decided) ? o.decided : null,
    decidedBy: typeof o.decided_by === 'string' ? o.decided_by : null, message: o.message,
    decisionMessage: typeof o.decision_message === 'string' && HEX_ID.test(o.decision_message) ? o.decision_message : null,
  };
}

/** Awaiting a decision (open, or extended once). */
export function isPending(r: RightsRequest): boolean {
  return r.state === 'open' || r.state === 'extended';
}

/** Overdue, due within 7 days, or neither (decided requests are never flagged). */
export function dueFlag(r: RightsRequest, now: number): DueFlag {
  if (!isPending(r)) return null;
  if (r.due < now) return 'overdue';
  return r.due - now <= DUE_SOON_MS ? 'soon' : null;
}

/** Pending first by due date, then the decided ones newest first. */
export function sortRequests(list: RightsRequest[]): RightsRequest[] {
  return list.slice().sort((a, b) => Number(isPending(b)) - Number(isPending(a)) || (isPending(a) ? a.due - b.due : b.made - a.made));
}

/** What is wrong with a decision before anything is sent. */
export function decisionProblems(r: RightsRequest, outcome: RightsOutcome, reason: string): DecisionError[] {
  const out: DecisionError[] = [];
  const text = reason.trim();
  if (outcome === 'refused' && text === '') out.push('reason');
  if (new TextEncoder().encode(text).length > NOTE_MAX_BYTES) out.push('reason');
  if (outcome === 'extended' && r.state !== 'open') out.push('extend_once');
  return out;
}

function decisionError(e: unknown): DecisionError {
  if (e instanceof StaffError && ['reason', 'extend_once', 'keys'].includes(e.code)) return e.code as DecisionError;
  const code = codeOf(e);
  if (isRestricted(e)) return 'restricted';
  if (code === 'conflict') return 'handed_over';
  if (code === 'forbidden' || code === 'not_found') return 'forbidden';
  if (['locked', 'unit_keys', 'stale_epoch', 'rekey_needed', 'damaged'].includes(code)) return 'keys';
  return isNetwork(code) ? 'network' : 'failed';
}

export function createRights(conn: Connection, cs: CryptoSession, opts: { threads: StaffThreads }): RightsController {
  const c = cs.crypto;
  const send = conn.request.bind(conn) as unknown as (t: string, f: Record<string, unknown>) => Promise<unknown>;

  async function list(fields: Record<string, unknown>): Promise<RightsRequest[]> {
    const r = (await send('rights.list', fields)) as { requests?: unknown };
    const rows = Array.isArray(r.requests) ? r.requests : [];
    return sortRequests(rows.map(rightsRequestOf).filter((x): x is RightsRequest => x !== null));
  }

  return {
    list: (openOnly) => list(openOnly === true ? { open_only: true } : {}),
    forThread: (thread) => list({ thread }),
    async decide(r, outcome, reason) {
      try {
        const problems = decisionProblems(r, outcome, reason);
        if (problems.length > 0) throw new StaffError(problems[0], 'the decision is not complete');
        const t = opts.threads.acquire(r.thread);
        try {
          await t.s.ready;
          const plain = content2Encode(c, KIND_RIGHTS_DECISION, r.message, reason.trim(), [], '');
          await opts.threads.sendSealed(t, plain, 'rights.decide', { request: r.id, outcome });
        } finally {
          opts.threads.done(t);
        }
      } catch (e) {
        throw new StaffError(decisionError(e), 'the decision could not be recorded');
      }
    },
  };
}
