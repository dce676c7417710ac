// outbox-cipher.ts - the outbox's encryption (proto/CRYPTO-FORMATS.md "Outbox"), after the
// pattern of the drafts: XChaCha20-Poly1305 under kdf(32, 1, "QAoutbox", s), s the seed of the
// user's personal keys on this device, bound to the user and the request id:
//
//   record = nonce (24 random bytes)
//            || XChaCha20-Poly1305(outbox key, nonce,
//                                  AD = "QA-v1-outbox" || user id (16) || request id (ASCII),
//                                  sodium_pad(entry (JSON, UTF-8), 256))
//
// The functions come from the encryption module (loaded after login), passed in, so that this
// file adds no libsodium to the page before login.
import type { RecordCipher } from './outbox';

/** The part of libsodium (the encryption module's `sodium`) that the outbox uses. */
export interface OutboxSodium {
  crypto_kdf_derive_from_key(n: number, id: number, ctx: string, key: Uint8Array): Uint8Array;
  crypto_aead_xchacha20poly1305_ietf_encrypt(m: Uint8Array, ad: Uint8Array | null, nsec: null, nonce: Uint8Array,
    key: Uint8Array): Uint8Array;
  crypto_aead_xchacha20poly1305_ietf_decrypt(nsec: null, c: Uint8Array, ad: Uint8Array | null, nonce: Uint8Array,
    key: Uint8Array): Uint8Array;
  randombytes_buf(n: number): Uint8Array;
  pad(b: Uint8Array, blocksize: number): Uint8Array;
  unpad(b: Uint8Array, blocksize: number): Uint8Array;
}

const NONCE = 24;
const PAD_BLOCK = 256;
const AD_LABEL = 'QA-v1-outbox';

function hexToBytes(hex: string): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error('the user id must be 32 lowercase hex digits');
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0x7f);
}

/** The outbox cipher of user `userId` (hex) on the device whose personal seed is `seed`. */
export function outboxCipher(sodium: OutboxSodium, seed: Uint8Array, userId: string): RecordCipher {
  if (seed.length !== 32) throw new Error('the seed must be 32 bytes');
  const key = sodium.crypto_kdf_derive_from_key(32, 1, 'QAoutbox', seed);
  const user = hexToBytes(userId);
  const ad = (requestId: string): Uint8Array => {
    const label = ascii(AD_LABEL), id = ascii(requestId);
    const out = new Uint8Array(label.length + user.length + id.length);
    out.set(label, 0);
    out.set(user, label.length);
    out.set(id, label.length + user.length);
    return out;
  };
  return {
    seal(plain, requestId) {
      const nonce = sodium.randombytes_buf(NONCE);
      const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(sodium.pad(plain, PAD_BLOCK), ad(requestId), null, nonce, key);
      const out = new Uint8Array(NONCE + ct.length);
      out.set(nonce, 0);
      out.set(ct, NONCE);
      return out;
    },
    open(data, requestId) {
      if (data.length < NONCE + 16) return null;
      try {
        const padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, data.subarray(NONCE), ad(requestId), data.subarray(0, NONCE), key);
        return sodium.unpad(padded, PAD_BLOCK);
      } catch {
        return null;
      }
    },
  };
}
