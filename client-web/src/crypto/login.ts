// login.ts - the client side of the worker login (PROTOCOL.md §4.3–4.5), as libadvice's
// advice_login_worker does it: the salt and Argon2id parameters of /login/worker/start are
// checked against the bounds pinned in this module (keys.ts, PWHASH_*) before anything is
// derived, so a server that names a cheap cost gets no login key to guess the password from.
import { checkLen, forbidden, inval, sodium } from './core';
import { loginKey, pwParamsOk, PWHASH_MEM_MAX, PWHASH_MEM_MIN, PWHASH_OPS_MAX, PWHASH_OPS_MIN } from './keys';

export interface LoginStart {
  salt: Uint8Array;
  opslimit: number;
  memlimit: number;
}

/** An HTTP POST of a JSON body to a path of the service; resolves to the status and the parsed reply. */
export type LoginPost = (path: string, body: Record<string, unknown>) => Promise<{ status: number; body: unknown }>;

/**
 * The /login/worker/start reply, checked: a 16-byte salt, alg "argon2id13", and parameters within
 * the pinned bounds. CryptoError 'inval' for a malformed reply, 'forbidden' for parameters outside
 * the bounds (a downgrade or a denial of service).
 */
export function loginStartParse(reply: unknown): LoginStart {
  const r = reply as Record<string, unknown> | null;
  if (r === null || typeof r !== 'object' || typeof r.salt !== 'string' || r.alg !== 'argon2id13' ||
    typeof r.opslimit !== 'number' || typeof r.memlimit !== 'number') {
    return inval('login/worker/start reply is malformed');
  }
  let salt: Uint8Array;
  try {
    salt = sodium.from_base64(r.salt, sodium.base64_variants.URLSAFE_NO_PADDING);
  } catch {
    return inval('login/worker/start salt is not base64url');
  }
  checkLen(salt, 16, 'salt');
  if (!pwParamsOk(r.opslimit, r.memlimit)) {
    forbidden(`login/worker/start named Argon2id parameters outside this client's bounds (${r.opslimit} passes, ` +
      `${r.memlimit} bytes; allowed ${PWHASH_OPS_MIN}..${PWHASH_OPS_MAX} passes, ${PWHASH_MEM_MIN}..${PWHASH_MEM_MAX} ` +
      'bytes): refused, nothing sent');
  }
  return { salt, opslimit: r.opslimit, memlimit: r.memlimit };
}

/**
 * A worker login: /login/worker/start, the reply checked (loginStartParse: nothing is derived or
 * sent when it fails), then /login/worker with the login key and the optional fields (totp,
 * setup_code). Resolves to the answer of /login/worker; a refused /start answer is returned as it
 * came.
 */
export async function workerLogin(post: LoginPost, username: string, password: string,
  extra: { totp?: string; setup_code?: string } = {}): Promise<{ status: number; body: unknown }> {
  const start = await post('/api/v1/login/worker/start', { username });
  if (start.status !== 200) return start;
  const p = loginStartParse(start.body);
  const key = loginKey(password, p.salt, p.opslimit, p.memlimit);
  const auth = sodium.to_base64(key, sodium.base64_variants.URLSAFE_NO_PADDING);
  sodium.memzero(key);
  return post('/api/v1/login/worker', { username, auth_key: auth, ...extra });
}
