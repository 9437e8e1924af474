// What to show, if anything, for an incoming message. Pure: the Electron shell asks this
// module and shows exactly what it returns, so the privacy levels are tested here, not
// in a window. The levels (Signal's, roughly):
//   off               nothing at all
//   count             "2 new messages" — no name, no text, no conversation
//   name              who wrote (and in which group), not what
//   name_and_message  who and what
import type { NotificationPrivacy } from '@parley/common/api/index';

export interface NotificationInput {
  privacy: NotificationPrivacy;
  /** The user muted all notifications (tray menu). */
  globalMute: boolean;
  conversationMuted: boolean;
  windowFocused: boolean;
  /** This message's conversation is the one open in the window. */
  conversationFocused: boolean;
  /** Our own message, sent from another of our devices. */
  outgoing: boolean;
  conversationId: string;
  senderName: string;
  /** Set for group conversations. */
  groupName: string | null;
  /** Message text or a description such as "📎 photo.jpg". */
  preview: string;
  /** Unread messages across all unmuted conversations, this one included. */
  unreadTotal: number;
}

export type NotificationDecision =
  | { show: false; reason: 'own_message' | 'notifications_off' | 'muted' | 'conversation_muted' | 'already_visible' }
  | {
      show: true;
      title: string;
      body: string;
      /** What a click opens; null when the privacy level hides which conversation it was. */
      conversationId: string | null;
    };

const MAX_BODY = 200;

export function decideNotification(n: NotificationInput): NotificationDecision {
  if (n.outgoing) return { show: false, reason: 'own_message' };
  if (n.privacy === 'off') return { show: false, reason: 'notifications_off' };
  if (n.globalMute) return { show: false, reason: 'muted' };
  if (n.conversationMuted) return { show: false, reason: 'conversation_muted' };
  // Only when the user is actually looking at it: an open conversation behind another
  // window still notifies.
  if (n.windowFocused && n.conversationFocused) return { show: false, reason: 'already_visible' };

  if (n.privacy === 'count') {
    const count = Math.max(1, n.unreadTotal);
    return { show: true, title: 'Parley', body: count === 1 ? '1 new message' : `${count} new messages`, conversationId: null };
  }
  const title = n.groupName ? `${n.senderName} in ${n.groupName}` : n.senderName;
  if (n.privacy === 'name') return { show: true, title, body: 'New message', conversationId: n.conversationId };
  const body = n.preview.length > MAX_BODY ? `${n.preview.slice(0, MAX_BODY - 1)}…` : n.preview;
  return { show: true, title, body, conversationId: n.conversationId };
}
