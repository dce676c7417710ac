// contract.ts - what the staff app (social workers and supervisors, at /staff) is made of, as
// types only: the login and the worker's keys in memory (auth.ts, keys.ts), the queues and
// threads decrypted and written in the browser (queue.ts, thread.ts), the supervisor's tools
// (supervise.ts), and what the views (views/staff/) are given. The implementations live
// beside this file; views depend on these types alone.
import type { Keys } from '../../crypto/index';
import type { Lang } from '../i18n-langs';
import type { FileCheck, FileInfo, MessageMark, PickedFile, UnreadableMessage, UploadProgress } from '../citizen/contract';

export type { FileCheck, FileInfo, MessageMark, PickedFile, UnreadableMessage, UploadProgress };

// ---- login, first login, keys, lock (auth.ts, keys.ts) -------------------------------------

/** A unit of the staff member, from welcome. */
export interface StaffUnit {
  unit: string;
  name: string;
  role: 'worker' | 'supervisor';
}

/** Why a login step was refused, for the views to explain (the server's code, or the client's). */
export type LoginErrorCode =
  | 'bad_credentials' // wrong username, password, code or setup code (one text for all)
  | 'totp_required' // ask for the 6-digit code
  | 'enrol_required' // the account needs a second factor first (first-login flow)
  | 'password_expired' // must choose a new password
  | 'locked' // wait `retryAfter` seconds (or an administrator unlocks)
  | 'rate_limited' // too many failures from this address: wait `retryAfter`
  | 'forbidden' // the account or its roles have ended
  | 'weak_parameters' // the server named a cost below the client's floor: refused, nothing sent
  | 'password_rules' // the new password does not meet the rules (length, match)
  | 'network'
  | 'failed';

export interface LoginError {
  code: LoginErrorCode;
  retryAfter?: number;
}

/** Where the staff member stands, for the views. */
export type StaffAuthState =
  | { kind: 'checking' } // is there a session already (a reload)?
  | { kind: 'login'; error?: LoginError } // username + password (+ code)
  | { kind: 'totp'; username: string; error?: LoginError } // the password was right: the code
  /** First login with a setup code: choose a password, then enrol the authenticator. */
  | { kind: 'setup-password'; username: string; error?: LoginError }
  | { kind: 'setup-totp'; username: string; secret: string; uri: string; error?: LoginError }
  /** The password must change (expired, or asked for): new password twice. */
  | { kind: 'change-password'; username: string; error?: LoginError }
  /** Logged in; keys are being opened or made. */
  | { kind: 'keys-loading' }
  /** Keys made in this browser and filed; an administrator must certify them after comparing
   *  this fingerprint (39 characters, groups) with what advicectl shows. */
  | { kind: 'awaiting-certification'; fingerprint: string }
  | { kind: 'ready'; session: StaffSession }
  /** Idle too long: keys wiped from memory; the views stay mounted (inert) under the lock. */
  | { kind: 'locked'; session: StaffSession; error?: LoginError }
  | { kind: 'failed'; reason: string };

/** The worker's keys in memory only (never stored in the browser). */
export interface StaffKeys {
  userId: string;
  /** The worker's identity keys (sign envelopes, wraps, notes; the certified key). */
  identity: Keys;
  /** The worker's own certificates and the admin certificates (keys.mine `own_certs`, `certs`). */
  ownCerts: Uint8Array[];
  adminCerts: Uint8Array[];
  /** The pinned root key. */
  root: Uint8Array;
  /** The keys of a unit's key generation, checked against its signed event; null when not held. */
  unitKeys(unit: string, generation: number): Keys | null;
  /** The newest generation of the unit the worker holds, or null. */
  currentGeneration(unit: string): number | null;
}

export interface StaffSession {
  userId: string;
  username: string;
  units: StaffUnit[];
  /** True when the caller supervises at least one unit. */
  supervisor: boolean;
  /** The keys while unlocked; null while locked (operations that need them wait or refuse). */
  keys(): StaffKeys | null;
}

export interface StaffAuthController {
  state(): StaffAuthState;
  subscribe(fn: (s: StaffAuthState) => void): () => void;
  /** Username + password (and the code when the state asks). */
  login(username: string, password: string, totp?: string): Promise<void>;
  totp(code: string): Promise<void>;
  /** First login: username + the setup code from the administrator. */
  startSetup(username: string, setupCode: string): Promise<void>;
  /** In setup-password: the new password twice (rules checked here first). */
  choosePassword(password: string, again: string): Promise<void>;
  /** In setup-totp: the first code from the authenticator; makes the keys in this browser. */
  confirmTotp(code: string): Promise<void>;
  /** Logged in: a new password (re-wraps the key bundle, keys.bundle.put). */
  changePassword(current: string, next: string, again: string): Promise<void>;
  /** In locked: the password again (opens the bundle held in memory; no server round trip). */
  unlock(password: string): Promise<void>;
  lock(): void;
  logout(): Promise<void>;
}

