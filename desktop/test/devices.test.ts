import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cores, befriend, eventually, online, startTestRelay, texts, type TestRelay } from './support/harness.ts';

let relay: TestRelay;
const cores = new Cores();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => cores.closeAll());
afterAll(() => relay.dispose());

/** A second device of `first`'s account (what device linking hands over: the account key). */
async function secondDevice(first: Awaited<ReturnType<Cores['user']>>) {
  const acc = (await first.getAccount())!;
  const d2 = await cores.core();
  await d2.joinAccount({ account: first.exportAccountForLink(), displayName: acc.displayName, relayUrl: acc.relayUrl });
  return d2;
}

describe('several devices per user', () => {
  it("a second device of the sender sees sent messages, the peer's replies and the receipts; reads sync between own devices", async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    const alice2 = await secondDevice(alice);
    await Promise.all([online(alice), online(bob), online(alice2)]);
    const aliceId = (await alice.getAccount())!.userId;
    const bobId = (await bob.getAccount())!.userId;
    const aToB = `d:${bobId}`;
    const bToA = `d:${aliceId}`;

    const sent = await alice.sendText({ conversationId: aToB, text: 'from my laptop' });
    await eventually(async () => (await texts(bob, bToA)).includes('from my laptop'), 'bob receives');
    await eventually(async () => (await texts(alice2, aToB)).includes('from my laptop'), 'own second device receives the sent copy');
    const copy = (await alice2.getHistory({ conversationId: aToB })).messages[0];
    expect(copy).toMatchObject({ id: sent.id, outgoing: true, senderUserId: aliceId });

    await bob.sendText({ conversationId: bToA, text: 'reply to both' });
    await eventually(async () => (await texts(alice, aToB)).includes('reply to both'), 'first device gets the reply');
    await eventually(async () => (await texts(alice2, aToB)).includes('reply to both'), 'second device gets the reply');
    expect(await texts(alice2, aToB)).toEqual(['from my laptop', 'reply to both']);

    // Bob's receipts reach both of Alice's devices.
    await bob.markRead({ conversationId: bToA });
    await eventually(async () => (await alice.getHistory({ conversationId: aToB })).messages[0].status === 'read', 'read on device 1');
    await eventually(async () => (await alice2.getHistory({ conversationId: aToB })).messages[0].status === 'read', 'read on device 2');

    // Reading on one device clears the unread count on the other.
    expect((await alice2.listConversations({}))[0].unreadCount).toBe(1);
    await alice.markRead({ conversationId: aToB });
    await eventually(async () => (await alice2.listConversations({}))[0].unreadCount === 0, 'read state syncs');
    // Bob's side: a device joining Alice's list is surfaced as a key change for Alice.
    expect(bob.events.some((e) => e.type === 'key.changed' && e.userId === aliceId)).toBe(true);
  });

  it('a key change raises the warning event and marks the contact, three users', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    const carol = await cores.user(relay, 'Carol');
    await befriend(alice, bob);
    await befriend(alice, carol);
    await Promise.all([online(alice), online(bob), online(carol)]);
    const bobId = (await bob.getAccount())!.userId;
    const carolId = (await carol.getAccount())!.userId;
    await alice.sendText({ conversationId: `d:${bobId}`, text: 'hi bob' });
    await alice.sendText({ conversationId: `d:${carolId}`, text: 'hi carol' });
    await eventually(async () => (await alice.getConnectionStatus()).pendingCount === 0, 'sent');
    const safetyBefore = await alice.getSafetyNumber({ userId: bobId });
    await alice.setContactVerified({ userId: bobId, verified: true });

    // Bob gets a new device: the keys that can read Alice's messages to Bob changed.
    const bob2 = await secondDevice(bob);
    await online(bob2);
    await alice.sendText({ conversationId: `d:${bobId}`, text: 'still there?' });
    const warning = await eventually(() => alice.events.find((e) => e.type === 'key.changed'), 'key.changed');
    expect(warning).toMatchObject({ type: 'key.changed', userId: bobId, conversationIds: [`d:${bobId}`] });
    const contact = (await alice.listContacts()).find((c) => c.userId === bobId)!;
    expect(contact.keyChangedAt).not.toBeNull();
    // The message was re-encrypted for the new device list and reaches both of Bob's devices.
    await eventually(async () => (await texts(bob2, `d:${(await alice.getAccount())!.userId}`)).includes('still there?'), 'new device receives');
    // The safety number covers the account key, which did not change.
    expect((await alice.getSafetyNumber({ userId: bobId })).digits).toBe(safetyBefore.digits);
    // Carol's keys did not change: no warning for her.
    expect(alice.events.some((e) => e.type === 'key.changed' && e.userId === carolId)).toBe(false);
    expect((await alice.listContacts()).find((c) => c.userId === carolId)!.keyChangedAt).toBeNull();
  });
});
