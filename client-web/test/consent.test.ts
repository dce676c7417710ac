// consent.test.ts - the consent event (type 5), message content version 2 and the connector's
// login signature: proto/vectors/consent.json, content-v2.json and connector-login.json
// recomputed by the module (each object, and the verdict on every named change or wrong
// expectation, made the way crypto_consent_vectors.c makes them), and what make and encode refuse.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as c from '../src/crypto';

const { sodium } = c;
const dir = process.env.ADVICE_SOURCE_DIR !== undefined ? join(process.env.ADVICE_SOURCE_DIR, 'proto', 'vectors')
  : join(__dirname, '..', '..', '..', 'proto', 'vectors');
const hex = (b: Uint8Array): string => sodium.to_hex(b);
const unhex = (s: unknown): Uint8Array => sodium.from_hex(String(s));
type Case = Record<string, unknown>;

before(async () => {
  await c.ready();
});

function load(name: string): Case[] {
  const f = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  assert.equal(f.format_version, 1);
  assert.ok(f.cases.length > 0);
  return f.cases as Case[];
}

function code(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (err) {
    return err instanceof c.CryptoError ? err.code : String(err);
  }
}

function flip(b: Uint8Array, i: number, mask: number): Uint8Array {
  const m = b.slice();
  m[i] ^= mask;
  return m;
}

interface Expect { kind: number; threadId: Uint8Array; connectorKid: Uint8Array; signerPk: Uint8Array }

const CONSENT_CHANGES: Record<string, (b: Uint8Array, e: Expect, other: c.Keys) => [Uint8Array, Expect]> = {
  'object type 3': (b, e) => [flip(b, 3, 5 ^ 3), e],
  'one byte short': (b, e) => [b.slice(0, b.length - 1), e],
  'one byte more': (b, e) => [Uint8Array.from([...b, 0]), e],
  'kind 3': (b, e) => [Uint8Array.from([...b, 0]).map((v, i) => (i === 6 ? 3 : v)), e],
  'language de': (b, e) => [Uint8Array.from(b).map((v, i) => (i === 107 ? 0x64 : i === 108 ? 0x65 : v)), e],
  'signature bit flipped': (b, e) => [flip(b, b.length - 1, 0x80), e],
  'epoch changed': (b, e) => [flip(b, 39, 0x01), e],
  'scope hash changed': (b, e) => [flip(b, 43, 0x01), e],
  'signed by another': (b, e, other) => {
    const m = b.slice();
    m.set(c.kid(other.signPk), 117);
    m.set(c.sign('QA-v1-consent', m.subarray(0, 133), other.signSk), 133);
    return [m, e];
  },
  'expected the other kind': (b, e) => [b, { ...e, kind: e.kind === 1 ? 2 : 1 }],
  'expected another thread': (b, e) => [b, { ...e, threadId: flip(e.threadId, 15, 0x01) }],
  'expected another connector': (b, e) => [b, { ...e, connectorKid: flip(e.connectorKid, 0, 0x01) }],
  'expected another signer': (b, e, other) => [b, { ...e, signerPk: other.signPk }],
};

test('vectors: consent.json', () => {
  for (const cs of load('consent')) {
    const seed = unhex(cs.seed), rnd = (i: number, n: number): Uint8Array => sodium.crypto_kdf_derive_from_key(n, i, 'QAvector', seed);
    const citizenSeed = rnd(1, 32), threadId = rnd(2, 16), connectorSeed = rnd(3, 32);
    const citizen = c.keysPersonal(citizenSeed), connector = c.keysPersonal(connectorSeed), other = c.keysPersonal(rnd(4, 32));
    const ev: c.ConsentEvent = {
      kind: cs.kind as number, threadId, connectorKid: c.kid(connector.boxPk), epoch: cs.epoch as number,
      scopeHash: c.consentTextHash(cs.scope as string), textHash: c.consentTextHash(cs.text as string),
      lang: cs.lang as c.ConsentLang, created: BigInt(cs.created_at as number),
    };
    const obj = c.consentMake(ev, citizen);
    const got: Case = {
      citizen_seed: hex(citizenSeed), thread_id: hex(threadId), connector_seed: hex(connectorSeed),
      citizen_sign_pk: hex(citizen.signPk), connector_box_pk: hex(connector.boxPk), connector_kid: hex(ev.connectorKid),
      scope_hash: hex(ev.scopeHash), text_hash: hex(ev.textHash), signer_kid: hex(c.kid(citizen.signPk)), object: hex(obj),
    };
    for (const [k, v] of Object.entries(got)) assert.deepEqual(v, cs[k], `${String(cs.name)}: field ${k}`);
    const e: Expect = { kind: ev.kind, threadId, connectorKid: ev.connectorKid, signerPk: citizen.signPk };
    const opened = c.consentOpen(unhex(cs.object), e, citizen.signPk);
    assert.deepEqual([opened.kind, opened.epoch, opened.lang, opened.created, hex(opened.textHash)],
      [ev.kind, ev.epoch, ev.lang, ev.created, hex(ev.textHash)]);
    assert.equal(c.consentOpen(obj, { kind: ev.kind, threadId }, citizen.signPk).epoch, ev.epoch);
    const refusals = cs.refusals as Record<string, string>;
    assert.deepEqual(Object.keys(refusals).sort(), Object.keys(CONSENT_CHANGES).sort(), `${String(cs.name)}: the named changes`);
    for (const [name, change] of Object.entries(CONSENT_CHANGES)) {
      assert.notEqual(refusals[name], 'ok', `${String(cs.name)}: ${name} is refused`);
      const [b, x] = change(obj, e, other);
      assert.equal(code(() => c.consentOpen(b, x, x.signerPk)), refusals[name], `${String(cs.name)}: ${name}`);
    }
  }
});

