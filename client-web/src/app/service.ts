// service.ts - what the public front page shows, from GET /api/v1/service (proto/PROTOCOL.md
// §4.8): the categories with their service hours and answer times, the emergency numbers, where
// "Exit this page" leaves to and the organiser's contacts. The server is not trusted: an answer
// of another shape is refused whole, and the exit address must be http(s).
import type { Defs } from '../generated/protocol';

export type ServiceInfo = Defs['http.reply.service'];
export type ServiceCategory = ServiceInfo['categories'][number];

/** Where "Exit this page" leaves to until the server has said (the server's default too). */
export const DEFAULT_EXIT_URL = 'https://www.ilmatieteenlaitos.fi/';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isTextOrNull = (v: unknown, max: number) => v === null || isText(v, max);
const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isHHMM = (v: unknown) => typeof v === 'string' && /^([01]\d|2[0-4]):[0-5]\d$/.test(v);

/** Whether `url` is an absolute http(s) address (never javascript: or data:). */
export function isWebAddress(url: unknown): url is string {
  if (typeof url !== 'string' || url.length > 255) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

function isCategory(v: unknown): v is ServiceCategory {
  if (!isObject(v) || !isText(v.category, 64) || !isText(v.name, 128) || typeof v.open_now !== 'boolean') return false;
  const h = v.service_hours;
  return isObject(h) && isHHMM(h.open) && isHHMM(h.close) && Number.isInteger(v.answer_days) &&
    (v.answer_days as number) >= 1 && (v.answer_days as number) <= 365 && (v.expected_by === null || isTime(v.expected_by));
}

/** The answer as ServiceInfo, or null when it is not of the protocol's shape. */
export function parseService(body: unknown): ServiceInfo | null {
  if (!isObject(body) || body.type !== 'ok' || !isTime(body.time)) return null;
  const cats = body.categories;
  if (!Array.isArray(cats) || cats.length > 100 || !cats.every(isCategory)) return null;
  if (!isText(body.emergency_number, 31) || !isTextOrNull(body.social_emergency_number, 31)) return null;
  if (!isWebAddress(body.exit_url)) return null;
  for (const f of ['controller_name', 'privacy_contact', 'accessibility_contact'])
    if (!isTextOrNull(body[f], 255)) return null;
  return body as unknown as ServiceInfo;
}

/** GET /api/v1/service; null when it fails or its answer is refused. */
export async function fetchService(): Promise<ServiceInfo | null> {
  try {
    const res = await fetch('/api/v1/service');
    return res.ok ? parseService(await res.json()) : null;
  } catch {
    return null;
  }
}
