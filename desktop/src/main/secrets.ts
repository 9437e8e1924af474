// Secrets at rest in the desktop app: safeStorage (Keychain, DPAPI, libsecret/kwallet)
// wraps the profile key when the OS keystore really protects it; otherwise the user is
// asked for a passphrase in a small unlock window and the key is derived with Argon2id.
// The choice is shell-logic/secret-backend.ts (tested); the boxes are core/secrets.
import { BrowserWindow, dialog, ipcMain, safeStorage, type IpcMainInvokeEvent } from 'electron';
import { createPassphraseBox, hasPassphrase, openPassphraseBox, PassphraseError } from '../core/secrets/passphrase-box.ts';
import type { SecretBox } from '../core/secrets/secret-box.ts';
import { hasWrappedKey, openWrappedKeyBox } from '../core/secrets/wrapped-key-box.ts';
import { chooseSecretBackend } from '../shell-logic/secret-backend.ts';
import { APP_ORIGIN, secureWebPreferences } from '../shell-logic/window-security.ts';

export const UNLOCK_INFO_CHANNEL = 'parley:unlock:info';
export const UNLOCK_SUBMIT_CHANNEL = 'parley:unlock:submit';

export function fromAppPage(event: IpcMainInvokeEvent | Electron.IpcMainEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  return url === APP_ORIGIN || url.startsWith(`${APP_ORIGIN}/`);
}

export class ProfileLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileLockedError';
  }
}

export async function openDesktopSecretBox(profileDir: string, unlockPreload: string, log: (msg: string) => void): Promise<SecretBox> {
  const backend = chooseSecretBackend({
    platform: process.platform,
    encryptionAvailable: safeStorage.isEncryptionAvailable(),
    linuxBackend: process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : null,
    hasWrappedKey: hasWrappedKey(profileDir),
    hasPassphrase: hasPassphrase(profileDir),
  });
  log(`secrets at rest: ${backend.kind}`);
  if (backend.kind === 'safe-storage') {
    return openWrappedKeyBox(profileDir, {
      wrap: (s) => new Uint8Array(safeStorage.encryptString(s)),
      unwrap: (b) => safeStorage.decryptString(Buffer.from(b)),
    });
  }
  if (backend.kind === 'unavailable') {
    dialog.showErrorBox('Parley cannot open your profile', backend.message);
    throw new ProfileLockedError(backend.message);
  }
  return askPassphrase(profileDir, backend.mode, backend.reason, unlockPreload);
}

/** Shows the unlock window until a passphrase opens (or creates) the box; rejects if the user closes it. */
function askPassphrase(profileDir: string, mode: 'create' | 'unlock', reason: string, preload: string): Promise<SecretBox> {
  return new Promise((resolve, reject) => {
    let done = false;
    const win = new BrowserWindow({
      width: 460,
      height: mode === 'create' ? 430 : 330,
      resizable: false,
      title: 'Unlock Parley',
      backgroundColor: '#101418',
      autoHideMenuBar: true,
      webPreferences: secureWebPreferences(preload, { devTools: false }),
    });
    win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    win.webContents.on('will-navigate', (e) => e.preventDefault());

    const cleanup = () => {
      ipcMain.removeHandler(UNLOCK_INFO_CHANNEL);
      ipcMain.removeHandler(UNLOCK_SUBMIT_CHANNEL);
    };
    ipcMain.handle(UNLOCK_INFO_CHANNEL, (event) => (fromAppPage(event) ? { mode, reason } : null));
    ipcMain.handle(UNLOCK_SUBMIT_CHANNEL, async (event, passphrase: unknown) => {
      if (!fromAppPage(event) || typeof passphrase !== 'string' || passphrase.length > 1024) return { ok: false, message: 'That passphrase cannot be used.' };
      try {
        const box = mode === 'create' ? await createPassphraseBox(profileDir, passphrase) : await openPassphraseBox(profileDir, passphrase);
        done = true;
        cleanup();
        resolve(box);
        win.close();
        return { ok: true };
      } catch (err) {
        if (err instanceof PassphraseError) return { ok: false, message: err.message };
        return { ok: false, message: 'Parley could not set up the passphrase; see the log.' };
      }
    });
    win.on('closed', () => {
      if (done) return;
      cleanup();
      reject(new ProfileLockedError('The profile was not unlocked.'));
    });
    void win.loadURL(`${APP_ORIGIN}/_shell/unlock.html`);
  });
}
