// register.ts - the register description (PROTOCOL.md "Register duties"), from GET
// /api/v1/register: the controller, the data protection officer, purposes with their legal
// bases, the data, recipients, processors, transfers, retention, the consent to link a thread
// to the client record, and where to use one's rights. The privacy notice (views/privacy.tsx)
// and the consent (consent.ts) are built from it. The server is not trusted: an answer of
// another shape is refused whole (every text a string of bounded length without control or
// direction-override characters, every list bounded); what passes is shown as text only.
import type { Lang } from '../i18n-langs';
import type { ShownConsent } from './contract';

/** A text in the service's languages: at least one of them; views pick with textIn(). */
export type RegisterText = Partial<Record<Lang, string>>;

export interface RetentionRule {
  /** A thread category's id, or "*" for every other category. */
  category: string;
  years: number | null;
  days: number | null;
  from: 'close' | 'relationship_end';
}

export interface Register {
  /** The embedded demo register of the server: example texts, not a real controller's. */
  demo: boolean;
  controller: { name: RegisterText; address: RegisterText; contact: RegisterText };
  dpo: { name: RegisterText; contact: RegisterText };
  purposes: { purpose: RegisterText; basis: RegisterText }[];
  dataCategories: RegisterText[];
  subjects: RegisterText[];
  sources: RegisterText[];
  recipients: RegisterText[];
  regularDisclosures: RegisterText[];
  processors: { name: string; task: RegisterText }[];
  transfersOutsideEea: boolean;
  /** What is transferred and on what safeguard; null when nothing is. */
  transfers: RegisterText | null;
  retention: { rules: RetentionRule[]; channelCopyDays: number; text: RegisterText };
  consent: { recipient: RegisterText; scope: RegisterText; text: RegisterText };
  rightsContact: RegisterText;
}

/** The largest register document taken (bytes of its JSON). */
export const REGISTER_MAX_BYTES = 256 * 1024;
const SHORT = 300;
const LONG = 4000;
const LIST = 50;
const FALLBACK: readonly Lang[] = ['fi', 'sv', 'en'];

/** C0 and C1 controls but tab and newline, bidi embeddings/overrides/isolates, and U+FEFF. */
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]/;

