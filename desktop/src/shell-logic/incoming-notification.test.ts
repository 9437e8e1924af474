// The shared decision with plain data in (settings, conversations, contacts as the core
// returns them); the privacy levels themselves are pinned in core/notification-policy.test.ts.
import type { Contact, Conversation, Message, Settings } from '@parley/common/api/index';
import { describe, expect, it } from 'vitest';
import { IncomingNotifications, type IncomingNotificationContext } from './incoming-notification.ts';

const bobId = 'b'.repeat(32);
const carolId = 'c'.repeat(32);

function message(conversationId: string, senderUserId = bobId, text = 'lunch?'): Message {
  return {
    id: `${senderUserId}:abcdefgh`,
    conversationId,
    senderUserId,
    senderDeviceId: 'd'.repeat(16),
    outgoing: false,
    body: { kind: 'text', text },
    replyTo: null,
    sentAt: 1,
    receivedAt: 2,
    status: 'delivered',
    receipts: [],
    reactions: [],
    cursor: 'x',
  };
}

function conversation(id: string, over: Partial<Conversation> = {}): Conversation {
  return { id, kind: id.startsWith('g:') ? 'group' : 'direct', title: id, peerUserId: null, unreadCount: 1, lastMessage: null, typing: [], presence: null, pinned: false, muted: false, archived: false, hasDraft: false, updatedAt: 0, ...over };
}

const settings: Settings = { notificationPrivacy: 'name_and_message', notificationsMuted: false, readReceipts: true, lastSeen: 'everyone', typingIndicators: true, theme: 'system', relayUrl: 'http://127.0.0.1:1' };

function setup(over: Partial<IncomingNotificationContext> = {}, contacts: Contact[] = [{ userId: bobId, displayName: 'Bob', handle: null, relayUrl: '', verified: false, keyChangedAt: null, addedAt: 0 }]) {
  let contactReads = 0;
  const ctx: IncomingNotificationContext = {
    api: { listContacts: async () => (contactReads++, contacts) },
    settings: () => settings,
    conversations: () => [conversation('d:bob', { title: 'Bob', unreadCount: 2 }), conversation('g:team', { title: 'Team', unreadCount: 3 }), conversation('d:eve', { muted: true, unreadCount: 9 })],
    windowFocused: () => false,
    openConversationId: () => null,
    ...over,
  };
  return { incoming: new IncomingNotifications(ctx), contactReads: () => contactReads };
}

describe('incoming message notifications (shared by Electron and the web host)', () => {
  it('names the sender from the contacts, and the group it was written in', async () => {
    const { incoming } = setup();
    expect(await incoming.decide(message('d:bob'))).toEqual({ show: true, title: 'Bob', body: 'lunch?', conversationId: 'd:bob' });
    expect(await incoming.decide(message('g:team'))).toEqual({ show: true, title: 'Bob in Team', body: 'lunch?', conversationId: 'g:team' });
  });

  it('counts the unread messages of unmuted conversations for the count level, and hides which conversation', async () => {
    const { incoming } = setup({ settings: async () => ({ ...settings, notificationPrivacy: 'count' }) });
    expect(await incoming.decide(message('d:bob'))).toEqual({ show: true, title: 'Parley', body: '5 new messages', conversationId: null });
  });

  it('reads settings and conversations per message, so a changed privacy level or mute applies to the next one', async () => {
    let privacy: Settings['notificationPrivacy'] = 'name_and_message';
    let muted = false;
    const { incoming } = setup({ settings: () => ({ ...settings, notificationPrivacy: privacy }), conversations: async () => [conversation('d:bob', { muted })] });
    expect(await incoming.decide(message('d:bob'))).toMatchObject({ show: true, body: 'lunch?' });
    privacy = 'name';
    expect(await incoming.decide(message('d:bob'))).toMatchObject({ show: true, body: 'New message' });
    muted = true;
    expect(await incoming.decide(message('d:bob'))).toEqual({ show: false, reason: 'conversation_muted' });
  });

  it('stays quiet while the user reads that conversation in a focused window, not when the window is in the background', async () => {
    let focused = true;
    const { incoming } = setup({ windowFocused: () => focused, openConversationId: () => 'd:bob' });
    expect(await incoming.decide(message('d:bob'))).toEqual({ show: false, reason: 'already_visible' });
    expect(await incoming.decide(message('g:team'))).toMatchObject({ show: true });
    focused = false;
    expect(await incoming.decide(message('d:bob'))).toMatchObject({ show: true });
  });

  it('decides nothing for our own messages, an unknown conversation, or before there is an account (no settings)', async () => {
    expect(await setup().incoming.decide({ ...message('d:bob'), outgoing: true })).toBeNull();
    expect(await setup().incoming.decide(message('d:nobody'))).toBeNull();
    expect(await setup({ settings: () => null }).incoming.decide(message('d:bob'))).toBeNull();
  });

  it('names a sender who is not a contact by the start of the user id, and re-reads contacts only for unknown senders', async () => {
    const { incoming, contactReads } = setup();
    await incoming.decide(message('d:bob'));
    await incoming.decide(message('d:bob'));
    expect(contactReads()).toBe(1);
    expect(await incoming.decide(message('g:team', carolId))).toMatchObject({ title: `${carolId.slice(0, 8)}… in Team` });
    expect(contactReads()).toBe(2);
  });

  it('decides a burst (a catch-up) with one read of settings and conversations, each message on its own', async () => {
    let reads = 0;
    const { incoming } = setup({ settings: () => (reads++, settings) });
    const decisions = await incoming.decideAll([message('d:bob'), { ...message('d:bob'), outgoing: true }, message('g:team'), message('d:nobody')]);
    expect(reads).toBe(1);
    expect(decisions).toEqual([
      { show: true, title: 'Bob', body: 'lunch?', conversationId: 'd:bob' },
      null,
      { show: true, title: 'Bob in Team', body: 'lunch?', conversationId: 'g:team' },
      null,
    ]);
  });

  it("prefers the sender's name the core put on the message (a group member who is not a contact)", async () => {
    const { incoming, contactReads } = setup();
    expect(await incoming.decide({ ...message('g:team', carolId), senderName: 'Carol' })).toMatchObject({ title: 'Carol in Team' });
    expect(contactReads()).toBe(0);
  });
});
