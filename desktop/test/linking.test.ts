// Device linking by code on a real relay: the new device gets the account, contacts,
// drafts and recent history, keeps working with the first device offline; unlinking
// removes a device for good.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceLinker } from '../src/core/messenger-link.ts';
import { Cores, RestartableRelay, befriend, eventually, online, startTestRelay, texts, type TestRelay } from './support/harness.ts';

let relay: TestRelay;
const cores = new Cores();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => cores.closeAll());
afterAll(() => relay.dispose());

type Core = Awaited<ReturnType<Cores['user']>>;

/** Links a new core to `existing` through the code flow; returns it once it is online. */
async function link(existing: Core, name = 'Laptop', dir?: string) {
  const fresh = await cores.core(dir);
  const code = await fresh.startDeviceLink({ deviceName: name, relayUrl: `http://${relay.host}` });
  const request = await existing.inspectLinkCode({ code: code.code });
  expect(request.verificationWords).toBe(code.verificationWords);
  expect(request.deviceName).toBe(name);
  const device = await existing.approveLink({ requestId: request.requestId });
  await eventually(() => fresh.events.some((e) => e.type === 'devices.changed'), 'link completes', 15_000);
  await online(fresh);
  // The temporary mailbox is retired: its account's list now names only a never-published device.
  const mailbox = new URL(code.code.replace('parley://', 'http://x/')).searchParams.get('u');
  await eventually(async () => ((await (await fetch(`http://${relay.host}/v1/users/${mailbox}/device-list`)).json()) as { version: number }).version === 2, 'mailbox retired');
  return { fresh, device };
}

/** The version of a link code's throwaway mailbox list: 1 while it listens, 2 once retired. */
async function mailboxVersion(code: string, host = relay.host): Promise<number> {
  const mailbox = new URL(code.replace('parley://', 'http://x/')).searchParams.get('u');
  return ((await (await fetch(`http://${host}/v1/users/${mailbox}/device-list`)).json()) as { version: number }).version;
}

