// The shell around the UI, wherever it runs. In Electron it is the preload's
// `window.parleyShell`: the main process decides notifications and shows them natively.
// In a browser it is built over the web host's socket: the page reports what the user
// sees (open conversation; focused and visible), the host decides each notification with
// the core's policy and sends it here, and the page shows it with the Web Notifications
// API. Either way the UI hears the same ShellIntents.
import type { ParleyShell, ShellIntent, ShellNotification, ShellPageFrame } from '@parley/common/api/index';
import type { ShellChannel } from './api-client.ts';

declare global {
  interface Window {
    parleyShell?: ParleyShell;
  }
}

export type PagePermission = NotificationPermission | 'unsupported';

/** Notifications the page shows itself (browser only). */
export interface PageNotifications {
  permission(): PagePermission;
  /** Asks the browser; call it from a user gesture (a click), or the browser refuses without asking. */
  request(): Promise<PagePermission>;
}

export interface RendererShell extends ParleyShell {
  /** Set in a browser; null in Electron, whose shell shows notifications natively. */
  readonly notifications: PageNotifications | null;
}

/** Electron: the preload's shell as it is (nothing if the preload did not provide one). */
export function electronShell(shell: ParleyShell | undefined): RendererShell {
  if (!shell) return { onIntent: () => () => undefined, setOpenConversation: () => undefined, platform: 'other', canOpenFiles: false, openFile: cannotOpenFiles, notifications: null };
  return {
    onIntent: (listener) => shell.onIntent(listener),
    setOpenConversation: (id) => shell.setOpenConversation(id),
    platform: shell.platform,
    canOpenFiles: shell.canOpenFiles === true,
    openFile: (messageId) => (shell.canOpenFiles === true ? shell.openFile(messageId) : cannotOpenFiles()),
    notifications: null,
  };
}

/** A browser cannot hand a file to the system's apps; Save is the way there. */
function cannotOpenFiles(): Promise<never> {
  return Promise.reject(Object.assign(new Error('Opening files in other apps needs the desktop app; use Save.'), { code: 'not_implemented' }));
}

const supported = () => typeof Notification === 'function';

/** A browser page served by the web host: the shell over its socket. */
export function webShell(channel: ShellChannel): RendererShell {
  const listeners = new Set<(intent: ShellIntent) => void>();
  let openConversationId: string | null = null;
  // Tracked from focus/blur events rather than read from document.hasFocus() each time,
  // so a blur (another window in front) counts as soon as it happens.
  let hasFocus = document.hasFocus();
  let reported = '';
  let ready = false;

  function report(): void {
    const frame: ShellPageFrame = { t: 'shell', type: 'state', openConversationId, focused: hasFocus && document.visibilityState === 'visible' };
    const key = JSON.stringify(frame);
    if (key === reported) return;
    reported = key;
    channel.send(frame);
  }

  function emit(intent: ShellIntent): void {
    for (const l of listeners) l(intent);
  }

  function show(n: ShellNotification): void {
    if (!supported() || Notification.permission !== 'granted') return;
    const shown = new Notification(n.title, { body: n.body, tag: n.tag });
    shown.onclick = () => {
      window.focus();
      shown.close();
      // A count-only notification opens just the window: the level hides which conversation.
      if (n.conversationId) emit({ type: 'open-conversation', conversationId: n.conversationId });
    };
  }

  window.addEventListener('focus', () => ((hasFocus = true), report()));
  window.addEventListener('blur', () => ((hasFocus = false), report()));
  document.addEventListener('visibilitychange', report);
  channel.onFrame((frame) => {
    if (frame.type === 'intent') emit(frame.intent);
    else if (frame.type === 'notify') show(frame.notification);
    else console.warn(`Parley web host refused a shell frame: ${frame.error.code}: ${frame.error.message}`);
  });
  report();

  return {
    onIntent(listener) {
      listeners.add(listener);
      // The host keeps intents (a link opened before the page loaded) until a page says it listens.
      if (!ready) {
        ready = true;
        channel.send({ t: 'shell', type: 'ready' });
      }
      return () => void listeners.delete(listener);
    },
    setOpenConversation(id) {
      openConversationId = id;
      report();
    },
    platform: 'other',
    canOpenFiles: false,
    openFile: cannotOpenFiles,
    notifications: {
      permission: () => (supported() ? Notification.permission : 'unsupported'),
      request: async () => (supported() ? Notification.requestPermission() : 'unsupported'),
    },
  };
}
