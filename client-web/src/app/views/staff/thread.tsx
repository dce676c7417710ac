// thread.tsx - one thread for the worker: its facts (queue, state, who handles it, deadline),
// the client's identity shown only on request (looking is logged, and the page says so), "new
// identity since", the collision guard (who else has it open or is writing: shown, and told
// through the one polite announcer with new client messages), claim (with a warning dialog
// while someone else is writing), the messages, the answer form, close, return to the queue
// with an optional reason, the supervisor's reassign and release, the internal notes, and the
// thread moved away ("gone") with a way back to the queue; the consent, hand-over and retention,
// a restricted thread frozen (restrict.tsx: no content, identity or notes until read for a
// legal claim), corrections (correct.tsx) and, for the unit's supervisors, the rights requests
// made in the thread (rights.tsx; a decision's confirmation takes the focus, also when granting
// a restriction freezes the thread and the panel goes).
import { useEffect, useRef, useState } from 'preact/hooks';
import type {
  CannedController, ClaimError, CitizenIdentity, RightsController, StaffSession, StaffThreadSnapshot, StaffThreadsController, StaffThreadWatch, SuperviseController, Viewer,
} from '../../staff/contract';
import { t, type Key, type Lang } from '../../i18n';
import { formatDateTime } from '../../format';
import { ErrorSummary, Heading, InlineError, type FieldError } from '../common';
import { DeadlineText, Modal, personText, StaffLink, type StaffNavigate } from './parts';
import { errorCode } from './rules';
import { STATE_TEXT } from './queue';
import { MessageLog, senderText } from './thread-messages';
import { AnswerForm } from './thread-answer';
import { NotesPanel } from './notes';
import { ReassignDialog, reassignErrorText } from './reassign';
import { CorrectForm } from './correct';
import { RestrictedBanner } from './restrict';
import { ThreadRights } from './rights';

const CLAIM_ERROR: Record<ClaimError, Key> = {
  taken: 'sthread.claim.taken',
  others_writing: 'sthread.claim.failed',
  closed: 'sthread.claim.closed',
  network: 'sthread.claim.network',
  failed: 'sthread.claim.failed',
};

function useWatch(threads: StaffThreadsController, thread: string): [StaffThreadWatch | null, StaffThreadSnapshot | null] {
  const [watch, setWatch] = useState<StaffThreadWatch | null>(null);
  const [snap, setSnap] = useState<StaffThreadSnapshot | null>(null);
  useEffect(() => {
    const w = threads.watch(thread);
    setWatch(w);
    setSnap(w.snapshot());
    const off = w.subscribe(setSnap);
    return () => {
      off();
      w.close();
    };
  }, [threads, thread]);
  return [watch, snap];
}

function viewerText(lang: Lang, v: Viewer): string {
  const who = v.name?.name ?? t(lang, 'sthread.colleague');
  return t(lang, v.state === 'writing' ? 'sthread.presence.writing' : 'sthread.presence.viewing', { name: who });
}

/** One polite announcer: client messages that arrive, and colleagues opening the thread or
 *  starting to write (no times). */
function useAnnouncer(lang: Lang, snap: StaffThreadSnapshot | null): string {
  const seen = useRef<number | null>(null);
  const viewers = useRef<string | null>(null);
  const [text, setText] = useState('');
  useEffect(() => {
    if (snap === null) return;
    const said: string[] = [];
    const last = snap.messages.reduce((n, m) => Math.max(n, m.seq), 0);
    if (seen.current !== null)
      for (const m of snap.messages) if (m.seq > seen.current && !m.me) said.push(t(lang, 'sthread.announce', { who: senderText(lang, m) }));
    seen.current = Math.max(seen.current ?? 0, last);
    const now = snap.viewers.map((v) => `${v.user}:${v.state}`).sort().join(',');
    if (viewers.current !== null && now !== viewers.current) {
      const before = viewers.current;
      for (const v of snap.viewers) if (!before.includes(`${v.user}:${v.state}`)) said.push(viewerText(lang, v));
    }
    viewers.current = now;
    if (said.length > 0) setText(said.join(' '));
  }, [snap, lang]);
  return text;
}

