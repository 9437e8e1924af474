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
}
