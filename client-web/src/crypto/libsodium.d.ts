// libsodium.d.ts - the part of libsodium-wrappers-sumo's API that src/crypto uses (the
// package ships no type declarations).
declare module 'libsodium-wrappers-sumo' {
  interface KeyPair {
    publicKey: Uint8Array;
    privateKey: Uint8Array;
    keyType: string;
  }
  interface Sodium {
    ready: Promise<void>;
    crypto_pwhash_ALG_ARGON2ID13: number;
    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE: number;
    crypto_secretstream_xchacha20poly1305_TAG_FINAL: number;
    sodium_version_string(): string;
    randombytes_buf(n: number): Uint8Array;
    memzero(b: Uint8Array): void;
    memcmp(a: Uint8Array, b: Uint8Array): boolean;
    to_hex(b: Uint8Array): string;
    from_hex(s: string): Uint8Array;
    base64_variants: { ORIGINAL: number; ORIGINAL_NO_PADDING: number; URLSAFE: number; URLSAFE_NO_PADDING: number };
    to_base64(b: Uint8Array, variant?: number): string;
    from_base64(s: string, variant?: number): Uint8Array;
    from_string(s: string): Uint8Array;
    to_string(b: Uint8Array): string;
    pad(b: Uint8Array, blocksize: number): Uint8Array;
    unpad(b: Uint8Array, blocksize: number): Uint8Array;
    crypto_generichash(n: number, m: Uint8Array, key?: Uint8Array | null): Uint8Array;
    crypto_generichash_init(key: Uint8Array | null, n: number): unknown;
    crypto_generichash_update(st: unknown, m: Uint8Array): void;
    crypto_generichash_final(st: unknown, n: number): Uint8Array;
    crypto_kdf_derive_from_key(n: number, id: number | bigint, ctx: string, key: Uint8Array): Uint8Array;
    /** BLAKE2b of the empty message with key, salt (16 bytes) and personalisation (16 bytes). */
    crypto_generichash_blake2b_salt_personal(
      n: number, key: Uint8Array | null, salt: Uint8Array | null, personal: Uint8Array | null): Uint8Array;
    crypto_box_seed_keypair(seed: Uint8Array): KeyPair;
    crypto_sign_seed_keypair(seed: Uint8Array): KeyPair;
    crypto_box_easy(m: Uint8Array, nonce: Uint8Array, pk: Uint8Array, sk: Uint8Array): Uint8Array;
    crypto_box_seal_open(c: Uint8Array, pk: Uint8Array, sk: Uint8Array): Uint8Array;
    crypto_scalarmult(sk: Uint8Array, pk: Uint8Array): Uint8Array;
    crypto_sign_detached(m: Uint8Array, sk: Uint8Array): Uint8Array;
    crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
      m: Uint8Array, ad: Uint8Array | null, nsec: null, nonce: Uint8Array, key: Uint8Array): Uint8Array;
    crypto_aead_xchacha20poly1305_ietf_decrypt(
      nsec: null, c: Uint8Array, ad: Uint8Array | null, nonce: Uint8Array, key: Uint8Array): Uint8Array;
    crypto_pwhash(n: number, pw: Uint8Array | string, salt: Uint8Array, ops: number, mem: number, alg: number): Uint8Array;
    crypto_secretstream_xchacha20poly1305_init_pull(header: Uint8Array, key: Uint8Array): unknown;
    crypto_secretstream_xchacha20poly1305_push(st: unknown, m: Uint8Array, ad: Uint8Array | null, tag: number): Uint8Array;
    crypto_secretstream_xchacha20poly1305_pull(
      st: unknown, c: Uint8Array, ad: Uint8Array | null): { message: Uint8Array; tag: number } | false;
  }
  const sodium: Sodium;
  export default sodium;
}
