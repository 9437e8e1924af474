// Where the shell finds its files, bundled (desktop/dist/electron/*.cjs, run from the
// source tree) or packaged (inside app.asar, with icons under process.resourcesPath).
import { app } from 'electron';
import { join } from 'node:path';

const here = __dirname; // desktop/dist/electron, or <app.asar>/dist/electron

export const paths = {
  /** The built Svelte UI (vite: desktop/dist/renderer). */
  renderer: join(here, '..', 'renderer'),
  /** The unlock page (copied by scripts/build-shell.ts). */
  shellPages: join(here, '..', 'shell'),
  preload: join(here, 'preload.cjs'),
  unlockPreload: join(here, 'unlock-preload.cjs'),
  /** Tray and overlay icons: extraResources in the installer, build/tray in the source tree. */
  trayIcons: () => (app.isPackaged ? join(process.resourcesPath, 'tray') : join(here, '..', '..', '..', 'build', 'tray')),
  /** The app icon for Linux windows and notifications. */
  appIcon: () => (app.isPackaged ? join(process.resourcesPath, 'icons', '512x512.png') : join(here, '..', '..', '..', 'build', 'icons', '512x512.png')),
};
