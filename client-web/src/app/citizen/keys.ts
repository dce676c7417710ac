// keys.ts - PLACEHOLDER on the views branch only, so that the shell compiles: the keys part
// builds the real key controller (this file is replaced by its version at merge).
import type { Connection } from '../net';
import type { CryptoSession } from '../crypto-load';
import type { KeyController } from './contract';

export function createKeyController(_conn: Connection, _cs: CryptoSession, _userId: string): KeyController {
  throw new Error('not built yet');
}
