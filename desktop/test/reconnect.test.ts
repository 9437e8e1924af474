import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cores, RestartableRelay, befriend, eventually, online, texts } from './support/harness.ts';

const relay = new RestartableRelay();
const cores = new Cores();

beforeAll(() => relay.start());
afterEach(async () => {
  await cores.closeAll();
  await relay.start(); // in case a test failed while it was stopped
});
afterAll(() => relay.dispose());

describe('offline sending and relay restarts', () => {
  it('queues a message written while offline and delivers it after reconnect, with the same client message id', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await Promise.all([online(alice), online(bob)]);
    const aToB = `d:${(await bob.getAccount())!.userId}`;
    const bToA = `d:${(await alice.getAccount())!.userId}`;
    await alice.sendText({ conversationId: aToB, text: 'before' });
    await eventually(async () => (await alice.getHistory({ conversationId: aToB })).messages[0]?.status === 'delivered', 'first message delivered');

    await relay.stop();
    await eventually(async () => (await alice.getConnectionStatus()).state === 'reconnecting', 'alice notices');
    const m1 = await alice.sendText({ conversationId: aToB, text: 'written offline 1' });
    const m2 = await alice.sendText({ conversationId: aToB, text: 'written offline 2' });
    expect((await alice.getConnectionStatus()).pendingCount).toBe(2);
    expect((await alice.getHistory({ conversationId: aToB })).messages.map((m) => m.status)).toEqual(['delivered', 'pending', 'pending']);

    await relay.start(); // same port, same data: the relay restarted mid-conversation
    await eventually(async () => (await texts(bob, bToA)).length === 3, 'bob gets the queued messages');
    expect(await texts(bob, bToA)).toEqual(['before', 'written offline 1', 'written offline 2']);
    const onBob = (await bob.getHistory({ conversationId: bToA })).messages;
    expect(onBob.slice(1).map((m) => m.id)).toEqual([m1.id, m2.id]); // same client message ids end to end
    await eventually(async () => (await alice.getHistory({ conversationId: aToB })).messages.every((m) => m.status === 'delivered'), 'delivered');
    expect((await alice.getConnectionStatus()).pendingCount).toBe(0);

    // and the conversation carries on both ways after the restart
    await bob.sendText({ conversationId: bToA, text: 'after restart' });
    await eventually(async () => (await texts(alice, aToB)).includes('after restart'), 'reply after restart');
    const states = alice.events.filter((e) => e.type === 'connection').map((e) => (e as { status: { state: string } }).status.state);
    expect(states).toContain('reconnecting');
    expect(states[states.length - 1]).toBe('online');
  });

  it('a recipient that was offline catches up from its committed cursor', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await Promise.all([online(alice), online(bob)]);
    const aToB = `d:${(await bob.getAccount())!.userId}`;
    const bobDir = bob.dir;
    await bob.close();
    for (let i = 0; i < 5; i++) await alice.sendText({ conversationId: aToB, text: `m${i}` });
    await eventually(async () => (await alice.getConnectionStatus()).pendingCount === 0, 'all sent');
    const again = await cores.core(bobDir);
    const bToA = `d:${(await alice.getAccount())!.userId}`;
    await eventually(async () => (await texts(again, bToA)).length === 5, 'catch-up');
    expect(await texts(again, bToA)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });
});