class Refused extends Error {
  constructor(readonly path: string) {
    super(`the register document is refused at ${path}`);
    this.name = 'RegisterRefused';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function plain(v: unknown, max: number, path: string): string {
  if (typeof v !== 'string' || v.trim().length === 0 || v.length > max || FORBIDDEN_CHARS.test(v)) throw new Refused(path);
  return v;
}

/** {fi?, sv?, en?}: at least one language, nothing else. */
function text(v: unknown, max: number, path: string): RegisterText {
  if (!isObject(v)) throw new Refused(path);
  const keys = Object.keys(v);
  if (keys.length === 0 || keys.some((k) => !FALLBACK.includes(k as Lang))) throw new Refused(path);
  const out: RegisterText = {};
  for (const k of keys as Lang[]) out[k] = plain(v[k], max, `${path}/${k}`);
  return out;
}

function list<T>(v: unknown, path: string, item: (x: unknown, p: string) => T, min = 0): T[] {
  if (!Array.isArray(v) || v.length < min || v.length > LIST) throw new Refused(path);
  return v.map((x, i) => item(x, `${path}/${i}`));
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (!isObject(v)) throw new Refused(path);
  return v;
}

const shortText = (v: unknown, p: string) => text(v, SHORT, p);
const longText = (v: unknown, p: string) => text(v, LONG, p);

function count(v: unknown, max: number, path: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > max) throw new Refused(path);
  return v as number;
}

function rule(v: unknown, path: string): RetentionRule {
  const r = object(v, path);
  const category = plain(r.category, 64, `${path}/category`);
  if (category !== '*' && !/^[a-z0-9][a-z0-9_-]*$/.test(category)) throw new Refused(`${path}/category`);
  const years = r.years === undefined ? null : count(r.years, 200, `${path}/years`);
  const days = r.days === undefined ? null : count(r.days, 73000, `${path}/days`);
  if ((years === null) === (days === null)) throw new Refused(`${path}/years`);
  if (r.from !== 'close' && r.from !== 'relationship_end') throw new Refused(`${path}/from`);
  return { category, years, days, from: r.from };
}

/**
 * The register document as Register, or throws naming the first JSON path refused. Fields
 * not named here are ignored (later versions may add some); `type: "ok"` may wrap it.
 */
export function parseRegister(body: unknown): Register {
  const d = object(body, '');
  if (d.type !== undefined && d.type !== 'ok') throw new Refused('/type');
  if (d.demo !== undefined && typeof d.demo !== 'boolean') throw new Refused('/demo');
  const controller = object(d.controller, '/controller');
  const dpo = object(d.dpo, '/dpo');
  const retention = object(d.retention, '/retention');
  const consent = object(d.consent, '/consent');
  if (typeof d.transfers_outside_eea !== 'boolean') throw new Refused('/transfers_outside_eea');
  const transfers = d.transfers_outside_eea ? longText(d.transfers, '/transfers') : null;
  const copy = retention.channel_copy_days === undefined ? 14 : count(retention.channel_copy_days, 3650, '/retention/channel_copy_days');
  return {
    demo: d.demo === true,
    controller: { name: shortText(controller.name, '/controller/name'), address: shortText(controller.address, '/controller/address'),
      contact: shortText(controller.contact, '/controller/contact') },
    dpo: { name: shortText(dpo.name, '/dpo/name'), contact: shortText(dpo.contact, '/dpo/contact') },
    purposes: list(d.purposes, '/purposes', (x, p) => {
      const o = object(x, p);
      return { purpose: longText(o.purpose, `${p}/purpose`), basis: longText(o.basis, `${p}/basis`) };
    }, 1),
    dataCategories: list(d.data_categories, '/data_categories', longText, 1),
    subjects: list(d.subjects, '/subjects', longText, 1),
    sources: list(d.sources, '/sources', longText),
    recipients: list(d.recipients, '/recipients', longText),
    regularDisclosures: list(d.regular_disclosures, '/regular_disclosures', longText),
    processors: list(d.processors, '/processors', (x, p) => {
      const o = object(x, p);
      return { name: plain(o.name, SHORT, `${p}/name`), task: longText(o.task, `${p}/task`) };
    }),
    transfersOutsideEea: d.transfers_outside_eea,
    transfers,
    retention: { rules: list(retention.rules, '/retention/rules', rule, 1), channelCopyDays: copy,
      text: longText(retention.text, '/retention/text') },
    consent: { recipient: shortText(consent.recipient, '/consent/recipient'), scope: longText(consent.scope, '/consent/scope'),
      text: longText(consent.text, '/consent/text') },
    rightsContact: longText(d.rights_contact, '/rights_contact'),
  };
}

/**
 * A register text in `lang`, else in the first of Finnish, Swedish, English it has: the text
 * and the language it is in (the view marks it with lang=, the consent event records it).
 */
export function textIn(t: RegisterText, lang: Lang): { text: string; lang: Lang } {
  for (const l of [lang, ...FALLBACK]) {
    const s = t[l];
    if (s !== undefined) return { text: s, lang: l };
  }
  throw new Error('a register text without any language'); // parseRegister lets none through
}

/** The register's consent texts as they are shown: all three in one language. */
export type ConsentTexts = ShownConsent;

/**
 * The consent's recipient, scope and text in `lang` when the register has all three in it,
 * else in the first fallback language that has all three: one language for what is signed.
 * Null when no language has all three.
 */
export function consentTexts(r: Register, lang: Lang): ConsentTexts | null {
  const c = r.consent;
  for (const l of [lang, ...FALLBACK]) {
    const recipient = c.recipient[l], scope = c.scope[l], text = c.text[l];
    if (recipient !== undefined && scope !== undefined && text !== undefined) return { lang: l, recipient, scope, text };
  }
  return null;
}

/** GET /api/v1/register, checked; rejects when it fails or is refused. */
export async function fetchRegister(fetcher: typeof fetch = fetch): Promise<Register> {
  const res = await fetcher('/api/v1/register', { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`the register could not be fetched: HTTP ${res.status}`);
  const raw = await res.text();
  if (raw.length > REGISTER_MAX_BYTES) throw new Refused('');
  return parseRegister(JSON.parse(raw));
}

let cached: Promise<Register> | null = null;

/** The register, fetched once per page (again after a failure). */
export function loadRegister(): Promise<Register> {
  const p = cached ?? fetchRegister();
  cached = p;
  p.catch(() => {
    if (cached === p) cached = null;
  });
  return p;
}
