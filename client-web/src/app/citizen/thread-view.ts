// thread-view.ts - one thread decrypted for the citizen, as the views show it: the server's
// messages fed in its order through a thread verifier (CRYPTO-FORMATS.md "Thread order"), each
// either shown (its text and attachments, marked ok, gap, late or fork) or listed as unreadable
// with the reason and never its content; whether the thread is complete; the file references
// that downloads need. Pure: the keys come from a ThreadKeyring, the messages from the caller.
import type { FileRef, ThreadVerifier } from '../../crypto/index';
import type { Message } from '../net';
import type { MessageMark, ShownMessage, ThreadSnapshot, UnreadableMessage } from './contract';
import { contentOpen, type OpenedContent } from './mydata-content';
import type { ThreadKeyring } from './thread-view-keys';
import { type Crypto, hex, unb64 } from './threads-util';

type Reason = UnreadableMessage['reason'];

const REFUSED: Record<string, Reason> = {
  malformed: 'damaged', wrong_thread: 'wrong_thread', replay: 'replay', untrusted_sender: 'untrusted_sender',
  bad_signature: 'bad_signature', duplicate_id: 'duplicate_id',
};

/** Opens a message's content; `extra` is kept beside the message, `v2` (a version 2 content's
 * kind, reference and note) goes with the shown message. */
export type ContentDecoder = (plain: Uint8Array) => {
  files: FileRef[]; text: string; extra?: unknown; v2?: { kind: 1 | 2 | 3; ref: string; note: string };
};

/** The citizen's reader: content of version 1 or 2 (mydata-content.ts). */
export function citizenDecoder(c: Crypto): ContentDecoder {
  return (plain) => {
    const o: OpenedContent = contentOpen(c, plain);
    return { files: o.files, text: o.text, ...(o.version === 2 ? { v2: { kind: o.kind as 1 | 2 | 3, ref: hex(c, o.ref), note: o.note } } : {}) };
  };
}

export interface Author {
  name: string;
  title: string | null;
}

export class ThreadView {
  state: ThreadSnapshot['state'] = 'new';
  category = '';
  /** The assignee as the unit lets the citizen see them (thread summary), or null. */
  author: Author | null = null;
  /** The last seq fed in. */
  lastSeq = 0;
  sending: ThreadSnapshot['sending'] = [];
  private readonly shown: (ShownMessage & { staff: boolean })[] = [];
  /** Who signed each shown message (same order as the messages): for staff readers' names. */
  readonly senders: { seq: number; senderKid: Uint8Array; sender: string | null; citizen: boolean; messageId: string;
    corrects: string | null; extra?: unknown }[] = [];
  private readonly unreadable: UnreadableMessage[] = [];
  private readonly files = new Map<string, FileRef>();
  private readonly verifier: ThreadVerifier;

  constructor(private readonly c: Crypto, readonly thread: string, private readonly keyring: ThreadKeyring,
    private readonly decode: ContentDecoder = citizenDecoder(c)) {
    this.verifier = new c.ThreadVerifier(keyring.threadId, (h) => keyring.sender(h)?.pk ?? null);
  }

  /** Feeds the next message of the server's order (seq lastSeq + 1). */
  add(m: Message): void {
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    const refuse = (reason: Reason): void => {
      this.unreadable.push({ seq: m.seq, time: m.time, reason });
    };
    let env: Uint8Array;
    try {
      env = unb64(this.c, m.body);
    } catch {
      return refuse('damaged');
    }
    if (m.seq === 1 && this.keyring.identity === null) this.keyring.setFirst(env);
    const { verdict, header } = this.verifier.add(env);
    if (!this.c.verdictAccepted(verdict) || header === undefined) return refuse(REFUSED[verdict] ?? 'damaged');
    const sender = this.keyring.sender(header);
    if (sender === null) return refuse('untrusted_sender');
    // Judged against the events that verify: an epoch past them has no trusted key, and a
    // message at an epoch that a later event ended before it was written is refused.
    const { events } = this.keyring.epochChain();
    if (header.epoch > events.length) return refuse('no_key');
    try {
      this.c.epochMessageCheck(header, events);
    } catch {
      return refuse('stale_epoch');
    }
    const key = this.keyring.messageKey(header.epoch);
    if (key === null) return refuse('no_key');
    let content: ReturnType<ContentDecoder>;
    try {
      content = this.decode(this.c.envelopeOpen(env, this.keyring.threadId, key, sender.pk).plain);
    } catch {
      return refuse('damaged');
    }
    for (const f of content.files) this.files.set(hex(this.c, f.fileId), f);
    this.senders.push({ seq: m.seq, senderKid: header.senderKid as Uint8Array, sender: m.sender ?? null, citizen: sender.citizen,
      messageId: hex(this.c, header.messageId), corrects: m.corrects ?? null, extra: content.extra });
    this.shown.push({
      seq: m.seq, time: m.time, mine: sender.citizen, author: null, text: content.text, staff: !sender.citizen,
      files: content.files.map((f) => ({ file: hex(this.c, f.fileId), size: Number(f.size), media: f.media })),
      mark: verdict as MessageMark, id: hex(this.c, header.messageId),
      ...(content.v2 ? { v2: content.v2 } : {}),
    });
  }

  /** What the next envelope of this device carries (sequence, previous hash). */
  next(senderKid: Uint8Array): { senderSeq: bigint; prevHash: Uint8Array } {
    return this.verifier.next(senderKid);
  }

  fileRef(file: string): FileRef | undefined {
    return this.files.get(file);
  }

  snapshot(): ThreadSnapshot {
    return {
      thread: this.thread, state: this.state, category: this.category,
      messages: this.shown.map(({ staff, ...m }) => ({ ...m, author: staff && this.author !== null ? { ...this.author } : null })),
      unreadable: this.unreadable.slice(),
      complete: this.verifier.complete(),
      locked: this.keyring.locked(),
      sending: this.sending.map((s) => ({ ...s, files: s.files.slice() })),
    };
  }
}
