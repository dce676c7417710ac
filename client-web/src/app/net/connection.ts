// connection.ts - the app's one connection to adviced (PROTOCOL.md §2.1, §5, §7): its state for
// the user (connecting, open, reconnecting, offline and why), reconnection with backoff and
// jitter, requests matched to replies by id and pipelined within the protocol's limits, rate
// limits waited out and resent with the same id, writes kept in the outbox until their final
// answer, resynchronisation after every (re)connect (thread.list by change, thread.read from the
// last seq), events to subscribers, and the session's end with its warning. No views here.
import type { Replies, Requests, RequestType } from '../../generated/protocol';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import { systemClock, TimerSlot, type Clock } from './clock';
import type { Outbox, OutboxEntry, WireRequest } from './outbox';
import { clampLimits, makePending, RequestTable, type Pending, type PipelineLimits } from './requests';
import { DEFAULT_WARN_LEAD_MS, SessionClock, type SessionInfo } from './session-clock';
import type { SocketClose, SocketFactory, SocketLike } from './socket';
import { ThreadList, ThreadLog, type ListFilters, type Message, type Summary } from './sync';
import { errorAction, isWrite, MAX_TEXT_BYTES, newRequestId, parseIncoming, utf8Bytes } from './wire';

export type ReconnectCause = 'dropped' | 'server_restart' | 'slow_consumer' | 'too_many_connections' | 'server_busy' |
  'no_answer';
export type OfflineCause =
  | 'network' // the browser says it is offline; tried again when it is back
  | 'login_needed' // the session ended or the server refused it (4001, 401, 403)
  | 'client_error' // the server refused what this client sent (1008, 1009, 400, 404): not retried blindly
  | 'closed' // the server closed normally (1000)
  | 'stopped'; // stop() was called

export type ConnectionState =
  | { kind: 'idle' }
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open'; syncing: boolean }
  | { kind: 'reconnecting'; attempt: number; retryAt: number; cause: ReconnectCause }
  | { kind: 'offline'; cause: OfflineCause };

/** Codes of RequestError besides the protocol's error codes (§8). */
export type LocalErrorCode = 'timeout' | 'too_large' | 'user_changed' | Exclude<OfflineCause, 'network'>;

/** A request's final failure: the server's error (code, field, retry_after) or a local one. */
export class RequestError extends Error {
  constructor(readonly code: string, message: string, readonly field?: string, readonly retryAfter?: number) {
    super(message);
    this.name = 'RequestError';
  }
}

/** What the outbox's subscribers are told about a write. */
export type OutboxNotice =
  | { kind: 'queued'; request: WireRequest; restored: boolean }
  | { kind: 'done'; request: WireRequest; reply: Record<string, unknown> }
  | { kind: 'failed'; request: WireRequest; error: RequestError }
  | { kind: 'discarded'; request: WireRequest };

/** A write whose final answer was an error, kept (with its id) until retried or discarded. */
export interface FailedWrite {
  request: WireRequest;
  error: RequestError;
}

/** How many failed writes are kept for the views; the oldest go first beyond this. */
const MAX_FAILED_WRITES = 50;

export interface ConnectionOptions {
  socket: SocketFactory;
  clock?: Clock;
  /** [0, 1): the jitter's randomness. */
  random?: () => number;
  /** Random bytes for request ids. */
  randomBytes?: (n: number) => Uint8Array;
  backoff?: BackoffPolicy;
  limits?: Partial<PipelineLimits>;
  /** No reply in this time on an open connection: the connection is taken as dead (ms). */
  requestTimeoutMs?: number;
  /** No welcome this long after opening: the connection is taken as dead (ms). */
  welcomeTimeoutMs?: number;
  /** A connection that lived shorter than this does not reset the backoff (ms). */
  stableMs?: number;
  /** A rate limit's wait longer than this is a final error (a citizen's daily limit) (ms). */
  maxRetryWaitMs?: number;
  /** The session warning comes this long before the end (ms, at least two minutes). */
  warnLeadMs?: number;
  /**
   * Asked when a socket closed before it opened and the transport cannot tell why (a browser):
   * whether the session is still valid (PROTOCOL.md §2.1: check over HTTP before retrying).
   */
  checkSession?: () => Promise<'valid' | 'invalid' | 'unknown'>;
  /** Told about what the server sent that was ignored (no content, for diagnostics). */
  onProblem?: (what: string) => void;
}

type Listener<T> = (value: T) => void;

class Listeners<T> {
  private readonly set = new Set<Listener<T>>();

  add(fn: Listener<T>): () => void {
    this.set.add(fn);
    return () => this.set.delete(fn);
  }

