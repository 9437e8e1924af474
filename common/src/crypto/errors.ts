// The one error type the crypto layer throws. Callers branch on `code`, which is stable;
// `message` is a sentence for people. Parsers and decryptors never let anything else
// escape (libsodium's own exceptions are caught and mapped), so a hostile byte string
// can only ever produce a CryptoError.

export const CRYPTO_ERROR_CODES = {
  bad_key: 'A key has the wrong length, is malformed, or is a low-order X25519 point.',
  bad_signature: 'A signature does not verify.',
  malformed: 'The input does not parse as the expected structure.',
  unsupported_version: 'The input or state was written by an unknown (newer) version.',
  decrypt_failed: 'Authentication failed: the ciphertext, header or associated data was altered, or the key is wrong.',
  replay: 'This message was already decrypted (or its key was discarded).',
  too_many_skipped: 'The message is too far ahead of the chain (more than MAX_SKIP keys would be skipped).',
  rollback: 'The device list is older than (or conflicts with) the version already pinned.',
  wrong_user: 'The account key does not hash to the claimed user id.',
  device_id_mismatch: 'A device id does not match its signing key.',
  duplicate_device: 'A device appears twice on a device list.',
  unknown_device: 'The device is not on the current device list.',
  untrusted_identity: 'The peer presented an identity key different from the one this session was made with.',
  sender_mismatch: 'The sealed credential does not match the sender inside the message.',
  unknown_prekey: 'The signed or one-time prekey named by the message is unknown.',
  prekey_reused: 'The one-time prekey named by the message was already used.',
  no_session: 'There is no session for this device; fetch a prekey bundle first.',
  unknown_sender_key: 'No sender key is known for this group sender (or it was removed).',
  stale_epoch: 'The sender key epoch is older than the one already accepted.',
  bad_hash: 'The attachment ciphertext does not match its hash.',
  truncated: 'The attachment stream ended before its final chunk.',
  bad_state: 'A stored state object is invalid or used out of order.',
} as const;

export type CryptoErrorCode = keyof typeof CRYPTO_ERROR_CODES;

export class CryptoError extends Error {
  constructor(
    readonly code: CryptoErrorCode,
    message: string = CRYPTO_ERROR_CODES[code],
  ) {
    super(message);
    this.name = 'CryptoError';
  }
}

/** Runs `fn`, turning any non-CryptoError (libsodium, encoding, RangeError) into `code`. */
export function guard<T>(code: CryptoErrorCode, message: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CryptoError) throw e;
    throw new CryptoError(code, message);
  }
}
