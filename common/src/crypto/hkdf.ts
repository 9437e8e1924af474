// HMAC-SHA256 and HKDF-SHA256 (RFC 5869). libsodium has HMAC-SHA256 (sumo build only) but
// no HKDF in the JS wrappers, so HKDF is built here on HMAC and pinned by the RFC's
// appendix A test vectors (hkdf.test.ts).
import { sodium } from '../sodium.ts';
import { concatBytes } from './bytes.ts';
import { CryptoError } from './errors.ts';

export const HASH_LEN = 32;
const ZERO_SALT = new Uint8Array(HASH_LEN);

/**
 * One-shot HMAC-SHA256 with a 32-byte key: every key in Parley's KDF chains is 32 bytes,
 * so any other length is a bug upstream and is rejected rather than silently hashed.
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== HASH_LEN) throw new CryptoError('bad_key', `HMAC-SHA256 one-shot needs a 32-byte key, got ${key.length}`);
  return sodium().crypto_auth_hmacsha256(data, key);
}

/** Incremental HMAC-SHA256 (RFC 2104): any key length, as HKDF-Extract's salt needs. */
export class HmacSha256 {
  private state: unknown;
  private done = false;
  constructor(key: Uint8Array) {
    this.state = sodium().crypto_auth_hmacsha256_init(key);
  }
  update(data: Uint8Array): this {
    if (this.done) throw new CryptoError('bad_state', 'HMAC already finalised');
    sodium().crypto_auth_hmacsha256_update(this.state as never, data);
    return this;
  }
  final(): Uint8Array {
    if (this.done) throw new CryptoError('bad_state', 'HMAC already finalised');
    this.done = true;
    return sodium().crypto_auth_hmacsha256_final(this.state as never);
  }
}

/** HKDF-Extract, incremental over the input keying material: init(salt) / update(ikm) / final() = PRK. */
export class HkdfExtract {
  private readonly mac: HmacSha256;
  constructor(salt?: Uint8Array) {
    // RFC 5869 §2.2: an absent salt is HashLen zero bytes (an empty salt hashes the same).
    this.mac = new HmacSha256(salt && salt.length > 0 ? salt : ZERO_SALT);
  }
  update(ikm: Uint8Array): this {
    this.mac.update(ikm);
    return this;
  }
  final(): Uint8Array {
    return this.mac.final();
  }
}

export const hkdfExtract = (salt: Uint8Array | undefined, ikm: Uint8Array): Uint8Array => new HkdfExtract(salt).update(ikm).final();

/** HKDF-Expand. The PRK must be exactly HashLen (32) bytes: it is always an Extract output or a chain key. */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (prk.length !== HASH_LEN) throw new CryptoError('bad_key', `HKDF-Expand needs a 32-byte PRK, got ${prk.length}`);
  if (!Number.isInteger(length) || length < 0 || length > 255 * HASH_LEN) {
    throw new CryptoError('malformed', 'HKDF output length must be 0..8160 bytes');
  }
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, o = 0; o < length; i++) {
    t = hmacSha256(prk, concatBytes(t, info, Uint8Array.of(i)));
    out.set(t.subarray(0, Math.min(HASH_LEN, length - o)), o);
    o += HASH_LEN;
  }
  return out;
}

/** HKDF (extract then expand) over arbitrary-length IKM and salt. */
export const hkdf = (ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array =>
  hkdfExpand(hkdfExtract(salt, ikm), info, length);
