// index.ts - the end-to-end encryption module of client-web: the constructions of the
// project's CRYPTO design, byte-identical to libadvice (C). Byte layouts:
// proto/CRYPTO-FORMATS.md; known-answer vectors: proto/vectors/.
export * from './core';
export * from './keys';
export * from './message';
export * from './file';
export * from './media';
export * from './thread';
export * from './rekey';
export * from './login';
export * from './citizen';
export * from './keyreq';
export * from './unittext';
export * from './identitybox';
export * from './consent';
