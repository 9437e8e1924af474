// The notification decision for one incoming message, shared by both shells: Electron's
// main process (main/notifications.ts shows it as a native notification) and the web host
// (web-host/shell-host.ts sends it to the page, which shows it with the Web Notifications
// API). It gathers what the core's policy needs (settings, the conversation, the sender's
// name, unread total, what the user is looking at) and asks the policy; the privacy
// levels are decided only in core/notification-policy.ts.
import type { Conversation, Message, MessengerApi, Settings } from '@parley/common/api/index';
import { decideNotification, type NotificationDecision } from '../core/notification-policy.ts';
import { notificationInput } from './notification-view.ts';
import { unreadTotal } from './tray-state.ts';

type MaybePromise<T> = T | Promise<T>;

export interface IncomingNotificationContext {
  api: Pick<MessengerApi, 'listContacts'>;
  /** Current settings (Electron keeps a copy; the web host reads them from the core). */
  settings(): MaybePromise<Settings | null>;
  /** All conversations, archived included: the message's own and the unread total come from them. */
  conversations(): MaybePromise<Conversation[]>;
  /** Read after the lookups above, so the decision uses the latest report. */
  windowFocused(): boolean;
  /** The conversation on screen, as the UI reported it. */
  openConversationId(): string | null;
}

export class IncomingNotifications {
  private names = new Map<string, string>();

  constructor(private readonly ctx: IncomingNotificationContext) {}

  /** The policy's decision, or null when there is nothing to decide (our own message, no account yet, an unknown conversation). */
  async decide(message: Message): Promise<NotificationDecision | null> {
    return (await this.decideAll([message]))[0]!;
  }

  /**
   * The decisions for messages that arrived together (a catch-up after reconnecting
   * delivers hundreds), reading settings and conversations once for all of them.
   */
  async decideAll(messages: readonly Message[]): Promise<(NotificationDecision | null)[]> {
    if (messages.every((m) => m.outgoing)) return messages.map(() => null);
    const [settings, conversations] = await Promise.all([this.ctx.settings(), this.ctx.conversations()]);
    const decisions: (NotificationDecision | null)[] = [];
    for (const message of messages) {
      const conversation = conversations.find((c) => c.id === message.conversationId);
      if (message.outgoing || !settings || !conversation) {
        decisions.push(null);
        continue;
      }
      // The core names the sender on the message (contact name, else a group member's own name); older rows may lack it.
      const senderName = message.senderName ?? (await this.senderName(message.senderUserId));
      decisions.push(
        decideNotification(
          notificationInput({
            message,
            conversation,
            senderName,
            settings,
            windowFocused: this.ctx.windowFocused(),
            openConversationId: this.ctx.openConversationId(),
            unreadTotal: unreadTotal(conversations),
          }),
        ),
      );
    }
    return decisions;
  }

  private async senderName(userId: string): Promise<string> {
    if (!this.names.has(userId)) {
      const contacts = await this.ctx.api.listContacts({}).catch(() => []);
      this.names = new Map(contacts.map((c) => [c.userId, c.displayName]));
    }
    return this.names.get(userId) ?? `${userId.slice(0, 8)}…`;
  }
}
