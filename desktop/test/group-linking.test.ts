// Groups and device linking, and members' names, on a real relay with real cores: a newly
// linked device gets the account's groups in its snapshot (documents, flags, recent
// history) and reads and sends group messages at once under its own sender key; members
// who are not contacts are named by the names they gave themselves in the group document;
// files sent before the link download on the new device.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceLinker } from '../src/core/messenger-link.ts';
import { Cores, befriend, eventually, online, startTestRelay, texts, type TestRelay } from './support/harness.ts';

let relay: TestRelay;
const cores = new Cores();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => cores.closeAll());
afterAll(() => relay.dispose());

type Core = Awaited<ReturnType<Cores['user']>>;
const idOf = async (m: Core) => (await m.getAccount())!.userId;
const hasGroup = async (m: Core, conv: string) => (await m.listConversations({})).some((c) => c.id === conv);
const namesIn = async (m: Core, conv: string) => Object.fromEntries((await m.getGroup({ conversationId: conv })).members.map((x) => [x.userId, x.displayName]));

/** Links a new core to `existing` through the code flow; returns it once it is online. */
async function link(existing: Core, name: string): Promise<Core> {
  const fresh = await cores.core();
  const code = await fresh.startDeviceLink({ deviceName: name, relayUrl: `http://${relay.host}` });
  await existing.approveLink({ requestId: (await existing.inspectLinkCode({ code: code.code })).requestId });
  await eventually(() => fresh.events.some((e) => e.type === 'devices.changed'), 'link completes', 15_000);
  await online(fresh);
  return fresh;
}

describe('groups on a newly linked device', () => {
  it('the linked device has the group, its members and history at once, reads and sends group messages, and renames it', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    const carol = await cores.user(relay, 'Carol');
    await Promise.all([alice, bob, carol].map(online));
    const [aId, bId, cId] = await Promise.all([alice, bob, carol].map(idOf));
    // Bob's group: Alice is a plain member, so what the new device does needs no admin rights.
    const conv = (await bob.createGroup({ name: 'Climbing', members: [aId, cId] })).id;
    for (const m of [alice, carol]) await eventually(() => hasGroup(m, conv), 'members have the group');
    await bob.sendText({ conversationId: conv, text: 'first route on Saturday' });
    await eventually(async () => (await texts(alice, conv)).includes('first route on Saturday'), 'alice has bob’s message');
    await alice.sendText({ conversationId: conv, text: 'count me in' });
    await eventually(async () => (await texts(carol, conv)).includes('count me in'), 'carol has alice’s message');
    await alice.setConversationFlags({ conversationId: conv, pinned: true });
    await alice.markRead({ conversationId: conv });

    const laptop = await link(alice, 'Laptop');
    // Right after linking, before anyone sends again: the group with its name, members and history.
    expect((await laptop.listConversations({})).find((c) => c.id === conv)).toMatchObject({ kind: 'group', title: 'Climbing', pinned: true, unreadCount: 0 });
    const info = await laptop.getGroup({ conversationId: conv });
    expect(info).toMatchObject({ name: 'Climbing', canAdmin: false, left: false });
    expect(await namesIn(laptop, conv)).toEqual({ [aId]: 'You', [bId]: 'Bob', [cId]: 'Carol' });
    expect(await texts(laptop, conv)).toEqual(['first route on Saturday', 'count me in']);
    const history = (await laptop.getHistory({ conversationId: conv })).messages;
    expect(history.map((m) => m.outgoing)).toEqual([false, true]);
    expect(history[0].senderName).toBe('Bob');

    // A member's message after the link: Carol sees Alice's list gained a device and hands it her key.
    await carol.sendText({ conversationId: conv, text: 'rope is packed' });
    await eventually(async () => (await texts(laptop, conv)).includes('rope is packed'), 'the linked device reads a new group message', 15_000);
    // The linked device sends under its own sender key: members and the first device read it.
    const sent = await laptop.sendText({ conversationId: conv, text: 'from the laptop' });
    for (const m of [bob, carol, alice]) await eventually(async () => (await texts(m, conv)).includes('from the laptop'), 'everyone reads the linked device', 15_000);
    const onPhone = (await alice.getHistory({ conversationId: conv })).messages.find((m) => m.id === sent.id)!;
    expect(onPhone.outgoing).toBe(true);
    expect(onPhone.senderDeviceId).toBe((await laptop.getAccount())!.deviceId);
    await eventually(async () => (await laptop.getHistory({ conversationId: conv })).messages.find((m) => m.id === sent.id)?.status === 'delivered', 'both members have it');
    // The first device keeps reading and sending after the link, too.
    await alice.sendText({ conversationId: conv, text: 'and from the phone' });
    for (const m of [bob, carol, laptop]) await eventually(async () => (await texts(m, conv)).includes('and from the phone'), 'the first device still reaches everyone');

    // A rename from the linked device (its changes carry its own actor) reaches everyone.
    await laptop.renameGroup({ conversationId: conv, name: 'Climbing club' });
    for (const m of [alice, bob, carol]) await eventually(async () => (await m.getGroup({ conversationId: conv })).name === 'Climbing club', 'the rename reaches everyone');
  });
});

