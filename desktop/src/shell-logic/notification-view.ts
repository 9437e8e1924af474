// Turns an incoming message into the core's notification-policy input, and the policy's
// decision into the options of an Electron Notification plus what a click opens. The
// policy (desktop/src/core/notification-policy.ts) decides WHETHER and WHAT; this module
// only adapts, so the privacy levels are never re-decided in the shell.
import type { Conversation, Message, Settings, ShellNotification } from '@parley/common/api/index';
import type { NotificationDecision, NotificationInput } from '../core/notification-policy.ts';
import type { ShellPlatform } from './tray-state.ts';

export interface IncomingContext {
  message: Message;
  conversation: Pick<Conversation, 'id' | 'kind' | 'title' | 'muted'>;
  /** Display name of the sender (contact name, or the user id when unknown). */
  senderName: string;
  settings: Pick<Settings, 'notificationPrivacy' | 'notificationsMuted'>;
  windowFocused: boolean;
  /** The conversation on screen in the window, as the UI reported it. */
  openConversationId: string | null;
  unreadTotal: number;
}

export function notificationInput(c: IncomingContext): NotificationInput {
  const body = c.message.body;
  const preview = body.kind === 'attachment' ? (body.text ? `📎 ${body.attachment.name}: ${body.text}` : `📎 ${body.attachment.name}`) : body.text;
  return {
    privacy: c.settings.notificationPrivacy,
    globalMute: c.settings.notificationsMuted,
    conversationMuted: c.conversation.muted,
    windowFocused: c.windowFocused,
    conversationFocused: c.openConversationId === c.conversation.id,
    // System messages (member joined, key changed) are shown in the conversation, not notified.
    outgoing: c.message.outgoing || body.kind === 'system',
    conversationId: c.conversation.id,
    senderName: c.senderName,
    groupName: c.conversation.kind === 'group' ? c.conversation.title : null,
    preview,
    unreadTotal: c.unreadTotal,
  };
}

/** Structurally Electron's NotificationConstructorOptions (the subset used), so this file needs no Electron. */
export interface NotificationOptions {
  title: string;
  body: string;
  silent: boolean;
  icon?: string;
  timeoutType?: 'default' | 'never';
  urgency?: 'normal' | 'critical' | 'low';
}

export interface NotificationView {
  options: NotificationOptions;
  /** What a click opens: the conversation, or just the window when the privacy level hides which one. */
  onClick: { conversationId: string | null };
}

/** Linux notification servers read a subset of HTML in the body: a message must not inject markup or links. */
function escapeMarkup(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function notificationView(decision: NotificationDecision, platform: ShellPlatform, iconPath?: string): NotificationView | null {
  if (!decision.show) return null;
  const body = platform === 'linux' ? escapeMarkup(decision.body) : decision.body;
  const options: NotificationOptions = { title: decision.title, body, silent: false };
  // macOS and Windows use the app's own icon; Linux needs a path.
  if (platform === 'linux' && iconPath) options.icon = iconPath;
  if (platform === 'linux') options.urgency = 'normal';
  return { options, onClick: { conversationId: decision.conversationId } };
}

/**
 * The same decision for the web host's page (Web Notifications API): plain text, no
 * markup to escape (the browser shows the body as text). The tag makes a conversation's
 * newer message replace its older notification, and keeps one "N new messages".
 */
export function webNotification(decision: NotificationDecision): ShellNotification | null {
  if (!decision.show) return null;
  const tag = decision.conversationId ? `parley:${decision.conversationId}` : 'parley:count';
  return { title: decision.title, body: decision.body, tag, conversationId: decision.conversationId };
}
