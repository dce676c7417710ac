// mydata-rights.ts - the citizen's rights requests on a thread (GDPR 16, 17, 18, 21; proto-s7
// "Rights requests"): the request body is the citizen's words as a message of the thread
// (content version 2, kind 2, referring to the message asked to be corrected), sealed by the
// threads controller like a reply and sent with rights.request; the list (rights.list) checked
// as a hostile server's would be, each decision's reason decrypted from its kind 3 message in
// the thread; and what a request form needs to know of a thread (handed over, restricted, kept
// until, the messages one may ask to be corrected).
import type { RightsInput, RightsKind, RightsRequest, RightsState, ThreadFacts } from './mydata-contract';
import { contentV2Make, CONTENT_V2_RIGHTS_DECISION, CONTENT_V2_RIGHTS_REQUEST } from './mydata-content';
import { cleanText, MyDataError, type Requester } from './mydata-report';
import type { CitizenThreads } from './threads';
import type { Crypto } from './threads-util';

const KINDS: ReadonlySet<string> = new Set(['correction', 'restriction', 'objection', 'erasure']);
const STATES: ReadonlySet<string> = new Set(['open', 'granted', 'refused', 'extended']);
const HEX_ID = /^[0-9a-f]{32}$/;
/** The most characters of the citizen's words (well inside one message). */
export const RIGHTS_MAX_TEXT = 4000;

export interface RightsDeps {
  conn: Requester;
  threads: Pick<CitizenThreads, 'withThread' | 'sendContent'>;
  c: Crypto;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isId = (v: unknown): v is string => typeof v === 'string' && HEX_ID.test(v);

/** A RightsRequest of the wire, or null when any field is not what the protocol says. */
export function parseRightsRequest(r: unknown): RightsRequest | null {
  if (!isObject(r)) return null;
  if (!isId(r.id) || !isId(r.thread) || typeof r.kind !== 'string' || !KINDS.has(r.kind) || typeof r.state !== 'string'
    || !STATES.has(r.state) || !isTime(r.made) || !isTime(r.due) || !isId(r.message)) return null;
  if (r.decided !== null && r.decided !== undefined && !isTime(r.decided)) return null;
  if (r.decided_by !== null && r.decided_by !== undefined && typeof r.decided_by !== 'string') return null;
  if (r.decision_message !== null && r.decision_message !== undefined && !isId(r.decision_message)) return null;
  return {
    id: r.id, thread: r.thread, kind: r.kind as RightsKind, state: r.state as RightsState, made: r.made, due: r.due,
    decided: isTime(r.decided) ? r.decided : null,
    decidedBy: typeof r.decided_by === 'string' ? cleanText(r.decided_by) : null,
    message: r.message, decisionMessage: isId(r.decision_message) ? r.decision_message : null, decision: null,
  };
}

/** Checks the form's input; throws MyDataError('invalid') naming the problem. */
export function checkRightsInput(x: RightsInput): void {
  if (!isId(x.thread) || !KINDS.has(x.kind)) throw new MyDataError('invalid', 'thread or kind');
  const text = x.text.trim();
  if (text === '') throw new MyDataError('invalid', 'text');
  if (text.length > RIGHTS_MAX_TEXT) throw new MyDataError('invalid', 'text too long');
  if (x.kind === 'correction' ? !isId(x.message) : x.message !== null) throw new MyDataError('invalid', 'message');
}

/** Makes the request: its body sealed as a thread message, then rights.request. */
export async function requestRights(d: RightsDeps, x: RightsInput): Promise<RightsRequest> {
  checkRightsInput(x);
  const ref = x.message === null ? new Uint8Array(16) : d.c.sodium.from_hex(x.message);
  const content = contentV2Make(d.c, { kind: CONTENT_V2_RIGHTS_REQUEST, ref, note: '', files: [], text: x.text.trim() });
  let reply: unknown;
  await d.threads.sendContent(x.thread, content, async (body) => {
    reply = await d.conn.request('rights.request', { thread: x.thread, kind: x.kind, body });
  });
  const req = parseRightsRequest(isObject(reply) ? reply.request : null);
  if (req === null) throw new MyDataError('failed', 'the server answered with no request');
  return req;
}

/** The citizen's requests, newest first, each decision's reason decrypted from its thread. */
export async function listRights(d: RightsDeps): Promise<RightsRequest[]> {
  const r = await d.conn.request('rights.list', {});
  const list = (isObject(r) && Array.isArray(r.requests) ? r.requests : []).map(parseRightsRequest)
    .filter((x): x is RightsRequest => x !== null);
  const byThread = new Map<string, RightsRequest[]>();
  for (const q of list) if (q.decisionMessage !== null) byThread.set(q.thread, [...(byThread.get(q.thread) ?? []), q]);
  for (const [thread, qs] of byThread) {
    await d.threads.withThread(thread, (s) => {
      const msgs = s.view.snapshot().messages;
      for (const q of qs) {
        const m = msgs.find((x) => x.id === q.decisionMessage);
        q.decision = m !== undefined && m.v2?.kind === CONTENT_V2_RIGHTS_DECISION && !m.mine
          ? { reason: m.v2.note, text: m.text } : 'unreadable';
      }
    }).catch(() => {
      for (const q of qs) q.decision = 'unreadable';
    });
  }
  return list.sort((a, b) => b.made - a.made);
}

/** What a request form shows of a thread (the thread's snapshot and summary). */
export async function threadFacts(d: RightsDeps, thread: string): Promise<ThreadFacts> {
  return d.threads.withThread(thread, (s) => {
    const sum = s.summary;
    return {
      thread,
      handedOver: sum.handed_over === true,
      restricted: sum.restricted === true,
      retentionUntil: isTime(sum.retention_until) ? sum.retention_until : null,
      messages: s.view.snapshot().messages.filter((m) => m.id !== undefined && m.v2 === undefined)
        .map((m) => ({ id: m.id as string, seq: m.seq, time: m.time, mine: m.mine, text: m.text })),
    };
  });
}