function Identity({ lang, identity, watch }: { lang: Lang; identity: CitizenIdentity; watch: StaffThreadWatch }) {
  const [shown, setShown] = useState(false);
  return (
    <section class="identity" aria-labelledby="identity-h">
      <h2 id="identity-h">{t(lang, 'sthread.identity.title')}</h2>
      {!shown ? (
        <>
          <p class="hint" id="identity-hint">
            {t(lang, 'sthread.identity.logged')}
          </p>
          <button
            type="button"
            class="secondary"
            aria-describedby="identity-hint"
            onClick={() => {
              watch.showIdentity?.();
              setShown(true);
            }}
          >
            {t(lang, 'sthread.identity.show')}
          </button>
        </>
      ) : identity.kind === 'ok' ? (
        <dl class="facts" aria-live="polite">
          <div>
            <dt>{t(lang, 'sthread.identity.name')}</dt>
            <dd>{identity.name}</dd>
          </div>
          <div>
            <dt>{t(lang, 'sthread.identity.hetu')}</dt>
            <dd class="hetu">{identity.hetu}</dd>
          </div>
          <div>
            <dt>{t(lang, 'sthread.identity.verified')}</dt>
            <dd>{formatDateTime(identity.verifiedAt, lang)}</dd>
          </div>
        </dl>
      ) : (
        <p role="status" class={identity.kind === 'refused' ? 'warning' : undefined}>
          {t(lang, identity.kind === 'loading' ? 'sthread.identity.loading' : identity.kind === 'refused' ? 'sthread.identity.refused' : 'sthread.identity.unavailable')}
        </p>
      )}
    </section>
  );
}

function Presence({ lang, viewers }: { lang: Lang; viewers: Viewer[] }) {
  if (viewers.length === 0) return null;
  const writing = viewers.some((v) => v.state === 'writing');
  return (
    <div class={writing ? 'presence presence-writing' : 'presence'}>
      <p class="presence-h">
        <strong>{t(lang, writing ? 'sthread.presence.warn' : 'sthread.presence.others')}</strong>
      </p>
      <ul>
        {viewers.map((v) => (
          <li key={v.user}>{viewerText(lang, v)}</li>
        ))}
      </ul>
    </div>
  );
}

/** Return to the queue (or the supervisor's release): a reason, optional for the assignee and
 *  required for a supervisor releasing someone else's thread. */
