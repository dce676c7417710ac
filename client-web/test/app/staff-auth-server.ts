// staff-auth-server.ts - a fake adviced for the staff login's tests, with real keys: the worker
// login endpoints (PROTOCOL.md §4.3–4.6: start, login with the second factor, the setup code,
// new_auth_key, enrol, logout) over a fake HTTP post, and the staff WebSocket's keys.mine,
// keys.enrol and keys.bundle.put; a root, an admin and a unit of two key generations (the older
// one reached by its chain box), and certify() doing what `advicectl worker-certify` does (the
// key request's keys certified, the unit's current seed sealed to them). The hostile turns a
// test asks for: weak Argon2id parameters at start, a seed of another unit key in place of the
// real one, an own certificate signed by an admin the root never certified.
import * as crypto from '../../src/crypto/index';
import { Connection } from '../../src/app/net/connection';
import type { SocketFactory } from '../../src/app/net/socket';
import type { LoginPost } from '../../src/crypto/index';
import { b64u, hex, unb64u } from '../../src/app/citizen/keys-wire';
import type { FakeClock } from './net-fakes';

export const TOTP = '246810';
export const UNIT = 'd1'.repeat(16);
const DAY = 86_400_000n;
const OPS = 2;
const MEM = 64 * 1024 * 1024;

interface Account {
  userId: string;
  salt: Uint8Array;
  auth: string | null;
  setupCode: string | null;
  totp: 'none' | 'pending' | 'on';
  expired: boolean;
  bundle: string | null;
  request: Uint8Array | null;
  certs: string[];
  seeds: { unit: string; generation: number; wrap: string }[];
}

function personal(): crypto.Keys {
  return crypto.keysPersonal(crypto.random(32));
}

export class StaffServer {
  readonly root = personal();
  readonly admin = personal();
  readonly adminCert: Uint8Array;
  readonly accounts = new Map<string, Account>();
  /** Every HTTP request and WebSocket request, in order. */
  readonly posts: { path: string; body: Record<string, unknown> }[] = [];
  readonly requests: Record<string, unknown>[] = [];
  private session: string | null = null;
  private readonly unitSeeds = [crypto.random(32), crypto.random(32)];
  private readonly events: Uint8Array[] = [];
  private readonly chain: Uint8Array;
  /** Hostile: the Argon2id parameters /start names. */
  startParams: { opslimit: number; memlimit: number } = { opslimit: OPS, memlimit: MEM };

  constructor(readonly clock: FakeClock) {
    const now = BigInt(clock.now());
    this.adminCert = crypto.certSign({ role: 1, subjectId: crypto.random(16), signPk: this.admin.signPk, boxPk: this.admin.boxPk,
      notBefore: now - DAY, notAfter: now + 365n * DAY }, this.root);
    const unitId = crypto.sodium.from_hex(UNIT);
    let prev: Uint8Array = new Uint8Array(32);
    this.unitSeeds.forEach((seed, i) => {
      const k = crypto.keysUnit(seed);
      const ev = crypto.unitEventSign({ unitId, generation: i + 1, boxPk: k.boxPk, signPk: k.signPk, prevHash: prev,
        createdAt: now - DAY, members: [] }, this.admin);
      this.events.push(ev);
      prev = crypto.hash(ev);
    });
    this.chain = crypto.chainSeal(unitId, 2, crypto.keysUnit(this.unitSeeds[1]).chainKey, crypto.random(24), this.unitSeeds[0]);
  }

  /** The keys of the unit's generation (1 or 2), as a worker should end up holding them. */
  unitKeys(generation: number): crypto.Keys {
    return crypto.keysUnit(this.unitSeeds[generation - 1]);
  }

  /** A new account with a setup code (advicectl worker-add). */
  addWorker(username: string, setupCode: string): Account {
    const a: Account = { userId: hex(crypto.random(16)), salt: crypto.random(16), auth: null, setupCode, totp: 'none',
      expired: false, bundle: null, request: null, certs: [], seeds: [] };
    this.accounts.set(username, a);
    return a;
  }

  /** What advicectl worker-certify does; `by` signs the certificate (hostile: an admin of no root). */
  certify(username: string, by: crypto.Keys = this.admin): string {
    const a = this.accounts.get(username)!;
    const r = crypto.keyRequestVerify(a.request!, crypto.sodium.from_hex(a.userId));
    const now = BigInt(this.clock.now());
    a.certs.push(b64u(crypto.certSign({ role: 2, subjectId: crypto.sodium.from_hex(a.userId), signPk: r.signPk, boxPk: r.boxPk,
      notBefore: now - DAY, notAfter: now + 365n * DAY }, by)));
    this.sealSeed(a, r.boxPk, this.unitSeeds[1]);
    return crypto.keyFingerprint(r.signPk, r.boxPk);
  }

  /** Seals `seed` as the unit's generation-2 seed to the worker (hostile: another seed). */
  sealSeed(a: Account, boxPk: Uint8Array, seed: Uint8Array): void {
    const wrap = crypto.wrapSeal(2, crypto.sodium.from_hex(UNIT), 2, boxPk, seed, crypto.random(32), this.admin);
    a.seeds = [{ unit: UNIT, generation: 2, wrap: b64u(wrap) }];
  }

