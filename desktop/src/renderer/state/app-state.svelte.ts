// The renderer's view of the messenger: account, settings, connection and the
// conversation list, kept current from the core's event stream. Components read these
// runes and call `api` for actions; nothing here talks to anything but MessengerApi.
import type {
  Account,
  ConnectionStatus,
  Contact,
  Conversation,
  ConversationId,
  MessengerApi,
  MessengerEvent,
  SearchHit,
  Settings,
  ShellIntent,
  Theme,
} from '@parley/common/api/index';
import type { RendererShell } from '../shell.ts';

export type Toast = { id: number; text: string };

export class AppState {
  account = $state<Account | null>(null);
  settings = $state<Settings | null>(null);
  connection = $state<ConnectionStatus>({ state: 'connecting', nextAttemptAt: null, lastError: null, pendingCount: 0 });
  conversations = $state<Conversation[]>([]);
  contacts = $state<Contact[]>([]);
  selectedId = $state<ConversationId | null>(null);
  /** The transport to the core is gone (web host stopped): everything is read-only. */
  hostLost = $state(false);
  toasts = $state<Toast[]>([]);
  /** Set when the core reports a contact's key change, per conversation. */
  keyChanged = $state<Record<ConversationId, number>>({});
  /** A search hit to show: its conversation opens scrolled to it (ConversationView takes it). */
  jumpTo = $state<{ conversationId: ConversationId; messageId: string; cursor: string } | null>(null);
  /** The shell around the UI (Electron's or the web host's); set at boot. */
  shell: RendererShell | null = null;
  /** Shell intents not acted on yet: they wait (e.g. through onboarding) until the main layout takes them. */
  intents = $state<ShellIntent[]>([]);

  readonly selected = $derived(this.conversations.find((c) => c.id === this.selectedId) ?? null);
  readonly totalUnread = $derived(this.conversations.reduce((n, c) => n + (c.muted ? 0 : c.unreadCount), 0));

  private eventListeners = new Set<(e: MessengerEvent) => void>();
  private toastSeq = 0;

  constructor(readonly api: MessengerApi) {}

  async load(): Promise<void> {
    this.api.subscribe((e) => this.onEvent(e));
    const [account, settings, connection] = await Promise.all([this.api.getAccount({}), this.api.getSettings({}), this.api.getConnectionStatus({})]);
    this.account = account;
    this.settings = settings;
    this.connection = connection;
    if (account) await this.refreshConversations();
  }

  async refreshConversations(): Promise<void> {
    const [conversations, contacts] = await Promise.all([this.api.listConversations({ includeArchived: true }), this.api.listContacts({})]);
    this.conversations = sortConversations(conversations);
    this.contacts = contacts;
  }

  /** A user's name as this user knows them ("You" for ourselves). */
  nameOf(userId: string): string {
    if (userId === this.account?.userId) return 'You';
    return this.contacts.find((c) => c.userId === userId)?.displayName ?? `${userId.slice(0, 8)}…`;
  }

  /** Opens a search hit's conversation at the message, however far back it is. */
  openAt(hit: SearchHit): void {
    this.jumpTo = { conversationId: hit.conversationId, messageId: hit.messageId, cursor: hit.cursor };
    this.selectedId = hit.conversationId;
  }

  /** Other parts (the open conversation's timeline) listen to the same stream. */
  listen(listener: (e: MessengerEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  receiveIntent(intent: ShellIntent): void {
    this.intents = [...this.intents, intent];
  }

  takeIntents(): ShellIntent[] {
    const taken = this.intents;
    if (taken.length) this.intents = [];
    return taken;
  }

  toast(text: string): void {
    const id = ++this.toastSeq;
    this.toasts = [...this.toasts, { id, text }];
    setTimeout(() => (this.toasts = this.toasts.filter((t) => t.id !== id)), 5000);
  }

  /** Runs an action and turns its ApiError into a toast the user can read. */
  async attempt<T>(action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (err) {
      this.toast((err as Error).message ?? String(err));
      return undefined;
    }
  }

  async updateSettings(patch: Partial<Settings>): Promise<void> {
    const s = await this.attempt(() => this.api.updateSettings(patch));
    if (s) this.settings = s;
  }

  private upsert(c: Conversation): void {
    const rest = this.conversations.filter((x) => x.id !== c.id);
    this.conversations = sortConversations([...rest, c]);
  }

  private onEvent(e: MessengerEvent): void {
    switch (e.type) {
      case 'conversation.updated':
        this.upsert(e.conversation);
        break;
      case 'conversation.removed':
        this.conversations = this.conversations.filter((c) => c.id !== e.conversationId);
        if (this.selectedId === e.conversationId) this.selectedId = null;
        break;
      case 'typing':
        this.conversations = this.conversations.map((c) =>
          c.id !== e.conversationId ? c : { ...c, typing: e.typing ? [...new Set([...c.typing, e.userId])] : c.typing.filter((u) => u !== e.userId) },
        );
        break;
      case 'presence':
        this.conversations = this.conversations.map((c) => (c.peerUserId === e.presence.userId ? { ...c, presence: e.presence } : c));
        break;
      case 'connection':
        this.connection = e.status;
        break;
      case 'key.changed':
        for (const id of e.conversationIds) this.keyChanged = { ...this.keyChanged, [id]: e.at };
        break;
      case 'message.status':
        this.conversations = this.conversations.map((c) =>
          c.lastMessage?.id === e.messageId ? { ...c, lastMessage: { ...c.lastMessage, status: e.status } } : c,
        );
        break;
    }
    for (const l of this.eventListeners) l(e);
  }
}

/** Pinned first, then the most recent activity. */
export function sortConversations(list: Conversation[]): Conversation[] {
  return [...list].sort((a, b) => Number(b.pinned) - Number(a.pinned) || activity(b) - activity(a));
}

function activity(c: Conversation): number {
  return Math.max(c.updatedAt, c.lastMessage?.sentAt ?? 0);
}

/** Applies the theme setting to the document (CSS variables switch on data-theme). */
export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}
