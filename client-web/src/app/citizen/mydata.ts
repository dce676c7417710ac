// mydata.ts - the "Your data" controller (mydata-contract.ts): the log report
// (mydata-report.ts), the export (mydata-export.ts) and rights requests (mydata-rights.ts),
// on the app's connection and the citizen's threads controller, whose reader and downloads
// they reuse; `pack` is mydata-zip.ts's packer (the app's comes as its own bundle when first
// used, mydata-zip-load.ts).
import type { Connection } from '../net';
import { systemClock, type Clock } from '../net/clock';
import type { MyDataController } from './mydata-contract';
import { exportAll, type ExportDeps } from './mydata-export';
import { fetchLogReport, type Requester } from './mydata-report';
import { listRights, requestRights, threadFacts } from './mydata-rights';
import type { CitizenThreads } from './threads';
import type { Crypto } from './threads-util';

/**
 * `conn`: the app's connection (or anything with its request); its requests are typed by the
 * generated protocol, these modules check every reply themselves and see them as unknown.
 */
export function createMyDataController(connection: Pick<Connection, 'request'>, threads: CitizenThreads, c: Crypto,
  opts: { clock?: Clock; pack: ExportDeps['pack'] }): MyDataController {
  const conn: Requester = { request: (type, fields) => connection.request(type as never, fields as never) };
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const deps = { conn, threads, c, now, pack: opts.pack };
  return {
    logReport: (from, to) => fetchLogReport(conn, now(), from, to),
    exportAll: (onProgress, signal) => exportAll(deps, onProgress, signal),
    threadFacts: (thread) => threadFacts(deps, thread),
    requestRights: (input) => requestRights(deps, input),
    listRights: () => listRights(deps),
  };
}