  emit(value: T): void {
    for (const fn of [...this.set]) {
      try {
        fn(value);
      } catch {
        // a view's failure must not stop the connection
      }
    }
  }

  get size(): number {
    return this.set.size;
  }
}

/** A list of threads kept in sync: the views read summaries() and subscribe to changes. */
export interface ListHandle {
  summaries(): Summary[];
  /** True once the list has been fetched to its end at least once. */
  readonly ready: boolean;
  subscribe(fn: (summaries: Summary[]) => void): () => void;
  close(): void;
}

/** An open thread: its messages, each delivered once, in order. */
export interface ThreadHandle {
  messages(): Message[];
  readonly lastSeq: number;
  /** The staff certificates thread.read carried so far (base64url; to verify, never to trust). */
  certs(): string[];
  /** Called with the messages not delivered before (after a reconnect, only the missed ones). */
  subscribe(fn: (fresh: Message[]) => void): () => void;
  close(): void;
}

interface ListEntry {
  key: string;
  list: ThreadList;
  listeners: Listeners<Summary[]>;
  /** The paging under way (and its reruns), while running. */
  done: Promise<void>;
  running: boolean;
  dirty: boolean;
  ready: boolean;
}

interface ThreadEntry {
  log: ThreadLog;
  listeners: Listeners<Message[]>;
  done: Promise<void>;
  running: boolean;
  dirty: boolean;
  refs: number;
}

const SESSION_EXTEND_EVERY_MS = 60_000;

export class Connection {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly randomBytes: ((n: number) => Uint8Array) | undefined;
  private readonly backoff: BackoffPolicy;
  private readonly requestTimeoutMs: number;
  private readonly welcomeTimeoutMs: number;
  private readonly stableMs: number;
  private readonly maxRetryWaitMs: number;
  private readonly requests: RequestTable;
  private readonly session: SessionClock;

  private current: ConnectionState = { kind: 'idle' };
  private socket: SocketLike | null = null;
  private generation = 0;
  private welcomed = false;
  private openedAt = 0;
  private attempt = 0;
  private closingAs: ConnectionState | null = null;
  private browserOnline = true;
  private holdUntil = 0;
  private user: string | null = null;
  /** The role the user's messages have (§7.2): from `welcome`. */
  private senderRole: 'citizen' | 'worker' = 'citizen';
  private units: string | null = null;
  private outbox: Outbox | null = null;
  private syncingCount = 0;
  private lastSentAt = 0;
  private extending: Promise<unknown> | null = null;

  private readonly retryTimer: TimerSlot;
  private readonly welcomeTimer: TimerSlot;
  private readonly pumpTimer: TimerSlot;
  private readonly sessionTimer: TimerSlot;
  private readonly replyTimers = new Map<string, TimerSlot>();

  private readonly stateListeners = new Listeners<ConnectionState>();
  private readonly sessionListeners = new Listeners<SessionInfo>();
  private readonly outboxListeners = new Listeners<OutboxNotice>();
  private readonly eventListeners = new Map<string, Listeners<Record<string, unknown>>>();
  private readonly lists = new Map<string, ListEntry>();
  private readonly threads = new Map<string, ThreadEntry>();
  private readonly failed = new Map<string, FailedWrite>();

  constructor(private readonly opts: ConnectionOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.randomBytes = opts.randomBytes;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.welcomeTimeoutMs = opts.welcomeTimeoutMs ?? 15_000;
    this.stableMs = opts.stableMs ?? 10_000;
    this.maxRetryWaitMs = opts.maxRetryWaitMs ?? 120_000;
    this.requests = new RequestTable(clampLimits(opts.limits ?? {}));
    this.session = new SessionClock(Math.max(120_000, opts.warnLeadMs ?? DEFAULT_WARN_LEAD_MS));
    this.retryTimer = new TimerSlot(this.clock);
    this.welcomeTimer = new TimerSlot(this.clock);
    this.pumpTimer = new TimerSlot(this.clock);
    this.sessionTimer = new TimerSlot(this.clock);
  }

  // ---- state --------------------------------------------------------------------------------

  get state(): ConnectionState {
    return this.current;
  }

  /** Calls fn with every new state (not the current one). */
  onState(fn: (s: ConnectionState) => void): () => void {
    return this.stateListeners.add(fn);
  }

  /** The user of the session (from welcome), or null before the first welcome. */
  get userId(): string | null {
    return this.user;
  }

  private setState(s: ConnectionState): void {
    this.current = s;
    this.stateListeners.emit(s);
  }

