import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/database.ts';
import { tempProfile } from '../testing/temp-profile.ts';
import { KEY_FILE, openKeyFileBox } from './key-file-box.ts';
import { SecretBoxError } from './secret-box.ts';
import { SecretStore } from './secret-store.ts';

const posix = process.platform !== 'win32';
let profile: ReturnType<typeof tempProfile>;
let db: Db | undefined;
beforeEach(() => {
  profile = tempProfile();
});
afterEach(() => {
  db?.close();
  db = undefined;
  profile.cleanup();
});

function codeOf(fn: () => unknown): Promise<string | undefined> {
  return Promise.resolve()
    .then(fn)
    .then(
      () => undefined,
      (e) => (e as SecretBoxError).code,
    );
}

describe('key-file SecretBox', () => {
  it.runIf(posix)('creates a 32-byte key file with mode 0600', async () => {
    await openKeyFileBox(profile.dir);
    const path = join(profile.dir, KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path)).toHaveLength(32);
  });

  it('seals and opens, and a reopened box uses the same key', async () => {
    const box = await openKeyFileBox(profile.dir);
    const sealed = box.seal(new Uint8Array([1, 2, 3]));
    expect(Array.from(sealed.subarray(-3))).not.toEqual([1, 2, 3]);
    const again = await openKeyFileBox(profile.dir);
    expect(Array.from(again.open(sealed))).toEqual([1, 2, 3]);
  });

  it.runIf(posix)('refuses a key file readable by group or others', async () => {
    await openKeyFileBox(profile.dir);
    chmodSync(join(profile.dir, KEY_FILE), 0o644);
    expect(await codeOf(() => openKeyFileBox(profile.dir))).toBe('key_file_exposed');
    chmodSync(join(profile.dir, KEY_FILE), 0o640);
    expect(await codeOf(() => openKeyFileBox(profile.dir))).toBe('key_file_exposed');
  });

  it('refuses a key file of the wrong length', async () => {
    writeFileSync(join(profile.dir, KEY_FILE), new Uint8Array(31), { mode: 0o600 });
    expect(await codeOf(() => openKeyFileBox(profile.dir))).toBe('key_file_invalid');
  });

  it('cannot open what another key sealed', async () => {
    const other = tempProfile();
    try {
      const a = await openKeyFileBox(profile.dir);
      const b = await openKeyFileBox(other.dir);
      const sealed = a.seal(new Uint8Array([9]));
      expect(await codeOf(() => b.open(sealed))).toBe('secret_unreadable');
    } finally {
      other.cleanup();
    }
  });
});

describe('SecretStore', () => {
  it('keeps secrets sealed in the database and returns them after a restart', async () => {
    db = openDatabase(profile.dir);
    const store = new SecretStore(db, await openKeyFileBox(profile.dir));
    store.putJson('identity', { seed: 'very secret seed' });
    const raw = db.prepare(`SELECT sealed FROM secrets WHERE name = 'identity'`).pluck().get() as Buffer;
    expect(raw.toString('latin1')).not.toContain('very secret seed');
    db.close();

    db = openDatabase(profile.dir);
    const reopened = new SecretStore(db, await openKeyFileBox(profile.dir));
    expect(reopened.getJson('identity')).toEqual({ seed: 'very secret seed' });
    expect(reopened.get('missing')).toBeNull();
  });

  it('refuses a sealed value moved to another name', async () => {
    db = openDatabase(profile.dir);
    const store = new SecretStore(db, await openKeyFileBox(profile.dir));
    store.putJson('session:alice', { k: 1 });
    db.prepare(`INSERT INTO secrets (name, sealed, updated_at) SELECT 'session:mallory', sealed, 0 FROM secrets WHERE name = 'session:alice'`).run();
    expect(await codeOf(() => store.get('session:mallory'))).toBe('secret_mismatch');
  });
});