function ReleaseForm(props: { lang: Lang; required: boolean; release(reason: string): Promise<void>; onCancel(): void }) {
  const { lang, required } = props;
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failed, setFailed] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const head = useRef<HTMLHeadingElement>(null);
  useEffect(() => head.current?.focus(), []);
  const submit = async () => {
    if (required && reason.trim() === '') {
      setErrors([{ field: 'release-reason', text: t(lang, 'sthread.release.error') }]);
      return;
    }
    setErrors([]);
    setBusy(true);
    try {
      await props.release(reason.trim());
    } catch (e) {
      setFailed(reassignErrorText(lang, e));
      setBusy(false);
    }
  };
  const bad = errors.length > 0;
  return (
    <section class="confirm" aria-labelledby="release-h">
      <h2 id="release-h" tabIndex={-1} ref={head}>
        {t(lang, 'sthread.release.title')}
      </h2>
      <p>{t(lang, 'sthread.release.text')}</p>
      <ErrorSummary lang={lang} errors={errors} />
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) void submit();
        }}
      >
        <div class={bad ? 'field field-bad' : 'field'}>
          <label class="label" for="release-reason">
            {t(lang, required ? 'sthread.release.reasonRequired' : 'sthread.release.reason')}
          </label>
          {bad && <InlineError lang={lang} id="release-error" text={errors[0].text} />}
          <textarea id="release-reason" class="short" rows={2} value={reason} aria-invalid={bad ? 'true' : undefined}
            aria-describedby={bad ? 'release-error' : undefined} onInput={(e) => setReason(e.currentTarget.value)} />
        </div>
        {failed && (
          <p class="error" role="alert">
            {failed}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t(lang, 'sthread.release.submit')}
          </button>
          <button type="button" class="secondary" onClick={props.onCancel}>
            {t(lang, 'staff.cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}

function CloseForm({ lang, close, onCancel }: { lang: Lang; close(): Promise<void>; onCancel(): void }) {
  const [failed, setFailed] = useState(false);
  const head = useRef<HTMLHeadingElement>(null);
  useEffect(() => head.current?.focus(), []);
  return (
    <section class="confirm" aria-labelledby="close-h">
      <h2 id="close-h" tabIndex={-1} ref={head}>
        {t(lang, 'sthread.close.title')}
      </h2>
      <p>{t(lang, 'sthread.close.text')}</p>
      {failed && (
        <p class="error" role="alert">
          {t(lang, 'sthread.close.failed')}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={() => close().catch(() => setFailed(true))}>
          {t(lang, 'sthread.close.yes')}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          {t(lang, 'staff.cancel')}
        </button>
      </div>
    </section>
  );
}

function Facts({ lang, snap }: { lang: Lang; snap: StaffThreadSnapshot }) {
  return (
    <dl class="facts thread-facts-staff">
      <div>
        <dt>{t(lang, 'queue.col.state')}</dt>
        <dd>{t(lang, STATE_TEXT[snap.state])}</dd>
      </div>
      <div>
        <dt>{t(lang, 'queue.col.assignee')}</dt>
        <dd>{snap.mine ? t(lang, 'queue.assignee.me') : snap.assignee === null ? t(lang, 'queue.assignee.none') : personText(snap.assigneeName, t(lang, 'queue.assignee.someone'))}</dd>
      </div>
      <div>
        <dt>{t(lang, 'queue.col.deadline')}</dt>
        <dd>
          <DeadlineText lang={lang} d={snap.deadline} full />
        </dd>
      </div>
      <div>
        <dt>{t(lang, 'sthread.created')}</dt>
        <dd>{formatDateTime(snap.created, lang)}</dd>
      </div>
      {snap.consent !== undefined && (
        <div>
          <dt>{t(lang, 'staff.consent.label')}</dt>
          <dd>
            {snap.consent === null
              ? t(lang, 'staff.consent.none')
              : snap.consent.withdrawn !== null
                ? t(lang, 'staff.consent.withdrawn', { when: formatDateTime(snap.consent.withdrawn, lang), given: formatDateTime(snap.consent.given, lang) })
                : t(lang, 'staff.consent.given', { when: formatDateTime(snap.consent.given, lang) })}
          </dd>
        </div>
      )}
      {snap.handedOver !== undefined && (
        <div>
          <dt>{t(lang, 'staff.consent.handedOver')}</dt>
          <dd>{t(lang, snap.handedOver ? 'staff.consent.yes' : 'staff.consent.no')}</dd>
        </div>
      )}
      {snap.retentionUntil !== undefined && (
        <div>
          <dt>{t(lang, 'staff.consent.retention')}</dt>
          <dd>{snap.retentionUntil === null ? t(lang, 'staff.consent.retentionNone') : formatDateTime(snap.retentionUntil, lang)}</dd>
        </div>
      )}
    </dl>
  );
}

type Panel = 'none' | 'release' | 'close' | 'reassign' | 'superRelease' | 'claimWarn' | 'correct';

export function StaffThreadPage(props: {
  lang: Lang;
  nav: StaffNavigate;
  session: StaffSession;
  threads: StaffThreadsController;
  canned: CannedController;
  supervise: SuperviseController | null;
  rights?: RightsController | null;
  thread: string;
}) {
  const { lang, nav, session, threads, canned, supervise, thread } = props;
  const rights = props.rights ?? null;
  const [watch, snap] = useWatch(threads, thread);
  const announce = useAnnouncer(lang, snap);
  const [panel, setPanel] = useState<Panel>('none');
  const [claiming, setClaiming] = useState(false);
  const [claimError, setClaimError] = useState<string | null>(null);
  const [done, setDone] = useState<Key | null>(null);
  const [doneFocus, setDoneFocus] = useState(0);
  const doneRef = useRef<HTMLParagraphElement>(null);
  const marked = useRef(0);

  useEffect(() => {
    if (doneFocus > 0) doneRef.current?.focus();
  }, [doneFocus]);

  useEffect(() => {
    if (snap === null || document.visibilityState === 'hidden') return;
    const last = snap.messages.reduce((n, m) => Math.max(n, m.seq), 0);
    if (last > marked.current) {
      marked.current = last;
      threads.markRead(thread, last);
    }
  }, [snap, threads, thread]);

  const back = (
    <p class="back">
      <StaffLink to="queue" nav={nav}>
        {t(lang, 'sthread.back')}
      </StaffLink>
    </p>
  );
  if (snap === null || watch === null)
    return (
      <>
        {back}
        <Heading>{t(lang, 'sthread.title')}</Heading>
        <p role="status">{t(lang, 'staff.loading')}</p>
      </>
    );
  if (snap.gone)
    return (
      <>
        <Heading>{t(lang, 'sthread.gone.title')}</Heading>
        {/* The caller's own move (a supervisor outside the new unit) says so, not "moved away from you". */}
        {done !== null ? <p class="success" role="status">{t(lang, done)}</p> : <p class="notice">{t(lang, 'sthread.gone.text')}</p>}
        <p>
          <StaffLink to="queue" nav={nav}>
            {t(lang, 'sthread.gone.link')}
          </StaffLink>
        </p>
      </>
    );

  const writers = snap.viewers.filter((v) => v.state === 'writing');
  const canSupervise = supervise !== null && session.units.some((u) => u.unit === snap.unit && u.role === 'supervisor');
  const restricted = snap.restricted === true;
  // Its content (messages, identity, notes) is read only for a legal claim (PROTOCOL.md §14.8).
  const frozen = restricted && !snap.legalClaim;
  // A restricted thread is frozen: no claim, answer, correction, close, release or move.
  const open = snap.state !== 'closed' && !restricted;
  const canClaim = open && !snap.mine && snap.assignee === null;
  const canCorrect = open && snap.mine && !snap.locked && threads.correct !== undefined && snap.messages.some((m) => m.from === 'staff');

  const claim = async (force: boolean) => {
    setClaimError(null);
    if (!force && writers.length > 0) {
      setPanel('claimWarn');
      return;
    }
    setPanel('none');
    setClaiming(true);
    try {
      await threads.claim(thread, force);
    } catch (e) {
      const code = errorCode(e) as ClaimError;
      if (code === 'others_writing') setPanel('claimWarn');
      else setClaimError(t(lang, CLAIM_ERROR[code] ?? 'sthread.claim.failed'));
    } finally {
      setClaiming(false);
    }
  };
  const finish = (what: Key) => {
    setPanel('none');
    setDone(what);
  };
  /** A rights decision saved: its confirmation where the focus goes (the panel may be gone). */
  const decided = (what: Key) => {
    setDone(what);
    setDoneFocus((n) => n + 1);
  };

  return (
    <>
      {back}
      <Heading>{snap.categoryName}</Heading>
      <p class="visually-hidden" aria-live="polite" aria-atomic="true" id="sthread-announcer">
        {announce}
      </p>
      {done && (
        <p class="success" role="status" id="sthread-done" tabIndex={-1} ref={doneRef}>
          {t(lang, done)}
        </p>
      )}
      <Facts lang={lang} snap={snap} />
      <Presence lang={lang} viewers={snap.viewers} />
      {snap.newIdentitySince !== null && <p class="notice">{t(lang, 'sthread.newIdentity', { when: formatDateTime(snap.newIdentitySince, lang) })}</p>}
      {restricted && <RestrictedBanner lang={lang} threads={threads} snap={snap} />}
      {snap.locked && !(restricted && !snap.legalClaim) && <p class="warning">{t(lang, 'sthread.locked')}</p>}
      <div class="thread-actions actions">
        {canClaim && (
          <button type="button" id="claim" disabled={claiming} onClick={() => void claim(false)}>
            {t(lang, 'sthread.claim.button')}
          </button>
        )}
        {snap.mine && open && (
          <>
            <button type="button" class="secondary" onClick={() => setPanel('close')}>
              {t(lang, 'sthread.close.button')}
            </button>
            <button type="button" class="secondary" onClick={() => setPanel('release')}>
              {t(lang, 'sthread.release.button')}
            </button>
          </>
        )}
        {canSupervise && open && (
          <>
            <button type="button" class="secondary" onClick={() => setPanel('reassign')}>
              {t(lang, 'super.reassign.button')}
            </button>
            {!snap.mine && snap.assignee !== null && (
              <button type="button" class="secondary" onClick={() => setPanel('superRelease')}>
                {t(lang, 'super.release.button')}
              </button>
            )}
          </>
        )}
        {canCorrect && (
          <button type="button" id="correct-open" class="secondary" onClick={() => setPanel('correct')}>
            {t(lang, 'staff.correct.button')}
          </button>
        )}
      </div>
      {claimError && (
        <p class="error" role="alert">
          {claimError}
        </p>
      )}
      {panel === 'claimWarn' && (
        <Modal id="claim-warn" title={t(lang, 'sthread.collision.claimH')} onCancel={() => setPanel('none')}>
          <p>{t(lang, 'sthread.collision.claim', { names: writers.map((w) => w.name?.name ?? t(lang, 'sthread.colleague')).join(', ') || t(lang, 'sthread.colleague') })}</p>
          <div class="actions">
            <button type="button" class="secondary" data-autofocus onClick={() => setPanel('none')}>
              {t(lang, 'sthread.collision.wait')}
            </button>
            <button type="button" onClick={() => void claim(true)}>
              {t(lang, 'sthread.collision.claimAnyway')}
            </button>
          </div>
        </Modal>
      )}
      {panel === 'correct' && <CorrectForm lang={lang} threads={threads} snap={snap} onDone={() => finish('staff.correct.done')} onCancel={() => setPanel('none')} />}
      {panel === 'close' && <CloseForm lang={lang} close={() => threads.close(thread).then(() => finish('sthread.close.done'))} onCancel={() => setPanel('none')} />}
      {panel === 'release' && (
        <ReleaseForm lang={lang} required={false} release={(r) => threads.release(thread, r || undefined).then(() => finish('sthread.release.done'))} onCancel={() => setPanel('none')} />
      )}
      {panel === 'superRelease' && supervise && (
        <ReleaseForm lang={lang} required release={(r) => supervise.release(thread, r).then(() => finish('sthread.release.done'))} onCancel={() => setPanel('none')} />
      )}
      {panel === 'reassign' && supervise && (
        <ReassignDialog lang={lang} supervise={supervise} thread={thread} unit={snap.unit} onDone={() => finish('super.reassign.done')} onCancel={() => setPanel('none')} />
      )}
      <div class="thread-layout">
        <div class="thread-main">
          {!frozen && <Identity lang={lang} identity={snap.identity} watch={watch} />}
          {!frozen && <MessageLog lang={lang} threads={threads} snap={snap} />}
          {snap.mine && open && !snap.locked && (
            <AnswerForm lang={lang} threads={threads} canned={canned} watch={watch} thread={thread} unit={snap.unit} writers={writers} />
          )}
          {!snap.mine && open && <p class="notice">{t(lang, canClaim ? 'sthread.claimFirst' : 'sthread.notYours')}</p>}
          {snap.state === 'closed' && <p class="notice">{t(lang, 'sthread.closed')}</p>}
          {canSupervise && rights !== null && !frozen && <ThreadRights lang={lang} rights={rights} snap={snap} onDecided={decided} />}
        </div>
        {/* A restricted thread's notes are read only for a legal claim. */}
        {!frozen && <NotesPanel lang={lang} threads={threads} thread={thread} notes={snap.notes} />}
      </div>
    </>
  );
}