  /** Opens the connection (when idle, offline or waiting to reconnect); on a successful open the
   *  backoff starts over. */
  start(): void {
    if (this.socket !== null) return;
    this.retryTimer.clear();
    if (this.current.kind === 'offline' || this.current.kind === 'idle') this.attempt = 0;
    if (!this.browserOnline) {
      this.setState({ kind: 'offline', cause: 'network' });
      return;
    }
    this.connect();
  }

  /** Closes the connection for good (logout, leaving the app); pending reads fail, writes stay. */
  stop(): void {
    this.retryTimer.clear();
    // Stopped already: nothing to tell (a listener of 'offline' that stops would recurse).
    if (this.socket === null && this.current.kind === 'offline' && this.current.cause === 'stopped') return;
    this.goOffline('stopped');
  }

  /** A try now, whatever the backoff says ("Try again" in the view, or back from offline). */
  retryNow(): void {
    if (this.socket !== null) return;
    this.start();
  }

  /** The browser's online/offline events (navigator.onLine). */
  setBrowserOnline(online: boolean): void {
    this.browserOnline = online;
    if (online) {
      const s = this.current;
      if (s.kind === 'reconnecting' || (s.kind === 'offline' && s.cause === 'network')) this.start();
    } else if (this.socket === null && (this.current.kind === 'reconnecting' || this.current.kind === 'connecting')) {
      this.retryTimer.clear();
      this.setState({ kind: 'offline', cause: 'network' });
    }
  }

  private connect(): void {
    const gen = ++this.generation;
    this.welcomed = false;
    this.closingAs = null;
    this.setState({ kind: 'connecting', attempt: this.attempt });
    const socket = this.opts.socket({
      open: () => gen === this.generation && this.onSocketOpen(),
      message: (text) => gen === this.generation && this.onSocketMessage(text),
      close: (info) => {
        if (gen === this.generation) this.onSocketClose(info);
      },
    });
    if (gen === this.generation && this.current.kind === 'connecting') {
      this.socket = socket;
      if (this.welcomed) this.pump();
    }
  }

  private onSocketOpen(): void {
    this.welcomeTimer.set(() => this.dropConnection('no_answer'), this.welcomeTimeoutMs);
  }

  /** Closes a connection that looks dead; reconnects after the backoff. */
  private dropConnection(cause: ReconnectCause): void {
    if (this.socket === null) return;
    this.closingAs = { kind: 'reconnecting', attempt: 0, retryAt: 0, cause };
    this.closeSocket();
  }

  private closeSocket(): void {
    const s = this.socket;
    if (s === null) return;
    try {
      s.close(1000);
    } catch {
      // the close handler below runs whatever the socket did
    }
    // A socket that does not report its close is treated as closed now.
    if (this.socket === s) this.onSocketClose({ code: 1000, opened: this.welcomed });
  }

  private onSocketClose(info: SocketClose): void {
    const wasWelcomed = this.welcomed;
    const livedMs = this.clock.now() - this.openedAt;
    this.generation++;
    this.socket = null;
    this.welcomed = false;
    this.welcomeTimer.clear();
    this.pumpTimer.clear();
    for (const t of this.replyTimers.values()) t.clear();
    this.replyTimers.clear();
    this.requests.unsendAll();
    this.syncingCount = 0;
    // attempt counts the connections in a row that failed or did not last: a connection that
    // lasted resets it, so the first retry after it waits at most the base delay.
    this.attempt = wasWelcomed && livedMs >= this.stableMs ? 1 : this.attempt + 1;

    const planned = this.closingAs;
    this.closingAs = null;
    if (planned !== null) {
      if (planned.kind === 'offline') return this.goOffline(planned.cause);
      if (planned.kind === 'reconnecting') return this.scheduleReconnect(planned.cause);
    }
    this.afterClose(info);
  }

  /** What a close from the server (or the network) means (§2.1's tables). */
  private afterClose(info: SocketClose): void {
    if (!info.opened) return this.afterRefusal(info);
    switch (info.code) {
      case 4001:
        return this.goOffline('login_needed');
      case 1000:
        return this.goOffline('closed');
      case 1008:
      case 1009:
        return this.goOffline('client_error');
      case 1001:
        return this.scheduleReconnect('server_restart');
      case 4008:
        return this.scheduleReconnect('slow_consumer');
      default:
        return this.scheduleReconnect('dropped');
    }
  }

