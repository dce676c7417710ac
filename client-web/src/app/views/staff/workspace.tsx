// workspace.tsx - a placeholder of the staff workspace (the queues, threads and the supervisor's
// tools come in their own views): what the staff shell renders once the keys are ready.
import type { Connection } from '../../net';
import type { CryptoSession } from '../../crypto-load';
import type { StaffSession } from '../../staff/contract';
import { t, type Lang } from '../../i18n';
import { Heading } from '../common';

export interface StaffWorkspaceProps {
  session: StaffSession;
  conn: Connection;
  crypto: CryptoSession;
  lang: Lang;
  onLock: () => void;
  onLogout: () => void;
  onChangePassword: () => void;
}

export function StaffWorkspace(p: StaffWorkspaceProps) {
  return (
    <>
      <Heading>{t(p.lang, 'staffLogin.service')}</Heading>
      <div class="actions">
        <button type="button" class="secondary" onClick={p.onLock}>
          {t(p.lang, 'lock.button')}
        </button>
        <button type="button" class="secondary" onClick={p.onChangePassword}>
          {t(p.lang, 'password.title')}
        </button>
        <button type="button" class="secondary" onClick={p.onLogout}>
          {t(p.lang, 'staffLogin.logout')}
        </button>
      </div>
    </>
  );
}
