import type { Message } from '@parley/common/api/index';
import { describe, expect, it } from 'vitest';
import { decideNotification } from '../core/notification-policy.ts';
import { notificationInput, notificationView, webNotification, type IncomingContext } from './notification-view.ts';

const message: Message = {
  id: `${'b'.repeat(32)}:abcdefgh`,
  conversationId: 'g:team',
  senderUserId: 'b'.repeat(32),
  senderDeviceId: 'c'.repeat(16),
  outgoing: false,
  body: { kind: 'text', text: 'Ship it <b>now</b> & then' },
  replyTo: null,
  sentAt: 1,
  receivedAt: 2,
  status: 'delivered',
  receipts: [],
  reactions: [],
  cursor: 'x',
};

const ctx: IncomingContext = {
  message,
  conversation: { id: 'g:team', kind: 'group', title: 'Team', muted: false },
  senderName: 'Bob',
  settings: { notificationPrivacy: 'name_and_message', notificationsMuted: false },
  windowFocused: false,
  openConversationId: null,
  unreadTotal: 2,
};

const show = (c: IncomingContext, platform: 'darwin' | 'win32' | 'linux' = 'darwin') => notificationView(decideNotification(notificationInput(c)), platform, '/icons/parley.png');

describe('notification view', () => {
  it('shows who, where and what, and a click opens that conversation', () => {
    expect(show(ctx)).toEqual({ options: { title: 'Bob in Team', body: 'Ship it <b>now</b> & then', silent: false }, onClick: { conversationId: 'g:team' } });
  });

  it('escapes markup on Linux, where notification servers interpret it, and passes an icon path', () => {
    expect(show(ctx, 'linux')?.options).toEqual({ title: 'Bob in Team', body: 'Ship it &lt;b&gt;now&lt;/b&gt; &amp; then', silent: false, icon: '/icons/parley.png', urgency: 'normal' });
  });

  it('honours each privacy level', () => {
    expect(show({ ...ctx, settings: { ...ctx.settings, notificationPrivacy: 'off' } })).toBeNull();
    expect(show({ ...ctx, settings: { ...ctx.settings, notificationPrivacy: 'count' } })).toEqual({
      options: { title: 'Parley', body: '2 new messages', silent: false },
      onClick: { conversationId: null },
    });
    expect(show({ ...ctx, settings: { ...ctx.settings, notificationPrivacy: 'name' } })?.options.body).toBe('New message');
  });

  it('stays quiet when muted, for own messages, system messages, and the conversation being read', () => {
    expect(show({ ...ctx, settings: { ...ctx.settings, notificationsMuted: true } })).toBeNull();
    expect(show({ ...ctx, conversation: { ...ctx.conversation, muted: true } })).toBeNull();
    expect(show({ ...ctx, message: { ...message, outgoing: true } })).toBeNull();
    expect(show({ ...ctx, message: { ...message, body: { kind: 'system', text: 'Eve joined', event: 'join' } } })).toBeNull();
    expect(show({ ...ctx, windowFocused: true, openConversationId: 'g:team' })).toBeNull();
    // Open but the window is in the background: still notifies.
    expect(show({ ...ctx, openConversationId: 'g:team' })).not.toBeNull();
  });

  it('describes attachments, and names 1:1 chats by the sender only', () => {
    const att: Message = {
      ...message,
      conversationId: 'd:bob',
      body: { kind: 'attachment', text: '', attachment: { id: 'a', name: 'photo.jpg', mime: 'image/jpeg', size: 1, thumbnail: null, width: null, height: null, state: 'remote' } },
    };
    expect(show({ ...ctx, message: att, conversation: { id: 'd:bob', kind: 'direct', title: 'Bob', muted: false } })).toEqual({
      options: { title: 'Bob', body: '📎 photo.jpg', silent: false },
      onClick: { conversationId: 'd:bob' },
    });
  });

  it('gives the web page plain text (no escaping), tagged per conversation, and one tag for the count', () => {
    const web = (c: IncomingContext) => webNotification(decideNotification(notificationInput(c)));
    expect(web(ctx)).toEqual({ title: 'Bob in Team', body: 'Ship it <b>now</b> & then', tag: 'parley:g:team', conversationId: 'g:team' });
    expect(web({ ...ctx, settings: { ...ctx.settings, notificationPrivacy: 'count' } })).toEqual({ title: 'Parley', body: '2 new messages', tag: 'parley:count', conversationId: null });
    expect(web({ ...ctx, settings: { ...ctx.settings, notificationPrivacy: 'off' } })).toBeNull();
  });
});
