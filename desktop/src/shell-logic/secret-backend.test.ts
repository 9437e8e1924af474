import { describe, expect, it } from 'vitest';
import { chooseSecretBackend, type SecretBackendInput } from './secret-backend.ts';

const fresh: SecretBackendInput = { platform: 'linux', encryptionAvailable: true, linuxBackend: 'gnome_libsecret', hasWrappedKey: false, hasPassphrase: false };

describe('secrets at rest: backend choice', () => {
  it('uses safeStorage on macOS and Windows when available, and on Linux with a real keyring', () => {
    expect(chooseSecretBackend({ ...fresh, platform: 'darwin', linuxBackend: null }).kind).toBe('safe-storage');
    expect(chooseSecretBackend({ ...fresh, platform: 'win32', linuxBackend: null }).kind).toBe('safe-storage');
    expect(chooseSecretBackend(fresh).kind).toBe('safe-storage');
    expect(chooseSecretBackend({ ...fresh, linuxBackend: 'kwallet5' }).kind).toBe('safe-storage');
  });

  it("asks for a new passphrase on Linux's plain-text fallback, and says why", () => {
    for (const linuxBackend of ['basic_text', 'unknown', null]) {
      const b = chooseSecretBackend({ ...fresh, linuxBackend });
      expect(b).toMatchObject({ kind: 'passphrase', mode: 'create' });
      expect(b.kind === 'passphrase' && b.reason).toMatch(/keyring/);
    }
    expect(chooseSecretBackend({ ...fresh, platform: 'darwin', encryptionAvailable: false })).toMatchObject({ kind: 'passphrase', mode: 'create' });
  });

  it('keeps a passphrase profile on its passphrase even once a keyring appears', () => {
    expect(chooseSecretBackend({ ...fresh, hasPassphrase: true })).toMatchObject({ kind: 'passphrase', mode: 'unlock' });
  });

  it('refuses to switch a keystore profile to anything else when the keystore is gone', () => {
    const b = chooseSecretBackend({ ...fresh, linuxBackend: 'basic_text', hasWrappedKey: true });
    expect(b.kind).toBe('unavailable');
    expect(b.kind === 'unavailable' && b.message).toMatch(/keyring/);
    expect(chooseSecretBackend({ ...fresh, platform: 'darwin', encryptionAvailable: false, hasWrappedKey: true }).kind).toBe('unavailable');
  });
});
