// Preload of the unlock window: exposes only "what is asked" and "submit this passphrase".
import { contextBridge, ipcRenderer } from 'electron';

contextBridge.exposeInMainWorld('parleyUnlock', {
  info: (): Promise<{ mode: 'create' | 'unlock'; reason: string } | null> => ipcRenderer.invoke('parley:unlock:info'),
  submit: (passphrase: string): Promise<{ ok: boolean; message?: string }> => ipcRenderer.invoke('parley:unlock:submit', String(passphrase)),
});
