// The web host's stand-in for the Electron shell (main.ts + notifications.ts): what the
// Electron main process does for its window, this does for the browser pages connected
// to the host. Pages report what the user can see (the open conversation; focused and
// visible or not); for each incoming message the host asks the SAME shared decision
// (shell-logic/incoming-notification.ts → core/notification-policy.ts) and sends the
// result to one page, which shows it with the Web Notifications API (a burst is decided
// as one batch). parley:// links
// given to the host (`openLink`, e.g. from `npm start -- parley://add?…`) go through the
// same deep-link parser as Electron's and reach the page as intents; a link opened before
// any page listens is kept until one does (intent-gate.ts).
import type { Message, MessengerApi, ShellHostFrame, ShellIntent, ShellNotification } from '@parley/common/api/index';
import { DeepLinkError, parseDeepLink } from '../shell-logic/deep-link.ts';
import { IncomingNotifications } from '../shell-logic/incoming-notification.ts';
import { IntentGate } from '../shell-logic/intent-gate.ts';
import { webNotification } from '../shell-logic/notification-view.ts';
import { parseShellFrame } from './shell-frames.ts';

/** One connected page, as the host writes to it. */
export interface ShellPage {
  send(frame: ShellHostFrame): void;
}

interface PageState {
  ready: boolean;
  focused: boolean;
  openConversationId: string | null;
  /** Orders pages by their last report: the latest one is where the user is. */
  activeAt: number;
}

export class WebShellHost {
  private readonly pages = new Map<ShellPage, PageState>();
  private readonly intents = new IntentGate<ShellIntent>();
  private readonly incoming: IncomingNotifications;
  private readonly unsubscribe: () => void;
  /** Incoming messages waiting for a decision; decided in arrival order, one batch at a time. */
  private queue: Message[] = [];
  private draining = false;
  private tick = 0;

  constructor(api: MessengerApi, private readonly log: (msg: string) => void = () => undefined) {
    this.incoming = new IncomingNotifications({
      api,
      settings: () => api.getSettings({}).catch(() => null),
      conversations: () => api.listConversations({ includeArchived: true }).catch(() => []),
      windowFocused: () => this.focusedPage() !== undefined,
      openConversationId: () => this.focusedPage()?.openConversationId ?? null,
    });
    this.unsubscribe = api.subscribe((e) => {
      if (e.type === 'message.added' && !e.message.outgoing) {
        this.queue.push(e.message);
        void this.drain();
      }
    });
  }

  /** A page connected; returns what to call when it goes. */
  attach(page: ShellPage): () => void {
    this.pages.set(page, { ready: false, focused: false, openConversationId: null, activeAt: ++this.tick });
    return () => {
      this.pages.delete(page);
      if (![...this.pages.values()].some((p) => p.ready)) this.intents.close();
    };
  }

  /** A decoded frame with `t: 'shell'` from a page: validated, then applied; a bad one is answered with an error frame. */
  receive(page: ShellPage, raw: unknown): void {
    const state = this.pages.get(page);
    if (!state) return;
    const parsed = parseShellFrame(raw);
    if (!parsed.ok) return page.send(parsed.error);
    const frame = parsed.frame;
    state.activeAt = ++this.tick;
    if (frame.type === 'state') {
      state.focused = frame.focused;
      state.openConversationId = frame.openConversationId;
    } else if (!state.ready) {
      state.ready = true;
      // Delivery goes to whichever page is the user's at that moment, not the one that opened the gate.
      if (!this.intents.isOpen) this.intents.open((intent) => this.target((p) => p.ready)?.send({ t: 'shell', type: 'intent', intent }));
    }
  }

  /** Opens a parley:// link as the Electron shell does: an add-contact intent, or a refusal the page shows. */
  openLink(raw: string): ShellIntent {
    let intent: ShellIntent;
    try {
      const link = parseDeepLink(raw);
      intent = { type: 'add-contact', link: link.link, name: link.invite.name };
    } catch (err) {
      this.log(`deep link refused: ${err instanceof DeepLinkError ? err.code : 'error'}`);
      intent = { type: 'link-refused', message: err instanceof DeepLinkError ? err.message : 'That link could not be opened.' };
    }
    this.intents.push(intent);
    return intent;
  }

  /** What the host knows of the user's attention, as the notification decision reads it. */
  state(): { windowFocused: boolean; openConversationId: string | null; pages: number } {
    const focused = this.focusedPage();
    return { windowFocused: focused !== undefined, openConversationId: focused?.openConversationId ?? null, pages: this.pages.size };
  }

  close(): void {
    this.unsubscribe();
    this.intents.close();
  }

  /**
   * Decides what arrived while the previous batch was being decided, all at once (a
   * catch-up after reconnecting is hundreds of messages), and sends only the newest
   * notification per tag: the page would replace the older ones with it at once anyway.
   */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0);
        try {
          const newest = new Map<string, ShellNotification>();
          for (const decision of await this.incoming.decideAll(batch)) {
            const n = decision && webNotification(decision);
            if (n) newest.delete(n.tag), newest.set(n.tag, n);
          }
          const page = this.target();
          for (const notification of newest.values()) page?.send({ t: 'shell', type: 'notify', notification });
        } catch (err) {
          this.log(`notification failed: ${(err as Error)?.message ?? String(err)}`);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private focusedPage(): PageState | undefined {
    let best: PageState | undefined;
    for (const p of this.pages.values()) if (p.focused && (!best || p.activeAt > best.activeAt)) best = p;
    return best;
  }

  /** The page the user is most likely at: a focused one, else the one that reported last. */
  private target(filter: (p: PageState) => boolean = () => true): ShellPage | undefined {
    let best: [ShellPage, PageState] | undefined;
    for (const entry of this.pages) {
      const [, p] = entry;
      if (!filter(p)) continue;
      if (!best || Number(p.focused) - Number(best[1].focused) > 0 || (p.focused === best[1].focused && p.activeAt > best[1].activeAt)) best = entry;
    }
    return best?.[0];
  }
}
