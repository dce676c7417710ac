// wire.ts - the messages of advice.v1 as they arrive: a text frame sorted into a reply, an
// error, an event or something malformed (PROTOCOL.md §5, §7), without trusting the server;
// fresh request ids (§1); and what each error code asks of the client (§8).
import type { Defs, ErrorReply, RequestType } from '../../generated/protocol';
import { writeRequestTypes } from '../../generated/protocol';

/** The largest text message the server takes (§2.1, §9); a larger one closes with 1009. */
export const MAX_TEXT_BYTES = 65536;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ERROR_CODES: ReadonlySet<string> = new Set<Defs['error_code']>([
  'bad_json', 'bad_request', 'unknown_type', 'too_large', 'unauthenticated', 'bad_credentials', 'bad_token', 'locked',
  'forbidden', 'not_found', 'conflict', 'thread_closed', 'rate_limited', 'totp_required', 'enrol_required',
  'password_expired', 'restricted', 'unavailable', 'internal',
]);

export type Incoming =
  | { kind: 'ok'; id: string; msg: Record<string, unknown> }
  | { kind: 'error'; id: string | null; error: ErrorReply }
  | { kind: 'event'; name: string; msg: Record<string, unknown> }
  | { kind: 'malformed'; why: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sorts one text frame from the server. Never throws. */
export function parseIncoming(text: string): Incoming {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { kind: 'malformed', why: 'not JSON' };
  }
  if (!isObject(msg)) return { kind: 'malformed', why: 'not an object' };
  if (msg.type === 'event') {
    return typeof msg.event === 'string' ? { kind: 'event', name: msg.event, msg } : { kind: 'malformed', why: 'event without a name' };
  }
  if (msg.type === 'ok') {
    return typeof msg.id === 'string' && REQUEST_ID.test(msg.id) ? { kind: 'ok', id: msg.id, msg }
      : { kind: 'malformed', why: 'ok without a request id' };
  }
  if (msg.type === 'error') {
    const id = typeof msg.id === 'string' && REQUEST_ID.test(msg.id) ? msg.id : null;
    if (msg.id !== null && id === null) return { kind: 'malformed', why: 'error with a bad request id' };
    const code = typeof msg.code === 'string' && ERROR_CODES.has(msg.code) ? (msg.code as Defs['error_code']) : 'internal';
    const error: ErrorReply = { type: 'error', id, code, message: typeof msg.message === 'string' ? msg.message.slice(0, 512) : '' };
    if (typeof msg.field === 'string') error.field = msg.field.slice(0, 256);
    const ra = msg.retry_after;
    if (typeof ra === 'number' && Number.isInteger(ra) && ra >= 1) error.retry_after = Math.min(ra, 7 * 86400);
    return { kind: 'error', id, error };
  }
  return { kind: 'malformed', why: 'unknown message type' };
}

/** A fresh request id: 16 random bytes in base64url, 22 characters (§1, §5.3). */
export function newRequestId(randomBytes: (n: number) => Uint8Array = webRandom): string {
  const b = randomBytes(16);
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function webRandom(n: number): Uint8Array {
  const b = new Uint8Array(n);
  globalThis.crypto.getRandomValues(b);
  return b;
}

export function isRequestId(id: unknown): id is string {
  return typeof id === 'string' && REQUEST_ID.test(id);
}

const WRITES: ReadonlySet<string> = new Set(writeRequestTypes);

/** True for the idempotent writes of §5.3 (resent with the same id, kept in the outbox). */
export function isWrite(type: RequestType | string): boolean {
  return WRITES.has(type);
}

/**
 * Requests whose reply may be large (up to the 262144-byte bound of §9): at most two of them
 * are outstanding on a connection, so that their replies always fit in the server's queue for
 * the connection (never configured below twice that bound, §2.1).
 */
const LARGE_REPLIES: ReadonlySet<string> = new Set([
  'thread.read', 'thread.list', 'file.get', 'keys.mine', 'keys.unit', 'thread.keys', 'log.report', 'rights.list',
]);

export function hasLargeReply(type: string): boolean {
  return LARGE_REPLIES.has(type);
}

/** The UTF-8 size of a string. */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** What the client does with an error reply to a request (§8). */
export type ErrorAction =
  | { kind: 'final' } // tell the caller: resending does not help
  | { kind: 'wait'; ms: number } // wait, then resend with the same id
  | { kind: 'reconnect' } // the server is stopping or the session ended: resend after a reconnect
  | { kind: 'retry_once' }; // internal: maybe once, with the same id

/**
 * The action for `error`. A wait longer than `maxWaitMs` (a citizen's daily limit runs until
 * midnight) is final: the caller tells the user when to try again.
 */
export function errorAction(error: ErrorReply, maxWaitMs: number): ErrorAction {
  switch (error.code) {
    case 'rate_limited':
    case 'unavailable':
      if (error.retry_after !== undefined) {
        const ms = error.retry_after * 1000;
        return ms <= maxWaitMs ? { kind: 'wait', ms } : { kind: 'final' };
      }
      return error.code === 'unavailable' ? { kind: 'reconnect' } : { kind: 'final' };
    case 'unauthenticated':
      return { kind: 'reconnect' };
    case 'internal':
      return { kind: 'retry_once' };
    default:
      return { kind: 'final' };
  }
}
