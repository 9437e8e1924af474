// Groups end to end on a real relay and real SQLite profiles: the group document travels
// as `group-change` messages, group messages under sender keys (messenger-groups.ts).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeChangeBatch } from '../src/core/docs/change-batch.ts';
import type { GroupDoc } from '../src/core/docs/group-doc.ts';
import { Cores, eventually, online, startTestRelay, texts, type TestRelay } from './support/harness.ts';

let relay: TestRelay;
const cores = new Cores();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => cores.closeAll());
afterAll(() => relay.dispose());

type Core = Awaited<ReturnType<Cores['user']>>;
const idOf = async (m: Core) => (await m.getAccount())!.userId;
const memberIds = async (m: Core, conv: string) => (await m.getGroup({ conversationId: conv })).members.map((x) => x.userId).sort();
const hasGroup = async (m: Core, conv: string) => (await m.listConversations({})).some((c) => c.id === conv);

async function secondDevice(first: Core): Promise<Core> {
  const acc = (await first.getAccount())!;
  const d2 = await cores.core();
  await d2.joinAccount({ account: first.exportAccountForLink(), displayName: acc.displayName, relayUrl: acc.relayUrl });
  return d2;
}

/** Internals a test may read: sender-key state (what a device could decrypt at all). */
const cryptoOf = (m: Core) => (m as unknown as { crypto: { groupReceiver(g: string): { keys: Record<string, { senderUserId: string; epoch: number; chain: { n: number } }> } | null; ownSenderKey(g: string): { epoch: number } | null } }).crypto;

