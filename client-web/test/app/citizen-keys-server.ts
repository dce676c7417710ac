// citizen-keys-server.ts - a fake adviced for the key controller's tests: one citizen's
// identities, devices, device requests and recovery boxes as PROTOCOL.md §12.2 keeps them
// (checked with the real encryption module: certificates' signatures, the commitment opened by
// the reveal, the approved certificate for the revealed keys), every step's event to every
// connection, writes answered again by request id; and the hostile turns a test asks for (keys
// of its own put in place of the reveal, another wrap in place of the answer, events withheld).
import * as crypto from '../../src/crypto/index';
import { Connection } from '../../src/app/net/connection';
import type { SocketFactory, SocketHandlers } from '../../src/app/net/socket';
import { b64u, hex, unb64u } from '../../src/app/citizen/keys-wire';
import type { FakeClock } from './net-fakes';

export const CITIZEN = 'c1'.repeat(16);
const LIFETIME = 10 * 60_000;

interface Req {
  request: string;
  commit: string;
  created: number;
  expires: number;
  identity: string | null;
  challenge: string | null;
  box_pk: string | null;
  sign_pk: string | null;
  nonce: string | null;
  cert: string | null;
  wrap: string | null;
}

class Refusal extends Error {
  constructor(readonly code: string, readonly field?: string) {
    super(code);
  }
}

interface Sock {
  h: SocketHandlers;
  open: boolean;
  /** device.request events are withheld from this connection (missed after a reconnect). */
  deaf: boolean;
}

export class KeyServer {
  readonly identities = new Map<string, { sign_pk: string; box_pk: string; first_seen: number }>();
  readonly devices = new Map<string, { identity: string; cert: string; created: number; last_used: number }>();
  readonly requests = new Map<string, Req>();
  readonly boxes = new Map<string, { box: string; updated: number }>();
  readonly received: Record<string, unknown>[] = [];
  private readonly committed = new Map<string, Record<string, unknown>>();
  private readonly socks: Sock[] = [];
  private counter = 0;
  /** Hostile: after an honest reveal, these keys (and a nonce) are stored and sent instead. */
  substituteReveal: { box_pk: string; sign_pk: string; nonce: string } | null = null;
  /** Hostile: after an approval, this wrap is stored and sent instead. */
  substituteWrap: string | null = null;

  constructor(readonly clock: FakeClock) {}

  /** A connection of the citizen (one per device), started. */
  connect(opts: { deaf?: boolean } = {}): Connection {
    const factory: SocketFactory = (h) => {
      const s: Sock = { h, open: false, deaf: opts.deaf === true };
      this.socks.push(s);
      setImmediate(() => {
        s.open = true;
        h.open();
        this.push(s, { type: 'event', event: 'welcome', protocol: 'advice.v1', user: CITIZEN, role: 'citizen', units: [],
          session_expires: this.clock.now() + 8 * 3600_000, idle_expires: this.clock.now() + 1800_000 });
      });
      return {
        send: (data) => {
          if (typeof data === 'string') this.receive(s, data);
        },
        close: () => {
          if (!s.open) return;
          s.open = false;
          queueMicrotask(() => h.close({ code: 1000, opened: true }));
        },
      };
    };
    const conn = new Connection({ socket: factory, clock: this.clock });
    conn.start();
    return conn;
  }

  private push(s: Sock, obj: Record<string, unknown>): void {
    const text = JSON.stringify(obj);
    if (s.open) queueMicrotask(() => s.open && s.h.message(text));
  }

  private broadcast(r: Req): void {
    for (const s of this.socks) if (!s.deaf) this.push(s, { type: 'event', event: 'device.request', ...r });
  }

  private receive(s: Sock, text: string): void {
    const req = JSON.parse(text) as Record<string, unknown>;
    this.received.push(req);
    const id = req.id as string;
    const again = this.committed.get(id);
    if (again !== undefined) return this.push(s, again);
    let out: Record<string, unknown>;
    try {
      out = { type: 'ok', id, ...this.run(req) };
    } catch (e) {
      const r = e as Refusal;
      return this.push(s, { type: 'error', id, code: r.code ?? 'internal', message: 'refused', ...(r.field ? { field: r.field } : {}) });
    }
    this.committed.set(id, out);
    this.push(s, out);
  }

  private newId(): string {
    return (++this.counter).toString(16).padStart(32, '0');
  }

  private cert(b64: unknown): crypto.DeviceCert {
    const b = unb64u(b64);
    if (b === null) throw new Refusal('bad_request', '/cert');
    try {
      return crypto.deviceCertVerify(b);
    } catch {
      throw new Refusal('bad_request', '/cert');
    }
  }

