// ask.tsx - the new device asks one of the citizen's other devices for approval: it waits for
// the other device, shows the comparison code in large digits with what to do, and can be
// cancelled; an expired or failed request can be tried again.
import { useEffect, useState } from 'preact/hooks';
import type { ApprovalAsk, KeyController } from '../../../citizen/contract';
import { Heading } from '../../common';
import { t, type Lang } from '../../../i18n';
import { Busy, CompareCode, useFocusOnStep } from './parts';

export function AskApproval({ lang, keys, onBack }: { lang: Lang; keys: KeyController; onBack: () => void }) {
  const [attempt, setAttempt] = useState(0);
  const [s, setS] = useState<ApprovalAsk | null>(null);
  const ref = useFocusOnStep(s?.kind ?? 'start');
  useEffect(() => {
    setS(null);
    const h = keys.askApproval(setS);
    return () => h.cancel();
  }, [keys, attempt]);

  const back = (
    <button type="button" class="btn btn-secondary" onClick={onBack}>
      {t(lang, 'approve.ask.cancel')}
    </button>
  );
  if (s === null || s.kind === 'waiting') {
    return (
      <div ref={ref} class="keys-step">
        <Heading>{t(lang, 'approve.ask.title')}</Heading>
        {s === null ? <Busy lang={lang} /> : null}
        <ol class="steps">
          <li>{t(lang, 'approve.ask.step1')}</li>
          <li>{t(lang, 'approve.ask.step2')}</li>
          <li>{t(lang, 'approve.ask.step3')}</li>
        </ol>
        <p role="status">{s !== null ? t(lang, 'approve.ask.waiting') : ''}</p>
        {back}
      </div>
    );
  }
  if (s.kind === 'compare') {
    return (
      <div ref={ref} class="keys-step">
        <Heading>{t(lang, 'approve.ask.compareTitle')}</Heading>
        <p>{t(lang, 'approve.ask.compareIntro')}</p>
        <CompareCode code={s.code} />
        <p>{t(lang, 'approve.ask.compareSame')}</p>
        <p>{t(lang, 'approve.ask.compareDiffer')}</p>
        {back}
      </div>
    );
  }
  if (s.kind === 'done') {
    return (
      <div ref={ref} class="keys-step">
        <Heading>{t(lang, 'approve.ask.doneTitle')}</Heading>
        <p role="status">{t(lang, 'approve.ask.done')}</p>
      </div>
    );
  }
  return (
    <div ref={ref} class="keys-step">
      <Heading>{t(lang, s.kind === 'expired' ? 'approve.ask.expiredTitle' : 'approve.ask.failedTitle')}</Heading>
      <p>{t(lang, s.kind === 'expired' ? 'approve.ask.expired' : 'approve.ask.failed')}</p>
      <div class="button-row">
        <button type="button" class="btn" onClick={() => setAttempt((n) => n + 1)}>
          {t(lang, 'approve.ask.again')}
        </button>
        <button type="button" class="btn btn-secondary" onClick={onBack}>
          {t(lang, 'keys.back')}
        </button>
      </div>
    </div>
  );
}
