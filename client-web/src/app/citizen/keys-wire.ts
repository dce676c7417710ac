// keys-wire.ts - the key requests' fields as they come from the server (PROTOCOL.md §12.2),
// read without trusting it: base64url and hex decoded with their lengths checked, and the
// identities, devices and device requests of device.list (and the event device.request) kept
// only when well formed. Whether a key is the citizen's own is decided by keys.ts and
// approval.ts with the certificates, never here.

const B64URL = /^[A-Za-z0-9_-]*$/;
const HEX32 = /^[0-9a-f]{32}$/;

export function b64u(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of base64url without padding, or null when it is not that (or not `len` bytes). */
export function unb64u(s: unknown, len?: number): Uint8Array | null {
  if (typeof s !== 'string' || !B64URL.test(s) || s.length % 4 === 1) return null;
  let bin: string;
  try {
    bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return null;
  }
  const b = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (b64u(b) !== s) return null; // not canonical
  return len === undefined || b.length === len ? b : null;
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** The 16 bytes of a 32-digit lowercase hex id (checked by the caller with isHexId). */
export function unhex(s: string): Uint8Array {
  const b = new Uint8Array(s.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return b;
}

export function isHexId(v: unknown): v is string {
  return typeof v === 'string' && HEX32.test(v);
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export interface ListedIdentity {
  identity: string;
  signPk: Uint8Array;
  boxPk: Uint8Array;
  firstSeen: number;
}

export interface ListedDevice {
  kid: string;
  identity: string;
  cert: Uint8Array;
  created: number;
  lastUsed: number | null;
}

/** A device request at its step: each later field null until the step is reached. */
export interface ListedRequest {
  request: string;
  commit: Uint8Array;
  created: number;
  expires: number;
  identity: string | null;
  challenge: Uint8Array | null;
  reveal: { boxPk: Uint8Array; signPk: Uint8Array; nonce: Uint8Array } | null;
  answer: { cert: Uint8Array; wrap: Uint8Array } | null;
}

export interface DeviceListing {
  identities: ListedIdentity[];
  devices: ListedDevice[];
  requests: ListedRequest[];
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const asObject = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function identityOf(v: unknown): ListedIdentity | null {
  const o = asObject(v);
  const signPk = unb64u(o.sign_pk, 32), boxPk = unb64u(o.box_pk, 32);
  if (!isHexId(o.identity) || signPk === null || boxPk === null || !isTime(o.first_seen)) return null;
  return { identity: o.identity, signPk, boxPk, firstSeen: o.first_seen };
}

function deviceOf(v: unknown): ListedDevice | null {
  const o = asObject(v);
  const cert = unb64u(o.cert);
  if (!isHexId(o.kid) || !isHexId(o.identity) || cert === null || !isTime(o.created)) return null;
  return { kid: o.kid, identity: o.identity, cert, created: o.created, lastUsed: isTime(o.last_used) ? o.last_used : null };
}

/** A device request (of device.list, or the event device.request), or null when malformed. */
export function requestOf(v: unknown): ListedRequest | null {
  const o = asObject(v);
  const commit = unb64u(o.commit, 32);
  if (!isHexId(o.request) || commit === null || !isTime(o.created) || !isTime(o.expires)) return null;
  const challenge = unb64u(o.challenge, 32);
  const identity = isHexId(o.identity) ? o.identity : null;
  const boxPk = unb64u(o.box_pk, 32), signPk = unb64u(o.sign_pk, 32), nonce = unb64u(o.nonce, 32);
  const cert = unb64u(o.cert), wrap = unb64u(o.wrap);
  return {
    request: o.request, commit, created: o.created, expires: o.expires,
    identity: identity !== null && challenge !== null ? identity : null,
    challenge: identity !== null ? challenge : null,
    reveal: boxPk !== null && signPk !== null && nonce !== null ? { boxPk, signPk, nonce } : null,
    answer: cert !== null && wrap !== null ? { cert, wrap } : null,
  };
}

/** The well-formed parts of a device.list reply. */
export function listingOf(reply: unknown): DeviceListing {
  const o = asObject(reply);
  const keep = <T>(xs: unknown[], f: (v: unknown) => T | null): T[] => xs.map(f).filter((x): x is T => x !== null);
  return {
    identities: keep(asArray(o.identities), identityOf),
    devices: keep(asArray(o.devices), deviceOf),
    requests: keep(asArray(o.requests), requestOf),
  };
}

/** The recovery boxes of a recovery.get reply that are well formed (newest first, as sent). */
export function boxesOf(reply: unknown): { identity: string; box: Uint8Array }[] {
  return asArray(asObject(reply).boxes)
    .map((v) => {
      const o = asObject(v);
      const box = unb64u(o.box);
      return isHexId(o.identity) && box !== null ? { identity: o.identity, box } : null;
    })
    .filter((x): x is { identity: string; box: Uint8Array } => x !== null);
}
