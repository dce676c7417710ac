// threads.ts - PLACEHOLDER on the views branch only, so that the shell compiles: the threads
// part builds the real threads controller (this file is replaced by its version at merge).
import type { Connection } from '../net';
import type { CryptoSession } from '../crypto-load';
import type { CitizenKeys, ThreadsController } from './contract';

export function createThreadsController(_conn: Connection, _cs: CryptoSession, _keys: CitizenKeys): ThreadsController {
  throw new Error('not built yet');
}
