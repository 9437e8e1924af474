// The passphrase SecretBox: where no OS keystore protects the profile key (Linux without
// a keyring, where Electron's safeStorage would fall back to a hard-coded password), the
// key is derived from a passphrase the user types at start-up, with Argon2id
// (crypto_pwhash) and a random salt stored in the profile. Nothing stored in the profile
// yields the key without the passphrase.
//
// <profile>/secret.passphrase.json (mode 0600):
//   { v: 1, alg: "argon2id13", opslimit, memlimit, salt, check }
// `check` seals a fixed string under the derived key, so a wrong passphrase is told
// apart from damaged data at once, before any secret is touched. The cost parameters are
// stored with the salt, so raising the defaults later does not lock anyone out.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '@parley/common/encoding';
import { sodium, sodiumReady } from '@parley/common/sodium';
import { secretBoxWithKey } from './key-box.ts';
import type { SecretBox } from './secret-box.ts';

export const PASSPHRASE_FILE = 'secret.passphrase.json';
export const MIN_PASSPHRASE_LENGTH = 8;
const CHECK_TEXT = 'parley passphrase check v1';

export interface PwhashCost {
  opslimit: number;
  memlimit: number;
}

/**
 * libsodium's MODERATE preset for Argon2id: 3 passes over 256 MiB, about a second on a
 * laptop. It runs once per start, so the user waits once; an attacker with the profile
 * pays it per guess.
 */
export const DEFAULT_PWHASH_COST: PwhashCost = { opslimit: 3, memlimit: 256 * 1024 * 1024 };

export type PassphraseErrorCode = 'passphrase_wrong' | 'passphrase_too_short' | 'passphrase_file_invalid' | 'passphrase_missing';

export class PassphraseError extends Error {
  constructor(
    readonly code: PassphraseErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PassphraseError';
  }
}

interface PassphraseFile {
  v: 1;
  alg: 'argon2id13';
  opslimit: number;
  memlimit: number;
  salt: string;
  check: string;
}

export function hasPassphrase(profileDir: string): boolean {
  try {
    readFileSync(join(profileDir, PASSPHRASE_FILE));
    return true;
  } catch {
    return false;
  }
}

/** First run: sets the passphrase (refuses a short one and an existing file). */
export async function createPassphraseBox(profileDir: string, passphrase: string, cost: PwhashCost = DEFAULT_PWHASH_COST): Promise<SecretBox> {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new PassphraseError('passphrase_too_short', `Choose a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters; a few words are easier to remember and harder to guess.`);
  }
  const na = await sodiumReady();
  const salt = na.randombytes_buf(na.crypto_pwhash_SALTBYTES);
  const key = derive(passphrase, salt, cost);
  const box = secretBoxWithKey('passphrase', key, 'Was the passphrase file replaced?');
  key.fill(0);
  const file: PassphraseFile = { v: 1, alg: 'argon2id13', ...cost, salt: toBase64Url(salt), check: toBase64Url(box.seal(utf8(CHECK_TEXT))) };
  // 'wx': two processes never both set a passphrase, and an existing one is never overwritten.
  const fd = openSync(join(profileDir, PASSPHRASE_FILE), 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  return box;
}

/** Later runs: derives the key from the stored salt and cost; a wrong passphrase is refused before any secret is read. */
export async function openPassphraseBox(profileDir: string, passphrase: string): Promise<SecretBox> {
  const path = join(profileDir, PASSPHRASE_FILE);
  let file: PassphraseFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as PassphraseFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PassphraseError('passphrase_missing', 'This profile has no passphrase set yet.');
    throw new PassphraseError('passphrase_file_invalid', `${path} is damaged; restore it from a backup (without it the profile's secrets cannot be opened).`);
  }
  const na = await sodiumReady();
  let salt: Uint8Array;
  let check: Uint8Array;
  try {
    if (file.v !== 1 || file.alg !== 'argon2id13' || !Number.isSafeInteger(file.opslimit) || !Number.isSafeInteger(file.memlimit)) throw new Error('shape');
    salt = fromBase64Url(file.salt);
    check = fromBase64Url(file.check);
    if (salt.length !== na.crypto_pwhash_SALTBYTES) throw new Error('salt');
  } catch {
    throw new PassphraseError('passphrase_file_invalid', `${path} is damaged or from a newer Parley; restore it from a backup.`);
  }
  const key = derive(passphrase, salt, { opslimit: file.opslimit, memlimit: file.memlimit });
  const box = secretBoxWithKey('passphrase', key, 'Was the passphrase file replaced?');
  key.fill(0);
  let opened: string;
  try {
    opened = fromUtf8(box.open(check));
  } catch {
    throw new PassphraseError('passphrase_wrong', 'That passphrase does not unlock this profile. Check the keyboard layout and Caps Lock, and try again.');
  }
  if (opened !== CHECK_TEXT) throw new PassphraseError('passphrase_file_invalid', `${path} is damaged; restore it from a backup.`);
  return box;
}

function derive(passphrase: string, salt: Uint8Array, cost: PwhashCost): Uint8Array {
  // NFC: the same passphrase typed on another OS or keyboard may arrive decomposed.
  const na = sodium();
  return na.crypto_pwhash(32, utf8(passphrase.normalize('NFC')), salt, cost.opslimit, cost.memlimit, na.crypto_pwhash_ALG_ARGON2ID13);
}