describe('groups', () => {
  it('three users, one with two devices, exchange messages; concurrent renames converge on every device', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    const carol = await cores.user(relay, 'Carol');
    const alice2 = await secondDevice(alice);
    await Promise.all([alice, bob, carol, alice2].map(online));
    const [aId, bId, cId] = await Promise.all([alice, bob, carol].map(idOf));

    const conv = (await alice.createGroup({ name: 'Trip', members: [bId, cId] })).id;
    const all = [alice, alice2, bob, carol];
    for (const m of all) await eventually(() => hasGroup(m, conv), 'everyone has the group');
    for (const m of all) expect(await memberIds(m, conv)).toEqual([aId, bId, cId].sort());
    expect((await bob.getGroup({ conversationId: conv })).canAdmin).toBe(false);
    expect((await alice2.getGroup({ conversationId: conv })).canAdmin).toBe(true);

    await alice.sendText({ conversationId: conv, text: 'hello group' });
    await bob.sendText({ conversationId: conv, text: 'hi from bob' });
    await alice2.sendText({ conversationId: conv, text: 'from the laptop' });
    for (const m of all) {
      await eventually(async () => (await texts(m, conv)).length === 3, 'three messages everywhere');
    }
    const orders = await Promise.all(all.map((m) => texts(m, conv)));
    for (const o of orders) expect(o).toEqual(orders[0]);
    expect(new Set(orders[0])).toEqual(new Set(['hello group', 'hi from bob', 'from the laptop']));
    // Our own message from the other device is ours on this one.
    expect((await alice.getHistory({ conversationId: conv })).messages.find((m) => m.body.text === 'from the laptop')!.outgoing).toBe(true);
    const hello = (await bob.getHistory({ conversationId: conv })).messages.find((m) => m.body.text === 'hello group')!;
    // Statuses: delivered once both other members have it, read once both have read it.
    const status = async () => (await alice.getHistory({ conversationId: conv })).messages.find((m) => m.id === hello.id)!.status;
    await eventually(async () => (await status()) === 'delivered', 'delivered to every member');
    await bob.markRead({ conversationId: conv });
    await carol.markRead({ conversationId: conv });
    await eventually(async () => (await status()) === 'read', 'read by every member');
    await bob.react({ messageId: hello.id, emoji: '👍' });
    await eventually(async () => (await alice2.getHistory({ conversationId: conv })).messages.find((m) => m.id === hello.id)!.reactions.length === 1, 'reaction reaches the group');

    // Typing in a group reaches the other members.
    await bob.setTyping({ conversationId: conv, typing: true });
    await eventually(() => alice.events.some((e) => e.type === 'typing' && e.conversationId === conv && e.userId === bId && e.typing), 'alice sees bob typing');

    // Two members rename at once: every device ends on the same name.
    await Promise.all([bob.renameGroup({ conversationId: conv, name: 'Bob trip' }), carol.renameGroup({ conversationId: conv, name: 'Carol trip' })]);
    await eventually(async () => {
      const names = await Promise.all(all.map(async (m) => (await m.getGroup({ conversationId: conv })).name));
      return new Set(names).size === 1 && names[0] !== 'Trip';
    }, 'renames converge');
    const name = (await alice.getGroup({ conversationId: conv })).name;
    expect(['Bob trip', 'Carol trip']).toContain(name);
    expect((await carol.listConversations({})).find((c) => c.id === conv)!.title).toBe(name);

    // An attachment in the group: one upload, the key inside the group message.
    const file = Buffer.from('group file contents');
    const att = await carol.sendAttachment({ conversationId: conv, name: 'list.txt', mime: 'text/plain', data: file.toString('base64url') });
    await eventually(async () => (await alice2.getHistory({ conversationId: conv })).messages.some((m) => m.id === att.id), 'attachment message arrives');
    const dl = await alice2.downloadAttachment({ messageId: att.id });
    expect(dl.body).toMatchObject({ kind: 'attachment', attachment: { name: 'list.txt', state: 'downloaded' } });

    // A member may not change membership locally either; a member may leave.
    await expect(bob.removeGroupMember({ conversationId: conv, userId: cId })).rejects.toMatchObject({ code: 'not_admin' });
    await carol.leaveGroup({ conversationId: conv });
    expect((await carol.getGroup({ conversationId: conv })).left).toBe(true);
    for (const m of [alice, alice2, bob]) await eventually(async () => JSON.stringify(await memberIds(m, conv)) === JSON.stringify([aId, bId].sort()), 'carol left everywhere');
    await expect(carol.sendText({ conversationId: conv, text: 'still here?' })).rejects.toMatchObject({ code: 'not_member' });
  });

  it('concurrent membership changes converge; a removed member is locked out; a non-admin change is rejected; a late joiner reads only later messages', async () => {
    // Alice's and Bob's logs show what their clients rejected.
    const rejected: { who: string; reason: unknown }[] = [];
    const logging = async (name: string) => {
      const m = await cores.core(undefined, { log: { debug() {}, info() {}, warn: (event, f) => void (event === 'group.change_rejected' && rejected.push({ who: name, reason: f?.reason })) } });
      await m.createAccount({ displayName: name, relayUrl: `http://${relay.host}` });
      return m;
    };
    const alice = await logging('Alice');
    const bob = await logging('Bob');
    const carol = await cores.user(relay, 'Carol');
    const dave = await cores.user(relay, 'Dave');
    const eve = await cores.user(relay, 'Eve');
    await Promise.all([alice, bob, carol, dave, eve].map(online));
    const [aId, bId, cId, dId, eId] = await Promise.all([alice, bob, carol, dave, eve].map(idOf));

    const conv = (await alice.createGroup({ name: 'Club', members: [bId, cId] })).id;
    const groupId = conv.slice(2);
    for (const m of [bob, carol]) await eventually(() => hasGroup(m, conv), 'members have the group');
    await alice.setGroupRole({ conversationId: conv, userId: bId, role: 'admin' });
    await eventually(async () => (await bob.getGroup({ conversationId: conv })).canAdmin, 'bob is admin');
    await alice.sendText({ conversationId: conv, text: 'before dave' });
    await eventually(async () => (await texts(carol, conv)).includes('before dave'), 'carol reads it');

    // Concurrently: Alice adds Dave, Bob removes Carol.
    await Promise.all([alice.addGroupMembers({ conversationId: conv, userIds: [dId] }), bob.removeGroupMember({ conversationId: conv, userId: cId })]);
    const expected = [aId, bId, dId].sort();
    for (const m of [alice, bob, dave]) await eventually(async () => (await hasGroup(m, conv)) && JSON.stringify(await memberIds(m, conv)) === JSON.stringify(expected), 'membership converges');
    await eventually(async () => (await carol.getGroup({ conversationId: conv })).left, 'carol sees she was removed');

    // After the removal Alice's sender key moved to a new epoch that Carol never got.
    await alice.sendText({ conversationId: conv, text: 'after removal' });
    for (const m of [bob, dave]) await eventually(async () => (await texts(m, conv)).includes('after removal'), 'remaining members read it');
    expect(await texts(carol, conv)).not.toContain('after removal');
    const carolKeysBefore = Object.values(cryptoOf(carol).groupReceiver(groupId)?.keys ?? {}).filter((k) => k.senderUserId === aId);
    const aliceEpoch = cryptoOf(alice).ownSenderKey(groupId)!.epoch;
    expect(carolKeysBefore.every((k) => k.epoch < aliceEpoch)).toBe(true);

    // The late joiner has only what was sent after it joined, and its key starts mid-chain.
    expect(await texts(dave, conv)).toEqual(['after removal']);
    const daveKey = Object.values(cryptoOf(dave).groupReceiver(groupId)!.keys).find((k) => k.senderUserId === aId)!;
    expect(daveKey.epoch).toBe(aliceEpoch);

    // Group state and sender keys survive a restart.
    await dave.close();
    const dave2 = (await cores.core(dave.dir)) as Core;
    await online(dave2);
    await alice.sendText({ conversationId: conv, text: 'after restart' });
    await eventually(async () => (await texts(dave2, conv)).includes('after restart'), 'dave reads after restarting');
    await dave2.close();
    const daveAgain = (await cores.core(dave.dir)) as Core;
    await online(daveAgain);

    // Dave (a member, not an admin) runs a modified client that adds Eve anyway.
    (daveAgain as unknown as { groups: { sendUncheckedChangeForTest(c: string, f: (d: GroupDoc) => Uint8Array): void } }).groups.sendUncheckedChangeForTest(conv, (doc) =>
      (doc as unknown as { local(fn: (d: { log: unknown[] }) => void): Uint8Array }).local((d) => {
        d.log.push({ op: 'add', user: eId, by: dId, at: Date.now() });
      }),
    );
    await daveAgain.sendText({ conversationId: conv, text: 'dave after forging' });
    for (const m of [alice, bob]) await eventually(async () => (await texts(m, conv)).includes('dave after forging'), 'later message arrives');
    for (const m of [alice, bob]) expect(await memberIds(m, conv)).toEqual(expected);
    expect(rejected).toEqual(expect.arrayContaining([{ who: 'Alice', reason: 'not_admin' }, { who: 'Bob', reason: 'not_admin' }]));
    expect(await hasGroup(eve, conv)).toBe(false);

    // Carol is added back after a change she never received: she catches up from Alice's
    // snapshot (her own copy stopped at her removal) and reads new messages only.
    await bob.renameGroup({ conversationId: conv, name: 'Club without Carol' });
    await eventually(async () => (await alice.getGroup({ conversationId: conv })).name === 'Club without Carol', 'alice sees the rename');
    await alice.addGroupMembers({ conversationId: conv, userIds: [cId] });
    await eventually(async () => !(await carol.getGroup({ conversationId: conv })).left, 'carol is a member again');
    await eventually(async () => JSON.stringify(await memberIds(carol, conv)) === JSON.stringify([aId, bId, cId, dId].sort()), 'carol sees the current members');
    expect((await carol.getGroup({ conversationId: conv })).name).toBe('Club without Carol');
    await bob.sendText({ conversationId: conv, text: 'welcome back' });
    await eventually(async () => (await texts(carol, conv)).includes('welcome back'), 'carol reads after rejoining');
    expect(await texts(carol, conv)).not.toContain('after removal');
  });
});

