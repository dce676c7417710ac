// net-setup.ts - one Connection on a fake clock against a fake adviced, with its states recorded.
import { Connection, type ConnectionOptions, type ConnectionState } from '../../src/app/net/connection';
import { countingBytes, FakeClock, FakeServer, fixedRandom } from './net-fakes';

export interface Setup {
  clock: FakeClock;
  server: FakeServer;
  conn: Connection;
  states: ConnectionState[];
  problems: string[];
}

export function setup(opts: Partial<ConnectionOptions> = {}, clock = new FakeClock(), server = new FakeServer(clock)): Setup {
  const problems: string[] = [];
  const conn = new Connection({ socket: server.factory, clock, random: fixedRandom(0.5), randomBytes: countingBytes,
    onProblem: (p) => problems.push(p), ...opts });
  const states: ConnectionState[] = [];
  conn.onState((s) => states.push(s));
  return { clock, server, conn, states, problems };
}

/** The kinds of the states seen, with the cause where there is one ("reconnecting:dropped"). */
export function kinds(states: ConnectionState[]): string[] {
  return states.map((s) => s.kind === 'reconnecting' || s.kind === 'offline' ? `${s.kind}:${s.cause}`
    : s.kind === 'open' ? (s.syncing ? 'open:syncing' : 'open') : s.kind);
}
