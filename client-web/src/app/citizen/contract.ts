// contract.ts - what the citizen's logged-in app is made of, as types only: the device's keys
// (keys.ts: made, recovered, approved and listed on the citizen's devices), the threads
// decrypted and written in the browser (threads.ts), and what the views (views/citizen/) are
// given. The implementations live beside this file; views depend on these types alone.
import type { Keys } from '../../crypto/index';
import type { Lang } from '../i18n-langs';

// ---- the device's keys (keys.ts) -----------------------------------------------------------

/** This device's keys once it holds an identity: what threads.ts and the outbox need. */
export interface CitizenKeys {
  /** The citizen's user id (welcome's `user`, hex). */
  userId: string;
  /** The identity's keys (thread keys are wrapped to its X25519 key). */
  identity: Keys;
  /** kid(identity Ed25519 key), hex: the identity id of the protocol. */
  identityId: string;
  /** This device's own keys (signs envelopes, wraps, certificates' requests). */
  device: Keys;
  /** kid of this device (hex BLAKE2b-128 of its X25519 key), as device.list names it. */
  deviceKid: string;
  /** The seed of this device's keys: the outbox's and drafts' key (CRYPTO-FORMATS.md). */
  deviceSeed: Uint8Array;
}

/** Where this device stands with the citizen's keys, for the views. */
export type KeyState =
  | { kind: 'loading' }
  /** The citizen has no identity yet: the first login makes one (and the recovery code). */
  | { kind: 'first-login' }
  /** The citizen has identities, this device holds none: approve, recover, or start anew. */
  | { kind: 'new-device'; identities: number; hasRecovery: boolean }
  | { kind: 'ready'; keys: CitizenKeys }
  /** The server no longer knows this device (removed, or idle too long): set up again. */
  | { kind: 'removed' }
  | { kind: 'failed'; reason: string };

/** A device of the citizen, as device.list lists it, checked against the identity. */
export interface DeviceInfo {
  kid: string;
  /** This browser. */
  current: boolean;
  created: number;
  lastUsed: number | null;
  /** The certificate verifies under one of the citizen's identities. */
  verified: boolean;
}

/** The new device's side of an approval (asked on this device, approved on another). */
export type ApprovalAsk =
  | { kind: 'waiting' } // the request is filed; open the app on the other device
  | { kind: 'compare'; code: string } // the 12 digits "dddd dddd dddd" to compare
  | { kind: 'done' } // the identity arrived and checked: keys are ready
  | { kind: 'expired' }
  | { kind: 'failed'; reason: string };

/** The existing device's side: a request from a new device, challenged by this one. */
export type ApprovalAnswer =
  | { kind: 'incoming'; request: string; created: number } // "a new device asks": approve?
  | { kind: 'waiting'; request: string } // challenged; waiting for the new device's reveal
  | { kind: 'compare'; request: string; code: string } // same code on both? approve / refuse
  | { kind: 'done'; request: string }
  | { kind: 'refused'; request: string; reason: 'mismatch' | 'commitment' | 'expired' | 'declined' };

export interface KeyController {
  state(): KeyState;
  subscribe(fn: (s: KeyState) => void): () => void;
  /** First login: makes the identity, registers it and this device, stores the recovery box;
   *  resolves with the recovery code, to be shown once. */
  createIdentity(): Promise<{ recoveryCode: string }>;
  /** New device: opens the recovery box with the code as typed. Rejects with a KeyError
   *  ('typo': not a well-formed code, 'wrong_code': does not open the box). */
  recover(code: string): Promise<void>;
  /** New device: starts a new identity without the old messages (a new recovery code). */
  startNewIdentity(): Promise<{ recoveryCode: string }>;
  /** New device: files an approval request and follows it. */
  askApproval(onChange: (s: ApprovalAsk) => void): { cancel(): void };
  /** Existing device: requests from new devices, as they come and go. */
  watchApprovals(onChange: (requests: ApprovalAnswer[]) => void): () => void;
  challenge(request: string): Promise<void>;
  approve(request: string): Promise<void>;
  decline(request: string): void;
  devices(): Promise<DeviceInfo[]>;
  removeDevice(kid: string): Promise<void>;
  /** After createIdentity or startNewIdentity, once the citizen confirmed the recovery code is
   *  saved: the keys become ready (until then the state stays, so the code stays on screen;
   *  a reload before it resumes the setup with the same keys and a new code). */
  finishSetup?(): Promise<void>;
  /** Checks this device's keys again from the start (after 'removed' or 'failed'). */
  restart?(): void;
}

/** 'failed': refused for another reason (a reply that does not check out, a server refusal). */
export type KeyErrorCode = 'typo' | 'wrong_code' | 'no_recovery' | 'conflict' | 'network' | 'failed';

// ---- threads (threads.ts) ------------------------------------------------------------------

export interface Category {
  category: string;
  name: string;
  openNow: boolean;
  serviceHours: { open: string; close: string };
  answerDays: number;
  expectedBy: number | null;
}

/** A file the citizen picked, before upload. */
export interface PickedFile {
  name: string;
  bytes: Uint8Array;
}

/** Why a picked file cannot be sent (checked before any upload). */
export type FileProblem = 'type' | 'too_large' | 'empty' | 'too_many';

export interface FileCheck {
  ok: boolean;
  problem?: FileProblem;
  /** The media type found by its content (MEDIA_NAMES of the crypto module). */
  media?: number;
  /** An image the app may preview (JPEG, PNG). */
  image: boolean;
}

export interface UploadProgress {
  /** Index into the files of the send. */
  file: number;
  state: 'waiting' | 'encrypting' | 'uploading' | 'done' | 'failed';
  /** Bytes of the padded plaintext sent, and in all. */
  sent: number;
  total: number;
  error?: string;
}

