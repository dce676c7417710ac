// thread-watch.ts - one thread as a staff member has it open (shared by reference count): the
// citizen's ThreadSession with the unit's key generations as the wrap recipients (every sender
// verified: citizens through device certificates under the thread's identity, staff through
// certificates chained to the pinned root), the notes of the thread (note.list, note.new), the
// citizen's identity (thread.identity, opened once), who else has it open (thread.presence:
// refreshed every 20 s while watched, 'left' when closed) and whether it left the caller's reach;
// content version 2 read (corrections paired, correct.ts), a restricted thread read for a legal
// claim with its reason on every read (restrict.ts), consent, hand-over and retention shown. A
// thread restricted while open (a supervisor granting a restriction, thread.changed) shows no
// content from then on, and forgets its notes and identity, until read for a legal claim.
import type { Connection } from '../net';
import type { Clock } from '../net/clock';
import { ThreadSession } from '../citizen/thread-view-session';
import { type CryptoSession, hex } from '../citizen/threads-util';
import type {
  CitizenIdentity, Deadline, InternalNote, PersonName, StaffKeys, StaffMessage, StaffSession, StaffThreadSnapshot, ThreadState,
  Viewer,
} from './contract';
import { workingDaysLeft } from './queue';
import { certPool, openIdentity, openNote, unitOpener } from './thread-notes';
import { codeOf, staffRequest } from './wire';
import { pairCorrections, staffDecoder, type ReadMessage } from './correct';
import type { AnyContent } from './content2';
import { isRestricted, legalClaimConnection } from './restrict';
import type { NoteEntry, ViewerEntry } from './wire-types';

/** Presence is refreshed this often while the thread is open (the server drops it after 60 s). */
export const PRESENCE_REFRESH_MS = 20_000;

/** What the controller shares with every open thread. */
export interface WatchContext {
  conn: Connection;
  cs: CryptoSession;
  session: StaffSession;
  clock: Clock;
  /** Category names (unit/category) and closed days of the caller's units (queue.settings, cached). */
  settings(): Promise<{ names: Map<string, string>; closed: string[] }>;
}

function personName(v: unknown): PersonName | null {
  if (typeof v !== 'object' || v === null || typeof (v as { name?: unknown }).name !== 'string') return null;
  const t = (v as { title?: unknown }).title;
  return { name: (v as { name: string }).name, title: typeof t === 'string' ? t : null };
}

function consentOf(v: unknown): StaffThreadSnapshot['consent'] {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as { given?: unknown; withdrawn?: unknown };
  if (typeof o.given !== 'number') return null;
  return { given: o.given, withdrawn: typeof o.withdrawn === 'number' ? o.withdrawn : null };
}

export class StaffThread {
  s: ThreadSession;
  /** The reason of a legal-claim reading of this restricted thread, or null. */
  claim: string | null = null;
  /** The keys or messages were refused as restricted (before a legal-claim reading). */
  refusedRestricted = false;
  /** The content was read without a legal claim (the thread was not restricted then). */
  private readOpen = false;
  refs = 0;
  /** Views watching (presence is kept only while one is). */
  watchers = 0;
  gone = false;
  writing = false;
  identity: CitizenIdentity = { kind: 'loading' };
  /** The identity box that opened (re-sealed by a supervisor moving the thread). */
  identityBox: Uint8Array | null = null;
  identityPlain: { name: string; hetu: string; verifiedAt: number } | null = null;
  /** The worker asked to see the identity (the view's "Show identity"). */
  identityAsked = false;
  notes: InternalNote[] = [];
  noteEntries: NoteEntry[] = [];
  viewers: Viewer[] = [];
  sending: StaffThreadSnapshot['sending'] = [];
  /** Seqs of this page's answers that asked for more. */
  readonly asked = new Set<number>();
  private names = new Map<string, string>();
  private closedDays: string[] = [];
  private readonly listeners = new Set<(s: StaffThreadSnapshot) => void>();
  private readonly offs: (() => void)[] = [];
  private timer: unknown = undefined;
  private closed = false;

  private sessionOff: () => void = () => undefined;

