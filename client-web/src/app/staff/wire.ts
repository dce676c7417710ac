// wire.ts - the staff app's requests over the connection manager: the added requests of
// wire-types.ts typed as the generated ones are (a thin wrapper over Connection.request), and
// the error a staff operation rejects with (a code the views translate).
import type { Connection } from '../net';
import type { StaffReplies, StaffRequests, StaffRequestType } from './wire-types';

/** Sends one of the added requests; resolves with its reply, rejects as Connection.request does. */
export function staffRequest<T extends StaffRequestType>(conn: Connection, type: T, fields: StaffRequests[T]): Promise<StaffReplies[T]> {
  const send = conn.request.bind(conn) as unknown as (t: string, f: Record<string, unknown>) => Promise<unknown>;
  return send(type, fields as unknown as Record<string, unknown>) as Promise<StaffReplies[T]>;
}

/** A staff operation's refusal: `code` is the contract's code (or the server's, §8). */
export class StaffError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'StaffError';
  }
}

/** The code of an error from the server, the connection or a ThreadsError; 'failed' for anything else. */
export function codeOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'failed';
}

const NETWORK: ReadonlySet<string> = new Set(['timeout', 'network', 'offline', 'unavailable', 'rate_limited', 'user_changed',
  'unauthenticated', 'client_error', 'server_error']);

/** True for codes that mean the request did not get through (the views say "try again"). */
export function isNetwork(code: string): boolean {
  return NETWORK.has(code);
}