describe('group changes waiting for their dependencies', () => {
  it('a change that arrived before its dependency survives a restart and applies when the dependency lands', async () => {
    const alice = await cores.user(relay, 'Alice');
    const carol = await cores.user(relay, 'Carol');
    await Promise.all([alice, carol].map(online));
    const [aId, cId] = await Promise.all([alice, carol].map(idOf));
    const aDev = (await alice.getAccount())!.deviceId;
    const conv = (await alice.createGroup({ name: 'Base', members: [cId] })).id;
    const groupId = conv.slice(2);
    await eventually(() => hasGroup(carol, conv), 'carol has the group');

    // Two renames on Alice's replica, handed to Carol's engine out of order (as the relay
    // never would for one sender, but two senders' changes can arrive this way).
    type Engine = { doc(g: string): GroupDoc; apply(r: unknown): unknown };
    const aliceDoc = (alice as unknown as { groups: Engine }).groups.doc(groupId);
    const first = aliceDoc.rename('One');
    const second = aliceDoc.rename('Two');
    const deliver = (m: Core, change: Uint8Array) =>
      (m as unknown as { groups: Engine }).groups.apply({
        senderUserId: aId,
        senderDeviceId: aDev,
        content: { v: 1, id: `test${Math.random().toString(36).slice(2, 12)}`, at: Date.now(), conv: { t: 'g', id: groupId }, kind: 'group-change', changes: encodeChangeBatch([change]) },
      });
    deliver(carol, second);
    expect((await carol.getGroup({ conversationId: conv })).name).toBe('Base');
    await carol.close();
    const carol2 = (await cores.core(carol.dir)) as Core;
    deliver(carol2, first);
    expect((await carol2.getGroup({ conversationId: conv })).name).toBe('Two');
  });
});