/** An attachment of a received message, as its signed reference names it. */
export interface FileInfo {
  file: string;
  /** The real size (from the signed reference). */
  size: number;
  media: number;
}

/** How the thread verifier judged a message (CRYPTO-FORMATS.md, "Thread order"). */
export type MessageMark = 'ok' | 'gap' | 'late' | 'fork';

export interface ShownMessage {
  seq: number;
  time: number;
  /** Sent by this citizen (any of their devices) or by staff. */
  mine: boolean;
  /** Staff: the name and title the unit lets the citizen see, or null (a neutral text). */
  author: { name: string; title: string | null } | null;
  text: string;
  files: FileInfo[];
  mark: MessageMark;
  /** The message id (hex) the envelope carries. */
  id?: string;
  /** Content version 2: kind (1 correction, 2 rights request, 3 rights decision), the message
   *  it refers to (hex; zeros for none) and its note (a correction's or decision's reason). */
  v2?: { kind: 1 | 2 | 3; ref: string; note: string };
}

/** A message that could not be shown: the reason, never its content ('stale_epoch': written with
 *  a thread key that had been replaced before, as only someone no longer holding the thread would). */
export interface UnreadableMessage {
  seq: number;
  time: number;
  reason: 'untrusted_sender' | 'bad_signature' | 'no_key' | 'damaged' | 'replay' | 'wrong_thread' | 'duplicate_id'
    | 'stale_epoch';
}

export interface ThreadSnapshot {
  thread: string;
  state: 'new' | 'claimed' | 'answered' | 'waiting' | 'closed';
  category: string;
  messages: ShownMessage[];
  unreadable: UnreadableMessage[];
  /** False while a message is known to be missing (a gap the server has not filled). */
  complete: boolean;
  /** The keys could not be opened (no wrap to this identity, a thread of an older identity). */
  locked: boolean;
  /** The server has no such thread for this citizen (erased, or never theirs). */
  missing?: boolean;
  /** Processing is restricted (GDPR 18, PROTOCOL.md §14.8): readable, but no reply is taken. */
  restricted?: boolean;
  /** Messages being sent from this device: shown at once, marked as sending. */
  sending: { local: string; text: string; files: string[]; failed?: string }[];
}

export interface ThreadWatch {
  snapshot(): ThreadSnapshot | null;
  subscribe(fn: (s: ThreadSnapshot) => void): () => void;
  close(): void;
}

export interface AskInput {
  category: string;
  text: string;
  files: PickedFile[];
  lang: Lang;
}

export interface ThreadsController {
  categories(): Promise<Category[]>;
  checkFile(f: PickedFile): FileCheck;
  /** A new question: encrypted, its attachments uploaded, the thread opened and its key
   *  wrapped to the unit and the identity. Resolves with the thread id. */
  ask(input: AskInput, onProgress: (p: UploadProgress) => void): Promise<string>;
  watch(thread: string): ThreadWatch;
  reply(thread: string, text: string, files: PickedFile[], onProgress: (p: UploadProgress) => void): Promise<void>;
  close(thread: string): Promise<void>;
  markRead(thread: string, seq: number): void;
  /** The attachment decrypted and type-checked; rejects with 'type_mismatch' and the like. */
  download(thread: string, f: FileInfo): Promise<Blob>;
  /** Drafts on this device, encrypted (CRYPTO-FORMATS.md "Drafts"); thread null: a new question. */
  loadDraft(thread: string | null): Promise<string>;
  saveDraft(thread: string | null, text: string): Promise<void>;
  discardDraft(thread: string | null): Promise<void>;
  /** Consent to hand threads over to the client record (consent.ts). */
  consent?: ConsentController;
}

// ---- consent to link a thread to the client record (consent.ts) --------------------------

/** A thread's consent as the server keeps it (the protocol's `Consent`, without the event). */
export interface ConsentInfo {
  /** kid (hex) of the connector the thread key is sealed to. */
  connector: string;
  given: number;
  withdrawn: number | null;
  /** The thread's key epoch when it was given. */
  epoch: number;
}

export interface ConsentStatus {
  /** The latest consent of the thread (live while withdrawn is null), or null when none was given. */
  consent: ConsentInfo | null;
  /** The thread (or an epoch of it) has been handed over to the client record. */
  handedOver: boolean;
}

/** What was shown to the citizen, in one language: the consent event hashes exactly these. */
export interface ShownConsent {
  lang: Lang;
  recipient: string;
  scope: string;
  text: string;
}

export interface ConsentController {
  status(thread: string): Promise<ConsentStatus>;
  /** Seals every epoch's key to the connector and signs the consent; rejects with a ThreadsError
   *  ('no_connector', 'locked', 'stale_epoch') or the server's refusal. */
  give(thread: string, shown: ShownConsent): Promise<ConsentStatus>;
  /** Withdraws the live consent and starts a new epoch the connector cannot open. */
  withdraw(thread: string, shown: ShownConsent): Promise<ConsentStatus>;
}

// ---- the factories (one per implementation file) ----------------------------------------
//
// keys.ts:    export function createKeyController(conn: Connection, cs: CryptoSession,
//                                                 userId: string): KeyController
// threads.ts: export function createThreadsController(conn: Connection, cs: CryptoSession,
//                                                     keys: CitizenKeys): ThreadsController
// (Connection from ../net, CryptoSession from ../crypto-load.) The logged-in shell
// (session.ts beside them) makes the Connection, loads the encryption module, makes the key
// controller, and once its state is `ready` gives the connection its outbox under
// keys.deviceSeed and makes the threads controller.