  private afterRefusal(info: SocketClose): void {
    switch (info.httpStatus) {
      case 401:
      case 403:
        return this.goOffline('login_needed');
      case 400:
      case 404:
        return this.goOffline('client_error');
      case 429:
        // The session has the most sockets it may have: wait as told, plus a little jitter.
        return this.scheduleReconnect('too_many_connections', (info.retryAfter ?? 5) * 1000 + Math.floor(this.random() * 1000));
      case 503:
        return this.scheduleReconnect('server_busy');
      default:
        break;
    }
    this.scheduleReconnect('dropped');
    if (info.httpStatus === undefined && this.opts.checkSession !== undefined && this.browserOnline) this.probeSession();
  }

  private probeSession(): void {
    const gen = this.generation;
    this.opts.checkSession!().then((verdict) => {
      if (verdict === 'invalid' && gen === this.generation && this.socket === null && this.current.kind === 'reconnecting')
        this.goOffline('login_needed');
    }, () => undefined);
  }

  private scheduleReconnect(cause: ReconnectCause, delayMs?: number): void {
    if (!this.browserOnline) return this.goOffline('network');
    const delay = delayMs ?? backoffDelay(Math.max(0, this.attempt - 1), this.backoff, this.random);
    const retryAt = this.clock.now() + delay;
    this.setState({ kind: 'reconnecting', attempt: this.attempt, retryAt, cause });
    // A listener may have stopped (or restarted) the connection meanwhile: then no retry.
    if (this.current.kind !== 'reconnecting' || this.current.retryAt !== retryAt) return;
    this.retryTimer.set(() => this.connect(), delay);
  }

  /** Ends the connection and stays offline; reads that wait fail, writes wait in the outbox. */
  private goOffline(cause: OfflineCause): void {
    this.retryTimer.clear();
    if (this.socket !== null) {
      this.closingAs = { kind: 'offline', cause };
      this.closeSocket();
      return;
    }
    this.sessionTimer.clear();
    if (cause !== 'network') {
      for (const p of this.requests.all()) {
        if (p.write && !p.internal) continue;
        this.requests.remove(p.req.id);
        p.reject(new RequestError(cause, `the connection is offline (${cause})`));
      }
    }
    this.setState({ kind: 'offline', cause });
  }

  // ---- incoming -----------------------------------------------------------------------------

  private problem(what: string): void {
    try {
      this.opts.onProblem?.(what);
    } catch {
      // diagnostics only
    }
  }

  private onSocketMessage(text: string): void {
    try {
      this.handleIncoming(text);
    } catch (e) {
      this.problem(`a message could not be handled: ${(e as Error).message}`);
    }
  }

  private handleIncoming(text: string): void {
    const m = parseIncoming(text);
    if (m.kind === 'malformed') return this.problem(`ignored a message: ${m.why}`);
    if (!this.welcomed) {
      if (m.kind === 'event' && m.name === 'welcome') return this.onWelcome(m.msg);
      return this.problem('ignored a message before welcome');
    }
    if (m.kind === 'event') return this.handleEvent(m.name, m.msg);
    if (m.id === null) return this.problem(`error without a request id: ${m.kind === 'error' ? m.error.code : ''}`);
    const p = this.requests.get(m.id);
    if (p === undefined || p.status !== 'sent') return this.problem('ignored a reply to no request of this connection');
    this.replyTimers.get(m.id)?.clear();
    this.replyTimers.delete(m.id);
    if (m.kind === 'ok') {
      if (p.req.type === 'message.send') this.onOwnMessage(p.req, m.msg);
      this.finish(p, m.msg, null);
    } else this.onErrorReply(p, m.error);
    this.pump();
  }

  private onWelcome(msg: Record<string, unknown>): void {
    if (msg.protocol !== 'advice.v1' || typeof msg.user !== 'string' || !/^[0-9a-f]{32}$/.test(msg.user)) {
      this.problem('a welcome of another protocol or without a user');
      this.closingAs = { kind: 'offline', cause: 'client_error' };
      this.closeSocket();
      return;
    }
    this.welcomeTimer.clear();
    this.welcomed = true;
    this.openedAt = this.clock.now();
    this.lastSentAt = this.openedAt; // opening a WebSocket counts as activity (§6.12)
    if (this.user !== null && this.user !== msg.user) this.forgetUser();
    this.user = msg.user;
    this.senderRole = msg.role === 'citizen' ? 'citizen' : 'worker';
    const units = Array.isArray(msg.units) ? msg.units.map((u) => JSON.stringify([u?.unit, u?.role])).sort().join(',') : '';
    this.units = units;
    this.session.setEnds(msg.session_expires, msg.idle_expires);
    this.sessionChanged();
    this.setState({ kind: 'open', syncing: true });
    void this.resync();
    this.pump();
  }

