// config.ts - what the build fixes in the app (build.mjs defines these): the municipal root
// public key the app trusts (43 characters of base64url, 32 bytes), pinned at build time so
// that the server cannot hand the app another one.
declare const __ADVICE_ROOT_PUBKEY__: string;

export const ROOT_PUBKEY: string = __ADVICE_ROOT_PUBKEY__;
