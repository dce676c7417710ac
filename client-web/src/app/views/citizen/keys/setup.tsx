// setup.tsx - KeySetup: what the logged-in shell shows while this device's keys are not ready.
// The first login makes the keys and shows the recovery code once; a new device offers the
// three ways on, each explained (approve from another device, the recovery code, a start
// without the old messages, confirmed first); a removed device and a failed check are explained
// with a way to set up again.
import { useState } from 'preact/hooks';
import type { KeyController, KeyState } from '../../../citizen/contract';
import { Heading } from '../../common';
import { t, type Lang } from '../../../i18n';
import { AskApproval } from './ask';
import { RecoveryCodeScreen } from './code';
import { RecoverForm } from './recover';
import { Busy, errorText, useFocusOnStep } from './parts';

function restart(keys: KeyController): void {
  keys.restart?.();
}

/** Makes the keys (createIdentity or startNewIdentity) and then shows the code once. */
function MakeKeys({ lang, keys, make, intro }: {
  lang: Lang; keys: KeyController; make: () => Promise<{ recoveryCode: string }>; intro: (go: () => void) => preact.JSX.Element;
}) {
  const [code, setCode] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const go = () => {
    setBusy(true);
    setFailed(null);
    make().then(
      (r) => setCode(r.recoveryCode),
      (e) => {
        setBusy(false);
        setFailed(errorText(lang, e));
      },
    );
  };
  if (code !== null) {
    return <RecoveryCodeScreen lang={lang} code={code} onDone={() => keys.finishSetup?.() ?? Promise.resolve()} />;
  }
  return (
    <>
      {intro(go)}
      {busy && <Busy lang={lang}>{t(lang, 'keys.making')}</Busy>}
      {failed !== null && (
        <p class="error" role="alert">
          {failed}
        </p>
      )}
    </>
  );
}

function FirstLogin({ lang, keys }: { lang: Lang; keys: KeyController }) {
  const ref = useFocusOnStep('first');
  return (
    <div ref={ref} class="keys-step">
      <MakeKeys
        lang={lang}
        keys={keys}
        make={() => keys.createIdentity()}
        intro={(go) => (
          <>
            <Heading>{t(lang, 'keys.first.title')}</Heading>
            <p>{t(lang, 'keys.first.intro')}</p>
            <p>{t(lang, 'keys.first.code')}</p>
            <button type="button" class="btn" onClick={go}>
              {t(lang, 'keys.first.start')}
            </button>
          </>
        )}
      />
    </div>
  );
}

type Choice = 'menu' | 'approve' | 'recover' | 'fresh';

function NewDevice({ lang, keys, hasRecovery }: { lang: Lang; keys: KeyController; hasRecovery: boolean }) {
  const [choice, setChoice] = useState<Choice>('menu');
  const ref = useFocusOnStep(choice);
  const back = () => setChoice('menu');
  if (choice === 'approve') return <AskApproval lang={lang} keys={keys} onBack={back} />;
  if (choice === 'recover') return <RecoverForm lang={lang} keys={keys} onBack={back} />;
  if (choice === 'fresh') {
    return (
      <div ref={ref} class="keys-step">
        <MakeKeys
          lang={lang}
          keys={keys}
          make={() => keys.startNewIdentity()}
          intro={(go) => (
            <>
              <Heading>{t(lang, 'keys.fresh.title')}</Heading>
              <p class="warning">
                <strong>{t(lang, 'keys.code.warningLabel')}</strong> {t(lang, 'keys.fresh.warning')}
              </p>
              <p>{t(lang, 'keys.fresh.better')}</p>
              <div class="button-row">
                <button type="button" class="btn btn-warning" onClick={go}>
                  {t(lang, 'keys.fresh.confirm')}
                </button>
                <button type="button" class="btn btn-secondary" onClick={back}>
                  {t(lang, 'keys.back')}
                </button>
              </div>
            </>
          )}
        />
      </div>
    );
  }
  return (
    <div ref={ref} class="keys-step">
      <Heading>{t(lang, 'keys.new.title')}</Heading>
      <p>{t(lang, 'keys.new.intro')}</p>
      <ul class="choices">
        <li class="choice">
          <h2>{t(lang, 'keys.new.approveTitle')}</h2>
          <p>{t(lang, 'keys.new.approveText')}</p>
          <button type="button" class="btn" onClick={() => setChoice('approve')}>
            {t(lang, 'keys.new.approveButton')}
          </button>
        </li>
        <li class="choice">
          <h2>{t(lang, 'keys.new.recoverTitle')}</h2>
          <p>{t(lang, 'keys.new.recoverText')}</p>
          {hasRecovery ? (
            <button type="button" class="btn" onClick={() => setChoice('recover')}>
              {t(lang, 'keys.new.recoverButton')}
            </button>
          ) : (
            <p class="note">{t(lang, 'keys.new.noRecovery')}</p>
          )}
        </li>
        <li class="choice">
          <h2>{t(lang, 'keys.new.freshTitle')}</h2>
          <p>{t(lang, 'keys.new.freshText')}</p>
          <button type="button" class="btn btn-secondary" onClick={() => setChoice('fresh')}>
            {t(lang, 'keys.new.freshButton')}
          </button>
        </li>
      </ul>
    </div>
  );
}

function Notice({ lang, keys, title, text, button }: {
  lang: Lang; keys: KeyController; title: Parameters<typeof t>[1]; text: Parameters<typeof t>[1]; button: Parameters<typeof t>[1];
}) {
  const ref = useFocusOnStep(title);
  return (
    <div ref={ref} class="keys-step">
      <Heading>{t(lang, title)}</Heading>
      <p>{t(lang, text)}</p>
      <button type="button" class="btn" onClick={() => restart(keys)}>
        {t(lang, button)}
      </button>
    </div>
  );
}

/** The key setup for the state the controller is in (all but 'ready'). */
export function KeySetup({ lang, keys, state }: { lang: Lang; keys: KeyController; state: KeyState }) {
  switch (state.kind) {
    case 'first-login':
      return <FirstLogin lang={lang} keys={keys} />;
    case 'new-device':
      return <NewDevice lang={lang} keys={keys} hasRecovery={state.hasRecovery} />;
    case 'removed':
      return <Notice lang={lang} keys={keys} title="keys.removed.title" text="keys.removed.text" button="keys.removed.again" />;
    case 'failed':
      return <Notice lang={lang} keys={keys} title="keys.failed.title" text="keys.failed.text" button="keys.failed.again" />;
    default:
      return (
        <div class="keys-step">
          <Heading>{t(lang, 'keys.loading.title')}</Heading>
          <Busy lang={lang} />
        </div>
      );
  }
}
