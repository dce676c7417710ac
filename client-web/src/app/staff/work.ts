// work.ts - the staff member's controllers for one logged-in session, made once the keys are
// ready: the queue, the threads (shared with the supervisor's tools, so that a thread open in
// the view is the one a move re-keys), the canned answers and, for supervisors, the
// supervisor's tools and the rights requests.
import type { Connection } from '../net/index';
import type { CryptoSession } from '../crypto-load';
import type { CannedController, QueueController, RightsController, StaffSession, StaffThreadsController, SuperviseController } from './contract';
import { createQueueController } from './queue';
import { createStaffThreads } from './thread';
import { createCanned } from './canned';
import { createSupervise } from './supervise';
import { createRights } from './rights';

export interface StaffWork {
  queue: QueueController;
  threads: StaffThreadsController;
  canned: CannedController;
  supervise: SuperviseController | null;
  /** Supervisors: the citizens' rights requests of their units. */
  rights: RightsController | null;
}

export function createStaffWork(conn: Connection, cs: CryptoSession, session: StaffSession): StaffWork {
  const threads = createStaffThreads(conn, cs, session);
  return {
    queue: createQueueController(conn, session),
    threads,
    canned: createCanned(conn, cs, session),
    supervise: session.supervisor ? createSupervise(conn, cs, session, { threads }) : null,
    rights: session.supervisor ? createRights(conn, cs, { threads }) : null,
  };
}
