// citizen-register.test.ts - the register description from GET /api/v1/register
// (src/app/citizen/register.ts) against a hostile server: a document of the protocol's shape is
// taken whole; one with a wrong type, an empty or overlong text, a control or direction-override
// character, an unknown language, too many rows, a rule without its period, or a transfer said
// without its text is refused naming the JSON path; markup stays plain text; each text falls
// back to Finnish, then Swedish, then English, and the consent is shown in one language only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consentTexts, fetchRegister, parseRegister, REGISTER_MAX_BYTES, textIn } from '../../src/app/citizen/register';

const tx = (s: string) => ({ fi: `${s} (fi)`, sv: `${s} (sv)`, en: `${s} (en)` });

/** A register document as the server sends it (the demo's shape). */
export function registerDoc(): Record<string, unknown> {
  return {
    type: 'ok',
    demo: true,
    controller: { name: tx('Esimerkkikunta'), address: tx('Kuntatie 1'), contact: tx('kirjaamo@example.fi') },
    dpo: { name: tx('Tietosuojavastaava'), contact: tx('tietosuoja@example.fi') },
    purposes: [{ purpose: tx('Neuvonta'), basis: tx('GDPR 6(1)(e)') }],
    data_categories: [tx('Viestit')],
    subjects: [tx('Asiakkaat')],
    sources: [tx('Asiakas itse')],
    recipients: [tx('Asiakastietojärjestelmä')],
    regular_disclosures: [],
    processors: [{ name: 'Hosting Oy', task: tx('Palvelimet') }],
    transfers_outside_eea: false,
    retention: { rules: [{ category: '*', years: 12, from: 'close' }, { category: 'child-welfare', days: 30, from: 'relationship_end' }],
      text: tx('Säilytys'), channel_copy_days: 14 },
    consent: { recipient: tx('Lifecare'), scope: tx('Tämä keskustelu'), text: tx('Suostun') },
    rights_contact: tx('kirjaamo@example.fi'),
    future_field: { anything: true },
  };
}

test('a document of the protocol shape is taken, unknown fields ignored', () => {
  const r = parseRegister(registerDoc());
  assert.equal(r.demo, true);
  assert.equal(r.controller.name.fi, 'Esimerkkikunta (fi)');
  assert.deepEqual(r.retention.rules, [{ category: '*', years: 12, days: null, from: 'close' },
    { category: 'child-welfare', years: null, days: 30, from: 'relationship_end' }]);
  assert.equal(r.retention.channelCopyDays, 14);
  assert.equal(r.transfers, null);
  const d = registerDoc();
  delete d.type;
  delete d.demo;
  delete (d.retention as Record<string, unknown>).channel_copy_days;
  const r2 = parseRegister(d);
  assert.equal(r2.demo, false);
  assert.equal(r2.retention.channelCopyDays, 14, 'the default');
  // Markup is text: kept as the characters it is, for the views to show as text.
  const m = registerDoc();
  (m.controller as Record<string, unknown>).name = { fi: '<img src=x onerror=alert(1)>' };
  assert.equal(parseRegister(m).controller.name.fi, '<img src=x onerror=alert(1)>');
});

