// supervise.ts - the supervisor's tools (the SuperviseController of contract.ts): the units'
// dashboards live (dashboard.get, dashboard.changed), reassignment (PROTOCOL.md §11.2, §12.6:
// to another unit the client first starts a new thread-key epoch sealed to that unit's current
// generation, verified to the pinned root, and to the citizen's identity, re-seals the
// identity box and copies the notes for that unit while it still has access, then moves the
// thread; within the unit only thread.reassign), release, the move targets, roster and closed
// days, and the access log of the supervised units.
import type { Connection } from '../net';
import { systemClock, type Clock } from '../net/clock';
import { newEpoch } from '../citizen/thread-rekey';
import { b64, type CryptoSession, MemoryKv, ThreadsError, unhexId } from '../citizen/threads-util';
import { UlogMemory, unitKeyFetch, type UnitKey } from '../citizen/unit-keys';
import type {
  AuditPage, DashboardQueue, PersonName, ReassignError, Shift, StaffSession, SuperviseController, UnitDashboard,
} from './contract';
import { createStaffThreads, type StaffThreads } from './thread';
import type { StaffThread } from './thread-watch';
import { codeOf, isNetwork, StaffError, staffRequest } from './wire';
import { UNIT_TEXT_NOTE, type ShiftEntry } from './wire-types';

const REASON_REASSIGNED = 2;
const REASON_MAX = 500;
const WRAP_THREAD_KEY = 1;
const WRAPS_PER_PUT = 16; // wrap.put takes 1..16 wraps

export interface SuperviseOptions {
  clock?: Clock;
  /** The staff threads controller to share open threads with (default: one of its own). */
  threads?: StaffThreads;
}

function personName(name: unknown, title: unknown): PersonName | null {
  return typeof name === 'string' ? { name, title: typeof title === 'string' ? title : null } : null;
}

function reassignError(e: unknown): ReassignError {
  if (e instanceof ThreadsError) return ['unit_keys', 'locked', 'stale_epoch', 'rekey_needed', 'damaged'].includes(e.code) ? 'keys' : 'failed';
  const code = codeOf(e);
  if (code === 'keys' || code === 'not_found' || code === 'forbidden' || code === 'no_reason') return code;
  if (code === 'conflict' || code === 'thread_closed') return 'closed';
  return isNetwork(code) ? 'network' : 'failed';
}

function shiftOf(s: ShiftEntry): Shift {
  return { user: s.user, username: s.username, name: s.name ?? null, days: s.days.slice(), start: s.start, end: s.end, onHolidays: s.on_holidays };
}

