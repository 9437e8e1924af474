// Native notifications for incoming messages, exactly as the core's notification policy
// decides (shell-logic/incoming-notification.ts gathers its input and asks it; the web
// host shares that part); a click brings the window up and opens that conversation.
// Notifications are kept referenced until closed, or Electron may collect them and their
// click handler with them.
import { Notification } from 'electron';
import type { Message } from '@parley/common/api/index';
import { IncomingNotifications, type IncomingNotificationContext } from '../shell-logic/incoming-notification.ts';
import { notificationView } from '../shell-logic/notification-view.ts';
import type { ShellPlatform } from '../shell-logic/tray-state.ts';

export interface NotifierContext extends IncomingNotificationContext {
  platform: ShellPlatform;
  iconPath?: string;
  onClick(conversationId: string | null): void;
}

export class Notifier {
  private readonly live = new Set<Notification>();
  private readonly incoming: IncomingNotifications;

  constructor(private readonly ctx: NotifierContext) {
    this.incoming = new IncomingNotifications(ctx);
  }

  async messageAdded(message: Message): Promise<void> {
    if (message.outgoing || !Notification.isSupported()) return;
    const decision = await this.incoming.decide(message);
    const view = decision && notificationView(decision, this.ctx.platform, this.ctx.iconPath);
    if (!view) return;
    const n = new Notification(view.options);
    this.live.add(n);
    n.on('click', () => this.ctx.onClick(view.onClick.conversationId));
    n.on('close', () => this.live.delete(n));
    n.show();
  }
}
