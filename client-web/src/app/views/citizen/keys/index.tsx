// index.tsx - the citizen's key views, as the logged-in shell uses them: the key setup shown
// until this device's keys are ready, the notice of a new device asking for approval, and the
// device list.
export { KeySetup } from './setup';
export { IncomingApprovals } from './incoming';
export { DevicesPage } from './devices';