describe('attachments on a newly linked device', () => {
  it('files sent and received before the link (direct and group) download on the new device with the same bytes', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await Promise.all([online(alice), online(bob)]);
    const [aId, bId] = await Promise.all([alice, bob].map(idOf));
    const received = randomBytes(200 * 1024);
    const sentByAlice = randomBytes(70 * 1024);
    const inGroup = randomBytes(90 * 1024);
    const fromBob = await bob.sendAttachment({ conversationId: `d:${aId}`, name: 'plan.pdf', mime: 'application/pdf', data: received.toString('base64url') });
    const fromAlice = await alice.sendAttachment({ conversationId: `d:${bId}`, name: 'notes.txt', mime: 'text/plain', data: sentByAlice.toString('base64url') });
    const conv = (await bob.createGroup({ name: 'Trip', members: [aId] })).id;
    await eventually(() => hasGroup(alice, conv), 'alice has the group');
    const groupFile = await bob.sendAttachment({ conversationId: conv, name: 'map.bin', mime: 'application/octet-stream', data: inGroup.toString('base64url') });
    const has = async (m: Core, c: string, id: string) => (await m.getHistory({ conversationId: c })).messages.some((x) => x.id === id);
    await eventually(async () => (await has(alice, `d:${bId}`, fromBob.id)) && (await has(alice, conv, groupFile.id)), 'alice has both files');
    // Alice saved Bob's direct file; the group file she never opened.
    await alice.downloadAttachment({ messageId: fromBob.id });

    const laptop = await link(alice, 'Laptop');
    const state = async (c: string, id: string) => {
      const body = (await laptop.getHistory({ conversationId: c })).messages.find((m) => m.id === id)?.body;
      return body?.kind === 'attachment' ? body.attachment.state : body?.kind;
    };
    // Nothing is on the laptop's disk yet: each file is shown as one to download, with its preview data.
    expect(await state(`d:${bId}`, fromBob.id)).toBe('remote');
    expect(await state(`d:${bId}`, fromAlice.id)).toBe('remote');
    expect(await state(conv, groupFile.id)).toBe('remote');
    await expect(laptop.readAttachment({ messageId: fromBob.id })).rejects.toMatchObject({ code: 'attachment_not_downloaded' });

    for (const [c, m, bytes] of [[`d:${bId}`, fromBob, received], [`d:${bId}`, fromAlice, sentByAlice], [conv, groupFile, inGroup]] as const) {
      await laptop.downloadAttachment({ messageId: m.id });
      expect(await state(c, m.id)).toBe('downloaded');
      expect(Buffer.from((await laptop.readAttachment({ messageId: m.id })).data, 'base64url').equals(bytes)).toBe(true);
    }
  });
});

