import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import { Cores, befriend, eventually, online, startTestRelay, texts, type TestRelay } from './support/harness.ts';

let relay: TestRelay;
const cores = new Cores();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => cores.closeAll());
afterAll(() => relay.dispose());

describe('1:1 messaging through a real relay', () => {
  it('sends both ways and the statuses reach read', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await Promise.all([online(alice), online(bob)]);
    const aToB = `d:${(await bob.getAccount())!.userId}`;
    const bToA = `d:${(await alice.getAccount())!.userId}`;

    const sent = await alice.sendText({ conversationId: aToB, text: 'hello bob' });
    expect(sent.status).toBe('pending');
    await eventually(async () => (await texts(bob, bToA)).includes('hello bob'), 'bob receives');
    await eventually(async () => (await alice.getHistory({ conversationId: aToB })).messages[0].status === 'delivered', 'delivered');

    await bob.sendText({ conversationId: bToA, text: 'hi alice' });
    await eventually(async () => (await texts(alice, aToB)).includes('hi alice'), 'alice receives');
    expect(await texts(alice, aToB)).toEqual(['hello bob', 'hi alice']);
    expect(await texts(bob, bToA)).toEqual(['hello bob', 'hi alice']);

    expect((await bob.listConversations({}))[0].unreadCount).toBe(1);
    await bob.markRead({ conversationId: bToA });
    await eventually(async () => (await alice.getHistory({ conversationId: aToB })).messages[0].status === 'read', 'read');
    const statuses = alice.events.filter((e) => e.type === 'message.status' && e.messageId === sent.id).map((e) => (e as { status: string }).status);
    expect(statuses).toEqual(['sent', 'delivered', 'read']);
  });

  it('shows typing (sealed ephemeral frames) and presence with last seen', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await Promise.all([online(alice), online(bob)]);
    const aliceId = (await alice.getAccount())!.userId;
    const bobId = (await bob.getAccount())!.userId;
    // Typing goes only over existing sessions (never claims prekeys): exchange a message first.
    await alice.sendText({ conversationId: `d:${bobId}`, text: 'hey' });
    await eventually(async () => (await alice.getHistory({ conversationId: `d:${bobId}` })).messages[0].status === 'delivered', 'session both ways');

    await alice.setTyping({ conversationId: `d:${bobId}`, typing: true });
    await eventually(() => bob.events.some((e) => e.type === 'typing' && e.userId === aliceId && e.typing), 'typing shown');
    expect((await bob.listConversations({}))[0].typing).toEqual([aliceId]);
    await alice.setTyping({ conversationId: `d:${bobId}`, typing: false });
    await eventually(() => bob.events.some((e) => e.type === 'typing' && e.userId === aliceId && !e.typing), 'typing stopped');

    // Presence is shared with everyone only when both allow it (reciprocity).
    await alice.updateSettings({ lastSeen: 'everyone' });
    await bob.updateSettings({ lastSeen: 'everyone' });
    await eventually(() => bob.events.some((e) => e.type === 'presence' && e.presence.userId === aliceId && e.presence.online), 'alice online');
    const mark = bob.events.length;
    await alice.close();
    const gone = await eventually(() => bob.events.slice(mark).find((e) => e.type === 'presence' && e.presence.userId === aliceId && !e.presence.online), 'alice offline');
    expect((gone as { presence: { lastSeen: number | null } }).presence.lastSeen).toBeGreaterThan(0);
  });
});