export function createSupervise(conn: Connection, cs: CryptoSession, session: StaffSession, opts: SuperviseOptions = {}): SuperviseController {
  const c = cs.crypto;
  const clock = opts.clock ?? systemClock;
  const now = (): number => clock.now();
  const threads = opts.threads ?? createStaffThreads(conn, cs, session, { clock });
  const ulog = new UlogMemory(c, new MemoryKv());
  const unitName = new Map(session.units.map((u) => [u.unit, u.name] as [string, string]));
  const supervised = new Set(session.units.filter((u) => u.role === 'supervisor').map((u) => u.unit));
  const boards = new Map<string, UnitDashboard>();
  const listeners = new Set<(d: UnitDashboard[]) => void>();
  let queueNames = new Map<string, string>();

  const list = (): UnitDashboard[] => [...boards.values()].sort((a, b) => a.name.localeCompare(b.name));

  function emit(): void {
    const d = list();
    for (const fn of [...listeners]) {
      try {
        fn(d);
      } catch {
        // a view's failure does not stop the dashboards
      }
    }
  }

  function applyBoard(b: Record<string, unknown>): void {
    if (typeof b.unit !== 'string' || !Array.isArray(b.queues) || !Array.isArray(b.workers)) return;
    const queues: DashboardQueue[] = (b.queues as Record<string, unknown>[]).map((q) => ({
      queue: String(q.queue), category: String(q.category), name: queueNames.get(`${b.unit}/${q.category}`) ?? String(q.category),
      waiting: Number(q.waiting) || 0, oldestWaiting: typeof q.oldest_waiting === 'number' ? q.oldest_waiting : null,
      atRisk: Number(q.at_risk) || 0, missed: Number(q.missed) || 0, open: Number(q.open) || 0,
    }));
    const workers = (b.workers as Record<string, unknown>[]).map((w) => ({
      user: String(w.user), username: String(w.username), name: personName(w.name, w.title),
      role: w.role === 'supervisor' ? 'supervisor' as const : 'worker' as const, onDuty: w.on_duty === true, load: Number(w.load) || 0,
    }));
    boards.set(b.unit, { unit: b.unit, name: unitName.get(b.unit) ?? b.unit, queues, workers, time: Number(b.time) || now() });
  }

  async function load(): Promise<void> {
    if (supervised.size === 0) return;
    try {
      const st = await conn.request('queue.settings', {});
      queueNames = new Map(st.queues.map((q) => [`${q.unit}/${q.category}`, q.name] as [string, string]));
    } catch {
      // names fall back to the category
    }
    try {
      const r = await conn.request('dashboard.get', {});
      for (const b of r.units) applyBoard(b as unknown as Record<string, unknown>);
      emit();
    } catch {
      // asked again after the next reconnect
    }
  }

  conn.onEvent('dashboard.changed', (ev) => {
    if (typeof ev.unit === 'string' && supervised.has(ev.unit)) {
      applyBoard(ev);
      emit();
    }
  });
  let wasOpen = conn.state.kind === 'open';
  conn.onState((s) => {
    if (s.kind === 'open' && !wasOpen) void load();
    wasOpen = s.kind === 'open';
  });
  if (wasOpen) void load();

  async function targets(): Promise<{ category: string; name: string; unit: string; unitName: string }[]> {
    const out = new Map<string, { category: string; name: string; unit: string; unitName: string }>();
    const st = await conn.request('queue.settings', {});
    for (const q of st.queues) out.set(q.category, { category: q.category, name: q.name, unit: q.unit, unitName: unitName.get(q.unit) ?? '' });
    const all = await conn.request('categories.list', {});
    for (const x of all.categories) {
      if (!out.has(x.category)) out.set(x.category, { category: x.category, name: x.name, unit: x.unit, unitName: unitName.get(x.unit) ?? '' });
    }
    return [...out.values()];
  }

  /** The unit whose queue holds a category (queue.settings of the caller's units, else categories.list). */
  async function unitOfCategory(category: string): Promise<string> {
    const t = (await targets()).find((x) => x.category === category);
    if (t === undefined) throw new StaffError('not_found', 'no such queue');
    return t.unit;
  }

  /**
   * Before a move to another unit: a new epoch sealed to the target's current generation and the
   * citizen's identity, the notes re-sealed for the target; resolves with the re-sealed identity box.
   */
  async function handOver(t: StaffThread, target: UnitKey): Promise<string | undefined> {
    const keys = session.keys();
    if (keys === null) throw new StaffError('keys', 'the keys are locked');
    const s = t.s, citizen = s.keyring.identity, chain = s.keyring.epochChain();
    if (citizen === null || !chain.intact) throw new StaffError('keys', "the thread's keys do not verify");
    if (t.identity.kind === 'loading') await t.loadIdentity();
    // The earlier epochs' keys wrapped to the target too, so that the unit taking the thread
    // over reads what was written before the move (PROTOCOL.md §12.3: a wrap to another unit
    // before a reassignment); the new epoch below keeps what comes after from this unit.
    const back: string[] = [];
    for (let e = 0; e <= s.keyring.epoch; e++) {
      const key = s.keyring.threadKey(e);
      if (key !== null) back.push(b64(c, c.wrapSeal(WRAP_THREAD_KEY, s.threadId, e, target.boxPk, key, c.random(32), keys.identity)));
    }
    for (let i = 0; i < back.length; i += WRAPS_PER_PUT) {
      await conn.request('wrap.put', { thread: t.thread, wraps: back.slice(i, i + WRAPS_PER_PUT) });
    }
    const next = newEpoch(c, s.threadId, s.keyring.epoch, chain.head, target, { boxPk: citizen.identityBoxPk }, keys.identity, now(),
      REASON_REASSIGNED);
    try {
      await conn.request('thread.rekey', { thread: t.thread, event: b64(c, next.event), wraps: next.wraps.map((w) => b64(c, w)) });
    } finally {
      c.wipe(next.key);
    }
    let identity: string | undefined;
    if (t.identityPlain !== null) {
      identity = b64(c, c.identityBoxSeal({ threadId: s.threadId, unitId: unhexId(c, target.unit), generation: target.generation },
        t.identityPlain, target.boxPk));
    } else if (t.identity.kind === 'refused') throw new StaffError('keys', "the citizen's identity box does not verify");
    await t.loadNotes();
    for (let i = 0; i < t.noteEntries.length; i++) {
      const e = t.noteEntries[i], n = t.notes[i];
      // The notes of the unit the thread is in (originals and earlier copies) are its whole set.
      if (n === undefined || n.text === null || n.refused || e.unit !== s.unit) continue;
      const box = c.unitTextSeal({ kind: UNIT_TEXT_NOTE, unitId: unhexId(c, target.unit), generation: target.generation, scopeId: s.threadId,
        created: BigInt(now()) }, new TextEncoder().encode(n.text), target.boxPk, keys.identity);
      await staffRequest(conn, 'note.add', { thread: t.thread, note: b64(c, box), copy_of: e.copy_of ?? e.note });
    }
    return identity;
  }

  async function reassign(thread: string, input: { toUser?: string; toCategory?: string; reason: string }): Promise<void> {
    const reason = input.reason.trim();
    if (reason === '' || reason.length > REASON_MAX) throw new StaffError('no_reason', 'a reason is required');
    if (input.toUser === undefined && input.toCategory === undefined) throw new StaffError('failed', 'no target');
    const t = threads.acquire(thread);
    try {
      await t.s.ready;
      if (t.gone || t.s.unit === null) throw new StaffError('not_found', 'the thread is no longer in your units');
      const fields: { thread: string; reason: string; to_user?: string; to_category?: string; identity?: string } = { thread, reason };
      if (input.toUser !== undefined) fields.to_user = input.toUser;
      if (input.toCategory !== undefined) {
        fields.to_category = input.toCategory;
        const targetUnit = await unitOfCategory(input.toCategory);
        if (targetUnit !== t.s.unit) {
          const target = await unitKeyFetch(conn, c, cs.rootKey, ulog, { unit: targetUnit }, now());
          const identity = await handOver(t, target);
          if (identity !== undefined) fields.identity = identity;
        }
      }
      await staffRequest(conn, 'thread.reassign', fields);
    } catch (e) {
      throw new StaffError(reassignError(e), 'the thread could not be moved');
    } finally {
      threads.done(t);
    }
  }

  return {
    dashboards: list,
    subscribe: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    reassign,
    release: async (thread, reason) => {
      try {
        await conn.request('thread.release', { thread, ...(reason.trim() !== '' ? { reason: reason.trim() } : {}) });
      } catch (e) {
        throw new StaffError(reassignError(e), 'the thread could not be released');
      }
    },
    targets,
    roster: async (unit) => {
      const r = await staffRequest(conn, 'roster.get', { unit });
      const members = new Map<string, { user: string; username: string; name: PersonName | null }>();
      for (const w of boards.get(unit)?.workers ?? []) members.set(w.user, { user: w.user, username: w.username, name: w.name });
      for (const s of r.shifts) if (!members.has(s.user)) members.set(s.user, { user: s.user, username: s.username, name: s.name ?? null });
      return { shifts: r.shifts.map(shiftOf), closedDays: r.closed_days.map((d) => ({ date: d.date, note: d.note ?? null })),
        members: [...members.values()] };
    },
    setRoster: async (unit, shifts) => {
      try {
        await staffRequest(conn, 'roster.set', { unit, shifts: shifts.map((s) => ({ user: s.user, days: s.days.slice(), start: s.start,
          end: s.end, on_holidays: s.onHolidays })) });
      } catch (e) {
        throw new StaffError(codeOf(e), 'the roster could not be saved');
      }
    },
    setClosedDays: async (unit, add, remove) => {
      try {
        await staffRequest(conn, 'closed.set', { unit, ...(add.length > 0 ? { add } : {}), ...(remove.length > 0 ? { remove } : {}) });
      } catch (e) {
        throw new StaffError(codeOf(e), 'the closed days could not be saved');
      }
    },
    audit: async (q): Promise<AuditPage> => {
      const r = await staffRequest(conn, 'audit.query', { ...q });
      return { rows: r.rows.map((x) => ({ ...x })), more: r.more === true,
        chain: { state: r.chain.state === 'ok' ? 'ok' : 'broken', checked: Number(r.chain.checked) || 0, firstBroken: r.chain.first_broken ?? null } };
    },
  };
}


