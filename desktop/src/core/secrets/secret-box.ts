// SecretBox: seals secret material (identity keys, ratchet sessions, sender keys) under
// a key the HOST provides, so the database file alone never yields them. The core only
// sees this interface. Hosts:
//   - CLI and web host: a key file in the profile, readable only by the user (key-file-box.ts);
//   - Electron: safeStorage (Keychain / DPAPI / libsecret) in desktop/src/main, which
//     encrypts a byte string synchronously — the same shape as this interface.
// Both are synchronous after construction, so sealing can happen inside a SQLite transaction.

export type SecretBoxKind = 'key-file' | 'safe-storage' | 'passphrase';

export interface SecretBox {
  readonly kind: SecretBoxKind;
  seal(plaintext: Uint8Array): Uint8Array;
  /** Throws SecretBoxError('secret_unreadable') when the data was not sealed by this key. */
  open(sealed: Uint8Array): Uint8Array;
}

export type SecretBoxErrorCode =
  | 'key_file_exposed'
  | 'key_file_invalid'
  | 'secret_unreadable'
  | 'secret_mismatch';

export class SecretBoxError extends Error {
  constructor(
    readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}
