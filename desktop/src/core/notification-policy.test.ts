import { describe, expect, it } from 'vitest';
import { decideNotification, type NotificationInput } from './notification-policy.ts';

const base: NotificationInput = {
  privacy: 'name_and_message',
  globalMute: false,
  conversationMuted: false,
  windowFocused: false,
  conversationFocused: false,
  outgoing: false,
  conversationId: 'd:bob',
  senderName: 'Bob',
  groupName: null,
  preview: 'Lunch at noon?',
  unreadTotal: 3,
};

describe('notification policy', () => {
  // [case, overrides, expected]
  const table: [string, Partial<NotificationInput>, ReturnType<typeof decideNotification>][] = [
    ['name and message, 1:1', {}, { show: true, title: 'Bob', body: 'Lunch at noon?', conversationId: 'd:bob' }],
    ['name and message, group', { groupName: 'Climbing', conversationId: 'g:x' }, { show: true, title: 'Bob in Climbing', body: 'Lunch at noon?', conversationId: 'g:x' }],
    ['name only hides the text', { privacy: 'name' }, { show: true, title: 'Bob', body: 'New message', conversationId: 'd:bob' }],
    ['name only, group', { privacy: 'name', groupName: 'Climbing' }, { show: true, title: 'Bob in Climbing', body: 'New message', conversationId: 'd:bob' }],
    ['count only hides name, text and conversation', { privacy: 'count' }, { show: true, title: 'Parley', body: '3 new messages', conversationId: null }],
    ['count only, singular', { privacy: 'count', unreadTotal: 1 }, { show: true, title: 'Parley', body: '1 new message', conversationId: null }],
    ['off shows nothing', { privacy: 'off' }, { show: false, reason: 'notifications_off' }],
    ['global mute shows nothing', { globalMute: true }, { show: false, reason: 'muted' }],
    ['muted conversation shows nothing', { conversationMuted: true }, { show: false, reason: 'conversation_muted' }],
    ['muted conversation, count level', { conversationMuted: true, privacy: 'count' }, { show: false, reason: 'conversation_muted' }],
    ['conversation open and window focused: nothing', { windowFocused: true, conversationFocused: true }, { show: false, reason: 'already_visible' }],
    ['conversation open but window in background: notify', { windowFocused: false, conversationFocused: true }, { show: true, title: 'Bob', body: 'Lunch at noon?', conversationId: 'd:bob' }],
    ['window focused on another conversation: notify', { windowFocused: true, conversationFocused: false }, { show: true, title: 'Bob', body: 'Lunch at noon?', conversationId: 'd:bob' }],
    ['own message from another device: nothing', { outgoing: true }, { show: false, reason: 'own_message' }],
    ['off wins over everything else', { privacy: 'off', windowFocused: true, conversationFocused: true }, { show: false, reason: 'notifications_off' }],
  ];
  for (const [name, overrides, expected] of table) {
    it(name, () => expect(decideNotification({ ...base, ...overrides })).toEqual(expected));
  }

  it('truncates a long message body', () => {
    const d = decideNotification({ ...base, preview: 'x'.repeat(500) });
    expect(d.show && d.body.length).toBe(200);
    expect(d.show && d.body.endsWith('…')).toBe(true);
  });
});