  constructor(private readonly ctx: WatchContext, readonly thread: string) {
    this.s = this.openSession();
    this.offs.push(ctx.conn.onEvent('note.new', (ev) => {
      if (ev.thread === thread) void this.loadNotes();
    }));
    this.offs.push(ctx.conn.onEvent('thread.presence', (ev) => {
      if (ev.thread === thread && Array.isArray(ev.viewers)) this.setViewers(ev.viewers as ViewerEntry[]);
    }));
    this.offs.push(ctx.conn.onEvent('thread.changed', (ev) => {
      if (ev.thread === thread && typeof ev.unit === 'string' && !this.mayReach(ev.unit)) this.leave();
    }));
    void ctx.settings().then((st) => {
      this.names = st.names;
      this.closedDays = st.closed;
      this.emit();
    }, () => undefined);
  }

  /** The connection for this thread's reads: with the purpose and reason once read for a legal claim. */
  get conn(): WatchContext['conn'] {
    return this.claim === null ? this.ctx.conn : legalClaimConnection(this.ctx.conn, this.thread, this.claim);
  }

  private openSession(): ThreadSession {
    const ctx = this.ctx, units = ctx.session.units.map((u) => u.unit);
    // The keys are asked for at each use: none while the app is locked.
    const s = new ThreadSession(this.conn, ctx.cs.crypto, ctx.cs.rootKey, null, this.thread, () => ctx.clock.now(), (kid) => {
      const keys = this.keys();
      return keys === null ? null : unitOpener(ctx.cs.crypto, keys, units)(kid);
    }, staffDecoder(ctx.cs.crypto));
    this.sessionOff = s.subscribe(() => {
      this.forgetIfRestricted();
      this.emit();
    });
    void s.ready.then(() => (s === this.s ? this.afterReady() : undefined), (e) => {
      if (s !== this.s) return;
      if (codeOf(e) === 'not_found' || codeOf(e) === 'forbidden') this.leave();
      else if (isRestricted(e)) {
        this.refusedRestricted = true;
        this.emit();
      }
    });
    return s;
  }

  /** Opens the thread again for a legal claim: every read of it now carries the purpose and reason. */
  async readForClaim(reason: string): Promise<void> {
    this.claim = reason;
    this.refusedRestricted = false;
    this.sessionOff();
    this.s.close();
    this.s = this.openSession();
    this.emit();
    await this.s.ready;
  }

  /**
   * When the thread was read open and is now restricted (its summary says so) without a
   * legal-claim reading: forgets the notes and identity read before (the snapshot shows no
   * content of a restricted thread until it is read for a legal claim, which opens it anew).
   */
  private forgetIfRestricted(): void {
    if (!this.readOpen || this.claim !== null || this.s.summary.restricted !== true) return;
    this.readOpen = false;
    this.identity = { kind: 'loading' };
    this.identityBox = null;
    this.identityPlain = null;
    this.identityAsked = false;
    this.notes = [];
    this.noteEntries = [];
  }

  keys(): StaffKeys | null {
    return this.ctx.session.keys();
  }

  private mayReach(unit: string): boolean {
    return this.ctx.session.units.some((u) => u.unit === unit);
  }

  /** The thread left the caller's units (moved away, access ended). */
  leave(): void {
    if (this.gone) return;
    this.gone = true;
    this.notes = [];
    this.identity = { kind: 'unavailable' };
    this.identityPlain = null;
    this.stopPresence();
    this.emit();
  }

  private async afterReady(): Promise<void> {
    const unit = this.s.unit;
    if (unit !== null && !this.mayReach(unit)) return this.leave();
    if (this.claim === null) this.readOpen = true;
    // The identity is read only when asked (showIdentity): each read is an access-log row.
    await Promise.all([this.loadNotes(), this.identityAsked ? this.loadIdentity() : Promise.resolve()]);
  }

