// incoming.tsx - IncomingApprovals: on every logged-in page, a notice when a new device of the
// citizen asks for approval. The citizen asks for the code (this device challenges the request
// itself: only such a request is ever approved here), compares it with the new device's, and
// approves only when they match. The notices live in one polite live region.
import { useEffect, useState } from 'preact/hooks';
import type { ApprovalAnswer, KeyController } from '../../../citizen/contract';
import { t, type Key, type Lang } from '../../../i18n';
import { CompareCode, errorText } from './parts';

const REFUSED: Record<Extract<ApprovalAnswer, { kind: 'refused' }>['reason'], Key> = {
  commitment: 'approve.refused.commitment',
  mismatch: 'approve.refused.mismatch',
  expired: 'approve.refused.expired',
  declined: 'approve.refused.declined',
};

function Notice({ lang, keys, a, dismiss }: { lang: Lang; keys: KeyController; a: ApprovalAnswer; dismiss: () => void }) {
  const [failed, setFailed] = useState<string | null>(null);
  const act = (p: Promise<void>) => {
    setFailed(null);
    p.catch((e) => setFailed(errorText(lang, e)));
  };
  const titleId = `approve-${a.request}`;
  return (
    <section class="approval-notice" aria-labelledby={titleId}>
      <h2 id={titleId}>{t(lang, 'approve.title')}</h2>
      {a.kind === 'incoming' && (
        <>
          <p>{t(lang, 'approve.incoming')}</p>
          <div class="button-row">
            <button type="button" class="btn" onClick={() => act(keys.challenge(a.request))}>
              {t(lang, 'approve.showCode')}
            </button>
            <button type="button" class="btn btn-secondary" onClick={() => keys.decline(a.request)}>
              {t(lang, 'approve.notMe')}
            </button>
          </div>
        </>
      )}
      {a.kind === 'waiting' && <p>{t(lang, 'approve.waiting')}</p>}
      {a.kind === 'compare' && (
        <>
          <p>{t(lang, 'approve.compare')}</p>
          <CompareCode code={a.code} />
          <div class="button-row">
            <button type="button" class="btn" onClick={() => act(keys.approve(a.request))}>
              {t(lang, 'approve.match')}
            </button>
            <button type="button" class="btn btn-warning" onClick={() => keys.decline(a.request)}>
              {t(lang, 'approve.differ')}
            </button>
          </div>
        </>
      )}
      {a.kind === 'done' && <p>{t(lang, 'approve.done')}</p>}
      {a.kind === 'refused' && <p>{t(lang, REFUSED[a.reason])}</p>}
      {(a.kind === 'done' || a.kind === 'refused') && (
        <button type="button" class="btn btn-secondary" onClick={dismiss}>
          {t(lang, 'approve.dismiss')}
        </button>
      )}
      {failed !== null && <p class="error">{failed}</p>}
    </section>
  );
}

export function IncomingApprovals({ lang, keys }: { lang: Lang; keys: KeyController }) {
  const [list, setList] = useState<ApprovalAnswer[]>([]);
  // Finished requests the citizen has read and closed on this page.
  const [closed, setClosed] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => keys.watchApprovals(setList), [keys]);
  return (
    <div class="approvals" aria-live="polite">
      {list
        .filter((a) => !closed.has(a.request))
        .map((a) => (
          <Notice key={a.request} lang={lang} keys={keys} a={a} dismiss={() => setClosed((c) => new Set([...c, a.request]))} />
        ))}
    </div>
  );
}
