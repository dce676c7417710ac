// index.ts - what the views use of the connection manager (src/app/net).
export { Connection, RequestError } from './connection';
export type { ConnectionOptions, ConnectionState, FailedWrite, ListHandle, OfflineCause, OutboxNotice, ReconnectCause, ThreadHandle } from './connection';
export { attachBrowserOutbox, browserConnection } from './browser';
export type { SessionInfo, SessionWarning } from './session-clock';
export type { ListFilters, Message, Summary } from './sync';
