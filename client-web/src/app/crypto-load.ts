// crypto-load.ts - the encryption module for the logged-in app: fetched only after login (it
// is most of the app's size), checked by its integrity hash (lazy.ts), libsodium started, and
// the pinned root key decoded.
import { ROOT_PUBKEY } from './config';
import { preloadChecked } from './lazy';

export type CryptoModule = typeof import('../crypto/index');

export interface CryptoSession {
  crypto: CryptoModule;
  /** The municipal root public key (Ed25519) every certificate must chain to. */
  rootKey: Uint8Array;
}

/** The 32 bytes of a base64url public key (build.mjs has checked its form). */
export function decodeRootKey(b64url: string): Uint8Array {
  const bin = atob(b64url.replace(/-/g, '+').replace(/_/g, '/'));
  if (bin.length !== 32) throw new Error('the pinned root key is not 32 bytes');
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

let loading: Promise<CryptoSession> | undefined;

/** The encryption module, loaded once; rejects when it fails its integrity check. */
export function loadCrypto(): Promise<CryptoSession> {
  loading ??= (async () => {
    const url = await preloadChecked('crypto');
    const crypto: CryptoModule = await import(/* the checked bundle, not bundled here */ url);
    await crypto.ready();
    return { crypto, rootKey: decodeRootKey(ROOT_PUBKEY) };
  })();
  return loading;
}
