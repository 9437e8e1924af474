// Safety numbers: 60 digits that two users compare to verify each other's account keys.
// The algorithm is libsignal's NumericFingerprintGenerator (displayable part), unchanged:
//   h = 0x0000 || key || stable id; repeat 5200 times: h = SHA-512(h || key)
//   30 digits = six 5-digit groups, each (big-endian 40-bit integer of h[5i..5i+5]) mod 100000
//   safety number = the two 30-digit halves, smaller first (so both sides see the same)
// Parley feeds it the raw 32-byte Ed25519 account key and the user id (UTF-8) as the stable
// id; libsignal feeds a 33-byte 0x05-prefixed Curve25519 key and a phone number / ACI, so
// the numbers differ while the algorithm is checked against libsignal's published vector.
import { utf8 } from '../encoding.ts';
import { sodium } from '../sodium.ts';
import { concatBytes, record, unb64 } from './bytes.ts';
import { CryptoError } from './errors.ts';

export const FINGERPRINT_ITERATIONS = 5200;

export function fingerprintHalf(key: Uint8Array, stableId: Uint8Array, iterations = FINGERPRINT_ITERATIONS): string {
  const s = sodium();
  let h = s.crypto_hash_sha512(concatBytes(Uint8Array.of(0, 0), key, stableId, key));
  const buf = new Uint8Array(64 + key.length);
  buf.set(key, 64);
  for (let i = 1; i < iterations; i++) {
    buf.set(h, 0);
    h = s.crypto_hash_sha512(buf);
  }
  let out = '';
  for (let i = 0; i < 30; i += 5) {
    const v = h[i] * 2 ** 32 + ((h[i + 1] << 24) >>> 0) + (h[i + 2] << 16) + (h[i + 3] << 8) + h[i + 4];
    out += String(v % 100000).padStart(5, '0');
  }
  return out;
}

export interface AccountIdentity {
  userId: string;
  /** base64url Ed25519 account key. */
  accountKey: string;
}

function half(input: AccountIdentity): string {
  const a = record(input, 'account identity');
  if (typeof a.userId !== 'string') throw new CryptoError('malformed', 'user id must be a string');
  return fingerprintHalf(unb64(a.accountKey, 32, 'bad_key'), utf8(a.userId));
}

/** The 60-digit safety number of two accounts; the same whichever side computes it. */
export function safetyNumber(local: AccountIdentity, remote: AccountIdentity): string {
  const a = half(local);
  const b = half(remote);
  return a <= b ? a + b : b + a;
}

/** "12345 67890 ..." in twelve groups, as shown to people. */
export const formatSafetyNumber = (digits: string): string => digits.match(/.{5}/g)!.join(' ');

/** What a client remembers about a contact's account key (trust on first use). JSON-safe. */
export interface IdentityPin {
  v: 1;
  userId: string;
  accountKey: string;
  verified: boolean;
}

/**
 * Compares a contact's presented account key with the pinned one. A user id is a hash of
 * its account key, so a different key under the same id means a forged or colliding
 * identity; a `changed` result must be shown to the user and clears `verified`.
 */
export function checkIdentity(
  pin: IdentityPin | undefined,
  presented: AccountIdentity,
): { status: 'new' | 'unchanged' | 'changed'; pin: IdentityPin } {
  const p = record(presented, 'account identity');
  unb64(p.accountKey, 32, 'bad_key');
  if (typeof p.userId !== 'string') throw new CryptoError('malformed', 'user id must be a string');
  if (!pin) return { status: 'new', pin: { v: 1, userId: presented.userId, accountKey: presented.accountKey, verified: false } };
  if (pin.userId !== presented.userId) throw new CryptoError('wrong_user', 'the pin is for another user');
  if (pin.accountKey === presented.accountKey) return { status: 'unchanged', pin };
  return { status: 'changed', pin: { ...pin, accountKey: presented.accountKey, verified: false } };
}
