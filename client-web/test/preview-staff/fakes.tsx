// fakes.tsx - in-memory stand-ins for what the staff workspace is given (src/app/staff/contract.ts:
// the session, the queue, the threads, canned answers, the supervisor's tools), for the staff
// preview page: a queue with deadlines fine, at risk and overdue, a claimed thread with an image
// and a PDF, an unreadable message and a gap, a new identity, notes (one a copy, one unreadable,
// one refused), colleagues viewing and writing, canned answers in three languages, a roster,
// closed days and an access log whose chain is fine or broken; a corrected message with its
// correction, consent and retention, a restricted thread read for a legal claim, and rights
// requests overdue, due soon, extended and decided. Options come from the page's
// query string (preview.tsx).
import type {
  AnswerInput, AuditPage, AuditQuery, AuditRow, CannedAnswer, CannedController, ClosedDay, FileCheck, PickedFile, QueueController, QueueFilter,
  QueueItem, QueueSnapshot, RightsController, RightsRequest, Shift, StaffSession, StaffThreadSnapshot, StaffThreadsController, StaffThreadWatch, SuperviseController, UnitDashboard,
  UploadProgress, Viewer,
} from '../../src/app/staff/contract';

export interface FakeOptions {
  role: 'worker' | 'supervisor';
  chain: 'ok' | 'broken';
  empty: boolean;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.now();
const HEX = (n: number) => n.toString(16).padStart(32, '0');

export const UNIT_A = HEX(0x1a);
export const UNIT_B = HEX(0x1b);
export const ME = HEX(0xe1);
const ANNA = HEX(0xe2);
const MIKKO = HEX(0xe3);
const SARI = HEX(0xe4);

export const T_NEW = HEX(0xc1);
export const T_RISK = HEX(0xc2);
export const T_MISSED = HEX(0xc3);
export const T_MINE = HEX(0xc4);
export const T_WAITING = HEX(0xc5);
export const T_ANNA = HEX(0xc6);
export const T_CLOSED = HEX(0xc7);
export const T_LOCKED = HEX(0xc8);
export const T_GONE = HEX(0xc9);
export const T_RESTRICTED = HEX(0xca);
export const T_RIGHTS = HEX(0xcb);
export const T_TO_RESTRICT = HEX(0xcc);
const ASK_ID = HEX(0x9b2);
const ASK_RESTRICT_ID = HEX(0x9b3);

const PNG_B64 =
  'iVBORw0KGgoAAAANSUhEUgAAAKAAAABkCAIAAACO1KzYAAABBElEQVR42u3bsRGAIAxAUQajZjBrx3EIZ7JyAGtCiO/uD8DxKo6kjeNS4ZorACzAAizAAizAAgxYgAVYgAU4ec/dvwGu6ZpQGvAs2iTMgOfSLmcGHKS7yhhwnO4SY8ChuvHGgKN1g40BA6a7szFgwHR3NgYMGDBgummNAQMGDBgwYMCAAQMGDNg7GDBgAWbsNwkwYBMdgAEDNlUJ2Fy0bDYwtpuE2Xbhv5iXnxPwFOk8xwNcPMCABViABViABViAAQuwACsDcD+HCgcYsAALsAALsAALMGABFmABFmABFmDAAizAAizAAizAAgxYgAVYgAVYgAUYsAALsAALsAALMGAB1qa91UDuyGsvt/IAAAAASUVORK5CYII=';

const person = (name: string, title: string | null) => ({ name, title });
const P_ANNA = person('Anna Virtanen', 'sosiaalityöntekijä');
const P_MIKKO = person('Mikko Laine', 'sosiaaliohjaaja');
const P_ME = person('Liisa Korhonen', 'sosiaalityöntekijä');

const CATS = [
  { category: 'income', name: 'Toimeentulotuki ja raha-asiat', unit: UNIT_A },
  { category: 'family', name: 'Lapsiperheiden palvelut', unit: UNIT_A },
  { category: 'housing', name: 'Asuminen', unit: UNIT_A },
  { category: 'debt', name: 'Velka- ja talousneuvonta', unit: UNIT_B },
];
const catName = (c: string) => CATS.find((x) => x.category === c)!.name;

class Emitter<T> {
  private readonly fns = new Set<(v: T) => void>();
  add(fn: (v: T) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  emit(v: T): void {
    for (const fn of [...this.fns]) fn(v);
  }
}

function deadline(daysLeft: number, level: 'ok' | 'at_risk' | 'missed', state: 'running' | 'paused' | 'stopped' = 'running') {
  return { kind: 'first_answer' as const, state, level, due: NOW + daysLeft * DAY + 3 * HOUR, warnAt: NOW + (daysLeft - 1) * DAY, workingDaysLeft: daysLeft };
}

function item(thread: string, category: string, state: QueueItem['state'], over: Partial<QueueItem>): QueueItem {
  const c = CATS.find((x) => x.category === category)!;
  return {
    thread, unit: c.unit, category, categoryName: c.name, state, assignee: null, assigneeName: null, mine: false,
    created: NOW - 3 * HOUR, updated: NOW - HOUR, unread: 0, deadline: deadline(2, 'ok'), escalated: false, ...over,
  };
}

function items(): QueueItem[] {
  return [
    item(T_NEW, 'income', 'new', { created: NOW - 2 * HOUR - 15 * MIN, updated: NOW - 2 * HOUR, unread: 1, deadline: deadline(3, 'ok') }),
    item(T_RISK, 'family', 'new', { created: NOW - 2 * DAY, updated: NOW - 5 * HOUR, unread: 2, deadline: deadline(0, 'at_risk'), escalated: true }),
    item(T_MISSED, 'housing', 'new', { created: NOW - 5 * DAY, updated: NOW - 4 * DAY, unread: 1, deadline: deadline(-1, 'missed'), escalated: true }),
    item(T_MINE, 'income', 'claimed', { assignee: ME, assigneeName: P_ME, mine: true, created: NOW - 26 * HOUR, updated: NOW - 20 * MIN, unread: 1, deadline: deadline(1, 'at_risk'), escalated: true }),
    item(T_WAITING, 'family', 'waiting', { assignee: ME, assigneeName: P_ME, mine: true, created: NOW - 3 * DAY, deadline: deadline(2, 'ok', 'paused') }),
    item(T_ANNA, 'family', 'claimed', { assignee: ANNA, assigneeName: P_ANNA, created: NOW - 6 * DAY, deadline: deadline(-3, 'missed'), escalated: true }),
    item(T_LOCKED, 'debt', 'claimed', { assignee: ME, assigneeName: P_ME, mine: true, created: NOW - 30 * HOUR, deadline: deadline(4, 'ok') }),
    item(T_CLOSED, 'income', 'closed', { assignee: ME, assigneeName: P_ME, mine: true, created: NOW - 12 * DAY, updated: NOW - 9 * DAY, deadline: null }),
  ];
}

function selectItems(list: QueueItem[], f: QueueFilter): QueueItem[] {
  const pass = (i: QueueItem) => {
    if (f.unit && i.unit !== f.unit) return false;
    if (f.category && i.category !== f.category) return false;
    switch (f.view) {
      case 'new':
        return i.state === 'new';
      case 'mine':
        return i.mine && i.state !== 'closed';
      case 'waiting':
        return i.state === 'waiting';
      case 'escalated':
        return i.escalated && i.state !== 'closed';
      case 'all':
        return i.state !== 'closed';
      case 'closed':
        return i.state === 'closed';
    }
  };
  const key = (i: QueueItem) => (f.sort === 'deadline' ? (i.deadline?.due ?? Infinity) : f.sort === 'oldest' ? i.created : -i.updated);
  return list.filter(pass).sort((a, b) => key(a) - key(b));
}

export function fakeQueue(opts: FakeOptions): QueueController & { arrive(): void } {
  let list = opts.empty ? [] : items();
  let snap: QueueSnapshot;
  const e = new Emitter<QueueSnapshot>();
  const counts = () => ({
    new: list.filter((i) => i.state === 'new').length,
    mine: list.filter((i) => i.mine && i.state !== 'closed').length,
    waiting: list.filter((i) => i.state === 'waiting').length,
    escalated: list.filter((i) => i.escalated && i.state !== 'closed').length,
    unread: list.reduce((n, i) => n + i.unread, 0),
  });
  const emit = (change: Partial<QueueSnapshot>) => {
    snap = { ...snap, ...change, items: list, counts: counts() };
    e.emit(snap);
  };
  snap = { loading: false, items: list, counts: counts(), duty: { onDuty: true, mode: 'roster', until: null }, categories: CATS, arrived: 0 };
  let n = 0;
  return {
    snapshot: () => snap,
    subscribe: (fn) => e.add(fn),
    select: (f) => selectItems(snap.items, f),
    async setDuty(mode) {
      emit({ duty: { onDuty: mode === 'roster' ? true : mode === 'on', mode, until: null } });
    },
    acknowledge() {
      if (snap.arrived !== 0) emit({ arrived: 0 });
    },
    arrive() {
      list = [item(HEX(0xd0 + n++), 'housing', 'new', { created: Date.now(), updated: Date.now(), unread: 1, deadline: deadline(5, 'ok') }), ...list];
      emit({ arrived: snap.arrived + 1 });
    },
  };
}

function checkFile(f: PickedFile): FileCheck {
  const b = f.bytes;
  if (b.length === 0) return { ok: false, problem: 'empty', image: false };
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return { ok: true, media: 3, image: true };
  if (b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46) return { ok: true, media: 1, image: false };
  return { ok: false, problem: 'type', image: false };
}

function snapshots(): Map<string, StaffThreadSnapshot> {
  const base = (thread: string): StaffThreadSnapshot => {
    const i = items().find((x) => x.thread === thread)!;
    return {
      thread, unit: i.unit, category: i.category, categoryName: catName(i.category), state: i.state, assignee: i.assignee, assigneeName: i.assigneeName,
      mine: i.mine, created: i.created, deadline: i.deadline, identity: { kind: 'loading' }, newIdentitySince: null, messages: [], unreadable: [],
      complete: true, locked: false, notes: [], viewers: [], sending: [], gone: false,
    };
  };
  const client = (seq: number, ago: number, text: string, files: StaffThreadSnapshot['messages'][number]['files'] = []) =>
    ({ seq, time: NOW - ago, from: 'citizen' as const, me: false, author: null, text, files, mark: 'ok' as const, asksMore: false });
  const viewer = (user: string, name: typeof P_ANNA, state: Viewer['state']): Viewer => ({ user, name, state, since: NOW - 2 * MIN });
  const m = new Map<string, StaffThreadSnapshot>();
  m.set(T_NEW, {
    ...base(T_NEW),
    messages: [client(1, 2 * HOUR + 15 * MIN, 'Hei. Sain päätöksen toimeentulotuesta, mutta en ymmärrä, miksi vuokraa ei huomioitu kokonaan. Mitä voin tehdä?')],
    viewers: [viewer(MIKKO, P_MIKKO, 'viewing')],
  });
  m.set(T_RISK, {
    ...base(T_RISK),
    messages: [client(1, 2 * DAY, 'Tarvitsen apua päivähoitopaikan hakemiseen. Lapsi on 3-vuotias.'), client(2, 5 * HOUR, 'Onko hakemukselle jonoa?')],
    viewers: [viewer(ANNA, P_ANNA, 'writing')],
  });
  m.set(T_MISSED, { ...base(T_MISSED), messages: [client(1, 5 * DAY, 'Vuokranantaja uhkaa häädöllä. Mistä saan apua?')] });
  m.set(T_MINE, {
    ...base(T_MINE),
    newIdentitySince: NOW - 20 * HOUR,
    complete: false,
    messages: [
      client(1, 26 * HOUR, 'Hei. Liitän päätöksen ja kuvan vuokrasopimuksesta.\nVoitteko katsoa, onko vuokra laskettu oikein?', [
        { file: HEX(0xf1), size: 183_000, media: 1 },
        { file: HEX(0xf2), size: 317, media: 3 },
      ]),
      { seq: 2, time: NOW - 22 * HOUR, from: 'staff', me: false, author: P_ANNA, text: 'Kiitos viestistä. Katsomme asiaa ja vastaamme pian.', files: [], mark: 'ok', asksMore: false,
        id: HEX(0x942) },
      { seq: 4, time: NOW - 20 * MIN, from: 'citizen', me: false, author: null, text: 'Lisäys: vuokra nousi tammikuussa.', files: [], mark: 'gap', asksMore: false },
    ],
    unreadable: [{ seq: 3, time: NOW - 21 * HOUR, reason: 'bad_signature' }],
    notes: [
      { note: HEX(0x71), time: NOW - 23 * HOUR, author: P_ANNA, me: false, text: 'Asiakkaalla aiempi asiakkuus aikuissosiaalityössä. Soitettu 12.11.', copyOf: null, refused: false },
      { note: HEX(0x72), time: NOW - 21 * HOUR, author: P_MIKKO, me: false, text: 'Siirretty velkaneuvonnasta.', copyOf: HEX(0x70), refused: false },
      { note: HEX(0x73), time: NOW - 20 * HOUR, author: P_MIKKO, me: false, text: null, copyOf: null, refused: false },
      { note: HEX(0x74), time: NOW - 19 * HOUR, author: null, me: false, text: null, copyOf: null, refused: true },
    ],
    viewers: [viewer(ANNA, P_ANNA, 'writing')],
  });
  m.set(T_WAITING, {
    ...base(T_WAITING),
    messages: [
      client(1, 3 * DAY, 'Miten haen tukea lapsen harrastukseen?'),
      { seq: 2, time: NOW - 2 * DAY, from: 'staff', me: true, author: P_ME, text: 'Harrastustukea haetaan 31.3. mennessä.', files: [], mark: 'ok', asksMore: false,
        id: HEX(0x952), correctedBy: [3] },
      { seq: 3, time: NOW - 2 * DAY + HOUR, from: 'staff', me: true, author: P_ME, text: 'Harrastustukea haetaan 30.4. mennessä.', files: [], mark: 'ok', asksMore: false,
        id: HEX(0x953), content: { kind: 'correction', ref: HEX(0x952), reason: 'Päivämäärä oli väärin.', target: 2, mismatch: false } },
      { seq: 4, time: NOW - 2 * DAY + 2 * HOUR, from: 'staff', me: true, author: P_ME, text: 'Kerrotko, minkä ikäinen lapsi on ja mikä harrastus on kyseessä?', files: [], mark: 'ok', asksMore: true,
        id: HEX(0x954) },
      { seq: 5, time: NOW - DAY, from: 'staff', me: false, author: null, text: 'Haku päättyy 30.4.', files: [], mark: 'ok', asksMore: false,
        id: HEX(0x955), content: { kind: 'correction', ref: HEX(0x954), reason: 'Tarkennus', target: null, mismatch: true } },
    ],
    consent: { given: NOW - 2 * DAY, withdrawn: null }, handedOver: false, retentionUntil: NOW + 5 * 365 * DAY,
  });
  const other = (thread: string, over: Partial<StaffThreadSnapshot>): StaffThreadSnapshot => ({
    ...base(T_ANNA), thread, assignee: ANNA, assigneeName: P_ANNA, mine: false, deadline: null, ...over,
  });
  m.set(T_RESTRICTED, other(T_RESTRICTED, { restricted: true, locked: true, legalClaim: null, consent: { given: NOW - 40 * DAY, withdrawn: NOW - 10 * DAY },
    handedOver: true, retentionUntil: NOW + 10 * 365 * DAY }));
  m.set(T_RIGHTS, other(T_RIGHTS, {
    messages: [
      client(1, 30 * DAY, 'Kysyin tukea vuokraan.'),
      { ...client(2, 27 * DAY, 'Pyydän poistamaan tämän keskustelun tiedot.'), id: ASK_ID, content: { kind: 'rights_request' } },
    ],
    consent: null, handedOver: false, retentionUntil: null,
  }));
  m.set(T_TO_RESTRICT, other(T_TO_RESTRICT, {
    messages: [
      client(1, 20 * DAY, 'Kysyin neuvoa velkojen kanssa.'),
      { ...client(2, 3 * DAY, 'Tiedoissani on virhe. Älkää käyttäkö niitä ennen kuin se on selvitetty.'), id: ASK_RESTRICT_ID, content: { kind: 'rights_request' } },
    ],
    consent: null, handedOver: false, retentionUntil: null,
  }));
  m.set(T_ANNA, { ...base(T_ANNA), messages: [client(1, 6 * DAY, 'Kysymys perhetyöstä.')] });
  m.set(T_LOCKED, { ...base(T_LOCKED), locked: true });
  m.set(T_CLOSED, {
    ...base(T_CLOSED),
    messages: [
      client(1, 12 * DAY, 'Voiko ruokakuitin liittää hakemukseen?'),
      { seq: 2, time: NOW - 10 * DAY, from: 'staff', me: true, author: P_ME, text: 'Kyllä voi. Kysymys on nyt suljettu.', files: [], mark: 'ok', asksMore: false },
    ],
  });
  m.set(T_GONE, { ...base(T_ANNA), thread: T_GONE, gone: true });
  return m;
}

/** The rights requests; `restrict(thread)` is called when a restriction is granted (the thread
 *  freezes, as thread.changed makes it in the app). */
export function fakeRights(restrict: (thread: string) => void = () => undefined): RightsController {
  const r = (id: number, kind: RightsRequest['kind'], state: RightsRequest['state'], made: number, due: number, thread: string,
    over: Partial<RightsRequest> = {}): RightsRequest => ({ id: HEX(id), thread, unit: UNIT_A, kind, state, made, due, decided: null, decidedBy: null,
    message: ASK_ID, decisionMessage: null, ...over });
  let list: RightsRequest[] = [
    r(0xa1, 'erasure', 'open', NOW - 33 * DAY, NOW - 2 * DAY, T_RIGHTS),
    r(0xa2, 'correction', 'open', NOW - 25 * DAY, NOW + 4 * DAY, T_RIGHTS),
    r(0xa3, 'objection', 'extended', NOW - 40 * DAY, NOW + 50 * DAY, T_MINE),
    r(0xa4, 'restriction', 'granted', NOW - 60 * DAY, NOW - 30 * DAY, T_RESTRICTED, { decided: NOW - 35 * DAY, decidedBy: 'Liisa Korhonen' }),
    r(0xa5, 'restriction', 'open', NOW - 3 * DAY, NOW + 27 * DAY, T_TO_RESTRICT, { message: ASK_RESTRICT_ID }),
  ];
  return {
    list: async () => list,
    forThread: async (thread) => list.filter((x) => x.thread === thread),
    async decide(req, outcome, reason) {
      if (outcome === 'refused' && reason.trim() === '') throw Object.assign(new Error('reason'), { code: 'reason' });
      if (req.kind === 'erasure' && outcome === 'granted') throw Object.assign(new Error('handed_over'), { code: 'handed_over' });
      list = list.map((x) => (x.id === req.id ? { ...x, state: outcome, decided: Date.now(), decidedBy: 'Liisa Korhonen' } : x));
      if (req.kind === 'restriction' && outcome === 'granted') restrict(req.thread);
    },
  };
}

export function fakeThreads(queue: ReturnType<typeof fakeQueue>): StaffThreadsController & {
  writer(thread: string): void;
  message(thread: string): void;
  restrict(thread: string): void;
} {
  const snaps = snapshots();
  const emitters = new Map<string, Emitter<StaffThreadSnapshot>>();
  const drafts = new Map<string, string>();
  const em = (t: string) => emitters.get(t) ?? emitters.set(t, new Emitter()).get(t)!;
  const update = (thread: string, change: Partial<StaffThreadSnapshot>) => {
    const next = { ...snaps.get(thread)!, ...change };
    snaps.set(thread, next);
    em(thread).emit(next);
  };
  const nextSeq = (s: StaffThreadSnapshot) => Math.max(0, ...s.messages.map((x) => x.seq), ...s.unreadable.map((x) => x.seq)) + 1;
  return {
    watch(thread): StaffThreadWatch {
      const e = em(thread);
      return {
        snapshot: () => snaps.get(thread) ?? null,
        subscribe: (fn) => e.add(fn),
        setWriting: () => undefined,
        showIdentity: () =>
          setTimeout(() => update(thread, { identity: { kind: 'ok', name: 'Matti Meikäläinen', hetu: '131052-308T', verifiedAt: NOW - 26 * HOUR } }), 30),
        close: () => undefined,
      };
    },
    checkFile,
    async claim(thread, force) {
      const s = snaps.get(thread)!;
      if (!force && s.viewers.some((v) => v.state === 'writing')) throw new Error('others_writing');
      update(thread, { state: 'claimed', assignee: ME, assigneeName: P_ME, mine: true });
      void queue;
    },
    async answer(thread, input: AnswerInput, onProgress: (p: UploadProgress) => void) {
      input.files.forEach((f, i) => onProgress({ file: i, state: 'done', sent: f.bytes.length, total: f.bytes.length }));
      const s = snaps.get(thread)!;
      const files = input.files.map((f, i) => ({ file: HEX(0xfa + i), size: f.bytes.length, media: checkFile(f).media ?? 0 }));
      update(thread, {
        state: input.asksMore ? 'waiting' : 'answered',
        messages: [...s.messages, { seq: nextSeq(s), time: Date.now(), from: 'staff', me: true, author: P_ME, text: input.text, files, mark: 'ok', asksMore: input.asksMore }],
      });
    },
    async close(thread) {
      update(thread, { state: 'closed' });
    },
    async release(thread) {
      update(thread, { state: 'new', assignee: null, assigneeName: null, mine: false });
    },
    async addNote(thread, text) {
      const s = snaps.get(thread)!;
      update(thread, { notes: [...s.notes, { note: HEX(0x80 + s.notes.length), time: Date.now(), author: P_ME, me: true, text, copyOf: null, refused: false }] });
    },
    markRead: () => undefined,
    async download(_thread, f) {
      if (f.media === 3) return new Blob([Uint8Array.from(atob(PNG_B64), (c) => c.charCodeAt(0))], { type: 'image/png' });
      throw new Error('type_mismatch');
    },
    async correct(thread, input) {
      const s = snaps.get(thread)!;
      const seq = nextSeq(s);
      update(thread, {
        messages: [...s.messages.map((x) => (x.id === input.target ? { ...x, correctedBy: [...(x.correctedBy ?? []), seq] } : x)),
          { seq, time: Date.now(), from: 'staff', me: true, author: P_ME, text: input.text, files: [], mark: 'ok', asksMore: false, id: HEX(0x990 + seq),
            content: { kind: 'correction', ref: input.target, reason: input.reason, target: s.messages.find((x) => x.id === input.target)?.seq ?? null,
              mismatch: false } }],
      });
    },
    async readForClaim(thread, reason) {
      update(thread, { legalClaim: reason.trim(), locked: false, identity: { kind: 'loading' }, messages: [
        { seq: 1, time: NOW - 50 * DAY, from: 'citizen', me: false, author: null, text: 'Hain toimeentulotukea helmikuussa.', files: [], mark: 'ok', asksMore: false },
        { seq: 2, time: NOW - 49 * DAY, from: 'staff', me: false, author: P_ANNA, text: 'Hakemuksesi on käsittelyssä.', files: [], mark: 'ok', asksMore: false },
      ] });
    },
    draft: (t) => drafts.get(t) ?? '',
    setDraft: (t, text) => void drafts.set(t, text),
    /** `thread` is restricted: its snapshot as thread-watch.ts gives it then (no content until read for a legal claim). */
    restrict(thread) {
      update(thread, { restricted: true, legalClaim: null, messages: [], unreadable: [], notes: [], identity: { kind: 'unavailable' } });
    },
    /** Mikko starts writing in `thread` (the collision guard's announcement). */
    writer(thread) {
      const s = snaps.get(thread)!;
      update(thread, { viewers: [...s.viewers.filter((v) => v.user !== MIKKO), { user: MIKKO, name: P_MIKKO, state: 'writing', since: Date.now() }] });
    },
    /** The client writes again in `thread`. */
    message(thread) {
      const s = snaps.get(thread)!;
      update(thread, { messages: [...s.messages, { seq: nextSeq(s), time: Date.now(), from: 'citizen', me: false, author: null, text: 'Kiitos, odotan vastausta.', files: [], mark: 'ok', asksMore: false }] });
    },
  };
}

export function fakeCanned(): CannedController {
  let n = 0;
  const a = (unit: string, lang: CannedAnswer['lang'], title: string, text: string): CannedAnswer => ({ answer: HEX(0x500 + n++), unit, lang, title, text, updated: NOW - 5 * DAY });
  let list: CannedAnswer[] = [
    a(UNIT_A, 'fi', 'Oikaisuvaatimus', 'Voit hakea päätökseen oikaisua 30 päivän kuluessa. Ohje on liitteenä.'),
    a(UNIT_A, 'fi', 'Tervehdys', 'Hei! Kiitos kysymyksestäsi.'),
    a(UNIT_A, 'sv', 'Begäran om omprövning', 'Du kan begära omprövning av beslutet inom 30 dagar.'),
    a(UNIT_A, 'sv', 'Hälsning', 'Hej! Tack för din fråga.'),
    a(UNIT_A, 'en', 'Request for review', 'You can ask for the decision to be reviewed within 30 days.'),
  ];
  return {
    list: async (unit) => list.filter((x) => x.unit === unit),
    async save(unit, e) {
      const id = e.answer ?? HEX(0x600 + n++);
      list = [...list.filter((x) => x.answer !== id), { answer: id, unit, lang: e.lang, title: e.title, text: e.text, updated: Date.now() }];
      return id;
    },
    async remove(_unit, answer) {
      list = list.filter((x) => x.answer !== answer);
    },
  };
}

function dashboards(): UnitDashboard[] {
  return [
    {
      unit: UNIT_A, name: 'Sosiaalineuvonta', time: NOW,
      queues: [
        { queue: HEX(0x31), category: 'income', name: 'Toimeentulotuki ja raha-asiat', waiting: 1, oldestWaiting: NOW - 2 * HOUR, atRisk: 1, missed: 0, open: 3 },
        { queue: HEX(0x32), category: 'family', name: 'Lapsiperheiden palvelut', waiting: 1, oldestWaiting: NOW - 2 * DAY, atRisk: 1, missed: 1, open: 3 },
        { queue: HEX(0x33), category: 'housing', name: 'Asuminen', waiting: 1, oldestWaiting: NOW - 5 * DAY, atRisk: 0, missed: 1, open: 1 },
      ],
      workers: [
        { user: ME, username: 'lkorhonen', name: P_ME, role: 'supervisor', onDuty: true, load: 3 },
        { user: ANNA, username: 'avirtanen', name: P_ANNA, role: 'worker', onDuty: true, load: 5 },
        { user: MIKKO, username: 'mlaine', name: P_MIKKO, role: 'worker', onDuty: false, load: 0 },
        { user: SARI, username: 'snieminen', name: null, role: 'worker', onDuty: false, load: 1 },
      ],
    },
  ];
}

function auditRows(chain: FakeOptions['chain']): AuditRow[] {
  const actions = ['thread.read', 'identity.read', 'note.read', 'message.send', 'thread.claim', 'audit.read'];
  const users = [
    { user: ANNA, username: 'avirtanen', role: 'worker' },
    { user: ME, username: 'lkorhonen', role: 'supervisor' },
    { user: MIKKO, username: 'mlaine', role: 'worker' },
  ];
  return Array.from({ length: 60 }, (_, i) => {
    const u = users[i % 3];
    return {
      row: 4120 - i, time: NOW - i * 47 * MIN, ...u, unit: UNIT_A, client: i % 4 === 3 ? null : `c-${(0x3a7f + (i % 5)).toString(16)}`,
      object: `thread ${HEX(0xc1 + (i % 6)).slice(-6)}`, action: actions[i % actions.length], purpose: i % 2 ? 'neuvonta' : null,
      outcome: chain === 'broken' && i === 7 ? 'refused' : 'ok', reason: chain === 'broken' && i === 7 ? 'forbidden' : null,
    };
  });
}

export function fakeSupervise(opts: FakeOptions): SuperviseController {
  let shifts: Shift[] = [
    { user: ANNA, username: 'avirtanen', name: P_ANNA, days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '16:00', onHolidays: false },
    { user: MIKKO, username: 'mlaine', name: P_MIKKO, days: ['mon', 'wed'], start: '12:00', end: '18:00', onHolidays: true },
  ];
  let closed: ClosedDay[] = [
    { date: '2026-12-24', note: 'Jouluaatto' },
    { date: '2026-12-31', note: null },
  ];
  const rows = auditRows(opts.chain);
  return {
    dashboards,
    subscribe: () => () => undefined,
    async reassign(_thread, input) {
      if (input.reason.trim() === '') throw new Error('no_reason');
    },
    async release() {},
    targets: async () => [
      ...CATS.filter((c) => c.unit === UNIT_A).map((c) => ({ ...c, unitName: 'Sosiaalineuvonta' })),
      { category: 'debt', name: 'Velka- ja talousneuvonta', unit: UNIT_B, unitName: 'Aikuissosiaalityö' },
    ],
    roster: async () => ({
      shifts,
      closedDays: closed,
      members: dashboards()[0].workers.map((w) => ({ user: w.user, username: w.username, name: w.name })),
    }),
    async setRoster(_unit, next) {
      shifts = next;
    },
    async setClosedDays(_unit, add, remove) {
      closed = [...closed.filter((d) => !remove.includes(d.date)), ...add];
    },
    async audit(q: AuditQuery): Promise<AuditPage> {
      const match = rows.filter((r) => (!q.user || r.user === q.user) && (!q.client || r.client === q.client) && (q.before === undefined || r.row < q.before));
      const page = match.slice(0, 25);
      return {
        rows: page,
        more: match.length > 25,
        chain: opts.chain === 'ok' ? { state: 'ok', checked: 4120, firstBroken: null } : { state: 'broken', checked: 4120, firstBroken: 4113 },
      };
    },
  };
}

export function fakeSession(opts: FakeOptions): StaffSession {
  const supervisor = opts.role === 'supervisor';
  return {
    userId: ME,
    username: 'lkorhonen',
    units: [
      { unit: UNIT_A, name: 'Sosiaalineuvonta', role: supervisor ? 'supervisor' : 'worker' },
      { unit: UNIT_B, name: 'Aikuissosiaalityö', role: 'worker' },
    ],
    supervisor,
    keys: () => null,
  };
}
