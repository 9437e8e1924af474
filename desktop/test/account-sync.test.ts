// Account document sync between a user's own devices on a real relay: drafts, conversation
// flags, contacts; restarts; concurrent edits.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cores, befriend, eventually, online, startTestRelay, type TestRelay } from './support/harness.ts';

let relay: TestRelay;
const cores = new Cores();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => cores.closeAll());
afterAll(() => relay.dispose());

async function secondDevice(first: Awaited<ReturnType<Cores['user']>>, dir?: string) {
  const acc = (await first.getAccount())!;
  const d2 = await cores.core(dir);
  await d2.joinAccount({ account: first.exportAccountForLink(), displayName: acc.displayName, relayUrl: acc.relayUrl });
  return d2;
}

describe('account document sync', () => {
  it('a draft typed on one device appears on the other; pinned / muted / archived flags and contacts sync', async () => {
    const alice = await cores.user(relay, 'Alice');
    const alice2 = await secondDevice(alice);
    const bob = await cores.user(relay, 'Bob');
    await Promise.all([online(alice), online(alice2), online(bob)]);
    // A contact added on device 1 reaches device 2 through the document.
    await befriend(alice, bob);
    const bobId = (await bob.getAccount())!.userId;
    const conv = `d:${bobId}`;
    await eventually(async () => (await alice2.listContacts()).some((c) => c.userId === bobId && c.displayName === 'Bob'), 'contact synced');

    await alice.setDraft({ conversationId: conv, text: 'half a thought' });
    await eventually(async () => (await alice2.getDraft({ conversationId: conv }))?.text === 'half a thought', 'draft synced');
    expect(alice2.events.some((e) => e.type === 'draft.changed' && e.draft.text === 'half a thought')).toBe(true);

    await alice.setConversationFlags({ conversationId: conv, pinned: true, muted: true });
    await eventually(async () => {
      const c = (await alice2.listConversations({})).find((x) => x.id === conv);
      return c?.pinned && c.muted && !c.archived;
    }, 'flags synced');
    await alice2.setConversationFlags({ conversationId: conv, archived: true, muted: false });
    await eventually(async () => {
      const c = (await alice.listConversations({ includeArchived: true })).find((x) => x.id === conv);
      return c?.archived && c.pinned && !c.muted;
    }, 'flags synced back');
    expect(alice.events.some((e) => e.type === 'conversation.updated' && e.conversation.id === conv && e.conversation.archived)).toBe(true);
    // Bob's devices never receive Alice's document.
    expect(await bob.getDraft({ conversationId: `d:${(await alice.getAccount())!.userId}` })).toBeNull();
  });

  it('drafts survive a restart, and one saved just before closing still reaches the other device', async () => {
    const alice = await cores.user(relay, 'Alice');
    const alice2 = await secondDevice(alice);
    await Promise.all([online(alice), online(alice2)]);
    // A draft belongs to a conversation that exists (openDirect of a stranger is not_found).
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    const bobId = (await bob.getAccount())!.userId;
    const conv = `d:${bobId}`;
    await alice.openDirect({ userId: bobId });
    await alice.setDraft({ conversationId: conv, text: 'written, then closed' });
    await alice.close(); // before the debounce fired: close queues it in the outbox
    const again = await cores.core(alice.dir);
    expect((await again.getDraft({ conversationId: conv }))?.text).toBe('written, then closed');
    await eventually(async () => (await alice2.getDraft({ conversationId: conv }))?.text === 'written, then closed', 'draft reaches device 2');
  });

  it('concurrent draft edits on both devices merge', async () => {
    const alice = await cores.user(relay, 'Alice');
    const alice2 = await secondDevice(alice);
    await Promise.all([online(alice), online(alice2)]);
    const carol = await cores.user(relay, 'Carol');
    await befriend(alice, carol);
    const carolId = (await carol.getAccount())!.userId;
    const conv = `d:${carolId}`;
    await alice.openDirect({ userId: carolId });
    await alice.setDraft({ conversationId: conv, text: 'Hello' });
    await eventually(async () => (await alice2.getDraft({ conversationId: conv }))?.text === 'Hello', 'base draft synced');
    await eventually(async () => (await alice2.listConversations({})).some((c) => c.id === conv), 'the conversation reached device 2');
    // Both edit before either hears from the other.
    await Promise.all([alice.setDraft({ conversationId: conv, text: 'Oh, Hello' }), alice2.setDraft({ conversationId: conv, text: 'Hello world' })]);
    await eventually(async () => (await alice.getDraft({ conversationId: conv }))?.text === 'Oh, Hello world', 'merged on device 1');
    await eventually(async () => (await alice2.getDraft({ conversationId: conv }))?.text === 'Oh, Hello world', 'merged on device 2');
  });
});
