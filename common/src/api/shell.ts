// What the desktop shell (Electron main) asks of the UI beyond MessengerApi, and what it
// needs to know from it. Exposed as `window.parleyShell` next to `window.parley`, which
// stays exactly MessengerApi. The web host has no shell and leaves it undefined.

/** Something outside the window asked the UI to show a screen. */
export type ShellIntent =
  /** A `parley://add?...` link was opened: show the add-contact flow pre-filled. The link is already checked and canonical. */
  | { type: 'add-contact'; link: string; name: string | null }
  /** A notification was clicked: open this conversation. */
  | { type: 'open-conversation'; conversationId: string }
  /** A deep link was refused: show this sentence. */
  | { type: 'link-refused'; message: string };

export interface ParleyShell {
  /** Subscribes to intents; returns the unsubscribe function. */
  onIntent(listener: (intent: ShellIntent) => void): () => void;
  /** Tells the shell which conversation is on screen (null: none), so it does not notify about what the user is reading. */
  setOpenConversation(conversationId: string | null): void;
  readonly platform: 'darwin' | 'win32' | 'linux' | 'other';
  /** Whether this shell opens downloaded files in the system's app (Electron; a browser cannot). */
  readonly canOpenFiles: boolean;
  /**
   * Opens a downloaded attachment in the system's app. Refused with
   * attachment_not_downloaded before a download, file_refused for programs and scripts
   * (shell-logic/open-file.ts), not_implemented where canOpenFiles is false.
   */
  openFile(messageId: string): Promise<void>;
}

// ---- The web host's stand-in for the shell. A browser has no preload, so the page and
// the web host exchange these frames on the API WebSocket, beside the ApiWireFrames
// (every shell frame carries `t: 'shell'`). The host validates each frame from the page.

/** A notification the web host decided on (with the core's policy); the page shows it with the Web Notifications API. */
export interface ShellNotification {
  title: string;
  body: string;
  /** Notifications with the same tag replace each other (one per conversation; one for the count). */
  tag: string;
  /** What a click opens; null when the privacy level hides which conversation it was. */
  conversationId: string | null;
}

/** Page → host. */
export type ShellPageFrame =
  /** The page listens for intents now: the host hands it those it kept (a link opened before the page connected). */
  | { t: 'shell'; type: 'ready' }
  /** What the user can see: the open conversation (null: none) and whether the page is focused and visible. */
  | { t: 'shell'; type: 'state'; openConversationId: string | null; focused: boolean };

/** Host → page. */
export type ShellHostFrame =
  | { t: 'shell'; type: 'intent'; intent: ShellIntent }
  | { t: 'shell'; type: 'notify'; notification: ShellNotification }
  /** A shell frame from the page was refused; the connection stays up. */
  | { t: 'shell'; type: 'error'; error: { code: string; message: string } };
