import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempProfile } from '../testing/temp-profile.ts';
import { PASSPHRASE_FILE, PassphraseError, createPassphraseBox, hasPassphrase, openPassphraseBox, type PwhashCost } from './passphrase-box.ts';
import { openWrappedKeyBox, type KeyWrapper } from './wrapped-key-box.ts';

// Argon2id at its minimum cost so the suite stays fast; the stored parameters are what
// openPassphraseBox uses, which the last test pins.
const FAST: PwhashCost = { opslimit: 1, memlimit: 8 * 1024 * 1024 };
let profile: ReturnType<typeof tempProfile>;
beforeEach(() => {
  profile = tempProfile();
});
afterEach(() => profile.cleanup());

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e) => (e as PassphraseError).code,
  );
}

describe('passphrase SecretBox (Argon2id)', () => {
  it('creates the salt file with mode 0600 and reopens with the same passphrase', async () => {
    expect(hasPassphrase(profile.dir)).toBe(false);
    const box = await createPassphraseBox(profile.dir, 'correct horse battery', FAST);
    expect(box.kind).toBe('passphrase');
    const sealed = box.seal(new Uint8Array([1, 2, 3]));
    expect(hasPassphrase(profile.dir)).toBe(true);
    if (process.platform !== 'win32') expect(statSync(join(profile.dir, PASSPHRASE_FILE)).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(join(profile.dir, PASSPHRASE_FILE), 'utf8'));
    expect(file).toMatchObject({ v: 1, alg: 'argon2id13', opslimit: 1, memlimit: 8 * 1024 * 1024 });
    expect(JSON.stringify(file)).not.toContain('horse');
    const again = await openPassphraseBox(profile.dir, 'correct horse battery');
    expect(Array.from(again.open(sealed))).toEqual([1, 2, 3]);
  });

  it('refuses a wrong passphrase with its own code before any secret is read', async () => {
    await createPassphraseBox(profile.dir, 'correct horse battery', FAST);
    expect(await codeOf(openPassphraseBox(profile.dir, 'Correct horse battery'))).toBe('passphrase_wrong');
  });

  it('treats composed and decomposed Unicode as the same passphrase', async () => {
    await createPassphraseBox(profile.dir, 'caf\u00e9 au lait', FAST);
    await expect(openPassphraseBox(profile.dir, 'cafe\u0301 au lait')).resolves.toBeTruthy();
  });

  it('refuses a short passphrase, a second creation, a missing and a damaged file', async () => {
    expect(await codeOf(createPassphraseBox(profile.dir, 'short', FAST))).toBe('passphrase_too_short');
    expect(await codeOf(openPassphraseBox(profile.dir, 'whatever long'))).toBe('passphrase_missing');
    await createPassphraseBox(profile.dir, 'correct horse battery', FAST);
    await expect(createPassphraseBox(profile.dir, 'another passphrase', FAST)).rejects.toThrow(/EEXIST/);
    writeFileSync(join(profile.dir, PASSPHRASE_FILE), '{"v":1,"alg":"argon2id13","opslimit":1,"memlimit":8388608,"salt":"xx","check":"yy"}');
    expect(await codeOf(openPassphraseBox(profile.dir, 'correct horse battery'))).toBe('passphrase_file_invalid');
    writeFileSync(join(profile.dir, PASSPHRASE_FILE), 'not json');
    expect(await codeOf(openPassphraseBox(profile.dir, 'correct horse battery'))).toBe('passphrase_file_invalid');
  });

  it('uses the cost stored with the salt, not the current default', async () => {
    await createPassphraseBox(profile.dir, 'correct horse battery', FAST);
    const path = join(profile.dir, PASSPHRASE_FILE);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...file, opslimit: 2 }));
    // Different cost, different key: the check no longer opens.
    expect(await codeOf(openPassphraseBox(profile.dir, 'correct horse battery'))).toBe('passphrase_wrong');
  });
});

describe('wrapped-key SecretBox', () => {
  // A stand-in for safeStorage, which needs a running Electron: reversible, keyed by a
  // "keyring" string so a different keyring cannot unwrap.
  const keystore = (keyring: string): KeyWrapper => ({
    wrap: (s) => new TextEncoder().encode(`${keyring}|${s}`),
    unwrap: (b) => {
      const [k, s] = new TextDecoder().decode(b).split('|');
      if (k !== keyring) throw new Error('keyring cannot decrypt');
      return s;
    },
  });

  it('wraps a fresh key once and unwraps the same key on the next start', async () => {
    const box = await openWrappedKeyBox(profile.dir, keystore('login'));
    expect(box.kind).toBe('safe-storage');
    const sealed = box.seal(new Uint8Array([7]));
    const again = await openWrappedKeyBox(profile.dir, keystore('login'));
    expect(Array.from(again.open(sealed))).toEqual([7]);
  });

  it('says clearly when the keystore cannot unwrap the key (profile copied, keyring reset)', async () => {
    await openWrappedKeyBox(profile.dir, keystore('login'));
    await expect(openWrappedKeyBox(profile.dir, keystore('other'))).rejects.toThrow(/system keystore cannot unwrap/);
  });
});
