// A SecretBox whose 32-byte key is stored wrapped by an OS keystore: Electron's
// safeStorage (macOS Keychain, Windows DPAPI, Linux libsecret/kwallet) in the desktop
// app. The keystore is asked once per start to unwrap one key, not once per secret, so
// sealing stays synchronous and fast inside SQLite transactions.
//
// <profile>/secret.key.wrapped (mode 0600): the keystore's ciphertext of the key in base64url.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fromBase64Url, toBase64Url } from '@parley/common/encoding';
import { sodiumReady } from '@parley/common/sodium';
import { secretBoxWithKey } from './key-box.ts';
import { SecretBoxError, type SecretBox, type SecretBoxKind } from './secret-box.ts';

export const WRAPPED_KEY_FILE = 'secret.key.wrapped';

/** The keystore, e.g. `{ wrap: (s) => safeStorage.encryptString(s), unwrap: (b) => safeStorage.decryptString(b) }`. */
export interface KeyWrapper {
  wrap(plaintext: string): Uint8Array;
  unwrap(ciphertext: Uint8Array): string;
}

export function hasWrappedKey(profileDir: string): boolean {
  try {
    readFileSync(join(profileDir, WRAPPED_KEY_FILE));
    return true;
  } catch {
    return false;
  }
}

export async function openWrappedKeyBox(profileDir: string, wrapper: KeyWrapper, kind: SecretBoxKind = 'safe-storage'): Promise<SecretBox> {
  const na = await sodiumReady();
  const path = join(profileDir, WRAPPED_KEY_FILE);
  if (!hasWrappedKey(profileDir)) {
    const key = na.randombytes_buf(32);
    const wrapped = wrapper.wrap(toBase64Url(key));
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, wrapped);
      } finally {
        closeSync(fd);
      }
      const box = secretBoxWithKey(kind, key, 'Was secret.key.wrapped replaced?');
      key.fill(0);
      return box;
    } catch (err) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  let key: Uint8Array;
  try {
    key = fromBase64Url(wrapper.unwrap(new Uint8Array(readFileSync(path))));
  } catch {
    throw new SecretBoxError(
      'secret_unreadable',
      `The system keystore cannot unwrap this profile's key (${path}). Was the profile copied from another user or machine, or the keyring reset? Restore the keyring, or start a new profile.`,
    );
  }
  if (key.length !== 32) throw new SecretBoxError('key_file_invalid', `${path} does not hold a 32-byte key; it is damaged.`);
  const box = secretBoxWithKey(kind, key, 'Was secret.key.wrapped replaced?');
  key.fill(0);
  return box;
}