// ---- the queues (queue.ts) -----------------------------------------------------------------

export type ThreadState = 'new' | 'claimed' | 'answered' | 'waiting' | 'closed';

export interface Deadline {
  kind: 'first_answer' | 'follow_up';
  state: 'running' | 'paused' | 'stopped';
  level: 'ok' | 'at_risk' | 'missed';
  due: number;
  warnAt: number;
  /** Working days left until `due` (negative: overdue), from the queue settings' calendar. */
  workingDaysLeft: number;
}

export interface PersonName {
  name: string;
  title: string | null;
}

export interface QueueItem {
  thread: string;
  unit: string;
  category: string;
  /** The category's (queue's) display name. */
  categoryName: string;
  state: ThreadState;
  assignee: string | null;
  assigneeName: PersonName | null;
  /** Assigned to the caller. */
  mine: boolean;
  created: number;
  updated: number;
  unread: number;
  deadline: Deadline | null;
  /** A deadline at risk or missed: shown as escalated. */
  escalated: boolean;
}

export type QueueView = 'new' | 'mine' | 'waiting' | 'escalated' | 'all' | 'closed';
export type QueueSort = 'deadline' | 'oldest' | 'updated';

export interface QueueFilter {
  view: QueueView;
  unit?: string;
  category?: string;
  sort: QueueSort;
}

export interface QueueCounts {
  new: number;
  mine: number;
  waiting: number;
  escalated: number;
  unread: number;
}

export interface DutyState {
  /** The caller's duty now, and the override's mode ('roster': following the roster). */
  onDuty: boolean;
  mode: 'on' | 'off' | 'roster';
  until: number | null;
}

export interface QueueSnapshot {
  loading: boolean;
  items: QueueItem[]; // every thread the caller may see, unfiltered
  counts: QueueCounts;
  duty: DutyState | null;
  /** Categories (queues) of the caller's units, for the filter. */
  categories: { category: string; name: string; unit: string }[];
  /** Threads that arrived (state new) since the page was opened or last acknowledged. */
  arrived: number;
}

export interface QueueController {
  snapshot(): QueueSnapshot;
  subscribe(fn: (s: QueueSnapshot) => void): () => void;
  /** The items that pass the filter, sorted. Pure over the snapshot. */
  select(filter: QueueFilter): QueueItem[];
  setDuty(mode: 'on' | 'off' | 'roster', until?: number): Promise<void>;
  /** The worker saw the new arrivals (resets `arrived`, the tab title's count). */
  acknowledge(): void;
}

// ---- one thread (thread.ts) ----------------------------------------------------------------

/** The citizen's identity, opened from the box sealed to the unit (thread.identity, logged). */
export type CitizenIdentity =
  | { kind: 'loading' }
  | { kind: 'ok'; name: string; hetu: string; verifiedAt: number }
  /** No box the caller can open (sealed to a generation not held, or none). */
  | { kind: 'unavailable' }
  /** A box that does not check (another thread, unit, damaged): never shown. */
  | { kind: 'refused' };

export interface StaffMessage {
  seq: number;
  time: number;
  /** 'citizen', or staff (the author's name and title; `me` when the caller wrote it). */
  from: 'citizen' | 'staff';
  me: boolean;
  author: PersonName | null;
  text: string;
  files: FileInfo[];
  mark: MessageMark;
  /** A staff message that asked the citizen for more information (await_reply). */
  asksMore: boolean;
  /** The message id (hex) from the signed envelope; absent in older snapshots. */
  id?: string;
  /** Content version 2: a correction, a rights request or a decision (correct.ts). */
  content?: MessageContent;
  /** The corrections of this message, oldest first (their seqs). */
  correctedBy?: number[];
}

/** What a version 2 message is, as signed in its content (CRYPTO-FORMATS content version 2). */
export type MessageContent =
  /** `target`: the seq of the staff message it corrects, or null when none of the thread is that one;
   *  `mismatch`: the server's `corrects` names another message than the signed ref. */
  | { kind: 'correction'; ref: string; reason: string; target: number | null; mismatch: boolean }
  | { kind: 'rights_request' }
  | { kind: 'rights_decision'; ref: string | null; reason: string };

/** The consent to hand the thread over to the client record (thread snapshot `consent`). */
export interface ThreadConsent {
  given: number;
  withdrawn: number | null;
}

export interface InternalNote {
  note: string;
  time: number;
  author: PersonName | null;
  me: boolean;
  /** The text, or null when it cannot be read here (sealed to a generation or unit not held). */
  text: string | null;
  /** A copy re-sealed for this unit when the thread moved: the original's author and time. */
  copyOf: string | null;
  /** Refused: the note does not verify (author, thread, unit); shown as a warning, never its text. */
  refused: boolean;
}

