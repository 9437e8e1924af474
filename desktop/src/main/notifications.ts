// Native notifications for incoming messages, exactly as the core's notification policy
// decides (shell-logic/notification-view.ts adapts it); a click brings the window up and
// opens that conversation. Notifications are kept referenced until closed, or Electron
// may collect them and their click handler with them.
import { Notification } from 'electron';
import type { Conversation, Message, MessengerApi, Settings } from '@parley/common/api/index';
import { decideNotification } from '../core/notification-policy.ts';
import { notificationInput, notificationView } from '../shell-logic/notification-view.ts';
import type { ShellPlatform } from '../shell-logic/tray-state.ts';

export interface NotifierContext {
  api: MessengerApi;
  platform: ShellPlatform;
  iconPath?: string;
  settings(): Settings | null;
  conversations(): Conversation[];
  unreadTotal(): number;
  windowFocused(): boolean;
  openConversationId(): string | null;
  onClick(conversationId: string | null): void;
}

export class Notifier {
  private readonly live = new Set<Notification>();
  private names = new Map<string, string>();

  constructor(private readonly ctx: NotifierContext) {}

  async messageAdded(message: Message): Promise<void> {
    if (message.outgoing || !Notification.isSupported()) return;
    const settings = this.ctx.settings();
    const conversation = this.ctx.conversations().find((c) => c.id === message.conversationId);
    if (!settings || !conversation) return;
    const decision = decideNotification(
      notificationInput({
        message,
        conversation,
        senderName: message.senderName ?? (await this.senderName(message.senderUserId)),
        settings,
        windowFocused: this.ctx.windowFocused(),
        openConversationId: this.ctx.openConversationId(),
        unreadTotal: this.ctx.unreadTotal(),
      }),
    );
    const view = notificationView(decision, this.ctx.platform, this.ctx.iconPath);
    if (!view) return;
    const n = new Notification(view.options);
    this.live.add(n);
    n.on('click', () => this.ctx.onClick(view.onClick.conversationId));
    n.on('close', () => this.live.delete(n));
    n.show();
  }

  private async senderName(userId: string): Promise<string> {
    if (!this.names.has(userId)) {
      const contacts = await this.ctx.api.listContacts({}).catch(() => []);
      this.names = new Map(contacts.map((c) => [c.userId, c.displayName]));
    }
    return this.names.get(userId) ?? `${userId.slice(0, 8)}…`;
  }
}