describe('groups while a device is being linked', () => {
  it('group messages and group changes made before the new device published its keys reach it through the top-up', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    const carol = await cores.user(relay, 'Carol');
    await Promise.all([alice, bob, carol].map(online));
    const [aId, cId] = await Promise.all([alice, carol].map(idOf));
    const conv = (await bob.createGroup({ name: 'Climbing', members: [aId, cId] })).id;
    for (const m of [alice, carol]) await eventually(() => hasGroup(m, conv), 'members have the group');

    // Hold the new device after it got the provision (and the snapshot), before its keys reach the relay.
    const laptop = await cores.core();
    let release!: () => void;
    let held = false;
    (laptop as unknown as { linker: DeviceLinker }).linker.holdBeforePublish = () => {
      held = true;
      return new Promise<void>((r) => (release = r));
    };
    const code = await laptop.startDeviceLink({ deviceName: 'Laptop', relayUrl: `http://${relay.host}` });
    await alice.approveLink({ requestId: (await alice.inspectLinkCode({ code: code.code })).requestId });
    await eventually(() => held, 'provision received');
    // In the window: a message and a rename; neither can be encrypted to the laptop yet.
    await carol.sendText({ conversationId: conv, text: 'in the window' });
    await bob.renameGroup({ conversationId: conv, name: 'Climbing (window)' });
    await eventually(async () => (await texts(alice, conv)).includes('in the window') && (await alice.getGroup({ conversationId: conv })).name === 'Climbing (window)', 'the first device has both');
    release();
    await eventually(() => laptop.events.some((e) => e.type === 'devices.changed'), 'link completes', 15_000);
    await eventually(async () => (await texts(laptop, conv)).includes('in the window'), 'the window’s group message reaches the new device', 15_000);
    await eventually(async () => (await laptop.getGroup({ conversationId: conv })).name === 'Climbing (window)', 'the window’s rename reaches the new device');
    // A later change builds on the one made in the window: the new device applies it.
    await carol.renameGroup({ conversationId: conv, name: 'Climbing, later' });
    await eventually(async () => (await laptop.getGroup({ conversationId: conv })).name === 'Climbing, later', 'later changes apply on the new device', 15_000);
  });
});

describe('names of group members', () => {
  it('members who are not contacts are named by the name they gave themselves; a contact’s name comes first', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    const carol = await cores.user(relay, 'Carol');
    await Promise.all([alice, bob, carol].map(online));
    const [aId, bId, cId] = await Promise.all([alice, bob, carol].map(idOf));
    // Alice knows both; Bob and Carol do not know each other. Alice calls Bob by a name of her own.
    await befriend(alice, carol);
    await alice.addContactByInvite({ link: (await bob.getInvite()).link, displayName: 'Bobby' });
    const conv = (await alice.createGroup({ name: 'Book club', members: [bId, cId] })).id;

    // Each member's own name reaches the others through the group document.
    await eventually(async () => (await namesIn(bob, conv))[cId] === 'Carol', 'bob sees carol’s name', 15_000);
    expect(await namesIn(bob, conv)).toEqual({ [aId]: 'Alice', [bId]: 'You', [cId]: 'Carol' });
    await eventually(async () => (await namesIn(carol, conv))[bId] === 'Bob', 'carol sees bob’s name');
    expect(await namesIn(alice, conv)).toEqual({ [aId]: 'You', [bId]: 'Bobby', [cId]: 'Carol' });

    // Messages carry the sender's name for the UI; a contact's local name wins.
    await carol.sendText({ conversationId: conv, text: 'chapter three tonight?' });
    await bob.sendText({ conversationId: conv, text: 'yes' });
    await eventually(async () => (await texts(bob, conv)).includes('chapter three tonight?'), 'bob has carol’s message');
    await eventually(async () => (await texts(alice, conv)).includes('yes'), 'alice has bob’s message');
    expect((await bob.getHistory({ conversationId: conv })).messages.find((m) => m.body.text === 'chapter three tonight?')!.senderName).toBe('Carol');
    expect((await alice.getHistory({ conversationId: conv })).messages.find((m) => m.body.text === 'yes')!.senderName).toBe('Bobby');
    const added = bob.events.find((e) => e.type === 'message.added' && e.message.body.text === 'chapter three tonight?');
    expect(added?.type === 'message.added' && added.message.senderName).toBe('Carol');
    // A direct chat Bob opens with Carol from the group is titled with her name, not an id.
    const direct = await bob.openDirect({ userId: cId });
    expect(direct.title).toBe('Carol');
  });
});
