// The main window: security settings from shell-logic/window-security.ts, CSP on every
// response of the session, navigation and new windows refused (web links go to the
// system browser), permissions denied but the two the UI needs, and close/minimise to
// the tray instead of quitting.
import { BrowserWindow, shell, type Session } from 'electron';
import { APP_ENTRY, navigationDecision, newWindowDecision, permissionAllowed, secureWebPreferences } from '../shell-logic/window-security.ts';

export interface MainWindowOptions {
  preload: string;
  icon?: string;
  devTools: boolean;
  /** Hide instead of closing or minimising (the tray keeps the app reachable). */
  toTray: () => boolean;
  isQuitting: () => boolean;
}

export function hardenSession(session: Session, csp: string, log: (msg: string) => void): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
  session.setPermissionRequestHandler((webContents, permission, callback, details) => {
    const ok = permissionAllowed(permission, details.requestingUrl, { mediaTypes: 'mediaTypes' in details ? details.mediaTypes : undefined });
    if (!ok) log(`permission ${permission} refused for ${details.requestingUrl}`);
    callback(ok);
  });
  session.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin));
}

function followDecision(url: string, log: (msg: string) => void): void {
  const d = newWindowDecision(url);
  if (d.action === 'open-external') void shell.openExternal(d.url);
  else log(`link refused: ${d.reason}`);
}

export function createMainWindow(o: MainWindowOptions, log: (msg: string) => void): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Parley',
    icon: o.icon,
    backgroundColor: '#101418',
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(o.preload, { devTools: o.devTools }),
  });
  const wc = win.webContents;
  wc.setWindowOpenHandler(({ url }) => {
    followDecision(url, log);
    return { action: 'deny' };
  });
  const guard = (event: { preventDefault(): void }, url: string) => {
    const d = navigationDecision(url);
    if (d.action === 'allow') return;
    event.preventDefault();
    if (d.action === 'open-external') void shell.openExternal(d.url);
    else log(`navigation refused: ${d.reason}`);
  };
  wc.on('will-navigate', (e) => guard(e, e.url));
  wc.on('will-redirect', (e) => guard(e, e.url));
  wc.on('will-frame-navigate', (e) => guard(e, e.url));
  // No <webview> ever (webviewTag is off; this refuses one injected anyway).
  wc.on('will-attach-webview', (e) => e.preventDefault());

  win.on('close', (e) => {
    if (!o.isQuitting() && o.toTray()) {
      e.preventDefault();
      win.hide();
    }
  });
  // Minimise to the tray where the tray is the way back (Windows, Linux); macOS keeps the dock.
  win.on('minimize', () => {
    if (process.platform !== 'darwin' && o.toTray()) win.hide();
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY);
  return win;
}

export function showWindow(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
