// index.tsx - PLACEHOLDER on the views branch only, so that the shell compiles: the keys part
// builds the real key views (this file is replaced by its version at merge). The preview
// harness (test/preview/) renders these stand-ins in place of the real ones.
import type { KeyController, KeyState } from '../../../citizen/contract';
import type { Lang } from '../../../i18n';

export function KeySetup(_props: { lang: Lang; keys: KeyController; state: KeyState }) {
  return (
    <section class="placeholder" aria-labelledby="keysetup-h">
      <h1 id="keysetup-h" tabIndex={-1}>
        Key setup (placeholder)
      </h1>
    </section>
  );
}

export function IncomingApprovals(_props: { lang: Lang; keys: KeyController }) {
  return null;
}

export function DevicesPage(_props: { lang: Lang; keys: KeyController }) {
  return (
    <h1 tabIndex={-1} lang="en">
      Devices (placeholder)
    </h1>
  );
}