  /** Another user's session on this connection: nothing of the previous user is kept or sent. */
  private forgetUser(): void {
    for (const p of this.requests.all()) {
      this.requests.remove(p.req.id);
      p.reject(new RequestError('user_changed', 'the session belongs to another user'));
    }
    this.failed.clear();
    for (const e of this.lists.values()) e.list.change = null;
  }

  private handleEvent(name: string, msg: Record<string, unknown>): void {
    switch (name) {
      case 'welcome':
        return this.problem('a second welcome');
      case 'session.expiring':
        if (this.session.announce(msg)) this.sessionChanged();
        else this.problem('a malformed session.expiring');
        break;
      case 'message.new':
        this.onMessageNew(msg);
        break;
      case 'thread.changed':
        this.onThreadChanged(msg);
        break;
      case 'read.changed':
        for (const e of this.lists.values()) if (e.list.applyRead(msg)) e.listeners.emit(e.list.summaries());
        break;
      case 'deadline.changed':
        // A deadline's change is a change of the thread for lists by change (§11.5): staff lists fetch it.
        for (const e of this.lists.values()) void this.syncList(e);
        break;
      default:
        break;
    }
    this.eventListeners.get(name)?.emit(msg);
  }

  private onMessageNew(msg: Record<string, unknown>): void {
    if (typeof msg.thread !== 'string') return;
    const t = this.threads.get(msg.thread);
    if (t === undefined) return;
    if (t.running) {
      t.dirty = true; // a read is on its way; it reads on from where it stops
      return;
    }
    const { fresh, gap } = t.log.accept([msg], true);
    if (fresh.length > 0) t.listeners.emit(fresh);
    if (gap) void this.syncThread(t);
  }

  /**
   * The ok reply of this connection's message.send stands for the message.new and
   * thread.changed the server sends to every other connection (§6.6): both are applied from
   * it and the request, and their listeners hear them. A stored reply without `time` (§5.3)
   * tells too little: the thread is read again instead.
   */
  private onOwnMessage(req: WireRequest, reply: Record<string, unknown>): void {
    const { thread, seq, state, time } = reply;
    if (typeof thread !== 'string' || typeof seq !== 'number') return;
    if (typeof time !== 'number' || typeof state !== 'string') {
      const t = this.threads.get(thread);
      if (t !== undefined) void this.syncThread(t);
      return;
    }
    const message: Record<string, unknown> = { type: 'event', event: 'message.new', thread, seq, role: this.senderRole, time };
    if (typeof req.body === 'string' && this.senderRole === 'citizen') message.body = req.body;
    this.handleEvent('message.new', message);
    this.handleEvent('thread.changed', { type: 'event', event: 'thread.changed', thread, state, last_seq: seq, updated: time });
  }

  private onThreadChanged(msg: Record<string, unknown>): void {
    for (const e of this.lists.values()) {
      if (e.list.applyChanged(msg)) e.listeners.emit(e.list.summaries());
      // What the event does not carry (unread counts, the change, a thread new to the list)
      // comes with a list by change: one at a time, calls while one runs coalesced.
      void this.syncList(e);
    }
    if (typeof msg.thread === 'string' && typeof msg.last_seq === 'number') {
      const t = this.threads.get(msg.thread);
      if (t !== undefined && msg.last_seq > t.log.lastSeq) void this.syncThread(t);
    }
  }

  // ---- requests -----------------------------------------------------------------------------

  /**
   * Sends a request and resolves with its ok reply, or rejects with a RequestError. Writes
   * (§5.3) go through the outbox when there is one: stored before they are sent, resent with
   * the same id after a reconnect or a reload, and announced to onOutbox subscribers.
   */
  request<T extends RequestType>(type: T, fields: Omit<Requests[T], 'type' | 'id'>): Promise<Replies[T]> {
    return this.send(type, fields as Record<string, unknown>, false) as Promise<Replies[T]>;
  }

  private send(type: string, fields: Record<string, unknown>, internal: boolean, id?: string): Promise<Record<string, unknown>> {
    const req: WireRequest = { ...fields, type, id: id ?? newRequestId(this.randomBytes) };
    return new Promise((resolve, reject) => {
      const text = JSON.stringify(req);
      if (utf8Bytes(text) > MAX_TEXT_BYTES) {
        reject(new RequestError('too_large', `the request is over ${MAX_TEXT_BYTES} bytes`));
        return;
      }
      if (this.current.kind === 'offline' && this.current.cause !== 'network' && !isWrite(type)) {
        reject(new RequestError(this.current.cause, 'the connection is offline'));
        return;
      }
      const p = makePending(req, text, internal, resolve, reject);
      this.requests.add(p);
      if (p.write && !internal && this.outbox !== null) this.store(p);
      if (p.write && !internal) this.outboxListeners.emit({ kind: 'queued', request: req, restored: false });
      this.pump();
    });
  }

