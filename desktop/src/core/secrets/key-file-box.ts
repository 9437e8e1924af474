// The key-file SecretBox for the CLI and the web host, where no OS keystore is at hand:
// a random 32-byte key in `<profile>/secret.key`, created with mode 0600 and refused if
// group or others may read it (the same rule ssh applies to private keys). It protects
// against the database being copied on its own (backups, sync folders); it does not
// protect against someone who can read the user's files — that is what safeStorage adds.
//
// Sealed format: version byte 0x01 | 24-byte nonce | XSalsa20-Poly1305 secretbox.
import { closeSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sodiumReady } from '@parley/common/sodium';
import { secretBoxWithKey } from './key-box.ts';
import { SecretBoxError, type SecretBox } from './secret-box.ts';

export const KEY_FILE = 'secret.key';
export async function openKeyFileBox(profileDir: string): Promise<SecretBox> {
  const na = await sodiumReady();
  const key = loadOrCreateKey(join(profileDir, KEY_FILE), () => na.randombytes_buf(na.crypto_secretbox_KEYBYTES));
  return keyFileBox(key);
}

function keyFileBox(key: Uint8Array): SecretBox {
  return secretBoxWithKey('key-file', key, 'Was secret.key replaced? Restore the original key file.');
}

function loadOrCreateKey(path: string, fresh: () => Uint8Array): Uint8Array {
  let fd: number;
  try {
    // 'wx' fails if the file exists, so two processes never both create a key.
    fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, fresh());
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  fd = openSync(path, 'r');
  try {
    checkPrivate(path, fd);
    const key = new Uint8Array(readFileSync(fd));
    if (key.length !== 32) {
      throw new SecretBoxError('key_file_invalid', `The key file ${path} is not 32 bytes long; it is damaged. Restore it from a backup.`);
    }
    return key;
  } finally {
    closeSync(fd);
  }
}

function checkPrivate(path: string, fd: number): void {
  // Windows has no POSIX mode bits (ACLs instead); node reports 0o666 there, so skip it.
  if (process.platform === 'win32') return;
  const st = fstatSync(fd);
  if ((st.mode & 0o077) !== 0) {
    throw new SecretBoxError(
      'key_file_exposed',
      `The key file ${path} can be read by other users (mode ${(st.mode & 0o777).toString(8)}). Run: chmod 600 "${path}"`,
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new SecretBoxError('key_file_exposed', `The key file ${path} belongs to another user (uid ${st.uid}); it must be owned by you.`);
  }
}
