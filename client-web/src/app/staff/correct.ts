// correct.ts - corrections that keep both versions (seed 003, GDPR 16): the assignee corrects a
// staff message with a new message of content version 2 kind 1 (ref = the corrected message's
// id, note = the reason) sent with message.send `corrects`; a reader pairs each correction with
// the message it corrects by the signed ref, cross-checked with the server's `corrects` (a
// disagreement is flagged, the signed ref wins), and refuses a version 2 kind from the wrong
// side as it refuses an untrusted sender: corrections and decisions only from staff, rights
// requests only from the citizen. Pure apart from correctionError (a code for the views).
import type { Crypto } from '../citizen/threads-util';
import type { ContentDecoder } from '../citizen/thread-view';
import type { CorrectionError, CorrectionInput, MessageContent, StaffMessage, UnreadableMessage } from './contract';
import { type AnyContent, contentAnyDecode, KIND_CORRECTION, KIND_RIGHTS_DECISION, KIND_RIGHTS_REQUEST, NOTE_MAX_BYTES } from './content2';
import { codeOf, isNetwork } from './wire';

/** The most characters a corrected text may have (as an answer). */
export const CORRECTION_TEXT_MAX = 10_000;

/** The staff reader's content decoder: both versions, the decoded content kept as `extra`. */
export function staffDecoder(c: Pick<Crypto, 'contentV2Encode' | 'contentV2Decode'>): ContentDecoder {
  return (plain) => {
    const any = contentAnyDecode(c, plain);
    const v2 = any.version === 2 ? { v2: { kind: any.kind as 1 | 2 | 3, ref: any.ref ?? '0'.repeat(32), note: any.note } } : {};
    return { files: any.files, text: any.text, extra: any, ...v2 };
  };
}

/** One shown message with what the reader knows beside it (thread-view.ts `senders`). */
export interface ReadMessage {
  msg: StaffMessage;
  messageId: string;
  /** The server's `corrects` of thread.read, or null. */
  serverCorrects: string | null;
  content: AnyContent | undefined;
}

/**
 * The messages with their version 2 content and corrections paired, and those refused: a
 * correction or a decision signed by the citizen, a rights request signed by staff (listed
 * unreadable as 'untrusted_sender', never their text).
 */
export function pairCorrections(list: ReadMessage[]): { messages: StaffMessage[]; refused: UnreadableMessage[] } {
  const refused: UnreadableMessage[] = [];
  const kept: { r: ReadMessage; msg: StaffMessage }[] = [];
  for (const r of list) {
    const kind = r.content?.version === 2 ? r.content.kind : 0;
    const citizen = r.msg.from === 'citizen';
    if ((citizen && (kind === KIND_CORRECTION || kind === KIND_RIGHTS_DECISION)) || (!citizen && kind === KIND_RIGHTS_REQUEST)) {
      refused.push({ seq: r.msg.seq, time: r.msg.time, reason: 'untrusted_sender' });
      continue;
    }
    kept.push({ r, msg: { ...r.msg, id: r.messageId } });
  }
  const byId = new Map(kept.map((k) => [k.r.messageId, k.msg] as [string, StaffMessage]));
  for (const { r, msg } of kept) {
    const content = r.content;
    if (content === undefined || content.version !== 2) continue;
    msg.content = contentOf(content, r, byId);
    if (msg.content.kind === 'correction' && msg.content.target !== null) {
      const target = byId.get(msg.content.ref) as StaffMessage;
      target.correctedBy = [...(target.correctedBy ?? []), msg.seq];
    }
  }
  return { messages: kept.map((k) => k.msg), refused };
}

function contentOf(content: AnyContent, r: ReadMessage, byId: Map<string, StaffMessage>): MessageContent {
  if (content.kind === KIND_RIGHTS_REQUEST) return { kind: 'rights_request' };
  if (content.kind === KIND_RIGHTS_DECISION) return { kind: 'rights_decision', ref: content.ref, reason: content.note };
  const ref = content.ref ?? '';
  const target = byId.get(ref);
  // Only an earlier staff message (not a rights request or decision) is corrected.
  const ok = target !== undefined && target.from === 'staff' && target.seq < r.msg.seq &&
    (target.content === undefined || target.content.kind === 'correction');
  return { kind: 'correction', ref, reason: content.note, target: ok ? target.seq : null, mismatch: r.serverCorrects !== content.ref };
}

/** What is wrong with a correction before anything is sent (each a field of the form). */
export function correctionProblems(input: CorrectionInput, staffIds: string[]): CorrectionError[] {
  const out: CorrectionError[] = [];
  if (!staffIds.includes(input.target)) out.push('target');
  if (input.text.trim() === '' || input.text.length > CORRECTION_TEXT_MAX) out.push('text');
  if (input.reason.trim() === '' || new TextEncoder().encode(input.reason.trim()).length > NOTE_MAX_BYTES) out.push('reason');
  return out;
}

/** A refused correction's code for the views. */
export function correctionError(e: unknown): CorrectionError {
  const code = codeOf(e);
  if (['target', 'text', 'reason', 'restricted', 'forbidden'].includes(code)) return code as CorrectionError;
  if (code === 'thread_closed') return 'closed';
  return isNetwork(code) ? 'network' : 'failed';
}
