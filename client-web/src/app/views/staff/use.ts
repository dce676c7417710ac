// use.ts - the hooks the staff views share: the queue's and the supervisor's live snapshots,
// a clock for waiting times (never inside a live region), and a promise's result for views
// that load once (roster, canned answers, the audit's first page).
import { useEffect, useState } from 'preact/hooks';
import type { QueueController, QueueSnapshot, SuperviseController, UnitDashboard } from '../../staff/contract';

export function useQueueSnapshot(queue: QueueController): QueueSnapshot {
  const [snap, setSnap] = useState<QueueSnapshot>(() => queue.snapshot());
  useEffect(() => {
    setSnap(queue.snapshot());
    return queue.subscribe(setSnap);
  }, [queue]);
  return snap;
}

export function useDashboards(supervise: SuperviseController | null): UnitDashboard[] {
  const [list, setList] = useState<UnitDashboard[]>(() => supervise?.dashboards() ?? []);
  useEffect(() => {
    if (supervise === null) return;
    setList(supervise.dashboards());
    return supervise.subscribe(setList);
  }, [supervise]);
  return list;
}

/** The time now, renewed every `ms` (for "waiting 2 h"): a re-render, no announcement. */
export function useNow(ms = 60_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

export type Loaded<T> = { kind: 'loading' } | { kind: 'ok'; value: T } | { kind: 'failed' };

/** The result of `load()`, run again when `deps` change or `reload()` is called. */
export function useLoaded<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [state, setState] = useState<Loaded<T>>({ kind: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState({ kind: 'loading' });
    load().then(
      (value) => live && setState({ kind: 'ok', value }),
      () => live && setState({ kind: 'failed' }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return [state, () => setRound((r) => r + 1)];
}
