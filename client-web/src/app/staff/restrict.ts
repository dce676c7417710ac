// restrict.ts - restricted threads (GDPR 18): frozen, every write refused with `restricted`, and
// staff reads only "for a legal claim" with a reason. A legal-claim connection is the session's
// connection for one thread with `purpose: "legal_claim"` and the reason added to every read of
// that thread (thread.read, thread.keys, file.get, note.list, thread.identity); its messages are
// read by this file (the connection manager's own reads carry no purpose). Pure apart from the
// requests it is given to make.
import type { Connection, Message, ThreadHandle } from '../net';
import { ThreadLog } from '../net/sync';

export const CLAIM_REASON_MAX = 500;
export const LEGAL_CLAIM = 'legal_claim';

/** The reads a restricted thread refuses without a purpose. */
export const CLAIM_READS: ReadonlySet<string> = new Set(['thread.read', 'thread.keys', 'file.get', 'note.list', 'thread.identity']);

/** The reason as it will be sent, or null when it is not 1..500 characters. */
export function claimReason(reason: string): string | null {
  const r = reason.trim();
  return r.length === 0 || r.length > CLAIM_REASON_MAX ? null : r;
}

/** True when a refusal means the thread is restricted (the server's code). */
export function isRestricted(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'restricted';
}

/**
 * `conn` for the reads of one restricted thread: the purpose and reason added to the reads of
 * CLAIM_READS (file.get of any file: the thread's attachments are read only here), and
 * openThread read page by page here with them; everything else as `conn`.
 */
export function legalClaimConnection(conn: Connection, thread: string, reason: string): Connection {
  const purpose = { purpose: LEGAL_CLAIM, reason };
  const send = conn.request.bind(conn) as unknown as (t: string, f: Record<string, unknown>) => Promise<unknown>;
  const request = (type: string, fields: Record<string, unknown>): Promise<unknown> =>
    send(type, CLAIM_READS.has(type) && (type === 'file.get' || fields.thread === thread) ? { ...fields, ...purpose } : fields);
  const openThread = (id: string): ThreadHandle => (id === thread ? claimHandle(request, thread) : conn.openThread(id));
  return new Proxy(conn, {
    get(target, prop) {
      if (prop === 'request') return request;
      if (prop === 'openThread') return openThread;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** The thread's messages read once, page by page, with the purpose (a restricted thread takes no new ones). */
function claimHandle(request: (type: string, fields: Record<string, unknown>) => Promise<unknown>, thread: string): ThreadHandle {
  const log = new ThreadLog(thread);
  const listeners = new Set<(fresh: Message[]) => void>();
  let closed = false;
  void (async () => {
    for (let page = 0; page < 1000 && !closed; page++) {
      const before = log.lastSeq;
      let r: { messages?: unknown; certs?: unknown; more?: unknown };
      try {
        r = (await request('thread.read', { thread, after_seq: before, limit: 50 })) as typeof r;
      } catch {
        return; // the reader shows what came; the view says the read failed
      }
      log.addCerts(r.certs);
      const { fresh } = log.accept(Array.isArray(r.messages) ? r.messages : [], false);
      if (fresh.length > 0 && !closed) for (const fn of [...listeners]) fn(fresh);
      if (r.more !== true || log.lastSeq === before) return;
    }
  })();
  return {
    messages: () => log.messages(),
    certs: () => log.certs(),
    get lastSeq() {
      return log.lastSeq;
    },
    subscribe: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    close: () => {
      closed = true;
      listeners.clear();
    },
  };
}
