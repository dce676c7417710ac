// staff_helpers.mjs - what the staff app's browser tests share beyond harness.mjs and
// citizen_helpers.mjs: TOTP codes (RFC 6238, HMAC-SHA1, 30 s) from a base32 secret, advicectl on
// the test's data folder, a demo worker's login on /staff, and a citizen who has asked a
// question with an image attached.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { text, bankLogin, makeKeys, navTo, png } from './citizen_helpers.mjs';

/** The published demo TOTP secret the demo accounts share (server/core/staff.h). */
export const DEMO_TOTP_SECRET = 'MFSHM2LDMUQGIZLNN4QGCY3DN52W45BB';

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/[\s=-]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

/** The six-digit TOTP code of `secret` (base32) at `time` (ms). */
export function totp(secret, time = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 30000)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, '0');
}

/** Runs advicectl on the service's data folder; its standard output. */
export function ctl(svc, args) {
  return execFileSync(process.env.ADVICECTL, ['-d', svc.data, ...args], { encoding: 'utf8' });
}

/** A staff page on /staff in `lang` (chosen with the language switch). */
export async function openStaff(page, svc, lang = 'en') {
  await page.goto(`${svc.url}staff`);
  await page.locator(`nav.lang button[lang=${lang}]`).click();
  await page.getByRole('heading', { name: text(lang, 'staffLogin.title'), exact: true }).waitFor();
}

/** Logs a demo account in on an open /staff page in `lang`; resolves on the workspace. */
export async function staffLogin(page, lang, name, { shot = null } = {}) {
  await page.getByLabel(text(lang, 'staffLogin.username')).fill(name);
  await page.getByLabel(text(lang, 'staffLogin.password'), { exact: true }).fill(`${name}-demo`);
  await page.getByRole('button', { name: text(lang, 'staffLogin.submit'), exact: true }).click();
  await page.getByRole('heading', { name: text(lang, 'staffLogin.totp.title') }).waitFor();
  if (shot) await shot('totp');
  await page.getByLabel(text(lang, 'staffLogin.code')).fill(totp(DEMO_TOTP_SECRET));
  await page.getByRole('button', { name: text(lang, 'staffLogin.totp.submit') }).click();
  await page.getByRole('navigation', { name: text(lang, 'staff.nav.label') }).waitFor({ timeout: 30000 });
}

/** The workspace's navigation link `key`, clicked. */
export async function staffNav(page, lang, key) {
  await page.getByRole('navigation', { name: text(lang, 'staff.nav.label') }).getByRole('link', { name: new RegExp(`^${text(lang, key)}`) }).click();
}

/**
 * A citizen on a new page of `context` logs in at the bank (person `person`), makes their keys
 * and asks `question` in the topic `topic` (a RegExp of its radio's name) with `image` attached;
 * resolves with the page, on the thread's view.
 */
export async function citizenAsks(svc, context, { lang = 'en', person = /010594Y9032/, topic, question, image = png(64, 48) }) {
  const page = await context.newPage();
  await page.goto(svc.url);
  await bankLogin(svc, page, lang, person);
  await makeKeys(page, lang);
  await navTo(page, lang, 'nav.ask');
  await page.getByRole('radio', { name: topic }).check();
  await page.getByLabel(text(lang, 'ask.text')).fill(question);
  await page.locator('input[type=file]').setInputFiles({ name: 'letter.png', mimeType: 'image/png', buffer: image });
  await page.getByRole('button', { name: text(lang, 'ask.send') }).click();
  await page.waitForURL(/#\/thread\/[0-9a-f]{32}$/);
  await page.getByRole('log').getByText(question).waitFor();
  return page;
}

/** The login's first step without the code is refused with 401 totp_required (PROTOCOL.md
 *  §4.5): a staff page's error list leaves that out. */
export const LOGIN_401 = /^401 .*\/api\/v1\/login\/worker$|status of 401 \(Unauthorized\)/;
