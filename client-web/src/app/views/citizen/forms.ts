// forms.ts - the citizen views' rules, apart from the views so that they can be tested
// without a browser: what a question or reply may hold (text length, number of files, a file
// too large to even read), the notification contact's checks (PROTOCOL.md §11.4), the
// catalogue keys for thread states, file problems, unreadable messages and file kinds, and
// which refused writes the thread layer answers itself. Pure.
import type { FileProblem, MessageMark, UnreadableMessage } from '../../citizen/contract';

/** The most characters of a message: well inside the protocol's body bound (§9) in UTF-8. */
export const MAX_TEXT_CHARS = 8000;
/** The most attachments of one message (the content format's bound, CRYPTO-FORMATS.md). */
export const MAX_FILES = 8;
/** A file larger than this is not read at all (the server's bound is 25 MiB padded, §12.4). */
export const MAX_READ_BYTES = 25 * 1024 * 1024;

export type ThreadStateName = 'new' | 'claimed' | 'answered' | 'waiting' | 'closed';

export const STATE_TEXT = {
  new: 'threads.state.new',
  claimed: 'threads.state.claimed',
  answered: 'threads.state.answered',
  waiting: 'threads.state.waiting',
  closed: 'threads.state.closed',
} as const satisfies Record<ThreadStateName, string>;

export const FILE_PROBLEM_TEXT = {
  type: 'files.problem.type',
  too_large: 'files.problem.tooLarge',
  empty: 'files.problem.empty',
  too_many: 'files.problem.tooMany',
} as const satisfies Record<FileProblem, string>;

export const MARK_TEXT = {
  gap: 'thread.mark.gap',
  late: 'thread.mark.late',
  fork: 'thread.mark.fork',
} as const satisfies Record<Exclude<MessageMark, 'ok'>, string>;

export const UNREADABLE_TEXT = {
  untrusted_sender: 'thread.unreadable.untrusted',
  bad_signature: 'thread.unreadable.signature',
  no_key: 'thread.unreadable.noKey',
  damaged: 'thread.unreadable.damaged',
  replay: 'thread.unreadable.replay',
  wrong_thread: 'thread.unreadable.wrongThread',
  duplicate_id: 'thread.unreadable.duplicate',
  stale_epoch: 'thread.unreadable.staleKey',
} as const satisfies Record<UnreadableMessage['reason'], string>;

/**
 * A write refused as a conflict that the thread layer answers itself, not to be shown as a
 * failed write: another key epoch (thread.rekey on /event: followed; message.send on /body:
 * the keys read again and the message written at the current epoch).
 */
export function handledConflict(type: string, code: string, field: string | undefined): boolean {
  if (code !== 'conflict') return false;
  return (type === 'thread.rekey' && field === '/event') || (type === 'message.send' && field === '/body');
}

type KindKey = 'files.kind.pdf' | 'files.kind.image' | 'files.kind.document' | 'files.kind.text' | 'files.kind.sheet' | 'files.kind.other';

/** Media codes (the crypto module's MEDIA_NAMES) -> the kind's text and a file name ending. */
const MEDIA: Record<number, { kind: KindKey; ext: string }> = {
  1: { kind: 'files.kind.pdf', ext: 'pdf' },
  2: { kind: 'files.kind.image', ext: 'jpg' },
  3: { kind: 'files.kind.image', ext: 'png' },
  4: { kind: 'files.kind.image', ext: 'heic' },
  5: { kind: 'files.kind.document', ext: 'docx' },
  6: { kind: 'files.kind.document', ext: 'odt' },
  7: { kind: 'files.kind.text', ext: 'txt' },
  8: { kind: 'files.kind.sheet', ext: 'xlsx' },
  9: { kind: 'files.kind.sheet', ext: 'ods' },
  10: { kind: 'files.kind.document', ext: 'doc' },
  11: { kind: 'files.kind.image', ext: 'tiff' },
};

export function mediaKind(media: number): KindKey {
  return MEDIA[media]?.kind ?? 'files.kind.other';
}

/** The name a downloaded attachment gets: "liite-2.pdf" (the real name is not sent). */
export function downloadName(base: string, index: number, media: number): string {
  const ext = MEDIA[media]?.ext;
  return ext === undefined ? `${base}-${index + 1}` : `${base}-${index + 1}.${ext}`;
}

/** The media types a browser can show as an image preview (JPEG, PNG). */
export function previewType(media: number | undefined): string | null {
  return media === 2 ? 'image/jpeg' : media === 3 ? 'image/png' : null;
}

/** What is wrong with a message's text, or null. */
export function textProblem(text: string): 'empty' | 'too_long' | null {
  if (text.trim() === '') return 'empty';
  if ([...text].length > MAX_TEXT_CHARS) return 'too_long';
  return null;
}

export interface NotifyInput {
  email: string;
  phone: string;
}

export type NotifyProblem = 'none' | 'email' | 'phone';

/** The phone number as the protocol takes it ("+" and 7..15 digits; spaces and dashes
 *  dropped, a leading 0 read as Finland's +358), or null when it cannot be one. */
export function normalPhone(phone: string): string | null {
  let p = phone.replace(/[\s-]/g, '');
  if (/^0\d+$/.test(p)) p = '+358' + p.slice(1);
  return /^\+\d{7,15}$/.test(p) ? p : null;
}

/** The problems of a notification contact (each names its field), empty when it is fine. */
export function notifyProblems(input: NotifyInput): NotifyProblem[] {
  const email = input.email.trim();
  const phone = input.phone.trim();
  const problems: NotifyProblem[] = [];
  if (email === '' && phone === '') return ['none'];
  if (email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) problems.push('email');
  if (phone !== '' && normalPhone(phone) === null) problems.push('phone');
  return problems;
}
