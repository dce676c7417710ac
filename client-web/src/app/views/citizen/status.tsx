// status.tsx - what the logged-in pages tell about the connection and the session: the
// connection line (connecting, reconnecting with a countdown, offline with its cause and "Try
// now"; quiet while open), the session warning (a modal dialog at least two minutes before the
// end: "Continue" extends an idle session, the absolute end says to log in again; drafts stay
// on the device), and the writes the outbox could not deliver, each with retry and discard.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ConnectionState, FailedWrite, SessionWarning } from '../../net';
import type { ShellConnection } from '../../citizen/session';
import { t, type Key, type Lang } from '../../i18n';
import { formatClock } from '../../format';
import { handledConflict } from './forms';

const OFFLINE_TEXT: Record<string, Key> = {
  network: 'conn.offline.network',
  login_needed: 'conn.offline.login',
  client_error: 'conn.offline.refused',
  closed: 'conn.offline.closed',
  stopped: 'conn.offline.closed',
};

function stateText(lang: Lang, s: ConnectionState): string {
  switch (s.kind) {
    case 'idle':
    case 'open':
      return '';
    case 'connecting':
      return t(lang, 'conn.connecting');
    case 'reconnecting':
      return t(lang, 'conn.reconnecting');
    case 'offline':
      return t(lang, OFFLINE_TEXT[s.cause] ?? 'conn.offline.closed');
  }
}

/** A value that changes every `ms` while `on` (for countdowns outside live regions). */
function useTick(on: boolean, ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return;
    setNow(Date.now());
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [on, ms]);
  return now;
}

export function ConnectionLine({ lang, conn }: { lang: Lang; conn: ShellConnection }) {
  const [state, setState] = useState<ConnectionState>(conn.state);
  useEffect(() => {
    setState(conn.state);
    return conn.onState(setState);
  }, [conn]);
  const now = useTick(state.kind === 'reconnecting', 1000);
  const quiet = state.kind === 'open' || state.kind === 'idle' || (state.kind === 'offline' && state.cause === 'stopped');
  const canRetry = state.kind === 'reconnecting' || (state.kind === 'offline' && state.cause !== 'login_needed' && state.cause !== 'stopped');
  return (
    <div class={quiet ? 'conn conn-quiet' : `conn conn-${state.kind}`} data-conn={state.kind}>
      {/* The live region holds the state in words only: the countdown below is not announced. */}
      <p role="status" class={quiet ? 'visually-hidden' : 'conn-text'}>
        {stateText(lang, state)}
      </p>
      {state.kind === 'reconnecting' && (
        <p class="conn-count">{t(lang, 'conn.nextTry', { seconds: String(Math.max(0, Math.ceil((state.retryAt - now) / 1000))) })}</p>
      )}
      {canRetry && (
        <button type="button" class="secondary" onClick={() => conn.retryNow()}>
          {t(lang, 'conn.tryNow')}
        </button>
      )}
    </div>
  );
}

/** The session warning: a modal dialog while a warning stands and the user has not answered. */
/** `drafts`: what the dialog says of unsent text (the staff page keeps it in memory only). */
export function SessionWarningDialog({ lang, conn, onLogout, drafts = 'session.warn.drafts' }:
  { lang: Lang; conn: ShellConnection; onLogout: () => void; drafts?: Key }) {
  const [warning, setWarning] = useState<SessionWarning | null>(conn.sessionInfo.warning);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [failed, setFailed] = useState(false);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    setWarning(conn.sessionInfo.warning);
    return conn.onSession((info) => setWarning(info.warning));
  }, [conn]);
  const open = warning !== null && dismissed !== warning.ends;
  const now = useTick(open, 15_000);
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);

  const minutes = warning === null ? 0 : Math.max(0, Math.ceil((warning.ends - now) / 60_000));
  const idle = warning?.reason === 'idle';
  const extend = () => {
    setFailed(false);
    conn.extendSession().then(
      () => setDismissed(warning?.ends ?? null),
      () => setFailed(true),
    );
  };
  return (
    <dialog ref={ref} class="session-warning" aria-labelledby="session-warning-h" aria-describedby="session-warning-text"
      onCancel={(e) => {
        e.preventDefault();
        if (warning !== null) setDismissed(warning.ends);
      }}
    >
      {warning !== null && (
        <>
          <h2 id="session-warning-h">{t(lang, idle ? 'session.warn.idleH' : 'session.warn.absoluteH')}</h2>
          <p id="session-warning-text">
            {t(lang, idle ? 'session.warn.idle' : 'session.warn.absolute', { time: formatClock(warning.ends, lang) })}{' '}
            {t(lang, 'session.warn.minutes', { minutes: String(minutes) })}
          </p>
          <p>{t(lang, drafts)}</p>
          {failed && <p class="error">{t(lang, 'session.warn.failed')}</p>}
          <div class="actions">
            {idle ? (
              <button type="button" onClick={extend}>
                {t(lang, 'session.warn.continue')}
              </button>
            ) : (
              <button type="button" onClick={() => setDismissed(warning.ends)}>
                {t(lang, 'session.warn.ok')}
              </button>
            )}
            <button type="button" class="secondary" onClick={onLogout}>
              {t(lang, 'nav.logout')}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}

const WRITE_TEXT: Record<string, Key> = {
  'message.send': 'conn.write.message',
  'thread.open': 'conn.write.question',
  'thread.close': 'conn.write.close',
  'notify.set': 'conn.write.notify',
  'notify.delete': 'conn.write.notify',
};

const FAILURE_TEXT: Record<string, Key> = {
  rate_limited: 'conn.failed.rate',
  timeout: 'conn.failed.noAnswer',
};

/** The failed writes to show: not the read marks and session extensions (done again by
 *  themselves), nor the conflicts the thread layer answers itself (handledConflict). */
function shownFailures(conn: ShellConnection): FailedWrite[] {
  return conn.failedWrites().filter((f) => f.request.type !== 'read.set' && f.request.type !== 'session.extend' &&
    !handledConflict(f.request.type, f.error.code, f.error.field));
}

/** Writes whose final answer was an error: shown until retried (with their original request
 *  id, so that one that did reach the server is not made twice) or discarded. */
export function OutboxFailures({ lang, conn }: { lang: Lang; conn: ShellConnection }) {
  const [failed, setFailed] = useState<FailedWrite[]>(() => shownFailures(conn));
  useEffect(() => {
    setFailed(shownFailures(conn));
    return conn.onOutbox(() => setFailed(shownFailures(conn)));
  }, [conn]);
  if (failed.length === 0) return null;
  const retry = (id: string) => {
    void conn.retryWrite(id).catch(() => undefined);
    setFailed(shownFailures(conn));
  };
  return (
    <section class="outbox-failed" aria-labelledby="outbox-failed-h">
      <h2 id="outbox-failed-h">{t(lang, 'conn.failed.h')}</h2>
      <ul>
        {failed.map(({ request, error }) => (
          <li key={request.id}>
            <p>
              {t(lang, WRITE_TEXT[request.type] ?? 'conn.write.other')}:{' '}
              {t(lang, FAILURE_TEXT[error.code] ?? 'conn.failed.refused')}
            </p>
            <div class="actions">
              <button type="button" onClick={() => retry(request.id)}>
                {t(lang, 'conn.failed.retry')}
              </button>
              <button type="button" class="secondary" onClick={() => conn.discardWrite(request.id)}>
                {t(lang, 'conn.failed.discard')}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
