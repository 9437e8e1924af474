// Last seen "my contacts" end to end: such a user is "nobody" on the relay and tells its
// contacts by sealed ephemeral presence frames (messenger-presence.ts); real relay, real cores.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Presence } from '@parley/common/api/index';
import { Cores, befriend, eventually, online, startTestRelay, type TestRelay } from './support/harness.ts';

let relay: TestRelay;
const cores = new Cores();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => cores.closeAll());
afterAll(() => relay.dispose());

type Core = Awaited<ReturnType<Cores['user']>>;
const idOf = async (m: Core) => (await m.getAccount())!.userId;
/** The newest presence event a core emitted for a user. */
const lastPresence = (m: Core, userId: string): Presence | null =>
  [...m.events].reverse().flatMap((e) => (e.type === 'presence' && e.presence.userId === userId ? [e.presence] : []))[0] ?? null;

describe('presence to contacts only', () => {
  it('a contact sees a "contacts" user online and then last seen; a non-contact sees nothing', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    const carol = await cores.user(relay, 'Carol');
    const [aId] = await Promise.all([alice, bob, carol].map(idOf));
    await alice.updateSettings({ lastSeen: 'contacts' }); // the default, said out loud
    await befriend(alice, bob);
    // Carol knows Alice; Alice does not know Carol. A message gives them sessions both ways,
    // so only Alice's choice (not a missing session) keeps her presence from Carol.
    await carol.addContactByInvite({ link: (await alice.getInvite()).link });
    await Promise.all([alice, bob, carol].map(online));
    await carol.sendText({ conversationId: `d:${aId}`, text: 'hi, it is Carol' });
    await alice.sendText({ conversationId: `d:${await idOf(carol)}`, text: 'hello Carol' });
    await bob.sendText({ conversationId: `d:${aId}`, text: 'hi, it is Bob' });
    await eventually(async () => (await carol.getHistory({ conversationId: `d:${aId}` })).messages.length === 2, 'carol and alice talked');

    // Reconnect Alice so her announcement meets the sessions.
    const dir = alice.dir;
    await alice.close();
    const again = await cores.core(dir);
    await online(again);
    await eventually(() => lastPresence(bob, aId)?.online === true, 'bob sees alice online', 15_000);
    expect((await bob.listConversations({})).find((c) => c.peerUserId === aId)?.presence?.online).toBe(true);
    const carolSees = (await carol.listConversations({})).find((c) => c.peerUserId === aId)?.presence ?? null;
    expect(carolSees?.online ?? false).toBe(false);
    expect(carolSees?.lastSeen ?? null).toBeNull();

    // Alice closes the app: Bob sees her last seen, Carol still nothing.
    const mark = bob.events.length;
    await again.close();
    const gone = await eventually(() => bob.events.slice(mark).find((e) => e.type === 'presence' && e.presence.userId === aId && !e.presence.online), 'bob sees alice go', 15_000);
    expect((gone as { presence: Presence }).presence.lastSeen).toBeGreaterThan(0);
    expect(carol.events.some((e) => e.type === 'presence' && e.presence.userId === aId && (e.presence.online || e.presence.lastSeen !== null))).toBe(false);
  });

  it('a "contacts" user sees contacts who share with everyone (their answers), and a vanished device expires to last seen', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.core(undefined, { presenceTimings: { refreshMs: 300, ttlMs: 1_000 } });
    await bob.createAccount({ displayName: 'Bob', relayUrl: `http://${relay.host}` });
    // Alice shares with everyone (the relay), Bob only with contacts: the relay hides everyone
    // from Bob (reciprocity), so Alice's presence can reach him only end to end, answering his asks.
    await bob.updateSettings({ lastSeen: 'contacts' });
    await alice.updateSettings({ lastSeen: 'everyone' });
    const aId = await idOf(alice);
    await befriend(alice, bob);
    await Promise.all([alice, bob].map(online));
    await bob.sendText({ conversationId: `d:${aId}`, text: 'session' });
    await alice.sendText({ conversationId: `d:${await idOf(bob)}`, text: 'session back' });
    await eventually(async () => (await bob.getHistory({ conversationId: `d:${aId}` })).messages.length === 2, 'sessions both ways');
    await eventually(() => lastPresence(bob, aId)?.online === true, 'bob sees alice online through her answers', 15_000);

    // Alice's connection vanishes without a goodbye: Bob's view expires to "last seen".
    (alice as unknown as { relay: { stop(): void } }).relay.stop();
    const gone = await eventually(() => {
      const p = lastPresence(bob, aId);
      return p && !p.online && p.lastSeen !== null ? p : null;
    }, 'alice expires to last seen', 15_000);
    expect(gone.lastSeen).toBeGreaterThan(0);
  });
});