export interface Viewer {
  user: string;
  name: PersonName | null;
  state: 'viewing' | 'writing';
  since: number;
}

export interface StaffThreadSnapshot {
  thread: string;
  unit: string;
  category: string;
  categoryName: string;
  state: ThreadState;
  assignee: string | null;
  assigneeName: PersonName | null;
  mine: boolean;
  created: number;
  deadline: Deadline | null;
  identity: CitizenIdentity;
  /** "The citizen has a new identity since": a time, or null (PROTOCOL.md §12.3). */
  newIdentitySince: number | null;
  messages: StaffMessage[];
  unreadable: UnreadableMessage[];
  /** False while a message is known to be missing (a gap). */
  complete: boolean;
  /** The thread keys could not be opened (no wrap to a generation held). */
  locked: boolean;
  notes: InternalNote[];
  /** Other staff with the thread open now (the caller not among them). */
  viewers: Viewer[];
  sending: { local: string; text: string; files: string[]; failed?: string }[];
  /** The thread left the caller's reach (reassigned away, access ended): the view says so. */
  gone: boolean;
  /** Restricted (GDPR 18): frozen; read only for a legal claim (restrict.ts). */
  restricted?: boolean;
  /** The reason given for reading this restricted thread for a legal claim, or null. */
  legalClaim?: string | null;
  consent?: ThreadConsent | null;
  /** Handed over to the client record (any hand-over of the thread). */
  handedOver?: boolean;
  /** When the thread is due to be deleted (retention), or null. */
  retentionUntil?: number | null;
}

/** A correction of one staff message (content version 2 kind 1, message.send `corrects`). */
export interface CorrectionInput {
  /** The message id (hex) of the staff message corrected. */
  target: string;
  text: string;
  reason: string;
}

export type CorrectionError = 'target' | 'text' | 'reason' | 'restricted' | 'closed' | 'forbidden' | 'network' | 'failed';

export interface AnswerInput {
  text: string;
  files: PickedFile[];
  /** "Ask for more information": the deadline pauses until the citizen writes. */
  asksMore: boolean;
}

export interface StaffThreadWatch {
  snapshot(): StaffThreadSnapshot | null;
  subscribe(fn: (s: StaffThreadSnapshot) => void): () => void;
  /** Tells the others (collision guard): the caller is writing, or only viewing. */
  setWriting(writing: boolean): void;
  /** The worker asked to see the client's identity (thread.identity, which is logged): fetch it
   *  now if not yet fetched; `identity` follows. Optional: without it the view only reveals
   *  what `identity` already holds. */
  showIdentity?(): void;
  close(): void;
}

/** 'others_writing': the collision guard, someone else is writing; call again with force. */
export type ClaimError = 'taken' | 'others_writing' | 'closed' | 'network' | 'failed';

export interface StaffThreadsController {
  watch(thread: string): StaffThreadWatch;
  checkFile(f: PickedFile): FileCheck;
  /** Claims the thread; rejects with a ClaimError code (`force` skips the collision warning). */
  claim(thread: string, force?: boolean): Promise<void>;
  answer(thread: string, input: AnswerInput, onProgress: (p: UploadProgress) => void): Promise<void>;
  close(thread: string): Promise<void>;
  /** Back to the queue (the assignee; or a supervisor). */
  release(thread: string, reason?: string): Promise<void>;
  addNote(thread: string, text: string): Promise<void>;
  markRead(thread: string, seq: number): void;
  download(thread: string, f: FileInfo): Promise<Blob>;
  /** Drafts in memory only (work PCs keep nothing): survive the lock screen, not a reload. */
  draft(thread: string): string;
  setDraft(thread: string, text: string): void;
  /** The assignee corrects a staff message; rejects with a CorrectionError code. */
  correct?(thread: string, input: CorrectionInput): Promise<void>;
  /** Reads a restricted thread for a legal claim: every read then carries the purpose and
   *  `reason` (1..500 characters); rejects with 'reason' when it is not. */
  readForClaim?(thread: string, reason: string): Promise<void>;
}

// ---- rights requests (rights.ts) -----------------------------------------------------------

export type RightsKind = 'correction' | 'restriction' | 'objection' | 'erasure';
export type RightsState = 'open' | 'granted' | 'refused' | 'extended';
export type RightsOutcome = 'granted' | 'refused' | 'extended';

export interface RightsRequest {
  id: string;
  thread: string;
  unit: string | null;
  kind: RightsKind;
  state: RightsState;
  made: number;
  due: number;
  decided: number | null;
  decidedBy: string | null;
  /** The message id of the citizen's request (content kind 2) in the thread. */
  message: string;
  decisionMessage: string | null;
}

/** Open (or extended) and past due, or due within 7 days; null when decided or not near. */
export type DueFlag = 'overdue' | 'soon' | null;