test('a hostile document is refused, naming the path', () => {
  const cases: [string, (d: Record<string, any>) => void][] = [
    ['/controller/name', (d) => (d.controller.name = '<b>Kunta</b>')],
    ['/controller/name', (d) => (d.controller.name = { html: '<b>x</b>' })],
    ['/controller/name', (d) => (d.controller.name = {})],
    ['/controller/name/fi', (d) => (d.controller.name.fi = '')],
    ['/controller/name/fi', (d) => (d.controller.name.fi = '   ')],
    ['/controller/name/fi', (d) => (d.controller.name.fi = 'x'.repeat(301))],
    ['/controller/name/fi', (d) => (d.controller.name.fi = 'Kunta\u202eatnuk')],
    ['/controller/name/fi', (d) => (d.controller.name.fi = 'Kunta\u0000')],
    ['/controller/name/en', (d) => (d.controller.name.en = 42)],
    ['/dpo', (d) => delete d.dpo],
    ['/purposes', (d) => (d.purposes = [])],
    ['/purposes/0/basis', (d) => delete d.purposes[0].basis],
    ['/data_categories', (d) => (d.data_categories = Array(51).fill(tx('x')))],
    ['/subjects', (d) => (d.subjects = 'asiakkaat')],
    ['/processors/0/name', (d) => (d.processors[0].name = tx('Oy'))],
    ['/transfers_outside_eea', (d) => (d.transfers_outside_eea = 'no')],
    ['/transfers', (d) => (d.transfers_outside_eea = true)],
    ['/retention/rules', (d) => (d.retention.rules = [])],
    ['/retention/rules/0/years', (d) => delete d.retention.rules[0].years],
    ['/retention/rules/0/years', (d) => (d.retention.rules[0].days = 5)],
    ['/retention/rules/0/years', (d) => (d.retention.rules[0].years = -1)],
    ['/retention/rules/0/from', (d) => (d.retention.rules[0].from = 'forever')],
    ['/retention/rules/1/category', (d) => (d.retention.rules[1].category = '../x')],
    ['/retention/channel_copy_days', (d) => (d.retention.channel_copy_days = 1.5)],
    ['/consent/text', (d) => (d.consent.text = null)],
    ['/rights_contact', (d) => (d.rights_contact = ['x'])],
    ['/demo', (d) => (d.demo = 'yes')],
    ['/type', (d) => (d.type = 'error')],
  ];
  for (const [path, spoil] of cases) {
    const d = registerDoc();
    spoil(d);
    assert.throws(() => parseRegister(d), (e: unknown) => (e as Error).message.endsWith(` at ${path}`), path);
  }
  for (const body of [null, [], 'register', 1]) assert.throws(() => parseRegister(body));
});

test('each text falls back to Finnish, then Swedish, then English; the consent is one language', () => {
  assert.deepEqual(textIn({ fi: 'a', sv: 'b', en: 'c' }, 'sv'), { text: 'b', lang: 'sv' });
  assert.deepEqual(textIn({ fi: 'a', en: 'c' }, 'sv'), { text: 'a', lang: 'fi' });
  assert.deepEqual(textIn({ sv: 'b', en: 'c' }, 'en'), { text: 'c', lang: 'en' });
  assert.deepEqual(textIn({ sv: 'b', en: 'c' }, 'fi'), { text: 'b', lang: 'sv' });
  const r = parseRegister(registerDoc());
  assert.deepEqual(consentTexts(r, 'en'), { lang: 'en', recipient: 'Lifecare (en)', scope: 'Tämä keskustelu (en)', text: 'Suostun (en)' });
  // The English text is missing: all three are shown in Finnish, never mixed.
  r.consent.text = { fi: 'Suostun', sv: 'Jag samtycker' };
  assert.deepEqual(consentTexts(r, 'en'), { lang: 'fi', recipient: 'Lifecare (fi)', scope: 'Tämä keskustelu (fi)', text: 'Suostun' });
  r.consent.scope = { en: 'This thread' };
  assert.equal(consentTexts(r, 'fi'), null, 'no language has all three');
});

test('fetchRegister: an HTTP failure, an oversize or a hostile answer rejects', async () => {
  const answer = (status: number, body: string) => (async () => new Response(body, { status })) as unknown as typeof fetch;
  assert.equal((await fetchRegister(answer(200, JSON.stringify(registerDoc())))).processors[0].name, 'Hosting Oy');
  await assert.rejects(fetchRegister(answer(503, '{}')), /HTTP 503/);
  await assert.rejects(fetchRegister(answer(200, ' '.repeat(REGISTER_MAX_BYTES + 1))), /refused/);
  await assert.rejects(fetchRegister(answer(200, '<html>')));
  await assert.rejects(fetchRegister(answer(200, JSON.stringify({ ...registerDoc(), subjects: [{ fi: 1 }] }))), /subjects\/0\/fi/);
});
