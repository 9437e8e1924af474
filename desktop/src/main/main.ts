// Electron main process: a thin shell around the client engine. It owns the window, the
// tray, notifications, deep links and the secrets-at-rest key; everything with logic
// lives in ../shell-logic (tested without Electron) and everything about messages in
// ../core. The UI reaches the core only through the preload's MessengerApi:
//   renderer ─ window.parley ─ ipc 'parley:call' ─► handleApiCall (zod) ─► Messenger
//            ◄─ ipc 'parley:event' ◄─ Messenger.subscribe
import { app, ipcMain, session, shell, type BrowserWindow } from 'electron';
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Conversation, MessengerApi, MessengerEvent, Settings, ShellIntent } from '@parley/common/api/index';
import { sodiumReady } from '@parley/common/sodium';
import { Messenger } from '../core/messenger.ts';
import { stderrLog } from '../core/net/log.ts';
import { API_CALL_CHANNEL, API_EVENT_CHANNEL, SHELL_INTENT_CHANNEL, SHELL_OPEN_CONVERSATION_CHANNEL, SHELL_OPEN_FILE_CHANNEL, handleApiCall } from '../shell-logic/api-ipc.ts';
import { DEEP_LINK_SCHEME, DeepLinkError, deepLinkFromArgv, parseDeepLink } from '../shell-logic/deep-link.ts';
import { IntentGate } from '../shell-logic/intent-gate.ts';
import { prepareOpenFile } from '../shell-logic/open-file.ts';
import { unreadTotal, type ShellPlatform } from '../shell-logic/tray-state.ts';
import { contentSecurityPolicy } from '../shell-logic/window-security.ts';
import { registerAppScheme, serveApp } from './app-protocol.ts';
import { Notifier } from './notifications.ts';
import { paths } from './paths.ts';
import { ProfileLockedError, fromAppPage, openDesktopSecretBox } from './secrets.ts';
import { TrayController } from './tray.ts';
import { createMainWindow, hardenSession, showWindow } from './window.ts';

const platform: ShellPlatform = process.platform === 'darwin' ? 'darwin' : process.platform === 'win32' ? 'win32' : 'linux';
const log = (msg: string) => process.stderr.write(`[parley] ${msg}\n`);

// A profile per PARLEY_PROFILE_DIR, with its own Electron data (and so its own
// single-instance lock): two profiles run side by side to chat with yourself.
const profileDir = resolve(process.env.PARLEY_PROFILE_DIR ?? join(app.getPath('userData'), 'profile'));
if (process.env.PARLEY_PROFILE_DIR) app.setPath('userData', join(profileDir, 'electron'));

registerAppScheme();
// Unpackaged (`electron dist/electron/main.cjs`), the OS must relaunch electron with our script.
if (process.defaultApp && process.argv.length >= 2) app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, process.execPath, [resolve(process.argv[1])]);
else app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);

let messenger: Messenger | null = null;
let window: BrowserWindow | null = null;
let tray: TrayController | null = null;
let quitting = false;
let conversations: Conversation[] = [];
let settings: Settings | null = null;
let online = false;
let openConversationId: string | null = null;
const pendingLinks: string[] = [];
// Intents wait here until the window's page has loaded (see intent-gate.ts).
const intents = new IntentGate<ShellIntent>();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  const first = deepLinkFromArgv(process.argv);
  if (first) pendingLinks.push(first);
  // Windows and Linux: a second launch (e.g. a clicked parley:// link) lands here with its argv.
  app.on('second-instance', (_event, argv) => {
    const link = deepLinkFromArgv(argv);
    if (link) deepLink(link);
    if (window) showWindow(window);
  });
  // macOS delivers links as open-url, possibly before 'ready'.
  app.on('open-url', (event, url) => {
    event.preventDefault();
    deepLink(url);
  });
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', () => {
    tray?.destroy();
    void messenger?.close();
  });
  // The tray keeps the app alive with no window open.
  app.on('window-all-closed', () => undefined);
  app.on('activate', () => window && showWindow(window));
  app.whenReady().then(start, fatal);
}

function fatal(err: unknown): void {
  if (!(err instanceof ProfileLockedError)) log(`failed to start: ${(err as Error)?.stack ?? String(err)}`);
  app.exit(1);
}

function sendIntent(intent: ShellIntent): void {
  intents.push(intent);
}

function deepLink(raw: string): void {
  if (!messenger || !window) {
    pendingLinks.push(raw);
    return;
  }
  try {
    const link = parseDeepLink(raw);
    sendIntent({ type: 'add-contact', link: link.link, name: link.invite.name });
  } catch (err) {
    const message = err instanceof DeepLinkError ? err.message : 'That link could not be opened.';
    log(`deep link refused: ${err instanceof DeepLinkError ? err.code : 'error'}`);
    sendIntent({ type: 'link-refused', message });
  }
  showWindow(window);
}

