import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/database.ts';
import { messageIdOf } from '../ids.ts';
import { tempProfile } from '../testing/temp-profile.ts';
import { ConversationStore } from './conversation-store.ts';
import { MessageStore } from './message-store.ts';

const ME = 'a'.repeat(32);
const BOB = 'b'.repeat(32);
const CAROL = 'c'.repeat(32);
const conv = `d:${BOB}`;

let profile: ReturnType<typeof tempProfile>;
let db: Db;
let now: number;
let messages: MessageStore;
let conversations: ConversationStore;

beforeEach(() => {
  profile = tempProfile();
  db = openDatabase(profile.dir);
  now = 1_000_000;
  messages = new MessageStore(db, () => now);
  conversations = new ConversationStore(db, () => now);
  conversations.ensureDirect(BOB, 'Bob');
});
afterEach(() => {
  db.close();
  profile.cleanup();
});

const text = (t: string) => ({ kind: 'text' as const, text: t });
const incoming = (cmid: string, clock: number, t = cmid, sender = BOB) =>
  messages.insertIncoming({ conversationId: conv, senderUserId: sender, senderDeviceId: 'bobdevice0000000', clientMsgId: cmid, senderClock: clock, body: text(t) });

describe('message order and paging', () => {
  it('orders by sender clock, not arrival order', () => {
    incoming('msg-third', 300);
    incoming('msg-first', 100);
    incoming('msg-second', 200);
    expect(messages.page(conv).messages.map((m) => m.body.text)).toEqual(['msg-first', 'msg-second', 'msg-third']);
  });

  it('breaks clock ties by sender then client message id, identically on every device', () => {
    const a = tempProfile();
    const other = openDatabase(a.dir);
    try {
      const otherStore = new MessageStore(other);
      new ConversationStore(other).ensureDirect(BOB, 'Bob');
      const arrivals = [
        { sender: CAROL, cmid: 'tie-zzzz' },
        { sender: BOB, cmid: 'tie-bbbb' },
        { sender: BOB, cmid: 'tie-aaaa' },
      ];
      for (const x of arrivals) incoming(x.cmid, 500, x.cmid, x.sender);
      for (const x of [...arrivals].reverse())
        otherStore.insertIncoming({ conversationId: conv, senderUserId: x.sender, senderDeviceId: 'd', clientMsgId: x.cmid, senderClock: 500, body: text(x.cmid) });
      const here = messages.page(conv).messages.map((m) => m.id);
      expect(here).toEqual([messageIdOf(BOB, 'tie-aaaa'), messageIdOf(BOB, 'tie-bbbb'), messageIdOf(CAROL, 'tie-zzzz')]);
      expect(otherStore.page(conv).messages.map((m) => m.id)).toEqual(here);
    } finally {
      other.close();
      a.cleanup();
    }
  });

  it('pages backwards and forwards from a cursor without gaps or overlaps', () => {
    for (let i = 0; i < 25; i++) incoming(`msg-${String(i).padStart(4, '0')}`, 1000 + i, `m${i}`);
    const newest = messages.page(conv, { limit: 10 });
    expect(newest.messages.map((m) => m.body.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${15 + i}`));
    expect(newest.hasMore).toBe(true);

    const older = messages.page(conv, { before: newest.messages[0].cursor, limit: 10 });
    expect(older.messages.map((m) => m.body.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${5 + i}`));
    const oldest = messages.page(conv, { before: older.messages[0].cursor, limit: 10 });
    expect(oldest.messages.map((m) => m.body.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(oldest.hasMore).toBe(false);

    const forward = messages.page(conv, { after: oldest.messages[4].cursor, limit: 10 });
    expect(forward.messages.map((m) => m.body.text)).toEqual(older.messages.map((m) => m.body.text));
    expect(forward.hasMore).toBe(true);
    const end = messages.page(conv, { after: newest.messages[5].cursor, limit: 10 });
    expect(end.messages.map((m) => m.body.text)).toEqual(['m21', 'm22', 'm23', 'm24']);
    expect(end.hasMore).toBe(false);
  });

  it('rejects a malformed cursor with a clear error', () => {
    expect(() => messages.page(conv, { before: 'not-a-cursor' })).toThrow(/cursor is not valid/);
  });

  it('gives an outgoing message a clock after everything already in the conversation', () => {
    incoming('from-the-future', now + 60_000);
    const mine = messages.insertOutgoing({ conversationId: conv, senderUserId: ME, senderDeviceId: 'mydevice00000000', clientMsgId: 'mine-0001', body: text('hi'), recipients: [BOB] });
    expect(mine.sentAt).toBe(now + 60_001);
    expect(mine.status).toBe('pending');
    expect(messages.page(conv).messages.at(-1)?.id).toBe(mine.id);
  });
});

describe('incoming dedup', () => {
  it('stores the same sender + client message id once', () => {
    expect(incoming('dup-00001', 100, 'first copy').inserted).toBe(true);
    const again = incoming('dup-00001', 100, 'second copy');
    expect(again.inserted).toBe(false);
    expect(again.message.body.text).toBe('first copy');
    expect(messages.page(conv).messages).toHaveLength(1);
  });

  it('treats the same client message id from different senders as different messages', () => {
    incoming('same-0001', 100, 'from bob', BOB);
    incoming('same-0001', 101, 'from carol', CAROL);
    expect(messages.page(conv).messages).toHaveLength(2);
  });

  it('dedups our own message echoed from another of our devices', () => {
    const sent = messages.insertOutgoing({ conversationId: conv, senderUserId: ME, senderDeviceId: 'mydevice00000000', clientMsgId: 'echo-0001', body: text('hi'), recipients: [BOB] });
    const echo = messages.insertIncoming({ conversationId: conv, senderUserId: ME, senderDeviceId: 'mydevice00000000', clientMsgId: 'echo-0001', senderClock: sent.sentAt, body: text('hi'), outgoing: true });
    expect(echo.inserted).toBe(false);
  });
});

describe('status, receipts and reactions', () => {
  it('moves sent → delivered → read per recipient, never backwards, and the group status is the least advanced', () => {
    const gid = 'g:group-one';
    conversations.ensureGroup(gid, 'Team');
    const m = messages.insertOutgoing({ conversationId: gid, senderUserId: ME, senderDeviceId: 'dev', clientMsgId: 'grp-0001', body: text('hi all'), recipients: [BOB, CAROL] });
    expect(messages.setStatus(m.id, 'sent').status).toBe('sent');
    expect(messages.recordReceipt(m.id, BOB, 'read', 5).status).toBe('sent');
    expect(messages.recordReceipt(m.id, CAROL, 'delivered', 6).status).toBe('delivered');
    expect(messages.recordReceipt(m.id, BOB, 'delivered', 7).receipts.find((r) => r.userId === BOB)?.state).toBe('read');
    const done = messages.recordReceipt(m.id, CAROL, 'read', 8);
    expect(done.status).toBe('read');
    expect(done.receipts).toEqual([
      { userId: BOB, state: 'read', at: 5 },
      { userId: CAROL, state: 'read', at: 8 },
    ]);
  });

  it('a late relay ack does not downgrade a message already delivered', () => {
    const m = messages.insertOutgoing({ conversationId: conv, senderUserId: ME, senderDeviceId: 'dev', clientMsgId: 'late-ack-01', body: text('hi'), recipients: [BOB] });
    messages.setStatus(m.id, 'sent');
    messages.recordReceipt(m.id, BOB, 'delivered', 5);
    expect(messages.setStatus(m.id, 'sent').status).toBe('delivered');
  });

  it('keeps one reaction per user, replaceable and removable', () => {
    const { message } = incoming('react-0001', 100);
    messages.react(message.id, ME, '👍', 1);
    messages.react(message.id, CAROL, '👍', 2);
    expect(messages.react(message.id, ME, '❤️', 3).reactions).toEqual([
      { emoji: '👍', userIds: [CAROL] },
      { emoji: '❤️', userIds: [ME] },
    ]);
    expect(messages.react(message.id, ME, null, 4).reactions).toEqual([{ emoji: '👍', userIds: [CAROL] }]);
  });
});

describe('conversation list', () => {
  it('counts unread incoming messages above the read clock and shows the last message', () => {
    incoming('unread-01', 100, 'one');
    incoming('unread-02', 200, 'two');
    incoming('unread-03', 300, 'three');
    let [c] = conversations.list();
    expect(c.unreadCount).toBe(3);
    expect(c.lastMessage?.text).toBe('three');
    conversations.raiseReadClock(conv, 200);
    conversations.raiseReadClock(conv, 100); // a late read from another device never lowers it
    [c] = conversations.list();
    expect(c.unreadCount).toBe(1);
  });

  it('lists pinned first and hides archived unless asked', () => {
    conversations.ensureDirect(CAROL, 'Carol');
    incoming('late-0001', 900, 'newest', BOB);
    conversations.setFlags(`d:${CAROL}`, { pinned: true });
    expect(conversations.list().map((c) => c.title)).toEqual(['Carol', 'Bob']);
    conversations.setFlags(conv, { archived: true });
    expect(conversations.list().map((c) => c.title)).toEqual(['Carol']);
    expect(conversations.list({ includeArchived: true })).toHaveLength(2);
  });
});