  /** The fake HTTP POST of the login endpoints. */
  readonly post: LoginPost = async (path, body) => {
    this.posts.push({ path, body });
    const out = this.http(path, body);
    return { status: out[0], body: out[1] };
  };

  private http(path: string, b: Record<string, unknown>): [number, Record<string, unknown>] {
    const error = (status: number, code: string): [number, Record<string, unknown>] => [status, { type: 'error', id: null, code, message: code }];
    if (path === '/api/v1/logout') {
      this.session = null;
      return [200, { type: 'ok' }];
    }
    const a = this.accounts.get(b.username as string);
    if (path === '/api/v1/login/worker/start')
      return [200, { type: 'ok', salt: b64u(a?.salt ?? new Uint8Array(16)), ...this.startParams, alg: 'argon2id13' }];
    if (a === undefined) return error(401, 'bad_credentials');
    if (path === '/api/v1/login/worker/enrol') {
      if (b.setup_code !== undefined ? b.setup_code !== a.setupCode : b.auth_key !== a.auth) return error(401, 'bad_credentials');
      if (a.totp === 'on') return error(409, 'conflict');
      a.totp = 'pending';
      return [200, { type: 'ok', totp_secret: 'JBSWY3DPEHPK3PXPJBSWY3DP', totp_uri: `otpauth://totp/Online%20advice:${b.username}?secret=JBSWY3DPEHPK3PXPJBSWY3DP` }];
    }
    if (path !== '/api/v1/login/worker') return error(404, 'not_found');
    if (b.setup_code !== undefined ? b.setup_code !== a.setupCode : b.auth_key !== a.auth) return error(401, 'bad_credentials');
    if (a.expired && b.new_auth_key === undefined) return error(403, 'password_expired');
    if (b.totp === undefined) return a.totp === 'none' ? error(403, 'enrol_required') : error(401, 'totp_required');
    if (b.totp !== TOTP || a.totp === 'none') return error(401, 'bad_credentials');
    a.totp = 'on';
    if (b.setup_code !== undefined) {
      a.setupCode = null;
      a.auth = b.auth_key as string;
    }
    if (b.new_auth_key !== undefined) {
      a.auth = b.new_auth_key as string;
      a.expired = false;
    }
    this.session = a.userId;
    return [200, { type: 'ok', user: a.userId, role: 'worker', expires: this.clock.now() + 12 * 3600_000 }];
  }

  private account(userId: string): Account {
    return [...this.accounts.values()].find((x) => x.userId === userId)!;
  }

  /** The WebSocket of the browser that holds the session cookie (refused without one). */
  readonly factory: SocketFactory = (h) => {
    const user = this.session;
    let open = false;
    setImmediate(() => {
      if (user === null) return h.close({ code: 1006, opened: false, httpStatus: 401 });
      open = true;
      h.open();
      const units = [{ unit: UNIT, name: 'Aikuissosiaalityö', role: 'worker' }];
      push({ type: 'event', event: 'welcome', protocol: 'advice.v1', user, role: 'worker', units,
        session_expires: this.clock.now() + 12 * 3600_000, idle_expires: this.clock.now() + 1800_000 });
    });
    const push = (o: Record<string, unknown>) => queueMicrotask(() => open && h.message(JSON.stringify(o)));
    return {
      send: (data) => {
        if (typeof data !== 'string' || user === null) return;
        const req = JSON.parse(data) as Record<string, unknown>;
        this.requests.push(req);
        try {
          push({ type: 'ok', id: req.id, ...this.ws(this.account(user), req) });
        } catch (e) {
          push({ type: 'error', id: req.id, code: (e as Error).message, message: 'refused' });
        }
      },
      close: () => {
        if (!open) return;
        open = false;
        queueMicrotask(() => h.close({ code: 1000, opened: true }));
      },
    };
  };

  private ws(a: Account, req: Record<string, unknown>): Record<string, unknown> {
    switch (req.type) {
      case 'keys.mine':
        return { bundle: a.bundle, root: b64u(this.root.signPk), certs: [b64u(this.adminCert)], own_certs: a.certs, seeds: a.seeds,
          units: [{ unit: UNIT, generations: this.events.map((e, i) => ({ generation: i + 1, event: b64u(e), chain: i === 1 ? b64u(this.chain) : null })) }] };
      case 'keys.enrol': {
        if (a.certs.length > 0) throw new Error('conflict');
        const request = unb64u(req.request)!;
        crypto.keyRequestVerify(request, crypto.sodium.from_hex(a.userId));
        crypto.bundleParse(unb64u(req.bundle)!);
        a.bundle = req.bundle as string;
        a.request = request;
        return {};
      }
      case 'keys.bundle.put':
        crypto.bundleParse(unb64u(req.bundle)!);
        a.bundle = req.bundle as string;
        return {};
      default:
        throw new Error('unknown_type');
    }
  }

  /** The page's connection as auth.ts makes it (deps.connect). */
  connect = (wrap: (inner: SocketFactory) => SocketFactory) => {
    const conn = new Connection({ socket: wrap(this.factory), clock: this.clock });
    return { conn, dispose: () => conn.stop() };
  };
}