  /** Puts a write in the outbox before it is sent (sent anyway when storing fails). */
  private store(p: Pending): void {
    const outbox = this.outbox!;
    p.status = 'storing';
    outbox.add(p.req).then(() => {
      p.stored = true;
    }, () => this.problem('a write could not be stored in the outbox')).finally(() => {
      if (p.status === 'storing') p.status = 'queued';
      if (!this.requests.has(p.req.id) && p.stored) void outbox.remove(p.req.id).catch(() => undefined);
      this.pump();
    });
  }

  /** Sends what may go now; wakes up again when a wait ends. */
  private pump(): void {
    if (this.socket === null || !this.welcomed) return;
    const now = this.clock.now();
    if (now < this.holdUntil) {
      this.pumpTimer.set(() => this.pump(), this.holdUntil - now);
      return;
    }
    const { ready, wakeAt } = this.requests.sendable(now);
    for (const p of ready) {
      if (this.socket === null) return;
      try {
        this.socket.send(p.text);
      } catch {
        this.dropConnection('dropped');
        return;
      }
      p.status = 'sent';
      this.lastSentAt = now;
      const timer = new TimerSlot(this.clock);
      timer.set(() => this.onReplyTimeout(p), this.requestTimeoutMs);
      this.replyTimers.set(p.req.id, timer);
    }
    if (wakeAt !== null) this.pumpTimer.set(() => this.pump(), wakeAt - now);
  }

  /** No reply in time: the connection is taken as dead; a read fails, a write is resent. */
  private onReplyTimeout(p: Pending): void {
    this.replyTimers.delete(p.req.id);
    p.timeouts++;
    if (!p.write || p.timeouts >= 3) {
      this.finish(p, null, new RequestError('timeout', 'no reply from the server in time'));
    }
    this.dropConnection('no_answer');
  }

  private onErrorReply(p: Pending, error: import('../../generated/protocol').ErrorReply): void {
    const action = errorAction(error, this.maxRetryWaitMs);
    const now = this.clock.now();
    switch (action.kind) {
      case 'wait':
        // Resent with the same id after the wait; nothing else is sent meanwhile (§2.1).
        p.status = 'queued';
        p.notBefore = now + action.ms;
        this.holdUntil = Math.max(this.holdUntil, now + action.ms);
        return;
      case 'reconnect':
        p.status = 'queued';
        p.notBefore = now + 2000;
        return;
      case 'retry_once':
        if (!p.retried) {
          p.retried = true;
          p.status = 'queued';
          return;
        }
        break;
      default:
        break;
    }
    this.finish(p, null, new RequestError(error.code, error.message, error.field, error.retry_after));
  }

  /** The final answer of a request: its caller and the outbox are told; the outbox forgets it. */
  private finish(p: Pending, reply: Record<string, unknown> | null, error: RequestError | null): void {
    this.requests.remove(p.req.id);
    this.replyTimers.get(p.req.id)?.clear();
    this.replyTimers.delete(p.req.id);
    if (p.stored && this.outbox !== null) void this.outbox.remove(p.req.id).catch(() => this.problem('the outbox could not forget a write'));
    if (reply !== null) p.resolve(reply);
    else p.reject(error!);
    if (p.write && !p.internal && reply === null) this.keepFailed(p.req, error!);
    if (p.write && !p.internal) {
      this.outboxListeners.emit(reply !== null ? { kind: 'done', request: p.req, reply } : { kind: 'failed', request: p.req, error: error! });
    }
  }

  /** Sends a binary message (an attachment chunk, §12.4) when open; false when not sent. */
  sendBinary(data: Uint8Array): boolean {
    if (this.socket === null || !this.welcomed) return false;
    try {
      this.socket.send(data);
      return true;
    } catch {
      return false;
    }
  }

  // ---- outbox -------------------------------------------------------------------------------

  /**
   * Uses `outbox` from now on (once the encryption module has its key): its stored writes are
   * resent with their original ids, and new writes are stored in it.
   */
  async useOutbox(outbox: Outbox): Promise<void> {
    this.outbox = outbox;
    let entries: OutboxEntry[];
    try {
      entries = await outbox.load();
    } catch {
      this.problem('the outbox could not be read');
      return;
    }
    for (const e of entries) {
      if (this.requests.has(e.request.id)) continue;
      const p = makePending(e.request, JSON.stringify(e.request), false, () => undefined, () => undefined);
      p.stored = true;
      this.requests.add(p);
      this.outboxListeners.emit({ kind: 'queued', request: e.request, restored: true });
    }
    for (const p of this.requests.all()) if (p.write && !p.internal && !p.stored && p.status !== 'storing') this.store(p);
    this.pump();
  }