export type DecisionError = 'reason' | 'extend_once' | 'handed_over' | 'restricted' | 'forbidden' | 'keys' | 'network' | 'failed';

export interface RightsController {
  /** The requests of the supervisor's units (open ones first by due date). */
  list(openOnly?: boolean): Promise<RightsRequest[]>;
  forThread(thread: string): Promise<RightsRequest[]>;
  /** The decision with its reason sealed in the thread (content kind 3); rejects with a DecisionError. */
  decide(r: RightsRequest, outcome: RightsOutcome, reason: string): Promise<void>;
}

// ---- canned answers (canned.ts) ------------------------------------------------------------

export interface CannedAnswer {
  answer: string;
  unit: string;
  lang: Lang;
  title: string;
  text: string;
  updated: number;
}

export interface CannedController {
  /** The canned answers of a unit the caller can read (sealed to a generation held). */
  list(unit: string): Promise<CannedAnswer[]>;
  /** Supervisors: a new (answer absent) or changed answer, sealed to the unit's current key. */
  save(unit: string, a: { answer?: string; lang: Lang; title: string; text: string }): Promise<string>;
  remove(unit: string, answer: string): Promise<void>;
}

// ---- the supervisor (supervise.ts) ---------------------------------------------------------

export interface DashboardQueue {
  queue: string;
  category: string;
  name: string;
  waiting: number;
  oldestWaiting: number | null;
  atRisk: number;
  missed: number;
  open: number;
}

export interface DashboardWorker {
  user: string;
  username: string;
  name: PersonName | null;
  role: 'worker' | 'supervisor';
  onDuty: boolean;
  load: number;
}

export interface UnitDashboard {
  unit: string;
  name: string;
  queues: DashboardQueue[];
  workers: DashboardWorker[];
  time: number;
}

export interface Shift {
  user: string;
  username?: string;
  name?: PersonName | null;
  days: ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[];
  start: string; // "HH:MM"
  end: string;
  onHolidays: boolean;
}

export interface ClosedDay {
  date: string; // YYYY-MM-DD
  note: string | null;
}

export interface AuditRow {
  row: number;
  time: number;
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

export interface AuditQuery {
  unit?: string;
  user?: string;
  client?: string;
  from?: number;
  to?: number;
  before?: number;
}

export interface AuditPage {
  rows: AuditRow[];
  more: boolean;
  chain: { state: 'ok' | 'broken'; checked: number; firstBroken: number | null };
}

/** Reassign: to a worker of the thread's unit, or to another queue (possibly another unit). */
export interface ReassignInput {
  toUser?: string;
  toCategory?: string;
  reason: string;
}

export type ReassignError = 'not_found' | 'forbidden' | 'closed' | 'no_reason' | 'keys' | 'network' | 'failed';

export interface SuperviseController {
  dashboards(): UnitDashboard[];
  subscribe(fn: (d: UnitDashboard[]) => void): () => void;
  /** Re-keys first when the target is another unit (new epoch sealed to it and the citizen,
   *  the identity box re-sealed, notes copied), then thread.reassign. Rejects with a ReassignError. */
  reassign(thread: string, input: ReassignInput): Promise<void>;
  release(thread: string, reason: string): Promise<void>;
  /** Every queue the caller may move a thread to (all units' categories), for the dialog. */
  targets(): Promise<{ category: string; name: string; unit: string; unitName: string }[]>;
  roster(unit: string): Promise<{ shifts: Shift[]; closedDays: ClosedDay[]; members: { user: string; username: string; name: PersonName | null }[] }>;
  setRoster(unit: string, shifts: Shift[]): Promise<void>;
  setClosedDays(unit: string, add: ClosedDay[], remove: string[]): Promise<void>;
  audit(q: AuditQuery): Promise<AuditPage>;
}

// ---- the factories (one per implementation file) ----------------------------------------
//
// auth.ts:      export function createStaffAuth(deps: StaffAuthDeps): StaffAuthController
//               (StaffAuthDeps: fetch-like post, the CryptoSession loader, a Connection maker;
//               auth.ts owns the Connection of the logged-in staff page and exposes it as
//               `connection()` on its implementation for the shell)
// queue.ts:     export function createQueueController(conn: Connection, session: StaffSession): QueueController
// thread.ts:    export function createStaffThreads(conn: Connection, cs: CryptoSession, session: StaffSession): StaffThreadsController
// canned.ts:    export function createCanned(conn: Connection, cs: CryptoSession, session: StaffSession): CannedController
// supervise.ts: export function createSupervise(conn: Connection, cs: CryptoSession, session: StaffSession): SuperviseController
// (Connection from ../net, CryptoSession from ../crypto-load.) The staff shell
// (staff/shell.ts, views/staff/app.tsx) makes the auth controller and, once `ready`, the others.