  async loadNotes(): Promise<void> {
    if (this.gone) return;
    try {
      const r = await staffRequest(this.conn, 'note.list', { thread: this.thread });
      const certs = (r as { certs?: unknown }).certs;
      this.noteEntries = Array.isArray(r.notes) ? r.notes : [];
      this.reopenNotes(Array.isArray(certs) ? certs : []);
    } catch (e) {
      if (codeOf(e) === 'not_found') this.leave();
      if (isRestricted(e)) this.refusedRestricted = true;
    }
  }

  private reopenNotes(served: unknown[]): void {
    const keys = this.keys();
    if (keys === null) return;
    const c = this.ctx.cs.crypto;
    const pool = certPool(c, keys, [...served, ...this.s.keyring.threadCerts()]);
    this.notes = this.noteEntries.map((e) => openNote(c, e, this.s.threadId, keys, pool, this.ctx.clock.now()));
    this.emit();
  }

  /** The worker asked to see the identity: read once (logged by the server), then kept. */
  showIdentity(): void {
    // A restricted thread's identity is read only for a legal claim (§14.8).
    if (this.identityAsked || ((this.s.summary.restricted === true || this.refusedRestricted) && this.claim === null)) return;
    this.identityAsked = true;
    if (this.identity.kind === 'loading') void this.loadIdentity();
  }

  async loadIdentity(): Promise<void> {
    const keys = this.keys(), unit = this.s.unit;
    if (this.gone || keys === null || unit === null) return;
    try {
      const r = await staffRequest(this.conn, 'thread.identity', { thread: this.thread });
      const id = openIdentity(this.ctx.cs.crypto, Array.isArray(r.boxes) ? r.boxes : [], this.s.threadId, unit, keys);
      if (id.kind === 'ok' && 'box' in id) {
        this.identityBox = id.box;
        this.identityPlain = { name: id.name, hetu: id.hetu, verifiedAt: id.verifiedAt };
        this.identity = { kind: 'ok', name: id.name, hetu: id.hetu, verifiedAt: id.verifiedAt };
      } else this.identity = id;
    } catch (e) {
      if (codeOf(e) === 'not_found') return this.leave();
      this.identity = { kind: 'unavailable' };
    }
    this.emit();
  }

  private setViewers(list: ViewerEntry[]): void {
    const me = this.ctx.session.userId;
    this.viewers = list.filter((v) => v && typeof v.user === 'string' && v.user !== me && (v.state === 'viewing' || v.state === 'writing'))
      .map((v) => ({ user: v.user, name: personName(v.name), state: v.state, since: Number(v.since) }));
    this.emit();
  }

  /** Sends the caller's presence now (and every PRESENCE_REFRESH_MS while watched). */
  async presence(state: 'viewing' | 'writing' | 'left'): Promise<void> {
    try {
      const r = await staffRequest(this.ctx.conn, 'thread.presence', { thread: this.thread, state });
      if (state !== 'left' && Array.isArray(r.viewers)) this.setViewers(r.viewers);
    } catch {
      // presence is a courtesy: a failure leaves the last known viewers
    }
  }

  startPresence(): void {
    if (this.gone || this.timer !== undefined) return;
    const tick = (): void => {
      this.timer = this.ctx.clock.setTimer(tick, PRESENCE_REFRESH_MS);
      void this.presence(this.writing ? 'writing' : 'viewing');
    };
    tick();
  }