  onOutbox(fn: (n: OutboxNotice) => void): () => void {
    return this.outboxListeners.add(fn);
  }

  /** The writes without a final answer, oldest first (for "sending..." in the views). */
  pendingWrites(): WireRequest[] {
    return this.requests.all().filter((p) => p.write && !p.internal).map((p) => p.req);
  }

  /** A write that failed, kept for retryWrite (read.set is not: the next mark supersedes it). */
  private keepFailed(request: WireRequest, error: RequestError): void {
    if (request.type === 'read.set') return;
    this.failed.delete(request.id);
    this.failed.set(request.id, { request, error });
    for (const id of this.failed.keys()) {
      if (this.failed.size <= MAX_FAILED_WRITES) break;
      this.failed.delete(id);
    }
  }

  /** The writes whose final answer was an error, oldest first, until retried or discarded. */
  failedWrites(): FailedWrite[] {
    return [...this.failed.values()];
  }

  /**
   * Sends a failed write again as it was: the same request id and fields (PROTOCOL.md §5.3: a
   * write the server already committed is answered with its original reply, so a write that
   * timed out and did land is not made twice). It goes through the outbox as a new write does.
   * Resolves with its ok reply, or rejects with a RequestError (then it is listed as failed
   * again); 'not_found' when no failed write has that id.
   */
  retryWrite(id: string): Promise<Record<string, unknown>> {
    const f = this.failed.get(id);
    if (f === undefined || this.requests.has(id)) return Promise.reject(new RequestError('not_found', 'no failed write has that id'));
    this.failed.delete(id);
    return this.send(f.request.type, f.request, false, id);
  }

  /** Forgets a failed write (the user gave it up); false when no failed write has that id. */
  discardWrite(id: string): boolean {
    const f = this.failed.get(id);
    if (f === undefined) return false;
    this.failed.delete(id);
    this.outboxListeners.emit({ kind: 'discarded', request: f.request });
    return true;
  }

  // ---- events -------------------------------------------------------------------------------

  /** Every event of that name (unknown names too), after the manager's own handling. */
  onEvent(name: string, fn: (msg: Record<string, unknown>) => void): () => void {
    let l = this.eventListeners.get(name);
    if (l === undefined) {
      l = new Listeners();
      this.eventListeners.set(name, l);
    }
    return l.add(fn);
  }

  // ---- lists and threads --------------------------------------------------------------------

  /** Keeps the thread.list of `filters` in sync (fetched now when open, and after each reconnect). */
  watchList(filters: ListFilters = {}): ListHandle {
    const key = JSON.stringify([filters.state ?? null, filters.assignee ?? null]);
    let e = this.lists.get(key);
    if (e === undefined) {
      e = { key, list: new ThreadList(filters), listeners: new Listeners(), done: Promise.resolve(), running: false, dirty: false,
        ready: false };
      this.lists.set(key, e);
      if (this.welcomed) void this.syncList(e);
    }
    const entry = e;
    const unsubs: (() => void)[] = [];
    return {
      summaries: () => entry.list.summaries(),
      get ready() {
        return entry.ready;
      },
      subscribe: (fn) => {
        const u = entry.listeners.add(fn);
        unsubs.push(u);
        return u;
      },
      close: () => {
        for (const u of unsubs) u();
        if (entry.listeners.size === 0) this.lists.delete(key);
      },
    };
  }

  /** Opens a thread: its messages are read now (when open) and after each reconnect from the last seq. */
  openThread(thread: string): ThreadHandle {
    let t = this.threads.get(thread);
    if (t === undefined) {
      t = { log: new ThreadLog(thread), listeners: new Listeners(), done: Promise.resolve(), running: false, dirty: false, refs: 0 };
      this.threads.set(thread, t);
      if (this.welcomed) void this.syncThread(t);
    }
    const entry = t;
    entry.refs++;
    const unsubs: (() => void)[] = [];
    let closed = false;
    return {
      messages: () => entry.log.messages(),
      certs: () => entry.log.certs(),
      get lastSeq() {
        return entry.log.lastSeq;
      },
      subscribe: (fn) => {
        const u = entry.listeners.add(fn);
        unsubs.push(u);
        return u;
      },
      close: () => {
        if (closed) return;
        closed = true;
        for (const u of unsubs) u();
        if (--entry.refs === 0) this.threads.delete(thread);
      },
    };
  }

