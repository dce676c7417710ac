// auth-rules.ts - the staff login's rules apart from the controller, so that they can be tested
// without a server: the new password's rules (length, typed twice), the codes as people type
// them (a 6-digit code, the setup code of 16 base32 characters in groups), the second factor's
// secret shown in groups, and the login endpoints' answers (PROTOCOL.md §4.5, §8) read as the
// LoginError the views explain. Pure.
import type { LoginError, LoginErrorCode } from './contract';

/** The fewest characters of a new password (counted as the person sees them). */
export const PASSWORD_MIN_CHARS = 12;
/** The most bytes of a password the key derivation takes (PROTOCOL.md §4.4). */
export const PASSWORD_MAX_BYTES = 1024;

/** What is wrong with a new password typed twice, or null. */
export function passwordProblem(password: string, again: string): 'short' | 'long' | 'mismatch' | null {
  if ([...password].length < PASSWORD_MIN_CHARS) return 'short';
  if (new TextEncoder().encode(password).length > PASSWORD_MAX_BYTES) return 'long';
  if (password !== again) return 'mismatch';
  return null;
}

/** The 6 digits of a second-factor code as typed (spaces dropped), or null. */
export function normalTotp(code: string): string | null {
  const c = code.replace(/[\s-]/g, '');
  return /^[0-9]{6}$/.test(c) ? c : null;
}

/** The setup code as the server takes it (16 base32 characters in four groups joined by dashes,
 *  as advicectl prints it), however it was typed (spaces or no separator, any case), or null. */
export function normalSetupCode(code: string): string | null {
  const c = code.replace(/[\s-]/g, '').toUpperCase();
  return /^[A-Z2-7]{16}$/.test(c) ? c.replace(/(.{4})(?!$)/g, '$1-') : null;
}

/** A username as the server takes it (1..64 of [a-z0-9._-]; typed capitals folded), or null. */
export function normalUsername(name: string): string | null {
  const n = name.trim().toLowerCase();
  return /^[a-z0-9._-]{1,64}$/.test(n) ? n : null;
}

/** The second factor's secret in groups of four, for typing it into an authenticator. */
export function secretGroups(secret: string): string {
  return secret.replace(/\s/g, '').replace(/(.{4})(?!$)/g, '$1 ');
}

const SERVER_CODES: Partial<Record<string, LoginErrorCode>> = {
  bad_credentials: 'bad_credentials',
  totp_required: 'totp_required',
  enrol_required: 'enrol_required',
  password_expired: 'password_expired',
  locked: 'locked',
  rate_limited: 'rate_limited',
  forbidden: 'forbidden',
};

/** A login endpoint's error answer (status and http.error body) as a LoginError. */
export function loginErrorOf(status: number, body: unknown): LoginError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; retry_after?: unknown };
  const code = (typeof b.code === 'string' ? SERVER_CODES[b.code] : undefined) ?? (status === 0 ? 'network' : 'failed');
  const ra = b.retry_after;
  return typeof ra === 'number' && Number.isInteger(ra) && ra > 0 && (code === 'locked' || code === 'rate_limited')
    ? { code, retryAfter: ra } : { code };
}

/**
 * The local wait after wrong passwords at the lock screen (the bundle opens here, so no server
 * counts them): none for the first three, then 2, 4, 8 ... seconds, at most a minute.
 */
export function unlockDelayMs(failures: number): number {
  if (failures < 3) return 0;
  return Math.min(60_000, 1000 * 2 ** (failures - 2));
}
