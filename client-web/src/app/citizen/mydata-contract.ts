// mydata-contract.ts - what the "Your data" page is given, as types only: the log report of
// who processed the citizen's data and to whom it was disclosed (log.report, 703/2023 §11),
// the export of every thread decrypted in this browser (GDPR 15, 20), and rights requests on a
// thread with their decisions (rights.request, rights.list). mydata.ts makes the controller;
// the views (views/citizen/mydata*.tsx) depend on these types alone.

export type StaffRole = 'worker' | 'supervisor' | 'admin' | 'connector';

/** One access-log row about the citizen by someone else. */
export interface AccessRow {
  time: number;
  unit: string | null;
  unitName: string | null;
  role: StaffRole;
  /** The staff member's display name where the law allows it, else null. */
  name: string | null;
  action: string;
  thread: string | null;
  outcome: string;
}

/** One disclosure of the citizen's data (a hand-over to the client record, an export). */
export interface DisclosureRow {
  time: number;
  thread: string | null;
  recipient: string;
  basis: string;
  dataset: string;
  method: string;
}

export interface LogReport {
  from: number;
  to: number;
  accesses: AccessRow[];
  disclosures: DisclosureRow[];
  /** The server cut the report (2000 rows each): a shorter period shows the rest. */
  more: boolean;
  /** Rows the server sent that were not well formed and are not shown. */
  dropped: number;
}

/** Why a log report was not given: the period starts too far back (the register keeper answers
 *  such requests, 703/2023 §11), or another failure. */
export type LogReportError = 'too_old' | 'failed';

export interface ExportProgress {
  /** Reading threads (and their attachments), packing the zip, done. */
  phase: 'threads' | 'packing' | 'done';
  /** Threads read, and in all. */
  done: number;
  total: number;
  /** Attachments fetched so far. */
  files: number;
}

export interface ExportResult {
  blob: Blob;
  /** The zip's file name ("asiointi-2026-12-07.zip"). */
  name: string;
  threads: number;
  messages: number;
  files: number;
  /** Messages that could not be opened (listed in the export with the reason). */
  unreadable: number;
  /** Attachments that could not be fetched or opened (listed in the export). */
  failedFiles: number;
}

export type RightsKind = 'correction' | 'restriction' | 'objection' | 'erasure';
export type RightsState = 'open' | 'granted' | 'refused' | 'extended';

export interface RightsRequest {
  id: string;
  thread: string;
  kind: RightsKind;
  state: RightsState;
  made: number;
  due: number;
  decided: number | null;
  decidedBy: string | null;
  message: string;
  decisionMessage: string | null;
  /** The decision's reason and text decrypted from the thread; 'unreadable' when it does not
   *  open; null without a decision message. */
  decision: { reason: string; text: string } | 'unreadable' | null;
}

/** What a rights request form needs of a thread. */
export interface ThreadFacts {
  thread: string;
  /** Handed over to the client record: a client document whose retention runs. */
  handedOver: boolean;
  restricted: boolean;
  /** Kept until (ms), or null when not known. */
  retentionUntil: number | null;
  /** The messages one may ask to be corrected (id, time, who, the start of the text). */
  messages: { id: string; seq: number; time: number; mine: boolean; text: string }[];
}

export interface RightsInput {
  thread: string;
  kind: RightsKind;
  /** The citizen's words. */
  text: string;
  /** The message asked to be corrected (correction only), or null. */
  message: string | null;
}

export interface MyDataController {
  /** The log report of [from, to] (ms; default the last two years). Rejects with a
   *  MyDataError of LogReportError's codes. */
  logReport(from?: number, to?: number): Promise<LogReport>;
  /** Every thread and attachment decrypted into a zip; stops with MyDataError('cancelled') when
   *  `signal` aborts. */
  exportAll(onProgress: (p: ExportProgress) => void, signal: AbortSignal): Promise<ExportResult>;
  threadFacts(thread: string): Promise<ThreadFacts>;
  requestRights(input: RightsInput): Promise<RightsRequest>;
  listRights(): Promise<RightsRequest[]>;
}
