// staff-setup.ts - what the staff tests share: a real Connection to the fake adviced of
// staff-fake.ts with the staff threads controller of a worker or a supervisor, the fake clock
// run on until an operation settles, and a thread watched until its snapshot reaches a state.
import assert from 'node:assert/strict';
import * as c from '../../src/crypto/index';
import { Connection } from '../../src/app/net/connection';
import { createStaffThreads, type StaffThreads } from '../../src/app/staff/thread';
import type { StaffThreadSnapshot } from '../../src/app/staff/contract';
import { countingBytes, FakeClock, fixedRandom } from './net-fakes';
import { NOW, StaffServer, StaffWorld } from './staff-fake';

export interface StaffSetup {
  w: StaffWorld;
  clock: FakeClock;
  server: StaffServer;
  conn: Connection;
  ctrl: StaffThreads;
}

export function setupStaff(who: 'worker' | 'supervisor' = 'worker', w = new StaffWorld()): StaffSetup {
  const clock = new FakeClock(NOW);
  const server = new StaffServer(clock, w, w.session(who).userId, who);
  const conn = new Connection({ socket: server.factory, clock, random: fixedRandom(0.5), randomBytes: countingBytes });
  conn.start();
  const ctrl = createStaffThreads(conn, { crypto: c, rootKey: w.root.signPk }, w.session(who), { clock });
  return { w, clock, server, conn, ctrl };
}

/** Runs the fake clock on until p settles. */
export async function settle<T>(clock: FakeClock, p: Promise<T>, maxSteps = 300): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  for (let i = 0; i < maxSteps && !done; i++) await clock.advance(100);
  assert.ok(done, 'the operation settled');
  return p;
}

export async function watchUntil(s: StaffSetup, thread: string, ok: (x: StaffThreadSnapshot) => boolean,
  opts: { showIdentity?: boolean } = {}): Promise<{ snap: StaffThreadSnapshot; close(): void; setWriting(w: boolean): void }> {
  const watch = s.ctrl.watch(thread);
  if (opts.showIdentity === true) watch.showIdentity?.();
  for (let i = 0; i < 300; i++) {
    const snap = watch.snapshot();
    if (snap !== null && ok(snap)) return { snap, close: () => watch.close(), setWriting: (x) => watch.setWriting(x) };
    await s.clock.advance(100);
  }
  assert.fail(`the thread did not reach the state: ${JSON.stringify(watch.snapshot())}`);
}