  private addDevice(c: crypto.DeviceCert, certB64: string): string {
    const identity = hex(crypto.identityId(c.identitySignPk));
    if (!this.identities.has(identity)) throw new Refusal('forbidden', '/cert');
    const kid = hex(crypto.kid(c.deviceBoxPk));
    if (this.devices.has(kid)) throw new Refusal('conflict');
    if (this.devices.size >= 16) throw new Refusal('conflict');
    this.devices.set(kid, { identity, cert: certB64, created: this.clock.now(), last_used: this.clock.now() });
    return kid;
  }

  private step(id: unknown): Req {
    const r = this.requests.get(id as string);
    if (r === undefined || r.expires <= this.clock.now()) throw new Refusal('not_found', '/request');
    if (r.wrap !== null) throw new Refusal('conflict');
    return r;
  }

  private run(req: Record<string, unknown>): Record<string, unknown> {
    const now = this.clock.now();
    switch (req.type) {
      case 'identity.add': {
        const c = this.cert(req.cert);
        const identity = hex(crypto.identityId(c.identitySignPk));
        if (this.identities.has(identity)) throw new Refusal('conflict');
        this.identities.set(identity, { sign_pk: b64u(c.identitySignPk), box_pk: b64u(c.identityBoxPk), first_seen: now });
        return { identity, kid: this.addDevice(c, req.cert as string) };
      }
      case 'device.add':
        return { kid: this.addDevice(this.cert(req.cert), req.cert as string) };
      case 'device.list': {
        if (req.kid !== undefined) {
          const d = this.devices.get(req.kid as string);
          if (d === undefined) throw new Refusal('not_found', '/kid');
          d.last_used = now;
        }
        return {
          identities: [...this.identities].map(([identity, i]) => ({ identity, ...i })),
          devices: [...this.devices].map(([kid, d]) => ({ kid, ...d })),
          requests: [...this.requests.values()].filter((r) => r.expires > now),
          idle_days: 180,
        };
      }
      case 'device.remove':
        if (!this.devices.delete(req.kid as string)) throw new Refusal('not_found', '/kid');
        return { kid: req.kid };
      case 'device.request': {
        const r: Req = { request: this.newId(), commit: req.commit as string, created: now, expires: now + LIFETIME, identity: null,
          challenge: null, box_pk: null, sign_pk: null, nonce: null, cert: null, wrap: null };
        this.requests.set(r.request, r);
        this.broadcast(r);
        return { request: r.request, expires: r.expires };
      }
      case 'device.challenge': {
        const r = this.step(req.request);
        if (r.challenge !== null) throw new Refusal('conflict');
        if (!this.identities.has(req.identity as string)) throw new Refusal('forbidden', '/identity');
        r.identity = req.identity as string;
        r.challenge = req.challenge as string;
        this.broadcast(r);
        return { request: r.request };
      }
      case 'device.reveal': {
        const r = this.step(req.request);
        if (r.challenge === null || r.nonce !== null) throw new Refusal('conflict');
        const commit = crypto.deviceCommit(unb64u(req.sign_pk, 32)!, unb64u(req.box_pk, 32)!, unb64u(req.nonce, 32)!);
        if (b64u(commit) !== r.commit) throw new Refusal('bad_request', '/nonce');
        Object.assign(r, { box_pk: req.box_pk, sign_pk: req.sign_pk, nonce: req.nonce }, this.substituteReveal ?? {});
        this.broadcast(r);
        return { request: r.request };
      }
      case 'device.approve': {
        const r = this.step(req.request);
        if (r.nonce === null) throw new Refusal('conflict');
        const c = this.cert(req.cert);
        if (b64u(c.deviceBoxPk) !== r.box_pk || b64u(c.deviceSignPk) !== r.sign_pk) throw new Refusal('bad_request', '/cert');
        const kid = this.addDevice(c, req.cert as string);
        r.cert = req.cert as string;
        r.wrap = this.substituteWrap ?? (req.wrap as string);
        this.broadcast(r);
        return { request: r.request, kid };
      }
      case 'recovery.put': {
        const box = unb64u(req.box);
        if (box === null) throw new Refusal('bad_request', '/box');
        const identity = hex(crypto.recoveryBoxParse(box).identityId);
        if (!this.identities.has(identity)) throw new Refusal('forbidden', '/box');
        this.boxes.set(identity, { box: req.box as string, updated: now });
        return { identity };
      }
      case 'recovery.get':
        return { boxes: [...this.boxes].map(([identity, b]) => ({ identity, ...b })).sort((a, b) => b.updated - a.updated) };
      default:
        throw new Refusal('unknown_type');
    }
  }
}