test('consent: make refuses another kind, language or size of field', () => {
  const k = c.keysPersonal(c.random(32));
  const ev: c.ConsentEvent = {
    kind: 1, threadId: c.random(16), connectorKid: c.random(16), epoch: 0, scopeHash: c.random(32), textHash: c.random(32),
    lang: 'sv', created: 1770000000000n,
  };
  assert.equal(c.consentMake(ev, k).length, c.CONSENT_BYTES);
  assert.equal(code(() => c.consentMake({ ...ev, kind: 3 }, k)), 'inval');
  assert.equal(code(() => c.consentMake({ ...ev, lang: 'de' as c.ConsentLang }, k)), 'inval');
  assert.equal(code(() => c.consentMake({ ...ev, connectorKid: c.random(32) }, k)), 'inval');
  assert.equal(code(() => c.consentMake({ ...ev, epoch: -1 }, k)), 'inval');
});

function fileRefs(cs: Case, seed: Uint8Array): c.FileRef[] {
  const rnd = (i: number, n: number): Uint8Array => sodium.crypto_kdf_derive_from_key(n, i, 'QAvector', seed);
  return (cs.files as { size: number; media: number }[]).map((f, i) => ({
    fileId: rnd(10 + 4 * i, 16), key: rnd(11 + 4 * i, 32), header: rnd(12 + 4 * i, 24), hash: rnd(13 + 4 * i, 32),
    size: BigInt(f.size), media: f.media,
  }));
}

test('vectors: content-v2.json', () => {
  for (const cs of load('content-v2')) {
    const seed = unhex(cs.seed), files = fileRefs(cs, seed), version = cs.version as number;
    let content: Uint8Array;
    if (version === 1) {
      content = c.contentEncode(files, cs.text as string);
    } else {
      const ref = cs.ref_zero === true ? new Uint8Array(16) : sodium.crypto_kdf_derive_from_key(16, 1, 'QAvector', seed);
      assert.equal(hex(ref), cs.ref, `${String(cs.name)}: ref`);
      content = c.contentV2Encode({ kind: cs.kind as number, ref, note: cs.note as string, files, text: cs.text as string });
    }
    assert.equal(hex(content), cs.content, `${String(cs.name)}: content`);
    assert.equal(content.length, cs.size);
    const d = c.contentV2Decode(unhex(cs.content));
    assert.equal(d.version, version);
    assert.equal(d.text, cs.text);
    assert.equal(d.note, version === 1 ? '' : cs.note);
    assert.equal(d.kind, version === 1 ? 0 : cs.kind);
    assert.deepEqual(d.files.map((f) => [hex(f.fileId), hex(f.key), hex(f.header), f.size, f.media, hex(f.hash)]),
      files.map((f) => [hex(f.fileId), hex(f.key), hex(f.header), f.size, f.media, hex(f.hash)]));
    if (version === 1) assert.equal(c.contentDecode(content).text, cs.text);
    else assert.equal(code(() => c.contentDecode(content)), 'inval', 'the version 1 reader refuses version 2');
    for (const [name, r] of Object.entries(cs.refusals as Record<string, { content: string; verdict: string }>)) {
      assert.notEqual(r.verdict, 'ok', `${String(cs.name)}: ${name} is refused`);
      assert.equal(code(() => c.contentV2Decode(unhex(r.content))), r.verdict, `${String(cs.name)}: ${name}`);
    }
  }
});

test('content v2: what encode refuses', () => {
  const ref = c.random(16), zero = new Uint8Array(16);
  const base: c.ContentV2 = { kind: c.ContentKind.Correction, ref, note: 'reason', files: [], text: 'fixed' };
  assert.equal(c.contentV2Decode(c.contentV2Encode(base)).note, 'reason');
  assert.equal(code(() => c.contentV2Encode({ ...base, ref: zero })), 'inval');
  assert.equal(code(() => c.contentV2Encode({ ...base, note: '' })), 'inval');
  assert.equal(code(() => c.contentV2Encode({ ...base, kind: c.ContentKind.RightsRequest })), 'inval');
  assert.equal(code(() => c.contentV2Encode({ ...base, kind: 4 })), 'inval');
  assert.equal(code(() => c.contentV2Encode({ ...base, kind: c.ContentKind.RightsDecision, note: 'a'.repeat(2001) })), 'inval');
  assert.equal(c.contentV2Encode({ ...base, kind: c.ContentKind.RightsDecision, note: 'a'.repeat(2000), text: '' }).length, 20 + 2000 + 1);
  assert.equal(code(() => c.contentV2Encode({ ...base, ref: c.random(15) })), 'inval');
  assert.equal(c.contentV2Decode(c.contentV2Encode({ ...base, kind: c.ContentKind.RightsRequest, ref: zero, note: '' })).kind, 2);
});

test('vectors: connector-login.json (the signature a connector logs in with)', () => {
  for (const cs of load('connector-login')) {
    const seed = unhex(cs.seed);
    const k = c.keysPersonal(sodium.crypto_kdf_derive_from_key(32, 1, 'QAvector', seed));
    const challenge = sodium.crypto_kdf_derive_from_key(32, 2, 'QAvector', seed);
    const kid = c.kid(k.boxPk);
    assert.equal(hex(kid), cs.connector_kid);
    assert.equal(hex(k.signPk), cs.sign_pk);
    assert.equal(hex(c.sign('QA-v1-connector-login', c.concat(challenge, kid), k.signSk)), cs.signature);
  }
});
