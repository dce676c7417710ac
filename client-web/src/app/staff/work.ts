// work.ts - the staff member's controllers for one logged-in session, made once the keys are
// ready: the queue, the threads (shared with the supervisor's tools, so that a thread open in
// the view is the one a move re-keys), the canned answers and, for supervisors, the
// supervisor's tools.
import type { Connection } from '../net/index';
import type { CryptoSession } from '../crypto-load';
import type { CannedController, QueueController, StaffSession, StaffThreadsController, SuperviseController } from './contract';
import { createQueueController } from './queue';
import { createStaffThreads } from './thread';
import { createCanned } from './canned';
import { createSupervise } from './supervise';

export interface StaffWork {
  queue: QueueController;
  threads: StaffThreadsController;
  canned: CannedController;
  supervise: SuperviseController | null;
}

export function createStaffWork(conn: Connection, cs: CryptoSession, session: StaffSession): StaffWork {
  const threads = createStaffThreads(conn, cs, session);
  return {
    queue: createQueueController(conn, session),
    threads,
    canned: createCanned(conn, cs, session),
    supervise: session.supervisor ? createSupervise(conn, cs, session, { threads }) : null,
  };
}
