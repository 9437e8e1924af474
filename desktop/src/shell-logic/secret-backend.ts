// Which SecretBox protects the profile in the desktop app. safeStorage when the OS
// keystore really protects it; otherwise (Linux with no keyring, where Electron falls back
// to the 'basic_text' backend and a password hard-coded in Chromium) a passphrase the
// user types. A profile keeps the backend it was created with: if its keystore key
// exists but the keystore is gone, that is an error to explain, never a silent switch.

export type SecretBackend =
  | { kind: 'safe-storage' }
  | { kind: 'passphrase'; mode: 'create' | 'unlock'; reason: string }
  | { kind: 'unavailable'; message: string };

export interface SecretBackendInput {
  platform: string;
  /** safeStorage.isEncryptionAvailable() */
  encryptionAvailable: boolean;
  /** safeStorage.getSelectedStorageBackend() on Linux (e.g. 'gnome_libsecret', 'kwallet5', 'basic_text', 'unknown'). */
  linuxBackend: string | null;
  /** The profile already has a keystore-wrapped key / a passphrase file. */
  hasWrappedKey: boolean;
  hasPassphrase: boolean;
}

/** Linux backends that encrypt with a fixed, public password: no protection at all. */
const WEAK_LINUX_BACKENDS = new Set(['basic_text', 'unknown']);

export function keystoreProtects(i: Pick<SecretBackendInput, 'platform' | 'encryptionAvailable' | 'linuxBackend'>): boolean {
  if (!i.encryptionAvailable) return false;
  if (i.platform === 'linux') return i.linuxBackend !== null && !WEAK_LINUX_BACKENDS.has(i.linuxBackend);
  return true;
}

export function chooseSecretBackend(i: SecretBackendInput): SecretBackend {
  if (i.hasPassphrase) return { kind: 'passphrase', mode: 'unlock', reason: 'This profile is protected by a passphrase.' };
  const keystore = keystoreProtects(i);
  if (i.hasWrappedKey) {
    if (keystore) return { kind: 'safe-storage' };
    return {
      kind: 'unavailable',
      message:
        i.platform === 'linux'
          ? 'This profile is protected by your keyring, which is not available now. Unlock or start your keyring (GNOME Keyring or KWallet), then start Parley again.'
          : 'This profile is protected by the system keystore, which is not available now. Sign in to your user account normally, then start Parley again.',
    };
  }
  if (keystore) return { kind: 'safe-storage' };
  return {
    kind: 'passphrase',
    mode: 'create',
    reason:
      i.platform === 'linux'
        ? 'No keyring (GNOME Keyring or KWallet) is available, so Parley cannot protect your keys with it; without one they would be stored as good as in plain text. Choose a passphrase instead: you will type it each time Parley starts.'
        : 'The system keystore is not available, so choose a passphrase to protect your keys: you will type it each time Parley starts.',
  };
}
