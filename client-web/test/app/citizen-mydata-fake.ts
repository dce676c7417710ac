// citizen-mydata-fake.ts - the fake adviced of citizen-threads-fake.ts with what the "Your data" page
// asks for: log.report (a report set by the test, or a refusal), rights.request (the body
// stored as a thread message, as message.send stores it) and rights.list (the requests made,
// with decisions a test adds); and staff envelopes of any content (content version 2).
import * as c from '../../src/crypto/index';
import { CitizenServer, NOW, unb64, b64, unitThreadKey, type FakeThread, type World } from './citizen-threads-fake';

export class MyDataServer extends CitizenServer {
  /** What log.report answers (a reply's fields), or an Error whose message is "code field". */
  report: Record<string, unknown> | Error = { accesses: [], disclosures: [], more: false };
  /** What rights.list answers; rights.request appends to it. */
  rights: Record<string, unknown>[] = [];
  /** Overrides rights.list's reply (a hostile one). */
  rightsReply: unknown = null;

  receive(sock: Parameters<CitizenServer['receive']>[0], text: string): void {
    const req = JSON.parse(text) as Record<string, unknown>;
    const answer = (o: Record<string, unknown>) => (sock as unknown as { push(o: Record<string, unknown>): void }).push(o);
    const fail = (code: string, field?: string) => answer({ type: 'error', id: req.id, code, message: 'refused', ...(field ? { field } : {}) });
    switch (req.type) {
      case 'log.report': {
        this.received.push(req);
        if (this.report instanceof Error) {
          const [code, field] = this.report.message.split(' ');
          return fail(code, field);
        }
        return answer({ type: 'ok', id: req.id, from: req.from, to: req.to, ...this.report });
      }
      case 'rights.list':
        this.received.push(req);
        return answer({ type: 'ok', id: req.id, ...(this.rightsReply !== null ? (this.rightsReply as object) : { requests: this.rights }) });
      case 'rights.request': {
        this.received.push(req);
        const t = this.threads.get(req.thread as string);
        if (t === undefined) return fail('not_found', '/thread');
        if (c.envelopeParse(unb64(req.body as string)).epoch !== t.epoch) return fail('conflict', '/body');
        const m = this.append(t, 'citizen', req.body as string);
        const r = { id: (this.rights.length + 1).toString(16).padStart(32, '0'), thread: t.thread, kind: req.kind, state: 'open',
          made: this.clock.now(), due: this.clock.now() + 31 * 86400_000, decided: null, decided_by: null,
          message: c.sodium.to_hex(c.envelopeParse(unb64(req.body as string)).messageId), decision_message: null, seq: m.seq };
        this.rights.push(r);
        return answer({ type: 'ok', id: req.id, request: r });
      }
      default:
        return super.receive(sock, text);
    }
  }
}

/** A staff envelope of encoded `content` by `signer` after the last message of t (epoch 0). */
export function staffContent(w: World, t: FakeThread, signer: c.Keys, content: Uint8Array): { body: string; id: string } {
  const tid = c.sodium.from_hex(t.thread);
  const key = c.threadMsgKey(unitThreadKey(w, t), tid, 0, t.share);
  const last = t.messages[t.messages.length - 1];
  const mine = t.messages.filter((m) => {
    try {
      return c.equal(c.envelopeParse(unb64(m.body)).senderKid as Uint8Array, c.kid(signer.signPk));
    } catch {
      return false;
    }
  }).length;
  const messageId = c.random(16);
  const body = b64(c.envelopeSeal({ threadId: tid, messageId, epoch: 0, senderSeq: BigInt(mine + 1),
    prevHash: last ? c.hash(unb64(last.body)) : new Uint8Array(32), createdAt: BigInt(NOW), nonce: c.random(24) }, key, content, signer));
  return { body, id: c.sodium.to_hex(messageId) };
}

/** The unit opens a message of t: its plaintext content bytes. */
export function unitOpens(w: World, t: FakeThread, body: string): Uint8Array {
  const tid = c.sodium.from_hex(t.thread), key = c.threadMsgKey(unitThreadKey(w, t), tid, 0, t.share);
  return c.envelopeOpen(unb64(body), tid, key, w.device.signPk).plain;
}
