// devices.tsx - DevicesPage: the citizen's devices (this one marked), when each was added and
// last used (Helsinki time, in the user's language), a device whose certificate does not check
// out said in words, and removal with a confirmation (this device's own keys are then deleted
// from this browser).
import { useEffect, useState } from 'preact/hooks';
import type { DeviceInfo, KeyController } from '../../../citizen/contract';
import { Heading } from '../../common';
import { t, type Lang } from '../../../i18n';
import { Busy, errorText } from './parts';

const LOCALES: Record<Lang, string> = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };

/** A moment as date and time in Helsinki, in the user's language. */
export function formatDateTime(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALES[lang], {
    timeZone: 'Europe/Helsinki', day: 'numeric', month: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit',
  }).format(new Date(ms));
}

function DeviceItem({ lang, d, onRemove }: { lang: Lang; d: DeviceInfo; onRemove: (d: DeviceInfo) => Promise<void> }) {
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const added = formatDateTime(d.created, lang);
  const titleId = `device-${d.kid}`;
  const remove = () => {
    setBusy(true);
    setFailed(null);
    onRemove(d).catch((e) => {
      setBusy(false);
      setFailed(errorText(lang, e));
    });
  };
  return (
    <li class="device">
      <h2 id={titleId}>
        {d.current ? t(lang, 'devices.thisDevice') : t(lang, 'devices.otherDevice')}
      </h2>
      <dl>
        <dt>{t(lang, 'devices.added')}</dt>
        <dd>{added}</dd>
        <dt>{t(lang, 'devices.lastUsed')}</dt>
        <dd>{d.lastUsed !== null ? formatDateTime(d.lastUsed, lang) : t(lang, 'devices.never')}</dd>
      </dl>
      {!d.verified && <p class="warning">{t(lang, 'devices.unverified')}</p>}
      {!confirm ? (
        <button type="button" class="btn btn-secondary" onClick={() => setConfirm(true)}>
          {t(lang, 'devices.remove')}
          <span class="visually-hidden"> {t(lang, 'devices.removeName', { date: added })}</span>
        </button>
      ) : (
        <div class="confirm" role="group" aria-label={t(lang, 'devices.confirmLabel')}>
          <p>{t(lang, d.current ? 'devices.confirmThis' : 'devices.confirmOther')}</p>
          <div class="button-row">
            <button type="button" class="btn btn-warning" disabled={busy} onClick={remove} ref={(b) => b?.focus()}>
              {t(lang, 'devices.confirmYes')}
            </button>
            <button type="button" class="btn btn-secondary" disabled={busy} onClick={() => setConfirm(false)}>
              {t(lang, 'devices.confirmNo')}
            </button>
          </div>
        </div>
      )}
      {failed !== null && <p class="error">{failed}</p>}
    </li>
  );
}

export function DevicesPage({ lang, keys }: { lang: Lang; keys: KeyController }) {
  const [devices, setDevices] = useState<DeviceInfo[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [done, setDone] = useState('');
  const load = () => {
    setFailed(null);
    keys.devices().then(setDevices, (e) => setFailed(errorText(lang, e)));
  };
  useEffect(load, [keys]);
  const remove = async (d: DeviceInfo) => {
    await keys.removeDevice(d.kid);
    setDone(t(lang, 'devices.removed'));
    if (!d.current) load();
    document.querySelector<HTMLElement>('main h1')?.focus();
  };
  return (
    <div class="keys-step">
      <Heading>{t(lang, 'devices.title')}</Heading>
      <p>{t(lang, 'devices.intro')}</p>
      <p role="status">{done}</p>
      {failed !== null && (
        <div class="error" role="alert">
          <p>{failed}</p>
          <button type="button" class="btn btn-secondary" onClick={load}>
            {t(lang, 'devices.retry')}
          </button>
        </div>
      )}
      {devices === null && failed === null && <Busy lang={lang} />}
      {devices !== null && (
        <ul class="device-list">
          {devices.map((d) => (
            <DeviceItem key={d.kid} lang={lang} d={d} onRemove={remove} />
          ))}
        </ul>
      )}
    </div>
  );
}