  stopPresence(): void {
    if (this.timer !== undefined) this.ctx.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  setWriting(writing: boolean): void {
    if (this.writing === writing) return;
    this.writing = writing;
    if (this.watchers > 0 && !this.gone) void this.presence(writing ? 'writing' : 'viewing');
  }

  subscribe(fn: (s: StaffThreadSnapshot) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private deadline(): Deadline | null {
    const d = this.s.summary.deadline as Record<string, unknown> | null | undefined;
    if (typeof d !== 'object' || d === null || typeof d.due !== 'number') return null;
    return { kind: d.kind as Deadline['kind'], state: d.state as Deadline['state'], level: d.level as Deadline['level'], due: d.due,
      warnAt: typeof d.warn_at === 'number' ? d.warn_at : d.due, workingDaysLeft: workingDaysLeft(d.due, this.ctx.clock.now(), this.closedDays) };
  }

  /** The first time the server saw a citizen identity newer than the thread's, or null. */
  private newIdentitySince(): number | null {
    const kr = this.s.keyring, c = this.ctx.cs.crypto;
    if (kr.identity === null) return null;
    const own = kr.identities.find((i) => c.equal(i.signPk, (kr.identity as { identitySignPk: Uint8Array }).identitySignPk));
    if (own === undefined) return null;
    const later = kr.identities.filter((i) => i.firstSeen > own.firstSeen).map((i) => i.firstSeen);
    return later.length === 0 ? null : Math.min(...later);
  }

  snapshot(): StaffThreadSnapshot | null {
    const sum = this.s.summary, base = this.gone ? null : this.s.snapshot();
    if (base === null && !this.gone) return null;
    const keys = this.keys(), c = this.ctx.cs.crypto;
    const myKid = keys === null ? null : c.kid(keys.identity.signPk);
    const assignee = typeof sum.assignee === 'string' ? sum.assignee : null;
    const assigneeName = personName(sum.assignee_name);
    const unit = this.s.unit ?? '', category = typeof sum.category === 'string' ? sum.category : '';
    const state = (typeof sum.state === 'string' ? sum.state : 'new') as ThreadState;
    // A restricted thread's content is shown only when read for a legal claim (§14.8).
    const frozen = (sum.restricted === true || this.refusedRestricted) && this.claim === null;
    const shown = frozen ? [] : (base?.messages ?? []);
    const last = shown[shown.length - 1];
    const read: ReadMessage[] = shown.map((m, i) => {
      const who = this.s.view.senders[i];
      const citizen = who === undefined ? true : who.citizen;
      const me = !citizen && myKid !== null && who !== undefined && c.equal(who.senderKid, myKid);
      const author = citizen ? null : who?.sender !== null && who?.sender === assignee ? assigneeName : null;
      const asksMore = !citizen && (this.asked.has(m.seq) || (m === last && state === 'waiting'));
      const msg: StaffMessage = { seq: m.seq, time: m.time, from: citizen ? 'citizen' : 'staff', me, author, text: m.text, files: m.files, mark: m.mark,
        asksMore };
      return { msg, messageId: who?.messageId ?? '', serverCorrects: who?.corrects ?? null, content: who?.extra as AnyContent | undefined };
    });
    const paired = pairCorrections(read);
    const messages = paired.messages;
    const unreadable = frozen ? [] : [...(base?.unreadable ?? []), ...paired.refused].sort((a, b) => a.seq - b.seq);
    const deadline = this.deadline();
    return {
      thread: this.thread, unit, category, categoryName: this.names.get(`${unit}/${category}`) ?? category, state, assignee, assigneeName,
      mine: assignee !== null && assignee === this.ctx.session.userId, created: this.s.created, deadline,
      identity: frozen ? { kind: 'unavailable' } : this.identity, newIdentitySince: this.gone ? null : this.newIdentitySince(),
      messages: this.gone ? [] : messages, unreadable: this.gone ? [] : unreadable, complete: base?.complete ?? true,
      locked: base?.locked ?? true, notes: this.gone || frozen ? [] : this.notes.map((n) => ({ ...n })), viewers: this.viewers.map((v) => ({ ...v })),
      sending: this.sending.map((x) => ({ ...x, files: x.files.slice() })), gone: this.gone,
      restricted: sum.restricted === true || this.refusedRestricted, legalClaim: this.claim, consent: consentOf(sum.consent),
      handedOver: sum.handed_over === true, retentionUntil: typeof sum.retention_until === 'number' ? sum.retention_until : null,
    };
  }

  emit(): void {
    const snap = this.snapshot();
    if (snap === null) return;
    for (const fn of [...this.listeners]) {
      try {
        fn(snap);
      } catch {
        // a view's failure does not stop the thread
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopPresence();
    for (const off of this.offs) off();
    this.sessionOff();
    this.listeners.clear();
    this.s.close();
  }

  /** A short id of a local sending entry. */
  localId(): string {
    return hex(this.ctx.cs.crypto, this.ctx.cs.crypto.random(8));
  }
}
