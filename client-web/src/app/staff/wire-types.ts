// wire-types.ts - the requests, replies and events that the staff app adds to advice.v1 (notes,
// canned answers, presence, roster and closed days, the access log, the citizen's identity box,
// the identity field of thread.reassign), with the names and fields of the agreed protocol
// additions, until the generated protocol.ts carries them; and the kinds of unit text.
import type { Defs } from '../../generated/protocol';

type Time = number;
type PersonName = { name: string; title: string | null } | null;

export interface NoteEntry {
  note: string;
  unit: string;
  generation: number;
  author: string;
  author_name: PersonName;
  created: Time;
  copy_of: string | null;
  box: string;
}

export interface CannedEntry {
  answer: string;
  unit: string;
  generation: number;
  updated: Time;
  author: string;
  box: string;
}

export interface ViewerEntry {
  user: string;
  name: PersonName;
  state: 'viewing' | 'writing';
  since: Time;
}

export interface ShiftEntry {
  shift: number;
  user: string;
  username: string;
  name: PersonName;
  days: ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[];
  start: string;
  end: string;
  on_holidays: boolean;
}

export interface UnitClosedDay {
  date: string;
  note: string | null;
}

export interface AuditRowEntry {
  row: number;
  time: Time;
  user: string | null;
  username: string | null;
  role: string;
  unit: string | null;
  client: string | null;
  object: string;
  action: string;
  purpose: string | null;
  outcome: string;
  reason: string | null;
}

export interface IdentityBoxEntry {
  unit: string;
  generation: number;
  box: string;
}

/** Fields of each added request (without type and id) and of its reply. */
export interface StaffRequests {
  'note.add': { thread: string; note: string; copy_of?: string };
  'note.list': { thread: string };
  'canned.list': { unit?: string };
  'canned.put': { unit: string; answer: string; box: string };
  'canned.delete': { unit: string; answer: string };
  'thread.presence': { thread: string; state: 'viewing' | 'writing' | 'left' };
  'roster.get': { unit: string };
  'roster.set': { unit: string; shifts: { user: string; days: ShiftEntry['days']; start: string; end: string; on_holidays: boolean }[] };
  'closed.set': { unit: string; add?: UnitClosedDay[]; remove?: string[] };
  'audit.query': { unit?: string; user?: string; client?: string; from?: Time; to?: Time; before?: number; limit?: number };
  'thread.identity': { thread: string };
  /** thread.reassign with the identity box re-sealed for the target unit. */
  'thread.reassign': Omit<Defs['request.thread.reassign'], 'type' | 'id'> & { identity?: string };
}

export interface StaffReplies {
  'note.add': { thread: string; note: string; created: Time };
  'note.list': { thread: string; notes: NoteEntry[] };
  'canned.list': { answers: CannedEntry[] };
  'canned.put': { answer: string; updated: Time };
  'canned.delete': { answer: string; deleted: boolean };
  'thread.presence': { thread: string; viewers: ViewerEntry[] };
  'roster.get': { unit: string; shifts: ShiftEntry[]; closed_days: UnitClosedDay[]; time: Time };
  'roster.set': { unit: string; shifts: ShiftEntry[] };
  'closed.set': { unit: string; closed_days: UnitClosedDay[] };
  'audit.query': { rows: AuditRowEntry[]; more: boolean; chain: { state: 'ok' | 'broken'; checked: number; first_broken: number | null } };
  'thread.identity': { thread: string; boxes: IdentityBoxEntry[] };
  'thread.reassign': Defs['reply.thread.reassign'];
}

export type StaffRequestType = keyof StaffRequests;

/** Events the staff app adds: note.new, canned.changed, thread.presence. */
export interface StaffEvents {
  'note.new': { thread: string; note: NoteEntry };
  'canned.changed': { unit: string };
  'thread.presence': { thread: string; unit: string; viewers: ViewerEntry[] };
}

// ---- the kinds of unit text (CRYPTO-FORMATS.md type 14) ------------------------------------

export const UNIT_TEXT_NOTE = 1;
export const UNIT_TEXT_CANNED = 2;