async function refreshConversations(): Promise<void> {
  if (!messenger) return;
  conversations = await messenger.listConversations({ includeArchived: true }).catch(() => conversations);
  updateTray();
}

async function refreshSettings(): Promise<void> {
  if (!messenger) return;
  settings = await (messenger as MessengerApi).getSettings({}).catch(() => settings);
  updateTray();
}

function updateTray(): void {
  tray?.update({ unread: unreadTotal(conversations), muted: settings?.notificationsMuted ?? false, online });
}

async function start(): Promise<void> {
  if (platform === 'win32') app.setAppUserModelId('org.parley.desktop');
  const csp = contentSecurityPolicy();
  serveApp(paths.renderer, paths.shellPages, csp);
  hardenSession(session.defaultSession, csp, log);
  await sodiumReady();

  const secretBox = await openDesktopSecretBox(profileDir, paths.unlockPreload, log);
  const level = process.env.PARLEY_CORE_LOG;
  messenger = await Messenger.open({ profileDir, secretBox, log: level === 'debug' || level === 'info' || level === 'warn' ? stderrLog(level) : undefined });
  const api: MessengerApi = messenger;

  const notifier = new Notifier({
    api,
    platform,
    iconPath: platform === 'linux' ? paths.appIcon() : undefined,
    settings: () => settings,
    conversations: () => conversations,
    windowFocused: () => window?.isFocused() ?? false,
    openConversationId: () => openConversationId,
    onClick: (conversationId) => {
      if (!window) return;
      showWindow(window);
      if (conversationId) sendIntent({ type: 'open-conversation', conversationId });
    },
  });

  ipcMain.handle(API_CALL_CHANNEL, async (event, request: unknown) => {
    if (event.sender !== window?.webContents || !fromAppPage(event)) return { ok: false, error: { code: 'bad_params', message: 'Calls are accepted from the Parley window only.' } };
    const result = await handleApiCall(api, request, (err) => log(`core error: ${(err as Error)?.stack ?? String(err)}`));
    if ((request as { method?: string }).method === 'updateSettings' && result.ok) {
      settings = result.value as Settings;
      updateTray();
    }
    return result;
  });
  ipcMain.handle(SHELL_OPEN_FILE_CHANNEL, async (event, messageId: unknown) => {
    if (event.sender !== window?.webContents || !fromAppPage(event) || !messenger) return { ok: false, error: { code: 'bad_params', message: 'Calls are accepted from the Parley window only.' } };
    const prepared = prepareOpenFile(messenger, messageId, (p) => {
      try {
        return realpathSync(p);
      } catch {
        return null;
      }
    });
    if (!prepared.ok) return prepared;
    // openPath answers an error sentence, or '' when the system took the file.
    const failed = await shell.openPath(prepared.path);
    return failed ? { ok: false, error: { code: 'internal', message: `The system could not open the file: ${failed}` } } : { ok: true };
  });
  ipcMain.on(SHELL_OPEN_CONVERSATION_CHANNEL, (event, id: unknown) => {
    if (event.sender !== window?.webContents || !fromAppPage(event)) return;
    openConversationId = typeof id === 'string' ? id : null;
  });

  let refreshTimer: NodeJS.Timeout | null = null;
  api.subscribe((e: MessengerEvent) => {
    window?.webContents.send(API_EVENT_CHANNEL, e);
    if (e.type === 'connection') {
      online = e.status.state === 'online';
      updateTray();
    } else if (e.type === 'conversation.updated' || e.type === 'conversation.removed' || e.type === 'message.added') {
      // Bursts (a sync after reconnecting) refresh the badge once.
      refreshTimer ??= setTimeout(() => {
        refreshTimer = null;
        void refreshConversations();
      }, 150);
    }
    if (e.type === 'message.added') void refreshConversations().then(() => notifier.messageAdded(e.message));
  });

  window = createMainWindow(
    {
      preload: paths.preload,
      icon: platform === 'linux' ? paths.appIcon() : undefined,
      devTools: !app.isPackaged,
      toTray: () => tray !== null,
      isQuitting: () => quitting,
    },
    log,
  );
  // The preload registers its intent listener before the page's scripts run, and keeps
  // what arrives until the UI subscribes; a message sent before the page has loaded at
  // all is dropped by Electron, so the gate holds intents until then (and while reloading).
  const contents = window.webContents;
  contents.on('did-start-loading', () => intents.close());
  contents.on('did-finish-load', () => intents.open((intent) => contents.send(SHELL_INTENT_CHANNEL, intent)));
  tray = new TrayController(platform, paths.trayIcons(), () => window, {
    open: () => window && showWindow(window),
    setMuted: (muted) => void api.updateSettings({ notificationsMuted: muted }).then((s) => ((settings = s), updateTray())),
    quit: () => app.quit(),
  });
  online = (await api.getConnectionStatus({})).state === 'online';
  await Promise.all([refreshSettings(), refreshConversations()]);
  for (const link of pendingLinks.splice(0)) deepLink(link);
}