  /** §7.4: the lists by change (or full), then the open threads from their last seq. */
  private async resync(): Promise<void> {
    const gen = this.generation;
    this.syncingCount++;
    try {
      for (const e of this.lists.values()) e.list.restart(this.units ?? '');
      await Promise.all([...this.lists.values()].map((e) => this.syncList(e)));
      const reads: Promise<void>[] = [];
      for (const t of this.threads.values()) {
        let known: Summary | undefined;
        for (const e of this.lists.values()) known ??= e.list.get(t.log.thread);
        if (known === undefined || known.last_seq > t.log.lastSeq) reads.push(this.syncThread(t));
      }
      await Promise.all(reads);
    } finally {
      if (gen === this.generation) {
        this.syncingCount = Math.max(0, this.syncingCount - 1);
        if (this.syncingCount === 0 && this.current.kind === 'open' && this.current.syncing) this.setState({ kind: 'open', syncing: false });
      }
    }
  }

  /**
   * Runs one list's paging, once at a time; a call while it runs makes it run once more. The
   * promise settles when the list is in sync (the reruns included).
   */
  private syncList(e: ListEntry): Promise<void> {
    if (e.running) {
      e.dirty = true;
      return e.done;
    }
    e.running = true;
    e.done = (async () => {
      try {
        do {
          e.dirty = false;
          let cursor: string | undefined;
          let first = true;
          for (;;) {
            const reply = await this.send('thread.list', e.list.nextRequest(cursor), true);
            const r = e.list.applyPage(reply, first);
            first = false;
            if (r.changed) e.listeners.emit(e.list.summaries());
            if (!r.more) break;
            cursor = r.cursor;
          }
          if (!e.ready) {
            e.ready = true;
            e.listeners.emit(e.list.summaries());
          }
        } while (e.dirty && this.lists.get(e.key) === e);
      } catch (err) {
        this.problem(`thread.list failed: ${(err as RequestError).code ?? 'error'}`);
      } finally {
        e.running = false;
      }
    })();
    return e.done;
  }

  /** Reads one open thread from its last seq to the end, once at a time. */
  private syncThread(t: ThreadEntry): Promise<void> {
    if (t.running) {
      t.dirty = true;
      return t.done;
    }
    t.running = true;
    t.done = (async () => {
      try {
        do {
          t.dirty = false;
          for (;;) {
            const before = t.log.lastSeq;
            const reply = await this.send('thread.read', { thread: t.log.thread, after_seq: before, limit: 50 }, true);
            if (typeof reply.state === 'string') t.log.state = reply.state as ThreadLog['state'];
            t.log.addCerts(reply.certs);
            const items = Array.isArray(reply.messages) ? reply.messages : [];
            const { fresh } = t.log.accept(items, false);
            if (fresh.length > 0) t.listeners.emit(fresh);
            if (reply.more !== true || t.log.lastSeq === before) break;
          }
        } while (t.dirty && this.threads.get(t.log.thread) === t);
      } catch (err) {
        this.problem(`thread.read failed: ${(err as RequestError).code ?? 'error'}`);
      } finally {
        t.running = false;
      }
    })();
    return t.done;
  }

  // ---- session ------------------------------------------------------------------------------

  get sessionInfo(): SessionInfo {
    return this.session.info(this.clock.now());
  }

  /** Calls fn whenever the session's ends or warning change. */
  onSession(fn: (info: SessionInfo) => void): () => void {
    return this.sessionListeners.add(fn);
  }

  private sessionChanged(): void {
    const now = this.clock.now();
    this.sessionListeners.emit(this.session.info(now));
    const at = this.session.nextCheck(now);
    if (at === null) this.sessionTimer.clear();
    else this.sessionTimer.set(() => this.sessionChanged(), at - now);
  }

  /** "Continue" on the warning: session.extend (§6.12); resolves with the new ends. */
  async extendSession(): Promise<SessionInfo> {
    const reply = await this.request('session.extend', {});
    this.session.setEnds(reply.session_expires, reply.idle_expires);
    this.sessionChanged();
    return this.sessionInfo;
  }

  /**
   * The user did something that sends no request (typing, reading): extends the session when
   * nothing was sent for a minute (at most once a minute, §6.12).
   */
  touch(): void {
    if (!this.welcomed || this.extending !== null) return;
    if (this.clock.now() - this.lastSentAt < SESSION_EXTEND_EVERY_MS) return;
    this.extending = this.extendSession().catch(() => undefined).finally(() => {
      this.extending = null;
    });
  }
}
