// X25519 and Ed25519 key pairs, with the public-key checks every received key goes through.
// X25519 here rejects the low-order points (RFC 7748 §6.1: "check ... is not the all-zero
// value") before the multiplication, as well as an all-zero shared secret after it, so a
// peer cannot force a known shared secret into a KDF.
import { sodium } from '../sodium.ts';
import { randomBytes, equalBytes, b64, unb64 } from './bytes.ts';
import { CryptoError } from './errors.ts';

export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** JSON-safe key pair as stored in state objects (base64url). */
export interface StoredKeyPair {
  pub: string;
  priv: string;
}

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));

// The curve25519 points of order 1, 2, 4 and 8, plus p-1, p, p+1, as libsodium lists them.
// X25519 ignores the top bit, so the check masks it before comparing.
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map(hex);

/** True when `key` is a usable X25519 public key: 32 bytes and not of small order. */
export function isValidX25519PublicKey(key: Uint8Array): boolean {
  if (key.length !== 32) return false;
  const masked = key.slice();
  masked[31] &= 0x7f;
  return !LOW_ORDER.some((p) => equalBytes(p, masked));
}

export function checkX25519PublicKey(key: Uint8Array, what = 'X25519 public key'): Uint8Array {
  if (!isValidX25519PublicKey(key)) throw new CryptoError('bad_key', `${what} is malformed or of low order`);
  return key;
}

export function generateX25519(): KeyPair {
  const privateKey = randomBytes(32);
  return { publicKey: sodium().crypto_scalarmult_base(privateKey), privateKey };
}

export function x25519PublicFromPrivate(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== 32) throw new CryptoError('bad_key', 'X25519 private key must be 32 bytes');
  return sodium().crypto_scalarmult_base(privateKey);
}

/** X25519(privateKey, publicKey) with low-order input and all-zero output rejected. */
export function x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  checkX25519PublicKey(publicKey);
  if (privateKey.length !== 32) throw new CryptoError('bad_key', 'X25519 private key must be 32 bytes');
  let out: Uint8Array;
  try {
    out = sodium().crypto_scalarmult(privateKey, publicKey);
  } catch {
    throw new CryptoError('bad_key', 'X25519 produced the all-zero shared secret');
  }
  if (equalBytes(out, new Uint8Array(32))) throw new CryptoError('bad_key', 'X25519 produced the all-zero shared secret');
  return out;
}

export function generateEd25519(): KeyPair {
  const kp = sodium().crypto_sign_seed_keypair(randomBytes(32));
  return { publicKey: kp.publicKey, privateKey: kp.privateKey };
}

export const signEd25519 = (privateKey: Uint8Array, message: Uint8Array): Uint8Array =>
  sodium().crypto_sign_detached(message, privateKey);

/** Never throws: malformed keys or signatures (and small-order keys, which libsodium refuses) just fail. */
export function verifyEd25519Bytes(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return sodium().crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

export const storeKeyPair = (kp: KeyPair): StoredKeyPair => ({ pub: b64(kp.publicKey), priv: b64(kp.privateKey) });
export const loadKeyPair = (s: StoredKeyPair, privLen = 32): KeyPair => ({
  publicKey: unb64(s.pub, 32, 'bad_state'),
  privateKey: unb64(s.priv, privLen, 'bad_state'),
});