describe('device linking', () => {
  it('a linked device gets the account, contacts, drafts and history, then receives, sends and sees its own messages', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await Promise.all([online(alice), online(bob)]);
    const aliceId = (await alice.getAccount())!.userId;
    const bobId = (await bob.getAccount())!.userId;
    const aToB = `d:${bobId}`;
    const bToA = `d:${aliceId}`;
    await alice.sendText({ conversationId: aToB, text: 'before linking' });
    await eventually(async () => (await texts(bob, bToA)).includes('before linking'), 'bob has it');
    await bob.sendText({ conversationId: bToA, text: 'reply before linking' });
    await eventually(async () => (await texts(alice, aToB)).includes('reply before linking'), 'alice has it');
    await alice.setDraft({ conversationId: aToB, text: 'unsent thought' });
    await alice.setConversationFlags({ conversationId: aToB, pinned: true });

    const { fresh: laptop, device } = await link(alice);
    expect(await laptop.getAccount()).toMatchObject({ userId: aliceId, displayName: 'Alice', deviceId: device.id });
    expect((await alice.listDevices()).find((d) => d.id === device.id)).toMatchObject({ name: 'Laptop', current: false });
    expect((await laptop.listDevices()).find((d) => d.current)).toMatchObject({ id: device.id, name: 'Laptop' });
    expect(await laptop.listDevices()).toHaveLength(2);
    expect((await laptop.listContacts()).map((c) => c.userId)).toEqual([bobId]);
    expect(await texts(laptop, aToB)).toEqual(['before linking', 'reply before linking']);
    expect((await laptop.getDraft({ conversationId: aToB }))?.text).toBe('unsent thought');
    expect((await laptop.listConversations({}))[0]).toMatchObject({ id: aToB, pinned: true });

    // Later messages from the contact, and our own sent from the first device.
    await bob.sendText({ conversationId: bToA, text: 'after linking' });
    await eventually(async () => (await texts(laptop, aToB)).includes('after linking'), 'linked device receives', 15_000);
    await alice.sendText({ conversationId: aToB, text: 'sent from the phone' });
    await eventually(async () => (await texts(laptop, aToB)).includes('sent from the phone'), 'linked device sees own sent message');
    // Drafts keep syncing after linking.
    await laptop.setDraft({ conversationId: aToB, text: 'typed on the laptop' });
    await eventually(async () => (await alice.getDraft({ conversationId: aToB }))?.text === 'typed on the laptop', 'draft reaches the first device');

    // The first device goes away; the linked one keeps working on its own.
    await alice.close();
    const sent = await laptop.sendText({ conversationId: aToB, text: 'laptop only' });
    await eventually(async () => (await texts(bob, bToA)).includes('laptop only'), 'bob receives from the linked device');
    await bob.sendText({ conversationId: bToA, text: 'to the laptop' });
    await eventually(async () => (await texts(laptop, aToB)).includes('to the laptop'), 'linked device receives alone');
    await bob.markRead({ conversationId: bToA });
    await eventually(async () => (await laptop.getHistory({ conversationId: aToB })).messages.find((m) => m.id === sent.id)?.status === 'read', 'read receipt');

    // The linked device holds the account key: it links a third device with the first still offline.
    const { fresh: tablet } = await link(laptop, 'Tablet');
    expect((await tablet.getAccount())!.userId).toBe(aliceId);
    expect(await texts(tablet, aToB)).toContain('to the laptop');
    await bob.sendText({ conversationId: bToA, text: 'three devices now' });
    await eventually(async () => (await texts(tablet, aToB)).includes('three devices now'), 'third device receives');
  });

  it('unlinking removes a device: it stops receiving and can no longer log in', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    const { fresh: laptop, device } = await link(alice);
    await Promise.all([online(alice), online(bob)]);
    const aliceId = (await alice.getAccount())!.userId;
    const bToA = `d:${aliceId}`;
    const aToB = `d:${(await bob.getAccount())!.userId}`;
    await bob.sendText({ conversationId: bToA, text: 'both devices' });
    await eventually(async () => (await texts(laptop, aToB)).includes('both devices'), 'laptop receives while linked', 15_000);

    await alice.unlinkDevice({ deviceId: device.id });
    expect((await alice.listDevices()).map((d) => d.id)).not.toContain(device.id);
    expect(alice.events.some((e) => e.type === 'devices.changed')).toBe(true);
    await eventually(async () => (await laptop.getConnectionStatus()).state === 'offline', 'relay closed the removed device');
    await eventually(() => laptop.events.filter((e) => e.type === 'devices.changed').length >= 2, 'the removed device is told');

    // Bob's send is refused as stale, he refreshes Alice's list and no longer encrypts to the laptop.
    await bob.sendText({ conversationId: bToA, text: 'only the phone' });
    await eventually(async () => (await texts(alice, aToB)).includes('only the phone'), 'remaining device receives');
    await eventually(async () => (await bob.getConnectionStatus()).pendingCount === 0, 'bob sent');

    // Reopened, the removed device cannot log in and gets nothing.
    const dir = laptop.dir;
    await laptop.close();
    const again = await cores.core(dir);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await again.getConnectionStatus()).state).not.toBe('online');
    expect(await texts(again, aToB)).not.toContain('only the phone');
  });

  it('messages sent to the account between the approval and the new device publishing its keys reach it through the top-up', async () => {
    const alice = await cores.user(relay, 'Alice');
    const bob = await cores.user(relay, 'Bob');
    await befriend(alice, bob);
    await Promise.all([online(alice), online(bob)]);
    const aliceId = (await alice.getAccount())!.userId;
    const aToB = `d:${(await bob.getAccount())!.userId}`;
    const laptop = await cores.core();
    // Hold the new device after it got the provision, before its keys reach the relay.
    let release!: () => void;
    let held = false;
    (laptop as unknown as { linker: DeviceLinker }).linker.holdBeforePublish = () => {
      held = true;
      return new Promise<void>((r) => (release = r));
    };
    const code = await laptop.startDeviceLink({ deviceName: 'Laptop', relayUrl: `http://${relay.host}` });
    await alice.approveLink({ requestId: (await alice.inspectLinkCode({ code: code.code })).requestId });
    await eventually(() => held, 'provision received');
    await bob.sendText({ conversationId: `d:${aliceId}`, text: 'in the window' });
    await alice.sendText({ conversationId: aToB, text: 'mine, in the window' });
    await eventually(async () => (await texts(alice, aToB)).includes('in the window'), 'first device has it');
    await eventually(async () => (await bob.getConnectionStatus()).pendingCount === 0 && (await alice.getConnectionStatus()).pendingCount === 0, 'both sent');
    // The approving device restarts meanwhile: the pending top-up is kept in its profile.
    await alice.close();
    const aliceAgain = await cores.core(alice.dir);
    await online(aliceAgain);
    release();
    await eventually(() => laptop.events.some((e) => e.type === 'devices.changed'), 'link completes');
    await eventually(async () => {
      const t = await texts(laptop, aToB);
      return t.includes('in the window') && t.includes('mine, in the window');
    }, 'top-up reaches the new device', 15_000);
  });

  it('a new device closed in the same turn its link completes retires the throwaway mailbox at the next open, without touching the closed database', async () => {
    const alice = await cores.user(relay, 'Alice');
    await online(alice);
    const fresh = await cores.core();
    let closing: Promise<void> | null = null;
    // The user quits the moment the link lands (before the turn that retires the mailbox).
    fresh.subscribe((e) => {
      if (e.type === 'devices.changed' && !closing) closing = fresh.close();
    });
    const code = await fresh.startDeviceLink({ deviceName: 'Desktop', relayUrl: `http://${relay.host}` });
    await alice.approveLink({ requestId: (await alice.inspectLinkCode({ code: code.code })).requestId });
    await eventually(() => closing !== null, 'link completes', 15_000);
    await closing;
    await new Promise((r) => setTimeout(r, 50)); // the retiring turn would have run (and thrown) by now
    const mailbox = new URL(code.code.replace('parley://', 'http://x/')).searchParams.get('u');
    const listVersion = async () => ((await (await fetch(`http://${relay.host}/v1/users/${mailbox}/device-list`)).json()) as { version: number }).version;
    expect(await listVersion()).toBe(1);
    const again = await cores.core(fresh.dir);
    expect((await again.getAccount())!.userId).toBe((await alice.getAccount())!.userId);
    await eventually(async () => (await listVersion()) === 2, 'the leftover mailbox is retired at the next open');
  });

  it('a new device closed while linking resumes at the next start and completes', async () => {
    const alice = await cores.user(relay, 'Alice');
    await online(alice);
    const fresh = await cores.core();
    const code = await fresh.startDeviceLink({ deviceName: 'Desktop', relayUrl: `http://${relay.host}` });
    await fresh.close();
    await alice.approveLink({ requestId: (await alice.inspectLinkCode({ code: code.code })).requestId });
    const again = await cores.core(fresh.dir);
    await eventually(() => again.events.some((e) => e.type === 'devices.changed'), 'link completes after the restart', 15_000);
    expect((await again.getAccount())!.userId).toBe((await alice.getAccount())!.userId);
    await online(again);
  });

  it('a code left behind for a new account is not completed by a late approval, and adds no device', async () => {
    const alice = await cores.user(relay, 'Alice');
    await online(alice);
    const fresh = await cores.core();
    const code = await fresh.startDeviceLink({ deviceName: 'Desktop', relayUrl: `http://${relay.host}` });
    // The user went back from "I already have Parley" and created an account instead.
    await fresh.createAccount({ displayName: 'Someone new', relayUrl: `http://${relay.host}` });
    const mailbox = new URL(code.code.replace('parley://', 'http://x/')).searchParams.get('u');
    await eventually(async () => ((await (await fetch(`http://${relay.host}/v1/users/${mailbox}/device-list`)).json()) as { version: number }).version === 2, 'mailbox retired');

    const request = await alice.inspectLinkCode({ code: code.code });
    await expect(alice.approveLink({ requestId: request.requestId })).rejects.toMatchObject({ code: 'link_expired' });
    expect(await alice.listDevices()).toHaveLength(1);
    expect((await fresh.getAccount())!.displayName).toBe('Someone new');
  });

  it('a code cancelled on the new device: approving it later fails with link_expired and adds no device; a new code still links', async () => {
    const alice = await cores.user(relay, 'Alice');
    await online(alice);
    const aliceId = (await alice.getAccount())!.userId;
    const listVersion = async () => ((await (await fetch(`http://${relay.host}/v1/users/${aliceId}/device-list`)).json()) as { version: number }).version;
    const fresh = await cores.core();
    const code = await fresh.startDeviceLink({ deviceName: 'Desktop', relayUrl: `http://${relay.host}` });
    await fresh.cancelDeviceLink();
    // Retired by the time the call answers (the relay is up): the mailbox's list names a never-published device.
    expect(await mailboxVersion(code.code)).toBe(2);

    const request = await alice.inspectLinkCode({ code: code.code });
    await expect(alice.approveLink({ requestId: request.requestId })).rejects.toMatchObject({ code: 'link_expired', message: expect.stringContaining('cancelled') });
    expect(await alice.listDevices()).toHaveLength(1);
    expect(await listVersion()).toBe(1); // the account's list was never re-signed
    expect(await fresh.getAccount()).toBeNull();
    expect(fresh.events.some((e) => e.type === 'devices.changed')).toBe(false);
    await fresh.cancelDeviceLink(); // nothing pending: a no-op

    // The same profile can start over.
    const again = await fresh.startDeviceLink({ deviceName: 'Desktop', relayUrl: `http://${relay.host}` });
    await alice.approveLink({ requestId: (await alice.inspectLinkCode({ code: again.code })).requestId });
    await eventually(() => fresh.events.some((e) => e.type === 'devices.changed'), 'the new code links', 15_000);
    expect((await fresh.getAccount())!.userId).toBe(aliceId);
    expect(await alice.listDevices()).toHaveLength(2);
  });

  it('a code cancelled while the relay is unreachable: dead on the new device at once, its mailbox retired at the next open; an approval in between names a device that never joins', async () => {
    // What the relay-level protocol cannot prevent, pinned: only the new device can retire the
    // mailbox, so until it reaches the relay again an approval still finds it.
    const own = new RestartableRelay();
    await own.start();
    try {
      const url = `http://${own.host}`;
      const alice = await cores.user(own, 'Alice');
      await online(alice);
      const fresh = await cores.core();
      const code = await fresh.startDeviceLink({ deviceName: 'Desktop', relayUrl: url });
      await own.stop();
      await fresh.cancelDeviceLink(); // answers although the relay is down
      await own.start();
      await online(alice);
      expect(await mailboxVersion(code.code, own.host)).toBe(1); // not retired yet

      // Alice approves in that window: her list names the device, the provision waits in the mailbox.
      await alice.approveLink({ requestId: (await alice.inspectLinkCode({ code: code.code })).requestId });
      expect(await alice.listDevices()).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 300));
      expect(await fresh.getAccount()).toBeNull(); // nothing listens on the mailbox any more

      // The next open retires the mailbox (and the provision in it) without reading it.
      await fresh.close();
      const reopened = await cores.core(fresh.dir);
      await eventually(async () => (await mailboxVersion(code.code, own.host)) === 2, 'mailbox retired at the next open');
      expect(await reopened.getAccount()).toBeNull();
      expect(reopened.events.some((e) => e.type === 'devices.changed')).toBe(false);
      // The device Alice approved never publishes keys; she removes it like any device.
      const ghost = (await alice.listDevices()).find((d) => !d.current)!;
      expect(ghost.name).toBe('Desktop');
      await alice.unlinkDevice({ deviceId: ghost.id });
      expect(await alice.listDevices()).toHaveLength(1);
      await reopened.close();
      await alice.close();
    } finally {
      await own.dispose();
    }
  });

  it('cancelled while the provision is being opened: the new device does not join', async () => {
    const alice = await cores.user(relay, 'Alice');
    await online(alice);
    const fresh = await cores.core();
    let held!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((r) => (held = r));
    (fresh as unknown as { linker: DeviceLinker }).linker.holdBeforePublish = () => {
      held();
      return new Promise<void>((r) => (release = r));
    };
    const code = await fresh.startDeviceLink({ deviceName: 'Desktop', relayUrl: `http://${relay.host}` });
    await alice.approveLink({ requestId: (await alice.inspectLinkCode({ code: code.code })).requestId });
    await reached;
    await fresh.cancelDeviceLink();
    release();
    await new Promise((r) => setTimeout(r, 300));
    expect(await fresh.getAccount()).toBeNull();
    expect(fresh.events.some((e) => e.type === 'devices.changed')).toBe(false);
    expect(await mailboxVersion(code.code)).toBe(2);
    // The approval came first, so Alice's list names it: a device that never speaks, to unlink.
    expect(await alice.listDevices()).toHaveLength(2);
  });

  it('refuses an expired or damaged code', async () => {
    const alice = await cores.user(relay, 'Alice');
    await expect(alice.inspectLinkCode({ code: 'parley://link?r=x' })).rejects.toMatchObject({ code: 'bad_invite' });
    const code = `parley://link?r=${encodeURIComponent(`http://${relay.host}`)}&u=${'a'.repeat(32)}&k=${'A'.repeat(43)}&n=Old&x=1`;
    await expect(alice.inspectLinkCode({ code })).rejects.toMatchObject({ code: 'link_expired' });
  });
});
